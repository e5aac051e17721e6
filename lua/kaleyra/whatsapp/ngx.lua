--- kaleyra.whatsapp.ngx: the "ngx" transport, a small HTTP/1.1 client
-- over nginx's cosockets, for clients created inside nginx's Lua module
-- (OpenResty, Debian's libnginx-mod-http-lua). A send yields to nginx's
-- event loop while it waits, so one slow answer never stalls the other
-- requests a worker serves; the libcurl engine never runs inside nginx.
--
-- It does I/O only: it sends the request table the C machine made
-- (kaleyra/whatsapp/transport.lua pumps the jobs) and reports what it saw
-- in the outcome vocabulary (an answer, or { io = "connect_failed" |
-- "tls_failed" | "timeout_unsent" | "timeout_sent" | "closed_unsent" |
-- "closed_sent" | "too_large" | "not_http" | "bad_url", message }); the
-- machine decides kind, sent, retryable and retries. Nothing of the
-- request being served (its headers, cookies, body) is ever forwarded.
-- TLS always verifies the peer and its name: nginx needs `lua_ssl_trusted_certificate` (the client's ca_file
-- and ca_path do not apply here). A host name needs nginx's `resolver`.
-- Connections go back to nginx's keep-alive pool, one pool per
-- scheme://host:port, after each complete answer, and idle there at most
-- 30 s (less than servers commonly keep them), since an answer lost on a
-- connection the server has just dropped is reported, not retried.
--
-- Caveats: cosockets exist only in some phases; check_phase raises
-- elsewhere (init, init_worker, set, header/body filters, log), pointing
-- to ngx.timer.at. Answers larger than 1 MiB are refused, as libcurl's are.
-- Responses use HTTP/1.1 (Content-Length, chunked, or read to close).
-- @module kaleyra.whatsapp.ngx

local M = {}

local MAX_RESPONSE = 1024 * 1024
local KEEPALIVE_IDLE_MS = 30000 -- below common server keep-alive timeouts

-- Phases in which ngx.socket.tcp works (lua-nginx-module's documentation).
local COSOCKET_PHASES = {
  rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true,
  preread = true,
}

--- True when code runs inside nginx's Lua module with cosockets compiled in.
function M.available()
  return type(ngx) == "table" and type(ngx.socket) == "table"
    and type(ngx.socket.tcp) == "function" and type(ngx.get_phase) == "function"
end

--- True if the current phase allows cosockets (and so ngx.sleep).
function M.phase_allows_io()
  return COSOCKET_PHASES[ngx.get_phase()] == true
end

--- Raises a clear error when the current phase forbids cosockets.
-- `what` names the call ("send_text"); `level` is passed to error().
-- Does not return in those phases.
function M.check_phase(what, level)
  local phase = ngx.get_phase()
  if not COSOCKET_PHASES[phase] then
    error(("kaleyra.whatsapp: %s cannot send in nginx's %s phase, where cosockets are "
      .. "disabled; send from a timer instead: ngx.timer.at(0, function(premature) "
      .. "client:%s(...) end)"):format(what, phase, what), (level or 1) + 1)
  end
end

-- Splits an absolute http(s) URL (the C core has already checked it).
local function parse_url(url)
  local scheme, authority, path = url:match("^(https?)://([^/?#]+)(.*)$")
  if not scheme then return nil end
  local host, port = authority:match("^%[(.+)%]:?(%d*)$")
  if not host then host, port = authority:match("^([^:]+):?(%d*)$") end
  if not host then return nil end
  local default = scheme == "https" and 443 or 80
  port = tonumber(port) or default
  return {
    scheme = scheme, host = host, port = port, path = path ~= "" and path or "/",
    host_header = port == default and authority:gsub(":%d*$", "") or authority,
    connect_host = host:find(":", 1, true) and "[" .. host .. "]" or host, -- IPv6
    pool = scheme .. "://" .. host .. ":" .. port,
  }
end

local function fail(io, message)
  return nil, { io = io, message = message }
end

-- Milliseconds left before deadline (at least 1), or nil once it passed.
local function remaining_ms(deadline)
  ngx.update_time()
  local left = deadline - ngx.now()
  if left <= 0 then return nil end
  return math.max(1, math.floor(left * 1000))
end

local function receive(sock, deadline, pattern)
  local ms = remaining_ms(deadline)
  if not ms then return nil, "timeout", "" end
  sock:settimeout(ms)
  return sock:receive(pattern)
end

-- Reads the status line and headers. Returns status, headers (names
-- lower-cased, repeated ones joined with ", "), version; or nil, err.
local function read_head(sock, deadline)
  local line, err = receive(sock, deadline, "*l")
  if not line then return nil, err end
  local version, status = line:match("^HTTP/(%d%.%d) (%d%d%d)")
  if not status then return nil, "bad status line" end
  local headers = {}
  for _ = 1, 200 do
    line, err = receive(sock, deadline, "*l")
    if not line then return nil, err end
    if line == "" then return tonumber(status), headers, version end
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then
      name = name:lower()
      headers[name] = headers[name] and headers[name] .. ", " .. value or value
    end
  end
  return nil, "too many header lines"
end

local function too_big()
  return fail("too_large", "the answer is larger than " .. MAX_RESPONSE .. " bytes")
end

-- Reads a chunked body. Returns the body, or nil, err (err "too big").
local function read_chunked(sock, deadline)
  local parts, total = {}, 0
  while true do
    local line, err = receive(sock, deadline, "*l")
    if not line then return nil, err end
    local size = tonumber(line:match("^%s*(%x+)"), 16)
    if not size then return nil, "bad chunk size" end
    if size == 0 then
      repeat -- trailers, up to the empty line
        line, err = receive(sock, deadline, "*l")
        if not line then return nil, err end
      until line == ""
      return table.concat(parts)
    end
    total = total + size
    if total > MAX_RESPONSE then return nil, "too big" end
    local data
    data, err = receive(sock, deadline, size)
    if not data then return nil, err end
    parts[#parts + 1] = data
    line, err = receive(sock, deadline, "*l")
    if not line then return nil, err end
  end
end

-- Reads until the server closes the connection.
local function read_to_close(sock, deadline)
  local parts, total = {}, 0
  while true do
    local data, err, partial = receive(sock, deadline, 65536)
    data = data or partial
    if data and data ~= "" then
      total = total + #data
      if total > MAX_RESPONSE then return nil, "too big" end
      parts[#parts + 1] = data
    end
    if err == "closed" then return table.concat(parts) end
    if err then return nil, err end
  end
end

local function serialize(req, u)
  local body = req.body or ""
  local lines = { ("%s %s HTTP/1.1"):format(req.method or "POST", u.path), "Host: " .. u.host_header }
  for name, value in pairs(req.headers or {}) do
    local lower = name:lower()
    if lower ~= "host" and lower ~= "content-length" and lower ~= "connection" then
      lines[#lines + 1] = name .. ": " .. value
    end
  end
  lines[#lines + 1] = "Content-Length: " .. #body
  lines[#lines + 1] = "Connection: keep-alive"
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. body
end

-- One exchange on one connection. Returns response or nil, err, retry
-- where retry is true when a pooled connection failed before the request
-- went out whole (the server dropped it while idle): a server cannot act
-- on a partial request, so sending it again on a new connection is safe.
-- Once it went out, a lost answer is reported as sent, as in the
-- libcurl engine: the service may have accepted the message.
local function exchange(req, u, deadline, connect_ms)
  local sock = ngx.socket.tcp()
  local ms = remaining_ms(deadline) or 1
  sock:settimeouts(math.min(connect_ms, ms), ms, ms)
  local ok, err = sock:connect(u.connect_host, u.port, { pool = u.pool })
  if not ok then
    local hint = err and err:find("no resolver", 1, true)
      and " (add a `resolver` directive to nginx.conf)" or ""
    return fail(err == "timeout" and "timeout_unsent" or "connect_failed",
      ("could not connect to %s:%s: %s%s"):format(u.host, u.port, tostring(err), hint))
  end
  local reused = (sock:getreusedtimes() or 0) > 0
  if u.scheme == "https" and not reused then
    ok, err = sock:sslhandshake(false, u.host, true)
    if not ok then
      sock:close()
      return fail(err == "timeout" and "timeout_unsent" or "tls_failed",
        ("TLS handshake with %s:%s failed: %s"):format(u.host, u.port, tostring(err)))
    end
  end

  local bytes
  bytes, err = sock:send(serialize(req, u))
  if not bytes then
    sock:close()
    if reused then return nil, nil, true end
    if err == "closed" and u.scheme == "https" then
      -- Only a local close gives "closed" here. Some lua-nginx-module
      -- versions (openresty/lua-nginx-module#2506) report a handshake whose
      -- certificate check failed as a success, having closed the socket:
      -- nothing was sent, and nginx's error.log has the verify error.
      return fail("tls_failed", ("TLS handshake with %s:%s failed: the certificate was not accepted "
        .. "(nginx's error.log has the reason)"):format(u.host, u.port))
    end
    -- a cosocket does not say how much went out: count it as sent
    return fail(err == "timeout" and "timeout_sent" or "closed_sent", "sending the request failed: " .. tostring(err))
  end

  local status, headers, version
  repeat -- skip interim 1xx answers
    status, headers, version = read_head(sock, deadline)
  until not status or status >= 200 or status == 101
  if not status then
    sock:close()
    err = headers
    if err == "timeout" then return fail("timeout_sent", "no answer within the timeout") end
    if err == "closed" then return fail("closed_sent", "the connection closed before an answer came") end
    if err == "bad status line" or err == "too many header lines" then return fail("not_http", err) end
    return fail("closed_sent", "reading the answer failed: " .. tostring(err))
  end

  local body, length = "", headers["content-length"]
  local te = headers["transfer-encoding"]
  if req.method == "HEAD" or status == 204 or status == 304 then
    body = ""
  elseif te and te:lower():find("chunked", 1, true) then
    body, err = read_chunked(sock, deadline)
  elseif length then
    length = tonumber(length)
    if not length then
      body, err = nil, "bad Content-Length"
    elseif length > MAX_RESPONSE then
      body, err = nil, "too big"
    elseif length > 0 then
      body, err = receive(sock, deadline, length)
    end
  else
    body, err = read_to_close(sock, deadline)
    headers.connection = "close"
  end
  if not body then
    sock:close()
    if err == "too big" then return too_big() end
    if err == "timeout" then return fail("timeout_sent", "the answer did not arrive within the timeout") end
    if err == "closed" then return fail("closed_sent", "the connection closed before the whole answer came") end
    return fail("not_http", "the answer could not be read: " .. tostring(err))
  end

  local conn = (headers.connection or ""):lower()
  if version == "1.1" and not conn:find("close", 1, true) then
    sock:setkeepalive(KEEPALIVE_IDLE_MS)
  else
    sock:close()
  end
  return { status = status, body = body, headers = headers }
end

--- The transport function: request table in, response table out.
-- request: { method, url, headers, body, timeout, connect_timeout }
-- (seconds). Returns { status, body, headers } or nil and an outcome
-- { io = ..., message } (see the file's header).
function M.request(req)
  local u = parse_url(req.url or "")
  if not u then return fail("bad_url", "not an http(s) URL: " .. tostring(req.url)) end
  ngx.update_time()
  local deadline = ngx.now() + (req.timeout or 30)
  local connect_ms = math.max(1, math.floor((req.connect_timeout or 10) * 1000))
  -- A pooled connection the server closed while idle may refuse the
  -- request: try again on a fresh connection.
  for _ = 1, 3 do
    local res, err, retry = exchange(req, u, deadline, connect_ms)
    if not retry then return res, err end
  end
  return fail("closed_unsent", "pooled connections kept closing")
end

return M
