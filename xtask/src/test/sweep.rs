//! `cargo xtask sweep` over three published trees and a folder that is not
//! LuaJIT: each tree is affected exactly by the issues of the patches that
//! apply to it, its patched tree verifies, the folder is a row with the
//! reason, and two shards run side by side (`--jobs 2`) and merged give
//! the whole sweep.

use anyhow::Result;

use super::{Trial, expect};
use crate::pipeline::Context;
use crate::pipeline::fetch::Tree;
use crate::pipeline::label::Label as _;
use crate::pipeline::patch::PatchState;
use crate::pipeline::stress::Shard;
use crate::pipeline::sweep::{self, Options, Row, Sweep};
use crate::pipeline::verdict::{Answer, Group};

pub fn checks() -> Vec<Trial> {
    vec![Trial::new(
        "sweep/published-trees",
        format!(
            "luajit-src {}: of the series' issues, affected exactly by what the patches that apply fix; the patched trees verify (known defects outside the series are left as they were); a folder that is not LuaJIT is a row; two shards run side by side and merged give the whole sweep",
            TEST_TREES.join(", ")
        ),
        |fx| {
            let failed: Vec<String> = sweep_checks(&mut fx.cx)?
                .into_iter()
                .filter(|(held, _, _)| !held)
                .map(|(_, line, detail)| format!("{line}\n  {detail}"))
                .collect();
            Ok(expect(failed.is_empty(), || failed.join("\n")))
        },
    )]
}

/// The published trees `cargo xtask test` sweeps: one from before every fix,
/// the newest with the bug (it has LuaJIT#1028's fix), one with every fix.
const TEST_TREES: [&str; 3] = [
    "210.3.0+restyeced77f",
    "210.4.8+resty107baaf",
    "210.5.5+f2336c4",
];

/// The sweep's checks for `cargo xtask test`, as (held, line, detail): on
/// each test tree the issues judged affected by the evidence are exactly
/// those of the patches that apply to it (a patch already in carries
/// nothing), and its patched tree verifies; a folder that is not LuaJIT is
/// a row with the reason, not an abort; two shards run side by side and
/// merged through their JSON give the rows of the whole sweep.
fn sweep_checks(cx: &mut Context) -> Result<Vec<(bool, String, String)>> {
    let not_luajit = cx.root.join("tests").join("cases");
    let mut trees: Vec<Tree> = TEST_TREES
        .iter()
        .map(|v| Tree::Published(v.to_string()))
        .collect();
    trees.push(Tree::Dir(not_luajit.clone()));
    let options = |shard| Options {
        stress_count: sweep::DEFAULT_STRESS_COUNT,
        shard,
        all_published: false,
    };
    let whole = sweep::sweep(cx, &trees, options(Shard::WHOLE))?;
    let mut checks = Vec::new();
    checks.extend(
        whole
            .rows
            .iter()
            .take(TEST_TREES.len())
            .map(affected_by_what_applies),
    );
    let last = whole.rows.last();
    checks.push((
        whole.rows.len() == trees.len()
            && last.is_some_and(|r| {
                r.error
                    .as_deref()
                    .is_some_and(|e| e.contains("is not a LuaJIT 2.1 tree"))
            }),
        format!(
            "{} (not LuaJIT) is a row with the reason, after the other trees' rows",
            not_luajit.display()
        ),
        format!(
            "{} rows; last: {:?}",
            whole.rows.len(),
            last.map(|r| (&r.tree, &r.error))
        ),
    ));

    checks.push(shards_merge(cx, &trees, &whole)?);
    Ok(checks)
}

/// A test tree's row: of the series' issues, affected exactly by those of
/// the patches that apply to it; its patched tree verifies (known defects
/// outside the series, which the patched tree keeps, do not count).
fn affected_by_what_applies(row: &Row) -> (bool, String, String) {
    let mut expected: Vec<String> = row
        .patches
        .iter()
        .filter(|p| p.state == PatchState::Applies)
        .flat_map(|p| p.fixes.clone())
        .collect();
    expected.sort();
    let series = |verdict: Answer| -> Vec<String> {
        row.issues
            .iter()
            .filter(|i| i.group == Group::Series && i.verdict == verdict)
            .map(|i| i.issue.clone())
            .collect()
    };
    let mut affected = series(Answer::Affected);
    affected.sort();
    let states: Vec<String> = row
        .patches
        .iter()
        .map(|p| format!("{} {}", p.patch, p.state.label()))
        .collect();
    (
        row.error.is_none()
            && affected == expected
            && series(Answer::CouldNotTell).is_empty()
            && row.patched_verifies,
        format!(
            "{}: of the series' issues, affected exactly by those of the patches that apply ({}); the patched tree verifies",
            row.tree,
            if expected.is_empty() {
                "none".to_owned()
            } else {
                expected.join(", ")
            }
        ),
        format!(
            "patches: {}; affected: {:?}; could not tell: {:?}; error: {:?}; patched tree: {}",
            states.join(", "),
            row.affected,
            row.could_not_tell,
            row.error,
            row.patched
        ),
    )
}

/// Two shards of the sweep, run side by side as `sweep --jobs 2` runs them
/// (this toolkit again, `--shard K/2 --json`) and merged from their JSON,
/// give the rows of the whole sweep.
fn shards_merge(cx: &mut Context, trees: &[Tree], whole: &Sweep) -> Result<(bool, String, String)> {
    let arguments = sweep::jobs::sweep_arguments(false, trees, sweep::DEFAULT_STRESS_COUNT);
    let scratch = cx.target_dir().join("sweep-test");
    let merged = sweep::jobs::sweep_in_processes(&arguments, 2, &scratch);
    Ok(match merged {
        Ok(merged) => (
            merged.rows == whole.rows && sweep::table(&merged) == sweep::table(whole),
            "two shards of the sweep run side by side (`--jobs 2`), merged from their JSON, give the whole sweep's rows"
                .to_owned(),
            format!(
                "whole:\n{}merged:\n{}",
                sweep::table(whole),
                sweep::table(&merged)
            ),
        ),
        Err(error) => (
            false,
            "two shards of the sweep run side by side (`--jobs 2`) and merge".to_owned(),
            format!("{error:#}"),
        ),
    })
}
