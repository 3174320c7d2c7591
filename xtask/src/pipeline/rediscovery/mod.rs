//! Rediscovery: the stress run's power measured on history. For every
//! catalogued defect that upstream fixed, the default stress run (without
//! the cases) runs on the published tree its cases were seen failing on,
//! the last one before the fix, and a finding there is that defect's when
//! upstream's fix, applied alone to that tree, makes the program agree,
//! and the program agrees on the tree the cases pass on, too (a fix can
//! make a program agree by hiding another of its defects).
//! Csmith's and YARPGen's papers report a generator's power the same way:
//! the real defects of the past it finds again.
//!
//! The programs of one tree run once, in batches; each batch's differing
//! programs run again on every tree-with-one-fix whose defect is not found
//! yet, so the first find of each defect is the earliest program in the
//! run's order that the fix alone makes agree.

pub mod render;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result};
use contract::case::Case;
use serde::{Deserialize, Serialize};

use super::bisect::git::Upstream;
use super::catalogue::{Defect, Fix};
use super::fetch;
use super::label::Label as _;
use super::patch::{PatchState, Series};
use super::stress::{self, Plan, Written, write_programs};
use super::time_to_find::{build, build_tree, link_batch, write_series};
use super::{Context, cache};

/// Where `--write-docs` puts the table and the data it is rendered from.
pub const DOC: &str = "docs/rediscovery.md";
pub const DOC_BLOCK: &str = "rediscovery";
pub const DATA: &str = "docs/rediscovery/rediscovery.json";

/// Programs run at a time on the tree with the defects.
const BATCH: usize = 20;

/// A defect to find again: its tree and upstream's fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    pub issue: String,
    pub title: String,
    /// The luajit-src version its cases were seen failing on.
    pub tree: String,
    /// A series the cases' tree has on top of the version, relative to the
    /// project root, if any.
    pub tree_series: Option<PathBuf>,
    /// Upstream's fix: one commit or several, in order (abbreviated).
    pub fixes: Vec<String>,
    /// The luajit-src version its cases were seen passing on: where the fix
    /// is taken out again when it does not apply to `tree` alone.
    pub fixed_tree: String,
    pub in_vm: bool,
}

/// Every catalogued defect with an upstream fix, in the catalogue's order.
pub fn subjects(defects: &[Defect]) -> Vec<Subject> {
    defects
        .iter()
        .filter(|d| d.fixed_upstream())
        .map(|d| Subject {
            issue: d.issue.clone(),
            title: d.title.clone(),
            tree: d.fails_on.version.clone(),
            tree_series: d.fails_on.series.clone(),
            fixed_tree: d.passes_on.version.clone(),
            fixes: d
                .fixes
                .iter()
                .filter_map(|f| match f {
                    Fix::Upstream(hash) => Some(hash.clone()),
                    Fix::Series(_) => None,
                })
                .collect(),
            in_vm: d.in_vm,
        })
        .collect()
}

/// What the run came to for one defect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Verdict {
    /// A program differs on the tree and agrees with the fix alone.
    Found {
        /// Its place in the run, from 0.
        index: usize,
        program_seed: u64,
        difference: String,
    },
    /// No program of the run is the defect's.
    Missed,
    /// Upstream's fix does not apply to the tree, or the tree with it does
    /// not build: the defect could not be judged.
    FixNotBuilt { why: String },
}

/// The two trees a defect was judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pair {
    /// The tree its cases fail on, and that tree with upstream's fix.
    FixApplied,
    /// Where the fix does not apply alone: the tree its cases pass on with
    /// the fix taken out, and that tree as published.
    FixReverted,
    /// Where neither works: upstream's tree right before the fix (its first
    /// commit's parent), and upstream's tree of the fix (its last commit).
    UpstreamCommits,
}

/// One defect's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub subject: Subject,
    pub pair: Pair,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// One tree's run: the programs that ran and how many differed, whoever's
/// they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeRun {
    pub tree: String,
    /// The generator of this tree's programs (`stress::generator_key`),
    /// when it is not the run's: rows merged in from a later run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<String>,
    pub programs_run: usize,
    pub differing: usize,
    pub outcomes: Vec<Outcome>,
    pub seconds: f64,
}

/// The whole measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rediscovery {
    pub seed: u64,
    pub count: u32,
    /// The generator's source hash (`stress::generator_key`): a new
    /// generator makes the figures stale.
    pub generator: String,
    /// The date of the run, YYYY-MM-DD.
    pub date: String,
    pub trees: Vec<TreeRun>,
}

impl Rediscovery {
    pub fn outcomes(&self) -> impl Iterator<Item = &Outcome> {
        self.trees.iter().flat_map(|t| &t.outcomes)
    }
}

/// Runs the measure for `subjects`, tree by tree; fixes are taken from
/// the upstream git directory `upstream`.
pub fn run(
    cx: &mut Context,
    upstream: &Upstream,
    subjects: &[Subject],
    seed: u64,
    count: u32,
) -> Result<Rediscovery> {
    let mut by_tree: BTreeMap<(String, Option<PathBuf>), Vec<Subject>> = BTreeMap::new();
    for subject in subjects {
        by_tree
            .entry((subject.tree.clone(), subject.tree_series.clone()))
            .or_default()
            .push(subject.clone());
    }
    let mut trees = Vec::new();
    let total = by_tree.len();
    for (done, ((tree, series), subjects)) in by_tree.into_iter().enumerate() {
        eprintln!(
            "==> rediscovery: tree {} of {total}, luajit-src {tree}: {}",
            done + 1,
            subjects
                .iter()
                .map(|s| s.issue.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        trees.push(tree_run(
            cx,
            upstream,
            &tree,
            series.as_deref(),
            &subjects,
            seed,
            count,
        )?);
    }
    // A fix that does not apply alone to the tree before it is taken out
    // of the tree after it instead (an OpenResty tree's cherry-pick, or an
    // upstream tree years older than the fix).
    let mut reverted = Vec::new();
    for run in &mut trees {
        let (not_built, rest): (Vec<Outcome>, Vec<Outcome>) = run
            .outcomes
            .drain(..)
            .partition(|o| matches!(o.verdict, Verdict::FixNotBuilt { .. }));
        run.outcomes = rest;
        for outcome in not_built {
            eprintln!(
                "==> rediscovery: {}: upstream's fix does not apply to luajit-src {}; taking it out of luajit-src {}",
                outcome.subject.issue, outcome.subject.tree, outcome.subject.fixed_tree
            );
            reverted.push(reverted_run(cx, upstream, outcome, seed, count)?);
        }
    }
    trees.retain(|t| !t.outcomes.is_empty());
    trees.extend(reverted);
    Ok(Rediscovery {
        seed,
        count,
        generator: stress::generator_key(),
        date: jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .to_string(),
        trees,
    })
}

/// One tree's run, cached by the suites (the trees with and without each
/// fix, which hash the builds), the seed, the count, the generator and the
/// rules of a run.
fn tree_run(
    cx: &mut Context,
    upstream: &Upstream,
    tree: &str,
    series: Option<&Path>,
    subjects: &[Subject],
    seed: u64,
    count: u32,
) -> Result<TreeRun> {
    let started = Instant::now();
    let home = cx
        .target_dir()
        .join("rediscovery")
        .join(tree.replace(['+', '/'], "-"));
    let series_entry: Vec<String> = series
        .map(|s| s.display().to_string())
        .into_iter()
        .collect();
    let base_entries: Vec<&str> = series_entry.iter().map(String::as_str).collect();
    let with_defects = build(cx, tree, &home.join("base"), &base_entries)?;

    // Each defect's tree with upstream's fix alone.
    let mut fixed: Vec<Result<PathBuf, String>> = Vec::new();
    for subject in subjects {
        fixed.push(build_fixed(
            cx,
            upstream,
            tree,
            &home,
            &base_entries,
            subject,
        ));
    }

    // Each defect's tree after the fix, as published, to confirm a find on.
    let mut confirm: Vec<Option<PathBuf>> = Vec::new();
    for subject in subjects {
        let suite = build(cx, &subject.fixed_tree, &home.join("after"), &[])
            .map_err(|e| {
                eprintln!(
                    "    luajit-src {}: not built, so no find of {} is confirmed there: {e:#}",
                    subject.fixed_tree, subject.issue
                )
            })
            .ok();
        confirm.push(suite);
    }
    let mut key = cache::Key::new("rediscovery")
        .text("seed", seed)
        .text("count", count)
        .text("generator", stress::generator_key())
        .text("rules", stress::run_rules())
        .text("base", cx.cache.suite_hash(&with_defects)?);
    for suite in confirm.iter().flatten() {
        key = key.text("confirmed on", cx.cache.suite_hash(suite)?);
    }
    for (subject, suite) in subjects.iter().zip(&fixed) {
        key = key.text("issue", &subject.issue);
        key = match suite {
            Ok(suite) => key.text("fixed", cx.cache.suite_hash(suite)?),
            Err(why) => key.text("not built", why),
        };
    }
    let what = format!("rediscovery on luajit-src {tree}");
    cache::cached(cx, &what, key, |cx| {
        search(
            cx,
            &home,
            tree,
            &with_defects,
            subjects,
            &fixed,
            &confirm,
            Pair::FixApplied,
            seed,
            count,
            started,
        )
    })
}

/// The run for a defect whose fix does not apply alone to the tree before
/// it: on the tree after it with the fix taken out, against that tree as
/// published. When the fix cannot be taken out either, the outcome stays
/// not judged, with both reasons.
fn reverted_run(
    cx: &mut Context,
    upstream: &Upstream,
    outcome: Outcome,
    seed: u64,
    count: u32,
) -> Result<TreeRun> {
    let started = Instant::now();
    let subject = &outcome.subject;
    let tree = subject.fixed_tree.as_str();
    let home = cx.target_dir().join("rediscovery").join(format!(
        "{}-without-{}",
        tree.replace(['+', '/'], "-"),
        subject.fixes.join("-")
    ));
    let not_built = |why: String| {
        let before = match &outcome.verdict {
            Verdict::FixNotBuilt { why } => why.clone(),
            _ => String::new(),
        };
        TreeRun {
            tree: tree.to_owned(),
            generator: None,
            programs_run: 0,
            differing: 0,
            outcomes: vec![Outcome {
                subject: subject.clone(),
                pair: Pair::FixReverted,
                verdict: Verdict::FixNotBuilt {
                    why: format!("{before}; on luajit-src {tree}: {why}"),
                },
            }],
            seconds: started.elapsed().as_secs_f64(),
        }
    };
    // The fix's commits undone, the last first.
    let mut patches = Vec::new();
    for (place, hash) in subject.fixes.iter().rev().enumerate() {
        let text = match upstream
            .resolve(hash)
            .and_then(|full| upstream.src_revert_patch(&full))
        {
            Ok(text) => text,
            Err(e) => return Ok(not_built(format!("{e:#}"))),
        };
        let path = home
            .join("patches")
            .join(format!("{:04}-revert-{hash}.patch", place + 1));
        fs::create_dir_all(path.parent().expect("a folder"))?;
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        patches.push(path.display().to_string());
    }
    let entries: Vec<&str> = patches.iter().map(String::as_str).collect();
    let revert = home.join("revert");
    write_series(&cx.root, &revert, &entries)?;
    let states = fix_states(cx, tree, &revert)?;
    if let Some(state) = states.iter().find(|s| **s != PatchState::Applies) {
        let why = format!("the fix cannot be taken out of it ({})", state.label());
        eprintln!(
            "    {tree}: {why}; judging {} on upstream's commits instead",
            subject.issue
        );
        return match upstream_run(cx, upstream, subject, seed, count)? {
            Some(run) => Ok(run),
            None => Ok(not_built(why)),
        };
    }
    let with_defect = match build(cx, tree, &home.join("defect"), &entries) {
        Ok(suite) => suite,
        Err(e) => {
            return Ok(not_built(
                format!("{e:#}").lines().next().unwrap_or("").to_owned(),
            ));
        }
    };
    let fixed = build(cx, tree, &home.join("fixed"), &[])?;
    let trees = OnePair {
        name: format!("luajit-src {tree}"),
        tree: tree.to_owned(),
        with_defect,
        fixed,
        pair: Pair::FixReverted,
    };
    one_defect_run(cx, &home, subject, &trees, seed, count, started)
}

/// The two builds one defect is judged on, apart from its tree's others.
struct OnePair {
    /// How the progress line names the tree.
    name: String,
    tree: String,
    with_defect: PathBuf,
    fixed: PathBuf,
    pair: Pair,
}

/// The cached run of one defect on its own pair of builds.
fn one_defect_run(
    cx: &mut Context,
    home: &Path,
    subject: &Subject,
    trees: &OnePair,
    seed: u64,
    count: u32,
    started: Instant,
) -> Result<TreeRun> {
    let key = cache::Key::new("rediscovery of one defect")
        .text("pair", format!("{:?}", trees.pair))
        .text("seed", seed)
        .text("count", count)
        .text("generator", stress::generator_key())
        .text("rules", stress::run_rules())
        .text("issue", &subject.issue)
        .text("defect", cx.cache.suite_hash(&trees.with_defect)?)
        .text("fixed", cx.cache.suite_hash(&trees.fixed)?);
    let what = format!("rediscovery of {} on {}", subject.issue, trees.name);
    let subjects = vec![subject.clone()];
    cache::cached(cx, &what, key, |cx| {
        search(
            cx,
            home,
            &trees.tree,
            &trees.with_defect,
            &subjects,
            &[Ok(trees.fixed.clone())],
            &[None],
            trees.pair,
            seed,
            count,
            started,
        )
    })
}

/// The tree with the defect's fix on top of `base_entries`, or why there
/// is none (the fix does not apply, or does not build).
fn build_fixed(
    cx: &mut Context,
    upstream: &Upstream,
    tree: &str,
    home: &Path,
    base_entries: &[&str],
    subject: &Subject,
) -> Result<PathBuf, String> {
    let dir = home.join(format!("fix-{}", subject.fixes.join("-")));
    let mut patches = Vec::new();
    for (place, hash) in subject.fixes.iter().enumerate() {
        let full = upstream.resolve(hash).map_err(|e| format!("{e:#}"))?;
        let text = upstream.src_patch(&full).map_err(|e| format!("{e:#}"))?;
        let path = dir
            .join("patches")
            .join(format!("{:04}-{hash}.patch", place + 1));
        fs::create_dir_all(path.parent().expect("a folder"))
            .and_then(|_| fs::write(&path, text))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        patches.push(path.display().to_string());
    }
    // A build with a series leaves out what does not apply; the fix must.
    let fix_alone = dir.join("fix");
    write_series(
        &cx.root,
        &fix_alone,
        &patches.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .map_err(|e| format!("{e:#}"))?;
    let states = fix_states(cx, tree, &fix_alone).map_err(|e| format!("{e:#}"))?;
    if let Some((hash, state)) = subject
        .fixes
        .iter()
        .zip(&states)
        .find(|(_, state)| **state != PatchState::Applies)
    {
        let why = format!(
            "upstream's {hash} does not apply to the tree ({})",
            state.label()
        );
        eprintln!("    {tree}: {why}");
        return Err(why);
    }
    let entries: Vec<&str> = base_entries
        .iter()
        .copied()
        .chain(patches.iter().map(String::as_str))
        .collect();
    build(cx, tree, &dir, &entries).map_err(|e| {
        let why = format!("{e:#}");
        eprintln!(
            "    {} with {}: not built: {}",
            tree,
            subject.fixes.join(" + "),
            why.lines().next().unwrap_or("")
        );
        why.lines().next().unwrap_or("").to_owned()
    })
}

/// The run for a defect on upstream's own history: the tree of the fix's
/// first commit's parent, against the tree of its last commit. None when
/// either tree cannot be exported or built.
fn upstream_run(
    cx: &mut Context,
    upstream: &Upstream,
    subject: &Subject,
    seed: u64,
    count: u32,
) -> Result<Option<TreeRun>> {
    let started = Instant::now();
    let (Some(first), Some(last)) = (subject.fixes.first(), subject.fixes.last()) else {
        return Ok(None);
    };
    let commits_dir = cx.target_dir().join("rediscovery").join("commits");
    let exported = (|| -> Result<(String, PathBuf, PathBuf)> {
        let before = upstream.resolve(&format!("{first}^"))?;
        let after = upstream.resolve(last)?;
        let before_dir = upstream.export(&before, &commits_dir)?;
        let after_dir = upstream.export(&after, &commits_dir)?;
        Ok((before, before_dir, after_dir))
    })();
    let (before_hash, before, after) = match exported {
        Ok(trees) => trees,
        Err(e) => {
            eprintln!("    upstream's commits of {}: {e:#}", subject.issue);
            return Ok(None);
        }
    };
    let home = cx
        .target_dir()
        .join("rediscovery")
        .join(format!("upstream-{}", subject.fixes.join("-")));
    let built =
        build_tree(cx, &fetch::Tree::Dir(before), &home.join("defect"), &[]).and_then(|defect| {
            let fixed = build_tree(cx, &fetch::Tree::Dir(after), &home.join("fixed"), &[])?;
            Ok((defect, fixed))
        });
    let (with_defect, fixed) = match built {
        Ok(suites) => suites,
        Err(e) => {
            eprintln!("    upstream's commits of {}: {e:#}", subject.issue);
            return Ok(None);
        }
    };
    let tree = format!("upstream {}", &before_hash[..8]);
    let trees = OnePair {
        name: tree.clone(),
        tree,
        with_defect,
        fixed,
        pair: Pair::UpstreamCommits,
    };
    one_defect_run(cx, &home, subject, &trees, seed, count, started).map(Some)
}

/// What each patch of the series in `dir` is to the published `tree`.
fn fix_states(cx: &mut Context, tree: &str, dir: &Path) -> Result<Vec<PatchState>> {
    let source = fetch::select(cx, &fetch::Tree::Published(tree.to_owned()))?;
    let scratch = cx.target_dir().join("series-states");
    Series::load(dir)?.each_state(&cx.sh, &source.dir, &scratch)
}

/// The places in `batch` of the programs among `places` that agree on the
/// tree of `suite`, in order.
fn agreeing_on(
    cx: &mut Context,
    suite: &Path,
    batch_dir: &Path,
    batch: &[Written],
    places: &[usize],
) -> Result<Vec<usize>> {
    link_batch(batch_dir, places.iter().map(|&p| batch[p].path.as_path()))?;
    let agreeing: Vec<String> = stress::compare_with_second_tries(cx, suite, batch_dir)?
        .into_iter()
        .filter(|c| c.difference().is_none())
        .map(|c| c.name)
        .collect();
    Ok(places
        .iter()
        .copied()
        .filter(|&p| {
            let name = batch[p]
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned());
            name.is_some_and(|n| agreeing.contains(&n))
        })
        .collect())
}

#[allow(clippy::too_many_arguments)]
fn search(
    cx: &mut Context,
    home: &Path,
    tree: &str,
    with_defects: &Path,
    subjects: &[Subject],
    fixed: &[Result<PathBuf, String>],
    confirm: &[Option<PathBuf>],
    pair: Pair,
    seed: u64,
    count: u32,
    started: Instant,
) -> Result<TreeRun> {
    let programs = write_programs(&home.join("programs"), Plan::whole(seed, count))?;
    let batch_dir = home.join("batch");
    let mut found: Vec<Option<Verdict>> = fixed
        .iter()
        .map(|f| match f {
            Ok(_) => None,
            Err(why) => Some(Verdict::FixNotBuilt { why: why.clone() }),
        })
        .collect();
    let (mut programs_run, mut differing_total) = (0, 0);
    for batch in programs.chunks(BATCH) {
        if found.iter().all(Option::is_some) {
            break;
        }
        link_batch(&batch_dir, batch.iter().map(|w| w.path.as_path()))?;
        let comparisons = stress::compare_with_second_tries(cx, with_defects, &batch_dir)?;
        programs_run += batch.len();
        // The comparisons come sorted by name, which is the run's order.
        let differing: Vec<usize> = comparisons
            .iter()
            .enumerate()
            .filter(|(_, c)| c.difference().is_some())
            .map(|(place, _)| place)
            .collect();
        differing_total += differing.len();
        eprintln!("    {programs_run}/{count} programs, {differing_total} differing",);
        if differing.is_empty() {
            continue;
        }
        for ((slot, suite), confirm) in found.iter_mut().zip(fixed).zip(confirm) {
            let (None, Ok(suite)) = (&slot, suite) else {
                continue;
            };
            let mut candidates = agreeing_on(cx, suite, &batch_dir, batch, &differing)?;
            // A fix can make a program agree by hiding another defect of it
            // (a trace it no longer records): the find must agree on the
            // tree that has the fix as published, too.
            if let Some(confirm) = confirm
                && !candidates.is_empty()
            {
                candidates = agreeing_on(cx, confirm, &batch_dir, batch, &candidates)?;
            }
            if let Some(&place) = candidates.first() {
                *slot = Some(Verdict::Found {
                    index: batch[place].index,
                    program_seed: batch[place].program.seed,
                    difference: comparisons[place].difference().unwrap_or_default(),
                });
            }
        }
    }
    let outcomes = subjects
        .iter()
        .zip(found)
        .map(|(subject, verdict)| Outcome {
            subject: subject.clone(),
            pair,
            verdict: verdict.unwrap_or(Verdict::Missed),
        })
        .collect();
    Ok(TreeRun {
        tree: tree.to_owned(),
        generator: None,
        programs_run,
        differing: differing_total,
        outcomes,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// `earlier` with the rows of `newer`'s defects replaced by `newer`'s:
/// a run of some defects (`--only`) written into the whole table.
pub fn merge(earlier: Rediscovery, newer: Rediscovery) -> Rediscovery {
    let (earlier_generator, earlier_date) = (earlier.generator.clone(), earlier.date.clone());
    let redone: Vec<String> = newer.outcomes().map(|o| o.subject.issue.clone()).collect();
    let mut trees: Vec<TreeRun> = earlier
        .trees
        .into_iter()
        .map(|mut run| {
            run.outcomes.retain(|o| !redone.contains(&o.subject.issue));
            run
        })
        .filter(|run| !run.outcomes.is_empty())
        .collect();
    // The table names the earlier run's generator; the rows of a run with
    // another one say theirs.
    trees.extend(newer.trees.iter().cloned().map(|mut run| {
        if newer.generator != earlier_generator {
            run.generator = Some(newer.generator.clone());
        }
        run
    }));
    Rediscovery {
        trees,
        generator: earlier_generator,
        date: earlier_date,
        ..newer
    }
}

/// What each missed defect would take, by issue: the `stress-finds: no,
/// REASON` header of its cases (the first that has one).
pub fn needs(cases: &[Case]) -> BTreeMap<String, String> {
    let mut needs = BTreeMap::new();
    for case in cases {
        if let Some(reason) = &case.stress_misses {
            for issue in &case.pins {
                needs.entry(issue.clone()).or_insert_with(|| reason.clone());
            }
        }
    }
    needs
}
