/*
 * kwa_response.c - turns an HTTP answer into a kwa_result_t: success with
 * the message id, or an error kind from the Kaleyra code (RBC001, WA401,
 * WA-401, WA400, WA-400, E110, WA500, WA-500, WAV2101) or, failing that,
 * from the HTTP status. Meta's throttling codes (4, 80007, 130429) found
 * in the answer's error member make it a rate_limit whatever the Kaleyra
 * code (templates-media-read.md, section 6).
 *
 * Caveats: any 2xx is a success even when its body is not JSON (the API
 * documents' own 202 sample is not valid JSON), because reporting an
 * accepted message as failed invites a duplicate send; in that case the
 * code and message_id are picked out of the text leniently. Non-JSON
 * error bodies (a proxy's HTML page) are kept in res->raw.
 *
 * The hot path: a 2xx answer of a message, success or media operation is
 * read by kwa_scan_answer() (kwa_scan.c) without building a tree, and its
 * bytes are kept in res->raw for kwa_result_body() to decode if anyone
 * asks. Whenever the scanner is unsure, or the answer turns out to be a
 * failure (success: false, an upload without an id), the cJSON path below
 * (kwa_response_parse_tree) decides, so results never differ; the
 * differential tests and fuzz/fuzz_response.c check that they do not.
 */
#include <stdlib.h>
#include <string.h>

#include "kwa_core.h"

#define DAILY_LIMIT                                                                          \
    "Account daily limit reached: sending resets daily; ask Kaleyra (Tata Communications) "  \
    "ops for a higher limit"

static const struct {
    const char *code;
    kwa_kind_t kind;
    int retryable;
} codes[] = {
    {"RBC001", KWA_AUTH, 0},     {"WA401", KWA_AUTH, 0},
    {"WA-401", KWA_AUTH, 0},     {"WA400", KWA_PAYLOAD, 0},
    {"WA-400", KWA_PAYLOAD, 0},  {"E110", KWA_BALANCE, 0},
    {"WA500", KWA_SERVER, 1},    {"WA-500", KWA_SERVER, 1},
    /* the account's daily limit: retrying today cannot help */
    {"WAV2101", KWA_RATE_LIMIT, 0},
};

/* Meta's throttling codes: too many calls (4), the WABA's rate limit
 * (80007), Cloud API throughput reached (130429). */
static const long meta_throttles[] = {4, 80007, 130429};

static void kind_from_status(kwa_result_t *res)
{
    long s = res->status;

    res->retryable = 0;
    if (s == 401 || s == 403)
        res->kind = KWA_AUTH;
    else if (s == 402)
        res->kind = KWA_BALANCE;
    else if (s == 404 || s == 405)
        res->kind = KWA_CONFIG; /* wrong base_url, region or path */
    else if (s == 408)
        res->kind = KWA_TIMEOUT, res->retryable = 1;
    else if (s == 429)
        res->kind = KWA_RATE_LIMIT, res->retryable = 1;
    else if (s >= 400 && s < 500)
        res->kind = KWA_PAYLOAD;
    else if (s >= 500 && s < 600)
        res->kind = KWA_SERVER, res->retryable = 1;
    else
        res->kind = KWA_PROTOCOL; /* 1xx, 3xx (redirects are not followed) */
}

/* A Meta error code in obj: its "code" member, a number or digits. */
static long meta_code(const cJSON *obj)
{
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(obj, "code");

    if (cJSON_IsNumber(code)) /* a whole number in range, or no code */
        return kwa_is_whole(code->valuedouble, 0, 2147483647.0) ? (long)code->valuedouble : -1;
    if (cJSON_IsString(code) && code->valuestring[0] != '\0' &&
        strspn(code->valuestring, "0123456789") == strlen(code->valuestring) &&
        strlen(code->valuestring) < 10)
        return strtol(code->valuestring, NULL, 10);
    return -1;
}

/* 1 if details (the answer's error member) carries a Meta throttling
 * code: {"code": 130429}, {"error": {"code": 4}} or {"errors": [{"code": 80007}]}. */
static int meta_throttled(const cJSON *details)
{
    const cJSON *candidates[3];
    size_t i, j;

    if (!cJSON_IsObject(details))
        return 0;
    candidates[0] = details;
    candidates[1] = cJSON_GetObjectItemCaseSensitive(details, "error");
    candidates[2] = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(details, "errors"), 0);
    for (i = 0; i < 3; i++)
        for (j = 0; j < sizeof meta_throttles / sizeof meta_throttles[0]; j++)
            if (candidates[i] != NULL && meta_code(candidates[i]) == meta_throttles[j])
                return 1;
    return 0;
}

static void classify(kwa_result_t *res)
{
    size_t i;

    if (meta_throttled(res->details)) {
        res->kind = KWA_RATE_LIMIT;
        res->retryable = 1;
        return;
    }
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(res->code, codes[i].code) == 0) {
            res->kind = codes[i].kind;
            res->retryable = codes[i].retryable;
            return;
        }
    kind_from_status(res);
    if (res->status == 503 || res->status == 429)
        res->retryable = 1;
}

static void copy_member(char *dst, size_t cap, const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

    /* cJSON does not check UTF-8; text that is not stays in body only */
    if (cJSON_IsString(item) &&
        kwa_utf8_count(item->valuestring, strlen(item->valuestring)) >= 0)
        kwa_copy_text(dst, cap, item->valuestring, strlen(item->valuestring));
}

/* Finds "key" : "value" in text that is almost JSON and copies value. */
static void scan_member(char *dst, size_t cap, const char *s, size_t len,
                        const char *key)
{
    size_t klen = strlen(key), i, j;

    for (i = 0; i + klen + 2 <= len; i++) {
        if (s[i] != '"' || memcmp(s + i + 1, key, klen) != 0 || s[i + 1 + klen] != '"')
            continue;
        j = i + klen + 2;
        while (j < len && strchr(" \t\r\n", s[j]) != NULL && s[j] != '\0')
            j++;
        if (j >= len || s[j] != ':')
            continue;
        j++;
        while (j < len && strchr(" \t\r\n", s[j]) != NULL && s[j] != '\0')
            j++;
        if (j >= len || s[j] != '"')
            continue;
        for (i = ++j; j < len && s[j] != '"' && s[j] != '\\'; j++)
            ;
        if (j < len && s[j] == '"' && kwa_utf8_count(s + i, j - i) >= 0)
            kwa_copy_text(dst, cap, s + i, j - i);
        return;
    }
}

static void keep_raw(kwa_result_t *res, const char *body, size_t len)
{
    res->raw = malloc(len + 1);
    if (res->raw == NULL)
        return; /* the status still says what happened */
    memcpy(res->raw, body, len);
    res->raw[len] = '\0';
    res->raw_len = len;
}

static int success(kwa_result_t *res, kwa_answer_t op)
{
    const cJSON *data, *flag;

    if (op == KWA_ANSWER_JSON) {
        if (!cJSON_IsObject(res->body))
            return kwa_fail(res, KWA_SERVER, NULL,
                            "HTTP %ld with a body that is not a JSON object", res->status);
        res->success = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res->body, "success"));
        return 0;
    }
    if (op == KWA_ANSWER_SUCCESS) {
        flag = cJSON_GetObjectItemCaseSensitive(res->body, "success");
        res->success = cJSON_IsTrue(flag);
        if (cJSON_IsFalse(flag))
            return kwa_fail(res, KWA_SERVER, NULL,
                            "the service answered HTTP %ld with success: false",
                            res->status);
        return 0;
    }
    data = cJSON_GetObjectItemCaseSensitive(res->body, "data");
    if (op == KWA_ANSWER_MEDIA) {
        /* Meta's {"id": ...}; Kaleyra's wrapper, if any, as data.id (inferred) */
        copy_member(res->message_id, sizeof res->message_id, res->body, "id");
        if (res->message_id[0] == '\0')
            copy_member(res->message_id, sizeof res->message_id, data, "id");
        if (res->message_id[0] == '\0')
            return kwa_fail(res, KWA_SERVER, NULL,
                            "the upload answered HTTP %ld without a media id", res->status);
        return 0;
    }
    copy_member(res->message_id, sizeof res->message_id, data, "message_id");
    return 0;
}

static int parse_tree(kwa_result_t *res, kwa_answer_t op, long status,
                      const char *body, size_t len)
{
    kwa_result_free(res);
    res->status = status;
    res->sent = 1;
    if (len > 0)
        res->body = cJSON_ParseWithLength(body, len);
    if (res->body != NULL) {
        copy_member(res->code, sizeof res->code, res->body, "code");
        copy_member(res->message, sizeof res->message, res->body, "message");
        res->details = cJSON_GetObjectItemCaseSensitive(res->body, "error");
    } else if (len > 0) {
        keep_raw(res, body, len);
    }
    if (status >= 200 && status < 300) {
        if (res->body == NULL && len > 0) {
            scan_member(res->code, sizeof res->code, body, len, "code");
            scan_member(res->message, sizeof res->message, body, len, "message");
            scan_member(res->message_id, sizeof res->message_id, body, len, "message_id");
        }
        return success(res, op);
    }
    classify(res);
    if (strcmp(res->code, "WAV2101") == 0)
        kwa_copy_text(res->message, sizeof res->message, DAILY_LIMIT, strlen(DAILY_LIMIT));
    if (res->message[0] == '\0' && cJSON_IsString(res->details))
        copy_member(res->message, sizeof res->message, res->body, "error");
    if (res->message[0] == '\0')
        kwa_fail(res, res->kind, NULL, "HTTP %ld with %s body", status,
                 res->body ? "an unexpected" : len ? "a non-JSON" : "an empty");
    return -1;
}

/* Copies a scanned string as copy_member copies a cJSON one: only valid
 * UTF-8 (the scanner took it only if it had no escape, so its bytes are
 * what cJSON's valuestring would hold). */
static void copy_span(char *dst, size_t cap, kwa_span_t sp)
{
    if (sp.s != NULL && (sp.ascii || kwa_utf8_count(sp.s, sp.len) >= 0))
        kwa_copy_text(dst, cap, sp.s, sp.len);
}

/* 1 if every successful answer of op keeps its bytes (see kwa.h: raw). */
static int lazy_kind(kwa_answer_t op, long status)
{
    return status >= 200 && status < 300 && op != KWA_ANSWER_JSON;
}

/* The hot path: 0 with res filled as parse_tree would fill it (but body
 * left for kwa_result_body), or -1 to let parse_tree decide. */
static int parse_scanned(kwa_result_t *res, kwa_answer_t op, long status,
                         const char *body, size_t len)
{
    kwa_scan_t sc;

    if (kwa_scan_answer(body, len, &sc) != 0)
        return -1;
    if (op == KWA_ANSWER_SUCCESS && sc.success == 0)
        return -1; /* success: false is an error: the tree path words it */
    kwa_result_free(res);
    res->status = status;
    res->sent = 1;
    if (op == KWA_ANSWER_MEDIA) {
        copy_span(res->message_id, sizeof res->message_id, sc.id);
        if (res->message_id[0] == '\0')
            copy_span(res->message_id, sizeof res->message_id, sc.data_id);
        if (res->message_id[0] == '\0')
            return -1; /* no media id: an error, the tree path words it */
    } else if (op == KWA_ANSWER_MESSAGE) {
        copy_span(res->message_id, sizeof res->message_id, sc.data_message_id);
    } else {
        res->success = sc.success == 1;
    }
    keep_raw(res, body, len);
    if (res->raw == NULL)
        return -1; /* out of memory: the tree path fails as it always has */
    copy_span(res->code, sizeof res->code, sc.code);
    copy_span(res->message, sizeof res->message, sc.message);
    return 0;
}

int kwa_response_parse_tree(kwa_result_t *res, kwa_answer_t op, long status,
                            const char *body, size_t len)
{
    int rc = parse_tree(res, op, status, body, len);

    /* a success keeps its bytes whichever path read it: res.body in Lua
     * is decoded from them, and pairs(res) is the same for every answer */
    if (rc == 0 && lazy_kind(op, status) && len > 0 && res->raw == NULL)
        keep_raw(res, body, len);
    return rc;
}

int kwa_response_parse(kwa_result_t *res, kwa_answer_t op, long status,
                       const char *body, size_t len)
{
    if (lazy_kind(op, status) && len > 0 && parse_scanned(res, op, status, body, len) == 0)
        return 0;
    return kwa_response_parse_tree(res, op, status, body, len);
}
