-- bench/wrk_post.lua - wrk script (LuaJIT inside wrk): post the library's
-- body (the file named by BENCH_BODY) with the headers the library sends,
-- so the ceiling rows move exactly the bytes the other rows do.
wrk.method = "POST"
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.headers["api-key"] = os.getenv("BENCH_KEY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["User-Agent"] = os.getenv("BENCH_AGENT")
