/*
 * fuzz/fuzz_callback.c - libFuzzer harness for the callback parser,
 * kwa_callback_parse(), and the credential checks, on arbitrary bytes.
 *
 * Input: byte 0 picks the flags (bit 0: KWA_CALLBACK_STRICT); the rest is
 * the body, passed with its length and no terminating NUL, so ASan sees
 * any read past it. Seeds: fuzz/corpus/callback/, every sample of
 * ../shared/api-docs/callbacks.md (the specs' spec/fixtures/callbacks/).
 *
 * Checked on every input, besides "no crash, no leak, no UB":
 *   - either an object { events: [...], body } or NULL with kind
 *     KWA_CALLBACK (or KWA_NOMEM) and a non-empty message and field;
 *   - every event is an object with a known "event" and a "raw";
 *   - warnings, when present, are a non-empty array of strings;
 *   - the checks never accept a wrong credential or signature.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_core.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static int known(const char *s)
{
    return s != NULL && (strcmp(s, "message") == 0 || strcmp(s, "status") == 0 ||
                         strcmp(s, "template_status") == 0 || strcmp(s, "unknown") == 0);
}

static void check_events(const cJSON *out)
{
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(out, "events"), *ev, *w, *s;

    CHECK(cJSON_IsArray(events));
    CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(out, "body")));
    cJSON_ArrayForEach(ev, events) {
        CHECK(cJSON_IsObject(ev));
        CHECK(known(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "event"))));
        CHECK(cJSON_GetObjectItemCaseSensitive(ev, "raw") != NULL);
        w = cJSON_GetObjectItemCaseSensitive(ev, "warnings");
        if (w != NULL) {
            CHECK(cJSON_IsArray(w) && cJSON_GetArraySize(w) > 0);
            cJSON_ArrayForEach(s, w)
                CHECK(cJSON_IsString(s));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kwa_result_t err;
    cJSON *out;
    char *body;
    size_t len;
    const char *reason = NULL;

    if (size < 1)
        return 0;
    len = size - 1;
    body = malloc(len ? len : 1); /* exactly sized, so ASan sees over-reads */
    if (body == NULL)
        return 0;
    memcpy(body, data + 1, len);
    memset(&err, 0, sizeof err);
    out = kwa_callback_parse(body, len, (data[0] & 1) ? KWA_CALLBACK_STRICT : 0, &err);
    if (out != NULL) {
        CHECK(err.kind == KWA_OK);
        check_events(out);
        cJSON_Delete(out);
    } else {
        CHECK(err.kind == KWA_CALLBACK || err.kind == KWA_NOMEM);
        CHECK(err.message[0] != '\0');
        CHECK(err.kind == KWA_NOMEM || err.field[0] != '\0');
    }
    kwa_result_free(&err);
    /* the body as credentials: a random guess is never accepted */
    if (len < 512 && memchr(body, '\0', len) == NULL) {
        char *text = malloc(len + 1);
        if (text != NULL) {
            memcpy(text, body, len);
            text[len] = '\0';
            CHECK(!kwa_callback_check_basic(text, "user", "pass", &reason));
            CHECK(!kwa_callback_check_bearer(text, "kwa-fuzz-token", &reason));
            CHECK(!kwa_callback_check_header(text, "kwa-fuzz-secret", &reason));
            CHECK(!kwa_callback_verify_signature(body, len, text, "kwa-fuzz-secret", &reason));
            free(text);
        }
    }
    free(body);
    return 0;
}
