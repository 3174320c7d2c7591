//! The probe's report for the terminal and for `--json`.

use std::fmt::Write as _;

use serde_json::json;

use super::ProbeReport;
use crate::pipeline::label::Label as _;
use crate::pipeline::verdict::Answer;
use crate::pipeline::verdict::Group;

/// What `--json` prints.
pub fn json(report: &ProbeReport) -> serde_json::Value {
    json!({
        "affected": report.with_verdict(Answer::Affected),
        "not_affected": report.with_verdict(Answer::NotAffected),
        "could_not_tell": report.with_verdict(Answer::CouldNotTell),
        "target": report.target,
        "execution": report.execution,
        "library_path": report.library_path,
        "sysroot": report.sysroot,
        "entropy": report.entropy,
        "issues": report.issues,
        "cases": report.cases,
        "stress": report.stress,
        "seconds": report.seconds,
    })
}

/// The report as text: the target, each case, the stress sample, then
/// the verdict per issue.
pub fn text(report: &ProbeReport) -> String {
    let mut out = String::new();
    let t = &report.target;
    outln!(out, "{}", t.path.display());
    outln!(
        out,
        "  {}, {} ({}), JIT {}, run {}",
        t.kind.describe(),
        t.version,
        t.arch,
        if t.jit_on { "on" } else { "off" },
        report.execution
    );
    if let Some(sysroot) = &report.sysroot {
        outln!(out, "  aarch64 root (QEMU's -L): {}", sysroot.display());
    }
    let e = &report.entropy;
    outln!(
        out,
        "  randomness: {}",
        if e.pinned {
            format!(
                "pinned (entropy seed {}; a differing program runs again under seeds {})",
                e.seeds[0],
                e.seeds[1..]
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            "not pinned: two runs under one entropy seed differed, so a program may differ in one probe and not the next".to_owned()
        }
    );
    outln!(out, "\ncases:");
    let name_width = widest(report.cases.iter().map(|c| c.name.len()));
    let pins_width = widest(report.cases.iter().map(|c| c.pins.join(",").len()));
    for case in &report.cases {
        outln!(
            out,
            "  {:<name_width$} {:<pins_width$} {}",
            case.name,
            case.pins.join(","),
            shorten(&case.outcome.summary())
        );
    }
    let s = &report.stress;
    outln!(
        out,
        "\nstress sample: {} programs (seed {:#x}), {} traces, {} differ between the JIT and the interpreter in every run, {} in some runs only (flaky)",
        s.programs,
        s.seed,
        s.traces,
        s.differences.len(),
        s.flaky.len()
    );
    for d in &s.differences {
        outln!(
            out,
            "  {} (seed {:#x}): {}",
            d.program,
            d.program_seed,
            d.difference
        );
    }
    for d in &s.flaky {
        outln!(
            out,
            "  {} (seed {:#x}): flaky, {}: {}",
            d.program,
            d.program_seed,
            d.how_often(),
            d.difference
        );
    }
    if !s.not_runnable.is_empty() {
        outln!(
            out,
            "  {} programs fail even without the JIT here and say nothing: first {}: {}",
            s.not_runnable.len(),
            s.not_runnable[0].program,
            s.not_runnable[0].difference
        );
    }
    for (group, heading) in [
        (Group::Series, "issues the series in patches/ fixes:"),
        (
            Group::OtherKnown,
            "other known ARM64 JIT defects (pinned by cases, fixed by no patch of the series):",
        ),
    ] {
        let findings: Vec<_> = report.issues.iter().filter(|f| f.group == group).collect();
        if findings.is_empty() {
            continue;
        }
        outln!(out, "\n{heading}");
        let issue_width = widest(findings.iter().map(|f| f.issue.len()));
        for finding in findings {
            outln!(
                out,
                "  {:<issue_width$} {}: {}",
                finding.issue,
                finding.verdict.label(),
                shorten(&finding.why)
            );
        }
    }
    out
}

/// The width of a column holding texts of these lengths.
fn widest(lengths: impl Iterator<Item = usize>) -> usize {
    lengths.max().unwrap_or(0)
}

/// The first 300 characters: a case's error can list every wrong value it
/// saw; --json keeps all of it.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(300) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}
