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
    char *text = v->json ? cJSON_PrintUnformatted(v->json) : strdup(v->str);

    if (text == NULL)
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    if (strlen(text) > KWA_MAX_REQUEST) {
        free(text);
        return kwa_fail(err, KWA_VALIDATION, "flow_json", "flow_json is longer than 1 MiB");
    }
    if (kwa_build_call(req, cfg, "POST", a->v[FLOW_ID].str, "assets", NULL, NULL, NULL, 1,
                       KWA_ANSWER_JSON, err) != 0) {
        free(text);
        return -1;
    }
    free(req->body);
    req->body = text;
    req->body_len = strlen(text);
    req->parts[0] = (kwa_part_t){"file", req->body, req->body_len, "flow.json", "application/json"};
    req->parts[1] = (kwa_part_t){"name", "flow.json", 9, NULL, NULL};
    req->parts[2] = (kwa_part_t){"asset_type", "FLOW_JSON", 9, NULL, NULL};
    req->nparts = 3;
    return 0;
}

const kwa_opdef_t kwa_op_upload_flow_json = {
    "upload_flow_json", "upload_flow_json", "upload", "Upload a Flow's JSON (multipart).",
    "POST", "{flow_id}/assets", KWA_ANSWER_JSON, "flow_id", fields, build,
    "flow_json", "flows", 1,
};
