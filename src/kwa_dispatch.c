/*
 * kwa_dispatch.c - the transport-agnostic policy machine (contract in
 * kwa_dispatch.h). No I/O, no clock: every time is the caller's `now`.
 *
 * A request is a job that lives on exactly one list at a time: the queue
 * (waiting to start, in order), the running list, the delayed list
 * (a retry waiting for its backoff) or the done list (waiting for
 * kwa_dispatch_deliver). Delivered jobs go to a small spare list so a
 * steady stream of requests does not call malloc for each one.
 *
 * Caveat: the running list is doubly linked because a transport may
 * report its jobs in any order; the others are plain FIFO lists.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kwa_dispatch.h"

enum { JOB_FREE, JOB_QUEUED, JOB_RUNNING, JOB_DELAYED, JOB_DONE };

struct kwa_job {
    struct kwa_job *next;             /* queue, delayed, done or spare */
    struct kwa_job *run_prev, *run_next;
    kwa_request_t req;
    kwa_callback_t cb;
    void *ud;
    kwa_result_t res;
    int attempts;
    int state;
    double not_before; /* delayed: the backoff ends then */
    void *data;        /* the transport's */
};

typedef struct list {
    kwa_job_t *head, *tail;
    size_t n;
} list_t;

struct kwa_dispatch {
    list_t queue, delayed, done, spare;
    kwa_job_t *running_head;
    size_t running, concurrency;
    int retries;
    double paused_until; /* Retry-After: no start before then */
    double rate;         /* first attempts per second; 0: unpaced */
    double rate_t0;      /* when the paced schedule began */
    unsigned long rate_n; /* first attempts started on that schedule */
    int rate_started;
    unsigned long long rng;
};

/* ---- lists ---- */

static void push(list_t *l, kwa_job_t *j)
{
    j->next = NULL;
    if (l->tail != NULL)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
    l->n++;
}

static kwa_job_t *pop(list_t *l)
{
    kwa_job_t *j = l->head;

    if (j != NULL) {
        l->head = j->next;
        if (l->head == NULL)
            l->tail = NULL;
        l->n--;
        j->next = NULL;
    }
    return j;
}

static void run_add(kwa_dispatch_t *d, kwa_job_t *j)
{
    j->run_prev = NULL;
    j->run_next = d->running_head;
    if (d->running_head != NULL)
        d->running_head->run_prev = j;
    d->running_head = j;
    d->running++;
}

static void run_remove(kwa_dispatch_t *d, kwa_job_t *j)
{
    if (j->run_prev != NULL)
        j->run_prev->run_next = j->run_next;
    else
        d->running_head = j->run_next;
    if (j->run_next != NULL)
        j->run_next->run_prev = j->run_prev;
    j->run_prev = j->run_next = NULL;
    d->running--;
}

static double random01(kwa_dispatch_t *d)
{
    d->rng ^= d->rng << 13; /* xorshift64: jitter only, not security */
    d->rng ^= d->rng >> 7;
    d->rng ^= d->rng << 17;
    return (double)(d->rng >> 11) / 9007199254740992.0;
}

/* ---- Retry-After: delta-seconds or an HTTP-date (RFC 7231 7.1.3) ---- */

static long days_from_civil(long y, long m, long d) /* 1970-01-01 = 0 */
{
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_of(const char *s)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int i;

    for (i = 0; i < 12; i++)
        if (strncmp(s, names + 3 * i, 3) == 0)
            return i + 1;
    return 0;
}

/* Seconds since the epoch of an IMF-fixdate, RFC 850 or asctime date;
 * -1 if it is none of them. sscanf's %d and %s do not depend on the
 * locale, unlike strptime's day and month names. */
static double http_date(const char *s)
{
    char mon[4] = "";
    int day = 0, year = 0, hh = 0, mm = 0, ss = 0, month;

    if (sscanf(s, "%*3s, %2d %3s %4d %2d:%2d:%2d GMT", &day, mon, &year, &hh, &mm, &ss) == 6)
        ;
    else if (sscanf(s, "%*[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d GMT", &day, mon, &year, &hh, &mm, &ss) == 6)
        year += year < 70 ? 2000 : 1900;
    else if (sscanf(s, "%*3s %3s %2d %2d:%2d:%2d %4d", mon, &day, &hh, &mm, &ss, &year) == 6)
        ;
    else
        return -1;
    month = month_of(mon);
    if (month == 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970)
        return -1;
    return (double)days_from_civil(year, month, day) * 86400.0 + hh * 3600.0 + mm * 60.0 + ss;
}

/* Seconds to wait from a Retry-After value, 0 when absent or unusable
 * (as libcurl's CURLINFO_RETRY_AFTER does). wall_now: the epoch seconds
 * an HTTP-date is measured from. */
static double retry_after_of(const char *v, double wall_now)
{
    double secs = 0, at;

    if (v == NULL)
        return 0;
    while (*v == ' ' || *v == '\t')
        v++;
    if (isdigit((unsigned char)*v)) {
        for (; isdigit((unsigned char)*v); v++)
            if (secs < 1e9) /* the retry policy caps it far lower anyway */
                secs = secs * 10 + (*v - '0');
        while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
            v++;
        return *v == '\0' ? secs : 0;
    }
    at = http_date(v);
    if (at < 0)
        return 0;
    if (wall_now <= 0)
        wall_now = (double)time(NULL); /* the one clock read: see the header */
    return at > wall_now ? at - wall_now : 0;
}

/* ---- classify: the one table of what an outcome means ---- */

static const struct {
    kwa_kind_t kind;
    int sent, retryable;
    const char *words; /* used when the transport gives no detail */
} io_table[] = {
    [KWA_IO_CONNECT_FAILED] = {KWA_NETWORK, 0, 1, "could not connect to the service"},
    [KWA_IO_TLS_FAILED] = {KWA_TLS, 0, 0, "the TLS handshake or certificate check failed"},
    [KWA_IO_TIMEOUT_UNSENT] = {KWA_TIMEOUT, 0, 1, "timed out before the request was sent"},
    [KWA_IO_TIMEOUT_SENT] = {KWA_TIMEOUT, 1, 1,
                             "timed out after the request was sent, before the whole answer"},
    [KWA_IO_CLOSED_UNSENT] = {KWA_NETWORK, 0, 1,
                              "the connection closed before the request was sent"},
    [KWA_IO_CLOSED_SENT] = {KWA_NETWORK, 1, 1,
                            "the connection closed after the request was sent, before any answer"},
    [KWA_IO_TOO_LARGE] = {KWA_PROTOCOL, 1, 0, NULL},
    [KWA_IO_NOT_HTTP] = {KWA_PROTOCOL, 1, 0, "the answer is not HTTP"},
    [KWA_IO_BAD_URL] = {KWA_CONFIG, 0, 0, "the transport cannot use this URL"},
    [KWA_IO_NOMEM] = {KWA_NOMEM, 0, 0, "out of memory"},
};

void kwa_dispatch_classify(kwa_result_t *res, kwa_answer_t answer,
                           const kwa_outcome_t *o)
{
    const char *detail = o->detail != NULL && o->detail[0] != '\0' ? o->detail : NULL;
    int attempts = res->attempts;
    unsigned io = (unsigned)o->io;

    if (o->io == KWA_IO_ANSWER) {
        kwa_response_parse(res, answer, o->status, o->body != NULL ? o->body : "",
                           o->body != NULL ? o->body_len : 0);
        res->retry_after = retry_after_of(o->retry_after, o->wall_now);
        res->attempts = attempts;
        return;
    }
    kwa_result_free(res);
    res->attempts = attempts;
    if (io >= sizeof io_table / sizeof io_table[0] || io_table[io].kind == KWA_OK) {
        /* not in the vocabulary: assume the worst, the caller decides */
        kwa_fail(res, KWA_NETWORK, NULL, "the transport reported an unknown outcome");
        res->sent = 1, res->retryable = 1;
        return;
    }
    res->sent = io_table[io].sent;
    res->retryable = io_table[io].retryable;
    if (o->io == KWA_IO_TOO_LARGE)
        kwa_fail(res, KWA_PROTOCOL, NULL, "the answer is larger than %d bytes", KWA_MAX_RESPONSE);
    else if (o->io == KWA_IO_NOT_HTTP && detail != NULL)
        kwa_fail(res, KWA_PROTOCOL, NULL, "%s: %s", io_table[io].words, detail);
    else
        kwa_fail(res, io_table[io].kind, NULL, "%s", detail != NULL ? detail : io_table[io].words);
}

/* ---- the machine ---- */

kwa_dispatch_t *kwa_dispatch_new(int retries, size_t concurrency)
{
    kwa_dispatch_t *d = calloc(1, sizeof *d);

    if (d == NULL)
        return NULL;
    d->retries = retries < 0 ? 0 : retries;
    d->concurrency = concurrency ? concurrency : 1;
    d->rng = 0x9E3779B97F4A7C15ULL;
    return d;
}

void kwa_dispatch_seed(kwa_dispatch_t *d, unsigned long long seed)
{
    d->rng = seed ? seed : 0x9E3779B97F4A7C15ULL; /* xorshift must not be 0 */
}

int kwa_dispatch_reset(kwa_dispatch_t *d)
{
    if (d->queue.n != 0 || d->delayed.n != 0 || d->done.n != 0 || d->running != 0)
        return -1;
    d->paused_until = 0;
    d->rate = 0;
    d->rate_t0 = 0;
    d->rate_n = 0;
    d->rate_started = 0;
    return 0;
}

void kwa_dispatch_set_concurrency(kwa_dispatch_t *d, size_t n)
{
    d->concurrency = n ? n : 1;
}

void kwa_dispatch_set_rate(kwa_dispatch_t *d, double per_second)
{
    d->rate = per_second > 0 ? per_second : 0;
    d->rate_started = 0; /* the schedule starts again at the next start */
    d->rate_n = 0;
}

static void job_free(kwa_job_t *j)
{
    kwa_request_free(&j->req);
    kwa_result_free(&j->res);
    free(j);
}

/* Calls back every job of l as cancelled (or with its final result if it
 * has one), so each callback runs exactly once. */
static int cancel_list(list_t *l, int running)
{
    kwa_job_t *j;
    int n = 0;

    while ((j = pop(l)) != NULL) {
        if (j->state != JOB_DONE) {
            kwa_result_free(&j->res);
            kwa_fail(&j->res, KWA_NETWORK, NULL,
                     "cancelled: the client was closed before an answer came");
            j->res.sent = running;
            j->res.retryable = 1;
        }
        j->res.attempts = j->attempts;
        j->state = JOB_FREE;
        if (j->cb != NULL)
            j->cb(j->ud, &j->res);
        job_free(j);
        n++;
    }
    return n;
}

void kwa_dispatch_free(kwa_dispatch_t *d)
{
    list_t running = {NULL, NULL, 0};
    kwa_job_t *j;
    int n;

    if (d == NULL)
        return;
    do { /* a callback may submit; that is cancelled too */
        while ((j = d->running_head) != NULL) {
            run_remove(d, j);
            push(&running, j);
        }
        n = cancel_list(&d->done, 1);
        n += cancel_list(&running, 1);
        n += cancel_list(&d->delayed, 0);
        n += cancel_list(&d->queue, 0);
    } while (n > 0);
    while ((j = pop(&d->spare)) != NULL)
        free(j);
    free(d);
}

int kwa_dispatch_submit(kwa_dispatch_t *d, kwa_request_t *req,
                        kwa_callback_t cb, void *ud, kwa_result_t *err)
{
    kwa_job_t *j = pop(&d->spare); /* its request and result are freed */

    if (j == NULL)
        j = calloc(1, sizeof *j);
    if (j == NULL) {
        kwa_request_free(req);
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    }
    /* field by field: a memset of the whole job (its result is ~800
     * bytes) costs more than the rest of submit */
    j->req = *req;
    memset(req, 0, sizeof *req);
    j->cb = cb;
    j->ud = ud;
    j->attempts = 0;
    j->not_before = 0;
    j->data = NULL;
    j->state = JOB_QUEUED;
    push(&d->queue, j);
    return 0;
}

/* Moves retries whose backoff is over to the front of the queue: they
 * were submitted before anything still queued. */
static void wake_delayed(kwa_dispatch_t *d, double now)
{
    list_t still = {NULL, NULL, 0}, due = {NULL, NULL, 0};
    kwa_job_t *j;

    if (d->delayed.head == NULL)
        return;
    while ((j = pop(&d->delayed)) != NULL) {
        if (j->not_before <= now)
            j->state = JOB_QUEUED;
        push(j->not_before <= now ? &due : &still, j);
    }
    d->delayed = still;
    if (due.head == NULL)
        return;
    due.tail->next = d->queue.head; /* splice, keeping their order */
    d->queue.head = due.head;
    if (d->queue.tail == NULL)
        d->queue.tail = due.tail;
    d->queue.n += due.n;
}

/* When the paced schedule lets the next first attempt start. */
static double rate_due(const kwa_dispatch_t *d, double now)
{
    if (d->rate <= 0)
        return now;
    if (!d->rate_started)
        return now; /* the schedule begins with this start */
    return d->rate_t0 + (double)d->rate_n / d->rate;
}

kwa_job_t *kwa_dispatch_next(kwa_dispatch_t *d, double now)
{
    kwa_job_t *j;

    wake_delayed(d, now);
    j = d->queue.head;
    if (j == NULL || d->running >= d->concurrency || d->paused_until > now)
        return NULL;
    if (j->attempts == 0 && d->rate > 0) {
        if (rate_due(d, now) > now)
            return NULL; /* retries are never behind a first attempt */
        if (!d->rate_started) {
            d->rate_started = 1;
            d->rate_t0 = now;
            d->rate_n = 0;
        }
        d->rate_n++;
    }
    pop(&d->queue);
    j->attempts++;
    j->state = JOB_RUNNING;
    j->data = NULL;
    run_add(d, j);
    return j;
}

const kwa_request_t *kwa_job_request(const kwa_job_t *job)
{
    return &job->req;
}

int kwa_job_attempt(const kwa_job_t *job)
{
    return job->attempts;
}

void kwa_job_set_data(kwa_job_t *job, void *data)
{
    job->data = data;
}

void *kwa_job_data(const kwa_job_t *job)
{
    return job->data;
}

void kwa_dispatch_report(kwa_dispatch_t *d, kwa_job_t *j,
                         const kwa_outcome_t *o, double now)
{
    double delay;

    if (j == NULL || j->state != JOB_RUNNING)
        return; /* no job, or reported twice: the first report stands */
    run_remove(d, j);
    j->data = NULL;
    kwa_dispatch_classify(&j->res, j->req.answer, o);
    j->res.attempts = j->attempts;
    delay = kwa_retry_delay(&j->res, j->attempts, d->retries, random01(d));
    if (delay < 0) {
        j->state = JOB_DONE;
        push(&d->done, j);
        return;
    }
    if (j->res.retry_after > 0 && now + delay > d->paused_until)
        d->paused_until = now + delay; /* the service asked everyone to wait */
    j->not_before = now + delay;
    kwa_result_free(&j->res);
    j->state = JOB_DELAYED;
    push(&d->delayed, j);
}

int kwa_dispatch_deliver(kwa_dispatch_t *d)
{
    kwa_job_t *j;
    int n = 0;

    /* each job is off every list before its callback runs, so a
     * callback may submit (and may reuse this job's memory) */
    while ((j = pop(&d->done)) != NULL) {
        j->state = JOB_FREE;
        if (j->cb != NULL)
            j->cb(j->ud, &j->res);
        kwa_result_free(&j->res);
        kwa_request_free(&j->req);
        if (d->spare.n < d->concurrency)
            push(&d->spare, j); /* submit relies on both being freed */
        else
            free(j); /* keep the spare list as small as the pool */
        n++;
    }
    return n;
}

double kwa_dispatch_wait(const kwa_dispatch_t *d, double now)
{
    double at = -1, q;
    const kwa_job_t *j;

    if (d->done.head != NULL)
        return 0;
    if (d->running >= d->concurrency)
        return -1;
    if ((j = d->queue.head) != NULL) {
        at = j->attempts == 0 ? rate_due(d, now) : now;
        if (at < d->paused_until)
            at = d->paused_until;
    }
    for (j = d->delayed.head; j != NULL; j = j->next) {
        q = j->not_before > d->paused_until ? j->not_before : d->paused_until;
        if (at < 0 || q < at)
            at = q;
    }
    if (at < 0)
        return -1;
    if (at <= now)
        return 0;
    /* a caller that waits exactly this long must find the job due, even
     * where now + (at - now) rounds below at */
    for (q = at - now; now + q < at;)
        q = nextafter(q, HUGE_VAL);
    return q;
}

size_t kwa_dispatch_pending(const kwa_dispatch_t *d)
{
    return d->running + d->queue.n + d->delayed.n + d->done.n;
}

size_t kwa_dispatch_running(const kwa_dispatch_t *d)
{
    return d->running;
}

size_t kwa_dispatch_queued(const kwa_dispatch_t *d)
{
    return d->queue.n + d->delayed.n;
}
