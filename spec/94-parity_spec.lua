-- spec/94-parity_spec.lua - every transport gives the same outcome: each
-- case of spec/63-faults and spec/65-retry (and a few more: bytes that are
-- not HTTP, an oversize answer) goes through the libcurl engine, through
-- nginx's cosockets (real nginx, spec/support/openresty_app.lua) and through
-- a `transport = function` on LuaSocket (spec/support/luasocket_transport.lua).
-- The results are compared field by field (kind, status, code, sent,
-- retryable, field, attempts, retry_after), and so are send_many's entries
-- and how many requests the stand-in saw. The expected column pins the
-- libcurl outcome, so a shared mistake cannot pass as parity either.
local h = require "spec.helpers"
local ngx_app = require "spec.support.openresty_client"
local luasocket = require "spec.support.luasocket_transport"

local FIELDS = { "ok", "kind", "status", "code", "sent", "retryable", "field", "attempts", "retry_after" }

-- The comparable part of a call's outcome (or of a send_many entry).
local function project(res, err)
  local out = {}
  if res then
    out.ok, out.status, out.code, out.attempts = true, res.status, res.code, res.attempts
  else
    for _, k in ipairs(FIELDS) do out[k] = err[k] end
    out.ok = false
  end
  return out
end

local function entries_of(list)
  local out = {}
  for i, e in ipairs(list) do
    out[i] = e.ok and { ok = true, status = e.status, code = e.code, has_id = e.message_id ~= nil }
      or project(nil, e.error)
  end
  return out
end

describe("parity of transports", function()
  local env = ngx_app.env()
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  local METHOD = { text = "send_text", publish = "publish_flow" }

  -- Runs one call through the three transports; returns outcome and records seen.
  local function three_ways(op, msg, options)
    local out = {}
    local function curl_or_fn(transport)
      env.standin:clear()
      local o = {}
      for k, v in pairs(options) do o[k] = v end
      o.transport = transport
      local c, cerr = h.whatsapp.new(h.options(env.standin, o))
      if not c then return project(nil, cerr), #env.standin:records() end
      local res, err = c[METHOD[op]](c, msg)
      c:close()
      return project(res, err), #env.standin:records()
    end
    out.curl, out.curl_seen = curl_or_fn(nil)
    out.luasocket, out.luasocket_seen = curl_or_fn(luasocket)
    env.standin:clear()
    local r = ngx_app.post_json(env.app, "/run", { op = op, msg = msg, options = options })
    out.ngx = r.ok and project(r.result) or project(nil, r.error)
    out.ngx_seen = #env.standin:records()
    return out
  end

  local text = { to = h.magic.to, body = "parity" }
  local function fault(mode, extra)
    return function()
      local o = { base_url = env.standin.url .. "/fault/" .. mode }
      for k, v in pairs(extra or {}) do o[k] = v end
      return o
    end
  end
  local function refused(extra)
    return function()
      local gone = h.launcher.start()
      local url = gone.url
      gone:stop()
      local o = { base_url = url }
      for k, v in pairs(extra or {}) do o[k] = v end
      return o
    end
  end

  -- { name, options (a function), expected libcurl outcome [, op, msg] }
  local cases = {
    -- spec/63-faults
    { "slow past the timeout", fault("slow-3000", { timeout = 0.3 }),
      { ok = false, kind = "timeout", sent = true, retryable = true, attempts = 1 } },
    { "connection closed with no answer", fault "reset",
      { ok = false, kind = "network", sent = true, retryable = true, attempts = 1 } },
    { "body cut mid-way", fault "cut", { ok = false, kind = "network", sent = true, retryable = true, attempts = 1 } },
    { "a proxy's 502 HTML page", fault "html-502",
      { ok = false, kind = "server", status = 502, sent = true, retryable = true, attempts = 1 } },
    { "malformed JSON in a 400", fault "bad-json",
      { ok = false, kind = "payload", status = 400, sent = true, retryable = false, attempts = 1 } },
    { "500", fault "status-500",
      { ok = false, kind = "server", status = 500, code = "FAULT500", sent = true, retryable = true, attempts = 1 } },
    { "502", fault "status-502",
      { ok = false, kind = "server", status = 502, code = "FAULT502", sent = true, retryable = true, attempts = 1 } },
    { "504", fault "status-504",
      { ok = false, kind = "server", status = 504, code = "FAULT504", sent = true, retryable = true, attempts = 1 } },
    { "503 with Retry-After, retried once", fault("status-503", { retries = 1 }),
      { ok = false, kind = "server", status = 503, code = "FAULT503", sent = true, retryable = true, attempts = 2,
        retry_after = 1 } },
    { "429 with Retry-After, retried once", fault("status-429", { retries = 1 }),
      { ok = false, kind = "rate_limit", status = 429, code = "FAULT429", sent = true, retryable = true,
        attempts = 2, retry_after = 1 } },
    { "408", fault "status-408",
      { ok = false, kind = "timeout", status = 408, code = "FAULT408", sent = true, retryable = true, attempts = 1 } },
    { "a redirect, not followed", fault "status-307",
      { ok = false, kind = "protocol", status = 307, code = "FAULT307", sent = true, retryable = false, attempts = 1 } },
    { "404 (wrong base_url)", fault "status-404",
      { ok = false, kind = "config", status = 404, code = "FAULT404", sent = true, retryable = false, attempts = 1 } },
    { "WA500", function() return {} end,
      { ok = false, kind = "server", status = 500, code = "WA500", sent = true, retryable = true, attempts = 1 },
      "text", { to = h.magic.to_server_error, body = "x" } },
    { "a refused connection, retried once", refused { retries = 1 },
      { ok = false, kind = "network", sent = false, retryable = true, attempts = 2 } },
    -- spec/65-retry
    { "503 up to the default of 2 retries", fault "status-503",
      { ok = false, kind = "server", status = 503, code = "FAULT503", sent = true, retryable = true, attempts = 3,
        retry_after = 1 } },
    { "503 with retries = 0", fault("status-503", { retries = 0 }),
      { ok = false, kind = "server", status = 503, code = "FAULT503", sent = true, retryable = true, attempts = 1,
        retry_after = 1 } },
    { "a timeout after sending, not retried", fault("slow-2000", { timeout = 0.3 }),
      { ok = false, kind = "timeout", sent = true, retryable = true, attempts = 1 } },
    { "a refused connection, default retries", refused(),
      { ok = false, kind = "network", sent = false, retryable = true, attempts = 3 } },
    { "retries out of range", function() return { retries = 11 } end,
      { ok = false, kind = "config", field = "retries", sent = false, retryable = false } },
    -- more answers
    { "bytes that are not HTTP", fault "garbage",
      { ok = false, kind = "protocol", sent = true, retryable = false, attempts = 1 } },
    { "an answer over 1 MiB", fault "oversize",
      { ok = false, kind = "protocol", sent = true, retryable = false, attempts = 1 } },
    { "a 302", fault "status-302",
      { ok = false, kind = "protocol", status = 302, code = "FAULT302", sent = true, retryable = false, attempts = 1 } },
    { "an empty 200", fault "empty-200", { ok = true, status = 200, attempts = 1 } },
    { "an accepted text", function() return {} end, { ok = true, status = 202, code = "WA202", attempts = 1 } },
    { "a published flow", function() return {} end, { ok = true, status = 200, attempts = 1 },
      "publish", h.magic.flow_id },
    { "an unknown flow", function() return {} end,
      { ok = false, kind = "auth", status = 401, code = "WA-401", sent = true, retryable = false, attempts = 1 },
      "publish", h.magic.flow_id_unknown },
  }

  for _, case in ipairs(cases) do
    local name, options, expected, op, msg = case[1], case[2], case[3], case[4] or "text", case[5] or text
    it("agree on " .. name, function()
      local o = options()
      local out = three_ways(op, msg, o)
      assert.same(expected, out.curl)
      assert.same(out.curl, out.ngx)
      assert.same(out.curl, out.luasocket)
      assert.equals(out.curl_seen, out.ngx_seen)
      assert.equals(out.curl_seen, out.luasocket_seen)
    end)
  end

  it("agree on a connect timeout: timeout, never sent, retried", function()
    local port, close_port = h.unanswered_port()
    local out = three_ways("text", text, { base_url = "http://127.0.0.1:" .. port, connect_timeout = 0.2,
      retries = 1 })
    close_port()
    assert.same({ ok = false, kind = "timeout", sent = false, retryable = true, attempts = 2 }, out.curl)
    assert.same(out.curl, out.ngx)
    assert.same(out.curl, out.luasocket)
  end)

  describe("send_many", function()
    local function many_three_ways(list, options, opts)
      local out = {}
      for _, via in ipairs { { "curl" }, { "luasocket", luasocket } } do
        local o = { transport = via[2] }
        for k, v in pairs(options) do o[k] = v end
        env.standin:clear()
        local c = h.client(env.standin, o)
        out[via[1]] = entries_of(c:send_many(list, opts))
        out[via[1] .. "_seen"] = #env.standin:records()
        c:close()
      end
      env.standin:clear()
      local r = ngx_app.post_json(env.app, "/many", { list = list, options = options, opts = opts })
      assert.is_nil(r.error, r.error and r.error.message)
      out.ngx = {}
      for i = 1, r.n do
        local e = r.entries[i]
        out.ngx[i] = e.ok and { ok = true, status = e.status, code = e.code, has_id = e.message_id ~= nil }
          or project(nil, e.error)
      end
      out.ngx_seen = #env.standin:records()
      return out
    end

    it("give the same entries for good, invalid and rejected items", function()
      local list = {
        { to = h.magic.to, body = "one" },
        "not a message",
        { op = "publish", to = h.magic.to },
        { to = "12", body = "bad number" },
        { to = h.magic.to, bdy = "typo" },
        { op = "cta_url", to = h.magic.to, body = "b", display_text = "Go", url = "https://example.com" },
        { to = h.magic.to_low_balance, body = "x" },
        { to = h.magic.to_server_error, body = "x" },
      }
      local out = many_three_ways(list, {}, { concurrency = 3 })
      assert.equals(8, #out.curl)
      assert.same({ ok = true, status = 202, code = "WA202", has_id = true }, out.curl[1])
      assert.same({ ok = false, kind = "validation", field = "item", sent = false, retryable = false },
        out.curl[2])
      assert.same(out.curl, out.ngx)
      assert.same(out.curl, out.luasocket)
      assert.equals(4, out.curl_seen)
      assert.equals(out.curl_seen, out.ngx_seen)
      assert.equals(out.curl_seen, out.luasocket_seen)
    end)

    it("give the same entries for faults and retries", function()
      local list = {}
      for i = 1, 4 do list[i] = { to = h.magic.to, body = "m" .. i } end
      for _, mode in ipairs { "status-503", "garbage", "reset" } do
        local out = many_three_ways(list, { base_url = env.standin.url .. "/fault/" .. mode, retries = 1 },
          { concurrency = 2 })
        assert.equals(4, #out.curl)
        assert.is_false(out.curl[1].ok)
        assert.same(out.curl, out.ngx, mode)
        assert.same(out.curl, out.luasocket, mode)
        assert.equals(out.curl_seen, out.ngx_seen, mode)
        assert.equals(out.curl_seen, out.luasocket_seen, mode)
      end
    end)
  end)
end)
