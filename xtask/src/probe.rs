//! `cargo xtask probe PATH`: is this deployed LuaJIT affected by the defects
//! the series fixes? Prints a verdict per upstream issue, as text or JSON.

use anyhow::{Result, bail};
use serde_json::json;

use crate::flags;
use crate::pipeline::Context;
use crate::pipeline::label::Label as _;
use crate::pipeline::probe::{self, ProbeReport};
use crate::pipeline::verdict::Answer;
use crate::pipeline::verdict::Conclusion;

pub fn run(args: flags::Probe) -> Result<Conclusion> {
    if args.count == 0 {
        bail!("--count 0: the stress sample needs at least one program");
    }
    let mut cx = Context::new()?;
    let report = probe::probe(&mut cx, &args.path, &args.library_path, args.count)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&to_json(&report))?);
    } else {
        print(&report);
    }
    verdict(&report)
}

/// 1 when an issue is affected, 0 when every one is not, otherwise an error
/// (exit 2) naming what could not be told.
pub fn verdict(report: &ProbeReport) -> Result<Conclusion> {
    if !report.with_verdict(Answer::Affected).is_empty() {
        return Ok(Conclusion::Defects);
    }
    let unknown = report.with_verdict(Answer::CouldNotTell);
    if !unknown.is_empty() {
        bail!(
            "could not tell whether {} is affected by {}",
            report.target.path.display(),
            unknown.join(", ")
        );
    }
    Ok(Conclusion::Sound)
}

pub fn to_json(report: &ProbeReport) -> serde_json::Value {
    json!({
        "affected": report.with_verdict(Answer::Affected),
        "not_affected": report.with_verdict(Answer::NotAffected),
        "could_not_tell": report.with_verdict(Answer::CouldNotTell),
        "target": report.target,
        "execution": report.execution,
        "library_path": report.library_path,
        "issues": report.issues,
        "other_pins": report.other_pins,
        "cases": report.cases,
        "stress": report.stress,
        "seconds": report.seconds,
    })
}

fn print(report: &ProbeReport) {
    let t = &report.target;
    println!("{}", t.path.display());
    println!(
        "  {}, {} ({}), JIT {}, run {}",
        t.kind.describe(),
        t.version,
        t.arch,
        if t.jit_on { "on" } else { "off" },
        report.execution
    );
    println!("\ncases:");
    for case in &report.cases {
        println!(
            "  {:<36} {:<14} {}",
            case.name,
            case.pins.join(","),
            shorten(&case.outcome.summary())
        );
    }
    let s = &report.stress;
    println!(
        "\nstress sample: {} programs (seed {:#x}), {} traces, {} differ between the JIT and the interpreter",
        s.programs,
        s.seed,
        s.traces,
        s.differences.len()
    );
    for d in &s.differences {
        println!(
            "  {} (seed {:#x}): {}",
            d.program, d.program_seed, d.difference
        );
    }
    if !s.not_runnable.is_empty() {
        println!(
            "  {} programs fail even without the JIT here and say nothing: first {}: {}",
            s.not_runnable.len(),
            s.not_runnable[0].program,
            s.not_runnable[0].difference
        );
    }
    println!();
    for finding in &report.issues {
        println!(
            "{:<12} {}: {}",
            finding.issue,
            finding.verdict.label(),
            shorten(&finding.why)
        );
    }
    if !report.other_pins.is_empty() {
        println!(
            "(also pinned by cases, but fixed by no patch of the series, so not judged: {})",
            report.other_pins.join(", ")
        );
    }
}

/// The first 300 characters: a case's error can list every wrong value it
/// saw; --json keeps all of it.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(300) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}
