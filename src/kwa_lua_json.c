/*
 * kwa_lua_json.c - Lua values to cJSON and back, for passthrough objects
 * (flow parameters, media headers) and decoded answers.
 *
 * Encoding rules, as lua-cjson does them: a table whose keys are exactly
 * 1..n is an array; a table with string keys is an object; an empty table
 * is an object unless it carries the array metatable (whatsapp.array_mt);
 * whatsapp.null (a NULL light userdata) is JSON null. Anything else is a
 * validation error naming the path, e.g. "flow.flow_action_payload.data.x[2]".
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kwa_lua.h"

typedef struct encoder {
    lua_State *L;
    kwa_result_t *err;
    const void *seen[KWA_LUA_MAX_DEPTH]; /* tables on the current path */
    int depth;
    size_t bytes; /* about how long the JSON is so far */
    size_t len; /* of path */
    char path[128];
} encoder_t;

static int bad(encoder_t *e, const char *what)
{
    return kwa_fail(e->err, KWA_VALIDATION, e->path, "%s %s", e->path, what);
}

/* Bounds the work a huge table can cause: the request could not be sent
 * anyway (KWA_MAX_REQUEST), so stop at the item that crosses the limit. */
static int spend(encoder_t *e, size_t n)
{
    e->bytes += n;
    if (e->bytes > KWA_MAX_REQUEST)
        return bad(e, "makes the JSON longer than 1 MiB");
    return 0;
}

static void push_path(encoder_t *e, const char *key, lua_Integer index)
{
    size_t room = sizeof e->path - e->len;
    int n = key ? snprintf(e->path + e->len, room, ".%s", key)
                : snprintf(e->path + e->len, room, "[%lld]", (long long)index);

    e->len += (n > 0 && (size_t)n < room) ? (size_t)n : 0;
    e->path[e->len] = '\0';
}

static int check_string(encoder_t *e, const char *s, size_t len)
{
    if (len > KWA_LUA_MAX_STRING)
        return bad(e, "is longer than 1 MiB");
    if (memchr(s, '\0', len) != NULL)
        return bad(e, "contains a NUL byte");
    if (kwa_utf8_count(s, len) < 0)
        return bad(e, "is not valid UTF-8");
    return 0;
}

static int is_array_key(lua_State *L, int idx, lua_Integer *out)
{
    lua_Number d;

    if (lua_type(L, idx) != LUA_TNUMBER)
        return 0;
    if (kwa_isinteger(L, idx)) {
        *out = lua_tointeger(L, idx);
        return *out >= 1;
    }
    d = lua_tonumber(L, idx);
    if (!(d >= 1 && d <= 9007199254740992.0 && floor(d) == d))
        return 0;
    *out = (lua_Integer)d;
    return 1;
}

/* Classifies the table at idx: 1 array of *n items, 0 object, -1 error. */
static int table_shape(encoder_t *e, int idx, lua_Integer *n)
{
    lua_State *L = e->L;
    lua_Integer key, max = 0, count = 0, strings = 0;
    int marked;

    marked = lua_getmetatable(L, idx);
    if (marked) {
        luaL_getmetatable(L, KWA_LUA_ARRAY);
        marked = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
    }
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            strings++;
        } else if (is_array_key(L, -1, &key)) {
            count++;
            max = key > max ? key : max;
        } else {
            lua_pop(L, 1);
            return bad(e, "has a key that is neither a string nor an array index");
        }
    }
    if (strings > 0 && (count > 0 || marked))
        return bad(e, "mixes array items and object keys");
    if (max != count)
        return bad(e, "is a sparse array (holes cannot be written as JSON)");
    *n = count;
    return (count > 0 || marked) ? 1 : 0;
}

static int fill(encoder_t *e, int idx, cJSON *node);

/* cJSON prints numbers with 15 significant digits when that reads back
 * "close enough", which turns a 16-digit id such as 9007199254740991 into
 * 9.00719925474099e+15. Integral values are written exactly instead. */
static cJSON *new_number(double d)
{
    char digits[24];

    if (floor(d) != d || fabs(d) <= 2147483647.0 || fabs(d) > 9007199254740992.0)
        return cJSON_CreateNumber(d);
    snprintf(digits, sizeof digits, "%.0f", d);
    return cJSON_CreateRaw(digits);
}

/* Creates the node for the value at idx; a table's node is still empty. */
static int new_node(encoder_t *e, int idx, cJSON **out)
{
    lua_State *L = e->L;
    size_t len;
    const char *s;
    lua_Integer n, i;
    lua_Number d;
    int shape;

    if (lua_type(L, idx) != LUA_TSTRING && spend(e, 8) != 0)
        return -1;
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
        *out = cJSON_CreateBool(lua_toboolean(L, idx));
        break;
    case LUA_TNUMBER:
        d = lua_tonumber(L, idx);
        i = kwa_isinteger(L, idx) ? lua_tointeger(L, idx) : 0;
        if (i > 9007199254740992LL || i < -9007199254740992LL)
            return bad(e, "is an integer beyond 2^53, which JSON numbers lose");
        if (isnan(d) || isinf(d))
            return bad(e, "is NaN or infinite, which JSON cannot represent");
        *out = new_number(d);
        break;
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &len);
        if (check_string(e, s, len) != 0 || spend(e, len + 2) != 0)
            return -1;
        *out = cJSON_CreateString(s);
        break;
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) != NULL)
            return bad(e, "is a light userdata other than whatsapp.null");
        *out = cJSON_CreateNull();
        break;
    case LUA_TTABLE:
        shape = table_shape(e, idx, &n);
        if (shape < 0)
            return -1;
        *out = shape ? cJSON_CreateArray() : cJSON_CreateObject();
        break;
    default:
        return kwa_fail(e->err, KWA_VALIDATION, e->path,
                        "%s is a %s, which JSON cannot carry", e->path,
                        luaL_typename(L, idx));
    }
    return *out ? 0 : kwa_fail(e->err, KWA_NOMEM, NULL, "out of memory");
}

/* Adds the value at idx to parent (under key, or appended to an array)
 * before filling it, so everything built stays reachable from the root. */
static int add_value(encoder_t *e, int idx, cJSON *parent, const char *key)
{
    cJSON *node = NULL;

    if (new_node(e, idx, &node) != 0)
        return -1;
    if (!(cJSON_IsArray(parent) ? cJSON_AddItemToArray(parent, node)
                                : cJSON_AddItemToObject(parent, key, node))) {
        cJSON_Delete(node);
        return kwa_fail(e->err, KWA_NOMEM, NULL, "out of memory");
    }
    return lua_type(e->L, idx) == LUA_TTABLE ? fill(e, idx, node) : 0;
}

static int fill(encoder_t *e, int idx, cJSON *node)
{
    lua_State *L = e->L;
    const void *self = lua_topointer(L, idx);
    size_t saved = e->len;
    lua_Integer i, n;
    int rc = 0, k;

    for (k = 0; k < e->depth; k++)
        if (e->seen[k] == self)
            return bad(e, "contains a reference cycle");
    if (e->depth == KWA_LUA_MAX_DEPTH)
        return bad(e, "nests deeper than 32 levels");
    e->seen[e->depth++] = self;
    luaL_checkstack(L, 4, "JSON nesting");
    if (cJSON_IsArray(node)) {
        n = (lua_Integer)kwa_rawlen(L, idx);
        for (i = 1; rc == 0 && i <= n; i++) {
            lua_rawgeti(L, idx, i);
            push_path(e, NULL, i);
            rc = add_value(e, lua_gettop(L), node, NULL);
            e->len = saved;
            e->path[saved] = '\0';
            lua_pop(L, 1);
        }
    } else {
        lua_pushnil(L);
        while (rc == 0 && lua_next(L, idx) != 0) {
            size_t len;
            const char *key = lua_tolstring(L, -2, &len); /* keys are strings */
            if (memchr(key, '\0', len) != NULL || kwa_utf8_count(key, len) < 0) {
                rc = bad(e, "has a key that is not valid UTF-8 text");
            } else {
                push_path(e, key, 0);
                rc = spend(e, len + 3);
                if (rc == 0)
                    rc = add_value(e, lua_gettop(L), node, key);
            }
            e->len = saved;
            e->path[saved] = '\0';
            lua_pop(L, 1);
        }
        if (rc != 0)
            lua_pop(L, 1); /* the key lua_next left */
    }
    e->depth--;
    return rc;
}

int kwa_lua_to_json(lua_State *L, int idx, const char *field, cJSON **anchor,
                    kwa_result_t *err)
{
    encoder_t e;

    memset(&e, 0, sizeof e);
    e.L = L;
    e.err = err;
    kwa_copy_text(e.path, sizeof e.path, field, strlen(field));
    e.len = strlen(e.path);
    idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
    cJSON_Delete(*anchor);
    *anchor = NULL;
    if (new_node(&e, idx, anchor) != 0)
        return -1;
    return lua_type(L, idx) == LUA_TTABLE ? fill(&e, idx, *anchor) : 0;
}

void kwa_lua_push_json(lua_State *L, const cJSON *item)
{
    const cJSON *child;
    lua_Integer i = 0;
    double d;

    luaL_checkstack(L, 3, "JSON nesting");
    if (cJSON_IsObject(item) || cJSON_IsArray(item)) {
        int n = cJSON_GetArraySize(item); /* sized once: no rehash per member */
        lua_createtable(L, cJSON_IsArray(item) ? n : 0, cJSON_IsArray(item) ? 0 : n);
        if (cJSON_IsArray(item)) {
            luaL_getmetatable(L, KWA_LUA_ARRAY);
            lua_setmetatable(L, -2);
        }
        for (child = item->child; child != NULL; child = child->next) {
            kwa_lua_push_json(L, child);
            if (cJSON_IsArray(item))
                lua_rawseti(L, -2, ++i);
            else
                lua_setfield(L, -2, child->string);
        }
    } else if (cJSON_IsString(item)) {
        lua_pushstring(L, item->valuestring);
    } else if (cJSON_IsNumber(item)) {
        d = item->valuedouble;
        if (floor(d) == d && fabs(d) < 9007199254740992.0)
            lua_pushinteger(L, (lua_Integer)d);
        else
            lua_pushnumber(L, d);
    } else if (cJSON_IsBool(item)) {
        lua_pushboolean(L, cJSON_IsTrue(item));
    } else {
        lua_pushlightuserdata(L, NULL);
    }
}
