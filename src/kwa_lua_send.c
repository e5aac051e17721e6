/*
 * kwa_lua_send.c - the client's sending methods: blocking calls (one
 * per operation of the registry: send_text, mark_read, ...), the non-blocking
 * API (submit, poll, pending, fd, timeout) and send_many.
 *
 * All of them drive the one engine of the client. Lua code (callbacks,
 * on_progress, iterators) runs only inside lua_pcall, from the engine's
 * completion loop after libcurl has returned; an error it raises is
 * stashed on the driving function's stack and rethrown once the engine
 * is idle again, so no longjmp ever crosses libcurl or leaves a transfer
 * pointing at freed memory. Callbacks may submit() but may not drive the
 * client (poll, a blocking call, send_many, close): that raises.
 */
#define _DEFAULT_SOURCE /* clock_gettime, nanosleep */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kwa_lua.h"

/* ---- driving the engine ---- */

typedef struct saved {
    lua_State *L;
    int stash;
} saved_t;

static void enter(lua_State *L, kwa_lua_client_t *ud, saved_t *saved)
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

/* Ends a drive; rethrows the first error a callback raised. */
static void leave(lua_State *L, kwa_lua_client_t *ud, const saved_t *saved)
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
static void stash_error(kwa_lua_client_t *ud)
{
    if (ud->stash == 0)
        ud->stash = lua_gettop(ud->L);
    else
        lua_pop(ud->L, 1);
}

/* Runs f(a, b) protected on ud->L, f being the function at stack slot fn
 * of the driving frame (0: the C function cf); an error is stashed.
 * Returns 0 if it ran. */
static int protected(kwa_lua_client_t *ud, int fn, lua_CFunction cf, void *a, void *b)
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
        stash_error(ud);
        return -1;
    }
    return 0;
}

/* ---- blocking calls ---- */

/* Every operation's method (client:send_text, client:mark_read, ...): the
 * registry entry is the closure's upvalue. */
static int send_blocking(lua_State *L)
{
    kwa_lua_client_t *ud = kwa_lua_check_client(L);
    const kwa_opdef_t *op = lua_touserdata(L, lua_upvalueindex(1));
    kwa_message_t m;
    saved_t saved;

    kwa_result_free(&ud->res);
    if (kwa_lua_read_message(L, 2, op, 0, &ud->scratch, &m, &ud->res) == 0) {
        enter(L, ud, &saved);
        kwa_client_send(ud->client, &m, &ud->res);
        leave(L, ud, &saved);
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
        protected(p->owner, 0, deliver_submitted, p, res);
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
    kwa_lua_client_t *ud = kwa_lua_check_client(L);
    long ms = to_ms(luaL_optnumber(L, 2, 0));
    saved_t saved;
    int n;

    enter(L, ud, &saved);
    n = kwa_client_poll(ud->client, ms);
    leave(L, ud, &saved);
    lua_pushinteger(L, n);
    return 1;
}

static int client_pending(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)kwa_client_pending(kwa_lua_check_client(L)->client));
    return 1;
}

static int client_fd(lua_State *L)
{
    lua_pushinteger(L, kwa_client_fd(kwa_lua_check_client(L)->client));
    return 1;
}

static int client_timeout(lua_State *L)
{
    long ms = kwa_client_timeout_ms(kwa_lua_check_client(L)->client);

    if (ms < 0)
        lua_pushnil(L);
    else
        lua_pushnumber(L, (lua_Number)ms / 1000.0);
    return 1;
}

/* ---- send_many ---- */

typedef struct many many_t;

typedef struct slot {
    many_t *batch;
    lua_Integer index;
    struct slot *next_free;
} slot_t;

/* The pcall'd helpers below run in frames of their own, so they reach the
 * list, results and callbacks through upvalues, not stack slots. */
#define UP_LIST lua_upvalueindex(1)
#define UP_RESULTS lua_upvalueindex(2)
#define UP_PROGRESS lua_upvalueindex(3)
#define UP_RESULT_FN lua_upvalueindex(4)

struct many {
    kwa_lua_client_t *ud;
    int deliver, submit;                 /* stack slots of the closures */
    int list, results, on_progress, on_result; /* stack slots; 0 = none */
    lua_Integer next, done, ok, failed;
    lua_Integer total; /* -1 for an iterator until it ends */
    size_t in_flight;
    int exhausted, stop;
    int in_callback; /* which callback runs: 1 on_result, 2 on_progress */
    int muted;       /* callbacks not to call again after one raised */
    double rate, start;
    slot_t *free_slots;
    kwa_result_t item_err; /* an item that failed before sending */
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* pcall'd: stores the result of item slot->index, then reports progress. */
static int many_deliver(lua_State *L)
{
    slot_t *slot = lua_touserdata(L, 1);
    const kwa_result_t *res = lua_touserdata(L, 2);
    many_t *m = slot->batch;

    lua_createtable(L, 0, 4);
    lua_pushboolean(L, res->kind == KWA_OK);
    lua_setfield(L, -2, "ok");
    if (res->kind == KWA_OK) {
        lua_pushinteger(L, res->status);
        lua_setfield(L, -2, "status");
        lua_pushstring(L, res->code);
        lua_setfield(L, -2, "code");
        lua_pushstring(L, res->message_id);
        lua_setfield(L, -2, "message_id");
    } else {
        kwa_lua_push_error(L, res);
        lua_setfield(L, -2, "error");
    }
    if (m->on_result == 0) {
        lua_rawseti(L, UP_RESULTS, slot->index);
    } else if (!(m->muted & 1)) {
        lua_pushvalue(L, UP_RESULT_FN);
        lua_pushinteger(L, slot->index);
        lua_pushvalue(L, -3);
        m->in_callback = 1;
        lua_call(L, 2, 0);
    }
    if (m->on_progress != 0 && !(m->muted & 2)) {
        lua_pushvalue(L, UP_PROGRESS);
        lua_pushinteger(L, m->done);
        if (m->total >= 0)
            lua_pushinteger(L, m->total);
        else
            lua_pushnil(L);
        m->in_callback = 2;
        lua_call(L, 2, 0);
    }
    m->in_callback = 0;
    return 0;
}

static void many_finish(many_t *m, slot_t *slot, const kwa_result_t *res)
{
    m->done++;
    if (res->kind == KWA_OK)
        m->ok++;
    else
        m->failed++;
    m->in_callback = 0;
    if (protected(m->ud, m->deliver, NULL, slot, (void *)res) != 0) {
        m->stop = 1; /* a callback raised: start nothing new, and do not */
        m->muted |= m->in_callback; /* call that one again */
    }
}

static void on_many_done(void *ud, kwa_result_t *res)
{
    slot_t *slot = ud;
    many_t *m = slot->batch;

    m->in_flight--;
    if (m->ud->L != NULL)
        many_finish(m, slot, res);
    slot->next_free = m->free_slots;
    m->free_slots = slot;
}

/* pcall'd: fetches item m->next, reads it and submits it. On a bad item
 * it leaves m->item_err set; when an iterator ends it sets exhausted. */
static int many_submit_item(lua_State *L)
{
    many_t *m = lua_touserdata(L, 1);
    slot_t *slot = lua_touserdata(L, 2);
    kwa_lua_client_t *ud = m->ud;
    kwa_message_t msg;
    const kwa_opdef_t *op = kwa_ops[0];
    int item;

    if (m->total < 0) {
        lua_pushvalue(L, UP_LIST);
        lua_call(L, 0, 1);
    } else {
        lua_rawgeti(L, UP_LIST, m->next);
    }
    item = lua_gettop(L);
    if (lua_isnil(L, item) && m->total < 0) {
        m->exhausted = 1;
        m->total = m->next - 1;
        return 0;
    }
    slot->index = m->next++;
    if (!lua_istable(L, item))
        return kwa_fail(&m->item_err, KWA_VALIDATION, "item",
                        "item %lld is a %s, not a message table",
                        (long long)slot->index, luaL_typename(L, item)), 0;
    lua_getfield(L, item, "op");
    if (!lua_isnil(L, -1)) {
        op = lua_type(L, -1) == LUA_TSTRING ? kwa_op_find(lua_tostring(L, -1)) : NULL;
        if (op == NULL)
            return kwa_fail(&m->item_err, KWA_VALIDATION, "op",
                            "op must name an operation, such as text or mark_read"), 0;
    }
    if (kwa_lua_read_message(L, item, op, 1, &ud->scratch, &msg, &m->item_err) == 0 &&
        kwa_client_submit(ud->client, &msg, on_many_done, slot, &m->item_err) == 0) {
        m->free_slots = slot->next_free;
        m->in_flight++;
    }
    kwa_lua_scratch_release(&ud->scratch);
    return 0;
}

/* Submits the next item, or records why it could not be sent. */
static void many_submit_next(lua_State *L, many_t *m)
{
    slot_t *slot = m->free_slots;
    lua_Integer before = m->next;

    kwa_result_free(&m->item_err);
    lua_pushvalue(L, m->submit);
    lua_pushlightuserdata(L, m);
    lua_pushlightuserdata(L, slot);
    if (lua_pcall(L, 2, 0, 0) != 0) {
        /* an item that raised (unknown key, wrong type) fails alone */
        const char *why = lua_tostring(L, -1);
        kwa_fail(&m->item_err, KWA_VALIDATION, NULL, "%s", why ? why : "invalid item");
        lua_pop(L, 1);
        if (m->next == before)
            slot->index = m->next++;
    }
    if (m->item_err.kind != KWA_OK)
        many_finish(m, slot, &m->item_err);
    if (m->total >= 0 && m->next > m->total)
        m->exhausted = 1;
}

static const char *const many_keys[] = {
    "concurrency", "rate", "on_progress", "on_result", NULL};

/* Reads send_many's options at idx into m; raises on bad ones. */
static size_t many_options(lua_State *L, int idx, many_t *m)
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
        m->rate = luaL_checknumber(L, -1);
        luaL_argcheck(L, m->rate > 0, idx, "rate must be a positive number per second");
    }
    lua_getfield(L, idx, "on_progress");
    if (!lua_isnil(L, -1)) {
        luaL_checktype(L, -1, LUA_TFUNCTION);
        m->on_progress = lua_gettop(L);
    }
    lua_getfield(L, idx, "on_result");
    if (!lua_isnil(L, -1)) {
        luaL_checktype(L, -1, LUA_TFUNCTION);
        m->on_result = lua_gettop(L);
    }
    return (size_t)concurrency;
}

static void pause_for(double seconds)
{
    struct timespec ts;

    if (seconds <= 0)
        return;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

static void push_slot(lua_State *L, int slot)
{
    if (slot != 0)
        lua_pushvalue(L, slot);
    else
        lua_pushnil(L);
}

static int client_send_many(lua_State *L)
{
    kwa_lua_client_t *ud = kwa_lua_check_client(L);
    many_t m;
    size_t concurrency, i;
    slot_t *slots;
    saved_t saved;
    double due = 0;

    memset(&m, 0, sizeof m);
    m.ud = ud;
    m.list = 2;
    if (lua_isfunction(L, 2))
        m.total = -1;
    else {
        luaL_checktype(L, 2, LUA_TTABLE);
        m.total = (lua_Integer)kwa_rawlen(L, 2);
    }
    concurrency = many_options(L, 3, &m);
    slots = kwa_newuserdata(L, concurrency * sizeof *slots); /* freed by the GC */
    for (i = 0; i < concurrency; i++) {
        slots[i].batch = &m;
        slots[i].next_free = i + 1 < concurrency ? &slots[i + 1] : NULL;
    }
    m.free_slots = slots;
    if (m.on_result == 0) {
        lua_createtable(L, m.total > 0 ? (int)m.total : 0, 0);
        m.results = lua_gettop(L);
    }
    for (i = 0; i < 2; i++) { /* the two helpers share the same upvalues */
        push_slot(L, m.list);
        push_slot(L, m.results);
        push_slot(L, m.on_progress);
        push_slot(L, m.on_result);
        lua_pushcclosure(L, i == 0 ? many_submit_item : many_deliver, 4);
    }
    m.submit = lua_gettop(L) - 1;
    m.deliver = lua_gettop(L);
    m.next = 1;
    m.exhausted = m.total == 0;
    m.start = now();

    enter(L, ud, &saved);
    kwa_client_set_concurrency(ud->client, concurrency);
    for (;;) {
        while (!m.stop && !m.exhausted && m.free_slots != NULL) {
            due = m.rate > 0 ? m.start + (double)(m.next - 1) / m.rate : 0;
            if (due > now())
                break;
            many_submit_next(L, &m);
        }
        if (m.in_flight == 0 && (m.exhausted || m.stop))
            break;
        if (m.in_flight == 0)
            pause_for(due - now()); /* paced, and nothing to wait on */
        else
            kwa_client_poll(ud->client, m.rate > 0 && !m.exhausted
                                            ? (due > now() ? to_ms(due - now()) : 0)
                                            : 1000);
    }
    kwa_client_set_concurrency(ud->client, ud->concurrency);
    kwa_result_free(&m.item_err);
    leave(L, ud, &saved);
    if (m.on_result != 0) {
        lua_createtable(L, 0, 3);
        lua_pushinteger(L, m.done);
        lua_setfield(L, -2, "total");
        lua_pushinteger(L, m.ok);
        lua_setfield(L, -2, "ok");
        lua_pushinteger(L, m.failed);
        lua_setfield(L, -2, "failed");
    } else {
        lua_pushvalue(L, m.results);
    }
    return 1;
}

static const luaL_Reg send_methods[] = {
    {"submit", client_submit},
    {"poll", client_poll},
    {"pending", client_pending},
    {"fd", client_fd},
    {"timeout", client_timeout},
    {"send_many", client_send_many},
    {NULL, NULL},
};

void kwa_lua_send_methods(lua_State *L)
{
    const kwa_opdef_t *const *op;

    kwa_setfuncs(L, send_methods);
    for (op = kwa_ops; *op != NULL; op++) {
        lua_pushlightuserdata(L, (void *)*op);
        lua_pushcclosure(L, send_blocking, 1);
        lua_setfield(L, -2, (*op)->method);
    }
}
