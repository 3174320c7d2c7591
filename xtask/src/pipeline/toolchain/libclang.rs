//! Finds libclang the way bindgen's clang-sys does, so a missing one is
//! reported (and installed) before a build script panics over it.

use std::path::{Path, PathBuf};

/// Whether bindgen will find a libclang it can load: the library clang-sys
/// looks for at build time, by the names it looks for, in the folders it
/// searches, and one that really loads and exports the C API.
pub fn present() -> bool {
    find_libclang(&search_dirs()).is_some()
}

/// The folders clang-sys searches on Linux, in its order: `LIBCLANG_PATH`,
/// `llvm-config --libdir`, `LD_LIBRARY_PATH`, then the system's.
fn search_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(path) = std::env::var_os("LIBCLANG_PATH") {
        let path = PathBuf::from(path);
        // LIBCLANG_PATH may name the library itself rather than its folder.
        dirs.push(if path.is_file() {
            path.parent().map(Path::to_owned).unwrap_or(path)
        } else {
            path
        });
    }
    if let Ok(output) = std::process::Command::new("llvm-config")
        .arg("--libdir")
        .output()
        && output.status.success()
    {
        dirs.push(PathBuf::from(
            String::from_utf8_lossy(&output.stdout).trim(),
        ));
    }
    if let Some(paths) = std::env::var_os("LD_LIBRARY_PATH") {
        dirs.extend(std::env::split_paths(&paths));
    }
    for dir in ["/usr/local/lib", "/usr/lib", "/usr/lib64"] {
        dirs.push(PathBuf::from(dir));
    }
    for parent in ["/usr/lib", "/usr/local"] {
        if let Ok(entries) = std::fs::read_dir(parent) {
            let mut found: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    let name = p.file_name().unwrap_or_default().to_string_lossy();
                    name.starts_with("llvm") || name.ends_with("-linux-gnu")
                })
                .map(|p| {
                    if p.join("lib").is_dir() {
                        p.join("lib")
                    } else {
                        p
                    }
                })
                .collect();
            found.sort();
            dirs.extend(found);
        }
    }
    dirs
}

/// The first library in `dirs` that clang-sys would pick up and that loads
/// and exports `clang_createIndex`.
pub(crate) fn find_libclang(dirs: &[PathBuf]) -> Option<PathBuf> {
    dirs.iter()
        .flat_map(|dir| candidates(dir))
        .find(|path| loads_as_libclang(path))
}

/// The files in `dir` named as clang-sys loads libclang at run time:
/// `libclang.so`, `libclang-*.so`, `libclang.so.*` and `libclang-*.so.*`.
/// `libclang-cpp.so.*` matches the pattern but is the C++ library, not the
/// C API bindgen calls, so clang-sys skips it and so does this.
fn candidates(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let versioned = name.starts_with("libclang-") || name.starts_with("libclang.so");
            let shared = name.ends_with(".so") || name.contains(".so.");
            versioned && shared && !name.starts_with("libclang-cpp")
        })
        .collect();
    found.sort();
    found
}

fn loads_as_libclang(path: &Path) -> bool {
    // SAFETY: loading runs the library's initialisers; libclang's are the
    // ones bindgen's build script runs anyway when it loads the same file.
    match unsafe { libloading::Library::new(path) } {
        Ok(library) => unsafe {
            library
                .get::<unsafe extern "C" fn() -> *mut std::ffi::c_void>(b"clang_createIndex\0")
                .is_ok()
        },
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_with(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            std::fs::write(dir.path().join(file), b"").unwrap();
        }
        dir
    }

    #[test]
    fn libclang_cpp_alone_is_not_libclang() {
        let dir = folder_with(&["libclang-cpp.so.14", "libclang-cpp.so"]);
        assert!(candidates(dir.path()).is_empty());
        assert_eq!(find_libclang(&[dir.path().to_owned()]), None);
    }

    #[test]
    fn a_file_named_libclang_that_does_not_load_is_not_libclang() {
        let dir = folder_with(&["libclang.so.1", "libclang-14.so.14"]);
        assert_eq!(candidates(dir.path()).len(), 2);
        assert_eq!(find_libclang(&[dir.path().to_owned()]), None);
    }

    #[test]
    fn the_installed_libclang_is_found() {
        // `cargo xtask test` installs libclang before it runs these tests.
        let found = find_libclang(&search_dirs());
        assert!(found.is_some(), "no loadable libclang on this machine");
    }
}
