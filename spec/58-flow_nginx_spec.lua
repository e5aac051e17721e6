-- spec/58-flow_nginx_spec.lua - examples/openresty/flow_endpoint.lua in real
-- nginx (LuaJIT build), driven as WhatsApp drives it: requests encrypted
-- with whatsapp.flow_request_encrypt to the public key, POSTed over
-- loopback, answers decrypted with whatsapp.flow_response_decrypt. Covers
-- the health check, the screen router, flow_token checks (427), a request
-- for another key (421), an oversized body, and the example's
-- nginx.conf. Keys are made by the openssl command.
local h = require "spec.helpers"
local socket = require "socket"
local keys_lib = require "spec.support.flowkeys"

local whatsapp = h.whatsapp
local q = h.launcher.shell_quote

local ROOT = (function()
  local p = io.popen("pwd -P")
  local dir = p:read("l")
  p:close()
  return dir
end)()

local function http(app, method, path, body)
  local c = assert(socket.tcp())
  c:settimeout(10)
  assert(c:connect("127.0.0.1", app.port))
  local head = ("%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n"):format(method, path)
  if body then head = head .. "Content-Length: " .. #body .. "\r\n" end
  assert(c:send(head .. "\r\n" .. (body or "")))
  local text, _, partial = c:receive("*a")
  c:close()
  text = text or partial
  return tonumber(text:match("^HTTP/%d%.%d (%d%d%d)")), text:match("\r\n\r\n(.*)$") or ""
end

describe("examples/openresty/flow_endpoint.lua in nginx", function()
  local keys, app

  setup(function()
    keys = keys_lib.make()
    local path = keys.dir .. "/pkcs8_enc.pem"
    app = assert(h.launcher.start { conf = { template = ROOT .. "/spec/support/flow_endpoint.conf.in", vars = {
      ROOT = ROOT, KEY = path, PASS = keys_lib.PASSPHRASE,
    } } })
    assert.equals(200, (http(app, "GET", "/issue-token?token=tok-good")))
  end)

  teardown(function()
    if app then app:stop() end
    keys_lib.cleanup(keys)
  end)

  -- POSTs request encrypted to `public`; returns status and the decrypted answer.
  local function call(request, public)
    local body, ctx = assert(whatsapp.flow_request_encrypt(public or keys.pkcs8_pub, request))
    local status, out = http(app, "POST", "/flow", body)
    if out == "" then return status, nil end
    return status, assert(whatsapp.flow_response_decrypt(out, ctx))
  end

  it("answers the health check", function()
    local status, resp = call { version = "3.0", action = "ping" }
    assert.equals(200, status)
    assert.same({ version = "3.0", data = { status = "active" } }, resp)
  end)

  it("routes INIT, data_exchange and BACK through the screens", function()
    local status, resp = call { version = "3.0", action = "INIT", flow_token = "tok-good" }
    assert.equals(200, status)
    assert.equals("APPOINTMENT", resp.screen)
    assert.equals("cardio", resp.data.departments[1].id)

    status, resp = call { version = "3.0", action = "data_exchange", screen = "APPOINTMENT",
      flow_token = "tok-good", data = { department = "derma" } }
    assert.equals(200, status)
    assert.same({ version = "3.0", screen = "DETAILS", data = { department = "Dermatology" } }, resp)

    status, resp = call { version = "3.0", action = "data_exchange", screen = "APPOINTMENT",
      flow_token = "tok-good", data = { department = "none" } }
    assert.equals(200, status)
    assert.equals("Pick a department", resp.data.error_message)

    status, resp = call { version = "3.0", action = "BACK", screen = "DETAILS", flow_token = "tok-good" }
    assert.equals(200, status)
    assert.equals("APPOINTMENT", resp.screen)

    status, resp = call { version = "3.0", action = "data_exchange", screen = "DETAILS",
      flow_token = "tok-good", data = { department = "Dermatology" } }
    assert.equals(200, status)
    assert.same({ flow_token = "tok-good", department = "Dermatology" },
      resp.data.extension_message_response.params)
  end)

  it("acknowledges error notifications", function()
    local status, resp = call { version = "3.0", action = "data_exchange", screen = "DETAILS",
      flow_token = "tok-good", data = { error = "INVALID_SCREEN_DATA" } }
    assert.equals(200, status)
    assert.is_true(resp.data.acknowledged)
  end)

  it("answers 427 with the encrypted error_msg for a token it did not issue", function()
    local status, resp = call { version = "3.0", action = "INIT", flow_token = "tok-forged" }
    assert.equals(427, status)
    assert.matches("expired", resp.error_msg)
  end)

  it("answers 421 to a request for another key, and to garbage", function()
    assert.equals(421, (call({ version = "3.0", action = "ping" }, keys.pkcs1_pub)))
    assert.equals(421, (http(app, "POST", "/flow", "{}")))
    assert.equals(421, (http(app, "POST", "/flow", "")))
  end)

  it("answers 500 when the router raises, with an empty body", function()
    local status, resp = call { version = "3.0", action = "data_exchange", screen = "NOWHERE", flow_token = "tok-good" }
    assert.equals(500, status)
    assert.is_nil(resp)
  end)

  it("refuses a body over nginx's limit before any decryption", function()
    local status = http(app, "POST", "/flow", string.rep("A", 70 * 1024))
    assert.equals(413, status)
    assert.equals(405, (http(app, "GET", "/flow")))
  end)

  it("passes `kaleyra-wa flows ping` with its public key, and fails it with another", function()
    local cli = require "spec.support.cli"
    local url = ("http://127.0.0.1:%d/flow"):format(app.port)
    local r = cli.run { "flows", "ping", url, "--public-key", keys.dir .. "/pkcs8_pub.pem" }
    assert.equals(0, r.code, r.stderr)
    assert.is_true(r.lines[1].ok)
    assert.equals("active", r.lines[1].response.data.status)
    r = cli.run { "flows", "ping", url, "--public-key", keys.dir .. "/pkcs1_pub.pem" }
    assert.equals(69, r.code)
    assert.matches("421", r.stderr)
    r = cli.run { "flows", "ping", ("http://127.0.0.1:%d/nowhere"):format(app.port), "--public-key",
      keys.dir .. "/pkcs8_pub.pem" }
    assert.equals(69, r.code)
    assert.matches("HTTP 404", r.stderr)
  end)

  it("has an nginx.conf that nginx accepts", function()
    local p = io.popen(("/usr/sbin/nginx -t -p %s -c examples/openresty/flow_endpoint.conf -e stderr 2>&1")
      :format(q(ROOT .. "/")))
    local out = p:read("a")
    p:close()
    assert.matches("test is successful", out, 1, true)
  end)
end)
