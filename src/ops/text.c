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
    kwa_writer_t w;

    kwa_build_begin(&w, fields, a);
    kwa_build_message(&w, &a->v[TO], &a->v[REPLY_TO], "text");
    KWA_WKEY(&w, "text");
    kwa_writer_object(&w);
    KWA_WKEY(&w, "preview_url");
    kwa_writer_bool(&w, a->v[PREVIEW_URL].boolean);
    KWA_WSTR(&w, "body", a->v[BODY].str);
    return kwa_build_finish(req, cfg, a->v[FROM].str, &w, &a->v[EXTRA], err);
}

static void typed(kwa_args_t *a, const kwa_message_t *m)
{
    kwa_args_envelope(a, TO, FROM, EXTRA, &m->u.text.envelope);
    kwa_args_string(&a->v[BODY], m->u.text.body);
    a->v[PREVIEW_URL].present = 1;
    a->v[PREVIEW_URL].boolean = m->u.text.preview_url != 0;
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
    .typed = typed,
};
