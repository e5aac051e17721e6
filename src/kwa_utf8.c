/*
 * kwa_utf8.c - UTF-8 validation and counting. WhatsApp's limits are in
 * characters, so lengths are counted in code points, never in bytes, and
 * truncation happens only on character boundaries.
 */
#include "kwa_core.h"

/* Length of the valid sequence at s (at most n bytes), or 0 if invalid. */
static size_t seq_len(const unsigned char *s, size_t n)
{
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
        n = seq_len(p + i, len - i);
        if (n == 0)
            return -1;
        i += n;
        count++;
    }
    return count;
}

size_t kwa_utf8_prefix(const char *s, size_t len, size_t max_chars)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, chars = 0, n;

    while (i < len && chars < max_chars) {
        n = seq_len(p + i, len - i);
        if (n == 0)
            break;
        i += n;
        chars++;
    }
    return i;
}
