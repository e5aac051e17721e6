/*
 * kwa_lua_many.c - send_many, and the one-shot calls of Lua transports,
 * as a Batch: an object that feeds items to a policy machine while it
 * has room and records what comes back. Every transport drives the same
 * Batch, so entries, option checks and pacing cannot differ:
 *
 *   libcurl client:  c:send_many(list, opts)  drives it with kwa_client_poll
 *   Lua transports:  local b = c:many(list, opts)   -- or c:one(op, msg)
 *                    while not b:step() do <pump b:next_job/b:report> end
 *                    return b:result()
 *
 * A Batch of an external client has a machine of its own, so a send_many
 * or a blocking call only ever sees the jobs it submitted, even when many
 * nginx requests share one client. Pacing (`rate`) is the machine's
 * (kwa_dispatch_set_rate), not a clock here.
 *
 * Lua code (on_result, on_progress, an iterator) runs only inside
 * lua_pcall from step() or send_many, never from inside a machine or
 * libcurl frame that a longjmp could skip; its first error is stashed and
 * rethrown when the call returns (kwa_lua_enter/leave). Such code must not
 * yield (no cosockets, no ngx.sleep): it runs under a C call.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_lua.h"

typedef struct batch batch_t;

typedef struct slot {
    batch_t *batch;
    lua_Integer index;
    struct slot *next_free;
} slot_t;

/* Fields of the batch's registry table; the two helpers below get the
 * first four as upvalues, since they run in frames of their own. */
enum { F_LIST = 1, F_RESULTS, F_PROGRESS, F_ON_RESULT, F_SUBMIT, F_DELIVER, F_CLIENT, F_N = F_CLIENT };
#define UP_LIST lua_upvalueindex(F_LIST)
#define UP_RESULTS lua_upvalueindex(F_RESULTS)
#define UP_PROGRESS lua_upvalueindex(F_PROGRESS)
#define UP_RESULT_FN lua_upvalueindex(F_ON_RESULT)

struct batch {
    kwa_lua_client_t *ud;  /* the owner, anchored in the table at ref */
    kwa_dispatch_t *d;     /* its own machine; NULL: the client's engine */
    kwa_lua_jobs_t jobs;
    int ref;               /* registry: the fields above */
    int submit, deliver;   /* stack slots of the helpers during a call */
    int on_progress, on_result; /* given? */
    lua_Integer next, done, ok, failed;
    lua_Integer total; /* -1 for an iterator until it ends */
    size_t in_flight, concurrency;
    int exhausted, stop;
    int in_callback; /* which callback runs: 1 on_result, 2 on_progress */
    int muted;       /* callbacks not to call again after one raised */
    int closing;     /* freeing: cancelled items call nothing */
    int one;         /* a one-shot call: keeps its result in res */
    kwa_answer_t answer;
    double rate;
    slot_t *slots, *free_slots;
    kwa_result_t item_err; /* an item that failed before sending */
    kwa_result_t res;      /* one: the result */
};

/* ---- delivering ---- */

/* pcall'd: stores the result of item slot->index, then reports progress. */
static int many_deliver(lua_State *L)
{
    slot_t *slot = lua_touserdata(L, 1);
    const kwa_result_t *res = lua_touserdata(L, 2);
    batch_t *b = slot->batch;

    lua_createtable(L, 0, 4);
    lua_pushboolean(L, res->kind == KWA_OK);
    lua_setfield(L, -2, "ok");
    if (res->kind == KWA_OK) {
        lua_pushinteger(L, res->status);
        lua_setfield(L, -2, "status");
        if (res->code[0] != '\0') { /* the same nil as every result table */
            lua_pushstring(L, res->code);
            lua_setfield(L, -2, "code");
        }
        if (res->message_id[0] != '\0') {
            lua_pushstring(L, res->message_id);
            lua_setfield(L, -2, "message_id");
        }
    } else {
        kwa_lua_push_error(L, res);
        lua_setfield(L, -2, "error");
    }
    if (!b->on_result) {
        lua_rawseti(L, UP_RESULTS, slot->index);
    } else if (!(b->muted & 1)) {
        lua_pushvalue(L, UP_RESULT_FN);
        lua_pushinteger(L, slot->index);
        lua_pushvalue(L, -3);
        b->in_callback = 1;
        lua_call(L, 2, 0);
    }
    if (b->on_progress && !(b->muted & 2)) {
        lua_pushvalue(L, UP_PROGRESS);
        lua_pushinteger(L, b->done);
        if (b->total >= 0)
            lua_pushinteger(L, b->total);
        else
            lua_pushnil(L);
        b->in_callback = 2;
        lua_call(L, 2, 0);
    }
    b->in_callback = 0;
    return 0;
}

static void many_finish(batch_t *b, slot_t *slot, const kwa_result_t *res)
{
    b->done++;
    if (res->kind == KWA_OK)
        b->ok++;
    else
        b->failed++;
    b->in_callback = 0;
    if (kwa_lua_protected(b->ud, b->deliver, NULL, slot, (void *)res) != 0) {
        b->stop = 1; /* a callback raised: start nothing new, and do not */
        b->muted |= b->in_callback; /* call that one again */
    }
}

static void on_item_done(void *ud, kwa_result_t *res)
{
    slot_t *slot = ud;
    batch_t *b = slot->batch;

    b->in_flight--;
    if (b->one) {
        b->res = *res; /* take body and raw */
        memset(res, 0, sizeof *res);
    } else if (!b->closing && b->ud->L != NULL) {
        many_finish(b, slot, res);
    }
    slot->next_free = b->free_slots;
    b->free_slots = slot;
}

/* ---- submitting ---- */

/* Builds m and hands it to the batch's machine. */
static int batch_submit(batch_t *b, const kwa_message_t *m, slot_t *slot, kwa_result_t *err)
{
    kwa_request_t req;

    if (b->d == NULL)
        return kwa_client_submit(b->ud->client, m, on_item_done, slot, err);
    if (kwa_request_build(&req, kwa_client_config(b->ud->client), m, err) != 0)
        return -1;
    return kwa_dispatch_submit(b->d, &req, on_item_done, slot, err);
}

/* pcall'd: fetches item b->next, reads it and submits it. On a bad item
 * it leaves b->item_err set; when an iterator ends it sets exhausted. */
static int many_submit_item(lua_State *L)
{
    batch_t *b = lua_touserdata(L, 1);
    slot_t *slot = lua_touserdata(L, 2);
    kwa_lua_client_t *ud = b->ud;
    kwa_message_t msg;
    const kwa_opdef_t *op = kwa_ops[0];
    int item;

    if (b->total < 0) {
        lua_pushvalue(L, UP_LIST);
        lua_call(L, 0, 1);
    } else {
        lua_rawgeti(L, UP_LIST, b->next);
    }
    item = lua_gettop(L);
    if (lua_isnil(L, item) && b->total < 0) {
        b->exhausted = 1;
        b->total = b->next - 1;
        return 0;
    }
    slot->index = b->next++;
    if (!lua_istable(L, item))
        return kwa_fail(&b->item_err, KWA_VALIDATION, "item",
                        "item %lld is a %s, not a message table",
                        (long long)slot->index, luaL_typename(L, item)), 0;
    lua_getfield(L, item, "op");
    if (!lua_isnil(L, -1)) {
        op = lua_type(L, -1) == LUA_TSTRING ? kwa_op_find(lua_tostring(L, -1)) : NULL;
        if (op == NULL)
            return kwa_fail(&b->item_err, KWA_VALIDATION, "op",
                            "op must name an operation, such as text or mark_read"), 0;
    }
    if (kwa_lua_read_message(L, item, op, 1, &ud->scratch, &msg, &b->item_err) == 0 &&
        batch_submit(b, &msg, slot, &b->item_err) == 0) {
        b->free_slots = slot->next_free;
        b->in_flight++;
    }
    kwa_lua_scratch_release(&ud->scratch);
    return 0;
}

/* Submits the next item, or records why it could not be sent. */
static void many_submit_next(lua_State *L, batch_t *b)
{
    slot_t *slot = b->free_slots;
    lua_Integer before = b->next;

    kwa_result_free(&b->item_err);
    lua_pushvalue(L, b->submit);
    lua_pushlightuserdata(L, b);
    lua_pushlightuserdata(L, slot);
    if (lua_pcall(L, 2, 0, 0) != 0) {
        /* an item that raised (unknown key, wrong type) fails alone */
        const char *why = lua_tostring(L, -1);
        kwa_fail(&b->item_err, KWA_VALIDATION, NULL, "%s", why ? why : "invalid item");
        lua_pop(L, 1);
        if (b->next == before)
            slot->index = b->next++;
    }
    if (b->item_err.kind != KWA_OK)
        many_finish(b, slot, &b->item_err);
    if (b->total >= 0 && b->next > b->total)
        b->exhausted = 1;
}

/* Pushes the helpers and notes their slots: every call that may deliver
 * or submit does this first. Raises if the client was closed. */
static void prepare(lua_State *L, batch_t *b)
{
    if (b->ud->client == NULL)
        luaL_error(L, "attempt to use a closed " KWA_LUA_CLIENT);
    lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref);
    lua_rawgeti(L, -1, F_SUBMIT);
    b->submit = lua_gettop(L);
    lua_rawgeti(L, -2, F_DELIVER);
    b->deliver = lua_gettop(L);
}

/* Feeds items while fewer than `concurrency` are in the machine; 1 once
 * every item has its result (or a callback raised and the rest ended). */
static int fill(lua_State *L, batch_t *b)
{
    if (b->one)
        return b->in_flight == 0;
    while (!b->stop && !b->exhausted && b->free_slots != NULL)
        many_submit_next(L, b);
    return b->in_flight == 0 && (b->exhausted || b->stop);
}

/* ---- the Batch object ---- */

static const char *const many_keys[] = {
    "concurrency", "rate", "on_progress", "on_result", NULL};

/* Reads send_many's options at idx into b and the table at tbl; raises
 * on bad ones. Returns the concurrency. */
static size_t many_options(lua_State *L, int idx, batch_t *b, int tbl)
{
    lua_Number concurrency = KWA_DEFAULT_CONCURRENCY;

    if (lua_isnoneornil(L, idx))
        return (size_t)concurrency;
    luaL_checktype(L, idx, LUA_TTABLE);
    kwa_lua_check_keys(L, idx, "send_many", many_keys, NULL);
    lua_getfield(L, idx, "concurrency");
    if (!lua_isnil(L, -1)) {
        concurrency = luaL_checknumber(L, -1);
        luaL_argcheck(L, concurrency >= 1 && concurrency <= 256 &&
                         concurrency == floor(concurrency), idx,
                      "concurrency must be an integer from 1 to 256");
    }
    lua_getfield(L, idx, "rate");
    if (!lua_isnil(L, -1)) {
        b->rate = luaL_checknumber(L, -1);
        luaL_argcheck(L, b->rate > 0, idx, "rate must be a positive number per second");
    }
    lua_getfield(L, idx, "on_progress");
    if (!lua_isnil(L, -1)) {
        luaL_checktype(L, -1, LUA_TFUNCTION);
        b->on_progress = 1;
        lua_pushvalue(L, -1);
        lua_rawseti(L, tbl, F_PROGRESS);
    }
    lua_getfield(L, idx, "on_result");
    if (!lua_isnil(L, -1)) {
        luaL_checktype(L, -1, LUA_TFUNCTION);
        b->on_result = 1;
        lua_pushvalue(L, -1);
        lua_rawseti(L, tbl, F_ON_RESULT);
    }
    lua_pop(L, 4);
    return (size_t)concurrency;
}

static batch_t *check_batch(lua_State *L)
{
    batch_t *b = luaL_checkudata(L, 1, KWA_LUA_BATCH);

    if (b->ref == LUA_NOREF)
        luaL_error(L, "attempt to use a closed " KWA_LUA_BATCH);
    return b;
}

static int batch_close(lua_State *L)
{
    batch_t *b = luaL_checkudata(L, 1, KWA_LUA_BATCH);

    b->closing = 1;
    kwa_dispatch_free(b->d); /* cancels what is left, calling no Lua */
    b->d = NULL;
    free(b->slots);
    b->slots = b->free_slots = NULL;
    kwa_result_free(&b->item_err);
    kwa_result_free(&b->res);
    if (b->ref != LUA_NOREF) {
        luaL_unref(L, LUA_REGISTRYINDEX, b->ref);
        kwa_lua_jobs_free(L, &b->jobs);
        b->ref = LUA_NOREF;
    }
    return 0;
}

/* Creates a Batch of the client at 1 (handle first: zeroed, with its
 * metatable, before any C allocation) and its table at the returned
 * slot. own: give it a machine of its own (an external client). */
static batch_t *batch_new(lua_State *L, kwa_lua_client_t *ud, int own, size_t concurrency,
                          int *tbl)
{
    batch_t *b = kwa_newuserdata(L, sizeof *b);
    const kwa_config_t *cfg = kwa_client_config(ud->client);
    size_t i;

    memset(b, 0, sizeof *b);
    b->ref = LUA_NOREF;
    b->ud = ud;
    luaL_getmetatable(L, KWA_LUA_BATCH);
    lua_setmetatable(L, -2);
    lua_createtable(L, F_N, 0);
    *tbl = lua_gettop(L);
    lua_pushvalue(L, 1);
    lua_rawseti(L, *tbl, F_CLIENT); /* the client outlives its batches */
    lua_pushvalue(L, *tbl);
    b->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    kwa_lua_jobs_init(L, &b->jobs);
    b->concurrency = concurrency;
    b->slots = calloc(concurrency, sizeof *b->slots);
    if (own)
        b->d = kwa_dispatch_new(cfg->retries, concurrency);
    if (b->slots == NULL || (own && b->d == NULL))
        luaL_error(L, "not enough memory");
    if (own)
        kwa_dispatch_seed(b->d, (unsigned long long)(kwa_lua_now() * 1e9) ^ (uintptr_t)b);
    for (i = 0; i < concurrency; i++) {
        b->slots[i].batch = b;
        b->slots[i].next_free = i + 1 < concurrency ? &b->slots[i + 1] : NULL;
    }
    b->free_slots = b->slots;
    return b;
}

/* Reads send_many's arguments (list at 2, options at 3) into a new
 * Batch, left on the stack under its table; returns it. */
static batch_t *many_new(lua_State *L, kwa_lua_client_t *ud, int own)
{
    lua_Integer total;
    size_t concurrency;
    batch_t *b, probe;
    int tbl, i;

    if (lua_isfunction(L, 2)) {
        total = -1;
    } else {
        luaL_checktype(L, 2, LUA_TTABLE);
        total = (lua_Integer)kwa_rawlen(L, 2);
    }
    memset(&probe, 0, sizeof probe);
    lua_createtable(L, 2, 0); /* options are checked before anything is made */
    concurrency = many_options(L, 3, &probe, lua_gettop(L));
    b = batch_new(L, ud, own, concurrency, &tbl);
    b->rate = probe.rate;
    b->on_progress = probe.on_progress;
    b->on_result = probe.on_result;
    b->total = total;
    b->next = 1;
    b->exhausted = total == 0;
    lua_rawgeti(L, tbl - 2, F_PROGRESS);
    lua_rawseti(L, tbl, F_PROGRESS);
    lua_rawgeti(L, tbl - 2, F_ON_RESULT);
    lua_rawseti(L, tbl, F_ON_RESULT);
    lua_pushvalue(L, 2);
    lua_rawseti(L, tbl, F_LIST);
    if (!b->on_result) {
        lua_createtable(L, total > 0 ? (int)total : 0, 0);
        lua_rawseti(L, tbl, F_RESULTS);
    }
    for (i = 0; i < 2; i++) { /* the two helpers share the same upvalues */
        lua_rawgeti(L, tbl, F_LIST);
        lua_rawgeti(L, tbl, F_RESULTS);
        lua_rawgeti(L, tbl, F_PROGRESS);
        lua_rawgeti(L, tbl, F_ON_RESULT);
        lua_pushcclosure(L, i == 0 ? many_submit_item : many_deliver, 4);
        lua_rawseti(L, tbl, i == 0 ? F_SUBMIT : F_DELIVER);
    }
    if (own && b->rate > 0)
        kwa_dispatch_set_rate(b->d, b->rate);
    lua_pop(L, 1);
    lua_remove(L, -2); /* the probe's table: leaves the batch */
    return b;
}

/* Pushes what send_many returns: the results, or the summary. */
static int many_result(lua_State *L, batch_t *b)
{
    if (b->on_result) {
        lua_createtable(L, 0, 3);
        lua_pushinteger(L, b->done);
        lua_setfield(L, -2, "total");
        lua_pushinteger(L, b->ok);
        lua_setfield(L, -2, "ok");
        lua_pushinteger(L, b->failed);
        lua_setfield(L, -2, "failed");
        return 1;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref);
    lua_rawgeti(L, -1, F_RESULTS);
    return 1;
}

/* c:send_many(list, opts) of a libcurl client: the batch, driven here. */
static int client_send_many(lua_State *L)
{
    kwa_lua_client_t *ud = kwa_lua_check_client(L);
    kwa_dispatch_t *engine;
    kwa_lua_saved_t saved;
    batch_t *b;

    if (ud->external)
        luaL_error(L, "send_many of a client whose transport is Lua is a batch: c:many()");
    b = many_new(L, ud, 0);
    lua_replace(L, 3); /* the batch stays on the stack until the end */
    lua_settop(L, 3);
    engine = kwa_client_dispatch(ud->client); /* the engine's machine */
    kwa_lua_enter(L, ud, &saved);
    prepare(L, b);
    kwa_client_set_concurrency(ud->client, b->concurrency);
    if (engine != NULL)
        kwa_dispatch_set_rate(engine, b->rate);
    while (!fill(L, b))
        kwa_client_poll(ud->client, 1000); /* the machine paces the starts */
    if (engine != NULL)
        kwa_dispatch_set_rate(engine, 0);
    kwa_client_set_concurrency(ud->client, ud->concurrency);
    kwa_result_free(&b->item_err);
    kwa_lua_leave(L, ud, &saved);
    return many_result(L, b);
}

/* c:many(list, opts) of an external client -> Batch */
static int client_many(lua_State *L)
{
    kwa_lua_client_t *ud = kwa_lua_check_client(L);

    if (!ud->external)
        luaL_error(L, "many() is for clients whose transport is Lua; call send_many");
    many_new(L, ud, 1);
    return 1;
}

/* c:one(op, msg) of an external client -> Batch | nil, err (an invalid
 * message: nothing was made). */
static int client_one(lua_State *L)
{
    kwa_lua_client_t *ud = kwa_lua_check_client(L);
    const kwa_opdef_t *op = kwa_lua_check_op(L, 2);
    kwa_message_t m;
    batch_t *b;
    int tbl;

    if (!ud->external)
        luaL_error(L, "one() is for clients whose transport is Lua; call the send_* methods");
    b = batch_new(L, ud, 1, 1, &tbl);
    lua_pop(L, 1);
    b->one = 1;
    b->answer = op->answer;
    kwa_result_free(&ud->res);
    if (kwa_lua_read_message(L, 3, op, 0, &ud->scratch, &m, &ud->res) != 0 ||
        batch_submit(b, &m, b->free_slots, &ud->res) != 0) {
        kwa_lua_scratch_release(&ud->scratch);
        return kwa_lua_push_result(L, &ud->res, b->answer);
    }
    kwa_lua_scratch_release(&ud->scratch);
    b->free_slots = NULL;
    b->in_flight = 1;
    lua_settop(L, 4); /* the batch */
    return 1;
}

/* b:step() -> true once finished: delivers, then feeds the machine. */
static int batch_step(lua_State *L)
{
    batch_t *b = check_batch(L);
    kwa_lua_saved_t saved;
    int finished;

    kwa_lua_enter(L, b->ud, &saved);
    prepare(L, b);
    if (b->d != NULL)
        kwa_dispatch_deliver(b->d);
    finished = fill(L, b);
    kwa_lua_leave(L, b->ud, &saved);
    lua_pushboolean(L, finished);
    return 1;
}

static int batch_next_job(lua_State *L)
{
    batch_t *b = check_batch(L);

    if (b->ud->client == NULL)
        luaL_error(L, "attempt to use a closed " KWA_LUA_CLIENT);
    return kwa_lua_next_job(L, b->d, &b->jobs, kwa_client_config(b->ud->client));
}

static int batch_report(lua_State *L)
{
    batch_t *b = check_batch(L);

    return kwa_lua_report(L, b->d, &b->jobs, 2);
}

/* b:result(): send_many's results (or summary), or a call's result. */
static int batch_result(lua_State *L)
{
    batch_t *b = check_batch(L);

    luaL_argcheck(L, b->in_flight == 0, 1, "the batch has not finished");
    if (b->one)
        return kwa_lua_push_result(L, &b->res, b->answer);
    return many_result(L, b);
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

void kwa_lua_many_methods(lua_State *L)
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
