-- spec/00-standin_spec.lua: end-to-end checks of the local Kaleyra stand-in (sandbox/). It starts
-- real nginx through sandbox/launcher.lua and drives it over 127.0.0.1 with luasocket. Every
-- documented success and failure, the payload shape checks, the fault paths, the request records,
-- the launcher and the sandbox/sandbox CLI are covered here.
-- The expected bodies are typed in again from the api-docs rather than shared with the stand-in,
-- so a wrong copy on either side shows up.
-- Run: busted --lua=lua5.4 spec/00-standin_spec.lua   (from the repo root)
package.path = "./?.lua;" .. package.path

local launcher = require "sandbox.launcher"
local http = require "socket.http"
local ltn12 = require "ltn12"
local socket = require "socket"
local json = require "dkjson"
local cjson = require "cjson.safe"

http.TIMEOUT = 5

local CRED, MAGIC = launcher.CREDENTIALS, launcher.MAGIC
local MESSAGES = "/v2/" .. CRED.sid .. "/whatsapp/" .. CRED.from .. "/messages"
local function publish_path(flow_id, sid) return "/v2/" .. (sid or CRED.sid) .. "/whatsapp/" .. flow_id .. "/publish" end
local function messages_path(sid, from) return "/v2/" .. sid .. "/whatsapp/" .. from .. "/messages" end

local server

---------------------------------------------------------------------------------------------------
-- JSON helpers: dkjson tags decoded tables with __jsontype, so [] and {} can be told apart.

local function array(t) return setmetatable(t or {}, { __jsontype = "array" }) end

local function json_kind(v)
  if v == json.null then return "null" end
  if type(v) == "table" then
    local mt = getmetatable(v)
    return mt and mt.__jsontype or "object"
  end
  return type(v)
end

-- Returns nil when the decoded JSON values match (object vs array too), else where they differ.
local function json_diff(expected, actual, where)
  where = where or "$"
  local ek, ak = json_kind(expected), json_kind(actual)
  if ek ~= ak then return ("%s: %s expected, got %s"):format(where, ek, ak) end
  if type(expected) ~= "table" then
    if expected ~= actual then return ("%s: %q expected, got %q"):format(where, tostring(expected), tostring(actual)) end
    return nil
  end
  for k, v in pairs(expected) do
    local d = json_diff(v, actual[k], where .. "." .. tostring(k))
    if d then return d end
  end
  for k in pairs(actual) do
    if expected[k] == nil then return where .. "." .. tostring(k) .. ": unexpected" end
  end
  return nil
end

-- Strict decode: cjson judges validity (dkjson accepts e.g. objects without commas), dkjson builds
-- the tree with object/array tags. Returns nil for anything that is not strict JSON.
local function decode(text)
  if type(text) ~= "string" or cjson.decode(text) == nil then return nil end
  return (json.decode(text, 1, json.null))
end

---------------------------------------------------------------------------------------------------
-- The documented answers, from ../shared/api-docs (relative to the repo root).

local NO_API = "API is not available for given customer.Please contact support for more info"
local VERSION = "The phone number you're using is associated with different Version of our WA API. Please use the appropriate endpoint."
local NOT_IN_ACCOUNT = "Phone number is not present or does not belong to the account."
local NO_FLOW = "The flow_id either does not exist or does not belong to the account."
local DOCS = {
  RBC001 = { code = "RBC001", message = "Incorrect SID or API key.", data = array(), error = { error = "Incorrect SID or API key." } },
  WA401 = { code = "WA401", message = NOT_IN_ACCOUNT, data = {}, error = { phone_number = NOT_IN_ACCOUNT } },
  WA400 = { code = "WA400", message = "Refer to correct payload format", data = {}, error = { payload = "Incorrect payload format" } },
  WA500 = { code = "WA500", message = "Please try again later", data = {}, error = { error = "Internal server error" } },
  E110 = { code = "E110", message = "Please check your balance, You have a low balance!", data = {},
           error = { balance = "Please check your balance, You have a low balance!" } },
  account = { code = "WA-401", message = NO_API, data = {}, error = { account = NO_API } },
  version = { code = "WA-401", message = VERSION, data = {}, error = { phone_number = VERSION } },
  publish_ok = { success = true },
  publish_account = { code = "WA-401", message = NO_API, data = {}, error = NO_API },
  publish_flow_id = { code = "WA-401", message = NO_FLOW, data = {}, error = { flow_id = NO_FLOW } },
  ["WA-400"] = { code = "WA-400", message = "Refer to correct payload format", data = {}, error = { payload = "Incorrect payload format" } },
  ["WA-500"] = { code = "WA-500", message = "Please try again later", data = {}, error = { error = "Internal server error" } },
}
local DOCS_202_TEXT = '{\n"code":"WA202"\n"message":"Request Accepted",\n"data":{\n"message_id":"AXXXXXXXXXXXXXXXXXXX"\n}\n"error":{}\n}'

---------------------------------------------------------------------------------------------------
-- HTTP helpers.

-- Sends a request to the stand-in. opts: method (POST), body (string, or a table to JSON-encode),
-- headers (merged over api-key + content-type; false removes one), base (server.url).
-- Returns status, body, headers (lower-cased names), or nil, err.
local function request(path, opts)
  opts = opts or {}
  local headers = { ["api-key"] = CRED.api_key, ["content-type"] = "application/json" }
  for name, value in pairs(opts.headers or {}) do headers[name] = value or nil end
  local body = opts.body
  if type(body) == "table" then body = assert(json.encode(body)) end
  if body then headers["content-length"] = tostring(#body) end
  local chunks = {}
  local ok, status, resp_headers = http.request {
    url = (opts.base or server.url) .. path, method = opts.method or "POST", headers = headers,
    source = body and ltn12.source.string(body) or nil, sink = ltn12.sink.table(chunks),
  }
  if not ok then return nil, status end
  return status, table.concat(chunks), resp_headers
end

-- Asserts a JSON answer: status, Content-Type and the decoded body (object vs array included).
local function assert_answer(want_status, want_body, status, body, headers)
  assert.equal(want_status, status)
  assert.equal("application/json", headers["content-type"])
  local value = decode(body)
  assert.is_not_nil(value, "not JSON: " .. tostring(body))
  assert.is_nil(json_diff(want_body, value))
  return value
end

local function assert_accepted(status, body, headers)
  assert.equal(202, status)
  assert.equal("application/json", headers["content-type"])
  local value = assert(decode(body), "not JSON: " .. tostring(body))
  assert.equal("WA202", value.code)
  assert.equal("Request Accepted", value.message)
  assert.equal("object", json_kind(value.data))
  assert.matches("^A%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w$", value.data.message_id)
  assert.is_nil(json_diff({}, value.error))
  return value.data.message_id
end

local function connect()
  local conn = assert(socket.connect("127.0.0.1", server.port))
  conn:settimeout(5)
  return conn
end

-- The bytes of a POST with the sandbox's api-key and a JSON Content-Type, plus extra header lines.
local function raw_post(path, body, extra_headers)
  local lines = { "POST " .. path .. " HTTP/1.1", "Host: 127.0.0.1", "api-key: " .. CRED.api_key,
                  "Content-Type: application/json", "Content-Length: " .. #body }
  for _, line in ipairs(extra_headers or {}) do lines[#lines + 1] = line end
  lines[#lines + 1] = ""
  lines[#lines + 1] = body
  return table.concat(lines, "\r\n")
end

-- One raw HTTP/1.1 request on an open connection (kept alive); returns status, body.
local function raw_request(conn, path, body, extra_headers)
  assert(conn:send(raw_post(path, body, extra_headers)))
  local status = tonumber(assert(conn:receive("*l")):match("^HTTP/1%.1 (%d%d%d)"))
  local length
  for _ = 1, 50 do
    local line = assert(conn:receive("*l"))
    if line == "" then break end
    length = tonumber(line:lower():match("^content%-length:%s*(%d+)")) or length
  end
  assert(length, "no Content-Length")
  return status, assert(conn:receive(length))
end

---------------------------------------------------------------------------------------------------
-- Request bodies, fresh for every use so tests can mutate them.

local function text_body()
  return {
    messaging_object = {
      messaging_product = "whatsapp", recipient_type = "individual", to = MAGIC.to, type = "text",
      text = { preview_url = false, body = "This is the sample message" },
    },
    extra_info = { ref = "customer1", ref1 = "marketing", ref2 = "dictionary", wa_source = "api" },
  }
end

local function cta_body()
  return {
    messaging_object = {
      messaging_product = "whatsapp", recipient_type = "individual", to = MAGIC.to, type = "interactive",
      interactive = {
        type = "cta_url",
        header = { type = "text", text = "Available Dates" },
        body = { text = "Tap the button below to see available dates." },
        footer = { text = "Dates subject to change." },
        action = { name = "cta_url", parameters = { display_text = "See Dates", url = "https://www.luckyshrub.com?clickID=kqDG" } },
      },
    },
    extra_info = { ref = "customer1", wa_source = "api" },
  }
end

local function flow_body()
  return {
    messaging_object = {
      messaging_product = "whatsapp", to = MAGIC.to, type = "interactive",
      interactive = {
        type = "flow",
        header = { type = "text", text = "Flow message header" },
        body = { text = "Flow message body" },
        footer = { text = "Flow message footer" },
        action = {
          name = "flow",
          parameters = { flow_message_version = "3", flow_token = "tok", flow_id = MAGIC.flow_id,
                         flow_cta = "Book!", flow_action = "navigate" },
        },
      },
    },
  }
end

---------------------------------------------------------------------------------------------------

setup(function()
  server = assert(launcher.start())
end)

teardown(function()
  if server then assert(server:stop()) end
end)

describe("launcher.start", function()
  it("serves on a loopback URL from a fresh prefix dir", function()
    assert.equal("http://127.0.0.1:" .. server.port, server.url)
    assert.equal("integer", math.type(server.port))
    assert.matches("/kaleyra%-sandbox%.%w+$", server.prefix)
    local conf = assert(io.open(server.prefix .. "/nginx.conf")):read("a")
    assert.matches("listen 127%.0%.0%.1:" .. server.port .. ";", conf)
    assert.not_matches("@%u+@", conf)
  end)

  it("exposes the sandbox account and magic values", function()
    assert.same({ sid = "HXAP16XXXXXX97IN", api_key = "A0000000000000000000000000000003", from = "+918000000001" }, CRED)
    assert.equal("HXAP16XXXXXX97NA", MAGIC.sid_no_api)
    assert.equal("+918000000002", MAGIC.from_other_version)
    assert.equal("+910000000110", MAGIC.to_low_balance)
    assert.equal("+910000000500", MAGIC.to_server_error)
    assert.equal("+910000000400", MAGIC.to_bad_payload)
    assert.equal("1120000000000404", MAGIC.flow_id_unknown)
    assert.equal("1120000000000500", MAGIC.flow_id_server_error)
    assert.equal("1120000000000400", MAGIC.flow_id_bad_payload)
  end)

  it("raises on unknown options and bad ports", function()
    assert.has_error(function() launcher.start { prot = 1 } end, "launcher.start: unknown option 'prot'")
    assert.has_error(function() launcher.start { port = 8099.5 } end, "launcher.start: port must be an integer in 1..65535")
    assert.has_error(function() launcher.start { port = 70000 } end, "launcher.start: port must be an integer in 1..65535")
  end)

  it("returns nil, err for a fixed port that is in use", function()
    local s, err = launcher.start { port = server.port }
    assert.is_nil(s)
    assert.equal("sandbox: port " .. server.port .. " on 127.0.0.1 is already in use", err)
  end)

  it("starts on a fixed free port; stop() is idempotent, ends nginx, frees the port and removes the prefix", function()
    local probe = assert(socket.bind("127.0.0.1", 0))
    local _, port = probe:getsockname()
    probe:close()
    local s = assert(launcher.start { port = tonumber(port) })
    assert.equal("http://127.0.0.1:" .. port, s.url)
    assert.equal(202, (request(MESSAGES, { base = s.url, body = text_body() })))
    assert.equal(1, #s:records())
    assert.is_true(s:stop())
    assert.is_true(s:stop())
    assert.is_nil(io.open(s.prefix .. "/nginx.conf"))
    assert.is_nil(socket.connect("127.0.0.1", s.port))
    local stat = io.open("/proc/" .. s.pid .. "/stat")
    if stat then  -- only a zombie may be left until pid 1 reaps it
      assert.matches("%) Z", stat:read("a"))
      stat:close()
    end
  end)
end)

describe("launcher.attach", function()
  it("gives another handle on a running stand-in's records", function()
    server:clear()
    request(MESSAGES, { body = text_body() })
    local other = assert(launcher.attach(server.prefix))
    assert.equal(server.url, other.url)
    assert.equal(server.pid, other.pid)
    assert.same(server:records(), other:records())
  end)

  it("refuses a directory that is not a sandbox prefix", function()
    local s, err = launcher.attach("/tmp")
    assert.is_nil(s)
    assert.equal("sandbox: not a sandbox prefix: /tmp", err)
  end)
end)

describe("POST /v2/<sid>/whatsapp/<from>/messages", function()
  it("accepts the docs' text message with 202 WA202 and valid JSON", function()
    assert_accepted(request(MESSAGES, { body = text_body() }))
  end)

  it("gives each accepted message its own message_id", function()
    local seen = {}
    for _ = 1, 5 do
      local id = assert_accepted(request(MESSAGES, { body = text_body() }))
      assert.is_nil(seen[id])
      seen[id] = true
    end
  end)

  it("accepts the CTA URL button message", function()
    assert_accepted(request(MESSAGES, { body = cta_body() }))
  end)

  it("accepts flow messages naming the flow by flow_id or by flow_name", function()
    assert_accepted(request(MESSAGES, { body = flow_body() }))
    local b = flow_body()
    local params = b.messaging_object.interactive.action.parameters
    params.flow_id, params.flow_name = nil, "appointment_booking"
    assert_accepted(request(MESSAGES, { body = b }))
  end)

  it("accepts variants the docs allow", function()
    local b = text_body()
    b.messaging_object.type, b.messaging_object.recipient_type, b.extra_info = nil, nil, nil
    b.messaging_object.text.preview_url = true
    assert_accepted(request(MESSAGES, { body = b }))                                  -- type defaults to text
    b.messaging_object.to = "919000000001,+919000000002"
    assert_accepted(request(MESSAGES, { body = b }))                                  -- several recipients
    assert_accepted(request(messages_path(CRED.sid, "918000000001"), { body = b }))   -- from without "+"
    assert_accepted(request(MESSAGES, { body = b, headers = { ["content-type"] = "application/json; charset=utf-8" } }))
    assert_accepted(request(MESSAGES, { body = b, headers = { ["content-type"] = "Application/JSON" } }))
    local image = { messaging_object = { messaging_product = "whatsapp", to = MAGIC.to, type = "image",
                                         image = { link = "https://example.com/a.png" } } }
    assert_accepted(request(MESSAGES, { body = image }))                              -- other Meta types
  end)
end)

describe("authentication and account checks", function()
  it("answers 401 RBC001 (data is an array) for a missing api-key", function()
    assert_answer(401, DOCS.RBC001, request(MESSAGES, { body = text_body(), headers = { ["api-key"] = false } }))
  end)

  it("answers 401 RBC001 for a wrong api-key or an unknown sid", function()
    assert_answer(401, DOCS.RBC001, request(MESSAGES, { body = text_body(), headers = { ["api-key"] = "A0000000000000000000000000000004" } }))
    assert_answer(401, DOCS.RBC001, request(messages_path("HXAP16XXXXXX00XX", CRED.from), { body = text_body() }))
  end)

  it("checks credentials before the payload", function()
    assert_answer(401, DOCS.RBC001, request(MESSAGES, { body = "not json", headers = { ["api-key"] = "nope" } }))
  end)

  it("answers 401 WA-401 (account) for the account without API access", function()
    assert_answer(401, DOCS.account, request(messages_path(MAGIC.sid_no_api, CRED.from), { body = text_body() }))
  end)

  it("answers 401 WA-401 (phone number version) for the number on another API version", function()
    assert_answer(401, DOCS.version, request(messages_path(CRED.sid, MAGIC.from_other_version), { body = text_body() }))
    assert_answer(401, DOCS.version, request(messages_path(CRED.sid, "918000000002"), { body = text_body() }))
  end)

  it("answers 401 WA401 for a business number that is not the account's", function()
    assert_answer(401, DOCS.WA401, request(messages_path(CRED.sid, "+918000000009"), { body = text_body() }))
  end)
end)

describe("payload validation (400 WA400)", function()
  -- Each case: name, body (string, or function(b) mutating text_body()/its own builder), reason fragment.
  local function text(f) return function() local b = text_body(); f(b, b.messaging_object); return b end end
  local function cta(f) return function() local b = cta_body(); f(b, b.messaging_object.interactive); return b end end
  local function flow(f) return function() local b = flow_body(); f(b, b.messaging_object.interactive.action); return b end end
  local cases = {
    { "an empty body", "", "body is empty" },
    { "text that is not JSON", "hello", "not valid JSON" },
    { "JSON with trailing text", '{"messaging_object":{}} x', "not valid JSON" },
    { "JSON with a comment", '/* c */ {"messaging_object":{}}', "not valid JSON" },
    { "a JSON array", "[]", "body must be a JSON object" },
    { "a JSON string", '"hi"', "body must be a JSON object" },
    { "an unknown top-level key", text(function(b) b.message = "x" end), "message is not a known top-level key" },
    { "no messaging_object", '{"extra_info":{}}', "messaging_object must be an object" },
    { "messaging_object as an empty array", '{"messaging_object":[]}', "messaging_object must be an object" },
    { "extra_info as an empty array", text(function(b) b.extra_info = array() end), "extra_info must be an object" },
    { "an unknown extra_info key", text(function(b) b.extra_info.ref3 = "x" end), "extra_info.ref3 is not a known key" },
    { "a non-string extra_info value", text(function(b) b.extra_info.ref = 7 end), "extra_info.ref must be a string" },
    { "no messaging_product", text(function(_, mo) mo.messaging_product = nil end), "messaging_product" },
    { "messaging_product sms", text(function(_, mo) mo.messaging_product = "sms" end), "messaging_product" },
    { "recipient_type group", text(function(_, mo) mo.recipient_type = "group" end), "recipient_type" },
    { "no to", text(function(_, mo) mo.to = nil end), "messaging_object.to" },
    { "to as a number", text(function(_, mo) mo.to = 919000000001 end), "messaging_object.to" },
    { "to too short", text(function(_, mo) mo.to = "+9190000" end), "messaging_object.to" },
    { "to too long", text(function(_, mo) mo.to = "+9190000000000001" end), "messaging_object.to" },
    { "to with a space", text(function(_, mo) mo.to = "+91 9000000001" end), "messaging_object.to" },
    { "to with a trailing comma", text(function(_, mo) mo.to = "+919000000001," end), "messaging_object.to" },
    { "to with a space after the comma", text(function(_, mo) mo.to = "+919000000001, +919000000002" end), "messaging_object.to" },
    { "no text object", text(function(_, mo) mo.text = nil end), "messaging_object.text must be an object" },
    { "an empty text.body", text(function(_, mo) mo.text.body = "" end), "text.body must be a non-empty string" },
    { "a numeric text.body", text(function(_, mo) mo.text.body = 5 end), "text.body must be a non-empty string" },
    { 'preview_url "false" (a string)', text(function(_, mo) mo.text.preview_url = "false" end), "preview_url must be a boolean" },
    { "type as a number", text(function(_, mo) mo.type = 1 end), "messaging_object.type" },
    { "type image without an image object", text(function(_, mo) mo.type = "image" end), "messaging_object.image must be an object" },
    { "no interactive object", cta(function(b) b.messaging_object.interactive = nil end), "interactive must be an object" },
    { "no interactive.type", cta(function(_, i) i.type = nil end), "interactive.type" },
    { "no interactive.action", cta(function(_, i) i.action = nil end), "interactive.action must be an object" },
    { "a header without a type", cta(function(_, i) i.header.type = nil end), "interactive.header" },
    { "a body without text", cta(function(_, i) i.body = { txt = "x" } end), "interactive.body" },
    { "a numeric footer text", cta(function(_, i) i.footer.text = 3 end), "interactive.footer" },
    { "cta_url with action.name flow", cta(function(_, i) i.action.name = "flow" end), 'name must be "cta_url"' },
    { "cta_url without parameters", cta(function(_, i) i.action.parameters = nil end), "parameters must be an object" },
    { "cta_url with empty display_text", cta(function(_, i) i.action.parameters.display_text = "" end), "display_text" },
    { "cta_url without url", cta(function(_, i) i.action.parameters.url = nil end), "parameters.url" },
    { "flow with action.name cta_url", flow(function(_, a) a.name = "cta_url" end), 'name must be "flow"' },
    { "flow without parameters", flow(function(_, a) a.parameters = nil end), "parameters must be an object" },
    { "flow without flow_message_version", flow(function(_, a) a.parameters.flow_message_version = nil end), "flow_message_version" },
    { "flow with a numeric flow_message_version", flow(function(_, a) a.parameters.flow_message_version = 3 end), "flow_message_version" },
    { "flow without flow_cta", flow(function(_, a) a.parameters.flow_cta = nil end), "flow_cta" },
    { "flow with flow_id and flow_name", flow(function(_, a) a.parameters.flow_name = "n" end), "exactly one of flow_id and flow_name" },
    { "flow with neither flow_id nor flow_name", flow(function(_, a) a.parameters.flow_id = nil end), "exactly one of flow_id and flow_name" },
    { "flow with an empty flow_id", flow(function(_, a) a.parameters.flow_id = "" end), "flow_id must be a non-empty string" },
  }
  for _, case in ipairs(cases) do
    local name, body, reason = case[1], case[2], case[3]
    it("rejects " .. name, function()
      if type(body) == "function" then body = body() end
      local status, answer, headers = request(MESSAGES, { body = body })
      assert_answer(400, DOCS.WA400, status, answer, headers)
      assert.matches(reason, headers["x-sandbox-reason"], 1, true)
    end)
  end

  it("rejects a Content-Type other than application/json, or none", function()
    local status, answer, headers = request(MESSAGES, { body = text_body(), headers = { ["content-type"] = "text/plain" } })
    assert_answer(400, DOCS.WA400, status, answer, headers)
    assert.equal("Content-Type must be application/json", headers["x-sandbox-reason"])
    assert_answer(400, DOCS.WA400, request(MESSAGES, { body = text_body(), headers = { ["content-type"] = false } }))
    assert_answer(400, DOCS.WA400, request(MESSAGES, { body = text_body(), headers = { ["content-type"] = "application/jsonx" } }))
  end)
end)

describe("magic recipients", function()
  it("answers 400 E110 (low balance) when to contains the low-balance number", function()
    for _, to in ipairs { MAGIC.to_low_balance, "910000000110", MAGIC.to .. "," .. MAGIC.to_low_balance } do
      local b = text_body()
      b.messaging_object.to = to
      assert_answer(400, DOCS.E110, request(MESSAGES, { body = b }))
    end
  end)

  it("answers 500 WA500 when to contains the server-error number", function()
    for _, to in ipairs { MAGIC.to_server_error, "910000000500" } do
      local b = cta_body()
      b.messaging_object.to = to
      assert_answer(500, DOCS.WA500, request(MESSAGES, { body = b }))
    end
  end)

  it("answers 400 WA400 for a well-formed payload to the bad-payload number", function()
    local b = text_body()
    b.messaging_object.to = MAGIC.to_bad_payload
    local status, body, headers = request(MESSAGES, { body = b })
    assert_answer(400, DOCS.WA400, status, body, headers)
    assert.equal("magic recipient +910000000400", headers["x-sandbox-reason"])
  end)

  it("checks the payload shape first", function()
    local b = text_body()
    b.messaging_object.to, b.messaging_object.text = MAGIC.to_server_error, nil
    assert_answer(400, DOCS.WA400, request(MESSAGES, { body = b }))
  end)
end)

describe("POST /v2/<sid>/whatsapp/<flow_id>/publish", function()
  it('publishes any other flow_id with 200 {"success": true}', function()
    assert_answer(200, DOCS.publish_ok, request(publish_path(MAGIC.flow_id)))
    assert_answer(200, DOCS.publish_ok, request(publish_path("1"), { headers = { ["content-type"] = false } }))
  end)

  it("answers 401 RBC001 for bad credentials", function()
    assert_answer(401, DOCS.RBC001, request(publish_path(MAGIC.flow_id), { headers = { ["api-key"] = false } }))
    assert_answer(401, DOCS.RBC001, request(publish_path(MAGIC.flow_id, "HXAP16XXXXXX00XX")))
  end)

  it("answers 401 WA-401 with a plain-string error for the account without API access", function()
    local value = assert_answer(401, DOCS.publish_account, request(publish_path(MAGIC.flow_id, MAGIC.sid_no_api)))
    assert.equal("string", type(value.error))
  end)

  it("answers 400 WA-400 for a flow_id that is not all digits, and for the bad-payload flow_id", function()
    assert_answer(400, DOCS["WA-400"], request(publish_path("abc")))
    assert_answer(400, DOCS["WA-400"], request(publish_path("112x")))
    assert_answer(400, DOCS["WA-400"], request(publish_path(MAGIC.flow_id_bad_payload)))
  end)

  it("answers 401 WA-401 (flow_id) for the unknown flow and 500 WA-500 for the failing one", function()
    assert_answer(401, DOCS.publish_flow_id, request(publish_path(MAGIC.flow_id_unknown)))
    assert_answer(500, DOCS["WA-500"], request(publish_path(MAGIC.flow_id_server_error)))
  end)
end)

describe("other requests", function()
  it("answers 404 JSON for other methods and paths", function()
    for _, case in ipairs {
      { "GET", MESSAGES }, { "PUT", publish_path(MAGIC.flow_id) }, { "POST", "/v2/" .. CRED.sid .. "/whatsapp/x/other" },
      { "POST", "/" }, { "POST", "/v1/" .. CRED.sid .. "/messages" }, { "POST", "/fault/nonsense" .. MESSAGES },
    } do
      local status, body, headers = request(case[2], { method = case[1], body = case[1] ~= "GET" and "{}" or nil })
      assert.equal(404, status, case[1] .. " " .. case[2])
      assert.equal("application/json", headers["content-type"])
      assert.equal("NOT_FOUND", assert(decode(body)).code)
    end
  end)
end)

describe("fault paths /fault/<mode>/v2/...", function()
  local function fault(mode, path, opts) return request(path, setmetatable({ base = server.url .. "/fault/" .. mode }, { __index = opts })) end

  it("docs-202 answers 202 with the docs' literal, invalid JSON body", function()
    local status, body, headers = fault("docs-202", MESSAGES, { body = text_body() })
    assert.equal(202, status)
    assert.equal("application/json", headers["content-type"])
    assert.equal(DOCS_202_TEXT, body)
    assert.is_nil(decode(body))
  end)

  it("html-502 answers 502 with an HTML page", function()
    local status, body, headers = fault("html-502", MESSAGES, { body = text_body() })
    assert.equal(502, status)
    assert.equal("text/html", headers["content-type"])
    assert.matches("^<html>", body)
  end)

  it("bad-json answers 400 with truncated JSON", function()
    local status, body, headers = fault("bad-json", publish_path(MAGIC.flow_id))
    assert.equal(400, status)
    assert.equal("application/json", headers["content-type"])
    assert.equal('{"code": "WA400", "mess', body)
    assert.is_nil(decode(body))
  end)

  it("cut promises more body than it sends and closes the connection", function()
    assert.same({ nil, "closed" }, { fault("cut", MESSAGES, { body = text_body() }) })
    -- Raw view: Content-Length is larger than what arrives before the close.
    local conn = connect()
    local body = json.encode(text_body())
    assert(conn:send(raw_post("/fault/cut" .. MESSAGES, body)))
    local head = ""
    for _ = 1, 30 do
      local line = assert(conn:receive("*l"))
      if line == "" then break end
      head = head .. line .. "\n"
    end
    local declared = tonumber(head:lower():match("content%-length:%s*(%d+)"))
    local data, err, partial = conn:receive(declared)
    conn:close()
    assert.matches("^HTTP/1%.1 202", head)
    assert.is_nil(data)
    assert.equal("closed", err)
    assert.is_true(#partial > 0 and #partial < declared)
    assert.equal('{"code":"WA202"', partial:sub(1, 15))
  end)

  it("slow-<ms> waits, then answers normally", function()
    local t0 = socket.gettime()
    assert_accepted(fault("slow-300", MESSAGES, { body = text_body() }))
    assert.is_true(socket.gettime() - t0 >= 0.29)
    assert_answer(401, DOCS.RBC001, fault("slow-10", MESSAGES, { body = text_body(), headers = { ["api-key"] = false } }))
  end)

  it("status-3xx points Location at the endpoint without the fault prefix", function()
    local status, _, headers = fault("status-302", MESSAGES, { body = text_body() })
    assert.equal(302, status)
    assert.equal(MESSAGES, headers["location"])
  end)

  it("slow-<ms> records on arrival, and a client that hangs up stops counting as in flight", function()
    server:clear()
    local conn = connect()
    assert(conn:send(raw_post("/fault/slow-5000" .. MESSAGES, assert(json.encode(text_body())))))
    local recs
    for _ = 1, 50 do  -- the record appears long before the 5 s are up
      recs = server:records()
      if #recs == 1 then break end
      socket.sleep(0.02)
    end
    assert.equal(1, #recs)
    assert.equal("slow-5000", recs[1].fault)
    assert.equal(202, recs[1].status)
    conn:close()
    socket.sleep(0.2)
    request(MESSAGES, { body = text_body() })
    assert.equal(1, server:records()[2].inflight)
  end)

  it("status-<code> answers that status with a JSON error, and Retry-After: 1 for 429 and 503", function()
    for _, code in ipairs { 429, 503, 500, 418 } do
      local status, body, headers = fault("status-" .. code, MESSAGES, { body = text_body() })
      assert.equal(code, status)
      assert.equal("application/json", headers["content-type"])
      assert.same({ code = "FAULT" .. code, message = "Injected HTTP status " .. code, error = { fault = "status-" .. code } }, decode(body))
      assert.equal((code == 429 or code == 503) and "1" or nil, headers["retry-after"])
    end
  end)

  it("empty-200 answers 200 with an empty body", function()
    local status, body = fault("empty-200", publish_path(MAGIC.flow_id))
    assert.equal(200, status)
    assert.equal("", body)
  end)

  it("records fault requests with the fault name", function()
    server:clear()
    fault("status-503", MESSAGES, { body = text_body() })
    fault("docs-202", publish_path(MAGIC.flow_id))
    local recs = server:records()
    assert.equal(2, #recs)
    assert.equal("status-503", recs[1].fault)
    assert.equal(503, recs[1].status)
    assert.equal("/fault/status-503" .. MESSAGES, recs[1].path)
    assert.equal("docs-202", recs[2].fault)
    assert.equal("WA202", recs[2].code)
  end)
end)

describe("POST /fast/v2/...", function()
  it("answers a valid WA202 from nginx alone, without a record", function()
    server:clear()
    assert_accepted(request("/fast" .. MESSAGES, { body = text_body() }))
    assert.same({}, server:records())
  end)
end)

describe("records", function()
  before_each(function() server:clear() end)

  it("holds one record per request with the request and the answer", function()
    local sent = assert(json.encode(text_body()))
    local t0 = socket.gettime()
    -- Raw, because socket.http would decode %2B before sending; the record keeps the URI as sent.
    local conn = connect()
    local status, body = raw_request(conn, messages_path(CRED.sid, "%2B918000000001"), sent, { "X-Trace-Id: abc" })
    conn:close()
    assert.equal(202, status)
    local recs = server:records()
    assert.equal(1, #recs)
    local rec = recs[1]
    assert.equal("POST", rec.method)
    assert.equal(messages_path(CRED.sid, "%2B918000000001"), rec.uri)
    assert.equal(MESSAGES, rec.path)
    assert.is_nil(rec.fault)
    assert.equal(CRED.api_key, rec.headers["api-key"])
    assert.equal("application/json", rec.headers["content-type"])
    assert.equal("abc", rec.headers["x-trace-id"])
    assert.equal(sent, rec.body)
    assert.is_nil(json_diff(text_body(), rec.json))
    assert.equal(202, rec.status)
    assert.equal("WA202", rec.code)
    assert.equal(decode(body).data.message_id, rec.message_id)
    assert.equal(1, rec.inflight)
    assert.equal(1, rec.connection_requests)
    assert.equal("integer", math.type(rec.connection))
    assert.is_true(math.abs(rec.t - t0) < 5)
  end)

  it("keeps JSON null and empty arrays in json, and leaves json out for other bodies", function()
    local body = '{"messaging_object":{"messaging_product":"whatsapp","to":"+919000000001",'
      .. '"text":{"body":"x"},"context":null,"tags":[]}}'
    assert.equal(202, (request(MESSAGES, { body = body })))
    request(MESSAGES, { body = "plain words" })
    request(publish_path(MAGIC.flow_id))
    local recs = server:records()
    assert.equal(3, #recs)
    assert.equal(json.null, recs[1].json.messaging_object.context)
    assert.equal("array", json_kind(recs[1].json.messaging_object.tags))
    assert.equal("plain words", recs[2].body)
    assert.is_nil(recs[2].json)
    assert.equal("body is not valid JSON", recs[2].reason)
    assert.is_nil(recs[3].body)
    assert.is_nil(recs[3].code)
    assert.equal(200, recs[3].status)
  end)

  it("records why a payload was rejected", function()
    request(MESSAGES, { body = '{"messaging_object":[]}' })
    assert.equal("messaging_object must be an object", server:records()[1].reason)
  end)

  it("gives requests on one keep-alive connection the same connection value", function()
    local conn = connect()
    local body = assert(json.encode(text_body()))
    for _ = 1, 3 do assert.equal(202, (raw_request(conn, MESSAGES, body))) end
    conn:close()
    local other = connect()
    assert.equal(200, (raw_request(other, publish_path(MAGIC.flow_id), "")))
    other:close()
    local recs = server:records()
    assert.equal(4, #recs)
    assert.equal(recs[1].connection, recs[2].connection)
    assert.equal(recs[1].connection, recs[3].connection)
    assert.same({ 1, 2, 3 }, { recs[1].connection_requests, recs[2].connection_requests, recs[3].connection_requests })
    assert.are_not.equal(recs[1].connection, recs[4].connection)
  end)

  it("counts requests in flight, and the count drops again after cut and slow requests", function()
    local body = assert(json.encode(text_body()))
    local conns = {}
    for i = 1, 3 do
      conns[i] = connect()
      assert(conns[i]:send(raw_post("/fault/slow-300" .. MESSAGES, body)))
    end
    for i = 1, 3 do
      assert.matches("^HTTP/1%.1 202", conns[i]:receive("*l"))
      conns[i]:close()
    end
    request(MESSAGES, { base = server.url .. "/fault/cut", body = body })
    request(MESSAGES, { body = body })
    local inflight = {}
    for i, rec in ipairs(server:records()) do inflight[i] = rec.inflight end
    local first3 = { inflight[1], inflight[2], inflight[3] }
    table.sort(first3)
    assert.same({ 1, 2, 3 }, first3)
    assert.same({ 1, 1 }, { inflight[4], inflight[5] })
  end)

  it("clear() forgets the records so far", function()
    request(MESSAGES, { body = text_body() })
    assert.equal(1, #server:records())
    server:clear()
    assert.same({}, server:records())
    request(MESSAGES, { body = text_body() })
    assert.equal(1, #server:records())
  end)
end)

describe("sandbox/sandbox --run", function()
  -- Runs a shell command line; returns its output and exit code.
  local function run(cmd)
    local p = assert(io.popen(cmd .. " 2>&1"))
    local out = p:read("a")
    local _, _, code = p:close()
    return out, code
  end

  -- CMD: prints what it was given, publishes a flow through the stand-in, exits 3.
  local script = os.tmpname()
  setup(function()
    local f = assert(io.open(script, "w"))
    f:write([[
      local http = require "socket.http"
      local env = {}
      for _, name in ipairs { "KALEYRA_BASE_URL", "KALEYRA_SID", "KALEYRA_API_KEY", "KALEYRA_FROM", "SANDBOX_PREFIX" } do
        env[#env + 1] = os.getenv(name) or "?"
      end
      print(table.concat(env, "|"))
      local _, status = http.request { url = env[1] .. "/v2/" .. env[2] .. "/whatsapp/1120000000000207/publish",
        method = "POST", headers = { ["api-key"] = env[3] } }
      print(status)
      os.exit(3)
    ]])
    f:close()
  end)
  teardown(function() os.remove(script) end)

  for _, launcher_cmd in ipairs { "sandbox/sandbox", "lua5.4 sandbox/sandbox" } do
    it("(" .. launcher_cmd .. ") exports the credentials to CMD, exits with its status and cleans up", function()
      local out, code = run(launcher_cmd .. " --run lua5.4 " .. script)
      assert.equal(3, code)
      local url, sid, key, from, prefix = out:match("^(http://127%.0%.0%.1:%d+)|([^|]*)|([^|]*)|([^|]*)|([^\n]*)\n")
      assert.is_not_nil(url, out)
      assert.same({ CRED.sid, CRED.api_key, CRED.from }, { sid, key, from })
      assert.matches("/kaleyra%-sandbox%.%w+$", prefix)
      assert.matches("\n200", out, 1, true)
      assert.is_nil(io.open(prefix .. "/nginx.conf"))
      assert.is_nil(socket.connect("127.0.0.1", tonumber(url:match("%d+$"))))
    end)
  end

  it("rejects bad arguments with status 2", function()
    local out, code = run("sandbox/sandbox --port abc")
    assert.equal(2, code)
    assert.matches("port must be a number", out, 1, true)
    assert.equal(2, select(2, run("sandbox/sandbox --run")))
  end)
end)
