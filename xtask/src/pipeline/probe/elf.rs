//! Tells an aarch64 executable from an aarch64 shared library by its ELF
//! headers, so that a wrong file is refused before anything runs it, and
//! reads what running it needs: its program interpreter and the symbol
//! versions (e.g. `GLIBC_2.38`) it asks of each library, or, for a library,
//! the versions it defines.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde::Serialize;

const EM_AARCH64: u16 = 183;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const PT_INTERP: u32 = 3;
const SHT_GNU_VERDEF: u32 = 0x6fff_fffd;
const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;
/// The version definition that names the file itself, not a version.
const VER_FLG_BASE: u16 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Executable,
    SharedLibrary,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Executable => "aarch64 executable",
            Kind::SharedLibrary => "aarch64 shared library",
        }
    }
}

pub fn inspect(path: &Path) -> Result<Kind> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    classify(&bytes).with_context(|| format!("{}", path.display()))
}

/// PIE executables and libraries are both ET_DYN; only an executable asks
/// for a program interpreter (PT_INTERP).
pub fn classify(bytes: &[u8]) -> Result<Kind> {
    if bytes.len() < 64 || &bytes[..4] != b"\x7fELF" {
        bail!("not an ELF file; give an aarch64 `luajit` executable or libluajit-5.1.so");
    }
    if bytes[4] != 2 || bytes[5] != 1 {
        bail!("not a 64-bit little-endian ELF file, so not aarch64 Linux");
    }
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let machine = u16_at(18);
    if machine != EM_AARCH64 {
        bail!("built for ELF machine {machine}, not aarch64 ({EM_AARCH64})");
    }
    let kind = u16_at(16);
    let phoff = u64::from_le_bytes(bytes[32..40].try_into().expect("8 bytes")) as usize;
    let phentsize = u16_at(54) as usize;
    let phnum = u16_at(56) as usize;
    let has_interp = (0..phnum).any(|i| {
        let at = phoff + i * phentsize;
        bytes
            .get(at..at + 4)
            .is_some_and(|t| u32::from_le_bytes(t.try_into().expect("4 bytes")) == PT_INTERP)
    });
    match (kind, has_interp) {
        (ET_EXEC, _) | (ET_DYN, true) => Ok(Kind::Executable),
        (ET_DYN, false) => Ok(Kind::SharedLibrary),
        _ => bail!("ELF type {kind} is neither an executable nor a shared library"),
    }
}

/// One symbol version a binary asks of a library, e.g. `libc.so.6` `GLIBC_2.38`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionNeed {
    pub library: String,
    pub version: String,
}

/// The program interpreter an executable names (PT_INTERP), e.g.
/// `/lib/ld-linux-aarch64.so.1`; none for a library or a static executable.
pub fn interpreter(bytes: &[u8]) -> Option<String> {
    let elf = Elf::new(bytes)?;
    (0..elf.u16(56)? as usize).find_map(|i| {
        let at = elf.u64(32)? as usize + i * elf.u16(54)? as usize;
        if elf.u32(at)? != PT_INTERP {
            return None;
        }
        let (offset, size) = (elf.u64(at + 8)? as usize, elf.u64(at + 32)? as usize);
        elf.c_str(offset, offset.checked_add(size)?)
    })
}

/// Every symbol version the binary asks of a library (its
/// `.gnu.version_r`), in file order.
pub fn version_needs(bytes: &[u8]) -> Result<Vec<VersionNeed>> {
    let elf = Elf::new(bytes).context("not a 64-bit ELF file")?;
    let mut needs = Vec::new();
    for section in elf.sections_of_type(SHT_GNU_VERNEED) {
        let broken = || anyhow::anyhow!("its .gnu.version_r section is cut short");
        let (mut at, strings) = (section.offset, section.strings);
        for _ in 0..section.entries {
            let count = elf.u16(at + 2).ok_or_else(broken)?;
            let library = elf.string(strings, elf.u32(at + 4).ok_or_else(broken)?);
            let library = library.ok_or_else(broken)?;
            let mut aux = at + elf.u32(at + 8).ok_or_else(broken)? as usize;
            for _ in 0..count {
                let name = elf.u32(aux + 8).ok_or_else(broken)?;
                needs.push(VersionNeed {
                    library: library.clone(),
                    version: elf.string(strings, name).ok_or_else(broken)?,
                });
                aux += elf.u32(aux + 12).ok_or_else(broken)? as usize;
            }
            match elf.u32(at + 12).ok_or_else(broken)? {
                0 => break,
                next => at += next as usize,
            }
        }
    }
    Ok(needs)
}

/// Every symbol version a library defines (its `.gnu.version_d`), without
/// the entry naming the library itself.
pub fn version_defs(bytes: &[u8]) -> Result<Vec<String>> {
    let elf = Elf::new(bytes).context("not a 64-bit ELF file")?;
    let mut defs = Vec::new();
    for section in elf.sections_of_type(SHT_GNU_VERDEF) {
        let broken = || anyhow::anyhow!("its .gnu.version_d section is cut short");
        let (mut at, strings) = (section.offset, section.strings);
        for _ in 0..section.entries {
            let flags = elf.u16(at + 2).ok_or_else(broken)?;
            // The first auxiliary entry is the version's own name; later
            // ones name the versions it inherits from.
            let aux = at + elf.u32(at + 12).ok_or_else(broken)? as usize;
            if flags & VER_FLG_BASE == 0 {
                let name = elf.u32(aux).ok_or_else(broken)?;
                defs.push(elf.string(strings, name).ok_or_else(broken)?);
            }
            match elf.u32(at + 16).ok_or_else(broken)? {
                0 => break,
                next => at += next as usize,
            }
        }
    }
    Ok(defs)
}

/// A version section: where its entries start, how many there are, and
/// where the string table their names index begins.
struct VersionSection {
    offset: usize,
    entries: u32,
    strings: usize,
}

/// Bounds-checked little-endian reads of a 64-bit ELF file.
struct Elf<'a> {
    bytes: &'a [u8],
}

impl<'a> Elf<'a> {
    fn new(bytes: &'a [u8]) -> Option<Elf<'a>> {
        (bytes.len() >= 64 && &bytes[..4] == b"\x7fELF" && bytes[4] == 2 && bytes[5] == 1)
            .then_some(Elf { bytes })
    }

    fn u16(&self, at: usize) -> Option<u16> {
        Some(u16::from_le_bytes(
            self.bytes.get(at..at + 2)?.try_into().ok()?,
        ))
    }

    fn u32(&self, at: usize) -> Option<u32> {
        Some(u32::from_le_bytes(
            self.bytes.get(at..at + 4)?.try_into().ok()?,
        ))
    }

    fn u64(&self, at: usize) -> Option<u64> {
        Some(u64::from_le_bytes(
            self.bytes.get(at..at + 8)?.try_into().ok()?,
        ))
    }

    /// The NUL-terminated text at `start`, which must end before `end`.
    fn c_str(&self, start: usize, end: usize) -> Option<String> {
        let text = self.bytes.get(start..end.min(self.bytes.len()))?;
        let len = text.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&text[..len]).into_owned())
    }

    fn string(&self, table: usize, index: u32) -> Option<String> {
        self.c_str(table.checked_add(index as usize)?, self.bytes.len())
    }

    /// The header of section `index`: its type, file offset, `sh_link`
    /// and `sh_info`.
    fn section(&self, index: usize) -> Option<(u32, usize, u32, u32)> {
        let at = self.u64(40)? as usize + index * self.u16(58)? as usize;
        Some((
            self.u32(at + 4)?,
            self.u64(at + 24)? as usize,
            self.u32(at + 40)?,
            self.u32(at + 44)?,
        ))
    }

    fn sections_of_type(&self, wanted: u32) -> Vec<VersionSection> {
        let count = self.u16(60).unwrap_or(0) as usize;
        (0..count)
            .filter_map(|i| {
                let (kind, offset, link, info) = self.section(i)?;
                (kind == wanted).then_some(())?;
                let (_, strings, _, _) = self.section(link as usize)?;
                Some(VersionSection {
                    offset,
                    entries: info,
                    strings,
                })
            })
            .collect()
    }
}

/// Fake aarch64 ELF files for the tests, here and where binaries are
/// checked against a root.
#[cfg(test)]
pub mod fake {
    use super::*;

    /// The ELF header and one program header of an aarch64 file of type
    /// `kind`, the program header PT_INTERP when `interp`.
    pub fn header(machine: u16, kind: u16, interp: bool) -> Vec<u8> {
        let mut bytes = vec![0u8; 64 + 56];
        bytes[..4].copy_from_slice(b"\x7fELF");
        bytes[4] = 2;
        bytes[5] = 1;
        bytes[16..18].copy_from_slice(&kind.to_le_bytes());
        bytes[18..20].copy_from_slice(&machine.to_le_bytes());
        bytes[32..40].copy_from_slice(&64u64.to_le_bytes());
        bytes[54..56].copy_from_slice(&56u16.to_le_bytes());
        bytes[56..58].copy_from_slice(&1u16.to_le_bytes());
        let segment: u32 = if interp { PT_INTERP } else { 1 };
        bytes[64..68].copy_from_slice(&segment.to_le_bytes());
        bytes
    }

    /// An aarch64 ELF file with a program interpreter, a `.gnu.version_r`
    /// asking `needs` (library, versions) and a `.gnu.version_d` defining
    /// `defines` after the entry naming the file.
    pub fn versioned(interp: &str, needs: &[(&str, &[&str])], defines: &[&str]) -> Vec<u8> {
        let mut strings = vec![0u8];
        let mut name = |text: &str| {
            let at = strings.len() as u32;
            strings.extend_from_slice(text.as_bytes());
            strings.push(0);
            at
        };
        let push32 = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
        let push16 = |out: &mut Vec<u8>, v: u16| out.extend_from_slice(&v.to_le_bytes());
        let mut verneed = Vec::new();
        for (k, (library, versions)) in needs.iter().enumerate() {
            let file = name(library);
            push16(&mut verneed, 1);
            push16(&mut verneed, versions.len() as u16);
            push32(&mut verneed, file);
            push32(&mut verneed, 16);
            let size = 16 + 16 * versions.len() as u32;
            push32(&mut verneed, if k + 1 == needs.len() { 0 } else { size });
            for (j, version) in versions.iter().enumerate() {
                let version = name(version);
                push32(&mut verneed, 0);
                push16(&mut verneed, 0);
                push16(&mut verneed, 0);
                push32(&mut verneed, version);
                push32(&mut verneed, if j + 1 == versions.len() { 0 } else { 16 });
            }
        }
        let mut verdef = Vec::new();
        let all: Vec<&str> = std::iter::once("libfake.so.1")
            .chain(defines.iter().copied())
            .collect();
        for (k, version) in all.iter().enumerate() {
            let version = name(version);
            push16(&mut verdef, 1);
            push16(&mut verdef, if k == 0 { VER_FLG_BASE } else { 0 });
            push16(&mut verdef, k as u16 + 1);
            push16(&mut verdef, 1);
            push32(&mut verdef, 0);
            push32(&mut verdef, 20);
            push32(&mut verdef, if k + 1 == all.len() { 0 } else { 28 });
            push32(&mut verdef, version);
            push32(&mut verdef, 0);
        }
        let interp_at = 64 + 56;
        let mut bytes = header(EM_AARCH64, ET_DYN, true);
        bytes[64 + 8..64 + 16].copy_from_slice(&(interp_at as u64).to_le_bytes());
        bytes[64 + 32..64 + 40].copy_from_slice(&(interp.len() as u64 + 1).to_le_bytes());
        bytes.extend_from_slice(interp.as_bytes());
        bytes.push(0);
        let place = |bytes: &mut Vec<u8>, data: &[u8]| {
            let at = bytes.len() as u64;
            bytes.extend_from_slice(data);
            at
        };
        let strings_at = place(&mut bytes, &strings);
        let verneed_at = place(&mut bytes, &verneed);
        let verdef_at = place(&mut bytes, &verdef);
        let sections_at = bytes.len() as u64;
        let mut section = |kind: u32, offset: u64, link: u32, info: u32| {
            let mut entry = vec![0u8; 64];
            entry[4..8].copy_from_slice(&kind.to_le_bytes());
            entry[24..32].copy_from_slice(&offset.to_le_bytes());
            entry[40..44].copy_from_slice(&link.to_le_bytes());
            entry[44..48].copy_from_slice(&info.to_le_bytes());
            bytes.extend_from_slice(&entry);
        };
        section(0, 0, 0, 0);
        section(3, strings_at, 0, 0);
        section(SHT_GNU_VERNEED, verneed_at, 1, needs.len() as u32);
        section(SHT_GNU_VERDEF, verdef_at, 1, all.len() as u32);
        bytes[40..48].copy_from_slice(&sections_at.to_le_bytes());
        bytes[58..60].copy_from_slice(&64u16.to_le_bytes());
        bytes[60..62].copy_from_slice(&4u16.to_le_bytes());
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::fake::{header, versioned};
    use super::*;

    #[test]
    fn pie_executable_library_and_others() {
        assert_eq!(
            classify(&header(EM_AARCH64, ET_DYN, true)).unwrap(),
            Kind::Executable
        );
        assert_eq!(
            classify(&header(EM_AARCH64, ET_EXEC, false)).unwrap(),
            Kind::Executable
        );
        assert_eq!(
            classify(&header(EM_AARCH64, ET_DYN, false)).unwrap(),
            Kind::SharedLibrary
        );
        let x86 = classify(&header(62, ET_DYN, true)).unwrap_err();
        assert!(x86.to_string().contains("not aarch64"), "{x86}");
        assert!(classify(b"#!/bin/sh\n").is_err());
    }

    #[test]
    fn interpreter_and_symbol_versions_are_read_back() {
        let bytes = versioned(
            "/lib/ld-linux-aarch64.so.1",
            &[
                ("libm.so.6", &["GLIBC_2.29", "GLIBC_2.38"]),
                ("libc.so.6", &["GLIBC_2.17"]),
            ],
            &["GLIBC_2.17", "GLIBC_2.36"],
        );
        assert_eq!(
            interpreter(&bytes).as_deref(),
            Some("/lib/ld-linux-aarch64.so.1")
        );
        let needs: Vec<(String, String)> = version_needs(&bytes)
            .unwrap()
            .into_iter()
            .map(|n| (n.library, n.version))
            .collect();
        let pair = |l: &str, v: &str| (l.to_owned(), v.to_owned());
        assert_eq!(
            needs,
            [
                pair("libm.so.6", "GLIBC_2.29"),
                pair("libm.so.6", "GLIBC_2.38"),
                pair("libc.so.6", "GLIBC_2.17")
            ]
        );
        assert_eq!(version_defs(&bytes).unwrap(), ["GLIBC_2.17", "GLIBC_2.36"]);
        let library = header(EM_AARCH64, ET_DYN, false);
        assert_eq!(interpreter(&library), None);
        assert!(version_needs(&library).unwrap().is_empty());
    }

    #[test]
    fn a_cut_version_section_is_an_error_not_a_guess() {
        let bytes = versioned("/lib/ld.so", &[("libc.so.6", &["GLIBC_2.38"])], &[]);
        let sections_at = u64::from_le_bytes(bytes[40..48].try_into().unwrap()) as usize;
        // Point .gnu.version_r past the end of the file.
        let mut cut = bytes.clone();
        let verneed = sections_at + 2 * 64 + 24;
        cut[verneed..verneed + 8].copy_from_slice(&(bytes.len() as u64 + 8).to_le_bytes());
        let error = version_needs(&cut).unwrap_err();
        assert!(error.to_string().contains("cut short"), "{error}");
    }

    #[test]
    fn this_host_tool_is_refused_unless_the_host_is_aarch64() {
        let own = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let result = classify(&own);
        assert_eq!(result.is_ok(), std::env::consts::ARCH == "aarch64");
    }
}
