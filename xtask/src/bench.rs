//! `cargo xtask bench`: how long the loop takes on this machine. In fresh
//! clones of the project (of HEAD, and with `--before REV` of an earlier
//! commit, in the same run): cold and warm `verify`, the default stress
//! run, a sweep row of a tree with no build yet, and with `--sweep-all` the
//! whole sweep; in this checkout, the exhaustive check natively and under
//! QEMU, and `run`. Each over a few runs, minimum and median, written into
//! docs/benchmarks.md with the machine it came from. Figures, not tests: a
//! noisy machine makes them wider, never red.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use crate::flags;
use crate::pipeline::stress;
use crate::pipeline::time_to_find::{self, Search};
use crate::pipeline::verdict::Conclusion;
use crate::pipeline::{Context, cargo, project_root, write_marked_block};

/// Where `--write-docs` writes the figures, between its bench markers.
const BENCH_DOC: &str = "docs/benchmarks.md";

/// The sweep row timed: a published tree the series applies to, other than
/// the default one, so that a fresh clone has no build of it.
const SWEEP_ROW_TREE: &str = "210.4.6+resty2cf5186";

/// The stress run timed: the default count of programs on a tree where the
/// generator finds nothing known, so that the figure is the programs' cost
/// and not the shrinking of findings. luajit-src 210.7.4 with the fixes
/// of the defects the project found there, prepared once in this
/// checkout.
const STRESS_TREE: &str = "210.7.4+c6ffc14";
const STRESS_TREE_PATCHES: &str = "patches/extra/all-fixes";

/// One timed command: what it measures, and its wall times in seconds
/// before (with `--before`) and after.
struct Figure {
    what: String,
    before: Vec<f64>,
    after: Vec<f64>,
}

fn min(seconds: &[f64]) -> f64 {
    seconds.iter().copied().fold(f64::INFINITY, f64::min)
}

fn median(seconds: &[f64]) -> f64 {
    let mut sorted = seconds.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    }
}

pub fn run(args: flags::Bench) -> Result<Conclusion> {
    if args.runs == 0 || args.cold_runs == 0 {
        bail!("--runs 0 or --cold-runs 0: give at least one run");
    }
    let root = project_root();
    if args.only_time_to_find {
        let searches = time_to_find_searches(args.seeds)?;
        println!("{}", serde_json::to_string_pretty(&searches)?);
        return Ok(Conclusion::Sound);
    }
    let machine = machine();
    let mut figures = Vec::new();
    if !args.no_cold {
        let stress_tree = prepare_stress_tree(&root)?;
        let after = fresh_clone_figures(&root, "HEAD", &stress_tree, &args)?;
        let before = match &args.before {
            Some(rev) => fresh_clone_figures(&root, rev, &stress_tree, &args)?,
            None => Vec::new(),
        };
        for (index, (what, after)) in after.into_iter().enumerate() {
            let before = before
                .get(index)
                .map(|(_, s)| s.clone())
                .unwrap_or_default();
            figures.push(Figure {
                what,
                before,
                after,
            });
        }
    }
    for engine in ["native", "qemu"] {
        figures.push(time(
            &root,
            &format!("exhaustive `emit_lso` check of the baseline, {engine}, not cached"),
            args.runs,
            &["lso", "--no-cache", "--engine", engine],
            // The baseline has defects: exit 1 is the check's answer.
            true,
        )?);
    }
    let case = root.join("tests/cases/lj1075_stitch_ipairs_slot62.lua");
    let script = case.to_string_lossy().into_owned();
    figures.push(time(
        &root,
        "`run` on a case (both variants, nothing rebuilt)",
        args.runs,
        &["run", &script],
        true,
    )?);

    let table = render(&figures, args.runs, &machine, args.before.as_deref());
    println!("{table}");
    // A run without the fresh-clone figures leaves the documented table
    // whole: it would replace it with part of it.
    if args.write_docs && !args.no_cold {
        write_marked_block(&root.join(BENCH_DOC), "bench", "the figures", &table)?;
        eprintln!("==> bench: figures written to {BENCH_DOC}");
    }
    if args.time_to_find {
        let after = time_to_find_searches(args.seeds)?;
        let before = match &args.before {
            Some(rev) => Some(time_to_find_in_clone(&root, rev, args.seeds)?),
            None => None,
        };
        let found = format!(
            "Measured {} on {machine}:\n\n{}",
            jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date(),
            time_to_find::render(&after, before.as_deref(), args.before.as_deref())
        );
        println!("\n{found}");
        if args.write_docs {
            write_marked_block(
                &root.join(BENCH_DOC),
                "time-to-find",
                "time to find",
                &found,
            )?;
            eprintln!("==> bench: time to find written to {BENCH_DOC}");
        }
    }
    Ok(Conclusion::Sound)
}

/// Every target of the time-to-find benchmark, each over `seeds` seeds, in
/// this checkout.
fn time_to_find_searches(seeds: u64) -> Result<Vec<Search>> {
    let mut cx = Context::new()?;
    let mut searches = Vec::new();
    for target in &time_to_find::TARGETS {
        for seed in 1..=seeds {
            eprintln!(
                "==> bench: time to find {} on luajit-src {}, seed {seed}",
                target.defect, target.tree
            );
            let search = time_to_find::search(&mut cx, target, seed, stress::DEFAULT_COUNT)?;
            eprintln!("    {}", time_to_find::describe(&search));
            searches.push(search);
        }
    }
    Ok(searches)
}

/// The time-to-find searches of the project at `rev`, run in a fresh clone
/// of it (the generator of that commit).
fn time_to_find_in_clone(root: &Path, rev: &str, seeds: u64) -> Result<Vec<Search>> {
    let clone = fresh_clone(root, rev)?;
    eprintln!("==> bench: time to find in a fresh clone of {rev}");
    let seeds = seeds.to_string();
    let output = Command::new(cargo())
        .args(["xtask", "bench", "--only-time-to-find", "--seeds", &seeds])
        .current_dir(&clone)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run cargo xtask bench in the clone")?;
    if !output.status.success() {
        bail!(
            "`cargo xtask bench --only-time-to-find` in the clone of {rev} failed ({}); the commit may predate --time-to-find",
            output.status
        );
    }
    serde_json::from_slice(&output.stdout)
        .with_context(|| format!("the clone of {rev} printed no time-to-find JSON"))
}

/// In fresh clones of the project at `rev`, with only cargo's registry and
/// the installed packages already there: cold `verify` (the toolkit, the
/// suite, the LuaJIT builds and every step), then in the last clone warm
/// `verify`, a sweep row of a tree not built yet, and the whole sweep.
fn fresh_clone_figures(
    root: &Path,
    rev: &str,
    stress_tree: &Path,
    args: &flags::Bench,
) -> Result<Vec<(String, Vec<f64>)>> {
    let mut cold = Vec::new();
    let mut clone = PathBuf::new();
    for run in 1..=args.cold_runs {
        clone = fresh_clone(root, rev)?;
        eprintln!(
            "==> bench: cold `verify` in a fresh clone of {rev}, run {run} of {}",
            args.cold_runs
        );
        let started = Instant::now();
        xtask(&clone, &["verify"], true)?;
        cold.push(started.elapsed().as_secs_f64());
    }
    let mut figures = vec![(
        "cold `verify` (fresh clone: toolkit, suite, LuaJIT builds, every step)".to_owned(),
        cold,
    )];
    let warm = time(
        &clone,
        "warm `verify` (nothing changed)",
        args.runs,
        &["verify"],
        true,
    )?;
    figures.push((warm.what, warm.after));
    figures.push(stress_figure(&clone, stress_tree, args.runs)?);
    let row = time(
        &clone,
        &format!(
            "a sweep row, luajit-src {SWEEP_ROW_TREE} (not built yet; in the clone after its verify)"
        ),
        1,
        &["sweep", "--luajit-src", SWEEP_ROW_TREE],
        true,
    )?;
    figures.push((row.what, row.after));
    if args.sweep_all {
        let all = time(
            &clone,
            "`sweep --all-published` (no tree built but the default and the row's; in the clone after them)",
            1,
            &["sweep", "--all-published"],
            true,
        )?;
        figures.push((all.what, all.after));
    }
    Ok(figures)
}

/// The tree of the stress figure, built in this checkout; its folder.
fn prepare_stress_tree(root: &Path) -> Result<PathBuf> {
    eprintln!(
        "==> bench: preparing luajit-src {STRESS_TREE} with {STRESS_TREE_PATCHES} for the stress figure"
    );
    let output = Command::new(cargo())
        .args([
            "xtask",
            "prepare",
            "--luajit-src",
            STRESS_TREE,
            "--patches",
            STRESS_TREE_PATCHES,
        ])
        .current_dir(root)
        .output()
        .context("cannot run cargo xtask prepare")?;
    if !output.status.success() {
        bail!(
            "cargo xtask prepare --luajit-src {STRESS_TREE} --patches {STRESS_TREE_PATCHES} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("patched="))
        .map(PathBuf::from)
        .with_context(|| format!("cargo xtask prepare printed no patched= line: {stdout}"))
}

/// The default stress run on `tree` in the clone, a new seed each run so
/// that nothing is cached; the tree is built for the clone first, untimed.
fn stress_figure(clone: &Path, tree: &Path, runs: usize) -> Result<(String, Vec<f64>)> {
    let tree = tree.to_string_lossy();
    eprintln!("==> bench: building {tree} for the clone's stress runs");
    xtask(
        clone,
        &["stress", "--luajit-dir", &tree, "--count", "1"],
        true,
    )?;
    let mut seconds = Vec::new();
    for run in 1..=runs {
        let seed = format!("{:#x}", 0x100 + run);
        eprintln!("==> bench: stress run of the default count, seed {seed}, run {run} of {runs}");
        let started = Instant::now();
        xtask(
            clone,
            &["stress", "--luajit-dir", &tree, "--seed", &seed],
            true,
        )?;
        seconds.push(started.elapsed().as_secs_f64());
    }
    Ok((
        format!(
            "`stress` of the default count on luajit-src {STRESS_TREE} with {STRESS_TREE_PATCHES} (a new seed each run; the generator of each side)"
        ),
        seconds,
    ))
}

/// A fresh clone of the checkout at `rev`, under target/bench/.
fn fresh_clone(root: &Path, rev: &str) -> Result<PathBuf> {
    let name = format!("clone-{}", rev.replace(['/', '~', '^'], "-"));
    let clone = root.join("target/bench").join(name);
    if clone.exists() {
        fs::remove_dir_all(&clone).with_context(|| format!("cannot remove {}", clone.display()))?;
    }
    let commit = git(
        root,
        &["rev-parse", "--verify", &format!("{rev}^{{commit}}")],
    )
    .with_context(|| format!("--before {rev}: not a commit of this checkout"))?;
    git(
        root,
        &[
            "clone",
            "--quiet",
            "--no-checkout",
            ".",
            &clone.to_string_lossy(),
        ],
    )?;
    git(&clone, &["checkout", "--quiet", commit.trim()])?;
    Ok(clone)
}

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .context("cannot run git")?;
    if !output.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn time(
    root: &Path,
    what: &str,
    runs: usize,
    args: &[&str],
    verdict_may_fail: bool,
) -> Result<Figure> {
    let mut seconds = Vec::new();
    for run in 1..=runs {
        eprintln!("==> bench: {what}, run {run} of {runs}");
        let started = Instant::now();
        xtask(root, args, verdict_may_fail)?;
        seconds.push(started.elapsed().as_secs_f64());
    }
    Ok(Figure {
        what: what.to_owned(),
        before: Vec::new(),
        after: seconds,
    })
}

/// Runs `cargo xtask ARGS` in `dir`. Exit 1 (a verdict that did not hold)
/// still times the command when `verdict_may_fail`; exit 2 never does.
fn xtask(dir: &Path, args: &[&str], verdict_may_fail: bool) -> Result<()> {
    let output = Command::new(cargo())
        .arg("xtask")
        .args(args)
        .current_dir(dir)
        .output()
        .with_context(|| format!("cannot run cargo xtask {}", args.join(" ")))?;
    let code = output.status.code();
    if output.status.success() || (verdict_may_fail && code == Some(1)) {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(10).collect();
    bail!(
        "cargo xtask {} failed ({}):\n{}",
        args.join(" "),
        output.status,
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    )
}

fn machine() -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let memory = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| format!(", {:.0} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_default();
    // Other work on the machine widens the figures; say how busy it was.
    let load = fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .map(|l| format!(", load average {l} when the bench started"))
        .unwrap_or_default();
    format!(
        "{}-{}, {cpu}, {cores} cores{memory}{load}",
        std::env::consts::ARCH,
        std::env::consts::OS
    )
}

fn render(figures: &[Figure], runs: usize, machine: &str, before: Option<&str>) -> String {
    let date = Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let mut text = format!(
        "Measured {date} on {machine} with `cargo xtask bench` ({runs} {} each unless noted)",
        if runs == 1 { "run" } else { "runs" }
    );
    let seconds = |s: &[f64]| match s.is_empty() {
        true => "- | -".to_owned(),
        false => format!("{:.1} | {:.1}", min(s), median(s)),
    };
    match before {
        Some(rev) => {
            text.push_str(&format!(
                ", before: the project at {rev}, after: this commit:\n\n\
                 | what | runs | before min (s) | before median (s) | after min (s) | after median (s) |\n|---|---|---|---|---|---|\n"
            ));
            for f in figures {
                let runs = f.after.len().max(f.before.len());
                text.push_str(&format!(
                    "| {} | {runs} | {} | {} |\n",
                    f.what,
                    seconds(&f.before),
                    seconds(&f.after)
                ));
            }
        }
        None => {
            text.push_str(":\n\n| what | runs | min (s) | median (s) |\n|---|---|---|---|\n");
            for f in figures {
                text.push_str(&format!(
                    "| {} | {} | {} |\n",
                    f.what,
                    f.after.len(),
                    seconds(&f.after)
                ));
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--write-docs` has a block to write into.
    #[test]
    fn the_bench_doc_holds_its_markers() {
        let doc = std::fs::read_to_string(project_root().join(BENCH_DOC)).unwrap();
        let start = doc.find("<!-- bench:start -->");
        let end = doc.find("<!-- bench:end -->");
        assert!(
            start.is_some() && end.is_some() && start < end,
            "{BENCH_DOC} lacks its bench markers"
        );
    }

    #[test]
    fn min_and_median() {
        let seconds = [3.0, 1.0, 2.0, 10.0];
        assert_eq!(min(&seconds), 1.0);
        assert_eq!(median(&seconds), 2.5);
        assert_eq!(median(&seconds[..3]), 2.0);
    }

    #[test]
    fn before_and_after_share_a_row_and_a_missing_side_is_a_dash() {
        let figures = [
            Figure {
                what: "cold".to_owned(),
                before: vec![200.0],
                after: vec![100.0],
            },
            Figure {
                what: "run".to_owned(),
                before: Vec::new(),
                after: vec![0.5, 0.4],
            },
        ];
        let table = render(&figures, 2, "m", Some("abc123"));
        assert!(
            table.contains("| cold | 1 | 200.0 | 200.0 | 100.0 | 100.0 |"),
            "{table}"
        );
        assert!(table.contains("| run | 2 | - | - | 0.4 | 0.5 |"), "{table}");
        let plain = render(&figures[1..], 2, "m", None);
        assert!(plain.contains("| run | 2 | 0.4 | 0.5 |"), "{plain}");
    }
}
