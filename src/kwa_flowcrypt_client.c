/*
 * kwa_flowcrypt_client.c - the other side of the Flows data endpoint's
 * cryptography: what WhatsApp does (kwa_flow_request_encrypt wraps a
 * fresh AES key to the business's public key and encrypts the request;
 * kwa_flow_response_decrypt opens the answer with the flipped IV), which
 * the specs and `kaleyra-wa flows ping` play, and key generation for
 * `kaleyra-wa flows keygen`. Shares its primitives with kwa_flowcrypt.c
 * (kwa_flowcrypt_int.h). Pure: no I/O, no Lua.
 *
 * Ownership: output buffers are malloc'd, freed by the caller with
 * free(); the private key PEM is scrubbed from OpenSSL's buffer.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "kwa_flowcrypt_int.h"

int kwa_flow_request_encrypt(const char *public_pem, size_t pem_len, const char *json,
                             size_t len, char **body, size_t *body_len, kwa_flow_ctx_t *ctx,
                             kwa_result_t *err)
{
    unsigned char wrapped[1024], *data = NULL;
    size_t wrapped_len = sizeof wrapped, data_len = 0;
    char *b64[3] = {NULL, NULL, NULL};
    size_t n[3];
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *c = NULL;
    cJSON *root = NULL;
    BIO *bio;
    int ok, i;

    *body = NULL;
    memset(ctx, 0, sizeof *ctx);
    if (public_pem == NULL || pem_len == 0 || pem_len > 64 * 1024)
        return kwa_fc_config_fail(err, "public_key", "public_key must be a PEM public key");
    if (len > (size_t)KWA_FLOW_MAX_BODY / 2) {
        kwa_result_free(err);
        return kwa_fail(err, KWA_VALIDATION, "request", "the request is over the limit");
    }
    bio = BIO_new_mem_buf(public_pem, (int)pem_len);
    if (bio != NULL)
        pkey = PEM_read_bio_PUBKEY(bio, NULL, kwa_fc_pass_cb, NULL);
    BIO_free(bio);
    if (pkey == NULL)
        return kwa_fc_config_fail(err, "public_key", "public_key is not a PEM public key");
    if (kwa_fc_check_rsa(pkey, err, "public_key") != 0) {
        EVP_PKEY_free(pkey);
        return -1;
    }
    ok = RAND_bytes(ctx->key, KWA_FC_KEY_LEN) == 1 && RAND_bytes(ctx->iv, KWA_FLOW_IV_LEN) == 1;
    c = ok ? EVP_PKEY_CTX_new(pkey, NULL) : NULL;
    ok = c != NULL && EVP_PKEY_encrypt_init(c) > 0 && kwa_fc_oaep_sha256(c) &&
         EVP_PKEY_encrypt(c, wrapped, &wrapped_len, ctx->key, KWA_FC_KEY_LEN) > 0;
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(pkey);
    data = ok ? malloc(len + KWA_FC_TAG_LEN) : NULL;
    ok = data != NULL &&
         kwa_fc_gcm(1, ctx->key, ctx->iv, (const unsigned char *)json, len, data, &data_len) == 0;
    if (ok) {
        b64[0] = kwa_fc_b64_encode(data, data_len, &n[0]);
        b64[1] = kwa_fc_b64_encode(wrapped, wrapped_len, &n[1]);
        b64[2] = kwa_fc_b64_encode(ctx->iv, KWA_FLOW_IV_LEN, &n[2]);
        root = cJSON_CreateObject();
        ok = b64[0] && b64[1] && b64[2] && root &&
             cJSON_AddStringToObject(root, "encrypted_flow_data", b64[0]) &&
             cJSON_AddStringToObject(root, "encrypted_aes_key", b64[1]) &&
             cJSON_AddStringToObject(root, "initial_vector", b64[2]);
        *body = ok ? cJSON_PrintUnformatted(root) : NULL;
    }
    cJSON_Delete(root);
    for (i = 0; i < 3; i++)
        free(b64[i]);
    free(data);
    if (*body == NULL) {
        kwa_flow_ctx_clear(ctx);
        ERR_clear_error();
        kwa_result_free(err);
        return kwa_fail(err, KWA_CRYPTO, NULL, "the request cannot be encrypted");
    }
    *body_len = strlen(*body);
    return 0;
}

int kwa_flow_response_decrypt(const kwa_flow_ctx_t *ctx, const char *body, size_t len,
                              char **json, size_t *json_len, kwa_result_t *err)
{
    unsigned char iv[KWA_FLOW_IV_LEN], *raw, *plain;
    size_t raw_len = 0, plain_len = 0;
    int oom = 0, ok;

    *json = NULL;
    raw = kwa_fc_b64_decode(body, len, &raw_len, &oom);
    if (raw == NULL)
        return oom ? kwa_fc_nomem(err) : kwa_fc_fail(err, "bad_base64", "the response is not base64");
    if (raw_len <= KWA_FC_TAG_LEN) {
        free(raw);
        return kwa_fc_fail(err, "bad_data", "the response is shorter than its tag");
    }
    plain = malloc(raw_len + 1);
    if (plain == NULL) {
        free(raw);
        return kwa_fc_nomem(err);
    }
    kwa_fc_flip(iv, ctx->iv);
    ok = kwa_fc_gcm(0, ctx->key, iv, raw, raw_len, plain, &plain_len) == 0;
    free(raw);
    if (!ok) {
        free(plain);
        return kwa_fc_fail(err, "bad_tag", "the response does not match its tag "
                                    "(tampered, or not encrypted with this request's key)");
    }
    plain[plain_len] = '\0';
    *json = (char *)plain;
    *json_len = plain_len;
    return 0;
}

/* ---- key generation (kaleyra-wa flows keygen) ---- */

static char *bio_text(BIO *bio)
{
    char *data, *copy;
    long n = BIO_get_mem_data(bio, &data);

    copy = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (copy != NULL) {
        memcpy(copy, data, (size_t)n);
        copy[n] = '\0';
    }
    return copy;
}

int kwa_flow_keygen(int bits, const char *passphrase, char **private_pem, char **public_pem,
                    kwa_result_t *err)
{
    EVP_PKEY *pkey = NULL;
    BIO *priv = NULL, *pub = NULL;
    int ok;

    *private_pem = *public_pem = NULL;
    if (bits < KWA_FC_MIN_BITS || bits > 8192)
        return kwa_fc_config_fail(err, "bits", "bits must be from 2048 to 8192");
    pkey = EVP_RSA_gen((unsigned)bits);
    priv = BIO_new(BIO_s_mem());
    pub = BIO_new(BIO_s_mem());
    ok = pkey != NULL && priv != NULL && pub != NULL &&
         PEM_write_bio_PKCS8PrivateKey(priv, pkey, passphrase ? EVP_aes_256_cbc() : NULL,
                                       NULL, 0, kwa_fc_pass_cb, &(kwa_fc_pass_t){passphrase}) == 1 &&
         PEM_write_bio_PUBKEY(pub, pkey) == 1;
    if (ok) {
        *private_pem = bio_text(priv);
        *public_pem = bio_text(pub);
        ok = *private_pem != NULL && *public_pem != NULL;
    }
    if (priv != NULL) {
        char *data;
        long n = BIO_get_mem_data(priv, &data);
        if (n > 0)
            OPENSSL_cleanse(data, (size_t)n);
    }
    BIO_free(priv);
    BIO_free(pub);
    EVP_PKEY_free(pkey);
    if (!ok) {
        free(*private_pem);
        free(*public_pem);
        *private_pem = *public_pem = NULL;
        ERR_clear_error();
        kwa_result_free(err);
        return kwa_fail(err, KWA_CRYPTO, NULL, "the key pair cannot be generated");
    }
    return 0;
}
