//! Matches the traces of two captures of one workload (by number, then IR),
//! diffs the normalised machine code of each matched pair and sorts every
//! differing site into explained (a different LDP/STP fusion of the same
//! accesses, which is all the patch series changes) or unexplained.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};
use serde::Serialize;
use similar::{Algorithm, DiffOp, DiffTag, TextDiff, capture_diff_slices, group_diff_ops};

use super::capture::{Capture, Trace};
use super::normalise::{Known, trace_lines};

/// Lines of context in the unified diffs.
const CONTEXT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Site {
    pub baseline: Vec<String>,
    pub patched: Vec<String>,
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
    let sites = sites(baseline, patched);
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
            let (explained, reason) = classify(&base, &patch);
            Some(Site {
                baseline: base,
                patched: patch,
                explained,
                reason,
            })
        })
        .collect()
}

/// One plain load or store, or one half of a pair.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Access {
    load: bool,
    /// Register class and width: "x", "w", "d", "s".
    class: char,
    reg: String,
    base: String,
    offset: i64,
}

/// A line of machine code as loads/stores: one for a single access, two for a
/// pair (the second at offset + width). None when it is anything else.
fn accesses(line: &str) -> Option<(bool, Vec<Access>)> {
    let (mnemonic, rest) = line.split_once(' ')?;
    let (load, pair) = match mnemonic {
        "ldr" | "ldur" => (true, false),
        "str" | "stur" => (false, false),
        "ldp" => (true, true),
        "stp" => (false, true),
        _ => return None,
    };
    let (registers, address) = rest.split_once('[')?;
    let address = address.strip_suffix(']')?;
    let (base, offset) = match address.split_once(", #") {
        Some((base, offset)) => (base, offset.parse().ok()?),
        None => (address, 0),
    };
    let registers: Vec<&str> = registers
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect();
    if registers.len() != if pair { 2 } else { 1 } {
        return None;
    }
    let class = registers[0].chars().next()?;
    let width = match class {
        'x' | 'd' => 8,
        'w' | 's' => 4,
        _ => return None,
    };
    let list = registers
        .iter()
        .enumerate()
        .map(|(index, reg)| Access {
            load,
            class,
            reg: (*reg).to_owned(),
            base: base.to_owned(),
            offset: offset + width * index as i64,
        })
        .collect();
    Some((pair, list))
}

/// Explained: both sides hold only loads/stores (no writeback), the same
/// accesses by direction, register class, register and base, and a different
/// number of LDP/STP. Offsets may differ only where the baseline has the
/// pair: a wrong fusion puts its second access at the wrong offset, which is
/// what the series fixes; a pair on the patched side must cover exactly the
/// offsets the baseline accessed.
pub fn classify(baseline: &[String], patched: &[String]) -> (bool, String) {
    let parse = |lines: &[String]| -> Option<Vec<(bool, Vec<Access>)>> {
        lines.iter().map(|l| accesses(l)).collect()
    };
    let (Some(base), Some(patch)) = (parse(baseline), parse(patched)) else {
        return (false, "not only plain loads and stores".to_owned());
    };
    let pairs = |side: &[(bool, Vec<Access>)]| side.iter().filter(|(pair, _)| *pair).count();
    let (base_pairs, patch_pairs) = (pairs(&base), pairs(&patch));
    if base_pairs == patch_pairs {
        return (
            false,
            "the same number of LDP/STP on both sides: not a fusion change".to_owned(),
        );
    }
    let shape = |side: &[(bool, Vec<Access>)]| {
        let mut list: Vec<(bool, char, String, String)> = side
            .iter()
            .flat_map(|(_, list)| {
                list.iter()
                    .map(|a| (a.load, a.class, a.reg.clone(), a.base.clone()))
            })
            .collect();
        list.sort();
        list
    };
    if shape(&base) != shape(&patch) {
        return (
            false,
            "the two sides do not access the same registers off the same bases".to_owned(),
        );
    }
    let flat = |side: &[(bool, Vec<Access>)], pairs: bool| -> Vec<Access> {
        side.iter()
            .filter(|(pair, _)| *pair == pairs)
            .flat_map(|(_, list)| list.iter().cloned())
            .collect()
    };
    // A pair the patched build makes must do what the baseline's accesses did.
    let base_all: Vec<Access> = base
        .iter()
        .flat_map(|(_, list)| list.iter().cloned())
        .collect();
    for access in flat(&patch, true) {
        if !base_all.contains(&access) {
            return (
                false,
                format!(
                    "the patched build's pair puts {} at #{}, where the baseline does not",
                    access.reg, access.offset
                ),
            );
        }
    }
    let patch_all: Vec<Access> = patch
        .iter()
        .flat_map(|(_, list)| list.iter().cloned())
        .collect();
    let moved: Vec<String> = flat(&base, true)
        .into_iter()
        .filter_map(|access| {
            let there = patch_all.iter().find(|p| {
                (p.load, p.class, &p.reg, &p.base)
                    == (access.load, access.class, &access.reg, &access.base)
            })?;
            (there.offset != access.offset).then(|| {
                format!(
                    "{} at #{} on the baseline, #{} on the patched build",
                    access.reg, access.offset, there.offset
                )
            })
        })
        .collect();
    let direction = if base_pairs > patch_pairs {
        "the baseline's LDP/STP is split"
    } else {
        "the patched build fuses"
    };
    let mut reason = format!("{direction}: same accesses, fused differently");
    if !moved.is_empty() {
        reason.push_str(&format!(" ({})", moved.join("; ")));
    }
    (true, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn wrong_fusion_split_by_the_patch_is_explained() {
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
    fn new_fusion_must_cover_what_the_baseline_accessed() {
        let base = [
            "ldr x1, [x2, #8]".to_owned(),
            "ldr x3, [x2, #16]".to_owned(),
        ];
        let right = ["ldp x1, x3, [x2, #8]".to_owned()];
        assert!(classify(&base, &right).0);
        let wrong = ["ldp x1, x3, [x2, #16]".to_owned()];
        assert!(!classify(&base, &wrong).0);
    }

    #[test]
    fn other_changes_are_unexplained() {
        let cases: [(&[&str], &[&str]); 4] = [
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
        ];
        for (base, patch) in cases {
            let result = compare_lines(1, String::new(), &lines(base), &lines(patch));
            assert!(
                !result.explained && !result.sites[0].explained,
                "{base:?} -> {patch:?}: {:?}",
                result.sites
            );
        }
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
        assert!(result.sites[0].explained && !result.sites[1].explained);
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
            format: super::super::capture::FORMAT.to_owned(),
            script: "t.lua".to_owned(),
            error: None,
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
}
