/*
 * fuzz/fuzz_request.c - libFuzzer harness for request building: arbitrary
 * bytes become client options, message strings and cJSON passthrough
 * objects, and go through kwa_config_init() and kwa_request_build() for
 * every message type of the typed C API (text, cta_url, flow, publish,
 * raw) and, by name, for every operation of the registry (kwa_ops[]), so
 * a new operation is fuzzed without touching this file.
 *
 * Input: byte 0 picks the type: below 0x80, a typed struct (mod 5); from
 * 0x80, the registry's op (byte 0 - 0x80) mod the number of ops, whose
 * fields are the JSON field as an object. Byte 1 holds flags (below), and
 * the rest is split at NUL bytes into up to NFIELDS strings; a field past
 * the last NUL is absent (NULL). JSON fields are parsed with cJSON; text
 * that is not JSON becomes a JSON string, so the validators see every
 * shape.
 *
 * Checked on every input, besides "no crash, no leak, no UB":
 *   - a refusal is a validation (or config) error naming a field, with a
 *     message, and leaves nothing to free;
 *   - a built request's body is JSON that cJSON parses back, no longer
 *     than KWA_MAX_REQUEST, and carries the recipients and text given;
 *   - its URL is the base URL followed by /v2/<sid>/whatsapp/<segment>
 *     and the rest of the op's path (/messages, /publish, /flows, ...),
 *     where nothing but letters, digits and '+' can come from the input:
 *     no CR/LF, '?', '#', '%' or dot segments; a query (get_flow,
 *     list_flows) is ?fields= with percent-encoded text only.
 */
#define _DEFAULT_SOURCE /* strdup */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_op.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

enum { F_TO, F_BODY, F_HEADER, F_FOOTER, F_DISPLAY, F_URL, F_JSON, F_FROM,
       F_REF, F_REF1, F_REF2, F_SOURCE, F_SID, F_KEY, F_BASE, F_CFG_FROM,
       F_HEADER_JSON, NFIELDS };

#define FLAG_PREVIEW 1
#define FLAG_EXTRA 2
#define FLAG_HEADER_OBJECT 4
#define FLAG_OPTIONS 8  /* client options from the input, not the fixed ones */
#define FLAG_LIST 16    /* "to" split at commas into a list */

#define MAX_TO 64

static cJSON *json_field(const char *s)
{
    cJSON *j;

    if (s == NULL)
        return NULL;
    j = cJSON_Parse(s);
    return j != NULL ? j : cJSON_CreateString(s);
}

static int url_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c == '+' || c == '/' ||
           c == '_'; /* only in the ops' own tails: flows_encryption */
}

static int hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* The URL is the base, /v2/<sid>/whatsapp/<segment>, then what the op's
 * path has after its {placeholder} (up to any '?'): "/messages",
 * "/publish", "" ... A query, when the op's path has one, is
 * "?fields=" and percent-encoded text only. */
static void check_url(const kwa_config_t *cfg, const char *url, const kwa_opdef_t *op)
{
    size_t base = strlen(cfg->base_url), sid = strlen(cfg->sid), want_len;
    const char *p = url + base, *tail, *query, *want = strchr(op->path, '}') + 1;

    CHECK(strncmp(url, cfg->base_url, base) == 0);
    CHECK(strncmp(p, "/v2/", 4) == 0 && strncmp(p + 4, cfg->sid, sid) == 0);
    p += 4 + sid;
    CHECK(strncmp(p, "/whatsapp/", 10) == 0);
    p += 10;
    query = strchr(p, '?');
    if (query == NULL)
        query = p + strlen(p);
    tail = memchr(p, '/', (size_t)(query - p));
    if (tail == NULL)
        tail = query;
    CHECK(tail > p);
    want_len = strcspn(want, "?");
    CHECK((size_t)(query - tail) == want_len && strncmp(tail, want, want_len) == 0);
    for (p = url + base; p < query; p++)
        CHECK(url_char(*p));
    CHECK(strstr(url + base, "//") == NULL);
    if (*query == '\0')
        return;
    CHECK(strchr(op->path, '?') != NULL && strncmp(query, "?fields=", 8) == 0);
    for (p = query + 8; *p != '\0'; p++) {
        if (*p == '%') {
            CHECK(hex(p[1]) && hex(p[2]));
            p += 2;
        } else {
            CHECK((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL);
        }
    }
}

static void check_body(const kwa_request_t *req, const kwa_message_t *m, const char *to)
{
    cJSON *root, *mo, *item;

    CHECK(req->body != NULL && strlen(req->body) == req->body_len);
    CHECK(req->body_len <= KWA_MAX_REQUEST);
    CHECK(req->method != NULL && req->op != NULL && kwa_op_find(req->op) != NULL);
    if (m->type == KWA_MSG_OP) { /* any op: an empty body or a JSON object,
                                   unless it is a form or multipart */
        if (req->body_len > 0 && req->nparts == 0 && req->content_type == NULL) {
            root = cJSON_ParseWithLength(req->body, req->body_len);
            CHECK(cJSON_IsObject(root));
            cJSON_Delete(root);
        }
        return;
    }
    if (m->type == KWA_MSG_PUBLISH) {
        CHECK(req->body_len == 0);
        return;
    }
    root = cJSON_ParseWithLength(req->body, req->body_len);
    CHECK(root != NULL);
    mo = cJSON_GetObjectItemCaseSensitive(root, "messaging_object");
    CHECK(cJSON_IsObject(mo));
    item = cJSON_GetObjectItemCaseSensitive(mo, "to");
    CHECK(cJSON_IsString(item));
    if (to != NULL)
        CHECK(strcmp(item->valuestring, to) == 0);
    if (m->type == KWA_MSG_TEXT) {
        item = cJSON_GetObjectItemCaseSensitive(mo, "text");
        item = cJSON_GetObjectItemCaseSensitive(item, "body");
        CHECK(cJSON_IsString(item) && strcmp(item->valuestring, m->u.text.body) == 0);
    }
    cJSON_Delete(root);
}

static void check_refusal(const kwa_result_t *err, int config)
{
    CHECK(err->kind == (config ? KWA_CONFIG : KWA_VALIDATION) || err->kind == KWA_NOMEM);
    CHECK(err->kind == KWA_NOMEM || err->field[0] != '\0');
    CHECK(err->message[0] != '\0' && memchr(err->message, '\0', sizeof err->message) != NULL);
    CHECK(kwa_utf8_count(err->message, strlen(err->message)) >= 0);
    CHECK(err->body == NULL && err->raw == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *f[NFIELDS] = {0};
    const char *to[MAX_TO];
    char *buf, *p, *end, *list = NULL, *joined = NULL;
    size_t nto = 0, i, n;
    int flags;
    kwa_options_t o;
    kwa_config_t cfg;
    kwa_extra_info_t x;
    kwa_message_t m;
    kwa_request_t req;
    kwa_result_t err;
    cJSON *json = NULL, *header = NULL;

    if (size < 2)
        return 0;
    flags = data[1];
    buf = malloc(size - 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data + 2, size - 2);
    buf[size - 2] = '\0';
    end = buf + size - 2; /* the NUL added above ends the last field */
    for (p = buf, i = 0; i < NFIELDS && p <= end; i++) {
        f[i] = p;
        p += strlen(p) + 1;
    }

    memset(&o, 0, sizeof o);
    memset(&err, 0, sizeof err);
    if (flags & FLAG_OPTIONS) {
        o.sid = f[F_SID];
        o.api_key = f[F_KEY];
        o.base_url = f[F_BASE];
        o.from = f[F_CFG_FROM];
    } else {
        o.sid = "HXAP16XXXXXX97IN";
        o.api_key = "A0000000000000000000000000000003";
        o.base_url = "https://api.in.kaleyra.io/";
        o.from = "+918000000001";
    }
    if (kwa_config_init(&cfg, &o, &err) != 0) {
        check_refusal(&err, 1);
        free(buf);
        return 0;
    }
    CHECK(strpbrk(cfg.base_url, "?#%\r\n ") == NULL);
    CHECK(strpbrk(cfg.api_key, "\r\n /?#%") == NULL);

    if (f[F_TO] != NULL && (flags & FLAG_LIST)) {
        list = strdup(f[F_TO]);
        for (p = list; p != NULL && nto < MAX_TO; nto++) {
            to[nto] = p;
            p = strchr(p, ',');
            if (p != NULL)
                *p++ = '\0';
        }
    } else if (f[F_TO] != NULL) {
        to[nto++] = f[F_TO];
    }
    memset(&x, 0, sizeof x);
    x.ref = f[F_REF];
    x.ref1 = f[F_REF1];
    x.ref2 = f[F_REF2];
    x.wa_source = f[F_SOURCE];
    json = json_field(f[F_JSON]);
    if (flags & FLAG_HEADER_OBJECT)
        header = json_field(f[F_HEADER_JSON]);

    memset(&m, 0, sizeof m);
    m.type = data[0] >= 0x80 ? KWA_MSG_OP : (kwa_message_type_t)(data[0] % 5);
    switch (m.type) {
    case KWA_MSG_OP:
        for (n = 0; kwa_ops[n] != NULL; n++)
            ;
        m.u.op.name = kwa_ops[(size_t)(data[0] - 0x80) % n]->name;
        m.u.op.fields = json;
        break;
    case KWA_MSG_TEXT:
        m.u.text.envelope.to = nto ? to : NULL;
        m.u.text.envelope.to_count = nto;
        m.u.text.envelope.from = f[F_FROM];
        m.u.text.envelope.extra_info = (flags & FLAG_EXTRA) ? &x : NULL;
        m.u.text.body = f[F_BODY];
        m.u.text.preview_url = flags & FLAG_PREVIEW;
        break;
    case KWA_MSG_CTA_URL:
    case KWA_MSG_FLOW: {
        kwa_envelope_t *env = m.type == KWA_MSG_FLOW ? &m.u.flow.envelope : &m.u.cta_url.envelope;
        kwa_frame_t *fr = m.type == KWA_MSG_FLOW ? &m.u.flow.frame : &m.u.cta_url.frame;
        env->to = nto ? to : NULL;
        env->to_count = nto;
        env->from = f[F_FROM];
        env->extra_info = (flags & FLAG_EXTRA) ? &x : NULL;
        fr->header = (flags & FLAG_HEADER_OBJECT) ? NULL : f[F_HEADER];
        fr->header_object = header;
        fr->body = f[F_BODY];
        fr->footer = f[F_FOOTER];
        if (m.type == KWA_MSG_FLOW) {
            m.u.flow.parameters = json;
        } else {
            m.u.cta_url.display_text = f[F_DISPLAY];
            m.u.cta_url.url = f[F_URL];
        }
        break;
    }
    case KWA_MSG_PUBLISH:
        m.u.flow_id = f[F_BODY];
        break;
    case KWA_MSG_RAW:
        m.u.raw.from = f[F_FROM];
        m.u.raw.extra_info = (flags & FLAG_EXTRA) ? &x : NULL;
        m.u.raw.messaging_object = json;
        break;
    default:
        break;
    }

    if (kwa_request_build(&req, &cfg, &m, &err) == 0) {
        if (m.type != KWA_MSG_RAW && m.type != KWA_MSG_PUBLISH && m.type != KWA_MSG_OP) {
            for (i = 0, n = 1; i < nto; i++)
                n += strlen(to[i]) + 1;
            joined = malloc(n);
            if (joined != NULL) {
                joined[0] = '\0';
                for (i = 0; i < nto; i++) {
                    if (i > 0)
                        strcat(joined, ",");
                    strcat(joined, to[i]);
                }
            }
        }
        check_url(&cfg, req.url, kwa_op_find(req.op));
        check_body(&req, &m, joined);
        kwa_request_free(&req);
        CHECK(req.url == NULL && req.body == NULL);
    } else {
        check_refusal(&err, 0);
    }
    free(joined);
    kwa_result_free(&err);
    cJSON_Delete(json);
    cJSON_Delete(header);
    free(list);
    kwa_config_free(&cfg);
    free(buf);
    return 0;
}
