/*
 * kwa_request.c - the pieces every operation's builder shares: the URL,
 * Kaleyra's envelope {"messaging_object": {...}, "extra_info": {...}},
 * the interactive frame, printing; and the typed C API's messages
 * (kwa_message_t) turned into registry calls.
 *
 * Memory: the cJSON tree is temporary; the request owns the printed body
 * and the URL. Passthrough objects are duplicated, never modified.
 */
#define _DEFAULT_SOURCE /* strndup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_op.h"

#define REF_MAX 255 /* the service cuts refs at 255 characters; so do we */

static const char *const wa_sources[] = {
    "api", "clevertap", "zoho", "webengage", "shopify", "leadsquared",
    "responsys", "braze", "hubspot", "salesforce", "zapier", "eloqua",
    "moengage", NULL,
};

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

static char *join_recipients(const kwa_value_t *to)
{
    size_t i, n = 1;
    char *s, *p;

    for (i = 0; i < to->count; i++)
        n += strlen(to->list[i]) + 1;
    s = p = malloc(n);
    if (s == NULL)
        return NULL;
    for (i = 0; i < to->count; i++) {
        size_t len = strlen(to->list[i]);
        if (i > 0)
            *p++ = ',';
        memcpy(p, to->list[i], len);
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

static int add_extra_info(cJSON *root, const kwa_value_t *v)
{
    const kwa_extra_info_t *x;
    const char *const *s;
    const char *source;
    cJSON *obj;
    int ok = 1;

    if (v == NULL || !v->present)
        return 1;
    x = &v->extra;
    if (!x->ref && !x->ref1 && !x->ref2 && !x->wa_source)
        return 1;
    KWA_OK(ok, obj = cJSON_AddObjectToObject(root, "extra_info"));
    ok = ok && add_ref(obj, "ref", x->ref) && add_ref(obj, "ref1", x->ref1) &&
         add_ref(obj, "ref2", x->ref2);
    if (ok && x->wa_source != NULL) {
        source = "api";
        for (s = wa_sources; *s != NULL; s++)
            if (strcmp(*s, x->wa_source) == 0)
                source = *s;
        KWA_OK(ok, cJSON_AddStringToObject(obj, "wa_source", source));
    }
    return ok;
}

cJSON *kwa_build_envelope(const kwa_value_t *extra, cJSON **mo)
{
    cJSON *root = cJSON_CreateObject();
    int ok = root != NULL;

    KWA_OK(ok, *mo = cJSON_AddObjectToObject(root, "messaging_object"));
    ok = ok && add_extra_info(root, extra);
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

cJSON *kwa_build_message(const kwa_value_t *to, const kwa_value_t *reply_to,
                         const kwa_value_t *extra, const char *type, cJSON **mo)
{
    cJSON *root = kwa_build_envelope(extra, mo);
    char *list = join_recipients(to);
    int ok = root != NULL && list != NULL;
    cJSON *context;

    KWA_OK(ok, cJSON_AddStringToObject(*mo, "messaging_product", "whatsapp"));
    KWA_OK(ok, cJSON_AddStringToObject(*mo, "recipient_type", "individual"));
    KWA_OK(ok, cJSON_AddStringToObject(*mo, "to", list));
    if (ok && reply_to != NULL && reply_to->present && reply_to->str != NULL) {
        KWA_OK(ok, context = cJSON_AddObjectToObject(*mo, "context"));
        KWA_OK(ok, cJSON_AddStringToObject(context, "message_id", reply_to->str));
    }
    KWA_OK(ok, cJSON_AddStringToObject(*mo, "type", type));
    free(list);
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int kwa_build_copy(cJSON *obj, const char *name, const kwa_value_t *v)
{
    cJSON *copy;

    if (v == NULL || !v->present || v->json == NULL)
        return 1;
    copy = cJSON_Duplicate(v->json, 1);
    if (copy != NULL && cJSON_AddItemToObject(obj, name, copy))
        return 1;
    cJSON_Delete(copy);
    return 0;
}

static int add_text_object(cJSON *parent, const char *name, const char *text)
{
    cJSON *obj;
    int ok = 1;

    if (text == NULL)
        return 1;
    KWA_OK(ok, obj = cJSON_AddObjectToObject(parent, name));
    KWA_OK(ok, cJSON_AddStringToObject(obj, "text", text));
    return ok;
}

cJSON *kwa_build_interactive(cJSON *mo, const char *type, const kwa_value_t *h,
                             const char *body, const char *footer)
{
    cJSON *inter, *header, *action = NULL;
    int ok = 1;

    KWA_OK(ok, inter = cJSON_AddObjectToObject(mo, "interactive"));
    KWA_OK(ok, cJSON_AddStringToObject(inter, "type", type));
    if (ok && h->json != NULL) {
        header = cJSON_Duplicate(h->json, 1);
        ok = header != NULL && cJSON_AddItemToObject(inter, "header", header);
        if (!ok)
            cJSON_Delete(header);
    } else if (ok && h->str != NULL) {
        KWA_OK(ok, header = cJSON_AddObjectToObject(inter, "header"));
        KWA_OK(ok, cJSON_AddStringToObject(header, "type", "text"));
        KWA_OK(ok, cJSON_AddStringToObject(header, "text", h->str));
    }
    ok = ok && add_text_object(inter, "body", body) &&
         add_text_object(inter, "footer", footer);
    KWA_OK(ok, action = cJSON_AddObjectToObject(inter, "action"));
    KWA_OK(ok, cJSON_AddStringToObject(action, "name", type));
    return ok ? action : NULL;
}

int kwa_build_finish(kwa_request_t *req, const kwa_config_t *cfg, const char *from,
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

int kwa_build_post(kwa_request_t *req, const kwa_config_t *cfg, const char *segment,
                   const char *tail, kwa_answer_t answer, kwa_result_t *err)
{
    memset(req, 0, sizeof *req);
    req->method = "POST";
    req->answer = answer;
    req->url = url_for(cfg, segment, tail);
    req->body = strdup("");
    if (req->url == NULL || req->body == NULL) {
        kwa_request_free(req);
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    }
    return 0;
}

int kwa_build_upload(kwa_request_t *req, const kwa_config_t *cfg, const char *from,
                     kwa_result_t *err)
{
    memset(req, 0, sizeof *req);
    req->method = "POST";
    req->answer = KWA_ANSWER_MEDIA;
    req->url = url_for(cfg, from ? from : cfg->from, "media");
    req->body = strdup("");
    if (req->url == NULL || req->body == NULL) {
        kwa_request_free(req);
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    }
    return 0;
}

char *kwa_url_encode(const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(len * 3 + 1), *p = out;
    size_t i;

    if (out == NULL)
        return NULL;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    *p = '\0';
    return out;
}

/* url + "?" + qname + "=" + the list's strings joined by "," and encoded
 * (a comma becomes %2C: the docs' %252C is a double encoding). */
static char *with_query(char *url, const char *qname, const cJSON *list)
{
    const cJSON *item;
    size_t n = strlen(url) + strlen(qname) + 3, len = 0;
    char *joined, *enc, *out;

    cJSON_ArrayForEach(item, list)
        len += strlen(item->valuestring) + 1;
    if (len == 0)
        return url;
    joined = malloc(len);
    if (joined == NULL) {
        free(url);
        return NULL;
    }
    joined[0] = '\0';
    cJSON_ArrayForEach(item, list) {
        if (joined[0] != '\0')
            strcat(joined, ",");
        strcat(joined, item->valuestring);
    }
    enc = kwa_url_encode(joined, strlen(joined));
    free(joined);
    out = enc ? malloc(n + strlen(enc)) : NULL;
    if (out != NULL)
        snprintf(out, n + strlen(enc), "%s?%s=%s", url, qname, enc);
    free(enc);
    free(url);
    return out;
}

int kwa_build_call(kwa_request_t *req, const kwa_config_t *cfg, const char *method,
                   const char *segment, const char *tail, const char *qname,
                   const cJSON *list, cJSON *root, int ok, kwa_answer_t answer,
                   kwa_result_t *err)
{
    memset(req, 0, sizeof *req);
    req->method = method;
    req->answer = answer;
    if (ok) {
        req->body = root != NULL ? cJSON_PrintUnformatted(root) : strdup("");
        req->url = url_for(cfg, segment, tail ? tail : "");
        if (req->url != NULL && tail == NULL)
            req->url[strlen(req->url) - 1] = '\0'; /* no trailing slash */
        if (req->url != NULL && qname != NULL && list != NULL)
            req->url = with_query(req->url, qname, list);
    }
    cJSON_Delete(root);
    if (req->body == NULL || req->url == NULL) {
        kwa_request_free(req);
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    }
    req->body_len = strlen(req->body);
    if (req->body_len > KWA_MAX_REQUEST) {
        kwa_request_free(req);
        return kwa_fail(err, KWA_VALIDATION, "message", "the request is longer than 1 MiB");
    }
    return 0;
}

/* ---- the typed C API (kwa.h): each struct read into the op's fields ---- */

static void set_string(kwa_value_t *v, const char *s)
{
    v->present = s != NULL;
    v->str = s;
}

static void set_envelope(kwa_args_t *a, const kwa_opdef_t *op, const kwa_envelope_t *env)
{
    kwa_value_t *to = &a->v[kwa_op_field(op, "to")];
    kwa_value_t *x = &a->v[kwa_op_field(op, "extra_info")];

    to->present = env->to != NULL && env->to_count > 0;
    to->list = env->to;
    to->count = env->to_count;
    set_string(&a->v[kwa_op_field(op, "from")], env->from);
    if (env->extra_info != NULL) {
        x->present = 1;
        x->extra = *env->extra_info;
    }
}

static void set_frame(kwa_args_t *a, const kwa_opdef_t *op, const kwa_frame_t *f)
{
    kwa_value_t *h = &a->v[kwa_op_field(op, "header")];

    h->present = f->header != NULL || f->header_object != NULL;
    h->str = f->header;
    h->json = f->header_object;
    set_string(&a->v[kwa_op_field(op, "body")], f->body);
    set_string(&a->v[kwa_op_field(op, "footer")], f->footer);
}

static void set_json(kwa_value_t *v, const cJSON *json)
{
    v->present = json != NULL;
    v->json = json;
}

int kwa_request_build(kwa_request_t *req, const kwa_config_t *cfg,
                      const kwa_message_t *m, kwa_result_t *err)
{
    kwa_args_t a;
    const kwa_opdef_t *op = NULL;
    int rc;

    memset(&a, 0, sizeof a);
    switch (m->type) {
    case KWA_MSG_TEXT:
        op = kwa_op_find("text");
        set_envelope(&a, op, &m->u.text.envelope);
        set_string(&a.v[kwa_op_field(op, "body")], m->u.text.body);
        a.v[kwa_op_field(op, "preview_url")].present = 1;
        a.v[kwa_op_field(op, "preview_url")].boolean = m->u.text.preview_url != 0;
        break;
    case KWA_MSG_CTA_URL:
        op = kwa_op_find("cta_url");
        set_envelope(&a, op, &m->u.cta_url.envelope);
        set_frame(&a, op, &m->u.cta_url.frame);
        set_string(&a.v[kwa_op_field(op, "display_text")], m->u.cta_url.display_text);
        set_string(&a.v[kwa_op_field(op, "url")], m->u.cta_url.url);
        break;
    case KWA_MSG_FLOW:
        op = kwa_op_find("flow");
        set_envelope(&a, op, &m->u.flow.envelope);
        set_frame(&a, op, &m->u.flow.frame);
        set_json(&a.v[kwa_op_field(op, "flow")], m->u.flow.parameters);
        break;
    case KWA_MSG_PUBLISH:
        op = kwa_op_find("publish");
        set_string(&a.v[kwa_op_field(op, "flow_id")], m->u.flow_id);
        break;
    case KWA_MSG_RAW:
        op = kwa_op_find("raw");
        set_json(&a.v[kwa_op_field(op, "messaging_object")], m->u.raw.messaging_object);
        set_string(&a.v[kwa_op_field(op, "from")], m->u.raw.from);
        if (m->u.raw.extra_info != NULL) {
            a.v[kwa_op_field(op, "extra_info")].present = 1;
            a.v[kwa_op_field(op, "extra_info")].extra = *m->u.raw.extra_info;
        }
        break;
    case KWA_MSG_OP:
        op = kwa_op_find(m->u.op.name ? m->u.op.name : "");
        if (op == NULL)
            return kwa_fail(err, KWA_VALIDATION, "op", "unknown operation");
        rc = kwa_args_from_json(&a, op, m->u.op.fields, err);
        if (rc == 0)
            rc = kwa_op_build(req, cfg, op, &a, err);
        kwa_args_release(&a);
        return rc;
    case KWA_MSG_ARGS:
        return kwa_op_build(req, cfg, m->u.args.def, m->u.args.args, err);
    default:
        return kwa_fail(err, KWA_VALIDATION, "type", "unknown message type");
    }
    return kwa_op_build(req, cfg, op, &a, err);
}

void kwa_request_free(kwa_request_t *req)
{
    size_t i;

    if (req == NULL)
        return;
    for (i = 0; i < req->nparts && i < KWA_MAX_PARTS; i++) {
        free(req->parts[i].path);
        free(req->parts[i].copy); /* data is static or the body otherwise */
        free(req->parts[i].filename);
        free(req->parts[i].type);
    }
    free(req->url);
    free(req->body);
    memset(req, 0, sizeof *req);
}
