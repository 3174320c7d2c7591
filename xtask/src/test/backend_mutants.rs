//! Seeded defects in the rest of the ARM64 backend
//! (tests/backend_mutants.txt): the measure of how much the regression cases
//! and the default stress run can find. Each mutant is one text change in
//! `src/lj_asm_arm64.h` or `src/lj_emit_arm64.h` of luajit-src
//! 210.7.4+c6ffc14 with `patches/extra/all-fixes` (the fixes of the
//! defects the project found there), a tree on which every case passes and
//! the default stress run finds nothing; a case or a program failing there
//! would kill no mutant. A scratch copy of that build gets the change, make
//! recompiles `lj_asm.o`, the suite is linked against it, and the mutant is
//! killed when a case fails or a stress program's JIT run differs from its
//! interpreted run where the unmutated tree shows neither. Stress programs
//! run in batches and stop at the first difference, so a killed mutant is
//! cheap; a survivor runs the whole default run. Each mutant's verdict is
//! cached by its text, the tree's build, the suite, the cases and the
//! generator. It runs with `cargo xtask test --slow`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use super::{Held, Trial, expect};

use crate::pipeline::build::{self, Built, VariantSpec, prepare_and_build};
use crate::pipeline::cache::{Key, cached};
use crate::pipeline::fetch;
use crate::pipeline::patch::Series;
use crate::pipeline::patch::copy_keeping_times;
use crate::pipeline::stress::{self, Plan, RUN_LIMITS};
use crate::pipeline::suite::{self, outcome::Status};
use crate::pipeline::{Context, lua_files};

/// The tree the mutants edit, and the series applied to it first.
const TREE: &str = "210.7.4+c6ffc14";
const SERIES: &str = "patches/extra/all-fixes";
/// The files a mutant may edit: the backend.
const BACKEND_FILES: [&str; 2] = ["src/lj_asm_arm64.h", "src/lj_emit_arm64.h"];
/// Stress programs run at a time; the run stops after the first batch
/// with a difference.
const BATCH: usize = 20;
/// The share of mutants (equivalent ones left out) the check must kill.
const REQUIRED_SCORE: f64 = 0.9;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mutant {
    /// Short name, unique in the file.
    pub name: String,
    pub description: String,
    /// The file it edits, relative to the tree.
    pub file: String,
    pub find: String,
    pub replace: String,
    /// Why no program can tell it from the tree, when it is equivalent: it
    /// is not run and not counted.
    pub equivalent: Option<String>,
}

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
}

/// The unmutated tree: its build, its suite and what already fails on it.
struct Base {
    label: String,
    built: Built,
    suite: PathBuf,
    /// Cases that fail on the unmutated tree: no mutant is killed by them.
    failing_cases: BTreeSet<String>,
    /// Stress programs (`pNNNNN`) that differ on the unmutated tree.
    differing_programs: BTreeSet<String>,
}

/// One check: the score over every mutant of the file.
pub fn checks(root: &Path) -> Result<Vec<Trial>> {
    let path = root.join("tests/backend_mutants.txt");
    let mutants = load(&path)?;
    // Slow: a surviving mutant runs the whole default stress run, about
    // 35 minutes in all on two cores when nothing is cached.
    Ok(vec![Trial::slow(
        "mutants/backend-score",
        "the cases and the default stress run kill at least 90% of tests/backend_mutants.txt",
        move |fx| score(&mut fx.cx, &path, &mutants),
    )])
}

pub fn load(path: &Path) -> Result<Vec<Mutant>> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text).with_context(|| format!("in {}", path.display()))
}

/// Reads the data file: `## NAME: description`, `@ FILE`, `-` the exact
/// text to replace (it must occur once), `+` what replaces it; a comment
/// `# equivalent: why` right above a header marks that mutant equivalent.
pub fn parse(text: &str) -> Result<Vec<Mutant>> {
    let mut mutants: Vec<Mutant> = Vec::new();
    let mut equivalent: Option<String> = None;
    for (number, line) in text.lines().enumerate() {
        let at = || format!("line {}", number + 1);
        if let Some(header) = line.strip_prefix("## ") {
            let (name, description) = header
                .split_once(": ")
                .with_context(|| format!("{}: expected `## NAME: description`", at()))?;
            let name = name.trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                bail!("{}: a mutant's name is one word, not `{name}`", at());
            }
            if mutants.iter().any(|m| m.name == name) {
                bail!("{}: a second mutant named `{name}`", at());
            }
            mutants.push(Mutant {
                name: name.to_owned(),
                description: description.trim().to_owned(),
                file: String::new(),
                find: String::new(),
                replace: String::new(),
                equivalent: equivalent.take(),
            });
        } else if let Some(why) = line.strip_prefix("# equivalent:") {
            equivalent = Some(why.trim().to_owned());
        } else if line.starts_with('#') || line.trim().is_empty() {
            continue;
        } else {
            let mutant = mutants
                .last_mut()
                .with_context(|| format!("{}: `{line}` before any `##` header", at()))?;
            let (slot, value) = if let Some(file) = line.strip_prefix("@ ") {
                (&mut mutant.file, file.trim())
            } else if let Some(find) = line.strip_prefix('-') {
                (&mut mutant.find, find)
            } else if let Some(replace) = line.strip_prefix('+') {
                (&mut mutant.replace, replace)
            } else {
                bail!(
                    "{}: expected `@ FILE`, `-TEXT` or `+TEXT`, not `{line}`",
                    at()
                );
            };
            if !slot.is_empty() {
                bail!("{}: mutant `{}` has a second such line", at(), mutant.name);
            }
            *slot = value.to_owned();
        }
    }
    if equivalent.is_some() {
        bail!("a `# equivalent:` comment after the last mutant");
    }
    for mutant in &mutants {
        if mutant.file.is_empty() || mutant.find.trim().is_empty() || mutant.replace.is_empty() {
            bail!(
                "mutant `{}` needs one `@ FILE`, one `-` and one `+` line",
                mutant.name
            );
        }
        if !BACKEND_FILES.contains(&mutant.file.as_str()) {
            bail!(
                "mutant `{}` edits {}, not one of the backend's files ({})",
                mutant.name,
                mutant.file,
                BACKEND_FILES.join(", ")
            );
        }
        if mutant.find == mutant.replace {
            bail!("mutant `{}` replaces its text with itself", mutant.name);
        }
    }
    Ok(mutants)
}

/// `source` with the mutant's text replaced; an error naming the mutant
/// unless the text occurs exactly once.
pub fn apply(source: &str, mutant: &Mutant, tree: &str) -> Result<String> {
    match source.matches(mutant.find.as_str()).count() {
        1 => Ok(source.replacen(&mutant.find, &mutant.replace, 1)),
        n => bail!(
            "mutant `{}`: its `-` text occurs {n} times in {} of {tree}, not once: `{}`",
            mutant.name,
            mutant.file,
            mutant.find
        ),
    }
}

fn score(cx: &mut Context, path: &Path, mutants: &[Mutant]) -> Result<Held> {
    let started = Instant::now();
    let base = base(cx)?;
    // Every text first: a mutant that does not apply stops the check
    // before anything is built.
    for mutant in mutants {
        let file = base.built.dir.join(&mutant.file);
        let source =
            fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        apply(&source, mutant, &base.label).with_context(|| format!("in {}", path.display()))?;
    }
    let mut rows = Vec::new();
    for (index, mutant) in mutants.iter().enumerate() {
        if mutant.equivalent.is_some() {
            rows.push((mutant, None));
            continue;
        }
        eprintln!(
            "==> backend mutant {}/{}: {}",
            index + 1,
            mutants.len(),
            mutant.name
        );
        let key = Key::new("backend mutant")
            .text("file", &mutant.file)
            .text("find", &mutant.find)
            .text("replace", &mutant.replace)
            .text("base", &base.built.fingerprint)
            .text("base suite", cx.cache.suite_hash(&base.suite)?)
            .files("case", &lua_files(&cx.cases_dir())?)?
            .text("generator", stress::generator_key())
            .text("plan", default_plan().label())
            .text("batch", BATCH);
        let what = format!("backend mutant {}", mutant.name);
        let verdict: Verdict = cached(cx, &what, key, |cx| judge(cx, &base, mutant))?;
        match &verdict.killed_by {
            Some(by) => eprintln!("    {}: killed by {by}", mutant.name),
            None => eprintln!(
                "    {}: survived {} programs",
                mutant.name, verdict.programs
            ),
        }
        rows.push((mutant, Some(verdict)));
    }

    println!(
        "\nbackend mutants on {} (cases in tests/cases, stress {}):",
        base.label,
        default_plan().label()
    );
    if !base.failing_cases.is_empty() || !base.differing_programs.is_empty() {
        println!(
            "  not counted, they fail on the unmutated tree: {}",
            base.failing_cases
                .iter()
                .chain(&base.differing_programs)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let (killed, counted, survivors) = print_rows(&rows);
    let ratio = if counted == 0 {
        0.0
    } else {
        killed as f64 / counted as f64
    };
    let summary = format!(
        "score: {killed} of {counted} mutants killed ({:.1}%), {} equivalent left out; {:.0} s",
        100.0 * ratio,
        rows.len() - counted,
        started.elapsed().as_secs_f64()
    );
    println!("  {summary}");
    Ok(expect(counted > 0 && ratio >= REQUIRED_SCORE, || {
        format!(
            "{summary}, below {:.0}%; survived: {}",
            100.0 * REQUIRED_SCORE,
            survivors.join(", ")
        )
    }))
}

fn default_plan() -> Plan {
    Plan::whole(stress::DEFAULT_SEED, stress::DEFAULT_COUNT)
}

/// The tree the mutants edit, built as `check` builds it with the series,
/// and what fails on it unmutated.
fn base(cx: &mut Context) -> Result<Base> {
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
    let label = format!("{} with {SERIES}", source.label);
    let cases_dir = cx.cases_dir();
    let failing_cases = suite::run_cases(cx, "patched", &suite, &cases_dir)?
        .into_iter()
        .filter(|r| r.outcome.status != Status::Pass)
        .map(|r| r.name)
        .collect();
    let run = stress::run_unshrunk(cx, "patched", &suite, default_plan())?;
    let differing_programs = run.findings.iter().map(|f| program_name(f.index)).collect();
    Ok(Base {
        label,
        built,
        suite,
        failing_cases,
        differing_programs,
    })
}

/// A stress program's name as the suite reports it: its file's stem.
fn program_name(index: usize) -> String {
    format!("p{index:05}")
}

/// Builds the mutant in a scratch copy of the base build and runs the
/// cases, then the stress programs batch by batch until one differs.
fn judge(cx: &mut Context, base: &Base, mutant: &Mutant) -> Result<Verdict> {
    let started = Instant::now();
    let scratch = tempfile::tempdir_in(cx.target_dir())
        .context("cannot create a scratch folder for a mutant")?;
    let tree = scratch.path().join("tree");
    copy_keeping_times(&base.built.dir, &tree)?;
    let file = tree.join(&mutant.file);
    let source =
        fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
    fs::write(&file, apply(&source, mutant, &base.label)?)
        .with_context(|| format!("cannot write {}", file.display()))?;
    let name = format!("mutant {}", mutant.name);
    build::rebuild_in_place(cx, &name, &tree, &scratch.path().join("build.log"))
        .with_context(|| format!("mutant `{}` does not build", mutant.name))?;
    let built = Built {
        name: name.clone(),
        dir: tree,
        fingerprint: Key::new("backend mutant build")
            .text("base", &base.built.fingerprint)
            .text("file", &mutant.file)
            .text("find", &mutant.find)
            .text("replace", &mutant.replace)
            .hex(),
        rebuilt: true,
        seconds: 0.0,
    };
    let suite = suite::build_suite(cx, &built)
        .with_context(|| format!("cannot link the suite against mutant `{}`", mutant.name))?;
    let verdict = |killed_by: Option<String>, programs: usize| Verdict {
        killed_by,
        programs,
        seconds: started.elapsed().as_secs_f64(),
    };

    let cases_dir = cx.cases_dir();
    match suite::run_cases(cx, &name, &suite, &cases_dir) {
        Ok(results) => {
            if let Some(failed) = results
                .iter()
                .find(|r| r.outcome.status != Status::Pass && !base.failing_cases.contains(&r.name))
            {
                let by = format!("case {}: {}", failed.name, failed.outcome.summary());
                return Ok(verdict(Some(by), 0));
            }
        }
        // Each case runs in its own process: the suite itself failing is
        // the mutant's doing too (the unmutated tree ran them).
        Err(error) => return Ok(verdict(Some(format!("the cases: {error:#}")), 0)),
    }

    let programs = stress::write_programs(&scratch.path().join("programs"), default_plan())?;
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
        let comparisons = match suite::run_compare(cx, &suite, &batch_dir, RUN_LIMITS) {
            Ok(comparisons) => comparisons,
            Err(error) => {
                let first = program_name(batch[0].index);
                return Ok(verdict(
                    Some(format!("stress programs from {first}: {error:#}")),
                    ran,
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
                return Ok(verdict(Some(by), ran));
            }
        }
    }
    Ok(verdict(None, ran))
}

/// Prints each mutant's row: equivalent, killed (by what) or survived.
/// Returns the killed, the counted (not equivalent) and the survivors.
fn print_rows(rows: &[(&Mutant, Option<Verdict>)]) -> (usize, usize, Vec<String>) {
    let (mut killed, mut counted) = (0, 0);
    let mut survivors = Vec::new();
    for (mutant, verdict) in rows {
        match (verdict, &mutant.equivalent) {
            (None, why) => println!(
                "  equivalent {}: {} (not run: {})",
                mutant.name,
                mutant.description,
                why.as_deref().unwrap_or("")
            ),
            (Some(verdict), _) => {
                counted += 1;
                match &verdict.killed_by {
                    Some(by) => {
                        killed += 1;
                        println!(
                            "  killed     {}: {} ({:.0} s)\n             by {by}",
                            mutant.name, mutant.description, verdict.seconds
                        );
                    }
                    None => {
                        survivors.push(mutant.name.clone());
                        println!(
                            "  SURVIVED   {}: {} ({} programs, {:.0} s)",
                            mutant.name, mutant.description, verdict.programs, verdict.seconds
                        );
                    }
                }
            }
        }
    }
    (killed, counted, survivors)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# A comment.

## fused-shift-count: asm_fuseopm ignores the shift amount
@ src/lj_asm_arm64.h
-      return A64F_M(m) | A64F_SH(sh, shift);
+      return A64F_M(m) | A64F_SH(sh, 0);

# equivalent: nothing reaches it
## dead: a change nobody sees
@ src/lj_emit_arm64.h
-a
+b
";

    #[test]
    fn the_data_file_reads_back() {
        let mutants = parse(SAMPLE).unwrap();
        assert_eq!(mutants.len(), 2);
        assert_eq!(
            mutants[0],
            Mutant {
                name: "fused-shift-count".to_owned(),
                description: "asm_fuseopm ignores the shift amount".to_owned(),
                file: "src/lj_asm_arm64.h".to_owned(),
                find: "      return A64F_M(m) | A64F_SH(sh, shift);".to_owned(),
                replace: "      return A64F_M(m) | A64F_SH(sh, 0);".to_owned(),
                equivalent: None,
            }
        );
        assert_eq!(mutants[1].equivalent.as_deref(), Some("nothing reaches it"));
        assert_eq!(
            (mutants[1].find.as_str(), mutants[1].replace.as_str()),
            ("a", "b")
        );
    }

    #[test]
    fn a_malformed_mutant_is_an_error_naming_it() {
        let missing_file = "## m: no file\n-a\n+b\n";
        let error = format!("{:#}", parse(missing_file).unwrap_err());
        assert!(error.contains("`m`") && error.contains("@ FILE"), "{error}");
        let elsewhere = "## m: not the backend\n@ src/lj_record.c\n-a\n+b\n";
        assert!(format!("{:#}", parse(elsewhere).unwrap_err()).contains("lj_record.c"));
        let twice =
            "## m: one\n@ src/lj_asm_arm64.h\n-a\n+b\n## m: two\n@ src/lj_asm_arm64.h\n-c\n+d\n";
        assert!(format!("{:#}", parse(twice).unwrap_err()).contains("second mutant"));
        let stray = "-a\n";
        assert!(parse(stray).is_err());
    }

    #[test]
    fn a_text_not_found_once_is_an_error_naming_the_mutant() {
        let mutant = parse(SAMPLE).unwrap().remove(0);
        let source = "x\n      return A64F_M(m) | A64F_SH(sh, shift);\ny\n";
        assert_eq!(
            apply(source, &mutant, "tree").unwrap(),
            "x\n      return A64F_M(m) | A64F_SH(sh, 0);\ny\n"
        );
        for (source, times) in [("nothing here", 0), (&*source.repeat(2), 2)] {
            let error = apply(source, &mutant, "tree").unwrap_err().to_string();
            assert!(
                error.contains("fused-shift-count") && error.contains(&format!("{times} times")),
                "{error}"
            );
        }
    }
}
