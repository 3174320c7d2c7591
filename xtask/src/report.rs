//! `cargo xtask report`: a draft of an upstream issue for a case or a
//! script, written to target/reports/NAME/.

use anyhow::Result;

use crate::flags;
use crate::pipeline::draft::{self, Options};
use crate::pipeline::findings::Store;
use crate::pipeline::verdict::Conclusion;
use crate::pipeline::{Context, bisect};

pub fn run(args: flags::Report) -> Result<Conclusion> {
    let mut cx = Context::new()?;
    let range = match args.no_bisect {
        true => None,
        false => {
            let bisection = bisect::bisect(
                &mut cx,
                &bisect::Options {
                    script: args.script.clone(),
                    luajit_git: args.luajit_git.clone(),
                },
            )?;
            eprint!("{}", bisect::text(&bisection));
            bisect::upstream_terms(&bisection)
        }
    };
    let options = Options {
        script: args.script.clone(),
        tree: args.pair.tree.tree(),
        patches: args.pair.patches.clone(),
        range,
        store: Store::project(&cx.target_dir())?.dir,
        reports: args
            .out
            .clone()
            .unwrap_or_else(|| cx.target_dir().join("reports")),
    };
    let drafted = draft::draft(&mut cx, &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&drafted)?);
    } else {
        println!("{}: on {}", drafted.name, drafted.tree);
        println!("  with the JIT: {}", drafted.jit);
        println!("  with -joff:   {}", drafted.joff);
        println!("  matches: {}", drafted.matched.label());
        if let Some(agrees) = drafted.fixed_agrees {
            println!(
                "  with the series: {}",
                if agrees {
                    "the JIT and -joff agree"
                } else {
                    "they still differ"
                }
            );
        }
        for patch in &drafted.patches {
            println!("  patch for upstream: {}", patch.display());
        }
        println!("  draft: {}", drafted.issue_md.display());
    }
    Ok(Conclusion::Sound)
}
