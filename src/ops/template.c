/*
 * ops/template.c - send_template: an approved template with its
 * parameters (templates-media-read.md, section 1), the only message that
 * may open a conversation outside the 24-hour window. The builder turns
 * the friendly fields into Meta's components: header (text params, a
 * media file, a location), body (text, currency, date_time) and one
 * button component per button (quick_reply, url, copy_code, flow) with
 * its sub_type and index. `components` passes Meta's list through
 * instead, so it excludes the other three.
 *
 * Limits and their sources are in doc/lua-api.md's Validation table.
 */
#include <stdio.h>
#include <string.h>

#include "../kwa_op.h"

enum { TO, NAME, LANGUAGE, HEADER, BODY, BUTTONS, COMPONENTS, REPLY_TO, FROM, EXTRA };

#define MAX_BUTTONS 10

static int check_name(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                      const kwa_value_t *v)
{
    (void)cfg;
    if (kwa_check_text(err, f->name, v->present ? v->str : NULL, 1, f->max))
        return -1;
    if (strspn(v->str, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(v->str))
        return kwa_fail(err, KWA_VALIDATION, f->name,
                        "%s may hold only a-z, 0-9 and _ (the approved template's name)", f->name);
    return 0;
}

static int is_lower(char c) { return c >= 'a' && c <= 'z'; }
static int is_upper(char c) { return c >= 'A' && c <= 'Z'; }

static int check_language(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                          const kwa_value_t *v)
{
    const char *s = v->present ? v->str : NULL;

    (void)cfg;
    if (s == NULL)
        return kwa_fail(err, KWA_VALIDATION, f->name, "%s is required: a code such as en or en_US",
                        f->name);
    if (!(is_lower(s[0]) && is_lower(s[1]) &&
          (s[2] == '\0' || (s[2] == '_' && is_upper(s[3]) && is_upper(s[4]) && s[5] == '\0'))))
        return kwa_fail(err, KWA_VALIDATION, f->name, "%s must look like en or en_US", f->name);
    return 0;
}

/* ---- header ---- */

static int check_media_header(kwa_result_t *err, const cJSON *h, const char *type)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(h, "id");
    const cJSON *link = cJSON_GetObjectItemCaseSensitive(h, "link");

    if (kwa_check_keys(err, h, "header", strcmp(type, "document") == 0 ? "type|id|link|filename"
                                                                        : "type|id|link"))
        return -1;
    if ((id == NULL) == (link == NULL))
        return kwa_fail(err, KWA_VALIDATION, "header.id", "a media header needs exactly one of id and link");
    if (kwa_check_member(err, h, "id", "header.id", 1, 256) ||
        kwa_check_member(err, h, "filename", "header.filename", 1, 255))
        return -1;
    if (link != NULL && !cJSON_IsString(link))
        return kwa_fail(err, KWA_VALIDATION, "header.link", "header.link must be an https URL");
    return link != NULL ? kwa_check_https(err, "header.link", link->valuestring) : 0;
}

static int check_degrees(kwa_result_t *err, const cJSON *h, const char *name, const char *field,
                         double limit)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(h, name);

    if (!cJSON_IsNumber(n) || n->valuedouble < -limit || n->valuedouble > limit)
        return kwa_fail(err, KWA_VALIDATION, field, "%s is required: degrees, -%g to %g", field,
                        limit, limit);
    return 0;
}

static int check_header(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                        const kwa_value_t *v)
{
    static const char *const media[] = {"image", "video", "document", NULL};
    const cJSON *h = v->json, *type, *params, *p;
    char field[32];
    int i = 0;

    (void)cfg;
    (void)f;
    if (!v->present)
        return 0;
    type = cJSON_GetObjectItemCaseSensitive(h, "type");
    if (!cJSON_IsString(type))
        return kwa_fail(err, KWA_VALIDATION, "header.type",
                        "header.type is required: text, image, video, document or location");
    if (kwa_one_of(type->valuestring, media))
        return check_media_header(err, h, type->valuestring);
    if (strcmp(type->valuestring, "location") == 0)
        return kwa_check_keys(err, h, "header", "type|latitude|longitude|name|address") ||
                       check_degrees(err, h, "latitude", "header.latitude", 90) ||
                       check_degrees(err, h, "longitude", "header.longitude", 180) ||
                       kwa_check_member(err, h, "name", "header.name", 1, 1000) ||
                       kwa_check_member(err, h, "address", "header.address", 1, 1000)
                   ? -1
                   : 0;
    if (strcmp(type->valuestring, "text") != 0)
        return kwa_fail(err, KWA_VALIDATION, "header.type",
                        "header.type must be text, image, video, document or location");
    if (kwa_check_keys(err, h, "header", "type|params"))
        return -1;
    params = cJSON_GetObjectItemCaseSensitive(h, "params");
    if (!cJSON_IsArray(params) || cJSON_GetArraySize(params) != 1)
        return kwa_fail(err, KWA_VALIDATION, "header.params",
                        "header.params must list the one text parameter of a text header");
    cJSON_ArrayForEach(p, params) {
        kwa_field_path(field, sizeof field, "header.params[%d]", ++i);
        if (!cJSON_IsString(p))
            return kwa_fail(err, KWA_VALIDATION, field, "%s must be a string", field);
        if (kwa_check_text(err, field, p->valuestring, 1, 60))
            return -1;
    }
    return 0;
}

/* ---- body ---- */

static int check_param(kwa_result_t *err, const cJSON *p, int i)
{
    char field[48], member[64];
    const cJSON *type, *code, *amount;

    kwa_field_path(field, sizeof field, "body[%d]", i);
    if (cJSON_IsString(p))
        return kwa_check_text(err, field, p->valuestring, 1, 1024);
    type = cJSON_GetObjectItemCaseSensitive(p, "type");
    if (!cJSON_IsObject(p) || !cJSON_IsString(type))
        return kwa_fail(err, KWA_VALIDATION, field,
                        "%s must be a string or a table with type currency or date_time", field);
    if (strcmp(type->valuestring, "date_time") == 0)
        return kwa_check_keys(err, p, field, "type|fallback") ||
                       kwa_check_required(err, p, "fallback",
                                          kwa_field_path(member, sizeof member, "%s.fallback", field),
                                          1, 1024)
                   ? -1
                   : 0;
    if (strcmp(type->valuestring, "currency") != 0)
        return kwa_fail(err, KWA_VALIDATION, field, "%s.type must be currency or date_time", field);
    if (kwa_check_keys(err, p, field, "type|fallback|code|amount_1000") ||
        kwa_check_required(err, p, "fallback",
                           kwa_field_path(member, sizeof member, "%s.fallback", field), 1, 1024))
        return -1;
    code = cJSON_GetObjectItemCaseSensitive(p, "code");
    kwa_field_path(member, sizeof member, "%s.code", field);
    if (!cJSON_IsString(code) || strlen(code->valuestring) != 3 || !is_upper(code->valuestring[0]) ||
        !is_upper(code->valuestring[1]) || !is_upper(code->valuestring[2]))
        return kwa_fail(err, KWA_VALIDATION, member, "%s is required: an ISO 4217 code such as USD",
                        member);
    amount = cJSON_GetObjectItemCaseSensitive(p, "amount_1000");
    kwa_field_path(member, sizeof member, "%s.amount_1000", field);
    if (!cJSON_IsNumber(amount) || !kwa_is_whole(amount->valuedouble, -1e15, 1e15))
        return kwa_fail(err, KWA_VALIDATION, member,
                        "%s is required: the amount times 1000, a whole number", member);
    return 0;
}

static int check_body(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                      const kwa_value_t *v)
{
    const cJSON *p;
    int i = 0;

    (void)cfg;
    if (!v->present)
        return 0;
    if (cJSON_GetArraySize(v->json) < 1)
        return kwa_fail(err, KWA_VALIDATION, f->name, "%s must list at least one parameter", f->name);
    cJSON_ArrayForEach(p, v->json)
        if (check_param(err, p, ++i))
            return -1;
    return 0;
}

/* ---- buttons ---- */

static int check_button(kwa_result_t *err, const cJSON *b, int i)
{
    char field[32], member[48];
    const cJSON *type, *index, *data;

    kwa_field_path(field, sizeof field, "buttons[%d]", i);
    type = cJSON_GetObjectItemCaseSensitive(b, "type");
    if (!cJSON_IsObject(b) || !cJSON_IsString(type))
        return kwa_fail(err, KWA_VALIDATION, field,
                        "%s must be a table with type quick_reply, url, copy_code or flow", field);
    index = cJSON_GetObjectItemCaseSensitive(b, "index");
    if (index != NULL && !(cJSON_IsNumber(index) && index->valuedouble >= 0 &&
                           index->valuedouble < MAX_BUTTONS &&
                           index->valuedouble == (double)(int)index->valuedouble))
        return kwa_fail(err, KWA_VALIDATION, kwa_field_path(member, sizeof member, "%s.index", field),
                        "%s must be the button's position in the template, 0 to 9", member);
    if (strcmp(type->valuestring, "quick_reply") == 0)
        return kwa_check_keys(err, b, field, "type|payload|index") ||
                       kwa_check_required(err, b, "payload",
                                          kwa_field_path(member, sizeof member, "%s.payload", field),
                                          1, 256)
                   ? -1
                   : 0;
    if (strcmp(type->valuestring, "url") == 0)
        return kwa_check_keys(err, b, field, "type|text|index") ||
                       kwa_check_required(err, b, "text",
                                          kwa_field_path(member, sizeof member, "%s.text", field),
                                          1, 2000)
                   ? -1
                   : 0;
    if (strcmp(type->valuestring, "copy_code") == 0)
        return kwa_check_keys(err, b, field, "type|code|index") ||
                       kwa_check_required(err, b, "code",
                                          kwa_field_path(member, sizeof member, "%s.code", field),
                                          1, 15)
                   ? -1
                   : 0;
    if (strcmp(type->valuestring, "flow") != 0)
        return kwa_fail(err, KWA_VALIDATION, kwa_field_path(member, sizeof member, "%s.type", field),
                        "%s must be quick_reply, url, copy_code or flow", member);
    if (kwa_check_keys(err, b, field, "type|flow_token|flow_action_data|index") ||
        kwa_check_member(err, b, "flow_token",
                         kwa_field_path(member, sizeof member, "%s.flow_token", field), 1, 4096))
        return -1;
    data = cJSON_GetObjectItemCaseSensitive(b, "flow_action_data");
    if (data != NULL && !cJSON_IsObject(data))
        return kwa_fail(err, KWA_VALIDATION,
                        kwa_field_path(member, sizeof member, "%s.flow_action_data", field),
                        "%s must be a table", member);
    return 0;
}

static int check_buttons(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                         const kwa_value_t *v)
{
    const cJSON *b;
    int i = 0;

    (void)cfg;
    if (!v->present)
        return 0;
    if (cJSON_GetArraySize(v->json) < 1 || cJSON_GetArraySize(v->json) > MAX_BUTTONS)
        return kwa_fail(err, KWA_VALIDATION, f->name, "%s must list 1 to %d buttons", f->name,
                        MAX_BUTTONS);
    cJSON_ArrayForEach(b, v->json)
        if (check_button(err, b, ++i))
            return -1;
    return 0;
}

static int check_components(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                            const kwa_value_t *v)
{
    const cJSON *c;
    char field[32];
    int i = 0;

    (void)cfg;
    if (!v->present)
        return 0;
    cJSON_ArrayForEach(c, v->json) {
        kwa_field_path(field, sizeof field, "%s[%d]", f->name, ++i);
        if (!cJSON_IsObject(c) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "type")))
            return kwa_fail(err, KWA_VALIDATION, field, "%s must be a table with a type", field);
    }
    return 0;
}

static int check_exclusive(kwa_result_t *err, const kwa_config_t *cfg, const kwa_args_t *a)
{
    (void)cfg;
    if (a->v[COMPONENTS].present &&
        (a->v[HEADER].present || a->v[BODY].present || a->v[BUTTONS].present))
        return kwa_fail(err, KWA_VALIDATION, "components",
                        "components excludes header, body and buttons");
    return 0;
}

/* ---- building Meta's components ---- */

static const cJSON *member(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

/* Writes the string or number member `from` of src as `to`, if there. */
static void copy(kwa_writer_t *w, const char *to, const cJSON *src, const char *from)
{
    const cJSON *m = member(src, from);

    if (m == NULL)
        return;
    kwa_writer_key(w, to);
    if (cJSON_IsString(m))
        kwa_writer_string(w, m->valuestring);
    else
        kwa_writer_number(w, m->valuedouble);
}

/* {"type": type, type: { left open: the caller closes both. */
static void typed(kwa_writer_t *w, const char *type)
{
    kwa_writer_object(w);
    KWA_WSTR(w, "type", type);
    kwa_writer_key(w, type);
    kwa_writer_object(w);
}

/* {"type": type, key: text} */
static void add_text(kwa_writer_t *w, const char *type, const char *key, const char *text)
{
    kwa_writer_object(w);
    KWA_WSTR(w, "type", type);
    kwa_writer_key(w, key);
    kwa_writer_string(w, text);
    kwa_writer_end(w);
}

static void add_header(kwa_writer_t *w, const cJSON *h)
{
    const char *type = member(h, "type")->valuestring;
    unsigned top = w->depth;
    const cJSON *p;

    kwa_writer_object(w);
    KWA_WPAIR(w, "type", "header");
    KWA_WKEY(w, "parameters");
    kwa_writer_array(w);
    if (strcmp(type, "text") == 0) {
        cJSON_ArrayForEach(p, member(h, "params")) {
            add_text(w, "text", "text", p->valuestring);
        }
    } else if (strcmp(type, "location") == 0) {
        typed(w, type);
        copy(w, "latitude", h, "latitude");
        copy(w, "longitude", h, "longitude");
        copy(w, "name", h, "name");
        copy(w, "address", h, "address");
    } else {
        typed(w, type);
        copy(w, "id", h, "id");
        copy(w, "link", h, "link");
        copy(w, "filename", h, "filename");
    }
    kwa_writer_close_to(w, top);
}

static void add_body(kwa_writer_t *w, const cJSON *body)
{
    unsigned top = w->depth;
    const cJSON *p;

    kwa_writer_object(w);
    KWA_WPAIR(w, "type", "body");
    KWA_WKEY(w, "parameters");
    kwa_writer_array(w);
    cJSON_ArrayForEach(p, body) {
        if (cJSON_IsString(p)) {
            add_text(w, "text", "text", p->valuestring);
            continue;
        }
        typed(w, member(p, "type")->valuestring);
        copy(w, "fallback_value", p, "fallback");
        copy(w, "code", p, "code");
        copy(w, "amount_1000", p, "amount_1000");
        kwa_writer_close_to(w, top + 2); /* back in parameters */
    }
    kwa_writer_close_to(w, top);
}

/* {"type":"button","sub_type":type,"index":"N","parameters":[...]}, the
 * order Meta's samples print. */
static void add_button(kwa_writer_t *w, const cJSON *b, int position)
{
    const char *type = member(b, "type")->valuestring;
    const cJSON *index = member(b, "index");
    unsigned top = w->depth;
    char text[4];

    snprintf(text, sizeof text, "%d", index != NULL ? index->valueint : position);
    kwa_writer_object(w);
    KWA_WPAIR(w, "type", "button");
    KWA_WSTR(w, "sub_type", type);
    KWA_WSTR(w, "index", text);
    KWA_WKEY(w, "parameters");
    kwa_writer_array(w);
    if (strcmp(type, "quick_reply") == 0) {
        add_text(w, "payload", "payload", member(b, "payload")->valuestring);
    } else if (strcmp(type, "url") == 0) {
        add_text(w, "text", "text", member(b, "text")->valuestring);
    } else if (strcmp(type, "copy_code") == 0) {
        add_text(w, "coupon_code", "coupon_code", member(b, "code")->valuestring);
    } else {
        typed(w, "action");
        if (member(b, "flow_action_data") != NULL) {
            KWA_WKEY(w, "flow_action_data");
            kwa_writer_json(w, member(b, "flow_action_data"));
        }
        copy(w, "flow_token", b, "flow_token");
    }
    kwa_writer_close_to(w, top);
}

static const kwa_subfield_t header_flags[] = {
    {"type", "header-type", "the header's type", "text|image|video|document|location", 0, NULL, 0},
    {"params[]", "header-param", "a text header's parameter", NULL, 0, NULL, 0},
    {"id", "header-id", "a media header's uploaded media id", NULL, 0, "header-link", 0},
    {"link", "header-link", "a media header's https URL", NULL, 0, "header-id", 0},
    {"filename", "header-filename", "a document header's file name", NULL, 0, NULL, 0},
    {NULL, NULL, NULL, NULL, 0, NULL, 0},
};

static const kwa_subfield_t body_flags[] = {
    {"[]", "body-param", "a text parameter of the body, in order", NULL, 0, NULL, 0},
    {NULL, NULL, NULL, NULL, 0, NULL, 0},
};

static const kwa_subfield_t button_flags[] = {
    {"[]", "button", "a button, in template order: type=quick_reply,payload=... | type=url,text=... "
     "| type=copy_code,code=... | type=flow,flow_token=...", NULL, 0, NULL, 1},
    {NULL, NULL, NULL, NULL, 0, NULL, 0},
};

static const kwa_field_t fields[] = {
    [TO] = KWA_FIELD_TO,
    [NAME] = {"name", KWA_FT_STRING, 1, 1, 512, "the approved template's name: a-z, 0-9 and _",
              check_name, NULL},
    [LANGUAGE] = {"language", KWA_FT_STRING, 1, 2, 5, "the template's language code: en or en_US",
                  check_language, NULL},
    [HEADER] = {"header", KWA_FT_TABLE, 0, 0, 0,
                "{ type = text, params } | { type = image|video|document, id | link, filename } | "
                "{ type = location, latitude, longitude, name, address }",
                check_header, header_flags},
    [BODY] = {"body", KWA_FT_LIST, 0, 0, 0,
              "the body's parameters in order: strings, or { type = currency, fallback, code, "
              "amount_1000 } | { type = date_time, fallback }",
              check_body, body_flags},
    [BUTTONS] = {"buttons", KWA_FT_LIST, 0, 0, 0,
                 "up to 10, in template order: { type = quick_reply, payload } | { type = url, text } "
                 "| { type = copy_code, code } | { type = flow, flow_token, flow_action_data }; "
                 "index overrides the position",
                 check_buttons, button_flags},
    [COMPONENTS] = {"components", KWA_FT_LIST, 0, 0, 0,
                    "Meta's components, passed through; excludes header, body and buttons",
                    check_components, NULL},
    [REPLY_TO] = KWA_FIELD_REPLY_TO,
    [FROM] = KWA_FIELD_FROM,
    [EXTRA] = KWA_FIELD_EXTRA,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    const cJSON *b;
    kwa_writer_t w;
    int i = 0;

    kwa_build_begin(&w, fields, a);
    kwa_build_message(&w, &a->v[TO], &a->v[REPLY_TO], "template");
    KWA_WKEY(&w, "template");
    kwa_writer_object(&w);
    KWA_WSTR(&w, "name", a->v[NAME].str);
    KWA_WKEY(&w, "language");
    kwa_writer_object(&w);
    KWA_WSTR(&w, "code", a->v[LANGUAGE].str);
    kwa_writer_end(&w);
    if (a->v[COMPONENTS].present) {
        kwa_build_copy(&w, "components", &a->v[COMPONENTS]);
    } else if (a->v[HEADER].present || a->v[BODY].present || a->v[BUTTONS].present) {
        KWA_WKEY(&w, "components");
        kwa_writer_array(&w);
        if (a->v[HEADER].present)
            add_header(&w, a->v[HEADER].json);
        if (a->v[BODY].present)
            add_body(&w, a->v[BODY].json);
        if (a->v[BUTTONS].present) {
            cJSON_ArrayForEach(b, a->v[BUTTONS].json) {
                add_button(&w, b, i++);
            }
        }
    }
    return kwa_build_finish(req, cfg, a->v[FROM].str, &w, &a->v[EXTRA], err);
}

const kwa_opdef_t kwa_op_template = {
    .name = "template",
    .method = "send_template",
    .command = "template",
    .summary = "Send an approved template (allowed outside the 24-hour window).",
    .http_method = "POST",
    .path = "{from}/messages",
    .answer = KWA_ANSWER_MESSAGE,
    .positional = "name",
    .fields = fields,
    .build = build,
    .check = check_exclusive,
};
