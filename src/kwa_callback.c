/*
 * kwa_callback.c - parses the body of a callback (webhook) that Kaleyra,
 * or Meta directly, POSTs to the customer: into a list of events, each a
 * cJSON object (see kwa.h, kwa_callback_parse, and doc/callbacks.md for
 * the event shapes). Pure: no I/O, no Lua.
 *
 * Accepted: Kaleyra's v2 wrapper ({meta_object, extra_info[, status,
 * message_id]}), Meta's envelope ({object, entry[].changes[]}), Kaleyra's
 * flat callbacks (NOT-SENT, template status, the "dynamic variables"
 * profiles) and, as one event "unknown", any other JSON object.
 *
 * Limits, checked before cJSON sees the bytes: 1 MiB (KWA_MAX_CALLBACK),
 * valid UTF-8, nesting of KWA_MAX_DEPTH. The one repair: a trailing comma
 * before } or ] (Kaleyra's own "sent" sample has one) is dropped when the
 * strict parse fails, and every event then says so in its warnings;
 * KWA_CALLBACK_STRICT turns that off.
 *
 * Ownership: the returned object owns everything. Event members "raw",
 * "extra_info", "pricing", "conversation" are cJSON references into its
 * "body" member (no copies); cJSON_Delete of the whole never follows them.
 * Warnings name a path and a problem, never a value from the body.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_core.h"

typedef struct cb_ctx {
    cJSON *events;           /* the list being built (owned by the result) */
    const cJSON *extra;      /* Kaleyra's extra_info, or NULL */
    const cJSON *top_status; /* the wrapper's status, or NULL */
    const cJSON *top_id;     /* the wrapper's message_id, or NULL */
    const char *waba_id;     /* entry[].id or extra_info.waba_id, or NULL */
    cJSON *ev;               /* the event being built: warnings go there */
    int repaired;
    int nomem;
} cb_ctx_t;

/* What a change's value says of the business number (metadata). */
typedef struct cb_where {
    const cJSON *metadata;
    const cJSON *contacts;
} cb_where_t;

/* A path for messages; cut when too long (they are for people). */
static void sub_path(char *dst, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void sub_path(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
}

static cJSON *mem(cb_ctx_t *c, cJSON *item)
{
    if (item == NULL)
        c->nomem = 1;
    return item;
}

static void put(cb_ctx_t *c, cJSON *obj, const char *key, cJSON *item)
{
    if (item == NULL || !cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        c->nomem = 1;
    }
}

static void put_string(cb_ctx_t *c, cJSON *obj, const char *key, const char *s)
{
    put(c, obj, key, cJSON_CreateString(s));
}

static void put_ref(cb_ctx_t *c, cJSON *obj, const char *key, const cJSON *item)
{
    if (item != NULL && !cJSON_AddItemReferenceToObject(obj, key, (cJSON *)item))
        c->nomem = 1;
}

static void warn(cb_ctx_t *c, cJSON *ev, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void warn(cb_ctx_t *c, cJSON *ev, const char *fmt, ...)
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
        put(c, ev, "warnings", list);
        if (c->nomem)
            return;
    }
    if (!cJSON_AddItemToArray(list, mem(c, cJSON_CreateString(text))))
        c->nomem = 1;
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "an array";
    return "an object";
}

static const cJSON *member(const cJSON *obj, const char *name)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
}

/* obj[name] as a string, NULL when absent; any other type is a warning
 * (the event keeps it under raw). */
static const char *get_string(cb_ctx_t *c, cJSON *ev, const cJSON *obj,
                              const char *name, const char *path)
{
    const cJSON *v = member(obj, name);

    if (v == NULL || cJSON_IsNull(v))
        return NULL;
    if (cJSON_IsString(v))
        return v->valuestring;
    warn(c, ev, "%s.%s is %s, not a string", path, name, type_name(v));
    return NULL;
}

static void copy_string(cb_ctx_t *c, cJSON *ev, const char *key, const cJSON *obj,
                        const char *name, const char *path)
{
    const char *s = get_string(c, ev, obj, name, path);

    if (s != NULL)
        put_string(c, ev, key, s);
}

/* A number: JSON numbers as they are, strings of a decimal number read
 * (Meta sends timestamps as strings); anything else is a warning. */
static void copy_number(cb_ctx_t *c, cJSON *ev, const char *key, const cJSON *obj,
                        const char *name, const char *path)
{
    const cJSON *v = member(obj, name);
    char *end;
    double d;

    if (v == NULL || cJSON_IsNull(v))
        return;
    if (cJSON_IsNumber(v)) {
        put(c, ev, key, cJSON_CreateNumber(v->valuedouble));
        return;
    }
    if (cJSON_IsString(v) && v->valuestring[0] != '\0' &&
        !isspace((unsigned char)v->valuestring[0])) {
        d = strtod(v->valuestring, &end);
        if (*end == '\0' && d == d && d < 1e300 && d > -1e300) {
            put(c, ev, key, cJSON_CreateNumber(d));
            return;
        }
    }
    warn(c, ev, "%s.%s is %s that is not a number", path, name,
         cJSON_IsString(v) ? "a string" : type_name(v));
}

/* A template id: digits as a string, whether sent as string or number. */
static void copy_id(cb_ctx_t *c, cJSON *ev, const char *key, const cJSON *obj,
                    const char *name, const char *path)
{
    const cJSON *v = member(obj, name);
    char digits[32];

    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9007199254740992.0) {
        snprintf(digits, sizeof digits, "%.0f", v->valuedouble);
        put_string(c, ev, key, digits);
    } else {
        copy_string(c, ev, key, obj, name, path);
    }
}

/* Lower case; "not sent" and "not_sent" become "not-sent". */
static void put_status(cb_ctx_t *c, cJSON *ev, const char *s)
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
    put_string(c, ev, "status", low);
    free(low);
}

static void put_refs(cb_ctx_t *c, cJSON *ev)
{
    copy_string(c, ev, "ref", c->extra, "ref", "extra_info");
    copy_string(c, ev, "ref1", c->extra, "ref1", "extra_info");
    copy_string(c, ev, "ref2", c->extra, "ref2", "extra_info");
}

/* A new event of the given kind, appended to the list at once (so it is
 * owned), with what every event carries. */
static cJSON *new_event(cb_ctx_t *c, const char *kind, const cJSON *raw,
                        const cb_where_t *where)
{
    cJSON *ev = mem(c, cJSON_CreateObject());
    const char *s;

    if (ev == NULL)
        return NULL;
    if (!cJSON_AddItemToArray(c->events, ev)) {
        cJSON_Delete(ev);
        c->nomem = 1;
        return NULL;
    }
    c->ev = ev;
    put_string(c, ev, "event", kind);
    put_ref(c, ev, "raw", raw);
    if (cJSON_IsObject(c->extra))
        put_ref(c, ev, "extra_info", c->extra);
    if (where != NULL && where->metadata != NULL) {
        copy_string(c, ev, "business_number", where->metadata, "display_phone_number", "metadata");
        copy_string(c, ev, "phone_number_id", where->metadata, "phone_number_id", "metadata");
    }
    s = c->waba_id;
    if (s == NULL && cJSON_IsObject(c->extra))
        s = get_string(c, ev, c->extra, "waba_id", "extra_info");
    if (s != NULL)
        put_string(c, ev, "waba_id", s);
    if (c->repaired)
        warn(c, ev, "body: a trailing comma was removed to parse it");
    return ev;
}

/* ---- messages ---- */

static const char *const media_types[] = {"image", "audio", "video", "document", "sticker", NULL};

static void message_media(cb_ctx_t *c, cJSON *ev, const cJSON *obj, const char *path)
{
    cJSON *media = mem(c, cJSON_CreateObject());
    const char *url;

    put(c, ev, "media", media);
    if (c->nomem)
        return;
    copy_string(c, media, "id", obj, "id", path);
    copy_string(c, media, "mime_type", obj, "mime_type", path);
    copy_string(c, media, "sha256", obj, "sha256", path);
    copy_string(c, media, "caption", obj, "caption", path);
    copy_string(c, media, "filename", obj, "filename", path);
    url = get_string(c, ev, c->extra, "media_url", "extra_info");
    if (url != NULL && url[0] != '\0')
        put_string(c, media, "url", url);
    if (cJSON_GetObjectItemCaseSensitive(media, "url") == NULL)
        copy_string(c, media, "url", obj, "url", path); /* Meta's own, if any */
}

static void message_location(cb_ctx_t *c, cJSON *ev, const cJSON *obj, const char *path)
{
    cJSON *loc = mem(c, cJSON_CreateObject());

    put(c, ev, "location", loc);
    if (c->nomem)
        return;
    copy_number(c, loc, "latitude", obj, "latitude", path);
    copy_number(c, loc, "longitude", obj, "longitude", path);
    copy_string(c, loc, "name", obj, "name", path);
    copy_string(c, loc, "address", obj, "address", path);
    copy_string(c, loc, "url", obj, "url", path);
}

/* contacts: a copy in which phones, emails, urls and addresses are always
 * arrays (Kaleyra's sample prints phones as one object). */
static void message_contacts(cb_ctx_t *c, cJSON *ev, const cJSON *list, const char *path)
{
    static const char *const plural[] = {"phones", "emails", "urls", "addresses", NULL};
    cJSON *copy, *contact, *v, *arr;
    int i;

    if (!cJSON_IsArray(list)) {
        if (list != NULL)
            warn(c, ev, "%s is %s, not an array", path, type_name(list));
        return;
    }
    copy = mem(c, cJSON_Duplicate(list, 1));
    put(c, ev, "contacts", copy);
    if (c->nomem)
        return;
    for (contact = copy->child; contact != NULL; contact = contact->next)
        for (i = 0; plural[i] != NULL; i++) {
            v = cJSON_GetObjectItemCaseSensitive(contact, plural[i]);
            if (!cJSON_IsObject(v))
                continue;
            arr = mem(c, cJSON_CreateArray());
            if (arr == NULL)
                return;
            v = cJSON_DetachItemViaPointer(contact, v);
            cJSON_AddItemToArray(arr, v);
            put(c, contact, plural[i], arr);
        }
}

static void message_reply(cb_ctx_t *c, cJSON *ev, const char *kind, const cJSON *obj,
                          const char *path)
{
    cJSON *reply = mem(c, cJSON_CreateObject());

    put(c, ev, "reply", reply);
    if (c->nomem)
        return;
    put_string(c, reply, "kind", kind);
    if (strcmp(kind, "button") == 0) {
        copy_string(c, reply, "payload", obj, "payload", path);
        copy_string(c, reply, "title", obj, "text", path);
    } else {
        copy_string(c, reply, "id", obj, "id", path);
        copy_string(c, reply, "title", obj, "title", path);
        copy_string(c, reply, "description", obj, "description", path);
    }
}

static int json_depth_ok(const char *s, size_t len);

static void message_flow(cb_ctx_t *c, cJSON *ev, const cJSON *nfm, const char *path)
{
    cJSON *flow = mem(c, cJSON_CreateObject()), *response = NULL;
    const char *text;
    const cJSON *token;

    put(c, ev, "flow", flow);
    if (c->nomem)
        return;
    copy_string(c, flow, "name", nfm, "name", path);
    copy_string(c, flow, "body", nfm, "body", path);
    text = get_string(c, ev, nfm, "response_json", path);
    if (text == NULL) {
        put_string(c, flow, "error", "response_json is missing or not a string");
        warn(c, ev, "%s.response_json is missing or not a string", path);
        return;
    }
    if (json_depth_ok(text, strlen(text)))
        response = cJSON_ParseWithLength(text, strlen(text));
    if (!cJSON_IsObject(response)) {
        cJSON_Delete(response);
        put_string(c, flow, "error", "response_json is not a JSON object");
        warn(c, ev, "%s.response_json is not a JSON object", path);
        return;
    }
    put(c, flow, "response", response);
    token = cJSON_GetObjectItemCaseSensitive(response, "flow_token");
    if (cJSON_IsString(token))
        put_string(c, flow, "token", token->valuestring);
    else if (token != NULL)
        warn(c, ev, "%s.response_json.flow_token is %s, not a string", path, type_name(token));
}

static void message_interactive(cb_ctx_t *c, cJSON *ev, const cJSON *obj, const char *path)
{
    char sub[160];
    const char *kind = get_string(c, ev, obj, "type", path);
    const cJSON *inner;

    if (kind == NULL)
        return;
    inner = member(obj, kind);
    sub_path(sub, sizeof sub, "%s.%s", path, kind);
    if (inner != NULL && !cJSON_IsObject(inner)) {
        warn(c, ev, "%s is %s, not an object", sub, type_name(inner));
        return;
    }
    if (strcmp(kind, "button_reply") == 0 || strcmp(kind, "list_reply") == 0)
        message_reply(c, ev, kind, inner, sub);
    else if (strcmp(kind, "nfm_reply") == 0)
        message_flow(c, ev, inner, sub);
}

/* The contact's profile name: the contact whose wa_id is the sender, or
 * else the only one. */
static void message_name(cb_ctx_t *c, cJSON *ev, const cb_where_t *where, const char *from)
{
    const cJSON *contact, *found = NULL, *wa_id;
    const cJSON *profile;

    if (!cJSON_IsArray(where->contacts))
        return;
    cJSON_ArrayForEach(contact, where->contacts) {
        wa_id = member(contact, "wa_id");
        if (from != NULL && cJSON_IsString(wa_id) && strcmp(wa_id->valuestring, from) == 0)
            found = contact;
    }
    if (found == NULL && cJSON_GetArraySize(where->contacts) == 1)
        found = where->contacts->child;
    profile = member(found, "profile");
    if (profile != NULL)
        copy_string(c, ev, "name", profile, "name", "contacts[].profile");
}

static void parse_message(cb_ctx_t *c, const cJSON *msg, const cb_where_t *where,
                          const char *path)
{
    cJSON *ev = new_event(c, cJSON_IsObject(msg) ? "message" : "unknown", msg, where);
    const char *type, *from;
    const cJSON *ctx, *inner;
    char sub[160];
    int i;

    if (ev == NULL)
        return;
    if (!cJSON_IsObject(msg)) {
        warn(c, ev, "%s is %s, not an object", path, type_name(msg));
        return;
    }
    copy_string(c, ev, "id", msg, "id", path);
    from = get_string(c, ev, msg, "from", path);
    if (from != NULL)
        put_string(c, ev, "from", from);
    message_name(c, ev, where, from);
    copy_number(c, ev, "timestamp", msg, "timestamp", path);
    type = get_string(c, ev, msg, "type", path);
    if (type != NULL)
        put_string(c, ev, "type", type);
    ctx = member(msg, "context");
    if (cJSON_IsObject(ctx)) {
        cJSON *context = mem(c, cJSON_CreateObject());
        put(c, ev, "context", context);
        if (c->nomem)
            return;
        sub_path(sub, sizeof sub, "%s.context", path);
        copy_string(c, context, "id", ctx, "id", sub);
        copy_string(c, context, "from", ctx, "from", sub);
    }
    put_refs(c, ev);
    if (type == NULL)
        return;
    sub_path(sub, sizeof sub, "%s.%s", path, type);
    inner = member(msg, type);
    if (inner != NULL && !cJSON_IsObject(inner) && strcmp(type, "contacts") != 0) {
        warn(c, ev, "%s is %s, not an object", sub, type_name(inner));
        return;
    }
    for (i = 0; media_types[i] != NULL; i++)
        if (strcmp(type, media_types[i]) == 0) {
            message_media(c, ev, inner, sub);
            return;
        }
    if (strcmp(type, "text") == 0)
        copy_string(c, ev, "text", inner, "body", sub);
    else if (strcmp(type, "location") == 0)
        message_location(c, ev, inner, sub);
    else if (strcmp(type, "contacts") == 0)
        message_contacts(c, ev, inner, sub);
    else if (strcmp(type, "interactive") == 0)
        message_interactive(c, ev, inner, sub);
    else if (strcmp(type, "button") == 0)
        message_reply(c, ev, "button", inner, sub);
    else if (strcmp(type, "reaction") == 0) {
        cJSON *r = mem(c, cJSON_CreateObject());
        put(c, ev, "reaction", r);
        if (c->nomem)
            return;
        copy_string(c, r, "message_id", inner, "message_id", sub);
        copy_string(c, r, "emoji", inner, "emoji", sub);
    }
}

/* ---- statuses ---- */

static void status_errors(cb_ctx_t *c, cJSON *ev, const cJSON *list, const char *path)
{
    cJSON *out, *e;
    const cJSON *item, *data;
    char sub[160];
    int i = 0;

    if (list == NULL)
        return;
    if (!cJSON_IsArray(list)) {
        warn(c, ev, "%s.errors is %s, not an array", path, type_name(list));
        return;
    }
    out = mem(c, cJSON_CreateArray());
    put(c, ev, "errors", out);
    cJSON_ArrayForEach(item, list) {
        if (c->nomem)
            return;
        sub_path(sub, sizeof sub, "%s.errors[%d]", path, i++);
        if (!cJSON_IsObject(item)) {
            warn(c, ev, "%s is %s, not an object", sub, type_name(item));
            continue;
        }
        e = mem(c, cJSON_CreateObject());
        if (e == NULL || !cJSON_AddItemToArray(out, e)) {
            cJSON_Delete(e);
            c->nomem = 1;
            return;
        }
        if (cJSON_IsNumber(member(item, "code")))
            put(c, e, "code", cJSON_CreateNumber(member(item, "code")->valuedouble));
        else
            copy_string(c, e, "code", item, "code", sub);
        copy_string(c, e, "title", item, "title", sub);
        copy_string(c, e, "message", item, "message", sub);
        data = member(item, "error_data");
        if (data != NULL)
            copy_string(c, e, "details", data, "details", sub);
    }
}

/* Adds "ids": every distinct candidate for the send's message_id. */
static void status_ids(cb_ctx_t *c, cJSON *ev, const cJSON *const *cands, int n)
{
    cJSON *ids = mem(c, cJSON_CreateArray()), *s;
    const cJSON *seen;
    int i, dup;

    put(c, ev, "ids", ids);
    for (i = 0; i < n && !c->nomem; i++) {
        if (!cJSON_IsString(cands[i]) || cands[i]->valuestring[0] == '\0')
            continue;
        dup = 0;
        cJSON_ArrayForEach(seen, ids)
            dup |= strcmp(seen->valuestring, cands[i]->valuestring) == 0;
        if (dup)
            continue;
        s = mem(c, cJSON_CreateString(cands[i]->valuestring));
        if (s == NULL || !cJSON_AddItemToArray(ids, s)) {
            cJSON_Delete(s);
            c->nomem = 1;
        }
    }
}

/* The message_id the send returned: the wrapper's top-level message_id
 * (Kaleyra's own field, set on its v2 status callbacks and the only one on
 * a NOT-SENT, which never reached Meta), else extra_info.message_id, else
 * Meta's statuses[].id. doc/callbacks.md says why. */
static void parse_status(cb_ctx_t *c, const cJSON *st, const cb_where_t *where,
                         const char *path, int only)
{
    cJSON *ev = new_event(c, cJSON_IsObject(st) ? "status" : "unknown", st, where);
    const cJSON *cands[3], *chosen = NULL;
    const char *s;
    int i;

    if (ev == NULL)
        return;
    if (!cJSON_IsObject(st)) {
        warn(c, ev, "%s is %s, not an object", path, type_name(st));
        return;
    }
    cands[0] = only ? c->top_id : NULL;
    cands[1] = only ? member(c->extra, "message_id") : NULL;
    cands[2] = member(st, "id");
    for (i = 0; i < 3 && chosen == NULL; i++)
        if (cJSON_IsString(cands[i]) && cands[i]->valuestring[0] != '\0')
            chosen = cands[i];
    if (chosen != NULL)
        put_string(c, ev, "message_id", chosen->valuestring);
    else if (cands[2] != NULL)
        warn(c, ev, "%s.id is %s, not a string", path, type_name(cands[2]));
    status_ids(c, ev, cands, 3);
    s = get_string(c, ev, st, "status", path);
    if (s == NULL && only && cJSON_IsString(c->top_status))
        s = c->top_status->valuestring;
    if (s != NULL)
        put_status(c, ev, s);
    copy_number(c, ev, "timestamp", st, "timestamp", path);
    copy_string(c, ev, "recipient", st, "recipient_id", path);
    status_errors(c, ev, member(st, "errors"), path);
    put_ref(c, ev, "pricing", member(st, "pricing"));
    put_ref(c, ev, "conversation", member(st, "conversation"));
    put_refs(c, ev);
}

/* ---- template status ---- */

static void parse_template(cb_ctx_t *c, const cJSON *v, const char *path)
{
    cJSON *ev = new_event(c, "template_status", v, NULL);
    const char *s;

    if (ev == NULL)
        return;
    copy_id(c, ev, "template_id", v, "message_template_id", path);
    copy_string(c, ev, "name", v, "message_template_name", path);
    copy_string(c, ev, "language", v, "message_template_language", path);
    copy_string(c, ev, "category", v, "message_template_category", path);
    s = get_string(c, ev, v, "event", path);
    if (s != NULL)
        put_status(c, ev, s);
    copy_string(c, ev, "reason", v, "reason", path);
    copy_number(c, ev, "timestamp", v, "time", path);
}

/* ---- the change object (Kaleyra's meta_object, Meta's changes[]) ---- */

static int parse_change(cb_ctx_t *c, const cJSON *change, const char *path,
                        kwa_result_t *err)
{
    const cJSON *value = member(change, "value"), *field = member(change, "field");
    const cJSON *list, *item;
    cb_where_t where;
    char sub[160];
    int i, n;
    cJSON *ev;

    if (!cJSON_IsObject(change) || !cJSON_IsObject(value)) {
        ev = new_event(c, "unknown", change, NULL);
        if (ev != NULL)
            warn(c, ev, "%s%s is not an object", path, cJSON_IsObject(change) ? ".value" : "");
        return 0;
    }
    if (cJSON_IsString(field) && strcmp(field->valuestring, "message_template_status_update") == 0) {
        sub_path(sub, sizeof sub, "%s.value", path);
        parse_template(c, value, sub);
        return 0;
    }
    where.metadata = cJSON_IsObject(member(value, "metadata")) ? member(value, "metadata") : NULL;
    where.contacts = member(value, "contacts");
    n = 0;
    list = member(value, "messages");
    if (list != NULL) {
        sub_path(sub, sizeof sub, "%s.value.messages", path);
        if (!cJSON_IsArray(list))
            return kwa_fail(err, KWA_CALLBACK, sub, "%s is %s, not an array", sub, type_name(list));
        i = 0;
        cJSON_ArrayForEach(item, list) {
            sub_path(sub, sizeof sub, "%s.value.messages[%d]", path, i++);
            parse_message(c, item, &where, sub);
            n++;
        }
    }
    list = member(value, "statuses");
    if (list != NULL) {
        sub_path(sub, sizeof sub, "%s.value.statuses", path);
        if (!cJSON_IsArray(list))
            return kwa_fail(err, KWA_CALLBACK, sub, "%s is %s, not an array", sub, type_name(list));
        i = 0;
        cJSON_ArrayForEach(item, list) {
            sub_path(sub, sizeof sub, "%s.value.statuses[%d]", path, i++);
            parse_status(c, item, &where, sub, cJSON_GetArraySize(list) == 1);
            n++;
        }
    }
    if (n == 0 && member(value, "messages") == NULL && member(value, "statuses") == NULL)
        new_event(c, "unknown", change, &where);
    return 0;
}

static int parse_envelope(cb_ctx_t *c, const cJSON *root, kwa_result_t *err)
{
    const cJSON *entries = member(root, "entry"), *entry, *changes, *change, *id;
    char path[96];
    int i = 0, j;
    cJSON *ev;

    if (!cJSON_IsArray(entries))
        return kwa_fail(err, KWA_CALLBACK, "entry", "entry is %s, not an array",
                        type_name(entries));
    cJSON_ArrayForEach(entry, entries) {
        changes = member(entry, "changes");
        id = member(entry, "id");
        c->waba_id = cJSON_IsString(id) ? id->valuestring : NULL;
        if (!cJSON_IsArray(changes)) {
            ev = new_event(c, "unknown", entry, NULL);
            if (ev != NULL)
                warn(c, ev, "entry[%d].changes is not an array", i);
            i++;
            continue;
        }
        j = 0;
        cJSON_ArrayForEach(change, changes) {
            sub_path(path, sizeof path, "entry[%d].changes[%d]", i, j++);
            if (parse_change(c, change, path, err) != 0)
                return -1;
        }
        i++;
    }
    c->waba_id = NULL;
    return 0;
}

/* Kaleyra's flat callbacks: NOT-SENT ({code, status, reason, message_id,
 * extra_info}) and a status profile of dynamic variables ({id, status,
 * mobile, ref...}). */
static void parse_flat_status(cb_ctx_t *c, const cJSON *root)
{
    cJSON *ev = new_event(c, "status", root, NULL), *errors, *e;
    const cJSON *cands[3];
    const char *s;

    if (ev == NULL)
        return;
    cands[0] = member(root, "message_id");
    cands[1] = member(c->extra, "message_id");
    cands[2] = member(root, "id");
    s = cJSON_IsString(cands[0]) ? cands[0]->valuestring
      : cJSON_IsString(cands[1]) ? cands[1]->valuestring
      : cJSON_IsString(cands[2]) ? cands[2]->valuestring : NULL;
    if (s != NULL)
        put_string(c, ev, "message_id", s);
    status_ids(c, ev, cands, 3);
    s = get_string(c, ev, root, "status", "body");
    if (s != NULL)
        put_status(c, ev, s);
    copy_number(c, ev, "timestamp", root, "timestamp", "body");
    copy_string(c, ev, "recipient", root, cJSON_IsString(member(root, "mobile")) ? "mobile"
                                            : "phone_number", "body");
    if (member(root, "code") != NULL || member(root, "reason") != NULL ||
        member(root, "error_code") != NULL) {
        errors = mem(c, cJSON_CreateArray());
        put(c, ev, "errors", errors);
        e = mem(c, cJSON_CreateObject());
        if (c->nomem || !cJSON_AddItemToArray(errors, e)) {
            cJSON_Delete(e);
            c->nomem = 1;
            return;
        }
        copy_string(c, e, "code", root, member(root, "code") ? "code" : "error_code", "body");
        copy_string(c, e, "title", root, member(root, "reason") ? "reason" : "error", "body");
    }
    if (cJSON_IsObject(c->extra))
        put_refs(c, ev);
    else {
        const cJSON *saved = c->extra;
        c->extra = root; /* the profile's own ref, ref1, ref2 */
        put_refs(c, ev);
        c->extra = saved;
    }
}

/* Kaleyra's incoming-message profile of dynamic variables: {body,
 * mime_type, media_url, from, name, type, created_at, ...}. */
static void parse_flat_message(cb_ctx_t *c, const cJSON *root)
{
    cJSON *ev = new_event(c, "message", root, NULL), *media;
    const char *type, *url;

    if (ev == NULL)
        return;
    copy_string(c, ev, "from", root, "from", "body");
    copy_string(c, ev, "name", root, "name", "body");
    copy_number(c, ev, "timestamp", root, "created_at", "body");
    type = get_string(c, ev, root, "type", "body");
    if (type == NULL)
        return;
    put_string(c, ev, "type", type);
    if (strcmp(type, "text") == 0) {
        copy_string(c, ev, "text", root, "body", "body");
        return;
    }
    url = get_string(c, ev, root, "media_url", "body");
    if (url == NULL || url[0] == '\0')
        return;
    media = mem(c, cJSON_CreateObject());
    put(c, ev, "media", media);
    if (c->nomem)
        return;
    put_string(c, media, "url", url);
    copy_string(c, media, "mime_type", root, "mime_type", "body");
    copy_string(c, media, "caption", root, "body", "body");
}

static int dispatch(cb_ctx_t *c, const cJSON *root, kwa_result_t *err)
{
    const cJSON *meta = member(root, "meta_object");

    c->extra = cJSON_IsObject(member(root, "extra_info")) ? member(root, "extra_info") : NULL;
    if (meta != NULL) {
        if (!cJSON_IsObject(meta))
            return kwa_fail(err, KWA_CALLBACK, "meta_object", "meta_object is %s, not an object",
                            type_name(meta));
        c->top_status = member(root, "status");
        c->top_id = member(root, "message_id");
        return parse_change(c, meta, "meta_object", err);
    }
    if (member(root, "entry") != NULL && member(root, "object") != NULL)
        return parse_envelope(c, root, err);
    if (member(root, "message_template_id") != NULL ||
        (member(root, "message_template_name") != NULL && member(root, "event") != NULL)) {
        parse_template(c, root, "body");
        return 0;
    }
    if (cJSON_IsString(member(root, "status")) &&
        (member(root, "message_id") != NULL || member(root, "id") != NULL)) {
        parse_flat_status(c, root);
        return 0;
    }
    if (cJSON_IsString(member(root, "from")) && cJSON_IsString(member(root, "type"))) {
        const cJSON *inner = member(root, member(root, "type")->valuestring);
        cb_where_t none = {NULL, NULL};
        /* a bare Meta message object (forwarded alone), or Kaleyra's profile */
        if (cJSON_IsObject(inner) || cJSON_IsArray(inner))
            parse_message(c, root, &none, "body");
        else
            parse_flat_message(c, root);
        return 0;
    }
    new_event(c, "unknown", root, NULL);
    return 0;
}

/* ---- the bytes ---- */

/* 1 if no array or object nests deeper than KWA_MAX_DEPTH (strings skipped). */
static int json_depth_ok(const char *s, size_t len)
{
    size_t i;
    int depth = 0, in_string = 0;

    for (i = 0; i < len; i++) {
        char ch = s[i];
        if (in_string) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_string = 0;
        } else if (ch == '"') {
            in_string = 1;
        } else if (ch == '{' || ch == '[') {
            if (++depth > KWA_MAX_DEPTH)
                return 0;
        } else if (ch == '}' || ch == ']') {
            depth--;
        }
    }
    return 1;
}

/* A copy of s without the commas that directly precede } or ] (outside
 * strings), or NULL if there are none (or memory ran out). */
static char *drop_trailing_commas(const char *s, size_t len, size_t *out_len)
{
    char *out = malloc(len + 1);
    size_t i, k, n = 0;
    int in_string = 0, dropped = 0;

    if (out == NULL)
        return NULL;
    for (i = 0; i < len; i++) {
        char ch = s[i];
        if (in_string) {
            if (ch == '\\' && i + 1 < len)
                out[n++] = s[i++];
            else if (ch == '"')
                in_string = 0;
        } else if (ch == '"') {
            in_string = 1;
        } else if (ch == ',') {
            for (k = i + 1; k < len && strchr(" \t\r\n", s[k]) != NULL && s[k] != '\0'; k++)
                ;
            if (k < len && (s[k] == '}' || s[k] == ']')) {
                dropped = 1;
                continue;
            }
        }
        out[n++] = s[i];
    }
    if (!dropped) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

cJSON *kwa_callback_parse(const char *body, size_t len, unsigned flags,
                          kwa_result_t *err)
{
    cb_ctx_t c;
    cJSON *root, *out;
    const char *end = NULL;
    char *fixed;
    size_t fixed_len = 0;

    kwa_result_free(err);
    if (body == NULL || len == 0)
        return kwa_fail(err, KWA_CALLBACK, "body", "body is empty"), NULL;
    if (len > KWA_MAX_CALLBACK)
        return kwa_fail(err, KWA_CALLBACK, "body", "body is larger than 1 MiB"), NULL;
    if (kwa_utf8_count(body, len) < 0)
        return kwa_fail(err, KWA_CALLBACK, "body", "body is not valid UTF-8"), NULL;
    if (!json_depth_ok(body, len))
        return kwa_fail(err, KWA_CALLBACK, "body", "body nests deeper than %d levels",
                        KWA_MAX_DEPTH), NULL;
    memset(&c, 0, sizeof c);
    root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (root != NULL && end != NULL && (size_t)(end - body) < len) {
        /* only white space may follow the value */
        size_t k;
        for (k = (size_t)(end - body); k < len && strchr(" \t\r\n", body[k]) && body[k]; k++)
            ;
        if (k < len) {
            cJSON_Delete(root);
            root = NULL;
        }
    }
    if (root == NULL && !(flags & KWA_CALLBACK_STRICT)) {
        fixed = drop_trailing_commas(body, len, &fixed_len);
        if (fixed != NULL) {
            root = cJSON_ParseWithLengthOpts(fixed, fixed_len, &end, 0);
            if (root != NULL && (size_t)(end - fixed) != fixed_len) {
                size_t k;
                for (k = (size_t)(end - fixed); k < fixed_len && strchr(" \t\r\n", fixed[k]) && fixed[k]; k++)
                    ;
                if (k < fixed_len) {
                    cJSON_Delete(root);
                    root = NULL;
                }
            }
            free(fixed);
            c.repaired = root != NULL;
        }
    }
    if (root == NULL)
        return kwa_fail(err, KWA_CALLBACK, "body", "body is not valid JSON"), NULL;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return kwa_fail(err, KWA_CALLBACK, "body", "body is not a JSON object"), NULL;
    }
    out = cJSON_CreateObject();
    c.events = cJSON_CreateArray();
    if (out == NULL || c.events == NULL || !cJSON_AddItemToObject(out, "events", c.events)) {
        cJSON_Delete(out);
        cJSON_Delete(c.events);
        cJSON_Delete(root);
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory"), NULL;
    }
    if (!cJSON_AddItemToObject(out, "body", root)) {
        cJSON_Delete(out);
        cJSON_Delete(root);
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory"), NULL;
    }
    if (dispatch(&c, root, err) != 0) {
        cJSON_Delete(out);
        return NULL;
    }
    if (c.nomem) {
        cJSON_Delete(out);
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory"), NULL;
    }
    return out;
}
