//! Turns one trace's machine code into lines that two runs of one build
//! agree on: decoded with yaxpeax-arm, addresses replaced by what they point
//! to, load/store offsets in decimal as the hardware sees them.
//!
//! - No line carries its address: a pair split into two accesses shifts every
//!   later offset, and the diff must show the split, not the shift.
//! - Branch targets inside the trace become labels `L1`, `L2`, ... in address
//!   order, the loop label `->LOOP`; targets elsewhere become `->exit N` (the
//!   exit stubs after the trace: str lr; bl ->vm_exit_handler; movz w0, #traceno;
//!   then one `bl` per exit, see asm_exitstub_setup in lj_asm_arm64.h),
//!   `->trace N` (another trace), `->call#I` (IR call I) or `->ext1`, `->ext2`...
//! - A movz/movn + movk sequence that builds a mapped address (or a tagged
//!   GC64 value holding one) becomes `mov xN, =K1`, and a pc-relative data
//!   reference outside the trace `=K2`: K symbols are numbered by first
//!   appearance within the trace, per distinct value.

use std::collections::{BTreeSet, HashMap};

use anyhow::Result;
use yaxpeax_arch::{Decoder, U8Reader};
use yaxpeax_arm::armv8::a64::{InstDecoder, Instruction, Opcode, Operand, SizeCode};

use contract::capture::{Capture, Trace, parse_hex};

/// What the addresses in a capture can point to.
#[derive(Debug, Default, Clone)]
pub struct Known {
    /// Mapped ranges `[start, end)`.
    pub ranges: Vec<(u64, u64)>,
    /// Traces: start address, length in bytes, number, loop offset.
    pub traces: Vec<(u64, u64, u32, u32)>,
    /// IR call addresses to their index.
    pub ircalls: HashMap<u64, usize>,
}

impl Known {
    pub fn from_capture(capture: &Capture) -> Result<Known> {
        let mut traces = Vec::new();
        for trace in &capture.traces {
            if let Some(address) = trace.address()? {
                traces.push((
                    address,
                    trace.mcode.len() as u64 / 2,
                    trace.trace,
                    trace.loop_offset,
                ));
            }
        }
        let mut ircalls = HashMap::new();
        for (index, address) in capture.ircalls.iter().enumerate() {
            ircalls.entry(parse_hex(address)?).or_insert(index);
        }
        Ok(Known {
            ranges: capture.ranges()?,
            traces,
            ircalls,
        })
    }

    /// A heap or code address, or a GC64 tagged value (itype << 47 | pointer) holding one.
    fn is_address(&self, value: u64) -> bool {
        let mapped = |v: u64| {
            self.ranges
                .iter()
                .any(|&(start, end)| (start..end).contains(&v))
        };
        let tag = value >> 47;
        mapped(value) || ((0x1fff0..0x1ffff).contains(&tag) && mapped(value & ((1 << 47) - 1)))
    }
}

/// One trace's machine code and where it sits.
#[derive(Debug, Clone)]
pub struct Code<'a> {
    pub bytes: &'a [u8],
    pub address: u64,
    /// Byte offset of the loop label, if the trace loops.
    pub loop_offset: Option<u64>,
    /// Byte offset of exit 0's stub and the number of exits.
    pub exit_stubs: Option<(u64, u32)>,
}

impl<'a> Code<'a> {
    pub fn of(trace: &Trace, bytes: &'a [u8]) -> Result<Code<'a>> {
        Ok(Code {
            bytes,
            address: trace.address()?.unwrap_or(0),
            loop_offset: (trace.loop_offset != 0).then_some(trace.loop_offset as u64),
            exit_stubs: trace.exit_stubs()?.map(|offset| (offset, trace.exit_count)),
        })
    }
}

/// The normalised listing of one trace.
pub fn trace_lines(trace: &Trace, known: &Known) -> Result<Vec<String>> {
    let bytes = trace.bytes()?;
    Ok(render(&Code::of(trace, &bytes)?, known))
}

struct Word {
    offset: u64,
    word: u32,
    inst: Option<Instruction>,
}

fn decode(bytes: &[u8]) -> Vec<Word> {
    let decoder = InstDecoder::default();
    bytes
        .chunks_exact(4)
        .enumerate()
        .map(|(index, chunk)| {
            let mut inst = Instruction::default();
            let mut reader = U8Reader::new(chunk);
            let inst = decoder
                .decode_into(&mut inst, &mut reader)
                .is_ok()
                .then_some(inst);
            let word = u32::from_le_bytes(chunk.try_into().expect("chunks of four"));
            Word {
                offset: index as u64 * 4,
                word,
                inst,
            }
        })
        .collect()
}

/// Where a pc-relative operand points, as an absolute address.
fn pc_target(inst: &Instruction, pc: u64) -> Option<u64> {
    inst.operands.iter().find_map(|operand| match *operand {
        Operand::PCOffset(delta) => {
            let base = if inst.opcode == Opcode::ADRP {
                pc & !0xfff
            } else {
                pc
            };
            Some(base.wrapping_add(delta as u64))
        }
        _ => None,
    })
}

/// A pc-relative operand that addresses data rather than code.
fn is_data_reference(opcode: Opcode) -> bool {
    matches!(
        opcode,
        Opcode::ADR | Opcode::ADRP | Opcode::LDR | Opcode::LDRSW | Opcode::PRFM
    )
}

/// A movz/movn/movk: destination register, 16-bit immediate, shift.
fn wide_move(inst: &Instruction) -> Option<(SizeCode, u16, u16, u8)> {
    match (inst.operands[0], inst.operands[1]) {
        (Operand::Register(size, reg), Operand::ImmShift(imm, shift)) => {
            Some((size, reg, imm, shift))
        }
        _ => None,
    }
}

/// The value a movz/movn followed by movks on the same register builds, and
/// how many words the sequence takes.
fn constant_run(words: &[Word]) -> Option<(u64, usize)> {
    let first = words.first()?.inst.as_ref()?;
    let (size, reg, imm, shift) = wide_move(first)?;
    let mut value = match first.opcode {
        Opcode::MOVZ => (imm as u64) << shift,
        Opcode::MOVN => !((imm as u64) << shift),
        _ => return None,
    };
    let mut length = 1;
    for word in &words[1..] {
        let Some(inst) = word
            .inst
            .as_ref()
            .filter(|inst| inst.opcode == Opcode::MOVK)
        else {
            break;
        };
        match wide_move(inst) {
            Some((s, r, imm, shift)) if s == size && r == reg => {
                value = (value & !(0xffff_u64 << shift)) | (imm as u64) << shift;
                length += 1;
            }
            _ => break,
        }
    }
    if size == SizeCode::W {
        value &= 0xffff_ffff;
    }
    Some((value, length))
}

/// Numbers symbols by first appearance: `K1`, `K2`, ... or `->ext1`, ...
#[derive(Default)]
struct Symbols {
    numbers: HashMap<u64, usize>,
}

impl Symbols {
    fn name(&mut self, value: u64, prefix: &str) -> String {
        let next = self.numbers.len() + 1;
        let number = *self.numbers.entry(value).or_insert(next);
        format!("{prefix}{number}")
    }
}

/// Decodes and normalises one trace.
pub fn render(code: &Code, known: &Known) -> Vec<String> {
    let words = decode(code.bytes);
    let size = words.len() as u64 * 4;
    let internal = |target: u64| {
        target
            .checked_sub(code.address)
            .filter(|&offset| offset < size)
    };

    let mut targets = BTreeSet::new();
    for word in &words {
        if let Some(inst) = &word.inst
            && let Some(offset) = pc_target(inst, code.address + word.offset).and_then(internal)
        {
            targets.insert(offset);
        }
    }
    targets.extend(code.loop_offset);
    // Label numbers follow address order; the loop label has its own name.
    let mut labels = HashMap::new();
    let mut number = 0;
    for &offset in &targets {
        let name = if Some(offset) == code.loop_offset {
            "->LOOP".to_owned()
        } else {
            number += 1;
            format!("L{number}")
        };
        labels.insert(offset, name);
    }

    let mut constants = Symbols::default();
    let mut externals = Symbols::default();
    let mut lines = Vec::new();
    let mut index = 0;
    while index < words.len() {
        let word = &words[index];
        if let Some(label) = labels.get(&word.offset) {
            lines.push(format!("{label}:"));
        }
        if let Some((value, length)) = constant_run(&words[index..]) {
            // A label inside the sequence keeps it apart.
            let labelled = words[index + 1..index + length]
                .iter()
                .any(|w| labels.contains_key(&w.offset));
            if known.is_address(value) && !labelled {
                let register = words[index]
                    .inst
                    .as_ref()
                    .map(|inst| inst.operands[0].to_string())
                    .unwrap_or_default();
                lines.push(format!("  mov {register}, ={}", constants.name(value, "K")));
                index += length;
                continue;
            }
        }
        if let Some((register, value)) = page_and_offset(code, &words[index..], &labels) {
            lines.push(format!("  adr {register}, ={}", constants.name(value, "K")));
            index += 2;
            continue;
        }
        let text = match &word.inst {
            None => format!(".word {:#010x}", word.word),
            Some(inst) => {
                let pc = code.address + word.offset;
                let target = pc_target(inst, pc).map(|target| {
                    if let Some(offset) = internal(target) {
                        labels
                            .get(&offset)
                            .cloned()
                            .unwrap_or_else(|| format!("{offset}"))
                    } else if is_data_reference(inst.opcode) {
                        format!("={}", constants.name(target, "K"))
                    } else {
                        code_target(code, known, target, &mut externals)
                    }
                });
                instruction_text(inst, target.as_deref())
            }
        };
        lines.push(format!("  {text}"));
        index += 1;
    }
    lines
}

/// An `adrp xN, page` outside the trace followed by `add xN, xN, #low12`:
/// one address, built in two words, whose low bits move with the code
/// layout of the build as much as the page does.
fn page_and_offset(
    code: &Code,
    words: &[Word],
    labels: &HashMap<u64, String>,
) -> Option<(String, u64)> {
    let (first, second) = (words.first()?, words.get(1)?);
    let (adrp, add) = (first.inst.as_ref()?, second.inst.as_ref()?);
    if adrp.opcode != Opcode::ADRP
        || add.opcode != Opcode::ADD
        || labels.contains_key(&second.offset)
    {
        return None;
    }
    let page = pc_target(adrp, code.address + first.offset)?;
    if page.wrapping_sub(code.address) < code.bytes.len() as u64 {
        return None;
    }
    let register = |operand: &Operand| match *operand {
        Operand::Register(SizeCode::X, r) | Operand::RegisterOrSP(SizeCode::X, r) => Some(r),
        _ => None,
    };
    let destination = register(&adrp.operands[0])?;
    let low = match add.operands[2] {
        Operand::Immediate(imm) => imm as u64,
        Operand::ImmShift(imm, 0) => imm as u64,
        _ => return None,
    };
    let same = register(&add.operands[0]) == Some(destination)
        && register(&add.operands[1]) == Some(destination);
    same.then(|| (adrp.operands[0].to_string(), page.wrapping_add(low)))
}

/// A branch target outside the trace.
fn code_target(code: &Code, known: &Known, target: u64, externals: &mut Symbols) -> String {
    if let Some((first, count)) = code.exit_stubs {
        let offset = target.wrapping_sub(code.address).wrapping_sub(first);
        if offset % 4 == 0 && offset / 4 < count as u64 {
            return format!("->exit {}", offset / 4);
        }
    }
    for &(start, length, number, loop_offset) in &known.traces {
        if target == start {
            return format!("->trace {number}");
        }
        if (start..start + length).contains(&target) {
            let offset = target - start;
            return if loop_offset != 0 && offset == loop_offset as u64 {
                format!("->trace {number} LOOP")
            } else {
                format!("->trace {number}+{offset}")
            };
        }
    }
    if let Some(index) = known.ircalls.get(&target) {
        return format!("->call#{index}");
    }
    externals.name(target, "->ext")
}

/// yaxpeax-arm's text with load/store offsets in decimal and the pc-relative
/// operand replaced by `target`.
fn instruction_text(inst: &Instruction, target: Option<&str>) -> String {
    let mut text = inst.to_string();
    for operand in &inst.operands {
        let replacement = match *operand {
            Operand::RegPreIndex(base, offset, writeback) => {
                let bang = if writeback { "!" } else { "" };
                if offset == 0 && !writeback {
                    continue;
                }
                format!("[{}, #{offset}]{bang}", base_name(base))
            }
            Operand::RegPostIndex(base, offset) => format!("[{}], #{offset}", base_name(base)),
            Operand::PCOffset(_) => match target {
                Some(target) => target.to_owned(),
                None => continue,
            },
            _ => continue,
        };
        text = text.replacen(&operand.to_string(), &replacement, 1);
    }
    text
}

fn base_name(reg: u16) -> String {
    if reg == 31 {
        "sp".to_owned()
    } else {
        format!("x{reg}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: u64 = 0x55_0070_0000;

    fn bytes(words: &[u32]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    fn known() -> Known {
        Known {
            ranges: vec![(0x55_0000_0000, 0x55_1000_0000)],
            ..Known::default()
        }
    }

    fn lines(
        words: &[u32],
        loop_offset: Option<u64>,
        exit_stubs: Option<(u64, u32)>,
    ) -> Vec<String> {
        let bytes = bytes(words);
        render(
            &Code {
                bytes: &bytes,
                address: BASE,
                loop_offset,
                exit_stubs,
            },
            &known(),
        )
    }

    #[test]
    fn load_store_offsets_are_decimal_as_encoded() {
        // str x30, [x19, #488]; stur x0, [x19, #-16]; stp x30, x0, [x19, #496]; ldr x1, [x2]
        let got = lines(
            &[0xf900_f67e, 0xf81f_0260, 0xa91f_027e, 0xf940_0041],
            None,
            None,
        );
        assert_eq!(
            got,
            [
                "  str x30, [x19, #488]",
                "  stur x0, [x19, #-16]",
                "  stp x30, x0, [x19, #496]",
                "  ldr x1, [x2]"
            ]
        );
    }

    #[test]
    fn address_built_by_movz_movk_becomes_a_numbered_constant() {
        // mov x1, #0x5500701234 (movz, movk lsl 16, movk lsl 32) twice, then another address, then 0x5500701234 again
        let movz = |rd: u32, imm: u32, hw: u32| 0xd280_0000 | hw << 21 | imm << 5 | rd;
        let movk = |rd: u32, imm: u32, hw: u32| 0xf280_0000 | hw << 21 | imm << 5 | rd;
        let words = [
            movz(1, 0x1234, 0),
            movk(1, 0x0070, 1),
            movk(1, 0x0055, 2),
            movz(2, 0x5678, 0),
            movk(2, 0x0071, 1),
            movk(2, 0x0055, 2),
            movz(3, 0x1234, 0),
            movk(3, 0x0070, 1),
            movk(3, 0x0055, 2),
            // Not an address: stays as it is.
            movz(4, 0x4059, 3),
        ];
        assert_eq!(
            lines(&words, None, None),
            [
                "  mov x1, =K1",
                "  mov x2, =K2",
                "  mov x3, =K1",
                "  mov x4, #0x4059000000000000"
            ]
        );
    }

    #[test]
    fn tagged_gc64_value_is_a_constant_too() {
        // 0xfffd8055_00701234: itype of a string (~4 << 47) over a mapped address.
        let value: u64 = (0x1fffb << 47) | 0x55_0070_1234;
        let mut words = vec![0xd280_0000 | ((value & 0xffff) as u32) << 5 | 7];
        for hw in 1..4 {
            words.push(0xf280_0000 | hw << 21 | (((value >> (16 * hw)) & 0xffff) as u32) << 5 | 7);
        }
        assert_eq!(lines(&words, None, None), ["  mov x7, =K1"]);
    }

    #[test]
    fn branches_become_labels_exits_and_the_loop() {
        let words = [
            0xf940_0041, // 0: ldr x1, [x2]
            0x5400_0061, // 4: b.ne 16
            0xf940_0041, // 8: ldr x1, [x2], the loop label
            0x1400_0002, // 12: b 20, exit 0: the stubs follow the code
            0x17ff_fffe, // 16: b 8
        ];
        let got = lines(&words, Some(8), Some((20, 2)));
        assert_eq!(
            got,
            [
                "  ldr x1, [x2]",
                "  b.ne L1",
                "->LOOP:",
                "  ldr x1, [x2]",
                "  b ->exit 0",
                "L1:",
                "  b ->LOOP"
            ]
        );
        // b.ne 20, b 20 (exit 2 of stubs at 12), bl 72 (past the stubs)
        let got = lines(
            &[0x5400_00a1, 0x1400_0004, 0x9400_0010],
            None,
            Some((12, 3)),
        );
        assert_eq!(got, ["  b.ne ->exit 2", "  b ->exit 2", "  bl ->ext1"]);
    }

    #[test]
    fn other_traces_and_ir_calls_are_named() {
        let known = Known {
            traces: vec![(BASE + 0x100, 0x40, 7, 0x10)],
            ircalls: HashMap::from([(BASE + 0x1000, 12)]),
            ..known()
        };
        // b BASE+0x100 (trace 7); b BASE+0x110 (its loop); bl BASE+0x1000 (IR call 12); bl BASE+0x2000 twice
        let words = [
            0x1400_0040,
            0x1400_0043,
            0x9400_03fe,
            0x9400_07fd,
            0x9400_07fc,
        ];
        let bytes = bytes(&words);
        let got = render(
            &Code {
                bytes: &bytes,
                address: BASE,
                loop_offset: None,
                exit_stubs: None,
            },
            &known,
        );
        assert_eq!(
            got,
            [
                "  b ->trace 7",
                "  b ->trace 7 LOOP",
                "  bl ->call#12",
                "  bl ->ext1",
                "  bl ->ext1"
            ]
        );
    }

    #[test]
    fn page_and_low_bits_of_an_address_become_one_constant() {
        // adrp x30, one page on; add x30, x30, #0x4d8 — and the same address with other low bits,
        // as a build whose code moved by 16 bytes has it: both read the same.
        assert_eq!(
            lines(&[0xb000_001e, 0x9113_63de], None, None),
            ["  adr x30, =K1"]
        );
        assert_eq!(
            lines(&[0xb000_001e, 0x9113_23de], None, None),
            ["  adr x30, =K1"]
        );
        // An add on another register is left alone.
        assert_eq!(lines(&[0xb000_001e, 0x9113_63bd], None, None).len(), 2);
    }

    #[test]
    fn undefined_word_is_shown_raw() {
        assert_eq!(lines(&[0xffff_6f7a], None, None), ["  .word 0xffff6f7a"]);
    }
}
