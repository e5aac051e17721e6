-- spec/support/openresty_client.lua - starts the spec app inside real nginx
-- (spec/support/openresty.conf.in running openresty_app.lua with the LuaJIT
-- build) and talks to it over plain HTTP/1.0 with LuaSocket.
--   local app = ngx_app.start(standin)      -- stop with app:stop()
--   ngx_app.post_json(app, "/run", { ... }) -> decoded answer (asserts 200)
local h = require "spec.helpers"
local socket = require "socket"

local M = {}

M.ROOT = (function()
  local p = io.popen("pwd -P")
  local dir = p:read("l")
  p:close()
  return dir
end)()

--- Starts the app against `standin` (its http URL); TLS peers are
-- checked against the system's CA bundle (no spec here uses TLS).
function M.start(standin)
  return assert(h.launcher.start { conf = { template = M.ROOT .. "/spec/support/openresty.conf.in", vars = {
    ROOT = M.ROOT, STANDIN = standin.url, CA_FILE = "/etc/ssl/certs/ca-certificates.crt",
    SID = h.creds.sid, API_KEY = h.creds.api_key, FROM = h.creds.from,
  } } })
end

--- A stand-in and the app against it, for a describe block:
--   local env = ngx_app.env()
--   setup(env.start); teardown(env.stop); before_each(env.clear)
-- then env.standin and env.app.
function M.env()
  local env = {}
  function env.start()
    env.standin = h.start()
    env.app = M.start(env.standin)
  end
  function env.stop()
    if env.app then env.app:stop() end
    if env.standin then env.standin:stop() end
  end
  function env.clear() env.standin:clear() end
  return env
end

--- One HTTP/1.0 exchange; returns status and body.
function M.request(app, method, path, body, timeout)
  local c = assert(socket.tcp())
  c:settimeout(timeout or 30)
  assert(c:connect("127.0.0.1", app.port))
  local head = ("%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n"):format(method, path)
  if body then head = head .. "Content-Length: " .. #body .. "\r\n" end
  assert(c:send(head .. "\r\n" .. (body or "")))
  local text, err, partial = c:receive("*a")
  c:close()
  text = text or partial
  assert(text and text ~= "", "no answer from nginx: " .. tostring(err))
  return tonumber(text:match("^HTTP/%d%.%d (%d%d%d)")), text:match("\r\n\r\n(.*)$") or ""
end

function M.post_json(app, path, value, timeout)
  local status, body = M.request(app, "POST", path, h.json.encode(value), timeout)
  assert(status == 200, path .. ": " .. tostring(status) .. " " .. body)
  return assert(h.json.decode(body))
end

return M
