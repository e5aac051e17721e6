/*
 * kwa_callback_message.c - the "message" events of the callback parser:
 * Meta's message object (text, media, location, contacts, interactive
 * replies and flows, buttons, reactions), whether inside a change or alone,
 * and Kaleyra's flat incoming-message profile. doc/callbacks.md has the
 * event shape. Pure: no I/O, no Lua.
 *
 * Caveats: a flow's response_json is a string holding JSON; it is parsed
 * with the same depth limit as the body and, when it is not an object, the
 * event says so in flow.error and in its warnings.
 *
 * Ownership: the event owns what is built here, including the flow's parsed
 * response and the copy of contacts (which is changed: phones, emails, urls
 * and addresses made arrays); nothing of the body is modified.
 */
#include <string.h>

#include "kwa_callback_int.h"

static const char *const media_types[] = {"image", "audio", "video", "document", "sticker", NULL};

static void message_media(kwa_cb_ctx_t *c, cJSON *ev, const cJSON *obj, const char *path)
{
    cJSON *media = kwa_cb_mem(c, cJSON_CreateObject());
    const char *url;

    kwa_cb_put(c, ev, "media", media);
    if (c->nomem)
        return;
    kwa_cb_copy_string(c, media, "id", obj, "id", path);
    kwa_cb_copy_string(c, media, "mime_type", obj, "mime_type", path);
    kwa_cb_copy_string(c, media, "sha256", obj, "sha256", path);
    kwa_cb_copy_string(c, media, "caption", obj, "caption", path);
    kwa_cb_copy_string(c, media, "filename", obj, "filename", path);
    url = kwa_cb_get_string(c, ev, c->extra, "media_url", "extra_info");
    if (url != NULL && url[0] != '\0')
        kwa_cb_put_string(c, media, "url", url);
    if (cJSON_GetObjectItemCaseSensitive(media, "url") == NULL)
        kwa_cb_copy_string(c, media, "url", obj, "url", path); /* Meta's own, if any */
}

static void message_location(kwa_cb_ctx_t *c, cJSON *ev, const cJSON *obj, const char *path)
{
    cJSON *loc = kwa_cb_mem(c, cJSON_CreateObject());

    kwa_cb_put(c, ev, "location", loc);
    if (c->nomem)
        return;
    kwa_cb_copy_number(c, loc, "latitude", obj, "latitude", path);
    kwa_cb_copy_number(c, loc, "longitude", obj, "longitude", path);
    kwa_cb_copy_string(c, loc, "name", obj, "name", path);
    kwa_cb_copy_string(c, loc, "address", obj, "address", path);
    kwa_cb_copy_string(c, loc, "url", obj, "url", path);
}

/* contacts: a copy in which phones, emails, urls and addresses are always
 * arrays (Kaleyra's sample prints phones as one object). */
static void message_contacts(kwa_cb_ctx_t *c, cJSON *ev, const cJSON *list, const char *path)
{
    static const char *const plural[] = {"phones", "emails", "urls", "addresses", NULL};
    cJSON *copy, *contact, *v, *arr;
    int i;

    if (!cJSON_IsArray(list)) {
        if (list != NULL)
            kwa_cb_warn(c, ev, "%s is %s, not an array", path, kwa_cb_type_name(list));
        return;
    }
    copy = kwa_cb_mem(c, cJSON_Duplicate(list, 1));
    kwa_cb_put(c, ev, "contacts", copy);
    if (c->nomem)
        return;
    for (contact = copy->child; contact != NULL; contact = contact->next)
        for (i = 0; plural[i] != NULL; i++) {
            v = cJSON_GetObjectItemCaseSensitive(contact, plural[i]);
            if (!cJSON_IsObject(v))
                continue;
            arr = kwa_cb_mem(c, cJSON_CreateArray());
            if (arr == NULL)
                return;
            v = cJSON_DetachItemViaPointer(contact, v);
            cJSON_AddItemToArray(arr, v);
            kwa_cb_put(c, contact, plural[i], arr);
        }
}

static void message_reply(kwa_cb_ctx_t *c, cJSON *ev, const char *kind, const cJSON *obj,
                          const char *path)
{
    cJSON *reply = kwa_cb_mem(c, cJSON_CreateObject());

    kwa_cb_put(c, ev, "reply", reply);
    if (c->nomem)
        return;
    kwa_cb_put_string(c, reply, "kind", kind);
    if (strcmp(kind, "button") == 0) {
        kwa_cb_copy_string(c, reply, "payload", obj, "payload", path);
        kwa_cb_copy_string(c, reply, "title", obj, "text", path);
    } else {
        kwa_cb_copy_string(c, reply, "id", obj, "id", path);
        kwa_cb_copy_string(c, reply, "title", obj, "title", path);
        kwa_cb_copy_string(c, reply, "description", obj, "description", path);
    }
}

static void message_flow(kwa_cb_ctx_t *c, cJSON *ev, const cJSON *nfm, const char *path)
{
    cJSON *flow = kwa_cb_mem(c, cJSON_CreateObject()), *response = NULL;
    const char *text;
    const cJSON *token;

    kwa_cb_put(c, ev, "flow", flow);
    if (c->nomem)
        return;
    kwa_cb_copy_string(c, flow, "name", nfm, "name", path);
    kwa_cb_copy_string(c, flow, "body", nfm, "body", path);
    text = kwa_cb_get_string(c, ev, nfm, "response_json", path);
    if (text == NULL) {
        kwa_cb_put_string(c, flow, "error", "response_json is missing or not a string");
        kwa_cb_warn(c, ev, "%s.response_json is missing or not a string", path);
        return;
    }
    if (kwa_cb_json_depth_ok(text, strlen(text)))
        response = cJSON_ParseWithLength(text, strlen(text));
    if (!cJSON_IsObject(response)) {
        cJSON_Delete(response);
        kwa_cb_put_string(c, flow, "error", "response_json is not a JSON object");
        kwa_cb_warn(c, ev, "%s.response_json is not a JSON object", path);
        return;
    }
    kwa_cb_put(c, flow, "response", response);
    token = cJSON_GetObjectItemCaseSensitive(response, "flow_token");
    if (cJSON_IsString(token))
        kwa_cb_put_string(c, flow, "token", token->valuestring);
    else if (token != NULL)
        kwa_cb_warn(c, ev, "%s.response_json.flow_token is %s, not a string", path,
                    kwa_cb_type_name(token));
}

static void message_interactive(kwa_cb_ctx_t *c, cJSON *ev, const cJSON *obj, const char *path)
{
    char sub[160];
    const char *kind = kwa_cb_get_string(c, ev, obj, "type", path);
    const cJSON *inner;

    if (kind == NULL)
        return;
    inner = kwa_cb_member(obj, kind);
    kwa_cb_sub_path(sub, sizeof sub, "%s.%s", path, kind);
    if (inner != NULL && !cJSON_IsObject(inner)) {
        kwa_cb_warn(c, ev, "%s is %s, not an object", sub, kwa_cb_type_name(inner));
        return;
    }
    if (strcmp(kind, "button_reply") == 0 || strcmp(kind, "list_reply") == 0)
        message_reply(c, ev, kind, inner, sub);
    else if (strcmp(kind, "nfm_reply") == 0)
        message_flow(c, ev, inner, sub);
}

/* The contact's profile name: the contact whose wa_id is the sender, or
 * else the only one. */
static void message_name(kwa_cb_ctx_t *c, cJSON *ev, const kwa_cb_where_t *where, const char *from)
{
    const cJSON *contact, *found = NULL, *wa_id;
    const cJSON *profile;

    if (!cJSON_IsArray(where->contacts))
        return;
    cJSON_ArrayForEach(contact, where->contacts) {
        wa_id = kwa_cb_member(contact, "wa_id");
        if (from != NULL && cJSON_IsString(wa_id) && strcmp(wa_id->valuestring, from) == 0)
            found = contact;
    }
    if (found == NULL && cJSON_GetArraySize(where->contacts) == 1)
        found = where->contacts->child;
    profile = kwa_cb_member(found, "profile");
    if (profile != NULL)
        kwa_cb_copy_string(c, ev, "name", profile, "name", "contacts[].profile");
}

void kwa_cb_parse_message(kwa_cb_ctx_t *c, const cJSON *msg, const kwa_cb_where_t *where,
                          const char *path)
{
    cJSON *ev = kwa_cb_new_event(c, cJSON_IsObject(msg) ? "message" : "unknown", msg, where);
    const char *type, *from;
    const cJSON *ctx, *inner;
    char sub[160];
    int i;

    if (ev == NULL)
        return;
    if (!cJSON_IsObject(msg)) {
        kwa_cb_warn(c, ev, "%s is %s, not an object", path, kwa_cb_type_name(msg));
        return;
    }
    kwa_cb_copy_string(c, ev, "id", msg, "id", path);
    from = kwa_cb_get_string(c, ev, msg, "from", path);
    if (from != NULL)
        kwa_cb_put_string(c, ev, "from", from);
    message_name(c, ev, where, from);
    kwa_cb_copy_number(c, ev, "timestamp", msg, "timestamp", path);
    type = kwa_cb_get_string(c, ev, msg, "type", path);
    if (type != NULL)
        kwa_cb_put_string(c, ev, "type", type);
    ctx = kwa_cb_member(msg, "context");
    if (cJSON_IsObject(ctx)) {
        cJSON *context = kwa_cb_mem(c, cJSON_CreateObject());
        kwa_cb_put(c, ev, "context", context);
        if (c->nomem)
            return;
        kwa_cb_sub_path(sub, sizeof sub, "%s.context", path);
        kwa_cb_copy_string(c, context, "id", ctx, "id", sub);
        kwa_cb_copy_string(c, context, "from", ctx, "from", sub);
    }
    kwa_cb_put_refs(c, ev);
    if (type == NULL)
        return;
    kwa_cb_sub_path(sub, sizeof sub, "%s.%s", path, type);
    inner = kwa_cb_member(msg, type);
    if (inner != NULL && !cJSON_IsObject(inner) && strcmp(type, "contacts") != 0) {
        kwa_cb_warn(c, ev, "%s is %s, not an object", sub, kwa_cb_type_name(inner));
        return;
    }
    for (i = 0; media_types[i] != NULL; i++)
        if (strcmp(type, media_types[i]) == 0) {
            message_media(c, ev, inner, sub);
            return;
        }
    if (strcmp(type, "text") == 0)
        kwa_cb_copy_string(c, ev, "text", inner, "body", sub);
    else if (strcmp(type, "location") == 0)
        message_location(c, ev, inner, sub);
    else if (strcmp(type, "contacts") == 0)
        message_contacts(c, ev, inner, sub);
    else if (strcmp(type, "interactive") == 0)
        message_interactive(c, ev, inner, sub);
    else if (strcmp(type, "button") == 0)
        message_reply(c, ev, "button", inner, sub);
    else if (strcmp(type, "reaction") == 0) {
        cJSON *r = kwa_cb_mem(c, cJSON_CreateObject());
        kwa_cb_put(c, ev, "reaction", r);
        if (c->nomem)
            return;
        kwa_cb_copy_string(c, r, "message_id", inner, "message_id", sub);
        kwa_cb_copy_string(c, r, "emoji", inner, "emoji", sub);
    }
}

/* Kaleyra's incoming-message profile of dynamic variables: {body,
 * mime_type, media_url, from, name, type, created_at, ...}. */
void kwa_cb_parse_flat_message(kwa_cb_ctx_t *c, const cJSON *root)
{
    cJSON *ev = kwa_cb_new_event(c, "message", root, NULL), *media;
    const char *type, *url;

    if (ev == NULL)
        return;
    kwa_cb_copy_string(c, ev, "from", root, "from", "body");
    kwa_cb_copy_string(c, ev, "name", root, "name", "body");
    kwa_cb_copy_number(c, ev, "timestamp", root, "created_at", "body");
    type = kwa_cb_get_string(c, ev, root, "type", "body");
    if (type == NULL)
        return;
    kwa_cb_put_string(c, ev, "type", type);
    if (strcmp(type, "text") == 0) {
        kwa_cb_copy_string(c, ev, "text", root, "body", "body");
        return;
    }
    url = kwa_cb_get_string(c, ev, root, "media_url", "body");
    if (url == NULL || url[0] == '\0')
        return;
    media = kwa_cb_mem(c, cJSON_CreateObject());
    kwa_cb_put(c, ev, "media", media);
    if (c->nomem)
        return;
    kwa_cb_put_string(c, media, "url", url);
    kwa_cb_copy_string(c, media, "mime_type", root, "mime_type", "body");
    kwa_cb_copy_string(c, media, "caption", root, "body", "body");
}
