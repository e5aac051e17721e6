/*
 * ops/buttons.c - send_buttons: an interactive message with 1 to 3 reply
 * buttons (Meta's interactive "button" type). Meta's limits: button
 * title at most 20 characters, id at most 256 and unique in the message;
 * body at most 1024, header text and footer at most 60. A tap comes
 * back as an incoming button_reply with the id (callbacks.md).
 */
#include <string.h>

#include "../kwa_op.h"

enum { TO, HEADER, BODY, FOOTER, BUTTONS, REPLY_TO, FROM, EXTRA };

#define MAX_BUTTONS 3

static int check_buttons(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                         const kwa_value_t *v)
{
    const cJSON *b, *m;
    const char *ids[MAX_BUTTONS];
    char field[48];
    int n = 0, i;

    (void)cfg;
    if (cJSON_GetArraySize(v->json) < 1 || cJSON_GetArraySize(v->json) > MAX_BUTTONS)
        return kwa_fail(err, KWA_VALIDATION, f->name, "%s must list 1 to %d buttons", f->name,
                        MAX_BUTTONS);
    cJSON_ArrayForEach(b, v->json) {
        kwa_field_path(field, sizeof field, "%s[%d]", f->name, n + 1);
        if (!cJSON_IsObject(b))
            return kwa_fail(err, KWA_VALIDATION, field, "%s must be a table { id, title }", field);
        cJSON_ArrayForEach(m, b)
            if (strcmp(m->string, "id") != 0 && strcmp(m->string, "title") != 0)
                return kwa_fail(err, KWA_VALIDATION, field, "%s has a key other than id and title",
                                field);
        if (kwa_check_member(err, b, "id", kwa_field_path(field, sizeof field, "%s[%d].id",
                                                           f->name, n + 1), 1, 256))
            return -1;
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(b, "id")))
            return kwa_fail(err, KWA_VALIDATION, field, "%s is required", field);
        ids[n] = cJSON_GetObjectItemCaseSensitive(b, "id")->valuestring;
        for (i = 0; i < n; i++)
            if (strcmp(ids[i], ids[n]) == 0)
                return kwa_fail(err, KWA_VALIDATION, field, "%s repeats another button's id", field);
        kwa_field_path(field, sizeof field, "%s[%d].title", f->name, n + 1);
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(b, "title")))
            return kwa_fail(err, KWA_VALIDATION, field, "%s is required: 1 to 20 characters", field);
        if (kwa_check_member(err, b, "title", field, 1, 20))
            return -1;
        n++;
    }
    return 0;
}

static const kwa_subfield_t button_flags[] = {
    {"[]", "button", "a reply button, id=ID,title=TITLE", NULL, 0, NULL, 1},
    {NULL, NULL, NULL, NULL, 0, NULL, 0},
};

static const kwa_field_t fields[] = {
    [TO] = KWA_FIELD_TO,
    [HEADER] = KWA_FIELD_HEADER,
    [BODY] = KWA_FIELD_BODY,
    [FOOTER] = KWA_FIELD_FOOTER,
    [BUTTONS] = {"buttons", KWA_FT_LIST, 1, 0, 0,
                 "1 to 3 { id, title }: id 1 to 256 characters, unique; title 1 to 20",
                 check_buttons, button_flags},
    [REPLY_TO] = KWA_FIELD_REPLY_TO,
    [FROM] = KWA_FIELD_FROM,
    [EXTRA] = KWA_FIELD_EXTRA,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    const cJSON *b;
    kwa_writer_t w;

    kwa_build_begin(&w, fields, a);
    kwa_build_message(&w, &a->v[TO], &a->v[REPLY_TO], "interactive");
    /* buttons have no action name */
    kwa_build_interactive(&w, "button", &a->v[HEADER], a->v[BODY].str, a->v[FOOTER].str, 0);
    KWA_WKEY(&w, "buttons");
    kwa_writer_array(&w);
    cJSON_ArrayForEach(b, a->v[BUTTONS].json) {
        kwa_writer_object(&w);
        KWA_WPAIR(&w, "type", "reply");
        KWA_WKEY(&w, "reply");
        kwa_writer_object(&w);
        KWA_WSTR(&w, "id", cJSON_GetObjectItemCaseSensitive(b, "id")->valuestring);
        KWA_WSTR(&w, "title", cJSON_GetObjectItemCaseSensitive(b, "title")->valuestring);
        kwa_writer_end(&w);
        kwa_writer_end(&w);
    }
    return kwa_build_finish(req, cfg, a->v[FROM].str, &w, &a->v[EXTRA], err);
}

const kwa_opdef_t kwa_op_buttons = {
    .name = "buttons",
    .method = "send_buttons",
    .command = "buttons",
    .summary = "Send an interactive message with 1 to 3 reply buttons.",
    .http_method = "POST",
    .path = "{from}/messages",
    .answer = KWA_ANSWER_MESSAGE,
    .fields = fields,
    .build = build,
};
