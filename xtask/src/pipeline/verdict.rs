//! The verdicts every command ends in, written once: what a command found
//! (for the exit status), whether a tree's checks are clean, and what each
//! upstream issue's evidence says.

use serde::{Deserialize, Serialize};

use super::expect::fails_as_pinned;
use super::label::Label;
use super::lso::{self, ClassChange};
use super::stress::{Finding, StressReport};
use super::suite::outcome::{CaseResult, LsoClass, LsoReport, Status};

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

    /// The emit_lso defect classes of either tree with what the series
    /// did to each, and whether it names the class's issue as one it fixes.
    fn lso_classes(&self) -> Vec<(&'a LsoClass, ClassChange, bool)> {
        lso::class_changes(self.baseline.lso, self.patched.lso)
            .into_iter()
            .map(|(class, change)| {
                let fixes = class
                    .upstream
                    .as_ref()
                    .is_some_and(|u| self.fixes.contains(u));
                (class, change, fixes)
            })
            .collect()
    }

    /// The patched tree's emit_lso classes that count against the series:
    /// those it adds or changes, and those of an issue it fixes.
    pub fn failing_lso_classes(&self) -> Vec<&'a LsoClass> {
        self.lso_classes()
            .into_iter()
            .filter(|(_, change, fixes)| match change {
                ClassChange::Introduced => true,
                ClassChange::PreExisting => *fixes,
                ClassChange::Fixed => false,
            })
            .map(|(class, _, _)| class)
            .collect()
    }

    /// The patched tree's emit_lso classes with the same inputs on the
    /// baseline, of issues outside the series: known defects it leaves.
    pub fn preexisting_lso_classes(&self) -> Vec<&'a LsoClass> {
        self.lso_classes()
            .into_iter()
            .filter(|(_, change, fixes)| *change == ClassChange::PreExisting && !fixes)
            .map(|(class, _, _)| class)
            .collect()
    }

    /// The baseline's emit_lso classes the patched tree no longer has.
    pub fn fixed_lso_classes(&self) -> Vec<&'a LsoClass> {
        self.lso_classes()
            .into_iter()
            .filter(|(_, change, _)| *change == ClassChange::Fixed)
            .map(|(class, _, _)| class)
            .collect()
    }

    /// Nothing the series is answerable for fails on the patched tree.
    pub fn clean(&self) -> bool {
        self.failing_cases().is_empty()
            && self.failing_lso_classes().is_empty()
            && self.introduced_findings().is_empty()
    }

    /// What the exhaustive check says of the series, as a clause of the
    /// verdict: no defect the series answers for, then the classes it fixes
    /// and, with `preexisting` (where `left_as_they_were` is not told),
    /// those it leaves as they were.
    pub fn lso_clause(&self, preexisting: bool) -> String {
        let inputs = self.patched.lso.cases;
        let mut clause = if self.patched.lso.defects.is_empty() {
            format!("its emit_lso has no defect over all {inputs} inputs of the exhaustive check")
        } else {
            format!(
                "its emit_lso has no defect over {inputs} inputs of the exhaustive check that the baseline's does not have for the same inputs"
            )
        };
        let named = |classes: Vec<&LsoClass>| -> String {
            let phrases: Vec<String> = classes
                .iter()
                .map(|c| lso::class_phrase(c, self.baseline.lso))
                .collect();
            phrases.join("; ")
        };
        let fixed = named(self.fixed_lso_classes());
        if !fixed.is_empty() {
            clause.push_str(&format!(" (fixed, on the baseline only: {fixed})"));
        }
        let preexisting = if preexisting {
            named(self.preexisting_lso_classes())
        } else {
            String::new()
        };
        if !preexisting.is_empty() {
            clause.push_str(&format!(
                " (pre-existing, the same inputs on both trees: {preexisting})"
            ));
        }
        clause
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
        let classes: Vec<String> = self
            .failing_lso_classes()
            .iter()
            .map(|c| {
                let fixes = c.upstream.as_ref().filter(|u| self.fixes.contains(*u));
                let fixes = fixes.map_or(String::new(), |u| {
                    format!(", {u} being one the series fixes")
                });
                format!("{}{fixes}", lso::class_phrase(c, self.baseline.lso))
            })
            .collect();
        if !classes.is_empty() {
            problems.push(format!(
                "emit_lso is wrong for some inputs, in classes the series adds or changes or whose issue it fixes ({})",
                classes.join("; ")
            ));
        }
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
        let classes: Vec<String> = self
            .preexisting_lso_classes()
            .iter()
            .map(|c| lso::class_phrase(c, self.baseline.lso))
            .collect();
        if !classes.is_empty() {
            left.push(format!(
                "emit_lso is wrong for the same inputs on both trees (pre-existing, not addressed by this series): {}",
                classes.join("; ")
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::pipeline::stress::Plan;
    use crate::pipeline::testing::lso_report;

    fn quiet() -> StressReport {
        StressReport {
            variant: "tree".to_owned(),
            programs_dir: PathBuf::from("programs"),
            plan: Plan::whole(1, 10),
            programs: 10,
            traces: 100,
            reach: Vec::new(),
            unreached: Vec::new(),
            findings: Vec::new(),
            run_seconds: 1.0,
            first_finding_seconds: None,
            seconds: 1.0,
        }
    }

    fn class(name: &str, issue: &str, count: u64) -> LsoClass {
        LsoClass {
            class: name.to_owned(),
            upstream: Some(issue.to_owned()),
            count,
            examples: vec![format!("{name} example")],
        }
    }

    /// The series fixing `fixes` judged on two trees' emit_lso checks.
    fn judged(baseline: &LsoReport, patched: &LsoReport, fixes: &[&str]) -> (bool, Vec<String>) {
        let stress = quiet();
        let fixes: Vec<String> = fixes.iter().map(|f| f.to_string()).collect();
        let tree = |lso| TreeChecks {
            cases: &[],
            lso,
            stress: &stress,
        };
        let series = SeriesChecks {
            baseline: tree(baseline),
            patched: tree(patched),
            fixes: &fixes,
        };
        let mut said = series.problems();
        said.extend(series.left_as_they_were());
        said.push(series.lso_clause(true));
        (series.clean(), said)
    }

    #[test]
    fn emit_lso_classes_outside_the_series_left_as_they_were_do_not_fail_it() {
        let both = lso_report(vec![
            class("misaligned pair", "LuaJIT#1056", 24730),
            class("offset alias", "LuaJIT#1075", 810),
        ]);
        let (clean, said) = judged(&both, &both.clone(), &["LuaJIT#1076"]);
        assert!(clean, "{said:?}");
        assert_eq!(
            said,
            [
                "emit_lso is wrong for the same inputs on both trees (pre-existing, not addressed by this series): misaligned pair (LuaJIT#1056): 24730 inputs; offset alias (LuaJIT#1075): 810 inputs",
                "its emit_lso has no defect over 10 inputs of the exhaustive check that the baseline's does not have for the same inputs (pre-existing, the same inputs on both trees: misaligned pair (LuaJIT#1056): 24730 inputs; offset alias (LuaJIT#1075): 810 inputs)",
            ]
        );
    }

    #[test]
    fn emit_lso_classes_the_series_removes_are_fixed() {
        let baseline = lso_report(vec![class("offset alias", "LuaJIT#1075", 810)]);
        let (clean, said) = judged(&baseline, &lso_report(vec![]), &["LuaJIT#1075"]);
        assert!(clean, "{said:?}");
        assert_eq!(
            said,
            [
                "its emit_lso has no defect over all 10 inputs of the exhaustive check (fixed, on the baseline only: offset alias (LuaJIT#1075): 810 inputs)"
            ]
        );
    }

    #[test]
    fn emit_lso_classes_the_series_adds_or_widens_fail_it() {
        let baseline = lso_report(vec![class("offset alias", "LuaJIT#1075", 810)]);
        let patched = lso_report(vec![
            class("offset alias", "LuaJIT#1075", 900),
            class("invalid encoding", "LuaJIT#1028", 4),
        ]);
        let (clean, said) = judged(&baseline, &patched, &[]);
        assert!(!clean);
        assert_eq!(
            said[0],
            "emit_lso is wrong for some inputs, in classes the series adds or changes or whose issue it fixes (offset alias (LuaJIT#1075): 900 inputs, 810 on the baseline; invalid encoding (LuaJIT#1028): 4 inputs, none on the baseline)"
        );
    }

    #[test]
    fn an_emit_lso_class_of_an_issue_the_series_fixes_fails_it_even_unchanged() {
        let both = lso_report(vec![class("offset alias", "LuaJIT#1075", 810)]);
        let (clean, said) = judged(&both, &both.clone(), &["LuaJIT#1075"]);
        assert!(!clean);
        assert_eq!(
            said[0],
            "emit_lso is wrong for some inputs, in classes the series adds or changes or whose issue it fixes (offset alias (LuaJIT#1075): 810 inputs, LuaJIT#1075 being one the series fixes)"
        );
    }
}
