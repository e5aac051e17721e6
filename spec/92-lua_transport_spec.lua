-- spec/92-lua_transport_spec.lua - whatsapp.new{ transport = function }:
-- the request table a transport gets, the response table it returns, and
-- that results, errors and retries are the libcurl path's. Plain Lua 5.4:
-- the transports here are canned answers, or luasocket's blocking
-- socket.http talking to the stand-in (what a user plugging in their own
-- HTTP client does).
local h = require "spec.helpers"
local http = require "socket.http"
local ltn12 = require "ltn12"

local ACCEPTED = '{"code":"WA202","message":"Request Accepted","data":{"message_id":"A1"},"error":{}}'

-- A transport that answers from a list (or always the same) and keeps the requests.
local function canned(...)
  local answers, calls = { ... }, {}
  local function transport(req)
    calls[#calls + 1] = req
    local a = answers[math.min(#calls, #answers)]
    if type(a) == "function" then return a(req) end
    return a[1], a[2]
  end
  return transport, calls
end

local function with(transport, overrides)
  local o = overrides or {}
  o.transport = transport
  return h.client(nil, o)
end

-- A real HTTP client as a transport: luasocket, no redirects followed.
local function luasocket(req)
  local sink = {}
  local headers = { ["Content-Length"] = tostring(#req.body) }
  for k, v in pairs(req.headers) do headers[k] = v end
  local ok, status, resp_headers = http.request {
    url = req.url, method = req.method, headers = headers, redirect = false,
    source = ltn12.source.string(req.body), sink = ltn12.sink.table(sink),
  }
  if not ok then return nil, status end
  return { status = status, body = table.concat(sink), headers = resp_headers }
end

describe("whatsapp.new{ transport = ... }", function()
  it("takes a function and sends nothing when it creates the client", function()
    local transport, calls = canned { { status = 202, body = ACCEPTED } }
    local c = with(transport)
    assert.equals("kaleyra.whatsapp.Client (sid " .. h.creds.sid .. ", transport function)", tostring(c))
    assert.equals(0, #calls)
    c:close()
    assert.equals("kaleyra.whatsapp.Client (closed)", tostring(c))
  end)

  it("returns a config error for a transport it does not know", function()
    local c, err = h.whatsapp.new(h.options(nil, { transport = "carrier-pigeon" }))
    assert.is_nil(c)
    assert.same({ kind = "config", field = "transport", retryable = false, sent = false,
      message = 'transport must be "curl", "ngx" or a function, got "carrier-pigeon"' }, err)
    assert.equals('config (transport): transport must be "curl", "ngx" or a function, got "carrier-pigeon"',
      tostring(err))
    err = select(2, h.whatsapp.new(h.options(nil, { transport = 42 })))
    assert.equals('transport must be "curl", "ngx" or a function, got a number', err.message)
  end)

  it('refuses "ngx" outside nginx', function()
    local c, err = h.whatsapp.new(h.options(nil, { transport = "ngx" }))
    assert.is_nil(c)
    assert.equals("transport \"ngx\" needs nginx's Lua module (OpenResty)", err.message)
  end)

  it('gives the libcurl client for "curl", as without the option', function()
    local c = h.client(nil, { transport = "curl" })
    assert.equals("kaleyra.whatsapp.Client (sid " .. h.creds.sid .. ")", tostring(c))
    assert.is_function(c.submit)
    c:close()
  end)

  it("still checks every other option first", function()
    local _, err = h.whatsapp.new(h.options(nil, { transport = function() end, api_key = h.NONE }))
    assert.equals("api_key", err.field)
    _, err = h.whatsapp.new(h.options(nil, { transport = function() end, timeout = -1 }))
    assert.equals("timeout", err.field)
    assert.has_error(function()
      h.whatsapp.new(h.options(nil, { transport = function() end, bogus = 1 }))
    end, "whatsapp.new: unknown field 'bogus'")
  end)
end)

describe("the request table a transport gets", function()
  it("is the one client:build makes, with the timeouts", function()
    local transport, calls = canned { { status = 202, body = ACCEPTED } }
    local c = with(transport, { base_url = "http://127.0.0.1:9/prefix", timeout = 7, connect_timeout = 2.5 })
    local msg = { to = h.magic.to, body = "hello", extra_info = { ref = "r1" } }
    assert(c:send_text(msg))
    local built = c:build("text", msg)
    c:close()
    local req = calls[1]
    assert.equals("text", req.op) -- the operation's registry name
    assert.equals(1, req.attempt)
    assert.equals("POST", req.method)
    assert.equals("http://127.0.0.1:9/prefix/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages",
      req.url)
    assert.same({
      ["api-key"] = h.creds.api_key, ["Content-Type"] = "application/json",
      Accept = "application/json", ["User-Agent"] = "kaleyra-whatsapp/" .. h.whatsapp.version,
    }, req.headers)
    assert.equals(built.body, req.body)
    assert.same(h.json.decode(built.body), h.json.decode(req.body))
    assert.equals(7, req.timeout)
    assert.equals(2.5, req.connect_timeout)
    assert.equals("POST " .. req.url .. " (api-key <redacted>)", tostring(req))
  end)

  it("has op publish, the publish URL and an empty body for publish_flow", function()
    local transport, calls = canned { { status = 200, body = '{"success": true}' } }
    local c = with(transport, { timeout = h.NONE })
    local res = assert(c:publish_flow(h.magic.flow_id))
    c:close()
    assert.same({ status = 200, success = true, attempts = 1, body = { success = true } }, res)
    assert.equals("publish", calls[1].op)
    assert.matches("/whatsapp/" .. h.magic.flow_id .. "/publish$", calls[1].url)
    assert.equals("", calls[1].body)
    assert.equals(30, calls[1].timeout) -- the defaults
    assert.equals(10, calls[1].connect_timeout)
  end)

  it("is never made for an invalid message: the transport is not called", function()
    local transport, calls = canned { { status = 202, body = ACCEPTED } }
    local c = with(transport)
    local res, err = c:send_text { to = "12", body = "x" }
    assert.is_nil(res)
    assert.equals("validation", err.kind)
    assert.equals("to", err.field)
    res, err = c:publish_flow("12ab")
    assert.is_nil(res)
    assert.equals("flow_id", err.field)
    assert.equals(0, #calls)
    c:close()
  end)
end)

describe("results and errors through a function transport", function()
  local env = h.env()
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  local text = { to = h.magic.to, body = "parity" }
  local cases = {
    { "an accepted text", "send_text", text },
    { "an accepted call-to-action", "send_cta_url", { to = h.magic.to, body = "b", display_text = "Go",
      url = "https://example.com/x" } },
    { "an accepted flow", "send_flow", { to = h.magic.to, body = "b", flow = { flow_id = "1120000000000207",
      flow_cta = "Book!", flow_action = "navigate" } } },
    { "an accepted raw message", "send", { messaging_object = { to = h.magic.to, type = "text",
      text = { body = "raw" } } } },
    { "a validation error", "send_text", { to = h.magic.to, body = "" } },
    { "low balance", "send_text", { to = h.magic.to_low_balance, body = "x" } },
    { "a server error", "send_text", { to = h.magic.to_server_error, body = "x" } },
    { "a rejected payload", "send_text", { to = h.magic.to_bad_payload, body = "x" } },
    { "a published flow", "publish_flow", h.magic.flow_id },
    { "an unknown flow", "publish_flow", h.magic.flow_id_unknown },
    { "the documents' invalid-JSON 202", "send_text", text, "docs-202" },
    { "an HTML 502", "send_text", text, "html-502" },
    { "a cut JSON error body", "send_text", text, "bad-json" },
    { "an empty 200", "send_text", text, "empty-200" },
    { "a redirect", "send_text", text, "status-302" },
    { "a 500, not retried", "send_text", text, "status-500" },
    { "a 429 retried once after its Retry-After", "send_text", text, "status-429", { retries = 1 } },
  }
  for _, case in ipairs(cases) do
    local name, method, msg, fault, options = table.unpack(case)
    it("are the libcurl path's for " .. name, function()
      local function via(transport)
        local o = { transport = transport }
        for k, v in pairs(options or {}) do o[k] = v end
        if fault then o.base_url = env.sandbox.url .. "/fault/" .. fault end
        local c = h.client(env.sandbox, o)
        local res, err = c[method](c, msg)
        c:close()
        return res, err
      end
      local res1, err1 = via(nil)
      local res2, err2 = via(luasocket)
      if res1 then
        assert.equals(type(res1.message_id), type(res2.message_id))
        if res1.message_id and type(res1.body) == "table" then
          res1.message_id, res2.message_id, res1.body.data.message_id, res2.body.data.message_id = nil, nil, nil, nil
        end
      end
      assert.same(res1, res2)
      assert.same(err1, err2)
      if err1 then
        assert.equals(getmetatable(err1), getmetatable(err2))
        assert.equals(tostring(err1), tostring(err2))
      end
    end)
  end
end)

describe("a transport's failures", function()
  it("retry where nothing was sent, with the client's retries", function()
    local transport, calls = canned { nil, { kind = "network", message = "connect refused", sent = false } }
    local c = with(transport, { retries = 2 })
    local res, err = c:send_text { to = h.magic.to, body = "x" }
    c:close()
    assert.is_nil(res)
    assert.equals(3, #calls)
    assert.same({ kind = "network", message = "connect refused", sent = false, retryable = true, attempts = 3 },
      err)
    assert.equals("network: connect refused", tostring(err))
  end)

  it("do not retry once the request may have been sent", function()
    local transport, calls = canned { nil, { kind = "timeout", message = "read timed out", sent = true } }
    local c = with(transport)
    local _, err = c:send_text { to = h.magic.to, body = "x" }
    c:close()
    assert.equals(1, #calls)
    assert.same({ kind = "timeout", message = "read timed out", sent = true, retryable = true, attempts = 1 }, err)
  end)

  it("report TLS failures as kind tls, not retryable", function()
    local transport, calls = canned { nil, { kind = "tls", message = "certificate verify failed", sent = false } }
    local c = with(transport)
    local _, err = c:send_text { to = h.magic.to, body = "x" }
    c:close()
    assert.equals(1, #calls)
    assert.same({ kind = "tls", message = "certificate verify failed", sent = false, retryable = false,
      attempts = 1 }, err)
  end)

  it("may be plain strings: network (or timeout), maybe sent, so never retried", function()
    local transport, calls = canned({ nil, "connection refused" }, { nil, "read timed out" })
    local c = with(transport)
    local _, err = c:send_text { to = h.magic.to, body = "x" }
    assert.same({ kind = "network", message = "connection refused", sent = true, retryable = true, attempts = 1 },
      err)
    _, err = c:send_text { to = h.magic.to, body = "x" }
    assert.equals("timeout", err.kind)
    assert.equals(2, #calls)
    c:close()
  end)

  it("retry a 503 whose Retry-After comes in any header case", function()
    local transport, calls = canned(
      { { status = 503, body = '{"code":"X","message":"busy"}', headers = { ["Retry-After"] = "0" } } },
      { { status = 503, body = '{"code":"X","message":"busy"}', headers = { ["retry-after"] = "0" } } },
      { { status = 202, body = ACCEPTED } })
    local c = with(transport)
    local res = assert(c:send_text { to = h.magic.to, body = "x" })
    c:close()
    assert.equals(3, #calls)
    assert.equals(3, res.attempts)
    assert.equals("A1", res.message_id)
  end)

  it("refuse an answer larger than 1 MiB as kind protocol", function()
    local transport = canned { { status = 202, body = string.rep("x", 1024 * 1024 + 1) } }
    local c = with(transport)
    local _, err = c:send_text { to = h.magic.to, body = "x" }
    c:close()
    assert.same({ kind = "protocol", message = "the answer is larger than 1048576 bytes", sent = true,
      retryable = false, attempts = 1 }, err)
  end)

  it("raise when the transport returns something that is not a response", function()
    local c = with(canned { { status = "202", body = ACCEPTED } })
    assert.has_error(function() c:send_text { to = h.magic.to, body = "x" } end)
    c = with(canned { { status = 202, body = {} } })
    assert.has_error(function() c:send_text { to = h.magic.to, body = "x" } end,
      "kaleyra.whatsapp: the transport's response body is a table, not a string")
  end)

  it("let an error the transport raises through", function()
    local c = with(function() error("boom", 0) end)
    assert.has_error(function() c:send_text { to = h.magic.to, body = "x" } end, "boom")
  end)
end)

describe("a transport client", function()
  it("raises like the libcurl client for bad arguments and unknown keys", function()
    local c = with(canned { { status = 202, body = ACCEPTED } })
    local curl = h.client(nil)
    for _, call in ipairs {
      function(x) return x:send_text(nil) end,
      function(x) return x:send_text { to = h.magic.to, body = "x", bogus = 1 } end,
      function(x) return x:publish_flow(true) end,
    } do
      local _, e1 = pcall(call, curl)
      local _, e2 = pcall(call, c)
      assert.equals(e1:gsub("^[^:]*:%d+: ", ""), e2:gsub("^[^:]*:%d+: ", ""))
    end
    c:close()
    curl:close()
  end)

  it("closes idempotently, by __close too, and then refuses to send", function()
    local c
    do
      local inner <close> = with(canned { { status = 202, body = ACCEPTED } })
      c = inner
    end
    assert.equals("kaleyra.whatsapp.Client (closed)", tostring(c))
    c:close()
    assert.has_error(function() c:send_text { to = h.magic.to, body = "x" } end,
      "attempt to use a closed kaleyra.whatsapp.Client")
  end)

  it("submits and polls through the same machine as the libcurl client", function()
    local transport, calls = canned { { status = 202, body = ACCEPTED } }
    local c = with(transport)
    local got = {}
    for i = 1, 3 do
      assert.is_true(c:submit("text", { to = h.magic.to, body = "n" .. i }, function(res, err)
        got[#got + 1] = res and res.message_id or err
      end))
    end
    local _, err = c:submit("text", { to = "12", body = "x" }, function() end)
    assert.equals("to", err.field)
    assert.equals(3, c:pending())
    assert.equals(0, c:timeout())
    for _ = 1, 10 do
      if c:pending() == 0 then break end
      c:poll(1)
    end
    assert.equals(0, c:pending())
    assert.same({ "A1", "A1", "A1" }, got)
    assert.equals(3, #calls)
    assert.is_nil(c:fd()) -- no descriptor: the host waits for timeout()
    c:close()
  end)

  it("sends a list with send_many, one message at a time", function()
    local transport, calls = canned { { status = 202, body = ACCEPTED } }
    local c = with(transport)
    local results = c:send_many {
      { to = h.magic.to, body = "one" },
      "not a message",
      { op = "no_such_op", to = h.magic.to },
      { op = "cta_url", to = h.magic.to, body = "b", display_text = "Go", url = "https://example.com" },
      { to = "12", body = "bad number" },
    }
    assert.equals(2, #calls)
    assert.same({ ok = true, status = 202, code = "WA202", message_id = "A1" }, results[1])
    assert.same({ "item", "op", "to" }, { results[2].error.field, results[3].error.field, results[5].error.field })
    assert.equals("item 2 is a string, not a message table", results[2].error.message)
    assert.is_true(results[4].ok)

    local seen, progress = {}, {}
    local i = 0
    local summary = c:send_many(function()
      i = i + 1
      if i <= 3 then return { to = h.magic.to, body = "n" .. i } end
    end, {
      on_result = function(index, r) seen[index] = r.ok end,
      on_progress = function(done, total) progress[#progress + 1] = { done, total } end,
    })
    assert.same({ total = 3, ok = 3, failed = 0 }, summary)
    assert.same({ true, true, true }, seen)
    -- the engine's batch reads ahead, so the total is known by the first result
    assert.same({ { 1, 3 }, { 2, 3 }, { 3, 3 } }, progress)
    assert.has_error(function() c:send_many({}, { bogus = true }) end, "send_many: unknown field 'bogus'")
    c:close()
  end)
end)
