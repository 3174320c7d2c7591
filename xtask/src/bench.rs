//! `cargo xtask bench`: how long the loop takes on this machine. Times cold
//! and warm `verify`, the exhaustive check natively and under QEMU, and
//! `run`, over a few runs each, prints minimum and median, and writes the
//! table into the README with the machine it came from. Figures, not
//! tests: a noisy machine makes them wider, never red.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use crate::flags;
use crate::pipeline::verdict::Conclusion;
use crate::pipeline::{cargo, project_root, write_readme_block};

/// One timed command: what it measures, and its wall times in seconds.
struct Figure {
    what: String,
    seconds: Vec<f64>,
}

impl Figure {
    fn min(&self) -> f64 {
        self.seconds.iter().copied().fold(f64::INFINITY, f64::min)
    }

    fn median(&self) -> f64 {
        let mut sorted = self.seconds.clone();
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        if sorted.len() % 2 == 1 {
            sorted[middle]
        } else {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        }
    }
}

pub fn run(args: flags::Bench) -> Result<Conclusion> {
    if args.runs == 0 {
        bail!("--runs 0: give at least one run");
    }
    let root = project_root();
    let machine = machine();
    let case = root.join("tests/cases/lj1075_stitch_ipairs_slot62.lua");
    let mut figures = Vec::new();

    if !args.no_cold {
        figures.push(cold_verify(&root, args.cold_runs)?);
    }
    eprintln!("==> bench: warming up (one verify, not timed)");
    xtask(&root, &["verify"], true)?;
    figures.push(time(
        &root,
        "warm `verify` (nothing changed)",
        args.runs,
        &["verify"],
        true,
    )?);
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
    let script = case.to_string_lossy().into_owned();
    figures.push(time(
        &root,
        "`run` on a case (both variants, nothing rebuilt)",
        args.runs,
        &["run", &script],
        true,
    )?);

    let table = render(&figures, args.runs, &machine);
    println!("{table}");
    if args.write_readme {
        write_readme_block(&root.join("README.md"), "bench", "the figures", &table)?;
        eprintln!("==> bench: figures written to README.md");
    }
    Ok(Conclusion::Sound)
}

/// `verify` in a fresh clone of the checkout's HEAD: the toolkit, the suite,
/// both LuaJIT builds and every step, with only cargo's registry and the
/// installed packages already there.
fn cold_verify(root: &Path, runs: usize) -> Result<Figure> {
    let mut seconds = Vec::new();
    for run in 1..=runs {
        let clone = root.join("target/bench/clone");
        if clone.exists() {
            fs::remove_dir_all(&clone)
                .with_context(|| format!("cannot remove {}", clone.display()))?;
        }
        let status = Command::new("git")
            .args(["clone", "--quiet"])
            .arg(root)
            .arg(&clone)
            .status()
            .context("cannot run git clone")?;
        if !status.success() {
            bail!("git clone of {} failed ({status})", root.display());
        }
        eprintln!("==> bench: cold `verify` in a fresh clone, run {run} of {runs}");
        let started = Instant::now();
        xtask(&clone, &["verify"], true)?;
        seconds.push(started.elapsed().as_secs_f64());
    }
    Ok(Figure {
        what: "cold `verify` (fresh clone: toolkit, suite, LuaJIT builds, every step)".to_owned(),
        seconds,
    })
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
        seconds,
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

fn render(figures: &[Figure], runs: usize, machine: &str) -> String {
    let date = Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let mut text = format!(
        "Measured {date} on {machine} with `cargo xtask bench` ({runs} runs each unless noted):\n\n\
         | what | runs | min (s) | median (s) |\n|---|---|---|---|\n"
    );
    for figure in figures {
        text.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} |\n",
            figure.what,
            figure.seconds.len(),
            figure.min(),
            figure.median()
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_and_median() {
        let figure = Figure {
            what: String::new(),
            seconds: vec![3.0, 1.0, 2.0, 10.0],
        };
        assert_eq!(figure.min(), 1.0);
        assert_eq!(figure.median(), 2.5);
    }
}
