/*
 * ops/publish.c - publish_flow: make a draft Flow usable in messages
 * (publish-flow.txt). The answer is {"success": true}.
 */
#include "../kwa_op.h"

enum { FLOW_ID };

static int check_id(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                    const kwa_value_t *v)
{
    (void)cfg;
    return kwa_check_flow_id(err, f->name, v->str);
}

static const kwa_field_t fields[] = {
    [FLOW_ID] = {"flow_id", KWA_FT_STRING, 1, 1, 32, "the Flow's id (digits)", check_id, NULL},
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    return kwa_build_post(req, cfg, a->v[FLOW_ID].str, "publish", KWA_ANSWER_SUCCESS, err);
}

static void typed(kwa_args_t *a, const kwa_message_t *m)
{
    kwa_args_string(&a->v[FLOW_ID], m->u.flow_id);
}

const kwa_opdef_t kwa_op_publish = {
    .name = "publish",
    .method = "publish_flow",
    .command = "publish-flow",
    .summary = "Publish a Flow.",
    .http_method = "POST",
    .path = "{flow_id}/publish",
    .answer = KWA_ANSWER_SUCCESS,
    .positional = "flow_id",
    .fields = fields,
    .build = build,
    .group = "flows:publish",
    .typed = typed,
};
