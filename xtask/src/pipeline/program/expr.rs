//! Expression blocks: hot loops over edge values that compute random
//! expression trees, so that the backend chooses between its encodings
//! everywhere outside loads and stores. Integer and FP arithmetic with
//! constants of every encoding class (12-bit immediates plain and shifted,
//! logical immediates, MOVZ/MOVN/MOVK sequences, FP immediates and literal
//! loads), overflow-checked int32 arithmetic (ARM64 runs in dual-number
//! mode), comparisons signed, unsigned and FP with NaN, -0 and the extremes,
//! `bit.*` on numbers and on int64/uint64 cdata with constant and variable
//! shift counts, operands that are themselves shifts or sign extensions
//! (the fused operand forms), and conversions between int, number, int64,
//! uint64 and float.
//!
//! The values are biased to where encodings and guards change. Comparisons
//! mostly meet equal operands or neighbours: a variable and its twin (equal
//! on one side of an iteration or a round, a neighbour on the other, so the
//! outcome a trace recorded fails later), an operand and
//! itself (unequal only for NaN), a value of the edge tables or its
//! neighbour, NaN, ±0, ±inf and INT32/INT64/UINT64 MIN/MAX ±1. Negative
//! fractions and fractions next to INT32_MIN/MAX go through casts to every
//! integer type that holds them, floor, ceil, `% 1`, `bit.tobit` and table
//! indexing.
//!
//! Every expression is defined on every input, the same for the JIT and the
//! interpreter: no division of integers by zero or of INT64_MIN by -1, no
//! conversion of a number outside an integer type's range.

use std::fmt::Write as _;

use super::rng::Rng;

/// One expression block: a loop over the edge-value tables whose body folds
/// each statement's value into the block's checksum.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprBlock {
    /// Iterations: one edge value of each table per iteration.
    pub items: u32,
    /// The statements, each one expression of Lua text and its type.
    pub stmts: Vec<(Ty, String)>,
    /// Keep every statement's value live to the end of the body (register
    /// pressure and spills) instead of folding it at once.
    pub keep_live: bool,
    /// When the twins (`a2`, `e2`, `c2`, `d2`) stop or start being equal to
    /// their variables.
    pub twin: Twin,
}

/// The twins of the iteration's variables: equal to them (`a2 == a`) on one
/// side of a switch and their neighbours (the integer with the lowest bit
/// flipped, a float one or two steps away, +1 or -1 wrapping) on the other. A comparison of a variable with its twin is recorded with
/// one outcome and meets the other once the trace runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Twin {
    pub switch: Switch,
    /// Equal before the switch and neighbours after, or the reverse.
    pub equal_first: bool,
}

/// Where the twins change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Switch {
    /// After this iteration of every call.
    Iteration(u32),
    /// After this round: in rounds the trace was not recorded in.
    Round(u32),
}

/// The type of an expression's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// An integer in the int32 range (a `bit.*` result, a comparison).
    Bit,
    /// Any number.
    Num,
    I64,
    U64,
}

/// Edge values of int32 range (`EB`): 12-bit immediates and their
/// neighbours, powers of two and their neighbours, INT32_MIN/MAX and theirs.
const BIT_VALUES: [i64; TABLE_LEN as usize] = [
    0,
    1,
    -1,
    2,
    7,
    31,
    32,
    37,
    63,
    64,
    255,
    4095,
    4096,
    -4096,
    0x7fff,
    0xffff,
    0x10000,
    0x7ffffffe,
    0x7fffffff,
    -0x7fffffff,
    -0x80000000,
    0x12345678,
    -0x5555556,
    1000000,
    4097,
    -4097,
    256,
    -2,
    0x8000,
    -0x7ffffffe,
    0xfffe,
    65537,
];

/// Numbers (`EN`): fractions of both signs, -0 and +0, the infinities, NaN,
/// subnormals, integers at and past 2^31, 2^32, 2^52 and 2^63, and the
/// neighbours (next float) of some of them.
const NUM_VALUES: [f64; TABLE_LEN as usize] = [
    0.5,
    -0.0,
    0.0,
    1.5,
    -2.25,
    1e-300,
    1e300,
    2147483648.0,
    -2147483648.0,
    4503599627370496.0,
    9007199254740992.0,
    0.1,
    3.0,
    -7.75,
    9.223372036854776e18,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    4294967295.0,
    -1.0,
    2.5,
    -4096.0,
    65535.5,
    1e-310,
    -0.5,
    -1.5,
    -2.5,
    -0.75,
    -4096.5,
    1.0000000000000002,
    0.9999999999999999,
    2147483647.5,
];

/// Int64 values (`EL`): INT64_MIN/MAX and their neighbours, 32-bit edges,
/// constants of 1-4 MOV fragments.
const I64_VALUES: [i64; TABLE_LEN as usize] = [
    0,
    1,
    -1,
    2,
    63,
    64,
    4095,
    4096,
    -4097,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000,
    i64::MAX,
    i64::MIN,
    0x123456789abc,
    -0x123456789,
    0xfffffffffff,
    0x5555555555555555,
    0x12340000,
    0x1234000000000000,
    -0x10000,
    255,
    37,
    i64::MAX - 1,
    i64::MIN + 1,
    -0x80000000,
    -0x80000001,
    0x7ffffffe,
    -2,
    0x4000000000000000,
    -0x4000000000000001,
];

/// Uint64 values (`EU`): 0, the top, 2^63 and the neighbours of each.
const U64_VALUES: [u64; TABLE_LEN as usize] = [
    0,
    1,
    u64::MAX,
    0x8000000000000000,
    0x7fffffffffffffff,
    0xfffffffffff,
    0x123456789abcdef0,
    4096,
    0xffffffff,
    0x100000000,
    2,
    37,
    0xff00ff00ff00ff00,
    0x5555555555555555,
    63,
    64,
    0xfffffffe,
    0x10000,
    0x8000000000000001,
    0xfff,
    0x1000,
    12345678901234567,
    0xaaaaaaaaaaaaaaaa,
    7,
    u64::MAX - 1,
    0x80000000,
    0xfffffffff,
    4095,
    0x7ffffffe,
    0x100000001,
    0xffffffff00000000,
    3,
];

/// Fractions every integer type holds once truncated toward zero (`EV`):
/// each lies in (-1, 128), so a cast to any of int8_t ... uint64_t is
/// defined, and negative ones truncate to 0 where floor gives -1.
const SMALL_FRACTIONS: [f64; FRACTIONS_LEN as usize] = [
    -0.5, -0.75, 0.5, 1.5, -0.25, 2.5, 127.5, -0.0, 0.75, 3.5, 126.999, -0.9999999, 4.5, 1e-300,
    -1e-310, 100.25,
];

/// Fractions inside the int32 range after truncation toward zero, negated
/// or not (`EW`): negative halves (where truncation, floor and rounding
/// to nearest even all differ), the 4096 edge, and INT32_MIN/MAX less a
/// fraction. Casts of them go to int32_t and int64_t only.
const WIDE_FRACTIONS: [f64; FRACTIONS_LEN as usize] = [
    -0.5,
    -1.5,
    -2.5,
    -0.75,
    -4096.5,
    -4095.5,
    4095.5,
    2147483646.5,
    -2147483646.5,
    -2147483647.25,
    -65536.5,
    -1e-9,
    0.5,
    -3.25,
    1073741823.5,
    2147483646.75,
];

/// Entries in each fraction table.
pub const FRACTIONS_LEN: u32 = 16;

/// A number as a Lua expression that evaluates to exactly it.
fn num_lua(x: f64) -> String {
    if x.is_nan() {
        "(0/0)".to_owned()
    } else if x.is_infinite() {
        if x > 0.0 { "(1/0)" } else { "(-1/0)" }.to_owned()
    } else {
        // Rust prints the shortest text that reads back as the same
        // double; LuaJIT's scanner rounds correctly.
        format!("{x:?}")
    }
}

fn i64_lua(x: i64) -> String {
    if x == i64::MIN {
        "(-0x7fffffffffffffffLL - 1)".to_owned()
    } else {
        format!("{x}LL")
    }
}

fn u64_lua(x: u64) -> String {
    format!("0x{x:x}ULL")
}

fn table(name: &str, entries: impl Iterator<Item = String>) -> String {
    format!(
        "local {name} = {{ {} }}\n",
        entries.collect::<Vec<_>>().join(", ")
    )
}

/// Edge values, one table a type, indexed by the loop variable, and the
/// folds of values into a block's checksum. Checksums are kept modulo
/// 4294967291, the largest prime below 2^32, not modulo 2^32: an int32
/// result off by a multiple of 2^32 (an overflow check that let a wrapped
/// value through) must change them. `EK` is indexed by fractions: a key
/// that is not an integer leaves the array part for the hash part.
pub fn tables() -> String {
    let mut lua = String::new();
    lua.push_str(&table("EB", BIT_VALUES.iter().map(|x| x.to_string())));
    lua.push_str(&table("EN", NUM_VALUES.iter().map(|&x| num_lua(x))));
    lua.push_str(&table("EL", I64_VALUES.iter().map(|&x| i64_lua(x))));
    lua.push_str(&table("EU", U64_VALUES.iter().map(|&x| u64_lua(x))));
    lua.push_str(&table("EV", SMALL_FRACTIONS.iter().map(|&x| num_lua(x))));
    lua.push_str(&table("EW", WIDE_FRACTIONS.iter().map(|&x| num_lua(x))));
    lua.push_str(FOLDS);
    lua
}

/// `EK` has no array part: the JIT records a load by a key that may be a
/// fraction only from a table whose array part is empty (and guards that
/// it stays so); from any other it gives up the trace.
const FOLDS: &str = r#"local EK = { [-0.5] = 5, [2.5] = 7, [-4096.5] = 11, [0.75] = 13, [-1] = 17, [127.5] = 19 }
local function fold(s, x)
  if x ~= x then x = 0.25 elseif x - x ~= 0 then x = 0.75 end
  return (s * 31 + x) % 4294967291
end
local function fold64(s, x)
  return fold(fold(s, tonumber(bit.band(x, 0xffffffffLL))), tonumber(bit.rshift(x, 32)))
end
"#;

/// Entries in each edge-value table.
pub const TABLE_LEN: u32 = 32;

/// The most iterations of a block: fewer than the tables' entries, so the
/// second value of an iteration, at a scattered index, reaches the rest.
const MAX_ITEMS: u32 = 24;

/// 32-bit constants: 12-bit immediates plain, shifted, negative and just
/// outside; logical immediates; values that need MOVZ/MOVN/MOVK.
const BIT_CONSTANTS: [&str; 24] = [
    "0",
    "1",
    "-1",
    "4095",
    "4096",
    "4097",
    "0xfff000",
    "0x1000000",
    "-4095",
    "-4096",
    "-4097",
    "0xff",
    "0xff00",
    "0x0f0f0f0f",
    "0x55555555",
    "0x7fffffff",
    "-0x80000000",
    "0x12345678",
    "0xffff",
    "0x10001",
    "-0x10000",
    "0x7fff0000",
    "3",
    "-2",
];

/// FP constants: encodable as FMOV immediates, and not (literal loads, -0).
const NUM_CONSTANTS: [&str; 18] = [
    "0.5",
    "1",
    "2",
    "-2.5",
    "31",
    "0.125",
    "1.75",
    "-0.0",
    "0.1",
    "1e300",
    "3.14159",
    "2147483648",
    "4294967296",
    "4503599627370496",
    "-1e-310",
    "1.5e-5",
    "-1",
    "0",
];

/// 64-bit constants: small, K12-shaped, logical immediates, 1-4 MOV fragments.
const I64_CONSTANTS: [&str; 20] = [
    "0LL",
    "1LL",
    "-1LL",
    "4095LL",
    "4096LL",
    "-4097LL",
    "0xffLL",
    "0x5555555555555555LL",
    "0x7fffffffffffffffLL",
    "0x123456789abcLL",
    "-0x123456789LL",
    "0xfffffffffffLL",
    "0x100000000LL",
    "0xffffffffLL",
    "0x12340000LL",
    "0x1234000000000000LL",
    "-0x10000LL",
    "0xff00ff00LL",
    "3LL",
    "-2LL",
];

const U64_CONSTANTS: [&str; 12] = [
    "0ULL",
    "1ULL",
    "0xffffffffffffffffULL",
    "0x8000000000000000ULL",
    "0xfffffffffffULL",
    "0x123456789abcdef0ULL",
    "4096ULL",
    "0xffffffffULL",
    "0xff00ff00ff00ff00ULL",
    "3ULL",
    "0x7fffffffffffffffULL",
    "0x10000ULL",
];

/// Divisors of 64-bit division and modulo: never 0 or -1.
const I64_DIVISORS: [&str; 6] = [
    "3LL",
    "7LL",
    "-5LL",
    "4096LL",
    "0x100000000LL",
    "-0x123456789LL",
];
const U64_DIVISORS: [&str; 4] = ["3ULL", "10ULL", "0x100000000ULL", "0x8000000000000000ULL"];

/// Shift and rotate counts: constants below and above 32, as numbers and
/// as int64 (upstream's #1480 reproducer's form), int64 constants of 64
/// and more (the operation takes the count modulo 64, and so must every
/// place that fuses the shift), and masked variables.
const SHIFT_COUNTS: [&str; 19] = [
    "0",
    "1",
    "3",
    "31",
    "32",
    "33",
    "37",
    "63",
    "5LL",
    "31LL",
    "32LL",
    "37LL",
    "63LL",
    "64LL",
    "65LL",
    "127LL",
    "bit.band(b, 63)",
    "bit.band(a, 31)",
    "bit.band(b, 7) + 30",
];

/// One expression block.
pub fn block(rng: &mut Rng) -> ExprBlock {
    let count = if rng.chance(15) {
        rng.range(12, 40)
    } else {
        rng.range(1, 6)
    };
    let stmts = (0..count)
        .map(|_| {
            let ty = *rng.pick(&[Ty::Bit, Ty::Bit, Ty::Num, Ty::I64, Ty::I64, Ty::U64]);
            let depth = rng.range(1, 3) as u32;
            (ty, expr(rng, ty, depth))
        })
        .collect();
    let items = rng.range(2, MAX_ITEMS as i64) as u32;
    let switch = match rng.chance(50) {
        true => Switch::Iteration(rng.range(1, items as i64 - 1) as u32),
        false => Switch::Round(rng.range(1, 4) as u32),
    };
    ExprBlock {
        items,
        stmts,
        keep_live: rng.chance(25),
        twin: Twin {
            switch,
            equal_first: rng.chance(50),
        },
    }
}

/// A random expression of type `ty`, at most `depth` operators deep.
fn expr(rng: &mut Rng, ty: Ty, depth: u32) -> String {
    if depth == 0 || rng.chance(20) {
        return leaf(rng, ty);
    }
    let d = depth - 1;
    match ty {
        Ty::Bit => bit_expr(rng, d),
        Ty::Num => num_expr(rng, d),
        Ty::I64 | Ty::U64 => int64_expr(rng, ty, d),
    }
}

/// A variable (an edge value of this iteration) or a constant.
fn leaf(rng: &mut Rng, ty: Ty) -> String {
    let variable = rng.chance(60);
    match (ty, variable) {
        (Ty::Bit, true) => rng.pick(&["a", "b"]).to_string(),
        (Ty::Num, true) => rng.pick(&["e", "f", "a"]).to_string(),
        (Ty::I64, true) => "c".to_owned(),
        (Ty::U64, true) => "d".to_owned(),
        (Ty::Bit, false) => rng.pick(&BIT_CONSTANTS).to_string(),
        (Ty::Num, false) => rng.pick(&NUM_CONSTANTS).to_string(),
        (Ty::I64, false) => rng.pick(&I64_CONSTANTS).to_string(),
        (Ty::U64, false) => rng.pick(&U64_CONSTANTS).to_string(),
    }
}

/// One side of a binary operator: mostly a variable, so that the JIT cannot
/// fold the operation away at record time.
fn operand(rng: &mut Rng, ty: Ty, depth: u32) -> String {
    if depth == 0 {
        return match ty {
            Ty::Bit => rng.pick(&["a", "b"]).to_string(),
            Ty::Num => rng.pick(&["e", "f"]).to_string(),
            Ty::I64 => "c".to_owned(),
            Ty::U64 => "d".to_owned(),
        };
    }
    expr(rng, ty, depth)
}

fn bit_expr(rng: &mut Rng, d: u32) -> String {
    let x = operand(rng, Ty::Bit, d);
    match rng.range(0, 15) {
        0..=2 => {
            let op = rng.pick(&["band", "bor", "bxor"]);
            let y = if rng.chance(50) {
                leaf(rng, Ty::Bit)
            } else {
                expr(rng, Ty::Bit, d)
            };
            format!("bit.{op}({x}, {y})")
        }
        3 => format!("bit.bnot({x})"),
        4..=6 => {
            let op = rng.pick(&["lshift", "rshift", "arshift", "rol", "ror"]);
            let count = rng.pick(&SHIFT_COUNTS[..8]).replace("LL", "");
            format!("bit.{op}({x}, {count})")
        }
        7 => format!("bit.bswap({x})"),
        8 => {
            // Integral and within 2^51: where `bit.tobit` is defined the same
            // everywhere (beyond, it is implementation-defined, LuaJIT#1352).
            let op = rng.pick(&["+", "-"]);
            format!("bit.tobit({x} {op} {})", operand(rng, Ty::Bit, d))
        }
        9..=11 => comparison(rng, d),
        12 => format!(
            "tonumber(ffi.cast(\"{}\", {}))",
            rng.pick(&["int32_t", "int64_t"]),
            wide_fraction(rng)
        ),
        13 => format!(
            "tonumber(bit.band({}, 0x7fffffffLL))",
            operand(rng, Ty::I64, d)
        ),
        _ => {
            let ty = rng.pick(&["int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t"]);
            format!("tonumber(ffi.cast(\"{ty}\", {x}))")
        }
    }
}

fn num_expr(rng: &mut Rng, d: u32) -> String {
    // Int32-range operands make overflow-checked integer arithmetic; others FP.
    let operand_ty = if rng.chance(50) { Ty::Bit } else { Ty::Num };
    let x = operand(rng, operand_ty, d);
    match rng.range(0, 14) {
        0..=3 => {
            let op = rng.pick(&["+", "-", "*", "/"]);
            let y = if rng.chance(50) {
                leaf(rng, operand_ty)
            } else {
                operand(rng, operand_ty, d)
            };
            format!("({x} {op} {y})")
        }
        4 => format!(
            "({x} % {})",
            rng.pick(&["3", "7", "0.5", "4096", "2147483648"])
        ),
        5 => format!("(-({x}))"),
        6 => format!("math.abs({x})"),
        7 => {
            let op = rng.pick(&["min", "max"]);
            format!("math.{op}({x}, {})", leaf(rng, operand_ty))
        }
        8 => format!("math.{}({x})", rng.pick(&["floor", "ceil"])),
        9 => {
            let from = *rng.pick(&[Ty::I64, Ty::U64]);
            format!("tonumber({})", operand(rng, from, d))
        }
        10 => format!("tonumber(ffi.cast(\"float\", {x}))"),
        11 => format!(
            "tonumber(ffi.cast(\"uint32_t\", {}))",
            operand(rng, Ty::Bit, d)
        ),
        _ => fraction_conversion(rng),
    }
}

/// A comparison as 0 or 1, signed, unsigned or FP, whose operands are often
/// equal or neighbours: where a wrong condition code (LT for LE, HI for HS,
/// an unordered FP case) first shows.
fn comparison(rng: &mut Rng, d: u32) -> String {
    let ty = *rng.pick(&[Ty::Bit, Ty::Num, Ty::Num, Ty::I64, Ty::U64]);
    let op = rng.pick(&["<", "<=", ">", ">=", "==", "~="]);
    let (l, r) = match rng.range(0, 9) {
        // A variable and its twin: equal, then neighbours, or the reverse.
        0..=2 => {
            let x = variable(ty);
            (x.to_owned(), format!("{x}2"))
        }
        // An operand against itself: always equal, unless it is NaN.
        3 => {
            let x = operand(rng, ty, d);
            (x.clone(), x)
        }
        // A value of the variable's table or its neighbour: equal to the
        // variable in the iteration that loads it.
        4..=6 => (operand(rng, ty, d), near_constant(rng, ty)),
        _ => (operand(rng, ty, d), leaf(rng, ty)),
    };
    // A constant on the left is swapped by the recorder, the condition with it.
    let (l, r) = if rng.chance(20) { (r, l) } else { (l, r) };
    format!("(({l}) {op} ({r}) and 1 or 0)")
}

/// The variable of a type that has a twin.
fn variable(ty: Ty) -> &'static str {
    match ty {
        Ty::Bit => "a",
        Ty::Num => "e",
        Ty::I64 => "c",
        Ty::U64 => "d",
    }
}

/// A value of the type's edge table, or the next value above or below it;
/// a third of the time the type's own extremes: NaN, -0, +0 and the
/// infinities, or the ends of the integer range.
fn near_constant(rng: &mut Rng, ty: Ty) -> String {
    let step = *rng.pick(&[-1i64, 0, 0, 1]);
    if rng.chance(33) {
        return match ty {
            Ty::Bit => (rng.pick(&[i32::MIN as i64, i32::MAX as i64]) + step).to_string(),
            Ty::Num => num_lua(*rng.pick(&[f64::NAN, -0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY])),
            Ty::I64 => i64_lua(rng.pick(&[i64::MIN, i64::MAX]).wrapping_add(step)),
            Ty::U64 => u64_lua(rng.pick(&[0, u64::MAX, 1 << 63]).wrapping_add_signed(step)),
        };
    }
    match ty {
        Ty::Bit => (rng.pick(&BIT_VALUES) + step).to_string(),
        Ty::Num => {
            let x = *rng.pick(&NUM_VALUES);
            num_lua(match step {
                0 => x,
                _ if !x.is_finite() => x,
                _ => next_float(x, step > 0),
            })
        }
        Ty::I64 => i64_lua(rng.pick(&I64_VALUES).wrapping_add(step)),
        Ty::U64 => u64_lua(rng.pick(&U64_VALUES).wrapping_add_signed(step)),
    }
}

/// The neighbour of a finite `x` upwards or downwards.
fn next_float(x: f64, up: bool) -> f64 {
    if x == 0.0 {
        let tiny = f64::from_bits(1);
        return if up { tiny } else { -tiny };
    }
    let away = (x > 0.0) == up;
    let bits = x.to_bits();
    f64::from_bits(if away { bits + 1 } else { bits - 1 })
}

/// A fraction of the int32 range: `w`, `-w`, or a constant of its table.
fn wide_fraction(rng: &mut Rng) -> String {
    match rng.range(0, 3) {
        0 => "w".to_owned(),
        1 => "(-w)".to_owned(),
        _ => num_lua(*rng.pick(&WIDE_FRACTIONS)),
    }
}

/// A conversion of a fraction to an integer, only where it is defined:
/// casts of `v` (which every integer type holds) to any integer type,
/// casts of `w` to int32_t and int64_t, floor, ceil, `% 1`, `bit.tobit`
/// (rounding to nearest even), and a table indexed by a fraction.
fn fraction_conversion(rng: &mut Rng) -> String {
    match rng.range(0, 6) {
        0 => {
            let ty = rng.pick(&[
                "int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t", "int64_t",
                "uint64_t",
            ]);
            format!("tonumber(ffi.cast(\"{ty}\", v))")
        }
        1 => format!(
            "tonumber(ffi.cast(\"{}\", {}))",
            rng.pick(&["int32_t", "int64_t"]),
            wide_fraction(rng)
        ),
        2 => format!(
            "math.{}({})",
            rng.pick(&["floor", "ceil"]),
            wide_fraction(rng)
        ),
        3 => format!("({} % 1)", wide_fraction(rng)),
        4 => format!("bit.tobit({})", wide_fraction(rng)),
        _ => format!(
            "(EK[{}] or -1)",
            rng.pick(&["v", "w", "math.floor(v)", "-v"])
        ),
    }
}

fn int64_expr(rng: &mut Rng, ty: Ty, d: u32) -> String {
    let (divisors, suffix): (&[&str], &str) = match ty {
        Ty::U64 => (&U64_DIVISORS, "uint64_t"),
        _ => (&I64_DIVISORS, "int64_t"),
    };
    // An int32-range operand is sign-extended to 64 bits: the fused
    // extend-operand forms (LuaJIT#1076's `bit.bor(-i, 0LL)`).
    let x = if rng.chance(25) {
        let inner = operand(rng, Ty::Bit, d);
        format!("(-({inner}))")
    } else {
        operand(rng, ty, d)
    };
    let other = |rng: &mut Rng| {
        if rng.chance(50) {
            leaf(rng, ty)
        } else {
            operand(rng, ty, d)
        }
    };
    match rng.range(0, 12) {
        0..=2 => {
            let op = rng.pick(&["band", "bor", "bxor"]);
            let y = other(rng);
            // Bit results are always cdata when the second operand is.
            format!("bit.{op}({x}, {y})")
        }
        3 => format!("bit.bnot({})", operand(rng, ty, d)),
        4..=6 => {
            let op = rng.pick(&["lshift", "rshift", "arshift", "rol", "ror"]);
            let count = rng.pick(&SHIFT_COUNTS);
            format!("bit.{op}({}, {count})", operand(rng, ty, d))
        }
        7 => format!("bit.bswap({})", operand(rng, ty, d)),
        8 | 9 => {
            let op = rng.pick(&["+", "-", "*"]);
            format!("({} {op} {})", operand(rng, ty, d), other(rng))
        }
        10 => {
            let op = rng.pick(&["/", "%"]);
            format!("({} {op} {})", operand(rng, ty, d), rng.pick(divisors))
        }
        _ => {
            let from = match ty {
                Ty::U64 => Ty::I64,
                _ => Ty::U64,
            };
            format!("ffi.cast(\"{suffix}\", {})", operand(rng, from, d))
        }
    }
}

impl ExprBlock {
    /// The block's function, `b{index}(n)`.
    pub fn render(&self, index: usize, lua: &mut String) {
        let n = TABLE_LEN;
        let m = FRACTIONS_LEN;
        let _ = writeln!(lua, "local function b{index}(n)");
        let _ = writeln!(lua, "  local s = n");
        let _ = writeln!(lua, "  for i = 1, {} do", self.items);
        let _ = writeln!(
            lua,
            "    local a, b = EB[i], EB[(i * 7 + n) % {n} + 1]\n    local c, d = EL[(i + n) % {n} + 1], EU[(i * 5) % {n} + 1]\n    local e, f = EN[i], EN[(i * 11 + n) % {n} + 1]\n    local v, w = EV[(i * 3 + n) % {m} + 1], EW[(i * 5 + n) % {m} + 1]"
        );
        let (counter, at) = match self.twin.switch {
            Switch::Iteration(k) => ("i", k),
            Switch::Round(r) => ("n", r),
        };
        let before = if self.twin.equal_first { "<=" } else { ">" };
        // The neighbours: the lowest bit flipped (±1, and an int32 stays
        // one), times 1 + 2^-52 (one or two steps away from zero; NaN, ±0
        // and ±inf stay themselves), +1 and -1 wrapping for int64 and uint64.
        let _ = writeln!(
            lua,
            "    local same = {counter} {before} {at}\n    local a2, e2 = same and a or bit.bxor(a, 1), same and e or e * 1.0000000000000002\n    local c2, d2 = same and c or c + 1, same and d or d - 1"
        );
        let mut live = Vec::new();
        for (k, (ty, text)) in self.stmts.iter().enumerate() {
            let folder = match ty {
                Ty::I64 | Ty::U64 => "fold64",
                Ty::Bit | Ty::Num => "fold",
            };
            if self.keep_live {
                let _ = writeln!(lua, "    local r{k} = {folder}(0, {text})");
                live.push(format!("r{k}"));
            } else {
                let _ = writeln!(lua, "    s = {folder}(s, {text})");
            }
        }
        if !live.is_empty() {
            let _ = writeln!(lua, "    s = (s + {}) % 4294967291", live.join(" + "));
        }
        let _ = writeln!(lua, "  end\n  return s\nend");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_use_every_type_and_stay_small() {
        let mut rng = Rng::new(3);
        let blocks: Vec<ExprBlock> = (0..200).map(|_| block(&mut rng)).collect();
        for ty in [Ty::Bit, Ty::Num, Ty::I64, Ty::U64] {
            assert!(blocks.iter().any(|b| b.stmts.iter().any(|(t, _)| *t == ty)));
        }
        let longest = blocks
            .iter()
            .flat_map(|b| b.stmts.iter().map(|(_, s)| s.len()))
            .max()
            .unwrap();
        assert!(longest < 2000, "an expression of {longest} characters");
    }

    /// The statements of many blocks, as text.
    fn drawn(seed: u64, blocks: usize) -> Vec<String> {
        let mut rng = Rng::new(seed);
        (0..blocks)
            .flat_map(|_| block(&mut rng).stmts)
            .map(|(_, text)| text)
            .collect()
    }

    #[test]
    fn comparisons_meet_equal_operands_neighbours_and_nan() {
        let texts = drawn(11, 500).join("\n");
        for needle in [
            "((a) <",
            "(a2)",
            "(e2)",
            "(c2)",
            "(d2)",
            "(0/0)",
            "(-0x7fffffffffffffffLL - 1)",
            "9223372036854775806LL",
            "0xfffffffffffffffeULL",
            "2147483648)",
            "-2147483649)",
        ] {
            assert!(texts.contains(needle), "no comparison with {needle}");
        }
        // An operand compared with itself.
        let same = texts
            .split("((")
            .filter_map(|c| c.split_once(") "))
            .any(|(l, rest)| {
                rest.split_once(" (")
                    .is_some_and(|(_, r)| r.starts_with(&format!("{l})")))
            });
        assert!(same, "no operand compared with itself");
    }

    #[test]
    fn twins_switch_inside_the_loop_or_between_rounds() {
        let mut rng = Rng::new(5);
        let blocks: Vec<ExprBlock> = (0..200).map(|_| block(&mut rng)).collect();
        for b in &blocks {
            if let Switch::Iteration(k) = b.twin.switch {
                assert!(k >= 1 && k < b.items, "{b:?}");
            }
        }
        assert!(
            blocks
                .iter()
                .any(|b| matches!(b.twin.switch, Switch::Round(_)))
        );
        assert!(blocks.iter().any(|b| b.twin.equal_first));
        assert!(blocks.iter().any(|b| !b.twin.equal_first));
    }

    #[test]
    fn fractions_convert_and_every_cast_of_one_is_in_range() {
        let texts = drawn(17, 500).join("\n");
        for needle in [
            "ffi.cast(\"uint8_t\", v)",
            "ffi.cast(\"int32_t\", w)",
            "math.floor(",
            "% 1)",
            "bit.tobit(",
            "EK[",
        ] {
            assert!(texts.contains(needle), "no {needle}");
        }
        // `v` may go to any integer type; `w`, `-w` and the wide constants
        // only to int32_t and int64_t.
        for &x in &SMALL_FRACTIONS {
            assert!(x.trunc() >= 0.0 && x.trunc() <= 127.0, "{x}");
        }
        for &x in &WIDE_FRACTIONS {
            // Casts truncate; floor and ceil give numbers, any is defined.
            for y in [x, -x] {
                assert!((-2147483648.0..=2147483647.0).contains(&y.trunc()), "{x}");
            }
            assert!(x.fract() != 0.0, "{x} is no fraction");
        }
        assert!(SMALL_FRACTIONS.iter().any(|x| *x < 0.0 && x.fract() != 0.0));
        for line in texts.lines() {
            for cast in line.split("ffi.cast(").skip(1) {
                let (ty, rest) = cast.split_once(", ").unwrap();
                let arg = rest.split(')').next().unwrap();
                let fraction = arg.parse::<f64>().is_ok_and(|x| x.fract() != 0.0);
                if arg == "w" || arg == "(-w" || fraction {
                    assert!(matches!(ty, "\"int32_t\"" | "\"int64_t\""), "{line}");
                }
            }
        }
    }

    #[test]
    fn value_tables_read_back_as_the_values() {
        let lua = tables();
        for (name, len) in [
            ("EB", TABLE_LEN),
            ("EN", TABLE_LEN),
            ("EL", TABLE_LEN),
            ("EU", TABLE_LEN),
            ("EV", FRACTIONS_LEN),
            ("EW", FRACTIONS_LEN),
        ] {
            let line = lua
                .lines()
                .find(|l| l.starts_with(&format!("local {name} = {{")))
                .unwrap();
            assert_eq!(line.matches(", ").count() + 1, len as usize, "{line}");
        }
        assert_eq!(num_lua(f64::NAN), "(0/0)");
        assert_eq!(num_lua(-0.0), "-0.0");
        assert_eq!(num_lua(2147483647.5), "2147483647.5");
        assert_eq!(next_float(1.0, true), 1.0000000000000002);
        assert_eq!(next_float(1.0, false), 0.9999999999999999);
        assert_eq!(next_float(-1.0, true), -0.9999999999999999);
        assert_eq!(next_float(0.0, false), -f64::from_bits(1));
        assert_eq!(i64_lua(i64::MIN), "(-0x7fffffffffffffffLL - 1)");
        assert_eq!(u64_lua(u64::MAX), "0xffffffffffffffffULL");
    }

    #[test]
    fn no_integer_division_by_zero_or_minus_one() {
        for divisor in I64_DIVISORS.iter().chain(&U64_DIVISORS) {
            let digits = divisor.trim_end_matches("LL").trim_end_matches("U");
            assert!(!matches!(digits, "0" | "-1" | "0U"), "{divisor}");
        }
    }
}
