//! A stress run for the terminal: totals, the reach table, each finding
//! with where it is saved, its reproducer and the patch that fixes it.

use std::fmt::Write as _;

use super::StressReport;

/// The run as text: totals, reach, then each finding.
pub fn render(report: &StressReport) -> String {
    let mut out = String::new();
    outln!(
        out,
        "\nstress on {}: {}, {} programs, {} traces, {} findings; programs ran in {:.1} s ({:.1} programs/s, {:.0} traces/s), {:.1} s in all",
        report.variant,
        report.plan.label(),
        report.programs,
        report.traces,
        report.findings.len(),
        report.run_seconds,
        report.programs as f64 / report.run_seconds,
        report.traces as f64 / report.run_seconds,
        report.seconds
    );
    let reached = report.reach.iter().filter(|r| r.traces > 0).count();
    let cells: Vec<String> = report
        .reach
        .iter()
        .map(|r| format!("{} {}", r.opcode, r.traces))
        .collect();
    outln!(
        out,
        "  IR opcodes that load or store through emit_lso, reached {reached} of {} (traces holding each): {}",
        report.reach.len(),
        cells.join(", ")
    );
    if !report.unreached.is_empty() {
        outln!(out, "  not reached: {}", report.unreached.join(", "));
    }
    if let Some(seconds) = report.first_finding_seconds {
        outln!(out, "  first finding after {seconds:.1} s of program runs");
    }
    for finding in &report.findings {
        outln!(
            out,
            "  {} (program seed {:#x}): {}",
            finding.kind,
            finding.program_seed,
            finding.difference
        );
        outln!(out, "      saved in {}", finding.dir.display());
        if let Some(shrunk) = &finding.shrunk {
            outln!(
                out,
                "      shrunk to {} lines ({}): {}",
                shrunk.lines,
                shrunk.difference,
                shrunk.path.display()
            );
        }
        if let Some(attribution) = &finding.attribution {
            let steps: Vec<String> = attribution
                .steps
                .iter()
                .map(|step| {
                    format!(
                        "{} {}",
                        step.variant,
                        if step.difference.is_some() {
                            "differs"
                        } else {
                            "agrees"
                        }
                    )
                })
                .collect();
            match &attribution.fixed_by {
                Some(patch) => outln!(
                    out,
                    "      fixed by {patch} ({}): {}",
                    attribution.fixes.join(", "),
                    steps.join(", ")
                ),
                None => outln!(out, "      not fixed by the series: {}", steps.join(", ")),
            }
        }
    }
    out
}
