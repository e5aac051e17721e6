-- spec/60-transport_spec.lua - what the libcurl transport promises:
-- connection reuse, timeouts, refused connections, and answers that are
-- not the documented JSON (HTML pages, broken or cut bodies).
local h = require "spec.helpers"

describe("transport", function()
  local env = h.env()
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  local msg = { to = "+919000000001", body = "hello" }

  local send_via = env.send_via

  it("reuses one connection for 20 sequential sends of one client", function()
    local c = h.client(env.sandbox)
    for i = 1, 20 do
      local res, err = c:send_text { to = "+919000000001", body = "message " .. i }
      assert.is_nil(err)
      assert.equals(202, res.status)
    end
    c:close()
    local records = env.sandbox:records()
    assert.equals(20, #records)
    for i, rec in ipairs(records) do
      assert.equals(records[1].connection, rec.connection)
      assert.equals(i, tonumber(rec.connection_requests))
    end
  end)

  it("gives every accepted message its own id", function()
    local c = h.client(env.sandbox)
    local seen = {}
    for _ = 1, 5 do
      local res = assert(c:send_text(msg))
      assert.is_nil(seen[res.message_id])
      seen[res.message_id] = true
    end
    c:close()
  end)

  it("reports a timeout as kind timeout, retryable, the request sent", function()
    local res, err = send_via("slow-3000", { timeout = 0.3 })
    assert.is_nil(res)
    assert.equals("timeout", err.kind)
    assert.is_true(err.retryable)
    assert.is_true(err.sent)
    assert.is_nil(err.status)
  end)

  it("reports a refused connection as kind network, not sent", function()
    local closed = h.launcher.start()
    local url = closed.url
    closed:stop()
    local c = h.client(nil, { base_url = url, retries = 0 })
    local res, err = c:send_text(msg)
    c:close()
    assert.is_nil(res)
    assert.equals("network", err.kind)
    assert.is_true(err.retryable)
    assert.is_false(err.sent)
  end)

  it("keeps status and raw text for a proxy's HTML error page", function()
    local res, err = send_via("html-502")
    assert.is_nil(res)
    assert.equals("server", err.kind)
    assert.equals(502, err.status)
    assert.is_nil(err.code)
    assert.is_true(err.retryable)
    assert.matches("<html", err.body, 1, true)
    assert.equals("server (502): HTTP 502 with a non-JSON body", tostring(err))
  end)

  it("keeps status and raw text for a malformed JSON error body", function()
    local res, err = send_via("bad-json")
    assert.is_nil(res)
    assert.equals("payload", err.kind)
    assert.equals(400, err.status)
    assert.is_string(err.body)
    assert.matches('{"code"', err.body, 1, true)
  end)

  it("treats the documents' own (invalid JSON) 202 sample as accepted", function()
    local res, err = send_via("docs-202")
    assert.is_nil(err)
    assert.equals(202, res.status)
    assert.equals("WA202", res.code)
    assert.equals("Request Accepted", res.message)
    assert.equals("AXXXXXXXXXXXXXXXXXXX", res.message_id)
    assert.is_string(res.body)
  end)

  it("reports a body cut mid-way as a retryable network error", function()
    local res, err = send_via("cut")
    assert.is_nil(res)
    assert.equals("network", err.kind)
    assert.is_true(err.retryable)
    assert.is_true(err.sent)
  end)

  it("accepts an empty 2xx body without crashing", function()
    local res, err = send_via("empty-200")
    assert.is_nil(err)
    assert.equals(200, res.status)
    assert.is_nil(res.message_id)
  end)

  it("maps 429 to rate_limit and 503 to server, both retryable", function()
    local _, err = send_via("status-429", { retries = 0 })
    assert.equals("rate_limit", err.kind)
    assert.equals(429, err.status)
    assert.is_true(err.retryable)
    _, err = send_via("status-503", { retries = 0 })
    assert.equals("server", err.kind)
    assert.equals(503, err.status)
    assert.is_true(err.retryable)
  end)

  it("does not follow redirects", function()
    local _, err = send_via("status-302")
    assert.equals("protocol", err.kind)
    assert.equals(302, err.status)
    assert.equals(1, #env.sandbox:records())
  end)

  it("refuses https to a plain-http server as a TLS error, sending nothing", function()
    local c = h.client(nil, { base_url = env.sandbox.url:gsub("^http:", "https:") })
    local res, err = c:send_text(msg)
    c:close()
    assert.is_nil(res)
    assert.equals("tls", err.kind)
    assert.is_false(err.retryable)
    assert.same({}, env.sandbox:records())
  end)
end)
