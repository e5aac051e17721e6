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
 *
 * This file: the bytes (size, UTF-8, depth, the trailing-comma repair), the
 * shapes and their dispatch; the events are built by kwa_callback_message.c
 * and kwa_callback_status.c with the helpers of kwa_callback_event.c
 * (contracts in kwa_callback_int.h).
 */
#include <stdlib.h>
#include <string.h>

#include "kwa_callback_int.h"

/* ---- the change object (Kaleyra's meta_object, Meta's changes[]) ---- */

static int parse_change(kwa_cb_ctx_t *c, const cJSON *change, const char *path,
                        kwa_result_t *err)
{
    const cJSON *value = kwa_cb_member(change, "value"), *field = kwa_cb_member(change, "field");
    const cJSON *list, *item;
    kwa_cb_where_t where;
    char sub[160];
    int i, n;
    cJSON *ev;

    if (!cJSON_IsObject(change) || !cJSON_IsObject(value)) {
        ev = kwa_cb_new_event(c, "unknown", change, NULL);
        if (ev != NULL)
            kwa_cb_warn(c, ev, "%s%s is not an object", path,
                        cJSON_IsObject(change) ? ".value" : "");
        return 0;
    }
    if (cJSON_IsString(field) &&
        strcmp(field->valuestring, "message_template_status_update") == 0) {
        kwa_cb_sub_path(sub, sizeof sub, "%s.value", path);
        kwa_cb_parse_template(c, value, sub);
        return 0;
    }
    where.metadata = kwa_cb_member(value, "metadata");
    if (!cJSON_IsObject(where.metadata))
        where.metadata = NULL;
    where.contacts = kwa_cb_member(value, "contacts");
    n = 0;
    list = kwa_cb_member(value, "messages");
    if (list != NULL) {
        kwa_cb_sub_path(sub, sizeof sub, "%s.value.messages", path);
        if (!cJSON_IsArray(list))
            return kwa_fail(err, KWA_CALLBACK, sub, "%s is %s, not an array", sub,
                            kwa_cb_type_name(list));
        i = 0;
        cJSON_ArrayForEach(item, list) {
            kwa_cb_sub_path(sub, sizeof sub, "%s.value.messages[%d]", path, i++);
            kwa_cb_parse_message(c, item, &where, sub);
            n++;
        }
    }
    list = kwa_cb_member(value, "statuses");
    if (list != NULL) {
        kwa_cb_sub_path(sub, sizeof sub, "%s.value.statuses", path);
        if (!cJSON_IsArray(list))
            return kwa_fail(err, KWA_CALLBACK, sub, "%s is %s, not an array", sub,
                            kwa_cb_type_name(list));
        i = 0;
        cJSON_ArrayForEach(item, list) {
            kwa_cb_sub_path(sub, sizeof sub, "%s.value.statuses[%d]", path, i++);
            kwa_cb_parse_status(c, item, &where, sub, cJSON_GetArraySize(list) == 1);
            n++;
        }
    }
    if (n == 0 && kwa_cb_member(value, "messages") == NULL &&
        kwa_cb_member(value, "statuses") == NULL)
        kwa_cb_new_event(c, "unknown", change, &where);
    return 0;
}

static int parse_envelope(kwa_cb_ctx_t *c, const cJSON *root, kwa_result_t *err)
{
    const cJSON *entries = kwa_cb_member(root, "entry"), *entry, *changes, *change, *id;
    char path[96];
    int i = 0, j;
    cJSON *ev;

    if (!cJSON_IsArray(entries))
        return kwa_fail(err, KWA_CALLBACK, "entry", "entry is %s, not an array",
                        kwa_cb_type_name(entries));
    cJSON_ArrayForEach(entry, entries) {
        changes = kwa_cb_member(entry, "changes");
        id = kwa_cb_member(entry, "id");
        c->waba_id = cJSON_IsString(id) ? id->valuestring : NULL;
        if (!cJSON_IsArray(changes)) {
            ev = kwa_cb_new_event(c, "unknown", entry, NULL);
            if (ev != NULL)
                kwa_cb_warn(c, ev, "entry[%d].changes is not an array", i);
            i++;
            continue;
        }
        j = 0;
        cJSON_ArrayForEach(change, changes) {
            kwa_cb_sub_path(path, sizeof path, "entry[%d].changes[%d]", i, j++);
            if (parse_change(c, change, path, err) != 0)
                return -1;
        }
        i++;
    }
    c->waba_id = NULL;
    return 0;
}

static int dispatch(kwa_cb_ctx_t *c, const cJSON *root, kwa_result_t *err)
{
    const cJSON *meta = kwa_cb_member(root, "meta_object");

    c->extra = kwa_cb_member(root, "extra_info");
    if (!cJSON_IsObject(c->extra))
        c->extra = NULL;
    if (meta != NULL) {
        if (!cJSON_IsObject(meta))
            return kwa_fail(err, KWA_CALLBACK, "meta_object", "meta_object is %s, not an object",
                            kwa_cb_type_name(meta));
        c->top_status = kwa_cb_member(root, "status");
        c->top_id = kwa_cb_member(root, "message_id");
        return parse_change(c, meta, "meta_object", err);
    }
    if (kwa_cb_member(root, "entry") != NULL && kwa_cb_member(root, "object") != NULL)
        return parse_envelope(c, root, err);
    if (kwa_cb_member(root, "message_template_id") != NULL ||
        (kwa_cb_member(root, "message_template_name") != NULL &&
         kwa_cb_member(root, "event") != NULL)) {
        kwa_cb_parse_template(c, root, "body");
        return 0;
    }
    if (cJSON_IsString(kwa_cb_member(root, "status")) &&
        (kwa_cb_member(root, "message_id") != NULL || kwa_cb_member(root, "id") != NULL)) {
        kwa_cb_parse_flat_status(c, root);
        return 0;
    }
    if (cJSON_IsString(kwa_cb_member(root, "from")) &&
        cJSON_IsString(kwa_cb_member(root, "type"))) {
        const cJSON *inner = kwa_cb_member(root, kwa_cb_member(root, "type")->valuestring);
        kwa_cb_where_t none = {NULL, NULL};
        /* a bare Meta message object (forwarded alone), or Kaleyra's profile */
        if (cJSON_IsObject(inner) || cJSON_IsArray(inner))
            kwa_cb_parse_message(c, root, &none, "body");
        else
            kwa_cb_parse_flat_message(c, root);
        return 0;
    }
    kwa_cb_new_event(c, "unknown", root, NULL);
    return 0;
}

/* ---- the bytes ---- */

/* 1 if no array or object nests deeper than KWA_MAX_DEPTH (strings skipped). */
int kwa_cb_json_depth_ok(const char *s, size_t len)
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
    kwa_cb_ctx_t c;
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
    if (!kwa_cb_json_depth_ok(body, len))
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
