-- spec/93-openresty_spec.lua - the library inside real nginx with its Lua
-- module (LuaJIT, build/luajit/): clients default to the cosocket
-- transport; the four operations reach the stand-in; results and errors
-- match the libcurl path's; a slow answer does not hold up the worker's
-- other requests; the calling request's headers never reach Kaleyra;
-- phases without cosockets raise an error naming ngx.timer.at; TLS is
-- verified against lua_ssl_trusted_certificate; a host name without a
-- `resolver` says so; examples/openresty works as shipped.
--
-- nginx runs spec/support/openresty_app.lua (see its header for the
-- routes) from spec/support/openresty.conf.in, with one worker. Requests
-- to it are plain HTTP/1.0 over luasocket, so every wait is a socket
-- timeout; nginx instances are stopped in teardown.
local h = require "spec.helpers"
local socket = require "socket"

local ROOT = (function()
  local p = io.popen("pwd -P")
  local dir = p:read("l")
  p:close()
  return dir
end)()

local function sh(cmd)
  local p = io.popen(cmd .. " 2>&1", "r")
  local out = p:read("a")
  local ok = p:close()
  assert(ok, cmd .. "\n" .. out)
  return out
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local text = f:read("a")
  f:close()
  return text
end

-- Opens a connection to the app and sends one HTTP/1.0 request.
local function open(app, method, path, body, headers)
  local c = assert(socket.tcp())
  c:settimeout(10)
  assert(c:connect("127.0.0.1", app.port))
  local lines = { ("%s %s HTTP/1.0"):format(method, path), "Host: 127.0.0.1" }
  for name, value in pairs(headers or {}) do lines[#lines + 1] = name .. ": " .. value end
  if body then lines[#lines + 1] = "Content-Length: " .. #body end
  assert(c:send(table.concat(lines, "\r\n") .. "\r\n\r\n" .. (body or "")))
  return c
end

-- Reads the whole answer (nginx closes HTTP/1.0 connections); returns
-- status and body.
local function finish(c)
  local text, err, partial = c:receive("*a")
  c:close()
  text = text or partial
  assert(text and text ~= "", "no answer from nginx: " .. tostring(err))
  local status = tonumber(text:match("^HTTP/%d%.%d (%d%d%d)"))
  return status, text:match("\r\n\r\n(.*)$") or ""
end

local function request(app, method, path, body, headers)
  return finish(open(app, method, path, body, headers))
end

local function get_json(app, path, headers)
  local status, body = request(app, "GET", path, nil, headers)
  assert.equals(200, status, body)
  return assert(h.json.decode(body))
end

-- Runs one operation in nginx through POST /run.
local function run_in_nginx(app, op, msg, options)
  local status, body = request(app, "POST", "/run", h.json.encode { op = op, msg = msg, options = options or {} })
  assert.equals(200, status, body)
  return assert(h.json.decode(body))
end

-- The same operation through the libcurl engine, in the shape the app reports.
local METHOD = { text = "send_text", cta_url = "send_cta_url", flow = "send_flow", publish = "publish_flow" }
local function run_with_curl(standin, op, msg, options)
  local client = h.client(standin, options)
  local res, err = client[METHOD[op]](client, msg)
  client:close()
  if res then
    return { ok = true, result = { status = res.status, code = res.code, message = res.message,
      message_id = res.message_id, success = res.success, attempts = res.attempts } }
  end
  return { ok = false, error = { kind = err.kind, status = err.status, code = err.code, message = err.message,
    field = err.field, retryable = err.retryable, sent = err.sent, attempts = err.attempts,
    retry_after = err.retry_after, text = tostring(err) } }
end

-- Polls until pred() is true, at most `seconds`; returns pred's last value.
local function eventually(pred, seconds)
  local deadline = socket.gettime() + seconds
  repeat
    local v = pred()
    if v then return v end
    socket.sleep(0.05)
  until socket.gettime() > deadline
  return pred()
end

describe("OpenResty (nginx + LuaJIT)", function()
  local dir, standin, stranger, app
  local q = h.launcher.shell_quote

  setup(function()
    dir = sh('mktemp -d "${TMPDIR:-/tmp}/kwa-openresty.XXXXXX"'):gsub("%s+$", "")
    -- A CA the app trusts, a server certificate from it, and a self-signed
    -- stranger. nginx checks a peer's name with X509_check_host, which knows
    -- DNS names only: for the IP address these tests connect to, it matches
    -- the subject CN of a certificate without subjectAltName.
    sh(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
      .. "-subj /CN=kwa-openresty-ca -addext basicConstraints=critical,CA:TRUE "
      .. "-addext keyUsage=critical,keyCertSign,cRLSign -keyout %s -out %s"):format(
      q(dir .. "/ca.key"), q(dir .. "/ca.pem")))
    local f = assert(io.open(dir .. "/server.ext", "w"))
    f:write("basicConstraints=CA:FALSE\n")
    f:close()
    sh(("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 "
      .. "-keyout %s -out %s"):format(q(dir .. "/server.key"), q(dir .. "/server.csr")))
    sh(("openssl x509 -req -days 2 -in %s -CA %s -CAkey %s -CAcreateserial -extfile %s -out %s"):format(
      q(dir .. "/server.csr"), q(dir .. "/ca.pem"), q(dir .. "/ca.key"), q(dir .. "/server.ext"),
      q(dir .. "/server.pem")))
    sh(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 "
      .. "-keyout %s -out %s"):format(
      q(dir .. "/stranger.key"), q(dir .. "/stranger.pem")))

    standin = assert(h.launcher.start { tls = { cert = dir .. "/server.pem", key = dir .. "/server.key" } })
    stranger = assert(h.launcher.start { tls = { cert = dir .. "/stranger.pem", key = dir .. "/stranger.key" } })
    app = assert(h.launcher.start { conf = { template = ROOT .. "/spec/support/openresty.conf.in", vars = {
      ROOT = ROOT, STANDIN = standin.url, CA_FILE = dir .. "/ca.pem",
      SID = h.creds.sid, API_KEY = h.creds.api_key, FROM = h.creds.from,
    } } })
  end)

  teardown(function()
    if app then app:stop() end
    if stranger then stranger:stop() end
    if standin then standin:stop() end
    if dir and dir:match("/kwa%-openresty%.%w+$") then os.execute("rm -rf -- " .. q(dir)) end
  end)

  before_each(function() standin:clear() end)

  describe("the module", function()
    it("loads in nginx's LuaJIT, and clients made there use the ngx transport", function()
      local status, body = request(app, "GET", "/dict?key=init_worker_new")
      assert.equals(200, status)
      assert.equals("kaleyra.whatsapp.Client (sid " .. h.creds.sid .. ", transport ngx)\n", body)
    end)

    it("refuses the libcurl transport inside nginx, which would block the worker", function()
      local out = get_json(app, "/new?transport=curl")
      assert.equals('config (transport): transport "curl" would block the nginx worker; use "ngx" or a function',
        out.error)
      out = get_json(app, "/new?transport=ngx")
      assert.matches("transport ngx", out.client, 1, true)
    end)
  end)

  describe("the four operations", function()
    it("reach the stand-in through the library, on one kept-alive connection", function()
      local out = get_json(app, "/four")
      assert.equals(4, #out)
      for i = 1, 3 do
        assert.is_true(out[i].ok)
        assert.equals(202, out[i].result.status)
        assert.equals("WA202", out[i].result.code)
        assert.matches("^A%w+$", out[i].result.message_id)
      end
      assert.same({ status = 200, success = true, attempts = 1 }, out[4].result)
      local records = standin:records()
      assert.equals(4, #records)
      assert.equals("text", records[1].json.messaging_object.type)
      assert.equals("cta_url", records[2].json.messaging_object.interactive.type)
      assert.equals("flow", records[3].json.messaging_object.interactive.type)
      assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. h.magic.flow_id .. "/publish", records[4].path)
      for i = 2, 4 do
        assert.equals(records[1].connection, records[i].connection)
        assert.equals(tonumber(records[1].connection_requests) + i - 1, tonumber(records[i].connection_requests))
      end
    end)
  end)

  describe("results and errors", function()
    local text = { to = h.magic.to, body = "parity" }
    local function fault(mode) return { base_url = "FAULT/" .. mode } end
    local cases = {
      { "an accepted text", "text", text },
      { "a validation error", "text", { to = "12", body = "x" } },
      { "a validation error in a passthrough table", "flow",
        { to = h.magic.to, body = "b", flow = { flow_id = "1", flow_cta = "Go", flow_action = "navigate",
          flow_action_payload = { data = {} } } } },
      { "low balance", "text", { to = h.magic.to_low_balance, body = "x" } },
      { "a server error", "text", { to = h.magic.to_server_error, body = "x" } },
      { "another API version", "text", { to = h.magic.to, body = "x", from = h.magic.from_other_version } },
      { "a published flow", "publish", h.magic.flow_id },
      { "an unknown flow", "publish", h.magic.flow_id_unknown },
      { "the documents' invalid-JSON 202", "text", text, fault "docs-202" },
      { "an HTML 502", "text", text, fault "html-502" },
      { "a cut JSON error body", "text", text, fault "bad-json" },
      { "a body cut mid-way", "text", text, fault "cut" },
      { "an empty 200", "text", text, fault "empty-200" },
      { "a redirect", "text", text, fault "status-302" },
      { "a 429 retried once after Retry-After", "text", text, { base_url = "FAULT/status-429", retries = 1 } },
      { "a 503 retried once", "text", text, { base_url = "FAULT/status-503", retries = 1 } },
      { "a 500, not retried", "text", text, fault "status-500" },
      { "a timeout after sending", "text", text, { base_url = "FAULT/slow-2000", timeout = 0.3 } },
    }
    local function resolve(options)
      local o = {}
      for k, v in pairs(options or {}) do
        o[k] = type(v) == "string" and v:gsub("^FAULT", standin.url .. "/fault") or v
      end
      return o
    end
    for _, case in ipairs(cases) do
      it("are the libcurl path's for " .. case[1], function()
        local via_curl = run_with_curl(standin, case[2], case[3], resolve(case[4]))
        local via_ngx = run_in_nginx(app, case[2], case[3], resolve(case[4]))
        if via_curl.ok then
          assert.equals(type(via_curl.result.message_id), type(via_ngx.result.message_id))
          via_curl.result.message_id, via_ngx.result.message_id = nil, nil
        elseif via_curl.error.kind == "network" or via_curl.error.kind == "timeout" then
          -- libcurl's and nginx's own words for a broken connection differ
          via_curl.error.message, via_ngx.error.message = nil, nil
          via_curl.error.text, via_ngx.error.text = nil, nil
        end
        via_ngx.client = nil
        assert.same(via_curl, via_ngx)
      end)
    end

    it("are the libcurl path's for a refused connection: network, not sent, retried", function()
      local closed = h.launcher.start()
      local url = closed.url
      closed:stop()
      local out = run_in_nginx(app, "text", text, { base_url = url })
      local err = run_with_curl(standin, "text", text, { base_url = url }).error
      assert.same({ err.kind, err.sent, err.retryable, err.attempts },
        { out.error.kind, out.error.sent, out.error.retryable, out.error.attempts })
      assert.same({ "network", false, true, 3 }, { err.kind, err.sent, err.retryable, err.attempts })
    end)
  end)

  describe("a slow answer", function()
    it("does not hold up other requests served by the same worker", function()
      -- start the slow send and wait until the stand-in has its request
      local slow = open(app, "GET", "/slow")
      assert.is_truthy(eventually(function()
        for _, rec in ipairs(standin:records()) do
          if rec.fault == "slow-1500" then return true end
        end
      end, 5), "the slow request never reached the stand-in")

      -- a second request to the same (single) worker is answered meanwhile
      local status, body = request(app, "GET", "/fast")
      assert.equals(200, status)
      local fast = h.json.decode(body)
      assert.is_true(fast.ok)
      assert.equals(202, fast.result.status)

      -- ... while the slow one still has not been answered
      slow:settimeout(0)
      local data, err, partial = slow:receive(1)
      assert.is_nil(data)
      assert.equals("timeout", err)
      assert.equals("", partial)

      slow:settimeout(10)
      local slow_status, slow_body = finish(slow)
      assert.equals(200, slow_status)
      assert.is_true(h.json.decode(slow_body).ok)

      local records = standin:records()
      assert.equals(2, #records)
      assert.equals("slow-1500", records[1].fault)
      assert.is_nil(records[2].fault)
      assert.equals(2, records[2].inflight) -- the stand-in had both at once
    end)
  end)

  describe("the calling request", function()
    it("never has its headers or cookies forwarded to Kaleyra", function()
      local status = request(app, "GET", "/fast", nil, {
        Cookie = "session=caller-cookie-s3cr3t",
        Authorization = "Bearer caller-token-s3cr3t",
        ["X-Secret"] = "caller-x-s3cr3t",
        ["User-Agent"] = "caller-agent/1.0",
        ["X-Forwarded-For"] = "203.0.113.7",
      })
      assert.equals(200, status)
      local records = standin:records()
      assert.equals(1, #records)
      local names = {}
      for name, value in pairs(records[1].headers) do
        names[#names + 1] = name
        assert.is_nil(tostring(value):find("s3cr3t", 1, true), name)
        assert.is_nil(tostring(value):find("caller", 1, true), name)
      end
      table.sort(names)
      assert.same({ "accept", "api-key", "connection", "content-length", "content-type", "host", "user-agent" },
        names)
      assert.matches("^kaleyra%-whatsapp/", records[1].headers["user-agent"])
    end)
  end)

  describe("phases without cosockets", function()
    local HINT = "ngx.timer.at(0, function(premature) client:send_text(...) end)"

    it("raise in init_worker, naming ngx.timer.at", function()
      local status, body = request(app, "GET", "/dict?key=init_worker_send")
      assert.equals(200, status)
      assert.matches("send_text cannot send in nginx's init_worker phase", body, 1, true)
      assert.matches(HINT, body, 1, true)
    end)

    it("raise in the log phase, naming ngx.timer.at, and send nothing", function()
      assert.equals(200, (request(app, "GET", "/log-phase")))
      local log = eventually(function()
        local text = read_file(app.error_log)
        return text:find("log phase", 1, true) and text
      end, 5)
      assert.is_truthy(log, "nothing in error.log")
      assert.matches("send_text cannot send in nginx's log phase, where cosockets are disabled", log, 1, true)
      assert.matches(HINT, log, 1, true)
      assert.same({}, standin:records())
    end)

    it("can send from a timer started there", function()
      assert.equals(200, (request(app, "GET", "/log-timer")))
      local out = eventually(function()
        local _, body = request(app, "GET", "/dict?key=timer")
        return body ~= "\n" and body
      end, 5)
      assert.is_truthy(out, "the timer never reported")
      assert.is_true(h.json.decode(out).ok)
      assert.equals(1, #standin:records())
    end)
  end)

  describe("examples/openresty", function()
    it("has an nginx.conf that nginx accepts", function()
      local out = sh(("/usr/sbin/nginx -t -p %s -c examples/openresty/nginx.conf -e stderr"):format(q(ROOT .. "/")))
      assert.matches("test is successful", out, 1, true)
    end)

    it("has a handler that sends a text message and reports errors", function()
      local status, body = request(app, "POST", "/send", '{"to": "' .. h.magic.to .. '", "body": "Hello"}')
      assert.equals(202, status)
      local out = h.json.decode(body)
      assert.matches("^A%w+$", out.message_id)
      local records = standin:records()
      assert.equals(1, #records)
      assert.equals("Hello", records[1].json.messaging_object.text.body)

      status, body = request(app, "POST", "/send", '{"to": "12", "body": "Hello"}')
      assert.equals(400, status)
      assert.same({ kind = "validation", retryable = false,
        error = "validation (to): to must be an E.164 number: optional '+' and 8 to 15 digits" }, h.json.decode(body))
      status, body = request(app, "POST", "/send", '{"to": "' .. h.magic.to_low_balance .. '", "body": "Hello"}')
      assert.equals(502, status)
      assert.equals("balance", h.json.decode(body).kind)
    end)
  end)

  describe("TLS", function()
    it("sends over a verified connection to a certificate from a trusted CA", function()
      local out = run_in_nginx(app, "text", { to = h.magic.to, body = "tls" }, { base_url = standin.tls_url })
      assert.is_true(out.ok, out.error and out.error.text)
      assert.equals(202, out.result.status)
      assert.equals(1, #standin:records())
    end)

    it("refuses a self-signed certificate, sending nothing", function()
      stranger:clear()
      local out = run_in_nginx(app, "text", { to = h.magic.to, body = "tls" },
        { base_url = stranger.tls_url, retries = 0 })
      assert.is_false(out.ok)
      assert.equals("tls", out.error.kind, out.error.text)
      -- the reason is in the message, or in error.log where some
      -- lua-nginx-module versions leave it (see kaleyra/whatsapp/ngx.lua)
      assert.is_truthy(out.error.message:find("self-signed certificate", 1, true)
        or read_file(app.error_log):find("self-signed certificate", 1, true), out.error.message)
      assert.is_false(out.error.sent)
      assert.is_false(out.error.retryable)
      assert.same({}, stranger:records())
    end)

    it("says a host name needs nginx's resolver, as a network error that sent nothing", function()
      local out = run_in_nginx(app, "text", { to = h.magic.to, body = "x" },
        { base_url = "https://kaleyra.invalid", retries = 0 })
      assert.same({ "network", false, true }, { out.error.kind, out.error.sent, out.error.retryable })
      assert.matches('no resolver defined to resolve "kaleyra.invalid"', out.error.message, 1, true)
      assert.matches("add a `resolver` directive to nginx.conf", out.error.message, 1, true)
    end)

    it("refuses https to a plain-http server as a TLS error", function()
      local out = run_in_nginx(app, "text", { to = h.magic.to, body = "tls" },
        { base_url = standin.url:gsub("^http:", "https:"), retries = 0 })
      assert.equals("tls", out.error.kind)
      assert.is_false(out.error.sent)
      assert.same({}, standin:records())
    end)
  end)
end)
