//! Matches the traces of two captures of one workload (by number, then IR),
//! diffs the normalised machine code of each matched pair and sorts every
//! differing site (classify.rs says into which class). Also finds LDPs
//! whose two destinations are one register.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};
use similar::{Algorithm, DiffOp, DiffTag, TextDiff, capture_diff_slices, group_diff_ops};

use super::classify::{SiteClass, classify, reordering};
use super::normalise::{Known, trace_lines};
use contract::capture::{Capture, Trace};

/// Lines of context in the unified diffs.
const CONTEXT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TraceStatus {
    Identical,
    /// Same IR, different machine code.
    Different,
    /// Same number, different IR: the machine code is not compared.
    IrDifferent,
    OnlyBaseline,
    OnlyPatched,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TraceResult {
    pub trace: u32,
    /// Number, parent and exit, start, link (from the baseline when it has the trace).
    pub heading: String,
    pub status: TraceStatus,
    /// Unified diff of the machine code (`different`) or of the IR (`ir-different`).
    pub diff: String,
    pub sites: Vec<Site>,
    /// Everything about this trace is accounted for.
    pub explained: bool,
    /// Why an IR difference or a missing trace is (or is not) accounted for.
    pub note: Option<String>,
}

/// One run of changed lines in a trace's machine code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub baseline: Vec<String>,
    pub patched: Vec<String>,
    pub class: SiteClass,
    /// `class` is not `unexplained` (kept for readers of the JSON).
    pub explained: bool,
    pub reason: String,
}

/// Compares the captures of one workload on the two builds. `diverged` says
/// that the workload ended differently on them, which accounts for traces
/// one build has and the other does not (or has with other IR).
pub fn compare(baseline: &Capture, patched: &Capture, diverged: bool) -> Result<Vec<TraceResult>> {
    let known_baseline = Known::from_capture(baseline)?;
    let known_patched = Known::from_capture(patched)?;
    let mut numbers: BTreeMap<u32, (Option<&Trace>, Option<&Trace>)> = BTreeMap::new();
    for trace in &baseline.traces {
        numbers.entry(trace.trace).or_default().0 = Some(trace);
    }
    for trace in &patched.traces {
        numbers.entry(trace.trace).or_default().1 = Some(trace);
    }
    let divergence = |what: &str| {
        if diverged {
            (
                true,
                Some(format!(
                    "{what}; the runs diverged, so the trace sets may differ"
                )),
            )
        } else {
            (
                false,
                Some(format!("{what}, although both runs ended the same way")),
            )
        }
    };
    let mut results = Vec::new();
    for (number, pair) in numbers {
        let result = match pair {
            (Some(base), Some(patch)) if base.ir != patch.ir => {
                let (explained, note) = divergence("the IR differs");
                TraceResult {
                    trace: number,
                    heading: base.describe(),
                    status: TraceStatus::IrDifferent,
                    diff: unified(&base.ir, &patch.ir),
                    sites: Vec::new(),
                    explained,
                    note,
                }
            }
            (Some(base), Some(patch)) => {
                let base_lines = trace_lines(base, &known_baseline)
                    .with_context(|| format!("baseline trace {number}"))?;
                let patch_lines = trace_lines(patch, &known_patched)
                    .with_context(|| format!("patched trace {number}"))?;
                compare_lines(number, base.describe(), &base_lines, &patch_lines)
            }
            (Some(base), None) => {
                let (explained, note) = divergence("only the baseline has it");
                TraceResult {
                    trace: number,
                    heading: base.describe(),
                    status: TraceStatus::OnlyBaseline,
                    diff: String::new(),
                    sites: Vec::new(),
                    explained,
                    note,
                }
            }
            (None, Some(patch)) => {
                let (explained, note) = divergence("only the patched build has it");
                TraceResult {
                    trace: number,
                    heading: patch.describe(),
                    status: TraceStatus::OnlyPatched,
                    diff: String::new(),
                    sites: Vec::new(),
                    explained,
                    note,
                }
            }
            (None, None) => continue,
        };
        results.push(result);
    }
    Ok(results)
}

/// Diffs two normalised listings of one trace.
pub fn compare_lines(
    trace: u32,
    heading: String,
    baseline: &[String],
    patched: &[String],
) -> TraceResult {
    if baseline == patched {
        return TraceResult {
            trace,
            heading,
            status: TraceStatus::Identical,
            diff: String::new(),
            sites: Vec::new(),
            explained: true,
            note: None,
        };
    }
    let mut sites = sites(baseline, patched);
    if sites.iter().any(|s| !s.explained)
        && let Some((class, reason)) = reordering(baseline, patched)
    {
        for site in sites.iter_mut().filter(|s| !s.explained) {
            site.class = class;
            site.explained = true;
            site.reason = reason.to_owned();
        }
    }
    let explained = sites.iter().all(|site| site.explained);
    TraceResult {
        trace,
        heading,
        status: TraceStatus::Different,
        diff: unified(baseline, patched),
        sites,
        explained,
        note: None,
    }
}

/// A unified diff with a little context.
pub fn unified(baseline: &[String], patched: &[String]) -> String {
    let old = lines_text(baseline);
    let new = lines_text(patched);
    TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(CONTEXT)
        .header("baseline", "patched")
        .to_string()
}

fn lines_text(lines: &[String]) -> String {
    lines.iter().map(|line| format!("{line}\n")).collect()
}

/// Every run of changed lines, classified.
pub fn sites(baseline: &[String], patched: &[String]) -> Vec<Site> {
    let ops = capture_diff_slices(Algorithm::Myers, baseline, patched);
    group_diff_ops(ops, 0)
        .into_iter()
        .filter_map(|group| {
            let changed: Vec<&DiffOp> = group
                .iter()
                .filter(|op| op.tag() != DiffTag::Equal)
                .collect();
            let first = changed.first()?;
            let last = changed.last()?;
            let old = first.old_range().start..last.old_range().end;
            let new = first.new_range().start..last.new_range().end;
            let base: Vec<String> = baseline[old].iter().map(|l| l.trim().to_owned()).collect();
            let patch: Vec<String> = patched[new].iter().map(|l| l.trim().to_owned()).collect();
            let (class, reason) = classify(&base, &patch);
            Some(Site {
                baseline: base,
                patched: patch,
                class,
                explained: class.explained(),
                reason,
            })
        })
        .collect()
}

/// An LDP (or LDPSW, LDNP) whose two destination registers are the same:
/// CONSTRAINED UNPREDICTABLE in the architecture, so a real core may load
/// either value, raise UNDEF or do something else; QEMU picks one.
pub fn is_equal_register_ldp(line: &str) -> bool {
    let Some((mnemonic, rest)) = line.trim().split_once(' ') else {
        return false;
    };
    if !matches!(mnemonic, "ldp" | "ldpsw" | "ldnp") {
        return false;
    }
    let registers = rest.split('[').next().unwrap_or("");
    let mut registers = registers.split(',').map(str::trim);
    match (registers.next(), registers.next()) {
        (Some(first), Some(second)) => !first.is_empty() && first == second,
        _ => false,
    }
}

/// A trace holding an LDP with equal destinations, and those instructions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EqualLdp {
    pub trace: u32,
    pub heading: String,
    pub lines: Vec<String>,
}

/// Every trace of `capture` whose machine code holds an LDP with two equal
/// destinations.
pub fn equal_register_ldps(capture: &Capture) -> Result<Vec<EqualLdp>> {
    let known = Known::from_capture(capture)?;
    let mut found = Vec::new();
    for trace in &capture.traces {
        let lines = trace_lines(trace, &known).with_context(|| format!("trace {}", trace.trace))?;
        let hits: Vec<String> = lines
            .iter()
            .filter(|line| is_equal_register_ldp(line))
            .map(|line| line.trim().to_owned())
            .collect();
        if !hits.is_empty() {
            found.push(EqualLdp {
                trace: trace.trace,
                heading: trace.describe(),
                lines: hits,
            });
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::mcode::classify::*;

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|l| format!("  {l}")).collect()
    }

    #[test]
    fn identical_listings_have_no_diff() {
        let a = lines(&["ldr x1, [x19, #8]", "b ->exit 0"]);
        let result = compare_lines(1, "trace 1".to_owned(), &a, &a);
        assert_eq!(
            (
                result.status,
                result.diff.as_str(),
                result.sites.len(),
                result.explained
            ),
            (TraceStatus::Identical, "", 0, true)
        );
    }

    fn class_of(base: &[&str], patch: &[&str]) -> (SiteClass, String) {
        let owned = |side: &[&str]| side.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>();
        classify(&owned(base), &owned(patch))
    }

    #[test]
    fn wrong_fusion_split_by_the_patch_is_a_corrected_misfusion() {
        let base = lines(&["ldr x0, [x19, #8]", "stp x1, x2, [x19, #496]", "b ->exit 1"]);
        let patch = lines(&[
            "ldr x0, [x19, #8]",
            "str x2, [x19, #504]",
            "stur x1, [x19, #-16]",
            "b ->exit 1",
        ]);
        let result = compare_lines(1, "trace 1".to_owned(), &base, &patch);
        assert_eq!(result.status, TraceStatus::Different);
        assert!(result.explained, "{result:?}");
        assert_eq!(result.sites.len(), 1);
        let site = &result.sites[0];
        assert_eq!(site.class, SiteClass::MisfusionCorrected, "{site:?}");
        assert_eq!(site.baseline, ["stp x1, x2, [x19, #496]"]);
        assert_eq!(
            site.patched,
            ["str x2, [x19, #504]", "stur x1, [x19, #-16]"]
        );
        assert!(
            site.reason
                .contains("x1 at #496 on the baseline, #-16 on the patched build"),
            "{}",
            site.reason
        );
        assert!(
            result.diff.contains("-  stp x1, x2, [x19, #496]")
                && result.diff.contains("+  stur x1, [x19, #-16]"),
            "{}",
            result.diff
        );
    }

    #[test]
    fn misfused_loads_and_word_pairs_are_corrected_misfusions() {
        let cases: [(&[&str], &[&str], &str); 3] = [
            // LuaJIT#1075 on loads: -16 taken for +496.
            (
                &["ldp x0, x1, [x2, #488]"],
                &["ldr x0, [x2, #488]", "ldur x1, [x2, #-16]"],
                "x1 at #496 on the baseline, #-16",
            ),
            // The same aliasing for 4-byte stores, the STUR first in program order.
            (
                &["stp w1, w3, [x2, #-20]"],
                &["stur w1, [x2, #-20]", "str w3, [x2, #496]"],
                "w3 at #-16 on the baseline, #496",
            ),
            // LuaJIT#1056: a misaligned pair fused at the truncated offset.
            (
                &["stp w1, w3, [x2]"],
                &["stur w1, [x2, #1]", "stur w3, [x2, #5]"],
                "w1 at #0 on the baseline, #1",
            ),
        ];
        for (base, patch, moved) in cases {
            let (class, reason) = class_of(base, patch);
            assert_eq!(class, SiteClass::MisfusionCorrected, "{base:?}: {reason}");
            assert!(reason.contains(moved), "{base:?}: {reason}");
        }
    }

    #[test]
    fn a_right_pair_split_by_the_patch_is_a_fusion_given_up() {
        let (class, reason) = class_of(
            &["ldp x1, x3, [x2, #8]"],
            &["ldr x1, [x2, #8]", "ldr x3, [x2, #16]"],
        );
        assert_eq!(class, SiteClass::FusionGivenUp, "{reason}");
        let (class, reason) = class_of(
            &["stp d0, d1, [x19, #-16]", "str x4, [x19, #24]"],
            &[
                "stur d0, [x19, #-16]",
                "stur d1, [x19, #-8]",
                "str x4, [x19, #24]",
            ],
        );
        assert_eq!(class, SiteClass::FusionGivenUp, "{reason}");
    }

    #[test]
    fn other_changes_are_unexplained() {
        let cases: [(&[&str], &[&str]); 8] = [
            // A different register.
            (
                &["stp x1, x2, [x19, #496]"],
                &["str x1, [x19, #496]", "str x3, [x19, #504]"],
            ),
            // Not a load or store.
            (&["add x1, x1, #0x1"], &["add x1, x1, #0x2"]),
            // A pair on both sides, only the offset moved.
            (&["stp x1, x2, [x19, #496]"], &["stp x1, x2, [x19, #488]"]),
            // A byte store cannot be part of a pair.
            (
                &["stp w1, w2, [x19, #8]"],
                &["strb w1, [x19, #8]", "str w2, [x19, #12]"],
            ),
            // The patched build fuses where the baseline did not.
            (
                &["ldr x1, [x2, #8]", "ldr x3, [x2, #16]"],
                &["ldp x1, x3, [x2, #8]"],
            ),
            // The patched build's pair is somewhere else.
            (
                &["ldr x1, [x2, #8]", "ldr x3, [x2, #16]"],
                &["ldp x1, x3, [x2, #16]"],
            ),
            // A plain store moved: no baseline pair accounts for it.
            (
                &["stp x1, x2, [x19, #8]", "str x3, [x19, #40]"],
                &[
                    "str x1, [x19, #8]",
                    "str x2, [x19, #16]",
                    "str x3, [x19, #48]",
                ],
            ),
            // Plain accesses on both sides, only an offset changed.
            (&["str x1, [x19, #8]"], &["str x1, [x19, #16]"]),
        ];
        for (base, patch) in cases {
            let result = compare_lines(1, String::new(), &lines(base), &lines(patch));
            assert!(
                !result.explained && result.sites[0].class == SiteClass::Unexplained,
                "{base:?} -> {patch:?}: {:?}",
                result.sites
            );
        }
    }

    #[test]
    fn equal_destination_ldps_are_found() {
        for line in [
            "  ldp x1, x1, [x19, #8]",
            "ldp w0, w0, [x2, #-8]",
            "ldp d3, d3, [sp]",
            "ldpsw x4, x4, [x2]",
            "ldp x5, x5, [x2], #16",
        ] {
            assert!(is_equal_register_ldp(line), "{line}");
        }
        for line in [
            "ldp x1, x2, [x19, #8]",
            "stp x1, x1, [x19, #8]",
            "ldp x1, x11, [x19, #8]",
            "ldp w1, x1, [x19]",
            "ldr x1, [x1, #8]",
            "L1:",
        ] {
            assert!(!is_equal_register_ldp(line), "{line}");
        }
    }

    #[test]
    fn equal_destination_ldps_are_found_in_the_traces_of_a_capture() {
        // ldp x1, x1, [x19, #8] (0xa9408661) in trace 2 only; trace 1 holds ldp x1, x2.
        let found = equal_register_ldps(&capture(vec![
            trace(1, &["0001 op1"], "610a40a9"),
            trace(2, &["0001 op1"], "410040f9618640a9"),
        ]))
        .unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].trace, 2);
        assert_eq!(found[0].lines, ["ldp x1, x1, [x19, #8]"]);
    }

    #[test]
    fn separate_changes_are_separate_sites() {
        let base = lines(&[
            "stp x1, x2, [x19, #496]",
            "ldr x0, [x19]",
            "ldr x0, [x19]",
            "add x0, x0, #0x1",
        ]);
        let patch = lines(&[
            "str x1, [x19, #496]",
            "str x2, [x19, #504]",
            "ldr x0, [x19]",
            "ldr x0, [x19]",
            "add x0, x0, #0x2",
        ]);
        let result = compare_lines(1, String::new(), &base, &patch);
        assert_eq!(result.sites.len(), 2, "{:?}", result.sites);
        assert_eq!(result.sites[0].class, SiteClass::FusionGivenUp);
        assert_eq!(result.sites[1].class, SiteClass::Unexplained);
        assert!(!result.explained);
    }

    fn trace(number: u32, ir: &[&str], mcode: &str) -> Trace {
        Trace {
            trace: number,
            parent: None,
            exit: None,
            root: 0,
            start: Some("t.lua:1".to_owned()),
            link: number,
            linktype: "loop".to_owned(),
            nexit: 0,
            ir: ir.iter().map(|s| (*s).to_owned()).collect(),
            address: Some(format!("{:#x}", 0x55_0000_1000 + number as u64 * 0x100)),
            loop_offset: 0,
            mcode: mcode.to_owned(),
            exit_stubs: None,
            exit_count: 0,
        }
    }

    fn capture(traces: Vec<Trace>) -> Capture {
        Capture {
            format: contract::capture::FORMAT.to_owned(),
            script: "t.lua".to_owned(),
            error: None,
            exit: None,
            version: "LuaJIT".to_owned(),
            maps: vec![("0x5500000000".to_owned(), "0x5510000000".to_owned())],
            ircalls: Vec::new(),
            traces,
        }
    }

    #[test]
    fn traces_match_by_number_then_ir() {
        // stp x30, x0, [x19, #496] against str x30, [x19, #488]; stur x0, [x19, #-16]
        let base = capture(vec![
            trace(1, &["0001 op1"], "7e021fa9"),
            trace(2, &["0001 op1"], "410040f9"),
            trace(3, &["0001 op2"], "410040f9"),
            trace(4, &["0001 op1"], "410040f9"),
        ]);
        let patch = capture(vec![
            trace(1, &["0001 op1"], "7ef600f960021ff8"),
            trace(2, &["0001 op1"], "410040f9"),
            trace(3, &["0001 op3"], "410040f9"),
            trace(5, &["0001 op1"], "410040f9"),
        ]);
        let results = compare(&base, &patch, false).unwrap();
        let statuses: Vec<(u32, TraceStatus, bool)> = results
            .iter()
            .map(|r| (r.trace, r.status, r.explained))
            .collect();
        assert_eq!(
            statuses,
            [
                (1, TraceStatus::Different, true),
                (2, TraceStatus::Identical, true),
                (3, TraceStatus::IrDifferent, false),
                (4, TraceStatus::OnlyBaseline, false),
                (5, TraceStatus::OnlyPatched, false),
            ]
        );
        assert_eq!(results[0].sites[0].baseline, ["stp x30, x0, [x19, #496]"]);
        assert_eq!(
            results[0].sites[0].patched,
            ["str x30, [x19, #488]", "stur x0, [x19, #-16]"]
        );
        assert!(
            results[2].diff.contains("-0001 op2") && results[2].diff.contains("+0001 op3"),
            "{}",
            results[2].diff
        );
        // When the runs diverged, traces only one side has are accounted for.
        let results = compare(&base, &patch, true).unwrap();
        assert!(results.iter().all(|r| r.explained));
    }

    #[test]
    fn capture_against_itself_is_identical() {
        let base = capture(vec![
            trace(1, &["0001 op1"], "7e021fa9410040f9"),
            trace(2, &["0001 op1"], "410040f9"),
        ]);
        let results = compare(&base, &base, false).unwrap();
        assert!(
            results
                .iter()
                .all(|r| r.status == TraceStatus::Identical && r.diff.is_empty())
        );
    }

    #[test]
    fn a_pair_across_the_barrier_label_split_is_a_corrected_fusion() {
        let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
        // LuaJIT#1057's fix: the 8-byte gclist store moves before the byte
        // store, and the baseline's STP across the barrier's label is split.
        let baseline = lines(
            "str x24, [x22, #64]\nstrb w30, [x24, #8]\nL3:\nstp x23, x0, [x24, #24]\nldr x24, [x21, #16]",
        );
        let patched = lines(
            "str x24, [x22, #64]\nstr x23, [x24, #24]\nstrb w30, [x24, #8]\nL3:\nstr x0, [x24, #32]\nldr x24, [x21, #16]",
        );
        let result = compare_lines(1, "trace 1".to_owned(), &baseline, &patched);
        assert!(result.explained, "{result:?}");
        assert!(
            result
                .sites
                .iter()
                .all(|s| s.class == SiteClass::FusionAcrossLabelCorrected),
            "{result:?}"
        );
    }

    #[test]
    fn a_store_moved_past_a_byte_store_is_a_reordering() {
        let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
        let baseline = lines("and w30, w30, #4\nstrb w30, [x24, #8]\nstr x20, [x24, #24]\nL2:");
        let patched = lines("and w30, w30, #4\nstr x20, [x24, #24]\nstrb w30, [x24, #8]\nL2:");
        let result = compare_lines(1, "trace 1".to_owned(), &baseline, &patched);
        assert!(result.explained, "{result:?}");
        assert!(
            result.sites.iter().all(|s| s.class == SiteClass::Reordered),
            "{result:?}"
        );
    }

    #[test]
    fn swapping_two_stores_to_one_address_is_not_a_reordering() {
        let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
        let baseline = lines("str x1, [x19, #8]\nstr x2, [x19, #8]");
        let patched = lines("str x2, [x19, #8]\nstr x1, [x19, #8]");
        let result = compare_lines(1, "trace 1".to_owned(), &baseline, &patched);
        assert!(!result.explained, "{result:?}");
    }

    #[test]
    fn a_moved_instruction_that_is_no_access_is_not_a_reordering() {
        let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
        let baseline = lines("add x1, x1, #1\nstr x1, [x19, #8]");
        let patched = lines("str x1, [x19, #8]\nadd x1, x1, #1");
        let result = compare_lines(1, "trace 1".to_owned(), &baseline, &patched);
        assert!(!result.explained, "{result:?}");
    }
}
