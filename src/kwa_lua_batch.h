/*
 * kwa_lua_batch.h - the Batch shared by kwa_lua_many.c (its core: slots,
 * feeding items, delivering entries, options) and kwa_lua_batch.c (the
 * Batch userdata, its methods and the client calls that make or drive
 * one). Internal to those two files; nothing here is exported.
 *
 * Ownership: a batch_t is the Batch userdata itself. Its C memory (slots,
 * its own machine, item_err, res) is made by kwa_lua_batch_new after the
 * handle exists and freed only by kwa_lua_batch_free, which __gc, __close
 * and b:close() all reach; its Lua values live in the registry table at
 * ref, which also anchors the client.
 */
#ifndef KWA_LUA_BATCH_H
#define KWA_LUA_BATCH_H

#include "kwa_lua.h"

typedef struct kwa_lua_batch kwa_lua_batch_t;

/* One item in the machine: which entry its result fills. */
typedef struct kwa_lua_slot {
    kwa_lua_batch_t *batch;
    lua_Integer index;
    struct kwa_lua_slot *next_free;
} kwa_lua_slot_t;

struct kwa_lua_batch {
    kwa_lua_client_t *ud;  /* the owner, anchored in the table at ref */
    kwa_dispatch_t *d;     /* its own machine; NULL: the client's engine */
    kwa_lua_jobs_t jobs;
    int ref;               /* registry: the batch's Lua values; LUA_NOREF once closed */
    int submit, deliver;   /* stack slots of the helpers during a call */
    int on_progress, on_result; /* given? */
    lua_Integer next, done, ok, failed;
    lua_Integer fetching; /* b->next when the item being fetched was asked for */
    lua_Integer total; /* -1 for an iterator until it ends */
    size_t in_flight, concurrency;
    int exhausted, stop;
    int in_callback; /* which callback runs: 1 on_result, 2 on_progress */
    int muted;       /* callbacks not to call again after one raised */
    int closing;     /* freeing: cancelled items call nothing */
    int one;         /* a one-shot call: keeps its result in res */
    kwa_answer_t answer;
    double rate;
    kwa_lua_slot_t *slots, *free_slots;
    int spent;             /* one: result("spend") freed its call; c:one() may renew it */
    /* last, so renewing a spent batch can clear the fields above alone
     * (spending freed these two, which leaves them cleared) */
    kwa_result_t item_err; /* an item that failed before sending */
    kwa_result_t res;      /* one: the result */
};

/* ---- kwa_lua_many.c: the batch core ---- */

/* Creates a Batch of the client at stack slot 1 (handle first: zeroed,
 * with its metatable, before any C allocation), pushing the userdata and
 * then its table, whose slot goes to *tbl. own: give it a machine of its
 * own (an external client). Raises on out of memory. */
kwa_lua_batch_t *kwa_lua_batch_new(lua_State *L, kwa_lua_client_t *ud, int own,
                                   size_t concurrency, int *tbl);
/* Reads send_many's arguments (list at 2, options at 3) into a new Batch,
 * pushed (just the userdata); raises on bad arguments or options. */
kwa_lua_batch_t *kwa_lua_batch_many(lua_State *L, kwa_lua_client_t *ud, int own);
/* Frees b's C memory and unrefs its table, calling no Lua. Idempotent. */
void kwa_lua_batch_free(lua_State *L, kwa_lua_batch_t *b);
/* Builds m and hands it to b's machine, its result going to slot.
 * 0, or -1 with err set. */
int kwa_lua_batch_submit(kwa_lua_batch_t *b, const kwa_message_t *m,
                         kwa_lua_slot_t *slot, kwa_result_t *err);
/* Pushes b's table and helpers and notes their slots: every call that
 * may deliver or submit does this first. Raises if the client is closed. */
void kwa_lua_batch_prepare(lua_State *L, kwa_lua_batch_t *b);
/* Feeds items while fewer than `concurrency` are in the machine; 1 once
 * every item has its result (or a callback raised and the rest ended).
 * Needs kwa_lua_batch_prepare and kwa_lua_enter first. */
int kwa_lua_batch_fill(lua_State *L, kwa_lua_batch_t *b);
/* Pushes what send_many returns: the results, or the summary. Returns 1. */
int kwa_lua_batch_push_many(lua_State *L, kwa_lua_batch_t *b);

#endif /* KWA_LUA_BATCH_H */
