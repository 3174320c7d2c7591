//! What the suite (an aarch64 binary linked against LuaJIT) and the xtask
//! (on the host) exchange, defined once for both: how a Lua run ended, the
//! time limits of a stress program's runs, the headers of a regression
//! case, and the machine-code capture file.

pub mod capture;
pub mod case;
pub mod limits;
pub mod outcome;
