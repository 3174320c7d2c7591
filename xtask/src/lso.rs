//! `cargo xtask lso`: is emit_lso of this tree right for every input?

use anyhow::Result;

use crate::Verdict;
use crate::flags;
use crate::pipeline::variants::single;
use crate::pipeline::{Context, lso, suite};

pub fn run(args: flags::Lso) -> Result<Verdict> {
    let mut cx = Context::new()?;
    let (source, name, variant) = single(&mut cx, &args.tree)?;
    let domain = if args.window { "window" } else { "full" };
    let report = suite::run_lso(&mut cx, &name, &variant.suite, domain)?;
    lso::print(&source.label, &report);
    Ok(if report.defects.is_empty() {
        Verdict::Sound
    } else {
        Verdict::Defects
    })
}
