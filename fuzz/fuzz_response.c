/*
 * fuzz/fuzz_response.c - libFuzzer harness for the response parser,
 * kwa_response_parse(), on arbitrary bytes with arbitrary statuses, for
 * every answer kind, for its 2xx scanner (kwa_scan_answer) against cJSON,
 * and for the retry decision made from its result.
 *
 * Input: byte 0 picks the answer kind (bits 0 and 2: message, success,
 * media, json; the seeds of two kinds only used bit 0) and whether the
 * status is one of the interesting ones or free (bit 1); bytes 1-2 are
 * the status; the rest is the body, passed with its length and no
 * terminating NUL, so ASan sees any read past it.
 *
 * Checked on every input, besides "no crash, no leak, no UB":
 *   - a 2xx is a success, except a success: false, an upload without an
 *     id or a json answer that is not an object; anything else is an
 *     error of a known kind;
 *   - the text fields are NUL-terminated, valid UTF-8;
 *   - details, when set, lies inside body; raw holds the bytes exactly;
 *   - differential: the result equals kwa_response_parse_tree()'s (cJSON
 *     only, the library before the scanner) field for field: kind,
 *     status, retryable, sent, success, code, message, message_id, field,
 *     raw, and the body and details kwa_result_body() decodes;
 *   - whatever kwa_scan_answer() accepts, cJSON parses, to the same
 *     members (code, message, id, success, data.id, data.message_id);
 *   - parsing again into the same result releases what it held;
 *   - kwa_retry_delay() never retries an answer other than 429 or 503,
 *     and its delay is within the Retry-After cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_core.h"
#include "../test/same_tree.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static const long interesting[] = {
    200, 201, 202, 204, 206, 301, 302, 400, 401, 402, 403, 404, 405,
    408, 429, 500, 502, 503, 504, 0, 99, 999,
};

static int text_ok(const char *s, size_t cap)
{
    const char *end = memchr(s, '\0', cap);

    return end != NULL && kwa_utf8_count(s, (size_t)(end - s)) >= 0;
}

static int within(const cJSON *node, const cJSON *root)
{
    const cJSON *child;

    if (node == root)
        return 1;
    for (child = root ? root->child : NULL; child != NULL; child = child->next)
        if (within(node, child))
            return 1;
    return 0;
}

static void check(const kwa_result_t *res, kwa_answer_t op, long status,
                  const uint8_t *body, size_t len)
{
    int attempts;
    double d;

    CHECK(res->status == status);
    CHECK(res->sent == 1);
    if (status >= 200 && status < 300)
        CHECK(res->kind == KWA_OK || (op != KWA_ANSWER_MESSAGE && res->kind == KWA_SERVER));
    else
        CHECK(res->kind > KWA_OK && res->kind <= KWA_NOMEM);
    CHECK(text_ok(res->code, sizeof res->code));
    CHECK(text_ok(res->message, sizeof res->message));
    CHECK(text_ok(res->message_id, sizeof res->message_id));
    CHECK(text_ok(res->field, sizeof res->field));
    CHECK(res->kind == KWA_OK || res->message[0] != '\0');
    if (res->details != NULL)
        CHECK(within(res->details, res->body));
    if (res->raw != NULL) {
        CHECK(res->raw_len == len && memcmp(res->raw, body, len) == 0);
        CHECK(res->raw[len] == '\0');
    }
    /* a success keeps its bytes; an error only when they are not JSON */
    if (res->kind == KWA_OK && op != KWA_ANSWER_JSON && len > 0)
        CHECK(res->raw != NULL);
    if (res->kind != KWA_OK)
        CHECK(res->raw == NULL || res->body == NULL);
    for (attempts = 1; attempts <= 3; attempts++) {
        d = kwa_retry_delay(res, attempts, 2, 0.999);
        if (d >= 0) {
            CHECK(status == 429 || status == 503);
            CHECK(attempts <= 2);
            CHECK(d <= KWA_RETRY_AFTER_CAP);
        }
    }
}

/* The scanner's result against cJSON's result, field for field. */
static void check_same(kwa_result_t *a, kwa_result_t *b)
{
    CHECK(a->kind == b->kind);
    CHECK(a->status == b->status);
    CHECK(a->retryable == b->retryable);
    CHECK(a->sent == b->sent);
    CHECK(a->success == b->success);
    CHECK(a->attempts == b->attempts);
    CHECK(strcmp(a->code, b->code) == 0);
    CHECK(strcmp(a->message, b->message) == 0);
    CHECK(strcmp(a->message_id, b->message_id) == 0);
    CHECK(strcmp(a->field, b->field) == 0);
    CHECK((a->raw == NULL) == (b->raw == NULL) && a->raw_len == b->raw_len);
    CHECK(a->raw == NULL || memcmp(a->raw, b->raw, a->raw_len) == 0);
    CHECK(same_tree(kwa_result_body(a), kwa_result_body(b)));
    CHECK(same_tree(a->details, b->details));
}

/* A span the scanner took is the string cJSON holds; an unset one is a
 * member cJSON has not, or not as a string. */
static void check_span(kwa_span_t sp, const cJSON *obj, const char *name,
                       const uint8_t *body, size_t len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (sp.s == NULL) {
        CHECK(!cJSON_IsString(item));
        return;
    }
    CHECK((const uint8_t *)sp.s >= body && (const uint8_t *)sp.s + sp.len <= body + len);
    CHECK(cJSON_IsString(item));
    CHECK(strlen(item->valuestring) == sp.len && memcmp(item->valuestring, sp.s, sp.len) == 0);
}

static void check_scan(const uint8_t *body, size_t len)
{
    kwa_scan_t sc;
    cJSON *tree;
    const cJSON *data, *flag;

    if (kwa_scan_answer((const char *)body, len, &sc) != 0)
        return;
    tree = cJSON_ParseWithLength((const char *)body, len);
    if (tree == NULL)
        return; /* out of memory: nothing to compare */
    CHECK(cJSON_IsObject(tree));
    check_span(sc.code, tree, "code", body, len);
    check_span(sc.message, tree, "message", body, len);
    check_span(sc.id, tree, "id", body, len);
    data = cJSON_GetObjectItemCaseSensitive(tree, "data");
    check_span(sc.data_id, data, "id", body, len);
    check_span(sc.data_message_id, data, "message_id", body, len);
    flag = cJSON_GetObjectItemCaseSensitive(tree, "success");
    CHECK(sc.success == (cJSON_IsTrue(flag) ? 1 : cJSON_IsFalse(flag) ? 0 : -1));
    cJSON_Delete(tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const kwa_answer_t answers[] = {KWA_ANSWER_MESSAGE, KWA_ANSWER_SUCCESS,
                                           KWA_ANSWER_MEDIA, KWA_ANSWER_JSON};
    kwa_result_t res, tree;
    kwa_answer_t op;
    long status;
    uint8_t *body;
    size_t len;

    if (size < 3)
        return 0;
    op = answers[(data[0] & 1) | ((data[0] >> 1) & 2)];
    status = (long)data[1] << 8 | data[2];
    if (data[0] & 2)
        status = interesting[status % (sizeof interesting / sizeof interesting[0])];
    else
        status %= 1000;
    len = size - 3;
    body = malloc(len ? len : 1); /* exactly sized, so ASan sees over-reads */
    if (body == NULL)
        return 0;
    memcpy(body, data + 3, len);

    check_scan(body, len);
    memset(&res, 0, sizeof res);
    memset(&tree, 0, sizeof tree);
    CHECK(kwa_response_parse(&res, op, status, (const char *)body, len) ==
          kwa_response_parse_tree(&tree, op, status, (const char *)body, len));
    check(&res, op, status, body, len);
    check(&tree, op, status, body, len);
    check_same(&res, &tree);
    check(&res, op, status, body, len); /* kwa_result_body kept it sound */
    /* the same struct again, as the engine reuses it: nothing may leak */
    kwa_response_parse(&res, op, status, (const char *)body, len);
    res.retry_after = (double)(data[0] >> 3); /* seconds, as the engine sets it */
    check(&res, op, status, body, len);
    kwa_result_free(&res);
    kwa_result_free(&tree);
    CHECK(res.body == NULL && res.raw == NULL);
    free(body);
    return 0;
}
