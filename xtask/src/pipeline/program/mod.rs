//! Programs: the seeded generator of Lua programs that stress the backend,
//! its block families, and the shrinker that cuts a program down while it
//! keeps failing. Nothing here runs a program; `stress` does.

pub mod calls;
pub mod carried;
pub mod expr;
pub mod ffi;
pub mod forms;
pub mod generate;
pub mod indexed;
pub mod lookups;
pub mod rng;
pub mod seed;
pub mod shapes;
pub mod shrink;
pub mod tables;
pub mod unfused;
