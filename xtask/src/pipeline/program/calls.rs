//! Call blocks: hot loops that call into C, which no other family does. FFI
//! calls of C library functions with int, int64, float and double arguments
//! and results, at a constant address or through a function pointer taken
//! from a table by the loop variable (an indirect call: `asm_callx`), and
//! writes into a `string.buffer`, whose header the trace updates in place
//! (`asm_bufhdr_write`). Builds without `string.buffer` skip the writes,
//! with the JIT on and off alike.

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
]]
local C = ffi.C
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

fn call(rng: &mut Rng) -> Call {
    match rng.range(0, 4) {
        0 | 1 => Call::Direct(*rng.pick(&FUNCTIONS)),
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
        let _ = writeln!(lua, "local function b{index}(n)");
        let _ = writeln!(lua, "  local s = n");
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
            };
            let _ = writeln!(lua, "    {line}");
        }
        let _ = writeln!(lua, "  end");
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
