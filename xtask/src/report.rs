//! `cargo xtask report`.

use anyhow::{Result, bail};

use crate::flags;
use crate::pipeline::verdict::Conclusion;

pub fn run(_args: flags::Report) -> Result<Conclusion> {
    bail!("not built yet")
}
