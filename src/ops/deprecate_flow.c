/*
 * ops/deprecate_flow.c - deprecate_flow: a published Flow can no longer
 * be sent (flows-api.md 2.8): POST {flow_id}/deprecate, no body. The
 * answer is read as Meta's {"success": true}.
 */
#include "flow_fields.h"

enum { FLOW_ID };

static const kwa_field_t fields[] = {
    [FLOW_ID] = FIELD_FLOW_ID,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    return kwa_build_post(req, cfg, a->v[FLOW_ID].str, "deprecate", KWA_ANSWER_SUCCESS, err);
}

const kwa_opdef_t kwa_op_deprecate_flow = {
    .name = "deprecate_flow",
    .method = "deprecate_flow",
    .command = "deprecate",
    .summary = "Deprecate a published Flow.",
    .http_method = "POST",
    .path = "{flow_id}/deprecate",
    .answer = KWA_ANSWER_SUCCESS,
    .positional = "flow_id",
    .fields = fields,
    .build = build,
    .group = "flows",
};
