//! The main job, as `cargo xtask verify` runs it: the suite, the exhaustive
//! check, stress, the attribution and the machine-code diff on the baseline
//! and the patched variant, a verdict scoped to what was checked, and the
//! report that holds it all.

use anyhow::Result;

use super::expect::{self, Expectation};
use super::patch::MachineCode;
use super::report::{self, PatchInfo, Redo, Report, VariantInfo};
use super::stress::{Plan, StressReport};
use super::suite::outcome::{CaseResult, LsoReport};
use super::variants::{BASELINE, Mode, PATCHED, Pair, PairChoice, build_steps, prepare_pair};
use super::verdict::{SeriesChecks, TreeChecks};
use super::{Context, Timings, attribution, build, evidence, lso, mcode, step, stress, suite};

/// What to verify: the tree and series, the stress run, and the commands
/// that redo each part (for the report).
pub struct Options {
    pub pair: PairChoice,
    pub stress: Plan,
    pub reproduce: Vec<Redo>,
}

/// Every check's results on both variants.
struct Gathered {
    baseline: Vec<CaseResult>,
    patched: Vec<CaseResult>,
    baseline_lso: LsoReport,
    patched_lso: LsoReport,
    baseline_stress: StressReport,
    patched_stress: StressReport,
    attribution: attribution::Attribution,
    mcode: mcode::McodeDiff,
}

/// Runs every check on both variants and returns the report (not yet
/// written); its verdict says whether the series verified.
pub fn verify(cx: &mut Context, options: Options) -> Result<Report> {
    let mut pair = prepare_pair(cx, &options.pair)?;
    let gathered = gather(cx, &mut pair, options.stress)?;
    Ok(build_report(cx, &pair, gathered, options.reproduce))
}

fn gather(cx: &mut Context, pair: &mut Pair, plan: Plan) -> Result<Gathered> {
    let cases_dir = cx.cases_dir();
    let timer = step("running the suite on both variants");
    let baseline = suite::run_cases(cx, BASELINE, &pair.baseline.suite, &cases_dir)?;
    let patched = suite::run_cases(cx, PATCHED, &pair.patched.suite, &cases_dir)?;
    pair.timings.push("suite (both variants)", timer.done());

    let timer = step("checking emit_lso over its whole input domain on both variants");
    let baseline_lso = lso::check_variant(cx, BASELINE, &pair.baseline)?;
    let patched_lso = lso::check_variant(cx, PATCHED, &pair.patched)?;
    pair.timings
        .push("exhaustive emit_lso check (both variants)", timer.done());

    let mut step_timings = Timings::default();
    let steps = build_steps(cx, pair, &mut step_timings)?;
    pair.timings.0.extend(step_timings.0);
    let timer = step("stress: the JIT against the interpreter on both variants");
    let (baseline_stress, patched_stress) = stress::run_pair(cx, pair, &steps, plan)?;
    pair.timings.push(
        "stress (both variants, shrinking, attribution)",
        timer.done(),
    );

    let timer = step("per-patch attribution: the checks after each patch in turn");
    let attribution = attribution::attribute(
        cx,
        pair,
        &steps,
        TreeChecks {
            cases: &baseline,
            lso: &baseline_lso,
            stress: &baseline_stress,
        },
        TreeChecks {
            cases: &patched,
            lso: &patched_lso,
            stress: &patched_stress,
        },
    )?;
    pair.timings.push("per-patch attribution", timer.done());

    let timer = step("machine code of every trace, with and without the patch");
    let workload = mcode::workload(&cases_dir, &[])?;
    let mcode = mcode::diff_workload(cx, pair, &workload)?;
    pair.timings
        .push("capture and machine-code diff", timer.done());
    Ok(Gathered {
        baseline,
        patched,
        baseline_lso,
        patched_lso,
        baseline_stress,
        patched_stress,
        attribution,
        mcode,
    })
}

/// The verdict in a headline and a paragraph, and whether it holds.
fn verdict(pair: &Pair, g: &Gathered, limits: &str) -> report::Verdict {
    let series = series_checks(pair, g);
    let patched_clean = series.clean() && g.mcode.clean();
    let baseline_failures = g
        .baseline
        .iter()
        .filter(|r| r.outcome.status != suite::outcome::Status::Pass)
        .filter(|r| r.pins.iter().any(|p| pair.carried.contains(p)))
        .count();
    let problems = open_problems(series, &g.mcode);
    let checked = Checked {
        cases: g.baseline.len(),
        lso: series.lso_clause(false),
        lso_headline: series.lso_clause(true),
        programs: g.patched_stress.programs,
        traces: g.patched_stress.traces,
        limits,
        left: series.left_as_they_were(),
        machine_code: machine_code_claim(pair),
    };
    let hazard = Hazard {
        lso_inputs: g.patched_lso.hazards.iter().map(|c| c.count).sum(),
        ldps: g.mcode.totals.equal_ldps_patched,
        in_traces: g.mcode.totals.equal_ldp_traces_patched,
        traces: g.mcode.totals.patched_traces,
    };
    report::Verdict {
        ok: patched_clean && baseline_failures > 0,
        headline: headline(pair, &problems, baseline_failures, &checked, &hazard),
        summary: verdict_text(pair, &problems, baseline_failures, &checked, &hazard),
    }
}

fn series_checks<'a>(pair: &'a Pair, g: &'a Gathered) -> SeriesChecks<'a> {
    SeriesChecks {
        baseline: TreeChecks {
            cases: &g.baseline,
            lso: &g.baseline_lso,
            stress: &g.baseline_stress,
        },
        patched: TreeChecks {
            cases: &g.patched,
            lso: &g.patched_lso,
            stress: &g.patched_stress,
        },
        fixes: &pair.carried,
    }
}

/// What the machine-code diff was held to, as the series states it.
fn machine_code_claim(pair: &Pair) -> String {
    match pair.series.machine_code() {
        None => "its machine-code diff is shown and classified (the series states no expected change, so no difference is required to be explained)".to_owned(),
        Some(stated) if stated.iter().all(|m| *m == MachineCode::LdpStpFusion) => {
            "its machine code differs from the baseline's only where LDP/STP fusion changes".to_owned()
        }
        Some(stated) => {
            let mut phrases: Vec<String> = stated.iter().map(MachineCode::describe).collect();
            phrases.dedup();
            format!(
                "its machine code differs from the baseline's only as the series states ({})",
                phrases.join("; ")
            )
        }
    }
}

fn build_report(cx: &Context, pair: &Pair, g: Gathered, reproduce: Vec<Redo>) -> Report {
    let cases_dir = cx.cases_dir();
    let limits = lso_limits(pair, &g.baseline);
    let verdict = verdict(pair, &g, &limits);
    let mut checks: Vec<Expectation> =
        expect::baseline_checks(&g.baseline, &g.patched, &pair.carried, BASELINE);
    checks.extend(expect::patched_checks(
        &g.patched,
        &g.baseline,
        &pair.carried,
        PATCHED,
    ));
    Report {
        schema_version: report::SCHEMA_VERSION,
        verdict,
        identity: identity(cx, pair),
        issues: evidence::issue_evidence(
            &issues_fixed(pair),
            &cases_dir,
            &cx.root,
            &g.baseline,
            &g.patched,
            Some(&g.mcode),
        ),
        tree: pair.source.clone(),
        mode: pair.describe(),
        patches: pair
            .patch_states()
            .into_iter()
            .map(|(p, state)| PatchInfo {
                name: p.name.clone(),
                subject: p.subject.clone(),
                sha256: p.sha256.clone(),
                fixes: p.fixes.clone(),
                upstream: p.upstream.clone(),
                state: state.to_owned(),
            })
            .collect(),
        toolchain: cx
            .toolchain
            .versions
            .iter()
            .map(|(name, value)| report::NameValue {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        variants: [&pair.baseline, &pair.patched]
            .iter()
            .map(|v| VariantInfo {
                name: v.built.name.clone(),
                dir: v.built.dir.clone(),
                rebuilt: v.built.rebuilt,
                build_seconds: v.built.seconds,
            })
            .collect(),
        cases: report::case_rows(&[(BASELINE, &g.baseline), (PATCHED, &g.patched)]),
        lso: vec![
            report::VariantLso {
                variant: BASELINE.to_owned(),
                report: g.baseline_lso,
            },
            report::VariantLso {
                variant: PATCHED.to_owned(),
                report: g.patched_lso,
            },
        ],
        stress_buckets: [&g.baseline_stress, &g.patched_stress]
            .iter()
            .map(|run| report::VariantBuckets {
                variant: run.variant.clone(),
                buckets: stress::buckets(&run.findings),
            })
            .collect(),
        stress: vec![g.baseline_stress, g.patched_stress],
        mcode: Some(g.mcode),
        attribution: Some(g.attribution),
        lso_limits: limits,
        checks,
        timings: pair.timings.0.clone(),
        reused: cx.cache.reused.clone(),
        reproduce,
        commands: cx.commands.clone(),
        root: cx.root.clone(),
    }
}

/// What `verify` prints before it writes the report: the case table, the
/// exhaustive check and the stress run of each variant, the machine-code
/// diff's summary.
pub fn render(report: &Report) -> String {
    let mut out = String::from("\n");
    out.push_str(&report::case_table(&report.cases));
    let label = &report.tree.label;
    for (run, name) in report.lso.iter().zip([
        format!("{BASELINE} ({label})"),
        format!("{PATCHED} ({label} + patches/)"),
    ]) {
        out.push_str(&lso::render(&name, &run.report));
    }
    for run in &report.stress {
        out.push_str(&stress::render(run));
    }
    if let Some(mcode) = &report.mcode {
        out.push_str(&format!("\nmachine code: {}\n", mcode.summary()));
    }
    out
}

/// What still fails on the patched variant, one phrase per check.
fn open_problems(series: SeriesChecks, mcode: &mcode::McodeDiff) -> Vec<String> {
    let mut problems = series.problems();
    if !mcode.clean() {
        problems.push(format!(
            "{} machine-code differences are not explained by the series",
            mcode.totals.unexplained
        ));
    }
    problems
}

/// What the checks covered on the patched tree, for the verdict.
struct Checked<'a> {
    cases: usize,
    /// What the exhaustive check says of the series, the classes it leaves
    /// as they were in `left`, and with them for the headline.
    lso: String,
    lso_headline: String,
    programs: u32,
    traces: u64,
    limits: &'a str,
    /// What the series leaves as it was (known defects outside it).
    left: Vec<String>,
    /// What the machine-code diff was held to.
    machine_code: String,
}

/// What the exhaustive check cannot see and what covers it instead: it runs
/// emit_lso with the loop label as the only label, so a caller that puts
/// another label right after a load or store (as asm_tbar did, LuaJIT#1057)
/// is outside it; only the cases pinning such fixes can show them.
fn lso_limits(pair: &Pair, cases: &[suite::outcome::CaseResult]) -> String {
    let (_, outside) = pair.carried_by_place();
    let base = "The exhaustive check runs emit_lso with the loop label as the only label it knows, as its callers' contract has it, so it cannot see a fusion across any other label (a branch target a caller places right after a load or store)";
    if outside.is_empty() {
        return format!("{base}; no patch of this series changes such a caller.");
    }
    let covering: Vec<&str> = cases
        .iter()
        .filter(|c| c.pins.iter().any(|p| outside.contains(p)))
        .map(|c| c.name.as_str())
        .collect();
    if covering.is_empty() {
        format!(
            "{base}; the series fixes {} outside emit_lso and no regression case pins it, so nothing here checks that fix.",
            outside.join(", ")
        )
    } else {
        let cases = if covering.len() == 1 { "case" } else { "cases" };
        format!(
            "{base}; the fixes outside emit_lso ({}) are checked by the regression {cases} {} instead.",
            outside.join(", "),
            covering.join(", ")
        )
    }
}

fn verdict_text(
    pair: &Pair,
    problems: &[String],
    baseline_failures: usize,
    checked: &Checked,
    hazard: &Hazard,
) -> String {
    let patches = pair.series.patches.len();
    let fixes = pair.carried.join(", ");
    let mode = match pair.mode {
        Mode::Apply => String::new(),
        Mode::Revert => " (revert-check mode: the tree already contains the series, so the baseline is the tree with it reversed)".to_owned(),
    };
    let skipped = if pair.already_in.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = pair
            .already_in
            .iter()
            .map(|p| format!("{} ({})", p.name, p.fixes.join(", ")))
            .collect();
        format!("; already in the tree and skipped: {}", names.join(", "))
    };
    // In revert-check mode the patches are in the tree, not applied to it.
    let applied = if pair.mode == Mode::Apply {
        " applied"
    } else {
        ""
    };
    if !problems.is_empty() {
        return format!(
            "Not verified on {}{mode}: on the patched tree {}. {}",
            pair.source.label,
            problems.join("; "),
            hazard.sentence()
        );
    }
    if baseline_failures == 0 {
        return format!(
            "Not verified: the baseline of {}{mode} passes every regression case, so the suite shows no defect for the series to fix. {}",
            pair.source.label,
            hazard.sentence()
        );
    }
    let left = if checked.left.is_empty() {
        String::new()
    } else {
        format!(
            " Left as they were on both trees, not addressed by this series: {}.",
            checked.left.join("; ")
        )
    };
    format!(
        "The series ({patches} patches{applied}, fixing {fixes}{skipped}) passed every check on {}{mode}: the baseline fails {baseline_failures} of {} regression cases as the series' issues make them fail and the patched tree passes those; no case fails on the patched tree that passes on the baseline; {}; its JIT agrees with its interpreter on every one of {} stress programs ({} traces) on which the baseline's does; {}.{left} That is what was checked, not proof that the tree is sound. {} {}",
        pair.source.label,
        checked.cases,
        checked.lso,
        checked.programs,
        checked.traces,
        checked.machine_code,
        hazard.sentence(),
        checked.limits
    )
}

/// The upstream issues the applied patches fix, each with its patch and
/// upstream commit, in series order.
fn issues_fixed(pair: &Pair) -> Vec<(String, Option<String>, Option<String>)> {
    pair.carried
        .iter()
        .map(|issue| {
            let patch = pair.series.patches.iter().find(|p| p.fixes.contains(issue));
            (
                issue.clone(),
                patch.map(|p| p.name.clone()),
                patch.and_then(|p| p.upstream.clone()),
            )
        })
        .collect()
}

fn identity(cx: &Context, pair: &Pair) -> evidence::Identity {
    let (tree_commit, tree_commit_origin) = evidence::tree_commit(&pair.source);
    let lock = std::fs::read_to_string(cx.root.join("Cargo.lock")).unwrap_or_default();
    let execution = cx
        .toolchain
        .versions
        .iter()
        .find(|(name, _)| name == "execution")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    evidence::Identity {
        tree: pair.source.label.clone(),
        crate_version: pair.source.crate_version.clone(),
        tree_commit,
        tree_commit_origin,
        build_flags: build::DETERMINISM_FLAGS.to_owned(),
        execution: if execution.starts_with("native") {
            evidence::native_cpu()
        } else {
            execution
        },
        disassembler: evidence::locked_version(&lock, "yaxpeax-arm")
            .map_or("yaxpeax-arm (version not in Cargo.lock)".to_owned(), |v| {
                format!("yaxpeax-arm {v}")
            }),
        toolkit_commit: evidence::toolkit_commit(&cx.root),
    }
}

/// The LDP hazard as measured: inputs of the exhaustive check and LDPs in
/// the patched build's captured traces.
struct Hazard {
    lso_inputs: u64,
    ldps: usize,
    in_traces: usize,
    traces: usize,
}

impl Hazard {
    fn sentence(&self) -> String {
        format!(
            "An LDP whose two destinations are equal is CONSTRAINED UNPREDICTABLE in the architecture: the patched emit_lso still makes one for {} inputs (two loads into one register, the first dead), and {} such LDPs were found in {} of the {} traces captured on the patched build.",
            self.lso_inputs, self.ldps, self.in_traces, self.traces
        )
    }
}

/// The verdict in one sentence, scoped to what was checked.
fn headline(
    pair: &Pair,
    problems: &[String],
    baseline_failures: usize,
    checked: &Checked,
    hazard: &Hazard,
) -> String {
    if !problems.is_empty() {
        return format!(
            "Not verified on {}: on the patched tree {}.",
            pair.source.label,
            problems.join("; ")
        );
    }
    if baseline_failures == 0 {
        return format!(
            "Not verified: the baseline of {} passes every regression case, so the suite shows no defect for the series to fix.",
            pair.source.label
        );
    }
    format!(
        "Checked on {} with the series applied ({}): the baseline fails {baseline_failures} of {} regression cases as the series' issues make them fail and the patched build passes those, {}, its JIT agrees with its interpreter on {} stress programs wherever the baseline's does, {}, and its captured traces hold {} equal-register LDPs (CONSTRAINED UNPREDICTABLE) in {} traces.",
        pair.source.label,
        pair.carried
            .iter()
            .map(|i| evidence::github_issue(i))
            .collect::<Vec<_>>()
            .join(", "),
        checked.cases,
        checked.lso_headline,
        checked.programs,
        checked.machine_code.trim_start_matches("its "),
        hazard.ldps,
        hazard.traces
    )
}
