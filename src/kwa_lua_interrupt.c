/*
 * kwa_lua_interrupt.c - Ctrl-C as a value: core.catch_interrupts() makes
 * SIGINT raise core.interrupted, one unique table, in the next Lua code
 * the main thread runs, so a program recognises an interrupt with
 * `err == whatsapp.interrupted` instead of matching error text (Lua's
 * own handler raises a string that carries a position).
 *
 * The way lua.c does it: the signal handler only arms a count hook with
 * lua_sethook, which is safe in a signal handler; the hook raises. A
 * wait inside the engine (epoll/poll) returns early on the signal, and
 * an interrupt raised in a callback the engine runs is stashed and
 * rethrown by value once the engine is idle, like any callback error.
 *
 * Caveats: for programs (the kaleyra-wa command), not for hosts that
 * handle SIGINT themselves, and never inside nginx. One process-wide
 * handler: the last lua_State that called it is the one interrupted;
 * only its main thread's code sees the hook, as with lua.c.
 */
#define _POSIX_C_SOURCE 200809L /* sigaction */
#include <signal.h>
#include <string.h>

#include "kwa_lua.h"

#define KWA_LUA_INTERRUPTED "kaleyra.whatsapp.interrupted"

static lua_State *volatile target;

static void raise_interrupt(lua_State *L, lua_Debug *ar)
{
    /* Lua 5.4 turns an error inside a finalizer into a warning, which
     * would swallow the interrupt: stay armed until the next call or
     * instruction outside one. */
    if (lua_getinfo(L, "n", ar) && ar->namewhat != NULL && ar->name != NULL &&
        strcmp(ar->namewhat, "metamethod") == 0 && strcmp(ar->name, "__gc") == 0)
        return;
    lua_sethook(L, NULL, 0, 0);
    lua_getfield(L, LUA_REGISTRYINDEX, KWA_LUA_INTERRUPTED);
    lua_error(L);
}

static void on_sigint(int sig)
{
    lua_State *L = target;

    (void)sig;
    if (L != NULL)
        lua_sethook(L, raise_interrupt, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

/* core.catch_interrupts(): from now on, SIGINT raises core.interrupted. */
static int catch_interrupts(lua_State *L)
{
    struct sigaction sa;

#if LUA_VERSION_NUM >= 502
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
    target = lua_tothread(L, -1);
    lua_pop(L, 1);
#else
    target = L;
#endif
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0)
        return luaL_error(L, "catch_interrupts: sigaction failed");
    return 0;
}

static int interrupted_tostring(lua_State *L)
{
    lua_pushliteral(L, "interrupted");
    return 1;
}

void kwa_lua_interrupt_module(lua_State *L)
{
    lua_newtable(L);                       /* M, interrupted */
    lua_createtable(L, 0, 2);              /* M, interrupted, mt */
    lua_pushcfunction(L, interrupted_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, KWA_LUA_INTERRUPTED);
    lua_setfield(L, -2, "__name");
    lua_setmetatable(L, -2);               /* M, interrupted */
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, KWA_LUA_INTERRUPTED);
    lua_setfield(L, -2, "interrupted");    /* M */
    lua_pushcfunction(L, catch_interrupts);
    lua_setfield(L, -2, "catch_interrupts");
}
