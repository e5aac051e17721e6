--- kaleyra.whatsapp.receiver: receives Kaleyra's (or Meta's) callbacks
-- inside nginx's Lua module (OpenResty): checks the credentials, answers
-- 200 at once, drops redeliveries, and hands the events to your function
-- in a timer, so a slow function never delays Kaleyra.
--
--   local receiver = require("kaleyra.whatsapp.receiver").new {
--     auth = { basic = { user = "kaleyra", password = "..." } }, -- or bearer, header, signature
--     dict = "kaleyra_callbacks",   -- a lua_shared_dict: redeliveries dropped (optional)
--     window = 3600,                -- seconds a (message id, status) is remembered
--     on_events = function(events) ... end,
--   }
--   location = /kaleyra/callbacks { content_by_lua_block { receiver:handle() } }
--
-- Answers: 200 "ok" (also for a redelivery), 401 for bad credentials, 400
-- for a body that is not JSON, too deep, or over max_body (1 MiB), 405
-- for a method other than POST, 503 when no timer could be started (the
-- events are forgotten by the dedupe, so Kaleyra's retry is delivered).
-- Refusals are logged at warn level with the library's reason, which
-- never holds a secret or the body. See doc/callbacks.md.
-- @module kaleyra.whatsapp.receiver

local whatsapp = require "kaleyra.whatsapp"

local M = {}

local Receiver = {}
Receiver.__index = Receiver

local MAX_BODY = 1024 * 1024
local OPTIONS = { auth = true, dict = true, window = true, on_events = true, max_body = true }
local AUTH = { basic = true, bearer = true, header = true, signature = true }

--- The key under which an event is remembered, or nil (never dropped).
-- A status by (message id, status), a message by its id, a template
-- status by (template, status, time).
function M.dedupe_key(ev)
  if ev.event == "status" and ev.message_id and ev.status then
    return "s\0" .. ev.message_id .. "\0" .. ev.status
  elseif ev.event == "message" and ev.id then
    return "m\0" .. ev.id
  elseif ev.event == "template_status" and ev.template_id then
    return "t\0" .. ev.template_id .. "\0" .. tostring(ev.status) .. "\0" .. tostring(ev.timestamp)
  end
  return nil
end

--- Makes a receiver. Raises on bad options (a bug in the configuration).
-- @tparam table opts on_events (required), auth, dict, window, max_body
function M.new(opts)
  if type(opts) ~= "table" then error("receiver.new: options must be a table", 2) end
  for k in pairs(opts) do
    if not OPTIONS[k] then error("receiver.new: unknown option '" .. tostring(k) .. "'", 2) end
  end
  if type(opts.on_events) ~= "function" then error("receiver.new: on_events must be a function", 2) end
  local auth = opts.auth
  if auth ~= nil then
    if type(auth) ~= "table" then error("receiver.new: auth must be a table", 2) end
    local n = 0
    for k in pairs(auth) do
      if not AUTH[k] then error("receiver.new: unknown auth '" .. tostring(k) .. "'", 2) end
      n = n + 1
    end
    if n ~= 1 then error("receiver.new: auth takes one of basic, bearer, header, signature", 2) end
    local b, hd = auth.basic, auth.header
    if b and (type(b) ~= "table" or type(b.user) ~= "string" or type(b.password) ~= "string") then
      error("receiver.new: auth.basic must be { user = string, password = string }", 2)
    elseif hd and (type(hd) ~= "table" or type(hd.name) ~= "string" or type(hd.value) ~= "string") then
      error("receiver.new: auth.header must be { name = string, value = string }", 2)
    elseif auth.bearer and type(auth.bearer) ~= "string" or auth.signature and type(auth.signature) ~= "string" then
      error("receiver.new: auth.bearer and auth.signature are strings", 2)
    end
  end
  return setmetatable({
    auth = auth, on_events = opts.on_events, dict_name = opts.dict,
    window = opts.window or 3600, max_body = opts.max_body or MAX_BODY,
  }, Receiver)
end

-- true, or false and a reason (the library's words).
local function authorized(auth, headers, body)
  if not auth then return true end
  if auth.basic then
    return whatsapp.check_basic(headers["authorization"], auth.basic.user, auth.basic.password)
  elseif auth.bearer then
    return whatsapp.check_bearer(headers["authorization"], auth.bearer)
  elseif auth.header then
    return whatsapp.check_header(headers[auth.header.name:lower()], auth.header.value)
  end
  return whatsapp.verify_signature(body, headers["x-hub-signature-256"], auth.signature)
end

local function deliver(premature, fn, events)
  -- premature: the worker is stopping; the events are still handed over,
  -- since Kaleyra has had its 200 and will not send them again
  local ok, err = pcall(fn, events, premature)
  if not ok then ngx.log(ngx.ERR, "kaleyra callbacks: on_events raised: ", tostring(err)) end
end

local function answer(status, text)
  ngx.status = status
  ngx.header["Content-Type"] = "text/plain"
  ngx.print(text, "\n")
  return ngx.exit(status)
end

local function read_body(max)
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if body == nil and ngx.req.get_body_file() ~= nil then
    return nil, "body over client_body_buffer_size (make it at least the 1 MiB limit)"
  end
  if body == nil then return nil, "empty body" end
  if #body > max then return nil, "body is larger than " .. max .. " bytes" end
  return body
end

--- The content handler: call it from content_by_lua_block.
function Receiver:handle()
  if ngx.req.get_method() ~= "POST" then return answer(405, "POST only") end
  local body, why = read_body(self.max_body)
  local headers = ngx.req.get_headers(50)
  -- the credentials first: an unauthenticated caller learns nothing of the body rules
  local ok, reason = authorized(self.auth, headers, body or "")
  if not ok then
    ngx.log(ngx.WARN, "kaleyra callbacks: 401: ", reason)
    return answer(401, "unauthorized")
  end
  if not body then
    ngx.log(ngx.WARN, "kaleyra callbacks: 400: ", why)
    return answer(400, "bad request")
  end
  local events, err = whatsapp.parse_callback(body)
  if not events then
    ngx.log(ngx.WARN, "kaleyra callbacks: 400: ", tostring(err))
    return answer(400, "bad request")
  end
  local dict = self.dict_name and ngx.shared[self.dict_name]
  if self.dict_name and not dict then
    error("kaleyra callbacks: no lua_shared_dict " .. self.dict_name .. " in nginx.conf")
  end
  local fresh, keys = {}, {}
  for _, ev in ipairs(events) do
    local key = dict and M.dedupe_key(ev)
    if key == nil then
      fresh[#fresh + 1] = ev
    elseif dict:add(key, true, self.window) then
      fresh[#fresh + 1] = ev
      keys[#keys + 1] = key
    end
  end
  if #fresh > 0 then
    local started, terr = ngx.timer.at(0, deliver, self.on_events, fresh)
    if not started then
      for _, key in ipairs(keys) do dict:delete(key) end
      ngx.log(ngx.ERR, "kaleyra callbacks: 503: cannot start a timer: ", terr)
      return answer(503, "busy")
    end
  end
  return answer(200, "ok")
end

return M
