/*
 * ops/set_flows_public_key.c - set_flows_public_key: registers the
 * business public key (PEM, RSA of 2048 bits or more) the WhatsApp client
 * encrypts Flow data to (flows-api.md 2.12): POST {from}/flows_encryption
 * with the form field business_public_key, URL-encoded. The answer is
 * read as Meta's {"success": true}.
 */
#include <stdlib.h>
#include <string.h>

#include "flow_fields.h"

enum { PUBLIC_KEY, FROM };

static int check_key(kwa_result_t *err, const kwa_config_t *cfg, const kwa_field_t *f,
                     const kwa_value_t *v)
{
    (void)cfg;
    if (!v->present || v->str[0] == '\0')
        return kwa_fail(err, KWA_VALIDATION, f->name, "%s is required (PEM)", f->name);
    return kwa_flow_check_public(v->str, strlen(v->str), f->name, err);
}

static const kwa_field_t fields[] = {
    [PUBLIC_KEY] = {"public_key", KWA_FT_STRING, 1, 1, 16384,
                    "the business public key: PEM, RSA of 2048 bits or more", check_key, NULL},
    [FROM] = KWA_FIELD_FROM,
    KWA_FIELD_END,
};

static int build(kwa_request_t *req, const kwa_config_t *cfg, const kwa_args_t *a,
                 kwa_result_t *err)
{
    const char *from = a->v[FROM].present ? a->v[FROM].str : cfg->from;
    const char *pem = a->v[PUBLIC_KEY].str;
    char *enc = kwa_url_encode(pem, strlen(pem));
    kwa_writer_t w;

    if (enc == NULL)
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    kwa_writer_init(&w, strlen(enc) + sizeof "business_public_key=");
    kwa_writer_raw(&w, "business_public_key=", sizeof "business_public_key=" - 1);
    kwa_writer_raw(&w, enc, strlen(enc));
    free(enc);
    if (kwa_build_call(req, cfg, "POST", from, "flows_encryption", NULL, NULL, &w,
                       KWA_ANSWER_SUCCESS, err) != 0)
        return -1;
    req->content_type = "application/x-www-form-urlencoded";
    return 0;
}

const kwa_opdef_t kwa_op_set_flows_public_key = {
    .name = "set_flows_public_key",
    .method = "set_flows_public_key",
    .command = "set-public-key",
    .summary = "Register the business public key of a phone number.",
    .http_method = "POST",
    .path = "{from}/flows_encryption",
    .answer = KWA_ANSWER_SUCCESS,
    .positional = "public_key",
    .fields = fields,
    .build = build,
    .group = "flows",
};
