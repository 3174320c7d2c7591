//! `cargo xtask probe PATH`: is this deployed LuaJIT affected by the
//! catalogued defects (the series' issues and every other known defect a
//! case pins)? Prints a verdict per issue, as text or JSON.

use anyhow::{Result, bail};

use crate::flags;
use crate::pipeline::Context;
use crate::pipeline::probe::{self, ProbeReport, render};
use crate::pipeline::verdict::Answer;
use crate::pipeline::verdict::Conclusion;

pub fn run(args: flags::Probe) -> Result<Conclusion> {
    if args.count == 0 {
        bail!("--count 0: the stress sample needs at least one program");
    }
    let mut cx = Context::new()?;
    let options = probe::Options {
        library_path: args.library_path,
        sysroot: args.sysroot,
        count: args.count,
    };
    let report = probe::probe(&mut cx, &args.path, &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&render::json(&report))?);
    } else {
        print!("{}", render::text(&report));
    }
    verdict(&report)
}

/// 1 when an issue is affected, 0 when every one is not, otherwise an error
/// (exit 2) naming what could not be told.
pub fn verdict(report: &ProbeReport) -> Result<Conclusion> {
    if !report.with_verdict(Answer::Affected).is_empty() {
        return Ok(Conclusion::Defects);
    }
    let unknown = report.with_verdict(Answer::CouldNotTell);
    if !unknown.is_empty() {
        bail!(
            "could not tell whether {} is affected by {}",
            report.target.path.display(),
            unknown.join(", ")
        );
    }
    Ok(Conclusion::Sound)
}
