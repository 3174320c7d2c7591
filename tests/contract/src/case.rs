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
//! error must contain on a tree that carries that defect. The catalogue's
//! own facts follow: `title` (the defect in a few words), `fixed-by` (the
//! upstream commits of the fix, or the project's series that fixes it),
//! `stress-finds: no, REASON` (a defect the default stress run does not
//! meet, and what kind of program it would take: for a defect of the
//! project's own fixing on the tree the case fails on, for one upstream
//! fixed on that tree as `cargo xtask rediscover` measures it),
//! `fails-on` and `passes-on` (published trees on which the case was seen
//! to fail and to pass, as `luajit-src VERSION`, or `luajit-src VERSION
//! with DIR` for that tree with the patch series in DIR applied, where no
//! published tree has the fix), which `cargo xtask test` checks again;
//! `defect-in: vm` says the defect is the interpreter's (the VM's assembler
//! code, e.g. `src/vm_arm64.dasc`), not the JIT's, so the case fails on its
//! `fails-on` tree with `-joff` too.

use std::fs;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub name: String,
    pub path: PathBuf,
    pub pins: Vec<String>,
    pub fails_with: Option<String>,
    /// The defect in a few words (`title:`), as an upstream issue would name it.
    pub title: Option<String>,
    /// Upstream commits that fix what the case pins, or the folder of the
    /// project's series that does where upstream has no fix.
    pub fixed_by: Vec<String>,
    /// A tree with the defect.
    pub fails_on: Option<Tree>,
    /// A tree with the fix.
    pub passes_on: Option<Tree>,
    /// Why the default stress run is not expected to find the defect
    /// (`stress-finds: no, REASON`); None when it is.
    pub stress_misses: Option<String>,
    /// The defect is the VM's (`defect-in: vm`): it shows with the JIT off.
    pub vm_defect: bool,
    pub source: Vec<u8>,
}

/// A tree a case was seen on: a published `luajit-src` version, with a
/// patch series of the project applied where `series` is given.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tree {
    pub version: String,
    /// The series' folder, relative to the project root.
    pub series: Option<PathBuf>,
}

impl std::fmt::Display for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "luajit-src {}", self.version)?;
        match &self.series {
            Some(series) => write!(f, " with {}", series.display()),
            None => Ok(()),
        }
    }
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
        let mut title = None;
        let mut fixed_by = Vec::new();
        let (mut fails_on, mut passes_on) = (None, None);
        let mut stress_misses = None;
        let mut vm_defect = false;
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
            } else if let Some(value) = line.strip_prefix("title:") {
                title = Some(value.trim().to_owned()).filter(|t| !t.is_empty());
            } else if let Some(value) = line.strip_prefix("fixed-by:") {
                fixed_by.extend(
                    value
                        .split(',')
                        .map(|c| c.trim().to_owned())
                        .filter(|c| !c.is_empty()),
                );
            } else if let Some(value) = line.strip_prefix("fails-on:") {
                fails_on = Some(tree_named(path, "fails-on", value)?);
            } else if let Some(value) = line.strip_prefix("passes-on:") {
                passes_on = Some(tree_named(path, "passes-on", value)?);
            } else if let Some(value) = line.strip_prefix("defect-in:") {
                match value.trim() {
                    "vm" => vm_defect = true,
                    "jit" => vm_defect = false,
                    other => {
                        return Err(format!(
                            "{}: `defect-in: {other}`: write `defect-in: vm` (the interpreter's defect, shown with -joff too) or `defect-in: jit`",
                            path.display()
                        ));
                    }
                }
            } else if let Some(value) = line.strip_prefix("stress-finds:") {
                let reason = value
                    .trim()
                    .strip_prefix("no")
                    .map(|r| r.trim_start_matches([',', ':', ' ']));
                match reason {
                    Some(reason) if !reason.is_empty() => stress_misses = Some(reason.to_owned()),
                    _ => {
                        return Err(format!(
                            "{}: `stress-finds:` takes `no, REASON` (why the default stress run does not find the defect)",
                            path.display()
                        ));
                    }
                }
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
            title,
            fixed_by,
            fails_on,
            passes_on,
            stress_misses,
            vm_defect,
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

/// The tree of `luajit-src VERSION` or `luajit-src VERSION with DIR`, DIR
/// a folder of the project (relative, inside it).
fn tree_named(path: &Path, key: &str, value: &str) -> Result<Tree, String> {
    let named = value.trim().strip_prefix("luajit-src ").and_then(|rest| {
        let (version, series) = match rest.split_once(" with ") {
            Some((version, series)) => (version.trim(), Some(series.trim())),
            None => (rest.trim(), None),
        };
        let plain = |s: &str| !s.is_empty() && !s.contains(' ');
        let inside = |s: &str| {
            let dir = Path::new(s);
            dir.is_relative()
                && dir
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
        };
        (plain(version) && series.is_none_or(|s| plain(s) && inside(s))).then(|| Tree {
            version: version.to_owned(),
            series: series.map(PathBuf::from),
        })
    });
    named.ok_or_else(|| {
        format!(
            "{}: `-- {key}: {}` names no tree; write `-- {key}: luajit-src VERSION`, e.g. luajit-src 210.7.3+1ee778a, or `-- {key}: luajit-src VERSION with DIR` for that tree with the series in DIR applied, DIR a folder of the project such as patches/extra/NAME",
            path.display(),
            value.trim()
        )
    })
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
    fn header_gives_the_fix_and_the_trees_it_was_seen_on() {
        let source = b"-- pins: LuaJIT#1065\n-- fixed-by: 5149b0a3, fca1f51b\n-- fails-on: luajit-src 210.4.8+resty107baaf\n-- passes-on: luajit-src 210.5.0+becf5cc\n";
        let case = Case::parse(Path::new("cases/lj1065_x.lua"), source.to_vec()).unwrap();
        assert_eq!(case.fixed_by, ["5149b0a3", "fca1f51b"]);
        let tree = |version: &str, series: Option<&str>| Tree {
            version: version.to_owned(),
            series: series.map(PathBuf::from),
        };
        assert_eq!(case.fails_on, Some(tree("210.4.8+resty107baaf", None)));
        assert_eq!(case.passes_on, Some(tree("210.5.0+becf5cc", None)));
        let patched = Case::parse(
            Path::new("cases/x.lua"),
            b"-- pins: arm64-verify#x\n-- passes-on: luajit-src 210.7.4+c6ffc14 with patches/extra/x\n"
                .to_vec(),
        )
        .unwrap();
        let passes_on = patched.passes_on.unwrap();
        assert_eq!(passes_on, tree("210.7.4+c6ffc14", Some("patches/extra/x")));
        assert_eq!(
            passes_on.to_string(),
            "luajit-src 210.7.4+c6ffc14 with patches/extra/x"
        );
        let bad = Case::parse(
            Path::new("cases/lj1_x.lua"),
            b"-- pins: LuaJIT#1\n-- fails-on: 210.4.8\n".to_vec(),
        );
        assert!(bad.unwrap_err().contains("luajit-src VERSION"));
        for series in ["", "/abs/extra", "../extra", "patches/../../x", "two words"] {
            let header = format!(
                "-- pins: arm64-verify#x\n-- passes-on: luajit-src 210.7.4+c6ffc14 with {series}\n"
            );
            let error = Case::parse(Path::new("cases/x.lua"), header.into_bytes()).unwrap_err();
            assert!(error.contains("with DIR"), "{series:?}: {error}");
        }
    }

    #[test]
    fn header_may_say_the_defect_is_the_vms() {
        let parse =
            |header: &str| Case::parse(Path::new("cases/x.lua"), header.as_bytes().to_vec());
        assert!(
            parse("-- pins: LuaJIT#762\n-- defect-in: vm\n")
                .unwrap()
                .vm_defect
        );
        assert!(!parse("-- pins: LuaJIT#762\n").unwrap().vm_defect);
        assert!(
            parse("-- pins: LuaJIT#762\n-- defect-in: gc\n")
                .unwrap_err()
                .contains("defect-in: vm")
        );
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
