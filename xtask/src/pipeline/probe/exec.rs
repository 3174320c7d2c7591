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

use anyhow::{Context as _, Result, bail};

use crate::pipeline::suite::outcome::{Outcome, Status};
use crate::pipeline::toolchain::Toolchain;

/// How probe-loader says the library could not be used at all.
pub const LOADER_FAILED: i32 = 125;

#[derive(Debug, Clone)]
pub struct Runner {
    /// The runner prefix and the program, as `Toolchain::command` builds them.
    base: Vec<OsString>,
    /// Whether `base` runs the program under QEMU (user mode).
    emulated: bool,
    /// Arguments before the script (the library, for probe-loader).
    lead: Vec<OsString>,
    /// What the program prints before an uncaught error: its argv[0] and ": ".
    error_prefix: String,
    /// Environment for the aarch64 program only, not for QEMU around it.
    guest_env: Vec<(String, OsString)>,
    /// Environment for the process started (the toolchain's).
    env: Vec<(OsString, OsString)>,
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
        let env = command
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
            .collect();
        let mut runner = Runner {
            base,
            emulated: !toolchain.runner.is_empty(),
            lead,
            error_prefix: format!("{}: ", program.display()),
            guest_env: Vec::new(),
            env,
            dir: dir.to_owned(),
        };
        if !library_path.is_empty() {
            let joined = std::env::join_paths(library_path).unwrap_or_default();
            runner.set_guest_env("LD_LIBRARY_PATH", joined);
        }
        runner
    }

    /// Runs the program against the aarch64 root `dir` (QEMU's `-L`)
    /// instead of the toolchain's; only under QEMU.
    pub fn with_sysroot(mut self, dir: &Path) -> Result<Runner> {
        if !self.emulated {
            bail!(
                "--sysroot {}: it names the aarch64 root QEMU runs programs against (`qemu-aarch64 -L`), and this host runs aarch64 programs natively; probe on a system with the C library the binary needs",
                dir.display()
            );
        }
        match self.base.iter().position(|a| a == "-L") {
            Some(at) if at + 1 < self.base.len() => self.base[at + 1] = dir.into(),
            _ => {
                self.base.insert(1, "-L".into());
                self.base.insert(2, dir.into());
            }
        }
        Ok(self)
    }

    /// Sets `key` in the aarch64 program's environment (replacing it when
    /// set already); under QEMU, QEMU itself does not see it.
    pub fn set_guest_env(&mut self, key: &str, value: impl Into<OsString>) {
        let value = value.into();
        match self.guest_env.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.guest_env.push((key.to_owned(), value)),
        }
    }

    /// What runs the program, without it (e.g. `qemu-aarch64 -L DIR`), for
    /// the report.
    pub fn prefix(&self) -> String {
        self.base[..self.base.len() - 1]
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether the program runs under QEMU.
    pub fn emulated(&self) -> bool {
        self.emulated
    }

    /// Runs the program on `args`, with `-joff` when `jit_off`, in the
    /// runner's folder.
    pub fn run(&self, args: &[&OsStr], jit_off: bool, timeout: Duration) -> Result<Outcome> {
        self.run_in(&self.dir, args, jit_off, timeout)
    }

    /// Runs the program on `args` in `dir`, with `-joff` when `jit_off`.
    pub fn run_in(
        &self,
        dir: &Path,
        args: &[&OsStr],
        jit_off: bool,
        timeout: Duration,
    ) -> Result<Outcome> {
        let mut command = Command::new(&self.base[0]);
        command.args(&self.base[1..]).args(&self.lead);
        if jit_off {
            command.arg("-joff");
        }
        command.args(args).current_dir(dir);
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        if self.emulated {
            if !self.guest_env.is_empty() {
                command.env("QEMU_SET_ENV", qemu_set_env(&self.guest_env)?);
            }
        } else {
            command.envs(self.guest_env.iter().map(|(k, v)| (k, v)));
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

/// QEMU_SET_ENV's value: `KEY=VALUE` pairs joined by commas, which QEMU
/// splits on, so a value cannot hold one.
fn qemu_set_env(vars: &[(String, OsString)]) -> Result<OsString> {
    let mut joined = OsString::new();
    for (k, (key, value)) in vars.iter().enumerate() {
        if value.to_string_lossy().contains(',') {
            bail!(
                "{key}={}: QEMU takes the guest's environment as a comma-separated list (QEMU_SET_ENV), so a path with a comma cannot be passed; move it to a folder without one",
                value.to_string_lossy()
            );
        }
        if k > 0 {
            joined.push(",");
        }
        joined.push(format!("{key}="));
        joined.push(value);
    }
    Ok(joined)
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

    fn toolchain(runner: &[&str]) -> Toolchain {
        Toolchain {
            cross_prefix: String::new(),
            runner: runner.iter().map(|s| s.to_string()).collect(),
            versions: Vec::new(),
            env: Vec::new(),
        }
    }

    #[test]
    fn a_sysroot_replaces_qemus_root_and_is_refused_natively() {
        let qemu = toolchain(&["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"]);
        let runner = Runner::new(
            &qemu,
            Path::new("/x/luajit"),
            Vec::new(),
            &[],
            Path::new("/"),
        );
        let moved = runner.with_sysroot(Path::new("/roots/trixie")).unwrap();
        assert_eq!(moved.prefix(), "qemu-aarch64 -L /roots/trixie");
        let native = Runner::new(
            &toolchain(&[]),
            Path::new("/x/luajit"),
            Vec::new(),
            &[],
            Path::new("/"),
        );
        let refused = native.with_sysroot(Path::new("/roots/trixie")).unwrap_err();
        assert!(refused.to_string().contains("natively"), "{refused}");
    }

    #[test]
    fn the_guests_environment_goes_to_qemu_as_one_list_and_a_comma_is_refused() {
        let vars = [
            ("LD_LIBRARY_PATH".to_owned(), OsString::from("/a:/b")),
            (
                "LD_PRELOAD".to_owned(),
                OsString::from("/t/probe-entropy.so"),
            ),
        ];
        assert_eq!(
            qemu_set_env(&vars).unwrap(),
            "LD_LIBRARY_PATH=/a:/b,LD_PRELOAD=/t/probe-entropy.so"
        );
        let comma = [("LD_LIBRARY_PATH".to_owned(), OsString::from("/a,b"))];
        let error = qemu_set_env(&comma).unwrap_err();
        assert!(error.to_string().contains("comma"), "{error}");
        let mut runner = Runner::new(
            &toolchain(&["qemu-aarch64"]),
            Path::new("/x/luajit"),
            Vec::new(),
            &[],
            Path::new("/"),
        );
        runner.set_guest_env("PROBE_ENTROPY_SEED", "1");
        runner.set_guest_env("PROBE_ENTROPY_SEED", "2");
        assert_eq!(
            runner.guest_env,
            [("PROBE_ENTROPY_SEED".to_owned(), OsString::from("2"))]
        );
    }
}
