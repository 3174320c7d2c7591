//! Trivial compiler equivalence: a mutant whose `lj_asm.o` is byte for
//! byte the base's is the same program, and no test can kill it (the
//! optimiser folded the change away, or it sits in code the build leaves
//! out); a mutant that does not compile is no program at all. Both are
//! dropped before judging. `lj_asm.o` is compiled by LuaJIT's own make
//! rule, with the flags of every build here, in one scratch copy of the
//! base build; the build has no `-g`, so the object holds no line or
//! column that a same-length change would move. A call of a function that
//! does not exist (`ra_alloc1` made `ra_alloc0`) is only a warning to C
//! before C99's successors, yet the mutant cannot link: the compiles here
//! make that warning an error, which changes no byte of an object that
//! compiles. Each decision is cached by the edit, the base build and the
//! make arguments.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use super::Edit;
use super::judge::Base;
use crate::pipeline::Context;
use crate::pipeline::build::make_args;
use crate::pipeline::cache::Key;
use crate::pipeline::patch::copy_keeping_times;

/// The object both backend files are compiled into.
const OBJECT: &str = "lj_asm.o";

/// Warnings that mean an object which compiles cannot link, made errors.
const UNLINKABLE_AS_ERRORS: &str = "-Werror=implicit-function-declaration";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tce {
    /// Its object differs from the base's: a mutant to judge.
    Kept,
    /// Its object is the base's, byte for byte.
    Equivalent,
    /// The compiler rejects it.
    DoesNotCompile,
}

/// The decision for a mutant's object (None: it did not compile) against
/// the base's.
pub fn decide(base_object: &[u8], mutant_object: Option<&[u8]>) -> Tce {
    match mutant_object {
        None => Tce::DoesNotCompile,
        Some(object) if object == base_object => Tce::Equivalent,
        Some(_) => Tce::Kept,
    }
}

/// A scratch copy of the base build that compiles `lj_asm.o` with one edit
/// at a time, and the base's own object compiled there.
pub struct Compiler {
    _scratch: tempfile::TempDir,
    tree: PathBuf,
    args: Vec<String>,
    base_object: Vec<u8>,
    base_fingerprint: String,
    label: String,
}

impl Compiler {
    pub fn new(cx: &Context, base: &Base) -> Result<Compiler> {
        let scratch = tempfile::tempdir_in(cx.target_dir())
            .context("cannot create a scratch folder for compiling mutants")?;
        let tree = scratch.path().join("tree");
        copy_keeping_times(&base.built.dir, &tree)?;
        let mut compiler = Compiler {
            _scratch: scratch,
            tree,
            args: make_args(cx)
                .into_iter()
                .map(|arg| match arg.strip_prefix("XCFLAGS=") {
                    Some(flags) => format!("XCFLAGS={flags} {UNLINKABLE_AS_ERRORS}"),
                    None => arg,
                })
                .collect(),
            base_object: Vec::new(),
            base_fingerprint: base.built.fingerprint.clone(),
            label: base.label.clone(),
        };
        compiler.base_object = compiler.compile()?.with_context(|| {
            format!(
                "the unmutated {OBJECT} of {} does not compile in {}",
                base.label,
                compiler.tree.display()
            )
        })?;
        Ok(compiler)
    }

    /// The decision for `edit` and the seconds compiling it took: the
    /// stored one (with the time of its first run), or compiled now.
    pub fn decision(&self, cx: &Context, base: &Base, edit: &Edit) -> Result<(Tce, f64)> {
        let key = Key::new("backend mutant tce")
            .text("base", &self.base_fingerprint)
            .text("file", &edit.file)
            .text("line", edit.line)
            .text("original", &edit.original)
            .text("replacement", &edit.replacement)
            .text("make", self.args.join(" "));
        if let Some(stored) = cx.cache.peek(&key) {
            return Ok(stored);
        }
        let started = std::time::Instant::now();
        let source = base.source(&edit.file)?;
        let file = self.tree.join(&edit.file);
        fs::write(&file, edit.apply(&source, &self.label)?)
            .with_context(|| format!("cannot write {}", file.display()))?;
        let object = self.compile();
        // The next mutant may edit the other file: this one is put back first.
        fs::write(&file, &source).with_context(|| format!("cannot write {}", file.display()))?;
        let tce = decide(&self.base_object, object?.as_deref());
        let seconds = started.elapsed().as_secs_f64();
        cx.cache.store(&key, &tce, seconds)?;
        Ok((tce, seconds))
    }

    /// `make lj_asm.o` from scratch: the object, or None when the compiler
    /// rejected the source.
    fn compile(&self) -> Result<Option<Vec<u8>>> {
        let src = self.tree.join("src");
        let object = src.join(OBJECT);
        match fs::remove_file(&object) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error).with_context(|| format!("cannot remove {}", object.display()));
            }
        }
        let output = Command::new("make")
            .arg("-C")
            .arg(&src)
            .args(&self.args)
            .arg(OBJECT)
            .output()
            .context("cannot start make")?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            // A compile error names the file; anything else is the build's
            // failure, not the mutant's.
            if !stderr.contains("error:") {
                bail!(
                    "`make {OBJECT}` failed in {} without a compile error: {}",
                    src.display(),
                    stderr.trim()
                );
            }
            return Ok(None);
        }
        fs::read(&object)
            .map(Some)
            .with_context(|| format!("cannot read {}", object.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_object_that_differs_is_kept() {
        let base = b"\x7fELF same bytes";
        assert_eq!(decide(base, Some(b"\x7fELF same bytes")), Tce::Equivalent);
        assert_eq!(decide(base, Some(b"\x7fELF other bytes")), Tce::Kept);
        assert_eq!(decide(base, Some(b"\x7fELF same bytes\0")), Tce::Kept);
        assert_eq!(decide(base, None), Tce::DoesNotCompile);
    }
}
