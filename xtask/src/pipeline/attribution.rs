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
use super::variants::{self, BASELINE, PATCHED, Pair};
use super::verdict::TreeChecks;

#[derive(Debug, Clone, Serialize)]
pub struct Attribution {
    /// The columns: baseline, after each patch, patched.
    pub steps: Vec<Step>,
    /// Per case, its outcome at each step.
    pub cases: Vec<CaseSteps>,
    /// Per defect class of the exhaustive check, its count at each step.
    pub lso: Vec<ClassSteps>,
    /// Per baseline stress finding, whether it still differs at each step.
    pub stress: Vec<FindingSteps>,
    /// Per patch, what fails before it and not after it.
    pub closes: Vec<Closes>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub variant: String,
    /// The patch this step adds to the one before, with the issues it names.
    pub adds: Option<Added>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Added {
    pub patch: String,
    pub fixes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseSteps {
    pub case: String,
    /// pass, fail, crash or timeout, one per step.
    pub outcomes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassSteps {
    pub class: String,
    pub counts: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingSteps {
    pub finding: String,
    pub differs: Vec<bool>,
}

/// What one patch closes: what fails (or counts) before it and not after it.
#[derive(Debug, Clone, Serialize)]
pub struct Closes {
    pub patch: String,
    pub cases: Vec<String>,
    /// Defect classes of the exhaustive check, with their count before the patch.
    pub lso_classes: Vec<ClassClosed>,
    /// Baseline stress findings that differ before the patch and agree after it.
    pub stress_findings: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassClosed {
    pub class: String,
    pub inputs: u64,
}

impl Closes {
    /// One phrase per thing closed, e.g. `case lj1056_misaligned_pairs`.
    pub fn phrases(&self) -> Vec<String> {
        let mut out: Vec<String> = self.cases.iter().map(|c| format!("case {c}")).collect();
        out.extend(
            self.lso_classes
                .iter()
                .map(|c| format!("emit_lso class {} ({} inputs)", c.class, c.inputs)),
        );
        if self.stress_findings > 0 {
            out.push(format!("{} stress findings", self.stress_findings));
        }
        out
    }
}

/// Runs the cases and the exhaustive check on every intermediate step; the
/// baseline's and the patched variant's results are passed in.
pub fn attribute(
    cx: &mut Context,
    pair: &Pair,
    steps: &[variants::Step],
    baseline: TreeChecks,
    patched: TreeChecks,
) -> Result<Attribution> {
    let cases_dir = cx.cases_dir();
    let mut case_runs: Vec<Vec<CaseResult>> = vec![baseline.cases.to_vec()];
    let mut lso_runs: Vec<LsoReport> = vec![baseline.lso.clone()];
    for variants::Step { name, variant } in steps {
        case_runs.push(suite::run_cases(cx, name, &variant.suite, &cases_dir)?);
        lso_runs.push(super::lso::check_variant(cx, name, variant)?);
    }
    case_runs.push(patched.cases.to_vec());
    lso_runs.push(patched.lso.clone());

    let columns = columns(pair, steps);
    let case_rows = case_rows(baseline.cases, &case_runs);
    let lso_rows = lso_rows(&lso_runs);
    let stress_rows = stress_rows(baseline.stress);
    let closes = closes(&columns, &case_rows, &lso_rows, &stress_rows);
    Ok(Attribution {
        steps: columns,
        cases: case_rows,
        lso: lso_rows,
        stress: stress_rows,
        closes,
    })
}

/// The columns: the baseline, each step, the patched variant.
fn columns(pair: &Pair, steps: &[variants::Step]) -> Vec<Step> {
    let mut columns = vec![Step {
        variant: BASELINE.to_owned(),
        adds: None,
    }];
    for (index, variants::Step { name, .. }) in steps.iter().enumerate() {
        columns.push(Step {
            variant: name.clone(),
            adds: Some(patch_of(pair, index)),
        });
    }
    columns.push(Step {
        variant: PATCHED.to_owned(),
        adds: Some(patch_of(pair, pair.series.patches.len() - 1)),
    });
    columns
}

/// Per case of the baseline, its outcome in each run.
fn case_rows(cases: &[CaseResult], runs: &[Vec<CaseResult>]) -> Vec<CaseSteps> {
    cases
        .iter()
        .map(|case| {
            let cells = runs
                .iter()
                .map(|run| {
                    run.iter()
                        .find(|r| r.name == case.name)
                        .map_or("-".to_owned(), |r| short(r.outcome.status))
                })
                .collect();
            CaseSteps {
                case: case.name.clone(),
                outcomes: cells,
            }
        })
        .collect()
}

/// Per defect class found in any run, its count in each run.
fn lso_rows(runs: &[LsoReport]) -> Vec<ClassSteps> {
    let mut classes: Vec<String> = Vec::new();
    for run in runs {
        for class in &run.defects {
            if !classes.contains(&class.class) {
                classes.push(class.class.clone());
            }
        }
    }
    classes
        .iter()
        .map(|class| {
            let counts = runs
                .iter()
                .map(|run| {
                    run.defects
                        .iter()
                        .find(|c| &c.class == class)
                        .map_or(0, |c| c.count)
                })
                .collect();
            ClassSteps {
                class: class.clone(),
                counts,
            }
        })
        .collect()
}

/// Per attributed baseline stress finding, whether it differs at each step.
fn stress_rows(stress: &StressReport) -> Vec<FindingSteps> {
    stress
        .findings
        .iter()
        .filter_map(|finding| {
            let attribution = finding.attribution.as_ref()?;
            let differs = attribution
                .steps
                .iter()
                .map(|step| step.difference.is_some())
                .collect();
            Some(FindingSteps {
                finding: format!(
                    "stress program {} ({})",
                    super::stress::seed_text(finding.program_seed),
                    finding.kind
                ),
                differs,
            })
        })
        .collect()
}

/// A patch closes what fails (or is non-zero) before it and not after it.
fn closes(
    columns: &[Step],
    case_rows: &[CaseSteps],
    lso_rows: &[ClassSteps],
    stress_rows: &[FindingSteps],
) -> Vec<Closes> {
    let mut closes = Vec::new();
    for (index, column) in columns.iter().enumerate().skip(1) {
        let patch = column
            .adds
            .as_ref()
            .expect("every step after the baseline adds a patch")
            .patch
            .clone();
        let cases = case_rows
            .iter()
            .filter(|row| row.outcomes[index - 1] != "pass" && row.outcomes[index] == "pass")
            .map(|row| row.case.clone())
            .collect();
        let lso_classes = lso_rows
            .iter()
            .filter(|row| row.counts[index - 1] > 0 && row.counts[index] == 0)
            .map(|row| ClassClosed {
                class: row.class.clone(),
                inputs: row.counts[index - 1],
            })
            .collect();
        let stress_findings = stress_rows
            .iter()
            .filter(|row| {
                row.differs.get(index - 1) == Some(&true) && row.differs.get(index) == Some(&false)
            })
            .count();
        closes.push(Closes {
            patch,
            cases,
            lso_classes,
            stress_findings,
        });
    }
    closes
}

fn patch_of(pair: &Pair, index: usize) -> Added {
    let patch = &pair.series.patches[index];
    Added {
        patch: patch.name.clone(),
        fixes: patch.fixes.clone(),
    }
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
