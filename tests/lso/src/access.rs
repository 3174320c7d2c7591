//! Loads and stores as the architecture defines them: the kinds emit_lso
//! handles, their encodings (to build inputs) and their decoding through
//! yaxpeax-arm (to judge outputs independently of LuaJIT's own tables).

use std::fmt;

use yaxpeax_arch::{Decoder, U8Reader};
use yaxpeax_arm::armv8::a64::{InstDecoder, Instruction, Opcode, Operand, SIMDSizeCode, SizeCode};

/// A load/store kind: the unsigned-offset encoding with zero registers and offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub name: &'static str,
    pub opcode: u32,
    pub size: u32,
    pub load: bool,
    pub fp: bool,
}

/// Every kind emit_lso is called with, in the order of the harness table.
pub const KINDS: [Kind; 12] = [
    Kind {
        name: "ldrb",
        opcode: 0x3940_0000,
        size: 1,
        load: true,
        fp: false,
    },
    Kind {
        name: "strb",
        opcode: 0x3900_0000,
        size: 1,
        load: false,
        fp: false,
    },
    Kind {
        name: "ldrh",
        opcode: 0x7940_0000,
        size: 2,
        load: true,
        fp: false,
    },
    Kind {
        name: "strh",
        opcode: 0x7900_0000,
        size: 2,
        load: false,
        fp: false,
    },
    Kind {
        name: "ldr w",
        opcode: 0xb940_0000,
        size: 4,
        load: true,
        fp: false,
    },
    Kind {
        name: "str w",
        opcode: 0xb900_0000,
        size: 4,
        load: false,
        fp: false,
    },
    Kind {
        name: "ldr x",
        opcode: 0xf940_0000,
        size: 8,
        load: true,
        fp: false,
    },
    Kind {
        name: "str x",
        opcode: 0xf900_0000,
        size: 8,
        load: false,
        fp: false,
    },
    Kind {
        name: "ldr s",
        opcode: 0xbd40_0000,
        size: 4,
        load: true,
        fp: true,
    },
    Kind {
        name: "str s",
        opcode: 0xbd00_0000,
        size: 4,
        load: false,
        fp: true,
    },
    Kind {
        name: "ldr d",
        opcode: 0xfd40_0000,
        size: 8,
        load: true,
        fp: true,
    },
    Kind {
        name: "str d",
        opcode: 0xfd00_0000,
        size: 8,
        load: false,
        fp: true,
    },
];

/// The bit that tells the unsigned-offset form from the unscaled one.
const UNSIGNED_OFFSET: u32 = 0x0100_0000;

impl Kind {
    /// `LDR/STR rt, [rn, #offset]`: offset a multiple of the size, below 4096 × size.
    pub fn encode_u12(&self, rt: u32, rn: u32, offset: i64) -> u32 {
        let imm12 = (offset / self.size as i64) as u32;
        self.opcode | (imm12 & 0xfff) << 10 | rn << 5 | rt
    }

    /// `LDUR/STUR rt, [rn, #offset]`: offset in [-256, 255].
    pub fn encode_s9(&self, rt: u32, rn: u32, offset: i64) -> u32 {
        (self.opcode ^ UNSIGNED_OFFSET) | ((offset as u32) & 0x1ff) << 12 | rn << 5 | rt
    }

    pub fn u12_encodable(&self, offset: i64) -> bool {
        offset >= 0 && offset % self.size as i64 == 0 && offset < 4096 * self.size as i64
    }

    pub fn s9_encodable(offset: i64) -> bool {
        (-256..=255).contains(&offset)
    }

    /// Every offset emit_lso accepts for this kind, ascending.
    pub fn offsets(&self) -> Vec<i64> {
        let size = self.size as i64;
        let mut offsets: Vec<i64> = (-256..=255).chain((0..4096).map(|i| i * size)).collect();
        offsets.sort_unstable();
        offsets.dedup();
        offsets
    }

    /// The access emit_lso is asked for, in the form it should pick.
    pub fn access(&self, reg: u32, base: u32, offset: i64) -> Access {
        let unscaled = !self.u12_encodable(offset);
        Access {
            load: self.load,
            size: self.size,
            fp: self.fp,
            reg,
            base,
            offset,
            unscaled,
        }
    }
}

/// One memory access: direction, width, register file, registers, offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub load: bool,
    pub size: u32,
    pub fp: bool,
    pub reg: u32,
    pub base: u32,
    pub offset: i64,
    /// Encoded as LDUR/STUR; only how it is written, not what it does.
    pub unscaled: bool,
}

impl Access {
    /// Same effect: everything but the encoding form.
    pub fn same_effect(&self, other: &Access) -> bool {
        Access {
            unscaled: false,
            ..*self
        } == Access {
            unscaled: false,
            ..*other
        }
    }

    pub fn same_kind(&self, other: &Access) -> bool {
        (self.load, self.size, self.fp) == (other.load, other.size, other.fp)
    }
}

/// What a word decodes to, as far as this check cares.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    Single(Access),
    /// LDP/STP: `first` at the lower address, `second` right above it.
    Pair {
        first: Access,
        second: Access,
    },
    /// A valid instruction that is no plain load/store or pair.
    Other(String),
    Invalid,
}

pub fn decode(word: u32) -> Decoded {
    let bytes = word.to_le_bytes();
    let mut reader = U8Reader::new(&bytes);
    let mut inst = Instruction::default();
    if InstDecoder::default()
        .decode_into(&mut inst, &mut reader)
        .is_err()
    {
        return Decoded::Invalid;
    }
    let load = match inst.opcode {
        Opcode::LDR
        | Opcode::LDUR
        | Opcode::LDRB
        | Opcode::LDURB
        | Opcode::LDRH
        | Opcode::LDURH
        | Opcode::LDP => true,
        Opcode::STR
        | Opcode::STUR
        | Opcode::STRB
        | Opcode::STURB
        | Opcode::STRH
        | Opcode::STURH
        | Opcode::STP => false,
        _ => return Decoded::Other(inst.to_string()),
    };
    let narrow = match inst.opcode {
        Opcode::LDRB | Opcode::LDURB | Opcode::STRB | Opcode::STURB => Some(1),
        Opcode::LDRH | Opcode::LDURH | Opcode::STRH | Opcode::STURH => Some(2),
        _ => None,
    };
    let register = |operand: &Operand| -> Option<(u32, u32, bool)> {
        match *operand {
            Operand::Register(SizeCode::W, r) => Some((narrow.unwrap_or(4), r as u32, false)),
            Operand::Register(SizeCode::X, r) => Some((8, r as u32, false)),
            Operand::SIMDRegister(code, r) => {
                let size = match code {
                    SIMDSizeCode::B => 1,
                    SIMDSizeCode::H => 2,
                    SIMDSizeCode::S => 4,
                    SIMDSizeCode::D => 8,
                    SIMDSizeCode::Q => 16,
                };
                Some((size, r as u32, true))
            }
            _ => None,
        }
    };
    let address = |operand: &Operand| match *operand {
        Operand::RegPreIndex(base, offset, false) => Some((base as u32, offset as i64)),
        _ => None,
    };
    let other = || Decoded::Other(inst.to_string());
    if matches!(inst.opcode, Opcode::LDP | Opcode::STP) {
        let (Some((size, r1, fp)), Some((size2, r2, fp2)), Some((base, offset))) = (
            register(&inst.operands[0]),
            register(&inst.operands[1]),
            address(&inst.operands[2]),
        ) else {
            return other();
        };
        if size != size2 || fp != fp2 {
            return other();
        }
        let first = Access {
            load,
            size,
            fp,
            reg: r1,
            base,
            offset,
            unscaled: false,
        };
        return Decoded::Pair {
            first,
            second: Access {
                reg: r2,
                offset: offset + size as i64,
                ..first
            },
        };
    }
    match (register(&inst.operands[0]), address(&inst.operands[1])) {
        (Some((size, reg, fp)), Some((base, offset))) => {
            let unscaled = matches!(
                inst.opcode,
                Opcode::LDUR
                    | Opcode::LDURB
                    | Opcode::LDURH
                    | Opcode::STUR
                    | Opcode::STURB
                    | Opcode::STURH
            );
            Decoded::Single(Access {
                load,
                size,
                fp,
                reg,
                base,
                offset,
                unscaled,
            })
        }
        _ => other(),
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let op = match (self.load, self.unscaled) {
            (true, false) => "ldr",
            (true, true) => "ldur",
            (false, false) => "str",
            (false, true) => "stur",
        };
        let suffix = match (self.fp, self.size) {
            (false, 1) => "b",
            (false, 2) => "h",
            _ => "",
        };
        write!(
            f,
            "{op}{suffix} {}, {}",
            register_name(self.fp, self.size, self.reg),
            address_text(self.base, self.offset)
        )
    }
}

impl fmt::Display for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Decoded::Single(access) => write!(f, "{access}"),
            Decoded::Pair { first, second } => write!(
                f,
                "{} {}, {}, {}",
                if first.load { "ldp" } else { "stp" },
                register_name(first.fp, first.size, first.reg),
                register_name(second.fp, second.size, second.reg),
                address_text(first.base, first.offset)
            ),
            Decoded::Other(text) => write!(f, "{text}"),
            Decoded::Invalid => write!(f, "(undefined instruction)"),
        }
    }
}

fn register_name(fp: bool, size: u32, reg: u32) -> String {
    let prefix = match (fp, size) {
        (true, 1) => "b",
        (true, 2) => "h",
        (true, 4) => "s",
        (true, 8) => "d",
        (true, _) => "q",
        (false, 8) => "x",
        (false, _) => "w",
    };
    format!("{prefix}{reg}")
}

fn address_text(base: u32, offset: i64) -> String {
    let base = if base == 31 {
        "sp".to_owned()
    } else {
        format!("x{base}")
    };
    if offset == 0 {
        format!("[{base}]")
    } else {
        format!("[{base}, #{offset}]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodings checked by hand against the Arm ARM and GNU objdump.
    #[test]
    fn decoder_agrees_with_hand_checked_encodings() {
        let x = KINDS[7];
        assert_eq!(x.encode_u12(30, 19, 488), 0xf900_f67e);
        assert_eq!(x.encode_s9(0, 19, -16), 0xf81f_0260);
        assert_eq!(decode(0xf900_f67e).to_string(), "str x30, [x19, #488]");
        assert_eq!(decode(0xf81f_0260).to_string(), "stur x0, [x19, #-16]");
        assert_eq!(decode(0xa91f_027e).to_string(), "stp x30, x0, [x19, #496]");
        assert_eq!(decode(0x297f_04a4).to_string(), "ldp w4, w1, [x5, #-8]");
        assert_eq!(decode(0x6d40_0441).to_string(), "ldp d1, d1, [x2]");
        assert_eq!(decode(0x3840_1041).to_string(), "ldurb w1, [x2, #1]");
        assert_eq!(decode(0x7940_0041).to_string(), "ldrh w1, [x2]");
        assert_eq!(decode(0xbd00_0041).to_string(), "str s1, [x2]");
        // The #1028 symptom: an imm7 that spilled into the opcode bits.
        assert_eq!(decode(0xffff_6f7a), Decoded::Invalid);
    }

    #[test]
    fn every_kind_round_trips_through_the_decoder() {
        for kind in KINDS {
            for offset in [0, kind.size as i64, 4095 * kind.size as i64] {
                assert_eq!(
                    decode(kind.encode_u12(3, 4, offset)),
                    Decoded::Single(kind.access(3, 4, offset)),
                    "{}",
                    kind.name
                );
            }
            for offset in [-256, -1, 1, 255] {
                let Decoded::Single(access) = decode(kind.encode_s9(3, 4, offset)) else {
                    panic!("{}", kind.name)
                };
                assert!(
                    access.unscaled && access.same_effect(&kind.access(3, 4, offset)),
                    "{}: {access}",
                    kind.name
                );
            }
        }
    }
}
