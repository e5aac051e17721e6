/*
 * kwa_validate.c - the rules a message must meet before anything goes on
 * the wire. Each check fills err (kind KWA_VALIDATION, the field's name,
 * a message that never repeats the caller's value) and returns -1, or
 * returns 0. Limits are WhatsApp's, counted in characters.
 */
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kwa_op.h"

int kwa_is_phone(const char *s)
{
    size_t digits = 0;

    if (s == NULL)
        return 0;
    if (*s == '+')
        s++;
    for (; *s != '\0'; s++, digits++)
        if (*s < '0' || *s > '9')
            return 0;
    return digits >= 8 && digits <= 15;
}

int kwa_check_phone(kwa_result_t *err, const char *field, const char *s)
{
    if (s == NULL)
        return kwa_fail(err, KWA_VALIDATION, field, "%s is required", field);
    if (!kwa_is_phone(s))
        return kwa_fail(err, KWA_VALIDATION, field,
                        "%s must be an E.164 number: optional '+' and 8 to 15 digits",
                        field);
    return 0;
}

int kwa_check_text(kwa_result_t *err, const char *field, const char *s,
                   size_t min, size_t max)
{
    long n;

    if (s == NULL) {
        if (min == 0)
            return 0;
        return kwa_fail(err, KWA_VALIDATION, field, "%s is required", field);
    }
    n = kwa_utf8_count(s, strlen(s));
    if (n < 0)
        return kwa_fail(err, KWA_VALIDATION, field, "%s is not valid UTF-8", field);
    if ((size_t)n < (min ? min : 1) || (size_t)n > max)
        return kwa_fail(err, KWA_VALIDATION, field,
                        "%s must be %zu to %zu characters, got %ld", field,
                        min ? min : 1, max, n);
    return 0;
}

int kwa_check_url(kwa_result_t *err, const char *field, const char *s)
{
    const char *host;
    const unsigned char *p;

    if (kwa_check_text(err, field, s, 1, 2000) != 0)
        return -1;
    if (strncasecmp(s, "https://", 8) == 0)
        host = s + 8;
    else if (strncasecmp(s, "http://", 7) == 0)
        host = s + 7;
    else
        return kwa_fail(err, KWA_VALIDATION, field,
                        "%s must be an absolute http:// or https:// URL", field);
    if (*host == '\0' || strchr("/?#:@", *host) != NULL)
        return kwa_fail(err, KWA_VALIDATION, field, "%s has no host", field);
    for (p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p <= 0x20 || *p == 0x7F)
            return kwa_fail(err, KWA_VALIDATION, field,
                            "%s must not contain spaces or control characters",
                            field);
    return 0;
}

int kwa_check_keys(kwa_result_t *err, const cJSON *obj, const char *field, const char *keys)
{
    const cJSON *m;
    const char *p;
    size_t n;

    if (!cJSON_IsObject(obj))
        return kwa_fail(err, KWA_VALIDATION, field, "%s must be a table", field);
    cJSON_ArrayForEach(m, obj) {
        n = strlen(m->string);
        for (p = keys; p != NULL; p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL)
            if (strncmp(p, m->string, n) == 0 && (p[n] == '|' || p[n] == '\0'))
                break;
        if (p == NULL)
            return kwa_fail(err, KWA_VALIDATION, field, "%s has an unknown key (it takes %s)",
                            field, keys);
    }
    return 0;
}

int kwa_check_required(kwa_result_t *err, const cJSON *obj, const char *name,
                       const char *field, size_t min, size_t max)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, name) == NULL)
        return kwa_fail(err, KWA_VALIDATION, field, "%s is required", field);
    return kwa_check_member(err, obj, name, field, min, max);
}

int kwa_check_https(kwa_result_t *err, const char *field, const char *s)
{
    if (kwa_check_url(err, field, s) != 0)
        return -1;
    if (strncasecmp(s, "https://", 8) != 0)
        return kwa_fail(err, KWA_VALIDATION, field, "%s must be an https:// URL", field);
    return 0;
}

const char *kwa_field_path(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return buf;
}

int kwa_check_flow_id(kwa_result_t *err, const char *field, const char *s)
{
    const char *p;

    if (s == NULL || *s == '\0')
        return kwa_fail(err, KWA_VALIDATION, field, "%s is required", field);
    for (p = s; *p != '\0'; p++)
        if (*p < '0' || *p > '9')
            return kwa_fail(err, KWA_VALIDATION, field,
                            "%s must contain digits only", field);
    if (p - s > 32)
        return kwa_fail(err, KWA_VALIDATION, field,
                        "%s must be at most 32 digits", field);
    return 0;
}

int kwa_check_extra_info(kwa_result_t *err, const kwa_extra_info_t *x)
{
    /* refs longer than 255 characters are cut later, as the service does;
     * they must still be UTF-8 so the cut lands on a character boundary */
    static const size_t no_limit = (size_t)-1;

    if (x == NULL)
        return 0;
    if (kwa_check_text(err, "extra_info.ref", x->ref, 0, no_limit) ||
        kwa_check_text(err, "extra_info.ref1", x->ref1, 0, no_limit) ||
        kwa_check_text(err, "extra_info.ref2", x->ref2, 0, no_limit) ||
        kwa_check_text(err, "extra_info.wa_source", x->wa_source, 0, 64))
        return -1;
    return 0;
}

/* The business number: the message's own, or else the client's. */
int kwa_check_from(kwa_result_t *err, const kwa_config_t *cfg, const char *from)
{
    if (from != NULL)
        return kwa_check_phone(err, "from", from);
    if (cfg->from == NULL)
        return kwa_fail(err, KWA_VALIDATION, "from",
                        "from is required: set it on the client or the message");
    return 0;
}

int kwa_check_recipients(kwa_result_t *err, const char *field, const char *list)
{
    char one[24];
    const char *p = list, *comma;
    size_t len;

    if (list == NULL || *list == '\0')
        return kwa_fail(err, KWA_VALIDATION, field,
                        "%s is required: one or more E.164 numbers", field);
    for (;;) {
        comma = strchr(p, ',');
        len = comma ? (size_t)(comma - p) : strlen(p);
        if (len >= sizeof one)
            return kwa_check_phone(err, field, "x"); /* too long to be E.164 */
        memcpy(one, p, len);
        one[len] = '\0';
        if (kwa_check_phone(err, field, one) != 0)
            return -1;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

/* An optional string member that, when present, must equal `want`. */
int kwa_check_fixed(kwa_result_t *err, const cJSON *obj, const char *name,
                       const char *field, const char *want)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (item != NULL && !(cJSON_IsString(item) && strcmp(item->valuestring, want) == 0))
        return kwa_fail(err, KWA_VALIDATION, field, "%s must be \"%s\"", field, want);
    return 0;
}

static const char *const header_types[] = {"text", "image", "video", "document", NULL};

int kwa_is_whole(double v, double lo, double hi)
{
    return v >= lo && v <= hi && v == floor(v);
}

int kwa_one_of(const char *s, const char *const *list)
{
    for (; *list != NULL; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

static int check_header_object(kwa_result_t *err, const cJSON *h)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(h, "type");

    if (!cJSON_IsObject(h))
        return kwa_fail(err, KWA_VALIDATION, "header",
                        "header must be a string or an object");
    if (!cJSON_IsString(type) || !kwa_one_of(type->valuestring, header_types))
        return kwa_fail(err, KWA_VALIDATION, "header.type",
                        "header.type must be text, image, video or document");
    if (strcmp(type->valuestring, "text") == 0) {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(h, "text");
        if (!cJSON_IsString(text))
            return kwa_fail(err, KWA_VALIDATION, "header.text",
                            "header.text is required for a text header");
        return kwa_check_text(err, "header.text", text->valuestring, 1, 60);
    }
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(h, type->valuestring)))
        return kwa_fail(err, KWA_VALIDATION, "header",
                        "a media header needs an object named after its type");
    return 0;
}

/* An optional string member of params: absent is fine, anything else must
 * be a string of min..max characters. */
int kwa_check_member(kwa_result_t *err, const cJSON *params,
                        const char *name, const char *field, size_t min,
                        size_t max)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(params, name);

    if (item == NULL)
        return 0;
    if (!cJSON_IsString(item))
        return kwa_fail(err, KWA_VALIDATION, field, "%s must be a string", field);
    return kwa_check_text(err, field, item->valuestring, min, max);
}

int kwa_check_header_field(kwa_result_t *err, const kwa_config_t *cfg,
                           const kwa_field_t *f, const kwa_value_t *v)
{
    (void)cfg;
    if (v->json != NULL && v->str != NULL)
        return kwa_fail(err, KWA_VALIDATION, "header",
                        "header is either a string or an object, not both");
    if (v->json != NULL)
        return check_header_object(err, v->json);
    return kwa_check_text(err, f->name, v->str, 0, f->max);
}

int kwa_check_url_field(kwa_result_t *err, const kwa_config_t *cfg,
                        const kwa_field_t *f, const kwa_value_t *v)
{
    (void)cfg;
    return kwa_check_url(err, f->name, v->str);
}

int kwa_check_id_field(kwa_result_t *err, const kwa_config_t *cfg,
                       const kwa_field_t *f, const kwa_value_t *v)
{
    (void)cfg;
    if (!v->present && !f->required)
        return 0;
    return kwa_check_flow_id(err, f->name, v->str);
}

int kwa_check_optional_url_field(kwa_result_t *err, const kwa_config_t *cfg,
                                 const kwa_field_t *f, const kwa_value_t *v)
{
    (void)cfg;
    if (!v->present)
        return 0;
    return kwa_check_url(err, f->name, v->str);
}

int kwa_check_categories_field(kwa_result_t *err, const kwa_config_t *cfg,
                               const kwa_field_t *f, const kwa_value_t *v)
{
    static const char *const known[] = {
        "SIGN_UP", "SIGN_IN", "APPOINTMENT_BOOKING", "LEAD_GENERATION", "CONTACT_US",
        "CUSTOMER_SUPPORT", "SURVEY", "OTHER", NULL,
    };
    const cJSON *item;

    (void)cfg;
    if (!v->present)
        return 0;
    cJSON_ArrayForEach(item, v->json)
        if (!kwa_one_of(item->valuestring, known))
            return kwa_fail(err, KWA_VALIDATION, f->name,
                            "%s must be among SIGN_UP, SIGN_IN, APPOINTMENT_BOOKING, "
                            "LEAD_GENERATION, CONTACT_US, CUSTOMER_SUPPORT, SURVEY, OTHER",
                            f->name);
    return 0;
}
