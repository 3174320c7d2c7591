//! Per-patch attribution: the checks on the baseline, after each patch of the
//! series in turn, and on the patched variant, so that the report shows which
//! cases, defect classes and stress findings each patch closes (and, for a
//! partial series, what stays open).

use anyhow::Result;
use serde::Serialize;

use super::Context;
use super::stress::StressReport;
use super::suite::{
    self,
    outcome::{CaseResult, LsoReport, Status},
};
use super::variants::{BASELINE, PATCHED, Pair, Variant};

#[derive(Debug, Clone, Serialize)]
pub struct Attribution {
    /// The columns: baseline, after each patch, patched.
    pub steps: Vec<Step>,
    /// Per case, its outcome at each step.
    pub cases: Vec<(String, Vec<String>)>,
    /// Per defect class of the exhaustive check, its count at each step.
    pub lso: Vec<(String, Vec<u64>)>,
    /// Per baseline stress finding, whether it still differs at each step.
    pub stress: Vec<(String, Vec<bool>)>,
    /// Per patch, what fails before it and not after it.
    pub closes: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub variant: String,
    /// The patch this step adds to the one before, with the issues it names.
    pub adds: Option<(String, Vec<String>)>,
}

/// Runs the cases and the exhaustive check on every intermediate step; the
/// baseline's and the patched variant's results are passed in.
#[allow(clippy::too_many_arguments)]
pub fn attribute(
    cx: &mut Context,
    pair: &Pair,
    steps: &[(String, Variant)],
    cases: (&[CaseResult], &[CaseResult]),
    lso: (&LsoReport, &LsoReport),
    stress: &StressReport,
) -> Result<Attribution> {
    let cases_dir = cx.cases_dir();
    let mut case_runs: Vec<Vec<CaseResult>> = vec![cases.0.to_vec()];
    let mut lso_runs: Vec<LsoReport> = vec![lso.0.clone()];
    for (name, variant) in steps {
        case_runs.push(suite::run_cases(cx, name, &variant.suite, &cases_dir)?);
        lso_runs.push(super::lso::check_variant(cx, name, variant)?);
    }
    case_runs.push(cases.1.to_vec());
    lso_runs.push(lso.1.clone());

    let mut columns = vec![Step {
        variant: BASELINE.to_owned(),
        adds: None,
    }];
    for (index, (name, _)) in steps.iter().enumerate() {
        columns.push(Step {
            variant: name.clone(),
            adds: Some(patch_of(pair, index)),
        });
    }
    columns.push(Step {
        variant: PATCHED.to_owned(),
        adds: Some(patch_of(pair, pair.series.patches.len() - 1)),
    });

    let case_rows: Vec<(String, Vec<String>)> = cases
        .0
        .iter()
        .map(|case| {
            let cells = case_runs
                .iter()
                .map(|run| {
                    run.iter()
                        .find(|r| r.name == case.name)
                        .map_or("-".to_owned(), |r| short(r.outcome.status))
                })
                .collect();
            (case.name.clone(), cells)
        })
        .collect();

    let mut classes: Vec<String> = Vec::new();
    for run in &lso_runs {
        for class in &run.defects {
            if !classes.contains(&class.class) {
                classes.push(class.class.clone());
            }
        }
    }
    let lso_rows: Vec<(String, Vec<u64>)> = classes
        .iter()
        .map(|class| {
            let counts = lso_runs
                .iter()
                .map(|run| {
                    run.defects
                        .iter()
                        .find(|c| &c.class == class)
                        .map_or(0, |c| c.count)
                })
                .collect();
            (class.clone(), counts)
        })
        .collect();

    let stress_rows: Vec<(String, Vec<bool>)> = stress
        .findings
        .iter()
        .filter_map(|finding| {
            let attribution = finding.attribution.as_ref()?;
            let differs = attribution
                .steps
                .iter()
                .map(|step| step.difference.is_some())
                .collect();
            Some((
                format!(
                    "stress program {:#x} ({})",
                    finding.program_seed, finding.kind
                ),
                differs,
            ))
        })
        .collect();

    // A patch closes what fails (or is non-zero) before it and not after it.
    let mut closes = Vec::new();
    for index in 1..columns.len() {
        let (patch, _) = columns[index]
            .adds
            .clone()
            .expect("every step after the baseline adds a patch");
        let mut closed = Vec::new();
        for (name, cells) in &case_rows {
            if cells[index - 1] != "pass" && cells[index] == "pass" {
                closed.push(format!("case {name}"));
            }
        }
        for (class, counts) in &lso_rows {
            if counts[index - 1] > 0 && counts[index] == 0 {
                closed.push(format!("emit_lso class {class}"));
            }
        }
        let fixed = stress_rows
            .iter()
            .filter(|(_, differs)| {
                differs.get(index - 1) == Some(&true) && differs.get(index) == Some(&false)
            })
            .count();
        if fixed > 0 {
            closed.push(format!("{fixed} stress findings"));
        }
        closes.push((patch, closed));
    }
    Ok(Attribution {
        steps: columns,
        cases: case_rows,
        lso: lso_rows,
        stress: stress_rows,
        closes,
    })
}

fn patch_of(pair: &Pair, index: usize) -> (String, Vec<String>) {
    let patch = &pair.series.patches[index];
    (patch.name.clone(), patch.fixes.clone())
}

fn short(status: Status) -> String {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Crash => "crash",
        Status::Timeout => "timeout",
    }
    .to_owned()
}
