//! `audit/lockfiles`: `cargo xtask audit` on lockfiles the project wrote
//! (tests/fixtures/audit/), run as a user runs it, answers as the known
//! defects of those versions say and exits as documented. It answers from
//! the committed sweep data (docs/sweep/sweep.json), the data `audit`
//! itself reads, so the check also shows the data holds these answers.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result};

use super::{Trial, expect};
use crate::pipeline::sweep::docs;

/// The data the audit's tests answer from: the whole sweep's, committed.
pub fn data(root: &Path) -> PathBuf {
    root.join(docs::DATA)
}

/// A lockfile, the exit status audit must give, and texts its output
/// must hold, as text and with --json.
struct Expected {
    lockfile: &'static str,
    status: i32,
    says: &'static [&'static str],
    json_says: &'static [&'static str],
}

const EXPECTED: [Expected; 5] = [
    Expected {
        lockfile: "luajit-src-210.7.2.lock",
        status: 1,
        says: &[
            "LuaJIT#1480",
            "arm64-verify#fused-kint64-shift",
            "arm64-verify#phi-copyspill-pair",
        ],
        json_says: &[
            "\"issue\": \"LuaJIT#1480\"",
            "\"issue\": \"arm64-verify#fused-kint64-shift\"",
            "\"issue\": \"arm64-verify#phi-copyspill-pair\"",
        ],
    },
    Expected {
        lockfile: "luajit-src-210.4.8.lock",
        status: 1,
        says: &["LuaJIT#1056", "LuaJIT#1057", "LuaJIT#1075"],
        json_says: &[
            "\"issue\": \"LuaJIT#1056\"",
            "\"issue\": \"LuaJIT#1057\"",
            "\"issue\": \"LuaJIT#1075\"",
        ],
    },
    Expected {
        lockfile: "no-luajit-src.lock",
        status: 0,
        says: &["has no luajit-src"],
        json_says: &["\"entries\": []"],
    },
    Expected {
        lockfile: "luajit-src-unpublished.lock",
        status: 2,
        says: &["cargo xtask sweep --luajit-src 210.99.0+0000000"],
        json_says: &["\"sweep_command\": \"cargo xtask sweep --luajit-src 210.99.0+0000000\""],
    },
    Expected {
        lockfile: "not-a-lockfile.toml",
        status: 2,
        says: &["is not a Cargo.lock"],
        json_says: &["is not a Cargo.lock"],
    },
];

pub fn checks() -> Vec<Trial> {
    vec![Trial::new(
        "audit/lockfiles",
        "cargo xtask audit: a lockfile pinning 210.7.2 exits 1 naming LuaJIT#1480, arm64-verify#fused-kint64-shift and arm64-verify#phi-copyspill-pair, 210.4.8 exits 1 naming LuaJIT#1056/#1057/#1075, one without luajit-src exits 0, an unpublished version exits 2 naming the sweep that would judge it, a file that is no lockfile exits 2 saying so; --json gives the same answers",
        |fx| {
            let root = fx.cx.root.clone();
            let data = data(&root);
            let mut failed = Vec::new();
            for expected in &EXPECTED {
                let lockfile = root.join("tests/fixtures/audit").join(expected.lockfile);
                for json in [false, true] {
                    let (status, output) = run_audit(&lockfile, &data, json)?;
                    let says = if json {
                        expected.json_says
                    } else {
                        expected.says
                    };
                    let missing: Vec<&&str> =
                        says.iter().filter(|s| !output.contains(**s)).collect();
                    if status != Some(expected.status) || !missing.is_empty() {
                        failed.push(format!(
                            "{}{}: exit {status:?} (expected {}), missing {missing:?}\n{output}",
                            expected.lockfile,
                            if json { " --json" } else { "" },
                            expected.status
                        ));
                    }
                }
            }
            Ok(expect(failed.is_empty(), || {
                format!("answered from {}\n{}", data.display(), failed.join("\n"))
            }))
        },
    )]
}

/// Runs this xtask's `audit` as a user would; its exit status and what it
/// printed on both streams.
fn run_audit(lockfile: &Path, data: &Path, json: bool) -> Result<(Option<i32>, String)> {
    let exe = std::env::current_exe().context("cannot find the xtask's own executable")?;
    let mut command = Command::new(exe);
    command.arg("audit").arg(lockfile).arg("--data").arg(data);
    if json {
        command.arg("--json");
    }
    let output = command.output().context("cannot run the xtask's audit")?;
    Ok((
        output.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    ))
}
