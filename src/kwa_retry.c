/*
 * kwa_retry.c - the automatic retry policy, as a pure function so it can
 * be read and tested on its own. A request is retried only when the
 * message cannot have been accepted:
 *   - the connection was never established (nothing was sent), or
 *   - the service answered 429 or 503, unless its code says waiting
 *     cannot help (WAV2101, the account's daily limit).
 * The delay honours Retry-After (capped at KWA_RETRY_AFTER_CAP seconds),
 * otherwise it is exponential backoff with full jitter. A timeout after
 * sending, a 500 or a broken connection is never retried automatically:
 * the outcome is unknown, so the caller decides (retryable = 1).
 */
#include "kwa_core.h"

#define BACKOFF_BASE 0.25 /* seconds before the first retry, at most */
#define BACKOFF_CAP 8.0

double kwa_retry_delay(const kwa_result_t *res, int attempts, int max_retries,
                       double random01)
{
    double ceiling = BACKOFF_BASE;
    int i;

    if (res->kind == KWA_OK || attempts > max_retries)
        return -1;
    if (res->status == 429 || res->status == 503) {
        if (!res->retryable)
            return -1; /* a 429 that says so (WAV2101: the daily limit) */
        if (res->retry_after > 0)
            return res->retry_after < KWA_RETRY_AFTER_CAP ? res->retry_after
                                                          : KWA_RETRY_AFTER_CAP;
    } else if (res->sent || res->status != 0 ||
               (res->kind != KWA_NETWORK && res->kind != KWA_TIMEOUT)) {
        return -1;
    }
    for (i = 1; i < attempts && ceiling < BACKOFF_CAP; i++)
        ceiling *= 2;
    if (ceiling > BACKOFF_CAP)
        ceiling = BACKOFF_CAP;
    return random01 * ceiling;
}
