//! A fresh `lua_State` with the standard libraries, driven through luajit-sys.

use std::ffi::{CStr, CString, c_int};
use std::ptr::NonNull;

use luajit_sys as sys;

pub struct Lua {
    state: NonNull<sys::lua_State>,
}

impl Lua {
    pub fn new() -> Lua {
        // SAFETY: luaL_newstate has no preconditions; a null return means out of memory.
        let state = unsafe { sys::luaL_newstate() };
        let state = NonNull::new(state).expect("luaL_newstate: out of memory");
        // SAFETY: a fresh, valid state.
        unsafe { sys::luaL_openlibs(state.as_ptr()) };
        Lua { state }
    }

    /// Loads and runs `source` as a chunk; an uncaught error comes back as its message.
    pub fn exec(&self, source: &[u8], chunk_name: &str) -> Result<(), String> {
        self.eval(source, chunk_name).map(|_| ())
    }

    /// Runs a chunk and renders what it returns with `tostring`, joined by
    /// tabs; `None` when it returns nothing.
    pub fn eval(&self, source: &[u8], chunk_name: &str) -> Result<Option<String>, String> {
        let l = self.state.as_ptr();
        let name = CString::new(format!("@{chunk_name}")).expect("chunk name has no NUL");
        // SAFETY: `l` is valid; buffer and name outlive the calls; the stack is
        // left as it was found on every path.
        unsafe {
            let top = sys::lua_gettop(l);
            let status =
                sys::luaL_loadbuffer(l, source.as_ptr().cast(), source.len(), name.as_ptr());
            if status != 0 {
                return Err(self.pop_error());
            }
            if sys::lua_pcall(l, 0, sys::LUA_MULTRET, 0) != 0 {
                return Err(self.pop_error());
            }
            let results = sys::lua_gettop(l) - top;
            let mut parts = Vec::new();
            for index in top + 1..=top + results {
                let mut len = 0usize;
                // luaL_tolstring is 5.2; for numbers and strings lua_tolstring converts in place,
                // which is fine on a copy.
                sys::lua_pushvalue(l, index);
                let ptr = sys::lua_tolstring(l, -1, &mut len);
                let text = if ptr.is_null() {
                    let type_name = CStr::from_ptr(sys::lua_typename(l, sys::lua_type(l, -1)));
                    format!("({})", type_name.to_string_lossy())
                } else {
                    String::from_utf8_lossy(std::slice::from_raw_parts(ptr.cast::<u8>(), len))
                        .into_owned()
                };
                sys::lua_settop(l, -2);
                parts.push(text);
            }
            sys::lua_settop(l, top);
            Ok((results > 0).then(|| parts.join("\t")))
        }
    }

    /// Turns the JIT compiler on or off for the whole state.
    pub fn set_jit(&self, on: bool) {
        let mode = sys::LUAJIT_MODE_ENGINE as i32
            | if on {
                sys::LUAJIT_MODE_ON
            } else {
                sys::LUAJIT_MODE_OFF
            } as i32;
        // SAFETY: a valid state; index 0 addresses the engine as a whole.
        unsafe { sys::luaJIT_setmode(self.state.as_ptr(), 0, mode) };
    }

    /// Traces the JIT holds now, counted through `jit.util.traceinfo`.
    pub fn trace_count(&self) -> Option<u64> {
        const PROBE: &str = concat!(
            "local live_traces = (function()\n",
            include_str!("live_traces.lua"),
            "\nend)()\nlocal n = 0\nfor _ in live_traces() do n = n + 1 end\nreturn n"
        );
        self.eval(PROBE.as_bytes(), "=trace-count")
            .ok()
            .flatten()
            .and_then(|n| n.parse().ok())
    }

    /// The raw state, for code that drives the C API itself (the capture).
    pub fn as_ptr(&self) -> *mut sys::lua_State {
        self.state.as_ptr()
    }

    /// The error value on top of the stack, as Lua's `tostring` would print it.
    pub(crate) unsafe fn pop_error(&self) -> String {
        // SAFETY: the caller leaves an error value on top of a valid stack.
        unsafe { pop_error(self.state.as_ptr()) }
    }
}

/// The error value on top of `l`'s stack, popped, as Lua's `tostring` would
/// print it; for code that has only the raw state (a C function's).
///
/// # Safety
/// `l` is a valid state with a value on top.
pub(crate) unsafe fn pop_error(l: *mut sys::lua_State) -> String {
    // SAFETY: as the caller promises.
    unsafe {
        let mut len = 0usize;
        let ptr = sys::lua_tolstring(l, -1, &mut len);
        let message = if ptr.is_null() {
            let type_name = CStr::from_ptr(sys::lua_typename(l, sys::lua_type(l, -1)));
            format!("(error object is a {} value)", type_name.to_string_lossy())
        } else {
            let bytes = std::slice::from_raw_parts(ptr.cast::<u8>(), len);
            String::from_utf8_lossy(bytes).into_owned()
        };
        sys::lua_settop(l, -2 as c_int);
        message
    }
}

impl Default for Lua {
    fn default() -> Lua {
        Lua::new()
    }
}

impl Drop for Lua {
    fn drop(&mut self) {
        // SAFETY: the state is valid and not used after this.
        unsafe { sys::lua_close(self.state.as_ptr()) };
    }
}
