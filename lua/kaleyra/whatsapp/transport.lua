--- kaleyra.whatsapp.transport: a client whose HTTP exchange is done in Lua
-- instead of by the libcurl engine: nginx's cosockets (transport "ngx",
-- kaleyra/whatsapp/ngx.lua) or any function the user gives.
--
-- The C core still does everything but the I/O: client:build validates the
-- message and makes the request, whatsapp.parse turns the answer into the
-- result or error table. So validation, results and errors are the same as
-- the libcurl path's, and so is the retry policy (kwa_retry.c): only where
-- the message cannot have been accepted (never connected; 429 or 503).
--
-- The transport contract (doc/openresty.md, "Transports"):
--   transport(request) -> response | nil, err
--   request  = { op = "send"|"publish", method = "POST", url, headers =
--                { ["api-key"], ["Content-Type"], Accept, ["User-Agent"] },
--                body, timeout, connect_timeout }  (seconds)
--   response = { status = <integer>, body = <string>, headers = { [name] = value } }
--   err      = "message", or { kind = "network"|"timeout"|"tls"|"protocol",
--                message = "...", sent = <boolean> }
-- A plain string error counts as kind network (timeout if it says so),
-- sent = true: the library cannot know, so it never retries it.
--
-- Caveats: a client is not safe for two callers at once unless its
-- transport is (the "ngx" one is: each send has its own cosocket). The
-- non-blocking calls (submit, poll, ...) belong to the libcurl engine and
-- raise here; send_many sends one message at a time. Waits (Retry-After,
-- backoff, send_many's rate) use ngx.sleep inside nginx, luasocket's
-- socket.sleep elsewhere; with neither, nothing is retried or paced.
-- @module kaleyra.whatsapp.transport

local core = require "kaleyra.whatsapp.core"
local ngx_transport = require "kaleyra.whatsapp.ngx"

local M = {}

local MAX_RESPONSE = 1024 * 1024
local RETRY_AFTER_CAP, BACKOFF_BASE, BACKOFF_CAP = 30, 0.25, 8
local DEFAULT_RETRIES, DEFAULT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT = 2, 30, 10
local CLOSED = "attempt to use a closed kaleyra.whatsapp.Client"
local TRANSPORT_KINDS = { network = true, timeout = true, tls = true, protocol = true }
local SEND_OPS = {}
for _, op in ipairs(core.ops) do SEND_OPS[op.name] = true end

local Client = { __name = "kaleyra.whatsapp.Client" }
local methods = {}
Client.__index = methods

-- An error table shaped like the engine's (kwa_lua_push_error).
local function new_error(kind, message, fields)
  local err = { kind = kind, message = message, retryable = false, sent = false }
  for k, v in pairs(fields or {}) do err[k] = v end
  return setmetatable(err, core.Error)
end

--- Whether to try again, as kwa_retry_delay: seconds to wait, or nil.
function M.retry_delay(err, attempts, max_retries, random01)
  if attempts > max_retries then return nil end
  if err.status == 429 or err.status == 503 then
    if err.retry_after and err.retry_after > 0 then
      return math.min(err.retry_after, RETRY_AFTER_CAP)
    end
  elseif err.sent or err.status or (err.kind ~= "network" and err.kind ~= "timeout") then
    return nil
  end
  local ceiling = BACKOFF_BASE
  for _ = 2, attempts do
    if ceiling >= BACKOFF_CAP then break end
    ceiling = ceiling * 2
  end
  return (random01 or math.random()) * math.min(ceiling, BACKOFF_CAP)
end

-- Turns what a transport returned as its error into an error table.
local function transport_error(terr)
  if type(terr) == "table" then
    local kind = TRANSPORT_KINDS[terr.kind] and terr.kind or "network"
    return new_error(kind, tostring(terr.message or kind), {
      sent = terr.sent ~= false,
      retryable = kind == "network" or kind == "timeout",
    })
  end
  local message = tostring(terr or "the transport failed without saying why")
  local kind = message:lower():find("timeout", 1, true) and "timeout"
    or message:lower():find("timed out", 1, true) and "timeout" or "network"
  return new_error(kind, message, { sent = true, retryable = true })
end

-- Retry-After as seconds: delta-seconds, or an HTTP date inside nginx.
local function retry_after(headers)
  if type(headers) ~= "table" then return nil end
  local value = headers["retry-after"] or headers["Retry-After"]
  if value == nil then
    for name, v in pairs(headers) do
      if type(name) == "string" and name:lower() == "retry-after" then value = v end
    end
  end
  if type(value) == "table" then value = value[1] end
  local seconds = tonumber(value)
  if not seconds and type(value) == "string" and ngx_transport.available() and ngx.parse_http_time then
    local at = ngx.parse_http_time(value)
    seconds = at and math.max(0, at - ngx.time())
  end
  return seconds
end

-- One exchange through the transport, parsed. Returns res or nil, err.
local function attempt(self, req)
  local resp, terr = self._send(req)
  if resp == nil then return nil, transport_error(terr) end
  if type(resp) ~= "table" or type(resp.status) ~= "number" or resp.status % 1 ~= 0
    or resp.status < 100 or resp.status > 999 then
    error("kaleyra.whatsapp: the transport returned " .. tostring(resp)
      .. " instead of a response table { status = <integer>, body = <string>, headers = {...} }", 0)
  end
  local body = resp.body
  if body ~= nil and type(body) ~= "string" then
    error("kaleyra.whatsapp: the transport's response body is a " .. type(body) .. ", not a string", 0)
  end
  if body and #body > MAX_RESPONSE then
    return nil, new_error("protocol", "the answer is larger than " .. MAX_RESPONSE .. " bytes",
      { sent = true })
  end
  return core.parse(req.op, resp.status, body or "", retry_after(resp.headers))
end

-- Sends a built request with the retry policy; sets attempts.
local function perform(self, req)
  local attempts = 0
  while true do
    attempts = attempts + 1
    local res, err = attempt(self, req)
    local out = res or err
    out.attempts = attempts
    if res then return res end
    local delay = self._sleep and M.retry_delay(err, attempts, self._retries)
    if not delay then return nil, err end
    self._sleep(delay)
  end
end

local function check_open(self)
  if getmetatable(self) ~= Client then
    error("bad argument #1 (kaleyra.whatsapp.Client expected, got " .. type(self) .. ")", 0)
  end
  if self._core == nil then error(CLOSED, 0) end
end

-- A raise from build carries this file's position; drop it.
local function unplace(message)
  if type(message) ~= "string" then return message end
  return (message:gsub("^[^\n:]*:%d+: ", "", 1))
end

-- Validates and builds (raises like the engine's calls do); then checks
-- that sending is possible here. Returns request or nil, err.
local function prepare(self, name, op, msg, positional)
  if positional and type(msg) ~= "table" then
    if type(msg) ~= "string" and type(msg) ~= "number" then
      error(("bad argument #1 to '%s' (string expected, got %s)"):format(name, type(msg)), 0)
    end
    msg = tostring(msg)
  elseif type(msg) ~= "table" then
    error(("bad argument #1 to '%s' (table expected, got %s)"):format(name, type(msg)), 0)
  end
  local ok, req, err = pcall(self._core.build, self._core, op, msg)
  if not ok then error(unplace(req), 4) end -- at the caller's line, as the engine's calls do
  if not req then return nil, err end
  req.timeout, req.connect_timeout = self._timeout, self._connect_timeout
  return req
end

local function send_op(self, name, op, msg, positional)
  check_open(self)
  if self._ngx then ngx_transport.check_phase(name, 3) end
  local req, err = prepare(self, name, op, msg, positional)
  if not req then return nil, err end
  local res
  res, err = perform(self, req)
  return res, err
end

-- One method per operation of the registry (core.ops): send_text,
-- mark_read, ...
for _, op in ipairs(core.ops) do
  local method, name, positional = op.method, op.name, op.positional ~= nil
  methods[method] = function(self, msg)
    local r, e = send_op(self, method, name, msg, positional)
    return r, e
  end
end

--- client:build(op, msg [, redact]): the request this client would send.
function methods:build(op, msg, redact)
  check_open(self)
  return self._core:build(op, msg, redact)
end

local MANY_KEYS = { concurrency = true, rate = true, on_progress = true, on_result = true }

local function many_options(opts)
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    error("bad argument #2 to 'send_many' (table expected, got " .. type(opts) .. ")", 0)
  end
  for key in pairs(opts) do
    if not MANY_KEYS[key] then error("send_many: unknown field '" .. tostring(key) .. "'", 0) end
  end
  local c = opts.concurrency
  if c ~= nil and (type(c) ~= "number" or c % 1 ~= 0 or c < 1 or c > 256) then
    error("bad argument #2 to 'send_many' (concurrency must be an integer from 1 to 256)", 0)
  end
  if opts.rate ~= nil and (type(opts.rate) ~= "number" or not (opts.rate > 0)) then
    error("bad argument #2 to 'send_many' (rate must be a positive number per second)", 0)
  end
  for _, key in ipairs { "on_progress", "on_result" } do
    if opts[key] ~= nil and type(opts[key]) ~= "function" then
      error("bad argument #2 to 'send_many' (" .. key .. " must be a function)", 0)
    end
  end
  return opts
end

-- One item of send_many: a result or an error, never a raise for bad items.
local function many_item(self, index, item)
  if type(item) ~= "table" then
    return nil, new_error("validation", ("item %d is a %s, not a message table"):format(index, type(item)),
      { field = "item" })
  end
  local op = item.op
  if op ~= nil and not SEND_OPS[op] then
    return nil, new_error("validation", "op must name an operation, such as text or mark_read",
      { field = "op" })
  end
  local msg = {}
  for k, v in pairs(item) do if k ~= "op" then msg[k] = v end end
  local ok, req, err = pcall(self._core.build, self._core, op or "text", msg)
  if not ok then return nil, new_error("validation", tostring(unplace(req))) end
  if not req then return nil, err end
  req.timeout, req.connect_timeout = self._timeout, self._connect_timeout
  return perform(self, req)
end

--- client:send_many(list_or_iterator [, opts]): one message at a time;
-- the same results as the engine's send_many (concurrency is checked
-- but has no effect here).
function methods:send_many(list, opts)
  check_open(self)
  local total
  if type(list) == "table" then
    total = #list
  elseif type(list) ~= "function" then
    error("bad argument #1 to 'send_many' (table expected, got " .. type(list) .. ")", 0)
  end
  opts = many_options(opts)
  if self._ngx then ngx_transport.check_phase("send_many", 2) end
  local results, done, ok, failed = {}, 0, 0, 0
  local start = self._clock and self._clock()
  local index = 0
  while true do
    local item
    if total then
      if index >= total then break end
      item = list[index + 1]
    else
      item = list()
      if item == nil then break end
    end
    index = index + 1
    if opts.rate and self._sleep then
      local wait = start + (index - 1) / opts.rate - self._clock()
      if wait > 0 then self._sleep(wait) end
    end
    local res, err = many_item(self, index, item)
    local entry
    if res then
      entry = { ok = true, status = res.status, code = res.code, message_id = res.message_id }
    else
      entry = { ok = false, error = err }
    end
    done = done + 1
    if res then ok = ok + 1 else failed = failed + 1 end
    if opts.on_result then opts.on_result(index, entry) else results[index] = entry end
    if opts.on_progress then opts.on_progress(done, total) end
  end
  if opts.on_result then return { total = done, ok = ok, failed = failed } end
  return results
end

local function engine_only(name)
  return function(self)
    check_open(self)
    error(("%s is not available with transport %s: it belongs to the libcurl engine; "
      .. "call the send_* methods%s"):format(name, self._name,
        self._ngx and " (from several requests, ngx.thread.spawn or timers to overlap them)" or ""), 0)
  end
end
for _, name in ipairs { "submit", "poll", "pending", "fd", "timeout" } do
  methods[name] = engine_only(name)
end

--- Idempotent; also run by __close (Lua 5.4) and, for the C part, by __gc.
function methods:close()
  if getmetatable(self) ~= Client then check_open(self) end
  if self._core then self._core:close() end
  self._core = nil
end
Client.__close = methods.close

function Client.__tostring(self)
  if self._core == nil then return "kaleyra.whatsapp.Client (closed)" end
  return ("kaleyra.whatsapp.Client (sid %s, transport %s)"):format(self._sid, self._name)
end

-- How to wait, and a clock for pacing: ngx.sleep inside nginx (where the
-- phase allows it), luasocket elsewhere, or nothing.
local function waiting()
  if ngx_transport.available() then
    return function(s) if ngx_transport.phase_allows_io() then ngx.sleep(s) end end,
      function() ngx.update_time() return ngx.now() end
  end
  local ok, socket = pcall(require, "socket")
  if ok and type(socket) == "table" and socket.sleep and socket.gettime then
    return socket.sleep, socket.gettime
  end
  return nil, nil
end

--- Wraps an open C client (which validated opts) into a transport client.
-- transport is "ngx" or a function; opts are the options new() got.
function M.new(c, transport, opts)
  local self = setmetatable({
    _core = c, _sid = opts.sid,
    _timeout = opts.timeout or DEFAULT_TIMEOUT,
    _connect_timeout = opts.connect_timeout or DEFAULT_CONNECT_TIMEOUT,
    _retries = opts.retries or DEFAULT_RETRIES,
  }, Client)
  if transport == "ngx" then
    self._name, self._ngx, self._send = "ngx", true, ngx_transport.request
  else
    self._name, self._send = "function", transport
  end
  self._sleep, self._clock = waiting()
  return self
end

M.Client = Client
return M
