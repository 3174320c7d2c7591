//! Sorts a differing site of two listings into one of its classes (see
//! `SiteClass`): a baseline mis-fusion the series corrects, a legal fusion
//! it gives up, a fusion across a label corrected, the same accesses
//! reordered, or unexplained.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What a differing site shows. Only the last is a reason to look further:
/// the first is the defect the series fixes, the second what the fix costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Every differing instruction on both sides is of a kind the series
    /// says it changes (a `Machine-code: changes ...` trailer).
    ExpectedChange,
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
            SiteClass::ExpectedChange => "change the series states",
            SiteClass::Unexplained => "UNEXPLAINED",
        }
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
pub fn reordering(baseline: &[String], patched: &[String]) -> Option<(SiteClass, &'static str)> {
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

/// How one register's accesses moved between the sides: not at all
/// (`None`), only its baseline pair halves (the line saying where), or in a
/// way nothing explains (the reason).
fn moved_register(
    reg: &str,
    base_offsets: &[(i64, bool)],
    patch_offsets: &[(i64, bool)],
) -> Result<Option<String>, String> {
    let offsets = |list: &[(i64, bool)]| list.iter().map(|(o, _)| *o).collect::<Vec<_>>();
    if offsets(base_offsets) == offsets(patch_offsets) {
        return Ok(None);
    }
    if patch_offsets.iter().any(|(_, pair)| *pair) {
        return Err(format!(
            "the patched build's pair puts {reg} where the baseline does not"
        ));
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
                return Err(format!(
                    "{reg} moved from #{offset} without a pair on the baseline to account for it"
                ));
            }
        }
    }
    let fmt = |list: &[i64]| {
        list.iter()
            .map(|o| format!("#{o}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(Some(format!(
        "{reg} at {} on the baseline, {} on the patched build",
        fmt(&wrong),
        fmt(&rest)
    )))
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
        match moved_register(&key.2, base_offsets, patch_offsets) {
            Ok(Some(line)) => moved.push(line),
            Ok(None) => {}
            Err(why) => return (SiteClass::Unexplained, why),
        }
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
