//! The catalogue of known defects, case by case: each case whose header
//! names the trees it was seen on (`fails-on`, `passes-on`) fails on the
//! first as its header says and passes on the second, run as stock
//! `luajit FILE.lua` on each tree built here (a published one, or one with
//! a series of the project applied where no published tree has the fix),
//! and passes on both with the JIT off.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use contract::case::{Case, Tree};

use super::{Trial, expect};
use crate::pipeline::Context;
use crate::pipeline::build::{VariantSpec, prepare_and_build};
use crate::pipeline::fetch;
use crate::pipeline::patch::Series;
use crate::pipeline::probe::exec::Runner;
use crate::pipeline::suite::outcome::{Outcome, Status};

/// A case runs well under a second; a hang gets this long.
const TIME_LIMIT: Duration = Duration::from_secs(20);

pub fn checks(root: &Path) -> Result<Vec<Trial>> {
    let cases = Case::load_dir(&root.join("tests/cases")).map_err(anyhow::Error::msg)?;
    Ok(cases
        .into_iter()
        .filter_map(|case| {
            let (fails_on, passes_on) = (case.fails_on.clone()?, case.passes_on.clone()?);
            Some(Trial::new(
                format!("catalogue/{}", case.name),
                format!(
                    "{}: fails on {fails_on}{}, passes on {passes_on}; passes on both with -joff",
                    case.pins.join(", "),
                    case.fails_with
                        .as_deref()
                        .map(|t| format!(" with \"{t}\""))
                        .unwrap_or_default()
                ),
                move |fx| {
                    let mut seen = Vec::new();
                    for (tree, should_fail) in [(&fails_on, true), (&passes_on, false)] {
                        let luajit = built_luajit(&mut fx.cx, tree)?;
                        let jit = run(&fx.cx, &luajit, &case.path, false)?;
                        let joff = run(&fx.cx, &luajit, &case.path, true)?;
                        let held = if should_fail {
                            failed_as_said(&jit, case.fails_with.as_deref())
                        } else {
                            jit.status == Status::Pass
                        };
                        if !held {
                            seen.push(format!(
                                "on {tree} expected {}, got {}",
                                if should_fail { "a failure" } else { "a pass" },
                                jit.summary()
                            ));
                        }
                        if joff.status != Status::Pass {
                            seen.push(format!("on {tree} with -joff: {}", joff.summary()));
                        }
                    }
                    Ok(expect(seen.is_empty(), || seen.join("\n")))
                },
            ))
        })
        .collect())
}

/// Whether `outcome` is the failure a case's header names: any failure,
/// or an error holding the `fails-with` text.
pub fn failed_as_said(outcome: &Outcome, fails_with: Option<&str>) -> bool {
    match fails_with {
        Some(text) => {
            outcome.status == Status::Fail
                && outcome.error.as_deref().is_some_and(|e| e.contains(text))
        }
        None => outcome.status != Status::Pass,
    }
}

/// The `luajit` of a tree, built as `check` and the sweep build it.
fn built_luajit(cx: &mut Context, tree: &Tree) -> Result<PathBuf> {
    let source = fetch::published(cx, &tree.version)?;
    let series = tree
        .series
        .as_ref()
        .map(|dir| {
            Series::load(&cx.root.join(dir))
                .with_context(|| format!("loading the series of the case's tree {tree}"))
        })
        .transpose()?;
    let built = prepare_and_build(
        cx,
        &VariantSpec {
            name: if series.is_some() { "patched" } else { "tree" }.to_owned(),
            source: &source,
            series: series.as_ref(),
            reverse: false,
        },
    )?;
    Ok(built.dir.join("src/luajit"))
}

fn run(cx: &Context, luajit: &Path, case: &Path, jit_off: bool) -> Result<Outcome> {
    let dir = luajit.parent().context("luajit is in src/")?;
    Runner::new(&cx.toolchain, luajit, Vec::new(), &[], dir).run(
        &[case.as_os_str()],
        jit_off,
        TIME_LIMIT,
    )
}
