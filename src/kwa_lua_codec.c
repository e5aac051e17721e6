/*
 * kwa_lua_codec.c - the core's request building and response parsing,
 * without the libcurl engine, for transports written in Lua (OpenResty
 * cosockets, lua-resty-http, a user's own function) and for dry runs:
 *
 *   client:build(op, msg [, redact]) -> request | nil, err
 *   core.parse(op, status, body [, retry_after]) -> result | nil, err
 *   core.json_encode(value) -> text | nil, err   (the rules of passthrough tables)
 *   core.json_decode(text) -> value | nil, message
 *
 * A request table is { method, url, headers = {...}, body }; its headers
 * carry the api-key (a transport must send it) unless `redact` is true.
 * Its __tostring never shows the key. Validation and error tables are the
 * same as the engine's, so every transport behaves alike.
 */
#include <string.h>

#include "kwa_lua.h"

#define KWA_LUA_BOX "kaleyra.whatsapp.ResultBox"
#define REDACTED "<redacted>"

static void set_header(lua_State *L, const char *name, const char *value)
{
    lua_pushstring(L, value);
    lua_setfield(L, -2, name);
}

/* request.parts = { { name, value or path, filename, type }, ... } */
static void push_parts(lua_State *L, const kwa_request_t *req)
{
    size_t i;

    lua_createtable(L, (int)req->nparts, 0);
    for (i = 0; i < req->nparts; i++) {
        const kwa_part_t *p = &req->parts[i];
        lua_createtable(L, 0, 4);
        lua_pushstring(L, p->name);
        lua_setfield(L, -2, "name");
        if (p->path != NULL) { /* a file, streamed when sent */
            lua_pushstring(L, p->path);
            lua_setfield(L, -2, "path");
        } else {
            lua_pushlstring(L, p->data, p->len);
            lua_setfield(L, -2, "value");
        }
        if (p->filename != NULL) {
            lua_pushstring(L, p->filename);
            lua_setfield(L, -2, "filename");
        }
        if (p->type != NULL) {
            lua_pushstring(L, p->type);
            lua_setfield(L, -2, "type");
        }
        lua_rawseti(L, -2, (lua_Integer)(i + 1));
    }
    lua_setfield(L, -2, "parts");
}

/* client:build(op, msg [, redact]) */
static int client_build(lua_State *L)
{
    kwa_lua_client_t *ud = kwa_lua_check_client(L);
    const kwa_opdef_t *op = kwa_lua_check_op(L, 2);
    int redact = lua_toboolean(L, 4);
    const kwa_config_t *cfg = kwa_client_config(ud->client);
    kwa_message_t m;
    kwa_request_t *req = &ud->scratch.built; /* anchored: a raise cannot leak it */

    kwa_result_free(&ud->res);
    if (kwa_lua_read_message(L, 3, op, 0, &ud->scratch, &m, &ud->res) != 0 ||
        kwa_request_build(req, cfg, &m, &ud->res) != 0) {
        kwa_lua_scratch_release(&ud->scratch);
        return kwa_lua_push_result(L, &ud->res, KWA_ANSWER_MESSAGE);
    }
    /* the request stays anchored in the scratch while these are pushed */
    lua_createtable(L, 0, 6);                /* request */
    luaL_getmetatable(L, KWA_LUA_REQUEST);
    lua_setmetatable(L, -2);
    lua_pushstring(L, req->method);
    lua_setfield(L, -2, "method");
    lua_pushstring(L, req->url);
    lua_setfield(L, -2, "url");
    lua_pushlstring(L, req->body, req->body_len);
    lua_setfield(L, -2, "body");
    if (req->nparts > 0) /* multipart/form-data: libcurl builds it */
        push_parts(L, req);
    lua_createtable(L, 0, 4);                /* request, headers */
    set_header(L, "api-key", redact ? REDACTED : cfg->api_key);
    if (req->nparts == 0)
        set_header(L, "Content-Type", req->content_type ? req->content_type : "application/json");
    set_header(L, "Accept", "application/json");
    set_header(L, "User-Agent", "kaleyra-whatsapp/" KWA_VERSION);
    lua_setfield(L, -2, "headers");
    kwa_lua_scratch_release(&ud->scratch);
    lua_pushstring(L, op->name);
    lua_setfield(L, -2, "op");
    return 1;
}

/* __tostring of a request: everything but the key. */
static int request_tostring(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "method");
    lua_getfield(L, 1, "url");
    lua_pushfstring(L, "%s %s (api-key " REDACTED ")", lua_tostring(L, -2),
                    lua_tostring(L, -1));
    return 1;
}

static int box_gc(lua_State *L)
{
    kwa_result_free(luaL_checkudata(L, 1, KWA_LUA_BOX));
    return 0;
}

/* core.parse(op, status, body [, retry_after]) */
static int parse(lua_State *L)
{
    const kwa_opdef_t *op = kwa_lua_check_op(L, 1);
    lua_Integer status = luaL_checkinteger(L, 2);
    size_t len = 0;
    const char *body = luaL_optlstring(L, 3, "", &len);
    lua_Number retry_after = luaL_optnumber(L, 4, 0);
    kwa_result_t *res;

    luaL_argcheck(L, status >= 0 && status < 1000, 2, "not an HTTP status");
    res = kwa_newuserdata(L, sizeof *res); /* anchors body/raw for the GC */
    memset(res, 0, sizeof *res);
    luaL_getmetatable(L, KWA_LUA_BOX);
    lua_setmetatable(L, -2);
    kwa_response_parse(res, op->answer, (long)status, body, len);
    res->attempts = 1;
    res->retry_after = retry_after > 0 ? retry_after : 0;
    return kwa_lua_push_result(L, res, op->answer);
}

static int tree_gc(lua_State *L)
{
    cJSON **tree = luaL_checkudata(L, 1, KWA_LUA_TREE);

    cJSON_Delete(*tree);
    *tree = NULL;
    return 0;
}

/* A userdata owning a cJSON tree, so a raise never leaks it. */
cJSON **kwa_lua_tree_box(lua_State *L)
{
    cJSON **tree = kwa_newuserdata(L, sizeof *tree);

    *tree = NULL;
    luaL_getmetatable(L, KWA_LUA_TREE);
    lua_setmetatable(L, -2);
    return tree;
}

static int json_encode(lua_State *L)
{
    kwa_result_t err;
    cJSON **tree;
    char *text;

    luaL_checkany(L, 1);
    memset(&err, 0, sizeof err);
    tree = kwa_lua_tree_box(L);
    if (kwa_lua_to_json(L, 1, "value", tree, &err) != 0)
        return kwa_lua_push_result(L, &err, KWA_ANSWER_MESSAGE);
    text = cJSON_PrintUnformatted(*tree);
    if (text == NULL)
        return luaL_error(L, "not enough memory");
    lua_pushstring(L, text);
    cJSON_free(text);
    return 1;
}

static int json_decode(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    cJSON **tree = kwa_lua_tree_box(L);

    *tree = cJSON_ParseWithLength(text, len);
    if (*tree == NULL) {
        lua_pushnil(L);
        lua_pushliteral(L, "not valid JSON");
        return 2;
    }
    kwa_lua_push_json(L, *tree);
    return 1;
}

static const luaL_Reg codec_methods[] = {
    {"build", client_build},
    {NULL, NULL},
};

void kwa_lua_codec_methods(lua_State *L)
{
    kwa_setfuncs(L, codec_methods);
}

void kwa_lua_codec_module(lua_State *L)
{
    luaL_newmetatable(L, KWA_LUA_REQUEST);
    lua_pushcfunction(L, request_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    luaL_newmetatable(L, KWA_LUA_BOX);
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newmetatable(L, KWA_LUA_TREE);
    lua_pushcfunction(L, tree_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    lua_pushcfunction(L, parse);
    lua_setfield(L, -2, "parse");
    lua_pushcfunction(L, json_encode);
    lua_setfield(L, -2, "json_encode");
    lua_pushcfunction(L, json_decode);
    lua_setfield(L, -2, "json_decode");
}
