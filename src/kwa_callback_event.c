/*
 * kwa_callback_event.c - the callback parser's helpers (see
 * kwa_callback_int.h for each one's contract): a new event with what every
 * event carries, members read with a warning when of the wrong type, copies
 * into the event, and the warnings themselves. Pure: no I/O, no Lua.
 *
 * Caveats: no helper stops the parse; memory failures only set c->nomem,
 * which kwa_callback_parse turns into KWA_NOMEM. Warnings name a path and a
 * problem, never a value from the body.
 *
 * Ownership: whatever is put into an event is owned by it, and the event by
 * the list of events from the moment it is made; kwa_cb_put_ref adds a
 * reference (into the body) that cJSON_Delete never follows.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_callback_int.h"

void kwa_cb_sub_path(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
}

cJSON *kwa_cb_mem(kwa_cb_ctx_t *c, cJSON *item)
{
    if (item == NULL)
        c->nomem = 1;
    return item;
}

void kwa_cb_put(kwa_cb_ctx_t *c, cJSON *obj, const char *key, cJSON *item)
{
    if (item == NULL || !cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        c->nomem = 1;
    }
}

void kwa_cb_put_string(kwa_cb_ctx_t *c, cJSON *obj, const char *key, const char *s)
{
    kwa_cb_put(c, obj, key, cJSON_CreateString(s));
}

void kwa_cb_put_ref(kwa_cb_ctx_t *c, cJSON *obj, const char *key, const cJSON *item)
{
    if (item != NULL && !cJSON_AddItemReferenceToObject(obj, key, (cJSON *)item))
        c->nomem = 1;
}

void kwa_cb_warn(kwa_cb_ctx_t *c, cJSON *ev, const char *fmt, ...)
{
    char text[256];
    cJSON *list;
    va_list ap;

    ev = c->ev != NULL ? c->ev : ev; /* nested objects report to their event */
    list = cJSON_GetObjectItemCaseSensitive(ev, "warnings");
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (list == NULL) {
        list = cJSON_CreateArray();
        kwa_cb_put(c, ev, "warnings", list);
        if (c->nomem)
            return;
    }
    if (!cJSON_AddItemToArray(list, kwa_cb_mem(c, cJSON_CreateString(text))))
        c->nomem = 1;
}

const char *kwa_cb_type_name(const cJSON *v)
{
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "an array";
    return "an object";
}

const cJSON *kwa_cb_member(const cJSON *obj, const char *name)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
}

/* obj[name] as a string, NULL when absent; any other type is a warning
 * (the event keeps it under raw). */
const char *kwa_cb_get_string(kwa_cb_ctx_t *c, cJSON *ev, const cJSON *obj,
                              const char *name, const char *path)
{
    const cJSON *v = kwa_cb_member(obj, name);

    if (v == NULL || cJSON_IsNull(v))
        return NULL;
    if (cJSON_IsString(v))
        return v->valuestring;
    kwa_cb_warn(c, ev, "%s.%s is %s, not a string", path, name, kwa_cb_type_name(v));
    return NULL;
}

void kwa_cb_copy_string(kwa_cb_ctx_t *c, cJSON *ev, const char *key, const cJSON *obj,
                        const char *name, const char *path)
{
    const char *s = kwa_cb_get_string(c, ev, obj, name, path);

    if (s != NULL)
        kwa_cb_put_string(c, ev, key, s);
}

/* A number: JSON numbers as they are, strings of a decimal number read
 * (Meta sends timestamps as strings); anything else is a warning. */
void kwa_cb_copy_number(kwa_cb_ctx_t *c, cJSON *ev, const char *key, const cJSON *obj,
                        const char *name, const char *path)
{
    const cJSON *v = kwa_cb_member(obj, name);
    char *end;
    double d;

    if (v == NULL || cJSON_IsNull(v))
        return;
    if (cJSON_IsNumber(v)) {
        kwa_cb_put(c, ev, key, cJSON_CreateNumber(v->valuedouble));
        return;
    }
    if (cJSON_IsString(v) && v->valuestring[0] != '\0' &&
        !isspace((unsigned char)v->valuestring[0])) {
        d = strtod(v->valuestring, &end);
        if (*end == '\0' && d == d && d < 1e300 && d > -1e300) {
            kwa_cb_put(c, ev, key, cJSON_CreateNumber(d));
            return;
        }
    }
    kwa_cb_warn(c, ev, "%s.%s is %s that is not a number", path, name,
                cJSON_IsString(v) ? "a string" : kwa_cb_type_name(v));
}

/* A template id: digits as a string, whether sent as string or number. */
void kwa_cb_copy_id(kwa_cb_ctx_t *c, cJSON *ev, const char *key, const cJSON *obj,
                    const char *name, const char *path)
{
    const cJSON *v = kwa_cb_member(obj, name);
    char digits[32];

    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9007199254740992.0) {
        snprintf(digits, sizeof digits, "%.0f", v->valuedouble);
        kwa_cb_put_string(c, ev, key, digits);
    } else {
        kwa_cb_copy_string(c, ev, key, obj, name, path);
    }
}

/* Lower case; "not sent" and "not_sent" become "not-sent". */
void kwa_cb_put_status(kwa_cb_ctx_t *c, cJSON *ev, const char *s)
{
    size_t i, n = strlen(s);
    char *low = malloc(n + 1);

    if (low == NULL) {
        c->nomem = 1;
        return;
    }
    for (i = 0; i < n; i++) {
        low[i] = (char)tolower((unsigned char)s[i]);
        if ((low[i] == ' ' || low[i] == '_') && i == 3 && strncmp(low, "not", 3) == 0)
            low[i] = '-';
    }
    low[n] = '\0';
    kwa_cb_put_string(c, ev, "status", low);
    free(low);
}

void kwa_cb_put_refs(kwa_cb_ctx_t *c, cJSON *ev)
{
    kwa_cb_copy_string(c, ev, "ref", c->extra, "ref", "extra_info");
    kwa_cb_copy_string(c, ev, "ref1", c->extra, "ref1", "extra_info");
    kwa_cb_copy_string(c, ev, "ref2", c->extra, "ref2", "extra_info");
}

/* A new event of the given kind, appended to the list at once (so it is
 * owned), with what every event carries. */
cJSON *kwa_cb_new_event(kwa_cb_ctx_t *c, const char *kind, const cJSON *raw,
                        const kwa_cb_where_t *where)
{
    cJSON *ev = kwa_cb_mem(c, cJSON_CreateObject());
    const char *s;

    if (ev == NULL)
        return NULL;
    if (!cJSON_AddItemToArray(c->events, ev)) {
        cJSON_Delete(ev);
        c->nomem = 1;
        return NULL;
    }
    c->ev = ev;
    kwa_cb_put_string(c, ev, "event", kind);
    kwa_cb_put_ref(c, ev, "raw", raw);
    if (cJSON_IsObject(c->extra))
        kwa_cb_put_ref(c, ev, "extra_info", c->extra);
    if (where != NULL && where->metadata != NULL) {
        kwa_cb_copy_string(c, ev, "business_number", where->metadata, "display_phone_number",
                           "metadata");
        kwa_cb_copy_string(c, ev, "phone_number_id", where->metadata, "phone_number_id",
                           "metadata");
    }
    s = c->waba_id;
    if (s == NULL && cJSON_IsObject(c->extra))
        s = kwa_cb_get_string(c, ev, c->extra, "waba_id", "extra_info");
    if (s != NULL)
        kwa_cb_put_string(c, ev, "waba_id", s);
    if (c->repaired)
        kwa_cb_warn(c, ev, "body: a trailing comma was removed to parse it");
    return ev;
}
