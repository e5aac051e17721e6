-- soak/soak.lua - sends many messages (100k by default) through one
-- client's send_many against the local stand-in's random fault mode, and
-- checks that every message ends with exactly one result, that none is
-- lost, that a message reaches the wire more than once only where the
-- retry rules allow it (every earlier attempt answered 429 or 503), that
-- each result agrees with what the stand-in did, and that memory stays
-- flat. Prints the figures; exits 1 if a check fails.
--
--   lua5.4 soak/soak.lua            (make soak; SOAK_N, SOAK_SEED, SOAK_CONCURRENCY,
--                                    SOAK_DEADLINE in seconds, from the environment)
--
-- Memory: messages are made by an iterator and results go to on_result,
-- so send_many keeps none; the per-message bookkeeping below lives in
-- arrays filled before the first RSS sample. The stand-in's records are
-- read only after the run, from its records.jsonl, one line at a time.
-- Every wait is bounded: the stand-in answers or resets each request, the
-- client's timeout ends the slow ones, and SOAK_DEADLINE stops producing.
package.path = "./?.lua;./lua/?.lua;" .. package.path

local launcher = require "sandbox.launcher"
local whatsapp = require "kaleyra.whatsapp"
local cjson = require "cjson.safe"
local socket = require "socket"

local N = tonumber(os.getenv("SOAK_N") or "") or 100000
local SEED = tonumber(os.getenv("SOAK_SEED") or "") or 1
local CONCURRENCY = tonumber(os.getenv("SOAK_CONCURRENCY") or "") or 16
local DEADLINE = tonumber(os.getenv("SOAK_DEADLINE") or "") or 900
local RETRIES = 2        -- the client's default
local TIMEOUT = 1        -- seconds; the stand-in's random "slow" outcome waits 2 s
local SAMPLES = 50       -- RSS samples over the run

local KINDS = { "ok", "validation", "config", "auth", "payload", "balance", "rate_limit",
                "server", "network", "timeout", "tls", "protocol" }
local KIND_CODE = {}
for i, k in ipairs(KINDS) do KIND_CODE[k] = i end

local failures = {}
local function fail(fmt, ...)
  local text = fmt:format(...)
  if #failures < 20 then io.stderr:write("soak: ", text, "\n") end
  failures[#failures + 1] = text
end

local function rss_kib()
  local f = io.open("/proc/self/status", "r")
  if not f then return 0 end
  local text = f:read("a")
  f:close()
  return tonumber(text:match("VmRSS:%s*(%d+)")) or 0
end

-- ---- bookkeeping, all allocated before the run ----
local results, kinds, attempts, sent, retryable, ids = {}, {}, {}, {}, {}, {}
for i = 1, N do
  results[i], kinds[i], attempts[i], sent[i], retryable[i], ids[i] = 0, 0, 0, false, false, 0
end
local rss, heap, at = {}, {}, {}
for i = 1, SAMPLES + 1 do rss[i], heap[i], at[i] = 0, 0, 0 end
local nsamples = 0
local every = math.max(1, N // SAMPLES)

local sandbox = assert(launcher.start())
local client = assert(whatsapp.new {
  sid = launcher.CREDENTIALS.sid, api_key = launcher.CREDENTIALS.api_key,
  from = launcher.CREDENTIALS.from, base_url = sandbox.url .. "/fault/random-" .. SEED,
  timeout = TIMEOUT, connect_timeout = TIMEOUT, retries = RETRIES,
})
local to = launcher.MAGIC.to

local started = socket.gettime()
local produced, done, late = 0, 0, false
local function next_message()
  if produced >= N then return nil end
  if socket.gettime() - started > DEADLINE then
    late = true
    return nil
  end
  produced = produced + 1
  return { to = to, body = "soak message " .. produced, extra_info = { ref = "s" .. produced } }
end

local function on_result(i, r)
  if math.type(i) ~= "integer" or i < 1 or i > N then
    fail("a result for index %s, which was never produced", tostring(i))
    return
  end
  results[i] = results[i] + 1
  if results[i] > 1 then fail("message %d got %d results", i, results[i]) end
  done = done + 1
  if r.ok then
    kinds[i] = 1
    ids[i] = tonumber(r.message_id:sub(-13)) or -1
  else
    kinds[i] = KIND_CODE[r.error.kind] or 0
    attempts[i] = r.error.attempts or 0
    sent[i] = r.error.sent
    retryable[i] = r.error.retryable
  end
  if done % every == 0 and nsamples <= SAMPLES then
    -- a full collection first, so the figures show what is live, not
    -- how far the collector happens to be behind
    collectgarbage("collect")
    nsamples = nsamples + 1
    rss[nsamples], heap[nsamples], at[nsamples] = rss_kib(), collectgarbage("count"), done
  end
end

collectgarbage("collect")
local rss_before = rss_kib()
local summary = client:send_many(next_message, { concurrency = CONCURRENCY, on_result = on_result })
local elapsed = socket.gettime() - started
client:close()

-- ---- every message: exactly one result ----
if late then fail("stopped producing at the %d s deadline after %d messages", DEADLINE, produced) end
if summary.total ~= produced or summary.ok + summary.failed ~= produced then
  fail("send_many's summary %d total (%d ok, %d failed) for %d messages",
    summary.total, summary.ok, summary.failed, produced)
end
for i = 1, produced do
  if results[i] ~= 1 then fail("message %d got %d results", i, results[i]) end
end

-- ---- the wire, as the stand-in recorded it (arrival order) ----
local wire, last_status, last_outcome, last_id = {}, {}, {}, {}
for i = 1, produced do wire[i], last_status[i], last_outcome[i], last_id[i] = 0, 0, "", 0 end
local injected, retried_ok, unexplained_dups, wire_total = {}, 0, 0, 0
for line in io.lines(sandbox.records_file) do
  local rec = cjson.decode(line)
  local i = rec and type(rec.body) == "string" and tonumber(rec.body:match('"ref":"s(%d+)"'))
  if not i or i < 1 or i > produced then
    fail("a record that is no soak message: %s", line:sub(1, 200))
  else
    wire_total = wire_total + 1
    injected[rec.random or "?"] = (injected[rec.random or "?"] or 0) + 1
    if wire[i] > 0 then
      if last_status[i] == 429 or last_status[i] == 503 then
        retried_ok = retried_ok + 1
      else
        unexplained_dups = unexplained_dups + 1
        fail("message %d was sent again after an answer of %s (%s)", i, last_status[i], last_outcome[i])
      end
    end
    wire[i] = wire[i] + 1
    last_status[i], last_outcome[i] = rec.status, rec.random or "?"
    last_id[i] = rec.message_id and tonumber(rec.message_id:sub(-13)) or 0
  end
end
sandbox:stop()

-- ---- each result agrees with the last attempt the stand-in saw ----
local EXPECT = { -- random outcome -> kind of the result, and whether it may have been sent
  normal = { "ok" }, ["503"] = { "server", true }, ["429"] = { "rate_limit", true },
  WA500 = { "server", true }, reset = { "network", true }, cut = { "network", true },
  ["html-502"] = { "server", true }, slow = { "timeout", true },
}
local by_kind, unknown_outcome, never_sent = {}, 0, 0
for i = 1, produced do
  local kind = KINDS[kinds[i]] or "?"
  by_kind[kind] = (by_kind[kind] or 0) + 1
  if wire[i] == 0 then
    never_sent = never_sent + 1
    if kind == "ok" or sent[i] then fail("message %d: %s, but the stand-in never saw it", i, kind) end
  elseif wire[i] > RETRIES + 1 then
    fail("message %d went out %d times; at most %d are allowed", i, wire[i], RETRIES + 1)
  else
    local want = EXPECT[last_outcome[i]]
    if not want then
      fail("message %d: unknown outcome %s", i, last_outcome[i])
    elseif want[1] ~= kind then
      fail("message %d: result %s, but the stand-in's last answer was %s", i, kind, last_outcome[i])
    elseif kind == "ok" then
      if ids[i] ~= last_id[i] then fail("message %d: message_id does not match the stand-in's", i) end
    else
      if attempts[i] ~= wire[i] then
        fail("message %d: %d attempts reported, %d seen on the wire", i, attempts[i], wire[i])
      end
      if not sent[i] or not retryable[i] then
        fail("message %d: %s should be sent = true, retryable = true", i, kind)
      end
      if kind ~= "rate_limit" and not (kind == "server" and last_status[i] == 503) then
        unknown_outcome = unknown_outcome + 1
      end
    end
  end
end

-- ---- memory: flat after warm-up ----
local warm = math.max(1, nsamples // 10)
local rss_warm, rss_max, rss_last = rss[warm], 0, rss[nsamples]
for k = warm, nsamples do rss_max = math.max(rss_max, rss[k]) end
local growth = rss_max - rss_warm
local RSS_SLACK = 2048 -- KiB: allocator noise; a leak of even 32 bytes a message is 3 MiB
if nsamples < 2 then
  fail("too few RSS samples (%d)", nsamples)
elseif growth > RSS_SLACK then
  fail("RSS grew by %d KiB after warm-up (limit %d KiB)", growth, RSS_SLACK)
end

-- ---- the figures ----
local function line(fmt, ...) io.write(fmt:format(...), "\n") end
line("soak: %d messages, seed %d, concurrency %d, timeout %g s, retries %d",
  produced, SEED, CONCURRENCY, TIMEOUT, RETRIES)
line("time: %.1f s (%.0f messages/s)", elapsed, produced / elapsed)
line("wire: %d requests seen by the stand-in for %d messages", wire_total, produced)
local names = {}
for k in pairs(injected) do names[#names + 1] = k end
table.sort(names)
local fault_total = 0
for _, k in ipairs(names) do
  if k ~= "normal" then fault_total = fault_total + injected[k] end
end
line("faults injected: %d", fault_total)
for _, k in ipairs(names) do line("  %-9s %d", k, injected[k]) end
line("results: %d (exactly one per message: %s)", done, (#failures == 0) and "yes" or "see above")
for _, k in ipairs(KINDS) do
  if by_kind[k] then line("  %-10s %d", k, by_kind[k]) end
end
line("  of the errors, outcome unknown (sent, retryable, left to the caller): %d", unknown_outcome)
line("  never reached the stand-in: %d", never_sent)
line("duplicates on the wire: %d, all after a 429/503 answer (the retry rules); %d otherwise",
  retried_ok, unexplained_dups)
line("memory: RSS %d KiB before, %d KiB after warm-up (%d results), max %d KiB after it, %d KiB at the end;"
  .. " growth %d KiB", rss_before, rss_warm, at[warm], rss_max, rss_last, growth)
line("        Lua heap after a full collection: %.0f KiB after warm-up, %.0f KiB at the end",
  heap[warm], heap[nsamples])
local trace = {}
for k = 1, nsamples do trace[k] = tostring(rss[k]) end
line("        RSS every %d results (KiB): %s", every, table.concat(trace, " "))
if #failures > 0 then
  line("FAILED: %d checks failed", #failures)
  os.exit(1)
end
line("all checks passed")
