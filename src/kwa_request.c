/*
 * kwa_request.c - the pieces every operation's builder shares: the URL,
 * Kaleyra's envelope {"messaging_object": {...}, "extra_info": {...}},
 * the interactive frame, finishing a request; and the typed C API's
 * messages (kwa_message_t) turned into registry calls.
 *
 * Bodies are written in order by a kwa_writer_t (no tree): the request
 * takes the writer's buffer as its body. Passthrough objects are printed
 * by cJSON into that buffer, never modified. A message sent from the
 * client's own number borrows the config's messages URL; other URLs are
 * the request's own (url_owned).
 */
#define _DEFAULT_SOURCE /* strdup */
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

/* ---- starting, the envelope, the shared parts ---- */

void kwa_build_begin(kwa_writer_t *w, const kwa_field_t *fields, const kwa_args_t *a)
{
    size_t n = 192, i; /* the envelope's own text */
    const kwa_value_t *v;

    for (i = 0; fields[i].name != NULL; i++) {
        v = &a->v[i];
        if (!v->present)
            continue;
        switch (fields[i].type) {
        case KWA_FT_STRING:
            n += (v->str != NULL ? strlen(v->str) : 0) + 24;
            break;
        case KWA_FT_TEXT_OR_TABLE:
            n += v->str != NULL ? strlen(v->str) + 24 : 256;
            break;
        case KWA_FT_PHONES:
            n += v->count * 17;
            break;
        case KWA_FT_EXTRA:
            n += 64 + (v->extra.ref ? strlen(v->extra.ref) : 0) +
                 (v->extra.ref1 ? strlen(v->extra.ref1) : 0) +
                 (v->extra.ref2 ? strlen(v->extra.ref2) : 0);
            break;
        case KWA_FT_TABLE:
        case KWA_FT_LIST:
        case KWA_FT_STRINGS:
            n += 256;
            break;
        default: /* FROM (in the URL), BOOL, NUMBER, BYTES (never JSON) */
            n += 32;
        }
    }
    kwa_writer_init(w, n);
}

void kwa_build_envelope(kwa_writer_t *w)
{
    kwa_writer_object(w);
    KWA_WKEY(w, "messaging_object");
    kwa_writer_object(w);
}

void kwa_build_message(kwa_writer_t *w, const kwa_value_t *to, const kwa_value_t *reply_to,
                       const char *type)
{
    kwa_build_envelope(w);
    KWA_WPAIR(w, "messaging_product", "whatsapp");
    KWA_WPAIR(w, "recipient_type", "individual");
    KWA_WKEY(w, "to");
    kwa_writer_joined(w, to->list, to->count, ',');
    if (reply_to != NULL && reply_to->present && reply_to->str != NULL) {
        KWA_WKEY(w, "context");
        kwa_writer_object(w);
        KWA_WSTR(w, "message_id", reply_to->str);
        kwa_writer_end(w);
    }
    KWA_WSTR(w, "type", type);
}

void kwa_build_copy(kwa_writer_t *w, const char *name, const kwa_value_t *v)
{
    if (v == NULL || !v->present || v->json == NULL)
        return;
    kwa_writer_key(w, name);
    kwa_writer_json(w, v->json);
}

static void text_object(kwa_writer_t *w, const char *name, const char *text)
{
    if (text == NULL)
        return;
    kwa_writer_key(w, name);
    kwa_writer_object(w);
    KWA_WSTR(w, "text", text);
    kwa_writer_end(w);
}

void kwa_build_interactive(kwa_writer_t *w, const char *type, const kwa_value_t *h,
                           const char *body, const char *footer, int named)
{
    KWA_WKEY(w, "interactive");
    kwa_writer_object(w);
    KWA_WSTR(w, "type", type);
    if (h->json != NULL) {
        KWA_WKEY(w, "header");
        kwa_writer_json(w, h->json);
    } else if (h->str != NULL) {
        KWA_WKEY(w, "header");
        kwa_writer_object(w);
        KWA_WPAIR(w, "type", "text");
        KWA_WSTR(w, "text", h->str);
        kwa_writer_end(w);
    }
    text_object(w, "body", body);
    text_object(w, "footer", footer);
    KWA_WKEY(w, "action");
    kwa_writer_object(w);
    if (named)
        KWA_WSTR(w, "name", type);
}

/* A ref cut at REF_MAX characters, as the service cuts it. */
static void write_ref(kwa_writer_t *w, const char *value)
{
    size_t len = strlen(value);

    kwa_writer_string_n(w, value, len <= REF_MAX ? len : kwa_utf8_prefix(value, len, REF_MAX));
}

static void write_extra_info(kwa_writer_t *w, const kwa_value_t *v)
{
    const kwa_extra_info_t *x;
    const char *const *s;
    const char *source;

    if (v == NULL || !v->present)
        return;
    x = &v->extra;
    if (!x->ref && !x->ref1 && !x->ref2 && !x->wa_source)
        return;
    KWA_WKEY(w, "extra_info");
    kwa_writer_object(w);
    if (x->ref != NULL) {
        KWA_WKEY(w, "ref");
        write_ref(w, x->ref);
    }
    if (x->ref1 != NULL) {
        KWA_WKEY(w, "ref1");
        write_ref(w, x->ref1);
    }
    if (x->ref2 != NULL) {
        KWA_WKEY(w, "ref2");
        write_ref(w, x->ref2);
    }
    if (x->wa_source != NULL) {
        source = "api";
        for (s = wa_sources; *s != NULL; s++)
            if (strcmp(*s, x->wa_source) == 0) {
                source = *s;
                break;
            }
        KWA_WSTR(w, "wa_source", source);
    }
    kwa_writer_end(w);
}

/* ---- finishing: the body and the URL ---- */

int kwa_build_body(kwa_request_t *req, kwa_writer_t *w, const char *field,
                   const char *too_long, kwa_result_t *err)
{
    size_t len = 0;
    char *body = kwa_writer_take(w, &len);

    if (body != NULL) {
        req->body = body;
        req->body_len = len;
        return 0;
    }
    switch (w->error) {
    case KWA_WRITER_TOO_LONG:
        return kwa_fail(err, KWA_VALIDATION, field, "%s", too_long);
    case KWA_WRITER_UTF8:
        return kwa_fail(err, KWA_VALIDATION, "message",
                        "the message holds text that is not valid UTF-8");
    case KWA_WRITER_DEPTH:
        return kwa_fail(err, KWA_VALIDATION, "message", "the message nests deeper than %d levels",
                        KWA_MAX_DEPTH);
    default: /* NOMEM, or a passthrough tree cJSON cannot print */
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    }
}

static int out_of_memory(kwa_request_t *req, kwa_result_t *err)
{
    kwa_request_free(req);
    return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
}

int kwa_build_finish(kwa_request_t *req, const kwa_config_t *cfg, const char *from,
                     kwa_writer_t *w, const kwa_value_t *extra, kwa_result_t *err)
{
    kwa_writer_close_to(w, 1); /* the messaging_object and what is in it */
    write_extra_info(w, extra);
    kwa_writer_end(w);
    memset(req, 0, sizeof *req);
    if (kwa_build_body(req, w, "message", "the message is longer than 1 MiB as JSON", err) != 0)
        return -1;
    req->method = "POST";
    req->answer = KWA_ANSWER_MESSAGE;
    if (cfg->messages_url != NULL && (from == NULL || strcmp(from, cfg->from) == 0)) {
        req->url = cfg->messages_url;
        return 0;
    }
    req->url = req->url_owned = kwa_config_url(cfg, from ? from : cfg->from, "messages");
    return req->url != NULL ? 0 : out_of_memory(req, err);
}

int kwa_build_post(kwa_request_t *req, const kwa_config_t *cfg, const char *segment,
                   const char *tail, kwa_answer_t answer, kwa_result_t *err)
{
    memset(req, 0, sizeof *req);
    req->method = "POST";
    req->answer = answer;
    req->url = req->url_owned = kwa_config_url(cfg, segment, tail);
    req->body = strdup("");
    return req->url != NULL && req->body != NULL ? 0 : out_of_memory(req, err);
}

int kwa_build_upload(kwa_request_t *req, const kwa_config_t *cfg, const char *from,
                     kwa_result_t *err)
{
    return kwa_build_post(req, cfg, from ? from : cfg->from, "media", KWA_ANSWER_MEDIA, err);
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
                   const cJSON *list, kwa_writer_t *w, kwa_answer_t answer,
                   kwa_result_t *err)
{
    char *url;

    memset(req, 0, sizeof *req);
    req->method = method;
    req->answer = answer;
    if (w != NULL) {
        if (kwa_build_body(req, w, "message", "the request is longer than 1 MiB", err) != 0)
            return -1;
    } else if ((req->body = strdup("")) == NULL) {
        return out_of_memory(req, err);
    }
    url = kwa_config_url(cfg, segment, tail ? tail : "");
    if (url != NULL && tail == NULL)
        url[strlen(url) - 1] = '\0'; /* no trailing slash */
    if (url != NULL && qname != NULL && list != NULL)
        url = with_query(url, qname, list);
    req->url = req->url_owned = url;
    return url != NULL ? 0 : out_of_memory(req, err);
}

/* ---- the typed C API (kwa.h): each struct read into the op's fields ---- */

/* The ops of the typed structs (src/ops/), without a lookup by name. */
extern const kwa_opdef_t kwa_op_text, kwa_op_cta_url, kwa_op_flow, kwa_op_publish, kwa_op_raw;

void kwa_args_string(kwa_value_t *v, const char *s)
{
    v->present = s != NULL;
    v->str = s;
}

void kwa_args_json(kwa_value_t *v, const cJSON *json)
{
    v->present = json != NULL;
    v->json = json;
}

void kwa_args_extra(kwa_value_t *v, const kwa_extra_info_t *x)
{
    if (x != NULL) {
        v->present = 1;
        v->extra = *x;
    }
}

void kwa_args_envelope(kwa_args_t *a, int to, int from, int extra, const kwa_envelope_t *env)
{
    a->v[to].present = env->to != NULL && env->to_count > 0;
    a->v[to].list = env->to;
    a->v[to].count = env->to_count;
    kwa_args_string(&a->v[from], env->from);
    kwa_args_extra(&a->v[extra], env->extra_info);
}

void kwa_args_frame(kwa_args_t *a, int header, int body, int footer, const kwa_frame_t *f)
{
    kwa_value_t *h = &a->v[header];

    h->present = f->header != NULL || f->header_object != NULL;
    h->str = f->header;
    h->json = f->header_object;
    kwa_args_string(&a->v[body], f->body);
    kwa_args_string(&a->v[footer], f->footer);
}

int kwa_request_build(kwa_request_t *req, const kwa_config_t *cfg,
                      const kwa_message_t *m, kwa_result_t *err)
{
    kwa_args_t a;
    const kwa_opdef_t *op;
    size_t n;
    int rc;

    switch (m->type) {
    case KWA_MSG_TEXT:
        op = &kwa_op_text;
        break;
    case KWA_MSG_CTA_URL:
        op = &kwa_op_cta_url;
        break;
    case KWA_MSG_FLOW:
        op = &kwa_op_flow;
        break;
    case KWA_MSG_PUBLISH:
        op = &kwa_op_publish;
        break;
    case KWA_MSG_RAW:
        op = &kwa_op_raw;
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
    for (n = 0; op->fields[n].name != NULL; n++) /* only the op's fields are read */
        ;
    memset(a.v, 0, n * sizeof a.v[0]);
    a.owned = NULL;
    op->typed(&a, m);
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
    if (req->url_owned != NULL) /* url itself may be the config's */
        free(req->url_owned);
    if (req->body != NULL) /* NULL: most calls free an empty request */
        free(req->body);
    /* every field but parts[], which nothing reads past nparts: it is
     * most of the struct, and this runs several times per message */
    req->op = NULL;
    req->method = NULL;
    req->answer = KWA_ANSWER_MESSAGE;
    req->url = NULL;
    req->url_owned = NULL;
    req->body = NULL;
    req->body_len = 0;
    req->content_type = NULL;
    req->nparts = 0;
}
