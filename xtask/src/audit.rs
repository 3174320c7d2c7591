//! `cargo xtask audit [LOCKFILE]`: does the LuaJIT a Cargo.lock pins carry
//! known defects? Answers from the sweep's committed data, as text or JSON.

use anyhow::{Result, bail};

use crate::flags;
use crate::pipeline::audit::{self, Audit, Options, render};
use crate::pipeline::project_root;
use crate::pipeline::sweep::docs;
use crate::pipeline::verdict::{Answer, Conclusion};

pub fn run(args: flags::Audit) -> Result<Conclusion> {
    let options = Options {
        lockfile: args.lockfile,
        data: args.data.unwrap_or_else(|| project_root().join(docs::DATA)),
    };
    let result = audit::audit(&options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print!("{}", render::text(&result));
    }
    verdict(&result)
}

/// 1 when a luajit-src is affected, 0 when none is (or there is none),
/// otherwise an error (exit 2) naming the versions without an answer.
fn verdict(result: &Audit) -> Result<Conclusion> {
    if result.with(Answer::Affected).next().is_some() {
        return Ok(Conclusion::Defects);
    }
    let unanswered: Vec<String> = result
        .with(Answer::CouldNotTell)
        .map(|e| match &e.sweep_command {
            Some(command) => format!("luajit-src {} (judge it with `{command}`)", e.version),
            None => format!("luajit-src {}", e.version),
        })
        .collect();
    if !unanswered.is_empty() {
        bail!("no answer for {}", unanswered.join("; "));
    }
    Ok(Conclusion::Sound)
}
