//! Lints the GitHub Actions workflows in .github/workflows/ with actionlint
//! and zizmor (offline), as a check of `cargo xtask test`. Where the linters
//! come from, and their pins, is `pipeline::toolchain::linters`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result};

use super::{Trial, expect};
use crate::pipeline::toolchain::linters::{Actionlint, Linters};

/// One check a linter, over every workflow file.
pub fn checks() -> Vec<Trial> {
    ["actionlint", "zizmor"]
        .into_iter()
        .map(|linter| {
            Trial::new(
                format!("workflows/{linter}"),
                format!("{linter} finds nothing in .github/workflows"),
                move |fx| {
                    let linters = fx.linters()?.clone();
                    let results = lint(&fx.cx.root, &linters)?;
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
pub fn lint(root: &Path, linters: &Linters) -> Result<Vec<(String, bool, String)>> {
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
        actionlint(&linters.actionlint, root, &relative),
        zizmor(
            &linters.zizmor,
            root,
            dir.strip_prefix(root).unwrap_or(&dir),
        ),
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

fn actionlint(program: &Actionlint, root: &Path, files: &[PathBuf]) -> (String, bool, String) {
    let name = "actionlint".to_owned();
    match program {
        Actionlint::Native(program) => {
            let mut command = Command::new(program);
            command.arg("-no-color").args(files).current_dir(root);
            let (passed, output) = run(&mut command);
            (name, passed, output)
        }
        Actionlint::Node(program) => {
            // It takes one glob pattern, and finding no file is a success to it.
            let mut all_passed = true;
            let mut outputs = Vec::new();
            for file in files {
                let mut command = Command::new(program);
                command.arg(file).env("FORCE_COLOR", "0").current_dir(root);
                let (passed, output) = run(&mut command);
                all_passed &= passed && !output.contains("No workflow files found");
                outputs.push(output);
            }
            (name, all_passed, outputs.join("\n"))
        }
    }
}

fn zizmor(program: &Path, root: &Path, dir: &Path) -> (String, bool, String) {
    // Any finding at all is a non-zero exit status (10 and up).
    let mut command = Command::new(program);
    command
        .args(["--offline", "--quiet", "--no-progress", "--color", "never"])
        .arg(dir)
        .current_dir(root);
    let (passed, output) = run(&mut command);
    ("zizmor".to_owned(), passed, output)
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
    use crate::pipeline::project_root;
    use crate::pipeline::toolchain::linters;

    /// A scratch project root holding one workflow.
    fn project_with(workflow: &str) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(".github/workflows");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ci.yml"), workflow).unwrap();
        root
    }

    fn actionlint_check(root: &Path) -> (bool, String) {
        let linters = linters::ensure(&project_root().join("target")).unwrap();
        let checks = lint(root, &linters).unwrap();
        let (_, passed, detail) = checks
            .into_iter()
            .find(|(name, ..)| name == "actionlint")
            .expect("an actionlint check");
        (passed, detail)
    }

    #[test]
    fn actionlint_rejects_a_bad_workflow_and_accepts_a_good_one() {
        let bad = project_with(
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    needs: [missing]\n    steps:\n      - run: echo hello\n",
        );
        let (passed, detail) = actionlint_check(bad.path());
        assert!(
            !passed,
            "a job that needs a job that does not exist passed actionlint:\n{detail}"
        );
        assert!(
            detail.contains("missing"),
            "actionlint did not name the missing job:\n{detail}"
        );

        let good = project_with(
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo hello\n",
        );
        let (passed, detail) = actionlint_check(good.path());
        assert!(
            passed,
            "a minimal valid workflow failed actionlint:\n{detail}"
        );
    }

    #[test]
    fn no_workflows_is_a_failure_of_both_checks() {
        let root = tempfile::tempdir().unwrap();
        let linters = Linters {
            actionlint: Actionlint::Native(PathBuf::from("actionlint")),
            zizmor: PathBuf::from("zizmor"),
        };
        let checks = lint(root.path(), &linters).unwrap();
        assert_eq!(
            checks
                .iter()
                .map(|(name, passed, _)| (name.as_str(), *passed))
                .collect::<Vec<_>>(),
            [("actionlint", false), ("zizmor", false)]
        );
    }
}
