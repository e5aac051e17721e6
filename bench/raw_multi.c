/*
 * bench/raw_multi.c - the ceiling libcurl allows with BENCH_INFLIGHT
 * (default 8) requests in flight: one multi handle and that many easy
 * handles, each re-added as soon as it finishes, so the multi's
 * connection cache keeps that many connections alive. Same headers and
 * body as the library; runs for BENCH_SECONDS, then drains. Settings and
 * output: see bench/raw_common.h. The loop is its own function, run_loop,
 * so callgrind can count it alone (--toggle-collect=run_loop).
 */
#include "raw_common.h"

#define MAX_INFLIGHT 256

/* Drives the multi until `end` (or until `count` requests have started,
 * when count > 0), then lets the transfers in flight finish; returns how
 * many requests completed. */
static BENCH_NOINLINE long run_loop(CURLM *multi, int running, double end, long count)
{
    long started = running;
    CURLMsg *msg;
    bench_buf_t *buf;
    long n = 0;
    int left;

    while (running > 0) {
        curl_multi_perform(multi, &running);
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            buf = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&buf);
            bench_check(msg->easy_handle, msg->data.result, buf);
            n++;
            curl_multi_remove_handle(multi, msg->easy_handle);
            if (count > 0 ? started < count : bench_now() < end) {
                started++;
                curl_multi_add_handle(multi, msg->easy_handle);
                running++;
            }
        }
        if (running > 0)
            curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    return n;
}

int main(void)
{
    static bench_buf_t bufs[MAX_INFLIGHT];
    CURL *easy[MAX_INFLIGHT];
    bench_cfg_t cfg;
    CURLM *multi;
    const char *env = getenv("BENCH_INFLIGHT");
    int inflight = env ? atoi(env) : 8, i;
    long n;
    double start;

    if (inflight < 1 || inflight > MAX_INFLIGHT)
        return fprintf(stderr, "BENCH_INFLIGHT must be 1..%d\n", MAX_INFLIGHT), 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    bench_cfg_load(&cfg);
    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)inflight);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)inflight);
    for (i = 0; i < inflight; i++) {
        easy[i] = bench_easy(&cfg, &bufs[i]);
        curl_easy_setopt(easy[i], CURLOPT_PRIVATE, &bufs[i]);
        curl_multi_add_handle(multi, easy[i]);
    }
    start = bench_now();
    n = run_loop(multi, inflight, start + cfg.seconds, cfg.count);
    printf("%ld %.6f\n", n, bench_now() - start);
    for (i = 0; i < inflight; i++)
        curl_easy_cleanup(easy[i]);
    curl_multi_cleanup(multi);
    curl_slist_free_all(cfg.headers);
    free(cfg.body);
    curl_global_cleanup();
    return 0;
}
