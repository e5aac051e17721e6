/*
 * fuzz/fuzz_response.c - libFuzzer harness for the response parser,
 * kwa_response_parse(), on arbitrary bytes with arbitrary statuses, for
 * both operations, and for the retry decision made from its result.
 *
 * Input: byte 0 picks the operation (bit 0) and whether the status is one
 * of the interesting ones or free (bit 1); bytes 1-2 are the status; the
 * rest is the body, passed with its length and no terminating NUL, so
 * ASan sees any read past it.
 *
 * Checked on every input, besides "no crash, no leak, no UB":
 *   - a 2xx is a success, except a publish answering success: false;
 *     anything else is an error of a known kind;
 *   - the text fields are NUL-terminated, valid UTF-8;
 *   - details, when set, lies inside body; raw holds the bytes exactly;
 *   - parsing again into the same result releases what it held;
 *   - kwa_retry_delay() never retries an answer other than 429 or 503,
 *     and its delay is within the Retry-After cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_core.h"

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
        CHECK(res->kind == KWA_OK || (op == KWA_ANSWER_SUCCESS && res->kind == KWA_SERVER));
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
        CHECK(res->body == NULL);
        CHECK(res->raw_len == len && memcmp(res->raw, body, len) == 0);
        CHECK(res->raw[len] == '\0');
    }
    for (attempts = 1; attempts <= 3; attempts++) {
        d = kwa_retry_delay(res, attempts, 2, 0.999);
        if (d >= 0) {
            CHECK(status == 429 || status == 503);
            CHECK(attempts <= 2);
            CHECK(d <= KWA_RETRY_AFTER_CAP);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kwa_result_t res;
    kwa_answer_t op;
    long status;
    uint8_t *body;
    size_t len;

    if (size < 3)
        return 0;
    op = (data[0] & 1) ? KWA_ANSWER_SUCCESS : KWA_ANSWER_MESSAGE;
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

    memset(&res, 0, sizeof res);
    kwa_response_parse(&res, op, status, (const char *)body, len);
    check(&res, op, status, body, len);
    /* the same struct again, as the engine reuses it: nothing may leak */
    kwa_response_parse(&res, op, status, (const char *)body, len);
    res.retry_after = (double)(data[0] >> 2); /* seconds, as the engine sets it */
    check(&res, op, status, body, len);
    kwa_result_free(&res);
    CHECK(res.body == NULL && res.raw == NULL);
    free(body);
    return 0;
}
