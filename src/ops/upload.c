/*
 * ops/upload.c - upload_media: a file (or bytes) sent to Kaleyra's media
 * endpoint as multipart/form-data, answered with a media id to send by
 * (templates-media-read.md, section 2.1: fields `file` and `type`). The
 * engine streams a file part from disk with curl_mime_filedata, so its
 * size never becomes memory.
 *
 * Caveat: the one op that touches the file system while checking: it
 * stat()s `file` so that a missing file or one over its class's limit is
 * refused before anything is sent. Lua transports cannot send multipart
 * bodies; a client using one refuses uploads with kind config.
 *
 * Media classes, their MIME types and Meta's limits (section 2.1's table;
 * a sticker's 500 KB is the animated limit, the static one is 100 KB):
 */
#define _DEFAULT_SOURCE /* strdup */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../kwa_op.h"

enum { FILE_, DATA, TYPE, FILENAME, FROM };

#define MB (1024.0 * 1024.0)

static const struct {
    const char *mime, *media;
    double max; /* bytes */
} limits[] = {
    {"image/jpeg", "image", 5 * MB},
    {"image/png", "image", 5 * MB},
    {"video/mp4", "video", 16 * MB},
    {"video/3gpp", "video", 16 * MB},
    {"audio/aac", "audio", 16 * MB},
    {"audio/amr", "audio", 16 * MB},
    {"audio/mpeg", "audio", 16 * MB},
    {"audio/mp4", "audio", 16 * MB},
    {"audio/ogg", "audio", 16 * MB},
    {"text/plain", "document", 100 * MB},
    {"application/pdf", "document", 100 * MB},
    {"application/msword", "document", 100 * MB},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document", 100 * MB},
    {"application/vnd.ms-excel", "document", 100 * MB},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document", 100 * MB},
    {"application/vnd.ms-powerpoint", "document", 100 * MB},
    {"application/vnd.openxmlformats-officedocument.presentationml.presentation", "document",
     100 * MB},
    {"image/webp", "sticker", 500 * 1024.0},
};

#define NLIMITS (sizeof limits / sizeof limits[0])

static size_t limit_of(const char *mime)
{
    size_t i;

    for (i = 0; i < NLIMITS; i++)
        if (strcmp(limits[i].mime, mime) == 0)
            return i;
    return NLIMITS;
}

static int check_type(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                      const kwa_value_t *v)
{
    (void)cfg;
    if (!v->present || v->str == NULL)
        return kwa_fail(err, KWA_VALIDATION, f->name, "%s is required: a MIME type such as image/jpeg",
                        f->name);
    if (limit_of(v->str) == NLIMITS)
        return kwa_fail(err, KWA_VALIDATION, f->name,
                        "%s must be a MIME type WhatsApp takes (image/jpeg, image/png, video/mp4, "
                        "audio/mpeg, application/pdf, image/webp, ...: see doc/lua-api.md)",
                        f->name);
    return 0;
}

/* One of file and data, and its size within the type's limit. */
static int check_upload(kwa_result_t *err, const kwa_config_t *cfg, const kwa_args_t *a)
{
    size_t i = limit_of(a->v[TYPE].str);
    const char *field = a->v[FILE_].present ? "file" : "data";
    struct stat st;
    double size;

    (void)cfg;
    if (a->v[FILE_].present == a->v[DATA].present)
        return kwa_fail(err, KWA_VALIDATION, "file", "upload_media needs exactly one of file and data");
    if (a->v[FILE_].present) {
        if (stat(a->v[FILE_].str, &st) != 0 || !S_ISREG(st.st_mode))
            return kwa_fail(err, KWA_VALIDATION, "file", "file is not a readable regular file");
        size = (double)st.st_size;
    } else {
        size = (double)a->v[DATA].count;
    }
    if (size == 0)
        return kwa_fail(err, KWA_VALIDATION, field, "%s is empty", field);
    if (size > limits[i].max)
        return kwa_fail(err, KWA_VALIDATION, field, "%s is larger than the %g KB WhatsApp takes for %s",
                        field, limits[i].max / 1024, limits[i].media);
    return 0;
}

static const kwa_field_t fields[] = {
    [FILE_] = {"file", KWA_FT_STRING, 0, 1, 4096, "path of the file to upload (streamed); or data",
               NULL, NULL},
    [DATA] = {"data", KWA_FT_BYTES, 0, 0, 0, "the file's bytes; or file", NULL, NULL},
    [TYPE] = {"type", KWA_FT_STRING, 1, 1, 128, "the MIME type, e.g. image/jpeg (limits by type)",
              check_type, NULL},
    [FILENAME] = {"filename", KWA_FT_STRING, 0, 1, 255, "file name to send; default: the file's",
                  NULL, NULL},
    [FROM] = KWA_FIELD_FROM,
    KWA_FIELD_END,
};

static char *memdup(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);

    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    kwa_part_t *file = &req->parts[0], *type = &req->parts[1];
    const char *name = a->v[FILENAME].str, *slash;
    int ok;

    if (kwa_build_upload(req, cfg, a->v[FROM].str, err) != 0)
        return -1;
    if (name == NULL && a->v[FILE_].present) {
        slash = strrchr(a->v[FILE_].str, '/');
        name = slash != NULL ? slash + 1 : a->v[FILE_].str;
    }
    req->nparts = 2;
    file->name = "file";
    type->name = "type";
    if (a->v[FILE_].present) {
        file->path = strdup(a->v[FILE_].str);
    } else {
        file->data = file->copy = memdup(a->v[DATA].str, a->v[DATA].count);
        file->len = a->v[DATA].count;
    }
    file->filename = strdup(name != NULL && *name != '\0' ? name : "upload");
    file->type = strdup(a->v[TYPE].str);
    type->data = type->copy = strdup(a->v[TYPE].str);
    type->len = strlen(a->v[TYPE].str);
    ok = (file->path != NULL || file->data != NULL) && file->filename != NULL &&
         file->type != NULL && type->data != NULL;
    if (!ok) {
        kwa_request_free(req);
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    }
    return 0;
}

const kwa_opdef_t kwa_op_upload = {
    .name = "upload",
    .method = "upload_media",
    .command = "upload",
    .summary = "Upload a media file; prints its id (for send_media and templates).",
    .http_method = "POST",
    .path = "{from}/media",
    .answer = KWA_ANSWER_MEDIA,
    .positional = "file",
    .fields = fields,
    .build = build,
    .check = check_upload,
    .multipart = 1,
};
