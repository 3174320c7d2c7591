//! The Lua case suite: runs regression cases and scripts on the LuaJIT build
//! luajit-sys was linked against, each in a fresh `lua_State` in its own process.

pub mod case;
pub mod isolate;
#[cfg(lso_harness)]
pub mod lso;
pub mod lua;
pub mod outcome;

use std::io;
use std::time::Duration;

use case::Case;
use lua::Lua;
use outcome::{CaseResult, Outcome};

/// Runs a chunk in a fresh state in a child process.
pub fn run_chunk(source: &[u8], chunk_name: &str, timeout: Duration) -> io::Result<Outcome> {
    isolate::run_isolated(timeout, || Lua::new().exec(source, chunk_name))
}

pub fn run_case(case: &Case, timeout: Duration) -> io::Result<CaseResult> {
    let chunk_name = format!("cases/{}.lua", case.name);
    Ok(CaseResult {
        name: case.name.clone(),
        pins: case.pins.clone(),
        fails_with: case.fails_with.clone(),
        outcome: run_chunk(&case.source, &chunk_name, timeout)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use outcome::Status;

    const LIMIT: Duration = Duration::from_secs(20);

    #[test]
    fn clean_chunk_passes_and_keeps_its_output() {
        let outcome = run_chunk(b"print('hello')", "t.lua", LIMIT).unwrap();
        assert_eq!(outcome.status, Status::Pass, "{outcome:?}");
        assert_eq!(outcome.output, "hello\n");
    }

    #[test]
    fn uncaught_error_is_a_failure_with_its_message() {
        let outcome = run_chunk(b"local i = print; return i + 1", "t.lua", LIMIT).unwrap();
        assert_eq!(outcome.status, Status::Fail);
        let error = outcome.error.unwrap();
        assert!(error.contains("t.lua:1: attempt to perform arithmetic on local 'i' (a function value)"), "{error}");
    }

    #[test]
    fn os_exit_status_is_the_exit_code() {
        let outcome = run_chunk(b"io.write('bye'); os.exit(3)", "t.lua", LIMIT).unwrap();
        assert_eq!((outcome.status, outcome.exit_code), (Status::Fail, Some(3)));
        assert_eq!(outcome.output, "bye");
        let outcome = run_chunk(b"os.exit(0)", "t.lua", LIMIT).unwrap();
        assert_eq!(outcome.status, Status::Pass);
    }

    #[test]
    fn segfault_is_a_crash_and_the_caller_survives() {
        let source = b"local ffi = require('ffi'); local p = ffi.cast('int *', 8); p[0] = 1";
        let outcome = run_chunk(source, "t.lua", LIMIT).unwrap();
        assert_eq!((outcome.status, outcome.signal), (Status::Crash, Some(libc::SIGSEGV)), "{outcome:?}");
        assert_eq!(run_chunk(b"", "t.lua", LIMIT).unwrap().status, Status::Pass);
    }

    #[test]
    fn endless_loop_is_a_timeout() {
        let outcome = run_chunk(b"while true do end", "t.lua", Duration::from_millis(500)).unwrap();
        assert_eq!(outcome.status, Status::Timeout, "{outcome:?}");
    }
}
