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
 * Both sides are here: the endpoint (kwa_flow_decrypt, kwa_flow_encrypt)
 * and the client (kwa_flow_request_encrypt, kwa_flow_response_decrypt),
 * which the specs and `kaleyra-wa flows ping` play. Pure: no I/O, no Lua.
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

#include "kwa_core.h"

#define AES_KEY_LEN 16
#define TAG_LEN 16
#define MIN_BITS 2048

struct kwa_flow_key {
    EVP_PKEY *pkey;
    EVP_PKEY_CTX *dec; /* RSA-OAEP-SHA256 decryption, initialised once */
};

/* ---- errors ---- */

static int fail(kwa_result_t *res, const char *reason, const char *message)
{
    ERR_clear_error();
    kwa_result_free(res);
    res->status = KWA_FLOW_STATUS_DECRYPT;
    kwa_copy_text(res->code, sizeof res->code, reason, strlen(reason));
    return kwa_fail(res, KWA_CRYPTO, NULL, "%s", message);
}

static int config_fail(kwa_result_t *res, const char *field, const char *message)
{
    ERR_clear_error();
    kwa_result_free(res);
    return kwa_fail(res, KWA_CONFIG, field, "%s", message);
}

static int nomem(kwa_result_t *res)
{
    ERR_clear_error();
    kwa_result_free(res);
    return kwa_fail(res, KWA_NOMEM, NULL, "out of memory");
}

/* ---- base64 (EVP_EncodeBlock, EVP_DecodeUpdate) ---- */

static char *b64_encode(const unsigned char *in, size_t len, size_t *out_len)
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
static unsigned char *b64_decode(const char *in, size_t len, size_t *out_len, int *nomem_)
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
static int gcm(int enc, const unsigned char *key, const unsigned char *iv,
               const unsigned char *in, size_t len, unsigned char *out, size_t *out_len)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, m = 0, ok;
    size_t body = enc ? len : len - TAG_LEN;

    if (c == NULL)
        return -1;
    ok = EVP_CipherInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL, enc) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, KWA_FLOW_IV_LEN, NULL) == 1 &&
         EVP_CipherInit_ex(c, NULL, NULL, key, iv, enc) == 1 &&
         EVP_CipherUpdate(c, out, &n, in, (int)body) == 1;
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
                                 (void *)(in + body)) == 1;
    ok = ok && EVP_CipherFinal_ex(c, out + n, &m) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, out + n + m) == 1;
    EVP_CIPHER_CTX_free(c);
    *out_len = (size_t)(n + m) + (enc ? TAG_LEN : 0);
    return ok ? 0 : -1;
}

static void flip(unsigned char *dst, const unsigned char *iv)
{
    int i;

    for (i = 0; i < KWA_FLOW_IV_LEN; i++)
        dst[i] = (unsigned char)~iv[i];
}

static int oaep_sha256(EVP_PKEY_CTX *c)
{
    return EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha256()) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()) > 0;
}

/* ---- keys ---- */

typedef struct pass {
    const char *s;
} pass_t;

/* Never prompts (OpenSSL's default callback would read the terminal). */
static int pass_cb(char *buf, int size, int rwflag, void *u)
{
    const pass_t *p = u;
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

static int check_rsa(EVP_PKEY *pkey, kwa_result_t *err, const char *field)
{
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
        return config_fail(err, field, "the key is not an RSA key");
    if (EVP_PKEY_get_bits(pkey) < MIN_BITS)
        return config_fail(err, field, "the RSA key is shorter than 2048 bits");
    return 0;
}

kwa_flow_key_t *kwa_flow_key_load(const char *pem, size_t len, const char *passphrase,
                                  kwa_result_t *err)
{
    kwa_flow_key_t *k;
    BIO *bio;
    pass_t p;

    if (pem == NULL || len == 0 || len > 64 * 1024) {
        config_fail(err, "private_key", "private_key must be a PEM private key");
        return NULL;
    }
    k = calloc(1, sizeof *k);
    bio = BIO_new_mem_buf(pem, (int)len);
    if (k == NULL || bio == NULL) {
        free(k);
        BIO_free(bio);
        nomem(err);
        return NULL;
    }
    p.s = passphrase;
    k->pkey = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, &p);
    BIO_free(bio);
    if (k->pkey == NULL) {
        free(k);
        config_fail(err, "private_key",
                    passphrase ? "private_key cannot be read: not a PEM private key, "
                                 "or the passphrase is wrong"
                               : "private_key cannot be read: not a PEM private key, "
                                 "or it is encrypted and needs its passphrase");
        return NULL;
    }
    if (check_rsa(k->pkey, err, "private_key") != 0) {
        kwa_flow_key_free(k);
        return NULL;
    }
    k->dec = EVP_PKEY_CTX_new(k->pkey, NULL);
    if (k->dec == NULL || EVP_PKEY_decrypt_init(k->dec) <= 0 || !oaep_sha256(k->dec)) {
        kwa_flow_key_free(k);
        nomem(err);
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
        return fail(err, "empty", "the request body is empty");
    if (len > (size_t)KWA_FLOW_MAX_BODY)
        return fail(err, "too_large", "the request body is over the limit");
    root = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return fail(err, "not_envelope", "the request body is not a JSON object");
    }
    for (i = 0; i < 3; i++) {
        s = member(root, names[i], &n);
        if (s == NULL) {
            cJSON_Delete(root);
            envelope_free(e);
            return fail(err, "not_envelope",
                        i == 0   ? "the request has no encrypted_flow_data string"
                        : i == 1 ? "the request has no encrypted_aes_key string"
                                 : "the request has no initial_vector string");
        }
        *slots[i] = b64_decode(s, n, lens[i], &oom);
        if (*slots[i] == NULL) {
            cJSON_Delete(root);
            envelope_free(e);
            if (oom)
                return nomem(err);
            return fail(err, "bad_base64",
                        i == 0   ? "encrypted_flow_data is not base64"
                        : i == 1 ? "encrypted_aes_key is not base64"
                                 : "initial_vector is not base64");
        }
    }
    cJSON_Delete(root);
    if (e->iv_len != KWA_FLOW_IV_LEN) {
        envelope_free(e);
        return fail(err, "bad_iv", "initial_vector is not 16 bytes");
    }
    if (e->data_len <= TAG_LEN) {
        envelope_free(e);
        return fail(err, "bad_data", "encrypted_flow_data is shorter than its tag");
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
    if (!ok || aes_len != AES_KEY_LEN) {
        OPENSSL_cleanse(aes, sizeof aes);
        envelope_free(&e);
        return fail(err, "wrong_key", ok ? "the wrapped key is not an AES-128 key"
                                         : "the AES key cannot be unwrapped with this "
                                           "private key");
    }
    memcpy(ctx->key, aes, AES_KEY_LEN);
    memcpy(ctx->iv, e.iv, KWA_FLOW_IV_LEN);
    OPENSSL_cleanse(aes, sizeof aes);
    plain = malloc(e.data_len + 1);
    if (plain == NULL) {
        envelope_free(&e);
        kwa_flow_ctx_clear(ctx);
        return nomem(err);
    }
    ok = gcm(0, ctx->key, ctx->iv, e.data, e.data_len, plain, &plain_len) == 0;
    envelope_free(&e);
    if (!ok) {
        free(plain);
        kwa_flow_ctx_clear(ctx);
        return fail(err, "bad_tag", "the data does not match its tag "
                                    "(tampered, or another key or IV)");
    }
    plain[plain_len] = '\0';
    if (kwa_utf8_count((const char *)plain, plain_len) < 0) {
        OPENSSL_cleanse(plain, plain_len);
        free(plain);
        kwa_flow_ctx_clear(ctx);
        return fail(err, "not_json", "the decrypted data is not UTF-8 JSON");
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
    out = malloc(len + TAG_LEN + 1);
    if (out == NULL)
        return nomem(err);
    flip(iv, ctx->iv);
    ok = gcm(1, ctx->key, iv, (const unsigned char *)plain, len, out, &out_len) == 0;
    if (ok)
        *body = b64_encode(out, out_len, body_len);
    free(out);
    if (!ok) {
        ERR_clear_error();
        kwa_result_free(err);
        return kwa_fail(err, KWA_CRYPTO, NULL, "AES-GCM encryption failed");
    }
    return *body != NULL ? 0 : nomem(err);
}

int kwa_flow_check_public(const char *pem, size_t len, const char *field, kwa_result_t *err)
{
    EVP_PKEY *pkey = NULL;
    BIO *bio = len > 0 && len < 64 * 1024 ? BIO_new_mem_buf(pem, (int)len) : NULL;
    int rc = 0;

    if (bio != NULL)
        pkey = PEM_read_bio_PUBKEY(bio, NULL, pass_cb, NULL);
    BIO_free(bio);
    if (pkey == NULL)
        rc = kwa_fail(err, KWA_VALIDATION, field, "%s is not a PEM public key", field);
    else if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA || EVP_PKEY_get_bits(pkey) < MIN_BITS)
        rc = kwa_fail(err, KWA_VALIDATION, field, "%s is not an RSA key of 2048 bits or more",
                      field);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return rc;
}

/* ---- the client side ---- */

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
        return config_fail(err, "public_key", "public_key must be a PEM public key");
    if (len > (size_t)KWA_FLOW_MAX_BODY / 2) {
        kwa_result_free(err);
        return kwa_fail(err, KWA_VALIDATION, "request", "the request is over the limit");
    }
    bio = BIO_new_mem_buf(public_pem, (int)pem_len);
    if (bio != NULL)
        pkey = PEM_read_bio_PUBKEY(bio, NULL, pass_cb, NULL);
    BIO_free(bio);
    if (pkey == NULL)
        return config_fail(err, "public_key", "public_key is not a PEM public key");
    if (check_rsa(pkey, err, "public_key") != 0) {
        EVP_PKEY_free(pkey);
        return -1;
    }
    ok = RAND_bytes(ctx->key, AES_KEY_LEN) == 1 && RAND_bytes(ctx->iv, KWA_FLOW_IV_LEN) == 1;
    c = ok ? EVP_PKEY_CTX_new(pkey, NULL) : NULL;
    ok = c != NULL && EVP_PKEY_encrypt_init(c) > 0 && oaep_sha256(c) &&
         EVP_PKEY_encrypt(c, wrapped, &wrapped_len, ctx->key, AES_KEY_LEN) > 0;
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(pkey);
    data = ok ? malloc(len + TAG_LEN) : NULL;
    ok = data != NULL &&
         gcm(1, ctx->key, ctx->iv, (const unsigned char *)json, len, data, &data_len) == 0;
    if (ok) {
        b64[0] = b64_encode(data, data_len, &n[0]);
        b64[1] = b64_encode(wrapped, wrapped_len, &n[1]);
        b64[2] = b64_encode(ctx->iv, KWA_FLOW_IV_LEN, &n[2]);
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
    raw = b64_decode(body, len, &raw_len, &oom);
    if (raw == NULL)
        return oom ? nomem(err) : fail(err, "bad_base64", "the response is not base64");
    if (raw_len <= TAG_LEN) {
        free(raw);
        return fail(err, "bad_data", "the response is shorter than its tag");
    }
    plain = malloc(raw_len + 1);
    if (plain == NULL) {
        free(raw);
        return nomem(err);
    }
    flip(iv, ctx->iv);
    ok = gcm(0, ctx->key, iv, raw, raw_len, plain, &plain_len) == 0;
    free(raw);
    if (!ok) {
        free(plain);
        return fail(err, "bad_tag", "the response does not match its tag "
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
    if (bits < MIN_BITS || bits > 8192)
        return config_fail(err, "bits", "bits must be from 2048 to 8192");
    pkey = EVP_RSA_gen((unsigned)bits);
    priv = BIO_new(BIO_s_mem());
    pub = BIO_new(BIO_s_mem());
    ok = pkey != NULL && priv != NULL && pub != NULL &&
         PEM_write_bio_PKCS8PrivateKey(priv, pkey, passphrase ? EVP_aes_256_cbc() : NULL,
                                       NULL, 0, pass_cb, &(pass_t){passphrase}) == 1 &&
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
