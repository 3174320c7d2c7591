//! `rediscovery/table`: docs/rediscovery.md's table is the one the
//! committed run renders, the run has a row for every catalogued defect
//! with an upstream fix, and every defect it missed has a case saying what
//! kind of program it would take (`stress-finds: no, REASON`), while no
//! case says so of a defect it found.

use std::path::Path;

use anyhow::{Context as _, Result};
use contract::case::Case;

use super::{Trial, golden};
use crate::pipeline::rediscovery::{self, Rediscovery, render};
use crate::pipeline::{catalogue, with_block};

pub fn checks(root: &Path) -> Vec<Trial> {
    let root = root.to_owned();
    vec![Trial::new(
        "rediscovery/table",
        format!(
            "{} has a row for every catalogued defect with an upstream fix, every miss has a case saying what it would take and no find has one, and the table in {} is rendered from it",
            rediscovery::DATA,
            rediscovery::DOC
        ),
        move |_| {
            let cases = Case::load_dir(&root.join("tests/cases")).map_err(anyhow::Error::msg)?;
            let data = root.join(rediscovery::DATA);
            let run: Rediscovery = serde_json::from_str(
                &std::fs::read_to_string(&data)
                    .with_context(|| format!("cannot read {}", data.display()))?,
            )
            .with_context(|| format!("{} is not a rediscovery run", data.display()))?;
            if let Some(problem) = coverage_problem(&root, &cases, &run)? {
                return Ok(Err(problem));
            }
            let doc = root.join(rediscovery::DOC);
            let text = std::fs::read_to_string(&doc)
                .with_context(|| format!("cannot read {}", doc.display()))?;
            let table = render::table(&run, &rediscovery::needs(&cases));
            let rendered = with_block(&text, rediscovery::DOC_BLOCK, &table)
                .with_context(|| format!("{}: where the table goes", doc.display()))?;
            golden::compare(&doc, &rendered)
        },
    )]
}

/// What is wrong with the run's rows against today's catalogue, if anything.
fn coverage_problem(root: &Path, cases: &[Case], run: &Rediscovery) -> Result<Option<String>> {
    let subjects = rediscovery::subjects(&catalogue::defects(root, cases)?);
    let mut problems = Vec::new();
    for subject in &subjects {
        if !run.outcomes().any(|o| o.subject.issue == subject.issue) {
            problems.push(format!(
                "{} has an upstream fix and no row; run `cargo xtask rediscover --luajit-git DIR --write-docs`",
                subject.issue
            ));
        }
    }
    let (unexplained, stale) = render::unexplained_and_stale(run, &rediscovery::needs(cases));
    for issue in unexplained {
        problems.push(format!(
            "{issue} was missed, and none of its cases says what kind of program it would take (`-- stress-finds: no, REASON`)"
        ));
    }
    for issue in stale {
        problems.push(format!(
            "{issue} was found, yet a case of it says `stress-finds: no`"
        ));
    }
    Ok((!problems.is_empty()).then(|| problems.join("\n")))
}
