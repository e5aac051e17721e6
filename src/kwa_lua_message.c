/*
 * kwa_lua_message.c - reads message tables into an operation's fields,
 * by the registry's field list (kwa_op.h).
 *
 * The usual way is one walk of the table (lua_next): each key is matched
 * by address against the field names interned in this Lua state (short
 * strings are unique per state, so a key equal to a field name is that
 * very string) and its value moved to the field's stack slot; the fields
 * are then read from their slots in field order. When a key is not a
 * field, or the table has a metatable (an __index may give fields), the
 * fields are read by name instead (lua_getfield), then the keys counted
 * and, on a mismatch, walked by name to raise on the unknown one. Both
 * ways read the same values in the same order, so they give the same
 * result and the same error.
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

/* 1 if the table at idx (absolute) has no metatable and exactly `found`
 * keys: then every key was one the caller read. 0: check by name. */
static int only_keys(lua_State *L, int idx, int found)
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

/* Reads the value on top as an optional string (left on the stack). */
static int string_value(lua_State *L, const char *field, const char **out,
                        kwa_result_t *err, kwa_kind_t kind)
{
    size_t len;
    int t = lua_type(L, -1);

    *out = NULL;
    if (t == LUA_TNIL)
        return 0;
    if (t != LUA_TSTRING)
        return kwa_fail(err, kind, field, "%s must be a string, got a %s",
                        field, luaL_typename(L, -1));
    *out = lua_tolstring(L, -1, &len);
    if (strlen(*out) != len)
        return kwa_fail(err, kind, field, "%s contains a NUL byte", field);
    return 0;
}

int kwa_lua_string_field(lua_State *L, int idx, const char *key,
                         const char *field, const char **out,
                         kwa_result_t *err, kwa_kind_t kind)
{
    lua_getfield(L, idx, key);
    return string_value(L, field, out, err, kind);
}

/* ---- the names of this state, for the walk ---- */

#define EXTRA_KEYS 4
static const char *const extra_keys[] = {"ref", "ref1", "ref2", "wa_source", NULL};

/* Every operation's field names (KWA_MAX_FIELDS slots per op, in kwa_ops
 * order), extra_info's keys and "op", as this state's strings. The
 * strings are anchored in a registry table, so the addresses stay valid. */
typedef struct names {
    const char *op;
    const char *extra[EXTRA_KEYS];
    const char *field[];
} names_t;

static const char names_key = 'n', anchor_key = 'a';

static const char *intern(lua_State *L, int anchor, const char *s)
{
    const char *p;

    lua_pushstring(L, s); /* 5.1's returns nothing */
    p = lua_tostring(L, -1);
    lua_pushboolean(L, 1);
    lua_rawset(L, anchor); /* anchor[s] = true keeps the string */
    return p;
}

void kwa_lua_names_init(lua_State *L)
{
    size_t nops = 0, i, j;
    names_t *n;
    int anchor;

    while (kwa_ops[nops] != NULL)
        nops++;
    lua_newtable(L);
    anchor = lua_gettop(L);
    n = kwa_newuserdata(L, sizeof *n + nops * KWA_MAX_FIELDS * sizeof n->field[0]);
    memset(n, 0, sizeof *n + nops * KWA_MAX_FIELDS * sizeof n->field[0]);
    n->op = intern(L, anchor, "op");
    for (i = 0; i < EXTRA_KEYS; i++)
        n->extra[i] = intern(L, anchor, extra_keys[i]);
    for (i = 0; i < nops; i++)
        for (j = 0; kwa_ops[i]->fields[j].name != NULL; j++)
            n->field[i * KWA_MAX_FIELDS + j] = intern(L, anchor, kwa_ops[i]->fields[j].name);
    kwa_rawsetp(L, LUA_REGISTRYINDEX, &names_key);  /* the block */
    kwa_rawsetp(L, LUA_REGISTRYINDEX, &anchor_key); /* its strings */
}

/* This state's names block, or NULL before kwa_lua_names_init. */
static const names_t *state_names(lua_State *L)
{
    const names_t *n;

    kwa_rawgetp(L, LUA_REGISTRYINDEX, &names_key);
    n = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return n;
}

/* Walks the table at idx once: slot[i] becomes the stack index of the
 * value of names[i], or stays 0 when the table has no such key. Each
 * key and value stay on the stack (a copy of the key goes on to
 * lua_next). 1 when every key is one of the n names (or `also`, which
 * is skipped) and the table has no metatable; 0 otherwise, with the
 * stack as it was: read by name instead. */
static int walk(lua_State *L, int idx, const char *const *names, int n,
                const char *also, int *slot)
{
    int top = lua_gettop(L), i;
    const char *key;

    memset(slot, 0, (size_t)n * sizeof *slot);
    if (lua_getmetatable(L, idx)) {
        lua_pop(L, 1);
        return 0;
    }
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        for (i = 0; i < n && names[i] != key; i++)
            ;
        if (i < n)
            slot[i] = lua_gettop(L);
        else if (key == NULL || key != also) {
            lua_settop(L, top);
            return 0;
        }
        lua_pushvalue(L, -2);
    }
    return 1;
}

/* Pushes field i's value: from its slot after a walk, else by name. */
static void fetch(lua_State *L, int idx, const int *slot, int i, const char *name)
{
    if (slot == NULL)
        lua_getfield(L, idx, name);
    else if (slot[i] != 0)
        lua_pushvalue(L, slot[i]);
    else
        lua_pushnil(L);
}

/* Names list item i of field name, for an error about it. */
static const char *item_name(char *buf, size_t cap, const char *name, size_t i)
{
    snprintf(buf, cap, "%s[%zu]", name, i + 1);
    return buf;
}

/* The value on top as a phone number or a list of them: the list
 * borrows s->to. */
static int read_phones(lua_State *L, const char *name, kwa_lua_scratch_t *s,
                       kwa_value_t *v, kwa_result_t *err)
{
    size_t n, i, len;
    const char **grown;
    char field[32];
    int list;

    if (s->to_cap == 0) {
        s->to = malloc(4 * sizeof *s->to);
        if (s->to == NULL)
            return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
        s->to_cap = 4;
    }
    v->list = s->to;
    if (lua_type(L, -1) == LUA_TSTRING) {
        v->count = v->present = 1;
        return string_value(L, name, &s->to[0], err, KWA_VALIDATION);
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
        lua_rawgeti(L, list, (lua_Integer)(i + 1));
        if (lua_type(L, -1) != LUA_TSTRING)
            return kwa_fail(err, KWA_VALIDATION, item_name(field, sizeof field, name, i),
                            "%s must be a string, got a %s", field, luaL_typename(L, -1));
        s->to[i] = lua_tolstring(L, -1, &len);
        if (strlen(s->to[i]) != len)
            return kwa_fail(err, KWA_VALIDATION, item_name(field, sizeof field, name, i),
                            "%s contains a NUL byte", field);
    }
    v->count = n;
    v->present = 1;
    return 0;
}

/* The value on top as extra_info: walked like a message (see the top). */
static int read_extra_info(lua_State *L, const names_t *names, kwa_value_t *v,
                           kwa_result_t *err)
{
    static const char *const field[EXTRA_KEYS] = {"extra_info.ref", "extra_info.ref1",
                                                  "extra_info.ref2", "extra_info.wa_source"};
    kwa_extra_info_t *x = &v->extra;
    const char **out[EXTRA_KEYS] = {&x->ref, &x->ref1, &x->ref2, &x->wa_source};
    int idx, i, found = 0, slot[EXTRA_KEYS], *fast = slot;

    if (lua_isnil(L, -1))
        return 0;
    if (!lua_istable(L, -1))
        return kwa_fail(err, KWA_VALIDATION, "extra_info",
                        "extra_info must be a table, got a %s", luaL_typename(L, -1));
    idx = lua_gettop(L);
    v->present = 1;
    if (names == NULL || !walk(L, idx, names->extra, EXTRA_KEYS, NULL, slot))
        fast = NULL;
    for (i = 0; i < EXTRA_KEYS; i++) {
        fetch(L, idx, fast, i, extra_keys[i]);
        if (string_value(L, field[i], out[i], err, KWA_VALIDATION) != 0) {
            if (!fast)
                kwa_lua_check_keys(L, idx, "extra_info", extra_keys, NULL); /* a typo first */
            return -1;
        }
        found += *out[i] != NULL;
    }
    if (!fast && !only_keys(L, idx, found))
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

/* The value on top as a list of strings (a sequence, checked by the
 * core), or one string as a list of one; anchored in *anchor. */
static int read_strings(lua_State *L, const kwa_field_t *f, cJSON **anchor,
                        kwa_value_t *v, kwa_result_t *err)
{
    cJSON *one;
    size_t len;
    const char *str;

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

/* Reads the value on top as field f (the op's i-th); it stays there. */
static int read_value(lua_State *L, const kwa_field_t *f, int i, const names_t *names,
                      kwa_lua_scratch_t *s, kwa_value_t *v, kwa_result_t *err)
{
    switch (f->type) {
    case KWA_FT_PHONES:
        return read_phones(L, f->name, s, v, err);
    case KWA_FT_EXTRA:
        return read_extra_info(L, names, v, err);
    case KWA_FT_BOOL:
        if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
            return kwa_fail(err, KWA_VALIDATION, f->name, "%s must be a boolean, got a %s",
                            f->name, luaL_typename(L, -1));
        v->present = !lua_isnil(L, -1);
        v->boolean = lua_toboolean(L, -1);
        return 0;
    case KWA_FT_TABLE:
        if (lua_isnil(L, -1))
            return 0; /* the core says whether it is required */
        if (!lua_istable(L, -1))
            return kwa_fail(err, KWA_VALIDATION, f->name, "%s must be a table, got a %s",
                            f->name, luaL_typename(L, -1));
        return read_table(L, f, &s->trees[i], v, err);
    case KWA_FT_TEXT_OR_TABLE:
        if (lua_istable(L, -1))
            return read_table(L, f, &s->trees[i], v, err);
        break;
    case KWA_FT_NUMBER:
        if (lua_isnil(L, -1))
            return 0;
        if (lua_type(L, -1) != LUA_TNUMBER)
            return kwa_fail(err, KWA_VALIDATION, f->name, "%s must be a number, got a %s",
                            f->name, luaL_typename(L, -1));
        v->number = (double)lua_tonumber(L, -1);
        v->present = 1;
        return 0;
    case KWA_FT_BYTES:
        if (lua_isnil(L, -1))
            return 0;
        if (lua_type(L, -1) != LUA_TSTRING)
            return kwa_fail(err, KWA_VALIDATION, f->name, "%s must be a string, got a %s",
                            f->name, luaL_typename(L, -1));
        v->str = lua_tolstring(L, -1, &v->count); /* stays on the stack */
        v->present = 1;
        return 0;
    case KWA_FT_LIST:
        if (lua_isnil(L, -1))
            return 0;
        if (!lua_istable(L, -1))
            return kwa_fail(err, KWA_VALIDATION, f->name, "%s must be a list, got a %s",
                            f->name, luaL_typename(L, -1));
        return read_table(L, f, &s->trees[i], v, err);
    case KWA_FT_STRINGS:
        return read_strings(L, f, &s->trees[i], v, err);
    default:
        break;
    }
    if (string_value(L, f->name, &v->str, err, KWA_VALIDATION) != 0)
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
    const names_t *names = s->names != NULL ? s->names : (s->names = state_names(L));
    int i, n, found = 0, slot[KWA_MAX_FIELDS], *fast = NULL;

    kwa_lua_scratch_release(s);
    for (n = 0; op->fields[n].name != NULL; n++)
        ;
    memset(a->v, 0, (size_t)n * sizeof a->v[0]); /* the op reads only its own fields */
    a->owned = NULL;
    memset(m, 0, sizeof *m);
    m->type = KWA_MSG_ARGS;
    m->u.args.def = op;
    m->u.args.args = a;
    idx = kwa_absindex(L, idx);
    luaL_checkstack(L, KWA_MAX_FIELDS * 4 + EXTRA_KEYS * 3 + 12, "message fields");
    if (op->positional != NULL && !lua_istable(L, idx) && !lua_isnoneornil(L, idx)) {
        idx = as_table(L, idx, op, flags);
    } else if (lua_isnoneornil(L, idx) && !has_required(op)) {
        lua_newtable(L); /* client:get_flows_public_key() */
        idx = lua_gettop(L);
    }
    luaL_checktype(L, idx, LUA_TTABLE);
    for (i = 0; names != NULL && kwa_ops[i] != NULL && kwa_ops[i] != op; i++)
        ;
    if (names != NULL && kwa_ops[i] != NULL &&
        walk(L, idx, names->field + i * KWA_MAX_FIELDS, n, allow_op ? names->op : NULL, slot))
        fast = slot;
    for (i = 0; i < n; i++) {
        fetch(L, idx, fast, i, op->fields[i].name);
        if (read_value(L, &op->fields[i], i, names, s, &a->v[i], err) != 0) {
            if (!fast)
                check_op_keys(L, idx, op, allow_op); /* a typo raises before a bad value */
            return -1;
        }
        found += a->v[i].present;
    }
    if (fast)
        return 0; /* every key was a field (or "op") */
    if (allow_op) {
        lua_getfield(L, idx, "op");
        found += !lua_isnil(L, -1);
    }
    /* Every key was a field read above (one cheap count), or else find
     * the one that is not, by name. */
    if (!only_keys(L, idx, found))
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
        if (s->trees[i] != NULL) {
            cJSON_Delete(s->trees[i]);
            s->trees[i] = NULL;
        }
    }
    kwa_request_free(&s->built);
}

void kwa_lua_scratch_free(kwa_lua_scratch_t *s)
{
    kwa_lua_scratch_release(s);
    free(s->to);
    memset(s, 0, sizeof *s);
}
