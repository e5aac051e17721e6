/*
 * send_text.c - a C program using only kwa.h: sends one text message.
 *
 *   KALEYRA_SID=... KALEYRA_API_KEY=... KALEYRA_FROM=+91... \
 *   [KALEYRA_BASE_URL=http://127.0.0.1:8099] ./send_text +91XXXXXXXXXX "Hello"
 *
 * Prints "accepted <message_id>", or "<kind> <code> (<status>): <message>"
 * for an answer from the service, or "<kind>: <message>" otherwise,
 * and exits 0 on success, 1 on failure, 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kwa.h"

int main(int argc, char **argv)
{
    kwa_options_t opts = {0};
    kwa_text_t msg = {0};
    kwa_result_t res = {0};
    kwa_client_t *client;
    const char *to[1];
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: %s TO BODY\n", argv[0]);
        return 2;
    }
    opts.sid = getenv("KALEYRA_SID");
    opts.api_key = getenv("KALEYRA_API_KEY");
    opts.from = getenv("KALEYRA_FROM");
    opts.base_url = getenv("KALEYRA_BASE_URL");
    opts.region = getenv("KALEYRA_REGION");

    client = kwa_client_new(&opts, &res);
    if (client == NULL) {
        fprintf(stderr, "%s (%s): %s\n", kwa_kind_name(res.kind), res.field, res.message);
        kwa_result_free(&res);
        return 1;
    }
    to[0] = argv[1];
    msg.envelope.to = to;
    msg.envelope.to_count = 1;
    msg.body = argv[2];
    rc = kwa_client_send_text(client, &msg, &res);
    if (rc == 0)
        printf("accepted %s\n", res.message_id);
    else if (res.status != 0)
        fprintf(stderr, "%s %s (%ld): %s\n", kwa_kind_name(res.kind), res.code,
                res.status, res.message);
    else
        fprintf(stderr, "%s: %s\n", kwa_kind_name(res.kind), res.message);
    kwa_result_free(&res);
    kwa_client_free(client);
    return rc == 0 ? 0 : 1;
}
