/*
 * kwa_result.c - the result/error value every call fills: filling it with
 * an error, copying text into its fixed buffers, decoding its answer on
 * demand (kwa_result_body), releasing it.
 *
 * Messages are built only from the library's own words and field names,
 * never from the caller's values, so no phone number, message text or API
 * key can end up in an error string.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_core.h"

static const char *const kind_names[] = {
    "ok", "validation", "config", "auth", "payload", "balance",
    "rate_limit", "server", "network", "timeout", "tls", "protocol", "nomem",
    "callback", "crypto",
};

const char *kwa_kind_name(kwa_kind_t kind)
{
    if ((unsigned)kind < sizeof kind_names / sizeof kind_names[0])
        return kind_names[kind];
    return "unknown";
}

void kwa_result_free(kwa_result_t *res)
{
    if (res == NULL)
        return;
    /* most results own nothing, and this runs several times per message:
     * skip the two calls then */
    if (res->body != NULL)
        cJSON_Delete(res->body);
    if (res->raw != NULL)
        free(res->raw);
    /* field by field, not a memset of all ~800 bytes: this runs several
     * times per message, and every text field is read up to its NUL only */
    res->kind = KWA_OK;
    res->status = 0;
    res->retryable = 0;
    res->sent = 0;
    res->success = 0;
    res->attempts = 0;
    res->retry_after = 0;
    res->code[0] = '\0';
    res->message_id[0] = '\0';
    res->field[0] = '\0';
    res->message[0] = '\0';
    res->body = NULL;
    res->details = NULL;
    res->raw = NULL;
    res->raw_len = 0;
}

const cJSON *kwa_result_body(kwa_result_t *res)
{
    if (res == NULL)
        return NULL;
    if (res->body == NULL && res->raw != NULL) {
        /* a body that is not JSON is parsed again on each call: rare, and
         * it keeps kwa_result_t free of a "tried already" flag */
        res->body = cJSON_ParseWithLength(res->raw, res->raw_len);
        res->details = cJSON_GetObjectItemCaseSensitive(res->body, "error");
    }
    return res->body;
}

void kwa_copy_text(char *dst, size_t cap, const char *s, size_t len)
{
    if (cap == 0)
        return;
    if (len >= cap) {
        len = cap - 1;
        /* back up over continuation bytes so no character is split */
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(dst, s, len);
    dst[len] = '\0';
}

int kwa_fail(kwa_result_t *res, kwa_kind_t kind, const char *field,
             const char *fmt, ...)
{
    va_list ap;

    res->kind = kind;
    if (field != NULL)
        kwa_copy_text(res->field, sizeof res->field, field, strlen(field));
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
    return -1;
}
