//! What one Lua run ended in, as the suite reports it to the xtask.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Ran to completion (or `os.exit(0)`).
    Pass,
    /// Raised an uncaught error or exited with a non-zero status.
    Fail,
    /// Killed by a signal (SIGSEGV, SIGILL, ...).
    Crash,
    /// Still running when the time limit ran out; killed.
    Timeout,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub status: Status,
    /// The process exit status, when it exited.
    pub exit_code: Option<i32>,
    /// The signal that ended the process, when one did.
    pub signal: Option<i32>,
    /// The uncaught Lua error, when there was one.
    pub error: Option<String>,
    /// Everything the script wrote to stdout and stderr.
    pub output: String,
    pub millis: u64,
    /// The time limit the run had, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_millis: Option<u64>,
    /// What the chunk returned, rendered with `tostring` and joined by tabs
    /// (stress programs return their checksums).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Traces alive in the JIT when the chunk finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traces: Option<u64>,
    /// Per IR opcode (LuaJIT's name), how many of those traces hold it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ir_ops: BTreeMap<String, u64>,
}

impl Outcome {
    /// One line for tables: the status and, for failures, why.
    pub fn summary(&self) -> String {
        match self.status {
            Status::Pass => "pass".to_owned(),
            Status::Fail => match (&self.error, self.exit_code) {
                (Some(error), _) => format!("fail: {error}"),
                (None, Some(code)) => format!("fail: exit status {code}"),
                (None, None) => "fail".to_owned(),
            },
            Status::Crash => format!("crash: {}", signal_name(self.signal.unwrap_or(0))),
            Status::Timeout => match self.limit_millis {
                Some(limit) => format!(
                    "hang: still running when its limit of {} ran out",
                    duration_text(limit)
                ),
                None => format!(
                    "hang: still running after {}, killed",
                    duration_text(self.millis)
                ),
            },
        }
    }
}

/// One stress program run with the JIT on and with it off, in one build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub name: String,
    pub jit: Outcome,
    pub interpreter: Outcome,
}

impl Comparison {
    /// Why the JIT run differs from the interpreter run, if it does.
    pub fn difference(&self) -> Option<String> {
        let (jit, interp) = (&self.jit, &self.interpreter);
        if interp.status != Status::Pass {
            return Some(format!(
                "the program itself fails without the JIT: {}",
                interp.summary()
            ));
        }
        if jit.status == Status::Timeout {
            // The JIT's limit followed from the interpreter's time: both say why it is a hang.
            return Some(format!(
                "with the JIT: {} (the interpreter took {})",
                jit.summary(),
                duration_text(interp.millis)
            ));
        }
        if jit.status != Status::Pass {
            return Some(format!("with the JIT: {}", jit.summary()));
        }
        if jit.value != interp.value {
            return Some(format!(
                "with the JIT it returns {}, without it {}",
                jit.value.as_deref().unwrap_or("nothing"),
                interp.value.as_deref().unwrap_or("nothing")
            ));
        }
        None
    }
}

/// A regression case and how it ended on one build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub name: String,
    /// Upstream issues the case pins, e.g. `LuaJIT#1075`.
    pub pins: Vec<String>,
    /// Text the error must contain on a tree that carries the pinned defect.
    pub fails_with: Option<String>,
    pub outcome: Outcome,
}

/// Milliseconds as seconds, always in one shape (`0.85 s`, `12.00 s`): a
/// finding's signature takes the numbers out, and hangs that took or had
/// times of other magnitudes must still share it.
fn duration_text(millis: u64) -> String {
    format!("{:.2} s", millis as f64 / 1000.0)
}

pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        _ => return format!("signal {signal}"),
    };
    name.to_owned()
}

/// The exhaustive check's report, defined with the checker.
pub use lso_check::{LsoClass, LsoReport};

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: Status, millis: u64, limit_millis: Option<u64>) -> Outcome {
        Outcome {
            status,
            exit_code: None,
            signal: None,
            error: None,
            output: String::new(),
            millis,
            limit_millis,
            value: Some("1".to_owned()),
            traces: None,
            ir_ops: BTreeMap::new(),
        }
    }

    #[test]
    fn a_jit_timeout_reads_as_a_hang_with_its_limit_and_the_interpreters_time() {
        let comparison = Comparison {
            name: "p00001".to_owned(),
            jit: outcome(Status::Timeout, 2417, Some(2400)),
            interpreter: outcome(Status::Pass, 120, Some(60000)),
        };
        assert_eq!(
            comparison.difference().as_deref(),
            Some(
                "with the JIT: hang: still running when its limit of 2.40 s ran out (the interpreter took 0.12 s)"
            )
        );
    }

    #[test]
    fn a_timeout_without_a_known_limit_still_reads_as_a_hang() {
        assert_eq!(
            outcome(Status::Timeout, 20105, None).summary(),
            "hang: still running after 20.11 s, killed"
        );
    }
}
