-- spec/63-faults_spec.lua - what happens to a message on each fault, one
-- row per line of doc/reliability.md's fault table: the error kind, status,
-- whether it may have been sent, whether it was retried automatically
-- and how often the stand-in saw it. Plus the faults the stand-in gained
-- for this: reset, reset-reused (libcurl must not quietly send a request
-- again on a new connection) and the random mode the soak uses.
local h = require "spec.helpers"
local socket = require "socket"

describe("faults", function()
  local env = h.env()
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  local msg = { to = "+919000000001", body = "fault" }

  local function send_via(fault, overrides)
    return env.send_via(fault, overrides, msg)
  end

  -- { name, fault, client options, kind, status, sent, retryable, attempts, records }
  local rows = {
    { "slow past the timeout", "slow-3000", { timeout = 0.3 }, "timeout", nil, true, true, 1, 1 },
    { "connection closed with no answer", "reset", {}, "network", nil, true, true, 1, 1 },
    { "body cut mid-way", "cut", {}, "network", nil, true, true, 1, 1 },
    { "a proxy's 502 HTML page", "html-502", {}, "server", 502, true, true, 1, 1 },
    { "malformed JSON in a 400", "bad-json", {}, "payload", 400, true, false, 1, 1 },
    { "500", "status-500", {}, "server", 500, true, true, 1, 1 },
    { "502", "status-502", {}, "server", 502, true, true, 1, 1 },
    { "504", "status-504", {}, "server", 504, true, true, 1, 1 },
    { "503, retried after Retry-After", "status-503", { retries = 1 }, "server", 503, true, true, 2, 2 },
    { "429, retried after Retry-After", "status-429", { retries = 1 }, "rate_limit", 429, true, true, 2, 2 },
    { "408", "status-408", {}, "timeout", 408, true, true, 1, 1 },
    { "a redirect, not followed", "status-307", {}, "protocol", 307, true, false, 1, 1 },
    { "404 (wrong base_url)", "status-404", {}, "config", 404, true, false, 1, 1 },
  }
  for _, row in ipairs(rows) do
    local name, fault, opts, kind, status, sent, retryable, attempts, records = table.unpack(row, 1, 9)
    it(name .. ": " .. kind .. (status and " " .. status or "") .. ", sent, "
      .. (attempts > 1 and "retried" or "not retried"), function()
      local res, err = send_via(fault, opts)
      assert.is_nil(res)
      assert.equals(kind, err.kind)
      assert.equals(status, err.status)
      assert.equals(sent, err.sent)
      assert.equals(retryable, err.retryable)
      assert.equals(attempts, err.attempts)
      assert.equals(records, #env.sandbox:records())
      assert.is_string(err.message)
      assert.is_nil(tostring(err):find(h.creds.api_key, 1, true))
    end)
  end

  it("WA500 \"Please try again later\": server, retryable, not retried (it may have been accepted)", function()
    local c = h.client(env.sandbox)
    local res, err = c:send_text { to = h.magic.to_server_error, body = "x" }
    c:close()
    assert.is_nil(res)
    assert.equals("server", err.kind)
    assert.equals("WA500", err.code)
    assert.equals("Please try again later", err.message)
    assert.is_true(err.retryable)
    assert.equals(1, err.attempts)
    assert.equals(1, #env.sandbox:records())
  end)

  it("a refused connection: network, never sent, retried (nothing can have arrived)", function()
    local gone = h.launcher.start()
    local url = gone.url
    gone:stop()
    local _, err = send_via(nil, { base_url = url, retries = 1 })
    assert.equals("network", err.kind)
    assert.is_false(err.sent)
    assert.is_true(err.retryable)
    assert.equals(2, err.attempts)
  end)

  it("a connect timeout: timeout, never sent, retried", function()
    local port, close_port = h.unanswered_port()
    local t0 = socket.gettime()
    local _, err = send_via(nil, { base_url = "http://127.0.0.1:" .. port, connect_timeout = 0.2, retries = 1 })
    local took = socket.gettime() - t0
    close_port()
    assert.equals("timeout", err.kind)
    assert.is_false(err.sent)
    assert.is_true(err.retryable)
    assert.equals(2, err.attempts)
    assert.is_true(took < 3, "took " .. took .. " s")
  end)

  it("a TLS handshake failure: tls, never sent, not retried", function()
    local _, err = send_via(nil, { base_url = env.sandbox.url:gsub("^http:", "https:") })
    assert.equals("tls", err.kind)
    assert.is_false(err.retryable)
    assert.equals(1, err.attempts)
    assert.same({}, env.sandbox:records())
  end)

  it("ends a timeout on time", function()
    local t0 = socket.gettime()
    local _, err = send_via("slow-5000", { timeout = 0.5 })
    local took = socket.gettime() - t0
    assert.equals("timeout", err.kind)
    assert.is_true(took >= 0.45 and took < 1.5, "took " .. took .. " s")
  end)

  describe("on a kept-alive connection that dies under a request", function()
    it("reports the message as possibly sent, and libcurl does not send it again", function()
      local c = h.client(env.sandbox, { base_url = env.sandbox.url .. "/fault/reset-reused" })
      local first = assert(c:send_text { to = h.magic.to, body = "first" })
      local res, err = c:send_text { to = h.magic.to, body = "second" }
      local third = assert(c:send_text { to = h.magic.to, body = "third" })
      c:close()
      assert.equals(202, first.status)
      assert.equals(202, third.status)
      assert.is_nil(res)
      assert.equals("network", err.kind)
      assert.is_true(err.sent)
      assert.is_true(err.retryable)
      assert.equals(1, err.attempts)
      local seen = {}
      for _, rec in ipairs(env.sandbox:records()) do
        local body = rec.json.messaging_object.text.body
        seen[body] = (seen[body] or 0) + 1
      end
      assert.same({ first = 1, second = 1, third = 1 }, seen)
    end)

    it("does the same in send_many", function()
      local c = h.client(env.sandbox, { base_url = env.sandbox.url .. "/fault/reset-reused" })
      local list = {}
      for i = 1, 6 do list[i] = { to = h.magic.to, body = "m" .. i } end
      local results = c:send_many(list, { concurrency = 1 })
      c:close()
      local records = env.sandbox:records()
      assert.equals(6, #records)
      local bodies = {}
      for _, rec in ipairs(records) do
        local b = rec.json.messaging_object.text.body
        assert.is_nil(bodies[b], b .. " was sent twice")
        bodies[b] = rec.status
      end
      for i, r in ipairs(results) do
        assert.equals(bodies["m" .. i] == 202, r.ok)
        if not r.ok then
          assert.equals("network", r.error.kind)
          assert.is_true(r.error.sent)
        end
      end
    end)
  end)

  describe("the stand-in's reset and random modes", function()
    it("reset records the request as 444 and answers nothing", function()
      local _, err = send_via("reset")
      assert.matches("Empty reply", err.message, 1, true)
      local rec = env.sandbox:records()[1]
      assert.equals("reset", rec.fault)
      assert.equals(444, rec.status)
    end)

    it("random-<seed> draws the same outcomes for the same seed", function()
      local function outcomes(seed)
        local s = h.start()
        local c = h.client(s, { base_url = s.url .. "/fault/random-" .. seed, timeout = 0.3, retries = 0 })
        local list = {}
        for i = 1, 400 do list[i] = { to = h.magic.to, body = "r" .. i } end
        c:send_many(list, { concurrency = 1 })
        c:close()
        local seq = {}
        for _, rec in ipairs(s:records()) do seq[#seq + 1] = rec.random end
        s:stop()
        return seq
      end
      local a, b, other = outcomes(11), outcomes(11), outcomes(12)
      assert.equals(400, #a)
      assert.same(a, b)
      assert.are_not.same(a, other)
      local count = {}
      for _, o in ipairs(a) do count[o] = (count[o] or 0) + 1 end
      assert.is_true(count.normal > 350)
    end)
  end)
end)
