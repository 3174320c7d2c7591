//! `cargo xtask check`: is this LuaJIT tree sound? Builds it as it is and
//! runs the whole suite on it: the regression cases, the exhaustive
//! emit_lso check and a default-size stress run.

use anyhow::Result;

use crate::flags;
use crate::pipeline::Conclusion;
use crate::pipeline::stress::StressReport;
use crate::pipeline::suite::outcome::{CaseResult, LsoReport, Status};
use crate::pipeline::variants::single;
use crate::pipeline::{Context, lso, report, stress, suite};

pub fn run(args: flags::Check) -> Result<Conclusion> {
    let mut cx = Context::new()?;
    let (source, name, variant) = single(&mut cx, &args.tree.tree())?;
    let cases_dir = cx.cases_dir();
    let results = suite::run_cases(&mut cx, &name, &variant.suite, &cases_dir)?;
    println!();
    report::print_table(&report::case_rows(&[(name.as_str(), &results)]));

    let lso_report = lso::check_variant(&mut cx, &name, &variant)?;
    lso::print(&source.label, &lso_report);
    // The verdict comes before shrinking: a reproducer is a convenience,
    // and shrinking a finding that crashes or hangs takes the longest.
    let mut stress_report = stress::run_unshrunk(
        &mut cx,
        &name,
        &variant.suite,
        stress::Plan::whole(stress::DEFAULT_SEED, stress::DEFAULT_COUNT),
    )?;

    let verdict = print_verdict(&source.label, &results, &lso_report, &stress_report);
    if !stress_report.findings.is_empty() {
        eprintln!("==> shrinking the stress findings (the verdict above stands)");
        stress::shrink(&mut cx, &variant.suite, &mut stress_report)?;
    }
    stress::print(&stress_report);
    Ok(verdict)
}

fn print_verdict(
    label: &str,
    results: &[CaseResult],
    lso_report: &LsoReport,
    stress_report: &StressReport,
) -> Conclusion {
    let failed: Vec<_> = results
        .iter()
        .filter(|r| r.outcome.status != Status::Pass)
        .collect();
    println!();
    if failed.is_empty() && lso_report.defects.is_empty() && stress_report.findings.is_empty() {
        println!(
            "{}: all {} cases pass, emit_lso has no defects, {} stress programs ({} traces) agree with the interpreter",
            label,
            results.len(),
            stress_report.programs,
            stress_report.traces
        );
        return Conclusion::Sound;
    }
    println!(
        "{}: {} of {} cases fail, emit_lso has {} defect classes, stress found {} differences",
        label,
        failed.len(),
        results.len(),
        lso_report.defects.len(),
        stress_report.findings.len()
    );
    for result in failed {
        println!(
            "  case {} ({}): {}",
            result.name,
            result.pins.join(", "),
            result.outcome.summary()
        );
    }
    for class in &lso_report.defects {
        println!("  emit_lso: {}: {} inputs", class.class, class.count);
    }
    for finding in &stress_report.findings {
        println!(
            "  stress: {} ({})",
            finding.difference,
            finding.dir.display()
        );
    }
    Conclusion::Defects
}
