/*
 * ops/get_flow.c - get_flow: one Flow's details (flows-api.md 2.4):
 * GET {flow_id}?fields=a,b (the comma sent as %2C, not the docs' double
 * encoded %252C). The answer is the Flow as JSON.
 * client:get_flow(flow_id [, fields]).
 */
#include "flow_fields.h"

enum { FLOW_ID, FIELDS };

static const kwa_field_t fields[] = {
    [FLOW_ID] = FIELD_FLOW_ID,
    [FIELDS] = FIELD_FIELDS,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    return kwa_build_call(req, cfg, "GET", a->v[FLOW_ID].str, NULL, "fields",
                          a->v[FIELDS].present ? a->v[FIELDS].json : NULL, NULL,
                          KWA_ANSWER_JSON, err);
}

const kwa_opdef_t kwa_op_get_flow = {
    .name = "get_flow",
    .method = "get_flow",
    .command = "get",
    .summary = "Get one Flow's details.",
    .http_method = "GET",
    .path = "{flow_id}?fields=...",
    .answer = KWA_ANSWER_JSON,
    .positional = "flow_id",
    .fields = fields,
    .build = build,
    .second = "fields",
    .group = "flows",
};
