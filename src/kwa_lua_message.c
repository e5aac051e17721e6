/*
 * kwa_lua_message.c - reads message tables into an operation's fields,
 * by the registry's field list (kwa_op.h): one lua_getfield per field,
 * then one count of the table's keys; only when the count says there is
 * a key beyond the fields read are the keys walked by name.
 *
 * Programmer errors raise: a message that is not a table, a key the call
 * does not know (a typo must not silently drop a field). Bad values
 * return -1 with a validation error naming the field, so a list of
 * messages can fail item by item. Every string read is left on the Lua
 * stack until the call returns, so the borrowed pointers stay valid even
 * if a field came from an __index metamethod.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_lua.h"

#define MAX_RECIPIENTS 1000

/* Raises for the string key on top if it holds a NUL byte: as a C string
 * it would read as a shorter name, maybe a known one. */
static void nul_free_key(lua_State *L, const char *what)
{
    size_t len;
    const char *key = lua_tolstring(L, -1, &len);

    if (strlen(key) != len)
        luaL_error(L, "%s: unknown field '%s' (its name holds a NUL byte)", what, key);
}

void kwa_lua_check_keys(lua_State *L, int idx, const char *what,
                        const char *const *allowed, const char *also)
{
    const char *const *k;

    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s: field names must be strings, got a %s", what,
                       luaL_typename(L, -1));
        nul_free_key(L, what);
        for (k = allowed; *k != NULL; k++)
            if (strcmp(*k, lua_tostring(L, -1)) == 0)
                break;
        if (*k == NULL && also != NULL && strcmp(also, lua_tostring(L, -1)) == 0)
            continue;
        if (*k == NULL)
            luaL_error(L, "%s: unknown field '%s'", what, lua_tostring(L, -1));
    }
}

int kwa_lua_only_keys(lua_State *L, int idx, int found)
{
    int n = 0;

    if (lua_getmetatable(L, idx)) { /* an __index may have given fields */
        lua_pop(L, 1);
        return 0;
    }
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        if (++n > found) {
            lua_pop(L, 1);
            return 0;
        }
    }
    return n == found;
}

int kwa_lua_string_field(lua_State *L, int idx, const char *key,
                         const char *field, const char **out,
                         kwa_result_t *err, kwa_kind_t kind)
{
    size_t len;

    *out = NULL;
    lua_getfield(L, idx, key);
    if (lua_isnil(L, -1))
        return 0;
    if (lua_type(L, -1) != LUA_TSTRING)
        return kwa_fail(err, kind, field, "%s must be a string, got a %s",
                        field, luaL_typename(L, -1));
    *out = lua_tolstring(L, -1, &len);
    if (strlen(*out) != len)
        return kwa_fail(err, kind, field, "%s contains a NUL byte", field);
    return 0;
}

/* A phone number or a list of them: the list borrows s->to. */
static int read_phones(lua_State *L, int idx, const char *name, kwa_lua_scratch_t *s,
                       kwa_value_t *v, kwa_result_t *err)
{
    size_t n, i;
    const char **grown;
    int list;

    if (s->to_cap == 0) {
        s->to = malloc(4 * sizeof *s->to);
        if (s->to == NULL)
            return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
        s->to_cap = 4;
    }
    v->list = s->to;
    lua_getfield(L, idx, name);
    if (lua_type(L, -1) == LUA_TSTRING) {
        lua_pop(L, 1);
        v->count = v->present = 1;
        return kwa_lua_string_field(L, idx, name, name, &s->to[0], err, KWA_VALIDATION);
    }
    if (lua_isnil(L, -1))
        return 0; /* the core says it is required */
    if (!lua_istable(L, -1))
        return kwa_fail(err, KWA_VALIDATION, name,
                        "%s must be a phone number or a list of them, got a %s", name,
                        luaL_typename(L, -1));
    list = lua_gettop(L);
    n = kwa_rawlen(L, list);
    if (n > MAX_RECIPIENTS)
        return kwa_fail(err, KWA_VALIDATION, name,
                        "%s lists more than %d recipients", name, MAX_RECIPIENTS);
    if (n > s->to_cap) {
        grown = realloc(s->to, n * sizeof *s->to);
        if (grown == NULL)
            return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
        s->to = grown;
        s->to_cap = n;
    }
    luaL_checkstack(L, (int)n + 2, "recipient list");
    for (i = 0; i < n; i++) {
        char field[32];
        size_t len;
        snprintf(field, sizeof field, "%s[%zu]", name, i + 1);
        lua_rawgeti(L, list, (lua_Integer)(i + 1));
        if (lua_type(L, -1) != LUA_TSTRING)
            return kwa_fail(err, KWA_VALIDATION, field, "%s must be a string, got a %s",
                            field, luaL_typename(L, -1));
        s->to[i] = lua_tolstring(L, -1, &len);
        if (strlen(s->to[i]) != len)
            return kwa_fail(err, KWA_VALIDATION, field, "%s contains a NUL byte", field);
    }
    v->count = n;
    v->present = 1;
    return 0;
}

static const char *const extra_keys[] = {"ref", "ref1", "ref2", "wa_source", NULL};

static int read_extra_info(lua_State *L, int idx, kwa_value_t *v, kwa_result_t *err)
{
    kwa_extra_info_t *x = &v->extra;

    lua_getfield(L, idx, "extra_info");
    if (lua_isnil(L, -1))
        return 0;
    if (!lua_istable(L, -1))
        return kwa_fail(err, KWA_VALIDATION, "extra_info",
                        "extra_info must be a table, got a %s", luaL_typename(L, -1));
    idx = lua_gettop(L);
    v->present = 1;
    if (kwa_lua_string_field(L, idx, "ref", "extra_info.ref", &x->ref, err, KWA_VALIDATION) ||
        kwa_lua_string_field(L, idx, "ref1", "extra_info.ref1", &x->ref1, err, KWA_VALIDATION) ||
        kwa_lua_string_field(L, idx, "ref2", "extra_info.ref2", &x->ref2, err, KWA_VALIDATION) ||
        kwa_lua_string_field(L, idx, "wa_source", "extra_info.wa_source", &x->wa_source, err,
                             KWA_VALIDATION)) {
        kwa_lua_check_keys(L, idx, "extra_info", extra_keys, NULL); /* a typo first */
        return -1;
    }
    if (!kwa_lua_only_keys(L, idx, (x->ref != NULL) + (x->ref1 != NULL) + (x->ref2 != NULL) +
                                       (x->wa_source != NULL)))
        kwa_lua_check_keys(L, idx, "extra_info", extra_keys, NULL);
    return 0;
}

/* A table passed through as JSON, anchored in s->trees[i]. */
static int read_table(lua_State *L, const kwa_field_t *f, cJSON **anchor, kwa_value_t *v,
                      kwa_result_t *err)
{
    if (kwa_lua_to_json(L, -1, f->name, anchor, err) != 0)
        return -1;
    v->json = *anchor;
    v->present = 1;
    return 0;
}

/* A list of strings (a sequence, checked by the core), or one string as
 * a list of one; anchored in *anchor. */
static int read_strings(lua_State *L, int idx, const kwa_field_t *f, cJSON **anchor,
                        kwa_value_t *v, kwa_result_t *err)
{
    cJSON *one;
    size_t len;
    const char *str;

    lua_getfield(L, idx, f->name);
    if (lua_isnil(L, -1))
        return 0;
    if (lua_type(L, -1) == LUA_TSTRING) {
        str = lua_tolstring(L, -1, &len);
        if (strlen(str) != len)
            return kwa_fail(err, KWA_VALIDATION, f->name, "%s contains a NUL byte", f->name);
        *anchor = cJSON_CreateArray();
        one = *anchor ? cJSON_CreateString(str) : NULL;
        if (one == NULL || !cJSON_AddItemToArray(*anchor, one)) {
            cJSON_Delete(one);
            return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
        }
    } else if (lua_istable(L, -1)) {
        if (kwa_lua_to_json(L, -1, f->name, anchor, err) != 0)
            return -1;
        if (cJSON_IsObject(*anchor) && (*anchor)->child == NULL)
            (*anchor)->type = cJSON_Array; /* {} is an empty list here */
    } else {
        return kwa_fail(err, KWA_VALIDATION, f->name,
                        "%s must be a list of strings, got a %s", f->name, luaL_typename(L, -1));
    }
    v->json = *anchor;
    v->present = 1;
    return 0;
}

/* Replaces the arguments at idx (a positional value, and for methods the
 * second argument op->second names) with the equivalent message table,
 * left on top of the stack; returns its index. */
static int as_table(lua_State *L, int idx, const kwa_opdef_t *op, int flags)
{
    int t, rest = idx + 1, given = lua_gettop(L) >= rest; /* before t is pushed */

    luaL_checkstring(L, idx);
    lua_createtable(L, 0, 4);
    t = lua_gettop(L);
    lua_pushvalue(L, idx);
    lua_setfield(L, t, op->positional);
    if (!(flags & KWA_LUA_READ_SECOND) || op->second == NULL || !given || lua_isnil(L, rest))
        return t;
    if (strcmp(op->second, "*") != 0) {
        lua_pushvalue(L, rest);
        lua_setfield(L, t, op->second);
        return t;
    }
    luaL_checktype(L, rest, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, rest) != 0) { /* key, value */
        if (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), op->positional) == 0)
            luaL_error(L, "%s: %s is given twice", op->method, op->positional);
        lua_pushvalue(L, -2);   /* key, value, key */
        lua_insert(L, -2);      /* key, key, value */
        lua_settable(L, t);     /* key */
    }
    return t;
}

static int has_required(const kwa_opdef_t *op)
{
    int i;

    for (i = 0; op->fields[i].name != NULL; i++)
        if (op->fields[i].required)
            return 1;
    return 0;
}

static int read_field(lua_State *L, int idx, const kwa_field_t *f, int i,
                      kwa_lua_scratch_t *s, kwa_value_t *v, kwa_result_t *err)
{
    switch (f->type) {
    case KWA_FT_PHONES:
        return read_phones(L, idx, f->name, s, v, err);
    case KWA_FT_EXTRA:
        return read_extra_info(L, idx, v, err);
    case KWA_FT_BOOL:
        lua_getfield(L, idx, f->name);
        if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
            return kwa_fail(err, KWA_VALIDATION, f->name, "%s must be a boolean, got a %s",
                            f->name, luaL_typename(L, -1));
        v->present = !lua_isnil(L, -1);
        v->boolean = lua_toboolean(L, -1);
        return 0;
    case KWA_FT_TABLE:
        lua_getfield(L, idx, f->name);
        if (lua_isnil(L, -1))
            return 0; /* the core says whether it is required */
        if (!lua_istable(L, -1))
            return kwa_fail(err, KWA_VALIDATION, f->name, "%s must be a table, got a %s",
                            f->name, luaL_typename(L, -1));
        return read_table(L, f, &s->trees[i], v, err);
    case KWA_FT_TEXT_OR_TABLE:
        lua_getfield(L, idx, f->name);
        if (lua_istable(L, -1))
            return read_table(L, f, &s->trees[i], v, err);
        break;
    case KWA_FT_NUMBER:
        lua_getfield(L, idx, f->name);
        if (lua_isnil(L, -1))
            return 0;
        if (lua_type(L, -1) != LUA_TNUMBER)
            return kwa_fail(err, KWA_VALIDATION, f->name, "%s must be a number, got a %s",
                            f->name, luaL_typename(L, -1));
        v->number = (double)lua_tonumber(L, -1);
        v->present = 1;
        return 0;
    case KWA_FT_BYTES:
        lua_getfield(L, idx, f->name);
        if (lua_isnil(L, -1))
            return 0;
        if (lua_type(L, -1) != LUA_TSTRING)
            return kwa_fail(err, KWA_VALIDATION, f->name, "%s must be a string, got a %s",
                            f->name, luaL_typename(L, -1));
        v->str = lua_tolstring(L, -1, &v->count); /* stays on the stack */
        v->present = 1;
        return 0;
    case KWA_FT_LIST:
        lua_getfield(L, idx, f->name);
        if (lua_isnil(L, -1))
            return 0;
        if (!lua_istable(L, -1))
            return kwa_fail(err, KWA_VALIDATION, f->name, "%s must be a list, got a %s",
                            f->name, luaL_typename(L, -1));
        return read_table(L, f, &s->trees[i], v, err);
    case KWA_FT_STRINGS:
        return read_strings(L, idx, f, &s->trees[i], v, err);
    default:
        break;
    }
    if (kwa_lua_string_field(L, idx, f->name, f->name, &v->str, err, KWA_VALIDATION) != 0)
        return -1;
    v->present = v->str != NULL;
    return 0;
}

/* Raises if the table at idx has a key that is not one of op's fields
 * (or "op", when allowed). */
static void check_op_keys(lua_State *L, int idx, const kwa_opdef_t *op, int allow_op)
{
    const char *key;

    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s: field names must be strings, got a %s", op->method,
                       luaL_typename(L, -1));
        nul_free_key(L, op->method);
        key = lua_tostring(L, -1);
        if (kwa_op_field(op, key) < 0 && !(allow_op && strcmp(key, "op") == 0))
            luaL_error(L, "%s: unknown field '%s'", op->method, key);
    }
}

int kwa_lua_read_message(lua_State *L, int idx, const kwa_opdef_t *op,
                         int flags, kwa_lua_scratch_t *s, kwa_message_t *m,
                         kwa_result_t *err)
{
    kwa_args_t *a = &s->args;
    int allow_op = flags & KWA_LUA_READ_OP;
    int i, found = 0;

    kwa_lua_scratch_release(s);
    memset(a, 0, sizeof *a);
    memset(m, 0, sizeof *m);
    m->type = KWA_MSG_ARGS;
    m->u.args.def = op;
    m->u.args.args = a;
    idx = kwa_absindex(L, idx);
    luaL_checkstack(L, KWA_MAX_FIELDS * 2 + 12, "message fields");
    if (op->positional != NULL && !lua_istable(L, idx) && !lua_isnoneornil(L, idx)) {
        idx = as_table(L, idx, op, flags);
    } else if (lua_isnoneornil(L, idx) && !has_required(op)) {
        lua_newtable(L); /* client:get_flows_public_key() */
        idx = lua_gettop(L);
    }
    luaL_checktype(L, idx, LUA_TTABLE);
    for (i = 0; op->fields[i].name != NULL; i++) {
        if (read_field(L, idx, &op->fields[i], i, s, &a->v[i], err) != 0) {
            check_op_keys(L, idx, op, allow_op); /* a typo raises before a bad value */
            return -1;
        }
        found += a->v[i].present;
    }
    if (allow_op) {
        lua_getfield(L, idx, "op");
        found += !lua_isnil(L, -1);
    }
    /* Every key was a field read above (the usual case: one cheap count),
     * or else find the one that is not, by name. */
    if (!kwa_lua_only_keys(L, idx, found))
        check_op_keys(L, idx, op, allow_op);
    return 0;
}

const kwa_opdef_t *kwa_lua_check_op(lua_State *L, int idx)
{
    const kwa_opdef_t *op = kwa_op_find(luaL_checkstring(L, idx));
    const kwa_opdef_t *const *p;
    luaL_Buffer b;

    if (op != NULL)
        return op;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "operation must be one of:");
    for (p = kwa_ops; *p != NULL; p++) {
        luaL_addchar(&b, ' ');
        luaL_addstring(&b, (*p)->name);
    }
    luaL_pushresult(&b);
    luaL_argerror(L, idx, lua_tostring(L, -1));
    return NULL;
}

void kwa_lua_scratch_release(kwa_lua_scratch_t *s)
{
    size_t i;

    for (i = 0; i < KWA_MAX_FIELDS; i++) {
        cJSON_Delete(s->trees[i]);
        s->trees[i] = NULL;
    }
    kwa_request_free(&s->built);
}

void kwa_lua_scratch_free(kwa_lua_scratch_t *s)
{
    kwa_lua_scratch_release(s);
    free(s->to);
    memset(s, 0, sizeof *s);
}
