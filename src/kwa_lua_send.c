/*
 * kwa_lua_send.c - the client's sending methods: blocking calls (one per
 * operation of the registry: send_text, mark_read, ...) and the
 * non-blocking API (submit, poll, pending, fd, timeout); send_many is a
 * batch (kwa_lua_batch.c). Also the enter/leave/stash machinery they all share.
 *
 * All of them drive the one engine of the client. An external client
 * (kwa_lua_pump.c) has no engine: its blocking calls and poll belong to
 * the Lua pump (kaleyra/whatsapp/transport.lua) and raise here; submit,
 * pending and timeout work on its machine. Lua code (callbacks,
 * on_progress, iterators) runs only inside lua_pcall, from the engine's
 * completion loop after libcurl has returned; an error it raises is
 * stashed on the driving function's stack and rethrown once the engine
 * is idle again, so no longjmp ever crosses libcurl or leaves a transfer
 * pointing at freed memory. Callbacks may submit() but may not drive the
 * client (poll, a blocking call, send_many, close): that raises.
 */
#define _DEFAULT_SOURCE /* clock_gettime */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kwa_lua.h"

/* ---- driving the engine ---- */

typedef kwa_lua_saved_t saved_t;

double kwa_lua_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void kwa_lua_enter(lua_State *L, kwa_lua_client_t *ud, saved_t *saved)
{
    if (ud->in_run > 0)
        luaL_error(L, "cannot drive a " KWA_LUA_CLIENT
                      " from its own callback; submit() instead");
    saved->L = ud->L;
    saved->stash = ud->stash;
    ud->L = L;
    ud->stash = 0;
    ud->in_run++;
}

void kwa_lua_leave(lua_State *L, kwa_lua_client_t *ud, const saved_t *saved)
{
    int stash = ud->stash;

    ud->L = saved->L;
    ud->stash = saved->stash;
    ud->in_run--;
    if (stash != 0) {
        lua_pushvalue(L, stash);
        lua_error(L);
    }
}

/* Called with a failed pcall's error on top of ud->L: keep the first. */
void kwa_lua_stash_error(kwa_lua_client_t *ud)
{
    if (ud->stash == 0)
        ud->stash = lua_gettop(ud->L);
    else
        lua_pop(ud->L, 1);
}

int kwa_lua_protected(kwa_lua_client_t *ud, int fn, lua_CFunction cf, void *a, void *b)
{
    lua_State *L = ud->L;

    if (L == NULL || !lua_checkstack(L, 4))
        return -1;
    if (fn != 0)
        lua_pushvalue(L, fn);
    else
        lua_pushcfunction(L, cf);
    lua_pushlightuserdata(L, a);
    lua_pushlightuserdata(L, b);
    if (lua_pcall(L, 2, 0, 0) != 0) {
        kwa_lua_stash_error(ud);
        return -1;
    }
    return 0;
}

/* ---- blocking calls ---- */

/* Raises for calls that drive libcurl on a client without it. */
static kwa_lua_client_t *check_engine(lua_State *L, const char *what)
{
    kwa_lua_client_t *ud = kwa_lua_check_client(L);

    if (ud->external)
        luaL_error(L, "%s drives the libcurl engine, which this client has not: "
                      "pump its jobs (kaleyra/whatsapp/transport.lua)", what);
    return ud;
}

/* check_engine for the closures below, whose second upvalue is the
 * client metatable: one comparison instead of a lookup by name. */
static kwa_lua_client_t *check_sender(lua_State *L)
{
    kwa_lua_client_t *ud = lua_touserdata(L, 1);
    int same = ud != NULL && lua_getmetatable(L, 1);

    if (same) {
        same = lua_rawequal(L, -1, lua_upvalueindex(2));
        lua_pop(L, 1);
    }
    if (!same || ud->client == NULL || ud->external)
        return check_engine(L, "a blocking send"); /* raises */
    return ud;
}

/* Every operation's method (client:send_text, client:mark_read, ...): the
 * registry entry and the client metatable are the closure's upvalues. */
static int send_blocking(lua_State *L)
{
    kwa_lua_client_t *ud = check_sender(L);
    const kwa_opdef_t *op = lua_touserdata(L, lua_upvalueindex(1));
    kwa_message_t m;
    saved_t saved;

    kwa_result_free(&ud->res);
    if (kwa_lua_read_message(L, 2, op, KWA_LUA_READ_SECOND, &ud->scratch, &m, &ud->res) == 0) {
        kwa_lua_enter(L, ud, &saved);
        kwa_client_send(ud->client, &m, &ud->res);
        kwa_lua_leave(L, ud, &saved);
    }
    kwa_lua_scratch_release(&ud->scratch);
    return kwa_lua_push_result(L, &ud->res, op->answer);
}

/* ---- non-blocking: submit and poll ---- */

typedef struct pending {
    kwa_lua_client_t *owner;
    lua_Integer id;
    kwa_answer_t answer;
} pending_t;

/* pcall'd: callbacks[id](result) with the callback unregistered first. */
static int deliver_submitted(lua_State *L)
{
    pending_t *p = lua_touserdata(L, 1);
    const kwa_result_t *res = lua_touserdata(L, 2);
    int n;

    lua_rawgeti(L, LUA_REGISTRYINDEX, p->owner->callbacks);
    lua_rawgeti(L, -1, p->id);
    lua_pushnil(L);
    lua_rawseti(L, -3, p->id);
    n = kwa_lua_push_result(L, res, p->answer);
    lua_call(L, n, 0);
    return 0;
}

static void on_submitted_done(void *ud, kwa_result_t *res)
{
    pending_t *p = ud;

    if (p->owner->L != NULL) /* NULL while closing: nothing to call */
        kwa_lua_protected(p->owner, 0, deliver_submitted, p, res);
    free(p);
}

static int client_submit(lua_State *L)
{
    kwa_lua_client_t *ud = kwa_lua_check_client(L);
    const kwa_opdef_t *op = kwa_lua_check_op(L, 2);
    kwa_message_t m;
    pending_t *p;
    lua_Integer id;

    luaL_checktype(L, 4, LUA_TFUNCTION);
    kwa_result_free(&ud->res);
    if (kwa_lua_read_message(L, 3, op, 0, &ud->scratch, &m, &ud->res) != 0) {
        kwa_lua_scratch_release(&ud->scratch);
        return kwa_lua_push_result(L, &ud->res, KWA_ANSWER_MESSAGE);
    }
    id = ++ud->next_id;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ud->callbacks);
    lua_pushvalue(L, 4);
    lua_rawseti(L, -2, id); /* registered before the engine holds anything */
    p = malloc(sizeof *p);
    if (p != NULL) {
        p->owner = ud;
        p->id = id;
        p->answer = op->answer;
    }
    if (p == NULL || kwa_client_submit(ud->client, &m, on_submitted_done, p, &ud->res) != 0) {
        free(p);
        kwa_lua_scratch_release(&ud->scratch);
        lua_pushnil(L);
        lua_rawseti(L, -2, id);
        if (p == NULL)
            luaL_error(L, "not enough memory");
        return kwa_lua_push_result(L, &ud->res, KWA_ANSWER_MESSAGE);
    }
    kwa_lua_scratch_release(&ud->scratch);
    lua_pushboolean(L, 1);
    return 1;
}

static long to_ms(double seconds)
{
    if (!(seconds > 0))
        return 0;
    return seconds > 86400 ? 86400000L : (long)ceil(seconds * 1000.0);
}

static int client_poll(lua_State *L)
{
    kwa_lua_client_t *ud = check_engine(L, "poll");
    long ms = to_ms(luaL_optnumber(L, 2, 0));
    saved_t saved;
    int n;

    kwa_lua_enter(L, ud, &saved);
    n = kwa_client_poll(ud->client, ms);
    kwa_lua_leave(L, ud, &saved);
    lua_pushinteger(L, n);
    return 1;
}

static int client_pending(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)kwa_client_pending(kwa_lua_check_client(L)->client));
    return 1;
}

/* The descriptor to wait on, or nil when the engine has none (no epoll):
 * then wait for client:timeout() instead. The first call hands the
 * client's sockets to it (kwa_engine.h). */
static int client_fd(lua_State *L)
{
    int fd = kwa_client_fd(check_engine(L, "fd")->client);

    if (fd < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, fd);
    return 1;
}

/* Seconds until the client wants attention (nil: not before an answer). */
static int client_timeout(lua_State *L)
{
    kwa_lua_client_t *ud = kwa_lua_check_client(L);
    double wait;
    long ms;

    if (ud->external) {
        wait = kwa_dispatch_wait(kwa_client_dispatch(ud->client), kwa_lua_now());
        if (wait < 0)
            lua_pushnil(L);
        else
            lua_pushnumber(L, wait);
        return 1;
    }
    ms = kwa_client_timeout_ms(ud->client);
    if (ms < 0)
        lua_pushnil(L);
    else
        lua_pushnumber(L, (lua_Number)ms / 1000.0);
    return 1;
}

static const luaL_Reg send_methods[] = {
    {"submit", client_submit},
    {"poll", client_poll},
    {"pending", client_pending},
    {"fd", client_fd},
    {"timeout", client_timeout},
    {NULL, NULL},
};

void kwa_lua_send_methods(lua_State *L)
{
    const kwa_opdef_t *const *op;

    kwa_setfuncs(L, send_methods);
    for (op = kwa_ops; *op != NULL; op++) {
        lua_pushlightuserdata(L, (void *)*op);
        luaL_getmetatable(L, KWA_LUA_CLIENT);
        lua_pushcclosure(L, send_blocking, 2);
        lua_setfield(L, -2, (*op)->method);
    }
}
