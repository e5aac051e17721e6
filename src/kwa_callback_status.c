/*
 * kwa_callback_status.c - the "status" and "template_status" events of
 * the callback parser: Meta's statuses[] (with Kaleyra's wrapper fields),
 * Kaleyra's flat NOT-SENT and status profile, and template status updates.
 * Pure: no I/O, no Lua.
 *
 * Caveats: which id is the send's message_id differs by shape (see
 * kwa_cb_parse_status and doc/callbacks.md); "ids" lists every candidate so
 * a caller can match whichever it kept.
 *
 * Ownership: the event owns what is built here; "pricing" and
 * "conversation" are references into the body, never copies.
 */
#include <string.h>

#include "kwa_callback_int.h"

static void status_errors(kwa_cb_ctx_t *c, cJSON *ev, const cJSON *list, const char *path)
{
    cJSON *out, *e;
    const cJSON *item, *data;
    char sub[160];
    int i = 0;

    if (list == NULL)
        return;
    if (!cJSON_IsArray(list)) {
        kwa_cb_warn(c, ev, "%s.errors is %s, not an array", path, kwa_cb_type_name(list));
        return;
    }
    out = kwa_cb_mem(c, cJSON_CreateArray());
    kwa_cb_put(c, ev, "errors", out);
    cJSON_ArrayForEach(item, list) {
        if (c->nomem)
            return;
        kwa_cb_sub_path(sub, sizeof sub, "%s.errors[%d]", path, i++);
        if (!cJSON_IsObject(item)) {
            kwa_cb_warn(c, ev, "%s is %s, not an object", sub, kwa_cb_type_name(item));
            continue;
        }
        e = kwa_cb_mem(c, cJSON_CreateObject());
        if (e == NULL || !cJSON_AddItemToArray(out, e)) {
            cJSON_Delete(e);
            c->nomem = 1;
            return;
        }
        if (cJSON_IsNumber(kwa_cb_member(item, "code")))
            kwa_cb_put(c, e, "code", cJSON_CreateNumber(kwa_cb_member(item, "code")->valuedouble));
        else
            kwa_cb_copy_string(c, e, "code", item, "code", sub);
        kwa_cb_copy_string(c, e, "title", item, "title", sub);
        kwa_cb_copy_string(c, e, "message", item, "message", sub);
        data = kwa_cb_member(item, "error_data");
        if (data != NULL)
            kwa_cb_copy_string(c, e, "details", data, "details", sub);
    }
}

/* Adds "ids": every distinct candidate for the send's message_id. */
static void status_ids(kwa_cb_ctx_t *c, cJSON *ev, const cJSON *const *cands, int n)
{
    cJSON *ids = kwa_cb_mem(c, cJSON_CreateArray()), *s;
    const cJSON *seen;
    int i, dup;

    kwa_cb_put(c, ev, "ids", ids);
    for (i = 0; i < n && !c->nomem; i++) {
        if (!cJSON_IsString(cands[i]) || cands[i]->valuestring[0] == '\0')
            continue;
        dup = 0;
        cJSON_ArrayForEach(seen, ids)
            dup |= strcmp(seen->valuestring, cands[i]->valuestring) == 0;
        if (dup)
            continue;
        s = kwa_cb_mem(c, cJSON_CreateString(cands[i]->valuestring));
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
void kwa_cb_parse_status(kwa_cb_ctx_t *c, const cJSON *st, const kwa_cb_where_t *where,
                         const char *path, int only)
{
    cJSON *ev = kwa_cb_new_event(c, cJSON_IsObject(st) ? "status" : "unknown", st, where);
    const cJSON *cands[3], *chosen = NULL;
    const char *s;
    int i;

    if (ev == NULL)
        return;
    if (!cJSON_IsObject(st)) {
        kwa_cb_warn(c, ev, "%s is %s, not an object", path, kwa_cb_type_name(st));
        return;
    }
    cands[0] = only ? c->top_id : NULL;
    cands[1] = only ? kwa_cb_member(c->extra, "message_id") : NULL;
    cands[2] = kwa_cb_member(st, "id");
    for (i = 0; i < 3 && chosen == NULL; i++)
        if (cJSON_IsString(cands[i]) && cands[i]->valuestring[0] != '\0')
            chosen = cands[i];
    if (chosen != NULL)
        kwa_cb_put_string(c, ev, "message_id", chosen->valuestring);
    else if (cands[2] != NULL)
        kwa_cb_warn(c, ev, "%s.id is %s, not a string", path, kwa_cb_type_name(cands[2]));
    status_ids(c, ev, cands, 3);
    s = kwa_cb_get_string(c, ev, st, "status", path);
    if (s == NULL && only && cJSON_IsString(c->top_status))
        s = c->top_status->valuestring;
    if (s != NULL)
        kwa_cb_put_status(c, ev, s);
    kwa_cb_copy_number(c, ev, "timestamp", st, "timestamp", path);
    kwa_cb_copy_string(c, ev, "recipient", st, "recipient_id", path);
    status_errors(c, ev, kwa_cb_member(st, "errors"), path);
    kwa_cb_put_ref(c, ev, "pricing", kwa_cb_member(st, "pricing"));
    kwa_cb_put_ref(c, ev, "conversation", kwa_cb_member(st, "conversation"));
    kwa_cb_put_refs(c, ev);
}

/* Kaleyra's flat callbacks: NOT-SENT ({code, status, reason, message_id,
 * extra_info}) and a status profile of dynamic variables ({id, status,
 * mobile, ref...}). */
void kwa_cb_parse_flat_status(kwa_cb_ctx_t *c, const cJSON *root)
{
    cJSON *ev = kwa_cb_new_event(c, "status", root, NULL), *errors, *e;
    const cJSON *cands[3];
    const char *s;

    if (ev == NULL)
        return;
    cands[0] = kwa_cb_member(root, "message_id");
    cands[1] = kwa_cb_member(c->extra, "message_id");
    cands[2] = kwa_cb_member(root, "id");
    s = cJSON_IsString(cands[0]) ? cands[0]->valuestring
      : cJSON_IsString(cands[1]) ? cands[1]->valuestring
      : cJSON_IsString(cands[2]) ? cands[2]->valuestring : NULL;
    if (s != NULL)
        kwa_cb_put_string(c, ev, "message_id", s);
    status_ids(c, ev, cands, 3);
    s = kwa_cb_get_string(c, ev, root, "status", "body");
    if (s != NULL)
        kwa_cb_put_status(c, ev, s);
    kwa_cb_copy_number(c, ev, "timestamp", root, "timestamp", "body");
    kwa_cb_copy_string(c, ev, "recipient", root,
                       cJSON_IsString(kwa_cb_member(root, "mobile")) ? "mobile" : "phone_number",
                       "body");
    if (kwa_cb_member(root, "code") != NULL || kwa_cb_member(root, "reason") != NULL ||
        kwa_cb_member(root, "error_code") != NULL) {
        errors = kwa_cb_mem(c, cJSON_CreateArray());
        kwa_cb_put(c, ev, "errors", errors);
        e = kwa_cb_mem(c, cJSON_CreateObject());
        if (c->nomem || !cJSON_AddItemToArray(errors, e)) {
            cJSON_Delete(e);
            c->nomem = 1;
            return;
        }
        kwa_cb_copy_string(c, e, "code", root,
                           kwa_cb_member(root, "code") ? "code" : "error_code", "body");
        kwa_cb_copy_string(c, e, "title", root,
                           kwa_cb_member(root, "reason") ? "reason" : "error", "body");
    }
    if (cJSON_IsObject(c->extra))
        kwa_cb_put_refs(c, ev);
    else {
        const cJSON *saved = c->extra;
        c->extra = root; /* the profile's own ref, ref1, ref2 */
        kwa_cb_put_refs(c, ev);
        c->extra = saved;
    }
}

/* A template status update: the value of Meta's
 * message_template_status_update change, or Kaleyra's flat one. */
void kwa_cb_parse_template(kwa_cb_ctx_t *c, const cJSON *v, const char *path)
{
    cJSON *ev = kwa_cb_new_event(c, "template_status", v, NULL);
    const char *s;

    if (ev == NULL)
        return;
    kwa_cb_copy_id(c, ev, "template_id", v, "message_template_id", path);
    kwa_cb_copy_string(c, ev, "name", v, "message_template_name", path);
    kwa_cb_copy_string(c, ev, "language", v, "message_template_language", path);
    kwa_cb_copy_string(c, ev, "category", v, "message_template_category", path);
    s = kwa_cb_get_string(c, ev, v, "event", path);
    if (s != NULL)
        kwa_cb_put_status(c, ev, s);
    kwa_cb_copy_string(c, ev, "reason", v, "reason", path);
    kwa_cb_copy_number(c, ev, "timestamp", v, "time", path);
}
