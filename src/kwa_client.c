/*
 * kwa_client.c - the public C client: a configuration and one transfer
 * engine. Every call validates and builds first (nothing is queued for an
 * invalid message), then submits to the engine; blocking calls drive the
 * engine until their own answer arrives. Ownership follows kwa.h: inputs
 * are borrowed, results live in the caller's kwa_result_t.
 */
#include <stdlib.h>
#include <string.h>

#include "kwa_dispatch.h"
#include "kwa_engine.h"

struct kwa_client {
    kwa_config_t cfg;
    kwa_engine_t *engine;
    kwa_dispatch_t *dispatch; /* external clients: their machine */
};

/* Interim until the engine runs on kwa_dispatch (branch policy). */
kwa_client_t *kwa_client_new_external(const kwa_options_t *opts, kwa_result_t *err)
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
    c->dispatch = kwa_dispatch_new(c->cfg.retries, c->cfg.concurrency);
    if (c->dispatch == NULL) {
        kwa_config_free(&c->cfg);
        free(c);
        kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
        return NULL;
    }
    return c;
}

kwa_dispatch_t *kwa_client_dispatch(kwa_client_t *c)
{
    return c->dispatch;
}

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
    c->engine = kwa_engine_new(&c->cfg, err);
    if (c->engine == NULL) {
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
    kwa_engine_free(c->engine);
    kwa_dispatch_free(c->dispatch);
    kwa_config_free(&c->cfg);
    free(c);
}

const kwa_config_t *kwa_client_config(const kwa_client_t *c)
{
    return &c->cfg;
}

int kwa_client_submit(kwa_client_t *c, const kwa_message_t *m,
                      kwa_callback_t cb, void *ud, kwa_result_t *err)
{
    kwa_request_t req;

    kwa_result_free(err);
    if (kwa_request_build(&req, &c->cfg, m, err) != 0)
        return -1;
    if (c->dispatch != NULL)
        return kwa_dispatch_submit(c->dispatch, &req, cb, ud, err);
    return kwa_engine_submit(c->engine, &req, cb, ud, err);
}

typedef struct waiter {
    kwa_result_t *out;
    int done;
} waiter_t;

static void on_answer(void *ud, kwa_result_t *res)
{
    waiter_t *w = ud;

    *w->out = *res; /* take ownership of body and raw */
    memset(res, 0, sizeof *res);
    w->done = 1;
}

int kwa_client_send(kwa_client_t *c, const kwa_message_t *m, kwa_result_t *res)
{
    waiter_t w = {res, 0};

    if (kwa_client_submit(c, m, on_answer, &w, res) != 0)
        return -1;
    /* curl's own timeouts end every attempt, so this loop ends too */
    while (!w.done)
        kwa_engine_run(c->engine, 1000);
    return res->kind == KWA_OK ? 0 : -1;
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

int kwa_client_poll(kwa_client_t *c, long timeout_ms)
{
    return kwa_engine_run(c->engine, timeout_ms < 0 ? 0 : timeout_ms);
}

size_t kwa_client_pending(const kwa_client_t *c)
{
    if (c->dispatch != NULL)
        return kwa_dispatch_pending(c->dispatch);
    return kwa_engine_pending(c->engine);
}

int kwa_client_fd(const kwa_client_t *c)
{
    return kwa_engine_fd(c->engine);
}

long kwa_client_timeout_ms(const kwa_client_t *c)
{
    return kwa_engine_timeout(c->engine);
}

void kwa_client_set_concurrency(kwa_client_t *c, size_t n)
{
    kwa_engine_set_concurrency(c->engine, n);
}
