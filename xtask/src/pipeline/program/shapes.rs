//! Shape blocks: hot loops of code shapes no other family writes, each the
//! lesson of a triaged survivor (docs/mutants.md): loops closed at the
//! bottom (`repeat ... until x == 0`, whose trace closes with a compare and
//! branch on zero), numeric `for` loops at the top of the int32 range
//! (where `stop + step` overflows, so the loop is recorded over numbers)
//! whose start turns fractional in a later iteration, tables made with an
//! array part that a store past its end moves in the same iteration,
//! seeded `math.random` (a call whose 64-bit result lands in an FP
//! register), bit tests of two variables against zero (AND and compare
//! fused into TST), unsigned 32-bit values at and past 2^31 widened and
//! shifted into int64 sums, FP constants of extreme exponents and of
//! bytes all 0x00 or 0xff, ranges of bytes of a string, and shifts
//! made in one iteration and combined in the next (loop-carried operands
//! of an OR that must not be fused into a rotate). Every parameter is
//! drawn, so a shape is a family of programs, not one.

use std::fmt::Write as _;

use super::rng::Rng;

#[derive(Debug, Clone, PartialEq)]
pub struct ShapeBlock {
    /// Iterations of the loop.
    pub items: u32,
    /// The statements, one line of Lua each, folding into `s`.
    pub stmts: Vec<String>,
}

/// Unsigned 32-bit values on both sides of 2^31, as the block's FFI array.
const WIDENED: [u32; 6] = [
    1,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fff0,
    0x8000_0001,
    0xffff_ffff,
];

pub fn block(rng: &mut Rng) -> ShapeBlock {
    let items = rng.range(12, 60) as u32;
    let count = rng.range(1, 4);
    ShapeBlock {
        items,
        stmts: (0..count).map(|_| shape(rng, items)).collect(),
    }
}

fn shape(rng: &mut Rng, items: u32) -> String {
    match rng.range(0, 8) {
        0 => bottom_closed(rng),
        1 => top_of_int32(rng, items),
        2 => growing_array(rng),
        3 => seeded_random(rng),
        4 => two_variable_test(rng),
        5 => widened_shift(rng),
        6 => extreme_constant(rng),
        7 => byte_range(rng),
        _ => carried_shifts(rng),
    }
}

/// `repeat c = c + 1; x = x >> k until x == 0`: a loop of a few rounds
/// closed at the bottom by a test against zero.
fn bottom_closed(rng: &mut Rng) -> String {
    let factor = rng.range(1, 99_999);
    let shift = rng.range(1, 3);
    format!(
        "do local x, c = i * {factor}, 0; repeat c = c + 1; x = bit.rshift(x, {shift}) until x == 0; s = s + c end"
    )
}

/// A `for` loop ending at INT32_MAX (or starting at INT32_MIN and counting
/// down), whose start is fractional once the outer loop passes `switch`.
fn top_of_int32(rng: &mut Rng, items: u32) -> String {
    let length = rng.range(3, 40);
    let switch = rng.range(i64::from(items / 3), i64::from(items));
    let fraction = rng.pick(&["0.5", "0.25", "0.75"]);
    if rng.chance(70) {
        format!(
            "do local a = 2147483647 - {length} - i % 3 - (i > {switch} and {fraction} or 0); for q = a, 2147483647 do s = s + (q - a) end end"
        )
    } else {
        format!(
            "do local a = -2147483648 + {length} + i % 3 + (i > {switch} and {fraction} or 0); for q = a, -2147483648, -1 do s = s + (a - q) end end"
        )
    }
}

/// `{x, y}` made in the loop, then a store past its array part (the
/// array moves) and stores to its first slots.
fn growing_array(rng: &mut Rng) -> String {
    let extra = rng.range(3, 5);
    let factor = rng.range(2, 9);
    format!(
        "do local g = {{i, n}}; g[{extra}] = i; g[1] = g[1] * {factor}; g[2] = -g[2]; s = s + g[1] + g[2] + g[{extra}] end"
    )
}

/// `math.random` after a seed set in the first iteration: the same draws
/// with and without the JIT.
fn seeded_random(rng: &mut Rng) -> String {
    let seed = rng.range(1, 1000);
    let draw = match rng.range(0, 2) {
        0 => format!("math.floor(math.random() * {})", rng.range(2, 1 << 20)),
        1 => format!("math.random({})", rng.range(1, 1000)),
        _ => format!("math.random({}, {})", rng.range(-500, 0), rng.range(1, 500)),
    };
    format!("if i == 1 then math.randomseed({seed} + n) end; s = s + {draw}")
}

/// `bit.band(x, y) == 0` (or `~=`) of two variables.
fn two_variable_test(rng: &mut Rng) -> String {
    let test = rng.pick(&["==", "~="]);
    let (x, y) = match rng.range(0, 2) {
        0 => ("i".to_owned(), format!("i % {} + 1", rng.range(2, 9))),
        1 => ("a".to_owned(), "b".to_owned()),
        _ => ("a".to_owned(), format!("i * {}", rng.range(1, 99))),
    };
    let bump = rng.range(1, 9);
    format!("if bit.band({x}, {y}) {test} 0 then s = s + {bump} end")
}

/// An unsigned 32-bit element widened to int64 and shifted left into a
/// running int64 sum.
fn widened_shift(rng: &mut Rng) -> String {
    let shift = rng.range(0, 4);
    let stride = rng.range(1, 5);
    let len = WIDENED.len();
    format!(
        "w = w + bit.lshift(ffi.cast(\"int64_t\", U[(i * {stride}) % {len}]), {shift}); s = fold64(s, w)"
    )
}

/// `x * K` or `x + K` for a K whose exponent is near either end of the
/// double range (no FMOV immediate holds it), or whose eight bytes are each
/// 0x00 or 0xff (what a MOVI immediate holds: -2^1009 is 0xff00...00).
fn extreme_constant(rng: &mut Rng) -> String {
    let value = if rng.chance(50) {
        bytes_of_ones_and_zeros(rng)
    } else {
        let mantissa = *rng.pick(&[1.0, 1.5, 1.25, 1.75, 1.0625]);
        let exponent = *rng.pick(&[-1022, -1000, -600, 600, 1000, 1009, 1023]);
        let sign = if rng.chance(50) { -1.0 } else { 1.0 };
        sign * mantissa * 2f64.powi(exponent)
    };
    let op = rng.pick(&["*", "+"]);
    format!("s = fold(s, X[i % 5 + 1] {op} {value:?})")
}

/// A finite, nonzero double whose bytes are each 0x00 or 0xff.
fn bytes_of_ones_and_zeros(rng: &mut Rng) -> f64 {
    loop {
        let mask = rng.range(1, 255) as u64;
        let bits = (0..8)
            .filter(|byte| mask >> byte & 1 == 1)
            .fold(0u64, |bits, byte| bits | 0xff << (8 * byte));
        let value = f64::from_bits(bits);
        if value.is_finite() && value != 0.0 {
            return value;
        }
    }
}

/// Three bytes of a string made at run time, from a position that moves:
/// `string.byte(R, k, k + 2)` loads each at a constant offset from `k`.
fn byte_range(rng: &mut Rng) -> String {
    let start = rng.range(1, 6);
    let spread = rng.range(2, 3);
    format!(
        "do local k = i % 20 + {start}; local x, y, z = string.byte(R, k, k + {spread}); s = s + x + 2 * y + 3 * (z or 0) end"
    )
}

/// `bit.bor(p, q)` of shifts made in the iteration before: the shifts are
/// loop-carried values, not operands an OR may fuse.
fn carried_shifts(rng: &mut Rng) -> String {
    let k = rng.range(1, 31);
    let factor = rng.range(3, 0x7ff_ffff);
    format!(
        "s = fold(s, bit.bor(p, q)); p, q = bit.lshift(i * {factor}, {k}), bit.rshift(i * {factor}, {})",
        32 - k
    )
}

impl ShapeBlock {
    /// The block's function, `b{index}(n)`.
    pub fn render(&self, index: usize, lua: &mut String) {
        let values: Vec<String> = WIDENED.iter().map(|v| format!("0x{v:x}")).collect();
        let _ = writeln!(lua, "local function b{index}(n)");
        let _ = writeln!(
            lua,
            "  local s, w, p, q = n, 0LL, 0, 0\n  local U = ffi.new(\"uint32_t[{}]\", {})\n  local X = {{ 0.5, -0.25, 1.5, -3, 2.5 }}",
            WIDENED.len(),
            values.join(", ")
        );
        // A string the recorder cannot take as a constant.
        let _ = writeln!(lua, "  local R = string.rep(\"a1B2c3D4e5\", 3) .. n");
        let _ = writeln!(lua, "  for i = 1, {} do", self.items);
        let _ = writeln!(lua, "    local a, b = i * 7 - 100, n * 13 + i");
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
    fn every_shape_is_drawn() {
        let mut rng = Rng::new(7);
        let lines: Vec<String> = (0..400).map(|_| shape(&mut rng, 30)).collect();
        for needle in [
            "repeat",
            "2147483647 do",
            "-2147483648, -1 do",
            "g[1] = g[1]",
            "math.randomseed(",
            "bit.band(",
            "U[",
            "X[",
            "bit.bor(p, q)",
            "string.byte(R, k, k + ",
        ] {
            assert!(
                lines.iter().any(|l| l.contains(needle)),
                "no shape with {needle}"
            );
        }
    }

    #[test]
    fn for_loops_at_the_int32_edge_turn_fractional_after_recording() {
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let line = top_of_int32(&mut rng, 30);
            let switch: u32 = line
                .split("(i > ")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap();
            // Not before a third of the loop, so its trace exists by then.
            assert!((10..=30).contains(&switch), "{line}");
        }
    }

    #[test]
    fn extreme_constants_read_back_exactly() {
        let mut rng = Rng::new(13);
        for _ in 0..100 {
            let line = extreme_constant(&mut rng);
            let text = line.rsplit(' ').next().unwrap().trim_end_matches(')');
            let value: f64 = text.parse().unwrap();
            assert!(value.is_finite() && value != 0.0, "{line}");
            assert_eq!(format!("{value:?}"), text);
        }
        // Some are MOVI patterns, -2^1009 among the possible ones.
        let mut rng = Rng::new(17);
        let patterns: Vec<u64> = (0..400)
            .map(|_| bytes_of_ones_and_zeros(&mut rng).to_bits())
            .collect();
        for bits in &patterns {
            assert!(bits.to_le_bytes().iter().all(|b| *b == 0 || *b == 0xff));
        }
        assert!(patterns.contains(&(-(2f64.powi(1009))).to_bits()));
    }

    #[test]
    fn a_rendered_block_declares_what_its_shapes_use() {
        let block = ShapeBlock {
            items: 20,
            stmts: vec![
                widened_shift(&mut Rng::new(1)),
                carried_shifts(&mut Rng::new(2)),
            ],
        };
        let mut lua = String::new();
        block.render(3, &mut lua);
        assert!(
            lua.starts_with("local function b3(n)\n  local s, w, p, q = n, 0LL, 0, 0\n"),
            "{lua}"
        );
        assert!(lua.contains(
            "local U = ffi.new(\"uint32_t[6]\", 0x1, 0x7fffffff, 0x80000000, 0xfffffff0, 0x80000001, 0xffffffff)"
        ));
        assert!(lua.trim_end().ends_with("return s % 4294967291\nend"));
    }
}
