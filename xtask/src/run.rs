//! `cargo xtask run SCRIPT.lua`: one script on both variants, under the same
//! conditions, side by side.

use anyhow::{Result, bail};
use serde_json::json;

use crate::flags;
use crate::pipeline::Context;
use crate::pipeline::suite::{self, outcome::Outcome, outcome::Status};
use crate::pipeline::variants::{BASELINE, PATCHED, prepare_pair};
use crate::pipeline::verdict::Conclusion;

pub fn run(args: flags::Run) -> Result<Conclusion> {
    if !args.script.is_file() {
        bail!(
            "{}: no such file; pass the path of a Lua script",
            args.script.display()
        );
    }
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        bail!(
            "--timeout {}: give a positive number of seconds",
            args.timeout
        );
    }
    let script = args.script.canonicalize()?;
    let mut cx = Context::new()?;
    let pair = prepare_pair(&mut cx, &args.pair.choice())?;
    let baseline = suite::run_script(&mut cx, &pair.baseline.suite, &script, args.timeout)?;
    let patched = suite::run_script(&mut cx, &pair.patched.suite, &script, args.timeout)?;

    if args.json {
        let object = json!({
            "script": args.script.display().to_string(),
            BASELINE: outcome_json(&baseline),
            PATCHED: outcome_json(&patched),
        });
        println!("{}", serde_json::to_string_pretty(&object)?);
    } else {
        println!("script: {}", args.script.display());
        for (name, outcome) in [(BASELINE, &baseline), (PATCHED, &patched)] {
            println!("\n{name}: {}", outcome.summary());
            for line in outcome.output.lines() {
                println!("  | {line}");
            }
        }
    }
    let same = baseline.status == patched.status && baseline.exit_code == patched.exit_code;
    Ok(if same && baseline.status == Status::Pass {
        Conclusion::Sound
    } else {
        Conclusion::Defects
    })
}

fn outcome_json(outcome: &Outcome) -> serde_json::Value {
    json!({
        "status": outcome.status,
        "exit_code": outcome.exit_code,
        "signal": outcome.signal,
        "error": outcome.error,
        "output": outcome.output,
    })
}
