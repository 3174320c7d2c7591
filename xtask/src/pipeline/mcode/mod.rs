//! The machine-code diff: the machine code of every trace a workload
//! leaves, on the baseline and on the patched build, side by side.
//!
//! Each script runs once per build under `suite capture` (nothing attached to
//! the JIT; the traces are read afterwards), the captures are kept in
//! target/mcode/<variant>/<script>.json, and the traces are matched by number
//! and IR, normalised (see `normalise`) and diffed. Every differing site is
//! a baseline mis-fusion the series corrects (the defect, shown), a legal
//! fusion it gives up (its cost, listed) or unexplained (see
//! `classify::classify`). A script is captured however it ends, returning,
//! raising an error or calling os.exit; only a crash or a timeout leaves
//! nothing to compare. Every captured trace is also searched for an LDP
//! whose two destinations are one register (CONSTRAINED UNPREDICTABLE).

mod classify;
mod compare;
mod normalise;
mod render;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

pub use classify::SiteClass;
pub use compare::{EqualLdp, Site, TraceResult, TraceStatus};
pub use render::render;

use super::Context;
use super::cache::{Key, cached};
use super::patch::MachineCode;
use super::stress;
use super::suite::{self, outcome::Outcome};
use super::variants::{BASELINE, PATCHED, Pair};
use contract::capture::Capture;

/// Seconds a script may run on one build.
const TIMEOUT: f64 = 60.0;

/// What decides a script's diff besides its captures: this module's
/// reading, normalising and comparing, and the capture format.
const DIFF_SOURCES: [&str; 5] = [
    include_str!("mod.rs"),
    include_str!("compare.rs"),
    include_str!("classify.rs"),
    include_str!("normalise.rs"),
    include_str!("../../../../tests/contract/src/capture.rs"),
];

/// The case the self-check captures twice.
pub const SELF_CHECK_CASE: &str = "lj1075_stitch_ipairs_slot62.lua";

/// The comparison of one workload on both builds.
#[derive(Debug, Clone, Serialize)]
pub struct McodeDiff {
    pub totals: Totals,
    pub scripts: Vec<ScriptDiff>,
    /// What the series says it changes, when it says: without it, the diff
    /// is shown and classified and no difference has to be explained.
    pub stated: Option<Vec<MachineCode>>,
    /// Everything above as plain text: what the command prints.
    pub text: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub scripts: usize,
    /// Scripts a build left no capture of (crash, timeout).
    pub not_captured: usize,
    pub baseline_traces: usize,
    pub patched_traces: usize,
    /// Trace numbers both builds have.
    pub compared: usize,
    pub identical: usize,
    /// Same IR, different machine code.
    pub different: usize,
    pub ir_different: usize,
    pub only_baseline: usize,
    pub only_patched: usize,
    pub sites: usize,
    /// `misfusions_corrected + fusions_given_up + reordered`.
    pub explained_sites: usize,
    pub misfusions_corrected: usize,
    pub fusions_given_up: usize,
    pub reordered: usize,
    /// Sites whose every instruction is of a kind the series says it changes.
    pub stated_changes: usize,
    /// Unexplained items in scripts whose runs took other paths on the two
    /// builds (ended differently, or compiled other traces): shown, not
    /// counted as unexplained.
    pub diverged_sites: usize,
    pub unexplained_sites: usize,
    /// Captured traces holding an LDP with two equal destinations, and how
    /// many such LDPs they hold, per build.
    pub equal_ldp_traces_baseline: usize,
    pub equal_ldp_traces_patched: usize,
    pub equal_ldps_baseline: usize,
    pub equal_ldps_patched: usize,
    /// What is not accounted for: unexplained sites, IR differences and
    /// missing traces where the runs did not diverge, and missing captures.
    pub unexplained: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScriptDiff {
    pub script: String,
    /// How the script ended on each build.
    pub baseline: String,
    pub patched: String,
    /// The script ended differently on the two builds.
    pub diverged: bool,
    /// Builds that left no capture, and why.
    pub not_captured: Vec<String>,
    /// The baseline left no capture because the defect the series fixes
    /// ended its run (a crash the patched build does not have): its traces
    /// could not be read, so nothing is compared, and that is accounted for
    /// as a diverged run is, not as unexplained.
    pub baseline_lost: bool,
    pub traces: Vec<TraceResult>,
    /// Traces holding an LDP with two equal destinations, per build.
    pub equal_ldps_baseline: Vec<EqualLdp>,
    pub equal_ldps_patched: Vec<EqualLdp>,
}

impl Totals {
    /// The LDPs with two equal destinations on both builds, e.g. `3 in 2 of
    /// 40 baseline traces, 0 in 0 of 41 patched traces`; `noun` follows the
    /// first count (` such LDPs`).
    pub fn equal_ldps(&self, noun: &str) -> String {
        format!(
            "{}{noun} in {} of {} baseline traces, {} in {} of {} patched traces",
            self.equal_ldps_baseline,
            self.equal_ldp_traces_baseline,
            self.baseline_traces,
            self.equal_ldps_patched,
            self.equal_ldp_traces_patched,
            self.patched_traces
        )
    }
}

impl McodeDiff {
    /// Every difference is explained, or the series states nothing it
    /// changes (and so nothing is required to be).
    pub fn clean(&self) -> bool {
        self.totals.unexplained == 0 || self.stated.is_none()
    }

    /// The diff held to what the series states it changes: sites made only
    /// of instructions of the kinds it names are explained, and with no
    /// statement at all nothing is required to be.
    pub fn held_to(self, stated: Option<Vec<MachineCode>>) -> McodeDiff {
        let mnemonics: Vec<String> = stated
            .iter()
            .flatten()
            .filter_map(|m| match m {
                MachineCode::Changes(list) => Some(list.clone()),
                MachineCode::LdpStpFusion => None,
            })
            .flatten()
            .collect();
        let mut scripts = self.scripts;
        if !mnemonics.is_empty() {
            for script in &mut scripts {
                explain_stated_changes(&mut script.traces, &mnemonics);
            }
        }
        let mut diff = finish(scripts);
        diff.stated = stated;
        diff.text = render(&diff, false);
        diff
    }

    /// One line: what was compared and how the differences fall.
    pub fn summary(&self) -> String {
        let t = &self.totals;
        let stated = match &self.stated {
            None => " (the series states no change it makes, so none is required to be explained)"
                .to_owned(),
            Some(_) if t.stated_changes > 0 => {
                format!(", {} changes the series states", t.stated_changes)
            }
            Some(_) => String::new(),
        };
        let diverged = if t.diverged_sites > 0 {
            format!(
                ", {} more in scripts whose runs took other paths on the two builds (shown, not held against the series)",
                t.diverged_sites
            )
        } else {
            String::new()
        };
        format!(
            "{} scripts, {} traces compared: {} identical, {} different, {} with different IR; {} differing sites: {} baseline mis-fusions corrected, {} legal fusions given up, {} same accesses reordered{stated}, {} unexplained{diverged}; LDPs with two equal destinations in {} baseline and {} patched traces",
            t.scripts,
            t.compared,
            t.identical,
            t.different,
            t.ir_different,
            t.sites,
            t.misfusions_corrected,
            t.fusions_given_up,
            t.reordered,
            t.unexplained_sites,
            t.equal_ldp_traces_baseline,
            t.equal_ldp_traces_patched
        )
    }
}

/// Stress programs in the default workload: the first ones of the default seed.
const STRESS_SAMPLE: u32 = 12;

/// The scripts given, or the default workload: every case in `cases_dir`
/// and a sample of stress programs (written under target/mcode/stress-sample).
pub fn workload(cases_dir: &Path, scripts: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if !scripts.is_empty() {
        return Ok(scripts.to_vec());
    }
    let mut cases = regression_cases(cases_dir)?;
    let sample_dir = crate::pipeline::project_root().join("target/mcode/stress-sample");
    let sample = stress::write_programs(
        &sample_dir,
        stress::Plan::whole(stress::DEFAULT_SEED, STRESS_SAMPLE),
    )?;
    cases.extend(sample.into_iter().map(|written| written.path));
    Ok(cases)
}

fn regression_cases(cases_dir: &Path) -> Result<Vec<PathBuf>> {
    let cases = super::lua_files(cases_dir)?;
    if cases.is_empty() {
        bail!("no *.lua cases in {}", cases_dir.display());
    }
    Ok(cases)
}

/// Runs each script on both builds of `pair` (at most TIMEOUT seconds each),
/// captures its traces and diffs them.
pub fn diff_workload(cx: &mut Context, pair: &Pair, scripts: &[PathBuf]) -> Result<McodeDiff> {
    let mut diffs = Vec::new();
    for script in scripts {
        let script = script
            .canonicalize()
            .with_context(|| format!("{}: no such script", script.display()))?;
        let chunk_name = chunk_name(&cx.root, &script);
        eprintln!("==> capturing the traces of {chunk_name} on both builds");
        let mut runs = Vec::new();
        let mut key = Key::new("machine-code diff").text("script", &chunk_name);
        for source in DIFF_SOURCES {
            key = key.text("diff", source);
        }
        for (name, variant) in [(BASELINE, &pair.baseline), (PATCHED, &pair.patched)] {
            let out = capture_path(&cx.target_dir(), name, &script);
            let dir = out.parent().expect("a capture lives in a folder");
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let outcome =
                suite::capture_cached(cx, &variant.suite, &script, &chunk_name, &out, TIMEOUT)?;
            // `--no-run` needs to know how a run without a capture ended.
            let ending = out.with_extension("outcome.json");
            std::fs::write(&ending, serde_json::to_string(&outcome)?)
                .with_context(|| format!("cannot write {}", ending.display()))?;
            key = key.text("build", name).text("ending", outcome.summary());
            if out.is_file() {
                key = key.file("capture", &out)?;
            }
            runs.push((name, outcome, out));
        }
        // Reading, normalising and diffing the captures is the slow part of
        // this step; the diff is kept under the captures' bytes.
        let what = format!("machine-code diff of {chunk_name}");
        diffs.push(cached(cx, &what, key, |_| {
            let mut sides = Vec::new();
            for (name, outcome, out) in &runs {
                let capture = if out.is_file() {
                    Some(Capture::load(out)?)
                } else {
                    None
                };
                sides.push(Side {
                    build: name,
                    ending: outcome.summary(),
                    not_captured: why_not_captured(outcome, capture.is_some()),
                    capture,
                });
            }
            let patched = sides.pop().expect("two sides");
            let baseline = sides.pop().expect("two sides");
            script_diff(chunk_name.clone(), baseline, patched)
        })?);
    }
    Ok(finish(diffs).held_to(pair.series.machine_code()))
}

/// Explains the unexplained sites whose every differing instruction, on
/// both sides, is of a kind in `mnemonics`.
fn explain_stated_changes(traces: &mut [TraceResult], mnemonics: &[String]) {
    let stated = |lines: &[String]| {
        lines.iter().all(|line| {
            let mnemonic = line.split_whitespace().next().unwrap_or("");
            mnemonics.iter().any(|m| m == mnemonic)
        })
    };
    for trace in traces.iter_mut() {
        for site in trace.sites.iter_mut().filter(|s| !s.explained) {
            if stated(&site.baseline) && stated(&site.patched) {
                site.class = SiteClass::ExpectedChange;
                site.explained = true;
                site.reason = format!(
                    "only instructions the series says it changes ({})",
                    mnemonics.join(" ")
                );
            }
        }
        if trace.status == TraceStatus::Different {
            trace.explained = trace.sites.iter().all(|s| s.explained);
        }
    }
}

/// Diffs the captures an earlier run left under `target/mcode`, without
/// building or running anything.
pub fn diff_saved(target_dir: &Path, root: &Path, scripts: &[PathBuf]) -> Result<McodeDiff> {
    let mut diffs = Vec::new();
    for script in scripts {
        let script = script
            .canonicalize()
            .with_context(|| format!("{}: no such script", script.display()))?;
        let mut sides = Vec::new();
        for name in [BASELINE, PATCHED] {
            let path = capture_path(target_dir, name, &script);
            if path.is_file() {
                let capture = Capture::load(&path)?;
                sides.push(Side {
                    build: name,
                    ending: capture.ending(),
                    not_captured: None,
                    capture: Some(capture),
                });
                continue;
            }
            // No capture: the run that left none says how it ended.
            let ending = path.with_extension("outcome.json");
            let text = std::fs::read_to_string(&ending).with_context(|| {
                format!(
                    "no saved capture of {} on {name}; run `cargo xtask mcode-diff` without --no-run first",
                    script.display()
                )
            })?;
            let outcome: Outcome = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a saved outcome", ending.display()))?;
            sides.push(Side {
                build: name,
                ending: outcome.summary(),
                not_captured: why_not_captured(&outcome, false),
                capture: None,
            });
        }
        let patched = sides.pop().expect("two sides");
        let baseline = sides.pop().expect("two sides");
        diffs.push(script_diff(chunk_name(root, &script), baseline, patched)?);
    }
    Ok(finish(diffs))
}

/// Captures one case twice on the baseline and checks that the normalised
/// machine code of a capture against itself, and of the two runs, is the same
/// for every trace. Under QEMU the second run gets a smaller guest address
/// space (`-R`), which moves every heap and code address, so that the check
/// also shows the normalisation at work. For `cargo xtask test`; prints what
/// differs.
pub fn self_check(cx: &mut Context, pair: &Pair) -> Result<bool> {
    let case = cx.cases_dir().join(SELF_CHECK_CASE);
    let chunk_name = chunk_name(&cx.root, &case);
    let dir = cx.target_dir().join("mcode").join("self-check");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut captures = Vec::new();
    for (run, moved) in [("first", false), ("second", true)] {
        let out = dir.join(format!("{run}.json"));
        let runner = cx.toolchain.runner.clone();
        if moved && !runner.is_empty() {
            cx.toolchain
                .runner
                .extend(["-R", "0x6000000000"].map(String::from));
        }
        let outcome =
            suite::run_capture(cx, &pair.baseline.suite, &case, &chunk_name, &out, TIMEOUT);
        cx.toolchain.runner = runner;
        let outcome = outcome?;
        if !out.is_file() {
            bail!(
                "the {run} capture of {chunk_name} on the baseline failed: {}",
                outcome.summary()
            );
        }
        captures.push(Capture::load(&out)?);
    }
    let mut held = !captures[0].traces.is_empty();
    if !held {
        eprintln!("mcode-diff self-check: {chunk_name} left no traces on the baseline");
    }
    let raw = |c: &Capture| {
        c.traces
            .iter()
            .map(|t| (t.address.clone(), t.mcode.clone()))
            .collect::<Vec<_>>()
    };
    let moved = if raw(&captures[0]) == raw(&captures[1]) {
        "the same raw machine code"
    } else {
        "raw machine code at other addresses"
    };
    eprintln!(
        "mcode-diff self-check: {} traces; the second run has {moved}",
        captures[0].traces.len()
    );
    for (what, other) in [
        ("against itself", &captures[0]),
        ("against a second run", &captures[1]),
    ] {
        let results = compare::compare(&captures[0], other, false)?;
        for result in results
            .iter()
            .filter(|r| r.status != TraceStatus::Identical)
        {
            held = false;
            eprintln!(
                "mcode-diff self-check, {chunk_name} {what}: {} is {:?}\n{}",
                result.heading, result.status, result.diff
            );
        }
    }
    Ok(held)
}

/// `target/mcode/<variant>/<script stem>.json`
fn capture_path(target_dir: &Path, variant: &str, script: &Path) -> PathBuf {
    let stem = script
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "script".to_owned());
    target_dir
        .join("mcode")
        .join(variant)
        .join(format!("{stem}.json"))
}

/// The script's path relative to the project root when it is inside it.
fn chunk_name(root: &Path, script: &Path) -> String {
    script
        .strip_prefix(root)
        .unwrap_or(script)
        .display()
        .to_string()
}

fn why_not_captured(outcome: &Outcome, captured: bool) -> Option<String> {
    use crate::pipeline::suite::outcome::Status;
    (!captured).then(|| match (&outcome.error, outcome.status) {
        (Some(error), _) if error.starts_with("capture failed") => error.clone(),
        (_, Status::Crash) => format!(
            "no capture: {} (a process that crashes leaves no traces to read)",
            outcome.summary()
        ),
        (_, Status::Timeout) => format!(
            "no capture: {} (the process was killed before the capture)",
            outcome.summary()
        ),
        _ => {
            let output = outcome.output.trim();
            if output.is_empty() {
                format!("no capture: {}", outcome.summary())
            } else {
                format!("no capture: {}; it printed: {output}", outcome.summary())
            }
        }
    })
}

/// One build's run of a script.
struct Side<'a> {
    build: &'a str,
    /// How the script ended (`Outcome::summary`).
    ending: String,
    /// Why there is no capture, when there is none.
    not_captured: Option<String>,
    capture: Option<Capture>,
}

fn script_diff(script: String, baseline: Side, patched: Side) -> Result<ScriptDiff> {
    let diverged = baseline.ending != patched.ending;
    let baseline_lost =
        diverged && baseline.not_captured.is_some() && patched.not_captured.is_none();
    let not_captured: Vec<String> = [&baseline, &patched]
        .iter()
        .filter_map(|side| {
            let why = side.not_captured.as_ref()?;
            Some(format!("{}: {why}", side.build))
        })
        .collect();
    let traces = match (&baseline.capture, &patched.capture) {
        (Some(base), Some(patch)) => compare::compare(base, patch, diverged)
            .with_context(|| format!("comparing the traces of {script}"))?,
        _ => Vec::new(),
    };
    let equal_ldps = |side: &Side| -> Result<Vec<EqualLdp>> {
        match &side.capture {
            Some(capture) => compare::equal_register_ldps(capture)
                .with_context(|| format!("{} traces of {script}", side.build)),
            None => Ok(Vec::new()),
        }
    };
    let equal_ldps_baseline = equal_ldps(&baseline)?;
    let equal_ldps_patched = equal_ldps(&patched)?;
    Ok(ScriptDiff {
        script,
        baseline: super::without_heap_addresses(&baseline.ending),
        patched: super::without_heap_addresses(&patched.ending),
        diverged,
        not_captured,
        baseline_lost,
        traces,
        equal_ldps_baseline,
        equal_ldps_patched,
    })
}

fn finish(scripts: Vec<ScriptDiff>) -> McodeDiff {
    let mut totals = Totals {
        scripts: scripts.len(),
        ..Totals::default()
    };
    for script in &scripts {
        totals.equal_ldp_traces_baseline += script.equal_ldps_baseline.len();
        totals.equal_ldp_traces_patched += script.equal_ldps_patched.len();
        let count = |found: &[EqualLdp]| found.iter().map(|t| t.lines.len()).sum::<usize>();
        totals.equal_ldps_baseline += count(&script.equal_ldps_baseline);
        totals.equal_ldps_patched += count(&script.equal_ldps_patched);
        if !script.not_captured.is_empty() {
            totals.not_captured += 1;
            // Both builds ended alike with no capture (a crash of a defect
            // outside the series): nothing to compare, nothing changed.
            let alike = !script.diverged && script.not_captured.len() == 2;
            if !script.baseline_lost && !alike {
                totals.unexplained += script.not_captured.len();
            }
        }
        let took_other_paths = script.diverged
            || script.traces.iter().any(|t| {
                matches!(
                    t.status,
                    TraceStatus::OnlyBaseline | TraceStatus::OnlyPatched | TraceStatus::IrDifferent
                )
            });
        for trace in &script.traces {
            match trace.status {
                TraceStatus::OnlyBaseline => totals.only_baseline += 1,
                TraceStatus::OnlyPatched => totals.only_patched += 1,
                status => {
                    totals.compared += 1;
                    match status {
                        TraceStatus::Identical => totals.identical += 1,
                        TraceStatus::Different => totals.different += 1,
                        _ => totals.ir_different += 1,
                    }
                }
            }
            if trace.status != TraceStatus::OnlyPatched {
                totals.baseline_traces += 1;
            }
            if trace.status != TraceStatus::OnlyBaseline {
                totals.patched_traces += 1;
            }
            totals.sites += trace.sites.len();
            for site in &trace.sites {
                match site.class {
                    SiteClass::MisfusionCorrected | SiteClass::FusionAcrossLabelCorrected => {
                        totals.misfusions_corrected += 1
                    }
                    SiteClass::FusionGivenUp => totals.fusions_given_up += 1,
                    SiteClass::Reordered => totals.reordered += 1,
                    SiteClass::ExpectedChange => totals.stated_changes += 1,
                    SiteClass::Unexplained => {}
                }
            }
            let explained = trace.sites.iter().filter(|site| site.explained).count();
            totals.explained_sites += explained;
            // Runs that ended differently, or that compiled other traces (a
            // backend patch cannot change the IR, so other IR or a trace
            // only one build has means another path), match traces by
            // number across other code: their differences are shown and
            // not held against the series.
            if took_other_paths {
                totals.diverged_sites += trace.sites.len() - explained;
                if trace.sites.is_empty() && !trace.explained {
                    totals.diverged_sites += 1;
                }
                continue;
            }
            totals.unexplained_sites += trace.sites.len() - explained;
            if trace.sites.is_empty() && !trace.explained {
                totals.unexplained += 1;
            }
            totals.unexplained += trace.sites.len() - explained;
        }
    }
    let mut diff = McodeDiff {
        totals,
        scripts,
        stated: Some(vec![MachineCode::LdpStpFusion]),
        text: String::new(),
    };
    diff.text = render(&diff, false);
    diff
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace_result(
        trace: u32,
        status: TraceStatus,
        sites: Vec<Site>,
        explained: bool,
    ) -> TraceResult {
        TraceResult {
            trace,
            heading: format!("trace {trace}"),
            status,
            diff: String::new(),
            sites,
            explained,
            note: None,
        }
    }

    fn outcome(status: crate::pipeline::suite::outcome::Status, signal: Option<i32>) -> Outcome {
        Outcome {
            exit_code: None,
            signal,
            millis: 5,
            ..crate::pipeline::testing::outcome(status, None)
        }
    }

    #[test]
    fn a_crash_is_named_as_the_reason_for_no_capture() {
        use crate::pipeline::suite::outcome::Status;
        let crash = outcome(Status::Crash, Some(11));
        let why = why_not_captured(&crash, false).unwrap();
        assert!(
            why.contains("crash: SIGSEGV") && why.contains("crashes leaves no traces"),
            "{why}"
        );
        assert_eq!(why_not_captured(&crash, true), None);
        let why = why_not_captured(&outcome(Status::Timeout, None), false).unwrap();
        assert!(why.contains("killed before the capture"), "{why}");
    }

    #[test]
    fn a_patched_build_that_alone_leaves_no_capture_is_unexplained() {
        let lost = || Some("no capture: crash: SIGSEGV".to_owned());
        let cases = [
            // The baseline crashed, the patched build ran: the runs diverged.
            (("crash: SIGSEGV", lost()), ("pass", None), 0),
            // The patched build crashed: never accounted for.
            (("pass", None), ("crash: SIGSEGV", lost()), 1),
            // Both crashed alike (a defect outside the series): nothing to
            // compare; the cases and the stress run judge such a crash.
            (("crash: SIGSEGV", lost()), ("crash: SIGSEGV", lost()), 0),
        ];
        for ((base_end, base_why), (patch_end, patch_why), unexplained) in cases {
            let diff = script_diff(
                "t.lua".to_owned(),
                Side {
                    build: BASELINE,
                    ending: base_end.to_owned(),
                    not_captured: base_why,
                    capture: None,
                },
                Side {
                    build: PATCHED,
                    ending: patch_end.to_owned(),
                    not_captured: patch_why,
                    capture: None,
                },
            )
            .unwrap();
            let totals = finish(vec![diff]).totals;
            assert_eq!(totals.unexplained, unexplained, "{base_end} / {patch_end}");
            assert_eq!(totals.not_captured, 1);
        }
    }

    #[test]
    fn totals_count_every_trace_and_every_unexplained_item() {
        let split = Site {
            baseline: vec!["stp x1, x2, [x19, #496]".to_owned()],
            patched: vec![
                "str x1, [x19, #496]".to_owned(),
                "str x2, [x19, #504]".to_owned(),
            ],
            class: SiteClass::MisfusionCorrected,
            explained: true,
            reason: "split".to_owned(),
        };
        let other = Site {
            baseline: vec!["add x1, x1, #0x1".to_owned()],
            patched: vec!["add x1, x1, #0x2".to_owned()],
            class: SiteClass::Unexplained,
            explained: false,
            reason: "not only plain loads and stores".to_owned(),
        };
        let script = ScriptDiff {
            script: "t.lua".to_owned(),
            baseline: "pass".to_owned(),
            patched: "pass".to_owned(),
            diverged: false,
            not_captured: Vec::new(),
            equal_ldps_baseline: vec![EqualLdp {
                trace: 2,
                heading: "trace 2".to_owned(),
                lines: vec!["ldp x1, x1, [x19, #8]".to_owned(); 2],
            }],
            equal_ldps_patched: Vec::new(),
            baseline_lost: false,
            traces: vec![
                trace_result(1, TraceStatus::Identical, Vec::new(), true),
                trace_result(2, TraceStatus::Different, vec![split.clone()], true),
                trace_result(3, TraceStatus::Different, vec![split, other], false),
                trace_result(4, TraceStatus::Identical, Vec::new(), true),
            ],
        };
        let mut other_paths = script.clone();
        other_paths.traces[3] = trace_result(4, TraceStatus::OnlyPatched, Vec::new(), false);
        // A trace only the patched build has: the runs took other paths, so
        // the unexplained site and that trace are shown, not held.
        let t = finish(vec![other_paths]).totals;
        assert_eq!((t.unexplained, t.diverged_sites, t.only_patched), (0, 2, 1));
        let diff = finish(vec![script]);
        let t = &diff.totals;
        assert_eq!(
            (
                t.baseline_traces,
                t.patched_traces,
                t.compared,
                t.identical,
                t.different
            ),
            (4, 4, 4, 2, 2)
        );
        assert_eq!(
            (
                t.sites,
                t.explained_sites,
                t.unexplained_sites,
                t.only_patched
            ),
            (3, 2, 1, 0)
        );
        assert_eq!(t.unexplained, 1);
        assert_eq!((t.misfusions_corrected, t.fusions_given_up), (2, 0));
        assert_eq!(
            (
                t.equal_ldp_traces_baseline,
                t.equal_ldps_baseline,
                t.equal_ldp_traces_patched
            ),
            (1, 2, 0)
        );
        assert!(!diff.clean());
        assert!(
            diff.text
                .contains("t.lua trace 3 site 2: add x1, x1, #0x1 | add x1, x1, #0x2"),
            "{}",
            diff.text
        );
        assert!(!diff.text.contains('\x1b'));
        assert!(render(&diff, true).contains("\x1b[1;31mUNEXPLAINED\x1b[0m"));
    }
}
