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

/// What each case should do on a tree that carries `carried` (the baseline,
/// or the patched tree without some patches): fail as its header says when
/// it pins a carried defect, else end as it does on `reference` (the
/// patched tree): a case of a defect outside the series is left as it was.
pub fn baseline_checks(
    results: &[CaseResult],
    reference: &[CaseResult],
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
                return same_as(result, reference, variant, PATCHED_REFERENCE);
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

/// What each case should do on the patched tree: pass when it pins an
/// issue the series fixes, else end as it does on the baseline.
pub fn patched_checks(
    results: &[CaseResult],
    baseline: &[CaseResult],
    fixes: &[String],
    variant: &str,
) -> Vec<Expectation> {
    results
        .iter()
        .map(|result| {
            if !result.pins.iter().any(|p| fixes.contains(p)) {
                return same_as(result, baseline, variant, "the baseline");
            }
            Expectation {
                case: result.name.clone(),
                variant: variant.to_owned(),
                expected: "pass".to_owned(),
                observed: result.outcome.summary(),
                held: result.outcome.status == Status::Pass,
            }
        })
        .collect()
}

const PATCHED_REFERENCE: &str = "the patched tree";

/// A case the series does not answer for: it must end as it does on the
/// other tree (pass where that passes; a known defect outside the series
/// fails on both).
fn same_as(
    result: &CaseResult,
    reference: &[CaseResult],
    variant: &str,
    reference_name: &str,
) -> Expectation {
    let other = reference.iter().find(|r| r.name == result.name);
    let status = other.map_or(Status::Pass, |r| r.outcome.status);
    let expected = if status == Status::Pass {
        format!(
            "pass (no patch of the series names {})",
            result.pins.join(" or ")
        )
    } else {
        format!(
            "{} as on {reference_name} ({} is outside the series)",
            other.map_or_else(String::new, |r| r.outcome.summary()),
            result.pins.join(", ")
        )
    };
    Expectation {
        case: result.name.clone(),
        variant: variant.to_owned(),
        expected,
        observed: result.outcome.summary(),
        held: result.outcome.status == status,
    }
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
        let held: Vec<bool> = baseline_checks(&results, &[], &carried, "baseline")
            .iter()
            .map(|c| c.held)
            .collect();
        assert_eq!(held, [true, false, false, true, false]);
    }

    #[test]
    fn patched_must_pass_what_the_series_fixes_and_leave_the_rest_as_it_was() {
        let fixes = vec!["LuaJIT#1075".to_owned(), "LuaJIT#1056".to_owned()];
        let results = [
            result("a", &["LuaJIT#1075"], None, Status::Pass, None),
            result("b", &["LuaJIT#1056"], None, Status::Timeout, None),
            result("c", &["LuaJIT#1076"], None, Status::Fail, None),
            result("d", &["LuaJIT#1065"], None, Status::Fail, None),
        ];
        let baseline = [
            result("c", &["LuaJIT#1076"], None, Status::Fail, None),
            result("d", &["LuaJIT#1065"], None, Status::Pass, None),
        ];
        let held: Vec<bool> = patched_checks(&results, &baseline, &fixes, "patched")
            .iter()
            .map(|c| c.held)
            .collect();
        assert_eq!(held, [true, false, true, false]);
    }
}
