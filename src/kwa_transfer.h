/*
 * kwa_transfer.h - one libcurl easy transfer of the engine: the handle
 * with every option the library fixes, the answer buffer, and the map
 * from what libcurl reports (CURLcode, status, Retry-After) to the
 * transport-agnostic outcome of kwa_dispatch.h. Nothing here decides
 * anything: kwa_dispatch_classify() gives outcomes their meaning.
 *
 * Ownership: a transfer owns its easy handle and buffer; the header list
 * (made by kwa_transfer_headers, holding the api-key) is shared by all
 * transfers of an engine and scrubbed when freed.
 */
#ifndef KWA_TRANSFER_H
#define KWA_TRANSFER_H

#include <curl/curl.h>

#include "kwa_dispatch.h"

typedef struct kwa_transfer {
    struct kwa_transfer *prev, *next; /* the engine's active or spare list */
    kwa_job_t *job;                   /* while it runs */
    CURL *easy;
    char *buf; /* the answer so far, NUL-terminated */
    size_t len, cap;
    int requests; /* times libcurl was about to send this attempt */
    int too_big;
    struct curl_slist *shared; /* the engine's header list */
    struct curl_slist *own;    /* this attempt's, when its Content-Type differs */
    curl_mime *mime;           /* this attempt's multipart body, or NULL */
    char retry_after[24];
    char errbuf[CURL_ERROR_SIZE];
} kwa_transfer_t;

/* The api-key, content-type and accept lines; NULL on out of memory. */
struct curl_slist *kwa_transfer_headers(const char *api_key);
void kwa_transfer_headers_free(struct curl_slist *headers); /* scrubs */

/* A transfer with its easy handle set up from cfg; NULL on out of memory.
 * cfg and headers must outlive it. */
kwa_transfer_t *kwa_transfer_new(const kwa_config_t *cfg, struct curl_slist *headers);
void kwa_transfer_free(kwa_transfer_t *t); /* NULL is a no-op */

/* Readies t for one attempt of req (borrowed until it ends): its method,
 * body (JSON, a form, or multipart built with curl_mime) and headers.
 * 0, or -1 when out of memory (nothing to send then). */
int kwa_transfer_prepare(kwa_transfer_t *t, const kwa_request_t *req);

/* What the attempt that ended with rc amounts to. o borrows t's buffers:
 * use it before t is prepared again. */
void kwa_transfer_outcome(kwa_transfer_t *t, CURLcode rc, kwa_outcome_t *o);

#endif /* KWA_TRANSFER_H */
