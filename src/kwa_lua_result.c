/*
 * kwa_lua_result.c - results as Lua tables: a success's fields, with its
 * body decoded only when read (below), and an error's table.
 */
#include <string.h>

#include "kwa_lua.h"

static void set_string(lua_State *L, const char *key, const char *value)
{
    if (value != NULL && value[0] != '\0') {
        lua_pushstring(L, value);
        lua_setfield(L, -2, key);
    }
}

static void set_body(lua_State *L, const kwa_result_t *r)
{
    if (r->body != NULL) {
        kwa_lua_push_json(L, r->body);
        lua_setfield(L, -2, "body");
    } else if (r->raw != NULL) {
        lua_pushlstring(L, r->raw, r->raw_len);
        lua_setfield(L, -2, "body");
    }
}

static void set_number(lua_State *L, const char *key, lua_Number v)
{
    if (v > 0) {
        if (v < 9007199254740992.0 && v == (lua_Number)(lua_Integer)v) /* 2^53 */
            lua_pushinteger(L, (lua_Integer)v);
        else
            lua_pushnumber(L, v);
        lua_setfield(L, -2, key);
    }
}

/*
 * A successful result's body is decoded only when read. Every such table
 * shares one metatable (KWA_LUA_RESULT) whose __index, on the first read
 * of res.body, decodes the answer's bytes as before (JSON to tables, or
 * the bytes as a string when they are not JSON), stores the value in the
 * table with rawset (so later reads are plain field reads and pairs(res)
 * shows it from then on) and returns it.
 *
 * The bytes wait in a weak-keyed side table (the metatable's [1], and
 * __index's upvalue): result table -> string. A private key inside the
 * result would cost about the same (one table insert) but would show in
 * pairs(res) and break code that copies or encodes a result (the CLI's
 * output does both); the side table keeps res's keys exactly the
 * documented fields, and its entry goes when the result is collected.
 * The string is a Lua value, so a result outlives its client. The
 * metatable is found by the address of result_mt_key in the registry: no
 * string to hash on the hot path.
 *
 * Most answers need no bytes kept at all: when a message's answer is
 * byte for byte the documented one, {"code":C,"message":M,"data":
 * {"message_id":I},"error":{}} with plain strings (kwa_scan_documented), its
 * decoded body is known from C, M and I, which the result holds anyway.
 * Such a result gets the second metatable (documented_mt_key), whose
 * __index builds the body from the result's own code, message and
 * message_id fields when it is first read: no string, no side-table
 * entry, the same table as decoding the bytes gives. (A caller that
 * changes res.code before reading res.body sees the change in both.)
 */
static const char result_mt_key = 'm', documented_mt_key = 'd';

/* Leaves the string field k of the table at idx (absolute) in the table
 * on top, as the same key. */
static void copy_field(lua_State *L, int idx, const char *k)
{
    lua_pushstring(L, k);
    lua_pushvalue(L, -1);
    lua_rawget(L, idx);
    lua_rawset(L, -3);
}

static int documented_index(lua_State *L)
{
    size_t len = 0;
    const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &len) : NULL;

    if (key == NULL || len != 4 || memcmp(key, "body", 4) != 0)
        return 0;
    lua_createtable(L, 0, 4); /* the documented answer, as decoding gives it */
    copy_field(L, 1, "code");
    copy_field(L, 1, "message");
    lua_createtable(L, 0, 1);
    copy_field(L, 1, "message_id");
    lua_setfield(L, -2, "data");
    lua_createtable(L, 0, 0);
    lua_setfield(L, -2, "error");
    lua_pushvalue(L, -1);
    lua_setfield(L, 1, "body"); /* t has no __newindex: a raw set */
    return 1;
}

/* 1 if the span holds exactly the non-empty string s. */
static int same_text(kwa_span_t sp, const char *s)
{
    return sp.len > 0 && strlen(s) == sp.len && memcmp(sp.s, s, sp.len) == 0;
}

/* 1 if r's answer is the documented one (kwa_scan_documented) and its
 * three strings are exactly r's fields: none cut short or left out, none
 * empty (an empty one is no field of the result). */
static int documented(const kwa_result_t *r)
{
    kwa_scan_t sc;

    return kwa_scan_documented(r->raw, r->raw_len, &sc) == 0 && same_text(sc.code, r->code) &&
           same_text(sc.message, r->message) && same_text(sc.data_message_id, r->message_id);
}

static int result_index(lua_State *L)
{
    size_t len = 0;
    const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &len) : NULL, *raw;
    cJSON **tree;

    if (key == NULL || len != 4 || memcmp(key, "body", 4) != 0)
        return 0;
    lua_pushvalue(L, 1);
    lua_rawget(L, lua_upvalueindex(1)); /* t, k, raw */
    raw = lua_tolstring(L, 3, &len);
    if (raw == NULL)
        return 1; /* no body: an empty answer */
    tree = kwa_lua_tree_box(L);         /* t, k, raw, box: a raise frees it */
    *tree = cJSON_ParseWithLength(raw, len);
    if (*tree != NULL)
        kwa_lua_push_json(L, *tree);
    else
        lua_pushvalue(L, 3);            /* not JSON: the bytes, as before */
    cJSON_Delete(*tree);
    *tree = NULL;
    lua_pushvalue(L, -1);
    lua_setfield(L, 1, "body");         /* t has no __newindex: a raw set */
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_rawset(L, lua_upvalueindex(1)); /* the bytes are no longer needed */
    return 1;
}

/* Creates the shared metatable and side table (at module load). */
void kwa_lua_result_meta(lua_State *L)
{
    luaL_newmetatable(L, KWA_LUA_RESULT); /* mt */
    lua_newtable(L);                      /* mt, raw */
    lua_createtable(L, 0, 1);             /* mt, raw, raw's mt */
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, 1);                /* mt[1]: the hot path's way to it */
    lua_pushcclosure(L, result_index, 1); /* mt, __index */
    lua_setfield(L, -2, "__index");
    kwa_rawsetp(L, LUA_REGISTRYINDEX, &result_mt_key);
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, documented_index);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, KWA_LUA_RESULT);
    lua_setfield(L, -2, "__name");
    kwa_rawsetp(L, LUA_REGISTRYINDEX, &documented_mt_key);
}

/* Pushes a success of a message, success or media operation: exactly
 * its fields, and its body for later (see result_index). */
static void push_success(lua_State *L, const kwa_result_t *r, kwa_answer_t op)
{
    int n = (r->status > 0) + (r->attempts > 0) + (r->raw != NULL);

    if (op == KWA_ANSWER_SUCCESS)
        n += 1;
    else if (op == KWA_ANSWER_MEDIA)
        n += r->message_id[0] != '\0';
    else
        n += (r->code[0] != '\0') + (r->message[0] != '\0') + (r->message_id[0] != '\0');
    lua_createtable(L, 0, n); /* the body's slot included: reading it never rehashes */
    set_number(L, "status", (lua_Number)r->status);
    set_number(L, "attempts", r->attempts);
    if (op == KWA_ANSWER_SUCCESS) {
        lua_pushboolean(L, r->success);
        lua_setfield(L, -2, "success");
    } else if (op == KWA_ANSWER_MEDIA) {
        set_string(L, "id", r->message_id); /* the uploaded media's id */
    } else {
        set_string(L, "code", r->code);
        set_string(L, "message", r->message);
        set_string(L, "message_id", r->message_id);
    }
    if (r->raw == NULL && r->body != NULL) { /* no memory for the bytes: decode now */
        kwa_lua_push_json(L, r->body);
        lua_setfield(L, -2, "body");
    }
    if (op == KWA_ANSWER_MESSAGE && r->raw != NULL && documented(r)) {
        kwa_rawgetp(L, LUA_REGISTRYINDEX, &documented_mt_key);
        lua_setmetatable(L, -2);
        return;
    }
    kwa_rawgetp(L, LUA_REGISTRYINDEX, &result_mt_key); /* res, mt */
    if (r->raw != NULL) {
        lua_rawgeti(L, -1, 1);                           /* res, mt, raw */
        lua_pushvalue(L, -3);
        lua_pushlstring(L, r->raw, r->raw_len);
        lua_rawset(L, -3);
        lua_pop(L, 1);
    }
    lua_setmetatable(L, -2);
}

void kwa_lua_push_error(lua_State *L, const kwa_result_t *r)
{
    if (r->kind == KWA_NOMEM)
        luaL_error(L, "not enough memory");
    lua_createtable(L, 0, 12);
    set_string(L, "kind", kwa_kind_name(r->kind));
    set_string(L, "message", r->message);
    set_string(L, "code", r->code);
    set_string(L, "field", r->field);
    set_number(L, "status", (lua_Number)r->status);
    set_number(L, "attempts", r->attempts);
    set_number(L, "retry_after", r->retry_after);
    lua_pushboolean(L, r->retryable);
    lua_setfield(L, -2, "retryable");
    lua_pushboolean(L, r->sent);
    lua_setfield(L, -2, "sent");
    if (r->details != NULL) {
        kwa_lua_push_json(L, r->details);
        lua_setfield(L, -2, "details");
    }
    set_body(L, r);
    luaL_getmetatable(L, KWA_LUA_ERROR);
    lua_setmetatable(L, -2);
}

int kwa_lua_push_result(lua_State *L, const kwa_result_t *r, kwa_answer_t op)
{
    if (r->kind != KWA_OK) {
        lua_pushnil(L);
        kwa_lua_push_error(L, r);
        return 2;
    }
    if (op == KWA_ANSWER_JSON) { /* the answer is the result, as the docs give it */
        kwa_lua_push_json(L, r->body);
        return 1;
    }
    push_success(L, r, op);
    return 1;
}
