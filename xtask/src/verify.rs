//! `cargo xtask verify`: the main job. Baseline and patched variant, the
//! suite on both, a verdict and the report.

use anyhow::Result;

use crate::flags;
use crate::pipeline::Conclusion;
use crate::pipeline::expect::{self, Expectation};
use crate::pipeline::report::{self, PatchInfo, Report, VariantInfo};
use crate::pipeline::variants::Pair;
use crate::pipeline::variants::{BASELINE, Mode, PATCHED, build_steps, prepare_pair};
use crate::pipeline::verdict::TreeChecks;
use crate::pipeline::{Context, attribution, build, evidence, lso, step, stress, suite};

pub fn run(args: flags::Verify) -> Result<Conclusion> {
    let mut cx = Context::new()?;
    let mut pair = prepare_pair(&mut cx, &args.pair.choice())?;
    let cases_dir = cx.cases_dir();

    let timer = step("running the suite on both variants");
    let baseline = suite::run_cases(&mut cx, BASELINE, &pair.baseline.suite, &cases_dir)?;
    let patched = suite::run_cases(&mut cx, PATCHED, &pair.patched.suite, &cases_dir)?;
    pair.timings
        .push(("suite (both variants)".to_owned(), timer.done()));

    let timer = step("checking emit_lso over its whole input domain on both variants");
    let baseline_lso = lso::check_variant(&mut cx, BASELINE, &pair.baseline)?;
    let patched_lso = lso::check_variant(&mut cx, PATCHED, &pair.patched)?;
    pair.timings.push((
        "exhaustive emit_lso check (both variants)".to_owned(),
        timer.done(),
    ));

    let mut step_timings = Vec::new();
    let steps = build_steps(&mut cx, &pair, &mut step_timings)?;
    pair.timings.extend(step_timings);
    let timer = step("stress: the JIT against the interpreter on both variants");
    let (baseline_stress, patched_stress) = stress::run_pair(
        &mut cx,
        &pair,
        &steps,
        stress::Plan::whole(args.stress_seed, args.stress_count),
    )?;
    pair.timings.push((
        "stress (both variants, shrinking, attribution)".to_owned(),
        timer.done(),
    ));

    let timer = step("per-patch attribution: the checks after each patch in turn");
    let attribution = attribution::attribute(
        &mut cx,
        &pair,
        &steps,
        TreeChecks {
            cases: &baseline,
            lso: &baseline_lso,
            stress: &baseline_stress,
        },
        TreeChecks {
            cases: &patched,
            lso: &patched_lso,
            stress: &patched_stress,
        },
    )?;
    pair.timings
        .push(("per-patch attribution".to_owned(), timer.done()));

    let timer = step("machine code of every trace, with and without the patch");
    let workload = crate::pipeline::mcode::workload(&cases_dir, &[])?;
    let mcode = crate::pipeline::mcode::diff_workload(&mut cx, &pair, &workload)?;
    pair.timings
        .push(("capture and machine-code diff".to_owned(), timer.done()));

    let mut checks: Vec<Expectation> = expect::baseline_checks(&baseline, &pair.carried, BASELINE);
    checks.extend(expect::patched_checks(&patched, PATCHED));
    let patched_checks = TreeChecks {
        cases: &patched,
        lso: &patched_lso,
        stress: &patched_stress,
    };
    let patched_clean = patched_checks.clean() && mcode.clean();
    let baseline_failures = baseline
        .iter()
        .filter(|r| r.outcome.status != suite::outcome::Status::Pass)
        .count();
    let ok = patched_clean && baseline_failures > 0;
    let problems = open_problems(patched_checks, &mcode);
    let limits = lso_limits(&pair, &baseline);
    let checked = Checked {
        cases: baseline.len(),
        lso_inputs: patched_lso.cases,
        programs: patched_stress.programs,
        traces: patched_stress.traces,
        limits: &limits,
    };
    let hazard = Hazard {
        lso_inputs: patched_lso.hazards.iter().map(|c| c.count).sum(),
        ldps: mcode.totals.equal_ldps_patched,
        in_traces: mcode.totals.equal_ldp_traces_patched,
        traces: mcode.totals.patched_traces,
    };
    let summary = verdict_text(&pair, &problems, baseline_failures, &checked, &hazard);
    let headline = headline(&pair, &problems, baseline_failures, &checked, &hazard);

    let rows = report::case_rows(&[(BASELINE, &baseline), (PATCHED, &patched)]);
    println!();
    report::print_table(&rows);
    lso::print(
        &format!("{BASELINE} ({})", pair.source.label),
        &baseline_lso,
    );
    lso::print(
        &format!("{PATCHED} ({} + patches/)", pair.source.label),
        &patched_lso,
    );
    stress::print(&baseline_stress);
    stress::print(&patched_stress);
    println!("\nmachine code: {}", mcode.summary());
    let report = Report {
        schema_version: report::SCHEMA_VERSION,
        verdict: report::Verdict {
            ok,
            headline,
            summary: summary.clone(),
        },
        identity: identity(&cx, &pair),
        issues: evidence::issue_evidence(
            &issues_fixed(&pair),
            &cases_dir,
            &cx.root,
            &baseline,
            &patched,
            Some(&mcode),
        ),
        tree: pair.source.clone(),
        mode: pair.describe(),
        patches: pair
            .patch_states()
            .into_iter()
            .map(|(p, state)| PatchInfo {
                name: p.name.clone(),
                subject: p.subject.clone(),
                sha256: p.sha256.clone(),
                fixes: p.fixes.clone(),
                upstream: p.upstream.clone(),
                state: state.to_owned(),
            })
            .collect(),
        toolchain: cx
            .toolchain
            .versions
            .iter()
            .map(|(name, value)| report::NameValue {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        variants: [&pair.baseline, &pair.patched]
            .iter()
            .map(|v| VariantInfo {
                name: v.built.name.clone(),
                dir: v.built.dir.clone(),
                rebuilt: v.built.rebuilt,
                build_seconds: v.built.seconds,
            })
            .collect(),
        cases: rows,
        lso: vec![
            report::VariantLso {
                variant: BASELINE.to_owned(),
                report: baseline_lso,
            },
            report::VariantLso {
                variant: PATCHED.to_owned(),
                report: patched_lso,
            },
        ],
        stress_buckets: [&baseline_stress, &patched_stress]
            .iter()
            .map(|run| report::VariantBuckets {
                variant: run.variant.clone(),
                buckets: stress::buckets(&run.findings),
            })
            .collect(),
        stress: vec![baseline_stress, patched_stress],
        mcode: Some(mcode),
        attribution: Some(attribution),
        lso_limits: limits.clone(),
        checks,
        timings: pair
            .timings
            .iter()
            .map(|(step, seconds)| report::Timing {
                step: step.clone(),
                seconds: *seconds,
            })
            .collect(),
        reused: cx.cache.reused.clone(),
        reproduce: reproduce(&args.pair, args.stress_seed, args.stress_count),
        commands: cx.commands.clone(),
        root: cx.root.clone(),
    };
    let written = report.write(
        &cx.target_dir().join("evidence"),
        &crate::pipeline::summary::render(&report),
    )?;
    println!(
        "\n{summary}\nsummary: {}\nreport:  {}\n         {}",
        written.summary.display(),
        written.markdown.display(),
        written.json.display()
    );
    Ok(if ok {
        Conclusion::Sound
    } else {
        Conclusion::Defects
    })
}

/// What still fails on the patched variant, one phrase per check.
fn open_problems(patched: TreeChecks, mcode: &crate::pipeline::mcode::McodeDiff) -> Vec<String> {
    let mut problems = patched.problems();
    if !mcode.clean() {
        problems.push(format!(
            "{} machine-code differences are not explained by the series",
            mcode.totals.unexplained
        ));
    }
    problems
}

/// What the checks covered on the patched tree, for the verdict.
struct Checked<'a> {
    cases: usize,
    lso_inputs: u64,
    programs: u32,
    traces: u64,
    limits: &'a str,
}

/// What the exhaustive check cannot see and what covers it instead: it runs
/// emit_lso with the loop label as the only label, so a caller that puts
/// another label right after a load or store (as asm_tbar did, LuaJIT#1057)
/// is outside it; only the cases pinning such fixes can show them.
fn lso_limits(
    pair: &crate::pipeline::variants::Pair,
    cases: &[suite::outcome::CaseResult],
) -> String {
    let (_, outside) = pair.carried_by_place();
    let base = "The exhaustive check runs emit_lso with the loop label as the only label it knows, as its callers' contract has it, so it cannot see a fusion across any other label (a branch target a caller places right after a load or store)";
    if outside.is_empty() {
        return format!("{base}; no patch of this series changes such a caller.");
    }
    let covering: Vec<&str> = cases
        .iter()
        .filter(|c| c.pins.iter().any(|p| outside.contains(p)))
        .map(|c| c.name.as_str())
        .collect();
    if covering.is_empty() {
        format!(
            "{base}; the series fixes {} outside emit_lso and no regression case pins it, so nothing here checks that fix.",
            outside.join(", ")
        )
    } else {
        let cases = if covering.len() == 1 { "case" } else { "cases" };
        format!(
            "{base}; the fixes outside emit_lso ({}) are checked by the regression {cases} {} instead.",
            outside.join(", "),
            covering.join(", ")
        )
    }
}

fn verdict_text(
    pair: &crate::pipeline::variants::Pair,
    problems: &[String],
    baseline_failures: usize,
    checked: &Checked,
    hazard: &Hazard,
) -> String {
    let patches = pair.series.patches.len();
    let fixes = pair.carried.join(", ");
    let mode = match pair.mode {
        Mode::Apply => String::new(),
        Mode::Revert => " (revert-check mode: the tree already contains the series, so the baseline is the tree with it reversed)".to_owned(),
    };
    let skipped = if pair.already_in.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = pair
            .already_in
            .iter()
            .map(|p| format!("{} ({})", p.name, p.fixes.join(", ")))
            .collect();
        format!("; already in the tree and skipped: {}", names.join(", "))
    };
    // In revert-check mode the patches are in the tree, not applied to it.
    let applied = if pair.mode == Mode::Apply {
        " applied"
    } else {
        ""
    };
    if !problems.is_empty() {
        return format!(
            "Not verified on {}{mode}: on the patched tree {}. {}",
            pair.source.label,
            problems.join("; "),
            hazard.sentence()
        );
    }
    if baseline_failures == 0 {
        return format!(
            "Not verified: the baseline of {}{mode} passes every regression case, so the suite shows no defect for the series to fix. {}",
            pair.source.label,
            hazard.sentence()
        );
    }
    format!(
        "The series ({patches} patches{applied}, fixing {fixes}{skipped}) passed every check on {}{mode}: the baseline fails {baseline_failures} of {} regression cases and the patched tree passes all of them; its emit_lso has no defect over all {} inputs of the exhaustive check; its JIT agrees with its interpreter on {} stress programs ({} traces); its machine code differs from the baseline's only where LDP/STP fusion changes. That is what was checked, not proof that the tree is sound. {} {}",
        pair.source.label,
        checked.cases,
        checked.lso_inputs,
        checked.programs,
        checked.traces,
        hazard.sentence(),
        checked.limits
    )
}

/// The upstream issues the applied patches fix, each with its patch and
/// upstream commit, in series order.
fn issues_fixed(pair: &Pair) -> Vec<(String, Option<String>, Option<String>)> {
    pair.carried
        .iter()
        .map(|issue| {
            let patch = pair.series.patches.iter().find(|p| p.fixes.contains(issue));
            (
                issue.clone(),
                patch.map(|p| p.name.clone()),
                patch.and_then(|p| p.upstream.clone()),
            )
        })
        .collect()
}

fn identity(cx: &Context, pair: &Pair) -> evidence::Identity {
    let (tree_commit, tree_commit_origin) = evidence::tree_commit(&pair.source);
    let lock = std::fs::read_to_string(cx.root.join("Cargo.lock")).unwrap_or_default();
    let execution = cx
        .toolchain
        .versions
        .iter()
        .find(|(name, _)| name == "execution")
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    evidence::Identity {
        tree: pair.source.label.clone(),
        crate_version: pair.source.crate_version.clone(),
        tree_commit,
        tree_commit_origin,
        build_flags: build::DETERMINISM_FLAGS.to_owned(),
        execution: if execution.starts_with("native") {
            evidence::native_cpu()
        } else {
            execution
        },
        disassembler: evidence::locked_version(&lock, "yaxpeax-arm")
            .map_or("yaxpeax-arm (version not in Cargo.lock)".to_owned(), |v| {
                format!("yaxpeax-arm {v}")
            }),
        toolkit_commit: evidence::toolkit_commit(&cx.root),
    }
}

/// The LDP hazard as measured: inputs of the exhaustive check and LDPs in
/// the patched build's captured traces.
struct Hazard {
    lso_inputs: u64,
    ldps: usize,
    in_traces: usize,
    traces: usize,
}

impl Hazard {
    fn sentence(&self) -> String {
        format!(
            "An LDP whose two destinations are equal is CONSTRAINED UNPREDICTABLE in the architecture: the patched emit_lso still makes one for {} inputs (two loads into one register, the first dead), and {} such LDPs were found in {} of the {} traces captured on the patched build.",
            self.lso_inputs, self.ldps, self.in_traces, self.traces
        )
    }
}

/// The verdict in one sentence, scoped to what was checked.
fn headline(
    pair: &Pair,
    problems: &[String],
    baseline_failures: usize,
    checked: &Checked,
    hazard: &Hazard,
) -> String {
    if !problems.is_empty() {
        return format!(
            "Not verified on {}: on the patched tree {}.",
            pair.source.label,
            problems.join("; ")
        );
    }
    if baseline_failures == 0 {
        return format!(
            "Not verified: the baseline of {} passes every regression case, so the suite shows no defect for the series to fix.",
            pair.source.label
        );
    }
    format!(
        "Checked on {} with the series applied ({}): the baseline fails {baseline_failures} of {} regression cases and the patched build passes all, its emit_lso has no defect over {} inputs, its JIT agrees with its interpreter on {} stress programs, its machine code differs only in LDP/STP fusion, and its captured traces hold {} equal-register LDPs (CONSTRAINED UNPREDICTABLE) in {} traces.",
        pair.source.label,
        pair.carried
            .iter()
            .map(|i| evidence::github_issue(i))
            .collect::<Vec<_>>()
            .join(", "),
        checked.cases,
        checked.lso_inputs,
        checked.programs,
        hazard.ldps,
        hazard.traces
    )
}

/// The commands that redo each part of the report, with the same tree and series.
fn reproduce(args: &flags::PairArgs, seed: u64, count: u32) -> Vec<report::Redo> {
    let mut tree = String::new();
    if let Some(dir) = &args.tree.luajit_dir {
        tree.push_str(&format!(" --luajit-dir {}", dir.display()));
    }
    if let Some(version) = &args.tree.luajit_src {
        tree.push_str(&format!(" --luajit-src {version}"));
    }
    let mut pair = tree.clone();
    if let Some(patches) = &args.patches {
        pair.push_str(&format!(" --patches {}", patches.display()));
    }
    let mut stress_flags = String::new();
    if (seed, count) != (stress::DEFAULT_SEED, stress::DEFAULT_COUNT) {
        stress_flags = format!(
            " --stress-count {count} --stress-seed {}",
            stress::seed_text(seed)
        );
    }
    let redo = vec![
        (
            "everything".to_owned(),
            format!("cargo xtask verify{pair}{stress_flags}"),
        ),
        (
            "one case on both variants".to_owned(),
            format!("cargo xtask run tests/cases/CASE.lua{pair}"),
        ),
        (
            "the exhaustive check of the baseline's tree".to_owned(),
            format!("cargo xtask lso{tree}"),
        ),
        (
            "the exhaustive check of a variant".to_owned(),
            "cargo xtask lso --luajit-dir target/luajit/VARIANT/tree".to_owned(),
        ),
        (
            "the stress run of a variant".to_owned(),
            format!(
                "cargo xtask stress --seed {} --count {count} --luajit-dir target/luajit/VARIANT/tree",
                stress::seed_text(seed)
            ),
        ),
        (
            "the machine-code diff".to_owned(),
            format!("cargo xtask mcode-diff{pair}"),
        ),
    ];
    redo.into_iter()
        .map(|(what, command)| report::Redo { what, command })
        .collect()
}
