//! `cargo xtask test`: the project's own tests. Unit tests on the host, the
//! suite's own tests on aarch64, then every regression case on both variants
//! against what it should do there (see `pipeline::expect`).

use anyhow::{Context as _, Result};
use xshell::cmd;

use crate::Verdict;
use crate::flags;
use crate::pipeline::variants::{BASELINE, LSO_FILE, PATCHED, build_steps, prepare_pair, without};
use crate::pipeline::{Context, TARGET, cargo, step, suite};
use crate::pipeline::{expect, lso, mutants, stress, workflows};

pub fn run(_args: flags::Test) -> Result<Verdict> {
    let mut cx = Context::new()?;
    let cargo = cargo();

    let timer = step("unit tests of the xtask (host)");
    cmd!(cx.sh, "{cargo} test --package xtask")
        .run()
        .context("the xtask's unit tests failed")?;
    timer.done();

    let pair = prepare_pair(&mut cx, &crate::flags::PairArgs::default())?;

    let timer = step(format!(
        "unit tests of the suite ({TARGET}, linked against the patched build)"
    ));
    cmd!(cx.sh, "{cargo} test --package suite --target {TARGET}")
        .env("LUAJIT_SYS_DIR", &pair.patched.built.dir)
        .run()
        .context("the suite's unit tests failed")?;
    timer.done();

    let cases_dir = cx.cases_dir();
    let baseline = suite::run_cases(&mut cx, BASELINE, &pair.baseline.suite, &cases_dir)?;
    let patched = suite::run_cases(&mut cx, PATCHED, &pair.patched.suite, &cases_dir)?;
    let mut checks = expect::baseline_checks(&baseline, &pair.carried, BASELINE);
    checks.extend(expect::patched_checks(&patched, PATCHED));

    // A fix outside emit_lso is invisible to the exhaustive check, so its
    // cases alone must catch its absence: on the patched tree without that
    // one patch, they fail and every other case passes.
    let mut lone_defects = Vec::new();
    for patch in pair
        .series
        .patches
        .iter()
        .filter(|p| !p.only_touches(LSO_FILE))
    {
        let variant = without(&mut cx, &pair, patch)?;
        let name = format!("without-{:04}", patch.number);
        let results = suite::run_cases(&mut cx, &name, &variant.suite, &cases_dir)?;
        lone_defects.push((
            patch.name.clone(),
            results
                .iter()
                .any(|r| r.pins.iter().any(|p| patch.fixes.contains(p))),
            expect::baseline_checks(&results, &patch.fixes, &name),
        ));
    }

    let baseline_lso = suite::run_lso(&mut cx, BASELINE, &pair.baseline.suite, "full")?;
    let patched_lso = suite::run_lso(&mut cx, PATCHED, &pair.patched.suite, "full")?;
    let mutants = mutants::load(&cx.root.join("tests/lso_mutants.txt"))?;
    let mut mutant_results = Vec::new();
    for (index, mutant) in mutants.iter().enumerate() {
        let report = mutants::check(&mut cx, &pair.patched.built, index, mutant)?;
        let found: Vec<String> = report
            .defects
            .iter()
            .map(|c| format!("{} ({})", c.class, c.count))
            .collect();
        let held = report.defects.iter().any(|c| c.class == mutant.class);
        mutant_results.push((mutant, held, found));
    }

    let steps = build_steps(&mut cx, &pair, &mut Vec::new())?;
    let (baseline_stress, patched_stress) = stress::run_pair(
        &mut cx,
        &pair,
        &steps,
        stress::DEFAULT_SEED,
        stress::DEFAULT_COUNT,
    )?;
    crate::stress::print(&baseline_stress);
    crate::stress::print(&patched_stress);
    let mcode_repeatable = crate::mcode_diff::self_check(&mut cx, &pair)?;
    let stitch = crate::mcode_diff::diff_workload(
        &mut cx,
        &pair,
        &[cases_dir.join("lj1075_stitch_ipairs_slot62.lua")],
    )?;
    let repeatable = stress::deterministic(
        &mut cx,
        BASELINE,
        &pair.baseline.suite,
        stress::DEFAULT_SEED,
        40,
    )?;

    println!(
        "\nregression cases against their expectations (baseline carries {}):",
        pair.carried.join(", ")
    );
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
        tally(
            check.held,
            format!(
                "{} on {}: expected {}",
                check.case, check.variant, check.expected
            ),
            format!("got {}", check.observed),
        );
    }
    for (patch, pinned, checks) in &lone_defects {
        println!("\nthe patched tree without {patch} (a fix outside emit_lso):");
        tally(
            *pinned,
            "a regression case pins what it fixes".to_owned(),
            "no case pins it, so nothing would notice it missing".to_owned(),
        );
        for check in checks {
            tally(
                check.held,
                format!("{}: expected {}", check.case, check.expected),
                format!("got {}", check.observed),
            );
        }
    }
    println!("\nemit_lso over its whole input domain:");
    // A fix outside emit_lso's file (LuaJIT#1057's, in asm_tbar) changes
    // what callers emit, which the check, calling emit_lso alone, cannot see.
    let (in_lso, _) = pair.carried_by_place();
    for (issue, shown) in lso::carried_shown(&baseline_lso, &in_lso) {
        tally(
            shown,
            format!("baseline: a defect class of {issue} is reported"),
            format!("reported: {:?}", class_names(&baseline_lso)),
        );
    }
    tally(
        patched_lso.defects.is_empty(),
        "patched: no defects".to_owned(),
        format!("reported: {:?}", class_names(&patched_lso)),
    );
    println!(
        "\nstress, the JIT against the interpreter (seed {}, {} programs):",
        stress::DEFAULT_SEED,
        stress::DEFAULT_COUNT
    );
    for (issue, found) in stress::carried_found(&baseline_stress, &pair.carried) {
        tally(
            found,
            format!("baseline: a difference fixed by the patch for {issue} is found"),
            format!("{} findings", baseline_stress.findings.len()),
        );
    }
    for (name, report) in [(BASELINE, &baseline_stress), (PATCHED, &patched_stress)] {
        tally(
            report.traces >= 2000,
            format!("{name}: at least 2000 traces compiled"),
            format!("{} traces", report.traces),
        );
    }
    tally(
        patched_stress.findings.is_empty(),
        "patched: no differences".to_owned(),
        format!(
            "{:?}",
            patched_stress
                .findings
                .iter()
                .map(|f| &f.difference)
                .collect::<Vec<_>>()
        ),
    );
    let short = baseline_stress
        .findings
        .iter()
        .filter_map(|f| f.shrunk.as_ref())
        .any(|s| s.lines <= 40);
    tally(
        short,
        "baseline: a finding shrinks to at most 40 lines".to_owned(),
        "no shrunk reproducer that short".to_owned(),
    );
    tally(
        repeatable,
        "the same seed gives the same programs and results, run after run".to_owned(),
        "two runs of 40 programs differ".to_owned(),
    );

    println!("\nmachine code with and without the patch:");
    tally(
        mcode_repeatable,
        "two captures of one build diff empty".to_owned(),
        "the self-check found differences".to_owned(),
    );
    let t = &stitch.totals;
    tally(
        t.sites == 1 && t.explained_sites == 1 && t.unexplained == 0,
        "the stitch case: one site, the baseline's STP split into STR and STUR, nothing unexplained".to_owned(),
        stitch.text.clone(),
    );

    println!("\nthe CI workflows (.github/workflows):");
    for (linter, passed, output) in workflows::lint(&cx.root)? {
        tally(
            passed,
            format!("{linter} finds nothing"),
            output.trim().replace('\n', "\n         "),
        );
    }

    println!("\nseeded defects (tests/lso_mutants.txt), each must be reported in its class:");
    for (mutant, held, found) in &mutant_results {
        tally(
            *held,
            format!("{}: reported as {}", mutant.description, mutant.class),
            format!("reported: {found:?}"),
        );
    }
    println!("\n{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        Verdict::Sound
    } else {
        Verdict::Defects
    })
}

fn class_names(report: &crate::pipeline::suite::outcome::LsoReport) -> Vec<String> {
    report
        .defects
        .iter()
        .map(|c| format!("{} ({})", c.class, c.count))
        .collect()
}
