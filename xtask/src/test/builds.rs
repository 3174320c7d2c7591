//! Incremental builds: a variant made from a copy of its tree's build,
//! with only what its patches touch recompiled, and a tree made from its
//! neighbour's build, with only what its differing files touch recompiled,
//! have the same `luajit` and `libluajit.a` bytes as clean builds.

use std::fs;
use std::path::Path;

use anyhow::Context as _;

use super::{Trial, expect};
use crate::pipeline::build::{Start, VariantSpec, assemble, prepare_and_build};
use crate::pipeline::variants::{BASELINE, Mode};
use crate::pipeline::{fetch, neighbour};

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
                let scratch = tempfile::tempdir_in(cx.target_dir())
                    .context("cannot make a scratch folder")?;
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
                    &Start::Build(&base),
                    &incremental,
                    &scratch.path().join("incremental.log"),
                )?;
                let recompiled = compiled_files(&scratch.path().join("incremental.log"));
                assemble(
                    cx,
                    &spec,
                    &Start::Pristine,
                    &clean,
                    &scratch.path().join("clean.log"),
                )?;
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
            let scratch =
                tempfile::tempdir_in(cx.target_dir()).context("cannot make a scratch folder")?;
            let (made, clean) = (
                scratch.path().join("neighbour"),
                scratch.path().join("clean"),
            );
            let start = Start::Neighbour(&neighbour.dir);
            assemble(
                cx,
                &spec,
                &start,
                &made,
                &scratch.path().join("neighbour.log"),
            )?;
            assemble(
                cx,
                &spec,
                &Start::Pristine,
                &clean,
                &scratch.path().join("clean.log"),
            )?;
            let mut differ = Vec::new();
            for product in PRODUCTS {
                if fs::read(made.join(product))? != fs::read(clean.join(product))? {
                    differ.push(format!("{product} differs from the clean build's"));
                }
            }
            let files = neighbour::source_files(&to.dir)?;
            let differing = neighbour::differing(&files, &to.dir, &from.dir);
            let recompiled = compiled_files(&scratch.path().join("neighbour.log"));
            let all = compiled_files(&scratch.path().join("clean.log"));
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

/// How many files a build log says were compiled.
fn compiled_files(log: &Path) -> usize {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.trim_start().starts_with("CC ") || l.trim_start().starts_with("HOSTCC "))
        .count()
}
