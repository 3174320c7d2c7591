//! Builds the suite binary against one variant and runs it: natively on
//! aarch64, under QEMU elsewhere.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use xshell::cmd;

use sha2::{Digest, Sha256};

use super::build::Built;
use super::cache::{Key, cached};
use super::fetch::hash_tree;
use super::{Context, TARGET, cargo};

pub use contract::outcome;

use limits::Limits;
use outcome::{CaseResult, Comparison, LsoReport, Outcome};

pub use contract::limits;

/// Links the suite against `built` and copies it next to the variant: two
/// LuaJIT builds export the same symbols, so each variant gets its own binary.
/// The copy is reused while the build and the suite's sources are unchanged,
/// so that switching variants does not relink (cargo keeps one suite binary
/// in one target folder, and `LUAJIT_SYS_DIR` changes which build it links).
pub fn build_suite(cx: &mut Context, built: &Built) -> Result<PathBuf> {
    let cargo = cargo();
    let dir = &built.dir;
    let home = dir.parent().unwrap_or(dir);
    let copy = home.join("suite");
    let key_file = home.join("suite.key");
    let key = suite_key(cx, built)?;
    if copy.is_file() && fs::read_to_string(&key_file).is_ok_and(|k| k == key) {
        eprintln!("    {}: suite up to date ({})", built.name, copy.display());
        return Ok(copy);
    }
    cx.record(format!(
        "LUAJIT_SYS_DIR={} {cargo} build --package suite --target {TARGET}",
        dir.display()
    ));
    // Held from the link to the copy: another run linking the one binary
    // against its own build in between (`sweep --jobs`) would be copied here.
    let lock_path = cx.target_dir().join("suite-link.lock");
    let lock = fs::File::create(&lock_path)
        .with_context(|| format!("cannot create {}", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    cmd!(
        cx.sh,
        "{cargo} build --quiet --package suite --target {TARGET}"
    )
    .env("LUAJIT_SYS_DIR", dir)
    .run()
    .with_context(|| format!("building the suite against {} failed", built.name))?;
    let binary = cx.target_dir().join(TARGET).join("debug").join("suite");
    // Copy and rename: a suite still running from the old file (another
    // xtask run) keeps its own inode instead of seeing its code rewritten.
    let staging = copy.with_extension("new");
    fs::copy(&binary, &staging)
        .with_context(|| format!("cannot copy {} to {}", binary.display(), staging.display()))?;
    fs::rename(&staging, &copy)
        .with_context(|| format!("cannot move {} into place", copy.display()))?;
    fs::write(&key_file, key)?;
    drop(lock);
    Ok(copy)
}

/// What the suite binary of a variant is made of: the LuaJIT build, the
/// sources of the suite, of the contract it shares with the xtask and of
/// luajit-sys, the lock file, cargo's settings and the compiler.
fn suite_key(cx: &Context, built: &Built) -> Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(built.fingerprint.as_bytes());
    for part in ["tests/src", "tests/contract", "tests/lso", "luajit-sys"] {
        let dir = cx.root.join(part);
        hash_tree(&cx.root, &dir, &mut hasher)
            .with_context(|| format!("cannot read {}", dir.display()))?;
    }
    for file in [
        "tests/build.rs",
        "tests/Cargo.toml",
        "Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
    ] {
        let path = cx.root.join(file);
        hasher.update(file.as_bytes());
        hasher.update(fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?);
    }
    let rustc = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .context("cannot run `rustc -vV`")?;
    hasher.update(&rustc.stdout);
    Ok(format!("{:x}\n", hasher.finalize()))
}

/// Runs every case in `cases_dir`; each runs in its own process, so a crash
/// or a hang is that case's outcome.
/// How long one regression case may run before it counts as a hang. Every
/// case finishes in a quarter of a second under QEMU on a loaded two-core
/// machine (all of them in about 3.5 s), so this is forty times the
/// slowest; a defect that hangs cases (a broken GC barrier hangs the
/// table-barrier case) costs seconds each, not a minute.
pub const CASE_LIMIT_SECS: f64 = 10.0;

pub fn run_cases(
    cx: &mut Context,
    name: &str,
    suite: &Path,
    cases_dir: &Path,
) -> Result<Vec<CaseResult>> {
    let key = Key::new("cases")
        .text("suite", cx.cache.suite_hash(suite)?)
        .text("limit", CASE_LIMIT_SECS)
        .files("case", &super::lua_files(cases_dir)?)?;
    cached(cx, &format!("{name}: the regression cases"), key, |cx| {
        eprintln!("==> {name}: running the cases in {}", cases_dir.display());
        let limit = CASE_LIMIT_SECS.to_string();
        let json = run_suite(
            cx,
            suite,
            &[
                "cases".as_ref(),
                cases_dir.as_os_str(),
                "--timeout".as_ref(),
                limit.as_ref(),
            ],
        )?;
        serde_json::from_str(&json).with_context(|| {
            format!("the suite printed something that is not case results: {json}")
        })
    })
}

pub fn run_script(
    cx: &mut Context,
    suite: &Path,
    script: &Path,
    timeout_secs: f64,
) -> Result<Outcome> {
    let timeout = timeout_secs.to_string();
    let json = run_suite(
        cx,
        suite,
        &[
            "script".as_ref(),
            script.as_os_str(),
            "--timeout".as_ref(),
            timeout.as_ref(),
        ],
    )?;
    serde_json::from_str(&json)
        .with_context(|| format!("the suite printed something that is not an outcome: {json}"))
}

/// Runs every program in `dir` with the JIT off and then on, under
/// `limits`, in order of file name. The programs are spread over one suite
/// process per core: each gets a shard folder of hard links to every n-th
/// program. Each process warms up first (tests/src/warm.rs), so that its
/// programs' children do not translate LuaJIT's own code again.
pub fn run_compare(
    cx: &mut Context,
    suite: &Path,
    dir: &Path,
    limits: Limits,
) -> Result<Vec<Comparison>> {
    compare_in_workers(cx, suite, dir, limits, false, None)
}

/// As `run_compare`, taking the interpreted outcome of every program that
/// `reference` (a JSON object of outcomes by program name) holds instead of
/// running it with the JIT off: for builds whose interpreter is another
/// build's, as a backend mutant's is the unmutated tree's.
pub fn run_compare_with_reference(
    cx: &mut Context,
    suite: &Path,
    dir: &Path,
    limits: Limits,
    reference: &Path,
) -> Result<Vec<Comparison>> {
    compare_in_workers(cx, suite, dir, limits, false, Some(reference))
}

/// As `run_compare`, without the warm-up: for an instrumented build, whose
/// counters would count the warm-up's lines as the programs' reach.
pub fn run_compare_cold(
    cx: &mut Context,
    suite: &Path,
    dir: &Path,
    limits: Limits,
) -> Result<Vec<Comparison>> {
    compare_in_workers(cx, suite, dir, limits, true, None)
}

fn compare_in_workers(
    cx: &mut Context,
    suite: &Path,
    dir: &Path,
    limits: Limits,
    cold: bool,
    reference: Option<&Path>,
) -> Result<Vec<Comparison>> {
    let programs = super::lua_files(dir)?;
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(programs.len())
        .max(1);
    let shards_dir = dir.join(".shards");
    let shards: Vec<PathBuf> = if workers == 1 {
        vec![dir.to_owned()]
    } else {
        if shards_dir.exists() {
            fs::remove_dir_all(&shards_dir)
                .with_context(|| format!("cannot clear {}", shards_dir.display()))?;
        }
        let shards: Vec<PathBuf> = (0..workers)
            .map(|k| shards_dir.join(k.to_string()))
            .collect();
        for shard in &shards {
            fs::create_dir_all(shard)
                .with_context(|| format!("cannot create {}", shard.display()))?;
        }
        for (index, program) in programs.iter().enumerate() {
            let link = shards[index % workers].join(program.file_name().expect("a file"));
            fs::hard_link(program, &link)
                .or_else(|_| fs::copy(program, &link).map(|_| ()))
                .with_context(|| format!("cannot link {} into a shard", program.display()))?;
        }
        shards
    };
    let mut children = Vec::new();
    for shard in &shards {
        let mut command = cx.toolchain.command(suite);
        command
            .arg("compare")
            .arg(shard)
            .args(compare_limits(limits))
            .args(cold.then_some("--cold"))
            .args(reference_args(reference))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit());
        cx.record(shown(&command));
        let child = command
            .spawn()
            .with_context(|| format!("cannot start `{}`", shown(&command)))?;
        children.push((shown(&command), child));
    }
    let mut comparisons: Vec<Comparison> = Vec::new();
    for (shown, child) in children {
        comparisons.extend(read_comparisons(&shown, child)?);
    }
    if workers > 1 {
        let _ = fs::remove_dir_all(&shards_dir);
    }
    comparisons.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(comparisons)
}

/// `suite compare`'s options for `limits`.
pub(crate) fn compare_limits(limits: Limits) -> [String; 4] {
    [
        "--timeout".to_owned(),
        limits.interpreter.as_secs_f64().to_string(),
        "--jit-limit".to_owned(),
        limits.jit.to_string(),
    ]
}

/// `suite compare`'s option naming the file of interpreted outcomes it
/// takes instead of running programs with the JIT off, when there is one.
pub(crate) fn reference_args(reference: Option<&Path>) -> impl Iterator<Item = &OsStr> {
    reference
        .map(|file| [OsStr::new("--reference"), file.as_os_str()])
        .into_iter()
        .flatten()
}

/// The comparisons a `suite compare` process prints, once it has exited.
pub(crate) fn read_comparisons(shown: &str, child: std::process::Child) -> Result<Vec<Comparison>> {
    let output = child
        .wait_with_output()
        .with_context(|| format!("`{shown}` did not finish"))?;
    if !output.status.success() {
        bail!("`{shown}` failed ({})", output.status);
    }
    let json = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&json).with_context(|| {
        format!("the suite printed something that is not a list of comparisons: {json}")
    })
}

/// A command as the record of commands run shows it.
pub(crate) fn shown(command: &std::process::Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `script` and captures the traces it leaves into `out` (`suite
/// capture`, format in tests/src/capture.rs), naming it `chunk_name`. The
/// outcome is the script's; `out` exists afterwards only when the capture worked.
pub fn run_capture(
    cx: &mut Context,
    suite: &Path,
    script: &Path,
    chunk_name: &str,
    out: &Path,
    timeout_secs: f64,
) -> Result<Outcome> {
    let timeout = timeout_secs.to_string();
    let args: [&std::ffi::OsStr; 8] = [
        "capture".as_ref(),
        script.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--name".as_ref(),
        chunk_name.as_ref(),
        "--timeout".as_ref(),
        timeout.as_ref(),
    ];
    let json = run_suite(cx, suite, &args)?;
    serde_json::from_str(&json)
        .with_context(|| format!("the suite printed something that is not an outcome: {json}"))
}

/// `run_capture` through the cache: a stored outcome and capture are reused
/// when the suite, the script and the settings are the same.
pub fn capture_cached(
    cx: &mut Context,
    suite: &Path,
    script: &Path,
    chunk_name: &str,
    out: &Path,
    timeout_secs: f64,
) -> Result<Outcome> {
    let key = Key::new("capture")
        .text("suite", cx.cache.suite_hash(suite)?)
        .file("script", script)?
        .text("chunk", chunk_name)
        .text("timeout", timeout_secs);
    let what = format!("capture of {chunk_name} ({})", suite.display());
    let (outcome, capture): (Outcome, Option<String>) = cached(cx, &what, key, |cx| {
        let _ = fs::remove_file(out);
        let outcome = run_capture(cx, suite, script, chunk_name, out, timeout_secs)?;
        Ok((outcome, fs::read_to_string(out).ok()))
    })?;
    match &capture {
        Some(text) => {
            fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?
        }
        None => {
            let _ = fs::remove_file(out);
        }
    }
    Ok(outcome)
}

/// Runs the exhaustive emit_lso check in the suite (see `pipeline::lso`,
/// which caches it and prefers the native run).
pub fn run_lso(cx: &mut Context, suite: &Path, domain: lso_check::Domain) -> Result<LsoReport> {
    let json = run_suite(cx, suite, &["lso".as_ref(), domain.name().as_ref()])?;
    serde_json::from_str(&json).with_context(|| {
        format!("the suite printed something that is not an emit_lso report: {json}")
    })
}

pub fn run_suite(cx: &mut Context, suite: &Path, args: &[&std::ffi::OsStr]) -> Result<String> {
    let mut command = cx.toolchain.command(suite);
    command.args(args);
    let shown = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    cx.record(shown.clone());
    // stdout carries the JSON; stderr (per-case progress) goes to the terminal.
    let output = command
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start `{shown}`"))?;
    if !output.status.success() {
        bail!("`{shown}` failed ({})", output.status);
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
