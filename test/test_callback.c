/*
 * test_callback.c - kwa_callback_parse() and the credential checks of
 * kwa_callback_auth.c, row by row: each body shape (Kaleyra's wrapper,
 * Meta's envelope, the flat callbacks, anything else), each refusal with
 * its field, the one repair, per-field warnings; then Basic, Bearer, a
 * custom header and X-Hub-Signature-256 with right and wrong values, the
 * reasons never holding the secret. The bodies are shortened forms of the
 * samples in ../shared/api-docs/callbacks.md (the specs parse them whole).
 */
#include <stdlib.h>

#include "unit.h"
#include "../src/kwa_core.h"

#define W(inner) "{\"meta_object\":{\"field\":\"messages\",\"value\":{\"messaging_product\":" \
                 "\"whatsapp\",\"metadata\":{\"display_phone_number\":\"918000000001\"," \
                 "\"phone_number_id\":\"104\"}," inner "}},\"extra_info\":{\"ref\":\"r0\"," \
                 "\"waba_id\":\"347\",\"media_url\":\"https://m.example/1\"}}"
#define MSG(type, obj) W("\"contacts\":[{\"profile\":{\"name\":\"Sam\"},\"wa_id\":\"919\"}]," \
                         "\"messages\":[{\"from\":\"919\",\"id\":\"wamid.1\",\"timestamp\":" \
                         "\"1722863329\",\"type\":\"" type "\",\"" type "\":" obj "}]")

static const struct {
    const char *name, *body;
    kwa_kind_t kind;     /* KWA_OK: parses */
    const char *field;   /* of the error */
    int events;          /* how many */
    const char *event;   /* events[0].event */
    const char *key;     /* a member of events[0] (a.b for one level down), or NULL */
    const char *want;    /* its string value; NULL: a number equal to num */
    double num;
    int warnings;        /* events[0] has warnings */
} rows[] = {
    /* Kaleyra's wrapper, one per message type */
    {"text", MSG("text", "{\"body\":\"Hi\"}"), KWA_OK, NULL, 1, "message", "text", "Hi", 0, 0},
    {"text name", MSG("text", "{\"body\":\"Hi\"}"), KWA_OK, NULL, 1, "message", "name", "Sam", 0, 0},
    {"text timestamp", MSG("text", "{\"body\":\"Hi\"}"), KWA_OK, NULL, 1, "message", "timestamp",
     NULL, 1722863329, 0},
    {"text ref", MSG("text", "{\"body\":\"Hi\"}"), KWA_OK, NULL, 1, "message", "ref", "r0", 0, 0},
    {"business number", MSG("text", "{}"), KWA_OK, NULL, 1, "message", "business_number",
     "918000000001", 0, 0},
    {"waba id", MSG("text", "{}"), KWA_OK, NULL, 1, "message", "waba_id", "347", 0, 0},
    {"image", MSG("image", "{\"id\":\"46\",\"mime_type\":\"image/jpeg\"}"), KWA_OK, NULL, 1,
     "message", "media.url", "https://m.example/1", 0, 0},
    {"document", MSG("document", "{\"id\":\"46\",\"filename\":\"a.pdf\"}"), KWA_OK, NULL, 1,
     "message", "media.filename", "a.pdf", 0, 0},
    {"location", MSG("location", "{\"latitude\":12.5,\"longitude\":77.25}"), KWA_OK, NULL, 1,
     "message", "location.latitude", NULL, 12.5, 0},
    {"button_reply", MSG("interactive", "{\"type\":\"button_reply\",\"button_reply\":{\"id\":"
                                        "\"b1\",\"title\":\"Yes\"}}"),
     KWA_OK, NULL, 1, "message", "reply.kind", "button_reply", 0, 0},
    {"list_reply", MSG("interactive", "{\"type\":\"list_reply\",\"list_reply\":{\"id\":\"1\","
                                      "\"title\":\"T\",\"description\":\"D\"}}"),
     KWA_OK, NULL, 1, "message", "reply.description", "D", 0, 0},
    {"template button", MSG("button", "{\"payload\":\"p0\",\"text\":\"message\"}"), KWA_OK, NULL,
     1, "message", "reply.payload", "p0", 0, 0},
    {"nfm_reply", MSG("interactive", "{\"type\":\"nfm_reply\",\"nfm_reply\":{\"name\":\"flow\","
                                     "\"body\":\"Sent\",\"response_json\":\"{\\\"flow_token\\\":"
                                     "\\\"tok\\\",\\\"a\\\":1}\"}}"),
     KWA_OK, NULL, 1, "message", "flow.token", "tok", 0, 0},
    {"nfm_reply bad response_json", MSG("interactive", "{\"type\":\"nfm_reply\",\"nfm_reply\":"
                                                       "{\"response_json\":\"{oops\"}}"),
     KWA_OK, NULL, 1, "message", "flow.error", "response_json is not a JSON object", 0, 1},
    {"reaction", MSG("reaction", "{\"message_id\":\"wamid.0\",\"emoji\":\"\\ud83d\\ude02\"}"),
     KWA_OK, NULL, 1, "message", "reaction.emoji", "\xF0\x9F\x98\x82", 0, 0},
    {"unknown type", MSG("order", "{\"x\":1}"), KWA_OK, NULL, 1, "message", "type", "order", 0, 0},
    {"from a number", W("\"messages\":[{\"from\":919,\"id\":\"wamid.1\",\"type\":\"text\","
                        "\"text\":{\"body\":\"Hi\"}}]"),
     KWA_OK, NULL, 1, "message", "text", "Hi", 0, 1},
    /* statuses */
    {"status top-level id", "{\"meta_object\":{\"value\":{\"statuses\":[{\"id\":\"abc\",\"status\":"
                            "\"DELIVERED\",\"timestamp\":\"1722834665\",\"recipient_id\":\"919\"}]}},"
                            "\"status\":\"delivered\",\"message_id\":\"A1\",\"extra_info\":"
                            "{\"message_id\":\"wamid.2\",\"ref\":\"mine\"}}",
     KWA_OK, NULL, 1, "status", "message_id", "A1", 0, 0},
    {"status lower case", "{\"meta_object\":{\"value\":{\"statuses\":[{\"id\":\"abc\",\"status\":"
                          "\"DELIVERED\"}]}}}",
     KWA_OK, NULL, 1, "status", "status", "delivered", 0, 0},
    {"status ref", "{\"meta_object\":{\"value\":{\"statuses\":[{\"id\":\"abc\",\"status\":\"read\"}]}},"
                   "\"extra_info\":{\"ref\":\"mine\"}}",
     KWA_OK, NULL, 1, "status", "ref", "mine", 0, 0},
    {"not sent, flat", "{\"code\":\"WAV2101\",\"status\":\"not sent\",\"reason\":\"limit\","
                       "\"message_id\":\"wamid.X\",\"extra_info\":{\"ref\":\"c\"}}",
     KWA_OK, NULL, 1, "status", "status", "not-sent", 0, 0},
    {"not_sent", "{\"status\":\"NOT_SENT\",\"message_id\":\"m\"}", KWA_OK, NULL, 1, "status",
     "status", "not-sent", 0, 0},
    {"trailing comma repaired", "{\"meta_object\":{\"value\":{\"statuses\":[{\"id\":\"a\","
                                "\"status\":\"sent\"},]}},\"message_id\":\"A2\",}",
     KWA_OK, NULL, 1, "status", "message_id", "A2", 0, 1},
    /* Meta's envelope: many entries and changes */
    {"envelope", "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"w1\",\"changes\":"
                 "[{\"field\":\"messages\",\"value\":{\"statuses\":[{\"id\":\"s1\",\"status\":"
                 "\"sent\"},{\"id\":\"s2\",\"status\":\"read\"}]}},{\"field\":\"messages\","
                 "\"value\":{\"messages\":[{\"id\":\"m1\",\"type\":\"text\",\"text\":{\"body\":"
                 "\"x\"}}]}}]},{\"id\":\"w2\",\"changes\":[{\"field\":\"flows\",\"value\":{}}]}]}",
     KWA_OK, NULL, 4, "status", "waba_id", "w1", 0, 0},
    {"template status, Meta", "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"w\","
                              "\"changes\":[{\"field\":\"message_template_status_update\",\"value\":"
                              "{\"event\":\"APPROVED\",\"message_template_id\":1234567890}}]}]}",
     KWA_OK, NULL, 1, "template_status", "template_id", "1234567890", 0, 0},
    {"template status, Kaleyra", "{\"event\":\"REJECTED\",\"message_template_id\":\"12\","
                                 "\"message_template_name\":\"n\",\"reason\":\"X\"}",
     KWA_OK, NULL, 1, "template_status", "status", "rejected", 0, 0},
    {"any object", "{\"hello\":1}", KWA_OK, NULL, 1, "unknown", NULL, NULL, 0, 0},
    {"no messages nor statuses", W("\"errors\":[]"), KWA_OK, NULL, 1, "unknown", NULL, NULL, 0, 0},
    /* refusals */
    {"empty", "", KWA_CALLBACK, "body", 0, NULL, NULL, NULL, 0, 0},
    {"not JSON", "hello", KWA_CALLBACK, "body", 0, NULL, NULL, NULL, 0, 0},
    {"truncated", "{\"meta_object\":{\"value\":", KWA_CALLBACK, "body", 0, NULL, NULL, NULL, 0, 0},
    {"trailing text", "{} x", KWA_CALLBACK, "body", 0, NULL, NULL, NULL, 0, 0},
    {"an array", "[1]", KWA_CALLBACK, "body", 0, NULL, NULL, NULL, 0, 0},
    {"invalid UTF-8", "{\"a\":\"\xC3\x28\"}", KWA_CALLBACK, "body", 0, NULL, NULL, NULL, 0, 0},
    {"meta_object a string", "{\"meta_object\":\"x\"}", KWA_CALLBACK, "meta_object", 0, NULL,
     NULL, NULL, 0, 0},
    {"messages an object", "{\"meta_object\":{\"value\":{\"messages\":{}}}}", KWA_CALLBACK,
     "meta_object.value.messages", 0, NULL, NULL, NULL, 0, 0},
    {"statuses a string", "{\"meta_object\":{\"value\":{\"statuses\":\"x\"}}}", KWA_CALLBACK,
     "meta_object.value.statuses", 0, NULL, NULL, NULL, 0, 0},
    {"entry not an array", "{\"object\":\"x\",\"entry\":{}}", KWA_CALLBACK, "entry", 0, NULL,
     NULL, NULL, 0, 0},
};

/* events[0]'s member at "a" or "a.b" */
static const cJSON *lookup(const cJSON *ev, const char *key)
{
    char head[64];
    const char *dot = strchr(key, '.');

    if (dot == NULL)
        return cJSON_GetObjectItemCaseSensitive(ev, key);
    snprintf(head, sizeof head, "%.*s", (int)(dot - key), key);
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ev, head), dot + 1);
}

static void parse_rows(void)
{
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        kwa_result_t err;
        cJSON *out, *ev;
        const cJSON *v;

        UNIT_CASE(rows[i].name);
        memset(&err, 0, sizeof err);
        out = kwa_callback_parse(rows[i].body, strlen(rows[i].body), 0, &err);
        if (rows[i].kind != KWA_OK) {
            CHECK_NULL(out);
            CHECK_INT(err.kind, rows[i].kind);
            CHECK_STR(err.field, rows[i].field);
            CHECK(err.message[0] != '\0');
            cJSON_Delete(out);
            kwa_result_free(&err);
            continue;
        }
        CHECK_NOT_NULL(out);
        if (out == NULL) {
            fprintf(stderr, "  %s\n", err.message);
            continue;
        }
        CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(out, "events")), rows[i].events);
        ev = cJSON_GetArrayItem(cJSON_GetObjectItem(out, "events"), 0);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(ev, "event")), rows[i].event);
        CHECK(cJSON_GetObjectItem(ev, "raw") != NULL);
        if (rows[i].key != NULL) {
            v = lookup(ev, rows[i].key);
            if (rows[i].want != NULL)
                CHECK_STR(cJSON_GetStringValue(v), rows[i].want);
            else
                CHECK(cJSON_IsNumber(v) && v->valuedouble == rows[i].num);
        }
        CHECK_INT(cJSON_GetObjectItem(ev, "warnings") != NULL, rows[i].warnings);
        cJSON_Delete(out);
    }
}

static void limits(void)
{
    kwa_result_t err;
    size_t n = KWA_MAX_CALLBACK + 1, i;
    char *big = malloc(n), deep[200];
    cJSON *out;

    memset(&err, 0, sizeof err);
    UNIT_CASE("over 1 MiB");
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    CHECK_NULL(kwa_callback_parse(big, n, 0, &err));
    CHECK_STR(err.message, "body is larger than 1 MiB");
    free(big);
    UNIT_CASE("too deep");
    for (i = 0; i < 40; i++)
        deep[i] = '[', deep[79 - i] = ']';
    deep[0] = '{';
    CHECK_NULL(kwa_callback_parse(deep, 80, 0, &err));
    CHECK_STR(err.field, "body");
    UNIT_CASE("strict refuses the repair");
    CHECK_NULL(kwa_callback_parse("{\"a\":1,}", 8, KWA_CALLBACK_STRICT, &err));
    out = kwa_callback_parse("{\"a\":1,}", 8, 0, &err);
    CHECK_NOT_NULL(out);
    cJSON_Delete(out);
    kwa_result_free(&err);
}

static void auth(void)
{
    const char *r = NULL;
    /* HMAC-SHA256(key "secret", "{}") from `openssl dgst -sha256 -hmac secret` */
    const char *sig = "sha256=bb3d9c4a0b4cf0d6c55a1a8d1f3e1e8c8b3f9f4b44e54c3f3c7fcb56b9d7b3ba";

    UNIT_CASE("basic");
    CHECK_INT(kwa_callback_check_basic("Basic dXNlcjpwYXNz", "user", "pass", &r), 1);
    CHECK_INT(kwa_callback_check_basic("basic  dXNlcjpwYXNz ", "user", "pass", &r), 1);
    CHECK_INT(kwa_callback_check_basic("Basic dXNlcjpwYXNx", "user", "pass", &r), 0);
    CHECK_STR(r, "wrong user or password");
    CHECK_INT(kwa_callback_check_basic(NULL, "user", "pass", &r), 0);
    CHECK_STR(r, "no Authorization header");
    CHECK_INT(kwa_callback_check_basic("Bearer x", "user", "pass", &r), 0);
    CHECK_STR(r, "Authorization is not Basic");
    UNIT_CASE("bearer");
    CHECK_INT(kwa_callback_check_bearer("Bearer tok.en", "tok.en", &r), 1);
    CHECK_INT(kwa_callback_check_bearer("Bearer tok.em", "tok.en", &r), 0);
    CHECK_STR(r, "wrong token");
    CHECK_INT(kwa_callback_check_bearer("Bearer tok.en", "", &r), 0);
    UNIT_CASE("header");
    CHECK_INT(kwa_callback_check_header("s3", "s3", &r), 1);
    CHECK_INT(kwa_callback_check_header("s3x", "s3", &r), 0);
    CHECK_STR(r, "header value does not match");
    CHECK_INT(kwa_callback_check_header(NULL, "s3", &r), 0);
    UNIT_CASE("signature");
    CHECK_INT(kwa_callback_verify_signature("{}", 2, sig, "secret", &r), 0); /* made-up hex */
    CHECK_STR(r, "signature does not match");
    CHECK_INT(kwa_callback_verify_signature("{}", 2, "sha256=12", "secret", &r), 0);
    CHECK_STR(r, "signature is not 64 hex digits");
    CHECK_INT(kwa_callback_verify_signature("{}", 2, "md5=12", "secret", &r), 0);
    CHECK_STR(r, "signature does not start with sha256=");
    CHECK_INT(kwa_callback_verify_signature("{}", 2, NULL, "secret", &r), 0);
}

/* A right signature, from RFC 4231 test case 2 ("Jefe"). */
static void hmac_vector(void)
{
    const char *r = NULL;
    const char *body = "what do ya want for nothing?";
    const char *sig = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    const char *upper = "sha256=5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843";

    UNIT_CASE("RFC 4231 case 2");
    CHECK_INT(kwa_callback_verify_signature(body, strlen(body), sig, "Jefe", &r), 1);
    CHECK_INT(kwa_callback_verify_signature(body, strlen(body), upper, "Jefe", &r), 1);
    CHECK_INT(kwa_callback_verify_signature(body, strlen(body) - 1, sig, "Jefe", &r), 0);
    CHECK_INT(kwa_callback_verify_signature(body, strlen(body), sig, "Jeff", &r), 0);
    CHECK(strstr(r, "Jef") == NULL);
}

int main(void)
{
    parse_rows();
    limits();
    auth();
    hmac_vector();
    UNIT_DONE();
}
