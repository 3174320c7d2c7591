//! Checks what building for aarch64 and running there needs, and installs
//! what is missing when running as root on a Debian-like system.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

use super::TARGET;

/// How aarch64 code gets built and run on this host.
pub struct Toolchain {
    /// `CROSS=` prefix for LuaJIT's Makefile (empty when native).
    pub cross_prefix: String,
    /// Program and arguments to prefix an aarch64 binary with (empty when native).
    pub runner: Vec<String>,
    /// Versions of the tools used, for the report.
    pub versions: Vec<(String, String)>,
}

/// One requirement, how to tell it is there and how to get it.
struct Requirement {
    what: &'static str,
    present: bool,
    apt: &'static [&'static str],
    rustup_target: bool,
}

impl Toolchain {
    /// A command that runs the aarch64 `binary`, through the runner when emulated.
    pub fn command(&self, binary: &Path) -> std::process::Command {
        match self.runner.split_first() {
            Some((program, args)) => {
                let mut command = std::process::Command::new(program);
                command.args(args).arg(binary);
                command
            }
            None => std::process::Command::new(binary),
        }
    }

    pub fn ensure(sh: &Shell) -> Result<Toolchain> {
        let native = std::env::consts::ARCH == "aarch64";
        let missing: Vec<Requirement> = requirements(sh, native)
            .into_iter()
            .filter(|r| !r.present)
            .collect();
        if !missing.is_empty() {
            install_or_explain(sh, &missing)?;
            let still: Vec<&str> = requirements(sh, native)
                .into_iter()
                .filter(|r| !r.present)
                .map(|r| r.what)
                .collect();
            if !still.is_empty() {
                bail!("still missing after installing: {}", still.join(", "));
            }
        }
        let mut versions = vec![
            (
                "host".to_owned(),
                format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
            ),
            (
                "rustc".to_owned(),
                first_line(cmd!(sh, "rustc -V").read().ok()),
            ),
            (
                "aarch64 gcc".to_owned(),
                first_line(cmd!(sh, "aarch64-linux-gnu-gcc --version").read().ok()),
            ),
        ];
        let runner = if native {
            versions.push(("execution".to_owned(), "native aarch64".to_owned()));
            Vec::new()
        } else {
            let qemu = first_line(cmd!(sh, "qemu-aarch64 --version").read().ok());
            versions.push(("execution".to_owned(), format!("user-mode QEMU ({qemu})")));
            ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"]
                .map(String::from)
                .to_vec()
        };
        Ok(Toolchain {
            cross_prefix: if native {
                String::new()
            } else {
                "aarch64-linux-gnu-".to_owned()
            },
            runner,
            versions,
        })
    }
}

fn requirements(sh: &Shell, native: bool) -> Vec<Requirement> {
    let mut list = vec![
        Requirement {
            what: "the Rust target aarch64-unknown-linux-gnu",
            present: rust_target_installed(sh),
            apt: &[],
            rustup_target: true,
        },
        Requirement {
            what: "make",
            present: in_path("make"),
            apt: &["make"],
            rustup_target: false,
        },
        Requirement {
            what: "git (applies the patch series)",
            present: in_path("git"),
            apt: &["git"],
            rustup_target: false,
        },
        Requirement {
            what: "libclang (for bindgen; libclang-cpp is not enough)",
            present: libclang_present(),
            apt: &["libclang-dev", "clang"],
            rustup_target: false,
        },
        Requirement {
            what: "aarch64-linux-gnu-gcc",
            present: in_path("aarch64-linux-gnu-gcc"),
            apt: if native {
                &["gcc"]
            } else {
                &["gcc-aarch64-linux-gnu"]
            },
            rustup_target: false,
        },
    ];
    if !native {
        list.push(Requirement {
            what: "the aarch64 C library (/usr/aarch64-linux-gnu)",
            present: Path::new("/usr/aarch64-linux-gnu/lib/libc.so.6").exists(),
            apt: &["libc6-dev-arm64-cross"],
            rustup_target: false,
        });
        list.push(Requirement {
            what: "qemu-aarch64",
            present: in_path("qemu-aarch64"),
            apt: &["qemu-user"],
            rustup_target: false,
        });
    }
    list
}

fn install_or_explain(sh: &Shell, missing: &[Requirement]) -> Result<()> {
    let mut packages: Vec<&str> = missing.iter().flat_map(|r| r.apt.iter().copied()).collect();
    packages.dedup();
    let needs_target = missing.iter().any(|r| r.rustup_target);
    let mut commands = Vec::new();
    if !packages.is_empty() {
        commands.push(format!(
            "apt-get update && apt-get install -y {}",
            packages.join(" ")
        ));
    }
    if needs_target {
        commands.push(format!("rustup target add {TARGET}"));
    }
    let names: Vec<&str> = missing.iter().map(|r| r.what).collect();
    let is_root = cmd!(sh, "id -u")
        .read()
        .map(|uid| uid.trim() == "0")
        .unwrap_or(false);
    let can_apt = packages.is_empty() || (is_root && in_path("apt-get"));
    if !can_apt {
        bail!(
            "missing: {}\ninstall with:\n  {}",
            names.join(", "),
            commands.join("\n  ")
        );
    }
    eprintln!("==> installing missing tools: {}", names.join(", "));
    let packages_list = packages.join(" ");
    if !packages.is_empty() {
        cmd!(sh, "apt-get update -qq")
            .run()
            .context("apt-get update failed")?;
        cmd!(sh, "apt-get install -y -qq {packages...}")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .run()
            .with_context(|| format!("could not install {}", packages_list))?;
    }
    if needs_target {
        cmd!(sh, "rustup target add {TARGET}")
            .run()
            .with_context(|| {
                format!("could not add the Rust target; run `rustup target add {TARGET}`")
            })?;
    }
    Ok(())
}

fn rust_target_installed(sh: &Shell) -> bool {
    cmd!(sh, "rustc --print sysroot")
        .read()
        .map(|sysroot| {
            Path::new(sysroot.trim())
                .join("lib/rustlib")
                .join(TARGET)
                .join("lib")
                .is_dir()
        })
        .unwrap_or(false)
}

/// Whether bindgen will find a libclang it can load: the library clang-sys
/// looks for at build time, by the names it looks for, in the folders it
/// searches, and one that really loads and exports the C API.
fn libclang_present() -> bool {
    find_libclang(&libclang_search_dirs()).is_some()
}

/// The folders clang-sys searches on Linux, in its order: `LIBCLANG_PATH`,
/// `llvm-config --libdir`, `LD_LIBRARY_PATH`, then the system's.
fn libclang_search_dirs() -> Vec<PathBuf> {
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
        .flat_map(|dir| libclang_candidates(dir))
        .find(|path| loads_as_libclang(path))
}

/// The files in `dir` named as clang-sys loads libclang at run time:
/// `libclang.so`, `libclang-*.so`, `libclang.so.*` and `libclang-*.so.*`.
/// `libclang-cpp.so.*` matches the pattern but is the C++ library, not the
/// C API bindgen calls, so clang-sys skips it and so does this.
fn libclang_candidates(dir: &Path) -> Vec<PathBuf> {
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

/// Whether `program` is an executable file in a folder of `PATH`.
pub fn in_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

fn first_line(text: Option<String>) -> String {
    text.and_then(|t| t.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_with(files: &[&str]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "xtask-libclang-{}-{}",
            std::process::id(),
            files.join("+")
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for file in files {
            std::fs::write(dir.join(file), b"").unwrap();
        }
        dir
    }

    #[test]
    fn libclang_cpp_alone_is_not_libclang() {
        let dir = folder_with(&["libclang-cpp.so.14", "libclang-cpp.so"]);
        assert!(libclang_candidates(&dir).is_empty());
        assert_eq!(find_libclang(&[dir]), None);
    }

    #[test]
    fn a_file_named_libclang_that_does_not_load_is_not_libclang() {
        let dir = folder_with(&["libclang.so.1", "libclang-14.so.14"]);
        assert_eq!(libclang_candidates(&dir).len(), 2);
        assert_eq!(find_libclang(&[dir]), None);
    }

    #[test]
    fn the_installed_libclang_is_found() {
        // `cargo xtask test` installs libclang before it runs these tests.
        let found = find_libclang(&libclang_search_dirs());
        assert!(found.is_some(), "no loadable libclang on this machine");
    }
}
