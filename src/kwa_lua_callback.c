/*
 * kwa_lua_callback.c - the callback (webhook) side of the module:
 *
 *   core.parse_callback(body [, opts]) -> { event, ... } | nil, err
 *   core.check_basic(header, user, password) -> true | false, reason
 *   core.check_bearer(header, token) -> true | false, reason
 *   core.check_header(value, expected) -> true | false, reason
 *   core.verify_signature(body, header, app_secret) -> true | false, reason
 *
 * The parsing and the checks are the pure core's (kwa_callback.c and its
 * parts, kwa_callback_auth.c); this file only converts. The decoded tree
 * is anchored in a userdata while the events are pushed, so a memory error
 * raised by a lua_push* never leaks it. A header that is nil means it is
 * missing (a false, reason, not an error); a secret that is not a string
 * is a programmer error and raises. Reasons never hold a secret.
 */
#include <string.h>

#include "kwa_lua.h"

#define KWA_LUA_CALLBACK_BOX "kaleyra.whatsapp.CallbackBox"

static int box_gc(lua_State *L)
{
    cJSON **tree = luaL_checkudata(L, 1, KWA_LUA_CALLBACK_BOX);

    cJSON_Delete(*tree);
    *tree = NULL;
    return 0;
}

static const char *const parse_keys[] = {"strict", NULL};

/* core.parse_callback(body [, opts]) */
static int parse_callback(lua_State *L)
{
    size_t len;
    const char *body = luaL_checklstring(L, 1, &len);
    unsigned flags = 0;
    kwa_result_t err;
    cJSON **tree;

    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        kwa_lua_check_keys(L, 2, "parse_callback", parse_keys, NULL);
        lua_getfield(L, 2, "strict");
        if (lua_toboolean(L, -1))
            flags |= KWA_CALLBACK_STRICT;
        lua_pop(L, 1);
    }
    memset(&err, 0, sizeof err);
    tree = kwa_newuserdata(L, sizeof *tree);
    *tree = NULL;
    luaL_getmetatable(L, KWA_LUA_CALLBACK_BOX);
    lua_setmetatable(L, -2);
    *tree = kwa_callback_parse(body, len, flags, &err);
    if (*tree == NULL)
        return kwa_lua_push_result(L, &err, KWA_ANSWER_MESSAGE);
    kwa_lua_push_json(L, cJSON_GetObjectItemCaseSensitive(*tree, "events"));
    cJSON_Delete(*tree);
    *tree = NULL;
    return 1;
}

static int verdict(lua_State *L, int ok, const char *reason)
{
    lua_pushboolean(L, ok);
    if (ok)
        return 1;
    lua_pushstring(L, reason != NULL ? reason : "refused");
    return 2;
}

/* A header argument: a string, or nil/none when it is missing. A repeated
 * header (ngx.req.get_headers gives a table) is refused, not guessed. */
static const char *header_arg(lua_State *L, int idx, const char **why)
{
    *why = NULL;
    if (lua_isnoneornil(L, idx))
        return NULL;
    if (lua_type(L, idx) == LUA_TTABLE) {
        *why = "header repeated";
        return NULL;
    }
    return luaL_checkstring(L, idx);
}

static int check_basic(lua_State *L)
{
    const char *why, *header = header_arg(L, 1, &why);
    const char *user = luaL_checkstring(L, 2), *password = luaL_checkstring(L, 3);
    const char *reason = NULL;
    int ok;

    if (why != NULL)
        return verdict(L, 0, why);
    ok = kwa_callback_check_basic(header, user, password, &reason);
    return verdict(L, ok, reason);
}

static int check_bearer(lua_State *L)
{
    const char *why, *header = header_arg(L, 1, &why);
    const char *token = luaL_checkstring(L, 2), *reason = NULL;
    int ok;

    if (why != NULL)
        return verdict(L, 0, why);
    ok = kwa_callback_check_bearer(header, token, &reason);
    return verdict(L, ok, reason);
}

static int check_header(lua_State *L)
{
    const char *why, *value = header_arg(L, 1, &why);
    const char *expected = luaL_checkstring(L, 2), *reason = NULL;
    int ok;

    if (why != NULL)
        return verdict(L, 0, why);
    ok = kwa_callback_check_header(value, expected, &reason);
    return verdict(L, ok, reason);
}

static int verify_signature(lua_State *L)
{
    size_t len;
    const char *body = luaL_checklstring(L, 1, &len);
    const char *why, *header = header_arg(L, 2, &why);
    const char *secret = luaL_checkstring(L, 3), *reason = NULL;
    int ok;

    if (why != NULL)
        return verdict(L, 0, why);
    ok = kwa_callback_verify_signature(body, len, header, secret, &reason);
    return verdict(L, ok, reason);
}

static const luaL_Reg callback_funcs[] = {
    {"parse_callback", parse_callback},
    {"check_basic", check_basic},
    {"check_bearer", check_bearer},
    {"check_header", check_header},
    {"verify_signature", verify_signature},
    {NULL, NULL},
};

void kwa_lua_callback_module(lua_State *L)
{
    luaL_newmetatable(L, KWA_LUA_CALLBACK_BOX);
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    kwa_setfuncs(L, callback_funcs);
}
