//! The Lua case suite: runs regression cases, scripts and stress programs
//! on the LuaJIT build luajit-sys was linked against, each in a fresh
//! `lua_State` in its own process; captures the machine code of the traces
//! a run leaves; and runs the exhaustive emit_lso check through the harness
//! compiled against the same tree.

pub mod capture;
pub mod isolate;
#[cfg(lso_harness)]
pub mod lso_linked;
pub mod lua;
pub mod warm;

pub use contract::{case, limits, outcome};

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use case::Case;
use isolate::Finished;
use limits::Limits;
use lua::Lua;
use outcome::{CaseResult, Comparison, Outcome};

/// Runs a chunk in a fresh state in a child process.
pub fn run_chunk(source: &[u8], chunk_name: &str, timeout: Duration) -> io::Result<Outcome> {
    isolate::run_isolated(timeout, || {
        Lua::new()
            .exec(source, chunk_name)
            .map(|()| Finished::default())
    })
}

/// Runs a stress program in a fresh state in a child process, with the JIT
/// on or off, keeping what it returns and how many traces it left.
pub fn run_program(
    source: &[u8],
    chunk_name: &str,
    jit: bool,
    timeout: Duration,
) -> io::Result<Outcome> {
    isolate::run_isolated(timeout, || {
        let lua = Lua::new();
        lua.set_jit(jit);
        let value = lua.eval(source, chunk_name)?;
        let (traces, ir_ops) = if jit {
            match capture::ir_reach(&lua) {
                Ok((traces, ops)) => (Some(traces), Some(ops)),
                Err(_) => (lua.trace_count(), None),
            }
        } else {
            (Some(0), None)
        };
        Ok(Finished {
            value,
            traces,
            ir_ops,
        })
    })
}

/// Runs every `*.lua` program in `dir` with the JIT off and then on, the
/// JIT run's limit following from the interpreter's time (see `limits`).
/// A program named in `reference` is not run with the JIT off: its
/// interpreted outcome is taken from there (another build of the same
/// interpreter ran it; see `suite compare --reference`).
pub fn compare_dir(
    dir: &Path,
    limits: Limits,
    reference: &BTreeMap<String, Outcome>,
) -> Result<Vec<Comparison>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "lua"))
        .collect();
    paths.sort();
    let mut comparisons = Vec::new();
    for path in paths {
        let source =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let chunk = format!("{name}.lua");
        let io = |e: io::Error| format!("{}: {e}", path.display());
        let interpreter = match reference.get(&name) {
            Some(outcome) => outcome.clone(),
            None => run_program(&source, &chunk, false, limits.interpreter).map_err(io)?,
        };
        let jit_limit = limits.jit.after(Duration::from_millis(interpreter.millis));
        let jit = run_program(&source, &chunk, true, jit_limit).map_err(io)?;
        comparisons.push(Comparison {
            name,
            jit,
            interpreter,
        });
    }
    Ok(comparisons)
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
        assert!(
            error
                .contains("t.lua:1: attempt to perform arithmetic on local 'i' (a function value)"),
            "{error}"
        );
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
        assert_eq!(
            (outcome.status, outcome.signal),
            (Status::Crash, Some(libc::SIGSEGV)),
            "{outcome:?}"
        );
        assert_eq!(run_chunk(b"", "t.lua", LIMIT).unwrap().status, Status::Pass);
    }

    #[test]
    fn program_value_and_traces_are_reported() {
        let source = b"local s = 0 for i = 1, 1000 do s = s + i end return s, 'x'";
        let jit = run_program(source, "p.lua", true, LIMIT).unwrap();
        assert_eq!(jit.value.as_deref(), Some("500500\tx"), "{jit:?}");
        assert!(jit.traces.unwrap() >= 1, "{jit:?}");
        let interpreted = run_program(source, "p.lua", false, LIMIT).unwrap();
        assert_eq!(
            (interpreted.value.as_deref(), interpreted.traces),
            (Some("500500\tx"), Some(0))
        );
    }

    #[test]
    fn endless_loop_is_a_timeout() {
        let outcome = run_chunk(b"while true do end", "t.lua", Duration::from_millis(500)).unwrap();
        assert_eq!(outcome.status, Status::Timeout, "{outcome:?}");
        assert_eq!(outcome.limit_millis, Some(500));
        assert!(outcome.summary().starts_with("hang: "), "{outcome:?}");
    }

    /// A folder of its own for one test's programs.
    fn programs_dir(test: &str, programs: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("suite-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, source) in programs {
            std::fs::write(dir.join(format!("{name}.lua")), source).unwrap();
        }
        dir
    }

    #[test]
    fn the_jit_run_gets_the_limit_the_interpreters_time_gives() {
        // Hangs with the JIT on only, as a program meeting a JIT defect would.
        let jit_hang = "if jit.status() then while true do end end return 1";
        let dir = programs_dir(
            "jit-limit",
            &[("a_jit_hang", jit_hang), ("b_clean", "return 2")],
        );
        let limits = Limits {
            interpreter: Duration::from_secs(20),
            jit: limits::JitLimit {
                factor: 10.0,
                floor: Duration::from_millis(300),
                ceiling: Duration::from_secs(5),
            },
        };
        let comparisons = compare_dir(&dir, limits, &BTreeMap::new()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let [hang, clean] = &comparisons[..] else {
            panic!("{comparisons:?}");
        };
        assert_eq!(
            (hang.jit.status, hang.interpreter.status, clean.jit.status),
            (Status::Timeout, Status::Pass, Status::Pass),
            "{comparisons:?}"
        );
        for comparison in &comparisons {
            let took = Duration::from_millis(comparison.interpreter.millis);
            assert_eq!(
                comparison.jit.limit_millis,
                Some(limits.jit.after(took).as_millis() as u64),
                "{comparison:?}"
            );
            assert_eq!(comparison.interpreter.limit_millis, Some(20000));
        }
        assert!(
            hang.difference().is_some_and(|d| d.contains("hang")),
            "{hang:?}"
        );
    }

    #[test]
    fn a_program_in_the_reference_is_not_run_without_the_jit() {
        let dir = programs_dir(
            "reference",
            &[("a_given", "return 2"), ("b_run", "return 3")],
        );
        let given = Outcome {
            status: Status::Pass,
            exit_code: Some(0),
            signal: None,
            error: None,
            output: String::new(),
            millis: 7,
            limit_millis: Some(20000),
            value: Some("5".to_owned()),
            traces: Some(0),
            ir_ops: BTreeMap::new(),
        };
        let reference = BTreeMap::from([("a_given".to_owned(), given.clone())]);
        let comparisons = compare_dir(&dir, Limits::fixed(LIMIT), &reference).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let [a, b] = &comparisons[..] else {
            panic!("{comparisons:?}");
        };
        assert_eq!(a.interpreter, given);
        assert_eq!(a.jit.value.as_deref(), Some("2"));
        assert!(a.difference().is_some(), "{a:?}");
        assert_eq!(b.interpreter.value.as_deref(), Some("3"));
        assert_eq!(b.difference(), None, "{b:?}");
    }
}
