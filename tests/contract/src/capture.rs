//! The capture file the suite writes after a workload (`suite capture`; how
//! it is made is documented in tests/src/capture.rs), read back on the host.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "luajit-arm64-verify mcode capture 2";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capture {
    pub format: String,
    pub script: String,
    pub error: Option<String>,
    /// The status the script passed to os.exit, when it called it.
    pub exit: Option<i64>,
    pub version: String,
    /// Mapped address ranges `[start, end)`, as "0x..." strings.
    pub maps: Vec<(String, String)>,
    /// Address of IR call i.
    pub ircalls: Vec<String>,
    pub traces: Vec<Trace>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub trace: u32,
    pub parent: Option<u32>,
    pub exit: Option<u32>,
    pub root: u32,
    pub start: Option<String>,
    pub link: u32,
    pub linktype: String,
    pub nexit: u32,
    pub ir: Vec<String>,
    pub address: Option<String>,
    /// Byte offset of the loop label, 0 when there is none.
    #[serde(rename = "loop")]
    pub loop_offset: u32,
    /// Lowercase hex, memory order.
    pub mcode: String,
    pub exit_stubs: Option<String>,
    pub exit_count: u32,
}

impl Capture {
    pub fn load(path: &Path) -> Result<Capture> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the capture {}", path.display()))?;
        let capture: Capture = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a machine-code capture", path.display()))?;
        if capture.format != FORMAT {
            bail!(
                "{}: format `{}`, expected `{FORMAT}`",
                path.display(),
                capture.format
            );
        }
        Ok(capture)
    }

    /// How the script ended, in the words of `Outcome::summary`, for a
    /// capture read back without its run.
    pub fn ending(&self) -> String {
        match (&self.error, self.exit) {
            (Some(error), _) => format!("fail: {error}"),
            (None, Some(0)) | (None, None) => "pass".to_owned(),
            (None, Some(status)) => format!("fail: exit status {status}"),
        }
    }

    /// The mapped ranges as numbers.
    pub fn ranges(&self) -> Result<Vec<(u64, u64)>> {
        self.maps
            .iter()
            .map(|(start, end)| Ok((parse_hex(start)?, parse_hex(end)?)))
            .collect()
    }
}

impl Trace {
    pub fn address(&self) -> Result<Option<u64>> {
        self.address.as_deref().map(parse_hex).transpose()
    }

    pub fn exit_stubs(&self) -> Result<Option<u64>> {
        self.exit_stubs.as_deref().map(parse_hex).transpose()
    }

    pub fn bytes(&self) -> Result<Vec<u8>> {
        let text = self.mcode.as_bytes();
        if !text.len().is_multiple_of(2) {
            bail!(
                "trace {}: odd number of hex digits in its machine code",
                self.trace
            );
        }
        text.chunks(2)
            .map(|pair| {
                let digits = std::str::from_utf8(pair).unwrap_or("zz");
                u8::from_str_radix(digits, 16)
                    .with_context(|| format!("trace {}: `{digits}` is not a hex byte", self.trace))
            })
            .collect()
    }

    /// One line for headings: number, parent and exit, start, link.
    pub fn describe(&self) -> String {
        let mut text = format!("trace {}", self.trace);
        if let (Some(parent), Some(exit)) = (self.parent, self.exit) {
            text.push_str(&format!(" (side of {parent}, exit {exit})"));
        } else if self.root != 0 {
            text.push_str(&format!(" (side of root {})", self.root));
        }
        if let Some(start) = &self.start {
            text.push_str(&format!(" at {start}"));
        }
        text.push_str(&format!(", {}", self.linktype));
        if self.link != 0 && self.link != self.trace {
            text.push_str(&format!(" -> {}", self.link));
        }
        text
    }
}

pub fn parse_hex(text: &str) -> Result<u64> {
    let digits = text
        .strip_prefix("0x")
        .with_context(|| format!("`{text}` is not a 0x... number"))?;
    u64::from_str_radix(digits, 16).with_context(|| format!("`{text}` is not a 0x... number"))
}
