/*
** The emit_lso() harness: calls the load/store emitter of the LuaJIT tree
** under test, as that tree compiles it.
**
** emit_lso() is a static function in src/lj_emit_arm64.h, which only the
** assembler translation unit src/lj_asm.c includes, after defining ASMState
** and the macros the emitters need. So this file includes lj_asm.c itself:
** the function below is compiled from the tree's own sources, with the
** tree's own instruction encodings, in the same context as in LuaJIT, and
** the wrappers here can call it. The two functions lj_asm.c exports are
** renamed so this private copy of the assembler does not clash with the one
** in libluajit.a; everything else it refers to resolves against libluajit.a.
**
*/

/*
** Built into the suite, the harness links against the tree's libluajit.a.
** Built for the host as a shared library (LUAJIT_TARGET=LUAJIT_ARCH_arm64,
** -fvisibility=hidden, --gc-sections), only the functions marked LSO_EXPORT
** stay visible, so the rest of the assembler and what it refers to is
** dropped and nothing needs resolving against a LuaJIT library.
*/
#define LSO_EXPORT __attribute__((visibility("default")))

#define lj_asm_trace lso_harness_unused_asm_trace
#define lj_asm_patchexit lso_harness_unused_asm_patchexit
#include "lj_asm.c"

#if !LJ_TARGET_ARM64
#error "the emit_lso harness needs a build for the ARM64 backend"
#endif

/* The kinds emit_lso() can be asked to emit, in the order the Rust side lists them. */
static const A64Ins lso_kinds[] = {
  A64I_LDRB, A64I_STRB, A64I_LDRH, A64I_STRH, A64I_LDRw, A64I_STRw,
  A64I_LDRx, A64I_STRx, A64I_LDRs, A64I_STRs, A64I_LDRd, A64I_STRd
};

LSO_EXPORT int lso_harness_kind_count(void)
{
  return (int)(sizeof(lso_kinds) / sizeof(lso_kinds[0]));
}

LSO_EXPORT uint32_t lso_harness_kind(int kind)
{
  return lso_kinds[kind];
}

/*
** The emitter's state, as the assembler has it midway through a trace:
** machine code grows downwards, *mcp is the word emitted just before (the
** next one in program order), and mcloop marks the loop label. Only mcp
** and mcloop are read by emit_lso, so the rest stays cleared. One state
** per thread: the check runs kinds in parallel.
*/
static __thread ASMState lso_state;
static __thread MCode lso_code[3];

static int emit_after(A64Ins ai, Reg rd, Reg rn, int64_t ofs, uint32_t prev, int at_loop)
{
  lso_code[2] = prev;
  lso_state.mcp = &lso_code[2];
  lso_state.mcloop = at_loop ? &lso_code[2] : NULL;
  emit_lso(&lso_state, ai, rd, rn, ofs);
  return (int)(&lso_code[3] - lso_state.mcp);
}

/*
** One call: emits kind/rd/rn/ofs after `prev`, with the loop label at prev
** when at_loop is set. Writes the resulting words in program order to out
** and returns how many there are (2: emitted separately, 1: fused).
*/
LSO_EXPORT int lso_harness_emit(int kind, uint32_t rd, uint32_t rn, int64_t ofs,
		     uint32_t prev, int at_loop, uint32_t out[2])
{
  int n = emit_after(lso_kinds[kind], (Reg)rd, (Reg)rn, ofs, prev, at_loop);
  int i;
  for (i = 0; i < n && i < 2; i++) out[i] = lso_state.mcp[i];
  return n;
}

typedef void (*lso_report_fn)(void *ctx, size_t index, int n, const uint32_t *out);

/*
** The inner loop of the exhaustive check, kept in C so that it runs at
** native speed under emulation: emits kind/rd/rn/ofs after each word of
** prevs and reports, through `report`, every result other than the plain
** one (`lone` followed by the untouched previous word). `lone` is what
** emit_lso produced after an unrelated word; the caller checks it.
*/
LSO_EXPORT void lso_harness_sweep(int kind, uint32_t rd, uint32_t rn, int64_t ofs,
		       uint32_t lone, const uint32_t *prevs, size_t count,
		       int at_loop, lso_report_fn report, void *ctx)
{
  A64Ins ai = lso_kinds[kind];
  size_t i;
  for (i = 0; i < count; i++) {
    int n = emit_after(ai, (Reg)rd, (Reg)rn, ofs, prevs[i], at_loop);
    if (n != 2 || lso_code[1] != lone || lso_code[2] != prevs[i]) {
      uint32_t out[2] = { lso_state.mcp[0], n > 1 ? lso_state.mcp[1] : 0 };
      report(ctx, i, n, out);
    }
  }
}
