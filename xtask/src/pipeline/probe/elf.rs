//! Tells an aarch64 executable from an aarch64 shared library by its ELF
//! headers, so that a wrong file is refused before anything runs it.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde::Serialize;

const EM_AARCH64: u16 = 183;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const PT_INTERP: u32 = 3;

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

#[cfg(test)]
mod tests {
    use super::*;

    fn header(machine: u16, kind: u16, interp: bool) -> Vec<u8> {
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
    fn this_host_tool_is_refused_unless_the_host_is_aarch64() {
        let own = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let result = classify(&own);
        assert_eq!(result.is_ok(), std::env::consts::ARCH == "aarch64");
    }
}
