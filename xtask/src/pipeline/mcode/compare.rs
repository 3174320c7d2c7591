//! Matches the traces of two captures of one workload (by number, then IR),
//! diffs the normalised machine code of each matched pair and sorts every
//! differing site into one of three classes (see `SiteClass`): a baseline
//! mis-fusion the series corrects, a legal fusion it gives up, or
//! unexplained. Also finds LDPs whose two destinations are one register.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};
use serde::Serialize;
use similar::{Algorithm, DiffOp, DiffTag, TextDiff, capture_diff_slices, group_diff_ops};

use super::normalise::{Known, trace_lines};
use contract::capture::{Capture, Trace};

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

/// What a differing site shows. Only the last is a reason to look further:
/// the first is the defect the series fixes, the second what the fix costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SiteClass {
    /// The baseline's LDP/STP touches an address the patched build's
    /// accesses of that register do not: the baseline fused two accesses
    /// that were no neighbours, and the series splits them.
    MisfusionCorrected,
    /// The baseline's LDP/STP touches exactly the addresses the patched
    /// build's plain accesses do: a right fusion the series no longer makes.
    FusionGivenUp,
    /// The baseline's LDP/STP joins an access from across a label or
    /// another instruction to its neighbour; the patched build makes the
    /// same accesses, each where its own instructions put it. How a fix
    /// that moves a store off a branch target (LuaJIT#1057's) shows.
    FusionAcrossLabelCorrected,
    /// The trace makes the same loads and stores on both builds, each
    /// between the same instructions, in another order, and no two accesses
    /// to one address change places.
    Reordered,
    Unexplained,
}

impl SiteClass {
    pub fn explained(self) -> bool {
        self != SiteClass::Unexplained
    }

    /// As the text report names it.
    pub fn label(self) -> &'static str {
        match self {
            SiteClass::MisfusionCorrected => "baseline mis-fusion corrected",
            SiteClass::FusionGivenUp => "legal fusion given up",
            SiteClass::FusionAcrossLabelCorrected => "baseline fusion across a label corrected",
            SiteClass::Reordered => "same accesses reordered",
            SiteClass::Unexplained => "UNEXPLAINED",
        }
    }
}

/// One run of changed lines in a trace's machine code.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// Direction, register, base and offset of one access.
type AccessKey = (bool, String, String, i64);

/// A memory access of any width, for telling reorderings apart: direction,
/// register, base and offset, whether it is half of a pair, and the run of
/// accesses it sits in (runs are cut by every other instruction and label).
#[derive(Debug, Clone)]
struct Placed {
    key: AccessKey,
    pair: bool,
    run: usize,
}

/// A line as memory accesses: LDR/STR/LDP/STP as `accesses` reads them,
/// plus byte and halfword loads and stores.
fn memory_accesses(line: &str) -> Option<(bool, Vec<AccessKey>)> {
    let as_keys = |(pair, list): (bool, Vec<Access>)| {
        let keys = list
            .into_iter()
            .map(|a| (a.load, a.reg, a.base, a.offset))
            .collect();
        (pair, keys)
    };
    if let Some(found) = accesses(line) {
        return Some(as_keys(found));
    }
    let (mnemonic, rest) = line.split_once(' ')?;
    let load = match mnemonic {
        "ldrb" | "ldrh" | "ldurb" | "ldurh" => true,
        "strb" | "strh" | "sturb" | "sturh" => false,
        _ => return None,
    };
    let (register, address) = rest.split_once(", [")?;
    let address = address.strip_suffix(']')?;
    let (base, offset) = match address.split_once(", #") {
        Some((base, offset)) => (base, offset.parse().ok()?),
        None => (address, 0),
    };
    Some((
        false,
        vec![(
            load,
            format!("{mnemonic}:{register}"),
            base.to_owned(),
            offset,
        )],
    ))
}

/// Every access of a trace with its run, and the other lines in order.
fn placed(lines: &[String]) -> (Vec<Placed>, Vec<String>, Vec<String>) {
    let (mut accesses, mut others, mut pairs) = (Vec::new(), Vec::new(), Vec::new());
    for line in lines {
        let line = line.trim();
        match memory_accesses(line) {
            Some((pair, keys)) => {
                if pair {
                    pairs.push(line.to_owned());
                }
                accesses.extend(keys.into_iter().map(|key| Placed {
                    key,
                    pair,
                    run: others.len(),
                }));
            }
            None => others.push(line.to_owned()),
        }
    }
    (accesses, others, pairs)
}

/// Whether two versions of a trace differ only in where their memory
/// accesses sit: every other line the same and in the same order, the same
/// accesses, the same order of accesses to each address, no LDP/STP on the
/// patched side the baseline lacks. Then either every access stays in its
/// run (a reordering), or the ones that leave it are halves of a baseline
/// pair: the baseline fused across the instructions between them.
fn reordering(baseline: &[String], patched: &[String]) -> Option<(SiteClass, &'static str)> {
    let (base, base_others, base_pairs) = placed(baseline);
    let (patch, patch_others, patch_pairs) = placed(patched);
    if base_others != patch_others || patch_pairs.iter().any(|p| !base_pairs.contains(p)) {
        return None;
    }
    let per_address = |side: &[Placed]| {
        let mut map: BTreeMap<(String, i64), Vec<(bool, String)>> = BTreeMap::new();
        for a in side {
            let (load, reg, base, offset) = a.key.clone();
            map.entry((base, offset)).or_default().push((load, reg));
        }
        map
    };
    if per_address(&base) != per_address(&patch) {
        return None;
    }
    // Same accesses in the same order per address: match the n-th access to
    // an address on one side with the n-th on the other.
    let mut moved_out_of_pairs = 0;
    for b in &base {
        let nth = base
            .iter()
            .filter(|x| x.key == b.key)
            .position(|x| std::ptr::eq(x, b))?;
        let p = patch.iter().filter(|x| x.key == b.key).nth(nth)?;
        if p.run != b.run {
            if !b.pair {
                return None;
            }
            moved_out_of_pairs += 1;
        }
    }
    Some(if moved_out_of_pairs > 0 {
        (
            SiteClass::FusionAcrossLabelCorrected,
            "the baseline's LDP/STP joins an access from across a label or another instruction; the patched build makes the same accesses, each between its own instructions",
        )
    } else {
        (
            SiteClass::Reordered,
            "the same loads and stores between the same instructions, in another order; no two accesses to one address change places",
        )
    })
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

/// The accesses of one side, grouped by what must not change (direction,
/// register class, register, base): for each, the offsets, each with
/// whether it is half of a pair.
type Grouped = BTreeMap<(bool, char, String, String), Vec<(i64, bool)>>;

fn grouped(side: &[(bool, Vec<Access>)]) -> Grouped {
    let mut groups = Grouped::new();
    for (pair, list) in side {
        for a in list {
            groups
                .entry((a.load, a.class, a.reg.clone(), a.base.clone()))
                .or_default()
                .push((a.offset, *pair));
        }
    }
    for offsets in groups.values_mut() {
        offsets.sort();
    }
    groups
}

/// Sorts a site into its class. Both sides must hold only loads and stores
/// (no writeback) making the same accesses by direction, register class,
/// register and base, fused differently; then the offsets decide, with the
/// patched side as the reference for where each access belongs:
///
/// - where they differ, each differing access must be half of a baseline
///   pair and a plain access on the patched side: the baseline's pair put it
///   at the wrong address (mis-fusion corrected);
/// - where they all agree and the baseline has more pairs, the baseline
///   fused right and the patched build no longer does (fusion given up);
/// - anything else, including a patched build that fuses more, or a pair
///   moved on both sides, is unexplained.
pub fn classify(baseline: &[String], patched: &[String]) -> (SiteClass, String) {
    let unexplained = |why: &str| (SiteClass::Unexplained, why.to_owned());
    let parse = |lines: &[String]| -> Option<Vec<(bool, Vec<Access>)>> {
        lines.iter().map(|l| accesses(l)).collect()
    };
    let (Some(base), Some(patch)) = (parse(baseline), parse(patched)) else {
        return unexplained("not only plain loads and stores");
    };
    let pairs = |side: &[(bool, Vec<Access>)]| side.iter().filter(|(pair, _)| *pair).count();
    let (base_pairs, patch_pairs) = (pairs(&base), pairs(&patch));
    if base_pairs == 0 && patch_pairs == 0 {
        return unexplained("no LDP/STP on either side: not a fusion change");
    }
    let (base_groups, patch_groups) = (grouped(&base), grouped(&patch));
    let shape = |groups: &Grouped| {
        groups
            .iter()
            .map(|(key, offsets)| (key.clone(), offsets.len()))
            .collect::<Vec<_>>()
    };
    if shape(&base_groups) != shape(&patch_groups) {
        return unexplained("the two sides do not access the same registers off the same bases");
    }
    let mut moved = Vec::new();
    for ((key, base_offsets), patch_offsets) in base_groups.iter().zip(patch_groups.values()) {
        let offsets = |list: &[(i64, bool)]| list.iter().map(|(o, _)| *o).collect::<Vec<_>>();
        if offsets(base_offsets) == offsets(patch_offsets) {
            continue;
        }
        let reg = &key.2;
        if patch_offsets.iter().any(|(_, pair)| *pair) {
            return (
                SiteClass::Unexplained,
                format!("the patched build's pair puts {reg} where the baseline does not"),
            );
        }
        // Plain baseline accesses of this register stay where they are; only
        // its pair halves may have been at the wrong address.
        let mut rest = offsets(patch_offsets);
        let mut wrong = Vec::new();
        for &(offset, pair) in base_offsets {
            match rest.iter().position(|o| *o == offset) {
                Some(index) => {
                    rest.remove(index);
                }
                None if pair => wrong.push(offset),
                None => {
                    return (
                        SiteClass::Unexplained,
                        format!(
                            "{reg} moved from #{offset} without a pair on the baseline to account for it"
                        ),
                    );
                }
            }
        }
        let fmt = |list: &[i64]| {
            list.iter()
                .map(|o| format!("#{o}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        moved.push(format!(
            "{reg} at {} on the baseline, {} on the patched build",
            fmt(&wrong),
            fmt(&rest)
        ));
    }
    let mnemonic = |side: &[(bool, Vec<Access>)]| {
        let load = side.iter().find(|(pair, _)| *pair).map(|(_, l)| l[0].load);
        if load == Some(true) { "LDP" } else { "STP" }
    };
    if !moved.is_empty() {
        return (
            SiteClass::MisfusionCorrected,
            format!(
                "the baseline's {} touches other addresses than the patched build's accesses: {}",
                mnemonic(&base),
                moved.join("; ")
            ),
        );
    }
    if base_pairs > patch_pairs {
        return (
            SiteClass::FusionGivenUp,
            format!(
                "the baseline's {} covers exactly the addresses the patched build accesses one by one",
                mnemonic(&base)
            ),
        );
    }
    if base_pairs == patch_pairs {
        return unexplained("the same accesses, paired differently on the two sides");
    }
    (
        SiteClass::Unexplained,
        format!(
            "the patched build makes an {} the baseline does not: the series is not expected to add fusions",
            mnemonic(&patch)
        ),
    )
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
