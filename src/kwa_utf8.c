/*
 * kwa_utf8.c - UTF-8 validation and counting, and the class of each byte
 * in a JSON string. WhatsApp's limits are in characters, so lengths are
 * counted in code points, never in bytes, and truncation happens only on
 * character boundaries.
 */
#include <stdint.h>
#include <string.h>

#include "kwa_core.h"

#define HIGH_BITS 0x8080808080808080ULL

/* What each byte is inside a JSON string (kwa_core.h): the writer's
 * escaping and the scanner's reading both go by it. */
const unsigned char kwa_json_byte[256] = {
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, /* 0x00 */
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, /* 0x10 */
    0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20: '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x30 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x40 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, /* 0x50: '\\' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x60 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x70 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x80 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* Length of the run of ASCII bytes at p (at most n), 8 at a time. */
static size_t ascii_run(const unsigned char *p, size_t n)
{
    size_t i = 0;
    uint64_t word;

    while (n - i >= 8) {
        memcpy(&word, p + i, 8);
        if (word & HIGH_BITS)
            break;
        i += 8;
    }
    if (i < n && n - i < 8 && n >= 8) { /* the tail: the last 8 bytes */
        memcpy(&word, p + n - 8, 8);
        if (!(word & HIGH_BITS))
            return n;
    }
    while (i < n && p[i] < 0x80)
        i++;
    return i;
}

size_t kwa_utf8_seq(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned c = s[0];
    size_t len, i;
    unsigned long cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, cp = c & 0x07;
    else
        return 0; /* continuation byte, overlong lead, or past U+10FFFF */
    if (len > n)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

long kwa_utf8_count(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    long count = 0;
    size_t i = 0, n;

    while (i < len) {
        n = ascii_run(p + i, len - i);
        i += n;
        count += (long)n;
        if (i == len)
            break;
        n = kwa_utf8_seq(s + i, len - i);
        if (n == 0)
            return -1;
        i += n;
        count++;
    }
    return count;
}

size_t kwa_utf8_prefix(const char *s, size_t len, size_t max_chars)
{
    size_t i = 0, chars = 0, n;

    while (i < len && chars < max_chars) {
        n = kwa_utf8_seq(s + i, len - i);
        if (n == 0)
            break;
        i += n;
        chars++;
    }
    return i;
}
