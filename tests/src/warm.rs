//! A warm start for a batch of programs. Under user-mode QEMU a forked
//! child inherits its parent's translated code, and otherwise translates
//! LuaJIT's own code (the parser, the interpreter, the recorder, the
//! optimiser, the assembler) again before it runs a line of the program.
//! So a batch first forks a runner that runs a fixed warm-up chunk
//! (`warm_up.lua`) with the JIT off and on, and the runner then forks one
//! child per program as before. The warm-up runs in the runner, not in the
//! process that started the batch: a tree on which the warm-up itself
//! crashes or hangs (a broken mutant) loses only the warm start, and the
//! batch runs cold. The chunk is the same for every batch, so a program's
//! child starts from the same state whichever batch it is in.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use crate::isolate::{pipe, wait_for};
use crate::lua::Lua;

/// The warm-up takes well under a second; one that takes this long is
/// hung, and the batch runs cold.
const WARM_UP_LIMIT: Duration = Duration::from_secs(30);

const WARM_UP: &[u8] = include_bytes!("warm_up.lua");

const WARM: u8 = b'W';

/// Which process this is after `fork_warmed`.
pub enum Side {
    /// The runner, warmed: do the batch's work, print, and exit.
    Runner,
    /// The process that started the batch, once the warmed runner has
    /// exited with this status: exit with it.
    Started(i32),
    /// The warm start failed (why): do the work cold, here.
    Cold(String),
}

/// Forks the runner and warms it up; see `Side` for what each process does next.
pub fn fork_warmed() -> io::Result<Side> {
    let (read, write) = pipe()?;
    // SAFETY: as in isolate.rs: the child runs Lua and Rust code of ours,
    // and glibc makes malloc usable after fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        drop(read);
        for jit in [false, true] {
            let lua = Lua::new();
            lua.set_jit(jit);
            // A failing warm-up still warmed what it ran.
            let _ = lua.eval(WARM_UP, "warm_up.lua");
        }
        // SAFETY: writing one byte from a valid buffer.
        unsafe { libc::write(write.as_raw_fd(), [WARM].as_ptr().cast(), 1) };
        return Ok(Side::Runner);
    }
    drop(write);
    let warmed = wait_for_byte(&read, Instant::now() + WARM_UP_LIMIT)?;
    if !warmed {
        // SAFETY: `pid` is our child and has not been reaped yet.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let status = wait_for(pid)?;
    if !warmed {
        return Ok(Side::Cold(describe(status)));
    }
    if libc::WIFEXITED(status) {
        return Ok(Side::Started(libc::WEXITSTATUS(status)));
    }
    Err(io::Error::other(format!(
        "the warmed runner of the batch {}",
        describe(status)
    )))
}

/// True when the byte came before the deadline; false on end of file
/// (the runner died) or at the deadline.
fn wait_for_byte(fd: &OwnedFd, deadline: Instant) -> io::Result<bool> {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Ok(false);
        }
        let wait_ms = (deadline - now).as_millis().min(i32::MAX as u128) as i32;
        let mut poll = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut poll, 1, wait_ms.max(1)) };
        if ready < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }
        if ready == 0 {
            continue;
        }
        let mut byte = [0u8];
        // SAFETY: reading one byte into a valid buffer.
        let n = unsafe { libc::read(fd.as_raw_fd(), byte.as_mut_ptr().cast(), 1) };
        if n < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }
        return Ok(n == 1 && byte[0] == WARM);
    }
}

fn describe(status: libc::c_int) -> String {
    if libc::WIFSIGNALED(status) {
        format!("died of signal {} while warming up", libc::WTERMSIG(status))
    } else if libc::WIFEXITED(status) {
        format!(
            "exited with status {} while warming up",
            libc::WEXITSTATUS(status)
        )
    } else {
        "did not finish warming up".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warm_up_chunk_runs_on_its_own() {
        for jit in [false, true] {
            let lua = Lua::new();
            lua.set_jit(jit);
            let value = lua.eval(WARM_UP, "warm_up.lua").unwrap();
            assert!(value.is_some_and(|v| v.parse::<f64>().is_ok()));
        }
    }
}
