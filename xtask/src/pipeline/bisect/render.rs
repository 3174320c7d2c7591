//! The bisection as text: what was judged, the range of trees, the commits
//! they carry and, with an upstream git directory, the commits found.

use std::fmt::Write as _;

use super::git::{Origin, TreeCommit};
use super::search::Found;
use super::{Bisection, CommitSearch, Judgement, TreeRange};
use crate::pipeline::label::Label;

pub fn text(result: &Bisection) -> String {
    let mut out = String::new();
    let subject = &result.subject;
    outln!(
        out,
        "bisect of {} ({} {})",
        subject.path.display(),
        subject.kind,
        subject.name
    );
    outln!(out, "  {}", subject.bad_when);
    outln!(
        out,
        "  over {} published luajit-src trees, {} .. {}, assuming at most one introduction and one fix",
        result.trees.len(),
        result.trees.first().map_or("", String::as_str),
        result.trees.last().map_or("", String::as_str)
    );
    outln!(out);
    outln!(out, "trees judged, in the order asked:");
    judgements(&mut out, &result.judged);
    outln!(out);
    match &result.found {
        Found::EveryPlaceBad => outln!(
            out,
            "every published tree carries it: bad on the oldest ({}) and on the newest ({})",
            first_judged(&result.judged, &result.trees, true),
            first_judged(&result.judged, &result.trees, false)
        ),
        Found::NoBadPlace { hint_tried } => {
            outln!(
                out,
                "no published tree found bad: good on the oldest and the newest judged trees{}",
                match hint_tried {
                    Some(place) => format!(
                        " and on {}, where the case's header says it fails",
                        result.trees[*place]
                    ),
                    None => String::new(),
                }
            );
            outln!(
                out,
                "  (a defect introduced and fixed between them is not searched for without a tree known to be bad)"
            );
        }
        Found::Unjudged => outln!(
            out,
            "could not judge: every published tree, or all but one, was skipped (see above)"
        ),
        Found::Range { .. } => {
            match &result.introduced {
                Some(range) => tree_range(&mut out, "introduced", "last good", "first bad", range),
                None => outln!(
                    out,
                    "introduced before the oldest published tree ({} is bad)",
                    result.trees.first().map_or("", String::as_str)
                ),
            }
            match &result.fixed {
                Some(range) => tree_range(&mut out, "fixed", "last bad", "first fixed", range),
                None => outln!(
                    out,
                    "not fixed in any published tree: the newest ({}) is bad",
                    result.trees.last().map_or("", String::as_str)
                ),
            }
        }
    }
    for search in &result.commits {
        outln!(out);
        commits(&mut out, search);
    }
    outln!(out);
    outln!(
        out,
        "{} trees and commits built and run, {} verdicts reused from earlier runs; {:.0} s",
        result.builds,
        result.judged.len() + result.commits.iter().map(|c| c.judged.len()).sum::<usize>()
            - result.builds,
        result.seconds
    );
    out
}

fn judgements(out: &mut String, judged: &[Judgement]) {
    let width = judged.iter().map(|j| j.tree.len()).max().unwrap_or(0);
    for (step, j) in judged.iter().enumerate() {
        outln!(
            out,
            "  [{}/{}] {:width$}  {:7}  {}{}",
            step + 1,
            judged.len(),
            j.tree,
            j.verdict.label(),
            super::shortened(&j.detail),
            if j.reused { " (reused)" } else { "" }
        );
    }
}

/// The oldest (or newest) tree judged other than skipped.
fn first_judged(judged: &[Judgement], trees: &[String], oldest: bool) -> String {
    let mut ordered: Vec<&String> = trees.iter().collect();
    if !oldest {
        ordered.reverse();
    }
    ordered
        .into_iter()
        .find(|t| {
            judged
                .iter()
                .any(|j| &j.tree == *t && j.verdict != super::Verdict::Skipped)
        })
        .cloned()
        .unwrap_or_default()
}

fn tree_range(out: &mut String, what: &str, before: &str, after: &str, range: &TreeRange) {
    outln!(
        out,
        "{what}: {before} {} -> {after} {}",
        range.last_before,
        range.first_after
    );
    if !range.skipped_between.is_empty() {
        outln!(
            out,
            "  not exact: between them, {} could not be judged",
            range.skipped_between.join(", ")
        );
    }
    for (tree, commit) in [
        (&range.last_before, &range.before_commit),
        (&range.first_after, &range.after_commit),
    ] {
        match commit {
            Some(TreeCommit { origin, hash }) => outln!(
                out,
                "  {tree} carries {} commit {hash}{}",
                origin.describe(),
                match origin {
                    Origin::Upstream => "",
                    Origin::OpenResty => " (openresty/luajit2)",
                }
            ),
            None => outln!(out, "  {tree} names no commit"),
        }
    }
    if let (Some(before), Some(after)) = (&range.before_commit, &range.after_commit)
        && before.origin == Origin::Upstream
        && after.origin == Origin::Upstream
    {
        let (a, b) = (&before.hash, &after.hash);
        outln!(
            out,
            "  upstream commits between them: git log --first-parent {a}..{b} -- src"
        );
    }
}

fn commits(out: &mut String, search: &CommitSearch) {
    if let Some(why) = &search.not_searched {
        outln!(
            out,
            "commits of the {} range: not searched: {why}",
            search.transition
        );
        return;
    }
    outln!(
        out,
        "commits of the {} range: {} first-parent commits touching src/, judged:",
        search.transition,
        search.commits_in_range
    );
    judgements(out, &search.judged);
    let (before, after) = match search.transition {
        "introduced" => ("last good commit", "first bad commit"),
        _ => ("last bad commit", "first fixed commit"),
    };
    for (label, commit) in [(after, &search.first_after), (before, &search.last_before)] {
        if let Some(c) = commit {
            outln!(out, "  {label}: {} {} \"{}\"", c.hash, c.date, c.subject);
        }
    }
    if !search.skipped_between.is_empty() {
        let shorts: Vec<&str> = search.skipped_between.iter().map(|c| c.short()).collect();
        outln!(
            out,
            "  not exact: between them, {} could not be judged",
            shorts.join(", ")
        );
    }
}

/// The range in one paragraph, in the commits a maintainer knows: what a
/// draft says under "Regression range". None when nothing bad was found.
pub fn upstream_terms(result: &Bisection) -> Option<String> {
    let tree = |version: &str, commit: &Option<TreeCommit>| match commit {
        Some(TreeCommit {
            origin: Origin::Upstream,
            hash,
        }) => format!("v2.1 at {hash} (luajit-src {version})"),
        Some(TreeCommit { origin, hash }) => {
            format!("{} at {hash} (luajit-src {version})", origin.describe())
        }
        None => format!("luajit-src {version}"),
    };
    let commit_words = |transition: &str| -> Option<String> {
        let search = result
            .commits
            .iter()
            .find(|c| c.transition == transition && c.not_searched.is_none())?;
        let commit = search.first_after.as_ref()?;
        Some(format!(
            "; the first {} commit is {} (\"{}\", {})",
            if transition == "introduced" {
                "bad"
            } else {
                "fixed"
            },
            commit.short(),
            commit.subject,
            commit.date
        ))
    };
    let mut sentences = Vec::new();
    match &result.found {
        Found::EveryPlaceBad => {
            let end = |version: &String| {
                let commit = super::git::tree_commit(version);
                tree(version, &commit)
            };
            sentences.push(format!(
                "every tree tried shows it, from {} to {}.",
                end(result.trees.first()?),
                end(result.trees.last()?)
            ))
        }
        Found::Range { .. } => {
            match &result.introduced {
                Some(range) => sentences.push(format!(
                    "introduced between {} (good) and {} (bad){}.",
                    tree(&range.last_before, &range.before_commit),
                    tree(&range.first_after, &range.after_commit),
                    commit_words("introduced").unwrap_or_default()
                )),
                None => sentences.push(format!(
                    "present in the oldest tree tried ({}).",
                    result.trees.first()?
                )),
            }
            match &result.fixed {
                Some(range) => sentences.push(format!(
                    "Fixed between {} (bad) and {} (good){}.",
                    tree(&range.last_before, &range.before_commit),
                    tree(&range.first_after, &range.after_commit),
                    commit_words("fixed").unwrap_or_default()
                )),
                None => sentences.push(format!(
                    "Not fixed in the newest tree tried ({}).",
                    result.trees.last()?
                )),
            }
        }
        Found::NoBadPlace { .. } | Found::Unjudged => return None,
    }
    let mut text = sentences.join(" ");
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    Some(text)
}
