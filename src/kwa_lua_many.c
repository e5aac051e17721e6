/*
 * kwa_lua_many.c - the core of a Batch (kwa_lua_batch.h): it feeds items
 * to a policy machine while it has room, and records what comes back as
 * send_many's entries (or hands them to on_result/on_progress). Every
 * transport drives this same core (kwa_lua_batch.c holds the userdata,
 * its methods and the client calls), so entries, option checks and
 * pacing cannot differ between transports.
 *
 * Pacing (`rate`) is the machine's (kwa_dispatch_set_rate), not a clock
 * here. A Batch of an external client has a machine of its own, so it
 * only ever sees the jobs it submitted.
 *
 * Caveats: Lua code (on_result, on_progress, an iterator) runs only in
 * the two helpers below, inside lua_pcall during b:step() or send_many,
 * so no Lua error longjmps through a machine or libcurl frame; its first
 * error is stashed and rethrown when the call returns (kwa_lua_enter/
 * leave). Such code must not yield (no cosockets, no ngx.sleep): it runs
 * under a C call.
 *
 * Ownership: see kwa_lua_batch.h; items' messages borrow the client's
 * scratch only while one item is read and submitted.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_lua_batch.h"

/* Fields of the batch's registry table; the two helpers below get the
 * first four as upvalues, since they run in frames of their own. */
enum { F_LIST = 1, F_RESULTS, F_PROGRESS, F_ON_RESULT, F_SUBMIT, F_DELIVER, F_CLIENT, F_N = F_CLIENT };
#define UP_LIST lua_upvalueindex(F_LIST)
#define UP_RESULTS lua_upvalueindex(F_RESULTS)
#define UP_PROGRESS lua_upvalueindex(F_PROGRESS)
#define UP_RESULT_FN lua_upvalueindex(F_ON_RESULT)

/* ---- delivering ---- */

/* pcall'd: stores the result of item slot->index, then reports progress. */
static int many_deliver(lua_State *L)
{
    kwa_lua_slot_t *slot = lua_touserdata(L, 1);
    const kwa_result_t *res = lua_touserdata(L, 2);
    kwa_lua_batch_t *b = slot->batch;

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

static void many_finish(kwa_lua_batch_t *b, kwa_lua_slot_t *slot, const kwa_result_t *res)
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
    kwa_lua_slot_t *slot = ud;
    kwa_lua_batch_t *b = slot->batch;

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

int kwa_lua_batch_submit(kwa_lua_batch_t *b, const kwa_message_t *m, kwa_lua_slot_t *slot,
                         kwa_result_t *err)
{
    kwa_request_t req;

    if (b->d == NULL)
        return kwa_client_submit(b->ud->client, m, on_item_done, slot, err);
    if (kwa_request_build(&req, kwa_client_config(b->ud->client), m, err) != 0)
        return -1;
    if (req.nparts > 0) { /* this batch's I/O is a Lua transport's */
        kwa_request_free(&req);
        return kwa_client_refuse_multipart(err);
    }
    return kwa_dispatch_submit(b->d, &req, on_item_done, slot, err);
}

/* Fetches item b->next into the free slot, reads it and submits it.
 * Returns 1 if it went to the machine; 0 when it failed (b->item_err
 * set) or an iterator ended (exhausted set). */
static int submit_one(lua_State *L, kwa_lua_batch_t *b)
{
    kwa_lua_slot_t *slot = b->free_slots;
    kwa_lua_client_t *ud = b->ud;
    kwa_message_t msg;
    const kwa_opdef_t *op = kwa_ops[0];
    int item, sent;

    b->fetching = b->next;
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
    sent = kwa_lua_read_message(L, item, op, KWA_LUA_READ_OP, &ud->scratch, &msg, &b->item_err) == 0 &&
           kwa_lua_batch_submit(b, &msg, slot, &b->item_err) == 0;
    kwa_lua_scratch_release(&ud->scratch);
    if (sent) {
        b->free_slots = slot->next_free;
        b->in_flight++;
    }
    return sent;
}

/* pcall'd: submits items while there are free slots and items, several
 * per call (a pcall per item costs more than reading one). Stops at the
 * first item that fails, leaving it in b->item_err for the caller, since
 * delivering it runs Lua that must not run inside this frame. */
static int many_submit_items(lua_State *L)
{
    kwa_lua_batch_t *b = lua_touserdata(L, 1);
    int top = lua_gettop(L);

    while (!b->exhausted && b->free_slots != NULL && submit_one(L, b)) {
        lua_settop(L, top);
        if (b->total >= 0 && b->next > b->total)
            b->exhausted = 1;
    }
    return 0;
}

/* Submits what may be submitted now, and records why an item could not
 * be sent. */
static void many_submit_next(lua_State *L, kwa_lua_batch_t *b)
{
    kwa_lua_slot_t *slot;
    const char *why;

    if (b->item_err.kind != KWA_OK)
        kwa_result_free(&b->item_err);
    lua_pushvalue(L, b->submit);
    lua_pushlightuserdata(L, b);
    if (lua_pcall(L, 1, 0, 0) != 0) {
        if (lua_type(L, -1) != LUA_TSTRING) {
            /* an error value, not a bad message (whatsapp.interrupted
             * from the iterator, say): no item failed; stop feeding and
             * raise it once the messages in flight are done */
            kwa_lua_stash_error(b->ud);
            b->stop = 1;
            return;
        }
        /* an item that raised (unknown key, wrong type) fails alone */
        why = lua_tostring(L, -1);
        kwa_fail(&b->item_err, KWA_VALIDATION, NULL, "%s", why);
        lua_pop(L, 1);
        if (b->next == b->fetching) /* it raised before it had a number */
            b->free_slots->index = b->next++;
    }
    slot = b->free_slots; /* a failed item has not taken its slot */
    if (b->item_err.kind != KWA_OK)
        many_finish(b, slot, &b->item_err);
    if (b->total >= 0 && b->next > b->total)
        b->exhausted = 1;
}

void kwa_lua_batch_prepare(lua_State *L, kwa_lua_batch_t *b)
{
    if (b->ud->client == NULL)
        luaL_error(L, "attempt to use a closed " KWA_LUA_CLIENT);
    lua_rawgeti(L, LUA_REGISTRYINDEX, b->ref);
    lua_rawgeti(L, -1, F_SUBMIT);
    b->submit = lua_gettop(L);
    lua_rawgeti(L, -2, F_DELIVER);
    b->deliver = lua_gettop(L);
}

int kwa_lua_batch_fill(lua_State *L, kwa_lua_batch_t *b)
{
    if (b->one)
        return b->in_flight == 0;
    while (!b->stop && !b->exhausted && b->free_slots != NULL)
        many_submit_next(L, b);
    return b->in_flight == 0 && (b->exhausted || b->stop);
}

/* ---- options ---- */

static const char *const many_keys[] = {
    "concurrency", "rate", "on_progress", "on_result", NULL};

/* Reads send_many's options at idx into b and the table at tbl; raises
 * on bad ones. Returns the concurrency. */
static size_t many_options(lua_State *L, int idx, kwa_lua_batch_t *b, int tbl)
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

/* ---- making and freeing ---- */

void kwa_lua_batch_free(lua_State *L, kwa_lua_batch_t *b)
{
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
}

kwa_lua_batch_t *kwa_lua_batch_new(lua_State *L, kwa_lua_client_t *ud, int own,
                                   size_t concurrency, int *tbl)
{
    kwa_lua_batch_t *b = kwa_newuserdata(L, sizeof *b);
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

kwa_lua_batch_t *kwa_lua_batch_many(lua_State *L, kwa_lua_client_t *ud, int own)
{
    lua_Integer total;
    size_t concurrency;
    kwa_lua_batch_t *b, probe;
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
    b = kwa_lua_batch_new(L, ud, own, concurrency, &tbl);
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
        lua_pushcclosure(L, i == 0 ? many_submit_items : many_deliver, 4);
        lua_rawseti(L, tbl, i == 0 ? F_SUBMIT : F_DELIVER);
    }
    if (own && b->rate > 0)
        kwa_dispatch_set_rate(b->d, b->rate);
    lua_pop(L, 1);
    lua_remove(L, -2); /* the probe's table: leaves the batch */
    return b;
}

int kwa_lua_batch_push_many(lua_State *L, kwa_lua_batch_t *b)
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
