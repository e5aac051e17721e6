/*
 * kwa_client.c - the public C client: a configuration, the policy machine
 * (kwa_dispatch.h) and, unless its I/O is done elsewhere, the libcurl
 * engine that drives the machine. Every call validates and builds first
 * (nothing is queued for an invalid message), then submits to the
 * machine; blocking calls drive the engine until their own answer
 * arrives. Ownership follows kwa.h: inputs are borrowed, results live in
 * the caller's kwa_result_t.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kwa_engine.h"

struct kwa_client {
    kwa_config_t cfg;
    kwa_dispatch_t *d;
    kwa_engine_t *engine; /* NULL for an external client */
};

static kwa_client_t *client_new(const kwa_options_t *opts, int external,
                                kwa_result_t *err)
{
    kwa_client_t *c;
    struct timespec ts;

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
    c->d = kwa_dispatch_new(c->cfg.retries, c->cfg.concurrency);
    if (c->d == NULL) {
        kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
        kwa_client_free(c);
        return NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &ts); /* jitter differs between clients */
    kwa_dispatch_seed(c->d, ((unsigned long long)ts.tv_sec * 1000000000ULL +
                             (unsigned long long)ts.tv_nsec) | 1);
    if (!external) {
        c->engine = kwa_engine_new(&c->cfg, c->d, err);
        if (c->engine == NULL) {
            kwa_client_free(c);
            return NULL;
        }
    }
    return c;
}

kwa_client_t *kwa_client_new(const kwa_options_t *opts, kwa_result_t *err)
{
    return client_new(opts, 0, err);
}

kwa_client_t *kwa_client_new_external(const kwa_options_t *opts, kwa_result_t *err)
{
    return client_new(opts, 1, err);
}

void kwa_client_free(kwa_client_t *c)
{
    if (c == NULL)
        return;
    kwa_engine_free(c->engine); /* stops the transfers first */
    kwa_dispatch_free(c->d);    /* then calls back what is left */
    kwa_config_free(&c->cfg);
    free(c);
}

const kwa_config_t *kwa_client_config(const kwa_client_t *c)
{
    return &c->cfg;
}

kwa_dispatch_t *kwa_client_dispatch(kwa_client_t *c)
{
    return c->d;
}

int kwa_client_refuse_multipart(kwa_result_t *err)
{
    return kwa_fail(err, KWA_CONFIG, "transport",
                    "uploads (multipart bodies) need the libcurl transport; "
                    "a Lua transport cannot send them");
}

int kwa_client_submit(kwa_client_t *c, const kwa_message_t *m,
                      kwa_callback_t cb, void *ud, kwa_result_t *err)
{
    kwa_request_t req;

    kwa_result_free(err);
    if (kwa_request_build(&req, &c->cfg, m, err) != 0)
        return -1;
    if (c->engine == NULL && req.nparts > 0) {
        kwa_request_free(&req);
        return kwa_client_refuse_multipart(err);
    }
    return kwa_dispatch_submit(c->d, &req, cb, ud, err);
}

typedef struct waiter {
    kwa_result_t *out;
    int done;
} waiter_t;

static void on_answer(void *ud, kwa_result_t *res)
{
    waiter_t *w = ud;

    *w->out = *res; /* take ownership of body and raw: */
    res->body = NULL; /* the machine frees res when this returns */
    res->details = NULL;
    res->raw = NULL;
    w->done = 1;
}

int kwa_client_send(kwa_client_t *c, const kwa_message_t *m, kwa_result_t *res)
{
    waiter_t w = {res, 0};

    if (c->engine == NULL) {
        kwa_result_free(res);
        return kwa_fail(res, KWA_CONFIG, NULL,
                        "this client's requests are sent by a transport of its own");
    }
    if (kwa_client_submit(c, m, on_answer, &w, res) != 0)
        return -1;
    /* the engine's deadlines end every attempt, so this loop ends too */
    while (!w.done)
        kwa_engine_run(c->engine, 1000);
    return res->kind == KWA_OK ? 0 : -1;
}

int kwa_client_call(kwa_client_t *c, const char *op, const cJSON *fields,
                    kwa_result_t *res)
{
    kwa_message_t m;

    memset(&m, 0, sizeof m);
    m.type = KWA_MSG_OP;
    m.u.op.name = op;
    m.u.op.fields = fields;
    return kwa_client_send(c, &m, res);
}

int kwa_client_send_text(kwa_client_t *c, const kwa_text_t *msg, kwa_result_t *res)
{
    kwa_message_t m = {.type = KWA_MSG_TEXT, .u.text = *msg};

    return kwa_client_send(c, &m, res);
}

int kwa_client_send_cta_url(kwa_client_t *c, const kwa_cta_url_t *msg, kwa_result_t *res)
{
    kwa_message_t m = {.type = KWA_MSG_CTA_URL, .u.cta_url = *msg};

    return kwa_client_send(c, &m, res);
}

int kwa_client_send_flow(kwa_client_t *c, const kwa_flow_t *msg, kwa_result_t *res)
{
    kwa_message_t m = {.type = KWA_MSG_FLOW, .u.flow = *msg};

    return kwa_client_send(c, &m, res);
}

int kwa_client_publish_flow(kwa_client_t *c, const char *flow_id, kwa_result_t *res)
{
    kwa_message_t m = {.type = KWA_MSG_PUBLISH, .u.flow_id = flow_id};

    return kwa_client_send(c, &m, res);
}

/* An external client's transport polls its machine itself: 0 / -1. */
int kwa_client_poll(kwa_client_t *c, long timeout_ms)
{
    return c->engine != NULL ? kwa_engine_run(c->engine, timeout_ms) : 0;
}

size_t kwa_client_pending(const kwa_client_t *c)
{
    return kwa_dispatch_pending(c->d);
}

int kwa_client_fd(const kwa_client_t *c)
{
    return c->engine != NULL ? kwa_engine_fd(c->engine) : -1;
}

long kwa_client_timeout_ms(const kwa_client_t *c)
{
    return c->engine != NULL ? kwa_engine_timeout(c->engine) : -1;
}

void kwa_client_set_concurrency(kwa_client_t *c, size_t n)
{
    if (c->engine != NULL)
        kwa_engine_set_concurrency(c->engine, n);
    else
        kwa_dispatch_set_concurrency(c->d, n ? n : 1);
}
