//! Upstream drafts: a finding turned into an issue upstream can act on, in
//! its own terms (a standalone script, -jdump, commits, a patch).
