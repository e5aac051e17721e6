/*
 * kwa_lua.h - internals shared by the Lua binding's files: the client
 * userdata, Lua<->JSON conversion and message-table reading. Nothing here
 * is exported from the module except luaopen_kaleyra_whatsapp_core.
 *
 * Ownership: every C allocation a call makes while it can still raise is
 * anchored in the client userdata (res, scratch), which frees it at the
 * next call, at close and at __gc. So a Lua error (out of memory, a bad
 * argument) never leaks, and no Lua error ever crosses libcurl frames:
 * libcurl runs only after all Lua values have been read.
 */
#ifndef KWA_LUA_H
#define KWA_LUA_H

#include "kwa_op.h"
#include "kwa_dispatch.h"
#include "kwa_lua_compat.h"

#define KWA_LUA_CLIENT "kaleyra.whatsapp.Client"
#define KWA_LUA_ERROR "kaleyra.whatsapp.Error"
#define KWA_LUA_ARRAY "kaleyra.whatsapp.array_mt"
#define KWA_LUA_REQUEST "kaleyra.whatsapp.Request"
#define KWA_LUA_BATCH "kaleyra.whatsapp.Batch"
#define KWA_LUA_RESULT "kaleyra.whatsapp.Result" /* a success: body decoded when read */
#define KWA_LUA_TREE "kaleyra.whatsapp.JsonBox"
#define KWA_LUA_MAX_DEPTH KWA_MAX_DEPTH
#define KWA_LUA_MAX_STRING (1024 * 1024)

/* The jobs a Lua pump has taken from one machine and not yet reported:
 * they live in one registry table per Lua state (kwa_lua_pump.c), job ->
 * this struct, which counts them. A machine that runs one job at a time
 * (a blocking call's, `single`) keeps its job here instead, no table. */
typedef struct kwa_lua_jobs {
    lua_Integer running;
    int single;
    void *job; /* single: the running job, or NULL */
} kwa_lua_jobs_t;

/* C memory one call borrows while it converts a message. */
typedef struct kwa_lua_scratch {
    const char **to;
    size_t to_cap;
    cJSON *trees[KWA_MAX_FIELDS]; /* passthrough tables, by field */
    kwa_request_t built;          /* client:build's request while pushed */
    kwa_args_t args;              /* the message being read */
    const void *names;            /* this state's field names, once looked up */
} kwa_lua_scratch_t;

typedef struct kwa_lua_client {
    kwa_client_t *client; /* NULL once closed */
    kwa_result_t res;     /* the last call's outcome */
    kwa_lua_scratch_t scratch;
    /* While the engine runs (poll, a blocking call, send_many), callbacks
     * deliver into L inside lua_pcall; the first error they raise is left
     * on L's stack at stash (0: none) and rethrown when the engine has
     * returned. in_run > 0 forbids close. */
    lua_State *L;
    int stash;
    int in_run;
    int callbacks;       /* registry ref: id -> Lua callback of submit() */
    lua_Integer next_id;
    size_t concurrency;  /* the client's own, restored after send_many */
    int external;        /* no libcurl: a Lua transport pumps its jobs */
    kwa_lua_jobs_t jobs; /* external: the jobs Lua runs for the shared machine */
    char sid[65];
} kwa_lua_client_t;

/* What a callback-driving call saved of the client (see kwa_lua_enter). */
typedef struct kwa_lua_saved {
    lua_State *L;
    int stash;
} kwa_lua_saved_t;

/* ---- kwa_lua.c and kwa_lua_result.c ---- */

/* Checks arg 1 is an open client; raises otherwise. */
kwa_lua_client_t *kwa_lua_check_client(lua_State *L);
/* Pushes the Lua shape of r: a result table (1), or nil, err (2). Raises
 * a memory error for KWA_NOMEM. A success of a message, success or media
 * operation gets a metatable (kwa_lua_result.c): its body is decoded from
 * r->raw when res.body is first read, or, for a message's documented
 * answer, rebuilt from the result's own fields. */
int kwa_lua_push_result(lua_State *L, const kwa_result_t *r, kwa_answer_t op);
/* Pushes just the error table of a failed r. */
void kwa_lua_push_error(lua_State *L, const kwa_result_t *r);
/* Creates the successes' metatables (at module load). */
void kwa_lua_result_meta(lua_State *L);

/* ---- kwa_lua_codec.c ---- */

/* Registers client:build and returns nothing; core.parse is added to the
 * module table on top by kwa_lua_codec_module. */
void kwa_lua_codec_methods(lua_State *L);
void kwa_lua_codec_module(lua_State *L);
/* Pushes a new userdata owning a cJSON tree (*box, NULL at first), freed
 * at its __gc, so a raise between parsing and freeing never leaks it. */
cJSON **kwa_lua_tree_box(lua_State *L);

/* ---- kwa_lua_send.c ---- */

/* Registers the sending methods (send_*, publish_flow, submit, poll,
 * pending, fd, timeout) into the table on top. */
void kwa_lua_send_methods(lua_State *L);
/* Starts a call that may run Lua callbacks: they run on L inside
 * lua_pcall, and the first error one raises is stashed. Raises if a
 * callback of this client is running (callbacks may not drive it). */
void kwa_lua_enter(lua_State *L, kwa_lua_client_t *ud, kwa_lua_saved_t *saved);
/* Keeps the error on top of ud->L (a failed pcall's) to rethrow at
 * leave, unless an earlier one is kept already (then pops it). */
void kwa_lua_stash_error(kwa_lua_client_t *ud);
/* Ends it; rethrows the stashed error (does not return then). */
void kwa_lua_leave(lua_State *L, kwa_lua_client_t *ud, const kwa_lua_saved_t *saved);
/* Runs f(a, b) protected on ud->L, f being the value at stack slot fn
 * (0: the C function cf); stashes an error. 0 if it ran without one. */
int kwa_lua_protected(kwa_lua_client_t *ud, int fn, lua_CFunction cf, void *a, void *b);
/* Monotonic seconds (CLOCK_MONOTONIC): the `now` every machine gets. */
double kwa_lua_now(void);

/* ---- kwa_lua_pump.c: what a Lua transport needs of a machine ---- */

/* Registers next_job, report and deliver on clients, and core.new's
 * external clients' support, into the methods table on top. */
void kwa_lua_pump_methods(lua_State *L);
/* The three pump operations over machine d, with jobs in j; each uses
 * the values from stack slot `arg` on and pushes its Lua results. */
int kwa_lua_jobs_init(lua_State *L, kwa_lua_jobs_t *j);
void kwa_lua_jobs_free(lua_State *L, kwa_lua_jobs_t *j);
int kwa_lua_next_job(lua_State *L, kwa_dispatch_t *d, kwa_lua_jobs_t *j,
                     const kwa_config_t *cfg, int lean);
int kwa_lua_report(lua_State *L, kwa_dispatch_t *d, kwa_lua_jobs_t *j, int arg);

/* ---- kwa_lua_batch.c: send_many and one-shot calls as batches ---- */

/* Registers send_many, many and one into the methods table on top, and
 * the Batch metatable. The batch core is kwa_lua_many.c; the two share
 * kwa_lua_batch.h. */
void kwa_lua_batch_methods(lua_State *L);

/* ---- kwa_lua_callback.c ---- */

/* Adds parse_callback, check_basic, check_bearer, check_header and
 * verify_signature to the module table on top. */
void kwa_lua_callback_module(lua_State *L);

/* ---- kwa_lua_json.c ---- */

/* Converts the value at idx into a cJSON tree stored in *anchor before it
 * is filled, so a raise leaves it reachable for freeing. Returns 0, or -1
 * with err set (kind KWA_VALIDATION, field = path) for values JSON cannot
 * carry: cycles, depth past KWA_LUA_MAX_DEPTH, NaN/inf, mixed or sparse
 * tables, non-string keys, invalid UTF-8, NUL bytes, huge strings. */
int kwa_lua_to_json(lua_State *L, int idx, const char *field, cJSON **anchor,
                    kwa_result_t *err);

/* Pushes item as Lua values: objects and arrays become tables (arrays get
 * the array metatable), null becomes the null sentinel. */
void kwa_lua_push_json(lua_State *L, const cJSON *item);

/* ---- kwa_lua_message.c ---- */

/* Reads the message at idx for operation op into m (KWA_MSG_ARGS over
 * s->args). A non-table fills op->positional when the op has one (and,
 * with KWA_LUA_READ_SECOND, idx + 1 fills op->second); nothing at all is
 * an empty message when the op has no required field. Raises
 * on a wrong argument type and on an unknown key (programmer errors; "op"
 * is allowed when allow_op is set); returns -1 with err set for bad
 * field values. */
#define KWA_LUA_READ_OP 1     /* the table may hold "op" */
#define KWA_LUA_READ_SECOND 2 /* a method call: idx + 1 is op->second's value */
int kwa_lua_read_message(lua_State *L, int idx, const kwa_opdef_t *op,
                         int flags, kwa_lua_scratch_t *s, kwa_message_t *m,
                         kwa_result_t *err);
/* Interns every operation's field names in L (at module load), so that
 * kwa_lua_read_message can match a table's keys to fields by address. */
void kwa_lua_names_init(lua_State *L);
/* The registry's operation named by the string at idx; raises naming the
 * known ones otherwise. */
const kwa_opdef_t *kwa_lua_check_op(lua_State *L, int idx);
/* Adds core.interrupted and core.catch_interrupts to the table on top
 * (kwa_lua_interrupt.c). */
void kwa_lua_interrupt_module(lua_State *L);
/* Adds the Flows endpoint functions and metatables to the module table
 * on top (kwa_lua_flow.c). */
void kwa_lua_flow_module(lua_State *L);
/* Pushes core.ops: the registry as Lua tables, for the docs and the CLI. */
void kwa_lua_push_ops(lua_State *L);
/* Pushes field `key` of the table at idx and leaves it on the stack (so
 * the string stays alive for the call); *out is NULL when nil. -1 with
 * err set (kind, field) if it is not a string or holds a NUL byte. */
int kwa_lua_string_field(lua_State *L, int idx, const char *key,
                         const char *field, const char **out,
                         kwa_result_t *err, kwa_kind_t kind);
/* Raises if the table at idx has a key outside allowed (NULL-terminated)
 * other than `also` (may be NULL). */
void kwa_lua_check_keys(lua_State *L, int idx, const char *what,
                        const char *const *allowed, const char *also);
/* Frees the passthrough trees (after each call) or everything (close). */
void kwa_lua_scratch_release(kwa_lua_scratch_t *s);
void kwa_lua_scratch_free(kwa_lua_scratch_t *s);

#endif /* KWA_LUA_H */
