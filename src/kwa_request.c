/*
 * kwa_request.c - builds the URL and JSON body of each operation, exactly
 * in the shape of Kaleyra's API documents: {"messaging_object": {...},
 * "extra_info": {...}}. Validation runs first; building starts only on
 * valid input, so a half-built request never escapes.
 *
 * Memory: the cJSON tree is temporary; the request owns the printed body
 * and the URL. Passthrough objects (header, flow parameters) are
 * duplicated, never modified.
 */
#define _DEFAULT_SOURCE /* strndup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_core.h"

#define REF_MAX 255 /* the service cuts refs at 255 characters; so do we */

static const char *const wa_sources[] = {
    "api", "clevertap", "zoho", "webengage", "shopify", "leadsquared",
    "responsys", "braze", "hubspot", "salesforce", "zapier", "eloqua",
    "moengage", NULL,
};

/* cJSON_Add* return NULL on allocation failure; OK() folds that into one
 * flag per builder so the happy path reads straight. */
#define OK(ok, expr) ((ok) = (ok) && (expr) != NULL)

static char *url_for(const kwa_config_t *cfg, const char *segment, const char *tail)
{
    size_t n = strlen(cfg->base_url) + strlen(cfg->sid) + strlen(segment) +
               strlen(tail) + sizeof "/v2//whatsapp//";
    char *url = malloc(n);

    if (url != NULL)
        snprintf(url, n, "%s/v2/%s/whatsapp/%s/%s", cfg->base_url, cfg->sid,
                 segment, tail);
    return url;
}

static char *join_recipients(const kwa_envelope_t *env)
{
    size_t i, n = 1;
    char *s, *p;

    for (i = 0; i < env->to_count; i++)
        n += strlen(env->to[i]) + 1;
    s = p = malloc(n);
    if (s == NULL)
        return NULL;
    for (i = 0; i < env->to_count; i++) {
        size_t len = strlen(env->to[i]);
        if (i > 0)
            *p++ = ',';
        memcpy(p, env->to[i], len);
        p += len;
    }
    *p = '\0';
    return s;
}

static int add_ref(cJSON *obj, const char *name, const char *value)
{
    size_t len, cut;
    char *copy;
    cJSON *item;

    if (value == NULL)
        return 1;
    len = strlen(value);
    cut = kwa_utf8_prefix(value, len, REF_MAX);
    if (cut == len)
        return cJSON_AddStringToObject(obj, name, value) != NULL;
    copy = strndup(value, cut);
    item = copy ? cJSON_AddStringToObject(obj, name, copy) : NULL;
    free(copy);
    return item != NULL;
}

static int add_extra_info(cJSON *root, const kwa_extra_info_t *x)
{
    const char *const *s;
    const char *source;
    cJSON *obj;
    int ok = 1;

    if (x == NULL || (!x->ref && !x->ref1 && !x->ref2 && !x->wa_source))
        return 1;
    OK(ok, obj = cJSON_AddObjectToObject(root, "extra_info"));
    ok = ok && add_ref(obj, "ref", x->ref) && add_ref(obj, "ref1", x->ref1) &&
         add_ref(obj, "ref2", x->ref2);
    if (ok && x->wa_source != NULL) {
        source = "api";
        for (s = wa_sources; *s != NULL; s++)
            if (strcmp(*s, x->wa_source) == 0)
                source = *s;
        OK(ok, cJSON_AddStringToObject(obj, "wa_source", source));
    }
    return ok;
}

/* Creates {"messaging_object": {...}} with the envelope's members and
 * `type`; returns the root and sets *mo, or NULL on allocation failure. */
static cJSON *new_message(const kwa_envelope_t *env, const char *type, cJSON **mo)
{
    cJSON *root = cJSON_CreateObject();
    char *to = join_recipients(env);
    int ok = root != NULL && to != NULL;

    OK(ok, *mo = cJSON_AddObjectToObject(root, "messaging_object"));
    OK(ok, cJSON_AddStringToObject(*mo, "messaging_product", "whatsapp"));
    OK(ok, cJSON_AddStringToObject(*mo, "recipient_type", "individual"));
    OK(ok, cJSON_AddStringToObject(*mo, "to", to));
    OK(ok, cJSON_AddStringToObject(*mo, "type", type));
    ok = ok && add_extra_info(root, env->extra_info);
    free(to);
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static int add_text_object(cJSON *parent, const char *name, const char *text)
{
    cJSON *obj;
    int ok = 1;

    if (text == NULL)
        return 1;
    OK(ok, obj = cJSON_AddObjectToObject(parent, name));
    OK(ok, cJSON_AddStringToObject(obj, "text", text));
    return ok;
}

/* Adds "interactive": {type, header, body, footer, action: {name: type}}
 * and returns the action object, or NULL on allocation failure. */
static cJSON *add_interactive(cJSON *mo, const char *type, const kwa_frame_t *f)
{
    cJSON *inter, *header, *action = NULL;
    int ok = 1;

    OK(ok, inter = cJSON_AddObjectToObject(mo, "interactive"));
    OK(ok, cJSON_AddStringToObject(inter, "type", type));
    if (ok && f->header_object != NULL) {
        header = cJSON_Duplicate(f->header_object, 1);
        ok = header != NULL && cJSON_AddItemToObject(inter, "header", header);
        if (!ok)
            cJSON_Delete(header);
    } else if (ok && f->header != NULL) {
        OK(ok, header = cJSON_AddObjectToObject(inter, "header"));
        OK(ok, cJSON_AddStringToObject(header, "type", "text"));
        OK(ok, cJSON_AddStringToObject(header, "text", f->header));
    }
    ok = ok && add_text_object(inter, "body", f->body) &&
         add_text_object(inter, "footer", f->footer);
    OK(ok, action = cJSON_AddObjectToObject(inter, "action"));
    OK(ok, cJSON_AddStringToObject(action, "name", type));
    return ok ? action : NULL;
}

/* Prints root into req and deletes it. root may be NULL (allocation failed). */
static int finish(kwa_request_t *req, const kwa_config_t *cfg, const char *from,
                  cJSON *root, int ok, kwa_result_t *err)
{
    memset(req, 0, sizeof *req);
    if (ok && root != NULL) {
        req->body = cJSON_PrintUnformatted(root);
        req->url = url_for(cfg, from ? from : cfg->from, "messages");
    }
    cJSON_Delete(root);
    if (req->body == NULL || req->url == NULL) {
        kwa_request_free(req);
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    }
    req->body_len = strlen(req->body);
    req->method = "POST";
    req->answer = KWA_ANSWER_MESSAGE;
    if (req->body_len > KWA_MAX_REQUEST) {
        kwa_request_free(req);
        return kwa_fail(err, KWA_VALIDATION, "message",
                        "the message is longer than 1 MiB as JSON");
    }
    return 0;
}

int kwa_request_text(kwa_request_t *req, const kwa_config_t *cfg,
                     const kwa_text_t *m, kwa_result_t *err)
{
    cJSON *root, *mo = NULL, *text;
    int ok;

    if (kwa_check_envelope(err, cfg, &m->envelope) ||
        kwa_check_text(err, "body", m->body, 1, 4096))
        return -1;
    root = new_message(&m->envelope, "text", &mo);
    ok = root != NULL;
    OK(ok, text = cJSON_AddObjectToObject(mo, "text"));
    OK(ok, cJSON_AddBoolToObject(text, "preview_url", m->preview_url != 0));
    OK(ok, cJSON_AddStringToObject(text, "body", m->body));
    return finish(req, cfg, m->envelope.from, root, ok, err);
}

int kwa_request_cta_url(kwa_request_t *req, const kwa_config_t *cfg,
                        const kwa_cta_url_t *m, kwa_result_t *err)
{
    cJSON *root, *mo = NULL, *action = NULL, *params;
    int ok;

    if (kwa_check_envelope(err, cfg, &m->envelope) ||
        kwa_check_frame(err, &m->frame) ||
        kwa_check_text(err, "display_text", m->display_text, 1, 20) ||
        kwa_check_url(err, "url", m->url))
        return -1;
    root = new_message(&m->envelope, "interactive", &mo);
    ok = root != NULL;
    OK(ok, action = add_interactive(mo, "cta_url", &m->frame));
    OK(ok, params = cJSON_AddObjectToObject(action, "parameters"));
    OK(ok, cJSON_AddStringToObject(params, "display_text", m->display_text));
    OK(ok, cJSON_AddStringToObject(params, "url", m->url));
    return finish(req, cfg, m->envelope.from, root, ok, err);
}

int kwa_request_flow(kwa_request_t *req, const kwa_config_t *cfg,
                     const kwa_flow_t *m, kwa_result_t *err)
{
    cJSON *root, *mo = NULL, *action = NULL, *params = NULL;
    int ok;

    if (kwa_check_envelope(err, cfg, &m->envelope) ||
        kwa_check_frame(err, &m->frame) ||
        kwa_check_flow_parameters(err, m->parameters))
        return -1;
    root = new_message(&m->envelope, "interactive", &mo);
    ok = root != NULL;
    OK(ok, action = add_interactive(mo, "flow", &m->frame));
    OK(ok, params = cJSON_Duplicate(m->parameters, 1));
    if (ok && !cJSON_HasObjectItem(params, "flow_message_version"))
        OK(ok, cJSON_AddStringToObject(params, "flow_message_version", "3"));
    if (ok && cJSON_AddItemToObject(action, "parameters", params))
        params = NULL; /* root owns it now */
    else
        ok = 0;
    cJSON_Delete(params);
    return finish(req, cfg, m->envelope.from, root, ok, err);
}

int kwa_request_publish(kwa_request_t *req, const kwa_config_t *cfg,
                        const char *flow_id, kwa_result_t *err)
{
    if (kwa_check_flow_id(err, "flow_id", flow_id) != 0)
        return -1;
    memset(req, 0, sizeof *req);
    req->op = "publish";
    req->method = "POST";
    req->answer = KWA_ANSWER_SUCCESS;
    req->url = url_for(cfg, flow_id, "publish");
    req->body = strdup("");
    if (req->url == NULL || req->body == NULL) {
        kwa_request_free(req);
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    }
    return 0;
}

int kwa_request_raw(kwa_request_t *req, const kwa_config_t *cfg,
                    const kwa_raw_t *m, kwa_result_t *err)
{
    cJSON *root, *mo = NULL;
    int ok;

    if (kwa_check_raw(err, cfg, m) != 0)
        return -1;
    root = cJSON_CreateObject();
    ok = root != NULL;
    OK(ok, mo = cJSON_Duplicate(m->messaging_object, 1));
    if (ok && !cJSON_AddItemToObject(root, "messaging_object", mo)) {
        cJSON_Delete(mo);
        ok = 0;
    }
    if (ok && !cJSON_HasObjectItem(mo, "messaging_product"))
        OK(ok, cJSON_AddStringToObject(mo, "messaging_product", "whatsapp"));
    if (ok && !cJSON_HasObjectItem(mo, "recipient_type"))
        OK(ok, cJSON_AddStringToObject(mo, "recipient_type", "individual"));
    ok = ok && add_extra_info(root, m->extra_info);
    return finish(req, cfg, m->from, root, ok, err);
}

int kwa_request_build(kwa_request_t *req, const kwa_config_t *cfg,
                      const kwa_message_t *m, kwa_result_t *err)
{
    static const char *const names[] = {
        [KWA_MSG_TEXT] = "text", [KWA_MSG_CTA_URL] = "cta_url", [KWA_MSG_FLOW] = "flow",
        [KWA_MSG_PUBLISH] = "publish", [KWA_MSG_RAW] = "raw",
    };
    int rc;

    switch (m->type) {
    case KWA_MSG_TEXT:
        rc = kwa_request_text(req, cfg, &m->u.text, err);
        break;
    case KWA_MSG_CTA_URL:
        rc = kwa_request_cta_url(req, cfg, &m->u.cta_url, err);
        break;
    case KWA_MSG_FLOW:
        rc = kwa_request_flow(req, cfg, &m->u.flow, err);
        break;
    case KWA_MSG_PUBLISH:
        rc = kwa_request_publish(req, cfg, m->u.flow_id, err);
        break;
    case KWA_MSG_RAW:
        rc = kwa_request_raw(req, cfg, &m->u.raw, err);
        break;
    default:
        return kwa_fail(err, KWA_VALIDATION, "type", "unknown message type");
    }
    if (rc == 0)
        req->op = names[m->type];
    return rc;
}

void kwa_request_free(kwa_request_t *req)
{
    if (req == NULL)
        return;
    free(req->url);
    free(req->body);
    memset(req, 0, sizeof *req);
}
