//! `cargo xtask sweep`: many LuaJIT trees (given versions, given folders,
//! or every published luajit-src), one row each: the upstream issues the
//! tree carries, what each patch of the series is to it, and whether the
//! patched tree verifies. Sharded runs are combined with `--merge`.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result, bail};

use crate::flags;
use crate::pipeline::Conclusion;
use crate::pipeline::stress::Shard;
use crate::pipeline::sweep::{self, Options, Sweep, Tree};
use crate::pipeline::{Context, project_root};

const README_START: &str = "<!-- sweep:start -->";
const README_END: &str = "<!-- sweep:end -->";

pub fn run(args: flags::Sweep) -> Result<Conclusion> {
    let result = if !args.merge.is_empty() {
        let shards = args
            .merge
            .iter()
            .map(|file| sweep::read(file))
            .collect::<Result<Vec<_>>>()?;
        sweep::merge(shards)?
    } else {
        if args.stress_count == 0 {
            bail!("--stress-count 0: the stress run needs at least one program");
        }
        let mut cx = Context::new()?;
        let mut trees: Vec<Tree> = Vec::new();
        if args.all_published {
            trees.extend(
                sweep::published_versions(&mut cx)?
                    .into_iter()
                    .map(Tree::Published),
            );
        }
        trees.extend(args.luajit_src.iter().cloned().map(Tree::Published));
        trees.extend(args.luajit_dir.iter().cloned().map(Tree::Dir));
        if trees.is_empty() {
            bail!(
                "no tree to sweep: give --luajit-src VERSION, --luajit-dir DIR or --all-published"
            );
        }
        let mut seen = Vec::new();
        trees.retain(|t| {
            let fresh = !seen.contains(t);
            seen.push(t.clone());
            fresh
        });
        let options = Options {
            stress_count: args.stress_count,
            shard: args.shard.unwrap_or(Shard::WHOLE),
            all_published: args.all_published,
        };
        sweep::sweep(&mut cx, &trees, options)?
    };

    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!();
        print!("{}", sweep::table(&result));
        print_details(&result);
    }
    let markdown = sweep::markdown(&result);
    if let Some(file) = &args.markdown {
        fs::write(file, &markdown).with_context(|| format!("cannot write {}", file.display()))?;
    }
    if args.write_readme {
        write_readme(&project_root().join("README.md"), &result, &markdown)?;
    }
    verdict(&result)
}

/// 1 when a tree is affected or its patched tree does not verify, 0 when
/// every tree was judged and none is, otherwise an error (exit 2) naming
/// the trees that could not be judged.
fn verdict(result: &Sweep) -> Result<Conclusion> {
    let judged = result.rows.iter().filter(|r| r.error.is_none());
    if judged
        .clone()
        .any(|r| !r.affected.is_empty() || !r.patched_verifies)
    {
        return Ok(Conclusion::Defects);
    }
    let unjudged: Vec<String> = result
        .rows
        .iter()
        .filter(|r| r.error.is_some() || !r.could_not_tell.is_empty())
        .map(|r| r.tree.clone())
        .collect();
    if !unjudged.is_empty() {
        bail!(
            "no tree is affected, but these could not be judged: {}",
            unjudged.join(", ")
        );
    }
    Ok(Conclusion::Sound)
}

/// Under the table, the evidence behind each verdict, tree by tree.
fn print_details(result: &Sweep) {
    for row in &result.rows {
        println!("\n{}", row.tree);
        if let Some(error) = &row.error {
            println!("  could not sweep it: {error}");
            continue;
        }
        for patch in &row.patches {
            println!(
                "  {} ({}): {}",
                patch.patch,
                patch.fixes.join(", "),
                patch.state.label()
            );
        }
        for issue in &row.issues {
            println!("  {}: {}", issue.issue, issue.verdict.label());
            for line in &issue.evidence {
                println!("      {line}");
            }
        }
        if let Some(stress) = &row.stress {
            println!(
                "  stress: {} programs (seed {}), {} traces, {} differ",
                stress.programs,
                stress.seed,
                stress.traces,
                stress.findings.len()
            );
            for finding in &stress.findings {
                println!("      {finding}");
            }
        }
        println!(
            "  patched tree {}: {}",
            if row.patched_verifies {
                "verifies"
            } else {
                "does NOT verify"
            },
            row.patched
        );
    }
    println!(
        "\n{} trees in {:.1} s ({:.1} s per tree)",
        result.rows.len(),
        result.seconds,
        result.seconds / result.rows.len().max(1) as f64
    );
}

fn write_readme(readme: &Path, result: &Sweep, markdown: &str) -> Result<()> {
    let text =
        fs::read_to_string(readme).with_context(|| format!("cannot read {}", readme.display()))?;
    let (Some(start), Some(end)) = (text.find(README_START), text.find(README_END)) else {
        bail!(
            "{} has no {README_START} … {README_END} block to write the table into",
            readme.display()
        );
    };
    let output = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .current_dir(readme.parent().unwrap_or(Path::new(".")))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(|| "unknown".to_owned())
    };
    let date = output("date", &["-u", "+%Y-%m-%d"]);
    let commit = output("git", &["rev-parse", "--short=12", "HEAD"]);
    let dirty = if output("git", &["status", "--porcelain", "--untracked-files=no"]).is_empty() {
        ""
    } else {
        " with local changes"
    };
    let trees = if result.all_published {
        format!(
            "every luajit-src version cargo's registry index listed ({})",
            result.rows.len()
        )
    } else {
        format!(
            "{} trees (not every published version: run it with --all-published)",
            result.rows.len()
        )
    };
    let block = format!(
        "{README_START}\nSwept {date} by `cargo xtask sweep` at commit {commit}{dirty}: {trees}, \
         each with the cases, the exhaustive emit_lso check and {} stress programs (seed {}); \
         this run took {} ({:.0} s per tree, steps cached by earlier runs reused). \
         In the series column each patch of `patches/` is *in* (already in the tree), *applies* \
         or *neither*.\n\n{markdown}",
        result.stress_count,
        result.stress_seed,
        if result.seconds >= 120.0 {
            format!("{:.0} min", result.seconds / 60.0)
        } else {
            format!("{:.0} s", result.seconds)
        },
        result.seconds / result.rows.len().max(1) as f64
    );
    let updated = format!("{}{block}{}", &text[..start], &text[end..]);
    fs::write(readme, updated).with_context(|| format!("cannot write {}", readme.display()))
}
