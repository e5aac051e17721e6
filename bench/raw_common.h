/*
 * bench/raw_common.h - what bench/raw_easy.c and bench/raw_multi.c share:
 * reading the run's settings from the environment, the request headers
 * (the same four the library sends) and a response buffer that is reused
 * across requests, as the library's transfers reuse theirs.
 *
 * Settings (exported by bench/run.sh):
 *   BENCH_URL      the full messages URL on the stand-in's fast location
 *   BENCH_BODY     a file holding the JSON body to post
 *   BENCH_KEY      the api-key header value
 *   BENCH_AGENT    the User-Agent header value
 *   BENCH_SECONDS  how long to run
 *   BENCH_COUNT    if set, send exactly this many requests instead (the
 *                  callgrind runs: two counts, so start-up cancels out)
 *   BENCH_READ_CALLBACK  if set (non-empty), the body goes out through a
 *                  CURLOPT_READFUNCTION instead of CURLOPT_POSTFIELDS, the
 *                  way src/kwa_engine.c may send it, to price that choice
 * Each program prints one line "<messages> <seconds>" and exits 1 if any
 * answer was not a 202.
 */
#ifndef BENCH_RAW_COMMON_H
#define BENCH_RAW_COMMON_H

#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Keeps a loop a function of its own, so callgrind can toggle on it. */
#if defined(__GNUC__)
#define BENCH_NOINLINE __attribute__((noinline))
#else
#define BENCH_NOINLINE
#endif

typedef struct bench_cfg {
    const char *url, *agent;
    char *body;
    size_t body_len;
    double seconds;
    long count; /* > 0: exactly this many requests, whatever the time */
    struct curl_slist *headers;
} bench_cfg_t;

typedef struct bench_buf {
    char data[4096]; /* the fast answer is ~110 bytes; extra is dropped */
    size_t len;
    const bench_cfg_t *cfg; /* for the read callback */
    size_t body_off;        /* how much of the body it has handed out */
} bench_buf_t;

static double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *bench_env(const char *name)
{
    const char *v = getenv(name);

    if (v == NULL || *v == '\0') {
        fprintf(stderr, "%s is not set\n", name);
        exit(2);
    }
    return v;
}

static void bench_cfg_load(bench_cfg_t *c)
{
    char key[300];
    FILE *f = fopen(bench_env("BENCH_BODY"), "rb");

    if (f == NULL || (c->body = malloc(65536)) == NULL) {
        perror("BENCH_BODY");
        exit(2);
    }
    c->body_len = fread(c->body, 1, 65536, f);
    fclose(f);
    c->url = bench_env("BENCH_URL");
    c->agent = bench_env("BENCH_AGENT");
    c->count = getenv("BENCH_COUNT") ? atol(getenv("BENCH_COUNT")) : 0;
    c->seconds = c->count > 0 ? 1e9 : atof(bench_env("BENCH_SECONDS"));
    snprintf(key, sizeof key, "api-key: %s", bench_env("BENCH_KEY"));
    c->headers = curl_slist_append(NULL, key);
    c->headers = curl_slist_append(c->headers, "Content-Type: application/json");
    c->headers = curl_slist_append(c->headers, "Accept: application/json");
    c->headers = curl_slist_append(c->headers, "Expect:");
}

static size_t bench_on_data(char *data, size_t size, size_t n, void *ud)
{
    bench_buf_t *b = ud;
    size_t add = size * n;

    if (b->len + add < sizeof b->data) {
        memcpy(b->data + b->len, data, add);
        b->len += add;
    }
    return add;
}

static size_t bench_on_read(char *dst, size_t size, size_t n, void *ud)
{
    bench_buf_t *b = ud;
    size_t room = size * n, left = b->cfg->body_len - b->body_off;

    if (room > left)
        room = left;
    memcpy(dst, b->cfg->body + b->body_off, room);
    b->body_off += room;
    return room;
}

/* The options every raw handle gets; the body is set once and reused. */
static CURL *bench_easy(const bench_cfg_t *c, bench_buf_t *buf)
{
    CURL *h = curl_easy_init();
    const char *cb = getenv("BENCH_READ_CALLBACK");

    if (h == NULL)
        exit(1);
    buf->cfg = c;
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->agent);
    if (cb != NULL && *cb != '\0') {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, bench_on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, buf);
    } else {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
    }
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, bench_on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, buf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    return h;
}

/* Checks one finished request; exits on anything but a 202. */
static void bench_check(CURL *h, CURLcode rc, bench_buf_t *buf)
{
    long status = 0;

    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 202) {
        fprintf(stderr, "request failed: %s, HTTP %ld\n", curl_easy_strerror(rc), status);
        exit(1);
    }
    buf->len = 0;
    buf->body_off = 0;
}

#endif /* BENCH_RAW_COMMON_H */
