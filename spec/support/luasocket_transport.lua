-- spec/support/luasocket_transport.lua - a small HTTP/1.1 client over
-- LuaSocket, used by the specs as a `transport = function` (what a user
-- plugging in their own HTTP client writes). It does I/O only and reports
-- what it saw in the library's outcome vocabulary; the C machine decides
-- what that means (kind, sent, retryable, retries).
--
--   transport(request) -> { status, body, headers } | nil, { io = ..., message = ... }
--
-- Caveats: http:// only (https gives io = "bad_url": LuaSocket has no
-- TLS); one connection per request, closed after it (no keep-alive);
-- blocking, so one request at a time. The library does not depend on
-- LuaSocket: this file lives with the specs.
local socket = require "socket"

local MAX_RESPONSE = 1024 * 1024

local function fail(io, message)
  return nil, { io = io, message = message }
end

local function parse_url(url)
  local authority, path = url:match("^http://([^/?#]+)(.*)$")
  if not authority then return nil end
  local host, port = authority:match("^([^:]+):?(%d*)$")
  if not host then return nil end
  return { host = host, port = tonumber(port) or 80, authority = authority, path = path ~= "" and path or "/" }
end

local function serialize(req, u)
  local body = req.body or ""
  local lines = { ("%s %s HTTP/1.1"):format(req.method or "POST", u.path), "Host: " .. u.authority }
  for name, value in pairs(req.headers or {}) do lines[#lines + 1] = name .. ": " .. value end
  lines[#lines + 1] = "Content-Length: " .. #body
  lines[#lines + 1] = "Connection: close"
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. body
end

-- Maps a receive error once the request went out.
local function lost(err, what)
  if err == "timeout" then return fail("timeout_sent", "no " .. what .. " within the timeout") end
  return fail("closed_sent", "the connection closed before the " .. what .. ": " .. tostring(err))
end

-- A reader that keeps every receive inside the overall deadline.
local function reader(sock, deadline)
  return function(pattern)
    local left = deadline - socket.gettime()
    if left <= 0 then return nil, "timeout", "" end
    sock:settimeout(left)
    return sock:receive(pattern)
  end
end

local function read_body(recv, headers)
  local te, length = headers["transfer-encoding"], headers["content-length"]
  if te and te:lower():find("chunked", 1, true) then
    local parts, total = {}, 0
    while true do
      local line, err = recv("*l")
      if not line then return nil, err end
      local size = tonumber(line:match("^%s*(%x+)"), 16)
      if not size then return nil, "not_http" end
      if size == 0 then
        repeat line, err = recv("*l") until not line or line == ""
        if not line then return nil, err end
        return table.concat(parts)
      end
      total = total + size
      if total > MAX_RESPONSE then return nil, "too_large" end
      local data
      data, err = recv(size)
      if not data then return nil, err end
      parts[#parts + 1] = data
      line, err = recv("*l")
      if not line then return nil, err end
    end
  elseif length then
    length = tonumber(length)
    if not length then return nil, "not_http" end
    if length > MAX_RESPONSE then return nil, "too_large" end
    if length == 0 then return "" end
    return recv(length)
  end
  local data, err, partial = recv("*a")
  data = data or partial
  if err and err ~= "closed" then return nil, err end
  if #data > MAX_RESPONSE then return nil, "too_large" end
  return data
end

return function(req)
  local u = parse_url(req.url or "")
  if not u then return fail("bad_url", "LuaSocket speaks plain http only: " .. tostring(req.url)) end
  local deadline = socket.gettime() + (req.timeout or 30)
  local sock = assert(socket.tcp())
  sock:settimeout(math.min(req.connect_timeout or 10, req.timeout or 30))
  local ok, err = sock:connect(u.host, u.port)
  if not ok then
    sock:close()
    if err == "timeout" then return fail("timeout_unsent", "connect timed out") end
    return fail("connect_failed", "could not connect: " .. tostring(err))
  end
  local data = serialize(req, u)
  sock:settimeout(math.max(0, deadline - socket.gettime()))
  local last, partial_at
  last, err, partial_at = sock:send(data)
  if not last then
    sock:close()
    local written = (partial_at or 0) > 0
    if err == "timeout" then
      return fail(written and "timeout_sent" or "timeout_unsent", "sending timed out")
    end
    return fail(written and "closed_sent" or "closed_unsent", "sending failed: " .. tostring(err))
  end

  local recv = reader(sock, deadline)
  local line, status, headers
  repeat -- interim 1xx answers
    line, err = recv("*l")
    if not line then
      sock:close()
      return lost(err, "answer")
    end
    status = tonumber(line:match("^HTTP/%d%.%d (%d%d%d)"))
    if not status then
      sock:close()
      return fail("not_http", "the answer is not HTTP")
    end
    headers = {}
    for _ = 1, 200 do
      line, err = recv("*l")
      if not line then
        sock:close()
        return lost(err, "answer's headers")
      end
      if line == "" then break end
      local name, value = line:match("^([^:]+):%s*(.-)%s*$")
      if name then headers[name:lower()] = value end
    end
  until status >= 200

  local body
  if req.method == "HEAD" or status == 204 or status == 304 then
    body = ""
  else
    body, err = read_body(recv, headers)
  end
  sock:close()
  if not body then
    if err == "too_large" then return fail("too_large", "the answer is larger than " .. MAX_RESPONSE .. " bytes") end
    if err == "not_http" then return fail("not_http", "the answer's framing is not HTTP") end
    return lost(err, "whole answer")
  end
  return { status = status, body = body, headers = headers }
end
