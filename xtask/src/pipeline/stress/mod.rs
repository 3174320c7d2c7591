//! Stress runs: seeded programs run with the JIT on and off in one build,
//! every difference a finding, saved with its seed and shrunk to a small
//! reproducer.

pub mod expr;
pub mod generate;
mod print;
pub mod reach;
pub mod shrink;
pub mod tables;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use super::cache::{Key, cached_if};
use super::suite::outcome::{Comparison, Status};
use super::{Context, suite};
use generate::{Program, Rng};
pub use print::print;

/// Programs in a default run: enough for about 2,000 traces per build.
pub const DEFAULT_COUNT: u32 = 300;
pub const DEFAULT_SEED: u64 = 1;
/// The time limit of a program in a run, in seconds.
pub const RUN_TIMEOUT: f64 = 20.0;
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
/// and the shrinker's own source.
const GENERATOR_SOURCES: [&str; 6] = [
    include_str!("generate.rs"),
    include_str!("expr.rs"),
    include_str!("tables.rs"),
    include_str!("shrink.rs"),
    include_str!("reach.rs"),
    include_str!("mod.rs"),
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

/// A seed as it is written everywhere (reports, folder names, program
/// headers, JSON): lower-case hex with `0x`. JSON numbers above 2^53 lose
/// digits in JavaScript and jq, so JSON carries this string too.
pub fn seed_text(seed: u64) -> String {
    format!("{seed:#x}")
}

/// A seed from the command line: hex with `0x`, as seeds are written, or decimal.
pub fn parse_seed(text: &str) -> std::result::Result<u64, String> {
    let text = text.trim();
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("`{text}` is not a seed: give hex (0x1f) or decimal (31)"))
}

/// Serde for seeds: `seed_text` out, `seed_text` or a plain number in.
pub mod hex_seed {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(seed: &u64, out: S) -> Result<S::Ok, S::Error> {
        out.serialize_str(&super::seed_text(*seed))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            Number(u64),
        }
        match Either::deserialize(input)? {
            Either::Number(seed) => Ok(seed),
            Either::Text(text) => super::parse_seed(&text).map_err(serde::de::Error::custom),
        }
    }
}

/// The seeds of a run's programs, drawn from the run's seed.
pub fn program_seeds(seed: u64, count: u32) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    (0..count).map(|_| rng.next()).collect()
}

/// Which programs a run takes: the first `count` of `seed`, all of them or
/// one shard's share, so that runs can be split over machines and merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    #[serde(with = "hex_seed")]
    pub seed: u64,
    pub count: u32,
    pub shard: Shard,
}

/// Shard `index` of `of` (1-based) takes every program whose place in the
/// run is `index - 1` modulo `of`: a deterministic share, the same on every
/// machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub of: u32,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 1, of: 1 };

    pub fn takes(self, place: usize) -> bool {
        place % self.of as usize == (self.index - 1) as usize
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Shard, String> {
        let bad = || format!("--shard {text}: give K/N with 1 <= K <= N, e.g. 2/4");
        let (index, of) = text.split_once('/').ok_or_else(bad)?;
        let (index, of): (u32, u32) = (
            index.trim().parse().map_err(|_| bad())?,
            of.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || of == 0 || index > of {
            return Err(bad());
        }
        Ok(Shard { index, of })
    }
}

impl Plan {
    pub fn whole(seed: u64, count: u32) -> Plan {
        Plan {
            seed,
            count,
            shard: Shard::WHOLE,
        }
    }

    /// The folder name of the run: `seed-0xS-count-N`, plus `-shard-K-of-M`.
    pub fn label(&self) -> String {
        let mut label = format!("seed-{}-count-{}", seed_text(self.seed), self.count);
        if self.shard != Shard::WHOLE {
            label.push_str(&format!("-shard-{}-of-{}", self.shard.index, self.shard.of));
        }
        label
    }
}

/// A program written for a run.
pub struct Written {
    /// Its place in the whole run.
    pub index: usize,
    pub path: PathBuf,
    pub program: Program,
}

/// Writes the programs of `plan` into a fresh `dir`, named by their place in
/// the whole run (`p00000.lua`, ...).
pub fn write_programs(dir: &Path, plan: Plan) -> Result<Vec<Written>> {
    reset_dir(dir)?;
    let mut written = Vec::new();
    for (index, program_seed) in program_seeds(plan.seed, plan.count).into_iter().enumerate() {
        if !plan.shard.takes(index) {
            continue;
        }
        let program = generate::program(program_seed);
        let path = dir.join(format!("p{index:05}.lua"));
        fs::write(&path, program.render())
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(Written {
            index,
            path,
            program,
        });
    }
    Ok(written)
}

/// How a program's run with the JIT differs from its run without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// The JIT run was killed by a signal.
    #[serde(rename = "crash")]
    Crash,
    /// The JIT run ran out of time.
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
            Kind::Timeout => "timeout",
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
    let mut key = Key::new("stress")
        .text("suite", cx.cache.suite_hash(suite_bin)?)
        .text("variant", variant)
        .text("plan", plan.label());
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
    let key = run_key(cx, variant, suite_bin, plan)?;
    let what = format!("{variant}: stress programs {}", plan.label());
    cached_if(
        cx,
        &what,
        key,
        |report: &StressReport| {
            report.programs_dir.is_dir() && report.findings.iter().all(|f| f.dir.is_dir())
        },
        |cx| run_uncached(cx, variant, suite_bin, plan),
    )
}

fn run_uncached(
    cx: &mut Context,
    variant: &str,
    suite_bin: &Path,
    plan: Plan,
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
    let run_started = Instant::now();
    let comparisons = suite::run_compare(cx, suite_bin, &programs_dir, RUN_TIMEOUT)?;
    let run_seconds = run_started.elapsed().as_secs_f64();
    let traces = comparisons.iter().filter_map(|c| c.jit.traces).sum();
    let mut held: std::collections::BTreeMap<String, u64> = Default::default();
    for comparison in &comparisons {
        for (opcode, count) in &comparison.jit.ir_ops {
            *held.entry(opcode.clone()).or_default() += count;
        }
    }
    // A variant keeps its tree beside its suite: target/luajit/NAME/{tree,suite}.
    let tree_src = suite_bin.with_file_name("tree").join("src");
    let reach = reach::table(&reach::lso_opcodes(&tree_src)?, &held);
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
    // The suite reports the programs in file-name order, which is run order.
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
        seconds: started.elapsed().as_secs_f64(),
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
/// rest are kept as found. A program's candidates get a time limit of ten
/// times what the original took, at least 2 s and at most the run's 20 s.
/// Reused when the run, the buckets and the shrinker are the same.
pub fn shrink(cx: &mut Context, suite_bin: &Path, report: &mut StressReport) -> Result<()> {
    let mut key = run_key(cx, &report.variant, suite_bin, report.plan)?.text("shrunk", "");
    for finding in &report.findings {
        let (signature, fixed_by) = bucket_key(finding);
        key = key
            .text("bucket", signature)
            .text("fixed by", fixed_by.unwrap_or_default());
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
        |cx| shrink_findings(cx, suite_bin, &findings),
    )?;
    for (finding, shrunk) in report.findings.iter_mut().zip(shrunk) {
        finding.shrunk = shrunk;
    }
    Ok(())
}

fn shrink_findings(
    cx: &mut Context,
    suite_bin: &Path,
    findings: &[Finding],
) -> Result<Vec<Option<Shrunk>>> {
    let started = Instant::now();
    let chosen: Vec<usize> = buckets(findings)
        .iter()
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
        // at the run's time limit, never later.
        let timeout = (10.0 * finding.took_millis as f64 / 1000.0).clamp(2.0, RUN_TIMEOUT);
        let program = generate::program(finding.program_seed);
        shrunk[place] = Some(shrink_finding(
            cx,
            suite_bin,
            &program,
            finding.kind,
            &finding.dir,
            timeout,
            share.min(SHRINK_BUDGET_PER_FINDING),
        )?);
    }
    Ok(shrunk)
}

fn shrink_finding(
    cx: &mut Context,
    suite_bin: &Path,
    program: &Program,
    kind: Kind,
    dir: &Path,
    timeout: f64,
    budget: Duration,
) -> Result<Shrunk> {
    let work = dir.join("shrinking");
    let started = Instant::now();
    let mut round = 0;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let small = shrink::shrink(program, |candidates| {
        let left = budget.saturating_sub(started.elapsed());
        if left.is_zero() {
            // Out of time: no candidate counts, so the smallest so far stands.
            return Ok(vec![false; candidates.len()]);
        }
        // A round runs to its end, so it gets only as many candidates as
        // can time out within what is left (at least one): a slow program's
        // round cannot overrun the budget by minutes.
        let fit = ((left.as_secs_f64() / timeout) * cores as f64).floor() as usize;
        let tried = candidates.len().min(fit.max(1));
        round += 1;
        let batch = work.join(format!("round-{round:02}"));
        reset_dir(&batch)?;
        for (index, candidate) in candidates[..tried].iter().enumerate() {
            fs::write(batch.join(format!("c{index:03}.lua")), candidate.render())?;
        }
        let results = suite::run_compare(cx, suite_bin, &batch, timeout)?;
        let mut verdicts: Vec<bool> = results
            .iter()
            .map(|c| difference_kind(c) == Some(kind))
            .collect();
        verdicts.resize(candidates.len(), false);
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
    let check = suite::run_compare(cx, suite_bin, &single, timeout)?;
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
    })
}

fn reset_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// Which patch of the series makes a reproducer pass: it is run on every
/// step from the baseline to the patched variant, and the first step where
/// the JIT agrees with the interpreter names the patch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Replay {
    /// Outcome per variant, in series order.
    pub steps: Vec<StepOutcome>,
    /// The patch (file name) after which it passes, if any.
    pub fixed_by: Option<String>,
    /// The upstream issues that patch names.
    pub fixes: Vec<String>,
}

/// A program's outcome on one step of the series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepOutcome {
    pub variant: String,
    /// The difference between the JIT and the interpreter; None when they agree.
    pub difference: Option<String>,
}

/// Attributes every finding of `report` along `chain` (the baseline, each
/// step, the patched variant): the original program, which decides the
/// finding's bucket, and the shrunk program where there is one, so the
/// report can show that shrinking kept the defect. What is attributed
/// already is left as it is.
pub fn attribute_all(
    cx: &mut Context,
    report: &mut StressReport,
    chain: &[(String, &Path)],
    patches: &[(String, Vec<String>)],
) -> Result<()> {
    for finding in &mut report.findings {
        let seed = seed_text(finding.program_seed);
        if finding.attribution.is_none() {
            let original = generate::program(finding.program_seed).render();
            finding.attribution = Some(attribute_cached(
                cx,
                &format!("attribution of stress program {seed}"),
                &original,
                chain,
                patches,
                &finding.dir.join("attribution"),
            )?);
        }
        if let Some(shrunk) = finding.shrunk.as_mut().filter(|s| s.attribution.is_none()) {
            shrunk.attribution = Some(attribute_cached(
                cx,
                &format!("attribution of the shrunk stress program {seed}"),
                &shrunk.source.clone(),
                chain,
                patches,
                &finding.dir.join("attribution-shrunk"),
            )?);
        }
    }
    Ok(())
}

fn attribute_cached(
    cx: &mut Context,
    what: &str,
    source: &str,
    chain: &[(String, &Path)],
    patches: &[(String, Vec<String>)],
    work: &Path,
) -> Result<Replay> {
    let mut key = Key::new("attribution").text("reproducer", source);
    for (name, suite_bin) in chain {
        key = key
            .text("step", name)
            .text("suite", cx.cache.suite_hash(suite_bin)?);
    }
    for (name, fixes) in patches {
        key = key.text("patch", name).text("fixes", fixes.join(","));
    }
    cached_if(
        cx,
        what,
        key,
        |_| true,
        |cx| attribute(cx, source, chain, patches, work),
    )
}

fn attribute(
    cx: &mut Context,
    source: &str,
    variants: &[(String, &Path)],
    patches: &[(String, Vec<String>)],
    work: &Path,
) -> Result<Replay> {
    reset_dir(work)?;
    fs::write(work.join("reproducer.lua"), source)?;
    let mut steps = Vec::new();
    for (name, suite_bin) in variants {
        let result = suite::run_compare(cx, suite_bin, work, RUN_TIMEOUT)?;
        steps.push(StepOutcome {
            variant: name.clone(),
            difference: result.first().and_then(Comparison::difference),
        });
    }
    let _ = fs::remove_dir_all(work);
    // Step k (k >= 1) is the tree after patch k.
    let fixed_at = steps
        .iter()
        .position(|step| step.difference.is_none())
        .filter(|&k| k > 0);
    let (fixed_by, fixes) = match fixed_at.and_then(|k| patches.get(k - 1)) {
        Some((name, fixes)) => (Some(name.clone()), fixes.clone()),
        None => (None, Vec::new()),
    };
    Ok(Replay {
        steps,
        fixed_by,
        fixes,
    })
}

/// A run on the baseline and the patched variant, with the baseline's
/// findings traced through `steps` to the patch that fixes them, then one
/// finding of each bucket (signature and patch) shrunk and traced again.
pub fn run_pair(
    cx: &mut Context,
    pair: &super::variants::Pair,
    steps: &[(String, super::variants::Variant)],
    plan: Plan,
) -> Result<(StressReport, StressReport)> {
    let mut baseline = run_unshrunk(cx, super::variants::BASELINE, &pair.baseline.suite, plan)?;
    let patched = run(cx, super::variants::PATCHED, &pair.patched.suite, plan)?;
    let mut chain: Vec<(String, &Path)> = vec![(
        super::variants::BASELINE.to_owned(),
        pair.baseline.suite.as_path(),
    )];
    chain.extend(
        steps
            .iter()
            .map(|(name, variant)| (name.clone(), variant.suite.as_path())),
    );
    chain.push((
        super::variants::PATCHED.to_owned(),
        pair.patched.suite.as_path(),
    ));
    let patches: Vec<(String, Vec<String>)> = pair
        .series
        .patches
        .iter()
        .map(|p| (p.name.clone(), p.fixes.clone()))
        .collect();
    attribute_all(cx, &mut baseline, &chain, &patches)?;
    shrink(cx, &pair.baseline.suite, &mut baseline)?;
    attribute_all(cx, &mut baseline, &chain, &patches)?;
    Ok((baseline, patched))
}

/// Combines the runs of the shards of one plan on one variant into the
/// run the whole plan gives: its findings in run order, its traces and
/// reach summed. Every shard must be there once.
pub fn merge(mut shards: Vec<StressReport>) -> Result<StressReport> {
    let Some(first) = shards.first() else {
        anyhow::bail!("nothing to merge");
    };
    let (variant, seed, count, of) = (
        first.variant.clone(),
        first.plan.seed,
        first.plan.count,
        first.plan.shard.of,
    );
    for shard in &shards {
        if shard.variant != variant || shard.plan.seed != seed || shard.plan.count != count {
            anyhow::bail!(
                "cannot merge {} ({}) with {variant} (seed-{seed}-count-{count}): another variant or plan",
                shard.variant,
                shard.plan.label()
            );
        }
    }
    shards.sort_by_key(|s| s.plan.shard.index);
    let indices: Vec<u32> = shards.iter().map(|s| s.plan.shard.index).collect();
    if shards.iter().any(|s| s.plan.shard.of != of) || indices != (1..=of).collect::<Vec<_>>() {
        anyhow::bail!(
            "{variant}: the shards given are {indices:?} of {of}; give each of 1..={of} once"
        );
    }
    let mut merged = shards[0].clone();
    merged.plan = Plan::whole(seed, count);
    merged.first_finding_seconds = None;
    let mut held: std::collections::BTreeMap<String, u64> = merged
        .reach
        .iter()
        .map(|r| (r.opcode.clone(), r.traces))
        .collect();
    for shard in &shards[1..] {
        merged.programs += shard.programs;
        merged.traces += shard.traces;
        merged.run_seconds += shard.run_seconds;
        merged.seconds += shard.seconds;
        merged.findings.extend(shard.findings.iter().cloned());
        for reach in &shard.reach {
            *held.entry(reach.opcode.clone()).or_default() += reach.traces;
        }
    }
    let needed: Vec<String> = merged.reach.iter().map(|r| r.opcode.clone()).collect();
    merged.reach = reach::table(&needed, &held);
    merged.unreached = reach::missed(&merged.reach);
    merged.findings.sort_by_key(|f| f.index);
    Ok(merged)
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

    fn finding(index: usize) -> Finding {
        Finding {
            index,
            program_seed: index as u64 * 7,
            kind: Kind::Crash,
            difference: format!("differs {index}"),
            jit_settings: Vec::new(),
            dir: PathBuf::from("findings"),
            took_millis: 5,
            shrunk: None,
            attribution: None,
        }
    }

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
