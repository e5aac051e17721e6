/*
 * ops/cta_url.c - send_cta_url: an interactive message whose one button
 * opens a URL (send-cta-url-button-message.txt).
 */
#include "../kwa_op.h"

enum { TO, HEADER, BODY, FOOTER, DISPLAY_TEXT, URL, REPLY_TO, FROM, EXTRA };

static const kwa_field_t fields[] = {
    [TO] = KWA_FIELD_TO,
    [HEADER] = KWA_FIELD_HEADER,
    [BODY] = KWA_FIELD_BODY,
    [FOOTER] = KWA_FIELD_FOOTER,
    [DISPLAY_TEXT] = {"display_text", KWA_FT_STRING, 1, 1, 20,
                      "button label, 1 to 20 characters", NULL, NULL},
    [URL] = {"url", KWA_FT_STRING, 1, 1, 2000, "absolute http(s) URL the button opens",
             kwa_check_url_field, NULL},
    [REPLY_TO] = KWA_FIELD_REPLY_TO,
    [FROM] = KWA_FIELD_FROM,
    [EXTRA] = KWA_FIELD_EXTRA,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    cJSON *mo = NULL, *action = NULL, *params;
    cJSON *root = kwa_build_message(&a->v[TO], &a->v[REPLY_TO], &a->v[EXTRA],
                                    "interactive", &mo);
    int ok = root != NULL;

    KWA_OK(ok, action = kwa_build_interactive(mo, "cta_url", &a->v[HEADER], a->v[BODY].str,
                                              a->v[FOOTER].str));
    KWA_OK(ok, params = cJSON_AddObjectToObject(action, "parameters"));
    KWA_OK(ok, cJSON_AddStringToObject(params, "display_text", a->v[DISPLAY_TEXT].str));
    KWA_OK(ok, cJSON_AddStringToObject(params, "url", a->v[URL].str));
    return kwa_build_finish(req, cfg, a->v[FROM].str, root, ok, err);
}

const kwa_opdef_t kwa_op_cta_url = {
    .name = "cta_url",
    .method = "send_cta_url",
    .command = "cta-url",
    .summary = "Send an interactive call-to-action URL button.",
    .http_method = "POST",
    .path = "{from}/messages",
    .answer = KWA_ANSWER_MESSAGE,
    .fields = fields,
    .build = build,
};
