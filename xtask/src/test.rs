//! `cargo xtask test`: the project's own tests. Unit tests on the host, the
//! suite's own tests on aarch64, then every regression case on both variants
//! against what it should do there (see `pipeline::expect`).

use anyhow::{Context as _, Result};
use xshell::cmd;

use crate::Verdict;
use crate::flags;
use crate::pipeline::{expect, lso, mutants};
use crate::pipeline::variants::{BASELINE, PATCHED, prepare_pair};
use crate::pipeline::{Context, TARGET, cargo, step, suite};

pub fn run(_args: flags::Test) -> Result<Verdict> {
    let mut cx = Context::new()?;
    let cargo = cargo();

    let timer = step("unit tests of the xtask (host)");
    cmd!(cx.sh, "{cargo} test --package xtask").run().context("the xtask's unit tests failed")?;
    timer.done();

    let pair = prepare_pair(&mut cx)?;

    let timer = step(format!("unit tests of the suite ({TARGET}, linked against the patched build)"));
    let runner_var = format!("CARGO_TARGET_{}_RUNNER", TARGET.to_uppercase().replace('-', "_"));
    cmd!(cx.sh, "{cargo} test --package suite --target {TARGET}")
        .env("LUAJIT_SYS_DIR", &pair.patched.built.dir)
        .env(runner_var, cx.toolchain.cargo_runner())
        .run()
        .context("the suite's unit tests failed")?;
    timer.done();

    let cases_dir = cx.cases_dir();
    let baseline = suite::run_cases(&mut cx, BASELINE, &pair.baseline.suite, &cases_dir)?;
    let patched = suite::run_cases(&mut cx, PATCHED, &pair.patched.suite, &cases_dir)?;
    let mut checks = expect::baseline_checks(&baseline, &pair.carried, BASELINE);
    checks.extend(expect::patched_checks(&patched, PATCHED));

    let baseline_lso = suite::run_lso(&mut cx, BASELINE, &pair.baseline.suite, "full")?;
    let patched_lso = suite::run_lso(&mut cx, PATCHED, &pair.patched.suite, "full")?;
    let mutants = mutants::load(&cx.root.join("tests/lso_mutants.txt"))?;
    let mut mutant_results = Vec::new();
    for (index, mutant) in mutants.iter().enumerate() {
        let report = mutants::check(&mut cx, &pair.patched.built, index, mutant)?;
        let found: Vec<String> = report.defects.iter().map(|c| format!("{} ({})", c.class, c.count)).collect();
        let held = report.defects.iter().any(|c| c.class == mutant.class);
        mutant_results.push((mutant, held, found));
    }

    println!("\nregression cases against their expectations (baseline carries {}):", pair.carried.join(", "));
    let mut passed = 0;
    let mut failed = 0;
    let mut tally = |held: bool, line: String, detail: String| {
        println!("  {:<6} {line}", if held { "ok" } else { "FAILED" });
        if !held {
            println!("         {detail}");
        }
        if held { passed += 1 } else { failed += 1 }
    };
    for check in &checks {
        tally(check.held, format!("{} on {}: expected {}", check.case, check.variant, check.expected), format!("got {}", check.observed));
    }
    println!("\nemit_lso over its whole input domain:");
    for (issue, shown) in lso::carried_shown(&baseline_lso, &pair.carried) {
        tally(shown, format!("baseline: a defect class of {issue} is reported"), format!("reported: {:?}", class_names(&baseline_lso)));
    }
    tally(patched_lso.defects.is_empty(), "patched: no defects".to_owned(), format!("reported: {:?}", class_names(&patched_lso)));
    println!("\nseeded defects (tests/lso_mutants.txt), each must be reported in its class:");
    for (mutant, held, found) in &mutant_results {
        tally(*held, format!("{}: reported as {}", mutant.description, mutant.class), format!("reported: {found:?}"));
    }
    println!("\n{passed} passed, {failed} failed");
    Ok(if failed == 0 { Verdict::Sound } else { Verdict::Defects })
}

fn class_names(report: &crate::pipeline::suite::outcome::LsoReport) -> Vec<String> {
    report.defects.iter().map(|c| format!("{} ({})", c.class, c.count)).collect()
}
