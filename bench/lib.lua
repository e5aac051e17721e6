--- bench/lib.lua: the library rows of bench/run.sh, in Lua 5.4.
--
--   lua5.4 bench/lib.lua seq SECONDS        client:send_text in a loop
--   lua5.4 bench/lib.lua many SECONDS C     client:send_many with C in flight,
--                                           fed by an iterator until SECONDS pass
--   lua5.4 bench/lib.lua rss N              send_many of N fresh messages,
--                                           streamed through on_result
--
-- Every message goes through the whole library: the Lua table is read,
-- validated, built into JSON, sent, and its answer parsed into a result.
-- The client points at the stand-in's fast location (KALEYRA_BASE_URL ..
-- "/fast"), where nginx alone answers 202. seq and many print
-- "<messages> <seconds>"; rss prints "<messages> <seconds> <VmHWM KiB>".
-- With BENCH_COUNT set, seq and many send exactly that many messages
-- instead of running for SECONDS (the callgrind runs use two counts, so
-- start-up cancels out in the difference).
-- Any failed message aborts the run: a benchmark of errors is no use.
-- Needs lua-socket for a wall clock (os.clock is CPU time).

local whatsapp = require "kaleyra.whatsapp"
local gettime = require("socket").gettime

local function env(name)
  return assert(os.getenv(name), name .. " is not set (run under sandbox/sandbox --run)")
end

local client = assert(whatsapp.new {
  sid = env "KALEYRA_SID", api_key = env "KALEYRA_API_KEY", from = env "KALEYRA_FROM",
  base_url = env "KALEYRA_BASE_URL" .. "/fast",
})

-- The message bench/core_cost.c builds, so the body has the same bytes.
local function message(to)
  return {
    to = to or "+919876543210",
    body = "Hello Asha, your order #4711 has shipped and arrives on Tuesday.",
    preview_url = false,
    extra_info = { ref = "order-4711", wa_source = "api" },
  }
end

local function vm_hwm()
  for line in io.lines "/proc/self/status" do
    local kib = line:match "^VmHWM:%s+(%d+)"
    if kib then return tonumber(kib) end
  end
end

local function check(res, err)
  if not res then error("message failed: " .. tostring(err), 2) end
end

local mode = arg[1]
local count = tonumber(os.getenv "BENCH_COUNT" or "")
local start = gettime()

if mode == "seq" then
  local deadline, msg, n = start + tonumber(arg[2]), message(), 0
  if count then
    for _ = 1, count do check(client:send_text(msg)) end
    n = count
  else
    repeat
      for _ = 1, 64 do check(client:send_text(msg)) end
      n = n + 64
    until gettime() >= deadline
  end
  print(n, gettime() - start)

elseif mode == "many" then
  -- One message table, as the raw loops reuse one body; the clock is read
  -- once per 64 items so the iterator stays cheap.
  local deadline, msg, n = start + tonumber(arg[2]), message(), 0
  local function next_message()
    n = n + 1
    if count then return n <= count and msg or nil end
    if n % 64 == 0 and gettime() >= deadline then return nil end
    return msg
  end
  local sum = client:send_many(next_message, {
    concurrency = tonumber(arg[3]),
    on_result = function(_, r) if not r.ok then check(nil, r.error) end end,
  })
  print(sum.total, gettime() - start)

elseif mode == "rss" then
  -- A fresh table per message, as an application streaming from a queue
  -- would make; nothing is kept, so memory should stay flat.
  local total, i = tonumber(arg[2]), 0
  local sum = client:send_many(function()
    i = i + 1
    if i <= total then return message(string.format("+9198%08d", i)) end
  end, {
    concurrency = 8,
    on_result = function(_, r) if not r.ok then check(nil, r.error) end end,
  })
  assert(sum.total == total and sum.ok == total, "not every message was accepted")
  print(sum.total, gettime() - start, vm_hwm())

else
  io.stderr:write "usage: lua5.4 bench/lib.lua seq SECONDS | many SECONDS C | rss N\n"
  os.exit(2)
end
client:close()
