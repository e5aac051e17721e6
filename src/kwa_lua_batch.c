/*
 * kwa_lua_batch.c - the Batch userdata ("kaleyra.whatsapp.Batch") and the
 * client calls that make or drive one: send_many, and the one-shot calls
 * of Lua transports. The batch core (feeding items, delivering entries,
 * options) is kwa_lua_many.c; every transport drives it the same way:
 *
 *   libcurl client:  c:send_many(list, opts)  drives it with kwa_client_poll
 *   Lua transports:  local b = c:many(list, opts)   -- or c:one(op, msg)
 *                    while not b:step() do <pump b:next_job/b:report> end
 *                    return b:result(true)         -- true: and close b
 * A one-shot call's b:report() also delivers and returns what step()
 * would (its machine has no Lua callbacks).
 *
 * A Batch of an external client has a machine of its own, so a send_many
 * or a blocking call only ever sees the jobs it submitted, even when many
 * nginx requests share one client.
 *
 * Caveats: step() and send_many run Lua callbacks (kwa_lua_enter/leave
 * rethrow the first error after the machine returns); they must not yield.
 * Using a closed Batch, or a Batch of a closed client, raises.
 *
 * Ownership: see kwa_lua_batch.h; __gc, __close and b:close() are the one
 * idempotent kwa_lua_batch_free.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kwa_lua_batch.h"

/* Checks arg 1 is an open Batch; raises otherwise. */
static kwa_lua_batch_t *check_batch(lua_State *L)
{
    kwa_lua_batch_t *b = luaL_checkudata(L, 1, KWA_LUA_BATCH);

    if (b->ref == LUA_NOREF || b->spent)
        luaL_error(L, "attempt to use a closed " KWA_LUA_BATCH);
    return b;
}

/* Frees what a finished one-shot call holds (its result) but keeps the
 * handle, its table, slot and idle machine, so that c:one() can renew it. */
static void batch_spend(lua_State *L, kwa_lua_batch_t *b)
{
    if (kwa_dispatch_reset(b->d) != 0) { /* not idle: never kept */
        kwa_dispatch_free(b->d);
        b->d = NULL;
    }
    kwa_lua_jobs_free(L, &b->jobs);
    kwa_result_free(&b->item_err);
    kwa_result_free(&b->res);
    b->spent = 1;
}

/* The Batch at idx, or NULL when idx holds something else. */
static kwa_lua_batch_t *test_batch(lua_State *L, int idx)
{
    void *p = lua_touserdata(L, idx);
    int same;

    if (p == NULL || !lua_getmetatable(L, idx))
        return NULL;
    luaL_getmetatable(L, KWA_LUA_BATCH);
    same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same ? p : NULL;
}

/* A spent Batch at idx of this client, made as new (its machine reset
 * to as kwa_lua_batch_new makes it, or a new one), or NULL when idx
 * holds no such Batch. */
static kwa_lua_batch_t *batch_renew(lua_State *L, kwa_lua_client_t *ud, int idx)
{
    kwa_lua_batch_t *b = test_batch(L, idx);
    const kwa_config_t *cfg = kwa_client_config(ud->client);
    kwa_lua_slot_t *slots;
    kwa_dispatch_t *d;
    int ref;

    if (b == NULL || !b->spent || b->ref == LUA_NOREF || b->ud != ud || b->concurrency != 1)
        return NULL;
    slots = b->slots;
    d = b->d;
    ref = b->ref;
    /* item_err and res were freed (and so cleared) when it was spent */
    memset(b, 0, offsetof(kwa_lua_batch_t, item_err));
    b->ref = LUA_NOREF;
    b->ud = ud;
    b->concurrency = 1;
    b->slots = slots;
    kwa_lua_jobs_init(L, &b->jobs);
    b->d = d != NULL ? d : kwa_dispatch_new(cfg->retries, 1);
    if (b->d == NULL) {
        b->ref = ref; /* freed by __gc, as any Batch */
        luaL_error(L, "not enough memory");
    }
    b->ref = ref;
    kwa_dispatch_seed(b->d, (unsigned long long)(kwa_lua_now() * 1e9) ^ (uintptr_t)b);
    b->slots[0].batch = b;
    b->slots[0].next_free = NULL;
    b->free_slots = b->slots;
    return b;
}

/* __gc, __close and b:close(): one idempotent function. */
static int batch_close(lua_State *L)
{
    kwa_lua_batch_free(L, luaL_checkudata(L, 1, KWA_LUA_BATCH));
    return 0;
}

/* ---- the client's calls ---- */

/* c:send_many(list, opts) of a libcurl client: the batch, driven here. */
static int client_send_many(lua_State *L)
{
    kwa_lua_client_t *ud = kwa_lua_check_client(L);
    kwa_dispatch_t *engine;
    kwa_lua_saved_t saved;
    kwa_lua_batch_t *b;

    if (ud->external)
        luaL_error(L, "send_many of a client whose transport is Lua is a batch: c:many()");
    b = kwa_lua_batch_many(L, ud, 0);
    lua_replace(L, 3); /* the batch stays on the stack until the end */
    lua_settop(L, 3);
    engine = kwa_client_dispatch(ud->client); /* the engine's machine */
    kwa_lua_enter(L, ud, &saved);
    kwa_lua_batch_prepare(L, b);
    kwa_client_set_concurrency(ud->client, b->concurrency);
    if (engine != NULL)
        kwa_dispatch_set_rate(engine, b->rate);
    while (!kwa_lua_batch_fill(L, b))
        kwa_client_poll(ud->client, 1000); /* the machine paces the starts */
    if (engine != NULL)
        kwa_dispatch_set_rate(engine, 0);
    kwa_client_set_concurrency(ud->client, ud->concurrency);
    kwa_result_free(&b->item_err);
    kwa_lua_leave(L, ud, &saved);
    return kwa_lua_batch_push_many(L, b);
}

/* c:many(list, opts) of an external client -> Batch */
static int client_many(lua_State *L)
{
    kwa_lua_client_t *ud = kwa_lua_check_client(L);

    if (!ud->external)
        luaL_error(L, "many() is for clients whose transport is Lua; call send_many");
    kwa_lua_batch_many(L, ud, 1);
    return 1;
}

/* c:one(op, msg [, spent [, first]]) of an external client -> Batch | nil,
 * err (an invalid message: nothing was sent). spent: a Batch of this
 * client that b:result("spend") left, renewed instead of making a new one
 * (when it is not one, a new one is made). first: the Batch is followed by
 * what its b:next_job(true) would return, sparing the pump that call. */
static int client_one(lua_State *L)
{
    kwa_lua_client_t *ud = kwa_lua_check_client(L);
    const kwa_opdef_t *op = kwa_lua_check_op(L, 2);
    kwa_message_t m;
    kwa_lua_batch_t *b;
    int tbl, first = lua_toboolean(L, 5);

    if (!ud->external)
        luaL_error(L, "one() is for clients whose transport is Lua; call the send_* methods");
    lua_settop(L, 4);
    b = batch_renew(L, ud, 4);
    if (b == NULL) {
        lua_pop(L, 1);
        b = kwa_lua_batch_new(L, ud, 1, 1, &tbl); /* at 4, its table at 5 */
        lua_pop(L, 1);
    }
    b->one = 1;
    b->jobs.single = 1; /* one job at a time: kept in b->jobs, no table */
    b->answer = op->answer;
    kwa_result_free(&ud->res);
    if (kwa_lua_read_message(L, 3, op, 0, &ud->scratch, &m, &ud->res) != 0 ||
        kwa_lua_batch_submit(b, &m, b->free_slots, &ud->res) != 0) {
        kwa_lua_scratch_release(&ud->scratch);
        return kwa_lua_push_result(L, &ud->res, b->answer);
    }
    kwa_lua_scratch_release(&ud->scratch);
    b->free_slots = NULL;
    b->in_flight = 1;
    lua_settop(L, 4); /* the batch */
    if (!first)
        return 1;
    return 1 + kwa_lua_next_job(L, b->d, &b->jobs, kwa_client_config(ud->client), 1);
}

/* ---- the Batch's methods ---- */

/* b:step() -> true once finished: delivers, then feeds the machine. */
static int batch_step(lua_State *L)
{
    kwa_lua_batch_t *b = check_batch(L);
    kwa_lua_saved_t saved;
    int finished;

    kwa_lua_enter(L, b->ud, &saved);
    kwa_lua_batch_prepare(L, b);
    if (b->d != NULL)
        kwa_dispatch_deliver(b->d);
    finished = kwa_lua_batch_fill(L, b);
    kwa_lua_leave(L, b->ud, &saved);
    lua_pushboolean(L, finished);
    return 1;
}

static int batch_next_job(lua_State *L)
{
    kwa_lua_batch_t *b = check_batch(L);

    if (b->ud->client == NULL)
        luaL_error(L, "attempt to use a closed " KWA_LUA_CLIENT);
    return kwa_lua_next_job(L, b->d, &b->jobs, kwa_client_config(b->ud->client),
                            lua_toboolean(L, 2));
}

/* b:report(...) -> nothing; for a one-shot call, what step() then says:
 * its one machine has no Lua callbacks, so delivering at once is safe and
 * spares the pump a step() per attempt. */
static int batch_report(lua_State *L)
{
    kwa_lua_batch_t *b = check_batch(L);
    kwa_lua_saved_t saved;

    kwa_lua_report(L, b->d, &b->jobs, 2);
    if (!b->one)
        return 0;
    if (b->ud->client == NULL)
        luaL_error(L, "attempt to use a closed " KWA_LUA_CLIENT);
    /* step() without its feeding: the one message is in, and delivering
     * it only fills b->res (on_item_done), running no Lua */
    kwa_lua_enter(L, b->ud, &saved);
    kwa_dispatch_deliver(b->d);
    kwa_lua_leave(L, b->ud, &saved);
    lua_pushboolean(L, b->in_flight == 0);
    return 1;
}

/* b:result([close]): send_many's results (or summary), or a call's
 * result; with close true, the batch is closed once they are pushed;
 * with "spend" (a one-shot call), only its call is freed and c:one() may
 * renew the handle (until then it reads as closed). */
static int batch_result(lua_State *L)
{
    kwa_lua_batch_t *b = check_batch(L);
    int spend = lua_type(L, 2) == LUA_TSTRING && strcmp(lua_tostring(L, 2), "spend") == 0;
    int close = lua_toboolean(L, 2), n;

    luaL_argcheck(L, b->in_flight == 0, 1, "the batch has not finished");
    if (b->one)
        n = kwa_lua_push_result(L, &b->res, b->answer);
    else
        n = kwa_lua_batch_push_many(L, b);
    /* what was pushed are copies */
    if (spend && b->one && b->concurrency == 1)
        batch_spend(L, b);
    else if (close)
        kwa_lua_batch_free(L, b);
    return n;
}

static const luaL_Reg batch_methods[] = {
    {"step", batch_step},
    {"next_job", batch_next_job},
    {"report", batch_report},
    {"result", batch_result},
    {"close", batch_close},
    {NULL, NULL},
};

static const luaL_Reg client_methods[] = {
    {"send_many", client_send_many},
    {"many", client_many},
    {"one", client_one},
    {NULL, NULL},
};

void kwa_lua_batch_methods(lua_State *L)
{
    kwa_setfuncs(L, client_methods);
    luaL_newmetatable(L, KWA_LUA_BATCH); /* methods, mt */
    lua_pushcfunction(L, batch_close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, batch_close);
    lua_setfield(L, -2, "__close");
    lua_newtable(L);
    kwa_setfuncs(L, batch_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}
