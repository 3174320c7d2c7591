//! Regression cases: Lua files whose expectations live in their header comments.
//!
//! ```lua
//! -- pins: LuaJIT#1075
//! -- fails-with: attempt to perform arithmetic on local 'i' (a function value)
//! -- What the case sets up and why it meets the defect.
//! ```
//!
//! A case passes when its chunk runs to completion. `pins` names the upstream
//! issues whose defect makes it fail; `fails-with`, when given, is text the
//! error must contain on a tree that carries that defect.

use std::fs;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub name: String,
    pub path: PathBuf,
    pub pins: Vec<String>,
    pub fails_with: Option<String>,
    pub source: Vec<u8>,
}

impl Case {
    pub fn parse(path: &Path, source: Vec<u8>) -> Result<Case, String> {
        let name = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .ok_or_else(|| format!("{}: file name is not UTF-8", path.display()))?
            .to_owned();
        let text = String::from_utf8_lossy(&source);
        let mut pins = Vec::new();
        let mut fails_with = None;
        for line in text.lines().take_while(|line| line.starts_with("--")) {
            let line = line.trim_start_matches('-').trim();
            if let Some(value) = line.strip_prefix("pins:") {
                pins.extend(
                    value
                        .split(',')
                        .map(|pin| pin.trim().to_owned())
                        .filter(|pin| !pin.is_empty()),
                );
            } else if let Some(value) = line.strip_prefix("fails-with:") {
                fails_with = Some(value.trim().to_owned());
            }
        }
        if pins.is_empty() {
            return Err(format!(
                "{}: no `-- pins: LuaJIT#NNNN` line in the header; every case names the upstream issue it pins",
                path.display()
            ));
        }
        Ok(Case {
            name,
            path: path.to_owned(),
            pins,
            fails_with,
            source,
        })
    }

    /// Every `*.lua` case under `dir`, sorted by name.
    pub fn load_dir(dir: &Path) -> Result<Vec<Case>, String> {
        let entries = fs::read_dir(dir)
            .map_err(|e| format!("cannot read case directory {}: {e}", dir.display()))?;
        let mut cases = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.extension().is_some_and(|ext| ext == "lua") {
                let source =
                    fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                cases.push(Case::parse(&path, source)?);
            }
        }
        cases.sort_by(|a, b| a.name.cmp(&b.name));
        if cases.is_empty() {
            return Err(format!("no *.lua cases in {}", dir.display()));
        }
        Ok(cases)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_gives_pins_and_expected_error() {
        let source = b"-- pins: LuaJIT#1075, LuaJIT#1056\n-- fails-with: a function value\n-- prose\nlocal x = 1\n-- pins: ignored\n";
        let case = Case::parse(Path::new("cases/lj1075_x.lua"), source.to_vec()).unwrap();
        assert_eq!(case.name, "lj1075_x");
        assert_eq!(case.pins, ["LuaJIT#1075", "LuaJIT#1056"]);
        assert_eq!(case.fails_with.as_deref(), Some("a function value"));
    }

    #[test]
    fn case_without_pins_is_an_error_naming_the_file() {
        let error = Case::parse(Path::new("cases/bad.lua"), b"print(1)\n".to_vec()).unwrap_err();
        assert!(
            error.contains("cases/bad.lua") && error.contains("pins"),
            "{error}"
        );
    }
}
