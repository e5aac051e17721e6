/*
 * ops/create_flow.c - create_flow: a new Flow, in DRAFT (flows-api.md
 * 2.1). The path is inferred (Kaleyra's page was cut off): the list
 * endpoint's, POST {waba_id}/flows, as in Meta's API. The answer is the
 * JSON result, {"id": ...} (Meta's; Kaleyra's not seen).
 */
#include "flow_fields.h"

enum { WABA_ID, NAME, CATEGORIES, CLONE_FLOW_ID, ENDPOINT_URI };

static const kwa_field_t fields[] = {
    [WABA_ID] = FIELD_WABA_ID,
    [NAME] = FIELD_NAME(1),
    [CATEGORIES] = FIELD_CATEGORIES(1),
    [CLONE_FLOW_ID] = {"clone_flow_id", KWA_FT_STRING, 0, 0, 32,
                       "copy the Flow JSON of this Flow (digits)", kwa_check_id_field, NULL},
    [ENDPOINT_URI] = FIELD_ENDPOINT_URI,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    kwa_writer_t w;

    kwa_build_begin(&w, fields, a);
    kwa_writer_object(&w);
    flow_add_string(&w, "name", &a->v[NAME]);
    kwa_build_copy(&w, "categories", &a->v[CATEGORIES]);
    flow_add_string(&w, "clone_flow_id", &a->v[CLONE_FLOW_ID]);
    flow_add_string(&w, "endpoint_uri", &a->v[ENDPOINT_URI]);
    kwa_writer_end(&w);
    return kwa_build_call(req, cfg, "POST", a->v[WABA_ID].str, "flows", NULL, NULL, &w,
                          KWA_ANSWER_JSON, err);
}

const kwa_opdef_t kwa_op_create_flow = {
    .name = "create_flow",
    .method = "create_flow",
    .command = "create",
    .summary = "Create a Flow (a draft).",
    .http_method = "POST",
    .path = "{waba_id}/flows",
    .answer = KWA_ANSWER_JSON,
    .positional = "waba_id",
    .fields = fields,
    .build = build,
    .group = "flows",
};
