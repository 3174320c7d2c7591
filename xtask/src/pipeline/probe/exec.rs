//! Runs an aarch64 program (a `luajit` executable, or probe-loader around a
//! library) with a time limit, and turns how it ended into the suite's
//! `Outcome`: pass on exit 0, fail on another exit status (with the uncaught
//! error `luajit` prints), crash on a signal, timeout when killed.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use crate::pipeline::suite::outcome::{Outcome, Status};
use crate::pipeline::toolchain::Toolchain;

/// How probe-loader says the library could not be used at all.
pub const LOADER_FAILED: i32 = 125;

pub struct Runner {
    /// The runner prefix and the program, as `Toolchain::command` builds them.
    base: Vec<OsString>,
    /// Arguments before the script (the library, for probe-loader).
    lead: Vec<OsString>,
    /// What the program prints before an uncaught error: its argv[0] and ": ".
    error_prefix: String,
    env: Vec<(String, OsString)>,
    dir: PathBuf,
}

impl Runner {
    pub fn new(
        toolchain: &Toolchain,
        program: &Path,
        lead: Vec<OsString>,
        library_path: &[PathBuf],
        dir: &Path,
    ) -> Runner {
        let command = toolchain.command(program);
        let base = std::iter::once(command.get_program().to_owned())
            .chain(command.get_args().map(OsStr::to_owned))
            .collect();
        let mut env = Vec::new();
        if !library_path.is_empty() {
            let joined = std::env::join_paths(library_path).unwrap_or_default();
            if toolchain.runner.is_empty() {
                env.push(("LD_LIBRARY_PATH".to_owned(), joined));
            } else {
                // QEMU_SET_ENV reaches only the guest: LD_LIBRARY_PATH on
                // QEMU itself would point the host's loader at aarch64 folders.
                let mut value = OsString::from("LD_LIBRARY_PATH=");
                value.push(joined);
                env.push(("QEMU_SET_ENV".to_owned(), value));
            }
        }
        Runner {
            base,
            lead,
            error_prefix: format!("{}: ", program.display()),
            env,
            dir: dir.to_owned(),
        }
    }

    /// Runs the program on `args`, with `-joff` when `jit_off`.
    pub fn run(&self, args: &[&OsStr], jit_off: bool, timeout: Duration) -> Result<Outcome> {
        let mut command = Command::new(&self.base[0]);
        command.args(&self.base[1..]).args(&self.lead);
        if jit_off {
            command.arg("-joff");
        }
        command.args(args).current_dir(&self.dir);
        for (key, value) in &self.env {
            command.env(key, value);
        }
        let shown = std::iter::once(command.get_program())
            .chain(command.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let started = Instant::now();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start `{shown}`"))?;
        let stdout = drain(child.stdout.take().expect("piped"));
        let stderr = drain(child.stderr.take().expect("piped"));
        let deadline = started + timeout;
        let mut timed_out = false;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if Instant::now() >= deadline {
                timed_out = true;
                let _ = child.kill();
                break child.wait()?;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let millis = started.elapsed().as_millis() as u64;
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        Ok(Outcome {
            limit_millis: Some(timeout.as_millis() as u64),
            ..outcome(
                &self.error_prefix,
                status.code(),
                status.signal(),
                timed_out,
                &stdout,
                &stderr,
                millis,
            )
        })
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The outcome of one run. `luajit` prints an uncaught error as
/// "argv[0]: message" followed by a traceback; the message is the error.
pub fn outcome(
    error_prefix: &str,
    exit_code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    stdout: &str,
    stderr: &str,
    millis: u64,
) -> Outcome {
    let status = if timed_out {
        Status::Timeout
    } else if signal.is_some() {
        Status::Crash
    } else if exit_code == Some(0) {
        Status::Pass
    } else {
        Status::Fail
    };
    let error = (status == Status::Fail)
        .then(|| {
            let at = stderr.find(error_prefix)?;
            let message = &stderr[at + error_prefix.len()..];
            let end = message.find("\nstack traceback:").unwrap_or(message.len());
            Some(message[..end].trim_end().to_owned())
        })
        .flatten();
    Outcome {
        status,
        exit_code,
        signal: if timed_out { None } else { signal },
        error,
        output: format!("{stdout}{stderr}"),
        millis,
        limit_millis: None,
        value: None,
        traces: None,
        ir_ops: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncaught_error_is_the_message_without_the_traceback() {
        let stderr = "/x/luajit: /c/t.lua:2: attempt to perform arithmetic on local 'i' (a function value)\nstack traceback:\n\t/c/t.lua:2: in main chunk\n";
        let o = outcome("/x/luajit: ", Some(1), None, false, "", stderr, 3);
        assert_eq!(o.status, Status::Fail);
        assert_eq!(
            o.error.as_deref(),
            Some("/c/t.lua:2: attempt to perform arithmetic on local 'i' (a function value)")
        );
    }

    #[test]
    fn os_exit_signal_and_timeout() {
        let exit = outcome("/x/luajit: ", Some(3), None, false, "bye", "", 1);
        assert_eq!((exit.status, exit.error), (Status::Fail, None));
        let crash = outcome(
            "/x/luajit: ",
            None,
            Some(11),
            false,
            "",
            "qemu: uncaught",
            1,
        );
        assert_eq!(crash.summary(), "crash: SIGSEGV");
        let hang = outcome("/x/luajit: ", None, Some(9), true, "", "", 20_000);
        assert_eq!(hang.status, Status::Timeout);
        let pass = outcome("/x/luajit: ", Some(0), None, false, "ok\n", "", 1);
        assert_eq!((pass.status, pass.output.as_str()), (Status::Pass, "ok\n"));
    }
}
