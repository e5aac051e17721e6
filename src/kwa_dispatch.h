/*
 * kwa_dispatch.h - the policy machine every transport adapts to. It does
 * no I/O and reads no clock: the caller passes `now` (monotonic seconds).
 *
 * It owns submitted requests and decides, for every transport alike:
 *   - when each attempt starts: at most `concurrency` in flight, in
 *     submission order, first attempts paced by `rate`, retries after
 *     their backoff, everything paused by a Retry-After;
 *   - what an outcome means: kind, sent, retryable, status, code
 *     (kwa_dispatch_classify);
 *   - whether to retry (kwa_retry_delay) and how often (`retries`).
 *
 * A transport (the libcurl engine, the nginx cosocket pump, a user's
 * function) only does I/O: it takes jobs with kwa_dispatch_next(),
 * performs them, and reports each with kwa_dispatch_report() in the small
 * vocabulary of kwa_outcome_t. Finished requests are called back from
 * kwa_dispatch_deliver(), never from inside report(), so a transport may
 * report from inside its own I/O callbacks.
 *
 * Ownership: submit takes the request's buffers; a job and its request
 * stay valid from next() until report(); callbacks get a result that is
 * freed after they return (copy the struct and zero it to keep it).
 */
#ifndef KWA_DISPATCH_H
#define KWA_DISPATCH_H

#include "kwa_core.h"

/* What a transport saw. The "sent" variants mean the whole request may
 * have been written; "unsent" means certainly not. */
typedef enum kwa_io {
    KWA_IO_ANSWER,         /* an HTTP answer: status, body, Retry-After */
    KWA_IO_CONNECT_FAILED, /* refused, unreachable, name not resolved */
    KWA_IO_TLS_FAILED,     /* handshake or certificate check failed */
    KWA_IO_TIMEOUT_UNSENT, /* timed out before the request was written */
    KWA_IO_TIMEOUT_SENT,   /* timed out after, before the whole answer */
    KWA_IO_CLOSED_UNSENT,  /* the connection closed before it was written */
    KWA_IO_CLOSED_SENT,    /* closed after, before the whole answer */
    KWA_IO_TOO_LARGE,      /* the answer is over KWA_MAX_RESPONSE */
    KWA_IO_NOT_HTTP,       /* bytes came back that are not HTTP */
    KWA_IO_BAD_URL,        /* the transport cannot use this URL */
    KWA_IO_NOMEM           /* the transport ran out of memory */
} kwa_io_t;

typedef struct kwa_outcome {
    kwa_io_t io;
    long status;             /* ANSWER: the HTTP status */
    const char *body;        /* ANSWER: the body bytes (borrowed) */
    size_t body_len;
    const char *retry_after; /* ANSWER: the Retry-After header, or NULL */
    const char *detail;      /* others: the transport's words, or NULL */
    double wall_now;         /* ANSWER: seconds since the epoch, to read a
                                Retry-After HTTP-date; 0: read the clock */
} kwa_outcome_t;

typedef struct kwa_dispatch kwa_dispatch_t;
typedef struct kwa_job kwa_job_t;

/* Fills res from one outcome of a request whose answers read as
 * `answer` (attempts is left alone). Pure: the one place that gives an
 * outcome its kind, sent, retryable and message. An ANSWER goes through
 * kwa_response_parse() and sets retry_after from the Retry-After value
 * (delta-seconds or HTTP-date; 0 when absent, past or unreadable). For the
 * others the message is the transport's detail when it gives one, else
 * the library's words; TOO_LARGE always says "the answer is larger than
 * 1048576 bytes" and NOT_HTTP says "the answer is not HTTP[: detail]".
 * Reading the clock for an HTTP-date when o->wall_now is 0 is the only
 * clock read of this file. */
void kwa_dispatch_classify(kwa_result_t *res, kwa_answer_t answer,
                           const kwa_outcome_t *o);

/* retries >= 0; concurrency >= 1. NULL on out of memory. */
kwa_dispatch_t *kwa_dispatch_new(int retries, size_t concurrency);
/* Every request not yet called back is called back first, with kind
 * KWA_NETWORK "cancelled" (sent if it was running). NULL is a no-op. */
void kwa_dispatch_free(kwa_dispatch_t *d);

/* Takes req's buffers (req is zeroed) and queues it. -1 with err set
 * (KWA_NOMEM) on failure, in which case req is freed. */
int kwa_dispatch_submit(kwa_dispatch_t *d, kwa_request_t *req,
                        kwa_callback_t cb, void *ud, kwa_result_t *err);

/* The next attempt to start now, or NULL when none may start yet. */
kwa_job_t *kwa_dispatch_next(kwa_dispatch_t *d, double now);
const kwa_request_t *kwa_job_request(const kwa_job_t *job);
int kwa_job_attempt(const kwa_job_t *job);        /* 1 for the first */
void kwa_job_set_data(kwa_job_t *job, void *data); /* the transport's own */
void *kwa_job_data(const kwa_job_t *job);

/* Ends the job's attempt: classifies the outcome, then either schedules
 * a retry or marks the request finished for kwa_dispatch_deliver(). */
void kwa_dispatch_report(kwa_dispatch_t *d, kwa_job_t *job,
                         const kwa_outcome_t *o, double now);

/* Calls back every finished request; returns how many. A callback may
 * submit, but not free the machine. */
int kwa_dispatch_deliver(kwa_dispatch_t *d);

/* Seconds until kwa_dispatch_next() may return a job without any
 * running job finishing first: 0 = now, -1 = not before one finishes
 * (or nothing is queued). Finished but undelivered requests give 0. */
double kwa_dispatch_wait(const kwa_dispatch_t *d, double now);

size_t kwa_dispatch_pending(const kwa_dispatch_t *d); /* not called back */
size_t kwa_dispatch_running(const kwa_dispatch_t *d);
size_t kwa_dispatch_queued(const kwa_dispatch_t *d);  /* waiting to start,
                                                         retries included */
void kwa_dispatch_set_concurrency(kwa_dispatch_t *d, size_t n); /* >= 1 */
/* Paces first attempts: the k-th after this call starts no earlier than
 * t0 + (k-1)/per_second, t0 being the first such start. 0: unpaced. */
void kwa_dispatch_set_rate(kwa_dispatch_t *d, double per_second);
void kwa_dispatch_seed(kwa_dispatch_t *d, unsigned long long seed); /* jitter */
/* An idle machine (nothing queued, delayed, running or undelivered) made
 * as kwa_dispatch_new made it, keeping only its spare jobs (no malloc
 * for the next submit): no Retry-After pause, no rate. 0, or -1 (nothing
 * changed) when it is not idle. */
int kwa_dispatch_reset(kwa_dispatch_t *d);

#endif /* KWA_DISPATCH_H */
