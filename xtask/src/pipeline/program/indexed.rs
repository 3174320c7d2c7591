//! Indexed blocks: hot loops that index FFI arrays and strings by the loop
//! variable, the most common shape of FFI code. The element's offset is the
//! index, sign-extended and scaled by the element's size, added to the
//! pointer: the backend fuses the extension and the scale into the load or
//! store (`asm_fusexref`), or for a string byte adds the index to a
//! constant or a computed string (`IR_STRREF`).

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
}

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
            Access::Byte { .. } => {}
        }
    }
}

fn access(rng: &mut Rng) -> Access {
    let ty = *rng.pick(&TYPES);
    let offset = rng.range(-MAX_OFFSET, MAX_OFFSET) as i32;
    let by_round = rng.chance(30);
    match rng.range(0, 4) {
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
        _ => Access::Byte {
            offset: offset.abs(),
            constant: rng.chance(50),
        },
    }
}

impl IndexedBlock {
    pub fn render(&self, index: usize, lua: &mut String) {
        let _ = writeln!(lua, "local function b{index}(q, n)");
        let mut types: Vec<FfiType> = self
            .accesses
            .iter()
            .filter_map(|a| match a {
                Access::Load { ty, .. } | Access::Store { ty, .. } => Some(*ty),
                Access::Byte { .. } => None,
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
                } => {
                    let half = if matches!(ty, FfiType::F32 | FfiType::F64) {
                        " + 0.5"
                    } else {
                        ""
                    };
                    format!("{}[{}] = i + n{half}", array(ty), element(offset, by_round))
                }
                Access::Byte { offset, constant } => {
                    let string = match constant {
                        true => CONSTANT_STRING,
                        false => "made",
                    };
                    format!("s = s + string.byte({string}, i + {offset})")
                }
            };
            let _ = writeln!(lua, "    {line}");
        }
        let _ = writeln!(lua, "  end\n  return s % 4294967291\nend");
    }
}

/// A constant string longer than any index: the JIT folds its address.
const CONSTANT_STRING: &str = "\"The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. How vexingly quick daft zebras jump!\"";

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
                    Access::Byte { .. } => None,
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
