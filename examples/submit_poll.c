/*
 * submit_poll.c - the non-blocking C API in a host's own loop: submits one
 * text message per recipient given, then waits on the client's descriptor
 * with poll(2) and its timeout until every callback has run.
 *
 *   KALEYRA_SID=... KALEYRA_API_KEY=... KALEYRA_FROM=+91... \
 *   [KALEYRA_BASE_URL=http://127.0.0.1:8099] ./submit_poll BODY TO...
 *
 * Prints one line per message, "<to> accepted <message_id>" or
 * "<to> <kind> <code> (<status>): <message>", and exits 0 only if all were
 * accepted (1 otherwise, 2 on usage errors).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include "kwa.h"

typedef struct job {
    const char *to;
    int done, ok;
} job_t;

/* Runs inside kwa_client_poll(); res is freed when it returns. */
static void on_done(void *ud, kwa_result_t *res)
{
    job_t *job = ud;

    job->done = 1;
    job->ok = res->kind == KWA_OK;
    if (job->ok)
        printf("%s accepted %s\n", job->to, res->message_id);
    else
        printf("%s %s %s (%ld): %s\n", job->to, kwa_kind_name(res->kind), res->code,
               res->status, res->message);
}

int main(int argc, char **argv)
{
    kwa_options_t opts = {0};
    kwa_result_t err = {0};
    kwa_client_t *client;
    job_t *jobs;
    int i, n = argc - 2, failed = 0, rounds;

    if (n < 1) {
        fprintf(stderr, "usage: %s BODY TO...\n", argv[0]);
        return 2;
    }
    opts.sid = getenv("KALEYRA_SID");
    opts.api_key = getenv("KALEYRA_API_KEY");
    opts.from = getenv("KALEYRA_FROM");
    opts.base_url = getenv("KALEYRA_BASE_URL");
    client = kwa_client_new(&opts, &err);
    jobs = calloc((size_t)n, sizeof *jobs);
    if (client == NULL || jobs == NULL) {
        fprintf(stderr, "%s: %s\n", kwa_kind_name(err.kind), err.message);
        kwa_result_free(&err);
        free(jobs);
        kwa_client_free(client);
        return 1;
    }
    for (i = 0; i < n; i++) {
        kwa_message_t m = {.type = KWA_MSG_TEXT};

        jobs[i].to = argv[i + 2];
        m.u.text.envelope.to = &jobs[i].to;
        m.u.text.envelope.to_count = 1;
        m.u.text.body = argv[1];
        if (kwa_client_submit(client, &m, on_done, &jobs[i], &err) != 0) {
            on_done(&jobs[i], &err); /* invalid: reported now, nothing queued */
            kwa_result_free(&err);
        }
    }
    /* the host's loop: wait for the descriptor or the deadline, then poll;
     * bounded so a bug cannot spin forever */
    for (rounds = 0; kwa_client_pending(client) > 0 && rounds < 100000; rounds++) {
        struct pollfd pfd = {.fd = kwa_client_fd(client), .events = POLLIN};
        long wait = kwa_client_timeout_ms(client);

        poll(&pfd, 1, wait < 0 || wait > 1000 ? 1000 : (int)wait);
        kwa_client_poll(client, 0);
    }
    for (i = 0; i < n; i++)
        failed += !(jobs[i].done && jobs[i].ok);
    free(jobs);
    kwa_client_free(client);
    return failed == 0 ? 0 : 1;
}
