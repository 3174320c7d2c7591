//! The catalogue of known defects, case by case: each case whose header
//! names the trees it was seen on (`fails-on`, `passes-on`) fails on the
//! first as its header says and passes on the second, run as stock
//! `luajit FILE.lua` on each tree built here (a published one, or one with
//! a series of the project applied where no published tree has the fix),
//! and passes on both with the JIT off, but where its header says the
//! defect is the VM's (`defect-in: vm`): then it fails on the first with the
//! JIT off too. Where the second tree is the first
//! with a series of the project applied, the default stress run must find
//! the defect too: a program that differs on the first tree and agrees on
//! the second, and none that differs only on the second.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use contract::case::{Case, Tree};

use super::{Held, Trial, expect, golden};
use crate::pipeline::build::{Built, VariantSpec, prepare_and_build};
use crate::pipeline::fetch;
use crate::pipeline::patch::Series;
use crate::pipeline::probe::exec::Runner;
use crate::pipeline::stress::{self, Plan};
use crate::pipeline::suite::outcome::{Outcome, Status};
use crate::pipeline::{Context, catalogue, suite, with_block};

/// A case runs well under a second; a hang gets this long.
const TIME_LIMIT: Duration = Duration::from_secs(20);

pub fn checks(root: &Path) -> Result<Vec<Trial>> {
    let cases = Case::load_dir(&root.join("tests/cases")).map_err(anyhow::Error::msg)?;
    let mut trials = vec![table_check(root, &cases)];
    trials.extend(stress_checks(&cases));
    trials.extend(case_checks(cases));
    Ok(trials)
}

/// `catalogue/table`: every case header gives the catalogue's facts, and the
/// table in docs/catalogue.md is the one they render.
fn table_check(root: &Path, cases: &[Case]) -> Trial {
    let (root, cases) = (root.to_owned(), cases.to_vec());
    Trial::new(
        "catalogue/table",
        format!(
            "every case header gives its defect's title, fix and trees, and the table in {} is rendered from them",
            catalogue::TABLE_DOC
        ),
        move |_| {
            let table = match catalogue::defects(&root, &cases) {
                Ok(defects) => catalogue::render_table(&defects),
                Err(error) => return Ok(Err(format!("{error:#}"))),
            };
            let doc = root.join(catalogue::TABLE_DOC);
            let text = std::fs::read_to_string(&doc)
                .with_context(|| format!("cannot read {}", doc.display()))?;
            let rendered = with_block(&text, catalogue::TABLE_BLOCK, &table)
                .with_context(|| format!("{}: where the catalogue table goes", doc.display()))?;
            golden::compare(&doc, &rendered)
        },
    )
}

/// `catalogue/stress-finds-NAME` for each case whose `passes-on` tree is
/// its `fails-on` tree with a fix of the project, but those whose header
/// says why the default run does not find it (`stress-finds: no, ...`).
fn stress_checks(cases: &[Case]) -> Vec<Trial> {
    cases
        .iter()
        .filter(|case| case.stress_misses.is_none())
        .filter_map(|case| {
            let (fails_on, passes_on) = (case.fails_on.clone()?, case.passes_on.clone()?);
            let same_tree = fails_on.series.is_none()
                && passes_on.series.is_some()
                && fails_on.version == passes_on.version;
            same_tree.then(|| {
                Trial::new(
                    format!("catalogue/stress-finds-{}", case.name),
                    format!(
                        "{}: the default stress run finds a difference on {fails_on} that {passes_on} fixes, and none there that {fails_on} does not have",
                        case.pins.join(", ")
                    ),
                    move |fx| stress_finds(&mut fx.cx, &fails_on, &passes_on),
                )
            })
        })
        .collect()
}

fn stress_finds(cx: &mut Context, defective: &Tree, fixed: &Tree) -> Result<Held> {
    let mut runs = Vec::new();
    for tree in [defective, fixed] {
        let built = built_tree(cx, tree)?;
        let suite = suite::build_suite(cx, &built)?;
        let plan = Plan::whole(stress::DEFAULT_SEED, stress::DEFAULT_COUNT);
        runs.push(stress::run_unshrunk(cx, &built.name, &suite, plan)?);
    }
    let differs =
        |run: &stress::StressReport, seed: u64| run.findings.iter().any(|f| f.program_seed == seed);
    let seeds = |run: &stress::StressReport| -> Vec<u64> {
        run.findings.iter().map(|f| f.program_seed).collect()
    };
    let fixed_by_it: Vec<u64> = seeds(&runs[0])
        .into_iter()
        .filter(|&seed| !differs(&runs[1], seed))
        .collect();
    let introduced: Vec<u64> = seeds(&runs[1])
        .into_iter()
        .filter(|&seed| !differs(&runs[0], seed))
        .collect();
    eprintln!(
        "    {} of {} programs that differ on {defective} agree on {fixed}",
        fixed_by_it.len(),
        runs[0].findings.len()
    );
    Ok(expect(
        !fixed_by_it.is_empty() && introduced.is_empty(),
        || {
            let hex = |seeds: &[u64]| -> String {
                seeds
                    .iter()
                    .map(|s| format!("{s:#x}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            match fixed_by_it.is_empty() {
                true => format!(
                    "none of the {} programs that differ on {defective} agrees on {fixed}",
                    runs[0].findings.len()
                ),
                false => format!("programs that differ only on {fixed}: {}", hex(&introduced)),
            }
        },
    ))
}

/// `catalogue/NAME` for each case that names a tree it fails on and one it
/// passes on.
fn case_checks(cases: Vec<Case>) -> Vec<Trial> {
    cases
        .into_iter()
        .filter_map(|case| {
            let (fails_on, passes_on) = (case.fails_on.clone()?, case.passes_on.clone()?);
            Some(Trial::new(
                format!("catalogue/{}", case.name),
                format!(
                    "{}: fails on {fails_on}{}, passes on {passes_on}; {}",
                    case.pins.join(", "),
                    case.fails_with
                        .as_deref()
                        .map(|t| format!(" with \"{t}\""))
                        .unwrap_or_default(),
                    if case.vm_defect {
                        "the same with -joff (a defect of the VM)"
                    } else {
                        "passes on both with -joff"
                    }
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
                        let joff_held = if should_fail && case.vm_defect {
                            failed_as_said(&joff, case.fails_with.as_deref())
                        } else {
                            joff.status == Status::Pass
                        };
                        if !joff_held {
                            seen.push(format!("on {tree} with -joff: {}", joff.summary()));
                        }
                    }
                    Ok(expect(seen.is_empty(), || seen.join("\n")))
                },
            ))
        })
        .collect()
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
    Ok(built_tree(cx, tree)?.dir.join("src/luajit"))
}

fn built_tree(cx: &mut Context, tree: &Tree) -> Result<Built> {
    let source = fetch::published(cx, &tree.version)?;
    let series = tree
        .series
        .as_ref()
        .map(|dir| {
            Series::load(&cx.root.join(dir))
                .with_context(|| format!("loading the series of the case's tree {tree}"))
        })
        .transpose()?;
    prepare_and_build(
        cx,
        &VariantSpec {
            name: if series.is_some() { "patched" } else { "tree" }.to_owned(),
            source: &source,
            series: series.as_ref(),
            reverse: false,
        },
    )
}

fn run(cx: &Context, luajit: &Path, case: &Path, jit_off: bool) -> Result<Outcome> {
    let dir = luajit.parent().context("luajit is in src/")?;
    Runner::new(&cx.toolchain, luajit, Vec::new(), &[], dir).run(
        &[case.as_os_str()],
        jit_off,
        TIME_LIMIT,
    )
}
