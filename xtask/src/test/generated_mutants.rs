//! The generated-mutant path end to end on one mutant that must die: the
//! hand-written `fusexref-shift-size` (asm_fusexref fuses a shifted index
//! whose shift is at most, not equal to, the access size), which the cases
//! and the default stress run kill. The tool must generate that same line
//! edit, compiler equivalence must keep it, and the judge must kill it; a
//! path that loses or spares it fails here. Slow: it builds the base and
//! judges one mutant (minutes when nothing is cached).

use std::path::Path;

use anyhow::{Context as _, Result};

use super::{Held, Trial, expect};

use crate::pipeline::Context;
use crate::pipeline::mutants::handwritten::{self, Mutant};
use crate::pipeline::mutants::tce::{Compiler, Tce};
use crate::pipeline::mutants::{generate, judge};
use crate::pipeline::toolchain::mutator;

/// The hand-written mutant the generated path must kill.
const KNOWN_KILLABLE: &str = "fusexref-shift-size";

pub fn checks(root: &Path) -> Result<Vec<Trial>> {
    let path = root.join("tests/backend_mutants.txt");
    let mutant = handwritten::load(&path)?
        .into_iter()
        .find(|m| m.name == KNOWN_KILLABLE)
        .with_context(|| format!("{} has no mutant `{KNOWN_KILLABLE}`", path.display()))?;
    Ok(vec![Trial::slow(
        "mutants/generated-kills-known",
        format!(
            "universalmutator generates {KNOWN_KILLABLE} of tests/backend_mutants.txt, compiler equivalence keeps it and the judge kills it"
        ),
        move |fx| killed(&mut fx.cx, &mutant),
    )])
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
