//! Unfused blocks: hot loops whose references the backend cannot fuse into
//! the load or store that uses them, so it computes each into a register of
//! its own. A table made outside the loop has its constant array slots'
//! references hoisted above the loop, out of the body's fusion range, and a
//! slot beyond the offset an LDR holds needs an ADD (`asm_aref`, by a
//! shifted or a register offset). A store into the table the iteration
//! before made with a constructor goes through that table's reference,
//! carried around the loop in a register: the array of a table so made
//! lies right behind its header (colocated), at an offset from the table
//! itself. Substrings and plain searches hand a
//! string reference to a call (`asm_strref`); bytes at constant positions
//! of a string made at run time are loaded at an offset from it, near and
//! beyond the reach of an LDRB (`asm_fusexref`).

use std::fmt::Write as _;

use super::rng::Rng;

#[derive(Debug, Clone, PartialEq)]
pub struct UnfusedBlock {
    /// Iterations of the loop.
    pub items: u32,
    pub refs: Vec<Ref>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ref {
    /// `big[slot] = big[slot] + i`, read back into `s`.
    Slot { slot: u32 },
    /// `local x = made:sub(from, from + len)`, measured and compared with
    /// the substring of the iteration before.
    Sub { from: Position, len: u32 },
    /// `r[slot] = r[slot] + i` into the table of `len` slots the
    /// constructor made in the iteration before, kept and summed after the
    /// loop.
    Remade { slot: u32, len: u32 },
    /// `made:find("z", from, true)`: a plain search from a position.
    Find { from: Position },
    /// `string.byte(made, position)`.
    Byte { position: u32 },
}

/// Where a substring or a search starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Position {
    /// At `i + k`.
    Index(u32),
    /// At `k`.
    Constant(u32),
}

/// Array slots of the block's table: more than the 4095 an LDR's scaled
/// offset reaches.
const BIG_LEN: u32 = 6000;
/// `made` repeats `"q" .. n .. "z"` this often: at least 3 bytes each, so
/// it is longer than any position a block takes.
const MADE_REPEATS: u32 = 2000;
/// The byte an LDRB reaches at most from a string's header: 4095 less the
/// header (`sizeof(GCstr)`, 24 on GC64), less one for Lua's 1-based index.
const LDRB_REACH: u32 = 4072;
/// The largest `k` of a position relative to the loop variable.
const MAX_STEP: u32 = 40;
/// The most iterations a block has.
const MAX_ITEMS: u32 = 40;
/// The most slots a remade table has: a constructor of up to 15 values
/// makes a colocated array (`LJ_MAX_COLOSIZE`, 16 with slot 0).
const MAX_REMADE: u32 = 15;
/// How many of the remade tables a block keeps and sums after the loop.
const KEPT: u32 = 4;

pub fn block(rng: &mut Rng) -> UnfusedBlock {
    let count = rng.range(1, 5);
    UnfusedBlock {
        items: rng.range(8, MAX_ITEMS as i64) as u32,
        refs: (0..count).map(|_| reference(rng)).collect(),
    }
}

fn reference(rng: &mut Rng) -> Ref {
    match rng.range(0, 4) {
        0 => Ref::Slot {
            slot: slot_or_byte(rng, BIG_LEN),
        },
        1 => {
            let len = rng.range(1, MAX_REMADE as i64) as u32;
            Ref::Remade {
                slot: rng.range(1, len as i64) as u32,
                len,
            }
        }
        2 => Ref::Sub {
            from: position(rng),
            len: rng.range(0, 8) as u32,
        },
        3 => Ref::Find {
            from: position(rng),
        },
        _ => Ref::Byte {
            position: slot_or_byte(rng, MADE_REPEATS * 3),
        },
    }
}

/// A constant index: small, at the edge of an LDR's or LDRB's reach, a
/// multiple of 512 (whose byte offset an ADD holds as a shifted
/// immediate), or anywhere up to `end`.
fn slot_or_byte(rng: &mut Rng, end: u32) -> u32 {
    match rng.range(0, 4) {
        0 => rng.range(1, 40) as u32,
        1 => rng.range(LDRB_REACH as i64 - 2, LDRB_REACH as i64 + 2) as u32,
        2 => rng.range(4093, 4098) as u32,
        3 => 512 * rng.range(8, (end / 512) as i64) as u32,
        _ => rng.range(1, end as i64) as u32,
    }
}

fn position(rng: &mut Rng) -> Position {
    match rng.chance(70) {
        true => Position::Index(rng.range(0, MAX_STEP as i64) as u32),
        false => Position::Constant(rng.range(1, 5000) as u32),
    }
}

impl Position {
    fn lua(self) -> String {
        match self {
            Position::Index(0) => "i".to_owned(),
            Position::Index(k) => format!("i + {k}"),
            Position::Constant(k) => k.to_string(),
        }
    }
}

impl UnfusedBlock {
    /// The block's table (when a slot uses it) and its function, `b{index}(n)`.
    pub fn render(&self, index: usize, lua: &mut String) {
        let slots = self.refs.iter().any(|r| matches!(r, Ref::Slot { .. }));
        let big = format!("big{index}");
        if slots {
            let _ = writeln!(
                lua,
                "local {big} = {{}}\nfor k = 1, {BIG_LEN} do {big}[k] = k end"
            );
        }
        let _ = writeln!(lua, "local function b{index}(n)");
        let _ = writeln!(
            lua,
            "  local made = string.rep(\"q\" .. n .. \"z\", {MADE_REPEATS})"
        );
        let _ = writeln!(lua, "  local s, last = n, \"\"");
        for (k, reference) in self.refs.iter().enumerate() {
            if let Ref::Remade { len, .. } = *reference {
                let _ = writeln!(
                    lua,
                    "  local r{k}, kept{k} = {{ {} }}, {{}}",
                    vec!["n"; len as usize].join(", ")
                );
            }
        }
        let _ = writeln!(lua, "  for i = 1, {} do", self.items);
        for (k, reference) in self.refs.iter().enumerate() {
            let line = match *reference {
                Ref::Slot { slot } => {
                    format!("{big}[{slot}] = {big}[{slot}] + i; s = s + {big}[{slot}] % 1000")
                }
                Ref::Sub { from, len } => {
                    let from = from.lua();
                    format!(
                        "do local x = made:sub({from}, {from} + {len}); if x == last then s = s + 1 end; s = s + #x; last = x end"
                    )
                }
                Ref::Remade { slot, len } => {
                    let values: Vec<&str> = (0..len)
                        .map(|v| ["i", "n", "i + n"][v as usize % 3])
                        .collect();
                    format!(
                        "r{k}[{slot}] = r{k}[{slot}] + i; kept{k}[i % {KEPT} + 1] = r{k}; r{k} = {{ {} }}",
                        values.join(", ")
                    )
                }
                Ref::Find { from } => {
                    format!("s = s + (made:find(\"z\", {}, true) or 0)", from.lua())
                }
                Ref::Byte { position } => format!("s = s + string.byte(made, {position})"),
            };
            let _ = writeln!(lua, "    {line}");
        }
        let _ = writeln!(lua, "  end");
        for (k, reference) in self.refs.iter().enumerate() {
            if let Ref::Remade { len, .. } = *reference {
                let _ = writeln!(
                    lua,
                    "  for j = 1, {KEPT} do local t = kept{k}[j]; if t then for v = 1, {len} do s = s + t[v] end end end"
                );
            }
        }
        let _ = writeln!(lua, "  return s % 4294967291\nend");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_index_stays_in_the_table_and_the_string() {
        let shortest = 3 * MADE_REPEATS;
        let mut rng = Rng::new(13);
        let mut seen = [false; 5];
        for _ in 0..300 {
            let block = block(&mut rng);
            assert!(block.items <= MAX_ITEMS);
            for reference in block.refs {
                match reference {
                    Ref::Slot { slot } => {
                        seen[0] = true;
                        assert!((1..=BIG_LEN).contains(&slot), "{slot}");
                    }
                    Ref::Sub { from, len } => {
                        seen[1] = true;
                        assert!(farthest(from) + len <= shortest);
                    }
                    Ref::Remade { slot, len } => {
                        seen[4] = true;
                        assert!((1..=len).contains(&slot) && len <= MAX_REMADE);
                    }
                    Ref::Find { from } => {
                        seen[2] = true;
                        assert!(farthest(from) <= shortest);
                    }
                    Ref::Byte { position } => {
                        seen[3] = true;
                        assert!((1..=shortest).contains(&position), "{position}");
                    }
                }
            }
        }
        assert_eq!(seen, [true; 5]);
    }

    fn farthest(from: Position) -> u32 {
        match from {
            Position::Index(k) => MAX_ITEMS + k,
            Position::Constant(k) => k,
        }
    }

    #[test]
    fn slots_reach_both_sides_of_each_offset_limit() {
        let mut rng = Rng::new(3);
        let slots: Vec<u32> = (0..400).map(|_| slot_or_byte(&mut rng, BIG_LEN)).collect();
        // An LDR reaches slot 4095 (byte 32760); an LDRB reaches byte 4072.
        for limit in [4095, LDRB_REACH] {
            assert!(slots.contains(&limit), "no slot at {limit}");
            assert!(slots.contains(&(limit + 1)), "no slot past {limit}");
        }
        assert!(slots.iter().any(|s| s % 512 == 0 && *s > 4095));
    }

    #[test]
    fn a_rendered_block_declares_what_its_references_use() {
        let block = UnfusedBlock {
            items: 8,
            refs: vec![
                Ref::Slot { slot: 4608 },
                Ref::Sub {
                    from: Position::Index(2),
                    len: 1,
                },
                Ref::Find {
                    from: Position::Constant(7),
                },
                Ref::Byte { position: 4073 },
                Ref::Remade { slot: 2, len: 4 },
            ],
        };
        let mut lua = String::new();
        block.render(1, &mut lua);
        assert_eq!(
            lua,
            "local big1 = {}\nfor k = 1, 6000 do big1[k] = k end\nlocal function b1(n)\n  local made = string.rep(\"q\" .. n .. \"z\", 2000)\n  local s, last = n, \"\"\n  local r4, kept4 = { n, n, n, n }, {}\n  for i = 1, 8 do\n    big1[4608] = big1[4608] + i; s = s + big1[4608] % 1000\n    do local x = made:sub(i + 2, i + 2 + 1); if x == last then s = s + 1 end; s = s + #x; last = x end\n    s = s + (made:find(\"z\", 7, true) or 0)\n    s = s + string.byte(made, 4073)\n    r4[2] = r4[2] + i; kept4[i % 4 + 1] = r4; r4 = { i, n, i + n, i }\n  end\n  for j = 1, 4 do local t = kept4[j]; if t then for v = 1, 4 do s = s + t[v] end end end\n  return s % 4294967291\nend\n"
        );
        let mut without = String::new();
        UnfusedBlock {
            items: 3,
            refs: vec![Ref::Byte { position: 1 }],
        }
        .render(1, &mut without);
        assert!(!without.contains("big1") && !without.contains("kept"));
    }
}
