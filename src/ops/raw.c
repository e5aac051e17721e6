/*
 * ops/raw.c - send: any message Meta's message object allows (reply
 * buttons, lists, media, location, templates...) with Kaleyra's envelope.
 * messaging_object.to, messaging_product, recipient_type and the object
 * named by `type` are checked; the rest passes through as given.
 * reply_to adds messaging_object.context (which it then must not have).
 */
#include <stdio.h>
#include <string.h>

#include "../kwa_op.h"

enum { MESSAGING_OBJECT, REPLY_TO, FROM, EXTRA };

static int check_object(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                        const kwa_value_t *v)
{
    const cJSON *mo = v->json, *to, *type;
    char field[64];

    (void)cfg;
    (void)f;
    if (!cJSON_IsObject(mo))
        return kwa_fail(err, KWA_VALIDATION, "messaging_object",
                        "messaging_object is required: a table in Meta's message format");
    to = cJSON_GetObjectItemCaseSensitive(mo, "to");
    if (kwa_check_recipients(err, "messaging_object.to",
                             cJSON_IsString(to) ? to->valuestring : NULL) ||
        kwa_check_fixed(err, mo, "messaging_product", "messaging_object.messaging_product",
                        "whatsapp") ||
        kwa_check_fixed(err, mo, "recipient_type", "messaging_object.recipient_type",
                        "individual"))
        return -1;
    type = cJSON_GetObjectItemCaseSensitive(mo, "type");
    /* a name such as "image": it becomes part of a field name below, which
     * must stay ASCII and never carry the caller's arbitrary text */
    if (type != NULL && !(cJSON_IsString(type) && *type->valuestring != '\0' &&
                          strlen(type->valuestring) <= 40 &&
                          strspn(type->valuestring, "abcdefghijklmnopqrstuvwxyz_") ==
                              strlen(type->valuestring)))
        return kwa_fail(err, KWA_VALIDATION, "messaging_object.type",
                        "messaging_object.type must be a message type such as text or image");
    snprintf(field, sizeof field, "messaging_object.%.40s", type ? type->valuestring : "text");
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(mo, type ? type->valuestring : "text")))
        return kwa_fail(err, KWA_VALIDATION, field, "%s is required for this type", field);
    return 0;
}

/* reply_to is the short form of messaging_object.context: not both. */
static int check_reply(kwa_result_t *err, const kwa_config_t *cfg, const kwa_args_t *a)
{
    (void)cfg;
    if (a->v[REPLY_TO].present &&
        cJSON_HasObjectItem(a->v[MESSAGING_OBJECT].json, "context"))
        return kwa_fail(err, KWA_VALIDATION, "reply_to",
                        "reply_to and messaging_object.context exclude each other");
    return 0;
}

static const kwa_field_t fields[] = {
    [MESSAGING_OBJECT] = {"messaging_object", KWA_FT_TABLE, 1, 0, 0,
                          "Meta's message object; messaging_product and recipient_type are added",
                          check_object, NULL},
    [REPLY_TO] = KWA_FIELD_REPLY_TO,
    [FROM] = KWA_FIELD_FROM,
    [EXTRA] = KWA_FIELD_EXTRA,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    const cJSON *mo = a->v[MESSAGING_OBJECT].json;
    kwa_writer_t w;

    kwa_build_begin(&w, fields, a);
    kwa_writer_object(&w);
    KWA_WKEY(&w, "messaging_object");
    kwa_writer_json_open(&w, mo); /* passed through, then what it lacks: */
    if (!cJSON_HasObjectItem(mo, "messaging_product"))
        KWA_WPAIR(&w, "messaging_product", "whatsapp");
    if (!cJSON_HasObjectItem(mo, "recipient_type"))
        KWA_WPAIR(&w, "recipient_type", "individual");
    if (a->v[REPLY_TO].present) {
        KWA_WKEY(&w, "context");
        kwa_writer_object(&w);
        KWA_WSTR(&w, "message_id", a->v[REPLY_TO].str);
    }
    return kwa_build_finish(req, cfg, a->v[FROM].str, &w, &a->v[EXTRA], err);
}

static void typed(kwa_args_t *a, const kwa_message_t *m)
{
    kwa_args_json(&a->v[MESSAGING_OBJECT], m->u.raw.messaging_object);
    kwa_args_string(&a->v[FROM], m->u.raw.from);
    kwa_args_extra(&a->v[EXTRA], m->u.raw.extra_info);
}

const kwa_opdef_t kwa_op_raw = {
    .name = "raw",
    .method = "send",
    .command = "send",
    .summary = "Send any message Meta's message object allows.",
    .http_method = "POST",
    .path = "{from}/messages",
    .answer = KWA_ANSWER_MESSAGE,
    .fields = fields,
    .build = build,
    .check = check_reply,
    .typed = typed,
};
