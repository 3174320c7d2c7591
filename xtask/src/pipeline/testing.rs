//! Builders for the unit tests: a plain outcome, case, finding and
//! exhaustive-check report, which each test adjusts with struct update.

use std::path::PathBuf;

use super::stress::{Finding, Kind};
use super::suite::outcome::{CaseResult, LsoClass, LsoReport, Outcome, Status};

/// An outcome with `status` and `error`: exit code 1, no signal, no output.
pub fn outcome(status: Status, error: Option<&str>) -> Outcome {
    Outcome {
        status,
        exit_code: Some(1),
        signal: None,
        error: error.map(str::to_owned),
        output: String::new(),
        millis: 1,
        limit_millis: None,
        value: None,
        traces: None,
        ir_ops: Default::default(),
    }
}

/// A regression case pinning `pins` that ended with `status` and `error`.
pub fn case(
    name: &str,
    pins: &[&str],
    fails_with: Option<&str>,
    status: Status,
    error: Option<&str>,
) -> CaseResult {
    CaseResult {
        name: name.to_owned(),
        pins: pins.iter().map(|p| p.to_string()).collect(),
        fails_with: fails_with.map(str::to_owned),
        outcome: outcome(status, error),
    }
}

/// A stress finding, neither shrunk nor attributed.
pub fn finding(index: usize) -> Finding {
    Finding {
        index,
        program_seed: index as u64 * 7,
        kind: Kind::Crash,
        difference: format!("differs {index}"),
        jit_settings: Vec::new(),
        dir: PathBuf::from("findings"),
        took_millis: 5,
        shrunk: None,
        attribution: None,
    }
}

/// An exhaustive-check report with `defects` and nothing else to say.
pub fn lso_report(defects: Vec<LsoClass>) -> LsoReport {
    LsoReport {
        cases: 10,
        fused: 5,
        defects,
        hazards: Vec::new(),
        missed_fusions: LsoClass {
            class: "missed fusion".to_owned(),
            upstream: None,
            count: 0,
            examples: Vec::new(),
        },
        never_given: Default::default(),
        millis: 1,
    }
}
