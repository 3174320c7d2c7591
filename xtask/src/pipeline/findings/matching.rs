//! Matching a finding against what is known: a program that differs on a
//! tree is a catalogued defect when a fix series (`patches/` or one under
//! `patches/extra/`) makes it agree on that tree, or when a case of that
//! defect fails the same way there. Otherwise it is new.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::Match;
use crate::pipeline::expect::fails_as_pinned;
use crate::pipeline::fetch::Source;
use crate::pipeline::patch::{PatchState, Series};
use crate::pipeline::stress::{self, Kind};
use crate::pipeline::suite::{self, outcome::CaseResult, outcome::Outcome, outcome::Status};
use crate::pipeline::variants::{Variant, build_variant};
use crate::pipeline::{Context, Timings};

/// A program that differs on the tree, and how.
pub struct Candidate {
    pub source: String,
    pub kind: Kind,
    /// Its run with the JIT, to hold against the cases' failures.
    pub jit: Outcome,
}

/// The tree the programs differ on: the source, the series the variant
/// has applied on top of it (if any), and the variant as built.
pub struct Tree<'a> {
    pub name: &'a str,
    pub source: &'a Source,
    pub applied: Option<&'a Series>,
    pub variant: &'a Variant,
}

/// Every fix series the project keeps: `patches/` and each folder under
/// `patches/extra/` with a `series` file, but those made only of other
/// series' patches (`all-fixes`), which would match what its parts match.
pub fn catalogue_series(cx: &Context) -> Result<Vec<Series>> {
    let mut all = vec![Series::load(&cx.patches_dir())?];
    let extra = cx.patches_dir().join("extra");
    let mut dirs: Vec<PathBuf> = match fs::read_dir(&extra) {
        Ok(listing) => listing
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("series").is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    dirs.sort();
    for dir in dirs {
        all.push(Series::load(&dir)?);
    }
    let own_files = |series: &Series| -> Vec<PathBuf> {
        series
            .patches
            .iter()
            .filter_map(|p| p.path.canonicalize().ok())
            .collect()
    };
    let composite: Vec<bool> = all
        .iter()
        .map(|series| {
            let files = own_files(series);
            files.iter().all(|f| !f.starts_with(&series.dir))
        })
        .collect();
    Ok(all
        .into_iter()
        .zip(composite)
        .filter(|(_, composite)| !composite)
        .map(|(series, _)| series)
        .collect())
}

/// How a series is named in a match: its folder under the project.
pub fn series_name(cx: &Context, series: &Series) -> String {
    series
        .dir
        .strip_prefix(&cx.root)
        .unwrap_or(&series.dir)
        .display()
        .to_string()
}

/// The match of each candidate on `tree`, in order.
pub fn match_programs(cx: &mut Context, tree: &Tree, candidates: &[Candidate]) -> Result<Vec<Match>> {
    let mut matches: Vec<Option<Match>> = vec![None; candidates.len()];
    let mut checked: Vec<String> = Vec::new();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let scratch = cx.target_dir().join("findings-scratch");
    let state_tree = match tree.applied {
        Some(_) => tree.variant.built.dir.clone(),
        None => tree.source.dir.clone(),
    };
    for series in catalogue_series(cx)? {
        if matches.iter().all(Option::is_some) {
            break;
        }
        let name = series_name(cx, &series);
        let states = series
            .each_state(&cx.sh, &state_tree, &scratch)
            .with_context(|| format!("cannot tell which patches of {name} the tree has"))?;
        let applies = series.only(&states, PatchState::Applies);
        if applies.patches.is_empty() {
            continue;
        }
        let mut combined = applies.clone();
        if let Some(applied) = tree.applied {
            combined.patches = applied.patches.iter().chain(&applies.patches).cloned().collect();
        }
        let variant_name = format!(
            "match-{}",
            series.dir.file_name().map_or("series".into(), |n| n.to_string_lossy())
        );
        eprintln!(
            "==> {}: does {name} make the {} differing programs agree?",
            tree.name,
            matches.iter().filter(|m| m.is_none()).count()
        );
        let fixed = match build_variant(cx, &variant_name, tree.source, Some(&combined), false, &mut Timings::default()) {
            Ok(variant) => variant,
            Err(error) => {
                eprintln!("    {name} does not build on this tree, left out: {error:#}");
                continue;
            }
        };
        checked.push(name.clone());
        let open: Vec<usize> = (0..candidates.len()).filter(|&i| matches[i].is_none()).collect();
        let sources: Vec<&str> = open.iter().map(|&i| candidates[i].source.as_str()).collect();
        let work = cx.target_dir().join("findings-scratch-runs");
        let results = stress::run_sources(cx, &fixed.suite, &work, &sources)?;
        for (&place, result) in open.iter().zip(results) {
            if result.difference().is_none() {
                matches[place] = Some(Match::Known {
                    issues: applies.fixes(),
                    by: format!("{name} makes it agree"),
                });
            }
        }
    }
    if matches.iter().any(Option::is_none) {
        let cases = suite::run_cases(cx, tree.name, &tree.variant.suite, &cx.cases_dir())?;
        checked.push("the cases".to_owned());
        for (place, candidate) in candidates.iter().enumerate() {
            if matches[place].is_none() {
                matches[place] = same_failure(candidate, &cases);
            }
        }
    }
    Ok(matches
        .into_iter()
        .map(|m| {
            m.unwrap_or_else(|| Match::New {
                checked: checked.clone(),
            })
        })
        .collect())
}

/// The issues of a case that fails on the tree as the candidate fails with
/// the JIT: killed by the same signal, or with the same error once numbers
/// are taken out. A wrong value cannot be held against a case this way.
fn same_failure(candidate: &Candidate, cases: &[CaseResult]) -> Option<Match> {
    let shape = |outcome: &Outcome| -> Option<String> {
        match outcome.status {
            Status::Crash => Some(format!("killed by {}", outcome.summary())),
            Status::Fail => outcome
                .error
                .as_deref()
                .map(|e| super::without_numbers(error_message(e))),
            _ => None,
        }
    };
    if candidate.kind == Kind::Mismatch {
        return None;
    }
    let want = shape(&candidate.jit)?;
    let case = cases
        .iter()
        .find(|case| fails_as_pinned(case) && shape(&case.outcome).as_deref() == Some(want.as_str()))?;
    Some(Match::Known {
        issues: case.pins.clone(),
        by: format!("case {} fails the same way", case.name),
    })
}

/// An error without the chunk and line it was raised at.
fn error_message(error: &str) -> &str {
    error
        .split_once(": ")
        .filter(|(place, _)| place.contains(':'))
        .map_or(error, |(_, message)| message)
}

/// The match of a catalogue case on a tree where it failed as pinned.
pub fn case_itself(case: &Path, pins: &[String]) -> Match {
    Match::Known {
        issues: pins.to_vec(),
        by: format!(
            "it is the case {}",
            case.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned())
        ),
    }
}
