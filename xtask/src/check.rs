//! `cargo xtask check`: is this LuaJIT tree sound? Builds it as it is and
//! runs the whole suite on it: the regression cases, the exhaustive
//! emit_lso check and a default-size stress run.

use anyhow::Result;

use crate::flags;
use crate::pipeline::expect::fails_as_pinned;
use crate::pipeline::variants::single;
use crate::pipeline::verdict::Conclusion;
use crate::pipeline::verdict::TreeChecks;
use crate::pipeline::{Context, lso, report, stress, suite};

pub fn run(args: flags::Check) -> Result<Conclusion> {
    let mut cx = Context::new()?;
    let (source, name, variant) = single(&mut cx, &args.tree.tree())?;
    let cases_dir = cx.cases_dir();
    let results = suite::run_cases(&mut cx, &name, &variant.suite, &cases_dir)?;
    println!();
    print!(
        "{}",
        report::case_table(&report::case_rows(&[(name.as_str(), &results)]))
    );

    let lso_report = lso::check_variant(&mut cx, &name, &variant)?;
    print!("{}", lso::render(&source.label, &lso_report));
    // The verdict comes before shrinking: a reproducer is a convenience,
    // and shrinking a finding that crashes or hangs takes the longest.
    let mut stress_report = stress::run_unshrunk(
        &mut cx,
        &name,
        &variant.suite,
        stress::Plan::whole(stress::DEFAULT_SEED, stress::DEFAULT_COUNT),
    )?;

    let checks = TreeChecks {
        cases: &results,
        lso: &lso_report,
        stress: &stress_report,
    };
    let verdict = print_verdict(&source.label, checks);
    if !stress_report.findings.is_empty() {
        eprintln!("==> shrinking the stress findings (the verdict above stands)");
        stress::shrink(&mut cx, &variant.suite, &mut stress_report)?;
    }
    print!("{}", stress::render(&stress_report));
    Ok(verdict)
}

fn print_verdict(label: &str, checks: TreeChecks) -> Conclusion {
    let TreeChecks {
        cases: results,
        lso: lso_report,
        stress: stress_report,
    } = checks;
    let failed = checks.failing();
    println!();
    if checks.clean() {
        println!(
            "{}: all {} cases pass, emit_lso has no defects, {} stress programs ({} traces) agree with the interpreter",
            label,
            results.len(),
            stress_report.programs,
            stress_report.traces
        );
        return Conclusion::Sound;
    }
    println!("{label}: {}", checks.problems().join("; "));
    let mut known: Vec<String> = failed
        .iter()
        .filter(|c| fails_as_pinned(c))
        .map(|c| format!("{} ({})", c.pins.join(", "), c.name))
        .collect();
    known.dedup();
    if !known.is_empty() {
        println!(
            "  known defects its cases show: {}; a stress difference may be one of them or a defect no case pins",
            known.join(", ")
        );
    }
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
