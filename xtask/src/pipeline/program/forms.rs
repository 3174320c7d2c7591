//! Form blocks: hot loops over edge values, each statement one instruction
//! form the backend selects only for a shape of code that random expression
//! trees seldom make. Rotates written as two complementary constant shifts
//! (EXTR/ROR), single-bit tests of 32- and 64-bit values as guards
//! (TBZ/TBNZ), int64 sums compared with zero right after (the compare
//! dropped for the flags of ADDS/SUBS, which differ once the sum wraps),
//! int32 products around 2^31 (MULOV's overflow check), FP constants at the
//! edge of the FMOV immediate encoding, negative integers live across a
//! stitch (boxed by the trace's own snapshot code) and zero-extended 32-bit
//! results (whose upper word must be clear). Every parameter is drawn, so
//! a form is a family of programs, not one.

use std::fmt::Write as _;

use super::rng::Rng;

#[derive(Debug, Clone, PartialEq)]
pub struct FormBlock {
    /// Iterations: one value of each table per iteration.
    pub items: u32,
    /// The statements, one line of Lua each, folding into `s`.
    pub stmts: Vec<String>,
}

/// The forms' own value tables, beside the expression blocks' (`expr::tables`):
/// int64 values whose sums and differences wrap (FW), int32 factors whose
/// products fall on both sides of 2^31 and 2^32 (FM), and integral numbers
/// within 2^51 for `bit.tobit` (FT).
pub const TABLES: &str = r#"local FW = { -0x7fffffffffffffffLL - 1, -1LL, 0x7fffffffffffffffLL, 1LL, -2LL, -0x7ffffffffffffff0LL, 0x7ffffffffffffff0LL, -5LL, 3LL, 0LL, -0x4000000000000000LL, 0x4000000000000001LL }
local FM = { 3, -7, 5, 0x7fff, -32768, 11, 65536, 32768, 46341, -46341, -65536, 49152 }
local FT = { -1, 7, 8589934597, -4294967301, 2147483648, -2147483649, 1125899906842623, 4294967295, 123456789, -0x7fffffff, 0, 68719476735 }
"#;

/// Entries in each of the forms' tables.
pub const TABLE_LEN: u32 = 12;
/// The same, as the forms write it.
const FL: u32 = TABLE_LEN;

/// One form block.
pub fn block(rng: &mut Rng) -> FormBlock {
    let count = rng.range(1, 5);
    FormBlock {
        items: rng.range(4, 40) as u32,
        stmts: (0..count).map(|_| form(rng)).collect(),
    }
}

fn form(rng: &mut Rng) -> String {
    match rng.range(0, 6) {
        0 => rotate(rng),
        1 => bit_test(rng),
        2 => wrap_compare(rng),
        3 => product(rng),
        4 => fp_constant(rng),
        5 => stitched_negative(rng),
        _ => zero_extended(rng),
    }
}

/// `x << k | x >> (w - k)`, either operand first, as 32- or 64-bit `bit.*`.
fn rotate(rng: &mut Rng) -> String {
    let wide = rng.chance(50);
    let width = if wide { 64 } else { 32 };
    let k = rng.range(1, width - 1);
    let suffix = if wide && rng.chance(50) { "LL" } else { "" };
    let (x, folder) = match wide {
        true => (*rng.pick(&["c", "d"]), "fold64"),
        false => (*rng.pick(&["a", "b"]), "fold"),
    };
    let left = format!("bit.lshift({x}, {k}{suffix})");
    let right = format!("bit.rshift({x}, {}{suffix})", width - k);
    let (first, second) = match rng.chance(50) {
        true => (left, right),
        false => (right, left),
    };
    format!("s = {folder}(s, bit.bor({first}, {second}))")
}

/// A guard on one bit, 0-31 of a number or 0-63 of an int64/uint64.
fn bit_test(rng: &mut Rng) -> String {
    let test = if rng.chance(50) { "~=" } else { "==" };
    let bump = rng.range(1, 9);
    if rng.chance(40) {
        let x = rng.pick(&["a", "b"]);
        let bit = rng.range(0, 31);
        format!(
            "if bit.band({x}, {}) {test} 0 then s = s + {bump} end",
            1u64 << bit
        )
    } else {
        let (x, suffix) = *rng.pick(&[("c", "LL"), ("d", "ULL")]);
        let any = rng.range(0, 63) as u32;
        let bit = *rng.pick(&[0, 1, 31, 32, 33, 47, 62, 63, any]);
        format!(
            "if bit.band({x}, 0x{:x}{suffix}) {test} 0{suffix} then s = s + {bump} end",
            1u64 << bit
        )
    }
}

/// An int64 sum or difference of wrapping values, compared with zero at once.
fn wrap_compare(rng: &mut Rng) -> String {
    let op = rng.pick(&["+", "-"]);
    let cmp = rng.pick(&["<", ">=", "<=", ">", "==", "~="]);
    let (i, j) = (rng.range(1, 11), rng.range(1, 11));
    let bump = rng.range(1, 9);
    format!(
        "do local r = FW[(i * {i}) % {FL} + 1] {op} FW[(i * {j} + n) % {FL} + 1]; if r {cmp} 0LL then s = s + {bump} end end"
    )
}

/// An int32 product checked for overflow: factors around 2^15 and 2^16.
fn product(rng: &mut Rng) -> String {
    let (i, j) = (rng.range(1, 11), rng.range(1, 11));
    let y = match rng.chance(30) {
        true => rng.pick(&["65536", "32768", "-65536", "46341"]).to_string(),
        false => format!("FM[(i * {j} + n) % {FL} + 1]"),
    };
    format!("s = fold(s, FM[(i * {i}) % {FL} + 1] * {y})")
}

/// `e * K` or `e + K` for a constant K at the edge of the FMOV immediate
/// encoding: the encodable mantissas (top 4 bits) with one more bit set at
/// or below them, an exponent in or out of its range.
fn fp_constant(rng: &mut Rng) -> String {
    let top = rng.range(0, 15) as u64;
    let extra = match rng.range(0, 3) {
        0 => 0,
        1 => 1u64 << rng.range(32, 47),
        2 => 1u64 << rng.range(0, 31),
        _ => 1u64 << rng.range(48, 51),
    };
    let exponent = (1023 + rng.range(-4, 5)) as u64;
    let sign = (rng.chance(30) as u64) << 63;
    let value = f64::from_bits(sign | exponent << 52 | top << 48 | extra);
    let op = rng.pick(&["*", "+", "-"]);
    let e = rng.pick(&["e", "f"]);
    format!("s = fold(s, {e} {op} {value:?})")
}

/// A negative integer computed before a call the JIT does not compile and
/// used after it, so the trace stitches with it live.
fn stitched_negative(rng: &mut Rng) -> String {
    let x = rng.pick(&["a", "b"]);
    let value = match rng.range(0, 2) {
        0 => format!("-bit.band({x}, 0xffff)"),
        1 => format!("bit.bor({x}, -0x80000000)"),
        _ => format!("-({})", rng.range(1, 1000)),
    };
    format!("do local v = {value}; clock(); s = fold(s, v) end")
}

/// A 32-bit result zero-extended to 64 bits, which the backend leaves to
/// the 32-bit instruction that made it.
fn zero_extended(rng: &mut Rng) -> String {
    let (i, k) = (rng.range(1, 11), rng.range(0, 40));
    let inner = match rng.range(0, 2) {
        0 => format!("bit.tobit(FT[(i * {i}) % {FL} + 1] + {})", 1u64 << k),
        1 => format!("bit.tobit(FT[(i * {i}) % {FL} + 1])"),
        _ => format!("bit.bxor(a, {})", rng.range(-4096, 4096)),
    };
    format!("s = fold64(s, ffi.cast(\"uint64_t\", ffi.cast(\"uint32_t\", {inner})))")
}

impl FormBlock {
    /// The block's function, `b{index}(n)`, over the expression blocks'
    /// edge values and the forms' own tables.
    pub fn render(&self, index: usize, lua: &mut String) {
        let n = super::expr::TABLE_LEN;
        let _ = writeln!(lua, "local function b{index}(n)");
        let _ = writeln!(lua, "  local s = n");
        let _ = writeln!(lua, "  for i = 1, {} do", self.items);
        let _ = writeln!(
            lua,
            "    local a, b = EB[(i + n) % {n} + 1], EB[(i * 7) % {n} + 1]\n    local c, d = EL[(i * 5 + n) % {n} + 1], EU[(i + n) % {n} + 1]\n    local e, f = EN[(i * 3) % {n} + 1], EN[(i + n) % {n} + 1]"
        );
        for stmt in &self.stmts {
            let _ = writeln!(lua, "    {stmt}");
        }
        let _ = writeln!(lua, "  end\n  return s % 4294967291\nend");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_drawn() {
        let mut rng = Rng::new(5);
        let lines: Vec<String> = (0..400).map(|_| form(&mut rng)).collect();
        for needle in [
            "bit.bor(bit.",
            "bit.band(",
            "FW[",
            "FM[",
            "clock()",
            "uint32_t",
            "e ",
        ] {
            assert!(
                lines.iter().any(|l| l.contains(needle)),
                "no form with {needle}"
            );
        }
    }

    #[test]
    fn rotate_counts_add_up_to_the_width() {
        let mut rng = Rng::new(9);
        for _ in 0..200 {
            let line = rotate(&mut rng);
            let counts: Vec<i64> = line
                .split(", ")
                .skip(1)
                .filter_map(|part| {
                    let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
                    digits.parse().ok()
                })
                .collect();
            let width = if line.contains("fold64") { 64 } else { 32 };
            assert_eq!(counts.iter().sum::<i64>(), width, "{line}");
        }
    }

    #[test]
    fn fp_constants_read_back_exactly() {
        let mut rng = Rng::new(11);
        for _ in 0..200 {
            let line = fp_constant(&mut rng);
            let text = line.rsplit(' ').next().unwrap().trim_end_matches(')');
            let value: f64 = text.parse().unwrap();
            assert_eq!(format!("{value:?}"), text);
        }
    }

    #[test]
    fn forms_tables_have_their_length() {
        for line in TABLES.lines() {
            let entries = line.split(',').count() as u32;
            assert_eq!(entries, TABLE_LEN, "{line}");
        }
    }
}
