//! Probes a deployed LuaJIT for aarch64, an executable or a shared library,
//! for the upstream defects the patch series fixes: the regression cases run
//! on it as scripts, a short stress sample runs with the JIT on and off, and
//! each issue is judged from what happened. Nothing is rebuilt: the binary
//! under test is the one given. Its randomness is pinned (`entropy`) and it
//! runs against an aarch64 root it can run in (`sysroot`), so that probing
//! it twice gives the same answer or a plain reason why it cannot run.

pub mod elf;
pub mod entropy;
pub mod exec;
pub mod judge;
pub mod render;
pub mod shared;
pub mod sysroot;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde::Serialize;

use super::patch::Series;
use super::stress::{self, write_programs};
use super::suite::outcome::{CaseResult, Comparison, Outcome, Status};
use super::{Context, step};
use elf::Kind;
use entropy::Entropy;
use exec::Runner;
use judge::{IssueFinding, StressSample};
use sysroot::{Origin, Sysroot};

pub use contract::case;

/// Time limit of one case; the suite gives cases the same.
const CASE_TIMEOUT: Duration = Duration::from_secs(60);
/// Time limit of one stress program run; `stress` gives them the same.
const PROGRAM_TIMEOUT: Duration = Duration::from_secs(20);
/// Stress programs in a probe: a sample, not a stress run.
pub const DEFAULT_COUNT: u32 = 40;
/// Printed by driver.lua before a program's result, unlikely in program output.
const RESULT_MARKER: &str = "--probe-result-7f3c--";

#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    pub path: PathBuf,
    pub kind: Kind,
    /// `jit.version`, e.g. `LuaJIT 2.1.0-beta3`.
    pub version: String,
    pub arch: String,
    /// `jit.status()`: whether the JIT compiler is on.
    pub jit_on: bool,
}

/// What to probe with, besides the binary.
#[derive(Debug, Clone)]
pub struct Options {
    /// Folders searched for the libraries the binary needs, first.
    pub library_path: Vec<PathBuf>,
    /// The aarch64 root to run in under QEMU instead of the cross toolchain's.
    pub sysroot: Option<PathBuf>,
    /// Stress programs to run.
    pub count: u32,
}

impl Options {
    pub fn new(count: u32) -> Options {
        Options {
            library_path: Vec::new(),
            sysroot: None,
            count,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    pub target: Identity,
    /// How it ran: natively or under QEMU, and the folders added to the library path.
    pub execution: String,
    pub library_path: Vec<PathBuf>,
    /// The aarch64 root it ran in under QEMU (`-L`); none natively.
    pub sysroot: Option<PathBuf>,
    /// How its randomness was pinned.
    pub entropy: Entropy,
    /// The series' issues first, then the other known defects the cases pin.
    pub issues: Vec<IssueFinding>,
    pub cases: Vec<CaseResult>,
    pub stress: StressSample,
    pub seconds: f64,
}

impl ProbeReport {
    pub fn with_verdict(&self, verdict: crate::pipeline::verdict::Answer) -> Vec<String> {
        self.issues
            .iter()
            .filter(|f| f.verdict == verdict)
            .map(|f| f.issue.clone())
            .collect()
    }
}

/// Probes the LuaJIT at `path` for every issue the project's series fixes
/// and every other known defect a case pins.
pub fn probe(cx: &mut Context, path: &Path, options: &Options) -> Result<ProbeReport> {
    let started = Instant::now();
    let series = Series::load(&cx.patches_dir())?;
    let issues = series.fixes();
    if issues.is_empty() {
        bail!(
            "no patch in {} has a `Fixes:` trailer: there is no issue to probe for",
            series.dir.display()
        );
    }
    let Opened {
        target,
        runner,
        sysroot,
        entropy,
    } = open(cx, path, options)?;
    if !entropy.pinned {
        eprintln!(
            "warning: two runs of {} under one entropy seed differ: it draws randomness probe-entropy does not answer, so a program may differ in one probe and not the next",
            target.path.display()
        );
    }
    eprintln!(
        "==> probing {} ({}, {}, JIT {})",
        target.path.display(),
        target.kind.describe(),
        target.version,
        if target.jit_on { "on" } else { "off" }
    );

    let cases_dir = cx.cases_dir();
    let cases = case::Case::load_dir(&cases_dir).map_err(anyhow::Error::msg)?;
    let timer = step(format!("running {} cases", cases.len()));
    let mut results = Vec::new();
    for case in &cases {
        // Relative to the project root, where the runner starts, so that
        // error messages name the case as the repository does.
        let script = case.path.strip_prefix(&cx.root).unwrap_or(&case.path);
        let outcome = runner.run(&[script.as_os_str()], false, CASE_TIMEOUT)?;
        eprintln!("    {:<40} {}", case.name, outcome.summary());
        results.push(CaseResult {
            name: case.name.clone(),
            pins: case.pins.clone(),
            fails_with: case.fails_with.clone(),
            outcome,
        });
    }
    timer.done();

    let stress = run_sample(cx, &runner, options.count)?;
    crate::pipeline::findings::runs::record_probe(
        &crate::pipeline::findings::Store::project(&cx.target_dir())?,
        &stress,
        &format!("{} ({})", target.path.display(), target.version),
    )?;
    let findings = judge::judge(
        &crate::pipeline::verdict::catalogue(&issues, &results),
        &results,
        &stress,
        target.jit_on,
    );
    Ok(ProbeReport {
        target,
        execution: if runner.emulated() {
            format!("under `{}`", runner.prefix())
        } else {
            "native aarch64".to_owned()
        },
        library_path: options.library_path.clone(),
        sysroot: (sysroot.origin != Origin::Native).then_some(sysroot.dir),
        entropy,
        issues: findings,
        cases: results,
        stress,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The binary under test, ready to run.
struct Opened {
    target: Identity,
    runner: Runner,
    sysroot: Sysroot,
    entropy: Entropy,
}

/// Checks that `path` is an aarch64 LuaJIT that can run in the aarch64
/// root, and gets a runner for it, its randomness pinned: the executable
/// itself, or probe-loader around the library.
fn open(cx: &mut Context, path: &Path, options: &Options) -> Result<Opened> {
    let path = path
        .canonicalize()
        .with_context(|| format!("{}", path.display()))?;
    for dir in &options.library_path {
        if !dir.is_dir() {
            bail!("--library-path {}: not a folder", dir.display());
        }
    }
    let kind = elf::inspect(&path)?;
    let emulated = !cx.toolchain.runner.is_empty();
    let sysroot = Sysroot::choose(options.sysroot.as_deref(), emulated)?;
    let work = cx.target_dir().join("probe");
    fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    sysroot.check(&path, &path.display().to_string())?;
    let preload = build_helper(cx, &work, Helper::Entropy)?;
    sysroot.check(
        &preload,
        "probe-entropy (built here against the cross toolchain's C library)",
    )?;
    let (program, lead) = match kind {
        Kind::Executable => (path.clone(), Vec::new()),
        Kind::SharedLibrary => {
            let loader = build_helper(cx, &work, Helper::Loader)?;
            sysroot.check(
                &loader,
                "probe-loader (built here against the cross toolchain's C library)",
            )?;
            (loader, vec![path.clone().into_os_string()])
        }
    };
    let mut runner = Runner::new(
        &cx.toolchain,
        &program,
        lead,
        &options.library_path,
        &cx.root,
    );
    if sysroot.origin == Origin::Given {
        runner = runner.with_sysroot(&sysroot.dir)?;
    }
    entropy::pin(&mut runner, &preload, entropy::SEEDS[0]);
    let identify = work.join("identify.lua");
    fs::write(
        &identify,
        "if type(jit) ~= 'table' then io.write('not LuaJIT\\n') return end\n\
         io.write(jit.version, '\\n', jit.arch, '\\n', tostring((jit.status())), '\\n')\n",
    )?;
    let outcome = runner.run(&[identify.as_os_str()], false, CASE_TIMEOUT)?;
    let what = match kind {
        Kind::Executable => "a `luajit` executable",
        Kind::SharedLibrary => "a LuaJIT shared library",
    };
    if let Some(why) = sysroot.explain_missing_version(&outcome.output) {
        bail!("{} cannot run: {why}", path.display());
    }
    let hint = sysroot
        .missing_library_hint(&outcome.output)
        .map(|hint| format!("\n{hint}"))
        .unwrap_or_default();
    if outcome.exit_code == Some(exec::LOADER_FAILED) && kind == Kind::SharedLibrary {
        bail!("{}{hint}", outcome.output.trim());
    }
    if outcome.status != Status::Pass {
        bail!(
            "{} does not run as {what}: {}\n{}{hint}",
            path.display(),
            outcome.summary(),
            outcome.output.trim()
        );
    }
    let lines: Vec<&str> = outcome.output.lines().collect();
    let [version, arch, status] = lines[..] else {
        bail!(
            "{} is not {what}: asked for jit.version, jit.arch and jit.status(), it printed {:?}",
            path.display(),
            outcome.output
        );
    };
    if !version.starts_with("LuaJIT ") {
        bail!(
            "{} is not {what}: jit.version is {version:?}",
            path.display()
        );
    }
    if arch != "arm64" {
        bail!(
            "{} is LuaJIT for {arch}, not arm64: the defects probed for are in the ARM64 backend",
            path.display()
        );
    }
    let entropy = entropy::check(&runner, &work)?;
    Ok(Opened {
        target: Identity {
            path,
            kind,
            version: version.to_owned(),
            arch: arch.to_owned(),
            jit_on: status == "true",
        },
        runner,
        sysroot,
        entropy,
    })
}

/// The aarch64 programs a probe compiles from the project's C sources.
#[derive(Clone, Copy)]
enum Helper {
    /// probe-loader (loader.c): runs scripts through a LuaJIT library.
    Loader,
    /// probe-entropy.so (entropy.c): pins the randomness (see `entropy`).
    Entropy,
}

impl Helper {
    fn source(self) -> &'static str {
        match self {
            Helper::Loader => "loader.c",
            Helper::Entropy => "entropy.c",
        }
    }

    fn output(self) -> &'static str {
        match self {
            Helper::Loader => "probe-loader",
            Helper::Entropy => "probe-entropy.so",
        }
    }

    fn flags(self) -> &'static [&'static str] {
        match self {
            Helper::Loader => &[],
            Helper::Entropy => &["-shared", "-fPIC"],
        }
    }
}

/// Compiles `helper` for aarch64 into `work`.
fn build_helper(cx: &mut Context, work: &Path, helper: Helper) -> Result<PathBuf> {
    let source = cx
        .root
        .join("xtask/src/pipeline/probe")
        .join(helper.source());
    let out = work.join(helper.output());
    // Another probe may be running the old file: build aside, then rename.
    let aside = tempfile::Builder::new()
        .prefix(&format!("{}.", helper.output()))
        .tempdir_in(work)
        .with_context(|| format!("cannot create a folder in {}", work.display()))?;
    let staging = aside.path().join(helper.output());
    let output = std::process::Command::new("aarch64-linux-gnu-gcc")
        .args(["-O1", "-Wall"])
        .args(helper.flags())
        .arg("-o")
        .arg(&staging)
        .arg(&source)
        .arg("-ldl")
        .output()
        .with_context(|| {
            format!(
                "cannot start aarch64-linux-gnu-gcc to build {}",
                helper.output()
            )
        })?;
    if !output.status.success() {
        bail!(
            "building {} from {} failed: {}",
            helper.output(),
            source.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    fs::rename(&staging, &out).with_context(|| format!("cannot move {}", out.display()))?;
    cx.record(format!(
        "aarch64-linux-gnu-gcc -O1 -Wall {} -o {} {} -ldl",
        helper.flags().join(" "),
        out.display(),
        source.display()
    ));
    Ok(out)
}

/// The first `count` stress programs of the default seed, each run with the
/// JIT on and off through driver.lua; one that differs runs again under
/// every other entropy seed. Programs run in their folder and are named
/// relative to it, so that their chunk names, which LuaJIT hashes and
/// keeps, are the same in every probe.
fn run_sample(cx: &Context, runner: &Runner, count: u32) -> Result<StressSample> {
    let parent = cx.target_dir().join("probe");
    fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix("programs-")
        .tempdir_in(&parent)
        .with_context(|| format!("cannot create a folder in {}", parent.display()))?;
    let dir = scratch.path();
    let programs = write_programs(dir, stress::Plan::whole(stress::DEFAULT_SEED, count))?;
    let driver = cx.root.join("xtask/src/pipeline/probe/driver.lua");
    let live_traces = cx.root.join("tests/src/live_traces.lua");
    let timer = step(format!(
        "running {count} stress programs (seed {}) with the JIT on and off",
        stress::seed_text(stress::DEFAULT_SEED)
    ));
    let mut runs = Vec::new();
    for stress::Written { path, .. } in &programs {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = path.file_name().context("a program file has a name")?;
        let args = [
            driver.as_os_str(),
            file,
            RESULT_MARKER.as_ref(),
            live_traces.as_os_str(),
        ];
        let compare = |runner: &Runner| -> Result<Comparison> {
            Ok(Comparison {
                name: name.clone(),
                jit: with_result(runner.run_in(dir, &args, false, PROGRAM_TIMEOUT)?),
                interpreter: with_result(runner.run_in(dir, &args, true, PROGRAM_TIMEOUT)?),
            })
        };
        let mut comparisons = vec![compare(runner)?];
        if judge::shows_difference(&comparisons[0]) {
            for &seed in &entropy::SEEDS[1..] {
                comparisons.push(compare(&entropy::with_seed(runner, seed))?);
            }
            let differing = comparisons
                .iter()
                .filter(|c| judge::shows_difference(c))
                .count();
            eprintln!(
                "    {name} differs; under {} entropy seeds it differs in {differing} of {} runs",
                entropy::SEEDS.len(),
                comparisons.len()
            );
        }
        runs.push(comparisons);
    }
    timer.done();
    drop(scratch);
    Ok(StressSample::from_runs(
        stress::DEFAULT_SEED,
        &programs,
        &runs,
    ))
}

/// Moves what driver.lua printed after the marker into the outcome's trace
/// count and value, leaving the program's own output.
fn with_result(mut outcome: Outcome) -> Outcome {
    let marker = format!("\n{RESULT_MARKER}\n");
    if let Some(at) = outcome.output.rfind(&marker) {
        let rest = outcome.output[at + marker.len()..].to_owned();
        let mut lines = rest.splitn(3, '\n');
        outcome.traces = lines.next().and_then(|n| n.trim().parse().ok());
        outcome.value = lines.next().map(str::to_owned);
        // What follows the two result lines is the run's stderr.
        let after = lines.next().unwrap_or("").to_owned();
        outcome.output.truncate(at);
        outcome.output.push_str(&after);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(output: &str) -> Outcome {
        Outcome {
            status: Status::Pass,
            exit_code: Some(0),
            signal: None,
            error: None,
            output: output.to_owned(),
            millis: 1,
            limit_millis: None,
            value: None,
            traces: None,
            ir_ops: Default::default(),
        }
    }

    #[test]
    fn the_driver_result_is_taken_from_after_the_last_marker() {
        let text = format!("hello\n\n{RESULT_MARKER}\n12\n1.5\t7\nwarning on stderr\n");
        let parsed = with_result(outcome(&text));
        assert_eq!(parsed.output, "hello\nwarning on stderr\n");
        assert_eq!(parsed.traces, Some(12));
        assert_eq!(parsed.value.as_deref(), Some("1.5\t7"));
    }

    #[test]
    fn without_the_marker_there_is_no_result() {
        let parsed = with_result(outcome("crashed before the end\n"));
        assert_eq!((parsed.traces, parsed.value), (None, None));
        assert_eq!(parsed.output, "crashed before the end\n");
    }
}
