//! What each kind of run hands to the store: a stress run's buckets (one
//! sighting each, matched on the tree), and single programs (`report`).

use std::fs;

use anyhow::Result;

use super::matching::{self, Candidate};
use super::{Entry, Match, Sighting, Store};
use crate::pipeline::Context;
use crate::pipeline::probe::judge::StressSample;
use crate::pipeline::program::generate;
use crate::pipeline::stress::{Finding, Kind, StressReport, buckets};
use crate::pipeline::suite::outcome::Comparison;
use crate::pipeline::variants::{BASELINE, Mode, PATCHED, Pair};

/// How a run's findings are matched.
pub enum MatchWith<'a> {
    /// Against the fix series and the cases, on this tree.
    Tree(matching::Tree<'a>),
    /// Not at all, for this reason (a deployed binary cannot be patched).
    Unchecked(String),
}

/// Records one sighting per bucket of `report` (its first finding, with
/// the bucket's shrunk reproducer) seen on `tree`; findings the series'
/// replay attributed to a patch are matched by it, the rest on the tree.
pub fn record_stress(
    cx: &mut Context,
    store: &Store,
    report: &StressReport,
    tree: &str,
    with: MatchWith,
) -> Result<Vec<Entry>> {
    let buckets = buckets(&report.findings);
    if buckets.is_empty() {
        return Ok(Vec::new());
    }
    let firsts: Vec<&Finding> = buckets
        .iter()
        .map(|b| &report.findings[b.shrunk.unwrap_or(b.findings[0])])
        .collect();
    let comparisons: Vec<Option<Comparison>> = firsts.iter().map(|f| comparison(f)).collect();
    let reproducer = |finding: &Finding| -> String {
        match &finding.shrunk {
            Some(shrunk) if shrunk.kind == Some(finding.kind) => shrunk.source.clone(),
            _ => generate::program(finding.program_seed).render(),
        }
    };
    let mut matched: Vec<Option<Match>> = firsts
        .iter()
        .map(|f| {
            if f.kind == Kind::FailsWithoutJit {
                return Some(Match::Unchecked {
                    why: "the program fails without the JIT: the generator's fault, not the JIT's"
                        .to_owned(),
                });
            }
            let replay = f.attribution.as_ref()?;
            replay.fixed_by.as_ref().map(|patch| Match::Known {
                issues: replay.fixes.clone(),
                by: format!("{patch} of the series makes it agree"),
            })
        })
        .collect();
    let open: Vec<usize> = (0..firsts.len())
        .filter(|&i| matched[i].is_none())
        .collect();
    match with {
        MatchWith::Tree(tree) if !open.is_empty() => {
            let candidates: Vec<Candidate> = open
                .iter()
                .filter_map(|&i| {
                    Some(Candidate {
                        source: reproducer(firsts[i]),
                        kind: firsts[i].kind,
                        jit: comparisons[i].as_ref()?.jit.clone(),
                    })
                })
                .collect();
            if candidates.len() == open.len() {
                for (&place, found) in open.iter().zip(matching::match_programs(
                    cx,
                    &tree,
                    &candidates,
                    matching::Judge::Harness,
                )?) {
                    matched[place] = Some(found);
                }
            }
        }
        MatchWith::Unchecked(why) => {
            for place in open {
                matched[place] = Some(Match::Unchecked { why: why.clone() });
            }
        }
        MatchWith::Tree(_) => {}
    }
    let run = format!("stress {} on {}", report.plan.label(), report.variant);
    let mut sightings: Vec<Sighting> = Vec::new();
    for (((bucket, finding), comparison), matched) in
        buckets.iter().zip(&firsts).zip(&comparisons).zip(matched)
    {
        let program = generate::program(finding.program_seed);
        let shrunk = finding
            .shrunk
            .as_ref()
            .filter(|s| s.kind == Some(finding.kind));
        let sighting = Sighting {
            kind: finding.kind.label().to_owned(),
            difference: finding.difference.clone(),
            program: program.render(),
            shrunk: shrunk.map(|s| s.source.clone()),
            jit: comparison
                .as_ref()
                .map_or_else(String::new, |c| c.jit.summary()),
            interpreter: comparison
                .as_ref()
                .map_or_else(String::new, |c| c.interpreter.summary()),
            families: shrunk.map_or_else(|| program.families(), |s| s.families.clone()),
            tree: tree.to_owned(),
            run: run.clone(),
            count: bucket.findings.len() as u64,
            matched: matched.unwrap_or(Match::Unchecked {
                why: "its run could not be read back".to_owned(),
            }),
        };
        sightings.push(sighting);
    }
    let mut entries = Vec::new();
    for sighting in &one_per_signature(sightings) {
        entries.push(store.record(sighting)?);
    }
    eprintln!(
        "==> {}: {} findings recorded in {} ({} entries)",
        report.variant,
        report.findings.len(),
        store.dir.display(),
        entries.len()
    );
    Ok(entries)
}

/// Records a single tree's run (the tree as given, or with `tree.applied`),
/// matched on that tree.
pub fn record_tree(
    cx: &mut Context,
    store: &Store,
    report: &StressReport,
    tree: matching::Tree,
) -> Result<Vec<Entry>> {
    let label = match tree.applied {
        Some(series) => format!(
            "{} with {}",
            tree.source.label,
            matching::series_name(cx, series)
        ),
        None => tree.source.label.clone(),
    };
    record_stress(cx, store, report, &label, MatchWith::Tree(tree))
}

/// Records both variants' findings in the store, each matched on its own
/// tree: the patched one with the series applied under the fix series
/// tried. In revert-check mode the baseline is the tree with the series
/// taken out, which the fix series are not made for.
pub fn record_pair(
    cx: &mut Context,
    store: &Store,
    pair: &Pair,
    baseline: &StressReport,
    patched: &StressReport,
) -> Result<()> {
    let series = format!(
        "{} with {}",
        pair.source.label,
        matching::series_name(cx, &pair.series)
    );
    let (baseline_with, patched_applied) = match pair.mode {
        Mode::Apply => (
            MatchWith::Tree(matching::Tree {
                name: BASELINE,
                source: &pair.source,
                applied: None,
                variant: &pair.baseline,
            }),
            Some(&pair.series),
        ),
        Mode::Revert => (
            MatchWith::Unchecked(
                "the baseline is the tree with the series taken out (revert-check mode)".to_owned(),
            ),
            None,
        ),
    };
    let baseline_label = match pair.mode {
        Mode::Apply => pair.source.label.clone(),
        Mode::Revert => format!(
            "{} without {}",
            pair.source.label,
            matching::series_name(cx, &pair.series)
        ),
    };
    record_stress(cx, store, baseline, &baseline_label, baseline_with)?;
    let tree = matching::Tree {
        name: PATCHED,
        source: &pair.source,
        applied: patched_applied,
        variant: &pair.patched,
    };
    let patched_label = match pair.mode {
        Mode::Apply => series,
        Mode::Revert => pair.source.label.clone(),
    };
    record_stress(cx, store, patched, &patched_label, MatchWith::Tree(tree))?;
    Ok(())
}

/// Records a probe's stress sample: one sighting per difference, on the
/// deployed build, which no fix series can be applied to.
pub fn record_probe(store: &Store, sample: &StressSample, build: &str) -> Result<Vec<Entry>> {
    let mut sightings = Vec::new();
    for difference in sample.differences.iter().chain(&sample.flaky) {
        let program = generate::program(difference.program_seed);
        let sighting = Sighting {
            kind: difference.kind.clone(),
            difference: difference.difference.clone(),
            program: program.render(),
            shrunk: None,
            jit: difference.difference.clone(),
            interpreter: String::new(),
            families: program.families(),
            tree: build.to_owned(),
            run: format!(
                "probe sample seed {:#x} count {} ({})",
                sample.seed,
                sample.programs,
                difference.how_often()
            ),
            count: 1,
            matched: Match::Unchecked {
                why: "a deployed build: no fix series can be applied to it".to_owned(),
            },
        };
        sightings.push(sighting);
    }
    let mut entries = Vec::new();
    for sighting in &one_per_signature(sightings) {
        entries.push(store.record(sighting)?);
    }
    Ok(entries)
}

/// The comparison a stress run saved beside a finding's program.
fn comparison(finding: &Finding) -> Option<Comparison> {
    let text = fs::read_to_string(finding.dir.join("finding.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// The sightings of one run, one per defect to the store (signature), their
/// programs added up: the store counts a run's second sighting of an entry
/// as the same run recorded again, and would drop its programs.
fn one_per_signature(sightings: Vec<Sighting>) -> Vec<Sighting> {
    let mut one: Vec<Sighting> = Vec::new();
    for sighting in sightings {
        match one
            .iter_mut()
            .find(|s| super::signature(s) == super::signature(&sighting))
        {
            Some(earlier) => earlier.count += sighting.count,
            None => one.push(sighting),
        }
    }
    one
}
