//! `cargo xtask stress`: seeded programs, the JIT against the interpreter,
//! on the baseline and the patched variant (or one tree), findings shrunk.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use crate::Verdict;
use crate::flags;
use crate::flags::PairArgs;
use crate::pipeline::Context;
use crate::pipeline::stress::{self, Plan, Shard, StressReport};
use crate::pipeline::variants::{build_steps, prepare_pair, single};

/// Version of the `--json` document, raised when its shape changes.
const JSON_VERSION: u32 = 1;

/// What `--json` prints and `--merge` reads.
#[derive(Serialize, Deserialize)]
struct Runs {
    schema_version: u32,
    runs: Vec<StressReport>,
}

pub fn run(args: flags::Stress) -> Result<Verdict> {
    if !args.merge.is_empty() {
        return merge(&args.merge, args.json);
    }
    let plan = Plan {
        seed: args.seed,
        count: args.count,
        shard: args.shard.unwrap_or(Shard::WHOLE),
    };
    let mut cx = Context::new()?;
    let single_tree = args.tree.luajit_dir.is_some() || args.tree.luajit_src.is_some();
    let reports = match single_tree {
        true => {
            let (_, name, variant) = single(&mut cx, &args.tree)?;
            let report = stress::run(&mut cx, &name, &variant.suite, plan)?;
            vec![(report, variant)]
        }
        false => {
            // Every step from the baseline to the patched variant, so each
            // finding can be traced to the patch that fixes it.
            let pair = prepare_pair(&mut cx, &PairArgs::default())?;
            let steps = build_steps(&mut cx, &pair, &mut Vec::new())?;
            let (baseline, patched) = stress::run_pair(&mut cx, &pair, &steps, plan)?;
            vec![(baseline, pair.baseline), (patched, pair.patched)]
        }
    };
    if args.json {
        let runs = Runs {
            schema_version: JSON_VERSION,
            runs: reports.iter().map(|(report, _)| report.clone()).collect(),
        };
        println!("{}", serde_json::to_string_pretty(&runs)?);
    } else {
        for (report, variant) in &reports {
            print(report);
            if args.time_raw {
                time_raw(&cx, &variant.built.dir, report)?;
            }
        }
    }
    Ok(verdict(reports.iter().map(|(report, _)| report)))
}

fn verdict<'a>(reports: impl IntoIterator<Item = &'a StressReport>) -> Verdict {
    if reports.into_iter().any(|r| !r.findings.is_empty()) {
        Verdict::Defects
    } else {
        Verdict::Sound
    }
}

/// `--merge`: the shards' runs, grouped by variant, each group merged.
fn merge(files: &[PathBuf], json: bool) -> Result<Verdict> {
    let mut by_variant: Vec<(String, Vec<StressReport>)> = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let runs: Runs = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not the output of `cargo xtask stress --json`",
                file.display()
            )
        })?;
        if runs.schema_version != JSON_VERSION {
            bail!(
                "{} has schema_version {}, this toolkit reads {JSON_VERSION}",
                file.display(),
                runs.schema_version
            );
        }
        for run in runs.runs {
            match by_variant.iter_mut().find(|(v, _)| *v == run.variant) {
                Some((_, group)) => group.push(run),
                None => by_variant.push((run.variant.clone(), vec![run])),
            }
        }
    }
    let merged = by_variant
        .into_iter()
        .map(|(_, group)| stress::merge(group))
        .collect::<Result<Vec<_>>>()?;
    if json {
        let runs = Runs {
            schema_version: JSON_VERSION,
            runs: merged.clone(),
        };
        println!("{}", serde_json::to_string_pretty(&runs)?);
    } else {
        for report in &merged {
            print(report);
        }
    }
    Ok(verdict(&merged))
}

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

/// Times the tree's own `luajit` binary on the same programs, JIT on and
/// off, one process per run as the harness does, for the overhead figure.
fn time_raw(cx: &Context, tree: &Path, report: &StressReport) -> Result<()> {
    let luajit = tree.join("src/luajit");
    let mut paths: Vec<_> = std::fs::read_dir(&report.programs_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let started = Instant::now();
    for path in &paths {
        for jit in ["-jon", "-joff"] {
            let mut command = cx.toolchain.command(&luajit);
            command
                .arg(jit)
                .arg(path)
                .current_dir(tree.join("src"))
                .output()
                .with_context(|| format!("cannot run {}", luajit.display()))?;
        }
    }
    let raw = started.elapsed().as_secs_f64();
    println!(
        "  raw luajit on the same {} programs (JIT on and off): {raw:.1} s; the harness took {:.1} s ({:.2}x)",
        paths.len(),
        report.run_seconds,
        report.run_seconds / raw
    );
    Ok(())
}
