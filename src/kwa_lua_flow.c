/*
 * kwa_lua_flow.c - the Flows data endpoint's cryptography for Lua
 * (kwa_flowcrypt.c underneath):
 *
 *   core.flow_endpoint{ private_key, passphrase } -> ep | nil, err (config)
 *   ep:decrypt(body)            -> request, ctx | nil, err (status 421, reason)
 *   ep:encrypt(response, ctx)   -> body | nil, err (table: JSON; string: as is)
 *   ep:close()                  frees the key (also __gc, __close)
 *   core.flow_request_encrypt(public_pem, request) -> body, ctx | nil, err
 *   core.flow_response_decrypt(body, ctx)           -> response | nil, err
 *   core.flow_keygen([bits [, passphrase]])         -> private_pem, public_pem | nil, err
 *   core.FlowEndpoint            the methods table (flow.lua adds handle)
 *
 * Handle first, resource second: each userdata is created zeroed with its
 * metatable before any C allocation, and every buffer a call makes while
 * it can still raise is anchored in a userdata (the endpoint's or the
 * context's scratch), freed at the next call and by __gc. A context holds
 * the AES key and IV; its __gc scrubs them. Neither __tostring shows key
 * material; the passphrase is read and never kept.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "kwa_lua.h"

#define KWA_LUA_FLOW_EP "kaleyra.whatsapp.FlowEndpoint"
#define KWA_LUA_FLOW_CTX "kaleyra.whatsapp.FlowContext"

/* Buffers anchored while a call can raise. */
typedef struct scratch {
    char *text;  /* plaintext JSON or base64 */
    size_t text_len;
    char *out;
    cJSON *tree;
} scratch_t;

typedef struct ep {
    kwa_flow_key_t *key; /* NULL once closed */
    scratch_t s;
} ep_t;

typedef struct ctx {
    kwa_flow_ctx_t c;
    int set;
    scratch_t s;
} ctx_t;

static void scratch_release(scratch_t *s)
{
    if (s->text != NULL)
        OPENSSL_cleanse(s->text, s->text_len);
    free(s->text);
    free(s->out);
    cJSON_Delete(s->tree);
    memset(s, 0, sizeof *s);
}

/* Pushes nil, err with err.reason = the core's reason token. */
static int push_fail(lua_State *L, kwa_result_t *r)
{
    lua_pushnil(L);
    kwa_lua_push_error(L, r); /* raises for KWA_NOMEM */
    if (r->code[0] != '\0') {
        lua_pushstring(L, r->code);
        lua_setfield(L, -2, "reason");
        lua_pushnil(L);
        lua_setfield(L, -2, "code"); /* code is Kaleyra's; this is ours */
    }
    kwa_result_free(r);
    return 2;
}

static ctx_t *new_ctx(lua_State *L)
{
    ctx_t *c = kwa_newuserdata(L, sizeof *c);

    memset(c, 0, sizeof *c);
    luaL_getmetatable(L, KWA_LUA_FLOW_CTX);
    lua_setmetatable(L, -2);
    return c;
}

static ctx_t *check_ctx(lua_State *L, int idx)
{
    ctx_t *c = luaL_checkudata(L, idx, KWA_LUA_FLOW_CTX);

    if (!c->set)
        luaL_argerror(L, idx, "the context holds no key");
    return c;
}

/* The JSON text of the value at idx into s->text: a string byte for byte,
 * a table encoded. -1 with err set for values JSON cannot carry. */
static int json_text(lua_State *L, int idx, const char *what, scratch_t *s,
                     const char **text, size_t *len, kwa_result_t *err)
{
    if (lua_type(L, idx) == LUA_TSTRING) {
        *text = lua_tolstring(L, idx, len);
        return 0;
    }
    if (lua_type(L, idx) != LUA_TTABLE)
        luaL_argerror(L, idx, "a table or a string expected");
    if (kwa_lua_to_json(L, idx, what, &s->tree, err) != 0)
        return -1;
    s->text = cJSON_PrintUnformatted(s->tree);
    if (s->text == NULL)
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    *text = s->text;
    *len = s->text_len = strlen(s->text);
    return 0;
}

/* Pushes the JSON object in s->text, or nil, err (not_json). */
static int push_json_object(lua_State *L, scratch_t *s, const char *what)
{
    kwa_result_t r;

    s->tree = cJSON_ParseWithLength(s->text, s->text_len);
    if (!cJSON_IsObject(s->tree)) {
        memset(&r, 0, sizeof r);
        r.status = KWA_FLOW_STATUS_DECRYPT;
        memcpy(r.code, "not_json", sizeof "not_json");
        kwa_fail(&r, KWA_CRYPTO, NULL, "the decrypted %s is not a JSON object", what);
        return push_fail(L, &r);
    }
    kwa_lua_push_json(L, s->tree);
    return 1;
}

/* ---- the endpoint ---- */

static ep_t *check_ep(lua_State *L)
{
    ep_t *ep = luaL_checkudata(L, 1, KWA_LUA_FLOW_EP);

    if (ep->key == NULL)
        luaL_error(L, "attempt to use a closed " KWA_LUA_FLOW_EP);
    return ep;
}

static const char *const ep_keys[] = {"private_key", "passphrase", NULL};

static int ep_new(lua_State *L)
{
    kwa_result_t err;
    const char *pem, *pass;
    size_t len = 0;
    ep_t *ep;

    luaL_checktype(L, 1, LUA_TTABLE);
    kwa_lua_check_keys(L, 1, "flow_endpoint", ep_keys, NULL);
    memset(&err, 0, sizeof err);
    ep = kwa_newuserdata(L, sizeof *ep); /* 2 */
    memset(ep, 0, sizeof *ep);
    luaL_getmetatable(L, KWA_LUA_FLOW_EP);
    lua_setmetatable(L, -2);
    if (kwa_lua_string_field(L, 1, "private_key", "private_key", &pem, &err, KWA_CONFIG) ||
        kwa_lua_string_field(L, 1, "passphrase", "passphrase", &pass, &err, KWA_CONFIG))
        return push_fail(L, &err);
    if (pem == NULL) {
        kwa_fail(&err, KWA_CONFIG, "private_key", "private_key is required (PEM text)");
        return push_fail(L, &err);
    }
    lua_getfield(L, 1, "private_key");
    lua_tolstring(L, -1, &len);
    ep->key = kwa_flow_key_load(pem, len, pass, &err);
    if (ep->key == NULL)
        return push_fail(L, &err);
    lua_pushvalue(L, 2);
    return 1;
}

static int ep_decrypt(lua_State *L)
{
    ep_t *ep = check_ep(L);
    size_t len = 0;
    const char *body = luaL_optlstring(L, 2, "", &len);
    kwa_result_t err;
    ctx_t *c;
    int n;

    memset(&err, 0, sizeof err);
    scratch_release(&ep->s);
    c = new_ctx(L); /* 3 */
    if (kwa_flow_decrypt(ep->key, body, len, &ep->s.text, &ep->s.text_len, &c->c, &err) != 0)
        return push_fail(L, &err);
    c->set = 1;
    n = push_json_object(L, &ep->s, "request");
    scratch_release(&ep->s);
    if (n == 2)
        return 2;
    lua_pushvalue(L, 3);
    return 2;
}

static int ep_encrypt(lua_State *L)
{
    ep_t *ep = check_ep(L);
    ctx_t *c = check_ctx(L, 3);
    kwa_result_t err;
    const char *text = NULL;
    size_t len = 0, out_len = 0;

    memset(&err, 0, sizeof err);
    scratch_release(&ep->s);
    if (json_text(L, 2, "response", &ep->s, &text, &len, &err) != 0 ||
        kwa_flow_encrypt(&c->c, text, len, &ep->s.out, &out_len, &err) != 0) {
        scratch_release(&ep->s);
        return push_fail(L, &err);
    }
    lua_pushlstring(L, ep->s.out, out_len);
    scratch_release(&ep->s);
    return 1;
}

static int ep_close(lua_State *L)
{
    ep_t *ep = luaL_checkudata(L, 1, KWA_LUA_FLOW_EP);

    kwa_flow_key_free(ep->key);
    ep->key = NULL;
    scratch_release(&ep->s);
    return 0;
}

static int ep_gc(lua_State *L)
{
    ep_t *ep = lua_touserdata(L, 1);

    if (ep != NULL) {
        kwa_flow_key_free(ep->key);
        ep->key = NULL;
        scratch_release(&ep->s);
    }
    return 0;
}

static int ep_tostring(lua_State *L)
{
    ep_t *ep = luaL_checkudata(L, 1, KWA_LUA_FLOW_EP);

    lua_pushstring(L, ep->key ? KWA_LUA_FLOW_EP : KWA_LUA_FLOW_EP " (closed)");
    return 1;
}

/* ---- contexts ---- */

static int ctx_gc(lua_State *L)
{
    ctx_t *c = lua_touserdata(L, 1);

    if (c != NULL) {
        kwa_flow_ctx_clear(&c->c);
        c->set = 0;
        scratch_release(&c->s);
    }
    return 0;
}

static int ctx_tostring(lua_State *L)
{
    luaL_checkudata(L, 1, KWA_LUA_FLOW_CTX);
    lua_pushliteral(L, KWA_LUA_FLOW_CTX);
    return 1;
}

/* ---- the client side and key generation ---- */

static int request_encrypt(lua_State *L)
{
    size_t pem_len = 0, len = 0, body_len = 0;
    const char *pem = luaL_checklstring(L, 1, &pem_len);
    const char *text = NULL;
    kwa_result_t err;
    ctx_t *c;

    memset(&err, 0, sizeof err);
    c = new_ctx(L); /* 3 */
    if (json_text(L, 2, "request", &c->s, &text, &len, &err) != 0 ||
        kwa_flow_request_encrypt(pem, pem_len, text, len, &c->s.out, &body_len, &c->c,
                                 &err) != 0) {
        scratch_release(&c->s);
        return push_fail(L, &err);
    }
    c->set = 1;
    lua_pushlstring(L, c->s.out, body_len);
    scratch_release(&c->s);
    lua_pushvalue(L, 3);
    return 2;
}

static int response_decrypt(lua_State *L)
{
    size_t len = 0;
    const char *body = luaL_checklstring(L, 1, &len);
    ctx_t *c = check_ctx(L, 2);
    kwa_result_t err;
    int n;

    memset(&err, 0, sizeof err);
    scratch_release(&c->s);
    if (kwa_flow_response_decrypt(&c->c, body, len, &c->s.text, &c->s.text_len, &err) != 0)
        return push_fail(L, &err);
    n = push_json_object(L, &c->s, "response");
    scratch_release(&c->s);
    return n;
}

/* Pushes private_pem, public_pem; the private text is anchored in a
 * context userdata's scratch and scrubbed. */
static int keygen(lua_State *L)
{
    lua_Integer bits = luaL_optinteger(L, 1, 2048);
    const char *pass = luaL_optstring(L, 2, NULL);
    kwa_result_t err;
    ctx_t *c;

    memset(&err, 0, sizeof err);
    c = new_ctx(L);
    if (bits < 2048 || bits > 8192) {
        kwa_fail(&err, KWA_CONFIG, "bits", "bits must be from 2048 to 8192");
        return push_fail(L, &err);
    }
    if (kwa_flow_keygen((int)bits, pass, &c->s.text, &c->s.out, &err) != 0)
        return push_fail(L, &err);
    c->s.text_len = strlen(c->s.text);
    lua_pushlstring(L, c->s.text, c->s.text_len);
    lua_pushstring(L, c->s.out);
    scratch_release(&c->s);
    return 2;
}

static const luaL_Reg ep_methods[] = {
    {"decrypt", ep_decrypt},
    {"encrypt", ep_encrypt},
    {"close", ep_close},
    {NULL, NULL},
};

static const luaL_Reg ep_meta[] = {
    {"__gc", ep_gc},
    {"__close", ep_close},
    {"__tostring", ep_tostring},
    {NULL, NULL},
};

static const luaL_Reg ctx_meta[] = {
    {"__gc", ctx_gc},
    {"__tostring", ctx_tostring},
    {NULL, NULL},
};

void kwa_lua_flow_module(lua_State *L)
{
    luaL_newmetatable(L, KWA_LUA_FLOW_EP); /* M, mt */
    kwa_setfuncs(L, ep_meta);
    lua_newtable(L);                       /* M, mt, methods */
    kwa_setfuncs(L, ep_methods);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "__index");        /* M, mt, methods */
    lua_setfield(L, -3, "FlowEndpoint");   /* M, mt */
    lua_pop(L, 1);                         /* M */
    luaL_newmetatable(L, KWA_LUA_FLOW_CTX);
    kwa_setfuncs(L, ctx_meta);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");    /* no method table: opaque */
    lua_pop(L, 1);
    lua_pushcfunction(L, ep_new);
    lua_setfield(L, -2, "flow_endpoint");
    lua_pushcfunction(L, request_encrypt);
    lua_setfield(L, -2, "flow_request_encrypt");
    lua_pushcfunction(L, response_decrypt);
    lua_setfield(L, -2, "flow_response_decrypt");
    lua_pushcfunction(L, keygen);
    lua_setfield(L, -2, "flow_keygen");
}
