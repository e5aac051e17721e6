-- spec/support/standin_http.lua - what the stand-in specs (spec/00-standin_spec.lua,
-- spec/01-standin_faults_spec.lua) share: starting and stopping one stand-in per spec file,
-- HTTP helpers over 127.0.0.1 (luasocket, and raw HTTP/1.1 for what socket.http would change),
-- strict JSON helpers, the documented answers and fresh request bodies.
-- Caveats: one server at a time. start() must run (in a spec file's setup) before any helper that
-- talks to the server; stop() in its teardown. The expected bodies are typed in again from the
-- api-docs rather than shared with the stand-in, so a wrong copy on either side shows up.
-- The assert_* helpers use luassert (busted's assert), so they are for use inside `it` blocks.
local assert = require "luassert" -- busted's assert is in the spec's environment, not here
local launcher = require "sandbox.launcher"
local http = require "socket.http"
local ltn12 = require "ltn12"
local socket = require "socket"
local json = require "dkjson"
local cjson = require "cjson.safe"

http.TIMEOUT = 5

local M = { launcher = launcher, json = json }

local CRED, MAGIC = launcher.CREDENTIALS, launcher.MAGIC
M.CRED, M.MAGIC = CRED, MAGIC
M.MESSAGES = "/v2/" .. CRED.sid .. "/whatsapp/" .. CRED.from .. "/messages"
function M.publish_path(flow_id, sid) return "/v2/" .. (sid or CRED.sid) .. "/whatsapp/" .. flow_id .. "/publish" end
function M.messages_path(sid, from) return "/v2/" .. sid .. "/whatsapp/" .. from .. "/messages" end

local server -- the running stand-in, between start() and stop()

-- Starts the stand-in (launcher.start) and returns its handle; raises if it does not start.
function M.start()
  assert(server == nil, "a stand-in is already running")
  server = assert(launcher.start())
  return server
end

-- Stops the stand-in started by start(); raises if stopping fails. Does nothing if none runs.
function M.stop()
  if server then
    local s = server
    server = nil
    assert(s:stop())
  end
end

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

M.array = array
M.json_kind = json_kind
M.json_diff = json_diff
M.decode = decode
M.request = request
M.assert_answer = assert_answer
M.assert_accepted = assert_accepted
M.connect = connect
M.raw_post = raw_post
M.raw_request = raw_request
M.text_body = text_body
M.cta_body = cta_body
M.flow_body = flow_body
M.DOCS, M.DOCS_202_TEXT = DOCS, DOCS_202_TEXT

return M
