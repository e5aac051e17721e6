/*
 * ops/raw.c - send: any message Meta's message object allows (reply
 * buttons, lists, media, location, templates...) with Kaleyra's envelope.
 * messaging_object.to, messaging_product, recipient_type and the object
 * named by `type` are checked; the rest passes through as given.
 */
#include <stdio.h>
#include <string.h>

#include "../kwa_op.h"

enum { MESSAGING_OBJECT, FROM, EXTRA };

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

static const kwa_field_t fields[] = {
    [MESSAGING_OBJECT] = {"messaging_object", KWA_FT_TABLE, 1, 0, 0,
                          "Meta's message object; messaging_product and recipient_type are added",
                          check_object, NULL},
    [FROM] = KWA_FIELD_FROM,
    [EXTRA] = KWA_FIELD_EXTRA,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    cJSON *root, *mo = NULL;
    int ok;

    root = kwa_build_envelope(&a->v[EXTRA], &mo);
    ok = root != NULL;
    if (ok) { /* the passthrough copy replaces the empty object */
        cJSON *copy = cJSON_Duplicate(a->v[MESSAGING_OBJECT].json, 1);
        ok = copy != NULL && cJSON_ReplaceItemInObjectCaseSensitive(root, "messaging_object", copy);
        if (!ok)
            cJSON_Delete(copy);
        mo = copy;
    }
    if (ok && !cJSON_HasObjectItem(mo, "messaging_product"))
        KWA_OK(ok, cJSON_AddStringToObject(mo, "messaging_product", "whatsapp"));
    if (ok && !cJSON_HasObjectItem(mo, "recipient_type"))
        KWA_OK(ok, cJSON_AddStringToObject(mo, "recipient_type", "individual"));
    return kwa_build_finish(req, cfg, a->v[FROM].str, root, ok, err);
}

const kwa_opdef_t kwa_op_raw = {
    "raw", "send", "send", "Send any message Meta's message object allows.",
    "POST", "{from}/messages", KWA_ANSWER_MESSAGE, NULL, fields, build,
    NULL, NULL, 0,
};
