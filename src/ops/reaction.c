/*
 * ops/reaction.c - send_reaction: an emoji on a message of the chat
 * (Meta's reaction message, passed through by Kaleyra). An empty emoji
 * takes the reaction back, as Meta documents. A reaction already points
 * at its message, so it has no reply_to. The emoji is not matched
 * against Unicode's emoji list: 1 to 16 characters (sequences with skin
 * tones and joiners run to about 10) is the guard here.
 */
#include "../kwa_op.h"

enum { TO, MESSAGE_ID, EMOJI, FROM, EXTRA };

static int check_emoji(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                       const kwa_value_t *v)
{
    (void)cfg;
    if (!v->present || v->str == NULL)
        return kwa_fail(err, KWA_VALIDATION, f->name,
                        "%s is required: an emoji, or \"\" to remove the reaction", f->name);
    if (v->str[0] == '\0')
        return 0;
    return kwa_check_text(err, f->name, v->str, 1, f->max);
}

static const kwa_field_t fields[] = {
    [TO] = KWA_FIELD_TO,
    [MESSAGE_ID] = {"message_id", KWA_FT_STRING, 1, 1, 256,
                    "id of the message reacted to (wamid...)", NULL, NULL},
    [EMOJI] = {"emoji", KWA_FT_STRING, 1, 0, 16, "the emoji; \"\" removes the reaction",
               check_emoji, NULL},
    [FROM] = KWA_FIELD_FROM,
    [EXTRA] = KWA_FIELD_EXTRA,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    kwa_writer_t w;

    kwa_build_begin(&w, fields, a);
    kwa_build_message(&w, &a->v[TO], NULL, "reaction");
    KWA_WKEY(&w, "reaction");
    kwa_writer_object(&w);
    KWA_WSTR(&w, "message_id", a->v[MESSAGE_ID].str);
    KWA_WSTR(&w, "emoji", a->v[EMOJI].str);
    return kwa_build_finish(req, cfg, a->v[FROM].str, &w, &a->v[EXTRA], err);
}

const kwa_opdef_t kwa_op_reaction = {
    .name = "reaction",
    .method = "send_reaction",
    .command = "reaction",
    .summary = "React to a message with an emoji.",
    .http_method = "POST",
    .path = "{from}/messages",
    .answer = KWA_ANSWER_MESSAGE,
    .fields = fields,
    .build = build,
};
