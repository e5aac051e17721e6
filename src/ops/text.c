/*
 * ops/text.c - send_text: a text message, optionally with a link preview
 * (send-text-message.txt).
 */
#include "../kwa_op.h"

enum { TO, BODY, PREVIEW_URL, REPLY_TO, FROM, EXTRA };

static const kwa_field_t fields[] = {
    [TO] = KWA_FIELD_TO,
    [BODY] = {"body", KWA_FT_STRING, 1, 1, 4096, "the text, 1 to 4096 characters", NULL, NULL},
    [PREVIEW_URL] = {"preview_url", KWA_FT_BOOL, 0, 0, 0,
                     "let WhatsApp show a preview of the first URL", NULL, NULL},
    [REPLY_TO] = KWA_FIELD_REPLY_TO,
    [FROM] = KWA_FIELD_FROM,
    [EXTRA] = KWA_FIELD_EXTRA,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    cJSON *mo = NULL, *text;
    cJSON *root = kwa_build_message(&a->v[TO], &a->v[REPLY_TO], &a->v[EXTRA],
                                    "text", &mo);
    int ok = root != NULL;

    KWA_OK(ok, text = cJSON_AddObjectToObject(mo, "text"));
    KWA_OK(ok, cJSON_AddBoolToObject(text, "preview_url", a->v[PREVIEW_URL].boolean));
    KWA_OK(ok, cJSON_AddStringToObject(text, "body", a->v[BODY].str));
    return kwa_build_finish(req, cfg, a->v[FROM].str, root, ok, err);
}

const kwa_opdef_t kwa_op_text = {
    .name = "text",
    .method = "send_text",
    .command = "text",
    .summary = "Send a text message.",
    .http_method = "POST",
    .path = "{from}/messages",
    .answer = KWA_ANSWER_MESSAGE,
    .fields = fields,
    .build = build,
};
