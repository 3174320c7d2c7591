//! Judging one mutant: a scratch copy of the base build gets the edit, make
//! recompiles `lj_asm.o`, the suite is linked against it, and the mutant is
//! killed when a case fails or a stress program's JIT run differs from its
//! interpreted run where the unmutated tree shows neither. Stress programs
//! run in batches and stop at the first difference, so a killed mutant is
//! cheap; a survivor runs the whole default run. Each verdict is cached by
//! the edit, the tree's build, the suite, the cases and the generator.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use super::{Edit, SERIES, TREE};
use crate::pipeline::build::{self, Built, VariantSpec, prepare_and_build};
use crate::pipeline::cache::{Key, cached};
use crate::pipeline::fetch;
use crate::pipeline::patch::{Series, copy_keeping_times};
use crate::pipeline::stress::{self, Plan};
use crate::pipeline::suite;
use crate::pipeline::suite::outcome::{Outcome, Status};
use crate::pipeline::{Context, lua_files};

/// Stress programs run at a time; the run stops after the first batch
/// with a difference.
pub const BATCH: usize = 20;

/// What a mutant did to the cases and the stress run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Verdict {
    /// The case or stress program that told it apart, and how; None when
    /// nothing did.
    pub killed_by: Option<String>,
    /// Stress programs it ran.
    pub programs: usize,
    /// Building it and running the cases and programs.
    pub seconds: f64,
    /// Of which: the copy, make and the suite's link.
    pub build_seconds: f64,
    /// The cases.
    pub cases_seconds: f64,
    /// The stress programs.
    pub stress_seconds: f64,
}

impl Verdict {
    /// One line for progress: what killed it, or how many programs it
    /// survived, and the time.
    pub fn summary(&self) -> String {
        match &self.killed_by {
            Some(by) => format!("killed by {by} ({:.0} s)", self.seconds),
            None => format!(
                "SURVIVED {} programs ({:.0} s)",
                self.programs, self.seconds
            ),
        }
    }

    /// Whether a stress program killed it (`judge` names those `stress
    /// ...`; the cases' kills name a case or the cases).
    pub fn killed_by_stress(&self) -> bool {
        self.killed_by
            .as_deref()
            .is_some_and(|by| by.starts_with("stress "))
    }
}

/// The unmutated tree: its build, its suite and what already fails on it.
pub struct Base {
    pub label: String,
    pub built: Built,
    pub suite: PathBuf,
    /// Cases that fail on the unmutated tree: no mutant is killed by them.
    pub failing_cases: BTreeSet<String>,
    /// Stress programs (`pNNNNN`) that differ on the unmutated tree.
    pub differing_programs: BTreeSet<String>,
    /// Each default stress program's run with the JIT off on the unmutated
    /// tree, by name. A mutant edits only the backend, which a run with the
    /// JIT off never enters: its interpreter is this one, so its programs
    /// run with the JIT only, against these (about 30% less work).
    pub interpreted: BTreeMap<String, Outcome>,
}

impl Base {
    /// The text of a backend file of the unmutated tree.
    pub fn source(&self, file: &str) -> Result<String> {
        let path = self.built.dir.join(file);
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
    }

    /// What the base's failures are, when there are any: they are not counted.
    pub fn not_counted(&self) -> Vec<String> {
        self.failing_cases
            .iter()
            .chain(&self.differing_programs)
            .cloned()
            .collect()
    }
}

/// The stress run every mutant is judged by: the default one.
pub fn default_plan() -> Plan {
    Plan::whole(stress::DEFAULT_SEED, stress::DEFAULT_COUNT)
}

/// The tree the mutants edit, built as `check` builds it with the series,
/// and what fails on it unmutated.
pub fn base(cx: &mut Context) -> Result<Base> {
    let mut base = built_base(cx)?;
    let cases_dir = cx.cases_dir();
    base.failing_cases = suite::run_cases(cx, "patched", &base.suite, &cases_dir)?
        .into_iter()
        .filter(|r| r.outcome.status != Status::Pass)
        .map(|r| r.name)
        .collect();
    let run = default_run(cx, &base.built, &base.suite)?;
    base.differing_programs = run.differing;
    base.interpreted = run.interpreted;
    Ok(base)
}

/// The tree the mutants edit, built, with its suite, and nothing run on it
/// yet (what fails there is left empty): enough to build a mutant and run
/// a script on both, as the triage's gaps are shown; `base` to judge.
pub fn built_base(cx: &mut Context) -> Result<Base> {
    let source = fetch::published(cx, TREE)?;
    let series = Series::load(&cx.root.join(SERIES))?;
    let built = prepare_and_build(
        cx,
        &VariantSpec {
            name: "patched".into(),
            source: &source,
            series: Some(&series),
            reverse: false,
        },
    )?;
    let suite = suite::build_suite(cx, &built)?;
    Ok(Base {
        label: format!("{} with {SERIES}", source.label),
        built,
        suite,
        failing_cases: BTreeSet::new(),
        differing_programs: BTreeSet::new(),
        interpreted: BTreeMap::new(),
    })
}

/// What the default stress run shows on the unmutated tree.
#[derive(Serialize, Deserialize)]
struct BaseRun {
    /// The programs that differ there (`Base::differing_programs`).
    differing: BTreeSet<String>,
    /// Every program's run with the JIT off (`Base::interpreted`).
    interpreted: BTreeMap<String, Outcome>,
}

/// The default stress run on the unmutated tree, run as a mutant's
/// programs are (second tries included): once per base build, cached.
fn default_run(cx: &mut Context, built: &Built, suite: &Path) -> Result<BaseRun> {
    let key = Key::new("the default stress run of the mutants' base")
        .text("base", &built.fingerprint)
        .text("base suite", cx.cache.suite_hash(suite)?)
        .text("generator", stress::generator_key())
        .text("plan", default_plan().label())
        .text("rules", stress::run_rules());
    cached(cx, "the base's stress programs", key, |cx| {
        let scratch = tempfile::tempdir_in(cx.target_dir())
            .context("cannot create a scratch folder for the base's programs")?;
        let programs = scratch.path().join("programs");
        stress::write_programs(&programs, default_plan())?;
        let mut run = BaseRun {
            differing: BTreeSet::new(),
            interpreted: BTreeMap::new(),
        };
        for comparison in stress::compare_with_second_tries(cx, suite, &programs)? {
            if stress::difference_kind(&comparison).is_some() {
                run.differing.insert(comparison.name.clone());
            }
            run.interpreted
                .insert(comparison.name, comparison.interpreter);
        }
        Ok(run)
    })
}

/// A stress program's name as the suite reports it: its file's stem.
fn program_name(index: usize) -> String {
    format!("p{index:05}")
}

/// The mutant's verdict: the stored one when the edit, the base, the suite,
/// the cases and the stress generator are unchanged, otherwise `judge`'s.
pub fn cached_verdict(cx: &mut Context, base: &Base, name: &str, edit: &Edit) -> Result<Verdict> {
    let key = Key::new("backend mutant edit")
        .text("file", &edit.file)
        .text("line", edit.line)
        .text("original", &edit.original)
        .text("replacement", &edit.replacement)
        .text("base", &base.built.fingerprint)
        .text("base suite", cx.cache.suite_hash(&base.suite)?)
        .files("case", &lua_files(&cx.cases_dir())?)?
        .text("generator", stress::generator_key())
        .text("plan", default_plan().label())
        .text("rules", stress::run_rules())
        .text("batch", BATCH);
    let what = format!("backend mutant {name}");
    cached(cx, &what, key, |cx| judge(cx, base, name, edit))
}

/// A mutant built in a scratch copy of the base build, with the suite
/// linked against it. The scratch folder goes when this is dropped.
pub struct BuiltMutant {
    pub scratch: tempfile::TempDir,
    /// How progress and errors name it: `mutant NAME`.
    pub name: String,
    pub suite: PathBuf,
}

/// Copies the base build, applies `edit`, lets make recompile `lj_asm.o`
/// and links the suite against the result.
pub fn build_mutant(cx: &mut Context, base: &Base, name: &str, edit: &Edit) -> Result<BuiltMutant> {
    let scratch = tempfile::tempdir_in(cx.target_dir())
        .context("cannot create a scratch folder for a mutant")?;
    let tree = scratch.path().join("tree");
    copy_keeping_times(&base.built.dir, &tree)?;
    let file = tree.join(&edit.file);
    fs::write(&file, edit.apply(&base.source(&edit.file)?, &base.label)?)
        .with_context(|| format!("cannot write {}", file.display()))?;
    let build_name = format!("mutant {name}");
    build::rebuild_in_place(cx, &build_name, &tree, &scratch.path().join("build.log"))
        .with_context(|| format!("mutant `{name}` does not build"))?;
    let built = Built {
        name: build_name.clone(),
        dir: tree,
        fingerprint: Key::new("backend mutant edit build")
            .text("base", &base.built.fingerprint)
            .text("file", &edit.file)
            .text("line", edit.line)
            .text("original", &edit.original)
            .text("replacement", &edit.replacement)
            .hex(),
        rebuilt: true,
        seconds: 0.0,
    };
    let suite = suite::build_suite(cx, &built)
        .with_context(|| format!("cannot link the suite against mutant `{name}`"))?;
    Ok(BuiltMutant {
        scratch,
        name: build_name,
        suite,
    })
}

/// Builds the mutant in a scratch copy of the base build and runs the
/// cases, then the stress programs batch by batch until one differs.
pub fn judge(cx: &mut Context, base: &Base, name: &str, edit: &Edit) -> Result<Verdict> {
    let started = Instant::now();
    let BuiltMutant {
        scratch,
        name: build_name,
        suite,
    } = build_mutant(cx, base, name, edit)?;
    let build_seconds = started.elapsed().as_secs_f64();
    let verdict = |killed_by: Option<String>, programs: usize, stress_seconds: f64| Verdict {
        killed_by,
        programs,
        seconds: started.elapsed().as_secs_f64(),
        build_seconds,
        cases_seconds: started.elapsed().as_secs_f64() - build_seconds - stress_seconds,
        stress_seconds,
    };

    let cases_dir = cx.cases_dir();
    match suite::run_cases(cx, &build_name, &suite, &cases_dir) {
        Ok(results) => {
            if let Some(failed) = results
                .iter()
                .find(|r| r.outcome.status != Status::Pass && !base.failing_cases.contains(&r.name))
            {
                let by = format!("case {}: {}", failed.name, failed.outcome.summary());
                return Ok(verdict(Some(by), 0, 0.0));
            }
        }
        // Each case runs in its own process: the suite itself failing is
        // the mutant's doing too (the unmutated tree ran them).
        Err(error) => return Ok(verdict(Some(format!("the cases: {error:#}")), 0, 0.0)),
    }

    let stress_started = Instant::now();
    let stress_seconds = || stress_started.elapsed().as_secs_f64();
    let programs = stress::write_programs(&scratch.path().join("programs"), default_plan())?;
    let reference = scratch.path().join("interpreted.json");
    fs::write(&reference, serde_json::to_string(&base.interpreted)?)
        .with_context(|| format!("cannot write {}", reference.display()))?;
    let batch_dir = scratch.path().join("batch");
    let mut ran = 0;
    for batch in programs.chunks(BATCH) {
        if batch_dir.exists() {
            fs::remove_dir_all(&batch_dir)
                .with_context(|| format!("cannot clear {}", batch_dir.display()))?;
        }
        fs::create_dir_all(&batch_dir)
            .with_context(|| format!("cannot create {}", batch_dir.display()))?;
        for program in batch {
            let link = batch_dir.join(program.path.file_name().expect("a file"));
            fs::hard_link(&program.path, &link)
                .or_else(|_| fs::copy(&program.path, &link).map(|_| ()))
                .with_context(|| format!("cannot link {}", program.path.display()))?;
        }
        ran += batch.len();
        let comparisons =
            match stress::compare_with_second_tries_given(cx, &suite, &batch_dir, Some(&reference))
            {
                Ok(comparisons) => comparisons,
                Err(error) => {
                    let first = program_name(batch[0].index);
                    return Ok(verdict(
                        Some(format!("stress programs from {first}: {error:#}")),
                        ran,
                        stress_seconds(),
                    ));
                }
            };
        for comparison in &comparisons {
            if base.differing_programs.contains(&comparison.name) {
                continue;
            }
            if let (Some(kind), Some(difference)) =
                (stress::difference_kind(comparison), comparison.difference())
            {
                let seed = batch
                    .iter()
                    .find(|p| program_name(p.index) == comparison.name)
                    .map(|p| format!(" (seed {})", stress::seed_text(p.program.seed)))
                    .unwrap_or_default();
                let by = format!("stress {}{seed}: {kind}: {difference}", comparison.name);
                return Ok(verdict(Some(by), ran, stress_seconds()));
            }
        }
    }
    Ok(verdict(None, ran, stress_seconds()))
}
