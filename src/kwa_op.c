/*
 * kwa_op.c - the registry of operations (kwa_ops[], one line each), the
 * checks every field type gets before an op's builder runs, and reading
 * an op's fields from a cJSON object for the C API and the fuzzer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwa_op.h"

/* The registry: one line per operation, each defined in src/ops/NAME.c
 * as kwa_op_NAME. The order is the documentation's. */
#define KWA_REGISTRY(X) \
    X(text)             \
    X(cta_url)          \
    X(flow)             \
    X(raw)              \
    X(publish)          \
    X(mark_read)        \
    X(location)         \
    X(reaction)         \
    X(media)            \
    X(buttons)          \
    X(list)             \
    X(template)         \
    X(upload)           \
    X(create_flow)      \
    X(update_flow)      \
    X(upload_flow_json) \
    X(get_flow)         \
    X(list_flows)       \
    X(deprecate_flow)   \
    X(delete_flow)      \
    X(get_flows_public_key) \
    X(set_flows_public_key) \
    /* a new operation: one line above this one */

#define KWA_DECLARE(name) extern const kwa_opdef_t kwa_op_##name;
#define KWA_ENTRY(name) &kwa_op_##name,
KWA_REGISTRY(KWA_DECLARE)

const kwa_opdef_t *const kwa_ops[] = {KWA_REGISTRY(KWA_ENTRY) NULL};

const kwa_opdef_t *kwa_op_find(const char *name)
{
    const kwa_opdef_t *const *op;

    for (op = kwa_ops; *op != NULL; op++)
        if (strcmp((*op)->name, name) == 0)
            return *op;
    return NULL;
}

const char *const *kwa_op_names(void)
{
    static const char *names[sizeof kwa_ops / sizeof kwa_ops[0]];
    size_t i;

    if (names[0] == NULL) /* idempotent: every thread writes the same */
        for (i = 0; kwa_ops[i] != NULL; i++)
            names[i] = kwa_ops[i]->name;
    return names;
}

int kwa_op_field(const kwa_opdef_t *op, const char *name)
{
    int i;

    for (i = 0; op->fields[i].name != NULL; i++)
        if (op->fields[i].name[0] == name[0] && strcmp(op->fields[i].name, name) == 0)
            return i;
    return -1;
}

static int check_phones(kwa_result_t *err, const kwa_field_t *f, const kwa_value_t *v)
{
    char field[32];
    size_t i;

    if (!v->present || v->count == 0)
        return kwa_fail(err, KWA_VALIDATION, f->name,
                        "%s is required: one or more E.164 numbers", f->name);
    for (i = 0; i < v->count; i++) {
        if (kwa_is_phone(v->list[i]))
            continue; /* the field's name is made only for an error */
        if (v->count == 1)
            snprintf(field, sizeof field, "%s", f->name);
        else
            snprintf(field, sizeof field, "%s[%zu]", f->name, i + 1);
        return kwa_check_phone(err, field, v->list[i]);
    }
    return 0;
}

/* A list of strings: a JSON array of 1..max non-empty strings of valid
 * UTF-8 (max 0: no limit on the count). */
static int check_strings(kwa_result_t *err, const kwa_field_t *f, const kwa_value_t *v)
{
    const cJSON *item;
    int n = 0;

    if (!v->present)
        return f->required ? kwa_fail(err, KWA_VALIDATION, f->name, "%s is required", f->name)
                           : 0;
    if (!cJSON_IsArray(v->json))
        return kwa_fail(err, KWA_VALIDATION, f->name, "%s must be a list of strings", f->name);
    cJSON_ArrayForEach(item, v->json) {
        if (!cJSON_IsString(item) || item->valuestring[0] == '\0' ||
            kwa_utf8_count(item->valuestring, strlen(item->valuestring)) < 0)
            return kwa_fail(err, KWA_VALIDATION, f->name,
                            "%s must be a list of non-empty strings", f->name);
        n++;
    }
    if (n == 0 && f->required)
        return kwa_fail(err, KWA_VALIDATION, f->name, "%s must list at least one value", f->name);
    if (f->max > 0 && (size_t)n > f->max)
        return kwa_fail(err, KWA_VALIDATION, f->name, "%s lists more than %zu values", f->name,
                        f->max);
    return 0;
}

static int check_field(kwa_result_t *err, const kwa_config_t *cfg,
                       const kwa_field_t *f, const kwa_value_t *v)
{
    /* STRINGS get their items checked first; NUMBER and LIST get their
     * type checked first, then the required rule and their own check; the
     * others keep their check in place of the generic one (it knows the
     * field's text form). */
    if (f->type == KWA_FT_STRINGS && check_strings(err, f, v) != 0)
        return -1;
    if (f->check != NULL && f->type != KWA_FT_NUMBER && f->type != KWA_FT_LIST)
        return f->check(err, cfg, f, v);
    switch (f->type) {
    case KWA_FT_STRING:
        return kwa_check_text(err, f->name, v->present ? v->str : NULL,
                              f->required ? (f->min ? f->min : 1) : 0, f->max);
    case KWA_FT_PHONES:
        return check_phones(err, f, v);
    case KWA_FT_FROM:
        return kwa_check_from(err, cfg, v->present ? v->str : NULL);
    case KWA_FT_EXTRA:
        return kwa_check_extra_info(err, v->present ? &v->extra : NULL);
    case KWA_FT_NUMBER:
        if (v->present && !isfinite(v->number))
            return kwa_fail(err, KWA_VALIDATION, f->name, "%s must be a finite number", f->name);
        break;
    case KWA_FT_LIST:
        if (v->present && !cJSON_IsArray(v->json))
            return kwa_fail(err, KWA_VALIDATION, f->name, "%s must be a list", f->name);
        break;
    default:
        break;
    }
    if (f->required && !v->present)
        return kwa_fail(err, KWA_VALIDATION, f->name, "%s is required", f->name);
    if (f->check != NULL)
        return f->check(err, cfg, f, v);
    return 0;
}

int kwa_op_build(kwa_request_t *req, const kwa_config_t *cfg,
                 const kwa_opdef_t *op, const kwa_args_t *a, kwa_result_t *err)
{
    int i;

    for (i = 0; op->fields[i].name != NULL; i++)
        if (check_field(err, cfg, &op->fields[i], &a->v[i]) != 0)
            return -1;
    if (op->check != NULL && op->check(err, cfg, a) != 0)
        return -1;
    if (op->build(req, cfg, a, err) != 0)
        return -1;
    req->op = op->name;
    return 0;
}

/* ---- fields from a cJSON object ---- */

static int wrong_type(kwa_result_t *err, const char *field, const char *want)
{
    return kwa_fail(err, KWA_VALIDATION, field, "%s must be %s", field, want);
}

static int read_phones(kwa_args_t *a, kwa_value_t *v, const char *field,
                       const cJSON *item, kwa_result_t *err)
{
    const cJSON *one;
    const char **list;
    size_t n = 0;

    if (cJSON_IsString(item)) {
        v->list = (const char *const *)&v->str;
        v->str = item->valuestring;
        v->count = 1;
        return 0;
    }
    if (!cJSON_IsArray(item))
        return wrong_type(err, field, "a phone number or a list of them");
    if (a->owned != NULL) /* only one list per op; a second would leak */
        return wrong_type(err, field, "the op's only list of numbers");
    list = calloc((size_t)cJSON_GetArraySize(item) + 1, sizeof *list);
    if (list == NULL)
        return kwa_fail(err, KWA_NOMEM, NULL, "out of memory");
    a->owned = list;
    cJSON_ArrayForEach(one, item) {
        if (!cJSON_IsString(one))
            return wrong_type(err, field, "a list of strings");
        list[n++] = one->valuestring;
    }
    v->list = list;
    v->count = n;
    return 0;
}

static int read_extra(kwa_value_t *v, const cJSON *item, kwa_result_t *err)
{
    static const char *const keys[] = {"ref", "ref1", "ref2", "wa_source", NULL};
    const char **slots[4];
    const cJSON *m;
    int i;

    slots[0] = &v->extra.ref, slots[1] = &v->extra.ref1;
    slots[2] = &v->extra.ref2, slots[3] = &v->extra.wa_source;
    if (!cJSON_IsObject(item))
        return wrong_type(err, "extra_info", "an object");
    cJSON_ArrayForEach(m, item) {
        for (i = 0; keys[i] != NULL && strcmp(keys[i], m->string) != 0; i++)
            ;
        if (keys[i] == NULL)
            return kwa_fail(err, KWA_VALIDATION, "extra_info", "extra_info has an unknown field");
        if (!cJSON_IsString(m))
            return kwa_fail(err, KWA_VALIDATION, "extra_info", "extra_info.%s must be a string",
                            keys[i]);
        *slots[i] = m->valuestring;
    }
    return 0;
}

static int read_value(kwa_args_t *a, const kwa_field_t *f, kwa_value_t *v,
                      const cJSON *item, kwa_result_t *err)
{
    v->present = 1;
    switch (f->type) {
    case KWA_FT_STRING:
    case KWA_FT_FROM:
        if (!cJSON_IsString(item))
            return wrong_type(err, f->name, "a string");
        v->str = item->valuestring;
        return 0;
    case KWA_FT_BOOL:
        if (!cJSON_IsBool(item))
            return wrong_type(err, f->name, "a boolean");
        v->boolean = cJSON_IsTrue(item);
        return 0;
    case KWA_FT_PHONES:
        return read_phones(a, v, f->name, item, err);
    case KWA_FT_TABLE:
        if (!cJSON_IsObject(item))
            return wrong_type(err, f->name, "an object");
        v->json = item;
        return 0;
    case KWA_FT_TEXT_OR_TABLE:
        if (cJSON_IsString(item))
            v->str = item->valuestring;
        else if (cJSON_IsObject(item))
            v->json = item;
        else
            return wrong_type(err, f->name, "a string or an object");
        return 0;
    case KWA_FT_EXTRA:
        return read_extra(v, item, err);
    case KWA_FT_NUMBER:
        if (!cJSON_IsNumber(item))
            return wrong_type(err, f->name, "a number");
        v->number = item->valuedouble;
        return 0;
    case KWA_FT_LIST:
        if (!cJSON_IsArray(item))
            return wrong_type(err, f->name, "a list");
        v->json = item;
        return 0;
    case KWA_FT_BYTES:
        if (!cJSON_IsString(item))
            return wrong_type(err, f->name, "a string");
        v->str = item->valuestring;
        v->count = strlen(item->valuestring);
        return 0;
    case KWA_FT_STRINGS:
        if (!cJSON_IsArray(item))
            return wrong_type(err, f->name, "a list of strings");
        v->json = item;
        return 0;
    }
    return wrong_type(err, f->name, "known");
}

int kwa_args_from_json(kwa_args_t *a, const kwa_opdef_t *op,
                       const cJSON *fields, kwa_result_t *err)
{
    const cJSON *item;
    int i;

    memset(a, 0, sizeof *a);
    if (!cJSON_IsObject(fields))
        return kwa_fail(err, KWA_VALIDATION, "message", "the message must be an object");
    cJSON_ArrayForEach(item, fields) {
        if (cJSON_IsNull(item))
            continue; /* null means absent, as nil does in Lua */
        i = kwa_op_field(op, item->string);
        if (i < 0)
            return kwa_fail(err, KWA_VALIDATION, "message",
                            "%s has no such field (see its field list)", op->name);
        if (read_value(a, &op->fields[i], &a->v[i], item, err) != 0)
            return -1;
    }
    return 0;
}

void kwa_args_release(kwa_args_t *a)
{
    free(a->owned);
    a->owned = NULL;
}
