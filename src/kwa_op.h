/*
 * kwa_op.h - the registry of operations. Each operation lives in one file
 * of src/ops/ and is described by one kwa_opdef_t: its name, the Lua
 * method and CLI command made from it, its HTTP method and path, its
 * fields (name, type, limits, help), how its answer reads, and its
 * builder. kwa_ops[] in kwa_op.c lists them; the Lua methods, submit and
 * send_many op names, the CLI, the generated docs and the fuzz harness
 * all walk that list, so a new operation is one file plus one line.
 *
 * A message reaches a builder as a kwa_args_t: one kwa_value_t per field,
 * in the order of the op's field list, filled by the Lua binding straight
 * from a table or by kwa_args_from_json from a cJSON object. The generic
 * checks (required, lengths, phone numbers, extra_info, the field's own
 * check) run first, in field order, so the builder only builds.
 *
 * Ownership: values borrow their strings and trees from the caller for
 * the duration of the call; kwa_args_release frees what
 * kwa_args_from_json allocated.
 */
#ifndef KWA_OP_H
#define KWA_OP_H

#include "kwa_core.h"
#include "kwa_writer.h"

#define KWA_MAX_FIELDS 16

typedef enum kwa_ftype {
    KWA_FT_STRING,        /* text; limits in characters */
    KWA_FT_BOOL,
    KWA_FT_PHONES,        /* one E.164 number, or a list of them */
    KWA_FT_FROM,          /* the business number; the client's by default */
    KWA_FT_TABLE,         /* an object passed through as JSON */
    KWA_FT_TEXT_OR_TABLE, /* a string, or an object passed through */
    KWA_FT_EXTRA,         /* extra_info: ref, ref1, ref2, wa_source */
    KWA_FT_NUMBER,        /* a finite number; ranges are the field's check */
    KWA_FT_LIST,          /* a list (JSON array) of anything, passed through;
                           * items are the field's check */
    KWA_FT_BYTES,         /* bytes (NUL allowed): str, and count its length */
    KWA_FT_STRINGS        /* a list of non-empty strings (a JSON array), min..max
                           * of them checked generically; one string is a list
                           * of one (the CLI splits it on commas) */
} kwa_ftype_t;

typedef struct kwa_value {
    int present;
    const char *str;          /* STRING, FROM, TEXT_OR_TABLE as text */
    const cJSON *json;        /* TABLE, TEXT_OR_TABLE as an object, STRINGS (an array) */
    const char *const *list;  /* PHONES */
    size_t count;
    int boolean;              /* BOOL */
    double number;            /* NUMBER */
    kwa_extra_info_t extra;   /* EXTRA */
} kwa_value_t;

typedef struct kwa_args {
    kwa_value_t v[KWA_MAX_FIELDS];
    void *owned; /* kwa_args_from_json's allocations */
} kwa_args_t;

typedef struct kwa_field kwa_field_t;

/* A field's own rule, run in the generic pass; -1 with err set. */
typedef int (*kwa_check_fn)(kwa_result_t *err, const kwa_config_t *cfg,
                            const kwa_field_t *f, const kwa_value_t *v);

/* For the CLI: how a member of a TABLE field, or an item of a LIST
 * field, may be given as a flag. A path ending in "[]" appends, so its
 * flag may be repeated ("[]" is an item of the list itself,
 * "[1].rows[]" a row of its first item). */
typedef struct kwa_subfield {
    const char *path;    /* "flow_action_payload.screen" */
    const char *flag;    /* "screen" -> --screen */
    const char *help;
    const char *choices; /* "navigate|data_exchange", or NULL */
    int json;            /* the flag takes JSON */
    const char *excludes; /* the flag of a member it excludes, or NULL */
    int pairs;           /* the flag takes key=value,key=value: a table */
} kwa_subfield_t;

struct kwa_field {
    const char *name;
    kwa_ftype_t type;
    int required;
    size_t min, max;      /* STRING: characters (min >= 1 when required) */
    const char *help;     /* one line for docs and --help */
    kwa_check_fn check;   /* extra rule, or NULL */
    const kwa_subfield_t *sub; /* TABLE members the CLI offers as flags */
};

typedef struct kwa_opdef {
    const char *name;        /* "text": submit/send_many op, request.op */
    const char *method;      /* Lua method: "send_text" */
    const char *command;     /* CLI subcommand: "text" */
    const char *summary;     /* one line */
    const char *http_method; /* "POST" */
    const char *path;        /* after /v2/{sid}/whatsapp/, for the docs */
    kwa_answer_t answer;
    const char *positional;  /* the field a plain string argument fills */
    const kwa_field_t *fields; /* ends with a NULL name */
    /* Builds a valid message (the generic checks have passed). */
    int (*build)(kwa_request_t *req, const kwa_config_t *cfg,
                 const kwa_args_t *a, kwa_result_t *err);
    /* Optional members (op files use designated initializers, so an
     * entry names only those it sets): */
    /* Rules across fields (one of two, one excluding another), run after
     * the fields' own checks; NULL when there are none. -1 with err set. */
    int (*check)(kwa_result_t *err, const kwa_config_t *cfg, const kwa_args_t *a);
    const char *second; /* the field a Lua method's second argument fills
                           after the positional one; "*": a table of the
                           other fields (client:update_flow(id, {...})) */
    const char *group;  /* CLI: "flows" puts the command in that group
                           (kaleyra-wa flows create); "flows:publish" keeps
                           it at the top level and also names it `publish`
                           in the group; NULL: top level only */
    int multipart;      /* its request is multipart/form-data (libcurl only;
                           Lua transports refuse it with kind config) */
    /* Reads the typed C API's struct of this op (kwa.h) into a, whose
     * values for the op's fields are zero; NULL for ops without one. */
    void (*typed)(kwa_args_t *a, const kwa_message_t *m);
} kwa_opdef_t;

/* The registry, NULL-terminated, in documentation order. */
extern const kwa_opdef_t *const kwa_ops[];

/* The operation called name, or NULL. */
const kwa_opdef_t *kwa_op_find(const char *name);
/* The index of field name in op, or -1. */
int kwa_op_field(const kwa_opdef_t *op, const char *name);
/* Runs the generic checks, then the builder; sets req->op. */
int kwa_op_build(kwa_request_t *req, const kwa_config_t *cfg,
                 const kwa_opdef_t *op, const kwa_args_t *a, kwa_result_t *err);
/* Fills a from a cJSON object of fields (borrowed; a must be released
 * with kwa_args_release even on failure). -1 with err set on unknown
 * fields or wrong types. */
int kwa_args_from_json(kwa_args_t *a, const kwa_opdef_t *op,
                       const cJSON *fields, kwa_result_t *err);
void kwa_args_release(kwa_args_t *a);

/* ---- shared by the op files (kwa_request.c) ---- */

/* Fields every message send has; the op lists them with its own. */
#define KWA_FIELD_TO \
    {"to", KWA_FT_PHONES, 1, 0, 0, "recipient(s): an E.164 number or a list of them", NULL, NULL}
#define KWA_FIELD_FROM \
    {"from", KWA_FT_FROM, 0, 0, 0, "business number (E.164); default: the client's", NULL, NULL}
#define KWA_FIELD_EXTRA \
    {"extra_info", KWA_FT_EXTRA, 0, 0, 0, "{ ref, ref1, ref2, wa_source }: echoed in reports and callbacks", NULL, NULL}
/* Meta's context.message_id: the message this one replies to (quotes). */
#define KWA_FIELD_REPLY_TO \
    {"reply_to", KWA_FT_STRING, 0, 1, 256, "id of the message this one replies to (quotes it)", NULL, NULL}
#define KWA_FIELD_END {NULL, KWA_FT_STRING, 0, 0, 0, NULL, NULL, NULL}

/* The header/body/footer frame of an interactive message. */
#define KWA_FIELD_HEADER                                                    \
    {"header", KWA_FT_TEXT_OR_TABLE, 0, 0, 60,                              \
     "text header (at most 60 characters), or a header object",             \
     kwa_check_header_field, NULL}
#define KWA_FIELD_BODY \
    {"body", KWA_FT_STRING, 1, 1, 1024, "body text, 1 to 1024 characters", NULL, NULL}
#define KWA_FIELD_FOOTER \
    {"footer", KWA_FT_STRING, 0, 0, 60, "footer text, at most 60 characters", NULL, NULL}

/* Bodies are written with a kwa_writer_t (kwa_writer.h) in the order
 * they print; the helpers below write the shared parts. A writer keeps
 * its first failure and the finishing call reports it, so builders write
 * straight through and never check as they go. */

/* Starts w with room for a's present fields (a cheap estimate). */
void kwa_build_begin(kwa_writer_t *w, const kwa_field_t *fields, const kwa_args_t *a);
/* {"messaging_object":{"messaging_product":"whatsapp","recipient_type":
 * "individual","to":"a,b","context":{"message_id":reply_to},"type":type
 * with messaging_object left open for the op's members. reply_to may be
 * NULL or absent. */
void kwa_build_message(kwa_writer_t *w, const kwa_value_t *to, const kwa_value_t *reply_to,
                       const char *type);
/* {"messaging_object":{ left open. */
void kwa_build_envelope(kwa_writer_t *w);
/* "name": v's tree passed through (printed by cJSON), when v is present. */
void kwa_build_copy(kwa_writer_t *w, const char *name, const kwa_value_t *v);
/* "interactive":{"type":type, header, body, footer, "action":{"name":type
 * (the name only when named) with action left open. */
void kwa_build_interactive(kwa_writer_t *w, const char *type, const kwa_value_t *header,
                           const char *body, const char *footer, int named);
/* Closes what the message left open, adds "extra_info" to the root and
 * makes req a POST of the body to {base}/v2/{sid}/whatsapp/{from}/messages
 * (the client's URL, borrowed, when from is NULL or the client's). -1
 * with err set (out of memory, longer than 1 MiB) and req empty. */
int kwa_build_finish(kwa_request_t *req, const kwa_config_t *cfg, const char *from,
                     kwa_writer_t *w, const kwa_value_t *extra, kwa_result_t *err);
/* A multipart POST to {base}/v2/{sid}/whatsapp/{from}/media with no
 * parts yet (the op adds them to req->parts); answer KWA_ANSWER_MEDIA. */
int kwa_build_upload(kwa_request_t *req, const kwa_config_t *cfg, const char *from,
                     kwa_result_t *err);
/* An empty-bodied POST to {base}/v2/{sid}/whatsapp/{segment}/{tail}. */
int kwa_build_post(kwa_request_t *req, const kwa_config_t *cfg, const char *segment,
                   const char *tail, kwa_answer_t answer, kwa_result_t *err);
/* A request of any method to {base}/v2/{sid}/whatsapp/{segment}[/{tail}]
 * (tail may be NULL) with an optional query "?{qname}={the strings of
 * list, comma-separated, URL-encoded}" (list: a cJSON array or NULL), and
 * w's text as its body (taken from w; NULL: an empty body). -1 with err
 * set and req empty on failure. */
int kwa_build_call(kwa_request_t *req, const kwa_config_t *cfg, const char *method,
                   const char *segment, const char *tail, const char *qname,
                   const cJSON *list, kwa_writer_t *w, kwa_answer_t answer,
                   kwa_result_t *err);
/* Takes w's text as req's body: 0, or -1 with err set for the writer's
 * failure (field names the field a body too long is blamed on, with
 * too_long its message). req is left as it was on failure. */
int kwa_build_body(kwa_request_t *req, kwa_writer_t *w, const char *field,
                   const char *too_long, kwa_result_t *err);
/* For the ops' typed readers: a string (NULL: absent), a tree (NULL:
 * absent), extra_info (NULL: absent), the envelope's to, from and
 * extra_info, and the interactive frame, into the fields at those
 * indexes. */
void kwa_args_string(kwa_value_t *v, const char *s);
void kwa_args_json(kwa_value_t *v, const cJSON *json);
void kwa_args_extra(kwa_value_t *v, const kwa_extra_info_t *x);
void kwa_args_envelope(kwa_args_t *a, int to, int from, int extra, const kwa_envelope_t *env);
void kwa_args_frame(kwa_args_t *a, int header, int body, int footer, const kwa_frame_t *f);
/* s URL-encoded (RFC 3986 unreserved bytes kept) into a new string, or
 * NULL on out of memory. */
char *kwa_url_encode(const char *s, size_t len);

/* Field checks the op files share (kwa_validate.c). */
int kwa_check_header_field(kwa_result_t *err, const kwa_config_t *cfg,
                           const kwa_field_t *f, const kwa_value_t *v);
int kwa_check_url_field(kwa_result_t *err, const kwa_config_t *cfg,
                        const kwa_field_t *f, const kwa_value_t *v);
/* obj is a table whose keys are all in keys ("id|title|description");
 * field names it in errors. */
int kwa_check_keys(kwa_result_t *err, const cJSON *obj, const char *field, const char *keys);
/* A string member that must be there: min..max characters. */
int kwa_check_required(kwa_result_t *err, const cJSON *obj, const char *name,
                       const char *field, size_t min, size_t max);
/* An https URL (media links): absolute, a host, no spaces. */
int kwa_check_https(kwa_result_t *err, const char *field, const char *s);
/* A field's name with a suffix, for errors about its members:
 * "buttons[2].title". */
const char *kwa_field_path(char *buf, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
/* cJSON_Add* return NULL on allocation failure; KWA_OK folds that into
 * one flag per tree builder (kwa_flow_endpoint.c) so the happy path reads
 * straight. */
#define KWA_OK(ok, expr) ((ok) = (ok) && (expr) != NULL)

#endif
    ;
/* Digits only (Flow and WABA ids); absent is fine when not required. */
int kwa_check_id_field(kwa_result_t *err, const kwa_config_t *cfg,
                       const kwa_field_t *f, const kwa_value_t *v);
int kwa_check_optional_url_field(kwa_result_t *err, const kwa_config_t *cfg,
                                 const kwa_field_t *f, const kwa_value_t *v);
/* Each value one of Meta's Flow categories (flows-api.md section 1). */
int kwa_check_categories_field(kwa_result_t *err, const kwa_config_t *cfg,
                               const kwa_field_t *f, const kwa_value_t *v);

/* cJSON_Add* return NULL on allocation failure; KWA_OK folds that into
 * one flag per tree builder (kwa_flow_endpoint.c) so the happy path reads
 * straight. */
#define KWA_OK(ok, expr) ((ok) = (ok) && (expr) != NULL)

#endif /* KWA_OP_H */
