/*
 * kwa_transfer.c - one libcurl easy transfer (see kwa_transfer.h).
 *
 * Options fixed here: TLS peer and host verification on, no redirects,
 * http and https only, no signals, no Expect: 100-continue, answers over
 * KWA_MAX_RESPONSE refused, and no silent resend of a request (on_prereq).
 * Timeouts are not libcurl's: the engine ends a transfer at its deadlines
 * itself (kwa_engine.c), because CURLOPT_TIMEOUT_MS and
 * CURLOPT_CONNECTTIMEOUT_MS cost libcurl about 4.6k instructions per
 * transfer in timer bookkeeping (callgrind, libcurl 7.88), even on a
 * kept-alive connection. on_prereq tells the engine a connection is up.
 * The api-key lives only in the engine's header lists and a form
 * attempt's copy of one, each scrubbed before it is freed.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_transfer.h"

#define USER_AGENT "kaleyra-whatsapp/" KWA_VERSION " libcurl/" LIBCURL_VERSION

/* Overwrites secrets before free(); the volatile stores cannot be
 * dropped as dead the way a plain memset before free() can. Portable
 * where explicit_bzero or memset_s are not. */
static void scrub(void *p, size_t n)
{
    volatile unsigned char *b = p;

    while (n-- > 0)
        *b++ = 0;
}

/* ---- libcurl callbacks: C only, they never call back into users ---- */

static size_t on_data(char *data, size_t size, size_t n, void *ud)
{
    kwa_transfer_t *t = ud;
    size_t add = size * n, cap;
    char *grown;

    if (t->len + add > KWA_MAX_RESPONSE) {
        t->too_big = 1;
        return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
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

/* Called by libcurl right before it sends a request. A second call within
 * one attempt means libcurl is about to send the request again by itself:
 * it does so when a reused connection dies before any answer, yet the
 * service may already have acted on the first copy. Abort instead; the
 * caller gets an error that says the message may have been sent.
 * (A read callback without rewind would stop it too, but costs a second
 * send() per request; this keeps the body in the headers' write.) */
static int on_prereq(void *ud, char *conn_primary_ip, char *conn_local_ip,
                     int conn_primary_port, int conn_local_port)
{
    kwa_transfer_t *t = ud;

    (void)conn_primary_ip;
    (void)conn_local_ip;
    (void)conn_primary_port;
    (void)conn_local_port;
    return ++t->requests > 1 ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

/* ---- setup ---- */

struct curl_slist *kwa_transfer_headers(const char *api_key, int json)
{
    static const char *const fixed[] = {
        "Accept: application/json", "Expect:", "Content-Type: application/json",
    };
    size_t n = strlen(api_key) + sizeof "api-key: ", i;
    char *line = malloc(n);
    struct curl_slist *list, *next;

    if (line == NULL)
        return NULL;
    snprintf(line, n, "api-key: %s", api_key);
    list = curl_slist_append(NULL, line);
    scrub(line, n);
    free(line);
    for (i = 0; list != NULL && i < sizeof fixed / sizeof fixed[0] - (json ? 0 : 1); i++) {
        next = curl_slist_append(list, fixed[i]);
        if (next == NULL) {
            kwa_transfer_headers_free(list);
            return NULL;
        }
        list = next;
    }
    return list;
}

void kwa_transfer_headers_free(struct curl_slist *headers)
{
    struct curl_slist *h;

    for (h = headers; h != NULL; h = h->next)
        scrub(h->data, strlen(h->data));
    curl_slist_free_all(headers);
}

kwa_transfer_t *kwa_transfer_new(const kwa_config_t *cfg, struct curl_slist *headers,
                                 struct curl_slist *mime_headers)
{
    kwa_transfer_t *t = calloc(1, sizeof *t);
    CURL *h;

    if (t == NULL)
        return NULL;
    h = t->easy = curl_easy_init();
    if (h == NULL) {
        free(t);
        return NULL;
    }
    t->json_headers = headers;
    t->mime_headers = mime_headers;
    curl_easy_setopt(h, CURLOPT_PRIVATE, t);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    t->headers = headers;
    curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, t);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L); /* prefer multiplexing to new connections */
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    if (cfg->ca_file != NULL)
        curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
    if (cfg->ca_path != NULL)
        curl_easy_setopt(h, CURLOPT_CAPATH, cfg->ca_path);
    return t;
}

/* The attempt's own header list and mime body, if any. */
static void release_attempt(kwa_transfer_t *t)
{
    kwa_transfer_headers_free(t->own);
    t->own = NULL;
    curl_mime_free(t->mime); /* unbinds it from the easy handle */
    t->mime = NULL;
}

void kwa_transfer_free(kwa_transfer_t *t)
{
    if (t == NULL)
        return;
    curl_easy_cleanup(t->easy);
    release_attempt(t);
    free(t->url);
    free(t->buf);
    free(t);
}

/* The engine's list without a Content-Type (plain) plus "Content-Type:
 * type": a form body's headers. NULL on out of memory. */
static struct curl_slist *headers_with(const struct curl_slist *plain, const char *type)
{
    struct curl_slist *list = NULL, *next;
    char line[128];

    for (; plain != NULL; plain = plain->next) {
        next = curl_slist_append(list, plain->data);
        if (next == NULL)
            goto fail;
        list = next;
    }
    snprintf(line, sizeof line, "Content-Type: %s", type);
    next = curl_slist_append(list, line);
    if (next == NULL)
        goto fail;
    return next;
fail:
    kwa_transfer_headers_free(list);
    return NULL;
}

/* The request's parts as a curl_mime: the one place a multipart body is
 * made (libcurl encodes it). A file part streams from disk when the
 * transfer reads it (curl_mime_filedata), so a 100 MB document is never
 * held in memory; a bytes part is copied by curl_mime_data. NULL on out
 * of memory. */
static curl_mime *mime_of(CURL *h, const kwa_request_t *req)
{
    curl_mime *mime = curl_mime_init(h);
    curl_mimepart *part;
    size_t i;
    int ok = mime != NULL;

    for (i = 0; ok && i < req->nparts; i++) {
        const kwa_part_t *p = &req->parts[i];
        ok = (part = curl_mime_addpart(mime)) != NULL &&
             curl_mime_name(part, p->name) == CURLE_OK &&
             (p->path != NULL ? curl_mime_filedata(part, p->path)
                              : curl_mime_data(part, p->data, p->len)) == CURLE_OK &&
             (p->filename == NULL || curl_mime_filename(part, p->filename) == CURLE_OK) &&
             (p->type == NULL || curl_mime_type(part, p->type) == CURLE_OK);
    }
    if (!ok) {
        curl_mime_free(mime);
        return NULL;
    }
    return mime;
}

/* Gives the easy handle req's URL unless it has it already: most
 * attempts go to the client's one messages URL. The copy is compared by
 * contents, since a request's own URL may be freed and its memory reused. */
static void set_url(kwa_transfer_t *t, const char *url)
{
    if (t->url != NULL && strcmp(t->url, url) == 0)
        return;
    free(t->url);
    t->url = NULL; /* NULL: set it next time (out of memory here or in libcurl) */
    if (curl_easy_setopt(t->easy, CURLOPT_URL, url) == CURLE_OK)
        t->url = strdup(url);
}

/* libcurl keeps only the list's pointer, so equal pointers are the same list */
static void set_headers(kwa_transfer_t *t, const struct curl_slist *headers)
{
    if (headers != t->headers) {
        curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, headers);
        t->headers = headers;
    }
}

/* CURLOPT_CUSTOMREQUEST "DELETE" or none, set only when it changes. */
static void set_delete(kwa_transfer_t *t, int del)
{
    if (del != t->custom &&
        curl_easy_setopt(t->easy, CURLOPT_CUSTOMREQUEST, del ? "DELETE" : NULL) == CURLE_OK)
        t->custom = del;
}

/*
 * libcurl (7.88) walks every slot of its DNS cache at the end of every
 * transfer to drop names older than CURLOPT_DNS_CACHE_TIMEOUT (60 s by
 * default): some 800 instructions per message, more than anything else
 * this library adds to a request. With -1 it neither walks nor expires.
 * So a handle keeps -1, and once every KWA_DNS_TTL seconds runs one
 * attempt with KWA_DNS_TTL: that attempt's lookup re-resolves a name
 * older than that, and its end drops the old names. A name is thus
 * resolved again at most about 2 x KWA_DNS_TTL after it was (libcurl's
 * default: KWA_DNS_TTL), and a client sending nothing keeps nothing fresh,
 * as before.
 */
#define KWA_DNS_TTL 60L

static void set_dns(kwa_transfer_t *t, double now)
{
    int expires = now >= t->dns_next;

    if (expires)
        t->dns_next = now + KWA_DNS_TTL;
    if (expires != t->dns_expires &&
        curl_easy_setopt(t->easy, CURLOPT_DNS_CACHE_TIMEOUT, expires ? KWA_DNS_TTL : -1L) == CURLE_OK)
        t->dns_expires = expires;
}

int kwa_transfer_prepare(kwa_transfer_t *t, const kwa_request_t *req, double now)
{
    CURL *h = t->easy;
    int multipart = req->nparts > 0, del = strcmp(req->method, "DELETE") == 0;
    struct curl_slist *headers = multipart ? t->mime_headers : t->json_headers;

    t->len = 0;
    t->too_big = 0;
    t->requests = 0;
    t->errbuf[0] = '\0';
    release_attempt(t); /* the previous attempt's */
    set_url(t, req->url);
    if (!multipart && req->content_type != NULL) { /* a form */
        t->own = headers_with(t->mime_headers, req->content_type);
        if (t->own == NULL)
            return -1;
        headers = t->own;
    }
    set_headers(t, headers);
    set_delete(t, del);
    set_dns(t, now);
    if (del || strcmp(req->method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L); /* no body */
    } else if (multipart) {
        t->mime = mime_of(h, req);
        if (t->mime == NULL)
            return -1;
        curl_easy_setopt(h, CURLOPT_MIMEPOST, t->mime);
    } else {
        /* POSTFIELDS after MIMEPOST makes the easy handle post fields again */
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
    }
    return 0;
}

/* ---- what happened, in the outcome vocabulary ---- */

static kwa_io_t io_of(const kwa_transfer_t *t, CURLcode rc, int sent)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT: case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return KWA_IO_CONNECT_FAILED;
    case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH: case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND: case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED: case CURLE_SSL_SHUTDOWN_FAILED:
        return KWA_IO_TLS_FAILED;
    case CURLE_OPERATION_TIMEDOUT:
        return sent ? KWA_IO_TIMEOUT_SENT : KWA_IO_TIMEOUT_UNSENT;
    case CURLE_ABORTED_BY_CALLBACK: /* see on_prereq */
        return KWA_IO_CLOSED_SENT;
    case CURLE_WRITE_ERROR:
        return t->too_big ? KWA_IO_TOO_LARGE : KWA_IO_NOMEM;
    case CURLE_WEIRD_SERVER_REPLY: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
        return KWA_IO_NOT_HTTP;
    case CURLE_UNSUPPORTED_PROTOCOL:
        /* also what libcurl says when a server answers with bytes that
         * are not an HTTP status line ("Received HTTP/0.9 when not
         * allowed"): that is the server's fault, not the URL's */
        return strstr(t->errbuf, "HTTP/0.9") != NULL ? KWA_IO_NOT_HTTP : KWA_IO_BAD_URL;
    case CURLE_URL_MALFORMAT:
        return KWA_IO_BAD_URL;
    case CURLE_OUT_OF_MEMORY:
        return KWA_IO_NOMEM;
    default: /* send, receive, empty or partial answers, and the rest */
        return sent ? KWA_IO_CLOSED_SENT : KWA_IO_CLOSED_UNSENT;
    }
}

void kwa_transfer_outcome(kwa_transfer_t *t, CURLcode rc, kwa_outcome_t *o)
{
    curl_off_t retry_after = 0;
    long request_size = 0;

    memset(o, 0, sizeof o[0]);
    if (rc == CURLE_OK) {
        o->io = KWA_IO_ANSWER;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &o->status);
        o->body = t->buf != NULL ? t->buf : "";
        o->body_len = t->len;
        /* libcurl has already turned an HTTP-date into seconds from now */
        curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &retry_after);
        if (retry_after > 0) {
            snprintf(t->retry_after, sizeof t->retry_after, "%lld", (long long)retry_after);
            o->retry_after = t->retry_after;
        }
        return;
    }
    curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &request_size);
    o->io = io_of(t, rc, request_size > 0);
    if (rc != CURLE_ABORTED_BY_CALLBACK && o->io != KWA_IO_NOMEM)
        o->detail = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
}
