/*
 * kwa_engine.h - the one libcurl transfer engine behind every way of
 * sending: blocking calls, bulk sends and the non-blocking API all submit
 * transfers here and drive them with kwa_engine_run().
 *
 * It is a curl multi handle driven through an epoll descriptor, so a
 * host with its own event loop can wait on one fd (kwa_engine_fd) plus a
 * timeout (kwa_engine_timeout). Connections are kept alive and shared by
 * all transfers of the engine (HTTP/2 multiplexing where TLS offers it).
 * At most `concurrency` transfers run at once; the rest wait in a queue.
 * Automatic retries follow kwa_retry_delay(); a 429/503 with Retry-After
 * also pauses the start of new transfers for that long.
 *
 * Callbacks run from kwa_engine_run() after libcurl has returned, never
 * from inside a libcurl callback, so a callback may do anything except
 * free the engine.
 */
#ifndef KWA_ENGINE_H
#define KWA_ENGINE_H

#include "kwa_core.h"

typedef struct kwa_engine kwa_engine_t;

/* Callbacks are kwa_callback_t (kwa.h): once per request, res freed after. */

/* cfg must outlive the engine. NULL with err set on failure. */
kwa_engine_t *kwa_engine_new(const kwa_config_t *cfg, kwa_result_t *err);
/* Frees the engine; NULL is a no-op. Every transfer not yet called back
 * is called back first, with a KWA_NETWORK "cancelled" result. */
void kwa_engine_free(kwa_engine_t *e);

/* Takes ownership of req's buffers (req is zeroed) and queues it. -1
 * with err set (KWA_NOMEM) on failure, in which case req is freed. */
int kwa_engine_submit(kwa_engine_t *e, kwa_request_t *req,
                      kwa_callback_t done, void *ud, kwa_result_t *err);

/* Waits at most timeout_ms (0: do not wait) for network activity, drives
 * transfers and calls the callbacks of those that finished. Returns how
 * many finished. Returns at once when nothing is pending. */
int kwa_engine_run(kwa_engine_t *e, long timeout_ms);

size_t kwa_engine_pending(const kwa_engine_t *e);   /* running + queued */
size_t kwa_engine_running(const kwa_engine_t *e);
int kwa_engine_fd(const kwa_engine_t *e);            /* epoll descriptor */
long kwa_engine_timeout(const kwa_engine_t *e);      /* ms, -1 = no deadline */
void kwa_engine_set_concurrency(kwa_engine_t *e, size_t n); /* n >= 1 */

#endif /* KWA_ENGINE_H */
