//! `cargo xtask stress`: seeded programs, the JIT against the interpreter,
//! on the baseline and the patched variant (or one tree), findings shrunk.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use crate::flags;
use crate::pipeline::verdict::Conclusion;

use crate::pipeline::findings::{Store, matching, runs};
use crate::pipeline::stress::{self, Plan, Runs, Shard, StressReport};
use crate::pipeline::variants::{PairChoice, build_steps, prepare_pair, single, single_with};
use crate::pipeline::{Context, Timings, coverage};

pub fn run(args: flags::Stress) -> Result<Conclusion> {
    if !args.merge.is_empty() {
        return merge(&args.merge, args.json);
    }
    let plan = Plan {
        seed: args.seed,
        count: args.count,
        shard: args.shard.unwrap_or(Shard::WHOLE),
    };
    if args.patches.is_some() && !args.tree.named() {
        bail!(
            "--patches needs --luajit-src or --luajit-dir: a run on both variants takes its series from patches/"
        );
    }
    let mut cx = Context::new()?;
    let single_tree = args.tree.named();
    let reports = match single_tree {
        true => {
            let (source, name, variant, series) = match &args.patches {
                Some(dir) => {
                    let (source, name, variant, series) =
                        single_with(&mut cx, &args.tree.tree(), dir)?;
                    (source, name, variant, Some(series))
                }
                None => {
                    let (source, name, variant) = single(&mut cx, &args.tree.tree())?;
                    (source, name, variant, None)
                }
            };
            let report = stress::run(&mut cx, &name, &variant.suite, plan)?;
            let tree = matching::Tree {
                name: &name,
                source: &source,
                applied: series.as_ref(),
                variant: &variant,
            };
            let store = Store::project(&cx.target_dir())?;
            runs::record_tree(&mut cx, &store, &report, tree)?;
            vec![(report, variant)]
        }
        false => {
            // Every step from the baseline to the patched variant, so each
            // finding can be traced to the patch that fixes it.
            let pair = prepare_pair(&mut cx, &PairChoice::default())?;
            let steps = build_steps(&mut cx, &pair, &mut Timings::default())?;
            let (baseline, patched) = stress::run_pair(&mut cx, &pair, &steps, plan)?;
            let store = Store::project(&cx.target_dir())?;
            runs::record_pair(&mut cx, &store, &pair, &baseline, &patched)?;
            vec![(baseline, pair.baseline), (patched, pair.patched)]
        }
    };
    let measured = match args.coverage {
        true => {
            let (_, variant) = reports.last().expect("a run per variant");
            let cases = cx.cases_dir();
            let measured =
                coverage::measure(&mut cx, &variant.built, &variant.suite, &cases, plan)?;
            let file = measured.write(&cx.target_dir().join("coverage"))?;
            eprintln!("{}\n  per function: {}", measured.render(), file.display());
            Some(measured)
        }
        false => None,
    };
    if args.json {
        let runs = Runs {
            coverage: measured.map(serde_json::to_value).transpose()?,
            ..Runs::new(reports.iter().map(|(report, _)| report.clone()).collect())
        };
        println!("{}", runs.json()?);
    } else {
        for (report, variant) in &reports {
            print!("{}", stress::render(report));
            if args.time_raw {
                time_raw(&cx, &variant.built.dir, report)?;
            }
        }
    }
    Ok(verdict(reports.iter().map(|(report, _)| report)))
}

fn verdict<'a>(reports: impl IntoIterator<Item = &'a StressReport>) -> Conclusion {
    if reports.into_iter().any(|r| !r.findings.is_empty()) {
        Conclusion::Defects
    } else {
        Conclusion::Sound
    }
}

/// `--merge`: the shards' runs, grouped by variant, each group merged.
fn merge(files: &[PathBuf], json: bool) -> Result<Conclusion> {
    let (runs, shards_coverage) = stress::merge_documents(files)?;
    let coverage = coverage::merge_shards(shards_coverage)?;
    if json {
        let document = Runs {
            coverage: coverage.map(serde_json::to_value).transpose()?,
            ..Runs::new(runs.clone())
        };
        println!("{}", document.json()?);
    } else {
        for report in &runs {
            print!("{}", stress::render(report));
        }
        if let Some(coverage) = &coverage {
            println!("{}", coverage.markdown());
        }
    }
    Ok(verdict(&runs))
}

/// Times the tree's own `luajit` binary on the same programs, JIT on and
/// off, one process per run as the harness does, for the overhead figure.
fn time_raw(cx: &Context, tree: &Path, report: &StressReport) -> Result<()> {
    let luajit = tree.join("src/luajit");
    let paths = crate::pipeline::lua_files(&report.programs_dir)?;
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
