//! `cargo xtask prepare`: build the baseline and the patched variant and say
//! where they are, for tools that link the suite themselves (e.g. `cross`,
//! with `LUAJIT_SYS_DIR` set to one of the printed folders).

use anyhow::Result;

use crate::flags;
use crate::pipeline::Context;
use crate::pipeline::variants::{BASELINE, PATCHED, prepare_pair};
use crate::pipeline::verdict::Conclusion;

pub fn run(args: flags::Prepare) -> Result<Conclusion> {
    let mut cx = Context::new()?;
    let pair = prepare_pair(&mut cx, &args.pair.choice())?;
    println!("{}", pair.describe());
    for (name, variant) in [(BASELINE, &pair.baseline), (PATCHED, &pair.patched)] {
        println!("{name}={}", variant.built.dir.display());
    }
    Ok(Conclusion::Sound)
}
