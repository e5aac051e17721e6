/*
 * ops/flow_fields.h - fields the Flow lifecycle operations share
 * (flows-api.md section 2). Included by those op files only.
 */
#ifndef KWA_OPS_FLOW_FIELDS_H
#define KWA_OPS_FLOW_FIELDS_H

#include "../kwa_op.h"

#define FIELD_FLOW_ID \
    {"flow_id", KWA_FT_STRING, 1, 1, 32, "the Flow's id (digits)", kwa_check_id_field, NULL}
#define FIELD_WABA_ID                                                                      \
    {"waba_id", KWA_FT_STRING, 1, 1, 32, "the WhatsApp Business Account's id (digits)", \
     kwa_check_id_field, NULL}
#define FIELD_NAME(req) \
    {"name", KWA_FT_STRING, req, req, 200, "the Flow's name, unique in its WABA", NULL, NULL}
#define FIELD_CATEGORIES(req)                                                              \
    {"categories", KWA_FT_STRINGS, req, 0, 8,                                              \
     "categories: SIGN_UP, SIGN_IN, APPOINTMENT_BOOKING, LEAD_GENERATION, CONTACT_US, "    \
     "CUSTOMER_SUPPORT, SURVEY or OTHER", kwa_check_categories_field, NULL}
#define FIELD_ENDPOINT_URI                                                                 \
    {"endpoint_uri", KWA_FT_STRING, 0, 0, 2000, "the Flow's data endpoint (https URL)",    \
     kwa_check_optional_url_field, NULL}
#define FIELD_FIELDS                                                                       \
    {"fields", KWA_FT_STRINGS, 0, 0, 32,                                                   \
     "the fields to return (e.g. id, name, status, json_version, endpoint_uri, preview)",  \
     NULL, NULL}

/* Writes the string of v under name when present. */
static inline void flow_add_string(kwa_writer_t *w, const char *name, const kwa_value_t *v)
{
    if (!v->present)
        return;
    kwa_writer_key(w, name);
    kwa_writer_string(w, v->str);
}

#endif
