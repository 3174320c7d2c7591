//! A clean build made from another tree's: published LuaJIT trees differ
//! from their neighbours in a handful of files, so a tree with no build of
//! its own starts from the build (times kept) of the tree that differs
//! least from it, with the files that differ written over it. make then
//! recompiles what those files touch. The result has the bytes of a clean
//! build; `cargo xtask test` checks it (`builds/neighbour-equals-clean`).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::patch::copy_keeping_times;

/// The makefile two trees must share: it carries the flags every object is
/// compiled with and the rules make follows, which times cannot track. (The
/// top-level Makefile, which differs in every release for its version
/// numbers, only installs: the build runs `make -C src`.)
const MAKEFILES: [&str; 1] = ["src/Makefile"];

/// Of the built trees in `builds` (target/luajit), the one whose sources
/// differ in the fewest files from `source`, with its src/Makefile equal,
/// and how many files differ. Instrumented builds are left out.
pub fn nearest(builds: &Path, source: &Path) -> Result<Option<(PathBuf, usize)>> {
    let files = source_files(source)?;
    let mut best: Option<(PathBuf, usize)> = None;
    let Ok(entries) = fs::read_dir(builds) else {
        return Ok(None);
    };
    for entry in entries {
        let home = entry?.path();
        let tree = home.join("tree");
        let name = home.file_name().unwrap_or_default().to_string_lossy();
        if name.ends_with("-coverage")
            || !home.join("stamp").is_file()
            || !tree.join("src/libluajit.a").is_file()
            || !tree.join("src/luajit").is_file()
        {
            continue;
        }
        if !MAKEFILES
            .iter()
            .all(|m| same_bytes(&source.join(m), &tree.join(m)))
        {
            continue;
        }
        let differing = differing(&files, source, &tree);
        if best.as_ref().is_none_or(|(_, least)| differing < *least) {
            best = Some((tree, differing));
        }
    }
    Ok(best)
}

/// How many of `files` (relative paths) differ between `source` and `tree`.
pub fn differing(files: &[PathBuf], source: &Path, tree: &Path) -> usize {
    files
        .iter()
        .filter(|f| !same_bytes(&source.join(f), &tree.join(f)))
        .count()
}

/// Makes `dir` the neighbour's build with `source`'s files: a file equal in
/// both keeps the neighbour's time, one that differs or is new is written
/// now, so make sees it newer than every object built from it. Returns how
/// many files were written.
pub fn sync(neighbour: &Path, source: &Path, dir: &Path) -> Result<usize> {
    copy_keeping_times(neighbour, dir)?;
    let mut written = 0;
    for file in source_files(source)? {
        let (from, to) = (source.join(&file), dir.join(&file));
        if same_bytes(&from, &to) {
            continue;
        }
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let bytes = fs::read(&from).with_context(|| format!("cannot read {}", from.display()))?;
        let _ = fs::remove_file(&to);
        fs::write(&to, bytes).with_context(|| format!("cannot write {}", to.display()))?;
        written += 1;
    }
    Ok(written)
}

/// Every file of a tree, relative to it, version control left out.
pub fn source_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let dir = root.join(&relative);
        for entry in fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
            let entry = entry?;
            if entry.file_name() == ".git" {
                continue;
            }
            let path = relative.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else if entry.file_type()?.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(ma), Ok(mb)) if ma.len() == mb.len() => {
            matches!((fs::read(a), fs::read(b)), (Ok(x), Ok(y)) if x == y)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, file: &str, text: &str) {
        let path = root.join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// A fake built tree under `builds/NAME/tree` with a stamp.
    fn built(builds: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
        let tree = builds.join(name).join("tree");
        for (file, text) in files {
            write(&tree, file, text);
        }
        write(&tree, "src/libluajit.a", "archive");
        write(&tree, "src/luajit", "binary");
        fs::write(builds.join(name).join("stamp"), "x").unwrap();
        tree
    }

    #[test]
    fn picks_the_build_with_fewest_differing_files_and_the_same_src_makefile() {
        let scratch = tempfile::tempdir().unwrap();
        let (builds, source) = (scratch.path().join("luajit"), scratch.path().join("source"));
        let sources = [
            ("Makefile", "top"),
            ("src/Makefile", "flags"),
            ("src/a.c", "a2"),
            ("src/b.c", "b"),
        ];
        for (file, text) in sources {
            write(&source, file, text);
        }
        built(
            &builds,
            "far",
            &[
                ("Makefile", "top"),
                ("src/Makefile", "flags"),
                ("src/a.c", "a1"),
                ("src/b.c", "b1"),
            ],
        );
        let near = built(
            &builds,
            "near",
            &[
                ("Makefile", "top"),
                ("src/Makefile", "flags"),
                ("src/a.c", "a1"),
                ("src/b.c", "b"),
            ],
        );
        built(
            &builds,
            "other-flags",
            &[
                ("Makefile", "top"),
                ("src/Makefile", "-O0"),
                ("src/a.c", "a2"),
                ("src/b.c", "b"),
            ],
        );
        built(
            &builds,
            "x-coverage",
            &[
                ("Makefile", "top"),
                ("src/Makefile", "flags"),
                ("src/a.c", "a2"),
                ("src/b.c", "b"),
            ],
        );
        assert_eq!(nearest(&builds, &source).unwrap(), Some((near, 1)));
    }

    #[test]
    fn sync_writes_only_differing_files_and_keeps_the_others_times() {
        let scratch = tempfile::tempdir().unwrap();
        let (builds, source) = (scratch.path().join("luajit"), scratch.path().join("source"));
        let neighbour = built(
            &builds,
            "n",
            &[("src/same.c", "s"), ("src/changed.c", "old")],
        );
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        for file in ["src/same.c", "src/changed.c"] {
            fs::File::options()
                .write(true)
                .open(neighbour.join(file))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        write(&source, "src/same.c", "s");
        write(&source, "src/changed.c", "new");
        write(&source, "src/new.h", "h");
        let dir = scratch.path().join("made");
        assert_eq!(sync(&neighbour, &source, &dir).unwrap(), 2);
        let modified = |f: &str| fs::metadata(dir.join(f)).unwrap().modified().unwrap();
        assert_eq!(modified("src/same.c"), old);
        assert!(modified("src/changed.c") > old);
        assert_eq!(
            fs::read_to_string(dir.join("src/changed.c")).unwrap(),
            "new"
        );
        assert_eq!(fs::read_to_string(dir.join("src/new.h")).unwrap(), "h");
        assert_eq!(
            fs::read_to_string(dir.join("src/libluajit.a")).unwrap(),
            "archive"
        );
    }
}
