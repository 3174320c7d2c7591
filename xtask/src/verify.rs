//! `cargo xtask verify`: the main job. Baseline and patched variant, the
//! suite on both, a verdict and the report.

use anyhow::Result;

use crate::Verdict;
use crate::flags;
use crate::pipeline::expect::{self, Check};
use crate::pipeline::report::{self, PatchInfo, Report, Tree, VariantInfo};
use crate::pipeline::variants::{BASELINE, PATCHED, build_steps, prepare_pair};
use crate::pipeline::{Context, attribution, lso, step, stress, suite};

pub fn run(args: flags::Verify) -> Result<Verdict> {
    let mut cx = Context::new()?;
    let mut pair = prepare_pair(&mut cx, &args.pair)?;
    let cases_dir = cx.cases_dir();

    let timer = step("running the suite on both variants");
    let baseline = suite::run_cases(&mut cx, BASELINE, &pair.baseline.suite, &cases_dir)?;
    let patched = suite::run_cases(&mut cx, PATCHED, &pair.patched.suite, &cases_dir)?;
    pair.timings.push(("suite (both variants)".to_owned(), timer.done()));

    let timer = step("checking emit_lso over its whole input domain on both variants");
    let baseline_lso = suite::run_lso(&mut cx, BASELINE, &pair.baseline.suite, "full")?;
    let patched_lso = suite::run_lso(&mut cx, PATCHED, &pair.patched.suite, "full")?;
    pair.timings.push(("exhaustive emit_lso check (both variants)".to_owned(), timer.done()));

    let timer = step("stress: the JIT against the interpreter on both variants");
    let mut step_timings = Vec::new();
    let steps = build_steps(&mut cx, &pair, &mut step_timings)?;
    pair.timings.extend(step_timings);
    let (baseline_stress, patched_stress) =
        stress::run_pair(&mut cx, &pair, &steps, stress::DEFAULT_SEED, stress::DEFAULT_COUNT)?;
    pair.timings.push(("stress (both variants, shrinking, attribution)".to_owned(), timer.done()));

    let timer = step("per-patch attribution: the checks after each patch in turn");
    let attribution = attribution::attribute(
        &mut cx,
        &pair,
        &steps,
        (&baseline, &patched),
        (&baseline_lso, &patched_lso),
        &baseline_stress,
    )?;
    pair.timings.push(("per-patch attribution".to_owned(), timer.done()));

    let timer = step("machine code of every trace, with and without the patch");
    let workload = crate::mcode_diff::workload(&cases_dir, &[])?;
    let mcode = crate::mcode_diff::diff_workload(&mut cx, &pair, &workload)?;
    pair.timings.push(("capture and machine-code diff".to_owned(), timer.done()));

    let mut checks: Vec<Check> = expect::baseline_checks(&baseline, &pair.carried, BASELINE);
    checks.extend(expect::patched_checks(&patched, PATCHED));
    let patched_clean = checks.iter().filter(|c| c.variant == PATCHED).all(|c| c.held) && patched_lso.defects.is_empty()
        && patched_stress.findings.is_empty()
        && mcode.clean();
    let baseline_failures = baseline.iter().filter(|r| r.outcome.status != suite::outcome::Status::Pass).count();
    let ok = patched_clean && baseline_failures > 0;
    let summary = verdict_text(&pair, patched_clean, baseline_failures, baseline.len());

    let rows = report::case_rows(&[(BASELINE, &baseline), (PATCHED, &patched)]);
    println!();
    report::print_table(&rows);
    lso::print(&format!("{BASELINE} ({})", pair.source.label), &baseline_lso);
    lso::print(&format!("{PATCHED} ({} + patches/)", pair.source.label), &patched_lso);
    crate::stress::print(&baseline_stress);
    crate::stress::print(&patched_stress);
    println!("\nmachine code: {}", mcode_summary(&mcode));
    let report = Report {
        verdict: report::Verdict { ok, summary: summary.clone() },
        tree: Tree {
            label: pair.source.label.clone(),
            crate_version: pair.source.crate_version.clone(),
            git_commit: pair.source.git_commit.clone(),
            dir: pair.source.dir.clone(),
            mode: pair.describe(),
        },
        patches: pair
            .series
            .patches
            .iter()
            .map(|p| PatchInfo { name: p.name.clone(), subject: p.subject.clone(), sha256: p.sha256.clone(), fixes: p.fixes.clone() })
            .collect(),
        toolchain: cx.toolchain.versions.clone(),
        variants: [&pair.baseline, &pair.patched]
            .iter()
            .map(|v| VariantInfo { name: v.built.name.clone(), dir: v.built.dir.clone(), rebuilt: v.built.rebuilt, build_seconds: v.built.seconds })
            .collect(),
        cases: rows,
        lso: vec![(BASELINE.to_owned(), baseline_lso), (PATCHED.to_owned(), patched_lso)],
        stress: vec![baseline_stress, patched_stress],
        mcode: Some(mcode),
        attribution: Some(attribution),
        checks,
        timings: pair.timings.clone(),
        commands: cx.commands.clone(),
    };
    let (md, json) = report.write(&cx.target_dir().join("evidence"))?;
    println!("\n{summary}\nreport: {}\n        {}", md.display(), json.display());
    Ok(if ok { Verdict::Sound } else { Verdict::Defects })
}

fn verdict_text(pair: &crate::pipeline::variants::Pair, patched_clean: bool, baseline_failures: usize, total: usize) -> String {
    let patches = pair.series.patches.len();
    let fixes = pair.carried.join(", ");
    match (patched_clean, baseline_failures > 0) {
        (true, true) => format!(
            "The series ({patches} patches, fixing {fixes}) is verified on {}: the published tree fails {baseline_failures} of {total} regression cases; the patched tree passes all of them, its emit_lso is right for every input, and its JIT agrees with its interpreter on every stress program.",
            pair.source.label
        ),
        (false, _) => format!(
            "The patched tree still fails on {}: a regression case fails, emit_lso has defects, stress finds differences or the machine code changes in a way the series does not explain, so the series does not fix everything the suite checks.",
            pair.source.label
        ),
        (true, false) => format!(
            "Not verified: the published tree {} passes every regression case, so the suite shows no defect for the series to fix.",
            pair.source.label
        ),
    }
}

pub fn mcode_summary(diff: &crate::mcode_diff::McodeDiff) -> String {
    let t = &diff.totals;
    format!(
        "{} scripts, {} traces compared: {} identical, {} different, {} with different IR; {} differing sites, {} explained, {} unexplained",
        t.scripts, t.compared, t.identical, t.different, t.ir_different, t.sites, t.explained_sites, t.unexplained_sites
    )
}
