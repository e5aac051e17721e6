/*
 * ops/list.c - send_list: an interactive list message, a button that
 * opens sections of rows (Meta's interactive "list" type). Meta's
 * limits: at most 10 sections and 10 rows in all; row title at most 24
 * characters, description at most 72, id at most 200 and unique; section
 * title at most 24, required when there are several sections; button
 * label at most 20; body at most 4096; header (text only) and footer at
 * most 60.
 */
#include <string.h>

#include "../kwa_op.h"

enum { TO, HEADER, BODY, FOOTER, BUTTON, SECTIONS, REPLY_TO, FROM, EXTRA };

#define MAX_ROWS 10

static int check_rows(kwa_result_t *err, const cJSON *rows, int s, const char **ids, int *n)
{
    const cJSON *r;
    char field[64];
    int i, k = 0;

    kwa_field_path(field, sizeof field, "sections[%d].rows", s);
    if (!cJSON_IsArray(rows) || cJSON_GetArraySize(rows) < 1)
        return kwa_fail(err, KWA_VALIDATION, field, "%s must list at least one row", field);
    cJSON_ArrayForEach(r, rows) {
        k++;
        if (*n == MAX_ROWS)
            return kwa_fail(err, KWA_VALIDATION, "sections", "sections hold more than 10 rows in all");
        if (kwa_check_keys(err, r, kwa_field_path(field, sizeof field, "sections[%d].rows[%d]", s, k),
                           "id|title|description") ||
            kwa_check_required(err, r, "id",
                               kwa_field_path(field, sizeof field, "sections[%d].rows[%d].id", s, k),
                               1, 200))
            return -1;
        ids[*n] = cJSON_GetObjectItemCaseSensitive(r, "id")->valuestring;
        for (i = 0; i < *n; i++)
            if (strcmp(ids[i], ids[*n]) == 0)
                return kwa_fail(err, KWA_VALIDATION, field, "%s repeats another row's id", field);
        (*n)++;
        if (kwa_check_required(err, r, "title",
                               kwa_field_path(field, sizeof field, "sections[%d].rows[%d].title", s, k),
                               1, 24) ||
            kwa_check_member(err, r, "description",
                             kwa_field_path(field, sizeof field,
                                            "sections[%d].rows[%d].description", s, k),
                             0, 72))
            return -1;
    }
    return 0;
}

static int check_sections(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                          const kwa_value_t *v)
{
    const cJSON *sec;
    const char *ids[MAX_ROWS];
    char field[48];
    int count = cJSON_GetArraySize(v->json), s = 0, n = 0;

    (void)cfg;
    if (count < 1 || count > 10)
        return kwa_fail(err, KWA_VALIDATION, f->name, "%s must list 1 to 10 sections", f->name);
    cJSON_ArrayForEach(sec, v->json) {
        s++;
        if (kwa_check_keys(err, sec, kwa_field_path(field, sizeof field, "sections[%d]", s),
                           "title|rows"))
            return -1;
        kwa_field_path(field, sizeof field, "sections[%d].title", s);
        if (count > 1 && kwa_check_required(err, sec, "title", field, 1, 24))
            return -1;
        if (kwa_check_member(err, sec, "title", field, 0, 24) ||
            check_rows(err, cJSON_GetObjectItemCaseSensitive(sec, "rows"), s, ids, &n))
            return -1;
    }
    return 0;
}

static const kwa_subfield_t section_flags[] = {
    {"[1].title", "section-title", "the (first) section's title, at most 24 characters", NULL, 0,
     NULL, 0},
    {"[1].rows[]", "row", "a row of the first section, id=ID,title=TITLE,description=TEXT", NULL, 0,
     NULL, 1},
    {NULL, NULL, NULL, NULL, 0, NULL, 0},
};

static const kwa_field_t fields[] = {
    [TO] = KWA_FIELD_TO,
    [HEADER] = {"header", KWA_FT_STRING, 0, 0, 60, "text header, at most 60 characters", NULL, NULL},
    [BODY] = {"body", KWA_FT_STRING, 1, 1, 4096, "body text, 1 to 4096 characters", NULL, NULL},
    [FOOTER] = {"footer", KWA_FT_STRING, 0, 0, 60, "footer text, at most 60 characters", NULL, NULL},
    [BUTTON] = {"button", KWA_FT_STRING, 1, 1, 20, "the label of the button that opens the list",
                NULL, NULL},
    [SECTIONS] = {"sections", KWA_FT_LIST, 1, 0, 0,
                  "1 to 10 { title, rows = { { id, title, description } } }, 10 rows in all",
                  check_sections, section_flags},
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
    /* lists have no action name */
    kwa_build_interactive(&w, "list", &a->v[HEADER], a->v[BODY].str, a->v[FOOTER].str, 0);
    KWA_WSTR(&w, "button", a->v[BUTTON].str);
    kwa_build_copy(&w, "sections", &a->v[SECTIONS]);
    return kwa_build_finish(req, cfg, a->v[FROM].str, &w, &a->v[EXTRA], err);
}

const kwa_opdef_t kwa_op_list = {
    .name = "list",
    .method = "send_list",
    .command = "list",
    .summary = "Send an interactive list: a button that opens rows to pick.",
    .http_method = "POST",
    .path = "{from}/messages",
    .answer = KWA_ANSWER_MESSAGE,
    .fields = fields,
    .build = build,
};
