/*
 * ops/delete_flow.c - delete_flow: deletes a draft Flow (flows-api.md
 * 2.9): DELETE {flow_id}. Published Flows can only be deprecated. The
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
    return kwa_build_call(req, cfg, "DELETE", a->v[FLOW_ID].str, NULL, NULL, NULL, NULL,
                          KWA_ANSWER_SUCCESS, err);
}

const kwa_opdef_t kwa_op_delete_flow = {
    .name = "delete_flow",
    .method = "delete_flow",
    .command = "delete",
    .summary = "Delete a draft Flow.",
    .http_method = "DELETE",
    .path = "{flow_id}",
    .answer = KWA_ANSWER_SUCCESS,
    .positional = "flow_id",
    .fields = fields,
    .build = build,
    .group = "flows",
};
