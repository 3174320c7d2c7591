//! Mutation testing of the ARM64 backend: how much of it the regression
//! cases and the default stress run can tell apart. A mutant is one edit
//! of one line of `src/lj_asm_arm64.h` or `src/lj_emit_arm64.h` in
//! luajit-src 210.7.4+c6ffc14 with `patches/extra/all-fixes` (a tree on
//! which every case passes and the default stress run finds nothing), and
//! `judge` builds it and runs the cases and the stress programs until one
//! tells it apart.
//!
//! The mutants come from two places: the hand-written set
//! (`tests/backend_mutants.txt`, `handwritten`), each a defect of a kind
//! the backend has really had, and the mutants a kept tool generates from
//! every line (`generate`), of which trivially equivalent ones are dropped
//! (`tce`), a seeded sample is drawn (`sample`), triaged survivors are left
//! out (`triage`) and the rest judged and scored (`campaign`, `score`);
//! the gaps triage names are held to their scripts (`gaps`).

pub mod campaign;
pub mod function;
pub mod gaps;
pub mod generate;
pub mod handwritten;
pub mod judge;
pub mod render;
pub mod sample;
pub mod score;
pub mod tce;
pub mod triage;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

/// The tree the mutants edit, and the series applied to it first.
pub const TREE: &str = "210.7.4+c6ffc14";
pub const SERIES: &str = "patches/extra/all-fixes";
/// The files a mutant may edit: the backend. Both are included only by
/// `lj_asm.c`, so `lj_asm.o` is all a mutant changes in the build.
pub const BACKEND_FILES: [&str; 2] = ["src/lj_asm_arm64.h", "src/lj_emit_arm64.h"];

/// One mutant: line `line` of `file`, which reads `original`, replaced by
/// `replacement`. Lines are counted from 1 and carry no line end.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Edit {
    /// Relative to the tree, one of `BACKEND_FILES`.
    pub file: String,
    pub line: usize,
    pub original: String,
    pub replacement: String,
}

impl Edit {
    /// `source` (the text of `self.file` in `tree`) with the line replaced;
    /// an error when that line does not read `original`.
    pub fn apply(&self, source: &str, tree: &str) -> Result<String> {
        let mut out = String::with_capacity(source.len() + self.replacement.len());
        let mut found = false;
        for (index, line) in source.split_inclusive('\n').enumerate() {
            if index + 1 == self.line {
                let text = line.strip_suffix('\n').unwrap_or(line);
                if text != self.original {
                    bail!(
                        "line {} of {} in {tree} reads `{}`, not `{}`",
                        self.line,
                        self.file,
                        text,
                        self.original
                    );
                }
                out.push_str(&self.replacement);
                out.push_str(&line[text.len()..]);
                found = true;
            } else {
                out.push_str(line);
            }
        }
        if !found {
            bail!("{} in {tree} has no line {}", self.file, self.line);
        }
        Ok(out)
    }

    /// `file:line`, as the report shows where a mutant is.
    pub fn place(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(line: usize, original: &str, replacement: &str) -> Edit {
        Edit {
            file: BACKEND_FILES[0].to_owned(),
            line,
            original: original.to_owned(),
            replacement: replacement.to_owned(),
        }
    }

    #[test]
    fn an_edit_replaces_its_line_only_when_it_reads_as_expected() {
        let source = "a\n  b == c;\nd";
        assert_eq!(
            edit(2, "  b == c;", "  b <= c;")
                .apply(source, "t")
                .unwrap(),
            "a\n  b <= c;\nd"
        );
        assert_eq!(
            edit(3, "d", "e").apply(source, "t").unwrap(),
            "a\n  b == c;\ne"
        );
        let error = edit(2, "  b != c;", "x").apply(source, "t").unwrap_err();
        assert!(error.to_string().contains("line 2"), "{error}");
        assert!(edit(4, "d", "e").apply(source, "t").is_err());
    }
}
