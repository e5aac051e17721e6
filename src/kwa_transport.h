/*
 * kwa_transport.h - the libcurl transport: one easy handle per client, so
 * sequential calls reuse one kept-alive connection. Knows HTTP, not
 * Kaleyra: it hands status and body to kwa_response_parse().
 */
#ifndef KWA_TRANSPORT_H
#define KWA_TRANSPORT_H

#include <curl/curl.h>

#include "kwa_core.h"

typedef struct kwa_transport {
    CURL *easy;
    struct curl_slist *headers; /* holds the api-key: scrubbed on free */
    char *buf;                  /* answer body, reused across calls */
    size_t len, cap;
    int too_big;
    char errbuf[CURL_ERROR_SIZE];
} kwa_transport_t;

/* Sets up the handle for cfg (which must outlive t). -1 with err set. */
int kwa_transport_init(kwa_transport_t *t, const kwa_config_t *cfg,
                       kwa_result_t *err);

/* Frees everything t holds. Safe on a zeroed or already freed t. */
void kwa_transport_free(kwa_transport_t *t);

/* POSTs req and fills res (releasing what res held). 0 if KWA_OK. */
int kwa_transport_post(kwa_transport_t *t, const kwa_request_t *req,
                       kwa_op_t op, kwa_result_t *res);

#endif /* KWA_TRANSPORT_H */
