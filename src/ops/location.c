/*
 * ops/location.c - send_location: a map pin (Meta's location message;
 * Kaleyra passes messaging_object through, templates-media-read.md
 * section 0). Latitude and longitude are degrees; name and address are
 * optional labels (Meta documents no limit: 1000 characters here, a
 * guard).
 */
#include "../kwa_op.h"

enum { TO, LATITUDE, LONGITUDE, NAME, ADDRESS, REPLY_TO, FROM, EXTRA };

static int check_degrees(kwa_result_t *err, const kwa_field_t *f, const kwa_value_t *v,
                         double limit)
{
    if (v->present && (v->number < -limit || v->number > limit))
        return kwa_fail(err, KWA_VALIDATION, f->name, "%s must be from -%g to %g degrees",
                        f->name, limit, limit);
    return 0;
}

static int check_latitude(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                          const kwa_value_t *v)
{
    (void)cfg;
    return check_degrees(err, f, v, 90);
}

static int check_longitude(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                           const kwa_value_t *v)
{
    (void)cfg;
    return check_degrees(err, f, v, 180);
}

static const kwa_field_t fields[] = {
    [TO] = KWA_FIELD_TO,
    [LATITUDE] = {"latitude", KWA_FT_NUMBER, 1, 0, 0, "degrees, -90 to 90", check_latitude, NULL},
    [LONGITUDE] = {"longitude", KWA_FT_NUMBER, 1, 0, 0, "degrees, -180 to 180", check_longitude,
                   NULL},
    [NAME] = {"name", KWA_FT_STRING, 0, 0, 1000, "the place's name", NULL, NULL},
    [ADDRESS] = {"address", KWA_FT_STRING, 0, 0, 1000, "the place's address", NULL, NULL},
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
    kwa_build_message(&w, &a->v[TO], &a->v[REPLY_TO], "location");
    KWA_WKEY(&w, "location");
    kwa_writer_object(&w);
    KWA_WKEY(&w, "latitude");
    kwa_writer_number(&w, a->v[LATITUDE].number);
    KWA_WKEY(&w, "longitude");
    kwa_writer_number(&w, a->v[LONGITUDE].number);
    if (a->v[NAME].present)
        KWA_WSTR(&w, "name", a->v[NAME].str);
    if (a->v[ADDRESS].present)
        KWA_WSTR(&w, "address", a->v[ADDRESS].str);
    return kwa_build_finish(req, cfg, a->v[FROM].str, &w, &a->v[EXTRA], err);
}

const kwa_opdef_t kwa_op_location = {
    .name = "location",
    .method = "send_location",
    .command = "location",
    .summary = "Send a location (a map pin).",
    .http_method = "POST",
    .path = "{from}/messages",
    .answer = KWA_ANSWER_MESSAGE,
    .fields = fields,
    .build = build,
};
