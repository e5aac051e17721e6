/*
 * asan/lua.c - a minimal Lua 5.4 interpreter built with the sanitizers,
 * so `make asan` can run busted with an instrumented main program.
 *
 * Why not LD_PRELOAD the ASan runtime into Debian's lua5.4: every process
 * the specs start (sh, nginx, openssl, mktemp) would inherit the preload
 * and LeakSanitizer's exit code, and the specs would fail on leaks in
 * programs that are not ours. A main program linked with the runtime
 * keeps ASan in this one process.
 *
 * Usage: lua5.4-asan script [args...]. Runs script with the global `arg`
 * set as lua.c does (arg[0] = script), and closes the state at the end so
 * every __gc runs and LeakSanitizer sees what is really left. Exit status
 * 0, or 1 after printing the error with a traceback. os.exit works as in
 * the stock interpreter.
 */
#include <stdio.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);

    if (msg == NULL)
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int main(int argc, char **argv)
{
    lua_State *L;
    int i, status;

    if (argc < 2) {
        fprintf(stderr, "usage: %s script [args...]\n", argv[0]);
        return 2;
    }
    L = luaL_newstate();
    if (L == NULL) {
        fprintf(stderr, "%s: cannot create a Lua state\n", argv[0]);
        return 1;
    }
    luaL_openlibs(L);
    lua_createtable(L, argc, 1); /* arg */
    lua_pushstring(L, argv[0]);
    lua_rawseti(L, -2, -1);
    for (i = 1; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - 1);
    }
    lua_setglobal(L, "arg");
    lua_pushcfunction(L, traceback);
    status = luaL_loadfile(L, argv[1]); /* traceback, chunk */
    if (status == LUA_OK) {
        luaL_checkstack(L, argc, "too many arguments");
        for (i = 2; i < argc; i++)
            lua_pushstring(L, argv[i]);
        status = lua_pcall(L, argc - 2, 0, 1);
    }
    if (status != LUA_OK)
        fprintf(stderr, "%s: %s\n", argv[0], lua_tostring(L, -1));
    lua_close(L);
    return status == LUA_OK ? 0 : 1;
}
