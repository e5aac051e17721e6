/*
 * kwa_writer.c - the JSON writer of request bodies (kwa_writer.h). Cost is
 * what matters here: one malloc sized from the caller's estimate, runs of
 * plain bytes copied with memcpy, escaping and the UTF-8 check in the same
 * single pass over each string, no formatting calls except for numbers.
 *
 * Matching cJSON byte for byte is the contract (test/test_writer.c checks
 * it against cJSON_PrintUnformatted on generated trees, test/test_ops.c
 * against the goldens); numbers follow cJSON 1.7.15's print_number: a
 * %1.15g text is kept when it reads back within one DBL_EPSILON relative,
 * else %1.17g; the locale's decimal point becomes '.'. (Later cJSON
 * releases print whole numbers with %d, so -0.0 becomes 0 there: 1.7.15,
 * the version built against, prints -0; the unit test pins it.)
 */
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_writer.h"

static void fail(kwa_writer_t *w, kwa_writer_error_t e)
{
    if (w->error == KWA_WRITER_OK)
        w->error = e;
}

int kwa_writer_grow(kwa_writer_t *w, size_t n)
{
    size_t cap;
    char *p;

    if (w->error != KWA_WRITER_OK)
        return 0;
    if (n > KWA_WRITER_LIMIT - w->len) {
        fail(w, KWA_WRITER_TOO_LONG);
        return 0;
    }
    cap = w->cap * 2 > w->len + n ? w->cap * 2 : w->len + n + 64;
    if (cap > KWA_WRITER_LIMIT)
        cap = KWA_WRITER_LIMIT;
    p = realloc(w->buf, cap);
    if (p == NULL) {
        fail(w, KWA_WRITER_NOMEM);
        return 0;
    }
    w->buf = p;
    w->cap = cap;
    return 1;
}

#define reserve kwa_writer_room

void kwa_writer_init(kwa_writer_t *w, size_t estimate)
{
    memset(w, 0, sizeof *w);
    if (estimate < 64)
        estimate = 64;
    if (estimate > KWA_WRITER_LIMIT)
        estimate = KWA_WRITER_LIMIT;
    w->buf = malloc(estimate);
    if (w->buf == NULL)
        w->error = KWA_WRITER_NOMEM;
    else
        w->cap = estimate;
}

void kwa_writer_free(kwa_writer_t *w)
{
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

char *kwa_writer_take(kwa_writer_t *w, size_t *len)
{
    char *s;

    if (w->depth != 0)
        fail(w, KWA_WRITER_DEPTH);
    if (w->error == KWA_WRITER_OK && w->len > KWA_MAX_REQUEST)
        fail(w, KWA_WRITER_TOO_LONG);
    if (w->error != KWA_WRITER_OK || !reserve(w, 1)) {
        kwa_writer_free(w);
        return NULL;
    }
    s = w->buf;
    s[w->len] = '\0';
    *len = w->len;
    w->buf = NULL;
    w->len = w->cap = 0;
    return s;
}

/* ---- structure ---- */

static void open_container(kwa_writer_t *w, char c, int array)
{
    if (w->depth >= KWA_MAX_DEPTH) {
        fail(w, KWA_WRITER_DEPTH);
        return;
    }
    if (!reserve(w, 2))
        return;
    if (w->comma)
        w->buf[w->len++] = ',';
    w->buf[w->len++] = c;
    if (array)
        w->arrays |= (uint64_t)1 << w->depth;
    else
        w->arrays &= ~((uint64_t)1 << w->depth);
    w->depth++;
    w->comma = 0;
}

void kwa_writer_object(kwa_writer_t *w)
{
    open_container(w, '{', 0);
}

void kwa_writer_array(kwa_writer_t *w)
{
    open_container(w, '[', 1);
}

void kwa_writer_end(kwa_writer_t *w)
{
    if (w->depth == 0) {
        fail(w, KWA_WRITER_DEPTH);
        return;
    }
    if (!reserve(w, 1))
        return;
    w->depth--;
    w->buf[w->len++] = (w->arrays >> w->depth) & 1 ? ']' : '}';
    w->comma = 1;
}

void kwa_writer_close_to(kwa_writer_t *w, unsigned depth)
{
    while (w->depth > depth && w->error == KWA_WRITER_OK)
        kwa_writer_end(w);
}

void kwa_writer_key(kwa_writer_t *w, const char *key)
{
    kwa_writer_string(w, key);
    if (reserve(w, 1))
        w->buf[w->len++] = ':';
    w->comma = 0;
}

void kwa_writer_raw(kwa_writer_t *w, const char *s, size_t n)
{
    if (n > 0 && reserve(w, n)) {
        memcpy(w->buf + w->len, s, n);
        w->len += n;
    }
}

/* ---- values ---- */

/* Writes an escape for byte c at the end (room already made). */
static void escape(kwa_writer_t *w, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char *o = w->buf + w->len;

    *o++ = '\\';
    switch (c) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '\b': *o++ = 'b'; break;
    case '\f': *o++ = 'f'; break;
    case '\n': *o++ = 'n'; break;
    case '\r': *o++ = 'r'; break;
    case '\t': *o++ = 't'; break;
    default:
        *o++ = 'u';
        *o++ = '0';
        *o++ = '0';
        *o++ = hex[c >> 4];
        *o++ = hex[c & 15];
    }
    w->len = (size_t)(o - w->buf);
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Nonzero if one of the 8 bytes of x is not copied as is: below 0x20,
 * '"', '\\', or 0x80 and up (the zero-byte tests may flag a byte next to
 * a real hit too, never miss one). */
static inline uint64_t word_special(uint64_t x)
{
    uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');

    return (x | ((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) | ((b - ONES) & ~b)) & HIGHS;
}

/* Appends s[0..n) escaped, without quotes; room for n bytes and one more
 * is made here, more for each escape. 0 if the writer failed. */
static int put_escaped(kwa_writer_t *w, const unsigned char *p, size_t n)
{
    const unsigned char *end = p + n, *run = p, *stop;
    uint64_t word;
    size_t seq;

    if (!reserve(w, n + 1))
        return 0;
    while (p < end) {
        while (end - p >= 8) { /* plain text, 8 bytes at a time */
            memcpy(&word, p, 8);
            if (word_special(word))
                break;
            p += 8;
        }
        if (p < end && end - p < 8 && n >= 8) { /* the tail: its last 8 bytes */
            memcpy(&word, end - 8, 8);
            if (!word_special(word))
                break;
        }
        /* then byte by byte, to the end of the word that was not plain */
        stop = end - p >= 8 ? p + 8 : end;
        while (p < stop) {
            switch (kwa_json_byte[*p]) {
            case KWA_JSON_PLAIN:
                p++;
                continue;
            case KWA_JSON_HIGH:
                seq = kwa_utf8_seq((const char *)p, (size_t)(end - p));
                if (seq == 0) {
                    fail(w, KWA_WRITER_UTF8);
                    return 0;
                }
                p += seq;
                continue;
            default: /* a quote, a backslash or a control byte: escaped */
                memcpy(w->buf + w->len, run, (size_t)(p - run));
                w->len += (size_t)(p - run);
                /* the escape (6 at most), then the rest and one more as above */
                if (!reserve(w, (size_t)(end - p) + 6 + 1))
                    return 0;
                escape(w, *p++);
                run = p;
            }
        }
    }
    memcpy(w->buf + w->len, run, (size_t)(end - run));
    w->len += (size_t)(end - run);
    return 1;
}

void kwa_writer_string_n(kwa_writer_t *w, const char *s, size_t n)
{
    if (!reserve(w, 2))
        return;
    if (w->comma)
        w->buf[w->len++] = ',';
    w->buf[w->len++] = '"';
    if (!put_escaped(w, (const unsigned char *)s, n))
        return;
    w->buf[w->len++] = '"'; /* the one more put_escaped made room for */
    w->comma = 1;
}

void kwa_writer_string(kwa_writer_t *w, const char *s)
{
    if (s == NULL) /* no string to print: as cJSON_CreateString(NULL) fails */
        fail(w, KWA_WRITER_JSON);
    else
        kwa_writer_string_n(w, s, strlen(s));
}

void kwa_writer_joined(kwa_writer_t *w, const char *const *list, size_t count, char sep)
{
    size_t i;

    if (!reserve(w, 2))
        return;
    if (w->comma)
        w->buf[w->len++] = ',';
    w->buf[w->len++] = '"';
    for (i = 0; i < count; i++) {
        if (i > 0)
            w->buf[w->len++] = sep; /* the one more put_escaped made room for */
        if (!put_escaped(w, (const unsigned char *)list[i], strlen(list[i])))
            return;
    }
    if (!reserve(w, 1))
        return;
    w->buf[w->len++] = '"';
    w->comma = 1;
}

void kwa_writer_bool(kwa_writer_t *w, int b)
{
    if (!reserve(w, 6))
        return;
    if (w->comma)
        w->buf[w->len++] = ',';
    memcpy(w->buf + w->len, b ? "true" : "false", b ? 4 : 5);
    w->len += b ? 4 : 5;
    w->comma = 1;
}

/* cJSON's test that %1.15g kept the value: equal within DBL_EPSILON of
 * the larger magnitude. */
static int reads_back(double a, double b)
{
    double larger = fabs(a) > fabs(b) ? fabs(a) : fabs(b);

    return fabs(a - b) <= larger * DBL_EPSILON;
}

void kwa_writer_number(kwa_writer_t *w, double d)
{
    char text[32];
    const char *point;
    int n, i;

    if (isnan(d) || isinf(d)) {
        n = snprintf(text, sizeof text, "null");
    } else { /* no %d case in 1.7.15: -0.0 prints as -0 */
        n = snprintf(text, sizeof text, "%1.15g", d);
        if (!reads_back(strtod(text, NULL), d))
            n = snprintf(text, sizeof text, "%1.17g", d);
        point = localeconv()->decimal_point;
        if (point != NULL && point[0] != '.' && point[0] != '\0')
            for (i = 0; i < n; i++)
                if (text[i] == point[0])
                    text[i] = '.';
    }
    if (n < 0 || (size_t)n >= sizeof text || !reserve(w, (size_t)n + 1))
        return;
    if (w->comma)
        w->buf[w->len++] = ',';
    memcpy(w->buf + w->len, text, (size_t)n);
    w->len += (size_t)n;
    w->comma = 1;
}

/* Prints item after a comma if one is due; 1 when printed. cJSON prints
 * into the room left (no allocation) and says no when it does not fit
 * (or cannot print the tree at all); then cJSON prints it on its own and
 * the text is appended, which also tells the two failures apart. */
static int print_json(kwa_writer_t *w, const cJSON *item)
{
    size_t room, n;
    char *text;

    if (item == NULL) {
        fail(w, KWA_WRITER_JSON);
        return 0;
    }
    if (!reserve(w, 2))
        return 0;
    if (w->comma)
        w->buf[w->len++] = ',';
    room = w->cap - w->len;
    if (room > INT_MAX)
        room = INT_MAX;
    if (cJSON_PrintPreallocated((cJSON *)item, w->buf + w->len, (int)room, 0)) {
        w->len += strlen(w->buf + w->len);
    } else {
        text = cJSON_PrintUnformatted(item);
        if (text == NULL) {
            fail(w, KWA_WRITER_JSON);
            return 0;
        }
        n = strlen(text);
        if (reserve(w, n)) {
            memcpy(w->buf + w->len, text, n);
            w->len += n;
        }
        cJSON_free(text);
        if (w->error != KWA_WRITER_OK)
            return 0;
    }
    w->comma = 1;
    return 1;
}

void kwa_writer_json(kwa_writer_t *w, const cJSON *item)
{
    if (w->error == KWA_WRITER_OK)
        print_json(w, item);
}

void kwa_writer_json_open(kwa_writer_t *w, const cJSON *object)
{
    if (w->error != KWA_WRITER_OK)
        return;
    if (!cJSON_IsObject(object) || w->depth >= KWA_MAX_DEPTH) {
        fail(w, cJSON_IsObject(object) ? KWA_WRITER_DEPTH : KWA_WRITER_JSON);
        return;
    }
    if (!print_json(w, object))
        return;
    w->len--; /* the closing '}': members may follow */
    w->arrays &= ~((uint64_t)1 << w->depth);
    w->depth++;
    w->comma = object->child != NULL;
}
