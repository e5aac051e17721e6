/*
 * kwa_client.c - the public C client: configuration plus transport, and
 * one function per operation that validates, builds, sends and parses.
 * Ownership follows kwa.h: inputs are borrowed, results live in the
 * caller's kwa_result_t.
 */
#include <stdlib.h>
#include <string.h>

#include "kwa_transport.h"

struct kwa_client {
    kwa_config_t cfg;
    kwa_transport_t transport;
};

kwa_client_t *kwa_client_new(const kwa_options_t *opts, kwa_result_t *err)
{
    kwa_client_t *c;

    kwa_result_free(err);
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
        return NULL;
    }
    if (kwa_config_init(&c->cfg, opts, err) != 0) {
        free(c);
        return NULL;
    }
    if (kwa_transport_init(&c->transport, &c->cfg, err) != 0) {
        kwa_config_free(&c->cfg);
        free(c);
        return NULL;
    }
    return c;
}

void kwa_client_free(kwa_client_t *c)
{
    if (c == NULL)
        return;
    kwa_transport_free(&c->transport);
    kwa_config_free(&c->cfg);
    free(c);
}

/* Sends a built request (or reports why it could not be built). */
static int post_built(kwa_client_t *c, kwa_request_t *req, int built, kwa_op_t op,
                kwa_result_t *res)
{
    int rc;

    if (built != 0)
        return -1;
    rc = kwa_transport_post(&c->transport, req, op, res);
    kwa_request_free(req);
    return rc;
}

int kwa_client_send_text(kwa_client_t *c, const kwa_text_t *m, kwa_result_t *res)
{
    kwa_request_t req;

    kwa_result_free(res);
    return post_built(c, &req, kwa_request_text(&req, &c->cfg, m, res), KWA_OP_SEND, res);
}

int kwa_client_send_cta_url(kwa_client_t *c, const kwa_cta_url_t *m, kwa_result_t *res)
{
    kwa_request_t req;

    kwa_result_free(res);
    return post_built(c, &req, kwa_request_cta_url(&req, &c->cfg, m, res), KWA_OP_SEND, res);
}

int kwa_client_send_flow(kwa_client_t *c, const kwa_flow_t *m, kwa_result_t *res)
{
    kwa_request_t req;

    kwa_result_free(res);
    return post_built(c, &req, kwa_request_flow(&req, &c->cfg, m, res), KWA_OP_SEND, res);
}

int kwa_client_publish_flow(kwa_client_t *c, const char *flow_id, kwa_result_t *res)
{
    kwa_request_t req;

    kwa_result_free(res);
    return post_built(c, &req, kwa_request_publish(&req, &c->cfg, flow_id, res),
                KWA_OP_PUBLISH, res);
}
