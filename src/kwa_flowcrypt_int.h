/*
 * kwa_flowcrypt_int.h - what kwa_flowcrypt.c (the endpoint) and
 * kwa_flowcrypt_client.c (the WhatsApp side, key generation) share: the
 * sizes and the OpenSSL primitives they are both built from. Internal;
 * nothing here is part of kwa.h.
 */
#ifndef KWA_FLOWCRYPT_INT_H
#define KWA_FLOWCRYPT_INT_H

#include <openssl/evp.h>

#include "kwa_core.h"

#define KWA_FC_KEY_LEN 16   /* AES-128 */
#define KWA_FC_TAG_LEN 16   /* GCM tag, appended to the data */
#define KWA_FC_MIN_BITS 2048 /* smallest RSA key accepted */

/* A passphrase for kwa_fc_pass_cb (NULL: none). */
typedef struct kwa_fc_pass {
    const char *s;
} kwa_fc_pass_t;

/* Each fills res (kind KWA_CRYPTO with status 421 and the reason token in
 * res->code; KWA_CONFIG naming field; KWA_NOMEM), clears OpenSSL's error
 * queue and returns -1. */
int kwa_fc_fail(kwa_result_t *res, const char *reason, const char *message);
int kwa_fc_config_fail(kwa_result_t *res, const char *field, const char *message);
int kwa_fc_nomem(kwa_result_t *res);

/* Standard base64 of in (malloc'd, NUL-terminated; *out_len set), or NULL. */
char *kwa_fc_b64_encode(const unsigned char *in, size_t len, size_t *out_len);
/* Decodes base64 (malloc'd; *out_len set), or NULL when it is not base64
 * (*nomem says whether allocation failed instead). */
unsigned char *kwa_fc_b64_decode(const char *in, size_t len, size_t *out_len, int *nomem);

/* AES-128-GCM with a KWA_FLOW_IV_LEN IV: enc = 1 writes ciphertext || tag,
 * enc = 0 reads in as ciphertext || tag. 0, or -1 (tag mismatch, OpenSSL). */
int kwa_fc_gcm(int enc, const unsigned char *key, const unsigned char *iv,
               const unsigned char *in, size_t len, unsigned char *out, size_t *out_len);
/* dst = every byte of iv flipped: the response's IV. */
void kwa_fc_flip(unsigned char *dst, const unsigned char *iv);
/* Sets RSA-OAEP with SHA-256 and MGF1-SHA-256 on c; 1, or 0. */
int kwa_fc_oaep_sha256(EVP_PKEY_CTX *c);
/* OpenSSL's passphrase callback over a kwa_fc_pass_t; never prompts. */
int kwa_fc_pass_cb(char *buf, int size, int rwflag, void *u);
/* 0 if pkey is RSA of KWA_FC_MIN_BITS or more, else a config error on field. */
int kwa_fc_check_rsa(EVP_PKEY *pkey, kwa_result_t *err, const char *field);

#endif /* KWA_FLOWCRYPT_INT_H */
