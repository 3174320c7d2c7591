//! Table and upvalue blocks: hot loops over a big hash part read and written
//! with constant keys (HREFK with large slot offsets), `pairs` traversals
//! whose bodies take side exits (key-index restores from snapshots), and
//! closures whose upvalue is open while the loop that calls them records and
//! closed when it runs again. Every checksum is independent of the order of a
//! hash part, which differs between processes of some builds.
//!
//! The hash part has 8192 nodes, so most keys land past slot 1365, the last
//! whose key an LDR reaches from the node array (24-byte nodes), and some on
//! the slots whose offset an ADD holds as a shifted immediate. A block may
//! switch, after an iteration or a round, to a twin table of as many nodes
//! holding the first half of the keys behind as many other keys inserted
//! first: its mask is the same, the keys sit in other slots, so the HREFK
//! guards the trace recorded on the first table fail on the second. Traversals of a hash part of 32 string
//! keys take their side exit only once a round or an iteration passes a
//! threshold, after the trace was recorded without it.

use std::fmt::Write as _;

use super::rng::Rng;

#[derive(Debug, Clone, PartialEq)]
pub struct TableBlock {
    pub items: u32,
    pub stmts: Vec<TableStmt>,
    /// When the block's reads and writes turn to the twin table.
    pub swap: Swap,
}

/// Which of the two big tables (`H`, or `H2` with its first `SWAP_KEYS`
/// keys in other slots) a block reads and writes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Swap {
    /// `H` throughout.
    Never,
    /// `H2` after this iteration of every call.
    Iteration(u32),
    /// `H2` after this round, in calls whose loop is already compiled.
    Round(u32),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TableStmt {
    /// `s = s + H.kN`: a constant key of the big hash part.
    HashRead(u32),
    /// `H.kN = H.kN + i`: a store under a constant key.
    HashWrite(u32),
    /// A traversal of a small table summing its values, with a side exit.
    PairsSum(u32),
    /// A traversal of a hash part of 32 string keys (values 1 to 32) whose
    /// side exit is taken only where `v + i` (or `v + n`, the round) passes
    /// `32 + after`: in later iterations or rounds, not the first ones.
    PairsLate { after: u32, by_round: bool },
    /// Calls a closure made in this iteration, its upvalue closed.
    Closure,
}

/// Keys of the big hash part: `k1` ... `kHASH_KEYS`, filling a hash part of
/// as many nodes.
pub const HASH_KEYS: u32 = 8192;

/// The last slot of a hash part whose key an LDR's scaled 12-bit offset
/// reaches: 4095 * 8 bytes over 24-byte nodes.
pub const LDR_SLOTS: u32 = 4095 * 8 / 24;

// Most of the hash part (and so most keys) past the LDR's reach.
const _: () = assert!(HASH_KEYS >= 4 * LDR_SLOTS);

/// The keys of `H` that `H2` holds too, behind as many fillers (`x1` ...):
/// the keys of a block that swaps tables.
pub const SWAP_KEYS: u32 = HASH_KEYS / 2;

/// Keys (and values) of the traversed hash part `Q`.
const LATE_KEYS: u32 = 32;

/// The tables every table block uses.
pub fn state() -> String {
    format!(
        r#"local H, H2 = {{}}, {{}}
for k = 1, {HASH_KEYS} do H["k" .. k] = k end
for k = 1, {SWAP_KEYS} do H2["x" .. k] = k end
for k = 1, {SWAP_KEYS} do H2["k" .. k] = k end
local P = {{ a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7 }}
local Q = {{}}
for k = 1, {LATE_KEYS} do Q["q" .. k] = k end
local function maker(n)
  local u = n
  local function bump() u = u + 1 return u end
  for _ = 1, 3 do bump() end
  return bump
end
"#
    )
}

/// What goes into the checksum at the end: every value the blocks may have
/// written, in both big tables.
pub fn checksum() -> String {
    format!(
        "do local z = 0 for k = 1, {HASH_KEYS} do z = (z + H[\"k\" .. k]) % 4294967291 end for k = 1, {SWAP_KEYS} do z = (z + 3 * H2[\"k\" .. k]) % 4294967291 end mix(z) end\n"
    )
}

pub fn block(rng: &mut Rng) -> TableBlock {
    let count = rng.range(1, 5);
    let mut stmts: Vec<TableStmt> = (0..count)
        .map(|_| match rng.range(0, 6) {
            0 | 1 => TableStmt::HashRead(key(rng)),
            2 => TableStmt::HashWrite(key(rng)),
            3 => TableStmt::PairsSum(rng.range(2, 5) as u32),
            4 => TableStmt::PairsLate {
                after: rng.range(1, 6) as u32,
                by_round: rng.chance(50),
            },
            _ => TableStmt::Closure,
        })
        .collect();
    let items = rng.range(2, 60) as u32;
    let swap = match rng.range(0, 2) {
        0 => Swap::Never,
        1 => Swap::Iteration(rng.range(1, items as i64 - 1) as u32),
        _ => Swap::Round(rng.range(1, 3) as u32),
    };
    if swap != Swap::Never {
        for stmt in &mut stmts {
            if let TableStmt::HashRead(k) | TableStmt::HashWrite(k) = stmt {
                *k = (*k - 1) % SWAP_KEYS + 1;
            }
        }
    }
    TableBlock { items, stmts, swap }
}

/// A key anywhere in the table. Where it lands depends on the string hash,
/// seeded per process in some builds: most of the table is past
/// `LDR_SLOTS`, so most keys are too.
fn key(rng: &mut Rng) -> u32 {
    rng.range(1, HASH_KEYS as i64) as u32
}

impl TableBlock {
    pub fn render(&self, index: usize, lua: &mut String) {
        let _ = writeln!(lua, "local function b{index}(n)");
        let _ = writeln!(lua, "  local s = n");
        if let Swap::Round(r) = self.swap {
            let _ = writeln!(lua, "  local T = n > {r} and H2 or H");
        } else {
            let _ = writeln!(lua, "  local T = H");
        }
        let _ = writeln!(lua, "  for i = 1, {} do", self.items);
        if let Swap::Iteration(k) = self.swap {
            let _ = writeln!(lua, "    if i > {k} then T = H2 end");
        }
        for stmt in &self.stmts {
            let line = match *stmt {
                TableStmt::HashRead(k) => format!("s = s + T.k{k}"),
                TableStmt::HashWrite(k) => format!("T.k{k} = (T.k{k} + i) % 65536"),
                TableStmt::PairsSum(m) => format!(
                    "for _, v in pairs(P) do if v % {m} == 0 then s = s + v else s = s + 1 end end"
                ),
                TableStmt::PairsLate { after, by_round } => {
                    let counter = if by_round { "n" } else { "i" };
                    format!(
                        "for _, v in pairs(Q) do if v + {counter} > {} then s = s + 2 * v else s = s + 1 end end",
                        LATE_KEYS + after
                    )
                }
                TableStmt::Closure => "local f = maker(i); s = s + f() + f()".to_owned(),
            };
            let _ = writeln!(lua, "    {line}");
        }
        let _ = writeln!(lua, "  end\n  return s % 4294967291\nend");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_of_the_hash_part_is_past_the_ldr_reach() {
        assert_eq!(LDR_SLOTS, 1365);
        // A power of two: the keys fill the hash part, no node is left over.
        assert!(HASH_KEYS.is_power_of_two());
        let mut rng = Rng::new(4);
        let keys: Vec<u32> = (0..500)
            .flat_map(|_| block(&mut rng).stmts)
            .filter_map(|s| match s {
                TableStmt::HashRead(k) | TableStmt::HashWrite(k) => Some(k),
                _ => None,
            })
            .collect();
        assert!(keys.iter().all(|k| (1..=HASH_KEYS).contains(k)));
        assert!(keys.iter().filter(|&&k| k > LDR_SLOTS).count() * 2 > keys.len());
        // Both tables have as many keys, so the same mask.
        let state = state();
        assert!(state.contains(&format!("for k = 1, {HASH_KEYS} do H[")));
        assert_eq!(2 * SWAP_KEYS, HASH_KEYS);
        assert!(state.contains(&format!("for k = 1, {SWAP_KEYS} do H2[\"x\"")));
        assert!(state.contains(&format!("for k = 1, {SWAP_KEYS} do H2[\"k\"")));
    }

    #[test]
    fn guards_meet_both_outcomes_after_recording() {
        let mut rng = Rng::new(6);
        let blocks: Vec<TableBlock> = (0..300).map(|_| block(&mut rng)).collect();
        for b in &blocks {
            if let Swap::Iteration(k) = b.swap {
                assert!(k >= 1 && k < b.items, "{b:?}");
            }
            // A block that turns to `H2` reads only keys `H2` holds.
            if b.swap != Swap::Never {
                for stmt in &b.stmts {
                    if let TableStmt::HashRead(k) | TableStmt::HashWrite(k) = stmt {
                        assert!((1..=SWAP_KEYS).contains(k), "{b:?}");
                    }
                }
            }
        }
        assert!(blocks.iter().any(|b| matches!(b.swap, Swap::Round(_))));
        assert!(blocks.iter().any(|b| b.swap == Swap::Never));
        let late: Vec<(u32, bool)> = blocks
            .iter()
            .flat_map(|b| &b.stmts)
            .filter_map(|s| match *s {
                TableStmt::PairsLate { after, by_round } => Some((after, by_round)),
                _ => None,
            })
            .collect();
        // The exit is never taken in the first iteration of the first round:
        // there `v + 1 <= LATE_KEYS + 1 <= LATE_KEYS + after`.
        assert!(late.iter().all(|(after, _)| *after >= 1));
        assert!(late.iter().any(|(_, r)| *r) && late.iter().any(|(_, r)| !*r));
    }

    #[test]
    fn a_rendered_block_turns_to_the_twin_table() {
        let block = TableBlock {
            items: 9,
            stmts: vec![
                TableStmt::HashRead(4000),
                TableStmt::PairsLate {
                    after: 2,
                    by_round: true,
                },
            ],
            swap: Swap::Iteration(3),
        };
        let mut lua = String::new();
        block.render(5, &mut lua);
        assert_eq!(
            lua,
            "local function b5(n)\n  local s = n\n  local T = H\n  for i = 1, 9 do\n    if i > 3 then T = H2 end\n    s = s + T.k4000\n    for _, v in pairs(Q) do if v + n > 34 then s = s + 2 * v else s = s + 1 end end\n  end\n  return s % 4294967291\nend\n"
        );
    }
}
