/*
 * ops/flow.c - send_flow: an interactive message that opens a WhatsApp
 * Flow (send-flow-message.txt). `flow` is Meta's action.parameters,
 * passed through after the checks below; flow_message_version defaults
 * to "3".
 */
#include <string.h>

#include "../kwa_op.h"

enum { TO, HEADER, BODY, FOOTER, FLOW, REPLY_TO, FROM, EXTRA };

static int check_payload(kwa_result_t *err, const cJSON *payload)
{
    const cJSON *data;

    if (payload == NULL)
        return 0;
    if (!cJSON_IsObject(payload))
        return kwa_fail(err, KWA_VALIDATION, "flow.flow_action_payload",
                        "flow.flow_action_payload must be a table");
    if (kwa_check_member(err, payload, "screen", "flow.flow_action_payload.screen", 1, 256))
        return -1;
    data = cJSON_GetObjectItemCaseSensitive(payload, "data");
    if (data != NULL && (!cJSON_IsObject(data) || data->child == NULL))
        return kwa_fail(err, KWA_VALIDATION, "flow.flow_action_payload.data",
                        "flow.flow_action_payload.data must be a non-empty table");
    return 0;
}

static int check_parameters(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                            const kwa_value_t *v)
{
    static const char *const actions[] = {"navigate", "data_exchange", NULL};
    static const char *const modes[] = {"draft", "published", NULL};
    const cJSON *p = v->json, *id, *name, *item;

    (void)cfg;
    (void)f;
    if (!cJSON_IsObject(p))
        return kwa_fail(err, KWA_VALIDATION, "flow",
                        "flow is required: a table of Meta's flow parameters");
    id = cJSON_GetObjectItemCaseSensitive(p, "flow_id");
    name = cJSON_GetObjectItemCaseSensitive(p, "flow_name");
    if ((id == NULL) == (name == NULL))
        return kwa_fail(err, KWA_VALIDATION, "flow.flow_id",
                        "flow needs exactly one of flow_id and flow_name");
    if (id != NULL && !cJSON_IsString(id))
        return kwa_fail(err, KWA_VALIDATION, "flow.flow_id",
                        "flow.flow_id must be a string of digits");
    if (id != NULL && kwa_check_flow_id(err, "flow.flow_id", id->valuestring))
        return -1;
    if (kwa_check_member(err, p, "flow_name", "flow.flow_name", 1, 512) ||
        kwa_check_member(err, p, "flow_message_version", "flow.flow_message_version", 1, 8) ||
        kwa_check_member(err, p, "flow_token", "flow.flow_token", 1, 4096))
        return -1;
    item = cJSON_GetObjectItemCaseSensitive(p, "flow_cta");
    if (!cJSON_IsString(item))
        return kwa_fail(err, KWA_VALIDATION, "flow.flow_cta",
                        "flow.flow_cta is required: 1 to 30 characters");
    if (kwa_check_text(err, "flow.flow_cta", item->valuestring, 1, 30))
        return -1;
    item = cJSON_GetObjectItemCaseSensitive(p, "flow_action");
    if (item != NULL && !(cJSON_IsString(item) && kwa_one_of(item->valuestring, actions)))
        return kwa_fail(err, KWA_VALIDATION, "flow.flow_action",
                        "flow.flow_action must be navigate or data_exchange");
    item = cJSON_GetObjectItemCaseSensitive(p, "mode");
    if (item != NULL && !(cJSON_IsString(item) && kwa_one_of(item->valuestring, modes)))
        return kwa_fail(err, KWA_VALIDATION, "flow.mode",
                        "flow.mode must be draft or published");
    return check_payload(err, cJSON_GetObjectItemCaseSensitive(p, "flow_action_payload"));
}

static const kwa_subfield_t flow_flags[] = {
    {"flow_id", "flow-id", "the Flow's id (digits); or --flow-name", NULL, 0, "flow-name", 0},
    {"flow_name", "flow-name", "the Flow's name; or --flow-id", NULL, 0, "flow-id", 0},
    {"flow_cta", "flow-cta", "button label, 1 to 30 characters", NULL, 0, NULL, 0},
    {"flow_token", "flow-token", "opaque token echoed back to your endpoint", NULL, 0, NULL, 0},
    {"flow_action", "flow-action", "navigate or data_exchange", "navigate|data_exchange", 0, NULL, 0},
    {"flow_action_payload.screen", "screen", "flow_action_payload.screen: the first screen", NULL, 0, NULL, 0},
    {"flow_action_payload.data", "data", "flow_action_payload.data as a JSON object", NULL, 1, NULL, 0},
    {"mode", "mode", "draft or published", "draft|published", 0, NULL, 0},
    {"flow_message_version", "flow-message-version", "default 3", NULL, 0, NULL, 0},
    {NULL, NULL, NULL, NULL, 0, NULL, 0},
};

static const kwa_field_t fields[] = {
    [TO] = KWA_FIELD_TO,
    [HEADER] = KWA_FIELD_HEADER,
    [BODY] = KWA_FIELD_BODY,
    [FOOTER] = KWA_FIELD_FOOTER,
    [FLOW] = {"flow", KWA_FT_TABLE, 1, 0, 0,
              "Meta's action.parameters: flow_id or flow_name, flow_cta, flow_token, ...",
              check_parameters, flow_flags},
    [REPLY_TO] = KWA_FIELD_REPLY_TO,
    [FROM] = KWA_FIELD_FROM,
    [EXTRA] = KWA_FIELD_EXTRA,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    kwa_writer_t w;

    kwa_build_begin(&w, fields, a);
    kwa_build_message(&w, &a->v[TO], &a->v[REPLY_TO], "interactive");
    kwa_build_interactive(&w, "flow", &a->v[HEADER], a->v[BODY].str, a->v[FOOTER].str, 1);
    KWA_WKEY(&w, "parameters");
    kwa_writer_json_open(&w, a->v[FLOW].json); /* passed through, then: */
    if (!cJSON_HasObjectItem(a->v[FLOW].json, "flow_message_version"))
        KWA_WPAIR(&w, "flow_message_version", "3");
    return kwa_build_finish(req, cfg, a->v[FROM].str, &w, &a->v[EXTRA], err);
}

static void typed(kwa_args_t *a, const kwa_message_t *m)
{
    kwa_args_envelope(a, TO, FROM, EXTRA, &m->u.flow.envelope);
    kwa_args_frame(a, HEADER, BODY, FOOTER, &m->u.flow.frame);
    kwa_args_json(&a->v[FLOW], m->u.flow.parameters);
}

const kwa_opdef_t kwa_op_flow = {
    .name = "flow",
    .method = "send_flow",
    .command = "flow",
    .summary = "Send a WhatsApp Flow message.",
    .http_method = "POST",
    .path = "{from}/messages",
    .answer = KWA_ANSWER_MESSAGE,
    .fields = fields,
    .build = build,
    .typed = typed,
};
