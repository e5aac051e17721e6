/*
 * kwa_flow_endpoint.c - kwa_flow_handle: the common case of a Flows data
 * endpoint in C (flows-api.md 3.4-3.6), on top of kwa_flowcrypt.c. The
 * Lua endpoint's ep:handle (lua/kaleyra/whatsapp/flow.lua) is the same
 * policy written in Lua, so that a handler inside nginx may yield
 * (cosockets) - a C frame in between would forbid it.
 *
 *   undecryptable             -> 421, empty body
 *   action "ping"             -> 200 {"version", "data": {"status": "active"}}
 *   data.error set            -> 200 {"version", "data": {"acknowledged": true}}
 *   INIT, data_exchange, BACK -> handler: 0 -> 200 its response;
 *                                1 -> 427 {"error_msg": ...}; -1 -> 500
 *   any other action          -> 500 (nothing to answer it with)
 *
 * Ownership: *out is malloc'd (NULL with an empty body); the handler's
 * response tree is deleted here. The AES context is scrubbed before
 * returning.
 */
#include <stdlib.h>
#include <string.h>

#include "kwa_op.h" /* KWA_OK */

static int is_action(const cJSON *req, const char *name)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(req, "action");

    return cJSON_IsString(a) && strcmp(a->valuestring, name) == 0;
}

/* An error notification: data.error is present (Meta: the client saw an
 * invalid answer to the previous request). */
static int is_error_notice(const cJSON *req)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(req, "data");

    return cJSON_IsObject(data) && cJSON_GetObjectItemCaseSensitive(data, "error") != NULL &&
           !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(data, "error"));
}

/* {"version": <the request's>, "data": {name: value}} */
static cJSON *own_answer(const cJSON *req, const char *name, cJSON *value)
{
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(req, "version");
    cJSON *root = cJSON_CreateObject(), *data;
    int ok = root != NULL && value != NULL;

    if (ok && cJSON_IsString(version))
        KWA_OK(ok, cJSON_AddStringToObject(root, "version", version->valuestring));
    KWA_OK(ok, data = cJSON_AddObjectToObject(root, "data"));
    if (ok && cJSON_AddItemToObject(data, name, value))
        return root;
    cJSON_Delete(value);
    cJSON_Delete(root);
    return NULL;
}

long kwa_flow_handle(kwa_flow_key_t *key, const char *body, size_t len,
                     kwa_flow_handler_t handler, void *ud, char **out, size_t *out_len)
{
    kwa_result_t err;
    kwa_flow_ctx_t ctx;
    cJSON *req = NULL, *resp = NULL;
    const char *error_msg = NULL;
    char *json = NULL, *text = NULL;
    size_t json_len = 0;
    long status = 500;
    int rc;

    memset(&err, 0, sizeof err);
    *out = NULL;
    *out_len = 0;
    if (kwa_flow_decrypt(key, body, len, &json, &json_len, &ctx, &err) != 0) {
        status = err.kind == KWA_NOMEM ? 500 : KWA_FLOW_STATUS_DECRYPT;
        kwa_result_free(&err);
        return status;
    }
    req = cJSON_ParseWithLength(json, json_len);
    free(json);
    if (!cJSON_IsObject(req)) {
        status = KWA_FLOW_STATUS_DECRYPT; /* not a Flow request: as if undecryptable */
    } else if (is_action(req, "ping")) {
        resp = own_answer(req, "status", cJSON_CreateString("active"));
        status = 200;
    } else if (is_error_notice(req)) {
        resp = own_answer(req, "acknowledged", cJSON_CreateTrue());
        status = 200;
    } else if (handler != NULL && (is_action(req, "INIT") || is_action(req, "data_exchange") ||
                                   is_action(req, "BACK"))) {
        rc = handler(ud, req, &resp, &error_msg);
        if (rc == 0 && resp != NULL) {
            status = 200;
        } else if (rc == 1) {
            cJSON_Delete(resp);
            resp = cJSON_CreateObject();
            if (resp != NULL &&
                !cJSON_AddStringToObject(resp, "error_msg",
                                         error_msg ? error_msg : "flow_token_invalid")) {
                cJSON_Delete(resp);
                resp = NULL;
            }
            status = 427;
        } else {
            cJSON_Delete(resp);
            resp = NULL;
        }
    }
    if (resp != NULL)
        text = cJSON_PrintUnformatted(resp);
    if (text != NULL && kwa_flow_encrypt(&ctx, text, strlen(text), out, out_len, &err) != 0)
        kwa_result_free(&err);
    if ((status == 200 || status == 427) && *out == NULL)
        status = 500;
    free(text);
    cJSON_Delete(resp);
    cJSON_Delete(req);
    kwa_flow_ctx_clear(&ctx);
    return status;
}
