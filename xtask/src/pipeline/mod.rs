//! The steps every command is made of, in pipeline order: toolchain →
//! fetch (find the LuaJIT tree) → patch → build → suite → lso (the exhaustive
//! check) → stress → mcode (the machine-code diff) → attribution → report;
//! probe examines a deployed build instead, sweep many trees, audit answers
//! for a Cargo.lock from the sweep's data, and verify is the whole job.
//! `cache` keeps the deterministic steps' results by content; `verdict`
//! holds the verdicts, each written once.
//!
//! The rule between commands and the pipeline: a command file
//! (`xtask/src/*.rs`) turns its flags into plain options, calls the
//! pipeline, prints what it returns and gives the exit status. The pipeline
//! computes and renders (text, Markdown, JSON), prints only progress to
//! stderr, and never reads flags. Imports run downwards: this file imports
//! only the toolchain and the cache.

/// `writeln!` into a String, which cannot fail: the renderers build their
/// text with it (`outln!(out)` is an empty line).
macro_rules! outln {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {
        writeln!($out, $($arg)*).expect("writing to a String")
    };
}

pub mod attribution;
pub mod audit;
pub mod bisect;
pub mod build;
pub mod cache;
pub mod catalogue;
pub mod coverage;
pub mod draft;
pub mod evidence;
pub mod expect;
pub mod fetch;
pub mod findings;
pub mod guard_tally;
pub mod interpreter;
pub mod label;
pub mod lso;
pub mod mcode;
pub mod mutants;
pub mod neighbour;
pub mod patch;
pub mod probe;
pub mod program;
pub mod rediscovery;
pub mod report;
pub mod stress;
pub mod suite;
pub mod summary;
pub mod sweep;
#[cfg(test)]
pub mod testing;
pub mod time_to_find;
pub mod toolchain;
pub mod variants;
pub mod verdict;
pub mod verify;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result};
use xshell::Shell;

/// The Rust target the suite is built for.
pub const TARGET: &str = "aarch64-unknown-linux-gnu";

/// What every step needs: a shell at the project root, the toolchain, and a
/// log of the commands run, for the report.
pub struct Context {
    pub sh: Shell,
    pub root: PathBuf,
    pub toolchain: toolchain::Toolchain,
    pub commands: Vec<String>,
    /// Results of earlier runs with the same inputs, and what was reused.
    pub cache: cache::Cache,
}

impl Context {
    /// Checks (and as root installs) the toolchain, then sets up the shell.
    pub fn new() -> Result<Context> {
        let root = project_root();
        let sh = Shell::new()?;
        sh.change_dir(&root);
        let toolchain = toolchain::Toolchain::ensure(&sh, &root.join("target"))?;
        Ok(Context {
            sh,
            cache: cache::Cache::new(&root.join("target")),
            root,
            toolchain,
            commands: Vec::new(),
        })
    }

    pub fn target_dir(&self) -> PathBuf {
        self.root.join("target")
    }

    /// Where prepared LuaJIT variants live: target/luajit/NAME.
    pub fn variant_dir(&self, name: &str) -> PathBuf {
        self.target_dir().join("luajit").join(name)
    }

    pub fn cases_dir(&self) -> PathBuf {
        self.root.join("tests").join("cases")
    }

    pub fn patches_dir(&self) -> PathBuf {
        self.root.join("patches")
    }

    /// Logs a command for the report, relative to the project root so that
    /// it can be rerun from a clone.
    pub fn record(&mut self, command: impl Into<String>) {
        let root = format!("{}/", self.root.display());
        let command = command.into().replace(&cargo(), "cargo").replace(&root, "");
        self.commands.push(command);
    }
}

/// The `*.lua` files directly in `dir`, sorted by name.
pub fn lua_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    files.retain(|p| p.extension().is_some_and(|e| e == "lua") && p.is_file());
    files.sort();
    Ok(files)
}

/// Lua prints objects with their heap address (`function: 0x5502c3bbb8`),
/// which changes from run to run; the address is replaced by `ADDR`.
pub fn without_heap_addresses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(": 0x") {
        let (head, tail) = rest.split_at(at + 4);
        let digits = tail.chars().take_while(char::is_ascii_hexdigit).count();
        let object = ["function", "table", "userdata", "thread", ">", "builtin"]
            .iter()
            .any(|o| head[..at].ends_with(o));
        if object && digits >= 6 {
            out.push_str(&head[..at]);
            out.push_str(": ADDR");
        } else {
            out.push_str(head);
            out.push_str(&tail[..digits]);
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// Replaces what stands between `<!-- NAME:start -->` and `<!-- NAME:end -->`
/// in the Markdown file `doc` with `body` (after the start marker and a
/// newline); `what` names the body in the error when the markers are
/// missing.
pub fn write_marked_block(doc: &Path, name: &str, what: &str, body: &str) -> Result<()> {
    let text =
        std::fs::read_to_string(doc).with_context(|| format!("cannot read {}", doc.display()))?;
    let updated = with_block(&text, name, body)
        .with_context(|| format!("{} has no place to write {what} into", doc.display()))?;
    std::fs::write(doc, updated).with_context(|| format!("cannot write {}", doc.display()))
}

/// `text` with the block between `<!-- NAME:start -->` and `<!-- NAME:end -->`
/// replaced by `body`.
pub fn with_block(text: &str, name: &str, body: &str) -> Result<String> {
    let (start_marker, end_marker) = (
        format!("<!-- {name}:start -->"),
        format!("<!-- {name}:end -->"),
    );
    let (Some(start), Some(end)) = (text.find(&start_marker), text.find(&end_marker)) else {
        anyhow::bail!("no {start_marker} … {end_marker} block");
    };
    Ok(format!(
        "{}{start_marker}\n{body}{}",
        &text[..start],
        &text[end..]
    ))
}

/// The workspace root, one level above this crate.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

/// `$CARGO` when run through cargo, so the same toolchain builds everything.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Prints a step's start and returns a guard that prints its duration.
pub fn step(what: impl Into<String>) -> Timer {
    let what = what.into();
    eprintln!("==> {what}");
    Timer {
        what,
        started: Instant::now(),
    }
}

/// How long one step took, for the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Timing {
    pub step: String,
    pub seconds: f64,
}

/// How long each step took, in the order they ran.
#[derive(Debug, Clone, Default)]
pub struct Timings(pub Vec<Timing>);

impl Timings {
    pub fn push(&mut self, step: impl Into<String>, seconds: f64) {
        self.0.push(Timing {
            step: step.into(),
            seconds,
        });
    }
}

pub struct Timer {
    what: String,
    started: Instant,
}

impl Timer {
    pub fn done(self) -> f64 {
        let secs = self.started.elapsed().as_secs_f64();
        eprintln!("    {} done in {secs:.1} s", self.what);
        secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_addresses_are_scrubbed_and_seeds_kept() {
        assert_eq!(
            without_heap_addresses(
                "returned a function (function: 0x5502c4bbb8) as its second value"
            ),
            "returned a function (function: ADDR) as its second value"
        );
        assert_eq!(
            without_heap_addresses("program seed: 0x910a2dec89025cc1"),
            "program seed: 0x910a2dec89025cc1"
        );
    }

    #[test]
    fn a_marked_block_is_replaced_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let doc = dir.path().join("doc.md");
        std::fs::write(
            &doc,
            "# Doc\n\n<!-- t:start -->\nold\n<!-- t:end -->\n\nafter\n",
        )
        .unwrap();
        write_marked_block(&doc, "t", "the table", "new\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&doc).unwrap(),
            "# Doc\n\n<!-- t:start -->\nnew\n<!-- t:end -->\n\nafter\n"
        );
        let error = write_marked_block(&doc, "other", "the figures", "x").unwrap_err();
        assert!(
            format!("{error:#}").contains("no <!-- other:start -->"),
            "{error}"
        );
    }
}
