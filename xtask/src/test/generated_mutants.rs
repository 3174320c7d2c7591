//! The generated-mutant path end to end on one mutant that must die: the
//! hand-written `fusexref-shift-size` (asm_fusexref fuses a shifted index
//! whose shift is at most, not equal to, the access size), which the cases
//! and the default stress run kill. The tool must generate that same line
//! edit, compiler equivalence must keep it, and the judge must kill it; a
//! path that loses or spares it fails here. Slow: it builds the base and
//! judges one mutant (minutes when nothing is cached).
//!
//! And every gap of the triage (`tests/mutants_triage.txt`) is shown: its
//! script kills its mutant and agrees with itself on the base
//! (`mutants/gap-SCRIPT`, one check each, slow).

use std::path::Path;

use anyhow::{Context as _, Result};

use super::{Held, Trial, expect};

use crate::pipeline::Context;
use crate::pipeline::mutants::handwritten::{self, Mutant};
use crate::pipeline::mutants::tce::{Compiler, Tce};
use crate::pipeline::mutants::triage::{self, Entry, Kind};
use crate::pipeline::mutants::{campaign, gaps, generate, judge};
use crate::pipeline::toolchain::mutator;

/// The hand-written mutant the generated path must kill.
const KNOWN_KILLABLE: &str = "fusexref-shift-size";

pub fn checks(root: &Path) -> Result<Vec<Trial>> {
    let mut checks = vec![known_killable(root)?];
    let gap_entries = triage::load(&root.join(campaign::TRIAGE_FILE), root)?
        .into_iter()
        .filter(|entry| entry.kind == Kind::Gap);
    for entry in gap_entries {
        let script = entry
            .script
            .clone()
            .expect("triage::parse: a gap names its script");
        let stem = Path::new(&script)
            .file_stem()
            .and_then(|s| s.to_str())
            .with_context(|| format!("the gap script {script} has no file name"))?
            .to_owned();
        let path = root.join(&script);
        checks.push(Trial::slow(
            format!("mutants/gap-{stem}"),
            format!(
                "{script} kills the mutant of {} it is the gap of, and agrees on the base",
                entry.function.as_deref().unwrap_or("file scope")
            ),
            move |fx| gap_shown(&mut fx.cx, &entry, &path),
        ));
    }
    Ok(checks)
}

fn gap_shown(cx: &mut Context, entry: &Entry, script: &Path) -> Result<Held> {
    let base = judge::built_base(cx)?;
    let run = gaps::run(cx, &base, entry, script)?;
    Ok(expect(run.kills(), || match (&run.base, &run.mutant) {
        (Some(base), _) => format!("the base already differs: {base}"),
        _ => format!(
            "the mutant runs it the same with the JIT and without (-{} +{})",
            entry.original.trim(),
            entry.replacement.trim()
        ),
    }))
}

fn known_killable(root: &Path) -> Result<Trial> {
    let path = root.join("tests/backend_mutants.txt");
    let mutant = handwritten::load(&path)?
        .into_iter()
        .find(|m| m.name == KNOWN_KILLABLE)
        .with_context(|| format!("{} has no mutant `{KNOWN_KILLABLE}`", path.display()))?;
    Ok(Trial::slow(
        "mutants/generated-kills-known",
        format!(
            "universalmutator generates {KNOWN_KILLABLE} of tests/backend_mutants.txt, compiler equivalence keeps it and the judge kills it"
        ),
        move |fx| killed(&mut fx.cx, &mutant),
    ))
}

fn killed(cx: &mut Context, mutant: &Mutant) -> Result<Held> {
    let base = judge::base(cx)?;
    let edit = mutant.edit(&base.source(&mutant.file)?, &base.label)?;
    let tool = mutator::ensure(&cx.target_dir())?;
    let generated = generate::generate(cx, &tool, &base)?;
    if !generated.contains(&edit) {
        let same_line: Vec<String> = generated
            .iter()
            .filter(|e| e.file == edit.file && e.line == edit.line)
            .map(|e| format!("+{}", e.replacement))
            .collect();
        return Ok(Err(format!(
            "{} did not generate {}: -{} +{}; at that line it generated:\n{}",
            tool.version(),
            edit.place(),
            edit.original,
            edit.replacement,
            same_line.join("\n")
        )));
    }
    let (tce, _) = Compiler::new(cx, &base)?.decision(cx, &base, &edit)?;
    if tce != Tce::Kept {
        return Ok(Err(format!(
            "compiler equivalence dropped {} as {tce:?}",
            edit.place()
        )));
    }
    let verdict = judge::cached_verdict(cx, &base, KNOWN_KILLABLE, &edit)?;
    Ok(expect(verdict.killed_by.is_some(), || {
        format!(
            "{KNOWN_KILLABLE} ({}) survived the cases and {} stress programs",
            edit.place(),
            verdict.programs
        )
    }))
}
