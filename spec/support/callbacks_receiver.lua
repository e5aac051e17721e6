-- spec/support/callbacks_receiver.lua - starts the README's callback
-- receiver (examples/openresty/callbacks.lua in nginx, through
-- spec/support/callbacks.conf.in) and talks to it, for spec/91 and spec/89.
--   local rx = receiver.start()      -- stop it in teardown: rx:stop()
--   rx.url, rx.user, rx.password     -- where and how Kaleyra must call
--   receiver.post(rx, body, headers) -- status, body (HTTP/1.0 over luasocket)
--   receiver.events(rx)              -- what on_events saw so far, decoded
--   receiver.wait_events(rx, n)      -- polls (bounded: 10 s) until n are there
local h = require "spec.helpers"
local socket = require "socket"

local M = {}

M.USER, M.PASSWORD = "kaleyra", "cb-s3cret-Pw"

local ROOT = (function()
  local p = io.popen("pwd -P")
  local dir = p:read("l")
  p:close()
  return dir
end)()

function M.basic(user, password)
  local p = io.popen("printf %s " .. h.launcher.shell_quote(user .. ":" .. password) .. " | base64 -w0")
  local b64 = p:read("a")
  p:close()
  return "Basic " .. b64
end

function M.start()
  local s = assert(h.launcher.start { conf = { template = ROOT .. "/spec/support/callbacks.conf.in",
    vars = { ROOT = ROOT, CB_USER = M.USER, CB_PASSWORD = M.PASSWORD } } })
  s.callback_url = s.url .. "/kaleyra/callbacks"
  s.user, s.password = M.USER, M.PASSWORD
  return s
end

function M.post(rx, body, headers, method, path)
  local c = assert(socket.tcp())
  c:settimeout(10)
  assert(c:connect("127.0.0.1", rx.port))
  local lines = { ("%s %s HTTP/1.0"):format(method or "POST", path or "/kaleyra/callbacks"), "Host: 127.0.0.1",
    "Content-Type: application/json" }
  for name, value in pairs(headers or {}) do lines[#lines + 1] = name .. ": " .. value end
  if body then lines[#lines + 1] = "Content-Length: " .. #body end
  assert(c:send(table.concat(lines, "\r\n") .. "\r\n\r\n" .. (body or "")))
  local text, _, partial = c:receive("*a")
  c:close()
  text = text or partial
  return tonumber(text:match("^HTTP/%d%.%d (%d%d%d)")), text:match("\r\n\r\n(.*)$") or ""
end

function M.authorized(rx, body)
  return M.post(rx, body, { Authorization = M.basic(rx.user, rx.password) })
end

function M.events(rx)
  local f = io.open(rx.prefix .. "/events.jsonl", "rb")
  if not f then return {} end
  local list = {}
  for line in f:lines() do list[#list + 1] = assert(h.json.decode(line)) end
  f:close()
  return list
end

function M.wait_events(rx, n, seconds)
  local deadline = socket.gettime() + (seconds or 10)
  repeat
    local list = M.events(rx)
    if #list >= n then return list end
    socket.sleep(0.05)
  until socket.gettime() > deadline
  return M.events(rx)
end

function M.error_log(rx)
  local f = io.open(rx.prefix .. "/error.log", "rb")
  if not f then return "" end
  local text = f:read("a")
  f:close()
  return text
end

return M
