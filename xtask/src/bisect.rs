//! `cargo xtask bisect`.

use anyhow::{Result, bail};

use crate::flags;
use crate::pipeline::verdict::Conclusion;

pub fn run(_args: flags::Bisect) -> Result<Conclusion> {
    bail!("not built yet")
}
