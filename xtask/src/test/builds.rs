//! Incremental variant builds: a variant made from a copy of its tree's
//! build, with only what its patches touch recompiled, has the same
//! `luajit` and `libluajit.a` bytes as a clean build of the same tree.

use std::fs;
use std::path::Path;

use anyhow::Context as _;

use super::{Trial, expect};
use crate::pipeline::build::{VariantSpec, assemble};
use crate::pipeline::variants::{BASELINE, Mode};

/// The build products compared.
const PRODUCTS: [&str; 2] = ["src/luajit", "src/libluajit.a"];

pub fn checks() -> Vec<Trial> {
    vec![Trial::new(
        "builds/incremental-equals-clean",
        "the patched variant built from a copy of the baseline's build has the bytes of a clean build of the same tree",
        |fx| {
            let (cx, pair) = fx.pair()?;
            let spec = VariantSpec {
                name: "clean-check".to_owned(),
                source: &pair.source,
                series: Some(&pair.series),
                reverse: pair.mode == Mode::Revert,
            };
            let scratch =
                tempfile::tempdir_in(cx.target_dir()).context("cannot make a scratch folder")?;
            let (incremental, clean) = (
                scratch.path().join("incremental"),
                scratch.path().join("clean"),
            );
            let base = pair.variant(BASELINE).built.dir.clone();
            let (base, pipeline) = match pair.mode {
                Mode::Apply => (base, pair.patched.built.dir.clone()),
                Mode::Revert => (pair.patched.built.dir.clone(), base),
            };
            assemble(
                cx,
                &spec,
                Some(&base),
                &incremental,
                &scratch.path().join("incremental.log"),
            )?;
            let recompiled = compiled_files(&scratch.path().join("incremental.log"));
            assemble(cx, &spec, None, &clean, &scratch.path().join("clean.log"))?;
            let mut differ = Vec::new();
            for product in PRODUCTS {
                for (what, tree) in [
                    ("the incremental build", &incremental),
                    ("the pipeline's variant", &pipeline),
                ] {
                    if fs::read(tree.join(product))? != fs::read(clean.join(product))? {
                        differ.push(format!("{product}: {what} differs from the clean build"));
                    }
                }
            }
            let all = compiled_files(&scratch.path().join("clean.log"));
            Ok(expect(differ.is_empty() && recompiled < all, || {
                format!(
                    "{}; the incremental build compiled {recompiled} files, the clean one {all}",
                    differ.join("; ")
                )
            }))
        },
    )]
}

/// How many files a build log says were compiled.
fn compiled_files(log: &Path) -> usize {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.trim_start().starts_with("CC ") || l.trim_start().starts_with("HOSTCC "))
        .count()
}
