//! The mutant generator `cargo xtask mutants` runs: universalmutator's
//! `mutate`, a rule-based (regular expressions over one line at a time)
//! generator with rules for C. Installed from PyPI at the pinned version
//! into `target/tools/universalmutator` on first use, as the workflow
//! linters are.
//!
//! It is installed without its dependencies but `tabulate`: the others
//! (comby, python-levenshtein) serve its comby mode, which is not used, and
//! comby brings the old `typing` backport, which in a `--target` folder
//! shadows Python 3's own `typing` and breaks `mutate` at start-up.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};

use super::find_in_path;
use super::install::InstallLog;

/// The pins: the tool and the one dependency its regexp mode imports.
pub const UNIVERSALMUTATOR: &str = "universalmutator==1.14.1";
pub const TABULATE: &str = "tabulate==0.10.0";

/// How to run `mutate`: `python` with `PYTHONPATH=site` runs `script`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutator {
    pub python: PathBuf,
    pub script: PathBuf,
    pub site: PathBuf,
}

impl Mutator {
    /// `mutate` with its library on the path and these arguments to come.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.python);
        command.arg(&self.script).env("PYTHONPATH", &self.site);
        command
    }

    /// What decides the mutants it makes, for cache keys.
    pub fn version(&self) -> &'static str {
        UNIVERSALMUTATOR
    }
}

/// `mutate` from `target/tools/universalmutator`, installed there first
/// when it is not; without a working pip the error names the command.
pub fn ensure(target_dir: &Path) -> Result<Mutator> {
    let site = target_dir.join("tools").join("universalmutator");
    let installed = |python: &Path| {
        let script = site.join("bin").join("mutate");
        script.is_file().then(|| Mutator {
            python: python.to_owned(),
            script,
            site: site.clone(),
        })
    };
    let command = format!(
        "pip install --no-deps --target {} {UNIVERSALMUTATOR} {TABULATE}",
        site.display()
    );
    let Some(python) = ["python3", "python"].into_iter().find_map(find_in_path) else {
        bail!(
            "universalmutator is needed to generate mutants, and it runs on Python 3, which is not on PATH\ninstall Python 3 and pip, then run:\n  {command}"
        );
    };
    if let Some(mutator) = installed(&python) {
        return Ok(mutator);
    }
    if !pip_works(&python) {
        bail!(
            "universalmutator is needed to generate mutants, and pip is not available to install it\ninstall pip (apt-get install python3-pip), or run:\n  {command}"
        );
    }
    let log = InstallLog::new(target_dir);
    eprintln!(
        "==> installing universalmutator into {} (log: {})",
        site.display(),
        log.path().display()
    );
    let mut pip = Command::new(&python);
    pip.args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--no-deps",
        "--target",
    ])
    .arg(&site)
    .args([UNIVERSALMUTATOR, TABULATE])
    .env("PIP_ROOT_USER_ACTION", "ignore");
    log.run(
        &format!("pip install {UNIVERSALMUTATOR} {TABULATE}"),
        &mut pip,
    )?;
    match installed(&python) {
        Some(mutator) => Ok(mutator),
        None => bail!(
            "universalmutator installed, but {} has no bin/mutate; see {}",
            site.display(),
            log.path().display()
        ),
    }
}

fn pip_works(python: &Path) -> bool {
    Command::new(python)
        .args(["-m", "pip", "--version"])
        .output()
        .is_ok_and(|out| out.status.success())
}
