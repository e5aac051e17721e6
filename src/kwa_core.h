/*
 * kwa_core.h - internal interfaces of the pure core: configuration,
 * validation, request building and response parsing. Nothing declared
 * here does I/O or knows about Lua, so all of it can be tested and fuzzed
 * alone. The engine (kwa_engine.h) and the Lua binding sit on top.
 *
 * Conventions: functions that can fail take the kwa_result_t to fill and
 * return 0 on success or -1 after filling it (kwa_fail). Strings in a
 * kwa_config_t and a kwa_request_t are owned by them, except a request's
 * url when it is its config's messages_url (the config outlives every
 * request built from it).
 */
#ifndef KWA_CORE_H
#define KWA_CORE_H

#include "kwa.h"

#define KWA_MAX_RESPONSE (1024 * 1024) /* larger answers are refused */
#define KWA_MAX_REQUEST (1024 * 1024)  /* larger request bodies are not sent */
#define KWA_MAX_CALLBACK (1024 * 1024) /* larger callback bodies are refused */
#define KWA_MAX_DEPTH 32                /* JSON nesting the library reads or writes */
#define KWA_RETRY_AFTER_CAP 30.0        /* seconds: longer Retry-After is cut */
#define KWA_DEFAULT_RETRIES 2
#define KWA_DEFAULT_CONCURRENCY 8

/* ---- results (kwa_result.c) ---- */

/* Fills res with kind, field (may be NULL) and a printf-style message.
 * Returns -1 so callers can `return kwa_fail(...)`. */
int kwa_fail(kwa_result_t *res, kwa_kind_t kind, const char *field,
             const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Copies at most cap-1 bytes of s into dst, never splitting a UTF-8
 * character, always NUL-terminating. */
void kwa_copy_text(char *dst, size_t cap, const char *s, size_t len);

/* ---- UTF-8 (kwa_utf8.c) ---- */

/* Each byte's class inside a JSON string, for the writer (what to
 * escape) and the scanner (where a string ends): */
enum {
    KWA_JSON_PLAIN,     /* ASCII copied as is */
    KWA_JSON_HIGH,      /* a byte of a multi-byte UTF-8 character */
    KWA_JSON_QUOTE,     /* '"' */
    KWA_JSON_BACKSLASH, /* '\\' */
    KWA_JSON_CONTROL    /* below 0x20: JSON wants them escaped; cJSON keeps them */
};
extern const unsigned char kwa_json_byte[256];

/* Number of code points in s[0..len), or -1 if it is not valid UTF-8
 * (overlong forms, surrogates and values past U+10FFFF are invalid). */
long kwa_utf8_count(const char *s, size_t len);

/* Byte length of the valid UTF-8 sequence that starts s (at most n bytes
 * read; it stops at the first byte that does not belong), or 0 if it is
 * not one. */
size_t kwa_utf8_seq(const char *s, size_t n);

/* Byte length of the first max_chars code points of valid UTF-8 s. */
size_t kwa_utf8_prefix(const char *s, size_t len, size_t max_chars);

/* ---- configuration (kwa_config.c) ---- */

typedef struct kwa_config {
    char *sid, *api_key, *base_url, *from, *ca_file, *ca_path; /* owned; the last 3 may be NULL */
    /* owned: {base_url}/v2/{sid}/whatsapp/{from}/messages for the client's
     * from (NULL without one), made once; requests borrow it */
    char *messages_url;
    long timeout_ms, connect_timeout_ms;
    int retries;        /* automatic retries, >= 0 */
    size_t concurrency; /* transfers in flight, >= 1 */
} kwa_config_t;

/* Validates opts and copies them into cfg (kind KWA_CONFIG on bad input).
 * On failure cfg holds nothing to free. */
int kwa_config_init(kwa_config_t *cfg, const kwa_options_t *opts,
                    kwa_result_t *err);
void kwa_config_free(kwa_config_t *cfg);
/* {base_url}/v2/{sid}/whatsapp/{segment}/{tail}, a new string (NULL when
 * out of memory). */
char *kwa_config_url(const kwa_config_t *cfg, const char *segment, const char *tail);

/* ---- validation (kwa_validate.c) ---- */

int kwa_is_phone(const char *s);
int kwa_check_phone(kwa_result_t *err, const char *field, const char *s);
/* A required (min >= 1) or optional (min == 0, NULL allowed) string of
 * min..max code points of valid UTF-8. */
int kwa_check_text(kwa_result_t *err, const char *field, const char *s,
                   size_t min, size_t max);
int kwa_check_url(kwa_result_t *err, const char *field, const char *s);
int kwa_check_flow_id(kwa_result_t *err, const char *field, const char *s);
int kwa_check_recipients(kwa_result_t *err, const char *field, const char *list);
int kwa_check_extra_info(kwa_result_t *err, const kwa_extra_info_t *x);
/* The business number: the message's own, or else the client's. */
int kwa_check_from(kwa_result_t *err, const kwa_config_t *cfg, const char *from);
/* An optional string member of obj that, when present, must equal want. */
int kwa_check_fixed(kwa_result_t *err, const cJSON *obj, const char *name,
                    const char *field, const char *want);
/* An optional string member: absent, or min..max characters. */
int kwa_check_member(kwa_result_t *err, const cJSON *obj, const char *name,
                     const char *field, size_t min, size_t max);
/* 1 if v is a whole number in [lo, hi] (checked before any cast, so a
 * huge or infinite value is simply out of range). */
int kwa_is_whole(double v, double lo, double hi);
/* 1 if s is one of the NULL-terminated list. */
int kwa_one_of(const char *s, const char *const *list);

/* ---- requests (kwa_request.c) ---- */

/* What a successful answer means: a message was accepted (code, message,
 * data.message_id), an action succeeded ("success": true), an upload
 * returned a media id, or the JSON body is the result itself (a Flow, a
 * list of Flows). */
typedef enum kwa_answer {
    KWA_ANSWER_MESSAGE,
    KWA_ANSWER_SUCCESS,
    KWA_ANSWER_MEDIA, /* an upload: {"id": ...} (or data.id), kept in message_id */
    KWA_ANSWER_JSON   /* the answer's JSON is the result (kwa_result_t.json) */
} kwa_answer_t;

/* One part of a multipart/form-data body. The engine turns the parts into
 * a curl_mime in one place (kwa_transfer.c), never by hand. A part's
 * content is either a file, streamed from disk while the transfer reads
 * it (curl_mime_filedata: an upload's size never becomes memory), or
 * bytes: static, borrowed from the request's body (upload_flow_json's
 * Flow JSON), or a copy the part owns (upload_media's data). */
typedef struct kwa_part {
    const char *name;   /* static: the form field ("file", "type") */
    char *path;         /* owned: the file to stream, or NULL */
    const char *data;   /* the bytes when path is NULL: static, the
                           request's body, or copy */
    size_t len;
    char *copy;         /* owned bytes data points to, or NULL */
    char *filename;     /* owned, or NULL for a plain field */
    char *type;         /* owned: the part's Content-Type, or NULL */
} kwa_part_t;

#define KWA_MAX_PARTS 4

typedef struct kwa_request {
    const char *op;      /* static: the operation's registry name */
    const char *method;  /* static: "POST", "GET" or "DELETE" */
    kwa_answer_t answer; /* how to read a 2xx answer */
    const char *url; /* absolute URL, query included: url_owned, or the
                        config's messages_url, borrowed (the config
                        outlives every request of its client) */
    char *url_owned; /* owned, or NULL when url is borrowed */
    char *body;      /* owned: JSON text, "" when none, or bytes a part
                        of a multipart request borrows */
    size_t body_len;
    const char *content_type; /* static; NULL: application/json (ignored
                                 when multipart: libcurl sets it) */
    kwa_part_t parts[KWA_MAX_PARTS]; /* multipart/form-data when nparts > 0 */
    size_t nparts;
} kwa_request_t;

/* Validates any message of the typed C API and fills req (free with
 * kwa_request_free). On failure req holds nothing to free and err says
 * why. Each operation's rules and builder live in src/ops/ (kwa_op.h). */
int kwa_request_build(kwa_request_t *req, const kwa_config_t *cfg,
                      const kwa_message_t *m, kwa_result_t *err);

/* The client's configuration, for bindings that build requests to send
 * through a transport of their own (kwa_client.c). */
const kwa_config_t *kwa_client_config(const kwa_client_t *client);

/* A client whose I/O is done elsewhere (a Lua transport): a config and a
 * policy machine but no libcurl engine. kwa_client_submit() queues on its
 * machine; the transport drives kwa_client_dispatch(). Its poll returns
 * 0, its fd and timeout -1, and its blocking sends fail with KWA_CONFIG.
 * NULL with err set on failure; free with kwa_client_free(). */
kwa_client_t *kwa_client_new_external(const kwa_options_t *opts, kwa_result_t *err);
/* Fills err for a multipart request a Lua transport was asked to send
 * (kind config, field transport); returns -1. */
int kwa_client_refuse_multipart(kwa_result_t *err);
/* The client's policy machine, for either kind of client (borrowed). */
struct kwa_dispatch *kwa_client_dispatch(kwa_client_t *client); /* kwa_dispatch_t */
void kwa_request_free(kwa_request_t *req);

/* ---- Flows (kwa_flowcrypt.c) ---- */

/* 0 if pem is a PEM public RSA key of 2048 bits or more; -1 with err set
 * (KWA_VALIDATION, field) otherwise. */
int kwa_flow_check_public(const char *pem, size_t len, const char *field, kwa_result_t *err);

/* ---- retry policy (kwa_retry.c) ---- */

/* Seconds to wait before attempt number attempts+1 of a request whose
 * latest attempt ended in res, or -1 to stop and report res. random01 is
 * a uniform number in [0, 1) for the jitter. */
double kwa_retry_delay(const kwa_result_t *res, int attempts, int max_retries,
                       double random01);

/* ---- responses (kwa_response.c) ---- */

/* Interprets an HTTP answer (status, body bytes) into res, releasing what
 * res held before. Never fails on bad input: a body that is not JSON is
 * kept in res->raw. Returns 0 if res->kind == KWA_OK, else -1.
 *
 * A successful answer of a message, success or media operation keeps its
 * bytes in res->raw; its fields are read by kwa_scan_answer() without a
 * tree when it can, and res->body stays NULL until kwa_result_body()
 * (kwa.h). Anything else (errors, KWA_ANSWER_JSON, bodies the scanner
 * leaves to cJSON) builds res->body at once, as before. */
int kwa_response_parse(kwa_result_t *res, kwa_answer_t op, long status,
                       const char *body, size_t len);
/* The same without the scanner: always cJSON, as the library did before
 * it. For the differential tests and fuzzer: both must give equal results. */
int kwa_response_parse_tree(kwa_result_t *res, kwa_answer_t op, long status,
                            const char *body, size_t len);

/* ---- the 2xx answer scanner (kwa_scan.c) ---- */

/* Bytes inside the scanned body (not NUL-terminated); s NULL: absent, or
 * not a string. */
typedef struct kwa_span {
    const char *s;
    size_t len;
    int ascii; /* 1 if every byte is ASCII: valid UTF-8 without a check */
} kwa_span_t;

/* What a successful answer's result needs, as cJSON would read it:
 * GetObjectItemCaseSensitive on the top-level object (code, message, id,
 * success) and on its "data" member (data.id, data.message_id). */
typedef struct kwa_scan {
    kwa_span_t code, message, id;
    kwa_span_t data_id, data_message_id;
    int success; /* "success": 1 true, 0 false, -1 absent or anything else */
} kwa_scan_t;

/* Fills out from body in one pass, without allocating. 0 if body is one
 * JSON object that cJSON_ParseWithLength() reads to the same members; -1
 * if it is not or the scanner cannot be sure (escapes in the members it
 * takes, control characters, very long numbers, deep nesting: see the
 * file's comment), and then the caller must use cJSON. */
int kwa_scan_answer(const char *body, size_t len, kwa_scan_t *out);
/* 0 if body is byte for byte the documented answer of a message,
 * {"code":C,"message":M,"data":{"message_id":I},"error":{}}, with no
 * escape or control byte in C, M and I, which out->code, ->message and
 * ->data_message_id then hold (what kwa_scan_answer reads from it); -1
 * for anything else. kwa_scan_answer tries this first. */
int kwa_scan_documented(const char *body, size_t len, kwa_scan_t *out);

#endif /* KWA_CORE_H */
