//! `cargo xtask sweep`: many LuaJIT trees (given versions, given folders,
//! or every published luajit-src), one row each: the upstream issues the
//! tree carries, what each patch of the series is to it, and whether the
//! patched tree verifies. Sharded runs are combined with `--merge`;
//! `--write-docs` writes the table, the evidence, the data and the OSV
//! records under docs/.

use std::fs;

use anyhow::{Context as _, Result, bail};

use crate::flags;
use crate::pipeline::fetch::Tree;
use crate::pipeline::stress::Shard;
use crate::pipeline::sweep::{self, Options, Sweep, jobs};
use crate::pipeline::verdict::Conclusion;
use crate::pipeline::{Context, project_root};

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
        if args.jobs == 0 {
            bail!("--jobs 0: give the number of shards to run at once, 1 or more");
        }
        let mut cx = Context::new()?;
        let given: Vec<Tree> = (args.luajit_src.iter().cloned().map(Tree::Published))
            .chain(args.luajit_dir.iter().cloned().map(Tree::Dir))
            .collect();
        if args.jobs > 1 {
            let arguments = jobs::sweep_arguments(args.all_published, &given, args.stress_count);
            let dir = cx.target_dir().join("sweep-jobs");
            return finish(
                &args,
                jobs::sweep_in_processes(&arguments, args.jobs, &dir)?,
            );
        }
        let trees = sweep::trees(&mut cx, args.all_published, given)?;
        let options = Options {
            stress_count: args.stress_count,
            shard: args.shard.unwrap_or(Shard::WHOLE),
            all_published: args.all_published,
        };
        sweep::sweep(&mut cx, &trees, options)?
    };
    finish(&args, result)
}

/// Prints and writes the whole sweep as asked, and gives its exit status.
fn finish(args: &flags::Sweep, result: Sweep) -> Result<Conclusion> {
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!();
        print!("{}", sweep::table(&result));
        print!("{}", sweep::render::details(&result));
    }
    if let Some(file) = &args.markdown {
        let markdown = format!(
            "{}\n{}",
            sweep::render::affected_versions_block(&result),
            sweep::render::evidence(&result)
        );
        fs::write(file, markdown).with_context(|| format!("cannot write {}", file.display()))?;
    }
    if args.write_docs {
        let root = project_root();
        for path in sweep::docs::write(&root, &result)? {
            eprintln!(
                "    wrote {}",
                path.strip_prefix(&root).unwrap_or(&path).display()
            );
        }
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
