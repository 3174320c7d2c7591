//! A stress run for the terminal: totals, the reach table, each finding
//! with where it is saved, its reproducer and the patch that fixes it.

use super::StressReport;

pub fn print(report: &StressReport) {
    println!(
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
    println!(
        "  IR opcodes that load or store through emit_lso, reached {reached} of {} (traces holding each): {}",
        report.reach.len(),
        cells.join(", ")
    );
    if !report.unreached.is_empty() {
        println!("  not reached: {}", report.unreached.join(", "));
    }
    if let Some(seconds) = report.first_finding_seconds {
        println!("  first finding after {seconds:.1} s of program runs");
    }
    for finding in &report.findings {
        println!(
            "  {} (program seed {:#x}): {}",
            finding.kind, finding.program_seed, finding.difference
        );
        println!("      saved in {}", finding.dir.display());
        if let Some(shrunk) = &finding.shrunk {
            println!(
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
                Some(patch) => println!(
                    "      fixed by {patch} ({}): {}",
                    attribution.fixes.join(", "),
                    steps.join(", ")
                ),
                None => println!("      not fixed by the series: {}", steps.join(", ")),
            }
        }
    }
}
