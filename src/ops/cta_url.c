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
    kwa_writer_t w;

    kwa_build_begin(&w, fields, a);
    kwa_build_message(&w, &a->v[TO], &a->v[REPLY_TO], "interactive");
    kwa_build_interactive(&w, "cta_url", &a->v[HEADER], a->v[BODY].str, a->v[FOOTER].str, 1);
    KWA_WKEY(&w, "parameters");
    kwa_writer_object(&w);
    KWA_WSTR(&w, "display_text", a->v[DISPLAY_TEXT].str);
    KWA_WSTR(&w, "url", a->v[URL].str);
    return kwa_build_finish(req, cfg, a->v[FROM].str, &w, &a->v[EXTRA], err);
}

static void typed(kwa_args_t *a, const kwa_message_t *m)
{
    kwa_args_envelope(a, TO, FROM, EXTRA, &m->u.cta_url.envelope);
    kwa_args_frame(a, HEADER, BODY, FOOTER, &m->u.cta_url.frame);
    kwa_args_string(&a->v[DISPLAY_TEXT], m->u.cta_url.display_text);
    kwa_args_string(&a->v[URL], m->u.cta_url.url);
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
    .typed = typed,
};
