/*
 * test_response.c - kwa_response_parse(), row by row: every documented
 * Kaleyra code and HTTP status to its kind and retryable flag, success
 * answers of both kinds (message accepted; "success": true), the API
 * documents' own malformed 202 sample, non-JSON bodies kept in raw, and
 * the fixed buffers (code, message, message_id) never holding invalid
 * UTF-8 or half a character. The bodies quoted from the documents are
 * from ../shared/api-docs (send-text-message.txt, flows-api.md,
 * templates-media-read.md).
 */
#include <stdlib.h>

#include "unit.h"
#include "../src/kwa_core.h"

#define B(s) s, sizeof(s) - 1 /* a byte string and its length */
#define MSG KWA_ANSWER_MESSAGE
#define SUC KWA_ANSWER_SUCCESS
#define ANY "\x01" /* message: anything non-empty */

/* The documents' 202 sample: commas missing, so it is not JSON. */
#define DOC_202 "{\n\"code\":\"WA202\"\n\"message\":\"Request Accepted\",\n\"data\":{\n" \
                "\"message_id\":\"AXXXXXXXXXXXXXXXXXXX\"\n}\n\"error\":{}\n}"

static const struct {
    const char *name;
    kwa_answer_t answer;
    long status;
    const char *body;
    size_t len;
    int rc;
    kwa_kind_t kind;
    int retryable;
    const char *code, *message_id, *message; /* message ANY: non-empty */
    int raw;     /* not JSON: the bytes are kept in raw, and body is NULL */
    int success; /* res->success */
} rows[] = {
    /* documented codes */
    {"RBC001", MSG, 401,
     B("{\"code\": \"RBC001\", \"message\": \"Incorrect SID or API key.\", \"data\": [], "
       "\"error\": {\"error\": \"Incorrect SID or API key.\"}}"),
     -1, KWA_AUTH, 0, "RBC001", "", "Incorrect SID or API key.", 0, 0},
    {"WA401", MSG, 401,
     B("{\"code\":\"WA401\",\"message\":\"Phone number is not present or does not belong to the "
       "account.\",\"data\":{},\"error\":{\"phone_number\":\"Phone number is not present or does "
       "not belong to the account.\"}}"),
     -1, KWA_AUTH, 0, "WA401", "",
     "Phone number is not present or does not belong to the account.", 0, 0},
    {"WA-401, error a string", SUC, 401,
     B("{\"code\":\"WA-401\",\"message\":\"API is not available for given customer.Please contact "
       "support for more info\",\"data\":{},\"error\":\"API is not available for given "
       "customer.Please contact support for more info\"}"),
     -1, KWA_AUTH, 0, "WA-401", "",
     "API is not available for given customer.Please contact support for more info", 0, 0},
    {"WA400", MSG, 400,
     B("{\"code\":\"WA400\",\"message\":\"Refer to correct payload format\",\"data\":{},"
       "\"error\":{\"payload\":\"Incorrect payload format\"}}"),
     -1, KWA_PAYLOAD, 0, "WA400", "", "Refer to correct payload format", 0, 0},
    {"WA-400", SUC, 400,
     B("{\"code\":\"WA-400\",\"message\":\"Refer to correct payload format\",\"data\":{},"
       "\"error\":{\"payload\":\"Incorrect payload format\"}}"),
     -1, KWA_PAYLOAD, 0, "WA-400", "", "Refer to correct payload format", 0, 0},
    {"E110", MSG, 400,
     B("{\"code\": \"E110\", \"message\": \"Please check your balance, You have a low balance!\", "
       "\"data\": {}, \"error\": {\"balance\": \"Please check your balance, You have a low "
       "balance!\"}}"),
     -1, KWA_BALANCE, 0, "E110", "", "Please check your balance, You have a low balance!", 0, 0},
    {"WA500", MSG, 500,
     B("{\"code\":\"WA500\",\"message\":\"Please try again later\",\"data\":{},"
       "\"error\":{\"error\":\"Internal server error\"}}"),
     -1, KWA_SERVER, 1, "WA500", "", "Please try again later", 0, 0},
    {"WA-500", SUC, 500,
     B("{\"code\":\"WA-500\",\"message\":\"Please try again later\",\"data\":{},"
       "\"error\":{\"error\":\"Internal server error\"}}"),
     -1, KWA_SERVER, 1, "WA-500", "", "Please try again later", 0, 0},
    {"WAV2101 (daily limit) under 429: not retryable", MSG, 429,
     B("{\"code\":\"WAV2101\",\"message\":\"Account daily limit reached\",\"data\":{},"
       "\"error\":{\"account\":\"Account daily limit reached\"}}"),
     -1, KWA_RATE_LIMIT, 0, "WAV2101", "",
     "Account daily limit reached: sending resets daily; ask Kaleyra (Tata Communications) ops for "
     "a higher limit", 0, 0},
    {"WAV2101 under 400", MSG, 400, B("{\"code\":\"WAV2101\"}"),
     -1, KWA_RATE_LIMIT, 0, "WAV2101", "", ANY, 0, 0},
    {"Meta 130429 in details", MSG, 400,
     B("{\"code\":\"WA400\",\"message\":\"m\",\"error\":{\"code\":130429,\"message\":\"Rate limit hit\"}}"),
     -1, KWA_RATE_LIMIT, 1, "WA400", "", "m", 0, 0},
    {"Meta 80007 nested in details.error", MSG, 500,
     B("{\"code\":\"WA500\",\"message\":\"m\",\"error\":{\"error\":{\"code\":80007}}}"),
     -1, KWA_RATE_LIMIT, 1, "WA500", "", "m", 0, 0},
    {"Meta 4 in details.errors[0], as a string", MSG, 400,
     B("{\"code\":\"WA400\",\"message\":\"m\",\"error\":{\"errors\":[{\"code\":\"4\"}]}}"),
     -1, KWA_RATE_LIMIT, 1, "WA400", "", "m", 0, 0},
    {"another Meta code stays the Kaleyra code's kind", MSG, 400,
     B("{\"code\":\"WA400\",\"message\":\"m\",\"error\":{\"code\":131026}}"),
     -1, KWA_PAYLOAD, 0, "WA400", "", "m", 0, 0},
    {"a Meta code too large for any integer is no code (no undefined cast)", MSG, 400,
     B("{\"code\":\"WA400\",\"message\":\"m\",\"error\":{\"code\":1e400}}"),
     -1, KWA_PAYLOAD, 0, "WA400", "", "m", 0, 0},
    {"a throttling code as a message is not a code", MSG, 400,
     B("{\"code\":\"WA400\",\"message\":\"m\",\"error\":{\"payload\":\"130429\"}}"),
     -1, KWA_PAYLOAD, 0, "WA400", "", "m", 0, 0},
    {"the code wins over the status", MSG, 400, B("{\"code\":\"WA401\",\"message\":\"m\"}"),
     -1, KWA_AUTH, 0, "WA401", "", "m", 0, 0},
    {"E110 under 402", MSG, 402, B("{\"code\":\"E110\",\"message\":\"m\"}"),
     -1, KWA_BALANCE, 0, "E110", "", "m", 0, 0},
    {"WA500 under 400 is retryable", MSG, 400, B("{\"code\":\"WA500\",\"message\":\"m\"}"),
     -1, KWA_SERVER, 1, "WA500", "", "m", 0, 0},
    {"unknown code: the status decides", MSG, 400, B("{\"code\":\"WA999\",\"message\":\"m\"}"),
     -1, KWA_PAYLOAD, 0, "WA999", "", "m", 0, 0},
    {"codes are case-sensitive", MSG, 503, B("{\"code\":\"rbc001\",\"message\":\"m\"}"),
     -1, KWA_SERVER, 1, "rbc001", "", "m", 0, 0},
    {"code not a string", MSG, 400, B("{\"code\":110,\"message\":\"m\"}"),
     -1, KWA_PAYLOAD, 0, "", "", "m", 0, 0},

    /* statuses, with an empty body */
    {"401", MSG, 401, B(""), -1, KWA_AUTH, 0, "", "", "HTTP 401 with an empty body", 0, 0},
    {"402", MSG, 402, B(""), -1, KWA_BALANCE, 0, "", "", ANY, 0, 0},
    {"403", MSG, 403, B(""), -1, KWA_AUTH, 0, "", "", ANY, 0, 0},
    {"404: wrong endpoint", MSG, 404, B(""), -1, KWA_CONFIG, 0, "", "", ANY, 0, 0},
    {"405: wrong endpoint", SUC, 405, B(""), -1, KWA_CONFIG, 0, "", "", ANY, 0, 0},
    {"408", MSG, 408, B(""), -1, KWA_TIMEOUT, 1, "", "", ANY, 0, 0},
    {"429", MSG, 429, B(""), -1, KWA_RATE_LIMIT, 1, "", "", ANY, 0, 0},
    {"400", MSG, 400, B(""), -1, KWA_PAYLOAD, 0, "", "", ANY, 0, 0},
    {"409", MSG, 409, B(""), -1, KWA_PAYLOAD, 0, "", "", ANY, 0, 0},
    {"413", MSG, 413, B(""), -1, KWA_PAYLOAD, 0, "", "", ANY, 0, 0},
    {"422", SUC, 422, B(""), -1, KWA_PAYLOAD, 0, "", "", ANY, 0, 0},
    {"499", MSG, 499, B(""), -1, KWA_PAYLOAD, 0, "", "", ANY, 0, 0},
    {"500", MSG, 500, B(""), -1, KWA_SERVER, 1, "", "", "HTTP 500 with an empty body", 0, 0},
    {"502", MSG, 502, B(""), -1, KWA_SERVER, 1, "", "", ANY, 0, 0},
    {"503", MSG, 503, B(""), -1, KWA_SERVER, 1, "", "", ANY, 0, 0},
    {"504", SUC, 504, B(""), -1, KWA_SERVER, 1, "", "", ANY, 0, 0},
    {"599", MSG, 599, B(""), -1, KWA_SERVER, 1, "", "", ANY, 0, 0},
    {"301: redirects are not followed", MSG, 301, B(""), -1, KWA_PROTOCOL, 0, "", "", ANY, 0, 0},
    {"302", MSG, 302, B(""), -1, KWA_PROTOCOL, 0, "", "", ANY, 0, 0},
    {"304", SUC, 304, B(""), -1, KWA_PROTOCOL, 0, "", "", ANY, 0, 0},
    {"100", MSG, 100, B(""), -1, KWA_PROTOCOL, 0, "", "", ANY, 0, 0},
    {"600", MSG, 600, B(""), -1, KWA_PROTOCOL, 0, "", "", ANY, 0, 0},

    /* success: a message accepted */
    {"202 accepted", MSG, 202,
     B("{\"code\":\"WA202\",\"message\":\"Request Accepted\",\"data\":{\"message_id\":"
       "\"AXXXXXXXXXXXXXXXXXXX\"},\"error\":{}}"),
     0, KWA_OK, 0, "WA202", "AXXXXXXXXXXXXXXXXXXX", "Request Accepted", 0, 0},
    {"202: the documents' malformed sample", MSG, 202, B(DOC_202), 0, KWA_OK, 0, "WA202",
     "AXXXXXXXXXXXXXXXXXXX", "Request Accepted", 1, 0},
    {"202: the issue's malformed sample", MSG, 202,
     B("{\"code\":\"WA202\"\n\"message\":\"Request Accepted\",\n\"data\":{\"message_id\":"
       "\"AXXXXXXXXXXXXXXXXXXX\"}\n\"error\":{}}"),
     0, KWA_OK, 0, "WA202", "AXXXXXXXXXXXXXXXXXXX", "Request Accepted", 1, 0},
    {"202 malformed, spaces around colons", MSG, 202,
     B("{ \"code\" :\t\"WA202\" \"message\"\r\n: \"ok\" \"data\":{\"message_id\" : \"M1\"} }"),
     0, KWA_OK, 0, "WA202", "M1", "ok", 1, 0},
    {"202 malformed, a key without a string value is skipped", MSG, 202,
     B("{\"code\":7 \"x\":\"y\",\"code\":\"WA202\"}"), 0, KWA_OK, 0, "WA202", "", "", 1, 0},
    {"202 malformed, an escaped value is not guessed at", MSG, 202,
     B("{\"message_id\":\"A\\\"B\" x}"), 0, KWA_OK, 0, "", "", "", 1, 0},
    {"202 malformed, a value cut off", MSG, 202, B("{\"message_id\":\"ABC"), 0, KWA_OK, 0, "", "",
     "", 1, 0},
    {"202 malformed, a key cut off", MSG, 202, B("{\"message_i"), 0, KWA_OK, 0, "", "", "", 1, 0},
    {"202 with an empty body", MSG, 202, B(""), 0, KWA_OK, 0, "", "", "", 0, 0},
    {"200 with text", MSG, 200, B("OK"), 0, KWA_OK, 0, "", "", "", 1, 0},
    {"204", MSG, 204, B(""), 0, KWA_OK, 0, "", "", "", 0, 0},
    {"299", MSG, 299, B(""), 0, KWA_OK, 0, "", "", "", 0, 0},
    {"a 2xx is a success whatever its code", MSG, 202,
     B("{\"code\":\"WA401\",\"message\":\"odd\"}"), 0, KWA_OK, 0, "WA401", "", "odd", 0, 0},
    {"message answers ignore success: false", MSG, 200, B("{\"success\":false}"), 0, KWA_OK, 0, "",
     "", "", 0, 0},
    {"message_id not a string", MSG, 202, B("{\"data\":{\"message_id\":5}}"), 0, KWA_OK, 0, "", "",
     "", 0, 0},
    {"data not an object", MSG, 202, B("{\"data\":[\"A\"]}"), 0, KWA_OK, 0, "", "", "", 0, 0},

    /* success: an action done */
    {"success: true", SUC, 200, B("{\"success\":true}"), 0, KWA_OK, 0, "", "", "", 0, 1},
    {"success: false", SUC, 200, B("{\"success\":false}"), -1, KWA_SERVER, 0, "", "", ANY, 0, 0},
    {"success: false, 202", SUC, 202, B("{\"success\": false, \"code\":\"X1\"}"), -1, KWA_SERVER, 0,
     "X1", "", ANY, 0, 0},
    {"success missing: done", SUC, 200, B("{}"), 0, KWA_OK, 0, "", "", "", 0, 0},
    {"success as a string is not true", SUC, 200, B("{\"success\":\"true\"}"), 0, KWA_OK, 0, "", "",
     "", 0, 0},
    {"success as 1 is not true", SUC, 200, B("{\"success\":1}"), 0, KWA_OK, 0, "", "", "", 0, 0},
    {"success: empty body", SUC, 200, B(""), 0, KWA_OK, 0, "", "", "", 0, 0},
    {"success: text body", SUC, 200, B("done"), 0, KWA_OK, 0, "", "", "", 1, 0},

    /* bodies that are not JSON, or not the envelope */
    {"502 HTML page", MSG, 502, B("<html><body>Bad Gateway</body></html>"), -1, KWA_SERVER, 1, "",
     "", "HTTP 502 with a non-JSON body", 1, 0},
    {"401 text", SUC, 401, B("Unauthorized"), -1, KWA_AUTH, 0, "", "", ANY, 1, 0},
    {"500 with NUL bytes", MSG, 500, B("a\0b"), -1, KWA_SERVER, 1, "", "", ANY, 1, 0},
    {"error JSON cut off: not scanned", MSG, 500, B("{\"code\":\"WA500\""), -1, KWA_SERVER, 1, "",
     "", ANY, 1, 0},
    {"JSON but not an object", MSG, 500, B("\"oops\""), -1, KWA_SERVER, 1, "", "",
     "HTTP 500 with an unexpected body", 0, 0},
    {"JSON array", MSG, 400, B("[1,2]"), -1, KWA_PAYLOAD, 0, "", "", ANY, 0, 0},
    {"error a string stands in for message", MSG, 400, B("{\"error\":\"bad thing\"}"), -1,
     KWA_PAYLOAD, 0, "", "", "bad thing", 0, 0},
    {"error an object: a generic message", MSG, 400, B("{\"error\":{\"x\":\"y\"}}"), -1, KWA_PAYLOAD,
     0, "", "", "HTTP 400 with an unexpected body", 0, 0},

    /* invalid UTF-8 is never copied into the buffers */
    {"invalid UTF-8 in code and message", MSG, 400,
     B("{\"code\":\"WA\xFF\",\"message\":\"bad \xFE\"}"), -1, KWA_PAYLOAD, 0, "", "",
     "HTTP 400 with an unexpected body", 0, 0},
    {"invalid UTF-8 hides a known code", MSG, 401, B("{\"code\":\"RBC001\xC3\",\"message\":\"m\"}"),
     -1, KWA_AUTH, 0, "", "", "m", 0, 0},
    {"a surrogate in error", MSG, 500, B("{\"error\":\"x\xED\xA0\x80\"}"), -1, KWA_SERVER, 1, "", "",
     "HTTP 500 with an unexpected body", 0, 0},
    {"invalid UTF-8 in a JSON success", MSG, 202,
     B("{\"code\":\"WA202\xC3\",\"message\":\"ok\xC0\xAF\",\"data\":{\"message_id\":\"A\xF5\x80\x80\x80\"}}"),
     0, KWA_OK, 0, "", "", "", 0, 0},
    {"invalid UTF-8 in a malformed success", MSG, 202,
     B("{\"code\":\"W\xFF\"\n\"message\":\"\xC3\"\n\"data\":{\"message_id\":\"A\xE2\x82\"}}"), 0, KWA_OK,
     0, "", "", "", 1, 0},
    {"escaped characters are decoded", MSG, 400,
     B("{\"code\":\"WA400\",\"message\":\"caf\\u00e9 \\ud83d\\ude00\"}"), -1, KWA_PAYLOAD, 0, "WA400",
     "", "caf\xC3\xA9 \xF0\x9F\x98\x80", 0, 0},
    {"a lone escaped surrogate is not JSON", MSG, 400, B("{\"message\":\"\\ud800\"}"), -1,
     KWA_PAYLOAD, 0, "", "", "HTTP 400 with a non-JSON body", 1, 0},
};

static void check_row(size_t i)
{
    kwa_result_t res;
    int rc;

    memset(&res, 0, sizeof res);
    UNIT_CASE(rows[i].name);
    rc = kwa_response_parse(&res, rows[i].answer, rows[i].status, rows[i].body, rows[i].len);
    CHECK_INT(rc, rows[i].rc);
    CHECK_STR(kwa_kind_name(res.kind), kwa_kind_name(rows[i].kind));
    CHECK_INT(res.retryable, rows[i].retryable);
    CHECK_INT(res.status, rows[i].status);
    CHECK_INT(res.sent, 1);
    CHECK_INT(res.success, rows[i].success);
    CHECK_STR(res.code, rows[i].code);
    CHECK_STR(res.message_id, rows[i].message_id);
    CHECK_STR(res.field, "");
    if (strcmp(rows[i].message, ANY) == 0)
        CHECK(res.message[0] != '\0');
    else
        CHECK_STR(res.message, rows[i].message);
    /* a success keeps its bytes (its body is decoded when asked), and so
     * does any answer that is not JSON */
    if (rows[i].raw || (rows[i].rc == 0 && rows[i].len > 0)) {
        CHECK_NOT_NULL(res.raw);
        CHECK_INT(res.raw_len, rows[i].len);
        CHECK(res.raw != NULL && memcmp(res.raw, rows[i].body, rows[i].len) == 0);
    } else {
        CHECK_NULL(res.raw);
        CHECK_INT(res.raw_len, 0);
    }
    if (rows[i].raw) {
        CHECK_NULL(res.body);
        CHECK_NULL(kwa_result_body(&res));
        CHECK_NULL(res.details);
    } else if (rows[i].len > 0) {
        CHECK_NOT_NULL(kwa_result_body(&res));
        CHECK(res.body == kwa_result_body(&res)); /* decoded once, then kept */
    }
    /* what is copied is valid UTF-8, always terminated */
    CHECK(kwa_utf8_count(res.code, strlen(res.code)) >= 0);
    CHECK(kwa_utf8_count(res.message, strlen(res.message)) >= 0);
    CHECK(kwa_utf8_count(res.message_id, strlen(res.message_id)) >= 0);
    kwa_result_free(&res);
}

/* details: the "error" member, borrowed from body. */
static void test_details(void)
{
    kwa_result_t res;

    memset(&res, 0, sizeof res);
    UNIT_CASE("details is the error object");
    kwa_response_parse(&res, MSG, 401,
                       B("{\"code\":\"RBC001\",\"message\":\"m\",\"data\":[],\"error\":{\"error\":\"x\"}}"));
    CHECK(cJSON_IsObject(res.details));
    CHECK(res.details == cJSON_GetObjectItemCaseSensitive(res.body, "error"));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res.details, "error")), "x");

    UNIT_CASE("details is the error string");
    kwa_response_parse(&res, SUC, 401, B("{\"code\":\"WA-401\",\"message\":\"m\",\"error\":\"s\"}"));
    CHECK_STR(cJSON_GetStringValue(res.details), "s");

    UNIT_CASE("no details");
    kwa_response_parse(&res, MSG, 500, B("{\"code\":\"WA500\"}"));
    CHECK_NULL(res.details);
    kwa_result_free(&res);
}

/* One result reused: what the previous call left is released and reset. */
static void test_reuse(void)
{
    kwa_result_t res;

    memset(&res, 0, sizeof res);
    UNIT_CASE("reuse: an error, then a success");
    kwa_response_parse(&res, MSG, 401,
                       B("{\"code\":\"RBC001\",\"message\":\"m\",\"error\":{\"error\":\"x\"}}"));
    CHECK_INT(res.kind, KWA_AUTH);
    res.attempts = 3;
    res.retry_after = 2;
    CHECK_INT(kwa_response_parse(&res, MSG, 202, B("")), 0);
    CHECK_INT(res.kind, KWA_OK);
    CHECK_STR(res.code, "");
    CHECK_STR(res.message, "");
    CHECK_NULL(res.body);
    CHECK_NULL(res.details);
    CHECK_INT(res.attempts, 0);
    CHECK_DBL(res.retry_after, 0, 0);

    UNIT_CASE("reuse: raw, then JSON");
    kwa_response_parse(&res, MSG, 502, B("<html>"));
    CHECK_NOT_NULL(res.raw);
    kwa_response_parse(&res, SUC, 200, B("{\"success\":true}"));
    CHECK_INT(res.raw_len, 16); /* the new answer's bytes, for its body */
    CHECK(res.raw != NULL && strcmp(res.raw, "{\"success\":true}") == 0);
    CHECK_NULL(res.body);
    CHECK_INT(res.success, 1);

    UNIT_CASE("reuse: a decoded body, then an error");
    CHECK_NOT_NULL(kwa_result_body(&res));
    kwa_response_parse(&res, MSG, 400, B("{\"code\":\"WA400\",\"error\":{\"e\":1}}"));
    CHECK_NULL(res.raw);
    CHECK_NOT_NULL(res.body);
    CHECK_NOT_NULL(res.details);
    CHECK(kwa_result_body(&res) == res.body);

    UNIT_CASE("reuse: success, then success: false");
    CHECK_INT(kwa_response_parse(&res, SUC, 200, B("{\"success\":false}")), -1);
    CHECK_INT(res.success, 0);
    CHECK_INT(res.kind, KWA_SERVER);
    kwa_result_free(&res);
    kwa_result_free(&res); /* twice is fine */
    kwa_result_free(NULL);
}

/* Long values are cut to their buffer, on a character boundary. */
static void test_truncation(void)
{
    static const struct {
        const char *name;
        long status;
        const char *fmt;   /* the body; %s%s is the value: n units, then tail */
        const char *unit, *tail;
        size_t n;
        int member;        /* 0 code, 1 message, 2 message_id */
        size_t want_len;   /* bytes kept */
    } t[] = {
        {"message_id of 127 bytes: whole", 202, "{\"data\":{\"message_id\":\"%s%s\"}}", "A", "", 127, 2, 127},
        {"message_id of 128 bytes: cut", 202, "{\"data\":{\"message_id\":\"%s%s\"}}", "A", "", 128, 2, 127},
        {"message_id of 200 bytes: cut", 202, "{\"data\":{\"message_id\":\"%s%s\"}}", "A", "", 200, 2, 127},
        {"message_id: 126 + a 2-byte character", 202, "{\"data\":{\"message_id\":\"%s%s\"}}", "A",
         "\xC3\xA9", 126, 2, 126},
        {"message_id: 125 + a 3-byte character", 202, "{\"data\":{\"message_id\":\"%s%s\"}}", "A",
         "\xE2\x82\xAC", 125, 2, 125},
        {"message_id: 124 + a 4-byte character", 202, "{\"data\":{\"message_id\":\"%s%s\"}}", "A",
         "\xF0\x9F\x98\x80", 124, 2, 124},
        {"message_id: 123 + a 4-byte character fits", 202, "{\"data\":{\"message_id\":\"%s%s\"}}", "A",
         "\xF0\x9F\x98\x80", 123, 2, 127},
        {"message_id: 100 euros", 202, "{\"data\":{\"message_id\":\"%s%s\"}}", "\xE2\x82\xAC", "", 100, 2,
         126},
        {"malformed: message_id of 200 bytes", 202, "{\"code\":\"WA202\"\n\"message_id\":\"%s%s\"}",
         "A", "", 200, 2, 127},
        {"malformed: message_id 126 + a 2-byte character", 202,
         "{\"code\":\"WA202\"\n\"message_id\":\"%s%s\"}", "A", "\xC3\xA9", 126, 2, 126},
        {"code of 40 bytes", 400, "{\"code\":\"%s%s\"}", "C", "", 40, 0, 31},
        {"code: 30 + a 2-byte character", 400, "{\"code\":\"%s%s\"}", "C", "\xC3\xA9", 30, 0, 30},
        {"message of 600 bytes", 400, "{\"message\":\"%s%s\"}", "m", "", 600, 1, 511},
        {"message of 300 two-byte characters", 400, "{\"message\":\"%s%s\"}", "\xC3\xA9", "", 300, 1,
         510},
    };
    size_t i;

    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        char *value = unit_repeat(t[i].unit, t[i].n);
        char *body = malloc(strlen(t[i].fmt) + strlen(value) + strlen(t[i].tail) + 1);
        const char *got;
        kwa_result_t res;

        sprintf(body, t[i].fmt, value, t[i].tail);
        memset(&res, 0, sizeof res);
        UNIT_CASE(t[i].name);
        kwa_response_parse(&res, MSG, t[i].status, body, strlen(body));
        got = t[i].member == 0 ? res.code : t[i].member == 1 ? res.message : res.message_id;
        CHECK_INT(strlen(got), t[i].want_len);
        CHECK(strncmp(got, value, t[i].want_len < strlen(value) ? t[i].want_len : strlen(value)) == 0);
        CHECK(kwa_utf8_count(got, strlen(got)) >= 0);
        kwa_result_free(&res);
        free(value);
        free(body);
    }
}

int main(void)
{
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
        check_row(i);
    test_details();
    test_reuse();
    test_truncation();
    UNIT_CASE("");
    UNIT_DONE();
}
