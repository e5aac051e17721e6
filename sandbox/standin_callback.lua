-- sandbox/standin_callback.lua: the stand-in calling back, as Kaleyra does. For every accepted
-- message (when a callback URL is configured) it POSTs, in Kaleyra's documented v2 shape
-- (../shared/api-docs/callbacks.md), one callback after the other from an ngx.timer:
--   sent, delivered, read status callbacks carrying the message's extra_info ref/ref1/ref2 and, at
--   the top level, the message_id the send answered;
--   to MAGIC.to_failed: sent then failed (131026); to MAGIC.to_not_sent: a NOT-SENT (WAV2101);
--   a Flow message to MAGIC.to_flow_reply: then an incoming nfm_reply whose response_json is the
--   Flow's flow_action_payload.data with its flow_token;
--   a CTA URL message: then an incoming text reply.
-- The URL must be http on a loopback address; user:password@ in it become Basic authentication.
-- Each POST is recorded in records.jsonl as { callback = <event>, status = <HTTP status> }.
-- Caveats: runs inside nginx (LuaJIT, cosockets); one connection per callback (Connection:
-- close); each POST waits at most 2 s, and a failed one is logged and not retried.
local cjson = require "cjson.safe"
local account = require "standin_account"

local M = {}

local MAGIC = account.magic
local PAUSE = 0.02 -- seconds between two callbacks of one message
local TIMEOUT_MS = 2000
local PHONE_NUMBER_ID = "104600000000001"
local WABA_ID = "347000000000069"

local target -- { host, port, path, auth } or nil

-- Parses http://[user:pass@]127.0.0.1|localhost|[::1]:port/path; returns a target or nil, why.
function M.parse_url(url)
  if url == nil or url == "" then return nil end
  local userinfo, host, port, path = url:match("^http://([^@/]+)@([^/:]+):(%d+)(/?.*)$")
  if not host then
    host, port, path = url:match("^http://([^/:@]+):(%d+)(/?.*)$")
  end
  if not host then
    host, port, path = url:match("^http://%[(::1)%]:(%d+)(/?.*)$")
  end
  if not host then return nil, "callback URL must be http://[user:password@]127.0.0.1:PORT/path" end
  if host == "localhost" then host = "127.0.0.1" end
  if host ~= "127.0.0.1" and host ~= "::1" then return nil, "callback URL must be on a loopback address" end
  return { host = host, port = tonumber(port), path = path ~= "" and path or "/",
    auth = userinfo and ("Basic " .. ngx.encode_base64(ngx.unescape_uri(userinfo))) }
end

-- Called from init_by_lua with the launcher's value; raises on a bad URL so nginx does not start.
function M.configure(url)
  local t, err = M.parse_url(url)
  if err then error("standin: " .. err) end
  target = t
end

function M.enabled() return target ~= nil end

local function post(body)
  local sock = ngx.socket.tcp()
  sock:settimeout(TIMEOUT_MS)
  local host = target.host == "::1" and "[::1]" or target.host
  local ok, err = sock:connect(host == "[::1]" and "::1" or host, target.port)
  if not ok then return nil, err end
  local head = {
    "POST " .. target.path .. " HTTP/1.1", "Host: " .. host .. ":" .. target.port,
    "Content-Type: application/json", "Content-Length: " .. #body, "Connection: close",
    "User-Agent: kaleyra-sandbox",
  }
  if target.auth then head[#head + 1] = "Authorization: " .. target.auth end
  ok, err = sock:send(table.concat(head, "\r\n") .. "\r\n\r\n" .. body)
  if not ok then sock:close() return nil, err end
  local line
  line, err = sock:receive("*l")
  sock:close()
  if not line then return nil, err end
  return tonumber(line:match("^HTTP/%d%.%d (%d%d%d)")) or 0
end

local function record(rec)
  local f = io.open(ngx.config.prefix() .. "/records.jsonl", "a")
  if not f then return end
  f:write(cjson.encode(rec), "\n")
  f:close()
end

local function metadata(from)
  return { display_phone_number = from, phone_number_id = PHONE_NUMBER_ID }
end

local seq = 0
local function hex32()
  seq = seq + 1
  return ngx.md5(ngx.now() .. ":" .. ngx.worker.pid() .. ":" .. seq)
end

local function status_callback(job, to, status, errors)
  local st = {
    id = hex32(), status = status, timestamp = tostring(math.floor(ngx.now())), recipient_id = to,
  }
  if status == "sent" or status == "delivered" then
    st.conversation = { id = hex32(), origin = { type = "service" } }
    st.pricing = { billable = true, pricing_model = "PMP", category = "service" }
  end
  st.errors = errors
  return {
    meta_object = { field = "messages", value = {
      messaging_product = "whatsapp", metadata = metadata(job.from), statuses = { st },
    } },
    extra_info = {
      trace_id = hex32(), message_id = "wamid.SANDBOX" .. job.message_id, waba_id = WABA_ID,
      ref = job.ref or "", ref1 = job.ref1 or "", ref2 = job.ref2 or "",
      enable_url_tracking_body = false, enable_url_tracking_button = false,
    },
    status = status, message_id = job.message_id,
  }
end

local function not_sent_callback(job)
  return {
    code = "WAV2101", status = "not sent", reason = "Account daily limit reached", message_id = job.message_id,
    extra_info = {
      enable_url_tracking_body = false, enable_url_tracking_button = false,
      message_id = "wamid.SANDBOX" .. job.message_id, waba_id = WABA_ID,
      ref = job.ref or "", ref1 = job.ref1 or "", ref2 = job.ref2 or "",
    },
  }
end

local function incoming(job, to, message)
  message.from = to
  message.id = "wamid.SANDBOXIN" .. hex32()
  message.timestamp = tostring(math.floor(ngx.now()))
  message.context = { from = job.from, id = "wamid.SANDBOX" .. job.message_id }
  return {
    meta_object = { field = "messages", value = {
      messaging_product = "whatsapp", metadata = metadata(job.from),
      contacts = { { profile = { name = "Sandbox User" }, wa_id = to } },
      messages = { message },
    } },
    extra_info = {
      media_url = "", ref = job.ref or "", ref1 = job.ref1 or "", ref2 = job.ref2 or "",
      reply_to = job.message_id, trace_id = hex32(), waba_id = WABA_ID,
    },
  }
end

-- The callbacks one recipient of job gets, in order: a list of { name, body }.
local function plan(job, to)
  if to == MAGIC.to_not_sent:gsub("^%+", "") then
    return { { "not-sent", not_sent_callback(job) } }
  end
  local list = { { "sent", status_callback(job, to, "sent") } }
  if to == MAGIC.to_failed:gsub("^%+", "") then
    list[2] = { "failed", status_callback(job, to, "failed", { {
      code = 131026, title = "Message undeliverable", message = "Message undeliverable",
      error_data = { details = "Message Undeliverable." } } }) }
    return list
  end
  list[#list + 1] = { "delivered", status_callback(job, to, "delivered") }
  list[#list + 1] = { "read", status_callback(job, to, "read") }
  if job.kind == "flow" and to == MAGIC.to_flow_reply:gsub("^%+", "") then
    local response = {}
    for k, v in pairs(type(job.flow_data) == "table" and job.flow_data or {}) do response[k] = v end
    response.flow_token = job.flow_token
    list[#list + 1] = { "nfm_reply", incoming(job, to, { type = "interactive", interactive = {
      type = "nfm_reply", nfm_reply = { name = "flow", body = "Sent", response_json = cjson.encode(response) } } }) }
  elseif job.kind == "cta_url" then
    list[#list + 1] = { "text", incoming(job, to, { type = "text", text = { body = "Thanks, I opened the link." } }) }
  end
  return list
end

local function run(premature, job)
  if premature then return end
  for _, to in ipairs(job.to) do
    for _, item in ipairs(plan(job, to)) do
      local status, err = post(cjson.encode(item[2]))
      if not status then ngx.log(ngx.WARN, "standin: callback ", item[1], " failed: ", err) end
      record { callback = item[1], message_id = job.message_id, to = to, status = status, error = err, t = ngx.now() }
      ngx.sleep(PAUSE)
    end
  end
end

-- Schedules the callbacks of an accepted message. tree is the decoded request (dkjson), numbers
-- its recipients without "+", from the business number without "+".
function M.schedule(tree, numbers, from, message_id)
  if not target then return end
  local mo, extra = tree.messaging_object, tree.extra_info or {}
  local job = { to = numbers, from = from, message_id = message_id, ref = extra.ref, ref1 = extra.ref1,
    ref2 = extra.ref2, kind = mo.type == "interactive" and type(mo.interactive) == "table"
      and mo.interactive.type or mo.type }
  if job.kind == "flow" then
    local params = type(mo.interactive.action) == "table" and mo.interactive.action.parameters or {}
    job.flow_token = params.flow_token
    job.flow_data = type(params.flow_action_payload) == "table" and params.flow_action_payload.data or nil
  end
  local ok, err = ngx.timer.at(0, run, job)
  if not ok then ngx.log(ngx.ERR, "standin: cannot schedule callbacks: ", err) end
end

return M
