//! Seeded generator of Lua programs that make the JIT emit loads and stores
//! near the LDP/STP fusion hazards: loop variables and call slots on every
//! stack slot up to about 130, loops that stitch, tail calls returning
//! several values into the top slots, FFI accesses of every width at aligned
//! and misaligned offsets around one pointer, in adjacent and aliasing pairs.
//! Loop bodies also store into long-lived tables while the collector steps
//! (table write barriers, metatable and hash stores), into open and closed
//! upvalues (upvalue barriers), build strings and numbers from strings, and
//! allocate cdata: every store the ARM64 backend emits, beside labels and
//! barriers as well as beside stack slots (see `reach`).
//!
//! Beside them, expression blocks (`expr`) compute random expressions over
//! edge values: the rest of the backend, its arithmetic, comparisons,
//! bit operations, constants and conversions; table blocks (`tables`) read
//! and write a big hash part (and its twin, whose keys sit in other slots),
//! traverse tables and call closures whose upvalues were closed; form blocks (`forms`) make instruction forms
//! random expressions seldom do; carried blocks (`carried`) carry more
//! locals around a loop than the registers hold; indexed blocks (`indexed`)
//! index FFI arrays and strings by the loop variable, and arrays of 1- to
//! 8-byte elements and structs of up to 64 bytes at the ends of the
//! offset fields; unfused blocks
//! (`unfused`) make references the backend cannot fuse into their loads
//! and stores; call blocks (`calls`) call C through the FFI, some with
//! arguments on the stack, and write into string buffers; lookup blocks
//! (`lookups`) look up keys of every type that appear or vanish after the
//! loop compiled; shape blocks (`shapes`) write code shapes the triaged
//! survivors asked for and no other family writes.
//!
//! A program returns one checksum of everything it computed and wrote; run
//! with the JIT on and off in one build, the two must agree.

use std::fmt::Write as _;

use super::calls::{self, CallBlock};
use super::carried::{self, CarriedBlock};
use super::expr::{self, ExprBlock};
pub use super::ffi::{FFI_REACH, FfiType};
use super::forms::{self, FormBlock};
use super::indexed::{self, IndexedBlock};
use super::lookups::{self, LookupBlock};
pub use super::rng::Rng;
use super::shapes::{self, ShapeBlock};
use super::tables::{self, TableBlock};
use super::unfused::{self, UnfusedBlock};

/// A whole program: JIT settings and independent blocks, each a function
/// plus its call from the driver loop.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub seed: u64,
    /// `jit.opt.start` parameters, e.g. `hotloop=1`.
    pub settings: Vec<String>,
    pub blocks: Vec<Block>,
    /// How often the driver calls every block.
    pub rounds: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A function with `locals` numbered locals below a loop over `items` elements.
    Loop {
        locals: u32,
        kind: LoopKind,
        items: u32,
        body: Vec<Stmt>,
    },
    /// A function whose callee, with `locals` locals, tail-returns `values` values.
    TailCall { locals: u32, values: u32 },
    /// A loop making two FFI accesses of one type at byte offsets from the buffer's middle.
    Ffi {
        ty: FfiType,
        first: i64,
        second: i64,
        load: bool,
    },
    /// A loop computing expressions over edge values (see `expr`).
    Expr(ExprBlock),
    /// A loop over a big hash part, traversals and closures (see `tables`).
    Tables(TableBlock),
    /// A loop of instruction forms random expressions seldom make (see `forms`).
    Forms(FormBlock),
    /// A loop carrying more locals than the registers hold (see `carried`).
    Carried(CarriedBlock),
    /// A loop indexing FFI arrays and strings by its variable (see `indexed`).
    Indexed(IndexedBlock),
    /// A loop of references the backend cannot fuse (see `unfused`).
    Unfused(UnfusedBlock),
    /// A loop calling C functions and writing a string buffer (see `calls`).
    Calls(CallBlock),
    /// A loop looking up keys that come or go after it compiled (see `lookups`).
    Lookups(LookupBlock),
    /// A loop of code shapes no other family writes (see `shapes`).
    Shapes(ShapeBlock),
}

impl Block {
    /// The block's family, as the generator's docs name them: what a
    /// finding's signature says its reproducer exercises.
    pub fn family(&self) -> &'static str {
        match self {
            Block::Loop { .. } => "loop",
            Block::TailCall { .. } => "tail call",
            Block::Ffi { .. } => "ffi pair",
            Block::Expr(_) => "expr",
            Block::Tables(_) => "tables",
            Block::Forms(_) => "forms",
            Block::Carried(_) => "carried",
            Block::Indexed(_) => "indexed",
            Block::Unfused(_) => "unfused",
            Block::Calls(_) => "calls",
            Block::Lookups(_) => "lookups",
            Block::Shapes(_) => "shapes",
        }
    }
}

impl Program {
    /// The families of the program's blocks, each once, in program order.
    pub fn families(&self) -> Vec<String> {
        let mut families: Vec<String> = Vec::new();
        for block in &self.blocks {
            if !families.iter().any(|f| f == block.family()) {
                families.push(block.family().to_owned());
            }
        }
        families
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LoopKind {
    Ipairs,
    IpairsIndexOnly,
    Pairs,
    Numeric,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stmt {
    /// `s = s + i`: arithmetic on the loop variable.
    AddIndex,
    /// `clock()`: a call the JIT does not compile, so the trace stitches.
    Stitch,
    /// A branch taken every `n`-th iteration: a hot side exit.
    SideExit(u32),
    /// A small nested loop.
    Inner,
    /// Updates an upvalue.
    Upvalue,
    /// Calls a vararg function.
    Vararg,
    /// `g[i % 40 + 1] = ...`: an array store into a long-lived table.
    TableStore,
    /// `h.f = h.f + i`: a hash store under a constant key.
    HashStore,
    /// `h["k" .. i % 5] = i`: a string built in the loop as the key.
    DynamicKey,
    /// `m = {}` then two metatable changes of `g`: churn that makes the
    /// collector run while the table's write barrier is hot.
    MetaChurn { first: Meta, second: Meta },
    /// `collectgarbage("step")`: the collector advances, tables turn black.
    GcStep,
    /// `tonumber("1" .. i % 10)`: a number parsed from a string.
    ToNumber,
    /// `cell = {i}`: a new table stored into an open upvalue.
    UpvalueTable,
    /// Calls closures whose upvalues are closed, one storing a table.
    ClosedUpvalue,
    /// `ffi.new("int32_t[2]", ...)` and `ffi.new("int32_t[?]", n, ...)`:
    /// cdata of a fixed and of a variable size allocated and initialised
    /// (the second calls `lj_cdata_newv` with the size as an argument).
    CNew,
    /// `next(single, "only")`: a traversal step from a given key. The table
    /// has one key, so the answer does not depend on the order of a hash
    /// part, which differs between processes of some builds.
    Next,
}

/// A metatable given to `setmetatable`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Meta {
    /// `{}`, made on the spot.
    Fresh,
    /// `mt`, one table for the whole program.
    Shared,
    /// `m`, the table the statement made first.
    Local,
}

impl Meta {
    fn lua(self) -> &'static str {
        match self {
            Meta::Fresh => "{}",
            Meta::Shared => "mt",
            Meta::Local => "m",
        }
    }
}

/// Mixed into a program's seed for the stream its expression blocks come from.
const EXPR_STREAM: u64 = 0x6578_7072_5f62_6c6b;
/// Mixed into a program's seed for the stream its form blocks come from.
const FORMS_STREAM: u64 = 0x666f_726d_735f_626c;
/// Mixed into a program's seed for the stream its carried blocks come from.
const CARRIED_STREAM: u64 = 0x6361_7272_6965_6421;
/// Mixed into a program's seed for the stream its indexed blocks come from.
const INDEXED_STREAM: u64 = 0x696e_6465_7865_6421;
/// Mixed into a program's seed for the stream its unfused blocks come from.
const UNFUSED_STREAM: u64 = 0x756e_6675_7365_6421;
/// Mixed into a program's seed for the stream its call blocks come from.
const CALLS_STREAM: u64 = 0x6363_616c_6c73_2121;
/// Mixed into a program's seed for the stream its lookup blocks come from.
const LOOKUPS_STREAM: u64 = 0x6c6f_6f6b_7570_7321;
/// Mixed into a program's seed for the stream its shape blocks come from.
const SHAPES_STREAM: u64 = 0x7368_6170_6573_2121;

/// The program for `seed`: the same seed gives the same program.
pub fn program(seed: u64) -> Program {
    let mut rng = Rng::new(seed);
    let hotloop = *rng.pick(&[1, 1, 2, 3, 7, 56]);
    let hotexit = *rng.pick(&[1, 2, 3, 10]);
    let mut settings = vec![format!("hotloop={hotloop}"), format!("hotexit={hotexit}")];
    if rng.chance(20) {
        settings.push(format!("loopunroll={}", rng.pick(&[0, 1, 15])));
    }
    let count = rng.range(2, 6);
    let mut blocks: Vec<Block> = (0..count).map(|_| block(&mut rng)).collect();
    // Expression blocks come from a stream of their own, so that the blocks
    // above are those the seed named before expression blocks existed.
    let mut more = Rng::new(seed ^ EXPR_STREAM);
    let expressions = more.range(0, 3);
    blocks.extend((0..expressions).map(|_| Block::Expr(expr::block(&mut more))));
    if more.chance(30) {
        blocks.push(Block::Tables(tables::block(&mut more)));
    }
    // Likewise form blocks, after all the others.
    let mut forms_rng = Rng::new(seed ^ FORMS_STREAM);
    if forms_rng.chance(60) {
        blocks.push(Block::Forms(forms::block(&mut forms_rng)));
    }
    let mut carried_rng = Rng::new(seed ^ CARRIED_STREAM);
    if carried_rng.chance(30) {
        blocks.push(Block::Carried(carried::block(&mut carried_rng)));
    }
    let mut indexed_rng = Rng::new(seed ^ INDEXED_STREAM);
    if indexed_rng.chance(40) {
        blocks.push(Block::Indexed(indexed::block(&mut indexed_rng)));
    }
    let mut unfused_rng = Rng::new(seed ^ UNFUSED_STREAM);
    if unfused_rng.chance(30) {
        blocks.push(Block::Unfused(unfused::block(&mut unfused_rng)));
    }
    let mut calls_rng = Rng::new(seed ^ CALLS_STREAM);
    if calls_rng.chance(30) {
        blocks.push(Block::Calls(calls::block(&mut calls_rng)));
    }
    let mut lookups_rng = Rng::new(seed ^ LOOKUPS_STREAM);
    if lookups_rng.chance(35) {
        blocks.push(Block::Lookups(lookups::block(&mut lookups_rng)));
    }
    let mut shapes_rng = Rng::new(seed ^ SHAPES_STREAM);
    if shapes_rng.chance(35) {
        blocks.push(Block::Shapes(shapes::block(&mut shapes_rng)));
    }
    // Most programs call their blocks a few times: the traces are made in
    // the first rounds, and every further round costs an emulated run. One
    // in five runs long, for the exits and collections that take many.
    let rounds = if rng.chance(80) {
        rng.range(3, 12)
    } else {
        rng.range(13, 40)
    };
    Program {
        seed,
        settings,
        blocks,
        rounds: rounds as u32,
    }
}

fn block(rng: &mut Rng) -> Block {
    match rng.range(0, 9) {
        0..=4 => {
            let kind = *rng.pick(&[
                LoopKind::Ipairs,
                LoopKind::IpairsIndexOnly,
                LoopKind::Pairs,
                LoopKind::Numeric,
            ]);
            let statements = rng.range(1, 4);
            let mut body: Vec<Stmt> = (0..statements)
                .map(|_| match rng.range(0, 22) {
                    0..=2 => Stmt::AddIndex,
                    3..=5 => Stmt::Stitch,
                    6 => Stmt::SideExit(rng.range(2, 9) as u32),
                    7 => Stmt::Inner,
                    8 => Stmt::Upvalue,
                    9 => Stmt::Vararg,
                    10 => Stmt::TableStore,
                    11 => Stmt::HashStore,
                    12 => Stmt::DynamicKey,
                    13..=15 => {
                        let sources = [Meta::Fresh, Meta::Shared, Meta::Local];
                        Stmt::MetaChurn {
                            first: *rng.pick(&sources),
                            second: *rng.pick(&sources),
                        }
                    }
                    16 => Stmt::GcStep,
                    17 => Stmt::ToNumber,
                    18 => Stmt::UpvalueTable,
                    19 => Stmt::ClosedUpvalue,
                    20 => Stmt::CNew,
                    _ => Stmt::Next,
                })
                .collect();
            if !body.contains(&Stmt::AddIndex) && rng.chance(60) {
                body.push(Stmt::AddIndex);
            }
            Block::Loop {
                locals: rng.range(0, 126) as u32,
                kind,
                items: rng.range(1, 40) as u32,
                body,
            }
        }
        5 | 6 => Block::TailCall {
            locals: rng.range(0, 126) as u32,
            values: rng.range(1, 4) as u32,
        },
        _ => {
            let ty = *rng.pick(&[
                FfiType::I8,
                FfiType::I16,
                FfiType::I32,
                FfiType::I32,
                FfiType::I64,
                FfiType::I64,
                FfiType::F32,
                FfiType::F64,
            ]);
            let size = ty.size();
            // Around the pointer, both ends of the imm7 range, the 9-bit range.
            let anchor = *rng.pick(&[0, 8, -16, 248, 256, -256, 488, 496, 504, 512, -512]);
            let misalign = if size > 1 && rng.chance(30) {
                rng.range(1, size - 1)
            } else {
                0
            };
            let first = anchor + size * rng.range(-2, 2) + misalign;
            let second = match rng.range(0, 5) {
                0 | 1 => first + size,
                2 => first - size,
                3 => first + size - 512,
                4 => first - size + 512,
                _ => rng.range(-520, 520),
            };
            let clamp = |o: i64| o.clamp(-FFI_REACH, FFI_REACH - 8);
            Block::Ffi {
                ty,
                first: clamp(first),
                second: clamp(second),
                load: rng.chance(50),
            }
        }
    }
}

impl Program {
    /// The Lua source. Only the checksum it returns is compared.
    pub fn render(&self) -> String {
        let mut lua = String::new();
        let settings: Vec<String> = self.settings.iter().map(|s| format!("{s:?}")).collect();
        let _ = writeln!(
            lua,
            "-- stress program, seed {}",
            super::seed::seed_text(self.seed)
        );
        let _ = writeln!(lua, "jit.opt.start({})", settings.join(", "));
        lua.push_str(PRELUDE);
        let used: Vec<StmtKind> = self
            .blocks
            .iter()
            .flat_map(|b| match b {
                Block::Loop { body, .. } => body.clone(),
                _ => Vec::new(),
            })
            .filter_map(Stmt::state)
            .collect();
        let needed: Vec<_> = STATE
            .iter()
            .filter(|(kind, _, _)| used.contains(kind))
            .collect();
        for (_, declare, _) in &needed {
            lua.push_str(declare);
        }
        let has_forms = self.blocks.iter().any(|b| matches!(b, Block::Forms(_)));
        // `fold` and `fold64` come with the expression blocks' tables.
        if self
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Forms(_) | Block::Expr(_) | Block::Shapes(_)))
        {
            lua.push_str(&expr::tables());
        }
        if has_forms {
            lua.push_str(forms::TABLES);
        }
        if self.blocks.iter().any(|b| matches!(b, Block::Calls(_))) {
            lua.push_str(calls::CDEF);
        }
        let big_tables = self.blocks.iter().any(|b| matches!(b, Block::Tables(_)));
        if big_tables {
            lua.push_str(&tables::state());
        }
        for (index, block) in self.blocks.iter().enumerate() {
            block.render(index, &mut lua);
        }
        let _ = writeln!(lua, "for round = 1, {} do", self.rounds);
        for (index, block) in self.blocks.iter().enumerate() {
            let call = match block {
                Block::Loop { .. } => format!("b{index}(t)"),
                Block::TailCall { .. } => format!("b{index}(round)"),
                Block::Ffi { .. } | Block::Indexed(_) => format!("b{index}(p, round)"),
                Block::Expr(_)
                | Block::Tables(_)
                | Block::Forms(_)
                | Block::Carried(_)
                | Block::Unfused(_)
                | Block::Calls(_)
                | Block::Lookups(_)
                | Block::Shapes(_) => format!("b{index}(round)"),
            };
            let _ = writeln!(lua, "  mix({call})");
        }
        lua.push_str(
            "end\nfor k = 0, 2 * REACH - 1 do mix(buf[k]) end\n"
                .replace("REACH", &FFI_REACH.to_string())
                .as_str(),
        );
        for (_, _, checksum) in &needed {
            lua.push_str(checksum);
        }
        if big_tables {
            lua.push_str(&tables::checksum());
        }
        lua.push_str("return acc, up\n");
        lua
    }
}

/// Shared by every program: checksum (modulo a prime, see `expr::tables`),
/// buffer, helpers.
const PRELUDE: &str = r#"local ffi = require("ffi")
local clock = os.clock
local acc, up = 0, 0
local function mix(x) acc = (acc * 31 + (tonumber(x) or -1)) % 4294967291 end
local buf = ffi.new("uint8_t[2048]")
for k = 0, 2047 do buf[k] = (k * 7) % 251 end
local p = buf + 1024
local function va(...) local a, b, c = ... return a + (b or 0) + (c or 0) end
local t = {}
for k = 1, 40 do t[k] = k end
"#;

/// What some statements need, declared only in programs that have them (a
/// shrunk reproducer keeps no dead state): statements, the declarations
/// before the blocks, and what goes into the checksum at the end.
const STATE: [(StmtKind, &str, &str); 4] = [
    (
        StmtKind::Tables,
        "local g = {}\nfor k = 1, 40 do g[k] = k end\nlocal h = { f = 0, k0 = 0, k1 = 0, k2 = 0, k3 = 0, k4 = 0 }\nlocal mt = {}\n",
        "for k = 1, 40 do mix(g[k]) end\nmix(h.f)\nfor k = 0, 4 do mix(h[\"k\" .. k]) end\nmix(getmetatable(g) == mt and 1 or 0)\n",
    ),
    (StmtKind::Single, "local single = { only = 1 }\n", ""),
    (StmtKind::Cell, "local cell = { 0 }\n", "mix(cell[1])\n"),
    (
        StmtKind::Closures,
        "local bump = (function() local c = 0 return function(x) c = c + x return c end end)()\nlocal hold = (function() local c = { 0 } return function(x) c = x return c[1] end end)()\n",
        "mix(bump(0))\nmix(hold({ 0 }))\n",
    ),
];

/// The state a statement uses beyond the prelude.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StmtKind {
    Tables,
    Single,
    Cell,
    Closures,
}

impl Stmt {
    /// The statement as one line of Lua in a loop body.
    fn lua(&self) -> String {
        match self {
            Stmt::AddIndex => "s = s + i".to_owned(),
            Stmt::Stitch => "clock()".to_owned(),
            Stmt::SideExit(n) => format!("if i % {n} == 0 then s = s + {n} end"),
            Stmt::Inner => "for j = 1, 3 do s = s + j end".to_owned(),
            Stmt::Upvalue => "up = up + 1".to_owned(),
            Stmt::Vararg => "s = s + va(i, 2, 3)".to_owned(),
            Stmt::TableStore => "g[i % 40 + 1] = i + s % 7".to_owned(),
            Stmt::HashStore => "h.f = h.f + i".to_owned(),
            Stmt::DynamicKey => "h[\"k\" .. (i % 5)] = i".to_owned(),
            Stmt::MetaChurn { first, second } => format!(
                "m = {{}}; setmetatable(g, {}); setmetatable(g, {})",
                first.lua(),
                second.lua()
            ),
            Stmt::GcStep => "collectgarbage(\"step\")".to_owned(),
            Stmt::ToNumber => "s = s + tonumber(\"1\" .. (i % 10))".to_owned(),
            Stmt::UpvalueTable => "cell = { i }; s = s + cell[1]".to_owned(),
            Stmt::ClosedUpvalue => "s = s + bump(1) + hold({ i })".to_owned(),
            Stmt::Next => "if next(single, \"only\") == nil then s = s + 1 end".to_owned(),
            Stmt::CNew => concat!(
                "local a = ffi.new(\"int32_t[2]\", i, s % 100); ",
                "local v = ffi.new(\"int32_t[?]\", 2 + i % 3, i); ",
                "s = s + a[0] + a[1] + v[0] + v[1]"
            )
            .to_owned(),
        }
    }

    fn state(self) -> Option<StmtKind> {
        match self {
            Stmt::TableStore | Stmt::HashStore | Stmt::DynamicKey | Stmt::MetaChurn { .. } => {
                Some(StmtKind::Tables)
            }
            Stmt::Next => Some(StmtKind::Single),
            Stmt::UpvalueTable => Some(StmtKind::Cell),
            Stmt::ClosedUpvalue => Some(StmtKind::Closures),
            _ => None,
        }
    }
}

impl Block {
    fn render(&self, index: usize, lua: &mut String) {
        match self {
            Block::Expr(block) => block.render(index, lua),
            Block::Tables(block) => block.render(index, lua),
            Block::Forms(block) => block.render(index, lua),
            Block::Carried(block) => block.render(index, lua),
            Block::Indexed(block) => block.render(index, lua),
            Block::Unfused(block) => block.render(index, lua),
            Block::Calls(block) => block.render(index, lua),
            Block::Lookups(block) => block.render(index, lua),
            Block::Shapes(block) => block.render(index, lua),
            Block::Loop {
                locals,
                kind,
                items,
                body,
            } => {
                let _ = writeln!(lua, "local function b{index}(t)");
                if *locals > 0 {
                    let names: Vec<String> = (1..=*locals).map(|k| format!("v{k}")).collect();
                    let values: Vec<String> = (1..=*locals).map(|k| k.to_string()).collect();
                    let _ = writeln!(lua, "  local {} = {}", names.join(", "), values.join(", "));
                }
                let _ = writeln!(lua, "  local s = 0");
                if body.iter().any(|s| matches!(s, Stmt::MetaChurn { .. })) {
                    let _ = writeln!(lua, "  local m = mt");
                }
                let head = match kind {
                    LoopKind::Ipairs => "for i, x in ipairs(t) do".to_owned(),
                    LoopKind::IpairsIndexOnly => "for i in ipairs(t) do".to_owned(),
                    LoopKind::Pairs => "for i, x in pairs(t) do".to_owned(),
                    LoopKind::Numeric => format!("for i = 1, {items} do"),
                };
                let _ = writeln!(lua, "  {head}");
                if !matches!(kind, LoopKind::Numeric) {
                    let _ = writeln!(lua, "    if i > {items} then break end");
                }
                for stmt in body {
                    let line = stmt.lua();
                    let _ = writeln!(lua, "    {line}");
                }
                let _ = writeln!(lua, "  end");
                // The top locals are where a misplaced store would land.
                let watched: Vec<String> = (locals.saturating_sub(3) + 1..=*locals)
                    .map(|k| format!("v{k}"))
                    .collect();
                if watched.is_empty() {
                    let _ = writeln!(lua, "  return s\nend");
                } else {
                    let _ = writeln!(lua, "  return s + {}\nend", watched.join(" + "));
                }
            }
            Block::TailCall { locals, values } => {
                let args: Vec<String> = (1..=*values).map(|k| format!("a{k}")).collect();
                let _ = writeln!(lua, "local function b{index}_inner({})", args.join(", "));
                if *locals > 0 {
                    let names: Vec<String> = (1..=*locals).map(|k| format!("w{k}")).collect();
                    let _ = writeln!(lua, "  local {}", names.join(", "));
                }
                let _ = writeln!(lua, "  return {}\nend", args.join(", "));
                let passed: Vec<String> = (1..=*values).map(|k| format!("n + {k}")).collect();
                let _ = writeln!(
                    lua,
                    "local function b{index}_outer(n) return b{index}_inner({}) end",
                    passed.join(", ")
                );
                let _ = writeln!(lua, "local function b{index}(n)");
                let _ = writeln!(lua, "  local s = 0");
                let _ = writeln!(lua, "  for i = 1, 30 do");
                let _ = writeln!(lua, "    local {} = b{index}_outer(i)", args.join(", "));
                let _ = writeln!(lua, "    s = s + {}", args.join(" + "));
                let _ = writeln!(lua, "  end\n  return s\nend");
            }
            Block::Ffi {
                ty,
                first,
                second,
                load,
            } => {
                // The pointer comes in as an argument so that the JIT
                // addresses both accesses off one register with an offset.
                let c = ty.c_name();
                let _ = writeln!(lua, "local function b{index}(q, n)");
                let _ = writeln!(lua, "  local s = 0");
                let _ = writeln!(lua, "  for i = 1, 30 do");
                if *load {
                    let _ = writeln!(
                        lua,
                        "    s = s + tonumber(ffi.cast(\"{c}*\", q + {first})[0]) + tonumber(ffi.cast(\"{c}*\", q + {second})[0])"
                    );
                } else {
                    let half = if matches!(ty, FfiType::F32 | FfiType::F64) {
                        " + 0.5"
                    } else {
                        ""
                    };
                    let _ = writeln!(lua, "    local x, y = i + n{half}, i + n + 1{half}");
                    let _ = writeln!(lua, "    ffi.cast(\"{c}*\", q + {first})[0] = x");
                    let _ = writeln!(lua, "    ffi.cast(\"{c}*\", q + {second})[0] = y");
                }
                let _ = writeln!(lua, "  end\n  return s\nend");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_names_one_program() {
        assert_eq!(program(42), program(42));
        assert_ne!(program(42).render(), program(43).render());
    }

    #[test]
    fn rng_sequence_is_fixed() {
        let mut rng = Rng::new(1);
        // SplitMix64's published first output for seed 1.
        assert_eq!(rng.next(), 0x910a_2dec_8902_5cc1);
    }

    #[test]
    fn rendered_program_returns_the_checksum() {
        let source = program(7).render();
        assert!(source.starts_with("-- stress program, seed 0x7\njit.opt.start("));
        assert!(source.trim_end().ends_with("return acc, up"));
    }

    #[test]
    fn a_program_declares_only_the_state_its_statements_use() {
        let plain = Program {
            seed: 0,
            settings: Vec::new(),
            blocks: vec![Block::Loop {
                locals: 0,
                kind: LoopKind::Numeric,
                items: 3,
                body: vec![Stmt::AddIndex],
            }],
            rounds: 1,
        };
        assert!(!plain.render().contains("local g = {}"));
        let mut churn = plain.clone();
        churn.blocks = vec![Block::Loop {
            locals: 0,
            kind: LoopKind::Numeric,
            items: 3,
            body: vec![Stmt::MetaChurn {
                first: Meta::Fresh,
                second: Meta::Local,
            }],
        }];
        let source = churn.render();
        assert!(source.contains("local g = {}") && source.contains("mix(getmetatable(g) == mt"));
    }
}
