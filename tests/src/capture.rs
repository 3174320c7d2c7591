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
//! # The capture file
//!
//! One JSON document, ending in a newline:
//!
//! ```text
//! {
//!   "format":  "luajit-arm64-verify mcode capture 1",
//!   "script":  chunk name of the workload,
//!   "error":   its uncaught error, or null (the traces are captured anyway),
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
//!     "ir":         ["0001 op19  t14  0003 K[t14 1]", ...]  one line per IR instruction:
//!                   number, opcode and type as numbers, operands (refs as numbers, constants as
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
//! only in the heap and code addresses it embeds. A workload that crashes,
//! times out or calls `os.exit` leaves no capture.

use std::ffi::{CString, c_int};
use std::io;
use std::path::Path;
use std::time::Duration;

use luajit_sys as sys;

use crate::isolate::{Finished, run_isolated};
use crate::lua::Lua;
use crate::outcome::Outcome;

const CAPTURE_LUA: &str = include_str!("capture.lua");

unsafe extern "C" {
    /// `capture.c`: the start prototype, pc and root of a trace.
    fn suite_capture_tracestart(l: *mut sys::lua_State) -> c_int;
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
        let (result, document) = run_and_capture(&lua, source, chunk_name)?;
        std::fs::write(out, document)
            .map_err(|error| format!("cannot write {}: {error}", out.display()))?;
        result.map(|()| Finished::default())
    })
}

/// Runs the workload, then captures its traces while its main function is
/// still referenced: a trace lives as long as the prototype it starts in, and
/// the collector would free the main chunk's traces as soon as the chunk is
/// garbage. Returns the workload's result and the capture document.
pub fn run_and_capture(
    lua: &Lua,
    source: &[u8],
    chunk_name: &str,
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
            return Ok((Err(error.clone()), traces(lua, chunk_name, Some(&error))?));
        }
        sys::lua_pushvalue(l, -1);
        let result = if sys::lua_pcall(l, 0, 0, 0) != 0 {
            Err(lua.pop_error())
        } else {
            Ok(())
        };
        // The workload is over: the capture must not free what it left.
        sys::lua_gc(l, sys::LUA_GCSTOP as c_int, 0);
        let document = traces(lua, chunk_name, result.as_ref().err().map(String::as_str));
        sys::lua_settop(l, top);
        Ok((result, document?))
    }
}

/// Runs `capture.lua` in `lua`, after the workload, and returns its document.
pub fn traces(lua: &Lua, chunk_name: &str, script_error: Option<&str>) -> Result<Vec<u8>, String> {
    let l = lua.as_ptr();
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
            return Err(lua.pop_error());
        }
        sys::lua_pushcclosure(l, Some(suite_capture_tracestart), 0);
        sys::lua_pushlstring(l, chunk_name.as_ptr().cast(), chunk_name.len());
        match script_error {
            Some(error) => sys::lua_pushlstring(l, error.as_ptr().cast(), error.len()),
            None => sys::lua_pushnil(l),
        }
        if sys::lua_pcall(l, 3, 1, 0) != 0 {
            return Err(lua.pop_error());
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
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
