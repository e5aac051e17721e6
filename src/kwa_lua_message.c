/*
 * kwa_lua_message.c - reads message tables into the C core's structs.
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

static const char *const text_keys[] = {
    "to", "from", "body", "preview_url", "extra_info", NULL};
static const char *const cta_url_keys[] = {
    "to", "from", "header", "body", "footer", "display_text", "url",
    "extra_info", NULL};
static const char *const flow_keys[] = {
    "to", "from", "header", "body", "footer", "flow", "extra_info", NULL};
static const char *const raw_keys[] = {"messaging_object", "from", "extra_info", NULL};
static const char *const extra_keys[] = {"ref", "ref1", "ref2", "wa_source", NULL};

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
        for (k = allowed; *k != NULL; k++)
            if (strcmp(*k, lua_tostring(L, -1)) == 0)
                break;
        if (*k == NULL && also != NULL && strcmp(also, lua_tostring(L, -1)) == 0)
            continue;
        if (*k == NULL)
            luaL_error(L, "%s: unknown field '%s'", what, lua_tostring(L, -1));
    }
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

static int read_to(lua_State *L, int idx, kwa_lua_scratch_t *s,
                   kwa_envelope_t *env, kwa_result_t *err)
{
    size_t n, i;
    const char **grown;
    int list;

    lua_getfield(L, idx, "to");
    if (lua_type(L, -1) == LUA_TSTRING) {
        lua_pop(L, 1);
        env->to_count = 1;
        return kwa_lua_string_field(L, idx, "to", "to", &s->to[0], err, KWA_VALIDATION);
    }
    if (lua_isnil(L, -1))
        return 0; /* the core says "to is required" */
    if (!lua_istable(L, -1))
        return kwa_fail(err, KWA_VALIDATION, "to",
                        "to must be a phone number or a list of them, got a %s",
                        luaL_typename(L, -1));
    list = lua_gettop(L);
    n = kwa_rawlen(L, list);
    if (n > MAX_RECIPIENTS)
        return kwa_fail(err, KWA_VALIDATION, "to",
                        "to lists more than %d recipients", MAX_RECIPIENTS);
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
        snprintf(field, sizeof field, "to[%zu]", i + 1);
        lua_rawgeti(L, list, (lua_Integer)(i + 1));
        if (lua_type(L, -1) != LUA_TSTRING)
            return kwa_fail(err, KWA_VALIDATION, field, "%s must be a string, got a %s",
                            field, luaL_typename(L, -1));
        s->to[i] = lua_tolstring(L, -1, &len);
        if (strlen(s->to[i]) != len)
            return kwa_fail(err, KWA_VALIDATION, field, "%s contains a NUL byte", field);
    }
    env->to_count = n;
    return 0;
}

/* Reads extra_info into s->extra; *out is NULL when there is none. */
static int read_extra_info(lua_State *L, int idx, kwa_lua_scratch_t *s,
                           const kwa_extra_info_t **out, kwa_result_t *err)
{
    kwa_extra_info_t *x = &s->extra;

    memset(x, 0, sizeof *x);
    *out = NULL;
    lua_getfield(L, idx, "extra_info");
    if (lua_isnil(L, -1))
        return 0;
    if (!lua_istable(L, -1))
        return kwa_fail(err, KWA_VALIDATION, "extra_info",
                        "extra_info must be a table, got a %s", luaL_typename(L, -1));
    idx = lua_gettop(L);
    kwa_lua_check_keys(L, idx, "extra_info", extra_keys, NULL);
    if (kwa_lua_string_field(L, idx, "ref", "extra_info.ref", &x->ref, err, KWA_VALIDATION) ||
        kwa_lua_string_field(L, idx, "ref1", "extra_info.ref1", &x->ref1, err, KWA_VALIDATION) ||
        kwa_lua_string_field(L, idx, "ref2", "extra_info.ref2", &x->ref2, err, KWA_VALIDATION) ||
        kwa_lua_string_field(L, idx, "wa_source", "extra_info.wa_source", &x->wa_source, err,
                             KWA_VALIDATION))
        return -1;
    *out = x;
    return 0;
}

static int read_envelope(lua_State *L, int idx, kwa_lua_scratch_t *s,
                         kwa_envelope_t *env, kwa_result_t *err)
{
    memset(env, 0, sizeof *env);
    if (s->to_cap == 0) {
        s->to = malloc(4 * sizeof *s->to);
        if (s->to == NULL)
            return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
        s->to_cap = 4;
    }
    env->to = s->to;
    if (read_to(L, idx, s, env, err) ||
        kwa_lua_string_field(L, idx, "from", "from", &env->from, err, KWA_VALIDATION))
        return -1;
    return read_extra_info(L, idx, s, &env->extra_info, err);
}

static int read_frame(lua_State *L, int idx, kwa_lua_scratch_t *s,
                      kwa_frame_t *f, kwa_result_t *err)
{
    memset(f, 0, sizeof *f);
    lua_getfield(L, idx, "header");
    if (lua_istable(L, -1)) {
        if (kwa_lua_to_json(L, -1, "header", &s->header, err) != 0)
            return -1;
        f->header_object = s->header;
    } else if (kwa_lua_string_field(L, idx, "header", "header", &f->header, err,
                                    KWA_VALIDATION)) {
        return -1;
    }
    return kwa_lua_string_field(L, idx, "body", "body", &f->body, err, KWA_VALIDATION) ||
           kwa_lua_string_field(L, idx, "footer", "footer", &f->footer, err, KWA_VALIDATION);
}

static int read_text(lua_State *L, int idx, kwa_lua_scratch_t *s,
                     kwa_text_t *m, kwa_result_t *err)
{
    if (read_envelope(L, idx, s, &m->envelope, err) ||
        kwa_lua_string_field(L, idx, "body", "body", &m->body, err, KWA_VALIDATION))
        return -1;
    lua_getfield(L, idx, "preview_url");
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
        return kwa_fail(err, KWA_VALIDATION, "preview_url",
                        "preview_url must be a boolean, got a %s", luaL_typename(L, -1));
    m->preview_url = lua_toboolean(L, -1);
    return 0;
}

static int read_cta_url(lua_State *L, int idx, kwa_lua_scratch_t *s,
                        kwa_cta_url_t *m, kwa_result_t *err)
{
    return read_envelope(L, idx, s, &m->envelope, err) ||
           read_frame(L, idx, s, &m->frame, err) ||
           kwa_lua_string_field(L, idx, "display_text", "display_text",
                                &m->display_text, err, KWA_VALIDATION) ||
           kwa_lua_string_field(L, idx, "url", "url", &m->url, err, KWA_VALIDATION)
               ? -1 : 0;
}

static int read_flow(lua_State *L, int idx, kwa_lua_scratch_t *s,
                     kwa_flow_t *m, kwa_result_t *err)
{
    if (read_envelope(L, idx, s, &m->envelope, err) ||
        read_frame(L, idx, s, &m->frame, err))
        return -1;
    lua_getfield(L, idx, "flow");
    if (lua_isnil(L, -1))
        return 0; /* the core says "flow is required" */
    if (!lua_istable(L, -1))
        return kwa_fail(err, KWA_VALIDATION, "flow", "flow must be a table, got a %s",
                        luaL_typename(L, -1));
    if (kwa_lua_to_json(L, -1, "flow", &s->flow, err) != 0)
        return -1;
    m->parameters = s->flow;
    return 0;
}

static int read_raw(lua_State *L, int idx, kwa_lua_scratch_t *s, kwa_raw_t *m,
                    kwa_result_t *err)
{
    if (kwa_lua_string_field(L, idx, "from", "from", &m->from, err, KWA_VALIDATION) ||
        read_extra_info(L, idx, s, &m->extra_info, err))
        return -1;
    lua_getfield(L, idx, "messaging_object");
    if (lua_isnil(L, -1))
        return 0; /* the core says it is required */
    if (!lua_istable(L, -1))
        return kwa_fail(err, KWA_VALIDATION, "messaging_object",
                        "messaging_object must be a table, got a %s", luaL_typename(L, -1));
    if (kwa_lua_to_json(L, -1, "messaging_object", &s->object, err) != 0)
        return -1;
    m->messaging_object = s->object;
    return 0;
}

static const struct {
    const char *op, *what;
    const char *const *keys;
} ops[] = {
    [KWA_MSG_TEXT] = {"text", "send_text", text_keys},
    [KWA_MSG_CTA_URL] = {"cta_url", "send_cta_url", cta_url_keys},
    [KWA_MSG_FLOW] = {"flow", "send_flow", flow_keys},
    [KWA_MSG_PUBLISH] = {"publish", "publish_flow", NULL},
    [KWA_MSG_RAW] = {"raw", "send", raw_keys},
};

int kwa_lua_message_type(const char *op)
{
    size_t i;

    for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(op, ops[i].op) == 0)
            return (int)i;
    return -1;
}

int kwa_lua_read_message(lua_State *L, int idx, kwa_message_type_t type,
                         int allow_op, kwa_lua_scratch_t *s, kwa_message_t *m,
                         kwa_result_t *err)
{
    size_t len;

    memset(m, 0, sizeof *m);
    m->type = type;
    kwa_lua_scratch_release(s);
    if (type == KWA_MSG_PUBLISH) {
        m->u.flow_id = luaL_checklstring(L, idx, &len);
        if (strlen(m->u.flow_id) != len)
            return kwa_fail(err, KWA_VALIDATION, "flow_id", "flow_id contains a NUL byte");
        return 0;
    }
    luaL_checktype(L, idx, LUA_TTABLE);
    kwa_lua_check_keys(L, idx, ops[type].what, ops[type].keys, allow_op ? "op" : NULL);
    switch (type) {
    case KWA_MSG_TEXT:
        return read_text(L, idx, s, &m->u.text, err);
    case KWA_MSG_CTA_URL:
        return read_cta_url(L, idx, s, &m->u.cta_url, err);
    case KWA_MSG_RAW:
        return read_raw(L, idx, s, &m->u.raw, err);
    default:
        return read_flow(L, idx, s, &m->u.flow, err);
    }
}

void kwa_lua_scratch_release(kwa_lua_scratch_t *s)
{
    cJSON_Delete(s->header);
    cJSON_Delete(s->flow);
    cJSON_Delete(s->object);
    s->header = s->flow = s->object = NULL;
    kwa_request_free(&s->built);
}

void kwa_lua_scratch_free(kwa_lua_scratch_t *s)
{
    kwa_lua_scratch_release(s);
    free(s->to);
    memset(s, 0, sizeof *s);
}
