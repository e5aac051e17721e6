/*
 * test_retry.c - kwa_retry_delay(), the automatic retry policy, row by
 * row: which outcomes are retried, after how long, and how often.
 */
#include "unit.h"
#include "../src/kwa_core.h"

static const struct {
    const char *name;
    kwa_kind_t kind;
    long status;
    int sent;
    double retry_after;
    int attempts, max_retries;
    double random01, want; /* want -1: stop */
} rows[] = {
    {"success is final", KWA_OK, 202, 1, 0, 1, 2, 0.5, -1},
    {"refused: first retry within 0.25 s", KWA_NETWORK, 0, 0, 0, 1, 2, 0.5, 0.125},
    {"refused: second retry within 0.5 s", KWA_NETWORK, 0, 0, 0, 2, 2, 0.5, 0.25},
    {"refused: retries used up", KWA_NETWORK, 0, 0, 0, 3, 2, 0.5, -1},
    {"refused: fourth attempt within 1 s", KWA_NETWORK, 0, 0, 0, 3, 5, 0.5, 0.5},
    {"refused: backoff capped at 8 s", KWA_NETWORK, 0, 0, 0, 10, 20, 0.5, 4.0},
    {"no jitter draw gives no wait", KWA_NETWORK, 0, 0, 0, 1, 2, 0.0, 0.0},
    {"no retries allowed", KWA_NETWORK, 0, 0, 0, 1, 0, 0.5, -1},
    {"connect timeout, unsent", KWA_TIMEOUT, 0, 0, 0, 1, 2, 0.5, 0.125},
    {"timeout after sending", KWA_TIMEOUT, 0, 1, 0, 1, 2, 0.5, -1},
    {"closed after sending", KWA_NETWORK, 0, 1, 0, 1, 2, 0.5, -1},
    {"TLS failure", KWA_TLS, 0, 0, 0, 1, 2, 0.5, -1},
    {"protocol error", KWA_PROTOCOL, 0, 1, 0, 1, 2, 0.5, -1},
    {"config error", KWA_CONFIG, 0, 0, 0, 1, 2, 0.5, -1},
    {"out of memory", KWA_NOMEM, 0, 0, 0, 1, 2, 0.5, -1},
    {"500 may have been accepted", KWA_SERVER, 500, 1, 0, 1, 2, 0.5, -1},
    {"408 answered", KWA_TIMEOUT, 408, 1, 0, 1, 2, 0.5, -1},
    {"429 honours Retry-After", KWA_RATE_LIMIT, 429, 1, 3, 1, 2, 0.5, 3},
    {"503 honours Retry-After", KWA_SERVER, 503, 1, 1, 1, 2, 0.5, 1},
    {"Retry-After capped at 30 s", KWA_SERVER, 503, 1, 100, 1, 2, 0.5, 30},
    {"429 without Retry-After: backoff", KWA_RATE_LIMIT, 429, 1, 0, 1, 2, 0.5, 0.125},
    {"429 with retries used up", KWA_RATE_LIMIT, 429, 1, 3, 3, 2, 0.5, -1},
    {"Retry-After on a 500 is ignored", KWA_SERVER, 500, 1, 3, 1, 2, 0.5, -1},
    {"WAV2101 under 429: the daily limit is not retried", KWA_RATE_LIMIT, 429, 1, 3, 1, 2, 0.5, -1},
};

int main(void)
{
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        kwa_result_t res;

        memset(&res, 0, sizeof res);
        res.kind = rows[i].kind;
        res.status = rows[i].status;
        res.sent = rows[i].sent;
        res.retry_after = rows[i].retry_after;
        /* as kwa_response_parse says of these statuses, unless a code
         * says waiting cannot help (the row's name starts "WAV2101") */
        res.retryable = (res.status == 429 || res.status == 503) &&
                        strncmp(rows[i].name, "WAV2101", 7) != 0;
        UNIT_CASE(rows[i].name);
        CHECK_DBL(kwa_retry_delay(&res, rows[i].attempts, rows[i].max_retries,
                                  rows[i].random01),
                  rows[i].want, 1e-9);
    }
    UNIT_DONE();
}
