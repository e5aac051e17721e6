/*
 * kwa_callback_auth.c - checks the credentials a callback arrives with:
 * Basic and Bearer Authorization, a custom header (Kaleyra's callback
 * profiles offer the three) and Meta's X-Hub-Signature-256. No I/O.
 *
 * Every cryptographic step is OpenSSL's libcrypto: SHA-256 and HMAC-SHA256
 * (EVP, HMAC), base64 (EVP_EncodeBlock) and CRYPTO_memcmp. Secrets are
 * compared as SHA-256 digests with CRYPTO_memcmp, so neither the content
 * nor the length of the expected value shows in the time taken.
 *
 * Reasons are static texts of the library's own words: they never hold
 * the secret or the received value, so they are safe to log.
 */
#define _POSIX_C_SOURCE 200809L /* strncasecmp */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "kwa_core.h"

static int fail(const char **reason, const char *why)
{
    if (reason != NULL)
        *reason = why;
    return 0;
}

/* 1 if a and b (of any lengths) are equal; the time depends on the
 * lengths only through SHA-256 of each, never on where they differ. */
static int same_secret(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
    unsigned int na = 0, nb = 0;

    if (!EVP_Digest(a, alen, da, &na, EVP_sha256(), NULL) ||
        !EVP_Digest(b, blen, db, &nb, EVP_sha256(), NULL) || na != nb)
        return 0;
    return CRYPTO_memcmp(da, db, na) == 0;
}

/* The credentials after "<scheme> " (scheme case-insensitive, spaces
 * around allowed), or NULL. */
static const char *after_scheme(const char *header, const char *scheme)
{
    size_t n = strlen(scheme);

    while (*header == ' ' || *header == '\t')
        header++;
    if (strncasecmp(header, scheme, n) != 0 || (header[n] != ' ' && header[n] != '\t'))
        return NULL;
    header += n;
    while (*header == ' ' || *header == '\t')
        header++;
    return header;
}

static size_t trimmed_len(const char *s)
{
    size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n;
}

int kwa_callback_check_basic(const char *header, const char *user,
                             const char *password, const char **reason)
{
    unsigned char plain[1024], encoded[1400];
    size_t ul, pl;
    const char *cred;
    int n, ok;

    if (user == NULL || password == NULL || user[0] == '\0')
        return fail(reason, "no user and password configured");
    ul = strlen(user);
    pl = strlen(password);
    if (ul + 1 + pl > sizeof plain || strchr(user, ':') != NULL)
        return fail(reason, "the configured user or password is unusable");
    if (header == NULL || header[0] == '\0')
        return fail(reason, "no Authorization header");
    cred = after_scheme(header, "Basic");
    if (cred == NULL)
        return fail(reason, "Authorization is not Basic");
    memcpy(plain, user, ul);
    plain[ul] = ':';
    memcpy(plain + ul + 1, password, pl);
    n = EVP_EncodeBlock(encoded, plain, (int)(ul + 1 + pl));
    ok = n > 0 && same_secret(cred, trimmed_len(cred), (const char *)encoded, (size_t)n);
    OPENSSL_cleanse(plain, sizeof plain);
    OPENSSL_cleanse(encoded, sizeof encoded);
    return ok ? 1 : fail(reason, "wrong user or password");
}

int kwa_callback_check_bearer(const char *header, const char *token,
                              const char **reason)
{
    const char *cred;

    if (token == NULL || token[0] == '\0')
        return fail(reason, "no token configured");
    if (header == NULL || header[0] == '\0')
        return fail(reason, "no Authorization header");
    cred = after_scheme(header, "Bearer");
    if (cred == NULL)
        return fail(reason, "Authorization is not Bearer");
    if (!same_secret(cred, trimmed_len(cred), token, strlen(token)))
        return fail(reason, "wrong token");
    return 1;
}

int kwa_callback_check_header(const char *value, const char *expected,
                              const char **reason)
{
    if (expected == NULL || expected[0] == '\0')
        return fail(reason, "no expected value configured");
    if (value == NULL || value[0] == '\0')
        return fail(reason, "header missing");
    if (!same_secret(value, strlen(value), expected, strlen(expected)))
        return fail(reason, "header value does not match");
    return 1;
}

int kwa_callback_verify_signature(const char *body, size_t len,
                                  const char *header, const char *app_secret,
                                  const char **reason)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    char want[2 * EVP_MAX_MD_SIZE], got[64];
    unsigned int n = 0, i;

    if (app_secret == NULL || app_secret[0] == '\0')
        return fail(reason, "no app secret configured");
    if (header == NULL || header[0] == '\0')
        return fail(reason, "no X-Hub-Signature-256 header");
    if (strncasecmp(header, "sha256=", 7) != 0)
        return fail(reason, "signature does not start with sha256=");
    header += 7;
    if (trimmed_len(header) != 64)
        return fail(reason, "signature is not 64 hex digits");
    for (i = 0; i < 64; i++) {
        char ch = header[i];
        if (ch >= 'A' && ch <= 'F')
            ch = (char)(ch - 'A' + 'a');
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return fail(reason, "signature is not 64 hex digits");
        got[i] = ch;
    }
    if (HMAC(EVP_sha256(), app_secret, (int)strlen(app_secret),
             (const unsigned char *)(body != NULL ? body : ""), len, mac, &n) == NULL ||
        n != 32)
        return fail(reason, "cannot compute HMAC-SHA256");
    for (i = 0; i < n; i++) {
        want[2 * i] = hex[mac[i] >> 4];
        want[2 * i + 1] = hex[mac[i] & 15];
    }
    OPENSSL_cleanse(mac, sizeof mac);
    i = CRYPTO_memcmp(got, want, 64) == 0;
    OPENSSL_cleanse(want, sizeof want);
    return i ? 1 : fail(reason, "signature does not match");
}
