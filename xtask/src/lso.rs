//! `cargo xtask lso`: is emit_lso of this tree right for every input?

use anyhow::Result;

use crate::Verdict;
use crate::flags;
use crate::pipeline::variants::{BASELINE, build_variant};
use crate::pipeline::{Context, fetch, lso, suite};

pub fn run(args: flags::Lso) -> Result<Verdict> {
    let mut cx = Context::new()?;
    let (source, name) = match &args.luajit_dir {
        Some(dir) => {
            let source = fetch::local(dir)?;
            let name = fetch::checked_variant_name(&source);
            (source, name)
        }
        None => (fetch::vendored(&mut cx)?, BASELINE.to_owned()),
    };
    let variant = build_variant(&mut cx, &name, &source, None, &mut Vec::new())?;
    let domain = if args.window { "window" } else { "full" };
    let report = suite::run_lso(&mut cx, &name, &variant.suite, domain)?;
    lso::print(&source.label, &report);
    Ok(if report.defects.is_empty() { Verdict::Sound } else { Verdict::Defects })
}
