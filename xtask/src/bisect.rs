//! `cargo xtask bisect`: the published trees (and, with --luajit-git, the
//! upstream commits) where a case or a script turns bad, and where it
//! turns good again.

use anyhow::{Result, bail};

use crate::flags;
use crate::pipeline::Context;
use crate::pipeline::bisect::{self, Options, search::Found};
use crate::pipeline::verdict::Conclusion;

pub fn run(args: flags::Bisect) -> Result<Conclusion> {
    let mut cx = Context::new()?;
    let options = Options {
        script: args.script,
        luajit_git: args.luajit_git,
    };
    let result = bisect::bisect(&mut cx, &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print!("{}", bisect::text(&result));
    }
    if result.answered() {
        return Ok(Conclusion::Sound);
    }
    match result.found {
        Found::NoBadPlace { .. } => Ok(Conclusion::Defects),
        Found::Unjudged => bail!("the published trees could not be judged (see the skips above)"),
        _ => bail!("the upstream commits could not be searched (see above why)"),
    }
}
