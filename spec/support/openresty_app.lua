-- spec/support/openresty_app.lua - the app that spec/93-openresty_spec.lua
-- runs inside nginx's Lua module (LuaJIT), with the library loaded from
-- lua/ and build/luajit/. Each route sends through kaleyra.whatsapp to the
-- stand-in and answers with the outcome as JSON:
--   GET  /four         the four operations, on one client made in init_worker
--   POST /run          { options = {...}, op = "text", msg = {...} } on a fresh client
--   POST /many         { options = {...}, list = {...}, opts = {...} }: send_many's entries
--   GET  /many-slow    send_many: 16 texts, concurrency 8, each answered after 0.2 s
--   GET  /submit-poll  the same 16 through submit and poll
--   GET  /slow, /fast  one text message through a slow (1.5 s) and a normal stand-in path
--   GET  /log-phase    sends from the log phase: must raise (see error.log)
--   GET  /log-timer    sends from a timer started in the log phase: must work
--   GET  /dict?key=k   reads what init_worker and the timer left in the shared dict
--   POST /sequence     { clients = { options... }, calls = { { client, method, args }... } }:
--                      calls on several clients of one request, in order
-- Caveat: a test app, not an example: /run takes any options it is given.
local whatsapp = require "kaleyra.whatsapp"
local cjson = require "cjson.safe"
local account = require "standin_account"

local M = {}

local cfg = {}
local state = {}

function M.configure(c) cfg = c end

local function options(overrides)
  local o = {
    sid = account.credentials.sid, api_key = account.credentials.api_key,
    from = account.credentials.from, base_url = cfg.standin, timeout = 10,
  }
  for k, v in pairs(overrides or {}) do o[k] = v end
  return o
end

-- The outcome of a call as plain JSON-able tables.
local function outcome(res, err)
  if res then
    return { ok = true, result = {
      status = res.status, code = res.code, message = res.message, message_id = res.message_id,
      success = res.success, attempts = res.attempts,
    } }
  end
  return { ok = false, error = {
    kind = err.kind, status = err.status, code = err.code, message = err.message, field = err.field,
    retryable = err.retryable, sent = err.sent, attempts = err.attempts,
    retry_after = err.retry_after, text = tostring(err),
  } }
end

local function reply(value)
  ngx.header["Content-Type"] = "application/json"
  ngx.say(cjson.encode(value))
end

local TEXT = { to = account.magic.to, body = "hello from nginx" }

local function four(client)
  return {
    outcome(client:send_text(TEXT)),
    outcome(client:send_cta_url { to = account.magic.to, body = "Tap below", display_text = "See Dates",
      url = "https://www.luckyshrub.com/dates" }),
    outcome(client:send_flow { to = account.magic.to, body = "Pick a date", flow = {
      flow_id = "1120000000000207", flow_cta = "Book!", flow_action = "navigate",
      flow_action_payload = { screen = "WELCOME" } } }),
    outcome(client:publish_flow(account.magic.flow_id)),
  }
end

local function shared_client()
  if not state.client then state.client = assert(whatsapp.new(options())) end
  return state.client
end

function M.init_worker()
  local dict = ngx.shared.app
  -- Creating a client is allowed here (it sends nothing) ...
  local client, err = whatsapp.new(options())
  if not client then
    dict:set("init_worker_new", tostring(err))
    return
  end
  state.client = client
  dict:set("init_worker_new", tostring(client))
  -- ... sending is not: cosockets are disabled in init_worker.
  local ok, raised = pcall(client.send_text, client, TEXT)
  dict:set("init_worker_send", ok and "did not raise" or tostring(raised))
end

local routes = {}

function routes.four()
  reply(four(shared_client()))
end

function routes.run()
  ngx.req.read_body()
  local job = cjson.decode(ngx.req.get_body_data() or "")
  if type(job) ~= "table" then return ngx.exit(400) end
  local client, err = whatsapp.new(options(job.options))
  if not client then return reply(outcome(nil, err)) end
  local method = ({ text = "send_text", cta_url = "send_cta_url", flow = "send_flow",
    publish = "publish_flow", raw = "send" })[job.op]
  local out = outcome(client[method](client, job.msg))
  out.client = tostring(client)
  client:close()
  reply(out)
end

-- A send_many entry as plain JSON-able fields.
local function entry(e)
  if e.ok then return { ok = true, status = e.status, code = e.code, message_id = e.message_id } end
  local err = e.error
  return { ok = false, error = { kind = err.kind, status = err.status, code = err.code, field = err.field,
    message = err.message, retryable = err.retryable, sent = err.sent, attempts = err.attempts,
    retry_after = err.retry_after } }
end

function routes.many()
  ngx.req.read_body()
  local job = cjson.decode(ngx.req.get_body_data() or "")
  if type(job) ~= "table" then return ngx.exit(400) end
  local client, err = whatsapp.new(options(job.options))
  if not client then return reply(outcome(nil, err)) end
  local entries = client:send_many(job.list, job.opts)
  client:close()
  local out = {}
  for i, e in ipairs(entries) do out[i] = entry(e) end
  reply({ entries = out, n = #entries })
end

local function sixteen()
  local list = {}
  for i = 1, 16 do list[i] = { to = account.magic.to, body = "wave " .. i } end
  return list
end

routes["many-slow"] = function()
  local client = assert(whatsapp.new(options { base_url = cfg.standin .. "/fault/slow-200" }))
  local entries = client:send_many(sixteen(), { concurrency = 8 })
  client:close()
  local ok = 0
  for _, e in ipairs(entries) do if e.ok then ok = ok + 1 end end
  reply({ n = #entries, ok = ok })
end

routes["submit-poll"] = function()
  local client = assert(whatsapp.new(options { base_url = cfg.standin .. "/fault/slow-200", concurrency = 8 }))
  local ok, n = 0, 0
  for _, msg in ipairs(sixteen()) do
    assert(client:submit("text", msg, function(res) n = n + 1; if res then ok = ok + 1 end end))
  end
  for _ = 1, 1000 do
    if client:pending() == 0 then break end
    client:poll(1)
  end
  client:close()
  reply({ n = n, ok = ok })
end

function routes.slow()
  state.slow = state.slow or assert(whatsapp.new(options { base_url = cfg.standin .. "/fault/slow-1500" }))
  reply(outcome(state.slow:send_text(TEXT)))
end

function routes.fast()
  reply(outcome(shared_client():send_text(TEXT)))
end

-- POST /sequence { clients = { options, ... }, calls = { { client = i,
-- method = "send_text", args = { ... } }, ... } }: every call on its
-- client, in order, all clients alive together in this one request.
-- Answers the outcomes, and how each client and its request cache print.
function routes.sequence()
  ngx.req.read_body()
  local job = cjson.decode(ngx.req.get_body_data() or "")
  if type(job) ~= "table" then return ngx.exit(400) end
  local clients, out = {}, { outcomes = {}, clients = {}, caches = {} }
  for i, o in ipairs(job.clients) do
    local client, err = whatsapp.new(options(o))
    if not client then return reply(outcome(nil, err)) end
    clients[i] = client
  end
  for i, call in ipairs(job.calls) do
    local client = clients[call.client]
    local args = call.args or {}
    out.outcomes[i] = outcome(client[call.method](client, args[1], args[2]))
  end
  for i, client in ipairs(clients) do
    out.clients[i] = tostring(client)
    out.caches[i] = tostring(client._cache)
    client:close()
  end
  reply(out)
end

function routes.dict()
  ngx.say(ngx.shared.app:get(ngx.var.arg_key) or "")
end

function routes.new()
  local client, err = whatsapp.new(options { transport = ngx.var.arg_transport })
  local out = { client = client and tostring(client), error = err and tostring(err) }
  if client then client:close() end
  reply(out)
end

function M.handle()
  local route = routes[ngx.var.uri:match("^/([%w_-]+)$") or ""]
  if not route then return ngx.exit(404) end
  route()
end

function M.log_phase()
  shared_client():send_text(TEXT) -- raises: cosockets are disabled in the log phase
end

function M.log_timer()
  local ok, err = ngx.timer.at(0, function(premature)
    if premature then return end
    local out = outcome(shared_client():send_text(TEXT))
    ngx.shared.app:set("timer", cjson.encode(out))
  end)
  if not ok then ngx.shared.app:set("timer", "timer failed: " .. tostring(err)) end
end

return M
