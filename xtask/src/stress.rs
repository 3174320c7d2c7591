//! `cargo xtask stress`: seeded programs, the JIT against the interpreter,
//! on the baseline and the patched variant (or one tree), findings shrunk.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, Result};

use crate::Verdict;
use crate::flags;
use crate::flags::PairArgs;
use crate::pipeline::Context;
use crate::pipeline::stress::{self, StressReport};
use crate::pipeline::variants::{build_steps, prepare_pair, single};

pub fn run(args: flags::Stress) -> Result<Verdict> {
    let mut cx = Context::new()?;
    let single_tree = args.tree.luajit_dir.is_some() || args.tree.luajit_src.is_some();
    let reports = match single_tree {
        true => {
            let (_, name, variant) = single(&mut cx, &args.tree)?;
            let report = stress::run(&mut cx, &name, &variant.suite, args.seed, args.count)?;
            vec![(report, variant)]
        }
        false => {
            // Every step from the baseline to the patched variant, so each
            // finding can be traced to the patch that fixes it.
            let pair = prepare_pair(&mut cx, &PairArgs::default())?;
            let steps = build_steps(&mut cx, &pair, &mut Vec::new())?;
            let (baseline, patched) =
                stress::run_pair(&mut cx, &pair, &steps, args.seed, args.count)?;
            vec![(baseline, pair.baseline), (patched, pair.patched)]
        }
    };
    let mut any = false;
    for (report, variant) in &reports {
        print(report);
        if args.time_raw {
            time_raw(&cx, &variant.built.dir, report)?;
        }
        any |= !report.findings.is_empty();
    }
    Ok(if any {
        Verdict::Defects
    } else {
        Verdict::Sound
    })
}

pub fn print(report: &StressReport) {
    println!(
        "\nstress on {}: seed {}, {} programs, {} traces, {} findings; programs ran in {:.1} s ({:.1} programs/s, {:.0} traces/s), {:.1} s in all",
        report.variant,
        report.seed,
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
                .map(|(variant, difference)| {
                    format!(
                        "{variant} {}",
                        if difference.is_some() {
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
