//! Lookup blocks: hot loops that look keys up in a table whose contents
//! change after the loop's trace was made. Keys of every type the inlined
//! hash lookup (`asm_href`) treats apart: strings, objects, booleans,
//! fractions, negative fractions and integers past 2^32 held in variables,
//! keys whose type changes from one iteration to the next, and constant
//! string, number and boolean keys.
//!
//! The keys are absent while a trace records and appear later (added in a
//! later iteration or round), or present and removed later. Either way the
//! lookup the trace compiled meets the other outcome: a chain walk that
//! must now find a key it never found, or a value whose type guard must
//! now fail. A key that is absent at recording also makes a constant key an
//! `HREF`, not an `HREFK`, so constant keys are hashed by the trace too.
//! Without that change a wrong hash, tag or compare value in the lookup
//! only ever meets a miss that the interpreter also sees.
//!
//! The block's checksum is a sum, independent of the order of the hash
//! part, which differs between processes of some builds.

use std::fmt::Write as _;

use super::rng::Rng;

#[derive(Debug, Clone, PartialEq)]
pub struct LookupBlock {
    /// Iterations of the loop.
    pub items: u32,
    /// Keys the table holds from the start (`f1` ...): the size of its
    /// hash part, from empty to past a few hundred nodes.
    pub fillers: u32,
    pub lookups: Vec<Lookup>,
    /// When the looked-up keys come or go.
    pub change: Change,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lookup {
    /// `s = s + (T[key] or 7)`.
    Read(Key),
    /// `T[key] = (T[key] or 0) + i`: a store that may insert the key.
    Write(Key),
}

/// A key of the lookup, one of `KEYS` of its kind per iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Key {
    /// `S[j]`: a string held in a variable.
    Str,
    /// `O[j]`: a table used as a key.
    Obj,
    /// `j % 2 == 0`: `true` or `false`.
    Bool,
    /// `j + 0.5`.
    Fraction,
    /// `-j - 0.25`.
    NegativeFraction,
    /// `j + 2^32`: an integral number no int32 holds.
    Wide,
    /// `M[j]`: strings for the first half of `j`, fractions for the second,
    /// so the key's type changes after the trace was recorded with one.
    Mixed,
    /// `T.s3`: one of the string keys, constant.
    ConstStr,
    /// `T[3.5]`: one of the fraction keys, constant.
    ConstFraction,
    /// `T[true]`.
    ConstBool,
}

const KINDS: [Key; 10] = [
    Key::Str,
    Key::Obj,
    Key::Bool,
    Key::Fraction,
    Key::NegativeFraction,
    Key::Wide,
    Key::Mixed,
    Key::ConstStr,
    Key::ConstFraction,
    Key::ConstBool,
];

/// Keys of each variable kind.
const KEYS: u32 = 8;

// The constant keys `"s3"` and `3.5` are the third of the string and the
// fraction keys, so that they come and go with the others.
const _: () = assert!(KEYS >= 3);

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    /// The keys are absent at the start of every call and added once the
    /// loop reaches this iteration.
    AppearAt(u32),
    /// The keys are absent until this round's call adds them before its loop.
    AppearInRound(u32),
    /// The keys are present at the start of every call and removed once the
    /// loop reaches this iteration.
    VanishAt(u32),
    /// The keys are present until this round's call removes them.
    VanishInRound(u32),
}

pub fn block(rng: &mut Rng) -> LookupBlock {
    let items = rng.range(24, 80) as u32;
    let count = rng.range(2, 5);
    let lookups = (0..count)
        .map(|_| {
            let key = *rng.pick(&KINDS);
            if rng.chance(25) {
                Lookup::Write(key)
            } else {
                Lookup::Read(key)
            }
        })
        .collect();
    // After the first quarter, so that hot loops have recorded their trace.
    let iteration = rng.range(i64::from(items / 4), i64::from(items - 2)) as u32;
    let round = rng.range(2, 3) as u32;
    // Keys that appear twice as often as keys that vanish: an absent key
    // is what makes the trace hash it (`HREF`) and walk a chain.
    let change = match rng.range(0, 5) {
        0 | 1 => Change::AppearAt(iteration),
        2 | 3 => Change::AppearInRound(round),
        4 => Change::VanishAt(iteration),
        _ => Change::VanishInRound(round),
    };
    LookupBlock {
        items,
        fillers: *rng.pick(&[0, 1, 2, 5, 30, 300]),
        lookups,
        change,
    }
}

impl Key {
    /// The key as Lua, `j` being the iteration's key number.
    fn lua(self) -> &'static str {
        match self {
            Key::Str => "S[j]",
            Key::Obj => "O[j]",
            Key::Bool => "j % 2 == 0",
            Key::Fraction => "j + 0.5",
            Key::NegativeFraction => "-j - 0.25",
            Key::Wide => "j + 4294967296",
            Key::Mixed => "M[j]",
            Key::ConstStr => "\"s3\"",
            Key::ConstFraction => "3.5",
            Key::ConstBool => "true",
        }
    }

    /// `T[key]`, written as Lua writes a constant string key.
    fn index(self) -> String {
        match self {
            Key::ConstStr => "T.s3".to_owned(),
            _ => format!("T[{}]", self.lua()),
        }
    }
}

impl LookupBlock {
    pub fn render(&self, index: usize, lua: &mut String) {
        let k = KEYS;
        let _ = writeln!(lua, "local b{index}\ndo");
        let _ = writeln!(lua, "  local T\n  local S, O, M = {{}}, {{}}, {{}}");
        let _ = writeln!(
            lua,
            "  for k = 1, {k} do S[k] = \"s\" .. k; O[k] = {{}}; M[k] = k <= {} and \"s\" .. k or k + 0.5 end",
            k / 2
        );
        // A new table, so that absent keys are absent: a key set to nil
        // stays in its node, where a trace would find it.
        let _ = writeln!(lua, "  local function fresh()\n    T = {{}}");
        if self.fillers > 0 {
            let _ = writeln!(
                lua,
                "    for k = 1, {} do T[\"f\" .. k] = k end",
                self.fillers
            );
        }
        let _ = writeln!(lua, "  end");
        // Every key of every kind, each with its own value: a lookup that
        // lands on another key reads another value.
        let _ = writeln!(
            lua,
            "  local function add(v)\n    for k = 1, {k} do T[S[k]] = k + v; T[O[k]] = 20 + k + v; T[k + 0.5] = 40 + k + v; T[-k - 0.25] = 60 + k + v; T[k + 4294967296] = 80 + k + v end\n    T[true], T[false] = 100 + v, 101 + v\n  end"
        );
        let _ = writeln!(
            lua,
            "  local function drop()\n    for k = 1, {k} do T[S[k]] = nil; T[O[k]] = nil; T[k + 0.5] = nil; T[-k - 0.25] = nil; T[k + 4294967296] = nil end\n    T[true], T[false] = nil, nil\n  end"
        );
        match self.change {
            Change::AppearInRound(_) => {
                let _ = writeln!(lua, "  fresh()");
            }
            Change::VanishInRound(_) => {
                let _ = writeln!(lua, "  fresh(); add(0)");
            }
            Change::AppearAt(_) | Change::VanishAt(_) => {}
        }
        let _ = writeln!(lua, "  b{index} = function(n)");
        let _ = writeln!(lua, "    local s = n");
        match self.change {
            Change::AppearAt(_) => {
                let _ = writeln!(lua, "    fresh()");
            }
            Change::VanishAt(_) => {
                let _ = writeln!(lua, "    fresh(); add(n)");
            }
            Change::AppearInRound(r) => {
                let _ = writeln!(lua, "    if n == {r} then add(n) end");
            }
            Change::VanishInRound(r) => {
                let _ = writeln!(lua, "    if n == {r} then drop() end");
            }
        }
        let _ = writeln!(lua, "    for i = 1, {} do", self.items);
        match self.change {
            Change::AppearAt(at) => {
                let _ = writeln!(lua, "      if i == {at} then add(n) end");
            }
            Change::VanishAt(at) => {
                let _ = writeln!(lua, "      if i == {at} then drop() end");
            }
            Change::AppearInRound(_) | Change::VanishInRound(_) => {}
        }
        let _ = writeln!(lua, "      local j = i % {k} + 1");
        for lookup in &self.lookups {
            let line = match lookup {
                Lookup::Read(key) => format!("s = s + ({} or 7)", key.index()),
                Lookup::Write(key) => {
                    let slot = key.index();
                    format!("{slot} = ({slot} or 0) + i")
                }
            };
            let _ = writeln!(lua, "      {line}");
        }
        let _ = writeln!(lua, "    end");
        if self.lookups.iter().any(|l| matches!(l, Lookup::Write(_))) {
            // What the stores left, summed: a store to the wrong node shows.
            let _ = writeln!(lua, "    for _, v in pairs(T) do s = s + v end");
        }
        let _ = writeln!(lua, "    return s % 4294967291\n  end\nend");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_kind_and_change_occurs_and_changes_after_recording() {
        let mut rng = Rng::new(11);
        let blocks: Vec<LookupBlock> = (0..400).map(|_| block(&mut rng)).collect();
        for kind in KINDS {
            assert!(
                blocks
                    .iter()
                    .any(|b| b.lookups.contains(&Lookup::Read(kind))),
                "{kind:?}"
            );
            assert!(
                blocks
                    .iter()
                    .any(|b| b.lookups.contains(&Lookup::Write(kind))),
                "{kind:?}"
            );
        }
        let mut seen = [false; 4];
        for b in &blocks {
            let (slot, when) = match b.change {
                Change::AppearAt(at) => (0, at),
                Change::AppearInRound(r) => (1, r),
                Change::VanishAt(at) => (2, at),
                Change::VanishInRound(r) => (3, r),
            };
            seen[slot] = true;
            if slot % 2 == 0 {
                // Not in the first quarter of the loop, and before its end.
                assert!(when >= b.items / 4 && when < b.items - 1, "{b:?}");
            } else {
                // Not in the first round: the loop has its trace by then.
                assert!(when >= 2, "{b:?}");
            }
        }
        assert_eq!(seen, [true; 4]);
    }

    #[test]
    fn a_rendered_block_adds_its_keys_in_the_middle_of_the_loop() {
        let block = LookupBlock {
            items: 30,
            fillers: 5,
            lookups: vec![Lookup::Read(Key::Fraction), Lookup::Write(Key::ConstStr)],
            change: Change::AppearAt(12),
        };
        let mut lua = String::new();
        block.render(4, &mut lua);
        assert!(lua.starts_with("local b4\ndo\n"), "{lua}");
        assert!(lua.contains("for k = 1, 5 do T[\"f\" .. k] = k end"));
        assert!(
            lua.contains("    fresh()\n    for i = 1, 30 do\n      if i == 12 then add(n) end\n")
        );
        assert!(lua.contains("      s = s + (T[j + 0.5] or 7)\n"));
        assert!(lua.contains("      T.s3 = (T.s3 or 0) + i\n"));
        assert!(lua.contains("for _, v in pairs(T) do s = s + v end"));
        assert!(
            lua.trim_end()
                .ends_with("return s % 4294967291\n  end\nend")
        );
    }

    #[test]
    fn the_constant_keys_are_among_the_keys_that_come_and_go() {
        // `add` and `drop` write "s3", 3.5 and true: k = 3 of the string
        // and fraction kinds (see `KEYS`), and the boolean key.
        assert_eq!(Key::ConstStr.index(), "T.s3");
        assert_eq!(Key::ConstFraction.index(), "T[3.5]");
        assert_eq!(Key::ConstBool.index(), "T[true]");
    }
}
