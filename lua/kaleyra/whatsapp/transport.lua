--- kaleyra.whatsapp.transport: a client whose HTTP exchange is done in Lua
-- instead of by the libcurl engine: nginx's cosockets (transport "ngx",
-- kaleyra/whatsapp/ngx.lua) or any function the user gives.
--
-- This file is an I/O pump and nothing more. The C policy machine
-- (src/kwa_dispatch.c, through src/kwa_lua_pump.c and kwa_lua_batch.c)
-- validates and builds every request, decides when each attempt starts
-- (concurrency, `rate`, backoff, Retry-After), what an outcome means
-- (kind, sent, retryable) and whether to retry. The pump only loops:
-- take a job (next_job), perform it, report what happened (report), let
-- the machine call back (step/deliver), and wait as long as the machine
-- says. So results, errors, retries and send_many entries are the libcurl
-- path's, field for field (spec/94-parity_spec.lua).
--
-- The transport contract (README "Transports"):
--   transport(request) -> response | nil, err
--   request  = { op = "text"|"cta_url"|"flow"|"raw"|"publish"|..., method,
--                url, headers = { ["api-key"], ["Content-Type"], Accept,
--                ["User-Agent"] }, body, timeout, connect_timeout (seconds),
--                attempt (1 for the first) }
--   response = { status = <integer>, body = <string>, headers = { [name] = value } }
--   err      = { io = <what happened>, message = "..." } with io one of
--     "connect_failed"  refused, unreachable, name not resolved
--     "tls_failed"      the TLS handshake or certificate check failed
--     "timeout_unsent"  timed out before the request was written
--     "timeout_sent"    timed out after it was (or may have been) written
--     "closed_unsent"   the connection closed before the request was written
--     "closed_sent"     it closed after, before the whole answer came
--     "too_large"       the answer is over 1 MiB
--     "not_http"        bytes came back that are not HTTP
--     "bad_url"         the transport cannot use this URL
--   The older { kind = "network"|"timeout"|"tls"|"protocol", sent, message }
--   and plain strings are still read (translated in src/kwa_lua_pump.c).
--
-- Concurrency: inside nginx each job of a send_many or poll runs in its
-- own light thread (ngx.thread.spawn), so `concurrency` requests are in
-- flight; a blocking call's one job runs in the calling coroutine, in the
-- cheap forms of next_job and report (values, no tables), and the client
-- keeps each URL's request head (ngx.lua's cache). With a user's
-- function jobs run one at a time, each with a fresh request table. Every blocking
-- call and every send_many has a machine of its own, so a client shared
-- by all requests of a worker (made at module level) is safe: a call only
-- ever pumps the jobs it submitted. submit/poll use the client's shared
-- machine; inside nginx only one request (or timer) may drive it with
-- poll, since light threads belong to the request that spawned them.
--
-- Caveats: callbacks (on_result, on_progress, submit's) and send_many's
-- iterator run from C and must not yield: no cosockets, no ngx.sleep in
-- them. Waits use ngx.sleep inside nginx, luasocket's socket.sleep
-- elsewhere, or the `sleep` command when neither is there.
-- @module kaleyra.whatsapp.transport

local core = require "kaleyra.whatsapp.core"
local ngx_transport = require "kaleyra.whatsapp.ngx"

local M = {}

local CLOSED = "attempt to use a closed kaleyra.whatsapp.Client"
local unpack = table.unpack or unpack -- luacheck: ignore

local Client = { __name = "kaleyra.whatsapp.Client" }
local methods = {}
Client.__index = methods

local function check_open(self)
  if getmetatable(self) ~= Client then
    error("bad argument #1 (kaleyra.whatsapp.Client expected, got " .. type(self) .. ")", 0)
  end
  if self._core == nil then error(CLOSED, 0) end
end

-- A raise from C carries this file's position; drop it.
local function unplace(message)
  if type(message) ~= "string" then return message end
  return (message:gsub("^[^\n:]*:%d+: ", "", 1))
end

-- ---- the pump ----

-- One job through a user's function, one at a time.
local function run_one_by_one(self, src)
  while not src:step() do
    local id, req = src:next_job()
    if id then
      src:report(id, self._send(req))
    elseif req then
      self._sleep(req)
    else
      error("kaleyra.whatsapp: nothing to run, yet the batch has not finished", 0)
    end
  end
end

-- Waits for the first of `threads` (and an optional sleeper) to end;
-- keeps only the live ones. Raises what a job raised.
local function wait_any(threads, sleep_for, failure)
  local list = { unpack(threads) }
  local sleeper
  if sleep_for and sleep_for > 0 then
    sleeper = ngx.thread.spawn(function() ngx.sleep(sleep_for) end)
    list[#list + 1] = sleeper
  end
  ngx.thread.wait(unpack(list))
  if sleeper and coroutine.status(sleeper) ~= "dead" then ngx.thread.kill(sleeper) end
  local live = {}
  for _, t in ipairs(threads) do
    if coroutine.status(t) ~= "dead" then live[#live + 1] = t end
  end
  if failure[1] then error(failure[1], 0) end
  return live
end

-- Starts every job the machine lets start, each in a light thread.
local function start_jobs(src, threads, failure, cache)
  while true do
    local id, req = src:next_job()
    if not id then return req end
    threads[#threads + 1] = ngx.thread.spawn(function()
      local ok, err = pcall(function() src:report(id, ngx_transport.request(req, cache)) end)
      if not ok then failure[1] = failure[1] or err end
    end)
  end
end

-- Inside nginx: jobs run concurrently in light threads of this request.
local function run_threads(src, cache)
  local threads, failure = {}, {}
  local ok, err = pcall(function()
    while not src:step() do
      local wait = start_jobs(src, threads, failure, cache)
      if #threads > 0 then
        threads = wait_any(threads, wait, failure)
      elseif wait then
        ngx.sleep(wait)
      else
        error("kaleyra.whatsapp: nothing to run, yet the batch has not finished", 0)
      end
    end
  end)
  if not ok then
    for _, t in ipairs(threads) do ngx.thread.kill(t) end
    error(err, 0)
  end
end

-- Inside nginx, a blocking call's one job: run in the calling coroutine
-- itself, with no light thread, closure or pcall, in the cheap forms of
-- next_job and report (values, not tables; see kwa_lua_pump.c). The
-- batch was just made with its one message submitted, and c:one() gave
-- its first next_job(true) already (the arguments after cache); a
-- one-shot batch's report() delivers and says whether it has finished.
-- Its retries come from the machine as another next_job after their wait.
local function run_inline(src, cache, id, url, body, method, ct, timeout, connect_timeout)
  local send = ngx_transport.send
  local finished
  repeat
    if id then
      finished = src:report(id, send(cache, url, body, method, ct, timeout, connect_timeout))
    elseif url then -- nothing may start before this many seconds
      ngx.sleep(url)
      finished = src:step()
    else
      error("kaleyra.whatsapp: nothing to run, yet the batch has not finished", 0)
    end
    if not finished then
      id, url, body, method, ct, timeout, connect_timeout = src:next_job(true)
    end
  until finished
end

-- Pumps src (a Batch of many messages) until it has finished.
local function run(self, src)
  if self._ngx then return run_threads(src, self._cache) end
  return run_one_by_one(self, src)
end

-- ---- blocking calls ----

-- Ops with at least one required field, by name.
local REQUIRED_ANY = {}

-- The message of a method call, as the engine's calls read it: a plain
-- first argument fills op.positional and a second one op.second ("*": a
-- table of the other fields); no argument at all is an empty message
-- when the op has no required field.
local function message_of(name, op, msg, second)
  if msg == nil and not REQUIRED_ANY[op.name] then return {} end
  if op.positional == nil or type(msg) == "table" then
    if type(msg) ~= "table" then
      error(("bad argument #1 to '%s' (table expected, got %s)"):format(name, type(msg)), 0)
    end
    return msg
  end
  if type(msg) ~= "string" and type(msg) ~= "number" then
    error(("bad argument #1 to '%s' (string expected, got %s)"):format(name, type(msg)), 0)
  end
  local t = { [op.positional] = tostring(msg) }
  if op.second == "*" and second ~= nil then
    if type(second) ~= "table" then
      error(("bad argument #2 to '%s' (table expected, got %s)"):format(name, type(second)), 0)
    end
    for k, v in pairs(second) do
      if k == op.positional then error(("%s: %s is given twice"):format(op.method, k), 0) end
      t[k] = v
    end
  elseif op.second and second ~= nil then
    t[op.second] = second
  end
  return t
end

-- Checks what the engine's calls check, then makes the one-shot batch,
-- renewing a spent one of this client when there is one. Returns it and,
-- inside nginx, its first job's values (c:one's `first`); or nil, err.
local function prepare(self, name, op, msg, second)
  msg = message_of(name, op, msg, second)
  local spare, spent = self._spare, nil
  local n = #spare
  if n > 0 then spent, spare[n] = spare[n], nil end
  local ok, call, a, b, c, d, e, f, g = pcall(self._core.one, self._core, op.name, msg, spent, self._ngx)
  if not ok then error(unplace(call), 4) end -- at the caller's line, as the engine's calls do
  return call, a, b, c, d, e, f, g
end

-- How many spent one-shot batches a client keeps for its next calls
-- (one per call running at the same time, up to this many).
local SPARE = 8

local function send_op(self, name, op, msg, second)
  check_open(self)
  if self._ngx then ngx_transport.check_phase(name, 3) end
  local call, a, b, c, d, e, f, g = prepare(self, name, op, msg, second)
  if not call then return nil, a end
  if self._ngx then
    run_inline(call, self._cache, a, b, c, d, e, f, g)
  else
    run_one_by_one(self, call)
  end
  local res, err = call:result("spend") -- frees the call; the handle may serve the next one
  local spare = self._spare
  if #spare < SPARE then spare[#spare + 1] = call end
  return res, err
end

-- One method per operation of the registry (core.ops): send_text,
-- mark_read, ...
for _, op in ipairs(core.ops) do
  local name = op.method
  for _, f in ipairs(op.fields) do
    if f.required then REQUIRED_ANY[op.name] = true end
  end
  methods[name] = function(self, msg, second)
    local res, err = send_op(self, name, op, msg, second)
    return res, err
  end
end

--- client:build(op, msg [, redact]): the request this client would send.
function methods:build(op, msg, redact)
  check_open(self)
  return self._core:build(op, msg, redact)
end

--- client:send_many(list_or_iterator [, opts]): the engine's send_many,
-- fed by this pump; inside nginx `concurrency` requests are in flight.
function methods:send_many(list, opts)
  check_open(self)
  if type(list) ~= "table" and type(list) ~= "function" then
    error("bad argument #1 to 'send_many' (table expected, got " .. type(list) .. ")", 0)
  end
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #2 to 'send_many' (table expected, got " .. type(opts) .. ")", 0)
  end
  local ok, batch = pcall(self._core.many, self._core, list, opts)
  if not ok then error((unplace(batch):gsub("'many'", "'send_many'")), 2) end
  if self._ngx then ngx_transport.check_phase("send_many", 2) end
  run(self, batch)
  local results = batch:result()
  batch:close()
  return results
end

-- ---- the non-blocking API, on the client's shared machine ----

--- client:submit(op, msg, callback): queues msg; the callback runs from
-- poll. true, or nil and a validation error.
function methods:submit(op, msg, callback)
  check_open(self)
  return self._core:submit(op, msg, callback)
end

function methods:pending()
  check_open(self)
  return self._core:pending()
end

--- Seconds until the client wants poll called (nil: not before an answer).
function methods:timeout()
  check_open(self)
  return self._core:timeout()
end

--- client:poll([timeout]): starts what may start, waits at most timeout
-- seconds for one job to finish, runs the finished callbacks; returns how
-- many ran. Inside nginx the jobs run in light threads of the calling
-- request: only that request (or timer) may poll this client.
function methods:poll(timeout)
  check_open(self)
  local c = self._core
  local n = c:deliver()
  if n > 0 or c:pending() == 0 then return n end
  timeout = timeout or 0
  if self._ngx then
    self._threads = self._threads or {}
    local failure = {}
    local wait = start_jobs(c, self._threads, failure, self._cache)
    if #self._threads > 0 and timeout > 0 then
      self._threads = wait_any(self._threads, wait and math.min(wait, timeout) or timeout, failure)
    elseif wait and timeout > 0 then
      ngx.sleep(math.min(wait, timeout))
    end
  else
    local id, req = c:next_job()
    if id then
      c:report(id, self._send(req))
    elseif req and timeout > 0 then
      self._sleep(math.min(req, timeout))
    end
  end
  return n + c:deliver()
end

--- nil: there is no descriptor to wait on (as without epoll);
-- wait at most timeout() seconds between polls.
function methods:fd()
  check_open(self)
  return nil
end

--- Idempotent; also run by __close (Lua 5.4) and, for the C part, by __gc.
function methods:close()
  if getmetatable(self) ~= Client then check_open(self) end
  if self._core then self._core:close() end
  self._core = nil
  self._spare = {} -- spent batches: collected, as every Batch
end
Client.__close = methods.close

function Client.__tostring(self)
  if self._core == nil then return "kaleyra.whatsapp.Client (closed)" end
  return ("kaleyra.whatsapp.Client (sid %s, transport %s)"):format(self._sid, self._name)
end

-- How to wait outside nginx: luasocket, else the sleep command.
local function sleeper()
  local ok, socket = pcall(require, "socket")
  if ok and type(socket) == "table" and socket.sleep then return socket.sleep end
  return function(s) os.execute(("sleep %.3f"):format(s)) end
end

--- Wraps an open external C client (core.new with _external, which
-- validated opts). transport is "ngx" or a function.
function M.new(c, transport, opts)
  local self = setmetatable({ _core = c, _sid = opts.sid, _spare = {} }, Client)
  if transport == "ngx" then
    -- each URL's parts and request head (with the key: never printed)
    self._name, self._ngx = "ngx", true
    self._cache = ngx_transport.cache(function(ct) return c:job_headers(ct) end)
  else
    self._name, self._send, self._sleep = "function", transport, sleeper()
  end
  return self
end

M.Client = Client
return M
