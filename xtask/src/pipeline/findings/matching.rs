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
use crate::pipeline::probe::exec::Runner;
use crate::pipeline::stress::{self, Kind};
use crate::pipeline::suite::{self, outcome::CaseResult, outcome::Outcome, outcome::Status};
use crate::pipeline::variants::{Variant, build_variant};
use crate::pipeline::{Context, Timings, without_heap_addresses};

/// A program that differs on the tree, and how.
pub struct Candidate {
    pub source: String,
    pub kind: Kind,
    /// Its run with the JIT, to hold against the cases' failures.
    pub jit: Outcome,
}

/// How a program is judged to differ: through the suite's harness (the
/// chunk's returned values and errors, as stress runs compare them), or as
/// a stock `luajit` runs it (what it prints, how it ends), as a script a
/// user brings is judged.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Judge {
    Harness,
    Stock,
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
pub fn match_programs(
    cx: &mut Context,
    tree: &Tree,
    candidates: &[Candidate],
    judge: Judge,
) -> Result<Vec<Match>> {
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
    // The series of defects whose cases fail here go first: most findings
    // are one of those, and the loop ends once every candidate is matched.
    let cases = suite::run_cases(cx, tree.name, &tree.variant.suite, &cx.cases_dir())?;
    let failing: Vec<&String> = cases
        .iter()
        .filter(|c| fails_as_pinned(c))
        .flat_map(|c| &c.pins)
        .collect();
    let mut all = catalogue_series(cx)?;
    all.sort_by_key(|series| !series.fixes().iter().any(|f| failing.contains(&f)));
    for series in all {
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
            combined.patches = applied
                .patches
                .iter()
                .chain(&applies.patches)
                .cloned()
                .collect();
        }
        let variant_name = format!(
            "match-{}",
            series
                .dir
                .file_name()
                .map_or("series".into(), |n| n.to_string_lossy())
        );
        eprintln!(
            "==> {}: does {name} make the {} differing programs agree?",
            tree.name,
            matches.iter().filter(|m| m.is_none()).count()
        );
        let open: Vec<usize> = (0..candidates.len())
            .filter(|&i| matches[i].is_none())
            .collect();
        let sources: Vec<&str> = open
            .iter()
            .map(|&i| candidates[i].source.as_str())
            .collect();
        let Some(differs) = differs_with(cx, tree, &variant_name, &combined, &sources, judge)?
        else {
            eprintln!("    {name} does not build on this tree, left out");
            continue;
        };
        checked.push(name.clone());
        let agreeing: Vec<usize> = open
            .iter()
            .zip(&differs)
            .filter(|(_, differs)| !**differs)
            .map(|(&place, _)| place)
            .collect();
        if agreeing.is_empty() {
            continue;
        }
        // A series of several patches: the first prefix that makes a
        // program agree names the patch, as the series' replay does.
        let base = combined.patches.len() - applies.patches.len();
        let mut by_patch: Vec<Option<usize>> = vec![None; candidates.len()];
        for count in 1..applies.patches.len() {
            let left: Vec<usize> = agreeing
                .iter()
                .copied()
                .filter(|&p| by_patch[p].is_none())
                .collect();
            if left.is_empty() {
                break;
            }
            let prefix = combined.prefix(base + count);
            let sources: Vec<&str> = left
                .iter()
                .map(|&i| candidates[i].source.as_str())
                .collect();
            let name = format!("{variant_name}-{count}");
            if let Some(differs) = differs_with(cx, tree, &name, &prefix, &sources, judge)? {
                for (&place, differs) in left.iter().zip(differs) {
                    if !differs {
                        by_patch[place] = Some(count - 1);
                    }
                }
            }
        }
        for place in agreeing {
            let patch = &applies.patches[by_patch[place].unwrap_or(applies.patches.len() - 1)];
            let (issues, by) = match applies.patches.len() {
                1 => (applies.fixes(), format!("{name} makes it agree")),
                _ => (
                    patch.fixes.clone(),
                    format!("{} of {name} makes it agree", patch.name),
                ),
            };
            matches[place] = Some(Match::Known { issues, by });
        }
    }
    if matches.iter().any(Option::is_none) {
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

/// Whether each source differs on the tree built with `series`, judged as
/// `judge` says; None when the tree does not build.
fn differs_with(
    cx: &mut Context,
    tree: &Tree,
    name: &str,
    series: &Series,
    sources: &[&str],
    judge: Judge,
) -> Result<Option<Vec<bool>>> {
    let variant = match build_variant(
        cx,
        name,
        tree.source,
        Some(series),
        false,
        &mut Timings::default(),
    ) {
        Ok(variant) => variant,
        Err(error) => {
            eprintln!("    {name}: {error:#}");
            return Ok(None);
        }
    };
    let work = cx.target_dir().join("findings-scratch-runs");
    Ok(Some(match judge {
        Judge::Harness => stress::run_sources(cx, &variant.suite, &work, sources)?
            .iter()
            .map(|r| r.difference().is_some())
            .collect(),
        Judge::Stock => stock_differs(cx, &variant, &work, sources)?,
    }))
}

/// Whether each source, run by the variant's own `luajit` with the JIT on
/// and with `-joff`, ends differently or prints something else.
pub fn stock_differs(
    cx: &Context,
    variant: &Variant,
    work: &Path,
    sources: &[&str],
) -> Result<Vec<bool>> {
    fs::create_dir_all(work).with_context(|| format!("cannot create {}", work.display()))?;
    let runner = stock_runner(cx, variant);
    let mut differs = Vec::new();
    for (place, source) in sources.iter().enumerate() {
        let script = work.join(format!("s{place:04}.lua"));
        fs::write(&script, source).with_context(|| format!("cannot write {}", script.display()))?;
        let (jit, joff) = run_both(&runner, &script)?;
        differs.push(outcomes_differ(&jit, &joff));
    }
    let _ = fs::remove_dir_all(work);
    Ok(differs)
}

/// The variant's own `luajit`, run from its `src/` (where `jit/` lives).
pub fn stock_runner(cx: &Context, variant: &Variant) -> Runner {
    stock_runner_in(cx, variant, &variant.built.dir.join("src"))
}

/// The variant's own `luajit`, run from `dir`.
pub fn stock_runner_in(cx: &Context, variant: &Variant, dir: &Path) -> Runner {
    Runner::new(&cx.toolchain, &stock_luajit(variant), Vec::new(), &[], dir)
}

/// The variant's own `luajit` executable.
pub fn stock_luajit(variant: &Variant) -> PathBuf {
    variant.built.dir.join("src/luajit")
}

/// A script run with the JIT on and with `-joff`.
pub fn run_both(runner: &Runner, script: &Path) -> Result<(Outcome, Outcome)> {
    let limit = stress::RUN_LIMITS.jit.ceiling;
    let arg = [script.as_os_str()];
    Ok((
        runner.run(&arg, false, limit)?,
        runner.run(&arg, true, limit)?,
    ))
}

/// Whether two runs of one script differ in how they ended or what they printed.
/// Heap addresses (`table: 0x...`) differ between processes and are left out.
pub fn outcomes_differ(jit: &Outcome, joff: &Outcome) -> bool {
    let shape = |o: &Outcome| {
        (
            o.status,
            o.exit_code,
            o.signal,
            o.error.as_deref().map(without_heap_addresses),
            without_heap_addresses(&o.output),
        )
    };
    shape(jit) != shape(joff)
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
    let case = cases.iter().find(|case| {
        fails_as_pinned(case) && shape(&case.outcome).as_deref() == Some(want.as_str())
    })?;
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
            case.file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
        ),
    }
}
