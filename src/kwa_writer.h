/*
 * kwa_writer.h - a direct JSON writer for request bodies: members are
 * written in order into one growable buffer, which the request then owns
 * as its body (no tree, no final copy). The output is byte for byte what
 * cJSON_PrintUnformatted (cJSON 1.7.15) prints for the same tree: the
 * same escaping (\" \\ \b \f \n \r \t, other bytes below 0x20 as \u00xx,
 * UTF-8 passed through) and the same numbers. Passthrough cJSON values
 * are printed by cJSON itself, straight into the buffer when they fit
 * (cJSON_PrintPreallocated), else on their own and appended.
 *
 * Errors: every call on a writer that failed does nothing; the first
 * failure is kept in error and reported once, by kwa_writer_take (so a
 * builder writes straight through and checks at the end, as KWA_OK did).
 * Strings must be valid UTF-8 (checked while they are escaped): the
 * builders' fields are validated first, so KWA_WRITER_UTF8 is a guard.
 *
 * Ownership: the writer owns its buffer until kwa_writer_take hands it
 * over; kwa_writer_free releases it otherwise (both idempotent).
 */
#ifndef KWA_WRITER_H
#define KWA_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kwa_core.h"

/* The most a writer holds: past it, KWA_WRITER_TOO_LONG (the slack keeps
 * a body of exactly KWA_MAX_REQUEST bytes on the right side of the
 * check, whatever cJSON's print asks for beyond what it writes). */
#define KWA_WRITER_LIMIT (KWA_MAX_REQUEST + 64)

typedef enum kwa_writer_error {
    KWA_WRITER_OK,
    KWA_WRITER_NOMEM,
    KWA_WRITER_TOO_LONG, /* more than KWA_MAX_REQUEST bytes */
    KWA_WRITER_UTF8,     /* a string that is not valid UTF-8 */
    KWA_WRITER_DEPTH,    /* nested deeper than KWA_MAX_DEPTH, or unbalanced */
    KWA_WRITER_JSON      /* a value that cannot be printed: a NULL string or
                            tree, one cJSON cannot print */
} kwa_writer_error_t;

typedef struct kwa_writer {
    char *buf;      /* owned; NULL after take, free or a failed start */
    size_t len, cap;
    unsigned depth; /* containers open */
    uint64_t arrays; /* bit d set: the container at depth d+1 is an array */
    int comma;      /* a value was written at this level: the next needs ',' */
    kwa_writer_error_t error; /* the first failure */
} kwa_writer_t;

/* Makes room for n more bytes: 1, or 0 when the writer failed (out of
 * memory, or past KWA_WRITER_LIMIT). kwa_writer_room is the fast path. */
int kwa_writer_grow(kwa_writer_t *w, size_t n);
static inline int kwa_writer_room(kwa_writer_t *w, size_t n)
{
    return w->cap - w->len >= n || kwa_writer_grow(w, n);
}

/* Starts an empty writer with room for about estimate bytes (one malloc;
 * it grows past that with realloc). */
void kwa_writer_init(kwa_writer_t *w, size_t estimate);
void kwa_writer_free(kwa_writer_t *w);
/* The text written, NUL-terminated, now the caller's (free()); its length
 * in *len. NULL if anything failed (w->error says what; the buffer is
 * freed) or a container is still open (KWA_WRITER_DEPTH). */
char *kwa_writer_take(kwa_writer_t *w, size_t *len);

void kwa_writer_object(kwa_writer_t *w); /* { */
void kwa_writer_array(kwa_writer_t *w);  /* [ */
void kwa_writer_end(kwa_writer_t *w);    /* } or ], whichever is open */
/* Closes containers until depth are open. */
void kwa_writer_close_to(kwa_writer_t *w, unsigned depth);

/* A member's name (escaped like any string); the value comes next. */
void kwa_writer_key(kwa_writer_t *w, const char *key);
/* A literal key that needs no escaping, as "\"name\":" (KWA_WKEY);
 * inline, so that the copy of a literal is a few moves. */
static inline void kwa_writer_raw_key(kwa_writer_t *w, const char *quoted, size_t len)
{
    if (!kwa_writer_room(w, len + 1))
        return;
    if (w->comma)
        w->buf[w->len++] = ',';
    memcpy(w->buf + w->len, quoted, len);
    w->len += len;
    w->comma = 0;
}
#define KWA_WKEY(w, lit) kwa_writer_raw_key((w), "\"" lit "\":", sizeof("\"" lit "\":") - 1)

void kwa_writer_string(kwa_writer_t *w, const char *s);
/* The first n bytes of s (which holds no NUL before them). */
void kwa_writer_string_n(kwa_writer_t *w, const char *s, size_t n);
/* One string: the count strings of list joined by sep. */
void kwa_writer_joined(kwa_writer_t *w, const char *const *list, size_t count, char sep);
void kwa_writer_bool(kwa_writer_t *w, int b);
/* As cJSON 1.7.15 prints a number: %1.15g, or %1.17g when that does not
 * read back; NaN and infinities as null. */
void kwa_writer_number(kwa_writer_t *w, double d);
/* A cJSON value passed through, printed by cJSON into the buffer. */
void kwa_writer_json(kwa_writer_t *w, const cJSON *item);
/* A cJSON object passed through and left open, so members can be added
 * after its own (kwa_writer_end closes it). */
void kwa_writer_json_open(kwa_writer_t *w, const cJSON *object);
/* Bytes appended as they are: text that is not JSON (a form), or JSON
 * text the caller vouches for. No comma, no state change. */
void kwa_writer_raw(kwa_writer_t *w, const char *s, size_t n);

/* "name":"value" and friends, the common case. */
#define KWA_WSTR(w, lit, s) (KWA_WKEY((w), lit), kwa_writer_string((w), (s)))
/* A member whose name and value are literals needing no escaping, in
 * one copy: KWA_WPAIR(w, "type", "text") writes "type":"text". */
static inline void kwa_writer_raw_member(kwa_writer_t *w, const char *text, size_t len)
{
    kwa_writer_raw_key(w, text, len);
    w->comma = 1;
}
#define KWA_WPAIR(w, key, value) \
    kwa_writer_raw_member((w), "\"" key "\":\"" value "\"", sizeof("\"" key "\":\"" value "\"") - 1)

#endif /* KWA_WRITER_H */
