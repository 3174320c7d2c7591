//! Generated mutants: universalmutator's rules for C applied to every line
//! of the backend's two files, each mutant one line replaced by another.
//!
//! The tool leaves alone every line holding `/*`, which in LuaJIT is a
//! good share of the code: a statement with a comment after it. So it is
//! given a copy of each file with such trailing comments cut off, and the
//! comment is put back after the mutated code; the mutation is still the
//! tool's. Its mutant files (a whole copy of the file each) are read back
//! line by line and deleted a chunk of lines at a time, so that the tens of
//! thousands of copies never lie on disk at once. The list is cached by
//! the files' text and the tool's version.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Stdio;

use anyhow::{Context as _, Result, bail};

use super::judge::Base;
use super::{BACKEND_FILES, Edit};
use crate::pipeline::Context;
use crate::pipeline::cache::{Key, cached};
use crate::pipeline::toolchain::mutator::Mutator;

/// Lines given to the tool at a time (its `--lines`): each chunk's mutant
/// files, a copy of the whole file each, are read and deleted before the
/// next chunk.
const CHUNK_LINES: usize = 150;

/// Names how the files are given to the tool, for the cache key: change it
/// when `split_comment` or the reading back changes.
const PREPARATION: &str = "trailing comments cut off and put back, v1";

/// Every mutant the tool makes of the base's backend files, sorted by file,
/// line and replacement, without duplicates.
pub fn generate(cx: &mut Context, mutator: &Mutator, base: &Base) -> Result<Vec<Edit>> {
    let mut key = Key::new("generated backend mutants")
        .text("tool", mutator.version())
        .text("preparation", PREPARATION);
    for file in BACKEND_FILES {
        key = key.text(file, base.source(file)?);
    }
    let what = format!("generating mutants with {}", mutator.version());
    cached(cx, &what, key, |cx| {
        let mut edits = Vec::new();
        for file in BACKEND_FILES {
            let found = generate_file(cx, mutator, file, &base.source(file)?)?;
            eprintln!("    {file}: {} mutants", found.len());
            edits.extend(found);
        }
        Ok(edits)
    })
}

fn generate_file(cx: &Context, mutator: &Mutator, file: &str, source: &str) -> Result<Vec<Edit>> {
    let lines: Vec<&str> = source.lines().collect();
    let split: Vec<(&str, &str)> = lines.iter().map(|l| split_comment(l)).collect();
    let scratch = tempfile::tempdir_in(cx.target_dir())
        .context("cannot create a scratch folder for the mutant generator")?;
    let name = Path::new(file).file_name().expect("a file name");
    let given = scratch.path().join(name);
    let given_text: String = split.iter().map(|(code, _)| format!("{code}\n")).collect();
    fs::write(&given, &given_text).with_context(|| format!("cannot write {}", given.display()))?;
    let given_lines: Vec<&str> = given_text.lines().collect();

    let mut edits = BTreeSet::new();
    for first in (1..=lines.len()).step_by(CHUNK_LINES) {
        let last = (first + CHUNK_LINES - 1).min(lines.len());
        let chunk = scratch.path().join("lines");
        let numbers: Vec<String> = (first..=last).map(|n| n.to_string()).collect();
        fs::write(&chunk, numbers.join("\n"))
            .with_context(|| format!("cannot write {}", chunk.display()))?;
        let out = scratch.path().join("mutants");
        let mut command = mutator.command();
        command
            .arg(&given)
            .arg("c")
            .arg("--noCheck")
            .arg("--lines")
            .arg(&chunk)
            .arg("--mutantDir")
            .arg(&out)
            .current_dir(scratch.path())
            .stdin(Stdio::null());
        let output = command
            .output()
            .with_context(|| format!("cannot run {}", mutator.script.display()))?;
        if !output.status.success() {
            bail!(
                "`mutate {file}` failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        for entry in fs::read_dir(&out).with_context(|| format!("cannot read {}", out.display()))? {
            let path = entry?.path();
            let text = fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            if let Some((line, replacement)) = replaced_line(&given_lines, &text) {
                let (_, comment) = split[line - 1];
                edits.insert(Edit {
                    file: file.to_owned(),
                    line,
                    original: lines[line - 1].to_owned(),
                    replacement: format!("{replacement}{comment}"),
                });
            }
        }
        fs::remove_dir_all(&out).with_context(|| format!("cannot remove {}", out.display()))?;
    }
    Ok(edits.into_iter().collect())
}

/// A line's code and the comment that ends it, blanks before it included
/// (`"  x = 1;  /* why */"` gives `"  x = 1;"` and `"  /* why */"`); a line
/// without code before a comment, or with code after one, is all code.
pub fn split_comment(line: &str) -> (&str, &str) {
    let Some(open) = line.find("/*") else {
        return (line, "");
    };
    let code = line[..open].trim_end();
    let comment = line[open..].trim_end();
    let closes_at_end = comment.find("*/") == Some(comment.len() - 2);
    if code.trim().is_empty() || !closes_at_end || code.contains('"') {
        return (line, "");
    }
    (code, &line[code.len()..])
}

/// The one line (counted from 1) in which `mutant` differs from `given`,
/// and what it reads there; None unless exactly one line differs and
/// nothing is added or taken away.
pub fn replaced_line(given: &[&str], mutant: &str) -> Option<(usize, String)> {
    let mutated: Vec<&str> = mutant.lines().collect();
    if mutated.len() != given.len() {
        return None;
    }
    let mut differing = given
        .iter()
        .zip(&mutated)
        .enumerate()
        .filter(|(_, (a, b))| a != b);
    let (index, (_, replacement)) = differing.next()?;
    if differing.next().is_some() {
        return None;
    }
    Some((index + 1, (*replacement).to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_comment_is_cut_off_and_kept() {
        assert_eq!(
            split_comment(
                "      if (irl->o == IR_BSHR) {  /* BSHR needs to be the right operand. */"
            ),
            (
                "      if (irl->o == IR_BSHR) {",
                "  /* BSHR needs to be the right operand. */"
            )
        );
        for whole in [
            "  x = 1;",
            "  /* A comment alone. */",
            "  x = 1;  /* A comment that goes on",
            "  x = 1; /* a */ y = 2;",
            "  puts(\"/* not a comment */\");",
        ] {
            assert_eq!(split_comment(whole), (whole, ""), "{whole}");
        }
    }

    #[test]
    fn a_mutant_file_is_read_back_as_its_one_changed_line() {
        let given = ["a", "  b == c;", "d"];
        assert_eq!(
            replaced_line(&given, "a\n  b <= c;\nd\n"),
            Some((2, "  b <= c;".to_owned()))
        );
        assert_eq!(
            replaced_line(&given, "a\n  b == c;\nd\n"),
            None,
            "no change"
        );
        assert_eq!(
            replaced_line(&given, "x\n  b == c;\ny\n"),
            None,
            "two lines"
        );
        assert_eq!(replaced_line(&given, "a\nb\nc\nd\n"), None, "a line added");
    }
}
