/***
 * kwa.h - public C API of kaleyra-whatsapp: send Kaleyra WhatsApp API v2
 * messages (text, call-to-action URL, Flow) and publish Flows, with no Lua.
 *
 * Ownership, in one line per function below. In short: every pointer you
 * pass in is borrowed for the duration of the call only; everything the
 * library hands back lives in a kwa_result_t that you release with
 * kwa_result_free(). A kwa_client_t is not thread-safe: use one per thread.
 *
 * Errors are values, never aborts: each call fills a kwa_result_t whose
 * `kind` is KWA_OK on success or says what went wrong (see kwa_kind_t).
 * The API key is copied into the client and never appears in any result.
 * @module kwa
 */
#ifndef KWA_H
#define KWA_H

#include <stddef.h>
#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KWA_VERSION "0.1.0"

/* What went wrong. KWA_OK (0) means success. */
typedef enum kwa_kind {
    KWA_OK = 0,
    KWA_VALIDATION, /* a message field is invalid; nothing was sent */
    KWA_CONFIG,     /* a client option is invalid, or the endpoint is wrong */
    KWA_AUTH,       /* 401: SID, key, business number or flow not allowed */
    KWA_PAYLOAD,    /* 400: the service rejected the payload */
    KWA_BALANCE,    /* E110: the account's balance is too low */
    KWA_RATE_LIMIT, /* 429 */
    KWA_SERVER,     /* 5xx or an unexpected answer from the service */
    KWA_NETWORK,    /* could not connect, or the connection broke */
    KWA_TIMEOUT,    /* the connect or total timeout expired */
    KWA_TLS,        /* certificate or TLS handshake failure */
    KWA_PROTOCOL,   /* the answer was not HTTP we can use */
    KWA_NOMEM,      /* out of memory */
    KWA_CALLBACK,   /* a callback body that cannot be read (kwa_callback_parse) */
    KWA_CRYPTO      /* Flows endpoint: a body cannot be decrypted (status 421) */
} kwa_kind_t;

/*** Returns a static lower-case name: "validation", "auth", ... ("ok"). */
const char *kwa_kind_name(kwa_kind_t kind);

/*
 * The outcome of one call. Zero-initialise before first use; the library
 * releases what a previous call left in it, so one struct can be reused.
 */
typedef struct kwa_result {
    kwa_kind_t kind;
    long status;          /* HTTP status, 0 if no answer was received */
    int retryable;        /* sending the same request again may succeed */
    int sent;             /* 1 if the request may have reached the service */
    int success;          /* publish: the answer said "success": true */
    int attempts;         /* how many times the request was sent (retries + 1) */
    double retry_after;   /* seconds the service asked to wait, or 0 */
    char code[32];        /* Kaleyra code ("WA202", "RBC001", ...) or "" */
    char message_id[128]; /* send: data.message_id, or "" */
    char field[64];       /* validation/config: the offending field, or "" */
    char message[512];    /* human-readable; never contains the API key */
    /* The answer itself. Read it with kwa_result_body(): a successful
     * answer of a sending, success or upload operation (everything but
     * the Flow reads of KWA_ANSWER_JSON) is not decoded until asked. */
    cJSON *body;          /* owned: the decoded answer; NULL if not JSON,
                             empty, or not decoded yet */
    const cJSON *details; /* borrowed from body: its "error" member, or NULL
                             (set whenever body is) */
    char *raw;            /* owned: the answer's bytes, NUL-terminated, when
                             the answer is not JSON, and for every non-empty
                             successful answer other than KWA_ANSWER_JSON
                             ones (whether or not body is decoded yet);
                             NULL otherwise */
    size_t raw_len;
} kwa_result_t;

/*** Frees body and raw, then sets every number to 0, every pointer to NULL
 * and every text field to "" (its first byte only: the bytes after the
 * NUL are left as they were). NULL and zeroed structs are fine. */
void kwa_result_free(kwa_result_t *res);

/*** The decoded answer (borrowed from res; freed by kwa_result_free), or
 * NULL when it is empty or not JSON (its bytes are then in res->raw). The
 * first call decodes res->raw if body is not decoded yet and keeps the tree
 * in res->body (setting res->details too), so later calls cost nothing.
 * NULL res is fine. */
const cJSON *kwa_result_body(kwa_result_t *res);

/* Client settings. Strings are copied by kwa_client_new(). */
typedef struct kwa_options {
    const char *sid;        /* required: account SID, alphanumeric */
    const char *api_key;    /* required: printable ASCII, no spaces */
    const char *region;     /* "in" (default), "sg", "eu" or "na" */
    const char *base_url;   /* overrides region; may carry a path prefix;
                               plain http only to loopback hosts */
    const char *from;       /* default business number (E.164), or NULL */
    double timeout;         /* total seconds per request; 0 = 30 */
    double connect_timeout; /* seconds; 0 = 10 */
    const char *ca_file;    /* CA bundle for TLS verification, or NULL */
    const char *ca_path;    /* directory of hashed CA certificates, or NULL */
    int retries;            /* automatic retries where a message cannot have
                               been accepted: 0 = the default (2),
                               negative = none, at most 10. (The Lua
                               binding's retries = 0 means none.) */
    int concurrency;        /* transfers in flight at once; 0 = 8 */
} kwa_options_t;

/* Optional per-message metadata; NULL members are omitted. */
typedef struct kwa_extra_info {
    const char *ref, *ref1, *ref2; /* cut to 255 characters */
    const char *wa_source;         /* unknown values become "api" */
} kwa_extra_info_t;

/* Who gets a message and from which business number. */
typedef struct kwa_envelope {
    const char *const *to;              /* recipients, E.164 */
    size_t to_count;                    /* at least 1 */
    const char *from;                   /* NULL: the client's default */
    const kwa_extra_info_t *extra_info; /* NULL: none */
} kwa_envelope_t;

/* The header/body/footer frame of an interactive message. */
typedef struct kwa_frame {
    const char *header;           /* text header (<= 60 chars), or NULL */
    const cJSON *header_object;   /* or a header object passed through */
    const char *body;             /* required, <= 1024 chars */
    const char *footer;           /* <= 60 chars, or NULL */
} kwa_frame_t;

typedef struct kwa_text {
    kwa_envelope_t envelope;
    const char *body; /* 1..4096 characters */
    int preview_url;
} kwa_text_t;

typedef struct kwa_cta_url {
    kwa_envelope_t envelope;
    kwa_frame_t frame;
    const char *display_text; /* 1..20 characters */
    const char *url;          /* absolute http(s) URL */
} kwa_cta_url_t;

typedef struct kwa_flow {
    kwa_envelope_t envelope;
    kwa_frame_t frame;
    const cJSON *parameters; /* Meta's action.parameters, passed through;
                                flow_message_version defaults to "3" */
} kwa_flow_t;

/* Any message Meta's message object allows (reply buttons, lists, media,
 * location, templates...), with the same transport and extra_info rules.
 * messaging_object.to (comma-separated E.164 numbers) is checked, as are
 * messaging_product ("whatsapp", added if absent), recipient_type
 * ("individual", added if absent) and that the object named by `type`
 * exists; the rest passes through as given. */
typedef struct kwa_raw {
    const char *from;                   /* NULL: the client's default */
    const kwa_extra_info_t *extra_info; /* NULL: none */
    const cJSON *messaging_object;      /* borrowed */
} kwa_raw_t;

/* Any one operation, for the generic and non-blocking calls. KWA_MSG_OP
 * reaches every operation of the registry (kwa_op_names()) by name, with
 * its fields as a cJSON object named as in the Lua API, e.g. "mark_read"
 * with {"message_id": "wamid..."}. KWA_MSG_ARGS is the binding's own. */
typedef enum kwa_message_type {
    KWA_MSG_TEXT, KWA_MSG_CTA_URL, KWA_MSG_FLOW, KWA_MSG_PUBLISH, KWA_MSG_RAW,
    KWA_MSG_OP, KWA_MSG_ARGS
} kwa_message_type_t;

typedef struct kwa_message {
    kwa_message_type_t type;
    union {
        kwa_text_t text;
        kwa_cta_url_t cta_url;
        kwa_flow_t flow;
        const char *flow_id; /* KWA_MSG_PUBLISH: digits */
        kwa_raw_t raw;
        struct {
            const char *name;    /* a registry name: "text", "mark_read", ... */
            const cJSON *fields; /* borrowed object of the op's fields */
        } op;
        struct {
            const struct kwa_opdef *def;
            const struct kwa_args *args;
        } args; /* internal: the Lua binding's already-read fields */
    } u;
} kwa_message_t;

/* Called once per submitted message with its final result, from inside
 * kwa_client_poll() (or a blocking call on the same client). res is freed
 * after the callback returns; to keep it, copy the struct and zero *res. */
typedef void (*kwa_callback_t)(void *ud, kwa_result_t *res);

typedef struct kwa_client kwa_client_t;

/*** Initialises libcurl once; safe to call from several threads. Optional:
 * kwa_client_new() calls it. Returns 0, or -1 if libcurl failed. */
int kwa_global_init(void);

/*** Returns a new client (free with kwa_client_free), or NULL with err set
 * (kind KWA_CONFIG or KWA_NOMEM; err needs kwa_result_free). */
kwa_client_t *kwa_client_new(const kwa_options_t *opts, kwa_result_t *err);

/*** Closes its connections and frees the client. NULL is a no-op. Callbacks
 * of submitted messages not yet called back run first, with kind
 * KWA_NETWORK ("cancelled"); they must not use the client. */
void kwa_client_free(kwa_client_t *client);

/*** Each call sends one message, blocking until its final answer (with the
 * automatic retries doc/reliability.md allows), and fills res
 * (free with kwa_result_free). Returns 0 when res->kind == KWA_OK, -1
 * otherwise. Inputs are borrowed. Callbacks of messages submitted on the
 * same client may run meanwhile. */
int kwa_client_send_text(kwa_client_t *client, const kwa_text_t *msg,
                         kwa_result_t *res);
/*** The same for a call-to-action URL button message. */
int kwa_client_send_cta_url(kwa_client_t *client, const kwa_cta_url_t *msg,
                            kwa_result_t *res);
/*** The same for a Flow message. */
int kwa_client_send_flow(kwa_client_t *client, const kwa_flow_t *msg,
                         kwa_result_t *res);
/*** The same for publishing a Flow (flow_id: digits). */
int kwa_client_publish_flow(kwa_client_t *client, const char *flow_id,
                            kwa_result_t *res);
/*** The same for any operation. */
int kwa_client_send(kwa_client_t *client, const kwa_message_t *msg,
                    kwa_result_t *res);
/*** The same for the registry's operation `op` with its fields as a cJSON
 * object (borrowed), e.g. kwa_client_call(c, "mark_read", fields, &res). */
int kwa_client_call(kwa_client_t *client, const char *op, const cJSON *fields,
                    kwa_result_t *res);
/*** The registry's operation names, NULL-terminated, static. */
const char *const *kwa_op_names(void);

/***
 * Non-blocking use, for hosts with their own event loop. submit validates
 * and builds msg (borrowed for the call only) and queues it: 0, or -1 with
 * err set (validation or out of memory) and nothing queued. Nothing is
 * sent until kwa_client_poll() runs; it waits at most timeout_ms for
 * network activity, runs the callbacks of finished messages and returns
 * how many finished. Between polls, wait until kwa_client_fd() is
 * readable or kwa_client_timeout_ms() elapses (-1: no deadline), then
 * poll again. At most `concurrency` requests are in flight at once.
 *
 * Event loop: libcurl waits inside kwa_client_poll() (curl_multi_poll).
 * On Linux, kwa_client_fd() returns an epoll descriptor, and from that
 * first call on the client's sockets are watched through it, so a host
 * can wait on it in its own loop. Elsewhere, or when the environment
 * variable KWA_EVENT_LOOP=poll is set when the client is created, there
 * is no descriptor: kwa_client_fd() is -1, and the host calls
 * kwa_client_poll() with the time it can spare (at most
 * kwa_client_timeout_ms()), since the wait happens inside it.
 */
int kwa_client_submit(kwa_client_t *client, const kwa_message_t *msg,
                      kwa_callback_t cb, void *ud, kwa_result_t *err);
/*** Waits at most timeout_ms for network activity (0: not at all; negative:
 * as long as it takes for something to happen), runs the callbacks of
 * finished messages and returns how many finished (possibly 0). Returns 0
 * at once when nothing is pending. */
int kwa_client_poll(kwa_client_t *client, long timeout_ms);
/*** How many submitted messages have not been called back yet. */
size_t kwa_client_pending(const kwa_client_t *client); /* submitted, not yet called back */
/*** The descriptor to wait on (readable) between polls, or -1 when the
 * client has none (see above). The first call hands the client's sockets
 * to it for good. */
int kwa_client_fd(const kwa_client_t *client);
/*** Milliseconds until the next poll is due without activity; -1 means no
 * deadline (nothing will happen until the descriptor is readable, or
 * nothing is pending). */
long kwa_client_timeout_ms(const kwa_client_t *client);
/*** Changes how many requests may be in flight at once (n >= 1). */
void kwa_client_set_concurrency(kwa_client_t *client, size_t n);

/* ---- callbacks (webhooks) Kaleyra or Meta POST to you: doc/callbacks.md ---- */

#define KWA_CALLBACK_STRICT 1u /* flag: no repair of a trailing comma */

/*** Parses a callback body (borrowed; at most 1 MiB, valid UTF-8, nested at
 * most 32 deep) into a new object { "events": [...], "body": decoded } that
 * the caller frees with cJSON_Delete; each event's "raw", "extra_info",
 * "pricing" and "conversation" are references into "body". NULL with err
 * set (kind KWA_CALLBACK and field, or KWA_NOMEM) when the body cannot be
 * read; err needs kwa_result_free. */
cJSON *kwa_callback_parse(const char *body, size_t len, unsigned flags,
                          kwa_result_t *err);

/*** The checks of a callback's credentials, each in constant time with
 * respect to the secret. They return 1 when it matches, else 0 and set
 * *reason (may be NULL) to a static text that never holds a secret. The
 * header value may be NULL (the header is missing). Inputs are borrowed. */
/*** "Authorization: Basic base64(user:password)". */
int kwa_callback_check_basic(const char *header, const char *user,
                             const char *password, const char **reason);
/*** "Authorization: Bearer <token>". */
int kwa_callback_check_bearer(const char *header, const char *token,
                              const char **reason);
/*** A custom header whose value must equal expected. */
int kwa_callback_check_header(const char *value, const char *expected,
                              const char **reason);
/*** Meta's X-Hub-Signature-256: "sha256=" and the lower-case hex
 * HMAC-SHA256 of the raw body bytes with the app secret as key. */
int kwa_callback_verify_signature(const char *body, size_t len,
                                  const char *header, const char *app_secret,
                                  const char **reason);

/* ---- WhatsApp Flows' data endpoint (kwa_flowcrypt.c, kwa_flow_endpoint.c) ----
 *
 * Meta POSTs {"encrypted_flow_data", "encrypted_aes_key", "initial_vector"}
 * to the business's endpoint: an AES-128 key wrapped with RSA-OAEP
 * (SHA-256, MGF1 SHA-256) to the business key, the data under
 * AES-128-GCM with a 16-byte IV and the tag appended. The answer is
 * base64(AES-128-GCM(same key, the IV's bytes flipped) || tag).
 * Decryption failures are kind KWA_CRYPTO with status 421 (what the
 * endpoint must answer) and a reason token in res->code: "empty",
 * "too_large", "not_envelope", "bad_base64", "bad_iv", "bad_data",
 * "wrong_key", "bad_tag", "not_json". See doc/flows.md. */

#define KWA_FLOW_IV_LEN 16
#define KWA_FLOW_MAX_BODY (1024 * 1024) /* larger request bodies are refused */
#define KWA_FLOW_STATUS_DECRYPT 421

typedef struct kwa_flow_key kwa_flow_key_t;

/* What a request's answer needs: its AES key and IV. The caller's;
 * scrub it with kwa_flow_ctx_clear when done. */
typedef struct kwa_flow_ctx {
    unsigned char key[16];
    unsigned char iv[KWA_FLOW_IV_LEN];
} kwa_flow_ctx_t;

/*** Parses a PEM RSA private key of at least 2048 bits (PKCS#8, encrypted
 * PKCS#8 or PKCS#1, plain or encrypted; passphrase NULL for none, borrowed
 * and not kept). NULL with err set (KWA_CONFIG) when it cannot be read.
 * Free with kwa_flow_key_free. One thread at a time per key. */
kwa_flow_key_t *kwa_flow_key_load(const char *pem, size_t len, const char *passphrase,
                                  kwa_result_t *err);
/*** Frees the key (scrubbed by OpenSSL). NULL is a no-op. */
void kwa_flow_key_free(kwa_flow_key_t *key);
/*** Scrubs ctx (OPENSSL_cleanse). NULL is a no-op. */
void kwa_flow_ctx_clear(kwa_flow_ctx_t *ctx);
/*** Decrypts a request body: *json (malloc'd, NUL-terminated; free()) and
 * ctx. 0, or -1 with err set (KWA_CRYPTO, status 421, reason in code). */
int kwa_flow_decrypt(kwa_flow_key_t *key, const char *body, size_t len, char **json,
                     size_t *json_len, kwa_flow_ctx_t *ctx, kwa_result_t *err);
/*** Encrypts a response (plain: any bytes, JSON as a rule) under ctx:
 * *body is base64 text (malloc'd; free()). 0, or -1 with err set. */
int kwa_flow_encrypt(const kwa_flow_ctx_t *ctx, const char *plain, size_t len, char **body,
                     size_t *body_len, kwa_result_t *err);
/*** The client's side (what WhatsApp does; for tests and health checks):
 * encrypts request JSON to a PEM public key; *body (malloc'd; free()) is
 * the JSON envelope, ctx what kwa_flow_response_decrypt needs. */
int kwa_flow_request_encrypt(const char *public_pem, size_t pem_len, const char *json,
                             size_t len, char **body, size_t *body_len, kwa_flow_ctx_t *ctx,
                             kwa_result_t *err);
/*** Decrypts an endpoint's answer body with the request's ctx: *json
 * (malloc'd; free()). 0, or -1 with err set (KWA_CRYPTO). */
int kwa_flow_response_decrypt(const kwa_flow_ctx_t *ctx, const char *body, size_t len,
                              char **json, size_t *json_len, kwa_result_t *err);
/*** A new RSA key pair of `bits` (2048..8192) as PEM: the private key as
 * PKCS#8, encrypted with AES-256-CBC when passphrase is not NULL. Both
 * malloc'd; scrub and free() the private one. */
int kwa_flow_keygen(int bits, const char *passphrase, char **private_pem, char **public_pem,
                    kwa_result_t *err);

/* A Flow request handler for kwa_flow_handle: reads the decrypted request
 * (borrowed) and either sets *response (a cJSON tree it gives away) and
 * returns 0, or sets *error_msg (borrowed until kwa_flow_handle returns)
 * and returns 1 to answer 427 (the flow_token is no longer valid), or
 * returns -1 for a failure (answered 500, nothing leaked). */
typedef int (*kwa_flow_handler_t)(void *ud, const cJSON *request, cJSON **response,
                                  const char **error_msg);

/*** The whole endpoint for one request body: decrypts it, answers `ping`
 * and error notifications itself, calls handler for INIT, data_exchange
 * and BACK, and encrypts the answer. Returns the HTTP status (200, 421,
 * 427 or 500); *out (malloc'd base64, or NULL for an empty body; free())
 * is the body to send. */
long kwa_flow_handle(kwa_flow_key_t *key, const char *body, size_t len,
                     kwa_flow_handler_t handler, void *ud, char **out, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif /* KWA_H */
