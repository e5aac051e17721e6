/*
 * kwa_transport.c - libcurl easy-handle transport.
 *
 * Policy fixed here, not configurable: TLS peer and host verification on,
 * redirects never followed, only http and https, no signals (safe in
 * threaded hosts), Expect: 100-continue off. Answers over KWA_MAX_RESPONSE
 * are cut off and reported, so a hostile server cannot exhaust memory.
 *
 * Secrets: the api-key lives only in the header list, which is scrubbed
 * before it is freed; curl's error texts name hosts and ports, not headers.
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_transport.h"

#define USER_AGENT "kaleyra-whatsapp/" KWA_VERSION " libcurl/" LIBCURL_VERSION

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init_once(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int kwa_global_init(void)
{
    pthread_once(&global_once, global_init_once);
    return global_rc == CURLE_OK ? 0 : -1;
}

static size_t on_data(char *data, size_t size, size_t n, void *ud)
{
    kwa_transport_t *t = ud;
    size_t add = size * n, cap;
    char *grown;

    if (t->len + add > KWA_MAX_RESPONSE) {
        t->too_big = 1;
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    }
    if (t->len + add + 1 > t->cap) {
        cap = t->cap ? t->cap : 1024;
        while (cap < t->len + add + 1)
            cap *= 2;
        grown = realloc(t->buf, cap);
        if (grown == NULL)
            return 0;
        t->buf = grown;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, data, add);
    t->len += add;
    t->buf[t->len] = '\0';
    return add;
}

static struct curl_slist *make_headers(const char *api_key)
{
    struct curl_slist *list = NULL, *next;
    size_t n = strlen(api_key) + sizeof "api-key: ";
    char *line = malloc(n);
    static const char *const fixed[] = {
        "Content-Type: application/json", "Accept: application/json", "Expect:",
    };
    size_t i;

    if (line == NULL)
        return NULL;
    snprintf(line, n, "api-key: %s", api_key);
    list = curl_slist_append(NULL, line);
    explicit_bzero(line, n);
    free(line);
    for (i = 0; list != NULL && i < sizeof fixed / sizeof fixed[0]; i++) {
        next = curl_slist_append(list, fixed[i]);
        if (next == NULL) {
            curl_slist_free_all(list); /* nothing secret is left unscrubbed: */
            return NULL;               /* see kwa_transport_free */
        }
        list = next;
    }
    return list;
}

int kwa_transport_init(kwa_transport_t *t, const kwa_config_t *cfg, kwa_result_t *err)
{
    CURL *e;

    memset(t, 0, sizeof *t);
    if (kwa_global_init() != 0)
        return kwa_fail(err, KWA_NETWORK, NULL, "libcurl failed to initialise");
    t->easy = e = curl_easy_init();
    t->headers = make_headers(cfg->api_key);
    if (e == NULL || t->headers == NULL) {
        kwa_transport_free(t);
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    if (cfg->ca_file != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, cfg->ca_file);
    return 0;
}

void kwa_transport_free(kwa_transport_t *t)
{
    struct curl_slist *h;

    if (t->easy != NULL)
        curl_easy_cleanup(t->easy);
    for (h = t->headers; h != NULL; h = h->next)
        explicit_bzero(h->data, strlen(h->data));
    curl_slist_free_all(t->headers);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

/* Maps a failed transfer to an error kind; `sent` says whether any of the
 * request may have left this machine, which decides if a retry is safe. */
static int transfer_error(kwa_transport_t *t, CURLcode rc, kwa_result_t *res)
{
    curl_off_t request_size = 0;
    const char *why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
    kwa_kind_t kind = KWA_NETWORK;

    curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &request_size);
    kwa_result_free(res);
    res->sent = request_size > 0;
    res->retryable = 1;
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        kind = KWA_TIMEOUT;
        break;
    case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH: case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND: case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED: case CURLE_SSL_SHUTDOWN_FAILED:
        kind = KWA_TLS, res->retryable = 0;
        break;
    case CURLE_UNSUPPORTED_PROTOCOL: case CURLE_URL_MALFORMAT:
        kind = KWA_CONFIG, res->retryable = 0;
        break;
    case CURLE_OUT_OF_MEMORY:
        kind = KWA_NOMEM;
        break;
    case CURLE_WRITE_ERROR:
        if (t->too_big)
            return kwa_fail(res, KWA_PROTOCOL, NULL,
                            "the answer is larger than %d bytes", KWA_MAX_RESPONSE);
        kind = KWA_NOMEM;
        break;
    case CURLE_WEIRD_SERVER_REPLY: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
        kind = KWA_PROTOCOL;
        break;
    default: /* resolve, connect, send, receive, partial answers */
        break;
    }
    return kwa_fail(res, kind, NULL, "%s", why);
}

int kwa_transport_post(kwa_transport_t *t, const kwa_request_t *req,
                       kwa_op_t op, kwa_result_t *res)
{
    CURLcode rc;
    long status = 0;

    t->len = 0;
    t->too_big = 0;
    t->errbuf[0] = '\0';
    curl_easy_setopt(t->easy, CURLOPT_URL, req->url);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, req->body);
    curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    rc = curl_easy_perform(t->easy);
    if (rc != CURLE_OK)
        return transfer_error(t, rc, res);
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    return kwa_response_parse(res, op, status, t->buf ? t->buf : "", t->len);
}
