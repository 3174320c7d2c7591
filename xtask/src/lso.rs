//! `cargo xtask lso`: is emit_lso of this tree right for every input?

use anyhow::Result;
use lso_check::Domain;

use crate::flags;
use crate::pipeline::Context;
use crate::pipeline::lso;
use crate::pipeline::variants::single;
use crate::pipeline::verdict::Conclusion;

pub fn run(args: flags::Lso) -> Result<Conclusion> {
    let mut cx = Context::new()?;
    let (source, name, variant) = single(&mut cx, &args.tree.tree())?;
    let domain = if args.window {
        Domain::Window
    } else {
        Domain::Full
    };
    let report = lso::check(
        &mut cx,
        &name,
        &variant.built,
        Some(&variant.suite),
        domain,
        args.engine,
    )?;
    print!("{}", lso::render(&source.label, &report));
    Ok(if report.defects.is_empty() {
        Conclusion::Sound
    } else {
        Conclusion::Defects
    })
}
