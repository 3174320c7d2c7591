//! `cargo xtask mcode-diff [SCRIPT.lua ...]`: the machine code of every trace
//! a workload leaves, on the baseline and on the patched build, side by side
//! (the engine is `pipeline::mcode`).

use std::io::IsTerminal;

use anyhow::{Result, bail};

use crate::flags;
use crate::pipeline::Context;
use crate::pipeline::mcode::{
    SELF_CHECK_CASE, diff_saved, diff_workload, render, self_check, workload,
};
use crate::pipeline::variants::prepare_pair;
use crate::pipeline::verdict::Conclusion;

pub fn run(args: flags::McodeDiff) -> Result<Conclusion> {
    for script in &args.scripts {
        if !script.is_file() {
            bail!(
                "{}: no such file; pass the path of a Lua script",
                script.display()
            );
        }
    }
    if args.self_check {
        let mut cx = Context::new()?;
        let pair = prepare_pair(&mut cx, &args.pair.choice())?;
        let held = self_check(&mut cx, &pair)?;
        println!(
            "self-check: two captures of {SELF_CHECK_CASE} on the baseline {}",
            if held { "diff empty" } else { "DIFFER" }
        );
        return Ok(if held {
            Conclusion::Sound
        } else {
            Conclusion::Defects
        });
    }
    let diff = if args.no_run {
        let root = crate::pipeline::project_root();
        let scripts = workload(&root.join("tests").join("cases"), &args.scripts)?;
        diff_saved(&root.join("target"), &root, &scripts)?
    } else {
        let mut cx = Context::new()?;
        let scripts = workload(&cx.cases_dir(), &args.scripts)?;
        let pair = prepare_pair(&mut cx, &args.pair.choice())?;
        diff_workload(&mut cx, &pair, &scripts)?
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&diff)?);
    } else {
        print!("{}", render(&diff, std::io::stdout().is_terminal()));
    }
    Ok(if diff.clean() {
        Conclusion::Sound
    } else {
        Conclusion::Defects
    })
}
