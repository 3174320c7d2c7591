//! What each regression case should do on each variant, derived from the
//! case headers and from what the patch series says it fixes.
//!
//! A baseline carries the defect of a `Fixes:` trailer when that patch
//! applies to it (the fix is not in it yet; patches already in the tree are
//! skipped and carry nothing). On such a baseline a
//! case pinning that defect must fail, with its `fails-with` text when it
//! has one; every other case must pass. On the patched variant every case
//! must pass.

use super::suite::outcome::{CaseResult, Status};

/// One expectation and whether it held.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Expectation {
    pub case: String,
    pub variant: String,
    pub expected: String,
    pub observed: String,
    pub held: bool,
}

pub fn baseline_checks(
    results: &[CaseResult],
    carried: &[String],
    variant: &str,
) -> Vec<Expectation> {
    results
        .iter()
        .map(|result| {
            let pinned: Vec<&String> = result
                .pins
                .iter()
                .filter(|pin| carried.contains(pin))
                .collect();
            let observed = result.outcome.summary();
            if pinned.is_empty() {
                return Expectation {
                    case: result.name.clone(),
                    variant: variant.to_owned(),
                    expected: format!(
                        "pass (no patch of the series names {})",
                        result.pins.join(" or ")
                    ),
                    held: result.outcome.status == Status::Pass,
                    observed,
                };
            }
            let carried_list = pinned
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let expected = match &result.fails_with {
                Some(text) => format!("fail with \"{text}\" ({carried_list} present)"),
                None => format!("fail ({carried_list} present)"),
            };
            Expectation {
                case: result.name.clone(),
                variant: variant.to_owned(),
                expected,
                held: fails_as_pinned(result),
                observed,
            }
        })
        .collect()
}

/// Whether a case failed the way its header says a tree with its defect
/// makes it fail: with the `fails-with` text, or at all when it names none.
pub fn fails_as_pinned(result: &CaseResult) -> bool {
    match &result.fails_with {
        Some(text) => result
            .outcome
            .error
            .as_deref()
            .is_some_and(|e| e.contains(text.as_str())),
        None => result.outcome.status != Status::Pass,
    }
}

pub fn patched_checks(results: &[CaseResult], variant: &str) -> Vec<Expectation> {
    results
        .iter()
        .map(|result| Expectation {
            case: result.name.clone(),
            variant: variant.to_owned(),
            expected: "pass".to_owned(),
            observed: result.outcome.summary(),
            held: result.outcome.status == Status::Pass,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::pipeline::testing::case as result;

    #[test]
    fn baseline_must_fail_carried_defects_with_the_named_text() {
        let carried = vec!["LuaJIT#1075".to_owned()];
        let results = [
            result(
                "a",
                &["LuaJIT#1075"],
                Some("a function value"),
                Status::Fail,
                Some("x: a function value"),
            ),
            result(
                "b",
                &["LuaJIT#1075"],
                Some("a function value"),
                Status::Fail,
                Some("other error"),
            ),
            result("c", &["LuaJIT#1075"], None, Status::Pass, None),
            result("d", &["LuaJIT#1028"], None, Status::Pass, None),
            result("e", &["LuaJIT#1028"], None, Status::Crash, None),
        ];
        let held: Vec<bool> = baseline_checks(&results, &carried, "baseline")
            .iter()
            .map(|c| c.held)
            .collect();
        assert_eq!(held, [true, false, false, true, false]);
    }

    #[test]
    fn patched_must_pass_everything() {
        let results = [
            result("a", &["LuaJIT#1075"], None, Status::Pass, None),
            result("b", &["LuaJIT#1056"], None, Status::Timeout, None),
        ];
        let held: Vec<bool> = patched_checks(&results, "patched")
            .iter()
            .map(|c| c.held)
            .collect();
        assert_eq!(held, [true, false]);
    }
}
