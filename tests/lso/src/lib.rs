//! The exhaustive check of `emit_lso`: every input that decides what it
//! emits, run through the tree's own function (see `harness.c`), every
//! result judged by an oracle that decodes words with yaxpeax-arm.
//!
//! An input is a kind (LDRB … STRD), an offset the kind accepts, a register
//! relation, the previous word at `*mcp` and whether that word is the loop
//! label. The previous words are every access of the same kind off the same
//! base at every encodable offset in both forms, the neighbouring accesses
//! off another base, and an unrelated instruction.
//!
//! The property: the emitted words do what the two original accesses do in
//! program order (same addresses, widths, registers and direction, also when
//! the first one overwrites the base), every word is a valid encoding, and
//! nothing is fused across the loop label.

pub mod access;
pub mod harness;
mod report;

use std::collections::BTreeMap;
use std::time::Instant;

use access::{Access, Decoded, KINDS, Kind, decode};
use harness::Emitted;
pub use harness::Harness;
pub use report::{Domain, LsoClass, LsoReport, NeverGiven};

/// The checker's own source, for keys of cached results: a changed oracle
/// or harness must not reuse what the old one computed.
pub const SOURCES: [&str; 5] = [
    include_str!("lib.rs"),
    include_str!("access.rs"),
    include_str!("harness.rs"),
    include_str!("report.rs"),
    include_str!("../harness.c"),
];

/// (name, rd, rn, register of the previous access). x19 is LuaJIT's BASE,
/// so counterexamples read like the trace code they come from.
const RELATIONS: [(&str, u32, u32, u32); 3] = [
    ("distinct registers", 30, 19, 0),
    ("destination is the base", 19, 19, 0),
    ("equal data registers", 30, 19, 30),
];
const OTHER_BASE: u32 = 20;

/// Inputs upstream reports named: (kind, first offset, previous offset).
/// When a tree gets one wrong, it leads its class's examples.
const PINNED: [(&str, i64, i64); 3] = [("str x", 488, -16), ("str x", 504, -16), ("str w", 1, 5)];
/// `nop`: a previous word that is no load or store at all.
const UNRELATED: u32 = 0xd503_201f;

/// Checks the emit_lso that `harness` calls over `domain`, calling
/// `progress` with each kind's name as its turn comes.
pub fn check(
    harness: &Harness,
    domain: Domain,
    progress: impl Fn(&str) + Sync,
) -> Result<LsoReport, String> {
    let started = Instant::now();
    let tree_kinds = harness.tree_kinds();
    let architecture: Vec<u32> = KINDS.iter().map(|k| k.opcode).collect();
    if tree_kinds != architecture {
        return Err(format!(
            "the tree's load/store encodings {tree_kinds:08x?} differ from the architecture's {architecture:08x?}; the harness table is out of step with the tree"
        ));
    }
    // Kinds are independent: spread them over the cores, then merge in kind
    // order so the report does not depend on scheduling.
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(KINDS.len());
    let mut per_kind: Vec<(usize, Tally)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let progress = &progress;
                scope.spawn(move || {
                    (worker..KINDS.len())
                        .step_by(workers)
                        .map(|index| {
                            progress(KINDS[index].name);
                            (index, check_kind(harness, index, domain))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a check worker panicked"))
            .collect()
    });
    per_kind.sort_by_key(|(index, _)| *index);
    let mut tally = Tally::default();
    for (_, part) in per_kind {
        tally.merge(part);
    }
    Ok(tally.into_report(started.elapsed().as_millis() as u64))
}

/// Every input of one kind.
fn check_kind(harness: &Harness, index: usize, domain: Domain) -> Tally {
    let kind = &KINDS[index];
    let mut tally = Tally::default();
    let offsets: Vec<i64> = kind
        .offsets()
        .into_iter()
        .filter(|&o| domain.covers(o))
        .collect();
    for &(_, rd, rn, prev_reg) in &RELATIONS {
        let prevs = previous_words(kind, rn, prev_reg, &offsets);
        for &offset in &offsets {
            let first = kind.access(rd, rn, offset);
            let other_base: Vec<u32> = [offset - kind.size as i64, offset + kind.size as i64]
                .into_iter()
                .flat_map(|neighbour| encodings(kind, prev_reg, OTHER_BASE, neighbour))
                .collect();
            for at_loop in [false, true] {
                let lone = harness.emit(index, rd, rn, offset, UNRELATED, at_loop);
                tally.cases += 1;
                tally.judge(first, UNRELATED, at_loop, lone);
                let lone_right = lone.len == 2
                    && matches!(decode(lone.words[0]), Decoded::Single(a) if a.same_effect(&first));
                let found =
                    harness.sweep(index, rd, rn, offset, lone.words[0], &prevs.words, at_loop);
                tally.cases += prevs.words.len() as u64;
                if !lone_right {
                    // Every unreported call produced the same wrong lone word.
                    let unreported = (prevs.words.len() - found.len()) as u64;
                    tally.add_defect("wrong single access", unreported);
                }
                for &(i, emitted) in &found {
                    tally.judge(first, prevs.words[i], at_loop, emitted);
                }
                if !at_loop {
                    for i in prevs.neighbours(kind, offset) {
                        if !found.iter().any(|&(f, _)| f == i) {
                            tally.unfused(first, prevs.words[i]);
                        }
                    }
                }
                // Off another base nothing may fuse, so only results other than the plain one count.
                for &word in &other_base {
                    let emitted = harness.emit(index, rd, rn, offset, word, at_loop);
                    tally.cases += 1;
                    if emitted.words() != [lone.words[0], word] {
                        tally.judge(first, word, at_loop, emitted);
                    }
                }
            }
        }
    }
    tally
}

/// The same-kind, same-base previous words, in ascending offset order.
struct PreviousWords {
    words: Vec<u32>,
    /// The offset each word accesses.
    offsets: Vec<i64>,
}

impl PreviousWords {
    /// Indices of the words that access the slot right below or above `offset`.
    fn neighbours(&self, kind: &Kind, offset: i64) -> impl Iterator<Item = usize> {
        let size = kind.size as i64;
        [offset - size, offset + size].into_iter().flat_map(|at| {
            let start = self.offsets.partition_point(|&o| o < at);
            let end = self.offsets.partition_point(|&o| o <= at);
            start..end
        })
    }
}

fn previous_words(kind: &Kind, base: u32, reg: u32, offsets: &[i64]) -> PreviousWords {
    let mut words = Vec::new();
    let mut at = Vec::new();
    for &offset in offsets {
        for word in encodings(kind, reg, base, offset) {
            words.push(word);
            at.push(offset);
        }
    }
    PreviousWords { words, offsets: at }
}

/// The encodings of one access in each form it has.
fn encodings(kind: &Kind, reg: u32, base: u32, offset: i64) -> Vec<u32> {
    let mut words = Vec::new();
    if kind.u12_encodable(offset) {
        words.push(kind.encode_u12(reg, base, offset));
    }
    if Kind::s9_encodable(offset) {
        words.push(kind.encode_s9(reg, base, offset));
    }
    words
}

/// What one result is.
#[derive(Debug, PartialEq)]
enum Verdict {
    Separate,
    Fused,
    Defect { class: &'static str, why: String },
    Hazard { class: &'static str, why: String },
}

/// Judges emit_lso's result for `first` emitted before the word `prev`.
fn judge(first: Access, prev: u32, at_loop: bool, emitted: Emitted) -> Verdict {
    let defect = |class, why: String| Verdict::Defect { class, why };
    match emitted.len {
        2 => {
            if emitted.words[1] != prev {
                return defect(
                    "previous instruction changed",
                    "the previous word was rewritten but nothing was fused".to_owned(),
                );
            }
            match decode(emitted.words[0]) {
                Decoded::Single(access) if access.same_effect(&first) => Verdict::Separate,
                other => defect(
                    "wrong single access",
                    format!("expected {first}, emitted {other}"),
                ),
            }
        }
        1 => {
            let fused = decode(emitted.words[0]);
            if at_loop {
                return defect(
                    "loop label crossed",
                    "fused with the instruction at the loop label".to_owned(),
                );
            }
            let (low, high) = match fused {
                Decoded::Pair { first, second } => (first, second),
                Decoded::Invalid => {
                    return defect(
                        "invalid encoding",
                        "the fused word is no valid instruction".to_owned(),
                    );
                }
                other => {
                    return defect(
                        "wrong instruction",
                        format!("the fused word is `{other}`, not a load/store pair"),
                    );
                }
            };
            let Decoded::Single(second) = decode(prev) else {
                return defect(
                    "fused with an unrelated instruction",
                    "the previous word is no load or store".to_owned(),
                );
            };
            if first.size < 4 || !low.same_kind(&first) || !second.same_kind(&first) {
                return defect(
                    "wrong access kind",
                    format!(
                        "{} of {} bytes fused into a pair of {}",
                        direction(&first),
                        first.size,
                        low.size
                    ),
                );
            }
            if first.load && first.reg == first.base {
                return defect(
                    "base clobbered",
                    format!(
                        "the first load overwrites x{}, the base of the second",
                        first.base
                    ),
                );
            }
            if second.base != first.base || low.base != first.base {
                return defect(
                    "wrong base register",
                    format!("accesses off x{} and x{} fused", first.base, second.base),
                );
            }
            let same = (low.same_effect(&first) && high.same_effect(&second))
                || (low.same_effect(&second) && high.same_effect(&first));
            if same {
                if first.load && low.reg == high.reg {
                    return Verdict::Hazard {
                        class: "ldp with equal destinations",
                        why: "LDP with both destinations equal is CONSTRAINED UNPREDICTABLE"
                            .to_owned(),
                    };
                }
                return Verdict::Fused;
            }
            let why = misplaced(&[first, second], &[low, high]);
            defect(misfusion_class(&first, &second, &[low, high]), why)
        }
        n => defect("invalid emitter result", format!("emit_lso left {n} words")),
    }
}

/// Names what went wrong in a pair fused with the wrong effect, by how far
/// the accesses moved: by a multiple of 512 bytes the 9-bit offset aliased
/// (LuaJIT#1075); by less than the access size the offset was truncated to
/// the alignment (LuaJIT#1056); an aligned neighbour pair beyond the imm7
/// range wrapped.
fn misfusion_class(first: &Access, second: &Access, actual: &[Access; 2]) -> &'static str {
    let size = first.size as i64;
    let lower = first.offset.min(second.offset);
    let neighbours = (first.offset - second.offset).abs() == size && lower % size == 0;
    if neighbours && !(-64 * size..=63 * size).contains(&lower) {
        return "imm7 out of range";
    }
    let offsets = [actual[0].offset, actual[1].offset];
    if offsets.contains(&first.offset) && offsets.contains(&second.offset) {
        return "wrong registers";
    }
    let moves: Vec<i64> = displaced(&[*first, *second], actual)
        .into_iter()
        .filter_map(|(_, want, got)| got.map(|g| g.offset - want.offset))
        .collect();
    // A move by about a multiple of 512 (give or take a truncation) is an alias.
    let aliased = |d: i64| {
        let wraps = (d as f64 / 512.0).round() as i64;
        wraps != 0 && (d - 512 * wraps).abs() < size
    };
    if moves.iter().any(|&d| aliased(d)) {
        "offset alias"
    } else if !moves.is_empty() && moves.iter().all(|d| d.abs() < size) {
        "misaligned pair"
    } else {
        "wrong offset"
    }
}

/// The expected accesses the fused pair does not perform, each with the
/// access of the pair that took its register instead, if any.
fn displaced(expected: &[Access; 2], actual: &[Access; 2]) -> Vec<(usize, Access, Option<Access>)> {
    let stray: Vec<Access> = actual
        .iter()
        .copied()
        .filter(|a| !expected.iter().any(|e| e.same_effect(a)))
        .collect();
    let missing: Vec<(usize, Access)> = expected
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, want)| !actual.iter().any(|a| a.same_effect(want)))
        .collect();
    // Pair each missing access with the stray access that took its register,
    // choosing the pairing that moves the accesses least, counting a move by
    // a multiple of 512 (an aliased 9-bit offset) as no move (at most 2 × 2).
    let cost = |want: &Access, got: Option<&Access>| {
        got.map_or(i64::MAX / 4, |g| {
            let d = g.offset - want.offset;
            (d - 512 * (d as f64 / 512.0).round() as i64).abs()
        })
    };
    let take = |order: [usize; 2]| -> Vec<(usize, Access, Option<Access>)> {
        missing
            .iter()
            .zip(order)
            .map(|(&(index, want), i)| {
                (
                    index,
                    want,
                    stray.get(i).copied().filter(|g| g.reg == want.reg),
                )
            })
            .collect()
    };
    let straight = take([0, 1]);
    let crossed = take([1, 0]);
    let total = |found: &[(usize, Access, Option<Access>)]| {
        found
            .iter()
            .map(|(_, w, g)| cost(w, g.as_ref()))
            .sum::<i64>()
    };
    if total(&crossed) < total(&straight) {
        crossed
    } else {
        straight
    }
}

/// Says where each expected access went, e.g. `second store lands at +496, expected -16`.
fn misplaced(expected: &[Access; 2], actual: &[Access; 2]) -> String {
    let notes: Vec<String> = displaced(expected, actual)
        .into_iter()
        .map(|(index, want, got)| {
            let ordinal = ["first", "second"][index];
            let (what, verb) = if want.load {
                ("load", "reads from")
            } else {
                ("store", "lands at")
            };
            match got {
                Some(got) if got.base != want.base => {
                    format!("{ordinal} {what} is made off x{}", got.base)
                }
                Some(got) => format!(
                    "{ordinal} {what} {verb} {:+}, expected {:+}",
                    got.offset, want.offset
                ),
                None => format!("{ordinal} {what} uses the wrong register"),
            }
        })
        .collect();
    if notes.is_empty() {
        "the pair's registers are swapped".to_owned()
    } else {
        notes.join("; ")
    }
}

fn direction(access: &Access) -> &'static str {
    if access.load { "a load" } else { "a store" }
}

/// A neighbour emit_lso never emits, so no caller gives it as the previous
/// word: the LDUR/STUR form at an offset the scaled LDR/STR form encodes
/// (aligned and non-negative; every such S9 offset is in the U12 range).
fn never_given(prev: &Access) -> bool {
    prev.unscaled && prev.offset >= 0 && prev.offset % prev.size as i64 == 0
}

/// Legal to fuse: what the emitter should fuse (and so may miss).
fn fusable(first: &Access, second: &Access) -> bool {
    let size = first.size as i64;
    let lower = first.offset.min(second.offset);
    first.size >= 4
        && first.same_kind(second)
        && first.base == second.base
        && (first.offset - second.offset).abs() == size
        && lower % size == 0
        && (-64 * size..=63 * size).contains(&lower)
        && !(first.load && (first.reg == first.base || first.reg == second.reg))
}

/// Counts and examples of one class while the check runs. Examples of
/// pinned inputs are kept in full; others only while there is room.
#[derive(Default)]
struct ClassTally {
    count: u64,
    examples: Vec<(bool, String)>,
}

impl ClassTally {
    fn add(&mut self, count: u64, example: Option<(bool, String)>) {
        self.count += count;
        if let Some((pinned, text)) = example
            && (pinned || self.examples.iter().filter(|(p, _)| !p).count() < 3)
        {
            self.examples.push((pinned, text));
        }
    }

    fn merge(&mut self, other: ClassTally) {
        self.count += other.count;
        for example in other.examples {
            self.add(0, Some(example));
        }
    }

    fn finish(mut self, class: &str) -> LsoClass {
        // Pinned inputs lead; otherwise the order the inputs were checked in.
        self.examples.sort_by_key(|(pinned, _)| !pinned);
        LsoClass {
            class: class.to_owned(),
            upstream: upstream(class).map(str::to_owned),
            count: self.count,
            examples: self
                .examples
                .into_iter()
                .take(3)
                .map(|(_, text)| text)
                .collect(),
        }
    }
}

#[derive(Default)]
struct Tally {
    cases: u64,
    fused: u64,
    defects: BTreeMap<&'static str, ClassTally>,
    hazards: BTreeMap<&'static str, ClassTally>,
    missed: ClassTally,
    never_given: NeverGiven,
}

impl Tally {
    /// Judges one result; the caller counts the call in `cases`.
    fn judge(&mut self, first: Access, prev: u32, at_loop: bool, emitted: Emitted) {
        let example = |why: &str| {
            let output: Vec<String> = emitted
                .words()
                .iter()
                .map(|&w| decode(w).to_string())
                .collect();
            let label = if at_loop { " (loop label)" } else { "" };
            let text = format!(
                "{first} ; {}{label}  ->  {}  ({why})",
                decode(prev),
                output.join(" ; ")
            );
            Some((pinned(&first, prev), text))
        };
        match judge(first, prev, at_loop, emitted) {
            Verdict::Separate => {}
            Verdict::Fused => match decode(prev) {
                Decoded::Single(second) if never_given(&second) => self.never_given.fused += 1,
                _ => self.fused += 1,
            },
            Verdict::Defect { class, why } => {
                self.defects.entry(class).or_default().add(1, example(&why))
            }
            Verdict::Hazard { class, why } => {
                self.hazards.entry(class).or_default().add(1, example(&why))
            }
        }
    }

    fn add_defect(&mut self, class: &'static str, count: u64) {
        if count > 0 {
            self.defects.entry(class).or_default().add(count, None);
        }
    }

    /// Called for results left as two instructions: counts legal pairs.
    fn unfused(&mut self, first: Access, prev: u32) {
        let Decoded::Single(second) = decode(prev) else {
            return;
        };
        if fusable(&first, &second) && never_given(&second) {
            self.never_given.unfused += 1;
        } else if fusable(&first, &second) {
            self.missed.add(
                1,
                Some((
                    false,
                    format!("{first} ; {second}  left as two instructions"),
                )),
            );
        }
    }

    fn merge(&mut self, other: Tally) {
        self.cases += other.cases;
        self.fused += other.fused;
        for (class, part) in other.defects {
            self.defects.entry(class).or_default().merge(part);
        }
        for (class, part) in other.hazards {
            self.hazards.entry(class).or_default().merge(part);
        }
        self.missed.merge(other.missed);
        self.never_given.fused += other.never_given.fused;
        self.never_given.unfused += other.never_given.unfused;
    }

    fn into_report(self, millis: u64) -> LsoReport {
        let order = |classes: BTreeMap<&'static str, ClassTally>| {
            let mut classes: Vec<LsoClass> = classes
                .into_iter()
                .map(|(class, t)| t.finish(class))
                .collect();
            classes.sort_by(|a, b| b.count.cmp(&a.count).then(a.class.cmp(&b.class)));
            classes
        };
        LsoReport {
            cases: self.cases,
            fused: self.fused,
            defects: order(self.defects),
            hazards: order(self.hazards),
            missed_fusions: self.missed.finish("missed fusion"),
            never_given: self.never_given,
            millis,
        }
    }
}

fn pinned(first: &Access, prev: u32) -> bool {
    let Decoded::Single(second) = decode(prev) else {
        return false;
    };
    PINNED.iter().any(|&(kind, at, next)| {
        let kind = KINDS
            .iter()
            .find(|k| k.name == kind)
            .expect("pinned kinds exist");
        first.same_kind(&kind.access(0, 0, 0))
            && (first.offset, second.offset) == (at, next)
            && first.reg != second.reg
            && first.reg != first.base
    })
}

/// The upstream issue whose defect a class is.
fn upstream(class: &str) -> Option<&'static str> {
    match class {
        "offset alias" => Some("LuaJIT#1075"),
        "misaligned pair" => Some("LuaJIT#1056"),
        "invalid encoding" => Some("LuaJIT#1028"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn str_x() -> &'static Kind {
        KINDS
            .iter()
            .find(|k| k.name == "str x")
            .expect("str x is a kind")
    }

    /// `stp x30, x0, [x19, #offset]`, the pair of `str x30` at `offset`
    /// and `str x0` right after it.
    fn stp(offset: i64) -> u32 {
        0xa900_0000 | (((offset / 8) as u32 & 0x7f) << 15) | (19 << 5) | 30
    }

    #[test]
    fn neighbours_no_caller_gives_are_counted_apart() {
        let kind = str_x();
        let mut tally = Tally::default();
        let first = kind.access(30, 19, 8);
        let fused = Emitted {
            words: [stp(8), 0],
            len: 1,
        };
        // The same pair, its neighbour written in each form.
        tally.judge(first, kind.encode_u12(0, 19, 16), false, fused);
        tally.judge(first, kind.encode_s9(0, 19, 16), false, fused);
        assert_eq!((tally.fused, tally.never_given.fused), (1, 1));

        // Left unfused: at +16 in the S9 form no caller gives it; at -8
        // only the S9 form exists, so that is a missed fusion.
        tally.unfused(first, kind.encode_s9(0, 19, 16));
        tally.unfused(kind.access(30, 19, 0), kind.encode_s9(0, 19, -8));
        assert_eq!(tally.never_given.unfused, 1);
        assert_eq!(tally.missed.count, 1);

        let report = tally.into_report(0);
        assert_eq!(
            (
                report.fused,
                report.never_given,
                report.missed_fusions.count
            ),
            (
                1,
                NeverGiven {
                    fused: 1,
                    unfused: 1
                },
                1
            )
        );
    }
}
