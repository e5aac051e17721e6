/*
 * ops/mark_read.c - mark_read: Kaleyra's read receipt for an incoming
 * message (templates-media-read.md, section 3). Marking one message read
 * also marks the earlier ones of that chat read. The documented sample is
 * cut off, so the answer is read as Meta's {"success": true}; a 2xx
 * without it still counts as done (inferred).
 */
#include "../kwa_op.h"

enum { MESSAGE_ID, FROM, EXTRA };

static const kwa_field_t fields[] = {
    [MESSAGE_ID] = {"message_id", KWA_FT_STRING, 1, 1, 256,
                    "the incoming message's id (wamid...)", NULL, NULL},
    [FROM] = KWA_FIELD_FROM,
    [EXTRA] = KWA_FIELD_EXTRA,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    kwa_writer_t w;

    kwa_build_begin(&w, fields, a);
    kwa_build_envelope(&w);
    KWA_WPAIR(&w, "messaging_product", "whatsapp");
    KWA_WPAIR(&w, "status", "read");
    KWA_WSTR(&w, "message_id", a->v[MESSAGE_ID].str);
    if (kwa_build_finish(req, cfg, a->v[FROM].str, &w, &a->v[EXTRA], err) != 0)
        return -1;
    req->answer = KWA_ANSWER_SUCCESS;
    return 0;
}

const kwa_opdef_t kwa_op_mark_read = {
    .name = "mark_read",
    .method = "mark_read",
    .command = "mark-read",
    .summary = "Mark an incoming message (and those before it) read.",
    .http_method = "POST",
    .path = "{from}/messages",
    .answer = KWA_ANSWER_SUCCESS,
    .positional = "message_id",
    .fields = fields,
    .build = build,
};
