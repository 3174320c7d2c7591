//! `cargo xtask findings`.

use anyhow::{Result, bail};

use crate::flags;
use crate::pipeline::verdict::Conclusion;

pub fn run(_args: flags::Findings) -> Result<Conclusion> {
    bail!("not built yet")
}
