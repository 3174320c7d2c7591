//! Checks what building for aarch64 and running there needs, and installs
//! what is missing when running as root on a Debian-like system; the
//! workflow linters `cargo xtask test` runs are in `linters`, the mutant
//! generator `cargo xtask mutants` runs in `mutator`.

mod install;
mod libclang;
pub mod linters;
pub mod mutator;
pub mod osv_schema;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};
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
    /// Environment every aarch64 program gets, e.g. where an instrumented
    /// build writes its gcov counters (QEMU passes it on to the guest).
    pub env: Vec<(String, String)>,
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
        let mut command = match self.runner.split_first() {
            Some((program, args)) => {
                let mut command = std::process::Command::new(program);
                command.args(args).arg(binary);
                command
            }
            None => std::process::Command::new(binary),
        };
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Checks the toolchain; as root on Debian or Ubuntu installs what is
    /// missing, with the package manager's output in `target/logs/install.log`.
    pub fn ensure(sh: &Shell, target_dir: &Path) -> Result<Toolchain> {
        let native = std::env::consts::ARCH == "aarch64";
        let missing: Vec<Requirement> = requirements(sh, native)
            .into_iter()
            .filter(|r| !r.present)
            .collect();
        if !missing.is_empty() {
            install_or_explain(&missing, &install::InstallLog::new(target_dir))?;
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
            env: Vec::new(),
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
            present: libclang::present(),
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

fn install_or_explain(missing: &[Requirement], log: &install::InstallLog) -> Result<()> {
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
    let can_apt = packages.is_empty() || (install::is_root() && in_path("apt-get"));
    if !can_apt {
        bail!(
            "missing: {}\ninstall with:\n  {}",
            names.join(", "),
            commands.join("\n  ")
        );
    }
    eprintln!(
        "==> installing missing tools: {} (log: {})",
        names.join(", "),
        log.path().display()
    );
    if !packages.is_empty() {
        let mut update = Command::new("apt-get");
        update.args(["update", "-q"]);
        log.run("apt-get update", &mut update)?;
        let mut apt = Command::new("apt-get");
        apt.args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&packages)
            .env("DEBIAN_FRONTEND", "noninteractive");
        log.run(&format!("apt-get install {}", packages.join(" ")), &mut apt)?;
    }
    if needs_target {
        let mut rustup = Command::new("rustup");
        rustup.args(["target", "add", TARGET]);
        log.run(&format!("rustup target add {TARGET}"), &mut rustup)?;
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

/// Whether `program` is an executable file in a folder of `PATH`.
pub fn in_path(program: &str) -> bool {
    find_in_path(program).is_some()
}

/// Where `program` is in `PATH`, the first folder that has it.
pub fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn first_line(text: Option<String>) -> String {
    text.and_then(|t| t.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}
