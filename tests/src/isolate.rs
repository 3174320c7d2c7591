//! Runs one piece of Lua work in a forked child so that a crash or a hang is
//! that work's outcome and not the end of the suite.
//!
//! fork without exec is used because under user-mode QEMU without binfmt_misc
//! an aarch64 process cannot exec an aarch64 binary; a forked child inherits
//! the emulator. The child gets its own `lua_State` and reports back through
//! a pipe; its stdout and stderr go to another pipe.

use std::collections::BTreeMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::outcome::{Outcome, Status};

/// Output kept per run; the rest is read and dropped so the child never blocks.
const OUTPUT_LIMIT: usize = 1 << 20;

const REPORT_PASS: u8 = b'P';
const REPORT_ERROR: u8 = b'E';

/// What the work hands back on success: the chunk's value and trace count.
#[derive(Debug, Default)]
pub struct Finished {
    pub value: Option<String>,
    pub traces: Option<u64>,
    /// `NAME:count,...`: traces holding each IR opcode (see `capture::ir_reach`).
    pub ir_ops: Option<String>,
}

/// Runs `work` in a child process, killing it after `timeout`.
pub fn run_isolated(
    timeout: Duration,
    work: impl FnOnce() -> Result<Finished, String>,
) -> io::Result<Outcome> {
    let (report_read, report_write) = pipe()?;
    let (output_read, output_write) = pipe()?;
    let started = Instant::now();

    // SAFETY: the child only runs `work` and then `_exit`s; glibc makes malloc
    // usable after fork, and no lock of ours is held across the call.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        drop(report_read);
        drop(output_read);
        run_child(report_write, output_write, work);
    }
    drop(report_write);
    drop(output_write);

    let deadline = started + timeout;
    let mut report = Vec::new();
    let mut output = Vec::new();
    let timed_out = drain_until(
        deadline,
        &report_read,
        &mut report,
        &output_read,
        &mut output,
    )?;
    if timed_out {
        // SAFETY: `pid` is our child and has not been reaped yet.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let wait_status = wait_for(pid)?;
    let millis = started.elapsed().as_millis() as u64;
    let output = String::from_utf8_lossy(&output).into_owned();

    let exited = libc::WIFEXITED(wait_status);
    let exit_code = exited.then(|| libc::WEXITSTATUS(wait_status));
    let signal = libc::WIFSIGNALED(wait_status).then(|| libc::WTERMSIG(wait_status));
    let (mut error, mut value, mut traces) = (None, None, None);
    let mut ir_ops = BTreeMap::new();
    match report.split_first() {
        Some((&REPORT_ERROR, message)) => {
            error = Some(String::from_utf8_lossy(message).into_owned())
        }
        Some((&REPORT_PASS, payload)) => {
            // payload: traces, a space and the IR opcodes' `NAME:count,...`,
            // a newline, then the value (absent when there is none)
            let text = String::from_utf8_lossy(payload);
            let (head, rest) = text.split_once('\n').unwrap_or((&text, ""));
            let (count, ops) = head.split_once(' ').unwrap_or((head, ""));
            traces = count.parse().ok();
            ir_ops = parse_ir_ops(ops);
            value = rest.strip_prefix('=').map(str::to_owned);
        }
        _ => {}
    }
    let status = if timed_out {
        Status::Timeout
    } else if signal.is_some() {
        Status::Crash
    } else if error.is_some() || exit_code != Some(0) {
        Status::Fail
    } else {
        Status::Pass
    };
    Ok(Outcome {
        status,
        exit_code,
        signal: if timed_out { None } else { signal },
        error,
        output,
        millis,
        limit_millis: Some(timeout.as_millis() as u64),
        value,
        traces,
        ir_ops,
    })
}

fn parse_ir_ops(text: &str) -> BTreeMap<String, u64> {
    text.split(',')
        .filter_map(|item| {
            let (name, count) = item.split_once(':')?;
            Some((name.to_owned(), count.parse().ok()?))
        })
        .collect()
}

fn run_child(
    report: OwnedFd,
    output: OwnedFd,
    work: impl FnOnce() -> Result<Finished, String>,
) -> ! {
    // SAFETY: plain fd duplication in the child; fds 1 and 2 stay open.
    unsafe {
        libc::dup2(output.as_raw_fd(), 1);
        libc::dup2(output.as_raw_fd(), 2);
    }
    drop(output);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
        .unwrap_or_else(|_| Err("the harness panicked while running the case".to_owned()));
    let (message, code) = match result {
        Ok(finished) => {
            let traces = finished.traces.map(|n| n.to_string()).unwrap_or_default();
            let ops = finished.ir_ops.unwrap_or_default();
            let value = finished.value.map(|v| format!("={v}")).unwrap_or_default();
            (
                format!("{}{traces} {ops}\n{value}", REPORT_PASS as char).into_bytes(),
                0,
            )
        }
        Err(error) => ([&[REPORT_ERROR][..], error.as_bytes()].concat(), 1),
    };
    write_all(report.as_raw_fd(), &message);
    // SAFETY: flush C stdio (Lua's print) and, in an instrumented build, the
    // gcov counters, before leaving without running destructors.
    unsafe {
        libc::fflush(std::ptr::null_mut());
        suite_coverage_flush();
        libc::_exit(code)
    }
}

unsafe extern "C" {
    /// tests/src/coverage.c: writes gcov counters when the build has them.
    fn suite_coverage_flush();
}

/// Reads both pipes until both reach end of file or the deadline passes; true on timeout.
fn drain_until(
    deadline: Instant,
    report_fd: &OwnedFd,
    report: &mut Vec<u8>,
    output_fd: &OwnedFd,
    output: &mut Vec<u8>,
) -> io::Result<bool> {
    let mut open = [true, true];
    while open[0] || open[1] {
        let now = Instant::now();
        if now >= deadline {
            return Ok(true);
        }
        let wait_ms = (deadline - now).as_millis().min(i32::MAX as u128) as i32;
        let mut fds = [
            libc::pollfd {
                fd: if open[0] { report_fd.as_raw_fd() } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: if open[1] { output_fd.as_raw_fd() } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: `fds` is a valid array of two pollfd.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, wait_ms.max(1)) };
        if ready < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }
        for (index, (fd, buffer)) in [(report_fd, &mut *report), (output_fd, &mut *output)]
            .into_iter()
            .enumerate()
        {
            if open[index] && fds[index].revents != 0 {
                open[index] = read_some(fd.as_raw_fd(), buffer)?;
            }
        }
    }
    Ok(false)
}

/// Appends what is readable now; false at end of file.
fn read_some(fd: RawFd, buffer: &mut Vec<u8>) -> io::Result<bool> {
    let mut chunk = [0u8; 8192];
    // SAFETY: reading into a local buffer of the given length.
    let n = unsafe { libc::read(fd, chunk.as_mut_ptr().cast(), chunk.len()) };
    if n < 0 {
        let error = io::Error::last_os_error();
        return if error.kind() == io::ErrorKind::Interrupted {
            Ok(true)
        } else {
            Err(error)
        };
    }
    let n = n as usize;
    let room = OUTPUT_LIMIT.saturating_sub(buffer.len());
    buffer.extend_from_slice(&chunk[..n.min(room)]);
    Ok(n > 0)
}

pub(crate) fn wait_for(pid: libc::pid_t) -> io::Result<libc::c_int> {
    let mut status = 0;
    loop {
        // SAFETY: waiting for our own child.
        if unsafe { libc::waitpid(pid, &mut status, 0) } >= 0 {
            return Ok(status);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

pub(crate) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 returns.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors are fresh and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn write_all(fd: RawFd, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: writing from a valid slice.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}
