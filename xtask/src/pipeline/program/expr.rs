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

/// Edge values, one table a type, indexed by the loop variable, and the
/// folds of values into a block's checksum. Checksums are kept modulo
/// 4294967291, the largest prime below 2^32, not modulo 2^32: an int32
/// result off by a multiple of 2^32 (an overflow check that let a wrapped
/// value through) must change them.
pub const TABLES: &str = r#"local EB = { 0, 1, -1, 2, 7, 31, 32, 37, 63, 64, 255, 4095, 4096, -4096, 0x7fff, 0xffff, 0x10000, 0x7ffffffe, 0x7fffffff, -0x7fffffff, -0x80000000, 0x12345678, -0x5555556, 1000000 }
local EN = { 0.5, -0.0, 0, 1.5, -2.25, 1e-300, 1e300, 2147483648, -2147483648, 4503599627370496, 9007199254740993, 0.1, 3, -7.75, 9.2233720368547758e18, 1/0, -1/0, 0/0, 4294967295, -1, 2.5, -4096, 65535.5, 1e-310 }
local EL = { 0LL, 1LL, -1LL, 2LL, 63LL, 64LL, 4095LL, 4096LL, -4097LL, 0x7fffffffLL, 0x80000000LL, 0xffffffffLL, 0x100000000LL, 0x7fffffffffffffffLL, -0x7fffffffffffffffLL - 1, 0x123456789abcLL, -0x123456789LL, 0xfffffffffffLL, 0x5555555555555555LL, 0x12340000LL, 0x1234000000000000LL, -0x10000LL, 255LL, 37LL }
local EU = { 0ULL, 1ULL, 0xffffffffffffffffULL, 0x8000000000000000ULL, 0x7fffffffffffffffULL, 0xfffffffffffULL, 0x123456789abcdef0ULL, 4096ULL, 0xffffffffULL, 0x100000000ULL, 2ULL, 37ULL, 0xff00ff00ff00ff00ULL, 0x5555555555555555ULL, 63ULL, 64ULL, 0xfffffffeULL, 0x10000ULL, 0x8000000000000001ULL, 0xfffULL, 0x1000ULL, 12345678901234567ULL, 0xaaaaaaaaaaaaaaaaULL, 7ULL }
local function fold(s, x)
  if x ~= x then x = 0.25 elseif x - x ~= 0 then x = 0.75 end
  return (s * 31 + x) % 4294967291
end
local function fold64(s, x)
  return fold(fold(s, tonumber(bit.band(x, 0xffffffffLL))), tonumber(bit.rshift(x, 32)))
end
"#;

/// Entries in each edge-value table.
pub const TABLE_LEN: u32 = 24;

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
/// as int64 (upstream's #1480 reproducer's form), and masked variables.
const SHIFT_COUNTS: [&str; 16] = [
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
    ExprBlock {
        items: rng.range(2, TABLE_LEN as i64) as u32,
        stmts,
        keep_live: rng.chance(25),
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
    match rng.range(0, 13) {
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
        9 | 10 => {
            // A comparison as 0 or 1: signed, unsigned or FP.
            let ty = *rng.pick(&[Ty::Bit, Ty::Num, Ty::Num, Ty::I64, Ty::U64]);
            let op = rng.pick(&["<", "<=", ">", ">=", "==", "~="]);
            let (l, r) = (operand(rng, ty, d), leaf(rng, ty));
            format!("(({l}) {op} ({r}) and 1 or 0)")
        }
        11 => format!(
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
    match rng.range(0, 12) {
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
        _ => format!(
            "tonumber(ffi.cast(\"uint32_t\", {}))",
            operand(rng, Ty::Bit, d)
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
        let _ = writeln!(lua, "local function b{index}(n)");
        let _ = writeln!(lua, "  local s = n");
        let _ = writeln!(lua, "  for i = 1, {} do", self.items);
        let _ = writeln!(
            lua,
            "    local a, b = EB[i], EB[(i * 7 + n) % {n} + 1]\n    local c, d = EL[(i + n) % {n} + 1], EU[(i * 5) % {n} + 1]\n    local e, f = EN[i], EN[(i * 11 + n) % {n} + 1]"
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

    #[test]
    fn no_integer_division_by_zero_or_minus_one() {
        for divisor in I64_DIVISORS.iter().chain(&U64_DIVISORS) {
            let digits = divisor.trim_end_matches("LL").trim_end_matches("U");
            assert!(!matches!(digits, "0" | "-1" | "0U"), "{divisor}");
        }
    }
}
