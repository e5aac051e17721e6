-- spec/00-standin_spec.lua: end-to-end checks of the local Kaleyra stand-in (sandbox/), first half:
-- the launcher (start, attach), the message and publish routes, authentication and account checks,
-- payload validation, the magic recipients and other requests. The fault paths, /fast, the request
-- records and sandbox/sandbox --run are in spec/01-standin_faults_spec.lua.
-- It starts real nginx through sandbox/launcher.lua (spec/support/standin_http.lua) and drives it
-- over 127.0.0.1 with luasocket. The expected bodies are typed in again from the api-docs rather
-- than shared with the stand-in, so a wrong copy on either side shows up.
-- Run: busted --lua=lua5.4 spec/00-standin_spec.lua   (from the repo root)
package.path = "./?.lua;" .. package.path

local S = require "spec.support.standin_http"
local socket = require "socket"

local launcher, CRED, MAGIC, MESSAGES, DOCS = S.launcher, S.CRED, S.MAGIC, S.MESSAGES, S.DOCS
local publish_path, messages_path = S.publish_path, S.messages_path
local array, decode = S.array, S.decode
local request, assert_answer, assert_accepted = S.request, S.assert_answer, S.assert_accepted
local text_body, cta_body, flow_body = S.text_body, S.cta_body, S.flow_body

local server

setup(function()
  server = S.start()
end)

teardown(function()
  S.stop()
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
