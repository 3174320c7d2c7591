//! From what the cases and the stress sample did on a deployed LuaJIT to a
//! verdict per upstream issue.
//!
//! A case pinning an issue that fails the way its header names (its
//! `fails-with` text, or any failure when it names none) makes the issue
//! *affected*. A case that fails some other way proves nothing about its
//! issue: *could not tell*. When every case of an issue passes, the issue is
//! *not affected*, unless the stress sample found differences between the
//! JIT and the interpreter while no issue is affected: a deployed binary has
//! no patched twin to attribute them to, so they might be that issue's.
//!
//! A stress program that differs runs again under other entropy seeds
//! (`entropy`): one that differs in every run is a difference, one that
//! differs in some only is flaky. Both are differences nothing explains,
//! and both make an issue *could not tell* rather than *not affected*; the
//! seeds are fixed, so which programs differ, and in how many runs, is the
//! same every time the binary is probed.

use serde::Serialize;

use crate::pipeline::expect::fails_as_pinned;
use crate::pipeline::stress::{Written, difference_kind};
use crate::pipeline::suite::outcome::{CaseResult, Comparison, Status};
use crate::pipeline::verdict::{self, Ground};
use crate::pipeline::verdict::{Answer, Group};

#[derive(Debug, Clone, Serialize)]
pub struct IssueFinding {
    pub issue: String,
    /// Whether a patch of the project's series fixes it, or it is another
    /// known defect that the catalogue's cases pin.
    pub group: Group,
    pub verdict: Answer,
    /// One sentence: which case did what, or why there is no answer.
    pub why: String,
    /// The cases pinning the issue and how each ended.
    pub cases: Vec<CaseEvidence>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseEvidence {
    pub case: String,
    pub outcome: String,
    /// The failure the case's header names, when it names one.
    pub fails_with: Option<String>,
    /// Whether it failed the way its header names.
    pub failed_as_pinned: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct StressSample {
    #[serde(with = "crate::pipeline::stress::hex_seed")]
    pub seed: u64,
    pub programs: u32,
    /// Traces the JIT runs left, as driver.lua counted them.
    pub traces: u64,
    /// Programs whose JIT run differs from their interpreter run in every
    /// run (every entropy seed).
    pub differences: Vec<Difference>,
    /// Programs whose JIT run differs from their interpreter run under some
    /// entropy seeds and not others: where machine code lands decides.
    pub flaky: Vec<Difference>,
    /// Programs that failed even without the JIT: they say nothing about the JIT.
    pub not_runnable: Vec<Difference>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub program: String,
    /// The program's own seed: `generate::program(seed)` rebuilds it.
    #[serde(with = "crate::pipeline::stress::hex_seed")]
    pub program_seed: u64,
    /// The kind of difference and the difference of the first run.
    pub kind: String,
    pub difference: String,
    /// How many times the program ran with the JIT on and off, each time
    /// under another entropy seed.
    pub runs: u32,
    /// In how many of them the JIT run differed from the interpreter run.
    pub differing_runs: u32,
}

impl Difference {
    /// "differs in 2 of 5 runs".
    pub fn how_often(&self) -> String {
        format!("differs in {} of {} runs", self.differing_runs, self.runs)
    }
}

impl StressSample {
    /// The sample from each program's runs: `runs[k]` holds program k's
    /// comparisons, the first under the first seed, then the reruns under
    /// the others (made only when the first differs and the program runs
    /// without the JIT).
    pub fn from_runs(seed: u64, programs: &[Written], runs: &[Vec<Comparison>]) -> StressSample {
        let mut differences = Vec::new();
        let mut flaky = Vec::new();
        let mut not_runnable = Vec::new();
        for (Written { program, .. }, comparisons) in programs.iter().zip(runs) {
            let Some(first) = comparisons.first() else {
                continue;
            };
            let (Some(kind), Some(difference)) = (difference_kind(first), first.difference())
            else {
                continue;
            };
            let differing_runs = comparisons.iter().filter(|c| shows_difference(c)).count();
            let entry = Difference {
                program: first.name.clone(),
                program_seed: program.seed,
                kind: kind.label().to_owned(),
                difference,
                runs: comparisons.len() as u32,
                differing_runs: differing_runs as u32,
            };
            if first.interpreter.status != Status::Pass {
                not_runnable.push(entry);
            } else if differing_runs == comparisons.len() {
                differences.push(entry);
            } else {
                flaky.push(entry);
            }
        }
        StressSample {
            seed,
            programs: runs.len() as u32,
            traces: runs.iter().filter_map(|r| r.first()?.jit.traces).sum(),
            differences,
            flaky,
            not_runnable,
        }
    }

    /// Programs that differ in every run or in some.
    pub fn differing(&self) -> usize {
        self.differences.len() + self.flaky.len()
    }
}

/// Whether a run shows the JIT differing from the interpreter: the
/// interpreter ran the program, and the JIT did otherwise.
pub fn shows_difference(comparison: &Comparison) -> bool {
    comparison.interpreter.status == Status::Pass && comparison.difference().is_some()
}

pub fn judge(
    issues: &[(String, Group)],
    cases: &[CaseResult],
    stress: &StressSample,
    jit_on: bool,
) -> Vec<IssueFinding> {
    let mut findings: Vec<IssueFinding> = issues
        .iter()
        .map(|(issue, group)| by_cases(issue, *group, cases, jit_on))
        .collect();
    verdict::doubt_unexplained(
        &mut findings,
        stress.differing() > 0,
        |f| &mut f.verdict,
        |finding| {
            let seen = match (stress.differences.first(), stress.flaky.first()) {
                (Some(first), _) => format!(
                    "{} of {} stress programs differ between the JIT and the interpreter (first: {}: {})",
                    stress.differing(),
                    stress.programs,
                    first.program,
                    first.difference
                ),
                (None, Some(first)) => format!(
                    "{} of {} stress programs differ between the JIT and the interpreter in some runs and not others (flaky; first: {}, {}: {})",
                    stress.flaky.len(),
                    stress.programs,
                    first.program,
                    first.how_often(),
                    first.difference
                ),
                (None, None) => unreachable!("doubted only when a program differs"),
            };
            finding.why = format!(
                "{}, but {seen}, and without a patched build to compare with they cannot be told apart from this issue",
                finding.why
            );
        },
    );
    findings
}

fn by_cases(issue: &str, group: Group, cases: &[CaseResult], jit_on: bool) -> IssueFinding {
    let judged = verdict::judge(issue, cases, false, jit_on);
    let evidence: Vec<CaseEvidence> = judged
        .pinning
        .iter()
        .map(|c| CaseEvidence {
            case: c.name.clone(),
            outcome: c.outcome.summary(),
            fails_with: c.fails_with.clone(),
            failed_as_pinned: fails_as_pinned(c),
        })
        .collect();
    let why = match judged.ground {
        Ground::NoCase => "no regression case in tests/cases pins it".to_owned(),
        Ground::Shown => evidence
            .iter()
            .filter(|e| e.failed_as_pinned)
            .map(|e| format!("{}: {}", e.case, e.outcome))
            .collect::<Vec<_>>()
            .join("; "),
        Ground::OtherFailure => evidence
            .iter()
            .zip(&judged.pinning)
            .filter(|(_, c)| c.outcome.status != Status::Pass)
            .map(|(e, _)| match &e.fails_with {
                Some(text) => format!(
                    "{}: {}, not the failure it pins (\"{text}\")",
                    e.case, e.outcome
                ),
                None => format!("{}: {}", e.case, e.outcome),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Ground::JitOff => "its cases pass, but the JIT is off in this build (jit.status() is false), so no machine code was emitted to show the defect".to_owned(),
        Ground::CasesPass if judged.pinning.len() == 1 => {
            format!("its case {} passes", judged.pinning[0].name)
        }
        Ground::CasesPass => format!("all {} of its cases pass", judged.pinning.len()),
    };
    IssueFinding {
        issue: issue.to_owned(),
        group,
        verdict: judged.answer,
        why,
        cases: evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::suite::outcome::Outcome;
    use crate::pipeline::testing;

    fn case(
        name: &str,
        pin: &str,
        fails_with: Option<&str>,
        status: Status,
        error: Option<&str>,
    ) -> CaseResult {
        let mut case = testing::case(name, &[pin], fails_with, status, error);
        case.outcome.exit_code = None;
        case.outcome.signal = (status == Status::Crash).then_some(4);
        case
    }

    fn sample(differences: usize) -> StressSample {
        StressSample {
            seed: 1,
            programs: 40,
            traces: 500,
            differences: (0..differences)
                .map(|k| Difference {
                    program: format!("p{k:05}"),
                    program_seed: k as u64,
                    kind: "mismatch".to_owned(),
                    difference: "with the JIT it returns 1, without it 2".to_owned(),
                    runs: 5,
                    differing_runs: 5,
                })
                .collect(),
            flaky: Vec::new(),
            not_runnable: Vec::new(),
        }
    }

    fn verdicts(findings: &[IssueFinding]) -> Vec<(&str, Answer)> {
        findings
            .iter()
            .map(|f| (f.issue.as_str(), f.verdict))
            .collect()
    }

    const ISSUES: [&str; 4] = ["LuaJIT#1028", "LuaJIT#1056", "LuaJIT#1075", "LuaJIT#9999"];

    fn issues() -> Vec<(String, Group)> {
        ISSUES
            .iter()
            .map(|s| (s.to_string(), Group::Series))
            .collect()
    }

    #[test]
    fn the_series_issues_come_first_then_the_other_pins_in_number_order() {
        let cases = [
            case("a", "LuaJIT#1480", None, Status::Pass, None),
            case("b", "LuaJIT#1076", None, Status::Pass, None),
            case("c", "LuaJIT#1075", None, Status::Pass, None),
        ];
        let listed = verdict::catalogue(&["LuaJIT#1075".to_owned()], &cases);
        assert_eq!(
            listed,
            [
                ("LuaJIT#1075".to_owned(), Group::Series),
                ("LuaJIT#1076".to_owned(), Group::OtherKnown),
                ("LuaJIT#1480".to_owned(), Group::OtherKnown),
            ]
        );
    }

    #[test]
    fn each_issue_by_its_cases() {
        let cases = [
            // No fails-with: any failure counts.
            case("a", "LuaJIT#1028", None, Status::Crash, None),
            // Fails, but not as pinned: no answer from this case.
            case(
                "b",
                "LuaJIT#1056",
                Some("wrong bytes"),
                Status::Fail,
                Some("x.lua:3: other"),
            ),
            case(
                "c",
                "LuaJIT#1075",
                Some("a function value"),
                Status::Pass,
                None,
            ),
            case(
                "d",
                "LuaJIT#1075",
                Some("a function value"),
                Status::Fail,
                Some("x: (a function value)"),
            ),
        ];
        let found = judge(&issues(), &cases, &sample(0), true);
        assert_eq!(
            verdicts(&found),
            [
                ("LuaJIT#1028", Answer::Affected),
                ("LuaJIT#1056", Answer::CouldNotTell),
                ("LuaJIT#1075", Answer::Affected),
                ("LuaJIT#9999", Answer::CouldNotTell),
            ]
        );
        assert!(
            found[2].why.contains("d: fail") && !found[2].why.contains("c:"),
            "{}",
            found[2].why
        );
        assert!(
            found[3].why.contains("no regression case"),
            "{}",
            found[3].why
        );
    }

    #[test]
    fn passing_cases_mean_not_affected_unless_unexplained_differences() {
        let cases = [
            case("a", "LuaJIT#1028", None, Status::Pass, None),
            case("b", "LuaJIT#1056", Some("wrong bytes"), Status::Pass, None),
        ];
        let issues = &issues()[..2];
        let clean = judge(issues, &cases, &sample(0), true);
        assert_eq!(
            verdicts(&clean),
            [
                ("LuaJIT#1028", Answer::NotAffected),
                ("LuaJIT#1056", Answer::NotAffected)
            ]
        );
        let unexplained = judge(issues, &cases, &sample(2), true);
        assert_eq!(
            verdicts(&unexplained),
            [
                ("LuaJIT#1028", Answer::CouldNotTell),
                ("LuaJIT#1056", Answer::CouldNotTell)
            ]
        );
        assert!(
            unexplained[0].why.contains("2 of 40 stress programs"),
            "{}",
            unexplained[0].why
        );
        let jit_off = judge(issues, &cases, &sample(0), false);
        assert!(jit_off.iter().all(|f| f.verdict == Answer::CouldNotTell));
    }

    #[test]
    fn differences_next_to_an_affected_issue_leave_the_others_alone() {
        let cases = [
            case("a", "LuaJIT#1028", None, Status::Pass, None),
            case("b", "LuaJIT#1056", None, Status::Fail, Some("wrong bytes")),
        ];
        let found = judge(&issues()[..2], &cases, &sample(3), true);
        assert_eq!(
            verdicts(&found),
            [
                ("LuaJIT#1028", Answer::NotAffected),
                ("LuaJIT#1056", Answer::Affected)
            ]
        );
    }

    /// A program's run: the JIT's and the interpreter's outcomes, each a
    /// pass returning `value` or a failure of `status`.
    fn run(jit: (Status, &str), interpreter: (Status, &str)) -> Comparison {
        let side = |(status, value): (Status, &str)| Outcome {
            value: (status == Status::Pass).then(|| value.to_owned()),
            signal: (status == Status::Crash).then_some(11),
            ..testing::outcome(status, None)
        };
        Comparison {
            name: String::new(),
            jit: side(jit),
            interpreter: side(interpreter),
        }
    }

    const AGREES: (Status, &str) = (Status::Pass, "7");
    const CRASHES: (Status, &str) = (Status::Crash, "");
    const WRONG: (Status, &str) = (Status::Pass, "8");

    /// A sample of programs, each given as its runs under the seeds.
    fn sampled(programs: &[&[Comparison]]) -> StressSample {
        let written: Vec<Written> = (0..programs.len())
            .map(|k| Written {
                index: k,
                path: format!("p{k:05}.lua").into(),
                program: crate::pipeline::program::generate::program(k as u64),
            })
            .collect();
        let runs: Vec<Vec<Comparison>> = programs
            .iter()
            .enumerate()
            .map(|(k, runs)| {
                runs.iter()
                    .map(|c| Comparison {
                        name: format!("p{k:05}"),
                        ..c.clone()
                    })
                    .collect()
            })
            .collect();
        StressSample::from_runs(1, &written, &runs)
    }

    fn names(differences: &[Difference]) -> Vec<(&str, u32, u32)> {
        differences
            .iter()
            .map(|d| (d.program.as_str(), d.differing_runs, d.runs))
            .collect()
    }

    #[test]
    fn a_program_differing_in_some_runs_is_flaky_and_in_all_a_difference() {
        let sample = sampled(&[
            &[run(AGREES, AGREES)],
            &[
                run(CRASHES, AGREES),
                run(AGREES, AGREES),
                run(CRASHES, AGREES),
                run(AGREES, AGREES),
                run(AGREES, AGREES),
            ],
            &[
                run(WRONG, AGREES),
                run(WRONG, AGREES),
                run(CRASHES, AGREES),
                run(WRONG, AGREES),
                run(WRONG, AGREES),
            ],
            // A rerun the interpreter cannot finish shows nothing either way.
            &[
                run(WRONG, AGREES),
                run(WRONG, CRASHES),
                run(WRONG, AGREES),
                run(WRONG, AGREES),
                run(WRONG, AGREES),
            ],
            &[run(CRASHES, CRASHES)],
        ]);
        assert_eq!(names(&sample.differences), [("p00002", 5, 5)]);
        assert_eq!(names(&sample.flaky), [("p00001", 2, 5), ("p00003", 4, 5)]);
        assert_eq!(sample.flaky[0].how_often(), "differs in 2 of 5 runs");
        assert_eq!(sample.flaky[0].difference, "with the JIT: crash: SIGSEGV");
        assert_eq!(names(&sample.not_runnable), [("p00004", 0, 1)]);
        assert_eq!(sample.differing(), 3);
    }

    #[test]
    fn a_flaky_program_alone_still_leaves_the_issues_untold() {
        let cases = [case("a", "LuaJIT#1028", None, Status::Pass, None)];
        let flaky = sampled(&[&[
            run(CRASHES, AGREES),
            run(AGREES, AGREES),
            run(AGREES, AGREES),
            run(CRASHES, AGREES),
            run(AGREES, AGREES),
        ]]);
        assert!(flaky.differences.is_empty());
        let found = judge(&issues()[..1], &cases, &flaky, true);
        assert_eq!(verdicts(&found), [("LuaJIT#1028", Answer::CouldNotTell)]);
        assert!(
            found[0].why.contains("flaky") && found[0].why.contains("differs in 2 of 5 runs"),
            "{}",
            found[0].why
        );
        let quiet = sampled(&[&[run(AGREES, AGREES)]]);
        let found = judge(&issues()[..1], &cases, &quiet, true);
        assert_eq!(verdicts(&found), [("LuaJIT#1028", Answer::NotAffected)]);
    }
}
