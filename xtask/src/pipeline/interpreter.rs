//! Whether two LuaJIT builds run a program with the JIT off by the same
//! code: every object file is byte-identical but those only recording and
//! assembling a trace enter. Then one build's interpreted runs stand for
//! the other's (a series that fixes the backend leaves the interpreter as
//! it was), and a stress run on the second build runs its programs with
//! the JIT on only.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result};

/// The objects whose code runs only while a trace is recorded, optimised,
/// assembled, patched or left: `lj_trace.c` calls them from its recording
/// states, `lj_asm_patchexit` and `lj_trace_exit`, and `lib_jit.c` only on
/// traces that exist. With the JIT off no trace starts (the dispatch has no
/// hot counters), so none of them runs. `lj_trace.o` and `lj_mcode.o` are
/// not here (a state's set-up and close enter them), nor `lj_ir.o`, which
/// `jit.util` reaches: left out to be safe.
const JIT_ONLY: [&str; 12] = [
    "lj_asm.o",
    "lj_record.o",
    "lj_crecord.o",
    "lj_ffrecord.o",
    "lj_snap.o",
    "lj_opt_dce.o",
    "lj_opt_fold.o",
    "lj_opt_loop.o",
    "lj_opt_mem.o",
    "lj_opt_narrow.o",
    "lj_opt_sink.o",
    "lj_opt_split.o",
];

/// What two builds' objects say about their interpreters.
#[derive(Debug, PartialEq)]
pub enum Interpreters {
    /// Every object outside `JIT_ONLY` is the same; these of it differ.
    Same { differing: Vec<String> },
    /// Why the other build's interpreted runs cannot stand for this one's.
    Differ(String),
}

/// Compares the objects of two built trees' `src/` folders.
pub fn compare(a_src: &Path, b_src: &Path) -> Result<Interpreters> {
    let (a, b) = (objects(a_src)?, objects(b_src)?);
    if a.is_empty() {
        return Ok(Interpreters::Differ(format!(
            "{} holds no object files",
            a_src.display()
        )));
    }
    if a != b {
        let only: Vec<&String> = a.symmetric_difference(&b).collect();
        return Ok(Interpreters::Differ(format!(
            "the builds have different object files ({only:?})"
        )));
    }
    let mut differing = Vec::new();
    for name in &a {
        let read = |dir: &Path| {
            let path = dir.join(name);
            fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
        };
        if read(a_src)? == read(b_src)? {
            continue;
        }
        if !JIT_ONLY.contains(&name.as_str()) {
            return Ok(Interpreters::Differ(format!(
                "{name} differs, and the interpreter may run it"
            )));
        }
        differing.push(name.clone());
    }
    Ok(Interpreters::Same { differing })
}

/// The names of the object files directly in `dir`.
fn objects(dir: &Path) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".o") {
            names.insert(name);
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(objects: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in objects {
            fs::write(dir.path().join(name), bytes).unwrap();
        }
        dir
    }

    #[test]
    fn only_objects_the_jit_alone_runs_may_differ() {
        let base = build(&[("lj_asm.o", "a"), ("lj_tab.o", "t"), ("lj_vm.o", "v")]);
        let backend_fix = build(&[("lj_asm.o", "A"), ("lj_tab.o", "t"), ("lj_vm.o", "v")]);
        assert_eq!(
            compare(base.path(), backend_fix.path()).unwrap(),
            Interpreters::Same {
                differing: vec!["lj_asm.o".to_owned()]
            }
        );
        let vm_fix = build(&[("lj_asm.o", "a"), ("lj_tab.o", "t"), ("lj_vm.o", "V")]);
        assert!(matches!(
            compare(base.path(), vm_fix.path()).unwrap(),
            Interpreters::Differ(why) if why.contains("lj_vm.o")
        ));
        let amalgamated = build(&[("ljamalg.o", "x")]);
        assert!(matches!(
            compare(base.path(), amalgamated.path()).unwrap(),
            Interpreters::Differ(_)
        ));
        let empty = build(&[]);
        assert!(matches!(
            compare(empty.path(), empty.path()).unwrap(),
            Interpreters::Differ(_)
        ));
    }
}
