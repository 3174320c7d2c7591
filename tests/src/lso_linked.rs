//! The emit_lso harness linked into the suite (compiled by build.rs against
//! the tree luajit-sys links), as the checker in `lso-check` calls it.

use lso_check::Harness;

unsafe extern "C" {
    fn lso_harness_kind_count() -> i32;
    fn lso_harness_kind(kind: i32) -> u32;
    fn lso_harness_emit(
        kind: i32,
        rd: u32,
        rn: u32,
        ofs: i64,
        prev: u32,
        at_loop: i32,
        out: *mut u32,
    ) -> i32;
    fn lso_harness_sweep(
        kind: i32,
        rd: u32,
        rn: u32,
        ofs: i64,
        lone: u32,
        prevs: *const u32,
        count: usize,
        at_loop: i32,
        report: extern "C" fn(*mut std::ffi::c_void, usize, i32, *const u32),
        ctx: *mut std::ffi::c_void,
    );
}

pub fn harness() -> Harness {
    // SAFETY: these are harness.c's functions, linked by build.rs.
    unsafe {
        Harness::linked(
            lso_harness_kind_count,
            lso_harness_kind,
            lso_harness_emit,
            lso_harness_sweep,
        )
    }
}
