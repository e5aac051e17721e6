/*
 * kwa_flowcrypt.c - the cryptography of WhatsApp Flows' data endpoint
 * (flows-api.md section 3), with OpenSSL's libcrypto and nothing by hand:
 *
 *   request  {"encrypted_flow_data", "encrypted_aes_key", "initial_vector"}
 *            (base64): the AES-128 key wrapped with RSA-OAEP (SHA-256,
 *            MGF1 SHA-256) to the business key; the data is AES-128-GCM
 *            under a 16-byte IV, with the 16-byte tag appended.
 *   response base64(AES-128-GCM(same key, IV with every byte flipped,
 *            JSON) || tag).
 *
 * This file: the shared primitives (kwa_flowcrypt_int.h), the business
 * key and the endpoint (kwa_flow_decrypt, kwa_flow_encrypt). The client
 * side and key generation are in kwa_flowcrypt_client.c. Pure: no I/O,
 * no Lua.
 *
 * Caveats: every failure is a value (kind KWA_CRYPTO, status 421, a
 * reason token in res->code), never an abort; OpenSSL's error queue is
 * cleared after each failure so it never leaks into another caller's
 * ERR_get_error. A kwa_flow_key_t caches its decryption context, so one
 * key is used by one thread at a time (one per nginx worker). Key bytes
 * are scrubbed with OPENSSL_cleanse; the passphrase is never stored.
 *
 * Ownership: kwa_flow_key_t is freed with kwa_flow_key_free; output
 * buffers are malloc'd and freed by the caller with free(); a
 * kwa_flow_ctx_t is the caller's and is scrubbed by kwa_flow_ctx_clear.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "kwa_flowcrypt_int.h"


struct kwa_flow_key {
    EVP_PKEY *pkey;
    EVP_PKEY_CTX *dec; /* RSA-OAEP-SHA256 decryption, initialised once */
};

/* ---- errors ---- */

int kwa_fc_fail(kwa_result_t *res, const char *reason, const char *message)
{
    ERR_clear_error();
    kwa_result_free(res);
    res->status = KWA_FLOW_STATUS_DECRYPT;
    kwa_copy_text(res->code, sizeof res->code, reason, strlen(reason));
    return kwa_fail(res, KWA_CRYPTO, NULL, "%s", message);
}

int kwa_fc_config_fail(kwa_result_t *res, const char *field, const char *message)
{
    ERR_clear_error();
    kwa_result_free(res);
    return kwa_fail(res, KWA_CONFIG, field, "%s", message);
}

int kwa_fc_nomem(kwa_result_t *res)
{
    ERR_clear_error();
    kwa_result_free(res);
    return kwa_fail(res, KWA_NOMEM, NULL, "out of memory");
}

/* ---- base64 (EVP_EncodeBlock, EVP_DecodeUpdate) ---- */

char *kwa_fc_b64_encode(const unsigned char *in, size_t len, size_t *out_len)
{
    size_t cap = 4 * ((len + 2) / 3) + 1;
    char *out;
    int n;

    if (len > (size_t)KWA_FLOW_MAX_BODY)
        return NULL;
    out = malloc(cap);
    if (out == NULL)
        return NULL;
    n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    *out_len = (size_t)n;
    out[n] = '\0';
    return out;
}

/* Decodes standard base64 (whitespace ignored, padding checked). NULL
 * when it is not base64; *nomem says whether allocation failed. */
unsigned char *kwa_fc_b64_decode(const char *in, size_t len, size_t *out_len, int *nomem_)
{
    EVP_ENCODE_CTX *ctx;
    unsigned char *out;
    int n = 0, m = 0, ok;

    *nomem_ = 0;
    if (len == 0 || len > (size_t)KWA_FLOW_MAX_BODY)
        return NULL;
    out = malloc(len / 4 * 3 + 4);
    ctx = EVP_ENCODE_CTX_new();
    if (out == NULL || ctx == NULL) {
        *nomem_ = 1;
        free(out);
        EVP_ENCODE_CTX_free(ctx);
        return NULL;
    }
    EVP_DecodeInit(ctx);
    ok = EVP_DecodeUpdate(ctx, out, &n, (const unsigned char *)in, (int)len) >= 0 &&
         EVP_DecodeFinal(ctx, out + n, &m) == 1;
    EVP_ENCODE_CTX_free(ctx);
    if (!ok || n + m == 0) {
        free(out);
        return NULL;
    }
    *out_len = (size_t)(n + m);
    return out;
}

/* ---- AES-128-GCM ---- */

/* Encrypts (enc = 1: out = ciphertext || tag) or decrypts (enc = 0: in
 * ends with the tag; out = plaintext). *out_len is set. 0, or -1 when
 * the tag does not match or OpenSSL failed. */
int kwa_fc_gcm(int enc, const unsigned char *key, const unsigned char *iv,
               const unsigned char *in, size_t len, unsigned char *out, size_t *out_len)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, m = 0, ok;
    size_t body = enc ? len : len - KWA_FC_TAG_LEN;

    if (c == NULL)
        return -1;
    ok = EVP_CipherInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL, enc) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, KWA_FLOW_IV_LEN, NULL) == 1 &&
         EVP_CipherInit_ex(c, NULL, NULL, key, iv, enc) == 1 &&
         EVP_CipherUpdate(c, out, &n, in, (int)body) == 1;
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, KWA_FC_TAG_LEN,
                                 (void *)(in + body)) == 1;
    ok = ok && EVP_CipherFinal_ex(c, out + n, &m) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, KWA_FC_TAG_LEN, out + n + m) == 1;
    EVP_CIPHER_CTX_free(c);
    *out_len = (size_t)(n + m) + (enc ? KWA_FC_TAG_LEN : 0);
    return ok ? 0 : -1;
}

void kwa_fc_flip(unsigned char *dst, const unsigned char *iv)
{
    int i;

    for (i = 0; i < KWA_FLOW_IV_LEN; i++)
        dst[i] = (unsigned char)~iv[i];
}

int kwa_fc_oaep_sha256(EVP_PKEY_CTX *c)
{
    return EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha256()) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()) > 0;
}

/* ---- keys ---- */

/* Never prompts (OpenSSL's default callback would read the terminal). */
int kwa_fc_pass_cb(char *buf, int size, int rwflag, void *u)
{
    const kwa_fc_pass_t *p = u;
    size_t n;

    (void)rwflag;
    if (p == NULL || p->s == NULL)
        return -1;
    n = strlen(p->s);
    if (n > (size_t)size)
        return -1;
    memcpy(buf, p->s, n);
    return (int)n;
}

int kwa_fc_check_rsa(EVP_PKEY *pkey, kwa_result_t *err, const char *field)
{
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
        return kwa_fc_config_fail(err, field, "the key is not an RSA key");
    if (EVP_PKEY_get_bits(pkey) < KWA_FC_MIN_BITS)
        return kwa_fc_config_fail(err, field, "the RSA key is shorter than 2048 bits");
    return 0;
}

kwa_flow_key_t *kwa_flow_key_load(const char *pem, size_t len, const char *passphrase,
                                  kwa_result_t *err)
{
    kwa_flow_key_t *k;
    BIO *bio;
    kwa_fc_pass_t p;

    if (pem == NULL || len == 0 || len > 64 * 1024) {
        kwa_fc_config_fail(err, "private_key", "private_key must be a PEM private key");
        return NULL;
    }
    k = calloc(1, sizeof *k);
    bio = BIO_new_mem_buf(pem, (int)len);
    if (k == NULL || bio == NULL) {
        free(k);
        BIO_free(bio);
        kwa_fc_nomem(err);
        return NULL;
    }
    p.s = passphrase;
    k->pkey = PEM_read_bio_PrivateKey(bio, NULL, kwa_fc_pass_cb, &p);
    BIO_free(bio);
    if (k->pkey == NULL) {
        free(k);
        kwa_fc_config_fail(err, "private_key",
                    passphrase ? "private_key cannot be read: not a PEM private key, "
                                 "or the passphrase is wrong"
                               : "private_key cannot be read: not a PEM private key, "
                                 "or it is encrypted and needs its passphrase");
        return NULL;
    }
    if (kwa_fc_check_rsa(k->pkey, err, "private_key") != 0) {
        kwa_flow_key_free(k);
        return NULL;
    }
    k->dec = EVP_PKEY_CTX_new(k->pkey, NULL);
    if (k->dec == NULL || EVP_PKEY_decrypt_init(k->dec) <= 0 || !kwa_fc_oaep_sha256(k->dec)) {
        kwa_flow_key_free(k);
        kwa_fc_nomem(err);
        return NULL;
    }
    return k;
}

void kwa_flow_key_free(kwa_flow_key_t *key)
{
    if (key == NULL)
        return;
    EVP_PKEY_CTX_free(key->dec);
    EVP_PKEY_free(key->pkey); /* OpenSSL scrubs the private numbers */
    free(key);
}

void kwa_flow_ctx_clear(kwa_flow_ctx_t *ctx)
{
    if (ctx != NULL)
        OPENSSL_cleanse(ctx, sizeof *ctx);
}

/* ---- the endpoint ---- */

static const char *member(const cJSON *obj, const char *name, size_t *len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (!cJSON_IsString(item))
        return NULL;
    *len = strlen(item->valuestring);
    return item->valuestring;
}

/* The three base64 members of a request envelope, decoded. */
typedef struct envelope {
    unsigned char *data, *key, *iv;
    size_t data_len, key_len, iv_len;
} envelope_t;

static void envelope_free(envelope_t *e)
{
    free(e->data);
    free(e->key);
    free(e->iv);
}

static int read_envelope(envelope_t *e, const char *body, size_t len, kwa_result_t *err)
{
    static const char *const names[] = {"encrypted_flow_data", "encrypted_aes_key",
                                        "initial_vector"};
    unsigned char **slots[3];
    size_t *lens[3], n;
    const char *s;
    cJSON *root;
    int i, oom = 0;

    memset(e, 0, sizeof *e);
    slots[0] = &e->data, slots[1] = &e->key, slots[2] = &e->iv;
    lens[0] = &e->data_len, lens[1] = &e->key_len, lens[2] = &e->iv_len;
    if (body == NULL || len == 0)
        return kwa_fc_fail(err, "empty", "the request body is empty");
    if (len > (size_t)KWA_FLOW_MAX_BODY)
        return kwa_fc_fail(err, "too_large", "the request body is over the limit");
    root = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return kwa_fc_fail(err, "not_envelope", "the request body is not a JSON object");
    }
    for (i = 0; i < 3; i++) {
        s = member(root, names[i], &n);
        if (s == NULL) {
            cJSON_Delete(root);
            envelope_free(e);
            return kwa_fc_fail(err, "not_envelope",
                        i == 0   ? "the request has no encrypted_flow_data string"
                        : i == 1 ? "the request has no encrypted_aes_key string"
                                 : "the request has no initial_vector string");
        }
        *slots[i] = kwa_fc_b64_decode(s, n, lens[i], &oom);
        if (*slots[i] == NULL) {
            cJSON_Delete(root);
            envelope_free(e);
            if (oom)
                return kwa_fc_nomem(err);
            return kwa_fc_fail(err, "bad_base64",
                        i == 0   ? "encrypted_flow_data is not base64"
                        : i == 1 ? "encrypted_aes_key is not base64"
                                 : "initial_vector is not base64");
        }
    }
    cJSON_Delete(root);
    if (e->iv_len != KWA_FLOW_IV_LEN) {
        envelope_free(e);
        return kwa_fc_fail(err, "bad_iv", "initial_vector is not 16 bytes");
    }
    if (e->data_len <= KWA_FC_TAG_LEN) {
        envelope_free(e);
        return kwa_fc_fail(err, "bad_data", "encrypted_flow_data is shorter than its tag");
    }
    return 0;
}

int kwa_flow_decrypt(kwa_flow_key_t *key, const char *body, size_t len, char **json,
                     size_t *json_len, kwa_flow_ctx_t *ctx, kwa_result_t *err)
{
    unsigned char aes[512];
    size_t aes_len = sizeof aes, plain_len = 0;
    unsigned char *plain;
    envelope_t e;
    int ok;

    *json = NULL;
    memset(ctx, 0, sizeof *ctx);
    if (read_envelope(&e, body, len, err) != 0)
        return -1;
    ok = EVP_PKEY_decrypt(key->dec, aes, &aes_len, e.key, e.key_len) > 0;
    if (!ok || aes_len != KWA_FC_KEY_LEN) {
        OPENSSL_cleanse(aes, sizeof aes);
        envelope_free(&e);
        return kwa_fc_fail(err, "wrong_key", ok ? "the wrapped key is not an AES-128 key"
                                         : "the AES key cannot be unwrapped with this "
                                           "private key");
    }
    memcpy(ctx->key, aes, KWA_FC_KEY_LEN);
    memcpy(ctx->iv, e.iv, KWA_FLOW_IV_LEN);
    OPENSSL_cleanse(aes, sizeof aes);
    plain = malloc(e.data_len + 1);
    if (plain == NULL) {
        envelope_free(&e);
        kwa_flow_ctx_clear(ctx);
        return kwa_fc_nomem(err);
    }
    ok = kwa_fc_gcm(0, ctx->key, ctx->iv, e.data, e.data_len, plain, &plain_len) == 0;
    envelope_free(&e);
    if (!ok) {
        free(plain);
        kwa_flow_ctx_clear(ctx);
        return kwa_fc_fail(err, "bad_tag", "the data does not match its tag "
                                    "(tampered, or another key or IV)");
    }
    plain[plain_len] = '\0';
    if (kwa_utf8_count((const char *)plain, plain_len) < 0) {
        OPENSSL_cleanse(plain, plain_len);
        free(plain);
        kwa_flow_ctx_clear(ctx);
        return kwa_fc_fail(err, "not_json", "the decrypted data is not UTF-8 JSON");
    }
    *json = (char *)plain;
    *json_len = plain_len;
    return 0;
}

int kwa_flow_encrypt(const kwa_flow_ctx_t *ctx, const char *plain, size_t len, char **body,
                     size_t *body_len, kwa_result_t *err)
{
    unsigned char iv[KWA_FLOW_IV_LEN], *out;
    size_t out_len = 0;
    int ok;

    *body = NULL;
    if (len > (size_t)KWA_FLOW_MAX_BODY / 2) {
        kwa_result_free(err);
        return kwa_fail(err, KWA_VALIDATION, "response", "the response is over the limit");
    }
    out = malloc(len + KWA_FC_TAG_LEN + 1);
    if (out == NULL)
        return kwa_fc_nomem(err);
    kwa_fc_flip(iv, ctx->iv);
    ok = kwa_fc_gcm(1, ctx->key, iv, (const unsigned char *)plain, len, out, &out_len) == 0;
    if (ok)
        *body = kwa_fc_b64_encode(out, out_len, body_len);
    free(out);
    if (!ok) {
        ERR_clear_error();
        kwa_result_free(err);
        return kwa_fail(err, KWA_CRYPTO, NULL, "AES-GCM encryption failed");
    }
    return *body != NULL ? 0 : kwa_fc_nomem(err);
}

int kwa_flow_check_public(const char *pem, size_t len, const char *field, kwa_result_t *err)
{
    EVP_PKEY *pkey = NULL;
    BIO *bio = len > 0 && len < 64 * 1024 ? BIO_new_mem_buf(pem, (int)len) : NULL;
    int rc = 0;

    if (bio != NULL)
        pkey = PEM_read_bio_PUBKEY(bio, NULL, kwa_fc_pass_cb, NULL);
    BIO_free(bio);
    if (pkey == NULL)
        rc = kwa_fail(err, KWA_VALIDATION, field, "%s is not a PEM public key", field);
    else if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA || EVP_PKEY_get_bits(pkey) < KWA_FC_MIN_BITS)
        rc = kwa_fail(err, KWA_VALIDATION, field, "%s is not an RSA key of 2048 bits or more",
                      field);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return rc;
}
