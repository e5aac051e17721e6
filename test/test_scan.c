/*
 * test_scan.c - the 2xx answer scanner (kwa_scan_answer) row by row, and
 * the differential check behind it: for every body below, under every
 * answer kind and a few statuses, kwa_response_parse() (scanner first)
 * gives exactly what kwa_response_parse_tree() (cJSON only) gives, field
 * for field, body and details included. The rows are the shapes a
 * scanner gets wrong: keys named code/message inside nested objects,
 * arrays and strings, duplicate keys, escapes, Unicode, whitespace,
 * truncated or invalid JSON, cJSON's own leniencies, huge numbers and
 * deep nesting.
 */
#include <stdlib.h>

#include "unit.h"
#include "../src/kwa_core.h"
#include "same_tree.h"

#define B(s) s, sizeof(s) - 1 /* a byte string and its length */
#define NONE "\x01"          /* a span that must be unset */

static const struct {
    const char *name;
    const char *body;
    size_t len;
    int rc; /* kwa_scan_answer: 0 read, -1 left to cJSON */
    const char *code, *message, *id, *data_id, *data_message_id;
    int success;
} rows[] = {
    {"typical 202", B("{\"code\":\"WA202\",\"message\":\"Request Accepted\",\"data\":{\"message_id\":"
                      "\"A0000000000000000000\"},\"error\":{}}"),
     0, "WA202", "Request Accepted", NONE, NONE, "A0000000000000000000", -1},
    /* the documented shape is read by a fast way first: these are near
     * it, and must read as the general walk reads them */
    {"documented, empty strings", B("{\"code\":\"\",\"message\":\"\",\"data\":{\"message_id\":"
                                    "\"\"},\"error\":{}}"),
     0, "", "", NONE, NONE, "", -1},
    {"documented, UTF-8 message", B("{\"code\":\"WA202\",\"message\":\"caf\xc3\xa9\",\"data\":"
                                    "{\"message_id\":\"M\"},\"error\":{}}"),
     0, "WA202", "caf\xc3\xa9", NONE, NONE, "M", -1},
    {"documented but an escape in message", B("{\"code\":\"WA202\",\"message\":\"a\\/b\",\"data\":"
                                              "{\"message_id\":\"M\"},\"error\":{}}"),
     -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"documented but an escape elsewhere", B("{\"code\":\"WA202\",\"message\":\"m\",\"data\":"
                                             "{\"message_id\":\"M\"},\"error\":{\"x\":\"\\n\"}}"),
     0, "WA202", "m", NONE, NONE, "M", -1},
    {"documented but a control byte in code", B("{\"code\":\"WA\t202\",\"message\":\"m\",\"data\":"
                                                "{\"message_id\":\"M\"},\"error\":{}}"),
     -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"documented then a space", B("{\"code\":\"C\",\"message\":\"m\",\"data\":{\"message_id\":"
                                  "\"M\"},\"error\":{}} "),
     0, "C", "m", NONE, NONE, "M", -1},
    {"documented then more", B("{\"code\":\"C\",\"message\":\"m\",\"data\":{\"message_id\":"
                               "\"M\"},\"error\":{}}{}"),
     -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"documented but code is a number", B("{\"code\":202,\"message\":\"m\",\"data\":{\"message_id\":"
                                          "\"M\"},\"error\":{}}"),
     0, NONE, "m", NONE, NONE, "M", -1},
    {"documented but truncated", B("{\"code\":\"C\",\"message\":\"m\",\"data\":{\"message_id\":"
                                   "\"M\"},\"error\":{}"),
     -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"empty object", B("{}"), 0, NONE, NONE, NONE, NONE, NONE, -1},
    {"whitespace everywhere", B(" \r\n\t{ \"code\" :\t\"A\" ,\n\"data\" : { \"message_id\" : \"M\" } }\n "),
     0, "A", NONE, NONE, NONE, "M", -1},
    {"code and message inside data are not the top ones",
     B("{\"data\":{\"code\":\"X\",\"message\":\"in data\",\"message_id\":\"M\"},\"code\":\"WA202\"}"),
     0, "WA202", NONE, NONE, NONE, "M", -1},
    {"code inside error", B("{\"error\":{\"code\":\"E\",\"message\":\"m\"}}"), 0, NONE, NONE, NONE,
     NONE, NONE, -1},
    {"code inside an array", B("{\"list\":[{\"code\":\"A\"},\"code\"],\"code\":\"B\"}"), 0, "B", NONE,
     NONE, NONE, NONE, -1},
    {"code inside a string value", B("{\"note\":\"\\\"code\\\":\\\"X\\\"\",\"code\":\"Y\"}"), 0, "Y",
     NONE, NONE, NONE, NONE, -1},
    {"a key's text as a value", B("{\"x\":\"code\",\"y\":\"message_id\"}"), 0, NONE, NONE, NONE,
     NONE, NONE, -1},
    {"message_id at the top is not data's", B("{\"message_id\":\"T\",\"data\":{}}"), 0, NONE, NONE,
     NONE, NONE, NONE, -1},
    {"message_id nested deeper than data", B("{\"data\":{\"x\":{\"message_id\":\"D\"}}}"), 0, NONE,
     NONE, NONE, NONE, NONE, -1},
    {"duplicate code: the first wins", B("{\"code\":\"A\",\"code\":\"B\"}"), 0, "A", NONE, NONE,
     NONE, NONE, -1},
    {"duplicate code, the first not a string", B("{\"code\":1,\"code\":\"B\"}"), 0, NONE, NONE,
     NONE, NONE, NONE, -1},
    {"duplicate data, the first not an object", B("{\"data\":[1],\"data\":{\"message_id\":\"M\"}}"),
     0, NONE, NONE, NONE, NONE, NONE, -1},
    {"duplicate message_id in data", B("{\"data\":{\"message_id\":\"M1\",\"message_id\":\"M2\"}}"), 0,
     NONE, NONE, NONE, NONE, "M1", -1},
    {"duplicate success", B("{\"success\":true,\"success\":false}"), 0, NONE, NONE, NONE, NONE,
     NONE, 1},
    {"success false", B("{\"success\":false}"), 0, NONE, NONE, NONE, NONE, NONE, 0},
    {"success null", B("{\"success\":null}"), 0, NONE, NONE, NONE, NONE, NONE, -1},
    {"success a string", B("{\"success\":\"true\"}"), 0, NONE, NONE, NONE, NONE, NONE, -1},
    {"media id", B("{\"id\":\"MID\"}"), 0, NONE, NONE, "MID", NONE, NONE, -1},
    {"media data.id", B("{\"data\":{\"id\":\"D\"},\"id\":5}"), 0, NONE, NONE, NONE, "D", NONE, -1},
    {"escapes in values not taken", B("{\"x\":\"a\\\\b\\\"c\\n\\/\\b\\f\\r\\t\\u00e9\\ud83d\\ude00\","
                                      "\"code\":\"C\"}"),
     0, "C", NONE, NONE, NONE, NONE, -1},
    {"an escaped key deeper down", B("{\"error\":{\"co\\u0064e\":1},\"code\":\"C\"}"), 0, "C", NONE,
     NONE, NONE, NONE, -1},
    {"UTF-8 taken as is", B("{\"message\":\"caf\xC3\xA9 \xE2\x9C\x93\"}"), 0, NONE,
     "caf\xC3\xA9 \xE2\x9C\x93", NONE, NONE, NONE, -1},
    {"invalid UTF-8 is still read (the caller checks)", B("{\"code\":\"W\xFF\"}"), 0, "W\xFF", NONE,
     NONE, NONE, NONE, -1},
    {"empty key and values", B("{\"\":1,\"code\":\"\",\"data\":{}}"), 0, "", NONE, NONE, NONE, NONE,
     -1},
    {"numbers of every form", B("{\"a\":-0,\"b\":1.5e+10,\"c\":2E-3,\"d\":[0,-1,3.25],\"code\":\"C\"}"),
     0, "C", NONE, NONE, NONE, NONE, -1},
    {"a huge number that cJSON reads", B("{\"n\":1e400,\"code\":\"C\"}"), 0, "C", NONE, NONE, NONE,
     NONE, -1},
    {"literals", B("{\"a\":true,\"b\":false,\"c\":null,\"d\":[true,null],\"code\":\"C\"}"), 0, "C",
     NONE, NONE, NONE, NONE, -1},

    /* left to cJSON */
    {"empty", B(""), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"only whitespace", B(" \n"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"an array", B("[{\"code\":\"A\"}]"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"a string", B("\"code\""), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"null", B("null"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"an escape in a value taken", B("{\"code\":\"W\\u0041\"}"), -1, NONE, NONE, NONE, NONE, NONE,
     -1},
    {"an escape in message", B("{\"message\":\"caf\\u00e9\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"an escape in data.message_id", B("{\"data\":{\"message_id\":\"A\\/B\"}}"), -1, NONE, NONE,
     NONE, NONE, NONE, -1},
    {"an escaped top-level key", B("{\"co\\u0064e\":\"X\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"an escaped NUL in a key", B("{\"code\\u0000x\":\"Y\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"an escaped key in data", B("{\"data\":{\"message\\u005fid\":\"M\"}}"), -1, NONE, NONE, NONE,
     NONE, NONE, -1},
    {"an unknown escape", B("{\"x\":\"\\q\",\"code\":\"C\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"a lone low surrogate", B("{\"x\":\"\\udc00\",\"code\":\"C\"}"), -1, NONE, NONE, NONE, NONE,
     NONE, -1},
    {"a lone high surrogate", B("{\"x\":\"\\ud800x\",\"code\":\"C\"}"), -1, NONE, NONE, NONE, NONE,
     NONE, -1},
    {"a high surrogate and a non-surrogate", B("{\"x\":\"\\ud800\\u0041\",\"code\":\"C\"}"), -1, NONE,
     NONE, NONE, NONE, NONE, -1},
    {"bad hex", B("{\"x\":\"\\u00zz\",\"code\":\"C\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"a raw tab in a string", B("{\"code\":\"A\tB\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"a raw NUL in a string", B("{\"code\":\"A\0B\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"a byte order mark", B("\xEF\xBB\xBF{\"code\":\"A\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"trailing garbage", B("{\"code\":\"A\"} x"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"two objects", B("{\"code\":\"A\"}{}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"a trailing NUL", B("{\"code\":\"A\"}\0"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"a trailing comma", B("{\"code\":\"A\",}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"a missing comma (the documents' sample)", B("{\"code\":\"A\"\n\"message\":\"m\"}"), -1, NONE,
     NONE, NONE, NONE, NONE, -1},
    {"a missing colon", B("{\"code\" \"A\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"a key not a string", B("{code:\"A\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"cut off in a string", B("{\"code\":\"WA2"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"cut off after a value", B("{\"code\":\"A\""), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"cut off after a backslash", B("{\"x\":\"\\"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"cut off in \\u", B("{\"x\":\"\\u00"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"cut off in a literal", B("{\"success\":tr"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"a misspelt literal", B("{\"success\":tru,\"code\":\"A\"}"), -1, NONE, NONE, NONE, NONE, NONE,
     -1},
    {"a leading zero (cJSON reads it)", B("{\"n\":01,\"code\":\"A\"}"), -1, NONE, NONE, NONE, NONE,
     NONE, -1},
    {"a bare minus", B("{\"n\":-,\"code\":\"A\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"1. (cJSON reads it)", B("{\"n\":1.,\"code\":\"A\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {".5", B("{\"n\":.5,\"code\":\"A\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"+1", B("{\"n\":+1,\"code\":\"A\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"1e (no digits)", B("{\"n\":1e,\"code\":\"A\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"a number of 39 digits (cJSON reads it)",
     B("{\"n\":123456789012345678901234567890123456789,\"code\":\"A\"}"), -1, NONE, NONE, NONE, NONE,
     NONE, -1},
    {"a number of 70 digits (cJSON does not)",
     B("{\"n\":1234567890123456789012345678901234567890123456789012345678901234567890,"
       "\"code\":\"A\"}"),
     -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"a mismatched bracket", B("{\"x\":[1},\"code\":\"C\"}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"a value missing", B("{\"code\":}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
    {"single quotes", B("{'code':'A'}"), -1, NONE, NONE, NONE, NONE, NONE, -1},
};

static int ascii(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

static void check_span(const char *what, kwa_span_t sp, const char *want)
{
    if (strcmp(want, NONE) == 0) {
        UNIT_REPORT(sp.s == NULL, "%s is set", what);
        return;
    }
    UNIT_REPORT(sp.s != NULL && sp.len == strlen(want) && memcmp(sp.s, want, sp.len) == 0,
                "%s is \"%.*s\", want \"%s\"", what, sp.s ? (int)sp.len : 6,
                sp.s ? sp.s : "(none)", want);
    CHECK_INT(sp.ascii, ascii(want));
}

static void test_rows(void)
{
    size_t i;
    kwa_scan_t sc;
    char *copy;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        UNIT_CASE(rows[i].name);
        /* an exactly sized copy, so a read past the end would show under ASan */
        copy = malloc(rows[i].len ? rows[i].len : 1);
        memcpy(copy, rows[i].body, rows[i].len);
        CHECK_INT(kwa_scan_answer(copy, rows[i].len, &sc), rows[i].rc);
        if (rows[i].rc == 0) {
            check_span("code", sc.code, rows[i].code);
            check_span("message", sc.message, rows[i].message);
            check_span("id", sc.id, rows[i].id);
            check_span("data.id", sc.data_id, rows[i].data_id);
            check_span("data.message_id", sc.data_message_id, rows[i].data_message_id);
            CHECK_INT(sc.success, rows[i].success);
        }
        free(copy);
    }
}

/* Two results are the same, field for field, body and details included. */
static void check_same(kwa_result_t *a, kwa_result_t *b)
{
    const cJSON *ba, *bb;

    CHECK_INT(a->kind, b->kind);
    CHECK_INT(a->status, b->status);
    CHECK_INT(a->retryable, b->retryable);
    CHECK_INT(a->sent, b->sent);
    CHECK_INT(a->success, b->success);
    CHECK_INT(a->attempts, b->attempts);
    CHECK_DBL(a->retry_after, b->retry_after, 0);
    CHECK_STR(a->code, b->code);
    CHECK_STR(a->message_id, b->message_id);
    CHECK_STR(a->field, b->field);
    CHECK_STR(a->message, b->message);
    CHECK_INT(a->raw_len, b->raw_len);
    CHECK((a->raw == NULL) == (b->raw == NULL));
    CHECK(a->raw == NULL || b->raw == NULL || memcmp(a->raw, b->raw, a->raw_len) == 0);
    ba = kwa_result_body(a);
    bb = kwa_result_body(b);
    CHECK(same_tree(ba, bb));
    CHECK(same_tree(a->details, b->details));
}

static void test_differential(void)
{
    static const kwa_answer_t answers[] = {KWA_ANSWER_MESSAGE, KWA_ANSWER_SUCCESS, KWA_ANSWER_MEDIA,
                                           KWA_ANSWER_JSON};
    static const long statuses[] = {200, 202, 299, 400, 500};
    /* what the cJSON path makes of the rows it is left: some by cJSON's
     * leniency, some by the lenient scan of non-JSON 2xx answers */
    static const struct {
        const char *name, *body;
        size_t len;
        const char *code, *message;
    } left[] = {
        {"cJSON decodes an escaped value", B("{\"code\":\"W\\u0041\"}"), "WA", ""},
        {"cJSON decodes an escaped key", B("{\"co\\u0064e\":\"X\"}"), "X", ""},
        {"cJSON cuts a key at an escaped NUL", B("{\"code\\u0000x\":\"Y\"}"), "Y", ""},
        {"cJSON decodes a surrogate pair", B("{\"message\":\"\\ud83d\\ude00\"}"), "",
         "\xF0\x9F\x98\x80"},
        {"cJSON skips a byte order mark", B("\xEF\xBB\xBF{\"code\":\"A\"}"), "A", ""},
        {"cJSON ignores trailing garbage", B("{\"code\":\"A\"} x"), "A", ""},
        {"cJSON keeps a raw tab", B("{\"code\":\"A\tB\"}"), "A\tB", ""},
        {"cJSON cuts a value at a raw NUL", B("{\"code\":\"A\0B\"}"), "A", ""},
        {"cJSON reads a leading zero", B("{\"n\":01,\"code\":\"A\"}"), "A", ""},
        {"a trailing comma: scanned leniently", B("{\"code\":\"A\",}"), "A", ""},
        {"the documents' sample: scanned leniently", B("{\"code\":\"A\"\n\"message\":\"m\"}"), "A",
         "m"},
    };
    kwa_result_t a, b;
    size_t i, j, k;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++)
        for (j = 0; j < sizeof answers / sizeof answers[0]; j++)
            for (k = 0; k < sizeof statuses / sizeof statuses[0]; k++) {
                UNIT_CASE(rows[i].name);
                CHECK_INT(kwa_response_parse(&a, answers[j], statuses[k], rows[i].body, rows[i].len),
                          kwa_response_parse_tree(&b, answers[j], statuses[k], rows[i].body,
                                                  rows[i].len));
                check_same(&a, &b);
            }
    for (i = 0; i < sizeof left / sizeof left[0]; i++) {
        UNIT_CASE(left[i].name);
        CHECK_INT(kwa_response_parse(&a, KWA_ANSWER_MESSAGE, 202, left[i].body, left[i].len), 0);
        CHECK_STR(a.code, left[i].code);
        CHECK_STR(a.message, left[i].message);
    }
    kwa_result_free(&a);
    kwa_result_free(&b);
}

/* The scanner's results, through kwa_response_parse. */
static void test_parse(void)
{
    kwa_result_t res;

    memset(&res, 0, sizeof res);
    UNIT_CASE("a scanned answer: body decoded on demand, details with it");
    CHECK_INT(kwa_response_parse(&res, KWA_ANSWER_MESSAGE, 202,
                                 B("{\"code\":\"WA202\",\"data\":{\"message_id\":\"M\"},"
                                   "\"error\":{\"e\":1}}")),
              0);
    CHECK_STR(res.message_id, "M");
    CHECK_NULL(res.body);
    CHECK_NULL(res.details);
    CHECK_NOT_NULL(kwa_result_body(&res));
    CHECK(cJSON_IsObject(res.details));
    CHECK_INT(cJSON_GetObjectItemCaseSensitive(res.details, "e")->valueint, 1);

    UNIT_CASE("media: id, then data.id");
    CHECK_INT(kwa_response_parse(&res, KWA_ANSWER_MEDIA, 200, B("{\"id\":\"\",\"data\":{\"id\":\"D\"}}")),
              0);
    CHECK_STR(res.message_id, "D");
    CHECK_INT(kwa_response_parse(&res, KWA_ANSWER_MEDIA, 200, B("{\"id\":\"W\xFF\",\"data\":{\"id\":\"D\"}}")),
              0);
    CHECK_STR(res.message_id, "D");

    UNIT_CASE("media without an id: an error, with its body");
    CHECK_INT(kwa_response_parse(&res, KWA_ANSWER_MEDIA, 200, B("{\"id\":7}")), -1);
    CHECK_INT(res.kind, KWA_SERVER);
    CHECK_NOT_NULL(res.body);
    CHECK_NULL(res.raw);

    UNIT_CASE("success: false: an error, with its body and details");
    CHECK_INT(kwa_response_parse(&res, KWA_ANSWER_SUCCESS, 200,
                                 B("{\"success\":false,\"error\":\"no\"}")),
              -1);
    CHECK_INT(res.kind, KWA_SERVER);
    CHECK_STR(cJSON_GetStringValue(res.details), "no");

    UNIT_CASE("kwa_result_body: NULL is fine, an empty answer has none");
    CHECK_NULL(kwa_result_body(NULL));
    CHECK_INT(kwa_response_parse(&res, KWA_ANSWER_MESSAGE, 202, B("")), 0);
    CHECK_NULL(kwa_result_body(&res));
    kwa_result_free(&res);
    CHECK_NULL(kwa_result_body(&res));
}

/* {"x":[[...]],"code":"C"} with n brackets: the scanner reads up to 63
 * (nesting 64 with the top object), cJSON up to 999. */
static void test_depth(void)
{
    static const size_t depths[] = {1, 62, 63, 64, 65, 998, 999, 1000, 1001, 5000};
    kwa_result_t a, b;
    kwa_scan_t sc;
    size_t i, n;
    char *body;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    for (i = 0; i < sizeof depths / sizeof depths[0]; i++) {
        n = depths[i];
        body = malloc(2 * n + 32);
        strcpy(body, "{\"x\":");
        memset(body + 5, '[', n);
        memset(body + 5 + n, ']', n);
        strcpy(body + 5 + 2 * n, ",\"code\":\"C\"}");
        UNIT_CASE("deep nesting");
        CHECK_INT(kwa_scan_answer(body, strlen(body), &sc), n <= 63 ? 0 : -1);
        CHECK_INT(kwa_response_parse(&a, KWA_ANSWER_MESSAGE, 202, body, strlen(body)), 0);
        CHECK_INT(kwa_response_parse_tree(&b, KWA_ANSWER_MESSAGE, 202, body, strlen(body)), 0);
        check_same(&a, &b);
        CHECK_STR(a.code, "C"); /* read by the scanner, cJSON or the lenient scan */
        free(body);
    }
    kwa_result_free(&a);
    kwa_result_free(&b);
}

/* kwa_scan_documented: the documented shape exactly, and only it, read
 * as kwa_scan_answer reads it. */
static void test_documented(void)
{
    static const struct {
        const char *body;
        size_t len;
        int rc;
    } cases[] = {
        {B("{\"code\":\"WA202\",\"message\":\"Request Accepted\",\"data\":{\"message_id\":\"A1\"},"
           "\"error\":{}}"), 0},
        {B("{\"code\":\"\",\"message\":\"caf\xc3\xa9\",\"data\":{\"message_id\":\"\"},\"error\":{}}"), 0},
        {B("{\"code\":\"C\",\"message\":\"a\\/b\",\"data\":{\"message_id\":\"M\"},\"error\":{}}"), -1},
        {B("{\"code\":\"C\",\"message\":\"m\",\"data\":{\"message_id\":\"M\"},\"error\":{\"x\":1}}"), -1},
        {B("{\"code\":\"C\",\"message\":\"m\",\"data\":{\"message_id\":\"M\",\"x\":1},\"error\":{}}"), -1},
        {B("{\"code\":\"C\",\"message\":\"m\",\"data\":{\"message_id\":\"M\"},\"error\":{}} "), -1},
        {B("{ \"code\":\"C\",\"message\":\"m\",\"data\":{\"message_id\":\"M\"},\"error\":{}}"), -1},
        {B("{\"code\":\"C\\t\",\"message\":\"m\",\"data\":{\"message_id\":\"M\"},\"error\":{}}"), -1},
        {B("{\"code\":\"C\t\",\"message\":\"m\",\"data\":{\"message_id\":\"M\"},\"error\":{}}"), -1},
        {B("{\"code\":202,\"message\":\"m\",\"data\":{\"message_id\":\"M\"},\"error\":{}}"), -1},
        {B("{\"message\":\"m\",\"code\":\"C\",\"data\":{\"message_id\":\"M\"},\"error\":{}}"), -1},
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kwa_scan_t sc, full;
        int rc = kwa_scan_documented(cases[i].body, cases[i].len, &sc);

        UNIT_REPORT(rc == cases[i].rc, "case %zu: kwa_scan_documented gave %d", i, rc);
        if (rc != 0)
            continue;
        CHECK_INT(kwa_scan_answer(cases[i].body, cases[i].len, &full), 0);
        CHECK(sc.code.len == full.code.len && memcmp(sc.code.s, full.code.s, sc.code.len) == 0);
        CHECK(sc.message.len == full.message.len &&
              memcmp(sc.message.s, full.message.s, sc.message.len) == 0);
        CHECK_INT(sc.message.ascii, full.message.ascii);
        CHECK(sc.data_message_id.len == full.data_message_id.len &&
              memcmp(sc.data_message_id.s, full.data_message_id.s, sc.data_message_id.len) == 0);
        CHECK(sc.id.s == NULL && sc.data_id.s == NULL);
        CHECK_INT(sc.success, -1);
    }
}

int main(void)
{
    test_rows();
    test_documented();
    test_depth();
    test_differential();
    test_parse();
    UNIT_CASE("");
    UNIT_DONE();
}
