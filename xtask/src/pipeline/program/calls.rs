//! Call blocks: hot loops that call into C, which no other family does. FFI
//! calls of C library functions with int, int64, float and double arguments
//! and results, at a constant address or through a function pointer taken
//! from a table by the loop variable (an indirect call: `asm_callx`), and
//! writes into a `string.buffer`, whose header the trace updates in place
//! (`asm_bufhdr_write`). Builds without `string.buffer` skip the writes,
//! with the JIT on and off alike.
//!
//! Calls of many arguments pass some on the stack: `snprintf` with up to 12
//! integer (int32 and int64 cdata, so that the callee reads what it was
//! given) and 12 double arguments, grouped or interleaved, beyond the 8
//! registers of each class. No C library function of fixed arguments takes
//! that many; variadic arguments are passed like fixed ones on Linux. The
//! text it writes is kept and folded into the checksum after the loop.

use std::fmt::Write as _;

use super::rng::Rng;

#[derive(Debug, Clone, PartialEq)]
pub struct CallBlock {
    /// Iterations of the loop.
    pub items: u32,
    pub calls: Vec<Call>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Call {
    /// One C function called at its constant address.
    Direct(CFunction),
    /// A function of a signature called through a pointer picked from a
    /// table of two by the loop variable.
    Pointer(Signature),
    /// `sb:put(...)`, or `sb:putf(...)` when formatted.
    Buffer { formatted: bool },
    /// `C.snprintf(out, ...)` of `ints` integer and `floats` double
    /// arguments, every third integer an int64 when `wide`, interleaved or
    /// integers first.
    Many {
        ints: u32,
        floats: u32,
        wide: bool,
        interleaved: bool,
    },
}

/// The C functions the calls use, as `CDEF` declares them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CFunction {
    Abs,
    Llabs,
    Fabs,
    Fabsf,
    Floor,
    Ldexp,
    Fmax,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Signature {
    /// `int (*)(int)`: `abs` and `toupper`.
    IntOfInt,
    /// `double (*)(double)`: `fabs` and `floor`.
    DoubleOfDouble,
}

/// Declarations and names every program with call blocks has, once.
pub const CDEF: &str = r#"ffi.cdef[[
int abs(int);
int toupper(int);
long long llabs(long long);
double fabs(double);
float fabsf(float);
double floor(double);
double ldexp(double, int);
double fmax(double, double);
int snprintf(char *s, size_t n, const char *format, ...);
]]
local C = ffi.C
local I32, I64 = ffi.typeof("int32_t"), ffi.typeof("int64_t")
local out = ffi.new("char[1024]")
local has_buffer, buffer = pcall(require, "string.buffer")
"#;

const FUNCTIONS: [CFunction; 7] = [
    CFunction::Abs,
    CFunction::Llabs,
    CFunction::Fabs,
    CFunction::Fabsf,
    CFunction::Floor,
    CFunction::Ldexp,
    CFunction::Fmax,
];

pub fn block(rng: &mut Rng) -> CallBlock {
    let count = rng.range(1, 4);
    CallBlock {
        items: rng.range(8, 60) as u32,
        calls: (0..count).map(|_| call(rng)).collect(),
    }
}

/// The most integer or double arguments of a call: the registers of a class
/// hold 8, the format, buffer and size take 3 of the integer ones.
const MAX_ARGS: u32 = 12;

fn call(rng: &mut Rng) -> Call {
    match rng.range(0, 5) {
        0 | 1 => Call::Direct(*rng.pick(&FUNCTIONS)),
        4 => Call::Many {
            ints: rng.range(3, MAX_ARGS as i64) as u32,
            floats: rng.range(0, MAX_ARGS as i64) as u32,
            wide: rng.chance(50),
            interleaved: rng.chance(50),
        },
        2 => Call::Pointer(*rng.pick(&[Signature::IntOfInt, Signature::DoubleOfDouble])),
        _ => Call::Buffer {
            formatted: rng.chance(50),
        },
    }
}

impl CFunction {
    #[cfg(test)]
    fn c_name(self) -> &'static str {
        match self {
            CFunction::Abs => "abs",
            CFunction::Llabs => "llabs",
            CFunction::Fabs => "fabs",
            CFunction::Fabsf => "fabsf",
            CFunction::Floor => "floor",
            CFunction::Ldexp => "ldexp",
            CFunction::Fmax => "fmax",
        }
    }

    /// The call as a number, from the loop variable `i` and the round `n`.
    fn lua(self) -> &'static str {
        match self {
            CFunction::Abs => "C.abs(i * 37 - n * 11 - 500)",
            CFunction::Llabs => "tonumber(C.llabs(i * -0x100000001LL + n) % 1000003)",
            CFunction::Fabs => "C.fabs(i - 20.5 - n)",
            CFunction::Fabsf => "C.fabsf(i * 0.75 - n)",
            CFunction::Floor => "C.floor((i - n) * 0.3)",
            CFunction::Ldexp => "C.ldexp(i + 0.25, n % 8)",
            CFunction::Fmax => "C.fmax(i * 0.5, n - 3.5)",
        }
    }
}

impl Signature {
    fn table(self) -> &'static str {
        match self {
            Signature::IntOfInt => {
                "{ ffi.cast(\"int (*)(int)\", C.abs), ffi.cast(\"int (*)(int)\", C.toupper) }"
            }
            Signature::DoubleOfDouble => {
                "{ ffi.cast(\"double (*)(double)\", C.fabs), ffi.cast(\"double (*)(double)\", C.floor) }"
            }
        }
    }

    fn argument(self) -> &'static str {
        match self {
            Signature::IntOfInt => "i + 90 - n % 7",
            Signature::DoubleOfDouble => "i * 0.3 - n",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Signature::IntOfInt => "int",
            Signature::DoubleOfDouble => "double",
        }
    }
}

/// The format and the arguments of a call of many arguments, from the loop
/// variable `i` and the round `n`: int32 and int64 values of both signs and
/// doubles with fractions, each argument different.
fn many(ints: u32, floats: u32, wide: bool, interleaved: bool) -> (String, String) {
    let int = |k: u32| match (wide && k % 3 == 2, k % 2) {
        (true, _) => ("%lld", format!("I64(i - {k}) * 0x100000001LL")),
        (false, 0) => ("%d", format!("I32(i + {k})")),
        (false, _) => ("%d", format!("I32(n - i * {k})")),
    };
    let float = |k: u32| ("%.17g", format!("i * 0.5 - {k}.25"));
    let mut args: Vec<(&str, String)> = Vec::new();
    let (mut next_int, mut next_float) = (0, 0);
    while next_int < ints || next_float < floats {
        let take_int =
            next_float >= floats || (next_int < ints && (!interleaved || next_int <= next_float));
        if take_int {
            args.push(int(next_int));
            next_int += 1;
        } else {
            args.push(float(next_float));
            next_float += 1;
        }
    }
    let format: Vec<&str> = args.iter().map(|(f, _)| *f).collect();
    let values: Vec<String> = args.into_iter().map(|(_, v)| v).collect();
    (format.join(" "), values.join(", "))
}

impl CallBlock {
    /// The block's pointer tables and buffer (those it uses) and its
    /// function, `b{index}(n)`.
    pub fn render(&self, index: usize, lua: &mut String) {
        let mut signatures: Vec<Signature> = self
            .calls
            .iter()
            .filter_map(|c| match c {
                Call::Pointer(signature) => Some(*signature),
                _ => None,
            })
            .collect();
        signatures.sort_by_key(|s| s.name());
        signatures.dedup();
        for signature in &signatures {
            let _ = writeln!(
                lua,
                "local fp_{}{index} = {}",
                signature.name(),
                signature.table()
            );
        }
        let buffer = format!("sb{index}");
        let writes = self.calls.iter().any(|c| matches!(c, Call::Buffer { .. }));
        if writes {
            let _ = writeln!(lua, "local {buffer} = has_buffer and buffer.new()");
        }
        let many_args = self.calls.iter().any(|c| matches!(c, Call::Many { .. }));
        let _ = writeln!(lua, "local function b{index}(n)");
        let _ = writeln!(lua, "  local s = n");
        if many_args {
            let _ = writeln!(lua, "  local kept = {{}}");
        }
        let _ = writeln!(lua, "  for i = 1, {} do", self.items);
        for call in &self.calls {
            let line = match *call {
                Call::Direct(function) => format!("s = s + {}", function.lua()),
                Call::Pointer(signature) => format!(
                    "s = s + fp_{}{index}[i % 2 + 1]({})",
                    signature.name(),
                    signature.argument()
                ),
                Call::Buffer { formatted: false } => {
                    format!("if {buffer} then {buffer}:put(i, \",\") end")
                }
                Call::Buffer { formatted: true } => {
                    format!("if {buffer} then {buffer}:putf(\"%d:%g;\", i, i * 0.5 - n) end")
                }
                Call::Many {
                    ints,
                    floats,
                    wide,
                    interleaved,
                } => {
                    let (format, values) = many(ints, floats, wide, interleaved);
                    format!(
                        "do local len = C.snprintf(out, 1024, \"{format}\", {values}); kept[#kept + 1] = ffi.string(out, len) end"
                    )
                }
            };
            let _ = writeln!(lua, "    {line}");
        }
        let _ = writeln!(lua, "  end");
        if many_args {
            let _ = writeln!(
                lua,
                "  for j = 1, #kept do local x = kept[j]; for k = 1, #x do s = (s * 31 + string.byte(x, k)) % 4294967291 end end"
            );
        }
        if writes {
            let _ = writeln!(
                lua,
                "  if {buffer} then\n    local written = {buffer}:tostring()\n    s = s + #written + string.byte(written, -2)\n    {buffer}:reset()\n  end"
            );
        }
        let _ = writeln!(lua, "  return s % 4294967291\nend");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_is_drawn_and_declared() {
        let mut rng = Rng::new(21);
        let calls: Vec<Call> = (0..400).map(|_| call(&mut rng)).collect();
        for function in FUNCTIONS {
            assert!(calls.contains(&Call::Direct(function)), "{function:?}");
            let name = function.c_name();
            assert!(function.lua().contains(&format!("C.{name}(")), "{name}");
            assert!(
                CDEF.contains(&format!(" {name}(")),
                "{name} is not declared"
            );
        }
        assert!(calls.contains(&Call::Pointer(Signature::IntOfInt)));
        assert!(calls.contains(&Call::Pointer(Signature::DoubleOfDouble)));
        assert!(calls.contains(&Call::Buffer { formatted: true }));
        assert!(calls.contains(&Call::Buffer { formatted: false }));
        assert!(CDEF.contains(" snprintf("));
    }

    #[test]
    fn calls_of_many_arguments_pass_some_of_each_class_on_the_stack() {
        let mut rng = Rng::new(8);
        let many: Vec<(u32, u32, bool, bool)> = (0..400)
            .filter_map(|_| match call(&mut rng) {
                Call::Many {
                    ints,
                    floats,
                    wide,
                    interleaved,
                } => Some((ints, floats, wide, interleaved)),
                _ => None,
            })
            .collect();
        // Beyond the 5 integer registers left after the buffer, its size
        // and the format; beyond the 8 FP registers.
        assert!(many.iter().any(|m| m.0 > 5 && m.1 > 8 && m.2 && m.3));
        assert!(many.iter().any(|m| m.0 > 5 && m.1 > 8 && !m.3));
        assert!(many.iter().all(|m| m.0 <= MAX_ARGS && m.1 <= MAX_ARGS));
    }

    #[test]
    fn every_argument_of_a_call_of_many_has_its_conversion() {
        let (format, values) = many(4, 3, true, true);
        assert_eq!(format, "%d %.17g %d %.17g %lld %.17g %d");
        assert_eq!(
            values,
            "I32(i + 0), i * 0.5 - 0.25, I32(n - i * 1), i * 0.5 - 1.25, I64(i - 2) * 0x100000001LL, i * 0.5 - 2.25, I32(n - i * 3)"
        );
        let (format, _) = many(2, 2, false, false);
        assert_eq!(format, "%d %d %.17g %.17g");
        // The worst case fits the buffer: 20 characters an integer, 24 a double.
        let (format, values) = many(MAX_ARGS, MAX_ARGS, true, true);
        assert_eq!(
            format.matches('%').count(),
            values.matches(", ").count() + 1
        );
        const { assert!(MAX_ARGS * (20 + 24 + 2) < 1024) };
    }

    #[test]
    fn a_rendered_block_declares_each_table_and_the_buffer_once() {
        let block = CallBlock {
            items: 2,
            calls: vec![
                Call::Pointer(Signature::DoubleOfDouble),
                Call::Direct(CFunction::Ldexp),
                Call::Pointer(Signature::DoubleOfDouble),
                Call::Buffer { formatted: true },
            ],
        };
        let mut lua = String::new();
        block.render(4, &mut lua);
        assert_eq!(lua.matches("local fp_double4 =").count(), 1, "{lua}");
        assert_eq!(lua.matches("local sb4 =").count(), 1, "{lua}");
        assert!(lua.contains("s = s + fp_double4[i % 2 + 1](i * 0.3 - n)"));
        assert!(lua.contains("s = s + C.ldexp(i + 0.25, n % 8)"));
        assert!(lua.contains("sb4:putf(\"%d:%g;\", i, i * 0.5 - n)"));
        assert!(lua.contains("sb4:reset()"));
    }
}
