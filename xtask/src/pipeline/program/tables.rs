//! Table and upvalue blocks: hot loops over a big hash part read and written
//! with constant keys (HREFK with large slot offsets), `pairs` traversals
//! whose bodies take side exits (key-index restores from snapshots), and
//! closures whose upvalue is open while the loop that calls them records and
//! closed when it runs again. Every checksum is independent of the order of a
//! hash part, which differs between processes of some builds.

use std::fmt::Write as _;

use super::rng::Rng;

#[derive(Debug, Clone, PartialEq)]
pub struct TableBlock {
    pub items: u32,
    pub stmts: Vec<TableStmt>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TableStmt {
    /// `s = s + H.kN`: a constant key of the big hash part.
    HashRead(u32),
    /// `H.kN = H.kN + i`: a store under a constant key.
    HashWrite(u32),
    /// A traversal of a small table summing its values, with a side exit.
    PairsSum(u32),
    /// Calls a closure made in this iteration, its upvalue closed.
    Closure,
}

/// Keys of the big hash part: `k1` ... `kHASH_KEYS`.
pub const HASH_KEYS: u32 = 2048;

/// The tables every table block uses.
pub const STATE: &str = r#"local H = {}
for k = 1, 2048 do H["k" .. k] = k end
local P = { a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7 }
local function maker(n)
  local u = n
  local function bump() u = u + 1 return u end
  for _ = 1, 3 do bump() end
  return bump
end
"#;

/// What goes into the checksum at the end: every value of the big table.
pub const CHECKSUM: &str =
    "do local z = 0 for k = 1, 2048 do z = (z + H[\"k\" .. k]) % 4294967291 end mix(z) end\n";

pub fn block(rng: &mut Rng) -> TableBlock {
    let count = rng.range(1, 5);
    let stmts = (0..count)
        .map(|_| match rng.range(0, 5) {
            0 | 1 => TableStmt::HashRead(key(rng)),
            2 => TableStmt::HashWrite(key(rng)),
            3 => TableStmt::PairsSum(rng.range(2, 5) as u32),
            _ => TableStmt::Closure,
        })
        .collect();
    TableBlock {
        items: rng.range(2, 60) as u32,
        stmts,
    }
}

/// A key near the start, the middle or the end of the hash part.
fn key(rng: &mut Rng) -> u32 {
    let near = *rng.pick(&[1, 64, 512, 1024, 1365, 1500, 2000, 2048]);
    (near + rng.range(0, 8) as u32).clamp(1, HASH_KEYS)
}

impl TableBlock {
    pub fn render(&self, index: usize, lua: &mut String) {
        let _ = writeln!(lua, "local function b{index}(n)");
        let _ = writeln!(lua, "  local s = n");
        let _ = writeln!(lua, "  for i = 1, {} do", self.items);
        for stmt in &self.stmts {
            let line = match stmt {
                TableStmt::HashRead(k) => format!("s = s + H.k{k}"),
                TableStmt::HashWrite(k) => format!("H.k{k} = (H.k{k} + i) % 65536"),
                TableStmt::PairsSum(m) => format!(
                    "for _, v in pairs(P) do if v % {m} == 0 then s = s + v else s = s + 1 end end"
                ),
                TableStmt::Closure => "local f = maker(i); s = s + f() + f()".to_owned(),
            };
            let _ = writeln!(lua, "    {line}");
        }
        let _ = writeln!(lua, "  end\n  return s % 4294967291\nend");
    }
}
