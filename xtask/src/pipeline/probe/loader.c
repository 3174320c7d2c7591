/*
 * probe-loader: runs a Lua script through a LuaJIT shared library loaded at
 * run time, with the command line and outcome conventions of `luajit`, so
 * that `cargo xtask probe` tests a deployed libluajit-5.1.so and not a
 * rebuild of it.
 *
 *   probe-loader LIB [-joff] SCRIPT [ARG...]
 *
 * As with `luajit SCRIPT`: the global `arg` holds SCRIPT at 0 and the ARGs
 * from 1, an uncaught error is printed as "argv[0]: message" on stderr and
 * exits 1, os.exit(n) exits n. When the library itself cannot be used (it
 * does not load, or it is not LuaJIT) the exit status is 125 and stderr
 * says why.
 *
 * Nothing of LuaJIT is linked in: every entry point comes from dlsym, so the
 * only LuaJIT in the process is the one under test.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOADER_FAILED 125
/* lua.h (5.1): the pseudo-index of the globals table. */
#define LUA_GLOBALSINDEX (-10002)
/* luajit.h: LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF, what `luajit -joff` sets. */
#define JIT_ENGINE_OFF 0x0000

typedef struct lua_State lua_State;

static void *library;
static const char *library_path;

static void *need(const char *name)
{
  void *symbol = dlsym(library, name);
  if (symbol == NULL) {
    fprintf(stderr, "probe-loader: %s has no symbol %s: not a LuaJIT (Lua 5.1 API) library\n",
            library_path, name);
    exit(LOADER_FAILED);
  }
  return symbol;
}

int main(int argc, char **argv)
{
  int first = 2, jit_off = 0;
  if (argc >= 3 && strcmp(argv[2], "-joff") == 0) {
    jit_off = 1;
    first = 3;
  }
  if (argc <= first) {
    fprintf(stderr, "usage: probe-loader LIB [-joff] SCRIPT [ARG...]\n");
    return LOADER_FAILED;
  }
  library_path = argv[1];
  library = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) {
    fprintf(stderr, "probe-loader: cannot load %s: %s\n", library_path, dlerror());
    return LOADER_FAILED;
  }

  lua_State *(*newstate)(void) = need("luaL_newstate");
  void (*openlibs)(lua_State *) = need("luaL_openlibs");
  int (*loadfile)(lua_State *, const char *) = need("luaL_loadfile");
  int (*pcall)(lua_State *, int, int, int) = need("lua_pcall");
  const char *(*tolstring)(lua_State *, int, size_t *) = need("lua_tolstring");
  void (*createtable)(lua_State *, int, int) = need("lua_createtable");
  void (*pushstring)(lua_State *, const char *) = need("lua_pushstring");
  void (*rawseti)(lua_State *, int, int) = need("lua_rawseti");
  void (*setfield)(lua_State *, int, const char *) = need("lua_setfield");
  void (*close)(lua_State *) = need("lua_close");
  /* Only LuaJIT exports this: it tells LuaJIT from a plain Lua 5.1 library. */
  int (*setmode)(lua_State *, int, int) = need("luaJIT_setmode");

  lua_State *L = newstate();
  if (L == NULL) {
    fprintf(stderr, "probe-loader: luaL_newstate failed (out of memory)\n");
    return LOADER_FAILED;
  }
  openlibs(L);
  if (jit_off)
    setmode(L, 0, JIT_ENGINE_OFF);

  const char *script = argv[first];
  createtable(L, argc - first, 1);
  for (int i = first; i < argc; i++) {
    pushstring(L, argv[i]);
    rawseti(L, -2, i - first);
  }
  setfield(L, LUA_GLOBALSINDEX, "arg");

  int status = loadfile(L, script);
  if (status == 0)
    status = pcall(L, 0, 0, 0);
  if (status != 0) {
    const char *message = tolstring(L, -1, NULL);
    fprintf(stderr, "%s: %s\n", argv[0], message ? message : "(error object is not a string)");
    fflush(stderr);
    return 1;
  }
  close(L);
  return 0;
}
