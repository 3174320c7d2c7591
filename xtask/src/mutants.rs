//! `cargo xtask mutants`: generated one-line mutants of the ARM64 backend,
//! a seeded sample of them judged by the cases and the default stress run,
//! and the score with its interval and every survivor. Sharded runs are
//! combined with `--merge`.

use anyhow::Result;

use crate::flags;
use crate::pipeline::Context;
use crate::pipeline::mutants::campaign::{self, Options};
use crate::pipeline::mutants::{gaps, render, triage};
use crate::pipeline::project_root;
use crate::pipeline::stress::Shard;
use crate::pipeline::verdict::Conclusion;

pub fn run(args: flags::Mutants) -> Result<Conclusion> {
    if args.gaps {
        return rejudge_gaps(args.json);
    }
    let run = if !args.merge.is_empty() {
        let shards = args
            .merge
            .iter()
            .map(|file| campaign::read(file))
            .collect::<Result<Vec<_>>>()?;
        let mut merged = campaign::merge(shards, args.partial)?;
        let root = project_root();
        merged.apply_triage(&triage::load(&root.join(campaign::TRIAGE_FILE), &root)?)?;
        merged
    } else {
        let mut cx = Context::new()?;
        campaign::run(
            &mut cx,
            Options {
                sample: args.sample,
                seed: args.seed,
                shard: args.shard.unwrap_or(Shard::WHOLE),
            },
        )?
    };
    let dir = render::write(&run, &project_root().join("target"))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&run)?);
    } else {
        println!();
        print!("{}", render::text(&run, Some(&dir)));
    }
    let unjudged = run.unjudged().count();
    if unjudged > 0 {
        anyhow::bail!(
            "{unjudged} sampled mutants could not be judged (listed above, and in {})",
            dir.join("mutants.json").display()
        );
    }
    Ok(if run.rows.iter().any(|r| r.untriaged_survivor()) {
        Conclusion::Defects
    } else {
        Conclusion::Sound
    })
}

/// `--gaps`: every triaged gap's mutant judged again; a gap that still
/// survives is what the triage said, so only a mutant that cannot be
/// judged fails the command.
fn rejudge_gaps(json: bool) -> Result<Conclusion> {
    let mut cx = Context::new()?;
    let entries = triage::load(&cx.root.join(campaign::TRIAGE_FILE), &cx.root)?;
    let rejudged = gaps::rejudge(&mut cx, &entries)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rejudged)?);
    } else {
        println!();
        print!("{}", render::gaps_text(&rejudged));
    }
    let unjudged = rejudged.iter().filter(|g| g.verdict.is_none()).count();
    if unjudged > 0 {
        anyhow::bail!("{unjudged} gaps could not be judged (listed above)");
    }
    Ok(Conclusion::Sound)
}
