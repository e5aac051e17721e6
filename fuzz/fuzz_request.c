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
 *     than KWA_MAX_REQUEST, and is byte for byte what cJSON prints for
 *     what it parsed (the body writer, kwa_writer.c, matches cJSON);
 *   - every field a registry op's message gives is in the request where
 *     the op puts it (places[] below: the path in the body, or the URL;
 *     extra_info refs cut at 255 characters; to joined by commas), and a
 *     field with no row is at least found in the body or the URL; the
 *     typed structs' recipients and text likewise;
 *   - its URL is the base URL followed by /v2/<sid>/whatsapp/<segment>
 *     and the rest of the op's path (/messages, /publish, /flows, ...),
 *     where nothing but letters, digits and '+' can come from the input:
 *     no CR/LF, '?', '#', '%' or dot segments; a query (get_flow,
 *     list_flows) is ?fields= with percent-encoded text only.
 */
#define _DEFAULT_SOURCE /* strdup */
#include <float.h>
#include <math.h>
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

/* ---- what a registry op's body holds: each field of the message where
 * the op puts it ---- */

/* Where a field's value lands in the body, as member names and array
 * indexes ("messaging_object.interactive.action.buttons"); "" when it is
 * in the URL; "~" when the op rewrites it (each string in it must still
 * be a string somewhere in the body). A field with no row is looked for
 * anywhere (a string: in the body or the URL; a tree: its strings in the
 * body), so a new op is checked without a row. */
static const struct {
    const char *op, *field, *path;
} places[] = {
    {"*", "reply_to", "messaging_object.context.message_id"},
    {"*", "flow_id", ""},
    {"*", "waba_id", ""},
    {"*", "from", ""},
    {"text", "body", "messaging_object.text.body"},
    {"*", "header", "messaging_object.interactive.header"},
    {"*", "body", "messaging_object.interactive.body.text"},
    {"*", "footer", "messaging_object.interactive.footer.text"},
    {"cta_url", "display_text", "messaging_object.interactive.action.parameters.display_text"},
    {"cta_url", "url", "messaging_object.interactive.action.parameters.url"},
    {"flow", "flow", "messaging_object.interactive.action.parameters"},
    {"raw", "messaging_object", "messaging_object"},
    {"mark_read", "message_id", "messaging_object.message_id"},
    {"location", "latitude", "messaging_object.location.latitude"},
    {"location", "longitude", "messaging_object.location.longitude"},
    {"location", "name", "messaging_object.location.name"},
    {"location", "address", "messaging_object.location.address"},
    {"reaction", "message_id", "messaging_object.reaction.message_id"},
    {"reaction", "emoji", "messaging_object.reaction.emoji"},
    {"media", "type", "messaging_object.type"},
    {"buttons", "buttons", "~"},
    {"list", "button", "messaging_object.interactive.action.button"},
    {"list", "sections", "messaging_object.interactive.action.sections"},
    {"template", "name", "messaging_object.template.name"},
    {"template", "language", "messaging_object.template.language.code"},
    {"template", "header", "~"},
    {"template", "body", "~"},
    {"template", "buttons", "~"},
    {"template", "components", "messaging_object.template.components"},
    {"create_flow", "name", "name"},
    {"create_flow", "categories", "categories"},
    {"create_flow", "clone_flow_id", "clone_flow_id"},
    {"create_flow", "endpoint_uri", "endpoint_uri"},
    {"update_flow", "name", "name"},
    {"update_flow", "categories", "categories"},
    {"update_flow", "endpoint_uri", "endpoint_uri"},
    {"get_flow", "fields", ""},
    {"list_flows", "fields", ""},
};

/* The op's own row, else a "*" row, else NULL. */
static const char *place_of(const char *op, const char *field)
{
    const char *any = NULL;
    size_t i;

    for (i = 0; i < sizeof places / sizeof places[0]; i++) {
        if (strcmp(places[i].field, field) != 0)
            continue;
        if (strcmp(places[i].op, op) == 0)
            return places[i].path;
        if (strcmp(places[i].op, "*") == 0)
            any = places[i].path;
    }
    return any;
}

/* The node at a dotted path of member names (digits: an array index). */
static const cJSON *at(const cJSON *node, const char *path)
{
    char name[64];
    size_t n;

    while (node != NULL && *path != '\0') {
        n = strcspn(path, ".");
        CHECK(n < sizeof name);
        memcpy(name, path, n);
        name[n] = '\0';
        node = cJSON_IsArray(node) ? cJSON_GetArrayItem(node, atoi(name))
                                   : cJSON_GetObjectItemCaseSensitive(node, name);
        path += n + (path[n] == '.');
    }
    return node;
}

/* Is s a string value somewhere in tree? */
static int has_string(const cJSON *tree, const char *s)
{
    const cJSON *c;

    if (cJSON_IsString(tree) && strcmp(tree->valuestring, s) == 0)
        return 1;
    cJSON_ArrayForEach(c, tree)
        if (has_string(c, s))
            return 1;
    return 0;
}

/* Every string in given (keys aside) is a string somewhere in body. Of
 * members with the same name only the first counts: the builders that
 * rewrite a tree read members by name, which finds the first. */
static int strings_in(const cJSON *body, const cJSON *given)
{
    const cJSON *c;

    if (cJSON_IsString(given))
        return has_string(body, given->valuestring);
    cJSON_ArrayForEach(c, given)
        if ((!cJSON_IsObject(given) || cJSON_GetObjectItemCaseSensitive(given, c->string) == c) &&
            !strings_in(body, c))
            return 0;
    return 1;
}

/* A number printed by cJSON reads back within its rounding. */
static int near(double a, double b)
{
    return a == b || fabs(a - b) <= fabs(b) * 4 * DBL_EPSILON;
}

/* got holds given: the same tree member by member, in order (cJSON_Compare
 * looks members up by name, which repeated names defeat); got may have
 * more members after given's (what the op adds) when more is set. */
static int holds_tree(const cJSON *got, const cJSON *given, int more)
{
    const cJSON *g, *c;

    if (got == NULL || (got->type & 0xFF) != (given->type & 0xFF))
        return 0;
    if (cJSON_IsString(given))
        return strcmp(got->valuestring, given->valuestring) == 0;
    if (cJSON_IsNumber(given))
        return near(got->valuedouble, given->valuedouble);
    for (g = got->child, c = given->child; c != NULL; g = g->next, c = c->next)
        if (g == NULL || (cJSON_IsObject(given) && strcmp(g->string, c->string) != 0) ||
            !holds_tree(g, c, 0))
            return 0;
    return g == NULL || more;
}

static int holds(const cJSON *got, const cJSON *given)
{
    return holds_tree(got, given, cJSON_IsObject(given));
}

/* The value of member name the library reads: its last one that is not
 * null (kwa_args_from_json reads every member in order). */
static const cJSON *given_member(const cJSON *obj, const char *name)
{
    const cJSON *c, *last = NULL;

    cJSON_ArrayForEach(c, obj)
        if (c->string != NULL && strcmp(c->string, name) == 0 && !cJSON_IsNull(c))
            last = c;
    return last;
}

static void check_extra(const cJSON *root, const cJSON *given)
{
    static const char *const refs[] = {"ref", "ref1", "ref2"};
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, "extra_info"), *g, *w;
    size_t i, len;

    for (i = 0; i < 3; i++) {
        g = given_member(given, refs[i]);
        if (!cJSON_IsString(g))
            continue;
        w = cJSON_GetObjectItemCaseSensitive(x, refs[i]);
        len = strlen(g->valuestring);
        CHECK(cJSON_IsString(w));
        /* the value, or its first 255 characters */
        CHECK(strncmp(w->valuestring, g->valuestring, strlen(w->valuestring)) == 0);
        CHECK(strlen(w->valuestring) == kwa_utf8_prefix(g->valuestring, len, 255));
    }
    if (cJSON_IsString(given_member(given, "wa_source")))
        CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(x, "wa_source")));
}

/* Each field the message gives, at its place in the request. */
static void check_fields(const kwa_request_t *req, const kwa_opdef_t *op, const cJSON *fields,
                         const cJSON *root)
{
    const kwa_field_t *f;
    const cJSON *given, *got, *item;
    const char *path, *joined;
    size_t n;

    for (f = op->fields; f->name != NULL; f++) {
        given = given_member(fields, f->name);
        if (given == NULL)
            continue;
        path = place_of(op->name, f->name);
        switch (f->type) {
        case KWA_FT_PHONES: /* one string of the numbers joined by commas */
            got = at(root, "messaging_object.to");
            CHECK(cJSON_IsString(got));
            if (cJSON_IsString(given)) {
                CHECK(strcmp(got->valuestring, given->valuestring) == 0);
                break;
            }
            n = strlen(got->valuestring); /* the items in order, one comma apart */
            joined = got->valuestring;
            cJSON_ArrayForEach(item, given) {
                size_t k = strlen(item->valuestring);
                CHECK(strncmp(joined, item->valuestring, k) == 0);
                joined += k;
                CHECK(*joined == (item->next ? ',' : '\0'));
                joined += *joined == ',';
            }
            CHECK(joined == got->valuestring + n);
            break;
        case KWA_FT_EXTRA:
            check_extra(root, given);
            break;
        case KWA_FT_NUMBER:
            got = at(root, path ? path : "");
            CHECK(path != NULL && cJSON_IsNumber(got) && near(got->valuedouble, given->valuedouble));
            break;
        case KWA_FT_BOOL:
            if (path == NULL)
                break; /* text's preview_url: below */
            got = at(root, path);
            CHECK(cJSON_IsBool(got) && cJSON_IsTrue(got) == cJSON_IsTrue(given));
            break;
        case KWA_FT_BYTES:
            break; /* only multipart ops have them */
        default:
            if (path != NULL && path[0] == '\0') { /* in the URL */
                if (cJSON_IsString(given))
                    CHECK(strstr(req->url, given->valuestring) != NULL);
            } else if (path == NULL || strcmp(path, "~") == 0) {
                CHECK(strings_in(root, given) ||
                      (cJSON_IsString(given) && strstr(req->url, given->valuestring)));
            } else if (cJSON_IsString(given) && strcmp(path, "messaging_object.interactive.header") == 0) {
                got = at(root, "messaging_object.interactive.header.text");
                CHECK(cJSON_IsString(got) && strcmp(got->valuestring, given->valuestring) == 0);
            } else {
                got = at(root, path);
                CHECK(got != NULL && holds(got, given));
            }
        }
    }
    if (strcmp(op->name, "text") == 0) { /* preview_url: false unless given */
        given = given_member(fields, "preview_url");
        got = at(root, "messaging_object.text.preview_url");
        CHECK(cJSON_IsBool(got) && cJSON_IsTrue(got) == cJSON_IsTrue(given));
    }
}

/* A JSON body: cJSON parses it, and printing what it parsed gives the same
 * bytes back (cJSON's own output reads back to itself, so the writer's
 * text is exactly what cJSON prints for that tree). */
static cJSON *parse_body(const kwa_request_t *req)
{
    cJSON *root = cJSON_ParseWithLength(req->body, req->body_len);
    char *again;

    CHECK(cJSON_IsObject(root));
    again = cJSON_PrintUnformatted(root);
    CHECK(again != NULL && strlen(again) == req->body_len &&
          memcmp(again, req->body, req->body_len) == 0);
    cJSON_free(again);
    return root;
}

static void check_op(const kwa_request_t *req, const kwa_message_t *m)
{
    const kwa_opdef_t *op = kwa_op_find(req->op);
    const cJSON *given;
    cJSON *root;

    if (op->multipart) { /* upload_flow_json: the body is the Flow JSON */
        given = given_member(m->u.op.fields, "flow_json");
        if (cJSON_IsString(given)) {
            CHECK(strcmp(req->body, given->valuestring) == 0);
        } else if (given != NULL) {
            root = parse_body(req);
            CHECK(holds_tree(root, given, 0));
            cJSON_Delete(root);
        }
        return;
    }
    if (req->content_type != NULL) { /* a form: set_flows_public_key */
        CHECK(strncmp(req->body, "business_public_key=", 20) == 0);
        return;
    }
    if (req->body_len == 0)
        return;
    root = parse_body(req);
    check_fields(req, op, m->u.op.fields, root);
    cJSON_Delete(root);
}

static void check_body(const kwa_request_t *req, const kwa_message_t *m, const char *to)
{
    cJSON *root, *mo, *item;

    CHECK(req->body != NULL && strlen(req->body) == req->body_len);
    CHECK(req->body_len <= KWA_MAX_REQUEST);
    CHECK(req->method != NULL && req->op != NULL && kwa_op_find(req->op) != NULL);
    if (m->type == KWA_MSG_OP) { /* any op: its fields where the op puts them */
        check_op(req, m);
        return;
    }
    if (m->type == KWA_MSG_PUBLISH) {
        CHECK(req->body_len == 0);
        return;
    }
    root = parse_body(req);
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
