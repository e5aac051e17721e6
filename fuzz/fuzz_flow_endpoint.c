/*
 * fuzz/fuzz_flow_endpoint.c - libFuzzer harness for the Flows endpoint:
 * kwa_flow_decrypt and kwa_flow_handle on random bodies, and on bodies
 * that decrypt (random bytes can never pass RSA-OAEP, so without them
 * the fuzzer would stop at the first check).
 *
 * One 2048-bit key pair is made at start-up (kwa_flow_keygen), never
 * written anywhere. Input byte 0 picks the mode:
 *   0: the rest is a request body, straight into decrypt and handle
 *      (and into kwa_flow_response_decrypt under a fixed context);
 *   1: the rest is the plaintext: encrypted to the key, then decrypted
 *      (must give it back byte for byte) and handled (whatever the
 *      plaintext, the status is one of 200, 421, 427, 500);
 *   2: the rest is (offset, xor) byte pairs applied to a valid body: it
 *      then decrypts to the original or fails with KWA_CRYPTO, status 421.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_core.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static kwa_flow_key_t *key;
static char *pub, *valid;
static size_t valid_len;
static const char ping[] = "{\"version\":\"3.0\",\"action\":\"ping\"}";

static int handler(void *ud, const cJSON *req, cJSON **resp, const char **msg)
{
    (void)ud;
    if (cJSON_GetObjectItem(req, "flow_token") != NULL) {
        *msg = "expired";
        return 1;
    }
    *resp = cJSON_CreateObject();
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    kwa_result_t err;
    kwa_flow_ctx_t ctx;
    char *priv = NULL;

    (void)argc;
    (void)argv;
    memset(&err, 0, sizeof err);
    CHECK(kwa_flow_keygen(2048, NULL, &priv, &pub, &err) == 0);
    key = kwa_flow_key_load(priv, strlen(priv), NULL, &err);
    CHECK(key != NULL);
    free(priv);
    CHECK(kwa_flow_request_encrypt(pub, strlen(pub), ping, strlen(ping), &valid, &valid_len,
                                   &ctx, &err) == 0);
    return 0;
}

static void check_failure(const kwa_result_t *err)
{
    CHECK(err->kind == KWA_CRYPTO || err->kind == KWA_NOMEM);
    if (err->kind == KWA_CRYPTO)
        CHECK(err->status == 421 && err->code[0] != '\0' && err->message[0] != '\0');
}

static void decrypt_and_handle(const char *body, size_t len, const char *want, size_t want_len)
{
    kwa_result_t err;
    kwa_flow_ctx_t ctx;
    char *json = NULL, *out = NULL;
    size_t n = 0, out_len = 0;
    long status;

    memset(&err, 0, sizeof err);
    if (kwa_flow_decrypt(key, body, len, &json, &n, &ctx, &err) == 0) {
        CHECK(json != NULL && json[n] == '\0');
        if (want != NULL)
            CHECK(n == want_len && memcmp(json, want, n) == 0);
        free(json);
    } else {
        CHECK(json == NULL);
        check_failure(&err);
    }
    kwa_result_free(&err);
    status = kwa_flow_handle(key, body, len, handler, NULL, &out, &out_len);
    CHECK(status == 200 || status == 421 || status == 427 || status == 500);
    CHECK((out != NULL) == (status == 200 || status == 427));
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kwa_result_t err;
    kwa_flow_ctx_t ctx;
    char *body, *json = NULL;
    size_t len, i;

    if (size < 1)
        return 0;
    memset(&err, 0, sizeof err);
    switch (data[0] % 3) {
    case 0:
        body = malloc(size); /* exactly the bytes, no NUL: ASan sees overreads */
        memcpy(body, data + 1, size - 1);
        decrypt_and_handle(body, size - 1, NULL, 0);
        memset(&ctx, 0x5a, sizeof ctx);
        if (kwa_flow_response_decrypt(&ctx, body, size - 1, &json, &len, &err) == 0)
            free(json);
        else
            check_failure(&err);
        kwa_result_free(&err);
        free(body);
        break;
    case 1:
        if (kwa_flow_request_encrypt(pub, strlen(pub), (const char *)data + 1, size - 1, &body,
                                     &len, &ctx, &err) != 0) {
            kwa_result_free(&err);
            break;
        }
        decrypt_and_handle(body, len, NULL, 0);
        if (kwa_utf8_count((const char *)data + 1, size - 1) >= 0)
            decrypt_and_handle(body, len, (const char *)data + 1, size - 1);
        free(body);
        break;
    default:
        body = malloc(valid_len);
        memcpy(body, valid, valid_len);
        for (i = 1; i + 1 < size; i += 2)
            body[data[i] * (valid_len / 256 + 1) % valid_len] ^= (char)data[i + 1];
        decrypt_and_handle(body, valid_len,
                           memcmp(body, valid, valid_len) == 0 ? ping : NULL, strlen(ping));
        free(body);
        break;
    }
    return 0;
}
