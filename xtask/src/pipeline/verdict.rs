//! The verdicts every command ends in, written once: what a command found
//! (for the exit status), whether a tree's checks are clean, and what each
//! upstream issue's evidence says.

use serde::{Deserialize, Serialize};

use super::expect::fails_as_pinned;
use super::label::Label;
use super::stress::{Finding, StressReport};
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
        problems.extend(lso_problem(self.lso));
        if !self.stress.findings.is_empty() {
            problems.push(format!(
                "its JIT disagrees with its interpreter on {} stress programs",
                self.stress.findings.len()
            ));
        }
        problems
    }
}

/// A series' two trees side by side: what the series fixes, what it leaves
/// as it was (known defects outside it, differences present on both trees)
/// and what it introduces. Only what it is answerable for fails it.
#[derive(Clone, Copy)]
pub struct SeriesChecks<'a> {
    pub baseline: TreeChecks<'a>,
    pub patched: TreeChecks<'a>,
    /// The upstream issues the series fixes.
    pub fixes: &'a [String],
}

impl<'a> SeriesChecks<'a> {
    fn baseline_case(&self, name: &str) -> Option<&'a CaseResult> {
        self.baseline.cases.iter().find(|c| c.name == name)
    }

    fn pins_a_fix(&self, case: &CaseResult) -> bool {
        case.pins.iter().any(|p| self.fixes.contains(p))
    }

    /// Cases failing on the patched tree that count against the series:
    /// those pinning an issue it fixes, and those that pass on the baseline.
    pub fn failing_cases(&self) -> Vec<&'a CaseResult> {
        self.patched
            .failing()
            .into_iter()
            .filter(|c| {
                self.pins_a_fix(c)
                    || self
                        .baseline_case(&c.name)
                        .is_none_or(|b| b.outcome.status == Status::Pass)
            })
            .collect()
    }

    /// Cases failing on both trees that pin only issues outside the series:
    /// known defects it leaves as they were.
    pub fn preexisting_cases(&self) -> Vec<&'a CaseResult> {
        self.patched
            .failing()
            .into_iter()
            .filter(|c| !self.failing_cases().iter().any(|f| f.name == c.name))
            .collect()
    }

    /// Whether the baseline's run of the same program differs too.
    fn on_baseline(&self, finding: &Finding) -> bool {
        self.baseline
            .stress
            .findings
            .iter()
            .any(|b| b.program_seed == finding.program_seed)
    }

    /// Programs that differ on the patched tree only: what the series introduces.
    pub fn introduced_findings(&self) -> Vec<&'a Finding> {
        let findings = &self.patched.stress.findings;
        findings.iter().filter(|f| !self.on_baseline(f)).collect()
    }

    /// Programs that differ on both trees: defects the series does not address.
    pub fn preexisting_findings(&self) -> Vec<&'a Finding> {
        let findings = &self.patched.stress.findings;
        findings.iter().filter(|f| self.on_baseline(f)).collect()
    }

    /// Nothing the series is answerable for fails on the patched tree.
    pub fn clean(&self) -> bool {
        self.failing_cases().is_empty()
            && self.patched.lso.defects.is_empty()
            && self.introduced_findings().is_empty()
    }

    /// What fails the series, one phrase per check.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let failing: Vec<&str> = self
            .failing_cases()
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        if !failing.is_empty() {
            problems.push(format!("regression cases fail ({})", failing.join(", ")));
        }
        problems.extend(lso_problem(self.patched.lso));
        let introduced = self.introduced_findings();
        if !introduced.is_empty() {
            problems.push(format!(
                "its JIT disagrees with its interpreter on {} stress programs on which the baseline's agrees (introduced by the series)",
                introduced.len()
            ));
        }
        problems
    }

    /// What the series leaves as it was, one phrase each, for the report.
    pub fn left_as_they_were(&self) -> Vec<String> {
        let mut left = Vec::new();
        let cases: Vec<String> = self
            .preexisting_cases()
            .iter()
            .map(|c| format!("{} ({})", c.name, c.pins.join(", ")))
            .collect();
        if !cases.is_empty() {
            left.push(format!(
                "the cases of known defects outside the series fail on both trees: {}",
                cases.join(", ")
            ));
        }
        let findings = self.preexisting_findings();
        if !findings.is_empty() {
            left.push(format!(
                "{} stress programs differ between JIT and interpreter on both trees (pre-existing, not addressed by this series; a shrunk reproducer per bucket in the report)",
                findings.len()
            ));
        }
        left
    }
}

fn lso_problem(lso: &LsoReport) -> Option<String> {
    if lso.defects.is_empty() {
        return None;
    }
    let classes: Vec<String> = lso
        .defects
        .iter()
        .map(|c| format!("{}: {} inputs", c.class, c.count))
        .collect();
    Some(format!(
        "emit_lso is wrong for some inputs ({})",
        classes.join(", ")
    ))
}

/// Where an issue comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    #[default]
    /// A `Fixes:` trailer of the series names it.
    Series,
    /// A case pins it and no patch of the series fixes it.
    OtherKnown,
}

/// Every issue to judge: the series' own first, in its order, then the
/// other issues the cases pin, sorted.
pub fn catalogue(series_fixes: &[String], cases: &[CaseResult]) -> Vec<(String, Group)> {
    let mut others: Vec<String> = cases
        .iter()
        .flat_map(|c| c.pins.iter())
        .filter(|pin| !series_fixes.contains(pin))
        .cloned()
        .collect();
    others.sort_by_key(|pin| issue_number(pin));
    others.dedup();
    series_fixes
        .iter()
        .map(|i| (i.clone(), Group::Series))
        .chain(others.into_iter().map(|i| (i, Group::OtherKnown)))
        .collect()
}

/// `LuaJIT#1480` as 1480, for ordering; other names last.
fn issue_number(issue: &str) -> (u64, String) {
    let number = issue.rsplit('#').next().and_then(|n| n.parse().ok());
    (number.unwrap_or(u64::MAX), issue.to_owned())
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
