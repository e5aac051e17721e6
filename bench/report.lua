--- bench/report.lua: turns one run of bench/run.sh into the table it
-- prints and into bench/RESULTS.md.
--
--   lua5.4 bench/report.lua OUT_DIR RESULTS_MD
--
-- Reads OUT_DIR/results.txt ("<row> <round> <messages> <seconds> [extra]"
-- per line), OUT_DIR/meta.txt (the machine, tab-separated), and
-- OUT_DIR/cg.txt ("<row> <small file> <small n> <large file> <large n>"
-- per profiled row) with the callgrind files it names and their
-- callgrind_annotate listings (FILE.txt).
--
-- The primary figures are callgrind's: instructions and allocator calls
-- per message, (large - small) / (n_large - n_small), whole processes, so
-- start-up cancels out and the Lua call, the result table and garbage
-- collection are all counted. They do not depend on the machine's load.
-- Rates are the median over interleaved rounds; rate targets use the
-- median of per-round ratios of rows that ran back to back. Pure Lua 5.4.

local out_dir, md_path = arg[1], arg[2]
assert(out_dir and md_path, "usage: lua5.4 bench/report.lua OUT_DIR RESULTS_MD")

-- ---- reading ----

local runs = {} -- runs[row][round] = { n =, s =, extra = }
for line in io.lines(out_dir .. "/results.txt") do
  local row, round, n, s, extra = line:match "^(%S+) (%d+) (%d+)%s+([%d.]+)%s*(%S*)"
  if row then
    runs[row] = runs[row] or {}
    runs[row][tonumber(round)] = { n = tonumber(n), s = tonumber(s), extra = tonumber(extra) }
  end
end

local meta = {}
for line in io.lines(out_dir .. "/meta.txt") do
  local k, v = line:match "^(%S+)\t(.*)$"
  if k then meta[k] = v end
end

local function median(list)
  if #list == 0 then return nil end
  table.sort(list)
  local m = (#list + 1) // 2
  return #list % 2 == 1 and list[m] or (list[m] + list[m + 1]) / 2
end

local function rates(row)
  local list = {}
  for _, r in pairs(runs[row] or {}) do list[#list + 1] = r.n / r.s end
  return list
end

local function rate(row) return median(rates(row)) end

-- Median over rounds of a/b, pairing the rows of each round.
local function paired(a, b)
  local list = {}
  for round, ra in pairs(runs[a] or {}) do
    local rb = (runs[b] or {})[round]
    if rb then list[#list + 1] = (ra.n / ra.s) / (rb.n / rb.s) end
  end
  local sorted = { table.unpack(list) }
  return median(sorted), list
end

-- Total instructions of a callgrind out file, and calls to the allocator.
local ALLOCATORS = { malloc = true, calloc = true, realloc = true }
local function callgrind(file)
  local f = io.open(out_dir .. "/" .. file)
  if not f then return nil end
  local total, allocs, names, target = nil, 0, {}, nil
  for line in f:lines() do
    local kind, id, fn = line:match "^(c?)fn=%((%d+)%)%s*(.*)$"
    if kind then
      if fn ~= "" then names[id] = fn end
      target = kind == "c" and names[id] or nil
    else
      local calls = line:match "^calls=(%d+)"
      if calls then
        if ALLOCATORS[target] then allocs = allocs + tonumber(calls) end
      else
        local t = line:match "^summary:%s*(%d+)" or line:match "^totals:%s*(%d+)"
        if t then total = tonumber(t) end
      end
    end
  end
  f:close()
  return total, allocs
end

-- Inclusive instructions per function name, from callgrind_annotate.
local function inclusive(file)
  local by_fn = {}
  local f = io.open(out_dir .. "/" .. file .. ".txt")
  if not f then return by_fn end
  for line in f:lines() do
    local count, where = line:match "^%s*([%d,]+) %(%s*[%d.]+%%%)%s+(.*)$"
    if count then
      local fn = where:gsub("%s*%[[^%]]*%]%s*$", ""):match ":([^:]+)$"
      if fn and not fn:match "'%d+$" then
        local v = tonumber((count:gsub(",", "")))
        if v > (by_fn[fn] or 0) then by_fn[fn] = v end
      end
    end
  end
  f:close()
  return by_fn
end

-- prof[row] = { ir =, allocs =, fn = function(names) -> per message, n = }
local prof = {}
local cg_list = io.open(out_dir .. "/cg.txt")
if cg_list then
  for line in cg_list:lines() do
    local row, fa, na, fb, nb = line:match "^(%S+) (%S+) (%d+) (%S+) (%d+)$"
    na, nb = tonumber(na), tonumber(nb)
    if row and nb and nb > na then
      local ia, aa, fns_a = 0, 0, {}
      if fa ~= "-" then ia, aa = callgrind(fa); fns_a = inclusive(fa) end
      local ib, ab = callgrind(fb)
      local fns_b = inclusive(fb)
      local d = nb - na
      if ia and ib then
        prof[row] = {
          n = nb, ir = (ib - ia) / d, allocs = (ab - aa) / d,
          fn = function(names)
            local sum, seen = 0, false
            for _, name in ipairs(names) do
              if fns_b[name] then sum, seen = sum + fns_b[name] - (fns_a[name] or 0), true end
            end
            return seen and sum / d or nil
          end,
        }
      end
    end
  end
  cg_list:close()
end

-- ---- formatting ----

local function fmt_rate(v) return v and string.format("%.0f", v) or "n/a" end
local function fmt_ratio(v) return v and string.format("%.2f", v) or "n/a" end
local function fmt_k(v) return v and string.format("%.1fk", v / 1000) or "n/a" end
local function fmt_n(v) return v and string.format("%.1f", v) or "n/a" end
local function mib(kib) return kib and string.format("%.1f MiB", kib / 1024) or "n/a" end

-- id, label, in flight, the row its × column divides by, why a row has
-- no callgrind figure
local ROWS = {
  { "wrk1", "wrk, 1 connection (the ceiling)", 1, "wrk1" },
  { "raw_easy", "raw libcurl, one reused easy handle", 1, "wrk1" },
  { "raw_easy_cb", "… the same, body through a read callback", 1, "wrk1" },
  { "lib_seq", "**library: `send_text` loop, one client**", 1, "wrk1" },
  { "curl", "`curl` started once per message", 1, "wrk1" },
  { "python", "Python `requests.Session`", 1, "wrk1" },
  { "node1", "Node `fetch`, 1 in flight", 1, "wrk1", "JIT under valgrind: not profiled" },
  { "wrk8", "wrk, 8 connections (the ceiling)", 8, "wrk8" },
  { "raw_multi", "raw libcurl multi, 8 transfers in flight", 8, "wrk8" },
  { "raw_multi_cb", "… the same, body through a read callback", 8, "wrk8" },
  { "lib_many", "**library: `send_many`, concurrency 8**", 8, "wrk8" },
  { "node8", "Node `fetch`, 8 in flight", 8, "wrk8", "JIT under valgrind: not profiled" },
  { "ngx_plain", "nginx (LuaJIT): a plain cosocket loop", 1, "ngx_plain",
    "runs inside nginx's worker: not profiled" },
  { "ngx_lib", "**nginx (LuaJIT): `send_text`, cosocket transport**", 1, "ngx_plain",
    "runs inside nginx's worker: not profiled" },
}

local function main_table()
  local lines = {
    "| row | in flight | instructions / message | allocator calls / message | messages/s | rounds (min–max) | × first row of its group |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  }
  for _, r in ipairs(ROWS) do
    local id, name, inflight, ref, why = table.unpack(r)
    local list, p = rates(id), prof[id]
    if #list > 0 or p then
      local lo, hi = #list > 0 and math.min(table.unpack(list)), #list > 0 and math.max(table.unpack(list))
      lines[#lines + 1] = string.format("| %s | %d | %s | %s | %s | %s | %s |", name, inflight,
        p and fmt_k(p.ir) or (why or "n/a"), p and fmt_n(p.allocs) or "–",
        #list > 0 and fmt_rate(rate(id)) or "not run",
        #list > 0 and (fmt_rate(lo) .. "–" .. fmt_rate(hi)) or "",
        #list > 0 and fmt_ratio(rate(ref) and rate(id) / rate(ref)) or "")
    end
  end
  return table.concat(lines, "\n")
end

-- ---- targets (issue 13) ----

local function rss(row) return runs[row] and runs[row][1] and runs[row][1].extra end
local rss_small, rss_large = rss "rss_small", rss "rss_large"
local n_small = runs.rss_small and runs.rss_small[1].n
local n_large = runs.rss_large and runs.rss_large[1].n

local targets = {}
local function target(what, ok, measured, text)
  targets[#targets + 1] = { what = what, ok = ok, measured = measured, text = text }
end

local function ir_target(lib, raw, label)
  local l, r = prof[lib], prof[raw]
  if not (l and r) then return target(label, false, false, "n/a") end
  local ratio, budget = l.ir / r.ir, r.ir * 1.1
  target(label, ratio <= 1.1, true, string.format("%s vs %s: %.3f×, %s added (%s)",
    fmt_k(l.ir), fmt_k(r.ir), ratio, fmt_k(l.ir - r.ir),
    ratio <= 1.1 and string.format("%s under the budget", fmt_k(budget - l.ir))
      or string.format("misses by %s, %.1f%%", fmt_k(l.ir - budget), (l.ir / budget - 1) * 100)))
end

local function alloc_target(lib, raw, label)
  local l, r = prof[lib], prof[raw]
  if not (l and r) then return target(label, false, false, "n/a") end
  local extra = l.allocs - r.allocs
  target(label, extra <= 10, true, string.format("%s vs %s: %+.1f (%s)", fmt_n(l.allocs),
    fmt_n(r.allocs), extra, extra <= 10 and string.format("%.1f under the budget", 10 - extra)
      or string.format("misses by %.1f", extra - 10)))
end

ir_target("lib_seq", "raw_easy", "`send_text` ≤ 1.1 × raw easy loop, instructions per message")
ir_target("lib_many", "raw_multi", "`send_many` (8) ≤ 1.1 × raw multi loop, instructions per message")
alloc_target("lib_seq", "raw_easy", "`send_text` ≤ raw easy loop + 10 allocator calls per message")
alloc_target("lib_many", "raw_multi", "`send_many` ≤ raw multi loop + 10 allocator calls per message")
local ngx_ratio, ngx_list = paired("ngx_lib", "ngx_plain")
do
  local rounds = {}
  for i, v in ipairs(ngx_list) do rounds[i] = fmt_ratio(v) end
  target("nginx: `send_text` over cosockets ≥ 0.9 × the plain cosocket loop",
    ngx_ratio ~= nil and ngx_ratio >= 0.9, ngx_ratio ~= nil,
    ngx_ratio and string.format("%s× (rounds: %s)%s", fmt_ratio(ngx_ratio), table.concat(rounds, ", "),
      ngx_ratio >= 0.9 and "" or string.format(", misses by %.0f%%", (1 - ngx_ratio / 0.9) * 100))
      or "n/a (the nginx rows did not run)")
end
if rss_small and rss_large then
  target(string.format("peak RSS flat from %d to %d messages (≤ +1 MiB)", n_small, n_large),
    rss_large <= rss_small + 1024, true, string.format("%s vs %s (%+.1f MiB)", mib(rss_large),
      mib(rss_small), (rss_large - rss_small) / 1024))
else
  target("peak RSS flat", false, false, "n/a")
end

local function targets_table()
  local lines = { "| target | measured | |", "| --- | --- | --- |" }
  for _, t in ipairs(targets) do
    lines[#lines + 1] = string.format("| %s | %s | %s |", t.what, t.text,
      not t.measured and "not measured" or t.ok and "met" or "**missed**")
  end
  return table.concat(lines, "\n")
end

-- ---- where the instructions go ----

-- Per message, inclusive: a function's callees are in its figure. Each
-- part names its functions per column (lib: both library rows), and what
-- to take out again where a callee is listed as a part of its own.
local PARTS = {
  { "libcurl: driving the transfer", {
    raw_easy = { "curl_easy_perform" }, raw_multi = { "curl_multi_perform", "curl_multi_poll" },
    lib = { "curl_multi_perform", "curl_multi_socket_action", "curl_multi_add_handle",
      "curl_multi_remove_handle" } } },
  { "validate + write the JSON body (`kwa_op_build`)", { lib = { "kwa_op_build" } } },
  { "read the answer (`kwa_response_parse`)", { lib = { "kwa_response_parse" } } },
  { "Lua message table → C (`kwa_lua_read_message`)", { lib = { "kwa_lua_read_message" } } },
  { "C result → Lua (`kwa_lua_push_result` / `many_deliver`)",
    { lib = { "kwa_lua_push_result", "many_deliver" } } },
  { "the policy machine: queue, report, deliver (`kwa_dispatch_*`, less the rows above)",
    { lib = { "kwa_dispatch_submit", "kwa_dispatch_next", "kwa_dispatch_report",
      "kwa_dispatch_deliver" }, minus = { lib_seq = { "kwa_response_parse" },
      lib_many = { "kwa_response_parse", "many_deliver" }, ngx_lib = { "kwa_response_parse" } } } },
  { "malloc, calloc, realloc, free (counted in the rows above too)",
    { all = { "malloc", "calloc", "realloc", "free" } } },
}
local PROFILE_COLS = { "raw_easy", "lib_seq", "raw_multi", "lib_many", "ngx_plain", "ngx_lib" }
local LIBRARY = { lib_seq = true, lib_many = true, ngx_lib = true }

local function part_of(row, spec)
  local p = prof[row]
  if not p then return nil end
  local names = spec.all or spec[row] or (LIBRARY[row] and spec.lib)
  if not names then return nil end
  local v = p.fn(names)
  if v and spec.minus and spec.minus[row] then v = v - (p.fn(spec.minus[row]) or 0) end
  return v
end

local function parts_table()
  local lines = {
    "| per message (inclusive) | raw easy | `send_text` | raw multi | `send_many` | nginx: plain loop | nginx: `send_text` |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  }
  local function row(label, f)
    local cells = {}
    for i, name in ipairs(PROFILE_COLS) do cells[i] = f(name) end
    lines[#lines + 1] = string.format("| %s | %s |", label, table.concat(cells, " | "))
  end
  row("**instructions, whole process**", function(name) return prof[name] and fmt_k(prof[name].ir) or "n/a" end)
  for _, part in ipairs(PARTS) do
    row(part[1], function(name)
      local v = part_of(name, part[2])
      return v and fmt_k(v) or "–"
    end)
  end
  row("the rest: the Lua call and loop, the engine or the cosockets, epoll, garbage collection", function(name)
    local p = prof[name]
    if not p then return "n/a" end
    local named = 0
    for i = 1, 6 do named = named + (part_of(name, PARTS[i][2]) or 0) end
    return fmt_k(p.ir - named)
  end)
  row("**allocator calls**", function(name) return prof[name] and fmt_n(prof[name].allocs) or "n/a" end)
  return table.concat(lines, "\n")
end

-- ---- output ----

local machine = string.format(
  "%s CPUs (%s), %s, %s; libcurl %s, cJSON %s, nginx %s, LuaJIT %s, Lua %s, Node %s,"
    .. " Python %s, wrk %s, curl %s.",
  meta.cpus or "?", meta.cpu or "?", meta.os or "?", meta.kernel or "?", meta.libcurl or "?",
  meta.cjson or "?", meta.nginx or "?", meta.luajit or "?", meta.lua or "?", meta.node or "?",
  meta.python or "?", meta.wrk or "?", meta.curl or "?")

local table_md, targets_md, parts_md = main_table(), targets_table(), parts_table()
print("")
print(table_md)
print("")
print(targets_md)
print("")
print(parts_md)

local core = prof.core
local md = {
  "# Benchmark results",
  "",
  "Written by `make bench` (`bench/run.sh`, formatted by `bench/report.lua`) on "
    .. (meta.date or "?") .. ". Do not edit by hand: run `make bench` again.",
  "",
  "**Machine:** " .. machine,
  "",
  "**Command:** `make bench` — one stand-in (`sandbox/sandbox --run`); every row posts the"
    .. " same " .. (meta.body or "?") .. "-byte body (the library's JSON for a typical text"
    .. " message, from `bench/core_cost --body`) with the library's headers to"
    .. " `POST /fast/v2/<sid>/whatsapp/<from>/messages`, which nginx alone answers with the"
    .. " documented 202, and reads and checks each answer. The nginx rows (`bench/ngx.sh`) run"
    .. " sequential sends from one handler in a second nginx with one worker and the LuaJIT"
    .. " build of the module.",
  "",
  "**Instructions and allocator calls** (the primary figures): callgrind, whole process, a run"
    .. " of " .. (meta.cg_large or "?") .. " messages minus a run of " .. (meta.cg_small or "?")
    .. " (Python: a fifth of those; wrk: a 3 s run minus a 1 s run, by its own counts; curl: one"
    .. " process, which is its cost per message), divided by the difference in messages. Start-up"
    .. " cancels out; the Lua call, the result table and garbage collection are counted. These do"
    .. " not depend on the machine's load. **Rates:** " .. (meta.seconds or "?") .. " s per row"
    .. " and round, " .. (meta.rounds or "?") .. " rounds interleaved, the median shown; the"
    .. " client and nginx share " .. (meta.cpus or "?") .. " cores with whatever else runs (load"
    .. " average " .. (meta.load or "?") .. "), so rates move by several per cent between runs.",
  "",
  "## Targets (issue 13)",
  "",
  targets_md,
  "",
  "## Every row",
  "",
  table_md,
  "",
  "## Where the instructions go",
  "",
  "Inclusive instructions per message by function, from the same profiles (a function's"
    .. " callees are counted in its row). In nginx the library's transfer is the cosocket"
    .. " transport's Lua, counted in the rest, as the plain loop's is.",
  "",
  parts_md,
  "",
  string.format("The C core alone (`bench/core_cost`: build + validate a typical text message,"
    .. " read a typical 202 answer; 11000 − 1000 iterations): **%s instructions** and %s"
    .. " allocator calls per message.", core and fmt_k(core.ir) or "n/a",
    core and fmt_n(core.allocs) or "n/a"),
  "",
  "## Memory",
  "",
  string.format("Peak RSS (VmHWM) of one process streaming messages through `send_many`"
    .. " (concurrency 8, a fresh message table per item from an iterator, results to"
    .. " `on_result`, nothing kept): %d messages %s, %d messages %s.",
    n_small or 0, mib(rss_small), n_large or 0, mib(rss_large)),
  "",
}
-- bench/NOTES.md, hand-written findings (each with its command and date),
-- follows the generated sections.
local notes = io.open("bench/NOTES.md")
if notes then
  md[#md + 1] = notes:read("a")
  notes:close()
end
-- This report owns the file up to the END marker; sections after it
-- (other benchmarks' figures, written by their own scripts) are kept.
local END = "<!-- end of the bench/run.sh report; other benchmarks' sections follow -->"
local kept = ""
local old = io.open(md_path, "r")
if old then
  local text = old:read("a")
  old:close()
  local at = text:find(END, 1, true)
  if at then kept = text:sub(at + #END) end
end
local f = assert(io.open(md_path, "w"))
f:write(table.concat(md, "\n"), END, kept)
f:close()
print("")
print("wrote " .. md_path)
