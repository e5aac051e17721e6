/*
 * kwa_lua_ops.c - core.ops: the registry of operations (kwa_op.h) as Lua
 * tables, so the Lua side (transports, the CLI, the generated docs)
 * derives its method lists, subcommands, flags and field tables from the
 * one list in C instead of repeating it.
 *
 *   core.ops = { { name, method, command, summary, http_method, path,
 *                  answer = "message"|"success"|"media"|"json", positional,
 *                  second (the field a method's second argument fills;
 *                  "*": a table of the other fields), group (the CLI
 *                  command group, e.g. "flows"), multipart,
 *                  fields = { { name, type, required, min, max, help,
 *                               sub = { { path, flag, help, choices, json,
 *                                         excludes, pairs } } } } } }
 */
#include <string.h>

#include "kwa_lua.h"

static const char *const type_names[] = {
    [KWA_FT_STRING] = "string", [KWA_FT_BOOL] = "boolean", [KWA_FT_PHONES] = "phones",
    [KWA_FT_FROM] = "from", [KWA_FT_TABLE] = "table",
    [KWA_FT_TEXT_OR_TABLE] = "text_or_table", [KWA_FT_EXTRA] = "extra_info",
    [KWA_FT_NUMBER] = "number", [KWA_FT_LIST] = "list", [KWA_FT_BYTES] = "bytes",
    [KWA_FT_STRINGS] = "strings",
};

static void set_str(lua_State *L, const char *key, const char *value)
{
    if (value != NULL) {
        lua_pushstring(L, value);
        lua_setfield(L, -2, key);
    }
}

static void set_int(lua_State *L, const char *key, size_t value)
{
    if (value > 0) {
        lua_pushinteger(L, (lua_Integer)value);
        lua_setfield(L, -2, key);
    }
}

/* Pushes { "a", "b" } for "a|b". */
static void push_choices(lua_State *L, const char *s)
{
    const char *bar;
    int n = 0;

    lua_newtable(L);
    for (;;) {
        bar = strchr(s, '|');
        lua_pushlstring(L, s, bar ? (size_t)(bar - s) : strlen(s));
        lua_rawseti(L, -2, ++n);
        if (bar == NULL)
            return;
        s = bar + 1;
    }
}

static void push_sub(lua_State *L, const kwa_subfield_t *sub)
{
    int n = 0;

    lua_newtable(L);
    for (; sub->path != NULL; sub++) {
        lua_createtable(L, 0, 5);
        set_str(L, "path", sub->path);
        set_str(L, "flag", sub->flag);
        set_str(L, "help", sub->help);
        if (sub->choices != NULL) {
            push_choices(L, sub->choices);
            lua_setfield(L, -2, "choices");
        }
        lua_pushboolean(L, sub->json);
        lua_setfield(L, -2, "json");
        set_str(L, "excludes", sub->excludes);
        lua_pushboolean(L, sub->pairs);
        lua_setfield(L, -2, "pairs");
        lua_rawseti(L, -2, ++n);
    }
}

static void push_field(lua_State *L, const kwa_field_t *f)
{
    lua_createtable(L, 0, 7);
    set_str(L, "name", f->name);
    set_str(L, "type", type_names[f->type]);
    lua_pushboolean(L, f->required);
    lua_setfield(L, -2, "required");
    set_int(L, "min", f->min);
    set_int(L, "max", f->max);
    set_str(L, "help", f->help);
    if (f->sub != NULL) {
        push_sub(L, f->sub);
        lua_setfield(L, -2, "sub");
    }
}

void kwa_lua_push_ops(lua_State *L)
{
    const kwa_opdef_t *const *op;
    int n = 0, i;

    lua_newtable(L);
    for (op = kwa_ops; *op != NULL; op++) {
        lua_createtable(L, 0, 10);
        set_str(L, "name", (*op)->name);
        set_str(L, "method", (*op)->method);
        set_str(L, "command", (*op)->command);
        set_str(L, "summary", (*op)->summary);
        set_str(L, "http_method", (*op)->http_method);
        set_str(L, "path", (*op)->path);
        set_str(L, "answer", (*op)->answer == KWA_ANSWER_SUCCESS ? "success"
                             : (*op)->answer == KWA_ANSWER_MEDIA ? "media"
                             : (*op)->answer == KWA_ANSWER_JSON  ? "json"
                                                                 : "message");
        set_str(L, "positional", (*op)->positional);
        set_str(L, "second", (*op)->second);
        set_str(L, "group", (*op)->group);
        lua_pushboolean(L, (*op)->multipart);
        lua_setfield(L, -2, "multipart");
        lua_newtable(L);
        for (i = 0; (*op)->fields[i].name != NULL; i++) {
            push_field(L, &(*op)->fields[i]);
            lua_rawseti(L, -2, i + 1);
        }
        lua_setfield(L, -2, "fields");
        lua_rawseti(L, -2, ++n);
    }
}
