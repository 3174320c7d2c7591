//! Upstream drafts: a finding turned into an issue upstream can act on, in
//! its own terms (a standalone script, -jdump, commits, a patch).

// `cargo xtask report` will export its patches; until it does, only the
// tests call the module.
#[allow(dead_code)]
pub mod export;
