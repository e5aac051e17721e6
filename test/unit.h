/*
 * unit.h - the tiny harness of the C unit tests (test/test_*.c), in the
 * spirit of libcurl's tests/unit and hiredis' test.c: CHECK macros count
 * passes and failures, print each failure with its line, and UNIT_DONE()
 * prints "N passed, M failed" and gives the exit status (1 if M > 0).
 *
 * Header-only and generic: each test binary includes it once.
 */
#ifndef KWA_UNIT_H
#define KWA_UNIT_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_passed, unit_failed;
static const char *unit_case = ""; /* the table row being checked */

#define UNIT_REPORT(ok, ...)                                              \
    do {                                                                  \
        if (ok) {                                                         \
            unit_passed++;                                                \
        } else {                                                          \
            unit_failed++;                                                \
            fprintf(stderr, "%s:%d: %s%s", __FILE__, __LINE__, unit_case, \
                    unit_case[0] ? ": " : "");                            \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
    } while (0)

#define CHECK(cond) UNIT_REPORT((cond), "CHECK(%s) failed", #cond)

#define CHECK_INT(got, want)                                                  \
    do {                                                                      \
        long long unit_g_ = (long long)(got), unit_w_ = (long long)(want);    \
        UNIT_REPORT(unit_g_ == unit_w_, "%s is %lld, want %lld", #got, unit_g_, \
                    unit_w_);                                                 \
    } while (0)

#define CHECK_DBL(got, want, eps)                                             \
    do {                                                                      \
        double unit_g_ = (double)(got), unit_w_ = (double)(want);             \
        UNIT_REPORT(fabs(unit_g_ - unit_w_) <= (eps), "%s is %g, want %g", #got, \
                    unit_g_, unit_w_);                                        \
    } while (0)

#define CHECK_STR(got, want)                                                  \
    do {                                                                      \
        const char *unit_g_ = (got), *unit_w_ = (want);                       \
        UNIT_REPORT(unit_g_ != NULL && strcmp(unit_g_, unit_w_) == 0,         \
                    "%s is \"%s\", want \"%s\"", #got,                        \
                    unit_g_ ? unit_g_ : "(null)", unit_w_);                   \
    } while (0)

#define CHECK_NULL(p) UNIT_REPORT((p) == NULL, "%s is not NULL", #p)
#define CHECK_NOT_NULL(p) UNIT_REPORT((p) != NULL, "%s is NULL", #p)

/* Names the table row for the messages of the checks that follow. */
#define UNIT_CASE(name) (unit_case = (name))

/* A string of n copies of unit, for length limits (the caller frees it;
 * exits on out of memory, which a test cannot recover from). */
static inline char *unit_repeat(const char *unit, size_t n)
{
    size_t len = strlen(unit), i;
    char *s = malloc(len * n + 1);

    if (s == NULL) {
        perror("malloc");
        exit(2);
    }
    for (i = 0; i < n; i++)
        memcpy(s + i * len, unit, len);
    s[len * n] = '\0';
    return s;
}

#define UNIT_DONE()                                                 \
    do {                                                            \
        printf("%d passed, %d failed\n", unit_passed, unit_failed); \
        return unit_failed > 0 ? 1 : 0;                             \
    } while (0)

#endif /* KWA_UNIT_H */
