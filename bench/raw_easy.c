/*
 * bench/raw_easy.c - the ceiling libcurl itself allows one request at a
 * time: one easy handle reused for every request (so one kept-alive
 * connection), the same headers and body as the library, for
 * BENCH_SECONDS. Settings and output: see bench/raw_common.h. The loop is
 * its own function, run_loop, so callgrind can count it alone
 * (--toggle-collect=run_loop).
 */
#include "raw_common.h"

/* Sends `count` requests, or (count 0) until `end`, checked every 64
 * requests; returns how many it sent. */
static BENCH_NOINLINE long run_loop(CURL *h, bench_buf_t *buf, double end, long count)
{
    long n = 0;

    do {
        bench_check(h, curl_easy_perform(h), buf);
        n++;
    } while (count > 0 ? n < count : (n & 63) != 0 || bench_now() < end);
    return n;
}

int main(void)
{
    bench_cfg_t cfg;
    bench_buf_t buf = {.len = 0};
    CURL *h;
    long n;
    double start;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    bench_cfg_load(&cfg);
    h = bench_easy(&cfg, &buf);
    start = bench_now();
    n = run_loop(h, &buf, start + cfg.seconds, cfg.count);
    printf("%ld %.6f\n", n, bench_now() - start);
    curl_easy_cleanup(h);
    curl_slist_free_all(cfg.headers);
    free(cfg.body);
    curl_global_cleanup();
    return 0;
}
