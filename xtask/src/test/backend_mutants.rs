//! Seeded defects in the rest of the ARM64 backend
//! (tests/backend_mutants.txt): the measure of how much the regression cases
//! and the default stress run can find. Each mutant is one text change in
//! `src/lj_asm_arm64.h` or `src/lj_emit_arm64.h` of luajit-src
//! 210.7.4+c6ffc14 with `patches/extra/all-fixes` (the fixes of the
//! defects the project found there), a tree on which every case passes and
//! the default stress run finds nothing; a case or a program failing there
//! would kill no mutant. `pipeline::mutants::judge` builds each and runs
//! the cases and the stress programs until one tells it apart; each
//! verdict is cached. It runs with `cargo xtask test --slow`.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, Result};

use super::{Held, Trial, expect};

use crate::pipeline::Context;
use crate::pipeline::mutants::handwritten::{self, Mutant};
use crate::pipeline::mutants::judge::{self, Verdict, default_plan};
use crate::pipeline::mutants::score::Score;

/// The share of mutants (equivalent ones left out) the check must kill.
const REQUIRED_SCORE: f64 = 0.9;

/// One check: the score over every mutant of the file.
pub fn checks(root: &Path) -> Result<Vec<Trial>> {
    let path = root.join("tests/backend_mutants.txt");
    let mutants = handwritten::load(&path)?;
    // Slow: a surviving mutant runs the whole default stress run, about
    // 35 minutes in all on two cores when nothing is cached.
    Ok(vec![Trial::slow(
        "mutants/backend-score",
        "the cases and the default stress run kill at least 90% of tests/backend_mutants.txt",
        move |fx| score(&mut fx.cx, &path, &mutants),
    )])
}

fn score(cx: &mut Context, path: &Path, mutants: &[Mutant]) -> Result<Held> {
    let started = Instant::now();
    let base = judge::base(cx)?;
    // Every text first: a mutant that does not apply stops the check
    // before anything is built.
    let mut edits = Vec::new();
    for mutant in mutants {
        let edit = mutant
            .edit(&base.source(&mutant.file)?, &base.label)
            .with_context(|| format!("in {}", path.display()))?;
        edits.push(edit);
    }
    let mut rows = Vec::new();
    for (index, (mutant, edit)) in mutants.iter().zip(&edits).enumerate() {
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
        let verdict = judge::cached_verdict(cx, &base, &mutant.name, edit)?;
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
    let not_counted = base.not_counted();
    if !not_counted.is_empty() {
        println!(
            "  not counted, they fail on the unmutated tree: {}",
            not_counted.join(", ")
        );
    }
    let (killed, counted, survivors) = print_rows(&rows);
    let score = Score { killed, counted };
    let summary = format!(
        "score: {killed} of {counted} mutants killed ({:.1}%), {} equivalent left out; {:.0} s",
        100.0 * score.ratio(),
        rows.len() - counted,
        started.elapsed().as_secs_f64()
    );
    println!("  {summary}");
    Ok(expect(
        counted > 0 && score.ratio() >= REQUIRED_SCORE,
        || {
            format!(
                "{summary}, below {:.0}%; survived: {}",
                100.0 * REQUIRED_SCORE,
                survivors.join(", ")
            )
        },
    ))
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
