/*
 * ops/update_flow.c - update_flow: a Flow's name, categories and data
 * endpoint (flows-api.md 2.2): POST {flow_id} with a JSON body. The
 * answer is read as Meta's {"success": true} (Kaleyra's not seen).
 * client:update_flow(flow_id, { name = ..., categories = ... }).
 */
#include "flow_fields.h"

enum { FLOW_ID, NAME, CATEGORIES, ENDPOINT_URI };

static const kwa_field_t fields[] = {
    [FLOW_ID] = FIELD_FLOW_ID,
    [NAME] = FIELD_NAME(0),
    [CATEGORIES] = FIELD_CATEGORIES(0),
    [ENDPOINT_URI] = FIELD_ENDPOINT_URI,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    kwa_writer_t w;

    if (!a->v[NAME].present && !a->v[CATEGORIES].present && !a->v[ENDPOINT_URI].present)
        return kwa_fail(err, KWA_VALIDATION, "message",
                        "update_flow needs name, categories or endpoint_uri");
    kwa_build_begin(&w, fields, a);
    kwa_writer_object(&w);
    flow_add_string(&w, "name", &a->v[NAME]);
    kwa_build_copy(&w, "categories", &a->v[CATEGORIES]);
    flow_add_string(&w, "endpoint_uri", &a->v[ENDPOINT_URI]);
    kwa_writer_end(&w);
    return kwa_build_call(req, cfg, "POST", a->v[FLOW_ID].str, NULL, NULL, NULL, &w,
                          KWA_ANSWER_SUCCESS, err);
}

const kwa_opdef_t kwa_op_update_flow = {
    .name = "update_flow",
    .method = "update_flow",
    .command = "update",
    .summary = "Update a Flow's name, categories or endpoint.",
    .http_method = "POST",
    .path = "{flow_id}",
    .answer = KWA_ANSWER_SUCCESS,
    .positional = "flow_id",
    .fields = fields,
    .build = build,
    .second = "*",
    .group = "flows",
};
