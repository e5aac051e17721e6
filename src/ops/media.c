/*
 * ops/media.c - send_media: an image, video, audio, document or sticker,
 * by the id an upload returned or by a public https link
 * (templates-media-read.md, section 5). Meta takes exactly one of id and
 * link; caption goes with image, video and document, filename with
 * document only (Meta's message reference).
 */
#include <string.h>

#include "../kwa_op.h"

enum { TO, TYPE, ID, LINK, CAPTION, FILENAME, REPLY_TO, FROM, EXTRA };

static const char *const types[] = {"image", "video", "audio", "document", "sticker", NULL};

static int check_type(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                      const kwa_value_t *v)
{
    (void)cfg;
    if (!v->present || v->str == NULL || !kwa_one_of(v->str, types))
        return kwa_fail(err, KWA_VALIDATION, f->name,
                        "%s is required: image, video, audio, document or sticker", f->name);
    return 0;
}

static int check_link(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                      const kwa_value_t *v)
{
    (void)cfg;
    return v->present ? kwa_check_https(err, f->name, v->str) : 0;
}

/* One of id and link; caption and filename only where Meta takes them. */
static int check_media(kwa_result_t *err, const kwa_config_t *cfg, const kwa_args_t *a)
{
    const char *type = a->v[TYPE].str;

    (void)cfg;
    if (a->v[ID].present == a->v[LINK].present)
        return kwa_fail(err, KWA_VALIDATION, "id", "send_media needs exactly one of id and link");
    if (a->v[CAPTION].present && (strcmp(type, "audio") == 0 || strcmp(type, "sticker") == 0))
        return kwa_fail(err, KWA_VALIDATION, "caption", "caption goes with image, video or document");
    if (a->v[FILENAME].present && strcmp(type, "document") != 0)
        return kwa_fail(err, KWA_VALIDATION, "filename", "filename goes with a document only");
    return 0;
}

static const kwa_field_t fields[] = {
    [TO] = KWA_FIELD_TO,
    [TYPE] = {"type", KWA_FT_STRING, 1, 1, 16, "image, video, audio, document or sticker",
              check_type, NULL},
    [ID] = {"id", KWA_FT_STRING, 0, 1, 256, "the media id an upload returned; or link", NULL, NULL},
    [LINK] = {"link", KWA_FT_STRING, 0, 1, 2000, "a public https URL of the file; or id",
              check_link, NULL},
    [CAPTION] = {"caption", KWA_FT_STRING, 0, 0, 1024,
                 "text under an image, video or document, at most 1024 characters", NULL, NULL},
    [FILENAME] = {"filename", KWA_FT_STRING, 0, 0, 255, "a document's file name", NULL, NULL},
    [REPLY_TO] = KWA_FIELD_REPLY_TO,
    [FROM] = KWA_FIELD_FROM,
    [EXTRA] = KWA_FIELD_EXTRA,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    static const int optional[] = {ID, LINK, CAPTION, FILENAME};
    const char *type = a->v[TYPE].str;
    kwa_writer_t w;
    int i;

    kwa_build_begin(&w, fields, a);
    kwa_build_message(&w, &a->v[TO], &a->v[REPLY_TO], type);
    kwa_writer_key(&w, type);
    kwa_writer_object(&w);
    for (i = 0; i < 4; i++)
        if (a->v[optional[i]].present) {
            kwa_writer_key(&w, fields[optional[i]].name);
            kwa_writer_string(&w, a->v[optional[i]].str);
        }
    return kwa_build_finish(req, cfg, a->v[FROM].str, &w, &a->v[EXTRA], err);
}

const kwa_opdef_t kwa_op_media = {
    .name = "media",
    .method = "send_media",
    .command = "media",
    .summary = "Send an image, video, audio, document or sticker.",
    .http_method = "POST",
    .path = "{from}/messages",
    .answer = KWA_ANSWER_MESSAGE,
    .fields = fields,
    .build = build,
    .check = check_media,
};
