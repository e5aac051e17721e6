-- sandbox/standin.lua: the Kaleyra WhatsApp API v2 stand-in that runs inside nginx (LuaJIT,
-- lua-nginx-module). It routes a request, works out the documented answer (or the injected fault
-- that /fault/<mode>/... asks for), appends one record to <prefix>/records.jsonl and then answers.
-- The record is written before the answer, so a client that has its response can already read it.
-- Entry points: M.handle() runs as the content handler and M.finish() as the log handler. The
-- log phase runs even when a request is aborted, so the in-flight counter always goes back down.
-- Caveats: it needs lua_shared_dict "standin". It assumes one worker: records are appended with
-- plain io, so several workers could interleave long lines.
local cjson = require "cjson.safe"
local shape = require "standin_shape"
local multipart = require "standin_multipart"
local account = require "standin_account"
local callback = require "standin_callback"
local flows = require "standin_flows"

local M = {}

local CRED, MAGIC = account.credentials, account.magic
local JSON = { ["Content-Type"] = "application/json" }

-- Bodies copied from the api-docs, in their key order (compact). "data": [] in RBC001 is an array.
local RBC001 = [[{"code":"RBC001","message":"Incorrect SID or API key.","data":[],"error":{"error":"Incorrect SID or API key."}}]]
local NO_API_MSG = "API is not available for given customer.Please contact support for more info"
local VERSION_MSG = "The phone number you're using is associated with different Version of our WA API. Please use the appropriate endpoint."
local MSG = {
  account = [[{"code":"WA-401","message":"]] .. NO_API_MSG .. [[","data":{},"error":{"account":"]] .. NO_API_MSG .. [["}}]],
  version = [[{"code":"WA-401","message":"]] .. VERSION_MSG .. [[","data":{},"error":{"phone_number":"]] .. VERSION_MSG .. [["}}]],
  WA401 = [[{"code":"WA401","message":"Phone number is not present or does not belong to the account.","data":{},"error":{"phone_number":"Phone number is not present or does not belong to the account."}}]],
  WA400 = [[{"code":"WA400","message":"Refer to correct payload format","data":{},"error":{"payload":"Incorrect payload format"}}]],
  WA500 = [[{"code":"WA500","message":"Please try again later","data":{},"error":{"error":"Internal server error"}}]],
  -- Neither body is documented (templates-media-read.md, section 6.2): the code and reason are,
  -- the shape follows the documented errors.
  WAV2101 = [[{"code":"WAV2101","message":"Account daily limit reached","data":{},"error":{"account":"Account daily limit reached"}}]],
  throttled = [[{"code":"WA400","message":"Refer to correct payload format","data":{},"error":{"code":130429,"message":"(#130429) Rate limit hit"}}]],
  E110 = [[{"code":"E110","message":"Please check your balance, You have a low balance!","data":{},"error":{"balance":"Please check your balance, You have a low balance!"}}]],
}
local PUBLISH = {
  -- The publish doc's account error is a plain string, unlike the messages one.
  account = [[{"code":"WA-401","message":"]] .. NO_API_MSG .. [[","data":{},"error":"]] .. NO_API_MSG .. [["}]],
  flow_id = [[{"code":"WA-401","message":"The flow_id either does not exist or does not belong to the account.","data":{},"error":{"flow_id":"The flow_id either does not exist or does not belong to the account."}}]],
  ["WA-400"] = [[{"code":"WA-400","message":"Refer to correct payload format","data":{},"error":{"payload":"Incorrect payload format"}}]],
  ["WA-500"] = [[{"code":"WA-500","message":"Please try again later","data":{},"error":{"error":"Internal server error"}}]],
  ok = [[{"success": true}]],
}
-- The docs' success sample exactly as printed, missing commas and all: not valid JSON.
local DOCS_202 = '{\n"code":"WA202"\n"message":"Request Accepted",\n"data":{\n"message_id":"AXXXXXXXXXXXXXXXXXXX"\n}\n"error":{}\n}'
local HTML_502 = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n</body>\n</html>\n"

local function answer(status, code, body, headers)
  return { status = status, code = code, body = body, headers = headers or JSON }
end

local function not_found(path)
  return answer(404, "NOT_FOUND", cjson.encode {
    code = "NOT_FOUND", message = "No such endpoint in the Kaleyra sandbox", error = { path = path },
  })
end

-- 20 characters like the docs' "AXXXXXXXXXXXXXXXXXXX": worker pid (hex) and a shared counter.
local function new_message_id()
  local seq = ngx.shared.standin:incr("message_seq", 1, 0)
  return string.format("A%06X%013d", ngx.worker.pid() % 0x1000000, seq)
end

local function accepted()
  local id = new_message_id()
  local body = '{"code":"WA202","message":"Request Accepted","data":{"message_id":"' .. id .. '"},"error":{}}'
  return answer(202, "WA202", body), id
end

-- Returns "ok", "no_api" or "bad" for the sid in the path and the api-key header.
local function authenticate(sid, headers)
  if headers["api-key"] ~= CRED.api_key then return "bad" end
  if sid == CRED.sid then return "ok" end
  if sid == MAGIC.sid_no_api then return "no_api" end
  return "bad"
end

local function without_plus(number) return (number:gsub("^%+", "")) end

local function is_json_content_type(value)
  if type(value) ~= "string" then return false end
  local media = value:match("^%s*([^;]-)%s*;") or value:match("^%s*(.-)%s*$")
  return media:lower() == "application/json"
end

local function send_message(rec, sid, from)
  local auth = authenticate(sid, rec.headers)
  if auth == "bad" then return answer(401, "RBC001", RBC001) end
  if auth == "no_api" then return answer(401, "WA-401", MSG.account) end
  from = without_plus(from)
  if from == without_plus(MAGIC.from_other_version) then return answer(401, "WA-401", MSG.version) end
  if from ~= without_plus(CRED.from) then return answer(401, "WA401", MSG.WA401) end

  local tree, reason
  if not is_json_content_type(rec.headers["content-type"]) then
    reason = "Content-Type must be application/json"
  else
    tree, reason = shape.decode(rec.body)
    if tree then
      local ok
      ok, reason = shape.check_message(tree)
      if ok then reason = nil end
    end
  end
  if not reason and tree.messaging_object.type == "template" then
    local ok
    ok, reason = shape.check_template_store(tree.messaging_object.template, account.templates)
    if ok then reason = nil end
  end
  if reason then
    rec.reason = reason
    return answer(400, "WA400", MSG.WA400, { ["Content-Type"] = "application/json", ["X-Sandbox-Reason"] = reason })
  end

  -- A read receipt: Meta's answer (Kaleyra's own is not documented).
  if tree.messaging_object.status == "read" then return answer(200, nil, [[{"success": true}]]) end
  for _, number in ipairs(shape.recipients(tree.messaging_object.to)) do
    if number == without_plus(MAGIC.to_low_balance) then return answer(400, "E110", MSG.E110) end
    if number == without_plus(MAGIC.to_server_error) then return answer(500, "WA500", MSG.WA500) end
    if number == without_plus(MAGIC.to_daily_limit) then return answer(429, "WAV2101", MSG.WAV2101) end
    if number == without_plus(MAGIC.to_throttled) then return answer(400, "WA400", MSG.throttled) end
    -- Lets a client that validates payloads itself still see a server-side WA400.
    if number == without_plus(MAGIC.to_bad_payload) then
      rec.reason = "magic recipient " .. MAGIC.to_bad_payload
      return answer(400, "WA400", MSG.WA400, { ["Content-Type"] = "application/json", ["X-Sandbox-Reason"] = rec.reason })
    end
  end
  local ok, id = accepted()
  rec.message_id = id
  if callback.enabled() then
    callback.schedule(tree, shape.recipients(tree.messaging_object.to), from, id)
  end
  return ok
end

-- Media upload (templates-media-read.md, section 2.1): multipart fields `file` and `type`; the
-- MIME type and size are checked against Meta's limits per media class. The answer body is not
-- documented: Meta's {"id": "..."} is what the stand-in gives.
local MB = 1024 * 1024
local MEDIA_LIMITS = {
  ["image/jpeg"] = 5 * MB, ["image/png"] = 5 * MB, ["video/mp4"] = 16 * MB, ["video/3gpp"] = 16 * MB,
  ["audio/aac"] = 16 * MB, ["audio/amr"] = 16 * MB, ["audio/mpeg"] = 16 * MB, ["audio/mp4"] = 16 * MB,
  ["audio/ogg"] = 16 * MB, ["text/plain"] = 100 * MB, ["application/pdf"] = 100 * MB,
  ["application/msword"] = 100 * MB, ["application/vnd.ms-excel"] = 100 * MB,
  ["application/vnd.ms-powerpoint"] = 100 * MB,
  ["application/vnd.openxmlformats-officedocument.wordprocessingml.document"] = 100 * MB,
  ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"] = 100 * MB,
  ["application/vnd.openxmlformats-officedocument.presentationml.presentation"] = 100 * MB,
  ["image/webp"] = 500 * 1024,
}

-- A chunk reader over the request body: nginx's buffer, or the file it spooled the body to.
local function body_reader()
  local data = ngx.req.get_body_data()
  if data then
    local done = false
    return function()
      if done then return nil end
      done = true
      return data
    end
  end
  local name = ngx.req.get_body_file()
  local f = name and io.open(name, "rb")
  if not f then return function() return nil end end
  return function()
    local chunk = f:read(64 * 1024)
    if not chunk then f:close() end
    return chunk
  end
end

local function upload_media(rec, sid, from)
  local auth = authenticate(sid, rec.headers)
  if auth == "bad" then return answer(401, "RBC001", RBC001) end
  if auth == "no_api" then return answer(401, "WA-401", MSG.account) end
  if without_plus(from) ~= without_plus(CRED.from) then return answer(401, "WA401", MSG.WA401) end
  local function bad(reason)
    rec.reason = reason
    return answer(400, "WA400", MSG.WA400, { ["Content-Type"] = "application/json", ["X-Sandbox-Reason"] = reason })
  end
  local boundary = multipart.boundary(rec.headers["content-type"])
  if not boundary then return bad("Content-Type must be multipart/form-data with a boundary") end
  local parts, why = multipart.parse(body_reader(), boundary)
  if not parts then return bad(why) end
  local by_name = {}
  for _, part in ipairs(parts) do by_name[part.name or ""] = part end
  local file, mime = by_name.file, by_name.type and by_name.type.value
  rec.upload = { parts = #parts, size = file and file.size, type = mime, filename = file and file.filename }
  if not file or file.size == 0 then return bad("the file part is missing or empty") end
  if not MEDIA_LIMITS[mime or ""] then return bad("type is not a MIME type WhatsApp takes") end
  if file.size > MEDIA_LIMITS[mime] then
    return bad(("the file is larger than the %d bytes WhatsApp takes for %s"):format(MEDIA_LIMITS[mime], mime))
  end
  local id = ("1%015d"):format(ngx.shared.standin:incr("media_seq", 1, 0))
  rec.media_id = id
  return answer(200, nil, '{"id":"' .. id .. '"}')
end

local function publish_flow(rec, sid, flow_id)
  local auth = authenticate(sid, rec.headers)
  if auth == "bad" then return answer(401, "RBC001", RBC001) end
  if auth == "no_api" then return answer(401, "WA-401", PUBLISH.account) end
  if not flow_id:match("^%d+$") or flow_id == MAGIC.flow_id_bad_payload then
    return answer(400, "WA-400", PUBLISH["WA-400"])
  end
  if flow_id == MAGIC.flow_id_unknown then return answer(401, "WA-401", PUBLISH.flow_id) end
  if flow_id == MAGIC.flow_id_server_error then return answer(500, "WA-500", PUBLISH["WA-500"]) end
  return answer(200, nil, PUBLISH.ok)
end

-- { method, pattern, handler(rec, sid, segment) }: messages, uploads, then the Flow lifecycle
-- (standin_flows.lua, whose publish falls back to publish_flow for Flows it does not hold).
local ROUTES = {
  { "POST", "^/v2/([^/]+)/whatsapp/([^/]+)/messages$", send_message },
  { "POST", "^/v2/([^/]+)/whatsapp/([^/]+)/media$", upload_media },
}
for _, route in ipairs(flows.routes { authenticate = authenticate, answer = answer, RBC001 = RBC001,
  PUBLISH = PUBLISH, publish = function(rec, id) return publish_flow(rec, rec.sid, id) end }) do
  ROUTES[#ROUTES + 1] = route
end

local function find_route(method, path)
  for _, route in ipairs(ROUTES) do
    if route[1] == method then
      local a, b = path:match(route[2])
      if a then return route[3], a, b end
    end
  end
  return nil
end

-- Faults that replace the endpoint's answer outright. "slow-<ms>" delays the real answer and "cut"
-- truncates it; respond() and M.handle() deal with those two.
local CANNED_FAULTS = {
  ["docs-202"] = function() return answer(202, "WA202", DOCS_202) end,
  ["html-502"] = function() return answer(502, nil, HTML_502, { ["Content-Type"] = "text/html" }) end,
  ["bad-json"] = function() return answer(400, nil, '{"code": "WA400", "mess') end,
  ["empty-200"] = function() return answer(200, nil, "") end,
  -- A 202 whose body is one byte over the 1 MiB every client refuses.
  ["oversize"] = function() return answer(202, "WA202", string.rep(" ", 1024 * 1024 + 1)) end,
  -- Bytes that are not HTTP at all (a server of another protocol at base_url).
  ["garbage"] = function() return { status = 444, garbage = true } end,
}

-- endpoint_path is the path without /fault/<mode>; 3xx answers point Location there, so a client
-- that follows redirects shows up as a second record.
local function status_fault(code, endpoint_path)
  local status = tonumber(code)
  if not status or status < 200 or status > 599 then return nil end
  local headers = { ["Content-Type"] = "application/json" }
  if status == 429 or status == 503 then headers["Retry-After"] = "1" end
  if status >= 300 and status < 400 then headers["Location"] = endpoint_path end
  -- 204 and 304 may not carry a body.
  local body = (status == 204 or status == 304) and "" or cjson.encode {
    code = "FAULT" .. status, message = "Injected HTTP status " .. status, error = { fault = "status-" .. status },
  }
  return answer(status, "FAULT" .. status, body, headers)
end

-- "random-<seed>" (for soak tests): each request draws one outcome, deterministically from the
-- seed and a per-instance request counter, with these odds per 10000. The rest are answered
-- normally. 429 and 503 say Retry-After: 0, so a client that retries them backs off briefly.
local RANDOM_ODDS = {
  { "503", 25 }, { "429", 25 }, { "WA500", 50 }, { "reset", 30 }, { "cut", 20 },
  { "html-502", 20 }, { "slow", 5 },
}
local RANDOM_SLOW_MS = 2000

-- A uniform number in 0..9999 from md5("<seed>:<n>"): the same seed gives the same sequence.
local function random_draw(seed, n)
  return tonumber(ngx.md5(seed .. ":" .. n):sub(1, 8), 16) % 10000
end

local function random_fault(rec, seed, handler, a, b)
  local n = ngx.shared.standin:incr("random_seq", 1, 0)
  local u, outcome = random_draw(seed, n), "normal"
  for _, odds in ipairs(RANDOM_ODDS) do
    if u < odds[2] then outcome = odds[1] break end
    u = u - odds[2]
  end
  rec.random = outcome
  if outcome == "503" or outcome == "429" then
    local ans = status_fault(outcome, "")
    ans.headers["Retry-After"] = "0"
    return ans
  elseif outcome == "WA500" then
    return answer(500, "WA500", MSG.WA500)
  elseif outcome == "reset" then
    return { status = 444, reset = true }
  elseif outcome == "html-502" then
    return CANNED_FAULTS["html-502"]()
  end
  local ans = handler(rec, a, b)
  if outcome == "cut" then ans.cut = true end
  if outcome == "slow" then ans.delay = RANDOM_SLOW_MS / 1000 end
  return ans
end

-- Returns the answer table for this request. For slow-<ms> it carries .delay (seconds), for
-- cut .cut and for reset .reset; M.handle() applies those after the record is written.
local function respond(rec)
  local path = rec.path
  local mode, inner = path:match("^/fault/([^/]+)(/.*)$")
  if mode then rec.fault, path = mode, inner end
  local handler, a, b = find_route(rec.method, path)
  if not handler then return not_found(rec.path) end
  rec.sid = a
  if not mode then return handler(rec, a, b) end
  if mode == "cut" then
    local ans = handler(rec, a, b)
    ans.cut = true
    return ans
  end

  if mode == "reset" then return { status = 444, reset = true } end
  -- The first request on a connection is answered, later ones are reset: the race a client meets
  -- when a kept-alive connection dies under a request it reused the connection for.
  if mode == "reset-reused" then
    if (rec.connection_requests or 1) > 1 then return { status = 444, reset = true } end
    return handler(rec, a, b)
  end
  local seed = mode:match("^random%-(%d+)$")
  if seed then return random_fault(rec, tonumber(seed), handler, a, b) end

  local ms = mode:match("^slow%-(%d+)$")
  if ms then
    local ans = handler(rec, a, b)
    ans.delay = math.min(tonumber(ms), 60000) / 1000
    return ans
  end
  local canned = CANNED_FAULTS[mode]
  if canned then return canned() end
  local status = mode:match("^status%-(%d+)$")
  return status and status_fault(status, path) or not_found(rec.path)
end

local function read_body()
  ngx.req.read_body()
  local data = ngx.req.get_body_data()
  if data then return data end
  -- Bodies larger than client_body_buffer_size are spooled to a file.
  local file_name = ngx.req.get_body_file()
  local f = file_name and io.open(file_name, "rb")
  if not f then return nil end
  data = f:read("*a")
  f:close()
  return data
end

local function append_record(rec)
  local line = cjson.encode(rec)
  if not line then
    line = cjson.encode { method = rec.method, uri = rec.uri, status = rec.status, error = "record not encodable" }
  end
  local f, err = io.open(ngx.config.prefix() .. "/records.jsonl", "a")
  if not f then
    ngx.log(ngx.ERR, "standin: cannot append record: ", err)
    return
  end
  f:write(line, "\n")
  f:close()
end

local function send(ans)
  ngx.status = ans.status
  for name, value in pairs(ans.headers) do ngx.header[name] = value end
  ngx.header["Content-Length"] = #ans.body
  ngx.print(ans.body)
end

-- The "cut" fault: promise the whole body, send half of it, then drop the connection.
local function send_cut(ans)
  ngx.status = ans.status
  for name, value in pairs(ans.headers) do ngx.header[name] = value end
  ngx.header["Content-Length"] = #ans.body
  ngx.print(ans.body:sub(1, math.floor(#ans.body / 2)))
  ngx.flush(true)
  return ngx.exit(ngx.ERROR)
end

-- The "garbage" fault: write bytes that are not an HTTP answer on the raw connection, then close.
local function send_garbage()
  local sock = ngx.req.socket(true)
  if sock then sock:send("SSH-2.0-OpenSSH_9.2 not HTTP\r\n\r\n") end
  return ngx.exit(444)
end

function M.handle()
  local inflight = ngx.shared.standin:incr("inflight", 1, 0)
  ngx.ctx.standin_counted = true
  local headers = ngx.req.get_headers(0)
  local rec = {
    method = ngx.req.get_method(),
    uri = ngx.var.request_uri,
    path = ngx.var.uri,
    headers = headers,
    connection = tonumber(ngx.var.connection),
    connection_requests = tonumber(ngx.var.connection_requests),
    inflight = inflight,
    t = ngx.now(),
  }
  if ngx.var.uri:match("/media$") then
    -- an upload may be 100 MB: upload_media streams it from nginx's spool file, and the record
    -- keeps a summary (rec.upload) instead of the body
    ngx.req.read_body()
  else
    rec.body = read_body()
  end
  rec.args = ngx.req.get_uri_args()

  local ok, ans = pcall(respond, rec)
  if not ok then
    ngx.log(ngx.ERR, "standin: ", ans)
    rec.error = tostring(ans)
    ans = answer(500, "SANDBOX_BUG", cjson.encode { code = "SANDBOX_BUG", message = tostring(ans) })
  end
  rec.status, rec.code = ans.status, ans.code
  append_record(rec)
  if ans.delay then
    -- A client that gives up mid-sleep ends the request (499), so it stops counting as in flight.
    ngx.on_abort(function() return ngx.exit(499) end)
    ngx.sleep(ans.delay)
  end
  -- 444: nginx closes the connection without a word, like a peer that resets it.
  if ans.reset then return ngx.exit(444) end
  if ans.garbage then return send_garbage() end
  if ans.cut then return send_cut(ans) end
  return send(ans)
end

function M.finish()
  if ngx.ctx.standin_counted then ngx.shared.standin:incr("inflight", -1, 0) end
end

return M
