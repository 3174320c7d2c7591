/*
** Where a trace starts, for the machine-code capture (src/capture.rs).
**
** jit.util.traceinfo() does not say where a trace was started, and the only
** other way to learn it, a jit.attach() hook, would have to be attached
** while the workload runs. GCtrace keeps the starting prototype and
** bytecode position (startpt, startpc) and its root trace, so this function,
** compiled against the linked tree's own headers, reads them after the run:
**
**   local n = tracestart()                 -- number of trace slots (J->sizetrace)
**   local pt, pc, root = tracestart(tr)    -- nothing when slot tr holds no trace
**
** pt is a prototype value, which jit.util.funcinfo(pt, pc) accepts.
*/

#include "lj_obj.h"
#include "lj_jit.h"
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
