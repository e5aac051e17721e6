/*
 * ops/upload_flow_json.c - upload_flow_json: a Flow's JSON, as the file of
 * a multipart/form-data POST {flow_id}/assets with name=flow.json and
 * asset_type=FLOW_JSON (flows-api.md 2.3). The parts are described here
 * and built by the engine with libcurl's mime API; Lua transports refuse
 * the op. A string is sent byte for byte, a table encoded. The answer is
 * the JSON result, {"success": true, "validation_errors": [...]} (Meta's).
 */
#define _DEFAULT_SOURCE /* strdup */
#include <stdlib.h>
#include <string.h>

#include "flow_fields.h"

enum { FLOW_ID, FLOW_JSON };

static const kwa_field_t fields[] = {
    [FLOW_ID] = FIELD_FLOW_ID,
    [FLOW_JSON] = {"flow_json", KWA_FT_TEXT_OR_TABLE, 1, 1, 0,
                   "the Flow JSON: text sent as is, or a table encoded", NULL, NULL},
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    const kwa_value_t *v = &a->v[FLOW_JSON];
    kwa_request_t text = {0}; /* the body, until the request is made */
    kwa_writer_t w;

    kwa_build_begin(&w, fields, a);
    if (v->json != NULL)
        kwa_writer_json(&w, v->json);
    else
        kwa_writer_raw(&w, v->str, strlen(v->str)); /* byte for byte */
    if (kwa_build_body(&text, &w, "flow_json", "flow_json is longer than 1 MiB", err) != 0)
        return -1;
    if (kwa_build_call(req, cfg, "POST", a->v[FLOW_ID].str, "assets", NULL, NULL, NULL,
                       KWA_ANSWER_JSON, err) != 0) {
        kwa_request_free(&text);
        return -1;
    }
    free(req->body);
    req->body = text.body;
    req->body_len = text.body_len;
    /* the file's bytes borrow the body; the other parts' are static */
    req->parts[0] = (kwa_part_t){.name = "file", .data = req->body, .len = req->body_len,
                                 .filename = strdup("flow.json"),
                                 .type = strdup("application/json")};
    req->parts[1] = (kwa_part_t){.name = "name", .data = "flow.json", .len = 9};
    req->parts[2] = (kwa_part_t){.name = "asset_type", .data = "FLOW_JSON", .len = 9};
    req->nparts = 3;
    if (req->parts[0].filename == NULL || req->parts[0].type == NULL) {
        kwa_request_free(req);
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    }
    return 0;
}

const kwa_opdef_t kwa_op_upload_flow_json = {
    .name = "upload_flow_json",
    .method = "upload_flow_json",
    .command = "upload",
    .summary = "Upload a Flow's JSON (multipart).",
    .http_method = "POST",
    .path = "{flow_id}/assets",
    .answer = KWA_ANSWER_JSON,
    .positional = "flow_id",
    .fields = fields,
    .build = build,
    .second = "flow_json",
    .group = "flows",
    .multipart = 1,
};
