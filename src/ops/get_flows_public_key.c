/*
 * ops/get_flows_public_key.c - get_flows_public_key: the business public
 * key registered for a phone number (flows-api.md 2.12): GET
 * {from}/flows_encryption. Kaleyra's page labels it POST; Meta's edge is
 * a GET, which is what is sent (inferred: see doc/flows.md). The answer
 * is Meta's {"data": [{business_public_key, ..._signature_status}]}.
 */
#include "flow_fields.h"

enum { FROM };

static const kwa_field_t fields[] = {
    [FROM] = KWA_FIELD_FROM,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    const char *from = a->v[FROM].present ? a->v[FROM].str : cfg->from;

    return kwa_build_call(req, cfg, "GET", from, "flows_encryption", NULL, NULL, NULL,
                          KWA_ANSWER_JSON, err);
}

const kwa_opdef_t kwa_op_get_flows_public_key = {
    .name = "get_flows_public_key",
    .method = "get_flows_public_key",
    .command = "get-public-key",
    .summary = "Get the business public key of a phone number.",
    .http_method = "GET",
    .path = "{from}/flows_encryption",
    .answer = KWA_ANSWER_JSON,
    .fields = fields,
    .build = build,
    .group = "flows",
};
