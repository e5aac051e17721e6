/*
 * kwa_lua_compat.h - the one place that papers over Lua 5.1/LuaJIT versus
 * Lua 5.4 differences, so every binding source builds for both. Only the
 * few calls the binding uses are covered; names keep the kwa_ prefix.
 */
#ifndef KWA_LUA_COMPAT_H
#define KWA_LUA_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM >= 504
#define kwa_newuserdata(L, size) lua_newuserdatauv((L), (size), 0)
#else
#define kwa_newuserdata(L, size) lua_newuserdata((L), (size))
#endif

#if LUA_VERSION_NUM >= 502
#define kwa_setfuncs(L, funcs) luaL_setfuncs((L), (funcs), 0)
#define kwa_rawlen(L, idx) lua_rawlen((L), (idx))
#else
/* Sets each function of the NULL-terminated list into the table on top. */
static inline void kwa_setfuncs(lua_State *L, const luaL_Reg *f)
{
    for (; f->name != NULL; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, -2, f->name);
    }
}
#define kwa_rawlen(L, idx) lua_objlen((L), (idx))
#endif

#if LUA_VERSION_NUM >= 502
#define kwa_absindex(L, idx) lua_absindex((L), (idx))
#else
#define kwa_absindex(L, idx) \
    ((idx) > 0 || (idx) <= LUA_REGISTRYINDEX ? (idx) : lua_gettop(L) + (idx) + 1)
#endif

#if LUA_VERSION_NUM >= 502
#define kwa_rawgetp(L, idx, p) ((void)lua_rawgetp((L), (idx), (p)))
#define kwa_rawsetp(L, idx, p) lua_rawsetp((L), (idx), (p))
#else
/* t[p] with p a light userdata, without metamethods. */
static inline void kwa_rawgetp(lua_State *L, int idx, const void *p)
{
    idx = kwa_absindex(L, idx);
    lua_pushlightuserdata(L, (void *)p);
    lua_rawget(L, idx);
}
/* t[p] = the value on top (popped). */
static inline void kwa_rawsetp(lua_State *L, int idx, const void *p)
{
    idx = kwa_absindex(L, idx);
    lua_pushlightuserdata(L, (void *)p);
    lua_insert(L, -2);
    lua_rawset(L, idx);
}
#endif

#if LUA_VERSION_NUM >= 503
#define kwa_isinteger(L, idx) lua_isinteger((L), (idx))
#else
#define kwa_isinteger(L, idx) 0 /* 5.1 numbers are doubles: checked by value */
#endif

#endif /* KWA_LUA_COMPAT_H */
