//! Seeded defects (tests/lso_mutants.txt): scratch copies of a built tree
//! whose emit_lso has one deliberate bug each, to show that the exhaustive
//! check reports every one in the right class.

use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result, bail};

use super::{Trial, expect};

use lso_check::Domain;

use crate::pipeline::Context;
use crate::pipeline::build::Built;
use crate::pipeline::lso::{self, Engine};
use crate::pipeline::patch::copy_tree;
use crate::pipeline::suite::outcome::LsoReport;

const EMITTER: &str = "src/lj_emit_arm64.h";

#[derive(Clone)]
pub struct Mutant {
    /// The defect class the check must report.
    pub class: String,
    pub description: String,
    pub find: String,
    pub replace: String,
}

/// One check a seeded defect: reported in its class.
pub fn checks(root: &Path) -> Result<Vec<Trial>> {
    let mutants = load(&root.join("tests/lso_mutants.txt"))?;
    Ok(mutants
        .into_iter()
        .enumerate()
        .map(|(index, mutant)| {
            let asserts = format!("{}: reported as {}", mutant.description, mutant.class);
            Trial::new(format!("lso/mutant-{:02}", index + 1), asserts, move |fx| {
                let (cx, pair) = fx.pair()?;
                let report = check(cx, &pair.patched.built, index, &mutant)?;
                Ok(expect(
                    report.defects.iter().any(|c| c.class == mutant.class),
                    || format!("reported: {:?}", super::lso::class_names(&report)),
                ))
            })
        })
        .collect())
}

pub fn load(path: &Path) -> Result<Vec<Mutant>> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut mutants: Vec<Mutant> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let at = || format!("{}:{}", path.display(), number + 1);
        if let Some(header) = line.strip_prefix("## ") {
            let (class, description) = header
                .split_once(": ")
                .with_context(|| format!("{}: expected `## CLASS: description`", at()))?;
            mutants.push(Mutant {
                class: class.trim().to_owned(),
                description: description.trim().to_owned(),
                find: String::new(),
                replace: String::new(),
            });
        } else if let Some(find) = line.strip_prefix('-') {
            mutants
                .last_mut()
                .with_context(|| format!("{}: `-` line before any `##` header", at()))?
                .find = find.to_owned();
        } else if let Some(replace) = line.strip_prefix('+') {
            mutants
                .last_mut()
                .with_context(|| format!("{}: `+` line before any `##` header", at()))?
                .replace = replace.to_owned();
        }
    }
    if let Some(incomplete) = mutants
        .iter()
        .find(|m| m.find.is_empty() || m.replace.is_empty())
    {
        bail!(
            "{}: mutant `{}` needs one `-` and one `+` line",
            path.display(),
            incomplete.description
        );
    }
    Ok(mutants)
}

/// Builds the suite against a copy of `base` with the mutant applied and
/// runs the check over the window domain.
pub fn check(cx: &mut Context, base: &Built, index: usize, mutant: &Mutant) -> Result<LsoReport> {
    let name = format!("mutant-{:02}", index + 1);
    let home = cx.variant_dir(&name);
    let tree = home.join("tree");
    copy_tree(&base.dir, &tree)?;
    let emitter = tree.join(EMITTER);
    let source = fs::read_to_string(&emitter)
        .with_context(|| format!("cannot read {}", emitter.display()))?;
    match source.matches(mutant.find.as_str()).count() {
        1 => fs::write(&emitter, source.replacen(&mutant.find, &mutant.replace, 1))?,
        n => bail!(
            "mutant `{}`: its `-` text occurs {n} times in {EMITTER} of {}, not once",
            mutant.description,
            base.name
        ),
    }
    let fingerprint = crate::pipeline::cache::Key::new("mutant")
        .text("base", &base.fingerprint)
        .text("find", &mutant.find)
        .text("replace", &mutant.replace)
        .hex();
    let built = Built {
        name: name.clone(),
        dir: tree,
        fingerprint,
        rebuilt: true,
        seconds: 0.0,
    };
    lso::check(cx, &name, &built, None, Domain::Window, Engine::Auto)
}
