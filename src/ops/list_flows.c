/*
 * ops/list_flows.c - list_flows: the Flows of a WABA (flows-api.md 2.5):
 * GET {waba_id}/flows?fields=... The answer is Meta's
 * {"data": [...], "paging": {...}} as JSON.
 */
#include "flow_fields.h"

enum { WABA_ID, FIELDS };

static const kwa_field_t fields[] = {
    [WABA_ID] = FIELD_WABA_ID,
    [FIELDS] = FIELD_FIELDS,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    return kwa_build_call(req, cfg, "GET", a->v[WABA_ID].str, "flows", "fields",
                          a->v[FIELDS].present ? a->v[FIELDS].json : NULL, NULL,
                          KWA_ANSWER_JSON, err);
}

const kwa_opdef_t kwa_op_list_flows = {
    .name = "list_flows",
    .method = "list_flows",
    .command = "list",
    .summary = "List the Flows of a WhatsApp Business Account.",
    .http_method = "GET",
    .path = "{waba_id}/flows?fields=...",
    .answer = KWA_ANSWER_JSON,
    .positional = "waba_id",
    .fields = fields,
    .build = build,
    .group = "flows",
};
