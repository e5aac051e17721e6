/*
 * call_op.c - any operation of the registry from C, by name, with its
 * fields as JSON (kwa_client_call): the operations kwa.h has no struct
 * for, such as the read receipt.
 *
 *   KALEYRA_SID=... KALEYRA_API_KEY=... KALEYRA_FROM=+91... \
 *   [KALEYRA_BASE_URL=http://127.0.0.1:8099] \
 *   ./call_op mark_read '{"message_id": "wamid.HBgM..."}'
 *
 * Prints "ok <status>" and the answer's JSON, or the error as send_text
 * does; exits 0 on success, 1 on failure, 2 on usage errors (an unknown
 * operation or fields that are not JSON).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwa.h"

static int known(const char *op)
{
    const char *const *name;

    for (name = kwa_op_names(); *name != NULL; name++)
        if (strcmp(*name, op) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    kwa_options_t opts = {0};
    kwa_result_t res = {0};
    kwa_client_t *client;
    cJSON *fields;
    char *answer;
    int rc;

    if (argc != 3 || !known(argv[1]) || (fields = cJSON_Parse(argv[2])) == NULL) {
        fprintf(stderr, "usage: %s OPERATION FIELDS_JSON (an operation of kwa_op_names())\n",
                argv[0]);
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
        cJSON_Delete(fields);
        return 1;
    }
    rc = kwa_client_call(client, argv[1], fields, &res);
    if (rc == 0) {
        const cJSON *body = kwa_result_body(&res); /* decoded on first use */

        answer = body ? cJSON_PrintUnformatted(body) : NULL;
        printf("ok %ld %s\n", res.status, answer ? answer : "");
        cJSON_free(answer);
    } else if (res.status != 0) {
        fprintf(stderr, "%s %s (%ld): %s\n", kwa_kind_name(res.kind), res.code, res.status,
                res.message);
    } else {
        fprintf(stderr, "%s (%s): %s\n", kwa_kind_name(res.kind), res.field, res.message);
    }
    kwa_result_free(&res);
    kwa_client_free(client);
    cJSON_Delete(fields);
    return rc == 0 ? 0 : 1;
}
