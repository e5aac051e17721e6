/*
 * test_ops.c - the registry of operations (kwa_op.c, src/ops/NAME.c, the
 * shared builders of kwa_request.c), row by row:
 *   - a golden request per operation: URL, method, answer kind and the
 *     body, compared as JSON (member order aside) with the expected one;
 *   - invalid field values per operation, each with kind validation and
 *     the exact field name, plus rows made from every op's golden message
 *     (a required field taken out, a bad from, a bad extra_info, an
 *     unknown field);
 *   - extra_info refs cut at 255 characters, wa_source, the 1 MiB limit;
 *   - kwa_op_find, kwa_op_field, kwa_op_names;
 *   - the typed C API (kwa_request_build) gives the same bytes as the
 *     registry for the same message;
 *   - the multipart parts of both uploads (a file path, owned bytes,
 *     bytes borrowed from the body, static fields);
 *   - the client's messages URL borrowed, any other owned;
 *   - arguments that say present without a string: refused, no crash.
 * Every operation in kwa_ops[] must have a golden row and invalid rows.
 */
#define _DEFAULT_SOURCE /* mkstemp */
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"
#include "../src/kwa_op.h"

#define BASE "https://api.in.kaleyra.io/v2/HXAP16XXXXXX97IN/whatsapp/"
#define MESSAGES BASE "+918000000001/messages"
#define TO1 "\"to\":\"+919000000001\""
/* A public key (RSA 2048) for set_flows_public_key, as JSON text. */
#define PUBKEY                                                                 \
    "-----BEGIN PUBLIC KEY-----\\n"                                            \
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArTTgEcR8sSjvOF2omGT1\\n"      \
    "kgPNT5jEU7i56egbKmCRpDlSphwXBXbC2EGwXPuBWNvA3DWj3t6lZdD3QuGTnyY2\\n"      \
    "8Jzk/IGakaQC6XBNqOuWuhx5CcvJNEwCxoD249Qk6i9jsh9Ieitz1HtutH8DlrBH\\n"      \
    "SSMBPmfb+8lq/OghxfbXla7gynbg/+11jczSd72emkcNxheejHyTWjMnBA4Xh3/B\\n"      \
    "pdyTd1f3w//ZaXiKNU+6s92+sy69TJB3Ffftk2omT5SslHojKpPu+7iiyn1ZHb6s\\n"      \
    "vNpzvwmRDoIpj6B9Y4t43G+kw52YXeGttQTUM5R4IJJU82xVovQvyJaCj9QblZ97\\n"      \
    "TwIDAQAB\\n"                                                              \
    "-----END PUBLIC KEY-----\\n"

static kwa_config_t cfg;  /* with a default business number */
static kwa_config_t bare; /* without one */

static void config(kwa_config_t *c, const char *from)
{
    kwa_options_t o;
    kwa_result_t err;

    memset(&o, 0, sizeof o);
    memset(&err, 0, sizeof err);
    o.sid = "HXAP16XXXXXX97IN";
    o.api_key = "A0000000000000000000000000000003";
    o.base_url = "https://api.in.kaleyra.io";
    o.from = from;
    if (kwa_config_init(c, &o, &err) != 0) {
        fprintf(stderr, "kwa_config_init: %s: %s\n", err.field, err.message);
        exit(2);
    }
}

/* Reads fields (borrowed) into op's arguments and builds: 0 with req
 * filled, or -1 with err set and req empty. */
static int build_obj(kwa_request_t *req, const kwa_config_t *c, const char *name,
                     const cJSON *fields, kwa_result_t *err)
{
    const kwa_opdef_t *op = kwa_op_find(name);
    kwa_args_t a;
    int rc;

    memset(req, 0, sizeof *req);
    memset(err, 0, sizeof *err);
    if (op == NULL) {
        fprintf(stderr, "no op %s\n", name);
        exit(2);
    }
    rc = kwa_args_from_json(&a, op, fields, err);
    if (rc == 0)
        rc = kwa_op_build(req, c, op, &a, err);
    kwa_args_release(&a);
    return rc;
}

static cJSON *parse(const char *json)
{
    cJSON *j = cJSON_Parse(json);

    if (j == NULL) {
        fprintf(stderr, "a row's JSON does not parse: %s\n", json);
        exit(2);
    }
    return j;
}

static int build_json(kwa_request_t *req, const kwa_config_t *c, const char *name,
                      const char *json, kwa_result_t *err)
{
    cJSON *fields = parse(json);
    int rc = build_obj(req, c, name, fields, err);

    cJSON_Delete(fields);
    return rc;
}

/* The failure every invalid row expects: kind validation, the field,
 * nothing left in req. */
static void expect_invalid(int rc, const kwa_request_t *req, const kwa_result_t *err,
                           const char *field)
{
    CHECK_INT(rc, -1);
    CHECK_STR(kwa_kind_name(err->kind), "validation");
    CHECK_STR(err->field, field);
    CHECK(err->message[0] != '\0');
    CHECK_NULL(req->url);
    CHECK_NULL(req->body);
}

static void check_body(const char *got, const char *want)
{
    cJSON *g, *w;

    if (want[0] == '\0') { /* an empty body: not JSON at all */
        CHECK_STR(got, "");
        return;
    }
    if (want[0] == '^') { /* not JSON (a form): the text starts so */
        UNIT_REPORT(got != NULL && strncmp(got, want + 1, strlen(want + 1)) == 0,
                    "body is %s, want it to start with %s", got ? got : "(null)", want + 1);
        return;
    }
    g = got ? cJSON_Parse(got) : NULL;
    w = parse(want);
    UNIT_REPORT(g != NULL && cJSON_Compare(g, w, 1), "body is %s, want %s",
                got ? got : "(null)", want);
    cJSON_Delete(g);
    cJSON_Delete(w);
}

/* ---- golden requests: the first row of each op is its base message ---- */

static const struct {
    const char *name, *op, *fields;
    const char *url, *method;
    kwa_answer_t answer;
    const char *body; /* "" for an empty body */
} goldens[] = {
    {"text", "text",
     "{" TO1 ",\"body\":\"Hello\",\"preview_url\":true,"
     "\"extra_info\":{\"ref\":\"r1\",\"ref1\":\"r2\",\"ref2\":\"r3\",\"wa_source\":\"zoho\"}}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001\",\"type\":\"text\",\"text\":{\"preview_url\":true,\"body\":\"Hello\"}},"
     "\"extra_info\":{\"ref\":\"r1\",\"ref1\":\"r2\",\"ref2\":\"r3\",\"wa_source\":\"zoho\"}}"},
    {"text: a list, own from, preview off by default, no extra_info", "text",
     "{\"to\":[\"+919000000001\",\"919000000002\"],\"body\":\"caf\xC3\xA9 \\\"q\\\"\","
     "\"from\":\"+918000000009\",\"extra_info\":{}}",
     BASE "+918000000009/messages", "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001,919000000002\",\"type\":\"text\","
     "\"text\":{\"preview_url\":false,\"body\":\"caf\xC3\xA9 \\\"q\\\"\"}}}"},
    {"text: null means absent", "text", "{" TO1 ",\"body\":\"Hi\",\"from\":null,\"extra_info\":null}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001\",\"type\":\"text\",\"text\":{\"preview_url\":false,\"body\":\"Hi\"}}}"},
    {"text: reply_to adds Meta's context", "text",
     "{" TO1 ",\"body\":\"Yes\",\"reply_to\":\"wamid.ABC\"}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001\",\"context\":{\"message_id\":\"wamid.ABC\"},\"type\":\"text\","
     "\"text\":{\"preview_url\":false,\"body\":\"Yes\"}}}"},
    {"raw: reply_to adds context", "raw",
     "{\"messaging_object\":{" TO1 ",\"text\":{\"body\":\"x\"}},\"reply_to\":\"w1\"}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"to\":\"+919000000001\",\"text\":{\"body\":\"x\"},"
     "\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"context\":{\"message_id\":\"w1\"}}}"},
    {"cta_url", "cta_url",
     "{" TO1 ",\"header\":\"Offer\",\"body\":\"Tap below\",\"footer\":\"Thanks\","
     "\"display_text\":\"Open\",\"url\":\"https://example.com/x?a=1\"}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001\",\"type\":\"interactive\",\"interactive\":{\"type\":\"cta_url\","
     "\"header\":{\"type\":\"text\",\"text\":\"Offer\"},\"body\":{\"text\":\"Tap below\"},"
     "\"footer\":{\"text\":\"Thanks\"},\"action\":{\"name\":\"cta_url\",\"parameters\":"
     "{\"display_text\":\"Open\",\"url\":\"https://example.com/x?a=1\"}}}}}"},
    {"cta_url: a header object, no footer", "cta_url",
     "{" TO1 ",\"header\":{\"type\":\"image\",\"image\":{\"link\":\"https://example.com/a.png\"}},"
     "\"body\":\"B\",\"display_text\":\"Go\",\"url\":\"http://example.com\"}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001\",\"type\":\"interactive\",\"interactive\":{\"type\":\"cta_url\","
     "\"header\":{\"type\":\"image\",\"image\":{\"link\":\"https://example.com/a.png\"}},"
     "\"body\":{\"text\":\"B\"},\"action\":{\"name\":\"cta_url\",\"parameters\":"
     "{\"display_text\":\"Go\",\"url\":\"http://example.com\"}}}}}"},
    {"flow", "flow",
     "{" TO1 ",\"body\":\"Start\",\"flow\":{\"flow_id\":\"123456\",\"flow_cta\":\"Book\","
     "\"flow_token\":\"tok\",\"flow_action\":\"navigate\","
     "\"flow_action_payload\":{\"screen\":\"WELCOME\",\"data\":{\"k\":1}}}}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001\",\"type\":\"interactive\",\"interactive\":{\"type\":\"flow\","
     "\"body\":{\"text\":\"Start\"},\"action\":{\"name\":\"flow\",\"parameters\":"
     "{\"flow_id\":\"123456\",\"flow_cta\":\"Book\",\"flow_token\":\"tok\",\"flow_action\":\"navigate\","
     "\"flow_action_payload\":{\"screen\":\"WELCOME\",\"data\":{\"k\":1}},"
     "\"flow_message_version\":\"3\"}}}}}"},
    {"flow: by name, own version, mode", "flow",
     "{" TO1 ",\"header\":\"H\",\"body\":\"B\",\"footer\":\"F\",\"flow\":{\"flow_name\":\"booking\","
     "\"flow_cta\":\"Go\",\"flow_message_version\":\"4\",\"mode\":\"draft\"}}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001\",\"type\":\"interactive\",\"interactive\":{\"type\":\"flow\","
     "\"header\":{\"type\":\"text\",\"text\":\"H\"},\"body\":{\"text\":\"B\"},\"footer\":{\"text\":\"F\"},"
     "\"action\":{\"name\":\"flow\",\"parameters\":{\"flow_name\":\"booking\",\"flow_cta\":\"Go\","
     "\"flow_message_version\":\"4\",\"mode\":\"draft\"}}}}}"},
    {"raw", "raw",
     "{\"messaging_object\":{" TO1 ",\"type\":\"image\",\"image\":{\"link\":\"https://example.com/a.png\"}},"
     "\"extra_info\":{\"ref\":\"r\"}}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"to\":\"+919000000001\",\"type\":\"image\","
     "\"image\":{\"link\":\"https://example.com/a.png\"},\"messaging_product\":\"whatsapp\","
     "\"recipient_type\":\"individual\"},\"extra_info\":{\"ref\":\"r\"}}"},
    {"raw: text by default, the fixed members given", "raw",
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001,+919000000002\",\"text\":{\"body\":\"x\"},\"context\":{\"message_id\":\"w\"}},"
     "\"from\":\"+918000000009\"}",
     BASE "+918000000009/messages", "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001,+919000000002\",\"text\":{\"body\":\"x\"},\"context\":{\"message_id\":\"w\"}}}"},
    {"publish", "publish", "{\"flow_id\":\"123456\"}", BASE "123456/publish", "POST",
     KWA_ANSWER_SUCCESS, ""},
    {"mark_read", "mark_read", "{\"message_id\":\"wamid.HBgM\"}", MESSAGES, "POST",
     KWA_ANSWER_SUCCESS,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"status\":\"read\","
     "\"message_id\":\"wamid.HBgM\"}}"},
    {"create_flow", "create_flow",
     "{\"waba_id\":\"112233\",\"name\":\"My flow\",\"categories\":[\"OTHER\",\"SIGN_IN\"]}",
     BASE "112233/flows", "POST", KWA_ANSWER_JSON,
     "{\"name\":\"My flow\",\"categories\":[\"OTHER\",\"SIGN_IN\"]}"},
    {"create_flow: clone, endpoint", "create_flow",
     "{\"waba_id\":\"1\",\"name\":\"N\",\"categories\":[\"SURVEY\"],\"clone_flow_id\":\"77\","
     "\"endpoint_uri\":\"https://example.com/f\"}",
     BASE "1/flows", "POST", KWA_ANSWER_JSON,
     "{\"name\":\"N\",\"categories\":[\"SURVEY\"],\"clone_flow_id\":\"77\","
     "\"endpoint_uri\":\"https://example.com/f\"}"},
    {"update_flow", "update_flow", "{\"flow_id\":\"123456\",\"name\":\"New\"}", BASE "123456",
     "POST", KWA_ANSWER_SUCCESS, "{\"name\":\"New\"}"},
    {"upload_flow_json", "upload_flow_json",
     "{\"flow_id\":\"123456\",\"flow_json\":{\"version\":\"6.0\",\"screens\":[]}}",
     BASE "123456/assets", "POST", KWA_ANSWER_JSON, "{\"version\":\"6.0\",\"screens\":[]}"},
    {"upload_flow_json: text as is", "upload_flow_json",
     "{\"flow_id\":\"1\",\"flow_json\":\"not json\"}",
     BASE "1/assets", "POST", KWA_ANSWER_JSON, "^not json"},
    {"get_flow", "get_flow", "{\"flow_id\":\"123456\"}", BASE "123456", "GET", KWA_ANSWER_JSON, ""},
    {"get_flow: fields, URL-encoded", "get_flow",
     "{\"flow_id\":\"9\",\"fields\":[\"name\",\"preview.invalidate(false)\"]}",
     BASE "9?fields=name%2Cpreview.invalidate%28false%29", "GET", KWA_ANSWER_JSON, ""},
    {"list_flows", "list_flows", "{\"waba_id\":\"112233\",\"fields\":[\"id\",\"status\"]}",
     BASE "112233/flows?fields=id%2Cstatus", "GET", KWA_ANSWER_JSON, ""},
    {"deprecate_flow", "deprecate_flow", "{\"flow_id\":\"123456\"}", BASE "123456/deprecate",
     "POST", KWA_ANSWER_SUCCESS, ""},
    {"delete_flow", "delete_flow", "{\"flow_id\":\"123456\"}", BASE "123456", "DELETE",
     KWA_ANSWER_SUCCESS, ""},
    {"get_flows_public_key", "get_flows_public_key", "{}", BASE "+918000000001/flows_encryption",
     "GET", KWA_ANSWER_JSON, ""},
    {"set_flows_public_key", "set_flows_public_key", "{\"public_key\":\"" PUBKEY "\"}",
     BASE "+918000000001/flows_encryption", "POST", KWA_ANSWER_SUCCESS,
     "^business_public_key=-----BEGIN%20PUBLIC%20KEY-----%0AMIIB"},
    {"mark_read: own from, extra_info", "mark_read",
     "{\"message_id\":\"w\",\"from\":\"918000000009\",\"extra_info\":{\"ref\":\"r\"}}",
     BASE "918000000009/messages", "POST", KWA_ANSWER_SUCCESS,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"status\":\"read\","
     "\"message_id\":\"w\"},\"extra_info\":{\"ref\":\"r\"}}"},
    {"location", "location",
     "{" TO1 ",\"latitude\":12.5,\"longitude\":-77.25,\"name\":\"N\",\"address\":\"A\"}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001\",\"type\":\"location\",\"location\":{\"latitude\":12.5,"
     "\"longitude\":-77.25,\"name\":\"N\",\"address\":\"A\"}}}"},
    {"reaction", "reaction", "{" TO1 ",\"message_id\":\"wamid.A\",\"emoji\":\"\xF0\x9F\x91\x8D\"}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001\",\"type\":\"reaction\",\"reaction\":{\"message_id\":\"wamid.A\","
     "\"emoji\":\"\xF0\x9F\x91\x8D\"}}}"},
    {"reaction: \"\" removes it", "reaction", "{" TO1 ",\"message_id\":\"w\",\"emoji\":\"\"}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001\",\"type\":\"reaction\",\"reaction\":{\"message_id\":\"w\","
     "\"emoji\":\"\"}}}"},
    {"media", "media", "{" TO1 ",\"type\":\"document\",\"link\":\"https://example.com/a.pdf\","
     "\"caption\":\"C\",\"filename\":\"a.pdf\"}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001\",\"type\":\"document\",\"document\":{\"link\":\"https://example.com/a.pdf\","
     "\"caption\":\"C\",\"filename\":\"a.pdf\"}}}"},
    {"media: an uploaded sticker", "media", "{" TO1 ",\"type\":\"sticker\",\"id\":\"123\"}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001\",\"type\":\"sticker\",\"sticker\":{\"id\":\"123\"}}}"},
    {"buttons", "buttons",
     "{" TO1 ",\"header\":\"H\",\"body\":\"Pick\",\"footer\":\"F\","
     "\"buttons\":[{\"id\":\"y\",\"title\":\"Yes\"},{\"id\":\"n\",\"title\":\"No\"}]}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001\",\"type\":\"interactive\",\"interactive\":{\"type\":\"button\","
     "\"header\":{\"type\":\"text\",\"text\":\"H\"},\"body\":{\"text\":\"Pick\"},"
     "\"footer\":{\"text\":\"F\"},\"action\":{\"buttons\":["
     "{\"type\":\"reply\",\"reply\":{\"id\":\"y\",\"title\":\"Yes\"}},"
     "{\"type\":\"reply\",\"reply\":{\"id\":\"n\",\"title\":\"No\"}}]}}}}"},
    {"list", "list",
     "{" TO1 ",\"header\":\"H\",\"body\":\"Pick\",\"button\":\"Menu\","
     "\"sections\":[{\"title\":\"S\",\"rows\":[{\"id\":\"r1\",\"title\":\"One\",\"description\":\"D\"}]}]}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001\",\"type\":\"interactive\",\"interactive\":{\"type\":\"list\","
     "\"header\":{\"type\":\"text\",\"text\":\"H\"},\"body\":{\"text\":\"Pick\"},"
     "\"action\":{\"button\":\"Menu\",\"sections\":[{\"title\":\"S\",\"rows\":"
     "[{\"id\":\"r1\",\"title\":\"One\",\"description\":\"D\"}]}]}}}}"},
    {"template", "template",
     "{" TO1 ",\"name\":\"coupon_offer\",\"language\":\"en_US\",\"body\":[\"A\","
     "{\"type\":\"currency\",\"fallback\":\"$1\",\"code\":\"USD\",\"amount_1000\":1000}],"
     "\"header\":{\"type\":\"image\",\"id\":\"9\"},\"buttons\":[{\"type\":\"copy_code\",\"code\":\"C1\"}]}",
     MESSAGES, "POST", KWA_ANSWER_MESSAGE,
     "{\"messaging_object\":{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
     "\"to\":\"+919000000001\",\"type\":\"template\",\"template\":{\"name\":\"coupon_offer\","
     "\"language\":{\"code\":\"en_US\"},\"components\":["
     "{\"type\":\"header\",\"parameters\":[{\"type\":\"image\",\"image\":{\"id\":\"9\"}}]},"
     "{\"type\":\"body\",\"parameters\":[{\"type\":\"text\",\"text\":\"A\"},{\"type\":\"currency\","
     "\"currency\":{\"fallback_value\":\"$1\",\"code\":\"USD\",\"amount_1000\":1000}}]},"
     "{\"type\":\"button\",\"sub_type\":\"copy_code\",\"index\":\"0\",\"parameters\":"
     "[{\"type\":\"coupon_code\",\"coupon_code\":\"C1\"}]}]}}}"},
    {"upload: bytes", "upload", "{\"data\":\"%PDF-1\",\"type\":\"application/pdf\",\"filename\":\"a.pdf\"}",
     BASE "+918000000001/media", "POST", KWA_ANSWER_MEDIA, ""},
};

#define NGOLDEN (sizeof goldens / sizeof goldens[0])

static void test_goldens(void)
{
    size_t i;

    for (i = 0; i < NGOLDEN; i++) {
        kwa_request_t req;
        kwa_result_t err;
        int rc;

        UNIT_CASE(goldens[i].name);
        rc = build_json(&req, &cfg, goldens[i].op, goldens[i].fields, &err);
        CHECK_INT(rc, 0);
        if (rc != 0) {
            fprintf(stderr, "  %s: %s\n", err.field, err.message);
            continue;
        }
        CHECK_INT(err.kind, KWA_OK);
        CHECK_STR(req.op, goldens[i].op);
        CHECK_STR(req.url, goldens[i].url);
        CHECK_STR(req.method, goldens[i].method);
        CHECK_INT(req.answer, goldens[i].answer);
        CHECK_INT(req.body_len, strlen(req.body));
        CHECK_INT(req.nparts > 0, kwa_op_find(goldens[i].op)->multipart); /* says it is */
        check_body(req.body, goldens[i].body);
        kwa_request_free(&req);
        CHECK_NULL(req.url);
    }
}

/* ---- invalid values, per op ---- */

#define LONG20 "01234567890123456789"
#define LONG60 LONG20 LONG20 LONG20
#define LONG30 LONG20 "0123456789"

static const struct {
    const char *op, *fields, *field;
} invalid[] = {
    {"text", "{\"body\":\"Hi\"}", "to"},
    {"text", "{\"to\":\"+91XX\",\"body\":\"Hi\"}", "to"},
    {"text", "{\"to\":\"\",\"body\":\"Hi\"}", "to"},
    {"text", "{\"to\":[\"+91XX\"],\"body\":\"Hi\"}", "to"},
    {"text", "{\"to\":[\"+919000000001\",\"+91XX\"],\"body\":\"Hi\"}", "to[2]"},
    {"text", "{\"to\":[\"+919000000001\",\"+919000000002\",\"12\"],\"body\":\"Hi\"}", "to[3]"},
    {"text", "{\"to\":[],\"body\":\"Hi\"}", "to"},
    {"text", "{\"to\":[\"+919000000001\",5],\"body\":\"Hi\"}", "to"},
    {"text", "{\"to\":919000000001,\"body\":\"Hi\"}", "to"},
    {"text", "{\"to\":{\"n\":\"+919000000001\"},\"body\":\"Hi\"}", "to"},
    {"text", "{" TO1 "}", "body"},
    {"text", "{" TO1 ",\"body\":\"\"}", "body"},
    {"text", "{" TO1 ",\"body\":5}", "body"},
    {"text", "{" TO1 ",\"body\":\"a\xFF\"}", "body"},
    {"text", "{" TO1 ",\"body\":\"Hi\",\"preview_url\":\"yes\"}", "preview_url"},
    {"text", "{" TO1 ",\"body\":\"Hi\",\"preview_url\":1}", "preview_url"},
    {"text", "{" TO1 ",\"body\":\"Hi\",\"from\":\"12\"}", "from"},
    {"text", "{" TO1 ",\"body\":\"Hi\",\"from\":918000000001}", "from"},
    {"text", "{" TO1 ",\"body\":\"Hi\",\"extra_info\":{\"ref\":\"\xC3\"}}", "extra_info.ref"},
    {"text", "{" TO1 ",\"body\":\"Hi\",\"extra_info\":{\"ref\":5}}", "extra_info"},
    {"text", "{" TO1 ",\"body\":\"Hi\",\"extra_info\":{\"reff\":\"x\"}}", "extra_info"},
    {"text", "{" TO1 ",\"body\":\"Hi\",\"extra_info\":\"x\"}", "extra_info"},
    {"text", "{" TO1 ",\"body\":\"Hi\",\"extra_info\":{\"wa_source\":\"\"}}", "extra_info.wa_source"},
    {"text", "{" TO1 ",\"body\":\"Hi\",\"Body\":\"Hi\"}", "message"},
    {"text", "[\"+919000000001\"]", "message"},
    {"text", "\"Hi\"", "message"},
    {"text", "{" TO1 ",\"body\":\"Hi\",\"reply_to\":\"\"}", "reply_to"},
    {"text", "{" TO1 ",\"body\":\"Hi\",\"reply_to\":5}", "reply_to"},
    {"raw", "{\"messaging_object\":{" TO1 ",\"text\":{},\"context\":{}},\"reply_to\":\"w\"}",
     "reply_to"},
    {"cta_url", "{" TO1 ",\"body\":\"B\",\"display_text\":\"Go\",\"url\":\"ftp://x\"}", "url"},
    {"cta_url", "{" TO1 ",\"body\":\"B\",\"display_text\":\"Go\",\"url\":\"https://\"}", "url"},
    {"cta_url", "{" TO1 ",\"body\":\"B\",\"display_text\":\"Go\",\"url\":\"https://x y\"}", "url"},
    {"cta_url", "{" TO1 ",\"body\":\"B\",\"display_text\":\"Go\"}", "url"},
    {"cta_url", "{" TO1 ",\"body\":\"B\",\"display_text\":\"" LONG20 "1\",\"url\":\"https://x\"}",
     "display_text"},
    {"cta_url", "{" TO1 ",\"body\":\"B\",\"display_text\":\"\",\"url\":\"https://x\"}", "display_text"},
    {"cta_url", "{" TO1 ",\"body\":\"B\",\"url\":\"https://x\"}", "display_text"},
    {"cta_url", "{" TO1 ",\"display_text\":\"Go\",\"url\":\"https://x\"}", "body"},
    {"cta_url", "{\"body\":\"B\",\"display_text\":\"Go\",\"url\":\"https://x\"}", "to"},
    {"cta_url", "{" TO1 ",\"header\":\"" LONG60 "1\",\"body\":\"B\",\"display_text\":\"Go\",\"url\":\"https://x\"}",
     "header"},
    {"cta_url", "{" TO1 ",\"header\":{\"type\":\"audio\",\"audio\":{}},\"body\":\"B\",\"display_text\":\"Go\","
     "\"url\":\"https://x\"}", "header.type"},
    {"cta_url", "{" TO1 ",\"header\":{\"type\":\"text\"},\"body\":\"B\",\"display_text\":\"Go\","
     "\"url\":\"https://x\"}", "header.text"},
    {"cta_url", "{" TO1 ",\"header\":{\"type\":\"video\"},\"body\":\"B\",\"display_text\":\"Go\","
     "\"url\":\"https://x\"}", "header"},
    {"cta_url", "{" TO1 ",\"header\":5,\"body\":\"B\",\"display_text\":\"Go\",\"url\":\"https://x\"}",
     "header"},
    {"cta_url", "{" TO1 ",\"footer\":\"" LONG60 "1\",\"body\":\"B\",\"display_text\":\"Go\",\"url\":\"https://x\"}",
     "footer"},
    {"cta_url", "{" TO1 ",\"footer\":\"\",\"body\":\"B\",\"display_text\":\"Go\",\"url\":\"https://x\"}",
     "footer"},
    {"flow", "{" TO1 ",\"body\":\"B\"}", "flow"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":\"x\"}", "flow"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_id\":\"1\",\"flow_name\":\"n\",\"flow_cta\":\"Go\"}}",
     "flow.flow_id"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_cta\":\"Go\"}}", "flow.flow_id"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_id\":\"12a\",\"flow_cta\":\"Go\"}}", "flow.flow_id"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_id\":12,\"flow_cta\":\"Go\"}}", "flow.flow_id"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_name\":\"\",\"flow_cta\":\"Go\"}}", "flow.flow_name"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_id\":\"1\"}}", "flow.flow_cta"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_id\":\"1\",\"flow_cta\":7}}", "flow.flow_cta"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_id\":\"1\",\"flow_cta\":\"" LONG30 "1\"}}",
     "flow.flow_cta"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_id\":\"1\",\"flow_cta\":\"Go\",\"flow_action\":\"x\"}}",
     "flow.flow_action"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_id\":\"1\",\"flow_cta\":\"Go\",\"mode\":\"live\"}}",
     "flow.mode"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_id\":\"1\",\"flow_cta\":\"Go\",\"flow_token\":\"\"}}",
     "flow.flow_token"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_id\":\"1\",\"flow_cta\":\"Go\",\"flow_message_version\":3}}",
     "flow.flow_message_version"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_id\":\"1\",\"flow_cta\":\"Go\",\"flow_action_payload\":\"x\"}}",
     "flow.flow_action_payload"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_id\":\"1\",\"flow_cta\":\"Go\","
     "\"flow_action_payload\":{\"screen\":\"\"}}}", "flow.flow_action_payload.screen"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_id\":\"1\",\"flow_cta\":\"Go\","
     "\"flow_action_payload\":{\"data\":{}}}}", "flow.flow_action_payload.data"},
    {"flow", "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_id\":\"1\",\"flow_cta\":\"Go\","
     "\"flow_action_payload\":{\"data\":[1]}}}", "flow.flow_action_payload.data"},
    {"raw", "{}", "messaging_object"},
    {"raw", "{\"messaging_object\":[]}", "messaging_object"},
    {"raw", "{\"messaging_object\":{\"to\":\"+91XX\",\"text\":{\"body\":\"x\"}}}", "messaging_object.to"},
    {"raw", "{\"messaging_object\":{\"text\":{\"body\":\"x\"}}}", "messaging_object.to"},
    {"raw", "{\"messaging_object\":{\"to\":[\"+919000000001\"],\"text\":{\"body\":\"x\"}}}",
     "messaging_object.to"},
    {"raw", "{\"messaging_object\":{\"to\":\"+919000000001,+91XX\",\"text\":{\"body\":\"x\"}}}",
     "messaging_object.to"},
    {"raw", "{\"messaging_object\":{" TO1 ",\"type\":\"Image!\",\"Image!\":{}}}", "messaging_object.type"},
    {"raw", "{\"messaging_object\":{" TO1 ",\"type\":\"\"}}", "messaging_object.type"},
    {"raw", "{\"messaging_object\":{" TO1 ",\"type\":5}}", "messaging_object.type"},
    {"raw", "{\"messaging_object\":{" TO1 ",\"type\":\"image\"}}", "messaging_object.image"},
    {"raw", "{\"messaging_object\":{" TO1 ",\"type\":\"image\",\"image\":\"x\"}}", "messaging_object.image"},
    {"raw", "{\"messaging_object\":{" TO1 "}}", "messaging_object.text"},
    {"raw", "{\"messaging_object\":{" TO1 ",\"messaging_product\":\"sms\",\"text\":{}}}",
     "messaging_object.messaging_product"},
    {"raw", "{\"messaging_object\":{" TO1 ",\"recipient_type\":\"group\",\"text\":{}}}",
     "messaging_object.recipient_type"},
    {"publish", "{\"flow_id\":\"12a\"}", "flow_id"},
    {"publish", "{\"flow_id\":\"\"}", "flow_id"},
    {"publish", "{\"flow_id\":123}", "flow_id"},
    {"publish", "{\"flow_id\":\"123456789012345678901234567890123\"}", "flow_id"},
    {"publish", "{\"flow_id\":\"1/../2\"}", "flow_id"},
    {"publish", "{}", "flow_id"},
    {"publish", "{\"flow_id\":\"1\",\"from\":\"+918000000001\"}", "message"},
    {"create_flow", "{\"waba_id\":\"1a\",\"name\":\"N\",\"categories\":[\"OTHER\"]}", "waba_id"},
    {"create_flow", "{\"waba_id\":\"1\",\"name\":\"N\",\"categories\":[]}", "categories"},
    {"create_flow", "{\"waba_id\":\"1\",\"name\":\"N\",\"categories\":[\"FUN\"]}", "categories"},
    {"create_flow", "{\"waba_id\":\"1\",\"name\":\"N\",\"categories\":[1]}", "categories"},
    {"create_flow", "{\"waba_id\":\"1\",\"name\":\"N\",\"categories\":\"OTHER\"}", "categories"},
    {"create_flow", "{\"waba_id\":\"1\",\"name\":\"N\",\"categories\":[\"OTHER\"],"
     "\"endpoint_uri\":\"ftp://x\"}", "endpoint_uri"},
    {"update_flow", "{\"flow_id\":\"1\"}", "message"},
    {"update_flow", "{\"flow_id\":\"x\",\"name\":\"N\"}", "flow_id"},
    {"update_flow", "{\"flow_id\":\"1\",\"name\":\"\"}", "name"},
    {"upload_flow_json", "{\"flow_id\":\"1\"}", "flow_json"},
    {"upload_flow_json", "{\"flow_id\":\"1\",\"flow_json\":[1]}", "flow_json"},
    {"upload_flow_json", "{\"flow_id\":\"1/2\",\"flow_json\":\"{}\"}", "flow_id"},
    {"get_flow", "{\"flow_id\":\"1\",\"fields\":[\"\"]}", "fields"},
    {"get_flow", "{\"flow_id\":\"1\",\"fields\":\"name\"}", "fields"},
    {"get_flow", "{}", "flow_id"},
    {"list_flows", "{}", "waba_id"},
    {"list_flows", "{\"waba_id\":\"../x\"}", "waba_id"},
    {"list_flows", "{\"waba_id\":\"1\",\"fields\":[2]}", "fields"},
    {"deprecate_flow", "{}", "flow_id"},
    {"deprecate_flow", "{\"flow_id\":\"a\"}", "flow_id"},
    {"deprecate_flow", "{\"flow_id\":5}", "flow_id"},
    {"delete_flow", "{}", "flow_id"},
    {"delete_flow", "{\"flow_id\":\"1?x\"}", "flow_id"},
    {"delete_flow", "{\"flow_id\":\"\"}", "flow_id"},
    {"get_flows_public_key", "{\"from\":\"12\"}", "from"},
    {"get_flows_public_key", "{\"x\":1}", "message"},
    {"get_flows_public_key", "{\"from\":7}", "from"},
    {"set_flows_public_key", "{}", "public_key"},
    {"set_flows_public_key", "{\"public_key\":\"not a key\"}", "public_key"},
    {"set_flows_public_key", "{\"public_key\":\"\"}", "public_key"},
    {"mark_read", "{\"message_id\":\"\"}", "message_id"},
    {"mark_read", "{}", "message_id"},
    {"mark_read", "{\"message_id\":1}", "message_id"},
    {"mark_read", "{\"message_id\":\"\xED\xA0\x80\"}", "message_id"},
    {"mark_read", "{\"message_id\":\"w\",\"from\":\"12\"}", "from"},
    {"mark_read", "{\"message_id\":\"w\",\"extra_info\":{\"ref\":\"\xFF\"}}", "extra_info.ref"},
    {"mark_read", "{\"message_id\":\"w\",\"to\":\"+919000000001\"}", "message"},
    {"location", "{" TO1 ",\"latitude\":\"1\",\"longitude\":2}", "latitude"},
    {"location", "{" TO1 ",\"latitude\":91,\"longitude\":2}", "latitude"},
    {"location", "{" TO1 ",\"latitude\":1,\"longitude\":-181}", "longitude"},
    {"location", "{" TO1 ",\"latitude\":1,\"longitude\":2,\"name\":\"\"}", "name"},
    {"reaction", "{" TO1 ",\"message_id\":\"\",\"emoji\":\"x\"}", "message_id"},
    {"reaction", "{" TO1 ",\"message_id\":\"w\",\"emoji\":\"" LONG20 "\"}", "emoji"},
    {"reaction", "{" TO1 ",\"message_id\":\"w\",\"emoji\":1}", "emoji"},
    {"reaction", "{" TO1 ",\"message_id\":\"w\",\"emoji\":\"x\",\"reply_to\":\"w\"}", "message"},
    {"media", "{" TO1 ",\"type\":\"gif\",\"id\":\"1\"}", "type"},
    {"media", "{" TO1 ",\"type\":\"image\"}", "id"},
    {"media", "{" TO1 ",\"type\":\"image\",\"id\":\"1\",\"link\":\"https://x\"}", "id"},
    {"media", "{" TO1 ",\"type\":\"image\",\"link\":\"http://x\"}", "link"},
    {"media", "{" TO1 ",\"type\":\"audio\",\"id\":\"1\",\"caption\":\"c\"}", "caption"},
    {"media", "{" TO1 ",\"type\":\"image\",\"id\":\"1\",\"filename\":\"f\"}", "filename"},
    {"buttons", "{" TO1 ",\"body\":\"B\",\"buttons\":[]}", "buttons"},
    {"buttons", "{" TO1 ",\"body\":\"B\",\"buttons\":{\"id\":\"y\"}}", "buttons"},
    {"buttons", "{" TO1 ",\"body\":\"B\",\"buttons\":[{\"id\":\"a\",\"title\":\"A\"},"
     "{\"id\":\"b\",\"title\":\"B\"},{\"id\":\"c\",\"title\":\"C\"},{\"id\":\"d\",\"title\":\"D\"}]}",
     "buttons"},
    {"buttons", "{" TO1 ",\"body\":\"B\",\"buttons\":[{\"id\":\"a\",\"title\":\"" LONG20 "1\"}]}",
     "buttons[1].title"},
    {"buttons", "{" TO1 ",\"body\":\"B\",\"buttons\":[{\"id\":\"a\",\"title\":\"A\"},"
     "{\"id\":\"a\",\"title\":\"B\"}]}", "buttons[2].id"},
    {"buttons", "{" TO1 ",\"body\":\"B\",\"buttons\":[\"a\"]}", "buttons[1]"},
    {"list", "{" TO1 ",\"body\":\"B\",\"button\":\"M\",\"sections\":[]}", "sections"},
    {"list", "{" TO1 ",\"body\":\"B\",\"button\":\"M\",\"sections\":[{\"rows\":[]}]}", "sections[1].rows"},
    {"list", "{" TO1 ",\"body\":\"B\",\"button\":\"M\",\"sections\":[{\"rows\":[{\"id\":\"a\"}]}]}",
     "sections[1].rows[1].title"},
    {"list", "{" TO1 ",\"body\":\"B\",\"button\":\"M\",\"sections\":[{\"rows\":[{\"id\":\"a\","
     "\"title\":\"" LONG20 "12345\"}]}]}", "sections[1].rows[1].title"},
    {"list", "{" TO1 ",\"body\":\"B\",\"button\":\"" LONG20 "1\",\"sections\":[{\"rows\":[{\"id\":\"a\","
     "\"title\":\"A\"}]}]}", "button"},
    {"template", "{" TO1 ",\"name\":\"A\",\"language\":\"en\"}", "name"},
    {"template", "{" TO1 ",\"name\":\"a\",\"language\":\"e\"}", "language"},
    /* found by fuzz_request: a huge amount was cast to long long (UB) */
    {"template", "{" TO1 ",\"name\":\"a\",\"language\":\"en\",\"body\":[{\"type\":\"currency\","
                 "\"fallback\":\"$1\",\"code\":\"USD\",\"amount_1000\":2.2e110}]}",
     "body[1].amount_1000"},
    {"template", "{" TO1 ",\"name\":\"a\",\"language\":\"en\",\"body\":{}}", "body"},
    {"template", "{" TO1 ",\"name\":\"a\",\"language\":\"en\",\"buttons\":[{\"type\":\"copy_code\","
     "\"code\":\"0123456789012345\"}]}", "buttons[1].code"},
    {"template", "{" TO1 ",\"name\":\"a\",\"language\":\"en\",\"body\":[\"x\"],\"components\":[]}",
     "components"},
    {"upload", "{\"type\":\"image/png\"}", "file"},
    {"upload", "{\"data\":\"x\",\"type\":\"image/gif\"}", "type"},
    {"upload", "{\"data\":\"\",\"type\":\"image/png\"}", "data"},
    {"upload", "{\"file\":\"/nonexistent/kwa/a.png\",\"type\":\"image/png\"}", "file"},
    {"upload", "{\"data\":\"x\",\"file\":\"/etc/hostname\",\"type\":\"image/png\"}", "file"},
    {"upload", "{\"data\":\"x\",\"type\":\"image/png\",\"extra_info\":{}}", "message"},
};

#define NINVALID (sizeof invalid / sizeof invalid[0])

static void test_invalid(void)
{
    char name[96];
    size_t i;

    for (i = 0; i < NINVALID; i++) {
        kwa_request_t req;
        kwa_result_t err;
        int rc;

        snprintf(name, sizeof name, "%s #%zu -> %s", invalid[i].op, i, invalid[i].field);
        UNIT_CASE(name);
        rc = build_json(&req, &cfg, invalid[i].op, invalid[i].fields, &err);
        expect_invalid(rc, &req, &err, invalid[i].field);
        kwa_request_free(&req);
    }
}

/* The first golden row of op: its base message. */
static const char *base_of(const char *op)
{
    size_t i;

    for (i = 0; i < NGOLDEN; i++)
        if (strcmp(goldens[i].op, op) == 0)
            return goldens[i].fields;
    return NULL;
}

static void expect_invalid_obj(const char *op, const cJSON *fields, const char *field)
{
    kwa_request_t req;
    kwa_result_t err;

    expect_invalid(build_obj(&req, &cfg, op, fields, &err), &req, &err, field);
    kwa_request_free(&req);
}

/* Rows made from every op's base message: each required field taken out,
 * a bad from, bad extra_info, an unknown field; and each op is covered. */
static void test_every_op(void)
{
    const kwa_opdef_t *const *op;
    char name[96];
    size_t i;

    for (op = kwa_ops; *op != NULL; op++) {
        const char *base = base_of((*op)->name);
        const kwa_field_t *f;
        int rows = 0;
        cJSON *m;

        snprintf(name, sizeof name, "%s: has a golden row and invalid rows", (*op)->name);
        UNIT_CASE(name);
        CHECK_NOT_NULL(base);
        for (i = 0; i < NINVALID; i++)
            rows += strcmp(invalid[i].op, (*op)->name) == 0;
        CHECK(rows >= 3);
        if (base == NULL)
            continue;

        for (f = (*op)->fields; f->name != NULL; f++) {
            if (!f->required)
                continue;
            snprintf(name, sizeof name, "%s without %s", (*op)->name, f->name);
            UNIT_CASE(name);
            m = parse(base);
            CHECK(cJSON_HasObjectItem(m, f->name));
            cJSON_DeleteItemFromObjectCaseSensitive(m, f->name);
            expect_invalid_obj((*op)->name, m, f->name);
            cJSON_Delete(m);
        }
        if (kwa_op_field(*op, "from") >= 0) {
            snprintf(name, sizeof name, "%s with from \"12\"", (*op)->name);
            UNIT_CASE(name);
            m = parse(base);
            cJSON_DeleteItemFromObjectCaseSensitive(m, "from");
            cJSON_AddStringToObject(m, "from", "12");
            expect_invalid_obj((*op)->name, m, "from");
            cJSON_Delete(m);

            snprintf(name, sizeof name, "%s without from on a client without one", (*op)->name);
            UNIT_CASE(name);
            {
                kwa_request_t req;
                kwa_result_t err;

                m = parse(base);
                cJSON_DeleteItemFromObjectCaseSensitive(m, "from");
                expect_invalid(build_obj(&req, &bare, (*op)->name, m, &err), &req, &err, "from");
                kwa_request_free(&req);
                cJSON_Delete(m);
            }
        }
        if (kwa_op_field(*op, "extra_info") >= 0) {
            static const char *const refs[] = {"ref", "ref1", "ref2"};
            size_t r;

            for (r = 0; r < 3; r++) {
                char field[32];
                cJSON *x;

                snprintf(name, sizeof name, "%s with invalid UTF-8 in extra_info.%s", (*op)->name,
                         refs[r]);
                UNIT_CASE(name);
                m = parse(base);
                cJSON_DeleteItemFromObjectCaseSensitive(m, "extra_info");
                x = cJSON_AddObjectToObject(m, "extra_info");
                cJSON_AddStringToObject(x, refs[r], "ok\xC3\x28");
                snprintf(field, sizeof field, "extra_info.%s", refs[r]);
                expect_invalid_obj((*op)->name, m, field);
                cJSON_Delete(m);
            }
        }
        snprintf(name, sizeof name, "%s with an unknown field", (*op)->name);
        UNIT_CASE(name);
        m = parse(base);
        cJSON_AddStringToObject(m, "no_such_field", "x");
        expect_invalid_obj((*op)->name, m, "message");
        cJSON_Delete(m);

        snprintf(name, sizeof name, "%s: publish needs no from", (*op)->name);
        if (kwa_op_field(*op, "from") < 0) {
            kwa_request_t req;
            kwa_result_t err;

            UNIT_CASE(name);
            CHECK_INT(build_json(&req, &bare, (*op)->name, base, &err), 0);
            kwa_request_free(&req);
        }
    }
}

/* ---- extra_info: refs cut at 255 characters, wa_source ---- */

/* Builds text with extra_info x and returns the body's extra_info (in
 * *body, to delete), or NULL. */
static const cJSON *extra_of(cJSON *x, cJSON **body)
{
    cJSON *m = parse("{" TO1 ",\"body\":\"Hi\"}");
    kwa_request_t req;
    kwa_result_t err;
    int rc;

    cJSON_AddItemToObject(m, "extra_info", x);
    *body = NULL;
    rc = build_obj(&req, &cfg, "text", m, &err);
    CHECK_INT(rc, 0);
    if (rc == 0)
        *body = cJSON_Parse(req.body);
    kwa_request_free(&req);
    cJSON_Delete(m);
    return cJSON_GetObjectItemCaseSensitive(*body, "extra_info");
}

static void test_extra_info(void)
{
    static const struct {
        const char *name, *unit;
        size_t n, want_n; /* n copies of unit in, want_n out */
        const char *prefix;
    } refs[] = {
        {"ref of 255 ASCII: whole", "a", 255, 255, ""},
        {"ref of 256 ASCII: cut", "a", 256, 255, ""},
        {"ref of 300 two-byte characters: cut", "\xC3\xA9", 300, 255, ""},
        {"ref of 1 + 300 three-byte: cut at a character", "\xE2\x82\xAC", 300, 254, "a"},
        {"ref of 255 emoji: whole", "\xF0\x9F\x98\x80", 255, 255, ""},
        {"ref of 256 emoji: cut", "\xF0\x9F\x98\x80", 256, 255, ""},
    };
    static const struct {
        const char *in, *want;
    } sources[] = {
        {"api", "api"},         {"shopify", "shopify"}, {"moengage", "moengage"},
        {"zoho", "zoho"},       {"pigeon", "api"},      {"Shopify", "api"},
        {"shopify ", "api"},    {"caf\xC3\xA9", "api"},
    };
    static const char *const members[] = {"ref", "ref1", "ref2"};
    size_t i, k;

    for (i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        char *tail = unit_repeat(refs[i].unit, refs[i].n);
        char *in = malloc(strlen(refs[i].prefix) + strlen(tail) + 1);
        char *want_tail = unit_repeat(refs[i].unit, refs[i].want_n);
        char *want = malloc(strlen(refs[i].prefix) + strlen(want_tail) + 1);

        strcpy(in, refs[i].prefix);
        strcat(in, tail);
        strcpy(want, refs[i].prefix);
        strcat(want, want_tail);
        UNIT_CASE(refs[i].name);
        for (k = 0; k < 3; k++) { /* ref, ref1 and ref2 alike */
            cJSON *x = cJSON_CreateObject(), *body;
            const cJSON *got;

            cJSON_AddStringToObject(x, members[k], in);
            got = extra_of(x, &body);
            got = cJSON_GetObjectItemCaseSensitive(got, members[k]);
            CHECK(cJSON_IsString(got));
            if (cJSON_IsString(got)) {
                CHECK(strcmp(got->valuestring, want) == 0);
                CHECK_INT(kwa_utf8_count(got->valuestring, strlen(got->valuestring)), 255);
            }
            cJSON_Delete(body);
        }
        free(tail);
        free(in);
        free(want_tail);
        free(want);
    }
    for (i = 0; i < sizeof sources / sizeof sources[0]; i++) {
        cJSON *x = cJSON_CreateObject(), *body;
        const cJSON *got;

        UNIT_CASE(sources[i].in);
        cJSON_AddStringToObject(x, "wa_source", sources[i].in);
        got = extra_of(x, &body);
        CHECK_INT(cJSON_GetArraySize(got), 1);
        got = cJSON_GetObjectItemCaseSensitive(got, "wa_source");
        CHECK_STR(cJSON_GetStringValue(got), sources[i].want);
        cJSON_Delete(body);
    }
}

/* ---- bodies over 1 MiB as JSON are refused ---- */

static void test_size_limit(void)
{
    static const struct {
        const char *name, *op, *fields, *parent, *member;
        size_t n;
        int ok;
    } rows[] = {
        {"raw: text of 1 MiB", "raw", "{\"messaging_object\":{" TO1 ",\"text\":{}}}", "text", "body",
         KWA_MAX_REQUEST, 0},
        {"raw: text of 1 MiB less 1000", "raw", "{\"messaging_object\":{" TO1 ",\"text\":{}}}", "text",
         "body", KWA_MAX_REQUEST - 1000, 1},
        {"flow: payload data of 1 MiB", "flow",
         "{" TO1 ",\"body\":\"B\",\"flow\":{\"flow_id\":\"1\",\"flow_cta\":\"Go\","
         "\"flow_action_payload\":{\"data\":{}}}}", "data", "k", KWA_MAX_REQUEST, 0},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cJSON *m = parse(rows[i].fields), *parent = m, *stack[8];
        char *big = unit_repeat("x", rows[i].n);
        size_t depth = 0;
        kwa_request_t req;
        kwa_result_t err;
        int rc;

        /* find the object named parent, depth first */
        stack[depth++] = m;
        while (depth > 0) {
            cJSON *c, *o = stack[--depth];
            if (o->string != NULL && strcmp(o->string, rows[i].parent) == 0) {
                parent = o;
                break;
            }
            cJSON_ArrayForEach(c, o)
                if (cJSON_IsObject(c) && depth < 8)
                    stack[depth++] = c;
        }
        cJSON_AddStringToObject(parent, rows[i].member, big);
        UNIT_CASE(rows[i].name);
        CHECK(parent != m);
        rc = build_obj(&req, &cfg, rows[i].op, m, &err);
        if (rows[i].ok) {
            CHECK_INT(rc, 0);
            CHECK(req.body_len > rows[i].n && req.body_len <= KWA_MAX_REQUEST);
        } else {
            expect_invalid(rc, &req, &err, "message");
        }
        kwa_request_free(&req);
        cJSON_Delete(m);
        free(big);
    }
}

/* ---- the registry's lookups ---- */

static void test_lookups(void)
{
    static const char *const want[] = {
        "text", "cta_url", "flow", "raw", "publish", "mark_read", "location", "reaction",
        "media", "buttons", "list", "template", "upload", "create_flow", "update_flow",
        "upload_flow_json", "get_flow", "list_flows", "deprecate_flow", "delete_flow",
        "get_flows_public_key", "set_flows_public_key"};
    const char *const *names = kwa_op_names();
    const kwa_opdef_t *text = kwa_op_find("text");
    size_t i;

    UNIT_CASE("kwa_op_names");
    /* the first ops keep their order; names mirror kwa_ops to its NULL */
    for (i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK_STR(names[i], want[i]);
    for (i = 0; kwa_ops[i] != NULL; i++)
        CHECK(kwa_ops[i]->name == names[i]);
    CHECK_NULL(names[i]);
    CHECK(kwa_op_names() == names);

    UNIT_CASE("kwa_op_find");
    for (i = 0; kwa_ops[i] != NULL; i++)
        CHECK(kwa_op_find(kwa_ops[i]->name) == kwa_ops[i]);
    CHECK_NOT_NULL(text);
    CHECK_STR(text->method, "send_text");
    CHECK_NULL(kwa_op_find("nope"));
    CHECK_NULL(kwa_op_find(""));
    CHECK_NULL(kwa_op_find("Text"));
    CHECK_NULL(kwa_op_find("send_text")); /* the Lua method is not the op's name */
    CHECK_STR(kwa_op_find("publish")->method, "publish_flow");
    CHECK_STR(kwa_op_find("cta_url")->command, "cta-url");

    UNIT_CASE("kwa_op_field");
    CHECK_INT(kwa_op_field(text, "to"), 0);
    CHECK_INT(kwa_op_field(text, "body"), 1);
    CHECK_INT(kwa_op_field(text, "preview_url"), 2);
    CHECK_INT(kwa_op_field(text, "reply_to"), 3);
    CHECK_INT(kwa_op_field(text, "from"), 4);
    CHECK_INT(kwa_op_field(text, "extra_info"), 5);
    CHECK_INT(kwa_op_field(text, "nope"), -1);
    CHECK_INT(kwa_op_field(text, ""), -1);
    CHECK_INT(kwa_op_field(text, "Body"), -1);
    CHECK_INT(kwa_op_field(kwa_op_find("publish"), "flow_id"), 0);
    CHECK_INT(kwa_op_field(kwa_op_find("publish"), "from"), -1);
    for (i = 0; kwa_ops[i] != NULL; i++) { /* every field finds itself; limits fit */
        const kwa_field_t *f;
        int n = 0;
        for (f = kwa_ops[i]->fields; f->name != NULL; f++, n++) {
            CHECK_INT(kwa_op_field(kwa_ops[i], f->name), n);
            CHECK(f->help != NULL && f->help[0] != '\0');
        }
        CHECK(n <= KWA_MAX_FIELDS);
        CHECK(kwa_ops[i]->positional == NULL || kwa_op_field(kwa_ops[i], kwa_ops[i]->positional) >= 0);
    }
}

/* ---- the typed C API gives the registry's bytes ---- */

static void same_request(const char *name, const kwa_message_t *m, const char *op,
                         const char *json)
{
    kwa_request_t a, b;
    kwa_result_t ea, eb;
    int rc;

    UNIT_CASE(name);
    memset(&a, 0, sizeof a);
    memset(&ea, 0, sizeof ea);
    rc = kwa_request_build(&a, &cfg, m, &ea);
    CHECK_INT(rc, 0);
    if (rc != 0)
        fprintf(stderr, "  %s: %s\n", ea.field, ea.message);
    CHECK_INT(build_json(&b, &cfg, op, json, &eb), 0);
    CHECK_STR(a.op, op);
    CHECK_STR(a.url, b.url ? b.url : "(registry failed)");
    CHECK_STR(a.method, "POST");
    CHECK_INT(a.answer, b.answer);
    CHECK_INT(a.body_len, b.body_len);
    CHECK_STR(a.body, b.body ? b.body : "(registry failed)");
    kwa_request_free(&a);
    kwa_request_free(&b);
}

static void typed_invalid(const char *name, const kwa_message_t *m, const char *field)
{
    kwa_request_t req;
    kwa_result_t err;

    UNIT_CASE(name);
    memset(&req, 0, sizeof req);
    memset(&err, 0, sizeof err);
    expect_invalid(kwa_request_build(&req, &cfg, m, &err), &req, &err, field);
    kwa_request_free(&req);
}

static void test_typed(void)
{
    static const char *const two[] = {"+919000000001", "919000000002"};
    static const char *const one[] = {"+919000000001"};
    static const char *const bad2[] = {"+919000000001", "+91XX"};
    static const kwa_extra_info_t x = {"r1", NULL, "r3", "zoho"};
    const char *flow_json = "{" TO1 ",\"header\":\"H\",\"body\":\"B\",\"flow\":{\"flow_id\":\"123\","
                            "\"flow_cta\":\"Go\",\"flow_action_payload\":{\"screen\":\"S\"}}}";
    const char *raw_json = "{\"messaging_object\":{" TO1 ",\"type\":\"location\",\"location\":"
                           "{\"latitude\":1.5,\"longitude\":2}},\"from\":\"+918000000009\","
                           "\"extra_info\":{\"ref\":\"r\"}}";
    const char *hdr_json = "{\"type\":\"image\",\"image\":{\"id\":\"77\"}}";
    cJSON *flow = parse(flow_json), *raw = parse(raw_json), *hdr = parse(hdr_json);
    cJSON *mark = parse("{\"message_id\":\"wamid.X\"}");
    kwa_message_t m;
    char *cta_json;
    const char *cta_fmt =
        "{\"to\":[\"+919000000001\",\"919000000002\"],\"header\":%s,\"body\":\"B\",\"footer\":\"F\","
        "\"display_text\":\"Go\",\"url\":\"https://example.com\",\"from\":\"+918000000009\"}";

    memset(&m, 0, sizeof m);
    m.type = KWA_MSG_TEXT;
    m.u.text.envelope.to = two;
    m.u.text.envelope.to_count = 2;
    m.u.text.envelope.extra_info = &x;
    m.u.text.body = "Hello";
    m.u.text.preview_url = 1;
    same_request("typed text", &m, "text",
                 "{\"to\":[\"+919000000001\",\"919000000002\"],\"body\":\"Hello\",\"preview_url\":true,"
                 "\"extra_info\":{\"ref\":\"r1\",\"ref2\":\"r3\",\"wa_source\":\"zoho\"}}");
    m.u.text.envelope.to = one;
    m.u.text.envelope.to_count = 1;
    m.u.text.envelope.extra_info = NULL;
    m.u.text.preview_url = 0;
    same_request("typed text, defaults", &m, "text", "{" TO1 ",\"body\":\"Hello\"}");

    m.u.text.envelope.to_count = 0;
    typed_invalid("typed text, no recipients", &m, "to");
    m.u.text.envelope.to = NULL;
    m.u.text.envelope.to_count = 1;
    typed_invalid("typed text, NULL recipients", &m, "to");
    m.u.text.envelope.to = bad2;
    m.u.text.envelope.to_count = 2;
    typed_invalid("typed text, a bad second number", &m, "to[2]");
    m.u.text.envelope.to = one;
    m.u.text.envelope.to_count = 1;
    m.u.text.body = NULL;
    typed_invalid("typed text, no body", &m, "body");
    m.u.text.body = "Hi";
    m.u.text.envelope.from = "12";
    typed_invalid("typed text, bad from", &m, "from");

    memset(&m, 0, sizeof m);
    m.type = KWA_MSG_CTA_URL;
    m.u.cta_url.envelope.to = two;
    m.u.cta_url.envelope.to_count = 2;
    m.u.cta_url.envelope.from = "+918000000009";
    m.u.cta_url.frame.header = "Offer";
    m.u.cta_url.frame.body = "B";
    m.u.cta_url.frame.footer = "F";
    m.u.cta_url.display_text = "Go";
    m.u.cta_url.url = "https://example.com";
    cta_json = malloc(strlen(cta_fmt) + strlen(hdr_json) + 1);
    sprintf(cta_json, cta_fmt, "\"Offer\"");
    same_request("typed cta_url, text header", &m, "cta_url", cta_json);
    m.u.cta_url.frame.header = NULL;
    m.u.cta_url.frame.header_object = hdr;
    sprintf(cta_json, cta_fmt, hdr_json);
    same_request("typed cta_url, header object", &m, "cta_url", cta_json);
    free(cta_json);
    m.u.cta_url.url = "ftp://x";
    typed_invalid("typed cta_url, ftp", &m, "url");
    m.u.cta_url.url = "https://example.com";
    m.u.cta_url.display_text = LONG20 "1";
    typed_invalid("typed cta_url, 21-character label", &m, "display_text");
    m.u.cta_url.display_text = "Go";
    m.u.cta_url.frame.header = "Offer";
    typed_invalid("typed cta_url, both headers", &m, "header");

    memset(&m, 0, sizeof m);
    m.type = KWA_MSG_FLOW;
    m.u.flow.envelope.to = one;
    m.u.flow.envelope.to_count = 1;
    m.u.flow.frame.header = "H";
    m.u.flow.frame.body = "B";
    m.u.flow.parameters = cJSON_GetObjectItemCaseSensitive(flow, "flow");
    same_request("typed flow", &m, "flow", flow_json);
    m.u.flow.parameters = NULL;
    typed_invalid("typed flow, no parameters", &m, "flow");

    memset(&m, 0, sizeof m);
    m.type = KWA_MSG_PUBLISH;
    m.u.flow_id = "123456";
    same_request("typed publish", &m, "publish", "{\"flow_id\":\"123456\"}");
    m.u.flow_id = "12a";
    typed_invalid("typed publish, 12a", &m, "flow_id");
    m.u.flow_id = NULL;
    typed_invalid("typed publish, NULL", &m, "flow_id");

    memset(&m, 0, sizeof m);
    m.type = KWA_MSG_RAW;
    m.u.raw.from = "+918000000009";
    {
        static const kwa_extra_info_t rx = {"r", NULL, NULL, NULL};
        m.u.raw.extra_info = &rx;
        m.u.raw.messaging_object = cJSON_GetObjectItemCaseSensitive(raw, "messaging_object");
        same_request("typed raw", &m, "raw", raw_json);
    }
    m.u.raw.messaging_object = NULL;
    typed_invalid("typed raw, no object", &m, "messaging_object");

    memset(&m, 0, sizeof m);
    m.type = KWA_MSG_OP;
    m.u.op.name = "mark_read";
    m.u.op.fields = mark;
    same_request("by name: mark_read", &m, "mark_read", "{\"message_id\":\"wamid.X\"}");
    m.u.op.name = "text";
    typed_invalid("by name: the wrong op's fields", &m, "message");
    m.u.op.name = "nope";
    typed_invalid("by name: unknown op", &m, "op");
    m.u.op.name = NULL;
    typed_invalid("by name: no name", &m, "op");
    m.u.op.name = "mark_read";
    m.u.op.fields = NULL;
    typed_invalid("by name: no fields", &m, "message");
    m.type = (kwa_message_type_t)99;
    typed_invalid("unknown message type", &m, "type");

    cJSON_Delete(flow);
    cJSON_Delete(raw);
    cJSON_Delete(hdr);
    cJSON_Delete(mark);
}

/* The base URL: a path prefix kept, trailing slashes dropped. */
static void test_base_url(void)
{
    static const struct {
        const char *base, *want;
    } rows[] = {
        {"https://api.in.kaleyra.io/", "https://api.in.kaleyra.io/v2/S1/whatsapp/123/publish"},
        {"https://proxy.example/kaleyra//", "https://proxy.example/kaleyra/v2/S1/whatsapp/123/publish"},
        {"http://127.0.0.1:8080", "http://127.0.0.1:8080/v2/S1/whatsapp/123/publish"},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        kwa_options_t o;
        kwa_config_t c;
        kwa_request_t req;
        kwa_result_t err;

        memset(&o, 0, sizeof o);
        memset(&err, 0, sizeof err);
        o.sid = "S1";
        o.api_key = "k";
        o.base_url = rows[i].base;
        UNIT_CASE(rows[i].base);
        CHECK_INT(kwa_config_init(&c, &o, &err), 0);
        if (err.kind != KWA_OK)
            continue;
        CHECK_INT(build_json(&req, &c, "publish", "{\"flow_id\":\"123\"}", &err), 0);
        CHECK_STR(req.url, rows[i].want);
        kwa_request_free(&req);
        kwa_config_free(&c);
    }
}

/* ---- multipart parts: one kwa_part_t for both uploads ---- */

static void test_parts(void)
{
    kwa_request_t req;
    kwa_result_t err;
    char path[] = "/tmp/kwa_test_partsXXXXXX", json[160];
    int fd;

    UNIT_CASE("parts: upload_media bytes are the part's own copy");
    CHECK_INT(build_json(&req, &cfg, "upload",
                         "{\"data\":\"%PDF-1\",\"type\":\"application/pdf\",\"filename\":\"a.pdf\"}",
                         &err), 0);
    CHECK_INT(req.nparts, 2);
    CHECK_STR(req.parts[0].name, "file");
    CHECK_NULL(req.parts[0].path);
    CHECK(req.parts[0].data != NULL && req.parts[0].data == req.parts[0].copy);
    CHECK(req.parts[0].len == 6 && memcmp(req.parts[0].data, "%PDF-1", 6) == 0);
    CHECK_STR(req.parts[0].filename, "a.pdf");
    CHECK_STR(req.parts[0].type, "application/pdf");
    CHECK_STR(req.parts[1].name, "type");
    CHECK(req.parts[1].len == 15 && memcmp(req.parts[1].data, "application/pdf", 15) == 0);
    CHECK_NULL(req.parts[1].filename);
    kwa_request_free(&req);
    CHECK_INT(req.nparts, 0);

    UNIT_CASE("parts: upload_media streams a file by its path");
    fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, "png", 3) == 3);
    if (fd >= 0)
        close(fd);
    snprintf(json, sizeof json, "{\"file\":\"%s\",\"type\":\"image/png\"}", path);
    CHECK_INT(build_json(&req, &cfg, "upload", json, &err), 0);
    CHECK_INT(req.nparts, 2);
    CHECK_STR(req.parts[0].path, path);
    CHECK_NULL(req.parts[0].data);
    CHECK_NULL(req.parts[0].copy);
    CHECK_STR(req.parts[0].filename, strrchr(path, '/') + 1);
    CHECK_STR(req.parts[0].type, "image/png");
    kwa_request_free(&req);
    unlink(path);

    UNIT_CASE("parts: upload_flow_json borrows the body, static fields");
    CHECK_INT(build_json(&req, &cfg, "upload_flow_json",
                         "{\"flow_id\":\"12\",\"flow_json\":{\"version\":\"6.0\"}}", &err), 0);
    CHECK_INT(req.nparts, 3);
    CHECK(req.parts[0].data == req.body && req.parts[0].len == req.body_len);
    CHECK_NULL(req.parts[0].copy);
    CHECK_NULL(req.parts[0].path);
    CHECK_STR(req.parts[0].filename, "flow.json");
    CHECK_STR(req.parts[0].type, "application/json");
    CHECK_STR(req.parts[1].name, "name");
    CHECK(req.parts[1].len == 9 && memcmp(req.parts[1].data, "flow.json", 9) == 0);
    CHECK_STR(req.parts[2].name, "asset_type");
    CHECK(req.parts[2].len == 9 && memcmp(req.parts[2].data, "FLOW_JSON", 9) == 0);
    CHECK_NULL(req.parts[2].copy);
    kwa_request_free(&req);

    UNIT_CASE("parts: JSON ops have none");
    CHECK_INT(build_json(&req, &cfg, "text", "{" TO1 ",\"body\":\"Hi\"}", &err), 0);
    CHECK_INT(req.nparts, 0);
    kwa_request_free(&req);
}

/* The messages URL of the client's number is made once and borrowed;
 * any other is the request's own. */
static void test_url_borrowed(void)
{
    static const struct {
        const char *name, *fields;
        int bare, borrowed;
        const char *url;
    } rows[] = {
        {"no from: the client's URL, borrowed", "{" TO1 ",\"body\":\"x\"}", 0, 1, MESSAGES},
        {"the client's own from: borrowed too",
         "{" TO1 ",\"body\":\"x\",\"from\":\"+918000000001\"}", 0, 1, MESSAGES},
        {"another from: owned", "{" TO1 ",\"body\":\"x\",\"from\":\"+918000000009\"}", 0, 0,
         BASE "+918000000009/messages"},
        {"a client without from: owned", "{" TO1 ",\"body\":\"x\",\"from\":\"+918000000009\"}",
         1, 0, BASE "+918000000009/messages"},
    };
    kwa_request_t req;
    kwa_result_t err;
    size_t i;

    CHECK_STR(cfg.messages_url, MESSAGES);
    CHECK_NULL(bare.messages_url);
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const kwa_config_t *c = rows[i].bare ? &bare : &cfg;
        UNIT_CASE(rows[i].name);
        CHECK_INT(build_json(&req, c, "text", rows[i].fields, &err), 0);
        CHECK_STR(req.url, rows[i].url);
        if (rows[i].borrowed) {
            CHECK(req.url == cfg.messages_url);
            CHECK_NULL(req.url_owned);
        } else {
            CHECK(req.url == req.url_owned);
        }
        kwa_request_free(&req);
        CHECK_NULL(req.url);
    }
}

/* Arguments given directly (KWA_MSG_ARGS) that say present with no
 * string: refused as out of memory (what cJSON's NULL meant), no crash. */
static void test_args_null_string(void)
{
    const kwa_opdef_t *op = kwa_op_find("media");
    static const char *const to[] = {"+919000000001"};
    kwa_message_t m;
    kwa_request_t req;
    kwa_result_t err;
    kwa_args_t a;

    UNIT_CASE("present with a NULL string");
    memset(&a, 0, sizeof a);
    memset(&m, 0, sizeof m);
    memset(&err, 0, sizeof err);
    a.v[kwa_op_field(op, "to")] = (kwa_value_t){.present = 1, .list = to, .count = 1};
    a.v[kwa_op_field(op, "type")] = (kwa_value_t){.present = 1, .str = "image"};
    a.v[kwa_op_field(op, "link")] = (kwa_value_t){.present = 1, .str = "https://e.x/a.jpg"};
    a.v[kwa_op_field(op, "caption")] = (kwa_value_t){.present = 1, .str = NULL};
    m.type = KWA_MSG_ARGS;
    m.u.args.def = op;
    m.u.args.args = &a;
    CHECK_INT(kwa_request_build(&req, &cfg, &m, &err), -1);
    CHECK_STR(kwa_kind_name(err.kind), "nomem");
    CHECK_NULL(req.body);
}

int main(void)
{
    config(&cfg, "+918000000001");
    config(&bare, NULL);

    test_goldens();
    test_invalid();
    test_every_op();
    test_extra_info();
    test_size_limit();
    test_lookups();
    test_typed();
    test_base_url();
    test_parts();
    test_url_borrowed();
    test_args_null_string();

    kwa_config_free(&cfg);
    kwa_config_free(&bare);
    UNIT_CASE("");
    UNIT_DONE();
}
