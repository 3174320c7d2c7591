//! Runs the commands that install missing tools quietly: their output goes to
//! `target/logs/install.log`, the terminal gets one line per step with its
//! time, and the log's last lines only when a step fails.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

/// How many lines of the log a failed step shows.
const TAIL_LINES: usize = 20;

/// The install log of one run, appended to by every step.
pub struct InstallLog {
    path: PathBuf,
}

impl InstallLog {
    /// The log under `target_dir/logs`, created on first use.
    pub fn new(target_dir: &Path) -> InstallLog {
        InstallLog {
            path: target_dir.join("logs").join("install.log"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `command` with its output in the log; prints `what` and its time.
    /// On failure the error holds the log's last lines.
    pub fn run(&self, what: &str, command: &mut Command) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("cannot open {}", self.path.display()))?;
        let shown = shown(command);
        writeln!(log, "\n$ {shown}")?;
        let started = Instant::now();
        let status = command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .status()
            .with_context(|| format!("cannot start `{shown}`"))?;
        let seconds = started.elapsed().as_secs_f64();
        if status.success() {
            eprintln!("    {what}: done in {seconds:.1} s");
            return Ok(());
        }
        eprintln!("    {what}: FAILED after {seconds:.1} s ({status})");
        bail!(
            "`{shown}` failed ({status}); the end of {}:\n{}",
            self.path.display(),
            self.tail()
        )
    }

    /// The log's last lines.
    fn tail(&self) -> String {
        let text = fs::read_to_string(&self.path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
    }
}

/// A command line as a shell would take it, for the log and errors.
fn shown(command: &Command) -> String {
    let mut parts: Vec<String> = command
        .get_envs()
        .filter_map(|(key, value)| {
            value.map(|v| format!("{}={}", key.to_string_lossy(), v.to_string_lossy()))
        })
        .collect();
    parts.push(command.get_program().to_string_lossy().into_owned());
    parts.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_step_shows_the_end_of_its_output_and_the_log_keeps_all() {
        let dir = tempfile::tempdir().unwrap();
        let log = InstallLog::new(dir.path());
        let mut ok = Command::new("sh");
        ok.args(["-c", "echo first step output"]);
        log.run("first", &mut ok).unwrap();
        let mut failing = Command::new("sh");
        failing.args(["-c", "for i in $(seq 1 30); do echo line $i; done; exit 3"]);
        let error = format!("{:#}", log.run("second", &mut failing).unwrap_err());
        assert!(
            error.contains("line 30") && error.contains("line 11"),
            "{error}"
        );
        assert!(!error.contains("line 10\n"), "{error}");
        let text = fs::read_to_string(log.path()).unwrap();
        assert!(text.contains("first step output") && text.contains("line 1\n"));
    }
}
