/*
 * kwa_callback_int.h - internal to the callback parser (kwa_callback*.c),
 * not installed, not part of kwa.h: the context one parse carries and the
 * helpers the parser's files share.
 *
 *   kwa_callback.c          the bytes, the shapes (wrapper, envelope,
 *                           change, flat) and the public kwa_callback_parse
 *   kwa_callback_event.c    the context's helpers: events, members, copies,
 *                           warnings
 *   kwa_callback_message.c  the "message" events
 *   kwa_callback_status.c   the "status" and "template_status" events
 *
 * Conventions of every helper: memory failures never stop the parse, they
 * set c->nomem (kwa_callback_parse then fails with KWA_NOMEM and frees the
 * whole); a value of the wrong type is a warning on the current event, not
 * an error; `path` names where an object sits in the body, for warnings,
 * which never quote a value from the body.
 */
#ifndef KWA_CALLBACK_INT_H
#define KWA_CALLBACK_INT_H

#include <stddef.h>

#include "kwa_core.h"

#if defined(__GNUC__)
#define KWA_CB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define KWA_CB_PRINTF(f, a)
#endif

typedef struct kwa_cb_ctx {
    cJSON *events;           /* the list being built (owned by the result) */
    const cJSON *extra;      /* Kaleyra's extra_info, or NULL */
    const cJSON *top_status; /* the wrapper's status, or NULL */
    const cJSON *top_id;     /* the wrapper's message_id, or NULL */
    const char *waba_id;     /* entry[].id or extra_info.waba_id, or NULL */
    cJSON *ev;               /* the event being built: warnings go there */
    int repaired;
    int nomem;
} kwa_cb_ctx_t;

/* What a change's value says of the business number (metadata). */
typedef struct kwa_cb_where {
    const cJSON *metadata;
    const cJSON *contacts;
} kwa_cb_where_t;

/* ---- kwa_callback_event.c ---- */

/* Formats a path for messages into dst; cut when too long (they are for people). */
void kwa_cb_sub_path(char *dst, size_t cap, const char *fmt, ...) KWA_CB_PRINTF(3, 4);
/* Returns item; NULL sets c->nomem. */
cJSON *kwa_cb_mem(kwa_cb_ctx_t *c, cJSON *item);
/* obj[key] = item, which obj then owns; NULL or a failure frees item, sets nomem. */
void kwa_cb_put(kwa_cb_ctx_t *c, cJSON *obj, const char *key, cJSON *item);
/* obj[key] = a copy of s. */
void kwa_cb_put_string(kwa_cb_ctx_t *c, cJSON *obj, const char *key, const char *s);
/* obj[key] = a reference to item (not owned, not copied); NULL item: nothing. */
void kwa_cb_put_ref(kwa_cb_ctx_t *c, cJSON *obj, const char *key, const cJSON *item);
/* Appends a warning to c->ev, or to ev when no event is being built. */
void kwa_cb_warn(kwa_cb_ctx_t *c, cJSON *ev, const char *fmt, ...) KWA_CB_PRINTF(3, 4);
/* "a string", "an array"...: v's JSON type, for warnings (static text). */
const char *kwa_cb_type_name(const cJSON *v);
/* obj[name], or NULL when absent or obj is not an object. */
const cJSON *kwa_cb_member(const cJSON *obj, const char *name);
/* obj[name] as a string (borrowed from obj), NULL when absent or null;
 * any other type warns "<path>.<name> is ..., not a string". */
const char *kwa_cb_get_string(kwa_cb_ctx_t *c, cJSON *ev, const cJSON *obj,
                              const char *name, const char *path);
/* ev[key] = obj[name] when it is a string (kwa_cb_get_string). */
void kwa_cb_copy_string(kwa_cb_ctx_t *c, cJSON *ev, const char *key, const cJSON *obj,
                        const char *name, const char *path);
/* ev[key] = obj[name] as a number: a JSON number, or a string holding a
 * decimal one (Meta's timestamps); anything else warns. */
void kwa_cb_copy_number(kwa_cb_ctx_t *c, cJSON *ev, const char *key, const cJSON *obj,
                        const char *name, const char *path);
/* ev[key] = obj[name] as a string of digits, sent as a string or a number. */
void kwa_cb_copy_id(kwa_cb_ctx_t *c, cJSON *ev, const char *key, const cJSON *obj,
                    const char *name, const char *path);
/* ev.status = s lower-cased, "not sent"/"not_sent" made "not-sent". */
void kwa_cb_put_status(kwa_cb_ctx_t *c, cJSON *ev, const char *s);
/* ev.ref, ref1, ref2 from c->extra (Kaleyra's extra_info). */
void kwa_cb_put_refs(kwa_cb_ctx_t *c, cJSON *ev);
/* A new event {event = kind, raw, extra_info, business number, waba_id},
 * appended to c->events at once (so owned) and made c->ev; NULL on nomem.
 * where may be NULL. */
cJSON *kwa_cb_new_event(kwa_cb_ctx_t *c, const char *kind, const cJSON *raw,
                        const kwa_cb_where_t *where);

/* ---- kwa_callback_message.c ---- */

/* One event from a Meta message object (messages[] or one alone); "unknown"
 * with a warning when msg is not an object. */
void kwa_cb_parse_message(kwa_cb_ctx_t *c, const cJSON *msg, const kwa_cb_where_t *where,
                          const char *path);
/* One "message" event from Kaleyra's flat incoming-message profile. */
void kwa_cb_parse_flat_message(kwa_cb_ctx_t *c, const cJSON *root);

/* ---- kwa_callback_status.c ---- */

/* One event from a Meta status object (statuses[]); `only` when it is the
 * only one of its list, so the wrapper's message_id and status are its. */
void kwa_cb_parse_status(kwa_cb_ctx_t *c, const cJSON *st, const kwa_cb_where_t *where,
                         const char *path, int only);
/* One "status" event from Kaleyra's flat NOT-SENT or status profile. */
void kwa_cb_parse_flat_status(kwa_cb_ctx_t *c, const cJSON *root);
/* One "template_status" event from a template status update (v). */
void kwa_cb_parse_template(kwa_cb_ctx_t *c, const cJSON *v, const char *path);

/* ---- kwa_callback.c ---- */

/* 1 if no array or object in s nests deeper than KWA_MAX_DEPTH. */
int kwa_cb_json_depth_ok(const char *s, size_t len);

#endif
