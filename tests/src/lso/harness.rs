//! The FFI side of `harness.c`: emit_lso of the linked tree, one call or a sweep.

use std::ffi::c_void;

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
        report: extern "C" fn(*mut c_void, usize, i32, *const u32),
        ctx: *mut c_void,
    );
}

/// The words emit_lso left, in program order: two when it emitted the
/// access on its own, one when it fused it with the previous word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Emitted {
    pub words: [u32; 2],
    pub len: usize,
}

impl Emitted {
    pub fn words(&self) -> &[u32] {
        &self.words[..self.len.min(2)]
    }
}

/// The tree's encodings of the kinds, in the order of `super::KINDS`.
pub fn tree_kinds() -> Vec<u32> {
    // SAFETY: plain reads of a static table, indices within its length.
    unsafe {
        (0..lso_harness_kind_count())
            .map(|k| lso_harness_kind(k))
            .collect()
    }
}

pub fn emit(kind: usize, rd: u32, rn: u32, ofs: i64, prev: u32, at_loop: bool) -> Emitted {
    let mut words = [0u32; 2];
    // SAFETY: `words` has the two slots the harness may write.
    let len = unsafe {
        lso_harness_emit(
            kind as i32,
            rd,
            rn,
            ofs,
            prev,
            at_loop as i32,
            words.as_mut_ptr(),
        )
    };
    Emitted {
        words,
        len: len as usize,
    }
}

/// Runs emit_lso after every word of `prevs` and returns the index and
/// result of each call whose result is not `[lone, prev]`.
pub fn sweep(
    kind: usize,
    rd: u32,
    rn: u32,
    ofs: i64,
    lone: u32,
    prevs: &[u32],
    at_loop: bool,
) -> Vec<(usize, Emitted)> {
    extern "C" fn collect(ctx: *mut c_void, index: usize, n: i32, out: *const u32) {
        // SAFETY: `ctx` is the Vec passed below, alive for the whole sweep; `out` holds two words.
        let (found, out) = unsafe {
            (
                &mut *(ctx as *mut Vec<(usize, Emitted)>),
                std::slice::from_raw_parts(out, 2),
            )
        };
        found.push((
            index,
            Emitted {
                words: [out[0], out[1]],
                len: n as usize,
            },
        ));
    }
    let mut found: Vec<(usize, Emitted)> = Vec::new();
    // SAFETY: `prevs` outlives the call; the callback only touches `found`.
    unsafe {
        lso_harness_sweep(
            kind as i32,
            rd,
            rn,
            ofs,
            lone,
            prevs.as_ptr(),
            prevs.len(),
            at_loop as i32,
            collect,
            (&mut found as *mut Vec<(usize, Emitted)>).cast(),
        );
    }
    found
}
