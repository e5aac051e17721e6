/*
 * bench/core_cost.c - the C core's cost per message, for bench/run.sh.
 *
 *   core_cost N          builds + validates (kwa_request_build) and parses
 *                        a typical 202 answer (kwa_response_parse) N times
 *   core_cost --body     prints the JSON body of that typical message, so
 *                        every other row of the benchmark posts the same
 *                        bytes
 *   core_cost --agent    prints the library's User-Agent header value
 *   core_cost            the first form, with N from BENCH_COUNT
 *
 * run.sh runs "core_cost N" under valgrind --tool=callgrind for two values
 * of N and divides the difference in instructions by the difference in N,
 * which removes start-up and libc/valgrind noise. No I/O happens in the
 * loop: this is the pure core only (src/kwa_core.h), no libcurl, no Lua.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_core.h"

/* The answer nginx's fast location gives (sandbox/nginx.conf.in). */
static const char answer[] =
    "{\"code\":\"WA202\",\"message\":\"Request Accepted\","
    "\"data\":{\"message_id\":\"A0000000000000000000\"},\"error\":{}}";

int main(int argc, char **argv)
{
    static const char *const to[] = {"+919876543210"};
    const kwa_extra_info_t extra = {.ref = "order-4711", .wa_source = "api"};
    const kwa_text_t msg = {
        .envelope = {.to = to, .to_count = 1, .extra_info = &extra},
        .body = "Hello Asha, your order #4711 has shipped and arrives on Tuesday.",
        .preview_url = 0,
    };
    const kwa_message_t message = {.type = KWA_MSG_TEXT, .u.text = msg};
    const kwa_options_t opts = {
        .sid = "HXAP16XXXXXX97IN", .api_key = "A0000000000000000000000000000003",
        .from = "+918000000001", .base_url = "http://127.0.0.1:8099/fast",
    };
    kwa_config_t cfg;
    kwa_request_t req;
    kwa_result_t res = {0};
    const char *count = getenv("BENCH_COUNT");
    const char *arg1 = argc == 2 ? argv[1] : count;
    long i, n;

    if (argc > 2 || arg1 == NULL) {
        fprintf(stderr, "usage: core_cost N | --body | --agent\n");
        return 2;
    }
    if (strcmp(arg1, "--agent") == 0) {
        printf("kaleyra-whatsapp/%s libcurl/%s\n", KWA_VERSION, LIBCURL_VERSION);
        return 0;
    }
    if (kwa_config_init(&cfg, &opts, &res) != 0) {
        fprintf(stderr, "core_cost: %s\n", res.message);
        return 1;
    }
    if (strcmp(arg1, "--body") == 0) {
        if (kwa_request_build(&req, &cfg, &message, &res) != 0)
            return fprintf(stderr, "core_cost: %s\n", res.message), 1;
        fwrite(req.body, 1, req.body_len, stdout);
        kwa_request_free(&req);
        kwa_config_free(&cfg);
        return 0;
    }
    n = strtol(arg1, NULL, 10);
    for (i = 0; i < n; i++) {
        if (kwa_request_build(&req, &cfg, &message, &res) != 0 ||
            kwa_response_parse(&res, KWA_ANSWER_MESSAGE, 202, answer, sizeof answer - 1) != 0) {
            fprintf(stderr, "core_cost: %s\n", res.message);
            return 1;
        }
        kwa_request_free(&req);
        kwa_result_free(&res);
    }
    kwa_config_free(&cfg);
    return 0;
}
