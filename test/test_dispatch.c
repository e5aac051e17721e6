/*
 * test_dispatch.c - the policy machine (src/kwa_dispatch.c) driven by
 * hand with a fake clock: the classify table row by row, queueing,
 * concurrency, rate pacing, retry scheduling, the Retry-After pause,
 * reset, cancelling on free and callbacks that submit.
 */
#include <stdlib.h>

#include "unit.h"
#include "../src/kwa_dispatch.h"

/* ---- helpers ---- */

static char *dup_text(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);

    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

/* The callback log: which request (by id) finished, in order, with what. */
typedef struct seen {
    int id;
    kwa_kind_t kind;
    int sent, retryable, attempts;
    long status;
    char message[512];
} seen_t;

static seen_t seen[64];
static int n_seen;

static void on_done(void *ud, kwa_result_t *res)
{
    seen_t *s = &seen[n_seen++ % 64];

    s->id = (int)(size_t)ud;
    s->kind = res->kind;
    s->sent = res->sent;
    s->retryable = res->retryable;
    s->attempts = res->attempts;
    s->status = res->status;
    snprintf(s->message, sizeof s->message, "%s", res->message);
}

static int submit(kwa_dispatch_t *d, int id)
{
    kwa_request_t req;
    kwa_result_t err;

    memset(&req, 0, sizeof req);
    memset(&err, 0, sizeof err);
    req.op = "text";
    req.method = "POST";
    req.answer = KWA_ANSWER_MESSAGE;
    req.url = req.url_owned = dup_text("http://127.0.0.1:1/v2/wa/messages");
    req.body = dup_text("{}");
    req.body_len = 2;
    return kwa_dispatch_submit(d, &req, on_done, (void *)(size_t)id, &err);
}

static int job_id(kwa_job_t *j) /* the test keeps each job's id as its data */
{
    return j == NULL ? -1 : (int)(size_t)kwa_job_data(j);
}

static kwa_job_t *start(kwa_dispatch_t *d, double now, int id)
{
    kwa_job_t *j = kwa_dispatch_next(d, now);

    if (j != NULL)
        kwa_job_set_data(j, (void *)(size_t)id);
    return j;
}

#define ACCEPTED "{\"code\":\"WA202\",\"message\":\"Request Accepted\"," \
                 "\"data\":{\"message_id\":\"A1\"}}"

static void answer(kwa_dispatch_t *d, kwa_job_t *j, long status,
                   const char *retry_after, double now)
{
    kwa_outcome_t o;

    memset(&o, 0, sizeof o);
    o.io = KWA_IO_ANSWER;
    o.status = status;
    o.body = status == 202 ? ACCEPTED : "{}";
    o.body_len = strlen(o.body);
    o.retry_after = retry_after;
    kwa_dispatch_report(d, j, &o, now);
}

static void fail(kwa_dispatch_t *d, kwa_job_t *j, kwa_io_t io, double now)
{
    kwa_outcome_t o;

    memset(&o, 0, sizeof o);
    o.io = io;
    kwa_dispatch_report(d, j, &o, now);
}

/* ---- classify: one row per outcome ---- */

static void test_classify_table(void)
{
    static const struct {
        kwa_io_t io;
        const char *detail;
        kwa_kind_t kind;
        int sent, retryable;
        const char *message;
    } rows[] = {
        {KWA_IO_CONNECT_FAILED, NULL, KWA_NETWORK, 0, 1, "could not connect to the service"},
        {KWA_IO_CONNECT_FAILED, "Connection refused", KWA_NETWORK, 0, 1, "Connection refused"},
        {KWA_IO_TLS_FAILED, NULL, KWA_TLS, 0, 0, "the TLS handshake or certificate check failed"},
        {KWA_IO_TIMEOUT_UNSENT, NULL, KWA_TIMEOUT, 0, 1, "timed out before the request was sent"},
        {KWA_IO_TIMEOUT_SENT, "read timed out", KWA_TIMEOUT, 1, 1, "read timed out"},
        {KWA_IO_TIMEOUT_SENT, NULL, KWA_TIMEOUT, 1, 1,
         "timed out after the request was sent, before the whole answer"},
        {KWA_IO_CLOSED_UNSENT, NULL, KWA_NETWORK, 0, 1,
         "the connection closed before the request was sent"},
        {KWA_IO_CLOSED_SENT, NULL, KWA_NETWORK, 1, 1,
         "the connection closed after the request was sent, before any answer"},
        {KWA_IO_CLOSED_SENT, "Empty reply from server", KWA_NETWORK, 1, 1, "Empty reply from server"},
        {KWA_IO_TOO_LARGE, NULL, KWA_PROTOCOL, 1, 0, "the answer is larger than 1048576 bytes"},
        {KWA_IO_TOO_LARGE, "ignored", KWA_PROTOCOL, 1, 0, "the answer is larger than 1048576 bytes"},
        {KWA_IO_NOT_HTTP, NULL, KWA_PROTOCOL, 1, 0, "the answer is not HTTP"},
        {KWA_IO_NOT_HTTP, "Received HTTP/0.9 when not allowed", KWA_PROTOCOL, 1, 0,
         "the answer is not HTTP: Received HTTP/0.9 when not allowed"},
        {KWA_IO_BAD_URL, NULL, KWA_CONFIG, 0, 0, "the transport cannot use this URL"},
        {KWA_IO_NOMEM, NULL, KWA_NOMEM, 0, 0, "out of memory"},
        {KWA_IO_NOMEM, "", KWA_NOMEM, 0, 0, "out of memory"},
        {(kwa_io_t)99, NULL, KWA_NETWORK, 1, 1, "the transport reported an unknown outcome"},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        kwa_result_t res;
        kwa_outcome_t o;

        memset(&res, 0, sizeof res);
        memset(&o, 0, sizeof o);
        res.attempts = 2;
        res.raw = dup_text("left over"); /* released by classify */
        o.io = rows[i].io;
        o.detail = rows[i].detail;
        UNIT_CASE(rows[i].message);
        kwa_dispatch_classify(&res, KWA_ANSWER_MESSAGE, &o);
        CHECK_INT(res.kind, rows[i].kind);
        CHECK_INT(res.sent, rows[i].sent);
        CHECK_INT(res.retryable, rows[i].retryable);
        CHECK_STR(res.message, rows[i].message);
        CHECK_INT(res.status, 0);
        CHECK_NULL(res.raw);
        CHECK_INT(res.attempts, 2);
        kwa_result_free(&res);
    }
    UNIT_CASE("");
}

static void test_classify_answers(void)
{
    static const struct {
        const char *name;
        long status;
        const char *body, *retry_after;
        double wall_now;
        kwa_kind_t kind;
        double want_after;
    } rows[] = {
        {"202 accepted", 202, ACCEPTED, NULL, 0, KWA_OK, 0},
        {"429 delta-seconds", 429, "{}", "3", 0, KWA_RATE_LIMIT, 3},
        {"503 delta with spaces", 503, "{}", " 7 ", 0, KWA_SERVER, 7},
        {"503 IMF-fixdate", 503, "{}", "Sun, 06 Nov 1994 08:49:37 GMT", 784111770.0,
         KWA_SERVER, 7},
        {"429 RFC 850 date", 429, "{}", "Sunday, 06-Nov-94 08:49:37 GMT", 784111767.0,
         KWA_RATE_LIMIT, 10},
        {"429 asctime date", 429, "{}", "Sun Nov  6 08:49:37 1994", 784111776.0,
         KWA_RATE_LIMIT, 1},
        {"a date in the past", 429, "{}", "Sun, 06 Nov 1994 08:49:37 GMT", 784111800.0,
         KWA_RATE_LIMIT, 0},
        {"not a number or date", 429, "{}", "soon", 784111800.0, KWA_RATE_LIMIT, 0},
        {"a number with junk", 429, "{}", "3x", 0, KWA_RATE_LIMIT, 0},
        {"a bad month", 429, "{}", "Sun, 06 Nox 1994 08:49:37 GMT", 1.0, KWA_RATE_LIMIT, 0},
        {"an empty value", 503, "{}", "", 0, KWA_SERVER, 0},
        {"HTML error page", 502, "<html>bad gateway</html>", NULL, 0, KWA_SERVER, 0},
        {"no body at all", 500, NULL, NULL, 0, KWA_SERVER, 0},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        kwa_result_t res;
        kwa_outcome_t o;

        memset(&res, 0, sizeof res);
        memset(&o, 0, sizeof o);
        res.attempts = 1;
        o.io = KWA_IO_ANSWER;
        o.status = rows[i].status;
        o.body = rows[i].body;
        o.body_len = rows[i].body ? strlen(rows[i].body) : 0;
        o.retry_after = rows[i].retry_after;
        o.wall_now = rows[i].wall_now;
        UNIT_CASE(rows[i].name);
        kwa_dispatch_classify(&res, KWA_ANSWER_MESSAGE, &o);
        CHECK_INT(res.kind, rows[i].kind);
        CHECK_INT(res.status, rows[i].status);
        CHECK_INT(res.sent, 1);
        CHECK_INT(res.attempts, 1);
        CHECK_DBL(res.retry_after, rows[i].want_after, 1e-9);
        if (rows[i].kind == KWA_OK)
            CHECK_STR(res.message_id, "A1");
        kwa_result_free(&res);
    }
    UNIT_CASE("");
}

/* ---- the machine ---- */

static void test_order_and_concurrency(void)
{
    kwa_dispatch_t *d = kwa_dispatch_new(2, 2);
    kwa_job_t *a, *b, *c;
    int i;

    UNIT_CASE("order and concurrency");
    n_seen = 0;
    CHECK_DBL(kwa_dispatch_wait(d, 0), -1, 0);
    for (i = 1; i <= 4; i++)
        CHECK_INT(submit(d, i), 0);
    CHECK_INT(kwa_dispatch_pending(d), 4);
    CHECK_INT(kwa_dispatch_queued(d), 4);
    CHECK_DBL(kwa_dispatch_wait(d, 0), 0, 0);
    a = start(d, 0, 1);
    b = start(d, 0, 2);
    CHECK_NULL(start(d, 0, 3)); /* two in flight at most */
    CHECK_DBL(kwa_dispatch_wait(d, 0), -1, 0);
    CHECK_INT(kwa_dispatch_running(d), 2);
    CHECK_STR(kwa_job_request(a)->body, "{}");
    CHECK_INT(kwa_job_attempt(a), 1);
    answer(d, b, 202, NULL, 1);
    CHECK_INT(kwa_dispatch_deliver(d), 1); /* callbacks only from here */
    CHECK_INT(n_seen, 1);
    CHECK_INT(seen[0].id, 2);
    CHECK_INT(seen[0].kind, KWA_OK);
    CHECK_INT(seen[0].attempts, 1);
    c = start(d, 1, 3);
    CHECK_INT(job_id(c), 3);
    answer(d, a, 400, NULL, 1);
    CHECK_INT(n_seen, 1); /* report does not call back */
    CHECK_DBL(kwa_dispatch_wait(d, 1), 0, 0);
    CHECK_INT(kwa_dispatch_deliver(d), 1);
    CHECK_INT(seen[1].id, 1);
    CHECK_INT(seen[1].kind, KWA_PAYLOAD);
    CHECK_INT(kwa_dispatch_deliver(d), 0);
    kwa_dispatch_set_concurrency(d, 3);
    CHECK_INT(job_id(start(d, 2, 4)), 4);
    CHECK_INT(kwa_dispatch_pending(d), 2);
    kwa_dispatch_free(d); /* cancels 3 and 4 */
    CHECK_INT(n_seen, 4);
    UNIT_CASE("");
}

static void test_rate(void)
{
    kwa_dispatch_t *d = kwa_dispatch_new(2, 10);
    kwa_job_t *j;
    int i;

    UNIT_CASE("rate pacing");
    n_seen = 0;
    kwa_dispatch_set_rate(d, 2); /* one every 0.5 s */
    for (i = 1; i <= 4; i++)
        submit(d, i);
    CHECK_INT(job_id(start(d, 100, 1)), 1);
    CHECK_NULL(start(d, 100, 2));
    CHECK_DBL(kwa_dispatch_wait(d, 100), 0.5, 1e-9);
    CHECK_NULL(start(d, 100.4, 2));
    CHECK_INT(job_id(start(d, 100.5, 2)), 2);
    /* cumulative from t0: a late start does not shift the schedule */
    CHECK_INT(job_id(start(d, 101.2, 3)), 3);
    CHECK_NULL(start(d, 101.4, 4));
    CHECK_DBL(kwa_dispatch_wait(d, 101.2), 0.3, 1e-9);
    j = start(d, 101.5, 4);
    CHECK_INT(job_id(j), 4);
    /* a retry is not paced: it goes first, at once after its backoff */
    fail(d, j, KWA_IO_CONNECT_FAILED, 101.5);
    submit(d, 5);
    CHECK_DBL(kwa_dispatch_wait(d, 101.5), 0.25, 0.25); /* its backoff: [0, 0.25] */
    j = start(d, 101.76, 44);
    CHECK_INT(job_id(j), 44);
    CHECK_INT(kwa_job_attempt(j), 2);
    CHECK_NULL(start(d, 101.9, 5));
    CHECK_INT(job_id(start(d, 102.0, 5)), 5);
    /* set_rate starts a new schedule */
    submit(d, 6);
    submit(d, 7);
    kwa_dispatch_set_rate(d, 1);
    CHECK_INT(job_id(start(d, 200, 6)), 6);
    CHECK_NULL(start(d, 200.9, 7));
    CHECK_INT(job_id(start(d, 201, 7)), 7);
    kwa_dispatch_set_rate(d, 0);
    submit(d, 8);
    CHECK_INT(job_id(start(d, 201, 8)), 8);
    kwa_dispatch_free(d);
    CHECK_INT(n_seen, 8);
    UNIT_CASE("");
}

static void test_retries(void)
{
    kwa_dispatch_t *d = kwa_dispatch_new(2, 1);
    kwa_job_t *a;
    double w, now = 10;

    UNIT_CASE("retry scheduling");
    n_seen = 0;
    kwa_dispatch_seed(d, 42);
    submit(d, 1);
    submit(d, 2);
    a = start(d, now, 1);
    fail(d, a, KWA_IO_CONNECT_FAILED, now);
    CHECK_INT(kwa_dispatch_pending(d), 2);
    CHECK_INT(kwa_dispatch_running(d), 0);
    /* B was submitted later; it may start while A waits for its backoff */
    CHECK_INT(job_id(start(d, now, 2)), 2);
    CHECK_DBL(kwa_dispatch_wait(d, now), -1, 0); /* the one slot is busy */
    CHECK_NULL(kwa_dispatch_next(d, now + 1)); /* A is due, but the slot is busy */
    CHECK_INT(kwa_dispatch_deliver(d), 0);
    kwa_dispatch_free(d);
    CHECK_INT(n_seen, 2);

    d = kwa_dispatch_new(2, 1);
    n_seen = 0;
    kwa_dispatch_seed(d, 7);
    submit(d, 1);
    submit(d, 2);
    a = start(d, now, 1);
    fail(d, a, KWA_IO_TIMEOUT_UNSENT, now);
    CHECK_DBL(kwa_dispatch_wait(d, now), 0, 0); /* B could start now */
    /* once its backoff (at most 0.25 s) is over, the retry goes to the
     * front, before B which was queued after it */
    a = start(d, now + 0.25, 11);
    CHECK_INT(job_id(a), 11);
    CHECK_INT(kwa_job_attempt(a), 2);
    fail(d, a, KWA_IO_CONNECT_FAILED, now + 1);
    w = kwa_dispatch_wait(d, now + 1);
    CHECK(w >= 0 && w <= 0.5);
    a = start(d, now + 1.5, 111);
    CHECK_INT(kwa_job_attempt(a), 3);
    fail(d, a, KWA_IO_CONNECT_FAILED, now + 2); /* retries used up */
    CHECK_INT(kwa_dispatch_deliver(d), 1);
    CHECK_INT(seen[0].id, 1);
    CHECK_INT(seen[0].kind, KWA_NETWORK);
    CHECK_INT(seen[0].sent, 0);
    CHECK_INT(seen[0].retryable, 1);
    CHECK_INT(seen[0].attempts, 3);
    /* a timeout after sending is never retried automatically */
    a = start(d, now + 2, 2);
    fail(d, a, KWA_IO_TIMEOUT_SENT, now + 3);
    CHECK_INT(kwa_dispatch_deliver(d), 1);
    CHECK_INT(seen[1].id, 2);
    CHECK_INT(seen[1].kind, KWA_TIMEOUT);
    CHECK_INT(seen[1].sent, 1);
    CHECK_INT(seen[1].retryable, 1);
    CHECK_INT(seen[1].attempts, 1);
    CHECK_INT(kwa_dispatch_pending(d), 0);
    kwa_dispatch_free(d);

    /* retries = 0: none at all */
    d = kwa_dispatch_new(0, 1);
    n_seen = 0;
    submit(d, 1);
    fail(d, start(d, 0, 1), KWA_IO_CONNECT_FAILED, 0);
    CHECK_INT(kwa_dispatch_deliver(d), 1);
    CHECK_INT(seen[0].attempts, 1);
    kwa_dispatch_free(d);
    UNIT_CASE("");
}

static void test_retry_after_pause(void)
{
    kwa_dispatch_t *d = kwa_dispatch_new(2, 2);
    kwa_job_t *a, *b;

    UNIT_CASE("Retry-After pause");
    n_seen = 0;
    submit(d, 1);
    submit(d, 2);
    submit(d, 3);
    a = start(d, 10, 1);
    b = start(d, 10, 2);
    answer(d, a, 429, "2", 10); /* everyone waits until 12 */
    answer(d, b, 202, NULL, 10.5);
    CHECK_INT(kwa_dispatch_deliver(d), 1);
    CHECK_NULL(start(d, 11, 3));
    CHECK_DBL(kwa_dispatch_wait(d, 11), 1, 1e-9);
    a = start(d, 12, 11);
    CHECK_INT(job_id(a), 11); /* the retry first */
    CHECK_INT(kwa_job_attempt(a), 2);
    CHECK_INT(job_id(start(d, 12, 3)), 3);
    answer(d, a, 202, NULL, 12.1);
    CHECK_INT(kwa_dispatch_deliver(d), 1);
    CHECK_INT(seen[1].id, 1);
    CHECK_INT(seen[1].kind, KWA_OK);
    CHECK_INT(seen[1].attempts, 2);
    kwa_dispatch_free(d);

    /* a 503 whose Retry-After passes the cap waits 30 s, not more */
    d = kwa_dispatch_new(1, 1);
    submit(d, 1);
    answer(d, start(d, 0, 1), 503, "120", 0);
    CHECK_DBL(kwa_dispatch_wait(d, 0), 30, 1e-9);
    CHECK_NULL(start(d, 29.9, 1));
    a = start(d, 30, 1);
    CHECK_NOT_NULL(a);
    answer(d, a, 503, "120", 30); /* retries used up: delivered as is */
    n_seen = 0;
    CHECK_INT(kwa_dispatch_deliver(d), 1);
    CHECK_INT(seen[0].kind, KWA_SERVER);
    CHECK_INT(seen[0].status, 503);
    CHECK_INT(seen[0].attempts, 2);
    kwa_dispatch_free(d);
    UNIT_CASE("");
}

static void test_reset(void)
{
    kwa_dispatch_t *d = kwa_dispatch_new(1, 1);
    kwa_job_t *a;

    UNIT_CASE("reset");
    n_seen = 0;
    submit(d, 1);
    CHECK_INT(kwa_dispatch_reset(d), -1); /* queued */
    a = start(d, 10, 1);
    CHECK_INT(kwa_dispatch_reset(d), -1); /* running */
    answer(d, a, 429, "20", 10);          /* a retry, and a pause until 30 */
    CHECK_INT(kwa_dispatch_reset(d), -1); /* delayed */
    a = start(d, 30, 1);
    answer(d, a, 429, "20", 30); /* retries used up: a pause until 50 */
    CHECK_INT(kwa_dispatch_reset(d), -1); /* not delivered yet */
    CHECK_INT(kwa_dispatch_deliver(d), 1);
    CHECK_INT(kwa_dispatch_reset(d), 0);
    /* as new: the next request starts at once, the pause forgotten */
    submit(d, 2);
    a = start(d, 31, 2);
    CHECK_INT(job_id(a), 2);
    CHECK_INT(kwa_job_attempt(a), 1);
    answer(d, a, 202, NULL, 31);
    CHECK_INT(kwa_dispatch_deliver(d), 1);
    CHECK_INT(seen[1].id, 2);
    CHECK_INT(seen[1].kind, KWA_OK);
    kwa_dispatch_free(d);
    UNIT_CASE("");
}

static void test_cancel_on_free(void)
{
    kwa_dispatch_t *d = kwa_dispatch_new(2, 2);
    kwa_job_t *a, *b;
    int i;

    UNIT_CASE("cancel on free");
    n_seen = 0;
    for (i = 1; i <= 4; i++)
        submit(d, i);
    a = start(d, 0, 1);
    b = start(d, 0, 2);
    answer(d, a, 202, NULL, 0);              /* finished, not delivered */
    fail(d, b, KWA_IO_CONNECT_FAILED, 0); /* waiting for its retry */
    start(d, 0, 3);                          /* running */
    kwa_dispatch_free(d);
    CHECK_INT(n_seen, 4);
    for (i = 0; i < n_seen; i++) {
        seen_t *s = &seen[i];

        if (s->id == 1) {
            CHECK_INT(s->kind, KWA_OK); /* its real result */
            continue;
        }
        CHECK_INT(s->kind, KWA_NETWORK);
        CHECK_STR(s->message, "cancelled: the client was closed before an answer came");
        CHECK_INT(s->retryable, 1);
        CHECK_INT(s->sent, s->id == 3);
        CHECK_INT(s->attempts, s->id == 4 ? 0 : 1);
    }
    kwa_dispatch_free(NULL);
    UNIT_CASE("");
}

static kwa_dispatch_t *resubmit_to;

static void on_done_resubmit(void *ud, kwa_result_t *res)
{
    on_done(ud, res);
    if ((size_t)ud < 3)
        submit(resubmit_to, (int)(size_t)ud + 10);
}

static void test_callbacks_submit(void)
{
    kwa_dispatch_t *d = kwa_dispatch_new(2, 1);
    kwa_request_t req;
    kwa_result_t err;
    kwa_job_t *j;
    int i;

    UNIT_CASE("callbacks may submit");
    n_seen = 0;
    resubmit_to = d;
    for (i = 1; i <= 2; i++) {
        memset(&req, 0, sizeof req);
        memset(&err, 0, sizeof err);
        req.url = req.url_owned = dup_text("http://127.0.0.1:1/");
        req.body = dup_text("{}");
        req.body_len = 2;
        CHECK_INT(kwa_dispatch_submit(d, &req, on_done_resubmit, (void *)(size_t)i, &err), 0);
        CHECK_NULL(req.url); /* taken */
    }
    answer(d, start(d, 0, 1), 202, NULL, 0);
    CHECK_INT(kwa_dispatch_deliver(d), 1);
    CHECK_INT(kwa_dispatch_pending(d), 2); /* 2 and the new 11 */
    answer(d, start(d, 0, 2), 202, NULL, 0);
    CHECK_INT(kwa_dispatch_deliver(d), 1);
    j = start(d, 0, 11);
    CHECK_NOT_NULL(j);
    answer(d, j, 202, NULL, 0);
    j = start(d, 0, 12); /* a finished request frees its slot before delivery */
    CHECK_NOT_NULL(j);
    answer(d, j, 202, NULL, 0);
    CHECK_INT(kwa_dispatch_deliver(d), 2);
    CHECK_INT(n_seen, 4);
    CHECK_INT(seen[2].id, 11);
    CHECK_INT(seen[3].id, 12);
    CHECK_INT(kwa_dispatch_pending(d), 0);
    kwa_dispatch_free(d);
    CHECK_INT(n_seen, 4);
    UNIT_CASE("");
}

int main(void)
{
    test_classify_table();
    test_classify_answers();
    test_order_and_concurrency();
    test_rate();
    test_retries();
    test_retry_after_pause();
    test_reset();
    test_cancel_on_free();
    test_callbacks_submit();
    UNIT_DONE();
}
