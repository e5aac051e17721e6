/*
 * kwa_lua_pump.c - what a transport written in Lua (nginx cosockets, a
 * user's function: kaleyra/whatsapp/transport.lua) needs of a policy
 * machine (kwa_dispatch.h). Mechanism only: the machine decides when
 * each attempt starts, what an outcome means and whether to retry; the
 * Lua pump takes jobs, performs their I/O and reports what it saw.
 *
 *   c:next_job() -> id, request | nil, wait (seconds; nil: not before a
 *                   running job is reported, or nothing queued)
 *   c:next_job(true) -> id, url, body, method, content_type, timeout,
 *                   connect_timeout | nil, wait: the same job as values,
 *                   no table (the ngx transport's blocking calls)
 *   c:report(id, response [, err])  response = { status, body, headers },
 *                   or nil and err = { io = "...", message = "..." } (or
 *                   the older { kind, sent, message } / a plain string)
 *   c:report(id, status, body [, retry_after])  the same answer as values
 *   c:deliver()  -> how many callbacks ran (errors rethrown after all ran)
 *   c:job_headers([content_type]) -> the headers table of every request
 *                   of this client (request.headers of next_job)
 *
 * These work on an external client's shared machine (core.new with the
 * internal `_external` flag: no libcurl) and, through kwa_lua_next_job
 * and kwa_lua_report, on every Batch's own machine (kwa_lua_batch.c).
 * `now` is always read here (CLOCK_MONOTONIC): Lua does no time sums.
 *
 * Caveats: a job id (a light userdata) is valid from next_job until its
 * report; reporting it twice, or one this machine never gave, raises.
 * The request table and its headers are fresh for every job: a user's
 * transport may keep or change them. An invalid response
 * is reported to the machine as a connection closed after sending (so
 * nothing stays running), then raises: it is a bug in the transport.
 */
#define _DEFAULT_SOURCE /* strcasecmp */
#include <string.h>
#include <strings.h>

#include "kwa_lua.h"

/* The address of this is the registry key of the one table, per Lua
 * state, of every running job of every machine: light userdata (the
 * kwa_job_t, which is also the job's id in Lua) -> light userdata (the
 * kwa_lua_jobs_t of its machine). One table for all; a blocking call's
 * one-shot batch (single) needs none: its one job is in its struct. */
static const char jobs_key = 'j';

/* Pushes the table of running jobs, made on first use. */
static void push_running(lua_State *L)
{
    lua_pushlightuserdata(L, (void *)&jobs_key);
    lua_rawget(L, LUA_REGISTRYINDEX);
    if (lua_istable(L, -1))
        return;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushlightuserdata(L, (void *)&jobs_key);
    lua_pushvalue(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
}

int kwa_lua_jobs_init(lua_State *L, kwa_lua_jobs_t *j)
{
    (void)L;
    j->running = 0; /* the jobs themselves live in the running table */
    j->job = NULL;
    return 0;
}

/* Forgets j's running jobs (a machine freed before they were reported). */
void kwa_lua_jobs_free(lua_State *L, kwa_lua_jobs_t *j)
{
    int t;

    j->job = NULL;
    if (j->running <= 0 || j->single) {
        j->running = 0;
        return;
    }
    j->running = 0;
    push_running(L);
    t = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, t) != 0) { /* t, key, value */
        if (lua_touserdata(L, -1) == (void *)j) {
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_pushnil(L);
            lua_rawset(L, t); /* clearing a present field is allowed while traversing */
        } else {
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
}

static void set_string(lua_State *L, const char *key, const char *value)
{
    lua_pushstring(L, value);
    lua_setfield(L, -2, key);
}

/* Pushes the headers every request of cfg's client carries. */
static void push_headers(lua_State *L, const kwa_config_t *cfg, const char *content_type)
{
    lua_createtable(L, 0, 4);
    set_string(L, "api-key", cfg->api_key);
    /* multipart requests never get here: a client whose I/O is a Lua
     * transport refuses them when they are submitted, with kind config
     * (kwa_client_refuse_multipart) */
    set_string(L, "Content-Type", content_type ? content_type : "application/json");
    set_string(L, "Accept", "application/json");
    set_string(L, "User-Agent", "kaleyra-whatsapp/" KWA_VERSION);
}

/* Pushes id, request or nil, wait; with lean (the ngx transport's
 * blocking calls) id, url, body, method, content_type, timeout,
 * connect_timeout instead of a request table. */
int kwa_lua_next_job(lua_State *L, kwa_dispatch_t *d, kwa_lua_jobs_t *j,
                     const kwa_config_t *cfg, int lean)
{
    double now = kwa_lua_now(), wait;
    const kwa_request_t *req;
    kwa_job_t *job;

    luaL_checkstack(L, 10, NULL);
    job = kwa_dispatch_next(d, now); /* the machine lets go of a job */
    if (job == NULL) {
        wait = kwa_dispatch_wait(d, now);
        lua_pushnil(L);
        if (wait < 0)
            lua_pushnil(L);
        else
            lua_pushnumber(L, wait);
        return 2;
    }
    req = kwa_job_request(job);
    /* from here nothing raises but out of memory, after which the
     * machine is unusable anyway */
    if (j->single) {
        j->job = job;
    } else {
        push_running(L);
        lua_pushlightuserdata(L, job);
        lua_pushlightuserdata(L, j);
        lua_rawset(L, -3);
        lua_pop(L, 1);
    }
    j->running++;
    lua_pushlightuserdata(L, job); /* the id */
    if (lean) {
        lua_pushstring(L, req->url);
        lua_pushlstring(L, req->body, req->body_len);
        lua_pushstring(L, req->method);
        lua_pushstring(L, req->content_type ? req->content_type : "application/json");
        lua_pushnumber(L, (lua_Number)cfg->timeout_ms / 1000.0);
        lua_pushnumber(L, (lua_Number)cfg->connect_timeout_ms / 1000.0);
        return 7;
    }
    lua_createtable(L, 0, 9); /* id, request */
    luaL_getmetatable(L, KWA_LUA_REQUEST);
    lua_setmetatable(L, -2);
    set_string(L, "op", req->op);
    set_string(L, "method", req->method);
    set_string(L, "url", req->url);
    lua_pushlstring(L, req->body, req->body_len);
    lua_setfield(L, -2, "body");
    lua_pushnumber(L, (lua_Number)cfg->timeout_ms / 1000.0);
    lua_setfield(L, -2, "timeout");
    lua_pushnumber(L, (lua_Number)cfg->connect_timeout_ms / 1000.0);
    lua_setfield(L, -2, "connect_timeout");
    lua_pushinteger(L, kwa_job_attempt(job));
    lua_setfield(L, -2, "attempt");
    push_headers(L, cfg, req->content_type);
    lua_setfield(L, -2, "headers");
    return 2;
}

/* c:job_headers([content_type]) -> the headers table of this client's
 * requests, as next_job gives it (the ngx transport makes its request
 * heads from it once per URL). */
static int client_job_headers(lua_State *L)
{
    kwa_lua_client_t *ud = kwa_lua_check_client(L);

    if (ud->client == NULL)
        luaL_error(L, "attempt to use a closed " KWA_LUA_CLIENT);
    push_headers(L, kwa_client_config(ud->client), luaL_optstring(L, 2, NULL));
    return 1;
}

static const char *const io_names[] = {
    "connect_failed", "tls_failed", "timeout_unsent", "timeout_sent", "closed_unsent",
    "closed_sent", "too_large", "not_http", "bad_url", NULL};
static const kwa_io_t io_values[] = {
    KWA_IO_CONNECT_FAILED, KWA_IO_TLS_FAILED, KWA_IO_TIMEOUT_UNSENT, KWA_IO_TIMEOUT_SENT,
    KWA_IO_CLOSED_UNSENT, KWA_IO_CLOSED_SENT, KWA_IO_TOO_LARGE, KWA_IO_NOT_HTTP, KWA_IO_BAD_URL};

static int has_timeout(const char *s)
{
    return s != NULL && (strstr(s, "timeout") != NULL || strstr(s, "timed out") != NULL);
}

/* The older error shape of a user's function, translated word for word:
 * { kind = "network"|"timeout"|"tls"|"protocol", sent, message } where
 * sent defaults to true, or a plain string (sent: the library cannot
 * know). No decision is taken here, only the vocabulary changes. */
static kwa_io_t legacy_io(lua_State *L, int idx)
{
    const char *kind;
    int sent;

    if (lua_type(L, idx) == LUA_TSTRING)
        return has_timeout(lua_tostring(L, idx)) ? KWA_IO_TIMEOUT_SENT : KWA_IO_CLOSED_SENT;
    lua_getfield(L, idx, "kind");
    kind = lua_tostring(L, -1);
    lua_getfield(L, idx, "sent");
    sent = !(lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1));
    lua_pop(L, 2);
    if (kind != NULL && strcmp(kind, "tls") == 0)
        return KWA_IO_TLS_FAILED;
    if (kind != NULL && strcmp(kind, "protocol") == 0)
        return KWA_IO_NOT_HTTP;
    if (kind != NULL && strcmp(kind, "timeout") == 0)
        return sent ? KWA_IO_TIMEOUT_SENT : KWA_IO_TIMEOUT_UNSENT;
    return sent ? KWA_IO_CLOSED_SENT : KWA_IO_CONNECT_FAILED;
}

/* Reads the error at idx (table or string) into o. */
static void read_error(lua_State *L, int idx, kwa_outcome_t *o)
{
    const char *io;
    int i;

    if (lua_isnil(L, idx)) {
        o->io = KWA_IO_CLOSED_SENT;
        o->detail = "the transport failed without saying why";
        return;
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
        o->io = legacy_io(L, idx);
        o->detail = lua_tostring(L, idx);
        return;
    }
    luaL_argcheck(L, lua_istable(L, idx), idx, "the error must be a table or a string");
    lua_getfield(L, idx, "message"); /* left on the stack: keeps the text alive */
    o->detail = lua_tostring(L, -1);
    lua_getfield(L, idx, "io");
    io = lua_tostring(L, -1);
    if (io == NULL) {
        lua_pop(L, 1);
        o->io = legacy_io(L, idx);
        if (o->detail == NULL) {
            lua_getfield(L, idx, "kind");
            o->detail = lua_tostring(L, -1);
        }
        return;
    }
    for (i = 0; io_names[i] != NULL; i++)
        if (strcmp(io, io_names[i]) == 0)
            break;
    if (io_names[i] == NULL)
        luaL_argerror(L, idx, lua_pushfstring(L, "unknown io '%s'", io));
    o->io = io_values[i];
}

/* Retry-After from a headers table, any case; a list gives its first. */
static const char *retry_after(lua_State *L, int headers)
{
    const char *value = NULL;

    if (!lua_istable(L, headers))
        return NULL;
    lua_pushnil(L);
    while (lua_next(L, headers) != 0) { /* ..., key, value */
        if (lua_type(L, -2) == LUA_TSTRING && strcasecmp(lua_tostring(L, -2), "retry-after") == 0) {
            if (lua_istable(L, -1))
                lua_rawgeti(L, -1, 1);
            else
                lua_pushvalue(L, -1);
            if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
                value = lua_tostring(L, -1); /* a converted copy, kept on the stack */
                lua_insert(L, headers + 1);
                lua_pop(L, 2);
                return value;
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    return value;
}

/* Reads the response at idx into o; returns NULL, or why it is invalid. */
static const char *read_response(lua_State *L, int idx, kwa_outcome_t *o)
{
    lua_Number status;
    size_t len = 0;

    if (!lua_istable(L, idx))
        return "";
    lua_getfield(L, idx, "status");
    status = lua_tonumber(L, -1);
    if (lua_type(L, -1) != LUA_TNUMBER || !(status >= 100 && status <= 999) ||
        status != (lua_Number)(long)status)
        return "";
    lua_getfield(L, idx, "body");
    if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
        return lua_pushfstring(L, "kaleyra.whatsapp: the transport's response body is a %s, "
                                  "not a string", luaL_typename(L, -1));
    o->body = lua_isnil(L, -1) ? "" : lua_tolstring(L, -1, &len);
    o->body_len = len;
    o->status = (long)status;
    o->io = len > KWA_MAX_RESPONSE ? KWA_IO_TOO_LARGE : KWA_IO_ANSWER;
    lua_getfield(L, idx, "headers");
    o->retry_after = retry_after(L, lua_gettop(L));
    return NULL;
}

/* The cheap form of an answer, status, body [, retry_after] from idx
 * (the ngx transport's blocking calls); NULL, or why it is invalid. */
static const char *read_answer(lua_State *L, int idx, kwa_outcome_t *o)
{
    lua_Number status = lua_tonumber(L, idx);
    size_t len = 0;

    if (!(status >= 100 && status <= 999) || status != (lua_Number)(long)status)
        return "";
    if (lua_type(L, idx + 1) != LUA_TSTRING && !lua_isnil(L, idx + 1))
        return "";
    o->body = lua_isnil(L, idx + 1) ? "" : lua_tolstring(L, idx + 1, &len);
    o->body_len = len;
    o->status = (long)status;
    o->io = len > KWA_MAX_RESPONSE ? KWA_IO_TOO_LARGE : KWA_IO_ANSWER;
    if (lua_type(L, idx + 2) == LUA_TSTRING || lua_type(L, idx + 2) == LUA_TNUMBER)
        o->retry_after = lua_tostring(L, idx + 2); /* a number turns into a string in place */
    return NULL;
}

/* report(id, response [, err]) over machine d, or report(id, status,
 * body [, retry_after]) (a number second); pushes nothing. */
int kwa_lua_report(lua_State *L, kwa_dispatch_t *d, kwa_lua_jobs_t *j, int arg)
{
    kwa_outcome_t o;
    kwa_job_t *job;
    const char *bad = NULL;

    lua_settop(L, arg + 3);
    job = lua_touserdata(L, arg);
    if (job == NULL || lua_type(L, arg) != LUA_TLIGHTUSERDATA)
        return luaL_argerror(L, arg, "not a running job of this machine");
    if (j->single) {
        if (job != j->job)
            return luaL_argerror(L, arg, "not a running job of this machine");
        j->job = NULL;
    } else {
        push_running(L);
        lua_pushvalue(L, arg);
        lua_rawget(L, -2);
        if (lua_touserdata(L, -1) != (void *)j)
            return luaL_argerror(L, arg, "not a running job of this machine");
        lua_pop(L, 1);
        lua_pushvalue(L, arg);
        lua_pushnil(L);
        lua_rawset(L, -3);
        lua_pop(L, 1);
    }
    j->running--;
    memset(&o, 0, sizeof o);
    if (lua_isnil(L, arg + 1))
        read_error(L, arg + 2, &o);
    else if (lua_type(L, arg + 1) == LUA_TNUMBER)
        bad = read_answer(L, arg + 1, &o);
    else
        bad = read_response(L, arg + 1, &o);
    if (bad != NULL) {
        memset(&o, 0, sizeof o);
        o.io = KWA_IO_CLOSED_SENT;
        o.detail = "the transport returned an invalid response";
        kwa_dispatch_report(d, job, &o, kwa_lua_now());
        if (bad[0] != '\0')
            return luaL_error(L, "%s", bad);
        return luaL_error(L, "kaleyra.whatsapp: the transport returned a %s that is not a response "
                             "table { status = <integer>, body = <string>, headers = {...} }",
                          luaL_typename(L, arg + 1));
    }
    kwa_dispatch_report(d, job, &o, kwa_lua_now());
    return 0;
}

/* ---- the methods of an external client ---- */

static kwa_lua_client_t *check_external(lua_State *L)
{
    kwa_lua_client_t *ud = kwa_lua_check_client(L);

    if (!ud->external)
        luaL_error(L, "only a client whose transport is Lua has jobs to pump");
    return ud;
}

static int client_next_job(lua_State *L)
{
    kwa_lua_client_t *ud = check_external(L);

    return kwa_lua_next_job(L, kwa_client_dispatch(ud->client), &ud->jobs,
                            kwa_client_config(ud->client), lua_toboolean(L, 2));
}

static int client_report(lua_State *L)
{
    kwa_lua_client_t *ud = check_external(L);

    return kwa_lua_report(L, kwa_client_dispatch(ud->client), &ud->jobs, 2);
}

static int client_deliver(lua_State *L)
{
    kwa_lua_client_t *ud = check_external(L);
    kwa_lua_saved_t saved;
    int n;

    kwa_lua_enter(L, ud, &saved);
    n = kwa_dispatch_deliver(kwa_client_dispatch(ud->client));
    kwa_lua_leave(L, ud, &saved);
    lua_pushinteger(L, n);
    return 1;
}

static const luaL_Reg pump_methods[] = {
    {"next_job", client_next_job},
    {"report", client_report},
    {"deliver", client_deliver},
    {"job_headers", client_job_headers},
    {NULL, NULL},
};

void kwa_lua_pump_methods(lua_State *L)
{
    kwa_setfuncs(L, pump_methods);
}
