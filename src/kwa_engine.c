/*
 * kwa_engine.c - the libcurl transport as an adapter of the policy
 * machine (contracts in kwa_engine.h and kwa_dispatch.h).
 *
 * One multi handle; libcurl says which sockets to watch (socket callback
 * -> the loop backend's watch) and when to wake up (timer callback);
 * kwa_engine_run() waits on the backend and feeds events back with
 * curl_multi_socket_action(). Each job the machine hands out runs on a
 * kwa_transfer_t; finished transfers go to a spare list (at most the
 * concurrency) so their easy handles are reused. Each attempt has two
 * deadlines from its start, the client's timeout and, until libcurl has a
 * connection for it, the connect timeout: the loop wakes up for the
 * earliest and ends what is past one as a timeout, sent or not by what
 * libcurl had written (kwa_transfer.c says why not libcurl's timeouts).
 *
 * The only time read here is the monotonic clock, passed to the machine.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kwa_engine.h"
#include "kwa_loop.h"
#include "kwa_transfer.h"

struct kwa_engine {
    CURLM *multi;
    kwa_loop_t loop;
    const kwa_config_t *cfg;
    kwa_dispatch_t *d;
    struct curl_slist *headers, *mime_headers; /* JSON bodies; multipart ones */
    int evented;             /* a host waits on the loop's descriptor */
    double timer_at;         /* evented: libcurl's timer, monotonic s; < 0: none */
    size_t n_active;
    kwa_transfer_t *active;  /* the transfers libcurl runs now */
    kwa_transfer_t *spare;   /* idle, with their easy handles */
    size_t n_spare, concurrency;
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- global init ---- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init_once(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int kwa_global_init(void)
{
    pthread_once(&global_once, global_init_once);
    return global_rc == CURLE_OK ? 0 : -1;
}

/* ---- libcurl's socket and timer callbacks ---- */

static int on_socket(CURL *easy, curl_socket_t s, int what, void *ud, void *sockp)
{
    kwa_engine_t *e = ud;

    (void)easy;
    (void)sockp;
    e->loop.watch(e->loop.data, (int)s,
                  what == CURL_POLL_REMOVE ? 0
                  : (what & CURL_POLL_IN ? KWA_LOOP_READ : 0) |
                        (what & CURL_POLL_OUT ? KWA_LOOP_WRITE : 0));
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *ud)
{
    kwa_engine_t *e = ud;

    (void)multi;
    e->timer_at = timeout_ms < 0 ? -1 : now() + (double)timeout_ms / 1000.0;
    return 0;
}

static void on_ready(void *ud, int fd, int events)
{
    kwa_engine_t *e = ud;
    int running;

    curl_multi_socket_action(e->multi, (curl_socket_t)fd,
                             (events & KWA_LOOP_READ ? CURL_CSELECT_IN : 0) |
                                 (events & KWA_LOOP_WRITE ? CURL_CSELECT_OUT : 0) |
                                 (events & KWA_LOOP_ERROR ? CURL_CSELECT_ERR : 0),
                             &running);
}

/* ---- setup ---- */

/* Hands libcurl's sockets and timer to the loop backend from now on,
 * so that its descriptor tells a host when to poll. libcurl announces
 * sockets through the callback only as their state changes, so the
 * sockets of transfers already running are announced once here (the one
 * libcurl call that does that is deprecated, not gone). */
static void go_evented(kwa_engine_t *e)
{
    int running;

    e->evented = 1;
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
    if (e->n_active > 0)
        CURL_IGNORE_DEPRECATION(curl_multi_socket_all(e->multi, &running);)
}

kwa_engine_t *kwa_engine_new(const kwa_config_t *cfg, kwa_dispatch_t *d,
                             kwa_result_t *err)
{
    kwa_engine_t *e;

    if (kwa_global_init() != 0) {
        kwa_fail(err, KWA_NETWORK, NULL, "libcurl failed to initialise");
        return NULL;
    }
    e = calloc(1, sizeof *e);
    if (e == NULL) {
        kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
        return NULL;
    }
    e->cfg = cfg;
    e->d = d;
    e->timer_at = -1;
    e->multi = curl_multi_init();
    e->headers = kwa_transfer_headers(cfg->api_key, 1);
    e->mime_headers = kwa_transfer_headers(cfg->api_key, 0);
    if (e->multi == NULL || e->headers == NULL || e->mime_headers == NULL) {
        kwa_engine_free(e);
        kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
        return NULL;
    }
#ifdef KWA_HAVE_EPOLL
    {
        const char *want = getenv("KWA_EVENT_LOOP");

        if ((want == NULL || strcmp(want, "poll") != 0) && kwa_loop_epoll(&e->loop) != 0) {
            kwa_engine_free(e);
            kwa_fail(err, KWA_NOMEM, NULL, "out of memory or descriptors");
            return NULL;
        }
        if (e->loop.fd != NULL && want != NULL && strcmp(want, "epoll") == 0)
            go_evented(e);
    }
#endif
    curl_multi_setopt(e->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    kwa_engine_set_concurrency(e, cfg->concurrency);
    return e;
}

void kwa_engine_set_concurrency(kwa_engine_t *e, size_t n)
{
    e->concurrency = n ? n : 1;
    kwa_dispatch_set_concurrency(e->d, e->concurrency);
    curl_multi_setopt(e->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)e->concurrency);
    curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, (long)e->concurrency);
}

void kwa_engine_free(kwa_engine_t *e)
{
    kwa_transfer_t *t;

    if (e == NULL)
        return;
    while ((t = e->active) != NULL) {
        e->active = t->next;
        curl_multi_remove_handle(e->multi, t->easy);
        kwa_transfer_free(t); /* its job stays running in the machine */
    }
    while ((t = e->spare) != NULL) {
        e->spare = t->next;
        kwa_transfer_free(t);
    }
    if (e->multi != NULL)
        curl_multi_cleanup(e->multi);
    if (e->loop.cleanup != NULL)
        e->loop.cleanup(e->loop.data);
    kwa_transfer_headers_free(e->headers);
    kwa_transfer_headers_free(e->mime_headers);
    free(e);
}

/* ---- jobs in, outcomes out ---- */

static void active_remove(kwa_engine_t *e, kwa_transfer_t *t)
{
    e->n_active--;
    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        e->active = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
}

static void recycle(kwa_engine_t *e, kwa_transfer_t *t)
{
    t->job = NULL;
    if (e->n_spare >= e->concurrency) {
        kwa_transfer_free(t); /* keep the spare list as small as the pool */
        return;
    }
    t->prev = NULL;
    t->next = e->spare;
    e->spare = t;
    e->n_spare++;
}

/* Hands libcurl every job the machine lets start now. */
static void start_jobs(kwa_engine_t *e, double t_now)
{
    static const kwa_outcome_t nomem = {KWA_IO_NOMEM, 0, NULL, 0, NULL, NULL, 0};
    kwa_job_t *job;
    kwa_transfer_t *t;

    while ((job = kwa_dispatch_next(e->d, t_now)) != NULL) {
        t = e->spare;
        if (t != NULL) {
            e->spare = t->next;
            e->n_spare--;
        } else {
            t = kwa_transfer_new(e->cfg, e->headers, e->mime_headers);
        }
        if (t == NULL || kwa_transfer_prepare(t, kwa_job_request(job), t_now) != 0 ||
            curl_multi_add_handle(e->multi, t->easy) != CURLM_OK) {
            if (t != NULL)
                recycle(e, t);
            kwa_dispatch_report(e->d, job, &nomem, t_now);
            continue;
        }
        e->n_active++;
        t->job = job;
        t->deadline = t_now + (double)e->cfg->timeout_ms / 1000.0;
        t->connect_deadline = t_now + (double)e->cfg->connect_timeout_ms / 1000.0;
        kwa_job_set_data(job, t);
        t->prev = NULL;
        t->next = e->active;
        if (e->active != NULL)
            e->active->prev = t;
        e->active = t;
    }
}

static void collect(kwa_engine_t *e, double t_now)
{
    CURLMsg *msg;
    int left;
    kwa_transfer_t *t;
    kwa_outcome_t o;

    while ((msg = curl_multi_info_read(e->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        active_remove(e, t);
        curl_multi_remove_handle(e->multi, t->easy);
        kwa_transfer_outcome(t, msg->data.result, &o);
        kwa_dispatch_report(e->d, t->job, &o, t_now); /* copies what o borrows */
        recycle(e, t);
    }
}

/* When t must end: its deadline, or its connect deadline while it has
 * no connection (on_prereq has not run). */
static double deadline_of(const kwa_transfer_t *t)
{
    return t->requests == 0 && t->connect_deadline < t->deadline ? t->connect_deadline
                                                                 : t->deadline;
}

/* Ends every transfer past its deadline as a timeout. */
static void expire(kwa_engine_t *e, double t_now)
{
    kwa_transfer_t *t, *next;
    kwa_outcome_t o;

    for (t = e->active; t != NULL; t = next) {
        next = t->next;
        if (deadline_of(t) > t_now)
            continue;
        active_remove(e, t);
        curl_multi_remove_handle(e->multi, t->easy);
        if (deadline_of(t) < t->deadline)
            snprintf(t->errbuf, sizeof t->errbuf, "Connection timed out after %ld milliseconds",
                     e->cfg->connect_timeout_ms);
        else
            snprintf(t->errbuf, sizeof t->errbuf, "Operation timed out after %ld milliseconds",
                     e->cfg->timeout_ms);
        kwa_transfer_outcome(t, CURLE_OPERATION_TIMEDOUT, &o);
        kwa_dispatch_report(e->d, t->job, &o, t_now);
        recycle(e, t);
    }
}

/* ---- driving ---- */

/* kwa_engine_timeout at t_now; with curl_timer 0, without libcurl's own
 * timer when not evented (drive's curl_multi_poll counts that itself). */
static long timeout_at(const kwa_engine_t *e, double t_now, int curl_timer)
{
    double wait = kwa_dispatch_wait(e->d, t_now), other = -1;
    const kwa_transfer_t *t;

    long curl_ms = -1;

    if (e->evented)
        other = e->timer_at;
    else if (curl_timer && e->n_active > 0 && curl_multi_timeout(e->multi, &curl_ms) == CURLM_OK &&
             curl_ms >= 0)
        other = t_now + (double)curl_ms / 1000.0;
    for (t = e->active; t != NULL; t = t->next)
        if (other < 0 || deadline_of(t) < other)
            other = deadline_of(t);
    if (other >= 0)
        other = other <= t_now ? 0 : other - t_now;
    if (wait < 0 || (other >= 0 && other < wait))
        wait = other;
    if (wait < 0)
        return -1;
    return wait <= 0 ? 0 : (long)(wait * 1000.0) + 1;
}

long kwa_engine_timeout(const kwa_engine_t *e)
{
    return timeout_at(e, now(), 1);
}

/* Without a host waiting on a descriptor, libcurl waits itself: one
 * perform sends what can be sent, poll waits for an answer (or what
 * libcurl's own timers allow), one perform reads it. This costs libcurl
 * about 3.5k instructions and 3 allocations per message less than the
 * socket API, whose socket hash is rebuilt for every transfer on a
 * kept-alive connection (callgrind, libcurl 7.88). wait leaves libcurl's
 * timer out (kwa_engine_run): curl_multi_poll shortens its wait to that
 * timer by itself, and that timer is 0 right after a transfer is added,
 * which would skip the poll and leave most answers to a second turn of
 * the caller's loop. */
static void drive(kwa_engine_t *e, long wait)
{
    int running = 0;

    curl_multi_perform(e->multi, &running);
    if (wait != 0 && (size_t)running == e->n_active) /* nothing finished yet */
        curl_multi_poll(e->multi, NULL, 0, wait < 0 || wait > INT_MAX ? INT_MAX : (int)wait,
                        NULL);
    curl_multi_perform(e->multi, &running);
}

int kwa_engine_run(kwa_engine_t *e, long timeout_ms)
{
    long wait;
    int running;
    double t_now = now();

    start_jobs(e, t_now);
    if (kwa_dispatch_pending(e->d) == 0)
        return 0;
    wait = timeout_at(e, t_now, 0);
    if (timeout_ms >= 0 && (wait < 0 || wait > timeout_ms))
        wait = timeout_ms;
    if (e->evented) {
        e->loop.wait(e->loop.data, wait, on_ready, e);
        if (e->timer_at >= 0 && e->timer_at <= now()) {
            e->timer_at = -1;
            curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        }
    } else {
        drive(e, wait);
    }
    /* one clock read serves everything after the wait (a read is a
     * libc call and a conversion, at every turn of every send's loop) */
    t_now = now();
    collect(e, t_now);
    expire(e, t_now);
    start_jobs(e, t_now);
    /* callbacks last, outside any libcurl frame */
    return kwa_dispatch_deliver(e->d);
}

int kwa_engine_fd(kwa_engine_t *e)
{
    if (e->loop.fd == NULL)
        return -1;
    if (!e->evented)
        go_evented(e);
    return e->loop.fd(e->loop.data);
}
