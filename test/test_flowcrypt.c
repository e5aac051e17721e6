/*
 * test/test_flowcrypt.c - the Flows endpoint cryptography (kwa_flowcrypt.c)
 * and kwa_flow_handle (kwa_flow_endpoint.c), with one 2048-bit key pair
 * made at test time by kwa_flow_keygen (EVP_RSA_gen; slow under valgrind,
 * so only one): round trips, the flipped IV, each tampered part giving
 * KWA_CRYPTO with status 421 and its reason, key loading, and every
 * branch of kwa_flow_handle.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "kwa_core.h"
#include "unit.h"

static char *priv, *pub;

/* The request envelope's member `name`, base64-decoded, with bit 0 of
 * byte pos flipped (pos < 0: from the end), re-encoded. Returns a new body. */
static char *tamper(const char *body, const char *name, int pos, size_t cut)
{
    cJSON *root = cJSON_Parse(body);
    cJSON *item = cJSON_GetObjectItem(root, name);
    const char *s = item->valuestring;
    unsigned char raw[1024];
    char enc[2048], *out;
    size_t len = strlen(s);
    /* EVP_DecodeBlock counts the padding's zero bytes: take them off */
    int n = EVP_DecodeBlock(raw, (const unsigned char *)s, (int)len) -
            (len > 0 && s[len - 1] == '=') - (len > 1 && s[len - 2] == '=');

    if (cut > 0)
        n = (int)cut;
    else
        raw[pos < 0 ? n + pos : pos] ^= 1;
    EVP_EncodeBlock((unsigned char *)enc, raw, n);
    cJSON_SetValuestring(item, enc);
    out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

static void expect_421(kwa_flow_key_t *key, const char *body, size_t len, const char *reason)
{
    kwa_result_t err;
    kwa_flow_ctx_t ctx;
    char *json = (char *)"x";
    size_t n = 0;

    memset(&err, 0, sizeof err);
    UNIT_CASE(reason);
    CHECK_INT(kwa_flow_decrypt(key, body, len, &json, &n, &ctx, &err), -1);
    CHECK_NULL(json);
    CHECK_INT(err.kind, KWA_CRYPTO);
    CHECK_INT(err.status, 421);
    CHECK_STR(err.code, reason);
    CHECK_STR(kwa_kind_name(err.kind), "crypto");
    kwa_result_free(&err);
}

static void test_round_trip(kwa_flow_key_t *key)
{
    const char *req = "{\"version\":\"3.0\",\"action\":\"ping\"}";
    kwa_result_t err;
    kwa_flow_ctx_t cctx, sctx;
    char *body, *json, *out, *back;
    size_t blen, jlen, olen, backlen;

    memset(&err, 0, sizeof err);
    UNIT_CASE("round trip");
    CHECK_INT(kwa_flow_request_encrypt(pub, strlen(pub), req, strlen(req), &body, &blen, &cctx, &err), 0);
    CHECK_INT(kwa_flow_decrypt(key, body, blen, &json, &jlen, &sctx, &err), 0);
    CHECK_STR(json, req);
    CHECK_INT(jlen, strlen(req));
    CHECK(memcmp(cctx.key, sctx.key, sizeof cctx.key) == 0);
    CHECK(memcmp(cctx.iv, sctx.iv, sizeof cctx.iv) == 0);
    CHECK_INT(kwa_flow_encrypt(&sctx, "{\"a\":1}", 7, &out, &olen, &err), 0);
    CHECK_INT(kwa_flow_response_decrypt(&cctx, out, olen, &back, &backlen, &err), 0);
    CHECK_STR(back, "{\"a\":1}");
    free(back);
    /* the response is under the flipped IV: the request's own IV fails */
    {
        kwa_flow_ctx_t unflipped = cctx;
        int i;
        for (i = 0; i < KWA_FLOW_IV_LEN; i++)
            unflipped.iv[i] = (unsigned char)~unflipped.iv[i];
        back = NULL;
        CHECK_INT(kwa_flow_response_decrypt(&unflipped, out, olen, &back, &backlen, &err), -1);
        CHECK_STR(err.code, "bad_tag");
        kwa_result_free(&err);
    }
    kwa_flow_ctx_clear(&sctx);
    CHECK(sctx.key[0] == 0 && sctx.iv[15] == 0);
    free(out);
    free(json);

    /* tampering with each part */
    out = tamper(body, "encrypted_flow_data", -1, 0);
    expect_421(key, out, strlen(out), "bad_tag");
    free(out);
    out = tamper(body, "encrypted_flow_data", 0, 0);
    expect_421(key, out, strlen(out), "bad_tag");
    free(out);
    out = tamper(body, "encrypted_aes_key", 17, 0);
    expect_421(key, out, strlen(out), "wrong_key");
    free(out);
    out = tamper(body, "initial_vector", 3, 0);
    expect_421(key, out, strlen(out), "bad_tag");
    free(out);
    out = tamper(body, "initial_vector", 0, 12);
    expect_421(key, out, strlen(out), "bad_iv");
    free(out);
    free(body);
}

static void test_bad_bodies(kwa_flow_key_t *key)
{
    static const char *const cases[][2] = {
        {"", "empty"},
        {"nope", "not_envelope"},
        {"[]", "not_envelope"},
        {"{\"encrypted_flow_data\":\"AAAA\"}", "not_envelope"},
        {"{\"encrypted_flow_data\":\"!!\",\"encrypted_aes_key\":\"AAAA\",\"initial_vector\":\"AAAA\"}",
         "bad_base64"},
        {"{\"encrypted_flow_data\":\"AAAA\",\"encrypted_aes_key\":\"AAAA\",\"initial_vector\":\"AAAA\"}",
         "bad_iv"},
        {"{\"encrypted_flow_data\":\"AAAA\",\"encrypted_aes_key\":\"AAAA\","
         "\"initial_vector\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}", "bad_data"},
        {"{\"encrypted_flow_data\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"encrypted_aes_key\":\"AAAA\","
         "\"initial_vector\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}", "wrong_key"},
    };
    size_t i;
    char *big;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_421(key, cases[i][0], strlen(cases[i][0]), cases[i][1]);
    expect_421(key, NULL, 0, "empty");
    big = malloc(KWA_FLOW_MAX_BODY + 2);
    memset(big, 'A', KWA_FLOW_MAX_BODY + 1);
    big[KWA_FLOW_MAX_BODY + 1] = '\0';
    expect_421(key, big, KWA_FLOW_MAX_BODY + 1, "too_large");
    free(big);
}

static void test_keys(void)
{
    kwa_result_t err;
    kwa_flow_key_t *k;

    memset(&err, 0, sizeof err);
    UNIT_CASE("keys");
    k = kwa_flow_key_load(priv, strlen(priv), "wrong", &err);
    CHECK_NULL(k);
    CHECK_INT(err.kind, KWA_CONFIG);
    CHECK_STR(err.field, "private_key");
    CHECK(strstr(err.message, "wrong") == NULL || strstr(err.message, "passphrase is wrong") != NULL);
    kwa_result_free(&err);
    CHECK_NULL(kwa_flow_key_load(priv, strlen(priv), NULL, &err));
    CHECK_INT(err.kind, KWA_CONFIG);
    kwa_result_free(&err);
    CHECK_NULL(kwa_flow_key_load(pub, strlen(pub), NULL, &err));
    CHECK_INT(err.kind, KWA_CONFIG);
    kwa_result_free(&err);
    CHECK_NULL(kwa_flow_key_load("", 0, NULL, &err));
    kwa_result_free(&err);
    CHECK_INT(kwa_flow_keygen(1024, NULL, &(char *){NULL}, &(char *){NULL}, &err), -1);
    CHECK_INT(err.kind, KWA_CONFIG);
    kwa_result_free(&err);
    kwa_flow_key_free(NULL);
    kwa_flow_ctx_clear(NULL);
}

/* A handler that answers by the request's screen. */
static int handler(void *ud, const cJSON *req, cJSON **resp, const char **msg)
{
    const cJSON *screen = cJSON_GetObjectItem(req, "screen");

    (*(int *)ud)++;
    if (cJSON_IsString(screen) && strcmp(screen->valuestring, "OLD") == 0) {
        *msg = "gone";
        return 1;
    }
    if (cJSON_IsString(screen) && strcmp(screen->valuestring, "FAIL") == 0)
        return -1;
    *resp = cJSON_Parse("{\"screen\":\"NEXT\",\"data\":{}}");
    return 0;
}

static void handle_case(kwa_flow_key_t *key, const char *req, long want_status,
                        const char *want_json, int *calls)
{
    kwa_result_t err;
    kwa_flow_ctx_t ctx;
    char *body, *out, *json = NULL;
    size_t blen, olen, jlen;
    long status;

    memset(&err, 0, sizeof err);
    UNIT_CASE(req);
    kwa_flow_request_encrypt(pub, strlen(pub), req, strlen(req), &body, &blen, &ctx, &err);
    status = kwa_flow_handle(key, body, blen, handler, calls, &out, &olen);
    CHECK_INT(status, want_status);
    if (want_json == NULL) {
        CHECK_NULL(out);
    } else {
        CHECK_INT(kwa_flow_response_decrypt(&ctx, out, olen, &json, &jlen, &err), 0);
        CHECK_STR(json, want_json);
    }
    free(json);
    free(out);
    free(body);
}

static void test_handle(kwa_flow_key_t *key)
{
    int calls = 0;
    char *out;
    size_t olen;

    handle_case(key, "{\"version\":\"3.0\",\"action\":\"ping\"}", 200,
                "{\"version\":\"3.0\",\"data\":{\"status\":\"active\"}}", &calls);
    handle_case(key, "{\"version\":\"3.0\",\"action\":\"data_exchange\",\"data\":{\"error\":\"x\"}}",
                200, "{\"version\":\"3.0\",\"data\":{\"acknowledged\":true}}", &calls);
    CHECK_INT(calls, 0);
    handle_case(key, "{\"version\":\"3.0\",\"action\":\"INIT\"}", 200,
                "{\"screen\":\"NEXT\",\"data\":{}}", &calls);
    handle_case(key, "{\"action\":\"BACK\",\"screen\":\"OLD\"}", 427, "{\"error_msg\":\"gone\"}", &calls);
    handle_case(key, "{\"action\":\"data_exchange\",\"screen\":\"FAIL\"}", 500, NULL, &calls);
    handle_case(key, "{\"action\":\"DANCE\"}", 500, NULL, &calls);
    handle_case(key, "[1]", 421, NULL, &calls);
    CHECK_INT(calls, 3);
    UNIT_CASE("handle garbage");
    CHECK_INT(kwa_flow_handle(key, "junk", 4, handler, &calls, &out, &olen), 421);
    CHECK_NULL(out);
}

int main(void)
{
    kwa_result_t err;
    kwa_flow_key_t *key;

    memset(&err, 0, sizeof err);
    if (kwa_flow_keygen(2048, "pw", &priv, &pub, &err) != 0) {
        fprintf(stderr, "keygen: %s\n", err.message);
        return 1;
    }
    key = kwa_flow_key_load(priv, strlen(priv), "pw", &err);
    CHECK_NOT_NULL(key);
    if (key == NULL)
        UNIT_DONE();
    test_round_trip(key);
    test_bad_bodies(key);
    test_keys();
    test_handle(key);
    kwa_flow_key_free(key);
    free(priv);
    free(pub);
    UNIT_DONE();
}
