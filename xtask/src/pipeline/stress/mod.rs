//! Stress runs: seeded programs run with the JIT on and off in one build,
//! every difference a finding, saved with its seed and shrunk to a small
//! reproducer.

pub mod batches;
mod journal;
mod plan;
mod progress;
pub mod reach;
mod render;
mod replay;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use super::cache::{Key, cached_if};
use super::program::generate::{self, Program};
use super::program::shrink;
use super::suite::limits::{JitLimit, Limits};
use super::suite::outcome::{Comparison, Outcome, Status};
use super::{Context, interpreter, suite};
pub use plan::*;
pub use render::render;
pub use replay::*;

/// Programs in a default run: about 16,000 traces per build (docs/stress.md,
/// "What the families cost"), in a minute or two on two cores.
pub const DEFAULT_COUNT: u32 = 300;
pub const DEFAULT_SEED: u64 = 1;
/// The time limits of a program's runs in a stress run: the interpreter's
/// fixed and generous (a program that hangs without the JIT is the
/// generator's fault, and takes tens of milliseconds as a rule), the JIT's
/// a multiple of the interpreter's time between a floor and a ceiling, so
/// that a JIT that hangs costs a few seconds, not a fixed limit large
/// enough for the slowest clean program. docs/stress-hangs.md has the
/// measurements the numbers come from.
pub const RUN_LIMITS: Limits = Limits {
    interpreter: Duration::from_secs(60),
    jit: JitLimit {
        // The largest JIT/interpreter ratio of a clean program measured
        // where the floor does not decide was 8; a program that runs past
        // this is tried again with twice as much
        // (`batches::RERUN_LIMIT_FACTOR`) before it counts as a hang.
        factor: 10.0,
        // Programs the interpreter runs in a few milliseconds spend their
        // JIT run recording and compiling traces.
        floor: Duration::from_secs(2),
        // What every program's JIT run got before the limit followed the
        // interpreter's time.
        ceiling: Duration::from_secs(20),
    },
};
/// Wall time shrinking may take per finding and per run: a finding that
/// crashes or hangs makes every candidate slow, and the verdict must not
/// wait on an optional reproducer.
const SHRINK_BUDGET_PER_FINDING: Duration = Duration::from_secs(60);
const SHRINK_BUDGET_PER_RUN: Duration = Duration::from_secs(150);
/// What every bucket gets even when the run's budget is spent: each
/// bucket is to have a shrunk reproducer, so a run with many buckets may
/// take this long per bucket beyond the run's budget.
const SHRINK_FLOOR_PER_BUCKET: Duration = Duration::from_secs(20);
/// What decides a run's programs and how they are shrunk: the generator's
/// and the shrinker's own source, with the plan (which programs a run
/// takes), how its programs are run and journaled, and the per-patch replay.
const GENERATOR_SOURCES: [&str; 21] = [
    include_str!("../program/mod.rs"),
    include_str!("../program/generate.rs"),
    include_str!("../program/calls.rs"),
    include_str!("../program/lookups.rs"),
    include_str!("../program/shapes.rs"),
    include_str!("../program/unfused.rs"),
    include_str!("../program/carried.rs"),
    include_str!("../program/indexed.rs"),
    include_str!("../program/expr.rs"),
    include_str!("../program/forms.rs"),
    include_str!("../program/tables.rs"),
    include_str!("../program/rng.rs"),
    include_str!("../program/shrink.rs"),
    include_str!("../program/ffi.rs"),
    include_str!("../program/seed.rs"),
    include_str!("reach.rs"),
    include_str!("mod.rs"),
    include_str!("plan.rs"),
    include_str!("replay.rs"),
    include_str!("batches.rs"),
    include_str!("journal.rs"),
];

/// What names the generator's programs, for cache keys: its sources.
pub fn generator_key() -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for source in GENERATOR_SOURCES {
        hasher.update(source.as_bytes());
    }
    format!("{:x}", hasher.finalize())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StressReport {
    pub variant: String,
    /// Where the run's programs were written, one `.lua` file each.
    pub programs_dir: PathBuf,
    /// Which programs the run took.
    pub plan: Plan,
    /// Programs run: the plan's whole count, or its shard's share.
    pub programs: u32,
    /// Traces the JIT compiled over all programs, as it reports them.
    pub traces: u64,
    /// Every IR opcode whose ARM64 assembly emits loads or stores through
    /// `emit_lso`, with how many of the run's traces hold it.
    pub reach: Vec<reach::Reach>,
    /// Those of them no trace holds (and some program could).
    pub unreached: Vec<String>,
    pub findings: Vec<Finding>,
    /// Running the programs (JIT on and off), without saving and shrinking.
    pub run_seconds: f64,
    /// Emulated (or native) seconds of program runs up to and including the
    /// first program that shows a difference.
    pub first_finding_seconds: Option<f64>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    /// The program's place in the run (`pNNNNN.lua`).
    pub index: usize,
    /// The program's own seed: `generate::program(seed)` rebuilds it.
    #[serde(with = "hex_seed")]
    pub program_seed: u64,
    pub kind: Kind,
    pub difference: String,
    pub jit_settings: Vec<String>,
    /// Where program.lua, finding.json and (if shrunk) shrunk.lua are.
    pub dir: PathBuf,
    /// The longer of the program's two runs (JIT on, off), in milliseconds.
    pub took_millis: u64,
    pub shrunk: Option<Shrunk>,
    /// Which patch makes the reproducer pass, when the series was checked.
    pub attribution: Option<Replay>,
}

/// A finding's program shrunk while it kept the original's kind of
/// difference, and the outcome of the shrunk program run on its own.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Shrunk {
    pub path: PathBuf,
    pub lines: usize,
    /// The kind of difference the shrunk program shows on its own; none
    /// when it no longer differs.
    #[serde(default)]
    pub kind: Option<Kind>,
    pub difference: String,
    pub source: String,
    /// Which patch makes the shrunk program pass, when the series was checked.
    #[serde(default)]
    pub attribution: Option<Replay>,
    /// The families of the blocks the shrunk program kept (`Block::family`).
    #[serde(default)]
    pub families: Vec<String>,
}

/// Findings that are one defect as far as the run can tell: the same
/// normalised difference (`signature`) fixed by the same patch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    pub signature: String,
    /// The patch whose step first makes the original programs pass; None
    /// when none does or the findings were not attributed.
    pub fixed_by: Option<String>,
    pub fixes: Vec<String>,
    /// The findings' places in `StressReport::findings`, in run order.
    pub findings: Vec<usize>,
    /// The finding shrunk for the bucket, if one was.
    pub shrunk: Option<usize>,
}

/// The bucket a finding falls in: its signature and the patch fixing it.
fn bucket_key(finding: &Finding) -> (String, Option<String>) {
    (
        signature(finding),
        finding
            .attribution
            .as_ref()
            .and_then(|a| a.fixed_by.clone()),
    )
}

/// The findings of a run grouped into buckets, in order of first appearance.
pub fn buckets(findings: &[Finding]) -> Vec<Bucket> {
    let mut buckets: Vec<Bucket> = Vec::new();
    for (place, finding) in findings.iter().enumerate() {
        let (signature, fixed_by) = bucket_key(finding);
        let bucket = match buckets
            .iter_mut()
            .find(|b| b.signature == signature && b.fixed_by == fixed_by)
        {
            Some(bucket) => bucket,
            None => {
                buckets.push(Bucket {
                    signature,
                    fixed_by,
                    fixes: finding
                        .attribution
                        .as_ref()
                        .map(|a| a.fixes.clone())
                        .unwrap_or_default(),
                    findings: Vec::new(),
                    shrunk: None,
                });
                buckets.last_mut().expect("just pushed")
            }
        };
        bucket.findings.push(place);
        if bucket.shrunk.is_none() && finding.shrunk.is_some() {
            bucket.shrunk = Some(place);
        }
    }
    buckets
}

/// How a program's run with the JIT differs from its run without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// The JIT run was killed by a signal.
    #[serde(rename = "crash")]
    Crash,
    /// The JIT run ran out of time: it hangs. (Written `timeout` in
    /// stored reports, as it always was.)
    #[serde(rename = "timeout")]
    Timeout,
    /// The JIT run raised an error the interpreted run did not.
    #[serde(rename = "error")]
    Error,
    /// Both ran to the end and returned different values.
    #[serde(rename = "mismatch")]
    Mismatch,
    /// The program fails even without the JIT: the generator's fault.
    #[serde(rename = "program fails without the JIT")]
    FailsWithoutJit,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Crash => "crash",
            Kind::Timeout => "hang",
            Kind::Error => "error",
            Kind::Mismatch => "mismatch",
            Kind::FailsWithoutJit => "program fails without the JIT",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// What kind of difference a comparison shows, if any.
pub fn difference_kind(comparison: &Comparison) -> Option<Kind> {
    comparison.difference()?;
    Some(match comparison.jit.status {
        _ if comparison.interpreter.status != Status::Pass => Kind::FailsWithoutJit,
        Status::Crash => Kind::Crash,
        Status::Timeout => Kind::Timeout,
        Status::Fail => Kind::Error,
        Status::Pass => Kind::Mismatch,
    })
}

/// Where a run keeps its programs and findings:
/// `target/stress/<build folder>/seed-S-count-N`, named after the build's
/// folder (itself named after the tree's content), so that runs on other
/// trees do not overwrite each other.
fn run_home(cx: &Context, suite_bin: &Path, plan: Plan) -> PathBuf {
    let build = suite_bin
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "suite".to_owned());
    cx.target_dir()
        .join("stress")
        .join(build)
        .join(plan.label())
}

/// Generates, runs, saves and shrinks one run on one build.
pub fn run(cx: &mut Context, variant: &str, suite_bin: &Path, plan: Plan) -> Result<StressReport> {
    let mut report = run_unshrunk(cx, variant, suite_bin, plan)?;
    shrink(cx, suite_bin, &mut report)?;
    Ok(report)
}

fn run_key(cx: &mut Context, variant: &str, suite_bin: &Path, plan: Plan) -> Result<Key> {
    // The limits decide which programs hang; the suite's hash covers the
    // rule's code, these its numbers.
    let mut key = Key::new("stress")
        .text("suite", cx.cache.suite_hash(suite_bin)?)
        .text("variant", variant)
        .text("plan", plan.label())
        .text("limits", RUN_LIMITS)
        .text("rerun limit factor", batches::RERUN_LIMIT_FACTOR);
    for source in GENERATOR_SOURCES {
        key = key.text("generator", source);
    }
    Ok(key)
}

/// Generates, runs and saves one run on one build, without shrinking: what
/// a verdict needs. A run with the same build, suite, seed, count and
/// generator is reused while its folder is intact.
pub fn run_unshrunk(
    cx: &mut Context,
    variant: &str,
    suite_bin: &Path,
    plan: Plan,
) -> Result<StressReport> {
    run_unshrunk_given(cx, variant, suite_bin, plan, None)
}

/// As `run_unshrunk`, on a build beside one whose run of the same plan is
/// `beside`: when the two builds' interpreters are one
/// (`interpreter::compare`), the programs run with the JIT on only, their
/// interpreted outcomes taken from `beside`'s run (`interpreted_file`).
/// A series that fixes the backend leaves the interpreter as it was.
pub fn run_unshrunk_beside(
    cx: &mut Context,
    variant: &str,
    suite_bin: &Path,
    plan: Plan,
    beside: &StressReport,
    beside_suite: &Path,
) -> Result<StressReport> {
    let reference = interpreted_file(beside);
    if beside.plan != plan || !reference.is_file() {
        return run_unshrunk(cx, variant, suite_bin, plan);
    }
    match interpreter::compare(&tree_src(beside_suite), &tree_src(suite_bin))? {
        interpreter::Interpreters::Same { differing } => {
            eprintln!(
                "    {variant}: the interpreted runs are {}'s: of its objects only {} differ, which the interpreter never runs",
                beside.variant,
                if differing.is_empty() {
                    "none".to_owned()
                } else {
                    differing.join(", ")
                }
            );
            run_unshrunk_given(cx, variant, suite_bin, plan, Some(&reference))
        }
        interpreter::Interpreters::Differ(why) => {
            eprintln!("    {variant}: runs its own interpreted runs ({why})");
            run_unshrunk(cx, variant, suite_bin, plan)
        }
    }
}

/// Every program's interpreted outcome in `report`'s run, by the name the
/// suite gives it (what `suite compare --reference` reads), kept beside its
/// programs.
pub fn interpreted_file(report: &StressReport) -> PathBuf {
    interpreted_beside(&report.programs_dir)
}

fn interpreted_beside(programs_dir: &Path) -> PathBuf {
    programs_dir.with_file_name("interpreted.json")
}

/// The source folder of the tree a variant's suite was linked against: a
/// variant keeps its tree beside its suite, target/luajit/NAME/{tree,suite}.
pub fn tree_src(suite_bin: &Path) -> PathBuf {
    suite_bin.with_file_name("tree").join("src")
}

fn run_unshrunk_given(
    cx: &mut Context,
    variant: &str,
    suite_bin: &Path,
    plan: Plan,
    reference: Option<&Path>,
) -> Result<StressReport> {
    let key = run_key(cx, variant, suite_bin, plan)?;
    let what = format!("{variant}: stress programs {}", plan.label());
    // The journal of an unfinished run is named by the same key as its result.
    let journal_key = key.hex();
    let report = cached_if(
        cx,
        &what,
        key,
        |report: &StressReport| {
            report.programs_dir.is_dir()
                && interpreted_file(report).is_file()
                && report.findings.iter().all(|f| f.dir.is_dir())
        },
        |cx| run_uncached(cx, variant, suite_bin, reference, plan, &journal_key),
    )?;
    // Stored in the cache now: the journal has nothing left to resume.
    journal::remove(&batches::journal_path(&run_home(cx, suite_bin, plan)))?;
    Ok(report)
}

fn run_uncached(
    cx: &mut Context,
    variant: &str,
    suite_bin: &Path,
    reference: Option<&Path>,
    plan: Plan,
    journal_key: &str,
) -> Result<StressReport> {
    let started = Instant::now();
    let home = run_home(cx, suite_bin, plan);
    let programs_dir = home.join("programs");
    let programs = write_programs(&programs_dir, plan)?;
    eprintln!(
        "==> {variant}: running {} stress programs ({}) with the JIT on and off",
        programs.len(),
        plan.label()
    );
    let batches::Ran {
        comparisons,
        run_seconds,
        resumed_seconds,
    } = batches::run(
        cx,
        variant,
        batches::Runner {
            bin: suite_bin,
            reference,
        },
        &home,
        &programs,
        journal_key,
        RUN_LIMITS,
    )?;
    let interpreted: BTreeMap<&str, &Outcome> = comparisons
        .iter()
        .map(|c| (c.name.as_str(), &c.interpreter))
        .collect();
    let interpreted_path = interpreted_beside(&programs_dir);
    fs::write(&interpreted_path, serde_json::to_string(&interpreted)?)
        .with_context(|| format!("cannot write {}", interpreted_path.display()))?;
    let traces = comparisons.iter().filter_map(|c| c.jit.traces).sum();
    let mut held: BTreeMap<String, u64> = Default::default();
    for comparison in &comparisons {
        for (opcode, count) in &comparison.jit.ir_ops {
            *held.entry(opcode.clone()).or_default() += count;
        }
    }
    let reach = reach::table(&reach::lso_opcodes(&tree_src(suite_bin))?, &held);
    let unreached = reach::missed(&reach);
    let first_finding_seconds = comparisons
        .iter()
        .position(|c| c.difference().is_some())
        .map(|last| {
            comparisons[..=last]
                .iter()
                .map(|c| (c.jit.millis + c.interpreter.millis) as f64 / 1000.0)
                .sum::<f64>()
        });

    let findings_dir = home.join("findings");
    reset_dir(&findings_dir)?;
    let mut findings = Vec::new();
    // The comparisons come in the programs' order, which is run order.
    for (Written { index, program, .. }, comparison) in programs.iter().zip(&comparisons) {
        let (Some(kind), Some(difference)) = (difference_kind(comparison), comparison.difference())
        else {
            continue;
        };
        let dir = findings_dir.join(format!("program-{}", seed_text(program.seed)));
        fs::create_dir_all(&dir)?;
        fs::write(dir.join("program.lua"), program.render())?;
        fs::write(
            dir.join("finding.json"),
            serde_json::to_string_pretty(comparison)?,
        )?;
        eprintln!(
            "    finding: program seed {}: {difference}",
            seed_text(program.seed)
        );
        findings.push(Finding {
            index: *index,
            program_seed: program.seed,
            kind,
            difference,
            jit_settings: program.settings.clone(),
            dir,
            took_millis: comparison.jit.millis.max(comparison.interpreter.millis),
            shrunk: None,
            attribution: None,
        });
    }
    Ok(StressReport {
        variant: variant.to_owned(),
        programs_dir,
        plan,
        programs: programs.len() as u32,
        traces,
        reach,
        unreached,
        findings,
        run_seconds,
        first_finding_seconds,
        // The whole run's, as `run_seconds` is, when it was resumed.
        seconds: resumed_seconds + started.elapsed().as_secs_f64(),
    })
}

/// The normalised difference of a finding: its kind and its text with
/// numbers and addresses taken out (half of what makes its bucket).
pub fn signature(finding: &Finding) -> String {
    let mut text = String::new();
    let mut in_number = false;
    for c in finding.difference.chars() {
        if c.is_ascii_hexdigit() && (in_number || c.is_ascii_digit()) || (in_number && c == 'x') {
            if !in_number {
                text.push('N');
            }
            in_number = true;
        } else {
            in_number = false;
            text.push(c);
        }
    }
    format!("{}: {text}", finding.kind)
}

/// Shrinks the first finding of each bucket in `report` (attribute the
/// findings first, or buckets are signatures alone), within the time
/// budgets, which are shared out so that every bucket gets its turn; the
/// rest are kept as found, and a bucket that has a shrunk finding already
/// (one `adopt_shrunk` gave it) keeps that one. A program's candidates get
/// a time limit of ten times what the original took, within the floor and
/// the ceiling of the run's JIT limit (2 s and 20 s), and their JIT runs
/// the run's rule within that. Reused when the run, the buckets and the
/// shrinker are the same.
pub fn shrink(cx: &mut Context, suite_bin: &Path, report: &mut StressReport) -> Result<()> {
    let mut key = run_key(cx, &report.variant, suite_bin, report.plan)?.text("shrunk", "");
    for finding in &report.findings {
        let (signature, fixed_by) = bucket_key(finding);
        key = key
            .text("bucket", signature)
            .text("fixed by", fixed_by.unwrap_or_default())
            .text("shrunk already", finding.shrunk.is_some());
    }
    let what = format!(
        "{}: shrinking the findings of {} stress programs (seed {})",
        report.variant,
        report.programs,
        report.plan.label()
    );
    let findings = report.findings.clone();
    let shrunk: Vec<Option<Shrunk>> = cached_if(
        cx,
        &what,
        key,
        |shrunk: &Vec<Option<Shrunk>>| {
            shrunk.len() == findings.len() && shrunk.iter().flatten().all(|s| s.path.is_file())
        },
        |cx| shrink_findings(cx, &report.variant, suite_bin, &findings),
    )?;
    for (finding, shrunk) in report.findings.iter_mut().zip(shrunk) {
        if shrunk.is_some() {
            finding.shrunk = shrunk;
        }
    }
    Ok(())
}

/// The rules a program's runs follow outside a whole stress run (the
/// limits and the second try of `compare_with_second_tries`), for the
/// cache keys of results that depend on them.
pub fn run_rules() -> String {
    format!(
        "{RUN_LIMITS}; a JIT run that runs out tried again with {} times its limit",
        batches::RERUN_LIMIT_FACTOR
    )
}

/// Runs `sources` on `suite_bin` with the JIT off and on, spread over the
/// cores, under the rules of a stress run (`compare_with_second_tries`).
/// Results in the order of `sources`; `work` is a scratch folder.
pub(crate) fn run_sources(
    cx: &mut Context,
    suite_bin: &Path,
    work: &Path,
    sources: &[&str],
) -> Result<Vec<Comparison>> {
    let name = |place: usize| format!("s{place:07}");
    reset_dir(work)?;
    for (place, source) in sources.iter().enumerate() {
        fs::write(work.join(format!("{}.lua", name(place))), source)?;
    }
    let mut results: Vec<Option<Comparison>> = vec![None; sources.len()];
    for comparison in compare_with_second_tries(cx, suite_bin, work)? {
        let place = comparison
            .name
            .strip_prefix('s')
            .map(|n| n.strip_suffix(".lua").unwrap_or(n))
            .and_then(|n| n.parse::<usize>().ok());
        if let Some(place) = place.filter(|&p| p < results.len()) {
            results[place] = Some(comparison);
        }
    }
    let _ = fs::remove_dir_all(work);
    let missing = results.iter().filter(|r| r.is_none()).count();
    if missing > 0 {
        bail!(
            "the suite reported {} of the {} programs in {}",
            sources.len() - missing,
            sources.len(),
            work.display()
        );
    }
    Ok(results.into_iter().flatten().collect())
}

/// Runs the programs of `dir` on `suite_bin` with the JIT off and on under
/// the rules of a stress run: `RUN_LIMITS`, and those whose JIT run ran
/// out of time run again with `batches::RERUN_LIMIT_FACTOR` times the
/// JIT's limit before their hang counts, so that a busy machine does not
/// make a slow program a finding (or a mutant's kill, or a find).
pub(crate) fn compare_with_second_tries(
    cx: &mut Context,
    suite_bin: &Path,
    dir: &Path,
) -> Result<Vec<Comparison>> {
    compare_with_second_tries_given(cx, suite_bin, dir, None)
}

/// As `compare_with_second_tries`, the programs' interpreted outcomes taken
/// from `reference` where it has them (see `suite::run_compare_with_reference`).
pub(crate) fn compare_with_second_tries_given(
    cx: &mut Context,
    suite_bin: &Path,
    dir: &Path,
    reference: Option<&Path>,
) -> Result<Vec<Comparison>> {
    let compare = |cx: &mut Context, dir: &Path, limits| match reference {
        Some(reference) => suite::run_compare_with_reference(cx, suite_bin, dir, limits, reference),
        None => suite::run_compare(cx, suite_bin, dir, limits),
    };
    let mut comparisons = compare(cx, dir, RUN_LIMITS)?;
    let slow: Vec<usize> = (0..comparisons.len())
        .filter(|&k| batches::jit_ran_out(&comparisons[k]))
        .collect();
    if slow.is_empty() {
        return Ok(comparisons);
    }
    let again = dir.join("again");
    reset_dir(&again)?;
    for &k in &slow {
        let file = program_file(dir, &comparisons[k].name)?;
        fs::copy(&file, again.join(file.file_name().expect("a file")))
            .with_context(|| format!("cannot copy {}", file.display()))?;
    }
    let limits = RUN_LIMITS.rerun(batches::RERUN_LIMIT_FACTOR);
    eprintln!(
        "    {} of them ran out of the JIT's limit; run again with {limits}",
        slow.len()
    );
    for second in compare(cx, &again, limits)? {
        if let Some(first) = comparisons.iter_mut().find(|c| c.name == second.name) {
            *first = second;
        }
    }
    let _ = fs::remove_dir_all(&again);
    Ok(comparisons)
}

/// The file in `dir` the suite reported as `name` (with or without `.lua`).
fn program_file(dir: &Path, name: &str) -> Result<PathBuf> {
    let file = dir.join(name);
    if file.is_file() {
        return Ok(file);
    }
    let with_extension = dir.join(format!("{name}.lua"));
    if with_extension.is_file() {
        return Ok(with_extension);
    }
    bail!(
        "the suite reported {name}, which is not a program in {}",
        dir.display()
    )
}

/// Gives each bucket of `report` without a shrunk finding the shrunk
/// program that `from` (another variant's run of the same plan) has for
/// one of the bucket's programs, when it shows the bucket's kind of
/// difference on this variant too: a defect both trees have is shrunk
/// once. The programs are run on `suite_bin` to check that.
pub fn adopt_shrunk(
    cx: &mut Context,
    suite_bin: &Path,
    report: &mut StressReport,
    from: &StressReport,
) -> Result<()> {
    if from.plan != report.plan {
        return Ok(());
    }
    let offers: Vec<(usize, Shrunk)> = buckets(&report.findings)
        .iter()
        .filter(|bucket| bucket.shrunk.is_none())
        .filter_map(|bucket| {
            bucket.findings.iter().find_map(|&place| {
                let seed = report.findings[place].program_seed;
                from.findings
                    .iter()
                    .find(|f| f.program_seed == seed)
                    .and_then(|f| f.shrunk.clone())
                    .map(|shrunk| (place, shrunk))
            })
        })
        .collect();
    if offers.is_empty() {
        return Ok(());
    }
    let mut key =
        Key::new("adopted shrunk programs").text("suite", cx.cache.suite_hash(suite_bin)?);
    for source in GENERATOR_SOURCES {
        key = key.text("rules", source);
    }
    for (_, shrunk) in &offers {
        key = key.text("program", &shrunk.source);
    }
    let work = report.programs_dir.with_file_name("adopted");
    let what = format!(
        "{}: {} shrunk programs of {} run here",
        report.variant,
        offers.len(),
        from.variant
    );
    let results: Vec<Comparison> = cached_if(
        cx,
        &what,
        key,
        |results: &Vec<Comparison>| results.len() == offers.len(),
        |cx| {
            let timer = crate::pipeline::step(&what);
            let sources: Vec<&str> = offers.iter().map(|(_, s)| s.source.as_str()).collect();
            let results = run_sources(cx, suite_bin, &work, &sources)?;
            timer.done();
            Ok(results)
        },
    )?;
    for ((place, shrunk), result) in offers.into_iter().zip(results) {
        let finding = &mut report.findings[place];
        let kind = difference_kind(&result);
        if kind != Some(finding.kind) {
            continue;
        }
        let path = finding.dir.join("shrunk.lua");
        fs::write(&path, &shrunk.source)
            .with_context(|| format!("cannot write {}", path.display()))?;
        finding.shrunk = Some(Shrunk {
            path,
            lines: shrunk.lines,
            kind,
            difference: result.difference().unwrap_or_default(),
            source: shrunk.source,
            // Its trace through the series was made for the other run's
            // report; this run's report does not show one.
            attribution: None,
            families: shrunk.families,
        });
    }
    Ok(())
}

fn shrink_findings(
    cx: &mut Context,
    variant: &str,
    suite_bin: &Path,
    findings: &[Finding],
) -> Result<Vec<Option<Shrunk>>> {
    let started = Instant::now();
    let chosen: Vec<usize> = buckets(findings)
        .iter()
        .filter(|b| b.shrunk.is_none())
        .filter_map(|b| b.findings.first().copied())
        .filter(|&place| findings[place].kind != Kind::FailsWithoutJit)
        .collect();
    let mut shrunk: Vec<Option<Shrunk>> = vec![None; findings.len()];
    for (turn, &place) in chosen.iter().enumerate() {
        let finding = &findings[place];
        let left = SHRINK_BUDGET_PER_RUN.saturating_sub(started.elapsed());
        // An equal share of what is left, so a slow bucket cannot starve the others.
        let share = (left / (chosen.len() - turn) as u32).max(SHRINK_FLOOR_PER_BUCKET);
        // A candidate that hangs is judged as the run judged the original:
        // its JIT run by the run's rule, and never later than the rule's
        // ceiling; the time limit of its runs is ten times what the
        // original took, within the rule's floor and ceiling.
        let rule = RUN_LIMITS.jit;
        let timeout =
            Duration::from_millis(10 * finding.took_millis).clamp(rule.floor, rule.ceiling);
        let limits = Limits {
            interpreter: timeout,
            jit: JitLimit {
                ceiling: timeout,
                ..rule
            },
        };
        let program = generate::program(finding.program_seed);
        let timer = crate::pipeline::step(format!(
            "{variant}: shrinking bucket {} of {} (program seed {}, {} lines)",
            turn + 1,
            chosen.len(),
            seed_text(finding.program_seed),
            program.render().lines().count()
        ));
        shrunk[place] = Some(shrink_finding(
            cx,
            suite_bin,
            &program,
            finding.kind,
            &finding.dir,
            limits,
            share.min(SHRINK_BUDGET_PER_FINDING),
        )?);
        let lines = shrunk[place].as_ref().map_or(0, |s| s.lines);
        eprintln!("    shrunk to {lines} lines");
        timer.done();
    }
    Ok(shrunk)
}

fn shrink_finding(
    cx: &mut Context,
    suite_bin: &Path,
    program: &Program,
    kind: Kind,
    dir: &Path,
    limits: Limits,
    budget: Duration,
) -> Result<Shrunk> {
    let work = dir.join("shrinking");
    let started = Instant::now();
    let mut round = 0;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let small = shrink::shrink(program, |candidates| {
        // The shrinker takes the first candidate that still fails, so the
        // candidates are run a few per core at a time, in order, and the
        // rest are left once one fails: a step costs one small round when
        // the big cuts work, which early on they mostly do.
        let per_round = 2 * cores;
        let mut verdicts = vec![false; candidates.len()];
        for (group, chosen) in candidates.chunks(per_round).enumerate() {
            let left = budget.saturating_sub(started.elapsed());
            if left.is_zero() {
                // Out of time: what is not run does not count, so the
                // smallest so far stands.
                break;
            }
            // A round runs to its end, so it gets only as many candidates
            // as can time out within what is left (at least one): a slow
            // program's round cannot overrun the budget by minutes.
            let longest = limits.interpreter.max(limits.jit.ceiling);
            let fit =
                ((left.as_secs_f64() / longest.as_secs_f64()) * cores as f64).floor() as usize;
            let tried = chosen.len().min(fit.max(1));
            round += 1;
            let batch = work.join(format!("round-{round:03}"));
            reset_dir(&batch)?;
            let first = group * per_round;
            for (index, candidate) in chosen[..tried].iter().enumerate() {
                fs::write(
                    batch.join(format!("c{:04}.lua", first + index)),
                    candidate.render(),
                )?;
            }
            let results = suite::run_compare(cx, suite_bin, &batch, limits)?;
            let mut found = false;
            for (index, comparison) in results.iter().enumerate() {
                let fails = difference_kind(comparison) == Some(kind);
                verdicts[first + index] = fails;
                found |= fails;
            }
            if found || tried < chosen.len() {
                break;
            }
        }
        Ok(verdicts)
    })?;
    let _ = fs::remove_dir_all(&work);
    let source = small.render();
    let path = dir.join("shrunk.lua");
    fs::write(&path, &source)?;
    // Run the result once more on its own, for the difference it shows.
    let single = dir.join("shrunk-check");
    reset_dir(&single)?;
    fs::write(single.join("shrunk.lua"), &source)?;
    let check = suite::run_compare(cx, suite_bin, &single, limits)?;
    let _ = fs::remove_dir_all(&single);
    let difference = check
        .first()
        .and_then(Comparison::difference)
        .unwrap_or_else(|| "no longer differs".to_owned());
    Ok(Shrunk {
        path,
        lines: source.lines().count(),
        kind: check.first().and_then(difference_kind),
        difference,
        source,
        attribution: None,
        families: small.families(),
    })
}

pub(super) fn reset_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// For each upstream issue, whether some finding is fixed by the patch naming it.
pub fn carried_found(report: &StressReport, carried: &[String]) -> Vec<(String, bool)> {
    carried
        .iter()
        .map(|issue| {
            let found = report.findings.iter().any(|f| {
                f.attribution
                    .as_ref()
                    .is_some_and(|a| a.fixes.contains(issue))
            });
            (issue.clone(), found)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_generator_is_in_its_key() {
        // A family left out of the key would let a changed generator reuse
        // the cached runs and verdicts of the one before it.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pipeline/program");
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                GENERATOR_SOURCES.contains(&text.as_str()),
                "{} is not in GENERATOR_SOURCES",
                path.display()
            );
        }
    }

    #[test]
    fn shards_split_a_run_into_disjoint_shares() {
        let shards: Vec<Shard> = ["1/3", "2/3", "3/3"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        for place in 0..30 {
            assert_eq!(shards.iter().filter(|s| s.takes(place)).count(), 1);
        }
        for bad in ["0/2", "3/2", "1", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    use crate::pipeline::testing::finding;

    fn run(shard: Shard, findings: Vec<Finding>, traces: u64) -> StressReport {
        StressReport {
            variant: "baseline".to_owned(),
            programs_dir: PathBuf::from("programs"),
            plan: Plan {
                seed: 1,
                count: 10,
                shard,
            },
            programs: 5,
            traces,
            reach: vec![reach::Reach {
                opcode: "TBAR".to_owned(),
                traces: traces / 10,
            }],
            unreached: Vec::new(),
            findings,
            run_seconds: 1.0,
            first_finding_seconds: Some(0.5),
            seconds: 2.0,
        }
    }

    fn attributed(index: usize, difference: &str, fixed_by: Option<&str>) -> Finding {
        Finding {
            difference: difference.to_owned(),
            attribution: Some(Replay {
                steps: Vec::new(),
                fixed_by: fixed_by.map(str::to_owned),
                fixes: Vec::new(),
            }),
            ..finding(index)
        }
    }

    #[test]
    fn buckets_are_signature_and_patch() {
        let findings = vec![
            attributed(0, "got function: 0x5502c3bbb8 at 12", Some("0002")),
            attributed(1, "got function: 0x55aa000010 at 7", Some("0002")),
            // The same text fixed by another patch is another defect.
            attributed(2, "got function: 0x5502c3bbb8 at 12", Some("0001")),
            attributed(3, "other text", Some("0002")),
        ];
        let buckets = buckets(&findings);
        let shape: Vec<(Option<&str>, Vec<usize>)> = buckets
            .iter()
            .map(|b| (b.fixed_by.as_deref(), b.findings.clone()))
            .collect();
        assert_eq!(
            shape,
            [
                (Some("0002"), vec![0, 1]),
                (Some("0001"), vec![2]),
                (Some("0002"), vec![3])
            ]
        );
        assert_eq!(buckets[0].signature, "crash: got function: N at N");
    }

    #[test]
    fn seeds_read_back_as_written() {
        for seed in [0, 1, 0x47a9, u64::MAX] {
            assert_eq!(parse_seed(&seed_text(seed)), Ok(seed));
        }
        assert_eq!(parse_seed("31"), Ok(31));
        assert!(parse_seed("0xg").is_err());
        let json = serde_json::to_string(&Plan::whole(u64::MAX, 3)).unwrap();
        assert!(json.contains("\"seed\":\"0xffffffffffffffff\""), "{json}");
        let back: Plan = serde_json::from_str(&json).unwrap();
        assert_eq!(back.seed, u64::MAX);
    }

    #[test]
    fn merged_shards_give_the_whole_run() {
        let first = Shard { index: 1, of: 2 };
        let second = Shard { index: 2, of: 2 };
        let merged = merge(vec![
            run(second, vec![finding(3), finding(9)], 200),
            run(first, vec![finding(4)], 100),
        ])
        .unwrap();
        assert_eq!(merged.plan, Plan::whole(1, 10));
        assert_eq!((merged.programs, merged.traces), (10, 300));
        assert_eq!(merged.reach[0].traces, 30);
        let order: Vec<usize> = merged.findings.iter().map(|f| f.index).collect();
        assert_eq!(order, [3, 4, 9]);
    }

    #[test]
    fn a_missing_or_repeated_shard_is_an_error() {
        let first = Shard { index: 1, of: 2 };
        assert!(merge(vec![run(first, Vec::new(), 1)]).is_err());
        assert!(merge(vec![run(first, Vec::new(), 1), run(first, Vec::new(), 1)]).is_err());
    }
}
