/*
 * kwa_engine.h - the libcurl transport: an I/O adapter of the policy
 * machine (kwa_dispatch.h). Blocking calls, bulk sends and the
 * non-blocking API all submit to the machine; kwa_engine_run() takes the
 * jobs it allows, runs each as a curl easy transfer on one multi handle,
 * and reports how each ended. What an outcome means, when to retry and
 * when to start are the machine's decisions, not the engine's.
 *
 * Two ways to wait. By default libcurl waits itself (curl_multi_perform
 * and curl_multi_poll: portable, and the cheapest per message). Once a
 * host asks for a descriptor to wait on (kwa_engine_fd), libcurl's
 * sockets and timer go to the epoll backend (kwa_loop.h) for good, so
 * the descriptor is readable whenever there is work, and the engine runs
 * on curl_multi_socket_action. Without epoll (other systems, or
 * KWA_EVENT_LOOP=poll in the environment when the engine is created)
 * there is no descriptor and kwa_engine_fd() is -1; KWA_EVENT_LOOP=epoll
 * starts with the descriptor's way, as if a host had asked. Connections
 * are kept alive and shared by all transfers of the engine (HTTP/2
 * multiplexing where TLS offers it), and easy handles are reused.
 *
 * Callbacks run from kwa_engine_run() (kwa_dispatch_deliver) after
 * libcurl has returned, never from inside a libcurl callback, so a
 * callback may do anything except free the engine or its machine.
 */
#ifndef KWA_ENGINE_H
#define KWA_ENGINE_H

#include "kwa_dispatch.h"

typedef struct kwa_engine kwa_engine_t;

/* cfg and d must outlive the engine. NULL with err set on failure. */
kwa_engine_t *kwa_engine_new(const kwa_config_t *cfg, kwa_dispatch_t *d,
                             kwa_result_t *err);
/* Stops every transfer and frees the engine; NULL is a no-op. Requests
 * still in the machine stay there: kwa_dispatch_free() calls them back
 * as cancelled (those that were running as possibly sent). */
void kwa_engine_free(kwa_engine_t *e);

/* Starts what the machine allows, waits at most timeout_ms (0: not at
 * all, negative: until something happens) for network activity, reports
 * finished transfers and calls back finished requests. Returns how many
 * were called back. Returns at once when nothing is pending. */
int kwa_engine_run(kwa_engine_t *e, long timeout_ms);

/* The epoll descriptor a host may wait on, or -1 where there is none.
 * The first call hands the engine's sockets to it for good (see above). */
int kwa_engine_fd(kwa_engine_t *e);
long kwa_engine_timeout(const kwa_engine_t *e); /* ms, -1 = no deadline */
/* Sets the machine's concurrency and libcurl's connection limits. */
void kwa_engine_set_concurrency(kwa_engine_t *e, size_t n); /* n >= 1 */

#endif /* KWA_ENGINE_H */
