//! `cargo xtask test`: the project's own tests. Unit tests on the host, the
//! suite's own tests on aarch64, then every regression case on both variants
//! against what it should do there (see `pipeline::expect`).

use anyhow::{Context as _, Result};
use lso_check::Domain;
use xshell::cmd;

use crate::Verdict;
use crate::flags;
use crate::pipeline::probe::{self, judge::Verdict as Probed};
use crate::pipeline::variants::{
    BASELINE, LSO_FILE, PATCHED, Pair, build_steps, prepare_pair, without,
};
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

    let baseline_lso = lso::check_variant(&mut cx, BASELINE, &pair.baseline)?;
    let patched_lso = lso::check_variant(&mut cx, PATCHED, &pair.patched)?;
    let mut engines_agree = Vec::new();
    for (name, variant) in [(BASELINE, &pair.baseline), (PATCHED, &pair.patched)] {
        let mut runs = Vec::new();
        for engine in [lso::Engine::Native, lso::Engine::Qemu] {
            let built = &variant.built;
            let report = lso::check(
                &mut cx,
                name,
                built,
                Some(&variant.suite),
                Domain::Full,
                engine,
            )?;
            runs.push(report);
        }
        engines_agree.push((name, lso::same_findings(&runs[0], &runs[1]), runs));
    }
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
        stress::Plan::whole(stress::DEFAULT_SEED, stress::DEFAULT_COUNT),
    )?;
    crate::stress::print(&baseline_stress);
    crate::stress::print(&patched_stress);
    let mcode_repeatable = crate::mcode_diff::self_check(&mut cx, &pair)?;
    let stitch = crate::mcode_diff::diff_workload(
        &mut cx,
        &pair,
        &[cases_dir.join("lj1075_stitch_ipairs_slot62.lua")],
    )?;
    let exit_script = cx.root.join("tests/mcode/lj1075_stitch_exit_status.lua");
    let stitch_exit = crate::mcode_diff::diff_workload(&mut cx, &pair, &[exit_script])?;
    let probes = probe_runs(&mut cx, &pair)?;
    let repeatable = stress::deterministic(
        &mut cx,
        BASELINE,
        &pair.baseline.suite,
        stress::DEFAULT_SEED,
        40,
    )?;
    let shards_merge = shards_merge_to_whole(&mut cx, &pair.baseline.suite)?;

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
    for (name, agree, runs) in &engines_agree {
        tally(
            *agree,
            format!("{name}: the native and the QEMU check report the same inputs and classes"),
            format!(
                "native: {:?}; QEMU: {:?}",
                class_names(&runs[0]),
                class_names(&runs[1])
            ),
        );
    }
    println!(
        "\nstress, the JIT against the interpreter (seed {}, {} programs):",
        stress::seed_text(stress::DEFAULT_SEED),
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
    let unshrunk = unshrunk_buckets(&baseline_stress.findings);
    tally(
        unshrunk.is_empty(),
        "baseline: every bucket of findings (signature and fixing patch) has a shrunk reproducer"
            .to_owned(),
        format!("buckets without one: {}", unshrunk.join("; ")),
    );
    tally(
        repeatable,
        "the same seed gives the same programs and results, run after run".to_owned(),
        "two runs of 40 programs differ".to_owned(),
    );
    tally(
        shards_merge.is_ok(),
        "two shards of a run, merged, give the whole run's findings, traces and reach".to_owned(),
        shards_merge.err().unwrap_or_default(),
    );

    println!("\ncargo xtask probe on the variants' executables and shared libraries:");
    for (what, result, carried) in &probes {
        match result {
            Ok(report) => {
                let affected = report.with_verdict(Probed::Affected);
                let not_affected = report.with_verdict(Probed::NotAffected);
                let (expected, held) = if carried.is_empty() {
                    (
                        "none affected, every issue not affected".to_owned(),
                        affected.is_empty() && not_affected.len() == report.issues.len(),
                    )
                } else {
                    (
                        format!("affected: {}", carried.join(", ")),
                        &affected == carried,
                    )
                };
                let found: Vec<String> = report
                    .issues
                    .iter()
                    .map(|f| format!("{} {}: {}", f.issue, f.verdict.label(), f.why))
                    .collect();
                tally(
                    held,
                    format!("{what}: {expected}"),
                    found.join("\n         "),
                );
            }
            Err(error) => tally(
                false,
                format!("{what}: probed"),
                format!("error: {error:#}"),
            ),
        }
    }
    let suite_refused = probe::probe(&mut cx, &pair.patched.suite, &[], 1);
    tally(
        suite_refused.as_ref().is_err_and(|e| {
            e.to_string()
                .contains("does not run as a `luajit` executable")
        }),
        "an aarch64 program that is not LuaJIT (the suite binary) is refused".to_owned(),
        match &suite_refused {
            Ok(report) => format!("probed it: {:?}", report.with_verdict(Probed::Affected)),
            Err(error) => format!("error: {error:#}"),
        },
    );

    println!("\nmachine code with and without the patch:");
    tally(
        mcode_repeatable,
        "two captures of one build diff empty".to_owned(),
        "the self-check found differences".to_owned(),
    );
    let t = &stitch.totals;
    tally(
        t.sites == 1 && t.misfusions_corrected == 1 && t.unexplained == 0,
        "the stitch case: one site, a baseline mis-fusion corrected, nothing unexplained"
            .to_owned(),
        stitch.text.clone(),
    );
    let script = stitch_exit.scripts.first();
    let ended = script.map(|s| (s.baseline.as_str(), s.patched.as_str()));
    tally(
        ended == Some(("fail: exit status 1", "pass"))
            && stitch_exit.totals.not_captured == 0
            && stitch_exit.totals.unexplained == 0
            && script.is_some_and(shows_stp_split_into_stur),
        "the stitch case ending in os.exit(1) / os.exit(0): captured on both builds, the STP split into STR and STUR".to_owned(),
        stitch_exit.text.clone(),
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

/// A corrected mis-fusion whose baseline side is an STP and whose patched
/// side holds an STUR: the LuaJIT#1075 stitch site.
fn shows_stp_split_into_stur(script: &crate::mcode_diff::ScriptDiff) -> bool {
    script.traces.iter().flat_map(|t| &t.sites).any(|site| {
        site.class == crate::mcode_diff::SiteClass::MisfusionCorrected
            && site.baseline.iter().any(|line| line.starts_with("stp "))
            && site.patched.iter().any(|line| line.starts_with("stur "))
    })
}

type ProbeRun = (String, Result<probe::ProbeReport>, Vec<String>);

/// Probes the baseline's and the patched variant's `luajit` and a shared
/// library built from each: what the baseline carries must come out
/// affected, and nothing on the patched build.
fn probe_runs(cx: &mut Context, pair: &Pair) -> Result<Vec<ProbeRun>> {
    let mut runs = Vec::new();
    for (name, variant, carried) in [
        (BASELINE, &pair.baseline, pair.carried.clone()),
        (PATCHED, &pair.patched, Vec::new()),
    ] {
        let executable = variant.built.dir.join("src/luajit");
        let library = probe::shared::build_shared(cx, &variant.built)?;
        for (kind, path) in [
            ("executable", executable),
            ("shared library", library.clone()),
        ] {
            let report = probe::probe(cx, &path, &[], probe::DEFAULT_COUNT);
            runs.push((format!("{name} {kind}"), report, carried.clone()));
        }
        // The dynamic build's `luajit` needs its library by soname, which
        // only --library-path can supply here.
        let lib_dir = library.with_file_name("probe-lib");
        std::fs::create_dir_all(&lib_dir)?;
        let soname = lib_dir.join("libluajit-5.1.so.2");
        let _ = std::fs::remove_file(&soname);
        std::fs::copy(&library, &soname)?;
        let linked = library.with_file_name("luajit");
        let report = probe::probe(cx, &linked, &[lib_dir], probe::DEFAULT_COUNT);
        runs.push((
            format!("{name} executable linked to its library, found through --library-path"),
            report,
            carried.clone(),
        ));
    }
    Ok(runs)
}

/// Runs 40 programs on the baseline whole and as two shards, merges the
/// shards and compares: Ok, or what differs.
fn shards_merge_to_whole(
    cx: &mut Context,
    suite: &std::path::Path,
) -> Result<std::result::Result<(), String>> {
    let whole = stress::Plan::whole(stress::DEFAULT_SEED, 40);
    let all = stress::run_unshrunk(cx, BASELINE, suite, whole)?;
    let mut shards = Vec::new();
    for index in 1..=2 {
        let plan = stress::Plan {
            shard: stress::Shard { index, of: 2 },
            ..whole
        };
        shards.push(stress::run_unshrunk(cx, BASELINE, suite, plan)?);
    }
    let merged = stress::merge(shards)?;
    let key = |r: &stress::StressReport| {
        let findings: Vec<_> = r
            .findings
            .iter()
            .map(|f| {
                (
                    f.index,
                    f.program_seed,
                    f.kind.clone(),
                    f.difference.clone(),
                )
            })
            .collect();
        let reach: Vec<_> = r
            .reach
            .iter()
            .map(|x| (x.opcode.clone(), x.traces))
            .collect();
        (r.programs, r.traces, findings, reach)
    };
    Ok(if key(&all) == key(&merged) {
        Ok(())
    } else {
        Err(format!(
            "whole: {} programs, {} traces, {} findings; merged: {} programs, {} traces, {} findings",
            all.programs,
            all.traces,
            all.findings.len(),
            merged.programs,
            merged.traces,
            merged.findings.len()
        ))
    })
}

fn class_names(report: &crate::pipeline::suite::outcome::LsoReport) -> Vec<String> {
    report
        .defects
        .iter()
        .map(|c| format!("{} ({})", c.class, c.count))
        .collect()
}

/// The buckets of `findings` (signature and fixing patch) that hold no
/// shrunk finding, leaving out those shrinking never takes (programs that
/// fail without the JIT).
fn unshrunk_buckets(findings: &[stress::Finding]) -> Vec<String> {
    stress::buckets(findings)
        .into_iter()
        .filter(|b| b.shrunk.is_none())
        .filter(|b| {
            b.findings
                .iter()
                .any(|&i| findings[i].kind != "program fails without the JIT")
        })
        .map(|b| match b.fixed_by {
            Some(patch) => format!("{} (fixed by {patch})", b.signature),
            None => b.signature,
        })
        .collect()
}
