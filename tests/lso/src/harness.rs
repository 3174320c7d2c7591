//! The FFI side of `harness.c`: emit_lso of one tree, one call or a sweep.
//! The harness is either linked into the binary (the suite on aarch64,
//! whose build script compiles it against the tree it links) or a shared
//! library compiled for the host with the tree's ARM64 backend and loaded
//! at run time: emit_lso only writes instruction words, which are data.

use std::ffi::c_void;
use std::path::Path;

type KindCount = unsafe extern "C" fn() -> i32;
type KindAt = unsafe extern "C" fn(kind: i32) -> u32;
type Emit = unsafe extern "C" fn(
    kind: i32,
    rd: u32,
    rn: u32,
    ofs: i64,
    prev: u32,
    at_loop: i32,
    out: *mut u32,
) -> i32;
type ReportFn = extern "C" fn(*mut c_void, usize, i32, *const u32);
type Sweep = unsafe extern "C" fn(
    kind: i32,
    rd: u32,
    rn: u32,
    ofs: i64,
    lone: u32,
    prevs: *const u32,
    count: usize,
    at_loop: i32,
    report: ReportFn,
    ctx: *mut c_void,
);

/// The four entry points of `harness.c`, and the library they live in when
/// it was loaded at run time (kept open as long as they may be called).
pub struct Harness {
    kind_count: KindCount,
    kind: KindAt,
    emit: Emit,
    sweep: Sweep,
    _library: Option<libloading::Library>,
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

impl Harness {
    /// The harness linked into this binary.
    ///
    /// # Safety
    /// The functions must be `harness.c`'s `lso_harness_kind_count`,
    /// `lso_harness_kind`, `lso_harness_emit` and `lso_harness_sweep`.
    pub unsafe fn linked(kind_count: KindCount, kind: KindAt, emit: Emit, sweep: Sweep) -> Harness {
        Harness {
            kind_count,
            kind,
            emit,
            sweep,
            _library: None,
        }
    }

    /// A harness compiled as a shared library for this host.
    pub fn load(path: &Path) -> Result<Harness, String> {
        let fail = |e: libloading::Error| format!("cannot load {}: {e}", path.display());
        // SAFETY: the library is harness.c compiled by the xtask; loading it
        // runs no initialisers beyond the C runtime's.
        let library = unsafe { libloading::Library::new(path) }.map_err(fail)?;
        // SAFETY: the symbols have the signatures harness.c gives them.
        unsafe {
            let kind_count = *library
                .get::<KindCount>(b"lso_harness_kind_count\0")
                .map_err(fail)?;
            let kind = *library.get::<KindAt>(b"lso_harness_kind\0").map_err(fail)?;
            let emit = *library.get::<Emit>(b"lso_harness_emit\0").map_err(fail)?;
            let sweep = *library.get::<Sweep>(b"lso_harness_sweep\0").map_err(fail)?;
            Ok(Harness {
                kind_count,
                kind,
                emit,
                sweep,
                _library: Some(library),
            })
        }
    }

    /// The tree's encodings of the kinds, in the order of `access::KINDS`.
    pub fn tree_kinds(&self) -> Vec<u32> {
        // SAFETY: plain reads of a static table, indices within its length.
        unsafe { (0..(self.kind_count)()).map(|k| (self.kind)(k)).collect() }
    }

    pub fn emit(
        &self,
        kind: usize,
        rd: u32,
        rn: u32,
        ofs: i64,
        prev: u32,
        at_loop: bool,
    ) -> Emitted {
        let mut words = [0u32; 2];
        // SAFETY: `words` has the two slots the harness may write.
        let len = unsafe {
            (self.emit)(
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
    #[allow(clippy::too_many_arguments)]
    pub fn sweep(
        &self,
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
            (self.sweep)(
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
}
