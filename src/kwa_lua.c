/*
 * kwa_lua.c - the kaleyra.whatsapp.core module: the Client userdata and
 * its methods (results and errors as Lua tables are kwa_lua_result.c).
 *
 * Handle first, resource second: new() creates a zeroed userdata with its
 * metatable before any C allocation, so __gc can always clean up. close
 * and __close are one idempotent function, __gc the same without ever
 * raising; any other method on a closed client raises. The sending
 * methods live in kwa_lua_send.c. Errors a correct program can meet come back as
 * nil, err (a table with the kaleyra.whatsapp.Error metatable, whose
 * __tostring lua/kaleyra/whatsapp.lua provides); argument type errors and
 * unknown keys raise. Only luaopen_kaleyra_whatsapp_core is exported.
 */
#include <stdio.h>
#include <string.h>

#include "kwa_lua.h"

static const char *const option_keys[] = {
    "sid", "api_key", "region", "base_url", "from", "timeout",
    "connect_timeout", "ca_file", "ca_path", "retries", "concurrency", NULL};

kwa_lua_client_t *kwa_lua_check_client(lua_State *L)
{
    kwa_lua_client_t *ud = luaL_checkudata(L, 1, KWA_LUA_CLIENT);

    if (ud->client == NULL)
        luaL_error(L, "attempt to use a closed " KWA_LUA_CLIENT);
    return ud;
}

/* Reads a number option: nil leaves 0 (the default); anything else must
 * be a positive number. */
static int number_option(lua_State *L, const char *key, double *out,
                         kwa_result_t *err)
{
    lua_getfield(L, 1, key);
    if (lua_isnil(L, -1))
        return 0;
    if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) > 0))
        return kwa_fail(err, KWA_CONFIG, key,
                        "%s must be a positive number of seconds", key);
    *out = lua_tonumber(L, -1);
    return 0;
}

/* Reads an integer option in [min, max]: nil leaves *out unchanged. */
static int integer_option(lua_State *L, const char *key, int min, int max,
                          int *out, kwa_result_t *err)
{
    lua_Number v;

    lua_getfield(L, 1, key);
    if (lua_isnil(L, -1))
        return 0;
    v = lua_tonumber(L, -1);
    if (lua_type(L, -1) != LUA_TNUMBER || !(v >= min && v <= max) || v != (lua_Number)(int)v)
        return kwa_fail(err, KWA_CONFIG, key, "%s must be an integer from %d to %d",
                        key, min, max);
    *out = (int)v;
    return 0;
}

static int client_new(lua_State *L)
{
    kwa_lua_client_t *ud;
    kwa_options_t o;
    kwa_result_t *err;
    int retries = -1; /* not given */

    luaL_checktype(L, 1, LUA_TTABLE);
    /* _external (internal, set by kaleyra/whatsapp/transport.lua): no
     * libcurl; a Lua transport pumps the jobs (kwa_lua_pump.c) */
    kwa_lua_check_keys(L, 1, "whatsapp.new", option_keys, "_external");
    ud = kwa_newuserdata(L, sizeof *ud);
    memset(ud, 0, sizeof *ud);
    ud->callbacks = LUA_NOREF;
    luaL_getmetatable(L, KWA_LUA_CLIENT);
    lua_setmetatable(L, -2);
    err = &ud->res;
    memset(&o, 0, sizeof o);
    if (kwa_lua_string_field(L, 1, "sid", "sid", &o.sid, err, KWA_CONFIG) ||
        kwa_lua_string_field(L, 1, "api_key", "api_key", &o.api_key, err, KWA_CONFIG) ||
        kwa_lua_string_field(L, 1, "region", "region", &o.region, err, KWA_CONFIG) ||
        kwa_lua_string_field(L, 1, "base_url", "base_url", &o.base_url, err, KWA_CONFIG) ||
        kwa_lua_string_field(L, 1, "from", "from", &o.from, err, KWA_CONFIG) ||
        kwa_lua_string_field(L, 1, "ca_file", "ca_file", &o.ca_file, err, KWA_CONFIG) ||
        kwa_lua_string_field(L, 1, "ca_path", "ca_path", &o.ca_path, err, KWA_CONFIG) ||
        number_option(L, "timeout", &o.timeout, err) ||
        number_option(L, "connect_timeout", &o.connect_timeout, err) ||
        integer_option(L, "retries", 0, 10, &retries, err) ||
        integer_option(L, "concurrency", 1, 256, &o.concurrency, err))
        return kwa_lua_push_result(L, err, KWA_ANSWER_MESSAGE);
    /* Lua's retries = 0 means none; the C struct's 0 means the default */
    o.retries = retries < 0 ? 0 : retries == 0 ? -1 : retries;
    lua_getfield(L, 1, "_external");
    ud->external = lua_toboolean(L, -1);
    if (ud->external)
        ud->client = kwa_client_new_external(&o, err);
    else
        ud->client = kwa_client_new(&o, err);
    if (ud->client == NULL)
        return kwa_lua_push_result(L, err, KWA_ANSWER_MESSAGE);
    lua_newtable(L);
    ud->callbacks = luaL_ref(L, LUA_REGISTRYINDEX);
    kwa_lua_jobs_init(L, &ud->jobs);
    kwa_copy_text(ud->sid, sizeof ud->sid, o.sid, strlen(o.sid));
    ud->concurrency = o.concurrency ? (size_t)o.concurrency : KWA_DEFAULT_CONCURRENCY;
    lua_pushvalue(L, 2);
    return 1;
}

/* Frees everything the handle holds. The handle reads as closed before
 * anything is freed, so nothing reached from a cancelled callback can
 * see a half-freed client. Never raises. */
static void client_release(lua_State *L, kwa_lua_client_t *ud)
{
    kwa_client_t *c = ud->client;

    ud->client = NULL;
    ud->L = NULL; /* pending callbacks are cancelled without calling Lua */
    kwa_client_free(c);
    luaL_unref(L, LUA_REGISTRYINDEX, ud->callbacks);
    ud->callbacks = LUA_NOREF;
    kwa_lua_jobs_free(L, &ud->jobs);
    kwa_result_free(&ud->res);
    kwa_lua_scratch_free(&ud->scratch);
}

/* client:close() and __close: idempotent; raises only when called from
 * the client's own callback, where freeing would pull the engine from
 * under the running loop. */
static int client_close(lua_State *L)
{
    kwa_lua_client_t *ud = luaL_checkudata(L, 1, KWA_LUA_CLIENT);

    if (ud->in_run > 0)
        luaL_error(L, "cannot close a " KWA_LUA_CLIENT " from its own callback");
    client_release(L, ud);
    return 0;
}

/* __gc never raises: an unreachable client cannot be running. */
static int client_gc(lua_State *L)
{
    kwa_lua_client_t *ud = lua_touserdata(L, 1);

    if (ud != NULL && ud->in_run == 0)
        client_release(L, ud);
    return 0;
}

static int client_tostring(lua_State *L)
{
    kwa_lua_client_t *ud = luaL_checkudata(L, 1, KWA_LUA_CLIENT);

    if (ud->client == NULL)
        lua_pushstring(L, KWA_LUA_CLIENT " (closed)");
    else
        lua_pushfstring(L, KWA_LUA_CLIENT " (sid %s)", ud->sid);
    return 1;
}

static const luaL_Reg client_methods[] = {
    {"close", client_close},
    {NULL, NULL},
};

static const luaL_Reg client_meta[] = {
    {"__gc", client_gc},
    {"__close", client_close},
    {"__tostring", client_tostring},
    {NULL, NULL},
};

#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
int luaopen_kaleyra_whatsapp_core(lua_State *L)
{
    kwa_lua_names_init(L);
    lua_newtable(L);                     /* M */
    luaL_newmetatable(L, KWA_LUA_CLIENT); /* M, mt */
    kwa_setfuncs(L, client_meta);
    lua_newtable(L);                     /* M, mt, methods */
    kwa_setfuncs(L, client_methods);
    kwa_lua_send_methods(L);
    kwa_lua_batch_methods(L);
    kwa_lua_pump_methods(L);
    kwa_lua_codec_methods(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "__index");      /* M, mt, methods */
    lua_setfield(L, -3, "Client");       /* M, mt */
    lua_pop(L, 1);
    kwa_lua_result_meta(L);
    luaL_newmetatable(L, KWA_LUA_ERROR); /* M, Error */
    lua_setfield(L, -2, "Error");
    luaL_newmetatable(L, KWA_LUA_ARRAY); /* M, array_mt */
    lua_setfield(L, -2, "array_mt");
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    lua_pushcfunction(L, client_new);
    lua_setfield(L, -2, "new");
    kwa_lua_codec_module(L);
    kwa_lua_callback_module(L);
    kwa_lua_push_ops(L);
    lua_setfield(L, -2, "ops");
    kwa_lua_interrupt_module(L);
    kwa_lua_flow_module(L);
    lua_pushliteral(L, KWA_VERSION);
    lua_setfield(L, -2, "version");
    return 1;
}
