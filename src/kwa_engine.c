/*
 * kwa_engine.c - libcurl multi engine (see kwa_engine.h for the contract).
 *
 * Each transfer owns an easy handle, its request and a response buffer;
 * finished transfers go back to a free list so their easy handles (and
 * the multi's connection cache) are reused. libcurl tells us which
 * sockets to watch (socket callback -> epoll_ctl) and when to wake up
 * (timer callback); kwa_engine_run() waits on epoll and feeds events back
 * with curl_multi_socket_action().
 *
 * Policy fixed here: TLS peer and host verification on, no redirects,
 * http and https only, no signals, no Expect: 100-continue, answers over
 * KWA_MAX_RESPONSE refused. The api-key lives only in the shared header
 * list, which is scrubbed before it is freed.
 */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "kwa_engine.h"

#define USER_AGENT "kaleyra-whatsapp/" KWA_VERSION " libcurl/" LIBCURL_VERSION

typedef struct transfer {
    struct transfer *next; /* in the queue, the done list or the free list */
    struct transfer *active_prev, *active_next; /* while curl runs it */
    kwa_engine_t *engine;
    CURL *easy;
    kwa_request_t req;
    kwa_callback_t done;
    void *ud;
    kwa_result_t res;
    int attempts;
    double not_before; /* monotonic seconds: a retry waits until then */
    char *buf;
    size_t len, cap;
    int requests; /* times libcurl was about to send this attempt */
    int too_big;
    char errbuf[CURL_ERROR_SIZE];
} transfer_t;

typedef struct list {
    transfer_t *head, *tail;
    size_t n;
} list_t;

struct kwa_engine {
    CURLM *multi;
    int epfd;
    const kwa_config_t *cfg;
    struct curl_slist *headers;
    double timer_at; /* monotonic seconds; < 0: no timer */
    double paused_until;
    size_t running, concurrency;
    transfer_t *active; /* the transfers curl runs now */
    list_t queue;   /* submitted, in order */
    list_t delayed; /* retries waiting for their backoff (at most the pool) */
    list_t done, spare;
    unsigned long long rng;
};

/* ---- small helpers ---- */

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void push(list_t *l, transfer_t *t)
{
    t->next = NULL;
    if (l->tail != NULL)
        l->tail->next = t;
    else
        l->head = t;
    l->tail = t;
    l->n++;
}

static transfer_t *pop(list_t *l)
{
    transfer_t *t = l->head;

    if (t != NULL) {
        l->head = t->next;
        if (l->head == NULL)
            l->tail = NULL;
        l->n--;
        t->next = NULL;
    }
    return t;
}

static double random01(kwa_engine_t *e)
{
    e->rng ^= e->rng << 13; /* xorshift64: jitter only, not security */
    e->rng ^= e->rng >> 7;
    e->rng ^= e->rng << 17;
    return (double)(e->rng >> 11) / 9007199254740992.0;
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

/* ---- libcurl callbacks: C only, they never call back into users ---- */

static size_t on_data(char *data, size_t size, size_t n, void *ud)
{
    transfer_t *t = ud;
    size_t add = size * n, cap;
    char *grown;

    if (t->len + add > KWA_MAX_RESPONSE) {
        t->too_big = 1;
        return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
    }
    if (t->len + add + 1 > t->cap) {
        cap = t->cap ? t->cap : 1024;
        while (cap < t->len + add + 1)
            cap *= 2;
        grown = realloc(t->buf, cap);
        if (grown == NULL)
            return 0;
        t->buf = grown;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, data, add);
    t->len += add;
    t->buf[t->len] = '\0';
    return add;
}

/* Called by libcurl right before it sends a request. A second call within
 * one attempt means libcurl is about to send the request again by itself:
 * it does so when a reused connection dies before any answer, yet the
 * service may already have acted on the first copy. Abort instead; the
 * caller gets an error that says the message may have been sent.
 * (A read callback without rewind would stop it too, but costs a second
 * send() per request; this keeps the body in the headers' write.) */
static int on_prereq(void *ud, char *conn_primary_ip, char *conn_local_ip,
                     int conn_primary_port, int conn_local_port)
{
    transfer_t *t = ud;

    (void)conn_primary_ip;
    (void)conn_local_ip;
    (void)conn_primary_port;
    (void)conn_local_port;
    return ++t->requests > 1 ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *ud, void *sockp)
{
    kwa_engine_t *e = ud;
    struct epoll_event ev;

    (void)easy;
    (void)sockp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(e->epfd, EPOLL_CTL_DEL, s, NULL); /* may already be closed */
        return 0;
    }
    memset(&ev, 0, sizeof ev);
    ev.data.fd = s;
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    if (epoll_ctl(e->epfd, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT)
        epoll_ctl(e->epfd, EPOLL_CTL_ADD, s, &ev);
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *ud)
{
    kwa_engine_t *e = ud;

    (void)multi;
    e->timer_at = timeout_ms < 0 ? -1 : now() + (double)timeout_ms / 1000.0;
    return 0;
}

/* ---- setup ---- */

static struct curl_slist *make_headers(const char *api_key)
{
    static const char *const fixed[] = {
        "Content-Type: application/json", "Accept: application/json", "Expect:",
    };
    size_t n = strlen(api_key) + sizeof "api-key: ", i;
    char *line = malloc(n);
    struct curl_slist *list, *next;

    if (line == NULL)
        return NULL;
    snprintf(line, n, "api-key: %s", api_key);
    list = curl_slist_append(NULL, line);
    explicit_bzero(line, n);
    free(line);
    for (i = 0; list != NULL && i < sizeof fixed / sizeof fixed[0]; i++) {
        next = curl_slist_append(list, fixed[i]);
        if (next == NULL) {
            explicit_bzero(list->data, strlen(list->data));
            curl_slist_free_all(list);
            return NULL;
        }
        list = next;
    }
    return list;
}

static CURL *new_easy(kwa_engine_t *e, transfer_t *t)
{
    const kwa_config_t *cfg = e->cfg;
    CURL *h = curl_easy_init();

    if (h == NULL)
        return NULL;
    curl_easy_setopt(h, CURLOPT_PRIVATE, t);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, e->headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, t);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L); /* prefer multiplexing to new connections */
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    if (cfg->ca_file != NULL)
        curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
    if (cfg->ca_path != NULL)
        curl_easy_setopt(h, CURLOPT_CAPATH, cfg->ca_path);
    return h;
}

kwa_engine_t *kwa_engine_new(const kwa_config_t *cfg, kwa_result_t *err)
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
    e->timer_at = -1;
    e->concurrency = cfg->concurrency;
    e->rng = (unsigned long long)(now() * 1e9) | 1;
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    e->multi = curl_multi_init();
    e->headers = make_headers(cfg->api_key);
    if (e->epfd < 0 || e->multi == NULL || e->headers == NULL) {
        kwa_engine_free(e);
        kwa_fail(err, KWA_NOMEM, NULL, "out of memory or descriptors");
        return NULL;
    }
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
    curl_multi_setopt(e->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    kwa_engine_set_concurrency(e, e->concurrency);
    return e;
}

void kwa_engine_set_concurrency(kwa_engine_t *e, size_t n)
{
    e->concurrency = n ? n : 1;
    curl_multi_setopt(e->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)e->concurrency);
    curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, (long)e->concurrency);
}

static void transfer_free(transfer_t *t)
{
    if (t->easy != NULL)
        curl_easy_cleanup(t->easy);
    kwa_request_free(&t->req);
    kwa_result_free(&t->res);
    free(t->buf);
    free(t);
}

/* Ends every transfer of l: unfinished ones are reported as cancelled,
 * so each callback runs exactly once and its owner can free what it
 * passed as ud. */
static void cancel_all(list_t *l, int running)
{
    transfer_t *t;

    while ((t = pop(l)) != NULL) {
        if (t->done != NULL) {
            if (t->res.kind == KWA_OK && t->res.status == 0) {
                kwa_fail(&t->res, KWA_NETWORK, NULL,
                         "cancelled: the client was closed before an answer came");
                t->res.sent = running;
                t->res.retryable = 1;
            }
            t->done(t->ud, &t->res);
        }
        transfer_free(t);
    }
}

void kwa_engine_free(kwa_engine_t *e)
{
    struct curl_slist *h;
    transfer_t *t;
    list_t running = {NULL, NULL, 0};

    if (e == NULL)
        return;
    while ((t = e->active) != NULL) {
        e->active = t->active_next;
        curl_multi_remove_handle(e->multi, t->easy);
        push(&running, t);
    }
    cancel_all(&e->done, 1);
    cancel_all(&running, 1);
    cancel_all(&e->delayed, 0);
    cancel_all(&e->queue, 0);
    cancel_all(&e->spare, 0); /* spare transfers have no callback left */
    if (e->multi != NULL)
        curl_multi_cleanup(e->multi);
    if (e->epfd >= 0)
        close(e->epfd);
    for (h = e->headers; h != NULL; h = h->next)
        explicit_bzero(h->data, strlen(h->data));
    curl_slist_free_all(e->headers);
    free(e);
}

/* ---- submitting and starting ---- */

int kwa_engine_submit(kwa_engine_t *e, kwa_request_t *req,
                      kwa_callback_t done, void *ud, kwa_result_t *err)
{
    transfer_t *t = pop(&e->spare);

    if (t == NULL)
        t = calloc(1, sizeof *t);
    if (t == NULL) {
        kwa_request_free(req);
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    }
    t->engine = e;
    t->req = *req;
    memset(req, 0, sizeof *req);
    t->done = done;
    t->ud = ud;
    t->attempts = 0;
    t->not_before = 0;
    push(&e->queue, t);
    return 0;
}

/* Moves retries whose backoff is over to the front of the queue: they
 * were submitted before anything still queued. */
static void wake_delayed(kwa_engine_t *e, double t_now)
{
    list_t still = {NULL, NULL, 0}, due = {NULL, NULL, 0};
    transfer_t *t;

    while ((t = pop(&e->delayed)) != NULL)
        push(t->not_before <= t_now ? &due : &still, t);
    e->delayed = still;
    if (due.head == NULL)
        return;
    due.tail->next = e->queue.head; /* splice, keeping their order */
    e->queue.head = due.head;
    if (e->queue.tail == NULL)
        e->queue.tail = due.tail;
    e->queue.n += due.n;
}

/* Hands queued transfers to curl while slots are free. A retry waiting
 * for its backoff holds back nobody; a Retry-After answer pauses all new
 * starts until then, as the service asked. */
static void start_queued(kwa_engine_t *e, double t_now)
{
    transfer_t *t;

    wake_delayed(e, t_now);
    while (e->running < e->concurrency && e->queue.head != NULL &&
           e->paused_until <= t_now) {
        t = pop(&e->queue);
        if (t->easy == NULL)
            t->easy = new_easy(e, t);
        t->len = 0;
        t->too_big = 0;
        t->requests = 0;
        t->errbuf[0] = '\0';
        if (t->easy != NULL) {
            curl_easy_setopt(t->easy, CURLOPT_URL, t->req.url);
            curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)t->req.body_len);
            curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, t->req.body);
        }
        if (t->easy == NULL || curl_multi_add_handle(e->multi, t->easy) != CURLM_OK) {
            kwa_fail(&t->res, KWA_NOMEM, NULL, "out of memory");
            push(&e->done, t);
            continue;
        }
        t->attempts++;
        t->active_prev = NULL;
        t->active_next = e->active;
        if (e->active != NULL)
            e->active->active_prev = t;
        e->active = t;
        e->running++;
    }
}

/* ---- finishing ---- */

/* Maps a failed transfer to an error kind; `sent` says whether any of the
 * request may have left this machine, which decides if a retry is safe. */
static void transfer_error(transfer_t *t, CURLcode rc)
{
    kwa_result_t *res = &t->res;
    curl_off_t request_size = 0;
    const char *why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
    kwa_kind_t kind = KWA_NETWORK;

    curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &request_size);
    kwa_result_free(res);
    res->sent = request_size > 0;
    res->retryable = 1;
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        kind = KWA_TIMEOUT;
        break;
    case CURLE_ABORTED_BY_CALLBACK: /* see on_prereq */
        res->sent = 1;
        why = "the connection closed after the request was sent, before any answer";
        break;
    case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH: case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND: case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED: case CURLE_SSL_SHUTDOWN_FAILED:
        kind = KWA_TLS, res->retryable = 0;
        break;
    case CURLE_UNSUPPORTED_PROTOCOL: case CURLE_URL_MALFORMAT:
        kind = KWA_CONFIG, res->retryable = 0;
        break;
    case CURLE_OUT_OF_MEMORY:
        kind = KWA_NOMEM;
        break;
    case CURLE_WRITE_ERROR:
        if (t->too_big) {
            res->retryable = 0;
            kwa_fail(res, KWA_PROTOCOL, NULL, "the answer is larger than %d bytes",
                     KWA_MAX_RESPONSE);
            return;
        }
        kind = KWA_NOMEM;
        break;
    case CURLE_WEIRD_SERVER_REPLY: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
        kind = KWA_PROTOCOL;
        break;
    default: /* resolve, connect, send, receive, partial answers */
        break;
    }
    kwa_fail(res, kind, NULL, "%s", why);
}

static void finish(kwa_engine_t *e, transfer_t *t, CURLcode rc, double t_now)
{
    long status = 0;
    curl_off_t retry_after = 0;
    double delay;

    if (t->active_prev != NULL)
        t->active_prev->active_next = t->active_next;
    else
        e->active = t->active_next;
    if (t->active_next != NULL)
        t->active_next->active_prev = t->active_prev;
    curl_multi_remove_handle(e->multi, t->easy);
    e->running--;

    if (rc != CURLE_OK) {
        transfer_error(t, rc);
    } else {
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        kwa_response_parse(&t->res, t->req.answer, status, t->buf ? t->buf : "", t->len);
        curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &retry_after);
        t->res.retry_after = (double)retry_after;
    }
    t->res.attempts = t->attempts;
    delay = kwa_retry_delay(&t->res, t->attempts, e->cfg->retries, random01(e));
    if (delay < 0) {
        push(&e->done, t);
        return;
    }
    if (t->res.retry_after > 0 && t_now + delay > e->paused_until)
        e->paused_until = t_now + delay; /* the service asked everyone to wait */
    t->not_before = t_now + delay;
    kwa_result_free(&t->res);
    push(&e->delayed, t);
}

static void collect(kwa_engine_t *e)
{
    CURLMsg *msg;
    int left;
    transfer_t *t;
    double t_now = now();

    while ((msg = curl_multi_info_read(e->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        finish(e, t, msg->data.result, t_now);
    }
}

/* ---- driving ---- */

long kwa_engine_timeout(const kwa_engine_t *e)
{
    double t_now = now(), at = -1, q;
    const transfer_t *t;

    if (e->timer_at >= 0)
        at = e->timer_at;
    if (e->queue.head != NULL && e->running < e->concurrency &&
        (at < 0 || e->paused_until < at))
        at = e->paused_until; /* now, unless a Retry-After pause runs */
    for (t = e->delayed.head; t != NULL; t = t->next) {
        q = t->not_before > e->paused_until ? t->not_before : e->paused_until;
        if (at < 0 || q < at)
            at = q;
    }
    if (e->done.head != NULL)
        return 0;
    if (at < 0)
        return -1;
    return at <= t_now ? 0 : (long)((at - t_now) * 1000.0) + 1;
}

int kwa_engine_run(kwa_engine_t *e, long timeout_ms)
{
    struct epoll_event evs[32];
    int n, i, running, finished = 0;
    long wait;
    transfer_t *t;

    start_queued(e, now());
    if (e->running == 0 && e->queue.head == NULL && e->delayed.head == NULL &&
        e->done.head == NULL)
        return 0;
    wait = kwa_engine_timeout(e);
    if (wait < 0 || wait > timeout_ms)
        wait = timeout_ms;
    n = epoll_wait(e->epfd, evs, 32, e->done.head != NULL ? 0 : (int)wait);
    for (i = 0; i < n; i++) {
        int flags = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                    (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                    (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(e->multi, evs[i].data.fd, flags, &running);
    }
    if (e->timer_at >= 0 && e->timer_at <= now()) {
        e->timer_at = -1;
        curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    collect(e);
    start_queued(e, now());
    /* callbacks last, outside any libcurl frame; each transfer is off
     * every list before its callback runs, so a callback may submit */
    while ((t = pop(&e->done)) != NULL) {
        t->done(t->ud, &t->res);
        t->done = NULL;
        kwa_result_free(&t->res);
        kwa_request_free(&t->req);
        if (e->spare.n < e->concurrency)
            push(&e->spare, t);
        else
            transfer_free(t); /* keep the free list as small as the pool */
        finished++;
    }
    return finished;
}

size_t kwa_engine_pending(const kwa_engine_t *e)
{
    return e->running + e->queue.n + e->delayed.n + e->done.n;
}

size_t kwa_engine_running(const kwa_engine_t *e)
{
    return e->running;
}

int kwa_engine_fd(const kwa_engine_t *e)
{
    return e->epfd;
}
