/*
** What the machine-code capture (src/capture.rs) needs from LuaJIT's
** internals, compiled against the linked tree's own headers.
**
** Where a trace starts: jit.util.traceinfo() does not say, and the only
** other way to learn it, a jit.attach() hook, would have to be attached
** while the workload runs. GCtrace keeps the starting prototype and
** bytecode position (startpt, startpc) and its root trace, so this function
** reads them after the run:
**
**   local n = tracestart()                 -- number of trace slots (J->sizetrace)
**   local pt, pc, root = tracestart(tr)    -- nothing when slot tr holds no trace
**
** pt is a prototype value, which jit.util.funcinfo(pt, pc) accepts.
**
** IR names: -jdump takes opcode names from jit/vmdef.lua, which buildvm
** generates from IRDEF; the suite has no jit/ folder on its path, so the
** names come from the same macros here, and always match the linked tree:
**
**   local ops, types = irnames()   -- arrays indexed by opcode and type number + 1
**
** os.exit during a capture: suite_capture_exit is installed as os.exit with
** two upvalues, a capture function that never raises an error and the
** original os.exit. It captures first, then exits as the original would.
** It is C rather than Rust because the original os.exit raises a Lua error
** on a bad argument, and LuaJIT's error unwinding must not cross Rust frames.
*/

#include "lj_obj.h"
#include "lj_jit.h"
#include "lj_ir.h"
#include "lj_dispatch.h"
#include "lauxlib.h"

int suite_capture_tracestart(lua_State *L)
{
#if LJ_HASJIT
  jit_State *J = L2J(L);
  TraceNo tr;
  GCtrace *T;
  if (lua_gettop(L) == 0) {
    lua_pushinteger(L, (lua_Integer)J->sizetrace);
    return 1;
  }
  tr = (TraceNo)luaL_checkinteger(L, 1);
  if (tr == 0 || tr >= J->sizetrace) return 0;
  T = traceref(J, tr);
  if (T == NULL) return 0;
  lua_checkstack(L, 3);
  setprotoV(L, L->top, gco2pt(gcref(T->startpt)));
  L->top++;
  lua_pushinteger(L, (lua_Integer)proto_bcpos(gco2pt(gcref(T->startpt)), mref(T->startpc, const BCIns)));
  lua_pushinteger(L, (lua_Integer)T->root);
  return 3;
#else
  if (lua_gettop(L) == 0) {
    lua_pushinteger(L, 0);
    return 1;
  }
  return 0;
#endif
}

static const char *const capture_irnames[] = {
#define CAPTURE_IRNAME(name, m, m1, m2) #name,
IRDEF(CAPTURE_IRNAME)
#undef CAPTURE_IRNAME
};

static const char *const capture_irtypes[] = {
#define CAPTURE_IRTNAME(name, size) #name,
IRTDEF(CAPTURE_IRTNAME)
#undef CAPTURE_IRTNAME
};

static void capture_names(lua_State *L, const char *const *names, int count)
{
  int i;
  lua_createtable(L, count, 0);
  for (i = 0; i < count; i++) {
    lua_pushstring(L, names[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

int suite_capture_irnames(lua_State *L)
{
  capture_names(L, capture_irnames, (int)(sizeof(capture_irnames) / sizeof(capture_irnames[0])));
  capture_names(L, capture_irtypes, (int)(sizeof(capture_irtypes) / sizeof(capture_irtypes[0])));
  return 2;
}

int suite_capture_exit(lua_State *L)
{
  int n = lua_gettop(L), i;
  lua_checkstack(L, n + 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  for (i = 1; i <= n; i++) lua_pushvalue(L, i);
  lua_call(L, n, 0);
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}
