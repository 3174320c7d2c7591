//! Incremental builds: a variant made from a copy of its tree's build,
//! with only what its patches touch recompiled, and a tree made from its
//! neighbour's build, with only what its differing files touch recompiled,
//! have the same `luajit` and `libluajit.a` bytes as clean builds.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::{Trial, expect};
use crate::pipeline::build::{Start, VariantSpec, assemble, prepare_and_build};
use crate::pipeline::variants::{BASELINE, Mode};
use crate::pipeline::{Context, fetch, neighbour};

/// The build products compared.
const PRODUCTS: [&str; 2] = ["src/luajit", "src/libluajit.a"];

/// Two published trees with the same src/Makefile, a few files apart: the
/// second is built from the first's build.
const NEIGHBOURS: (&str, &str) = ("210.7.3+1ee778a", "210.7.4+c6ffc14");

pub fn checks() -> Vec<Trial> {
    vec![
        neighbour_equals_clean(),
        Trial::new(
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
                let base = pair.variant(BASELINE).built.dir.clone();
                let (base, pipeline) = match pair.mode {
                    Mode::Apply => (base, pair.patched.built.dir.clone()),
                    Mode::Revert => (pair.patched.built.dir.clone(), base),
                };
                let both = BothBuilds::make(cx, &spec, &Start::Build(&base))?;
                let mut differ = both.differing_products(&both.made, "the incremental build")?;
                differ.extend(both.differing_products(&pipeline, "the pipeline's variant")?);
                let (recompiled, all) = (both.recompiled, both.all);
                Ok(expect(differ.is_empty() && recompiled < all, || {
                    format!(
                        "{}; the incremental build compiled {recompiled} files, the clean one {all}",
                        differ.join("; ")
                    )
                }))
            },
        ),
    ]
}

fn neighbour_equals_clean() -> Trial {
    Trial::new(
        "builds/neighbour-equals-clean",
        "a published tree built from its neighbour's build has the bytes of its clean build",
        |fx| {
            let cx = &mut fx.cx;
            let (from, to) = (
                fetch::published(cx, NEIGHBOURS.0)?,
                fetch::published(cx, NEIGHBOURS.1)?,
            );
            let neighbour = prepare_and_build(
                cx,
                &VariantSpec {
                    name: "tree".to_owned(),
                    source: &from,
                    series: None,
                    reverse: false,
                },
            )?;
            let spec = VariantSpec {
                name: "neighbour-check".to_owned(),
                source: &to,
                series: None,
                reverse: false,
            };
            let both = BothBuilds::make(cx, &spec, &Start::Neighbour(&neighbour.dir))?;
            let differ = both.differing_products(&both.made, "the neighbour build")?;
            let files = neighbour::source_files(&to.dir)?;
            let differing = neighbour::differing(&files, &to.dir, &from.dir);
            let (recompiled, all) = (both.recompiled, both.all);
            Ok(expect(differ.is_empty() && recompiled < all, || {
                format!(
                    "{}; built from {} ({differing} files differing), it compiled {recompiled} files, the clean build {all}",
                    differ.join("; "),
                    from.label
                )
            }))
        },
    )
}

/// A variant built from `start` and the same variant built clean, in a
/// scratch folder, with how many files each compiled.
struct BothBuilds {
    _scratch: tempfile::TempDir,
    made: PathBuf,
    clean: PathBuf,
    recompiled: usize,
    all: usize,
}

impl BothBuilds {
    fn make(cx: &mut Context, spec: &VariantSpec, start: &Start) -> Result<BothBuilds> {
        let scratch =
            tempfile::tempdir_in(cx.target_dir()).context("cannot make a scratch folder")?;
        let (made, clean) = (scratch.path().join("made"), scratch.path().join("clean"));
        let (made_log, clean_log) = (
            scratch.path().join("made.log"),
            scratch.path().join("clean.log"),
        );
        assemble(cx, spec, start, &made, &made_log)?;
        assemble(cx, spec, &Start::Pristine, &clean, &clean_log)?;
        Ok(BothBuilds {
            recompiled: compiled_files(&made_log),
            all: compiled_files(&clean_log),
            _scratch: scratch,
            made,
            clean,
        })
    }

    /// The products of `tree` (named `what`) that differ from the clean build's.
    fn differing_products(&self, tree: &Path, what: &str) -> Result<Vec<String>> {
        let mut differ = Vec::new();
        for product in PRODUCTS {
            if fs::read(tree.join(product))? != fs::read(self.clean.join(product))? {
                differ.push(format!("{product}: {what} differs from the clean build"));
            }
        }
        Ok(differ)
    }
}

/// How many files a build log says were compiled.
fn compiled_files(log: &Path) -> usize {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.trim_start().starts_with("CC ") || l.trim_start().starts_with("HOSTCC "))
        .count()
}
