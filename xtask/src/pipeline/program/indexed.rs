//! Indexed blocks: hot loops that index FFI arrays and strings by the loop
//! variable, the most common shape of FFI code. The element's offset is the
//! index, sign-extended and scaled by the element's size, added to the
//! pointer: the backend fuses the extension and the scale into the load or
//! store (`asm_fusexref`), or for a string byte adds the index to a
//! constant or a computed string (`IR_STRREF`).
//!
//! Beside them, accesses at the edges of the offset fields: elements of 1,
//! 2, 4 and 8 bytes at constant indices (or the loop variable plus one)
//! around 4095, where an LDR's scaled 12-bit offset ends, and around the
//! 9-bit unscaled range; fields of structs of 3 to 64 bytes at offsets
//! around the ends of the LDRB's and the 32-bit LDR's reach. Each type has
//! a buffer of its own, so no access reads what another type wrote.
//!
//! And pointers into small arrays: an array of 16 bytes or less held in an
//! upvalue is a constant to the recorder (`rec_upvalue` makes only such
//! cdata constants), so `(small + k)[0]` with a variable k is pointer
//! arithmetic on a pointer constant, which is folded and reassociated
//! apart from the SLOAD-based arithmetic of the other accesses.

use std::fmt::Write as _;

use super::ffi::FfiType;
use super::rng::Rng;

#[derive(Debug, Clone, PartialEq)]
pub struct IndexedBlock {
    /// Iterations of the loop.
    pub items: u32,
    pub accesses: Vec<Access>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Access {
    /// `s = s + tonumber(aT[i + offset])` (plus `n % 16` by round), of an
    /// integer type: the bytes may hold anything, and a NaN or an infinity
    /// read as a float would make every later checksum the same.
    Load {
        ty: FfiType,
        offset: i32,
        by_round: bool,
    },
    /// `aT[i + offset] = i + n` (plus `n % 16` in the index by round). The
    /// values stay below 0x7f, so no byte an integer store writes can make
    /// the exponent of a NaN or an infinity for another block's float load.
    Store {
        ty: FfiType,
        offset: i32,
        by_round: bool,
    },
    /// `s = s + string.byte(str, i + offset)`, on a constant string or on
    /// one made at run time.
    Byte { offset: i32, constant: bool },
    /// `fT[index]` (or `fT[i + index - MAX_ITEMS]`), read or written, in
    /// the block's own buffer of the type.
    Far {
        ty: FfiType,
        index: u32,
        by_loop: bool,
        store: bool,
    },
    /// `sK[index].v[field]` (or `sK[i + index - MAX_ITEMS]`), read or
    /// written, in an array of structs of `fields` fields of 1 or 4 bytes.
    Field {
        shape: Shape,
        index: u32,
        field: u32,
        by_loop: bool,
        store: bool,
    },
    /// `(smT + (i * 3 + n) % N)[0]` read (after `p = smT + (i + n) % N;
    /// p[0] = i + n` when `store`), smT an upvalue of 16 bytes (`N`
    /// elements of `ty`) of the block's own: a pointer into a constant array.
    Small { ty: FfiType, store: bool },
}

/// A struct of `fields` fields, `uint8_t` or `int32_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub fields: u32,
    pub wide: bool,
}

impl Shape {
    fn field_size(self) -> u32 {
        if self.wide { 4 } else { 1 }
    }

    fn size(self) -> u32 {
        self.fields * self.field_size()
    }

    fn c_name(self) -> String {
        let field = if self.wide { "int32_t" } else { "uint8_t" };
        format!("struct {{ {field} v[{}]; }}", self.fields)
    }

    fn lua_name(self) -> String {
        format!("s{}_{}", if self.wide { "w" } else { "b" }, self.fields)
    }
}

/// The struct shapes: 3 to 64 bytes, sizes that are and are not powers of two.
const SHAPES: [Shape; 6] = [
    Shape {
        fields: 3,
        wide: false,
    },
    Shape {
        fields: 17,
        wide: false,
    },
    Shape {
        fields: 3,
        wide: true,
    },
    Shape {
        fields: 6,
        wide: true,
    },
    Shape {
        fields: 10,
        wide: true,
    },
    Shape {
        fields: 16,
        wide: true,
    },
];

/// The largest element index of a far access: 4095, the last element an
/// LDR's scaled offset reaches, and a little past it.
const FAR_LAST: u32 = 4097;

/// Byte offsets of far fields: both sides of the end of the 9-bit unscaled
/// range (255), of the LDRB's (4095) and the 32-bit LDR's scaled range
/// (4095 * 4). Only those a field's size aligns are taken.
const FIELD_OFFSETS: [u32; 8] = [252, 255, 256, 4092, 4095, 4096, 16380, 16384];

/// The largest iteration count, constant offset and round term of an
/// element: together, times the widest element (8 bytes), they stay inside
/// the program's FFI buffer, and they stay inside the strings.
const MAX_ITEMS: i64 = 40;
const MAX_OFFSET: i64 = 16;
const ROUND_SPAN: u32 = 16;
/// The repeats of the run-time string's unit, longer than any index.
const STRING_LEN: i32 = 120;

const INTEGER_TYPES: [FfiType; 4] = [FfiType::I8, FfiType::I16, FfiType::I32, FfiType::I64];
const TYPES: [FfiType; 6] = [
    FfiType::I8,
    FfiType::I16,
    FfiType::I32,
    FfiType::I64,
    FfiType::F32,
    FfiType::F64,
];

pub fn block(rng: &mut Rng) -> IndexedBlock {
    let count = rng.range(1, 5);
    let mut block = IndexedBlock {
        items: rng.range(8, MAX_ITEMS) as u32,
        accesses: (0..count).map(|_| access(rng)).collect(),
    };
    one_type_where_stored(&mut block.accesses);
    block
}

/// LuaJIT's alias analysis is (very) strict: accesses of different types
/// through different references do not alias (`aa_xref` in lj_opt_mem.c),
/// so a loop that writes its buffer as one type and reads it as another
/// may read a value the store has not reached, as C would let it. A block
/// that stores therefore makes every access of the first load's type (an
/// integer type), or of the first store's when it has no load; a block
/// that only loads keeps its types.
fn one_type_where_stored(accesses: &mut [Access]) {
    let stores = accesses.iter().any(|a| matches!(a, Access::Store { .. }));
    let first = |want_load: bool| {
        accesses.iter().find_map(|a| match *a {
            Access::Load { ty, .. } if want_load => Some(ty),
            Access::Store { ty, .. } if !want_load => Some(ty),
            _ => None,
        })
    };
    let Some(ty) = stores
        .then(|| first(true).or_else(|| first(false)))
        .flatten()
    else {
        return;
    };
    for access in accesses {
        match access {
            Access::Load { ty: t, .. } | Access::Store { ty: t, .. } => *t = ty,
            Access::Byte { .. }
            | Access::Far { .. }
            | Access::Field { .. }
            | Access::Small { .. } => {}
        }
    }
}

fn access(rng: &mut Rng) -> Access {
    let ty = *rng.pick(&TYPES);
    let offset = rng.range(-MAX_OFFSET, MAX_OFFSET) as i32;
    let by_round = rng.chance(30);
    match rng.range(0, 6) {
        0 | 1 => Access::Load {
            ty: *rng.pick(&INTEGER_TYPES),
            offset,
            by_round,
        },
        2 | 3 => Access::Store {
            ty,
            offset,
            by_round,
        },
        4 => Access::Byte {
            offset: offset.abs(),
            constant: rng.chance(50),
        },
        5 if rng.chance(25) => Access::Small {
            ty,
            store: rng.chance(50),
        },
        _ => far(rng),
    }
}

/// An access at the edge of an offset field.
fn far(rng: &mut Rng) -> Access {
    let by_loop = rng.chance(30);
    let store = rng.chance(50);
    if rng.chance(50) {
        let ty = *rng.pick(&TYPES);
        let index = match rng.range(0, 2) {
            0 => rng.range(FAR_LAST as i64 - 3, FAR_LAST as i64) as u32,
            1 => (256 / ty.size() as u32) - rng.range(0, 1) as u32,
            _ => 4096 / ty.size() as u32,
        };
        return Access::Far {
            ty,
            index,
            by_loop,
            store,
        };
    }
    let shape = *rng.pick(&SHAPES);
    let size = shape.field_size();
    let aligned: Vec<u32> = FIELD_OFFSETS
        .iter()
        .copied()
        .filter(|o| o % size == 0)
        .collect();
    let offset = *rng.pick(&aligned);
    Access::Field {
        shape,
        index: offset / shape.size(),
        field: offset % shape.size() / size,
        by_loop,
        store,
    }
}

/// The element a far access takes: the constant, or (where it leaves the
/// element in the buffer) the loop variable plus the constant less the most
/// iterations, reaching the constant in the last one.
fn far_element(index: u32, by_loop: bool) -> String {
    if by_loop && index >= MAX_ITEMS as u32 {
        format!("i + {}", index - MAX_ITEMS as u32)
    } else {
        index.to_string()
    }
}

/// The elements of a buffer of far fields of a shape.
fn field_elements(shape: Shape) -> u32 {
    FIELD_OFFSETS.iter().max().unwrap() / shape.size() + 1
}

impl IndexedBlock {
    pub fn render(&self, index: usize, lua: &mut String) {
        let mut far_types: Vec<FfiType> = Vec::new();
        let mut shapes: Vec<Shape> = Vec::new();
        let mut small_types: Vec<FfiType> = Vec::new();
        for access in &self.accesses {
            match *access {
                Access::Far { ty, .. } if !far_types.contains(&ty) => far_types.push(ty),
                Access::Field { shape, .. } if !shapes.contains(&shape) => shapes.push(shape),
                Access::Small { ty, .. } if !small_types.contains(&ty) => small_types.push(ty),
                _ => {}
            }
        }
        for ty in &small_types {
            let _ = writeln!(
                lua,
                "local sm{index}_{} = ffi.new(\"{}[{}]\")",
                array(*ty),
                ty.c_name(),
                small_elements(*ty)
            );
        }
        for ty in &far_types {
            let _ = writeln!(
                lua,
                "local far{index}_{} = ffi.new(\"{}[{}]\")",
                array(*ty),
                ty.c_name(),
                FAR_LAST + 1
            );
        }
        for shape in &shapes {
            let _ = writeln!(
                lua,
                "local {}_{index} = ffi.new(\"{}[{}]\")",
                shape.lua_name(),
                shape.c_name(),
                field_elements(*shape)
            );
        }
        let _ = writeln!(lua, "local function b{index}(q, n)");
        let mut types: Vec<FfiType> = self
            .accesses
            .iter()
            .filter_map(|a| match a {
                Access::Load { ty, .. } | Access::Store { ty, .. } => Some(*ty),
                Access::Byte { .. }
                | Access::Far { .. }
                | Access::Field { .. }
                | Access::Small { .. } => None,
            })
            .collect();
        types.sort_by_key(|t| t.c_name());
        types.dedup();
        for ty in &types {
            let _ = writeln!(
                lua,
                "  local {} = ffi.cast(\"{}*\", q)",
                array(*ty),
                ty.c_name()
            );
        }
        if self.accesses.iter().any(|a| {
            matches!(
                a,
                Access::Byte {
                    constant: false,
                    ..
                }
            )
        }) {
            let _ = writeln!(lua, "  local made = string.rep(\"q\" .. n, {STRING_LEN})");
        }
        let _ = writeln!(lua, "  local s = 0");
        let _ = writeln!(lua, "  for i = 1, {} do", self.items);
        for access in &self.accesses {
            let line = match *access {
                Access::Load {
                    ty,
                    offset,
                    by_round,
                } => format!(
                    "s = s + tonumber({}[{}])",
                    array(ty),
                    element(offset, by_round)
                ),
                Access::Store {
                    ty,
                    offset,
                    by_round,
                } => format!(
                    "{}[{}] = i + n{}",
                    array(ty),
                    element(offset, by_round),
                    half(ty)
                ),
                Access::Byte { offset, constant } => {
                    let string = match constant {
                        true => CONSTANT_STRING,
                        false => "made",
                    };
                    format!("s = s + string.byte({string}, i + {offset})")
                }
                Access::Far {
                    ty,
                    index: element,
                    by_loop,
                    store,
                } => {
                    let place = format!(
                        "far{index}_{}[{}]",
                        array(ty),
                        far_element(element, by_loop)
                    );
                    match store {
                        true => format!("{place} = i + n{}", half(ty)),
                        false => format!("s = s + tonumber({place})"),
                    }
                }
                Access::Field {
                    shape,
                    index: element,
                    field,
                    by_loop,
                    store,
                } => {
                    let place = format!(
                        "{}_{index}[{}].v[{field}]",
                        shape.lua_name(),
                        far_element(element, by_loop)
                    );
                    match store {
                        true => format!("{place} = i + n"),
                        false => format!("s = s + {place}"),
                    }
                }
                Access::Small { ty, store } => {
                    let small = format!("sm{index}_{}", array(ty));
                    let count = small_elements(ty);
                    let load = format!("s = s + tonumber(({small} + (i * 3 + n) % {count})[0])");
                    // The store names its pointer first: a line that
                    // starts with `(` would continue the line before.
                    match store {
                        true => format!(
                            "do local p = {small} + (i + n) % {count}; p[0] = i + n{} end\n    {load}",
                            half(ty)
                        ),
                        false => load,
                    }
                }
            };
            let _ = writeln!(lua, "    {line}");
        }
        let _ = writeln!(lua, "  end\n  return s % 4294967291\nend");
    }
}

/// A constant string longer than any index: the JIT folds its address.
const CONSTANT_STRING: &str = "\"The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. How vexingly quick daft zebras jump!\"";

/// The elements of a small array of `ty`: 16 bytes, the most cdata the
/// recorder makes a constant of.
fn small_elements(ty: FfiType) -> u32 {
    16 / ty.size() as u32
}

/// What a store adds to an integer to make a float value that is not one.
fn half(ty: FfiType) -> &'static str {
    if matches!(ty, FfiType::F32 | FfiType::F64) {
        " + 0.5"
    } else {
        ""
    }
}

fn array(ty: FfiType) -> String {
    format!("a_{}", ty.c_name().trim_end_matches("_t"))
}

/// The element an access takes: the loop variable, plus the round number
/// (kept small so the element stays in reach), plus a constant.
fn element(offset: i32, by_round: bool) -> String {
    let round = if by_round {
        format!(" + n % {ROUND_SPAN}")
    } else {
        String::new()
    };
    match offset {
        0 => format!("i{round}"),
        o if o < 0 => format!("i{round} - {}", -o),
        o => format!("i{round} + {o}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_that_stores_accesses_its_buffer_as_one_type() {
        let mut rng = Rng::new(7);
        let mut mixed_loads = 0;
        for _ in 0..2000 {
            let block = block(&mut rng);
            let types: Vec<FfiType> = block
                .accesses
                .iter()
                .filter_map(|a| match a {
                    Access::Load { ty, .. } | Access::Store { ty, .. } => Some(*ty),
                    _ => None,
                })
                .collect();
            let stores = block
                .accesses
                .iter()
                .any(|a| matches!(a, Access::Store { .. }));
            if stores {
                assert!(types.windows(2).all(|w| w[0] == w[1]), "{block:?}");
            } else if types.windows(2).any(|w| w[0] != w[1]) {
                mixed_loads += 1;
            }
        }
        // Blocks that only load still read one buffer as several types.
        assert!(mixed_loads > 0);
    }

    #[test]
    fn no_line_starts_with_a_parenthesis() {
        // Lua reads `x = f\n(p + k)[0] = v` as a call of f: ambiguous syntax.
        let mut rng = Rng::new(11);
        let mut smalls = 0;
        for index in 0..500 {
            let block = block(&mut rng);
            smalls += block
                .accesses
                .iter()
                .filter(|a| matches!(a, Access::Small { store: true, .. }))
                .count();
            let mut lua = String::new();
            block.render(index, &mut lua);
            for line in lua.lines() {
                assert!(!line.trim_start().starts_with('('), "{line}");
            }
        }
        assert!(smalls > 0, "no block stored into a small array");
    }

    #[test]
    fn every_access_stays_in_the_buffer_and_the_string() {
        let farthest = MAX_ITEMS + ROUND_SPAN as i64 + MAX_OFFSET;
        assert!(8 * farthest <= super::super::ffi::FFI_REACH);
        assert!(8 * (ROUND_SPAN as i64 + MAX_OFFSET) <= super::super::ffi::FFI_REACH);
        assert!(MAX_ITEMS + MAX_OFFSET < CONSTANT_STRING.len() as i64 - 2);
        assert!(MAX_ITEMS + MAX_OFFSET < 2 * STRING_LEN as i64);
        let mut rng = Rng::new(9);
        for _ in 0..200 {
            let block = block(&mut rng);
            assert!(block.items <= 40);
            for access in block.accesses {
                if let Access::Byte { offset, .. } = access {
                    assert!((0..=MAX_OFFSET as i32).contains(&offset));
                }
            }
        }
    }

    #[test]
    fn far_accesses_reach_both_sides_of_each_offset_field_and_stay_in_their_buffer() {
        let mut rng = Rng::new(12);
        let mut elements: Vec<(i64, u32)> = Vec::new();
        let mut field_offsets: Vec<(u32, u32)> = Vec::new();
        for _ in 0..600 {
            for access in block(&mut rng).accesses {
                match access {
                    Access::Far {
                        ty, index, by_loop, ..
                    } => {
                        let first = far_element(index, by_loop)
                            .strip_prefix("i + ")
                            .map_or(index, |k| k.parse::<u32>().unwrap() + 1);
                        assert!(first >= 1 && index <= FAR_LAST, "{access:?}");
                        elements.push((ty.size(), index));
                    }
                    Access::Field {
                        shape,
                        index,
                        field,
                        ..
                    } => {
                        assert!(field < shape.fields, "{access:?}");
                        assert!(index < field_elements(shape), "{access:?}");
                        let offset = index * shape.size() + field * shape.field_size();
                        assert!(FIELD_OFFSETS.contains(&offset), "{access:?}");
                        field_offsets.push((shape.field_size(), offset));
                    }
                    _ => {}
                }
            }
        }
        for size in [1, 2, 4, 8] {
            for index in [4095, 4096, 256 / size as u32, 256 / size as u32 - 1] {
                assert!(
                    elements.contains(&(size, index)),
                    "no {size}-byte element {index}"
                );
            }
        }
        for (size, offset) in [
            (1, 4095),
            (1, 4096),
            (4, 16380),
            (4, 16384),
            (4, 252),
            (1, 255),
        ] {
            assert!(
                field_offsets.contains(&(size, offset)),
                "no {size}-byte field at {offset}"
            );
        }
        assert!(SHAPES.iter().all(|s| s.size() <= 64));
        assert!(SHAPES.iter().any(|s| !s.size().is_power_of_two()));
    }

    #[test]
    fn a_rendered_block_declares_each_array_once() {
        let block = IndexedBlock {
            items: 4,
            accesses: vec![
                Access::Load {
                    ty: FfiType::I32,
                    offset: -2,
                    by_round: false,
                },
                Access::Store {
                    ty: FfiType::I32,
                    offset: 3,
                    by_round: true,
                },
                Access::Byte {
                    offset: 1,
                    constant: false,
                },
            ],
        };
        let mut lua = String::new();
        block.render(2, &mut lua);
        assert_eq!(
            lua,
            "local function b2(q, n)\n  local a_int32 = ffi.cast(\"int32_t*\", q)\n  local made = string.rep(\"q\" .. n, 120)\n  local s = 0\n  for i = 1, 4 do\n    s = s + tonumber(a_int32[i - 2])\n    a_int32[i + n % 16 + 3] = i + n\n    s = s + string.byte(made, i + 1)\n  end\n  return s % 4294967291\nend\n"
        );
    }
}
