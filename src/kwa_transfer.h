/*
 * kwa_transfer.h - one libcurl easy transfer of the engine: the handle
 * with every option the library fixes, the answer buffer, and the map
 * from what libcurl reports (CURLcode, status, Retry-After) to the
 * transport-agnostic outcome of kwa_dispatch.h. Nothing here decides
 * anything: kwa_dispatch_classify() gives outcomes their meaning.
 *
 * Ownership: a transfer owns its easy handle, buffer, and an attempt's
 * mime body and form header list; the engine's two header lists (made by
 * kwa_transfer_headers, holding the api-key: with a JSON Content-Type,
 * and without one for multipart bodies, whose Content-Type is curl's)
 * are shared by all transfers of an engine and scrubbed when freed.
 */
#ifndef KWA_TRANSFER_H
#define KWA_TRANSFER_H

#include <curl/curl.h>

#if LIBCURL_VERSION_NUM < 0x075000
#error "kaleyra-whatsapp needs libcurl 7.80 or newer (CURLOPT_PREREQFUNCTION)"
#endif

#include "kwa_dispatch.h"

typedef struct kwa_transfer {
    struct kwa_transfer *prev, *next; /* the engine's active or spare list */
    kwa_job_t *job;                   /* while it runs */
    CURL *easy;
    char *buf; /* the answer so far, NUL-terminated */
    size_t len, cap;
    double deadline;         /* monotonic seconds: the engine ends the attempt then, */
    double connect_deadline; /* or then, if it has not connected by that time */
    int requests; /* times libcurl was about to send this attempt: it has
                     connected once this is > 0 */
    int too_big;
    char retry_after[24];
    curl_mime *mime; /* this attempt's multipart body, or NULL */
    struct curl_slist *json_headers, *mime_headers; /* the engine's */
    struct curl_slist *own; /* this attempt's, for a form's Content-Type */
    /* What the easy handle already has, so that an attempt sets only what
     * differs (libcurl copies a URL on every CURLOPT_URL): */
    char *url;                        /* a copy of its URL, or NULL */
    const struct curl_slist *headers; /* its CURLOPT_HTTPHEADER list */
    int custom;                       /* CUSTOMREQUEST is "DELETE" */
    int dns_expires;   /* DNS_CACHE_TIMEOUT is KWA_DNS_TTL, not -1 (see set_dns) */
    double dns_next;   /* monotonic seconds: when an attempt next lets names expire */
    char errbuf[CURL_ERROR_SIZE];
} kwa_transfer_t;

/* The api-key, accept and (json != 0) content-type lines; NULL on out of
 * memory. A multipart body's Content-Type, with its boundary, is curl's. */
struct curl_slist *kwa_transfer_headers(const char *api_key, int json);
void kwa_transfer_headers_free(struct curl_slist *headers); /* scrubs */

/* A transfer with its easy handle set up from cfg; NULL on out of memory.
 * cfg and both header lists must outlive it. */
kwa_transfer_t *kwa_transfer_new(const kwa_config_t *cfg, struct curl_slist *headers,
                                 struct curl_slist *mime_headers);
void kwa_transfer_free(kwa_transfer_t *t); /* NULL is a no-op */

/* Readies t for one attempt of req (borrowed until it ends): its method
 * (GET and DELETE send no body), body (JSON, a form, or multipart built
 * with curl's mime API, file parts streamed from disk) and headers. 0, or
 * -1 when out of memory (nothing to send then). now: monotonic seconds,
 * for when libcurl may next expire cached names (kwa_transfer.c). */
int kwa_transfer_prepare(kwa_transfer_t *t, const kwa_request_t *req, double now);

/* What the attempt that ended with rc amounts to (CURLE_OPERATION_TIMEDOUT
 * when the engine ended it at its deadline). o borrows t's buffers: use
 * it before t is prepared again. */
void kwa_transfer_outcome(kwa_transfer_t *t, CURLcode rc, kwa_outcome_t *o);

#endif /* KWA_TRANSFER_H */
