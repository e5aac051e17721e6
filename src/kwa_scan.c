/*
 * kwa_scan.c - reads the few members a successful answer's result needs
 * (code, message, data.message_id, "success", id, data.id) in one pass
 * over the bytes, without building a cJSON tree: the hot path of every
 * accepted message (kwa_response.c).
 *
 * It is a strict JSON validator (RFC 8259) that tracks where it is: only
 * members of the top-level object, and of the first top-level "data"
 * object, are ever taken, so a "code" inside "error", inside an array or
 * inside a string value is never read. Like cJSON's
 * GetObjectItemCaseSensitive, the first of duplicate keys wins, even when
 * its value is not a string.
 *
 * What it accepts, cJSON_ParseWithLength() accepts too and reads to the
 * same values: it answers -1 ("use cJSON") for anything outside that safe
 * subset, never a guess. Outside it: a top level that is not one object
 * with only JSON whitespace around it, control characters in strings
 * (cJSON keeps them, and a NUL would cut its string short), a backslash
 * escape in a key of those two objects or in a value taken (cJSON
 * decodes them, "co\u0064e" is "code"; the scanner does not decode, so
 * the caller's cJSON path does), a number of KWA_SCAN_NUMBER or more
 * characters (cJSON reads at most 63), nesting deeper than
 * KWA_SCAN_DEPTH. Escapes elsewhere are checked as cJSON checks them
 * (\uXXXX with four hex digits, surrogates only in pairs). Pure core: no
 * I/O, no allocation.
 */
#include <string.h>

#include "kwa_core.h"

#define KWA_SCAN_DEPTH 64  /* far below cJSON's CJSON_NESTING_LIMIT (1000) */
#define KWA_SCAN_NUMBER 32 /* characters; cJSON copies at most 63 for strtod */

typedef struct cursor {
    const unsigned char *p, *end;
} cursor_t;

/* Which object the members belong to. */
enum { ANY, TOP, DATA };

/* Bits of the keys seen already: only the first counts. */
enum {
    SEEN_CODE = 1,
    SEEN_MESSAGE = 2,
    SEEN_ID = 4,
    SEEN_DATA = 8,
    SEEN_SUCCESS = 16,
    SEEN_DATA_ID = 32,
    SEEN_DATA_MESSAGE_ID = 64
};

typedef struct scanner {
    cursor_t c;
    kwa_scan_t *out;
    unsigned seen;
} scanner_t;

static int value(scanner_t *s, int depth);

static void ws(cursor_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
        c->p++;
}

static int hex4(const unsigned char *p, const unsigned char *end, unsigned *code)
{
    int i;

    *code = 0;
    if (end - p < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        unsigned char ch = p[i];
        unsigned d;
        if (ch >= '0' && ch <= '9')
            d = (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            d = (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            d = (unsigned)(ch - 'A' + 10);
        else
            return -1;
        *code = *code << 4 | d;
    }
    return 0;
}

/* The escape after a backslash at *pp (which it moves past): -1 if cJSON
 * would refuse it. */
static int escape(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    unsigned code, low;

    if (p >= end)
        return -1;
    switch (*p++) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        break;
    case 'u':
        if (hex4(p, end, &code) != 0 || (code >= 0xDC00 && code <= 0xDFFF))
            return -1; /* a low surrogate first: cJSON refuses it */
        p += 4;
        if (code >= 0xD800 && code <= 0xDBFF) { /* a pair, or nothing */
            if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, end, &low) != 0 ||
                low < 0xDC00 || low > 0xDFFF)
                return -1;
            p += 6;
        }
        break;
    default:
        return -1;
    }
    *pp = p;
    return 0;
}

/* The string at c->p (its opening quote): sp gets its bytes between the
 * quotes, sp->ascii whether they are all ASCII, *plain whether they hold
 * no escape. -1 if it is not a string cJSON would read as written. */
static int string(cursor_t *c, kwa_span_t *sp, int *plain)
{
    const unsigned char *p = c->p + 1, *start = p, *end = c->end;
    int ascii = 1;

    *plain = 1;
    for (;;) {
        while (end - p >= 4 && (kwa_json_byte[p[0]] | kwa_json_byte[p[1]] | kwa_json_byte[p[2]] |
                                kwa_json_byte[p[3]]) == 0)
            p += 4; /* plain ASCII, four at a time */
        while (p < end && kwa_json_byte[*p] == 0)
            p++;
        if (p >= end)
            return -1;
        switch (kwa_json_byte[*p]) {
        case KWA_JSON_HIGH:
            ascii = 0;
            p++;
            continue;
        case KWA_JSON_QUOTE:
            sp->s = (const char *)start;
            sp->len = (size_t)(p - start);
            sp->ascii = ascii;
            c->p = p + 1;
            return 0;
        case KWA_JSON_BACKSLASH:
            *plain = 0;
            p++;
            if (escape(&p, end) != 0)
                return -1;
            continue;
        default: /* KWA_JSON_CONTROL */
            return -1;
        }
    }
}

static int digits(cursor_t *c)
{
    const unsigned char *from = c->p;

    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > from ? 0 : -1;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, shorter than KWA_SCAN_NUMBER */
static int number(cursor_t *c)
{
    const unsigned char *from = c->p;

    if (*c->p == '-')
        c->p++;
    if (c->p < c->end && *c->p == '0')
        c->p++;
    else if (digits(c) != 0)
        return -1;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (digits(c) != 0)
            return -1;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (digits(c) != 0)
            return -1;
    }
    return c->p - from < KWA_SCAN_NUMBER ? 0 : -1;
}

static int literal(cursor_t *c, const char *word, size_t len)
{
    if ((size_t)(c->end - c->p) < len || memcmp(c->p, word, len) != 0)
        return -1;
    c->p += len;
    return 0;
}

#define KEY_IS(sp, lit) ((sp).len == sizeof(lit) - 1 && memcmp((sp).s, lit, sizeof(lit) - 1) == 0)

/* The value of a member taken as a string: a plain string sets *dst; any
 * other value is read over and leaves it unset, as copy_member would. */
static int take(scanner_t *s, kwa_span_t *dst, int depth)
{
    kwa_span_t sp;
    int plain;

    if (*s->c.p != '"')
        return value(s, depth);
    if (string(&s->c, &sp, &plain) != 0 || !plain)
        return -1; /* an escape in a value taken: cJSON decodes it */
    *dst = sp;
    return 0;
}

static int object(scanner_t *s, int depth, int where);

/* The value of member `key` of the object `where`, at c->p. */
static int member(scanner_t *s, const kwa_span_t *key, int depth, int where)
{
    kwa_scan_t *o = s->out;
    unsigned bit = 0;

    if (where == TOP) {
        if (KEY_IS(*key, "code"))
            bit = SEEN_CODE;
        else if (KEY_IS(*key, "message"))
            bit = SEEN_MESSAGE;
        else if (KEY_IS(*key, "id"))
            bit = SEEN_ID;
        else if (KEY_IS(*key, "data"))
            bit = SEEN_DATA;
        else if (KEY_IS(*key, "success"))
            bit = SEEN_SUCCESS;
    } else if (where == DATA) {
        if (KEY_IS(*key, "id"))
            bit = SEEN_DATA_ID;
        else if (KEY_IS(*key, "message_id"))
            bit = SEEN_DATA_MESSAGE_ID;
    }
    if (bit == 0 || (s->seen & bit) != 0)
        return value(s, depth);
    s->seen |= bit;
    switch (bit) {
    case SEEN_CODE:
        return take(s, &o->code, depth);
    case SEEN_MESSAGE:
        return take(s, &o->message, depth);
    case SEEN_ID:
        return take(s, &o->id, depth);
    case SEEN_DATA_ID:
        return take(s, &o->data_id, depth);
    case SEEN_DATA_MESSAGE_ID:
        return take(s, &o->data_message_id, depth);
    case SEEN_DATA:
        return *s->c.p == '{' ? object(s, depth + 1, DATA) : value(s, depth);
    default: /* SEEN_SUCCESS */
        if (*s->c.p == 't' && literal(&s->c, "true", 4) == 0)
            o->success = 1;
        else if (*s->c.p == 'f' && literal(&s->c, "false", 5) == 0)
            o->success = 0;
        else
            return value(s, depth);
        return 0;
    }
}

/* The object at c->p ('{'), at nesting depth `depth` (1: the top). */
static int object(scanner_t *s, int depth, int where)
{
    cursor_t *c = &s->c;
    kwa_span_t key;
    int plain;

    if (depth > KWA_SCAN_DEPTH)
        return -1;
    c->p++;
    ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return 0;
    }
    for (;;) {
        if (c->p >= c->end || *c->p != '"' || string(c, &key, &plain) != 0)
            return -1;
        if (!plain && where != ANY)
            return -1; /* an escaped key might spell a key taken */
        ws(c);
        if (c->p >= c->end || *c->p != ':')
            return -1;
        c->p++;
        ws(c);
        if (c->p >= c->end || member(s, &key, depth, where) != 0)
            return -1;
        ws(c);
        if (c->p >= c->end)
            return -1;
        if (*c->p == '}') {
            c->p++;
            return 0;
        }
        if (*c->p++ != ',')
            return -1;
        ws(c);
    }
}

static int array(scanner_t *s, int depth)
{
    cursor_t *c = &s->c;

    if (depth > KWA_SCAN_DEPTH)
        return -1;
    c->p++;
    ws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        return 0;
    }
    for (;;) {
        if (c->p >= c->end || value(s, depth) != 0)
            return -1;
        ws(c);
        if (c->p >= c->end)
            return -1;
        if (*c->p == ']') {
            c->p++;
            return 0;
        }
        if (*c->p++ != ',')
            return -1;
        ws(c);
    }
}

/* Any value at c->p (c->p < c->end), read over; depth is its container's. */
static int value(scanner_t *s, int depth)
{
    cursor_t *c = &s->c;
    kwa_span_t sp;
    int plain;

    switch (*c->p) {
    case '{':
        return object(s, depth + 1, ANY);
    case '[':
        return array(s, depth + 1);
    case '"':
        return string(c, &sp, &plain);
    case 't':
        return literal(c, "true", 4);
    case 'f':
        return literal(c, "false", 5);
    case 'n':
        return literal(c, "null", 4);
    default:
        if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))
            return number(c);
        return -1;
    }
}

/* Moves c past lit (n bytes) if the bytes there are lit: 0, else -1. */
static int skip(cursor_t *c, const char *lit, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return -1;
    c->p += n;
    return 0;
}

/* The string at c->p when it is one without escapes: 0, else -1. */
static int plain_string(cursor_t *c, kwa_span_t *sp)
{
    int plain;

    if (c->p >= c->end || *c->p != '"' || string(c, sp, &plain) != 0 || !plain)
        return -1;
    return 0;
}

#define LIT(s) s, sizeof s - 1

/* The documented answer byte for byte, with no escape in its strings:
 * {"code":C,"message":M,"data":{"message_id":I},"error":{}}, which
 * nearly every accepted message gets back. 0 with those three taken (the
 * walk below would take the same and nothing else), or -1: walk it. */
static int documented(cursor_t *c, kwa_scan_t *out)
{
    return skip(c, LIT("{\"code\":")) || plain_string(c, &out->code) ||
                   skip(c, LIT(",\"message\":")) || plain_string(c, &out->message) ||
                   skip(c, LIT(",\"data\":{\"message_id\":")) ||
                   plain_string(c, &out->data_message_id) || skip(c, LIT("},\"error\":{}}")) ||
                   c->p != c->end
               ? -1
               : 0;
}

int kwa_scan_documented(const char *body, size_t len, kwa_scan_t *out)
{
    cursor_t c;

    memset(out, 0, sizeof *out);
    out->success = -1;
    c.p = (const unsigned char *)body;
    c.end = c.p + len;
    return documented(&c, out);
}

int kwa_scan_answer(const char *body, size_t len, kwa_scan_t *out)
{
    scanner_t s;

    if (kwa_scan_documented(body, len, out) == 0)
        return 0;
    memset(out, 0, sizeof *out); /* what the fast way took, if anything */
    out->success = -1;
    s.c.p = (const unsigned char *)body;
    s.c.end = s.c.p + len;
    s.out = out;
    s.seen = 0;
    ws(&s.c);
    if (s.c.p >= s.c.end || *s.c.p != '{' || object(&s, 1, TOP) != 0)
        return -1;
    ws(&s.c);
    return s.c.p == s.c.end ? 0 : -1;
}
