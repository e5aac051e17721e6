-- spec/01-standin_faults_spec.lua: end-to-end checks of the local Kaleyra stand-in (sandbox/),
-- second half: the fault paths (/fault/<mode>/...), /fast, the request records and the
-- sandbox/sandbox CLI. The launcher, routes, authentication, payload validation, magic recipients
-- and publish are in spec/00-standin_spec.lua.
-- It starts its own real nginx through sandbox/launcher.lua (spec/support/standin_http.lua) and
-- drives it over 127.0.0.1 with luasocket, raw HTTP/1.1 where socket.http would hide the detail.
-- Run: busted --lua=lua5.4 spec/01-standin_faults_spec.lua   (from the repo root)
package.path = "./?.lua;" .. package.path

local S = require "spec.support.standin_http"
local socket = require "socket"
local json = require "dkjson"

local CRED, MAGIC, MESSAGES, DOCS = S.CRED, S.MAGIC, S.MESSAGES, S.DOCS
local publish_path, messages_path = S.publish_path, S.messages_path
local json_kind, json_diff, decode = S.json_kind, S.json_diff, S.decode
local request, assert_answer, assert_accepted = S.request, S.assert_answer, S.assert_accepted
local connect, raw_post, raw_request = S.connect, S.raw_post, S.raw_request
local text_body = S.text_body

local server

setup(function()
  server = S.start()
end)

teardown(function()
  S.stop()
end)

describe("fault paths /fault/<mode>/v2/...", function()
  local function fault(mode, path, opts) return request(path, setmetatable({ base = server.url .. "/fault/" .. mode }, { __index = opts })) end

  it("docs-202 answers 202 with the docs' literal, invalid JSON body", function()
    local status, body, headers = fault("docs-202", MESSAGES, { body = text_body() })
    assert.equal(202, status)
    assert.equal("application/json", headers["content-type"])
    assert.equal(S.DOCS_202_TEXT, body)
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
