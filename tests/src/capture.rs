//! Machine-code capture: runs a workload in a fresh `lua_State` in a forked
//! child, then walks every trace it left with `jit.util` and writes them to a
//! file, so that `cargo xtask mcode-diff` can compare two builds without
//! rerunning anything.
//!
//! Nothing is attached to the JIT while the workload runs (no `jit.dump`, no
//! `jit.v`: their own code would change what gets compiled). Afterwards, in
//! the same state, the workload's main function stays referenced and the
//! collector is stopped (a trace is freed with the prototype it starts in),
//! the JIT is switched off (which aborts a recording left in progress;
//! finished traces stay), and `capture.lua` reads `traceinfo`, `traceir`,
//! `tracek`, `tracemc` (the machine code itself) and `traceexitstub`. Where a
//! trace starts comes from `capture.c`, which reads the trace's start
//! prototype and pc (not exposed by `jit.util`); its parent and exit from the
//! parent's exit stub, which LuaJIT patches into a branch to the side trace.
//!
//! A workload may end in three ways, and each leaves a capture: it returns,
//! it raises an uncaught error (captured after the error unwinds), or it
//! calls `os.exit`. A test written for a stock `luajit` ends with
//! `os.exit(status)` (a tap-style test's `done()` does), which would end the
//! process before any capture; so in the capture's state `os.exit` is
//! replaced by a C function (`capture.c`) that captures right there, with the
//! workload still on the stack, and then calls the original `os.exit`. The
//! process exits with the script's own status, so the outcome is the same as
//! without the capture. Only a crash or a timeout leaves no capture.
//!
//! # The capture file
//!
//! One JSON document, ending in a newline:
//!
//! ```text
//! {
//!   "format":  contract::capture::FORMAT,
//!   "script":  chunk name of the workload,
//!   "error":   its uncaught error, or null (the traces are captured anyway),
//!   "exit":    the status it passed to os.exit (true 0, false 1), or null when it did not call it,
//!   "version": jit.version,
//!   "maps":    [["0xSTART", "0xEND"], ...]  mapped ranges (/proc/self/maps), to tell addresses from numbers,
//!   "ircalls": ["0xADDR", ...]              address of IR call i (jit.util.ircalladdr),
//!   "traces": [{
//!     "trace":      trace number,
//!     "parent":     parent trace, or null (a root trace, or a side trace whose parent exit stub is not patched),
//!     "exit":       exit of the parent it hangs off, or null,
//!     "root":       root trace (0 for a root trace),
//!     "start":      "chunk:line" where recording started, or null,
//!     "link":       linked trace, "linktype": "loop", "stitch", "interpreter", ...,
//!     "nexit":      number of snapshots,
//!     "ir":         ["0003 >  num ULE    0002 K[t14 100]", ...]  one line per IR instruction,
//!                   in -jdump's columns: number, guard `>` and PHI `+` marks, type and opcode
//!                   by LuaJIT's own names, operands (refs as numbers, constants as
//!                   K[type value], with addresses as `ptr` and GC objects by kind),
//!     "address":    "0xADDR" of the machine code (null when the trace has none),
//!     "loop":       byte offset of the loop label (0 when there is none),
//!     "mcode":      the machine code, lowercase hex, in memory order,
//!     "exit_stubs": "0xOFS" offset of exit 0's stub from "address" (null when there are no stubs),
//!     "exit_count": number of exit stubs; the stub of exit n is 4n bytes past exit 0's
//!   }, ...]
//! }
//! ```
//!
//! Two runs of one build give the same IR, and machine code that differs
//! only in the heap and code addresses it embeds.

use std::ffi::{CString, c_int};
use std::io::{self, Write as _};
use std::path::Path;
use std::time::Duration;

use luajit_sys as sys;

use crate::isolate::{Finished, run_isolated};
use crate::lua::{Lua, pop_error};
use crate::outcome::Outcome;

const CAPTURE_LUA: &str = include_str!("capture.lua");

unsafe extern "C" {
    /// `capture.c`: the start prototype, pc and root of a trace.
    fn suite_capture_tracestart(l: *mut sys::lua_State) -> c_int;
    /// `capture.c`: LuaJIT's IR opcode and type names.
    fn suite_capture_irnames(l: *mut sys::lua_State) -> c_int;
    /// `capture.c`: calls its first upvalue, then its second (the original
    /// os.exit), each with the arguments it was given.
    fn suite_capture_exit(l: *mut sys::lua_State) -> c_int;
}

/// Runs `source` in a child and writes its traces to `out`. The outcome is the
/// workload's; `out` exists afterwards exactly when the capture succeeded.
pub fn capture(
    source: &[u8],
    chunk_name: &str,
    out: &Path,
    timeout: Duration,
) -> io::Result<Outcome> {
    match std::fs::remove_file(out) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    run_isolated(timeout, || {
        let lua = Lua::new();
        let (result, document) = run_and_capture(&lua, source, chunk_name, out)?;
        std::fs::write(out, document)
            .map_err(|error| format!("cannot write {}: {error}", out.display()))?;
        result.map(|()| Finished::default())
    })
}

/// Runs the workload, then captures its traces while its main function is
/// still referenced: a trace lives as long as the prototype it starts in, and
/// the collector would free the main chunk's traces as soon as the chunk is
/// garbage. Returns the workload's result and the capture document. When the
/// workload calls `os.exit`, the capture is written to `out` there and the
/// process exits with the workload's status: this function does not return.
pub fn run_and_capture(
    lua: &Lua,
    source: &[u8],
    chunk_name: &str,
    out: &Path,
) -> Result<(Result<(), String>, Vec<u8>), String> {
    let l = lua.as_ptr();
    let name =
        CString::new(format!("@{chunk_name}")).map_err(|_| "chunk name has a NUL".to_owned())?;
    // SAFETY: `l` is a valid state; buffer and name outlive the calls; the
    // stack is back where it was on every path.
    unsafe {
        let top = sys::lua_gettop(l);
        if sys::luaL_loadbuffer(l, source.as_ptr().cast(), source.len(), name.as_ptr()) != 0 {
            let error = lua.pop_error();
            return Ok((
                Err(error.clone()),
                traces(l, chunk_name, Some(&error), None)?,
            ));
        }
        let exit = ExitCapture { chunk_name, out };
        install_exit_capture(l, &exit)?;
        sys::lua_pushvalue(l, -1);
        let result = if sys::lua_pcall(l, 0, 0, 0) != 0 {
            Err(lua.pop_error())
        } else {
            Ok(())
        };
        // The workload is over: the capture must not free what it left.
        sys::lua_gc(l, sys::LUA_GCSTOP as c_int, 0);
        let document = traces(
            l,
            chunk_name,
            result.as_ref().err().map(String::as_str),
            None,
        );
        sys::lua_settop(l, top);
        Ok((result, document?))
    }
}

/// `lua_upvalueindex(i)`, a macro in lua.h.
fn upvalue_index(i: c_int) -> c_int {
    sys::LUA_GLOBALSINDEX as c_int - i
}

/// What the os.exit replacement needs to write a capture. It reaches the
/// replacement as a light userdata rather than as Lua strings: the output
/// path differs between the builds (target/mcode/baseline/..., .../patched/...),
/// and a string of another length in the workload's heap would move every
/// later object, and with them the addresses the JIT derives constants from,
/// so that the two builds' machine code would differ for no reason of theirs.
struct ExitCapture<'a> {
    chunk_name: &'a str,
    out: &'a Path,
}

/// Replaces `os.exit` in `l` by `capture.c`'s suite_capture_exit, whose
/// upvalues are `capture_on_exit` (with `exit` as its upvalue) and the
/// original `os.exit`.
///
/// # Safety
/// `l` is a valid state with the standard libraries open, and `exit`
/// outlives every call of the workload's os.exit.
unsafe fn install_exit_capture(l: *mut sys::lua_State, exit: &ExitCapture) -> Result<(), String> {
    // SAFETY: the caller's state; the stack is back where it was afterwards.
    unsafe {
        sys::lua_getfield(l, sys::LUA_GLOBALSINDEX as c_int, c"os".as_ptr());
        if sys::lua_type(l, -1) != sys::LUA_TTABLE as c_int {
            sys::lua_settop(l, -2);
            return Err("the state has no os library".to_owned());
        }
        sys::lua_pushlightuserdata(l, std::ptr::from_ref(exit).cast_mut().cast());
        sys::lua_pushcclosure(l, Some(capture_on_exit), 1);
        sys::lua_getfield(l, -2, c"exit".as_ptr());
        sys::lua_pushcclosure(l, Some(suite_capture_exit), 2);
        sys::lua_setfield(l, -2, c"exit".as_ptr());
        sys::lua_settop(l, -2);
    }
    Ok(())
}

/// What `os.exit(status)` will exit with, as LuaJIT's os_exit computes it;
/// None for an argument it rejects with an error (and then does not exit).
///
/// # Safety
/// `l` is a valid state, inside a call with the arguments of os.exit.
unsafe fn exit_status(l: *mut sys::lua_State) -> Option<i64> {
    // SAFETY: reading the arguments of the current call.
    unsafe {
        match sys::lua_type(l, 1) {
            t if t == sys::LUA_TNONE || t == sys::LUA_TNIL as c_int => Some(0),
            t if t == sys::LUA_TBOOLEAN as c_int => {
                Some(if sys::lua_toboolean(l, 1) != 0 { 0 } else { 1 })
            }
            _ if sys::lua_isnumber(l, 1) != 0 => Some(sys::lua_tointeger(l, 1) as i64),
            _ => None,
        }
    }
}

/// The first upvalue of the os.exit replacement: captures the traces into
/// the file its upvalue, an `ExitCapture`, names. It must never raise a Lua error (the
/// unwinding would cross this Rust frame), so every failure is reported on
/// stderr instead; the file is then missing, and the host says so.
unsafe extern "C" fn capture_on_exit(l: *mut sys::lua_State) -> c_int {
    // SAFETY: called by Lua with the upvalue install_exit_capture gave, which
    // points to an ExitCapture that outlives the workload.
    unsafe {
        let Some(status) = exit_status(l) else {
            // os.exit itself will reject the argument; the workload goes on.
            return 0;
        };
        let exit = &*sys::lua_touserdata(l, upvalue_index(1)).cast::<ExitCapture>();
        sys::lua_gc(l, sys::LUA_GCSTOP as c_int, 0);
        let written = traces(l, exit.chunk_name, None, Some(status)).and_then(|document| {
            std::fs::write(exit.out, document)
                .map_err(|error| format!("cannot write {}: {error}", exit.out.display()))
        });
        if let Err(error) = written {
            let _ = writeln!(io::stderr(), "capture failed at os.exit: {error}");
        }
        0
    }
}

/// Counts, after a run, the traces the JIT holds and how many of them hold
/// each IR opcode, as `NAME:count,...` (for the stress run's reach table).
/// It switches the JIT off first, so its own loops compile nothing.
pub fn ir_reach(lua: &Lua) -> Result<(u64, String), String> {
    const PROBE: &str = concat!(
        "local live_traces = (function()\n",
        include_str!("live_traces.lua"),
        "\nend)()\n",
        r#"
local irnames = ...
local ops = irnames()
local util = require("jit.util")
local traces, held = 0, {}
for tr, info in live_traces() do
  traces = traces + 1
  local seen = {}
  for ref = 1, info.nins do
    local m, ot = util.traceir(tr, ref)
    if m then seen[bit.rshift(ot, 8)] = true end
  end
  for op in pairs(seen) do held[op] = (held[op] or 0) + 1 end
end
local out = {}
for op, n in pairs(held) do out[#out + 1] = (ops[op + 1] or ("op" .. op)) .. ":" .. n end
table.sort(out)
return traces, table.concat(out, ",")
"#
    );
    let l = lua.as_ptr();
    let name = CString::new("=ir-reach").expect("no NUL");
    // SAFETY: `l` is a valid state; every pushed value is popped on all paths.
    unsafe {
        sys::luaJIT_setmode(
            l,
            0,
            (sys::LUAJIT_MODE_ENGINE | sys::LUAJIT_MODE_OFF) as c_int,
        );
        if sys::luaL_loadbuffer(l, PROBE.as_ptr().cast(), PROBE.len(), name.as_ptr()) != 0 {
            return Err(pop_error(l));
        }
        sys::lua_pushcclosure(l, Some(suite_capture_irnames), 0);
        if sys::lua_pcall(l, 1, 2, 0) != 0 {
            return Err(pop_error(l));
        }
        let traces = sys::lua_tointeger(l, -2) as u64;
        let mut len = 0usize;
        let ptr = sys::lua_tolstring(l, -1, &mut len);
        let ops = if ptr.is_null() {
            String::new()
        } else {
            String::from_utf8_lossy(std::slice::from_raw_parts(ptr.cast::<u8>(), len)).into_owned()
        };
        sys::lua_settop(l, -3);
        Ok((traces, ops))
    }
}

/// Runs `capture.lua` in `l`, after the workload or inside its os.exit, and
/// returns its document. It leaves the JIT off.
///
/// # Safety
/// `l` is a valid state (the workload's or one of its coroutines).
pub unsafe fn traces(
    l: *mut sys::lua_State,
    chunk_name: &str,
    script_error: Option<&str>,
    exit: Option<i64>,
) -> Result<Vec<u8>, String> {
    let name = CString::new("@capture.lua").expect("no NUL");
    // SAFETY: `l` is a valid state; every pushed value is popped again on all paths.
    unsafe {
        // Switching the engine off aborts a recording the workload left in
        // progress and keeps the capture's own loops from being compiled;
        // finished traces stay.
        sys::luaJIT_setmode(
            l,
            0,
            (sys::LUAJIT_MODE_ENGINE | sys::LUAJIT_MODE_OFF) as c_int,
        );
        if sys::luaL_loadbuffer(
            l,
            CAPTURE_LUA.as_ptr().cast(),
            CAPTURE_LUA.len(),
            name.as_ptr(),
        ) != 0
        {
            return Err(pop_error(l));
        }
        sys::lua_pushcclosure(l, Some(suite_capture_tracestart), 0);
        sys::lua_pushcclosure(l, Some(suite_capture_irnames), 0);
        sys::lua_pushlstring(l, chunk_name.as_ptr().cast(), chunk_name.len());
        match script_error {
            Some(error) => sys::lua_pushlstring(l, error.as_ptr().cast(), error.len()),
            None => sys::lua_pushnil(l),
        }
        match exit {
            Some(status) => sys::lua_pushinteger(l, status as sys::lua_Integer),
            None => sys::lua_pushnil(l),
        }
        let format = contract::capture::FORMAT;
        sys::lua_pushlstring(l, format.as_ptr().cast(), format.len());
        if sys::lua_pcall(l, 6, 1, 0) != 0 {
            return Err(pop_error(l));
        }
        let mut len = 0usize;
        let ptr = sys::lua_tolstring(l, -1, &mut len);
        let document = if ptr.is_null() {
            Err("capture.lua returned no text".to_owned())
        } else {
            Ok(std::slice::from_raw_parts(ptr.cast::<u8>(), len).to_vec())
        };
        sys::lua_settop(l, -2);
        document
    }
}

// The capture reads ARM64 exit stubs; on another backend there is nothing to read.
#[cfg(all(test, target_arch = "aarch64"))]
mod tests {
    use super::*;
    use crate::outcome::Status;

    #[test]
    fn a_loop_leaves_a_trace_with_code_and_ir() {
        let dir = std::env::temp_dir().join(format!("suite-capture-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("loop.json");
        let source = b"jit.opt.start('hotloop=1')\nlocal s = 0\nfor i = 1, 100 do s = s + i end\nerror('after')";
        let outcome = capture(source, "t.lua", &out, Duration::from_secs(20)).unwrap();
        assert_eq!(outcome.status, Status::Fail, "{outcome:?}");
        let document: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert!(
            document["error"].as_str().unwrap().contains("after"),
            "{document}"
        );
        let trace = &document["traces"][0];
        assert_eq!(trace["trace"], 1, "{document}");
        assert_eq!(trace["start"], "t.lua:3", "{document}");
        assert_eq!(trace["linktype"], "loop", "{document}");
        assert!(!trace["ir"].as_array().unwrap().is_empty(), "{document}");
        assert!(trace["mcode"].as_str().unwrap().len() >= 8, "{document}");
        assert_eq!(document["exit"], serde_json::Value::Null, "{document}");
        // A numeric for loop compiles to a LOOP instruction, named as -jdump
        // names it, in the opcode column (after number, marks and type).
        let ir: Vec<&str> = trace["ir"]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| line.as_str().unwrap())
            .collect();
        assert!(
            ir.iter()
                .any(|line| line.get(12..18).map(str::trim_end) == Some("LOOP")),
            "{ir:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn os_exit_leaves_a_capture_and_keeps_its_status() {
        let dir = std::env::temp_dir().join(format!("suite-capture-exit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("exit.json");
        let source = b"jit.opt.start('hotloop=1')\nlocal s = 0\nfor i = 1, 100 do s = s + i end\nos.exit(s == 5050 and 3 or 4)\nerror('not reached')";
        let outcome = capture(source, "t.lua", &out, Duration::from_secs(20)).unwrap();
        assert_eq!(
            (outcome.status, outcome.exit_code, outcome.error.as_deref()),
            (Status::Fail, Some(3), None),
            "{outcome:?}"
        );
        let document: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(document["exit"], 3, "{document}");
        assert_eq!(document["error"], serde_json::Value::Null, "{document}");
        assert_eq!(document["traces"][0]["start"], "t.lua:3", "{document}");
        // A rejected argument is os.exit's own error, and no capture happens there.
        let source = b"local ok, e = pcall(os.exit, {})\nerror(e)";
        let outcome = capture(source, "t.lua", &out, Duration::from_secs(20)).unwrap();
        assert!(
            outcome
                .error
                .as_deref()
                .is_some_and(|e| e.contains("bad argument #1")),
            "{outcome:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
