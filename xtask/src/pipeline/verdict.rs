//! The verdicts every command ends in, written once: what a command found
//! (for the exit status), whether a tree's checks are clean, and what each
//! upstream issue's evidence says.

use serde::{Deserialize, Serialize};

use super::expect::fails_as_pinned;
use super::label::Label;
use super::stress::StressReport;
use super::suite::outcome::{CaseResult, LsoReport, Status};

/// What a command found, for the exit status.
pub enum Conclusion {
    /// Exit 0: everything held.
    Sound,
    /// Exit 1: the command ran and found defects (or the verdict did not hold).
    Defects,
}

/// The checks one tree got: its regression cases, the exhaustive emit_lso
/// check and a stress run.
#[derive(Clone, Copy)]
pub struct TreeChecks<'a> {
    pub cases: &'a [CaseResult],
    pub lso: &'a LsoReport,
    pub stress: &'a StressReport,
}

impl<'a> TreeChecks<'a> {
    /// The cases that do not pass, in suite order.
    pub fn failing(&self) -> Vec<&'a CaseResult> {
        self.cases
            .iter()
            .filter(|c| c.outcome.status != Status::Pass)
            .collect()
    }

    /// The cases pass, `emit_lso` has no defect, stress finds no difference.
    pub fn clean(&self) -> bool {
        self.failing().is_empty() && self.lso.defects.is_empty() && self.stress.findings.is_empty()
    }

    /// What is not clean, one phrase per check.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let failing: Vec<&str> = self.failing().iter().map(|c| c.name.as_str()).collect();
        if !failing.is_empty() {
            problems.push(format!("regression cases fail ({})", failing.join(", ")));
        }
        if !self.lso.defects.is_empty() {
            let classes: Vec<String> = self
                .lso
                .defects
                .iter()
                .map(|c| format!("{}: {} inputs", c.class, c.count))
                .collect();
            problems.push(format!(
                "emit_lso is wrong for some inputs ({})",
                classes.join(", ")
            ));
        }
        if !self.stress.findings.is_empty() {
            problems.push(format!(
                "its JIT disagrees with its interpreter on {} stress programs",
                self.stress.findings.len()
            ));
        }
        problems
    }
}

/// What the evidence says about one upstream issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Affected,
    NotAffected,
    CouldNotTell,
}

impl Label for Answer {
    const ALL: &'static [Answer] = &[Answer::Affected, Answer::NotAffected, Answer::CouldNotTell];

    fn label(self) -> &'static str {
        match self {
            Answer::Affected => "affected",
            Answer::NotAffected => "not affected",
            Answer::CouldNotTell => "could not tell",
        }
    }
}

/// Why an issue got its answer, in the order the judge asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ground {
    /// A case pinning it failed the way its header names, or other evidence
    /// (an emit_lso class, an attributed stress finding) shows it.
    Shown,
    /// No regression case pins it.
    NoCase,
    /// A case pinning it failed, but not the way its header names.
    OtherFailure,
    /// Its cases pass, but the JIT is off, so no machine code was emitted.
    JitOff,
    /// Every case pinning it passes.
    CasesPass,
}

/// One issue judged: the answer, why, and the cases pinning the issue.
pub struct Judged<'a> {
    pub answer: Answer,
    pub ground: Ground,
    pub pinning: Vec<&'a CaseResult>,
}

/// The cases pinning `issue`, in suite order.
pub fn pinning<'a>(issue: &str, cases: &'a [CaseResult]) -> Vec<&'a CaseResult> {
    cases
        .iter()
        .filter(|c| c.pins.iter().any(|p| p == issue))
        .collect()
}

/// The one judge of an issue: *affected* when a case pinning it fails the
/// way its header names (its `fails-with` text, or any failure when it
/// names none) or `shown_otherwise` (evidence beside the cases); *could not
/// tell* when no case pins it, a case fails some other way, or the JIT is
/// off; otherwise *not affected*.
pub fn judge<'a>(
    issue: &str,
    cases: &'a [CaseResult],
    shown_otherwise: bool,
    jit_on: bool,
) -> Judged<'a> {
    let pinning = pinning(issue, cases);
    let (answer, ground) = if shown_otherwise || pinning.iter().any(|c| fails_as_pinned(c)) {
        (Answer::Affected, Ground::Shown)
    } else if pinning.is_empty() {
        (Answer::CouldNotTell, Ground::NoCase)
    } else if pinning.iter().any(|c| c.outcome.status != Status::Pass) {
        (Answer::CouldNotTell, Ground::OtherFailure)
    } else if !jit_on {
        (Answer::CouldNotTell, Ground::JitOff)
    } else {
        (Answer::NotAffected, Ground::CasesPass)
    };
    Judged {
        answer,
        ground,
        pinning,
    }
}

/// Differences between the JIT and the interpreter that no issue explains
/// (`unexplained`, and no issue is affected) might be any issue's: every
/// *not affected* becomes *could not tell*, and `doubted` is told of each.
pub fn doubt_unexplained<T>(
    items: &mut [T],
    unexplained: bool,
    answer: impl Fn(&mut T) -> &mut Answer,
    mut doubted: impl FnMut(&mut T),
) {
    let any_affected = items.iter_mut().any(|i| *answer(i) == Answer::Affected);
    if !unexplained || any_affected {
        return;
    }
    for item in items {
        if *answer(item) == Answer::NotAffected {
            *answer(item) = Answer::CouldNotTell;
            doubted(item);
        }
    }
}
