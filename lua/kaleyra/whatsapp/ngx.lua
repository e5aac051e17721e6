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
-- Cost: a client keeps, per URL (at most 64), the parsed URL and the
-- request head (request line and every header but Content-Length's
-- value, M.cache), so a message costs one sock:send of head, length and
-- body; the answer's head is read line by line (receive "*l") keeping
-- only Content-Length, Transfer-Encoding, Connection and Retry-After, and
-- the socket's timeout is set again only after nginx's clock moved.
--
-- Caveats: cosockets exist only in some phases; check_phase raises
-- elsewhere (init, init_worker, set, header/body filters, log), pointing
-- to ngx.timer.at. Answers larger than 1 MiB are refused, as libcurl's are.
-- Responses use HTTP/1.1 (Content-Length, chunked, or read to close).
-- @module kaleyra.whatsapp.ngx

local M = {}

local find, lower, match, sub = string.find, string.lower, string.match, string.sub
local floor, max, min = math.floor, math.max, math.min

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
  local scheme, authority, path = match(url, "^(https?)://([^/?#]+)(.*)$")
  if not scheme then return nil end
  local host, port = match(authority, "^%[(.+)%]:?(%d*)$")
  if not host then host, port = match(authority, "^([^:]+):?(%d*)$") end
  if not host then return nil end
  local default = scheme == "https" and 443 or 80
  port = tonumber(port) or default
  local pool = scheme .. "://" .. host .. ":" .. port
  return {
    scheme = scheme, host = host, port = port, path = path ~= "" and path or "/",
    host_header = port == default and (authority:gsub(":%d*$", "")) or authority,
    connect_host = find(host, ":", 1, true) and "[" .. host .. "]" or host, -- IPv6
    pool = pool, connect_opts = { pool = pool },
  }
end

local function fail(io, message)
  return nil, { io = io, message = message }
end

-- Sets sock's timeout to what is left before deadline, unless nginx's
-- clock still reads `at`, the time it was last set: the clock moves
-- whenever the worker waits, so no wait happened since and what is left
-- is what was set. Returns the clock, or nil once the deadline passed.
local function arm(sock, deadline, at)
  local now = ngx.now()
  if now == at then return at end
  local left = deadline - now
  if left <= 0 then return nil end
  sock:settimeout(max(1, floor(left * 1000)))
  return now
end

local function receive(sock, deadline, pattern)
  if not arm(sock, deadline) then return nil, "timeout", "" end
  return sock:receive(pattern)
end

-- Reads the status line and headers. Returns status, version, then what
-- is read of the headers later: content-length's value (a string), true
-- for "chunked" in transfer-encoding, true for "close" in connection,
-- retry-after's value (for report(), src/kwa_lua_pump.c), each nil when
-- absent, a repeated value joined with ", "; then the clock of arm(). Or
-- nil, err. Nothing else of the head is kept, and no table is made.
local function join(old, value)
  return old and old .. ", " .. value or value
end

local function read_head(sock, deadline, at)
  at = arm(sock, deadline, at)
  if not at then return nil, "timeout" end
  local line, err = sock:receive("*l")
  if not line then return nil, err end
  if not find(line, "^HTTP/%d%.%d %d%d%d") then return nil, "bad status line" end
  local status, version = tonumber(sub(line, 10, 12)), sub(line, 6, 8)
  local length, chunked, close, ra
  for _ = 1, 200 do
    at = arm(sock, deadline, at)
    if not at then return nil, "timeout" end
    line, err = sock:receive("*l")
    if not line then return nil, err end
    if line == "" then return status, version, length, chunked, close, ra, at end
    local colon = find(line, ":", 1, true)
    if colon and colon > 1 then
      local name = lower(sub(line, 1, colon - 1))
      if name == "content-length" then
        length = join(length, sub(line, colon + 1)) -- tonumber skips the spaces
      elseif name == "transfer-encoding" then
        chunked = chunked or find(lower(line), "chunked", colon + 1, true) ~= nil
      elseif name == "connection" then
        close = close or find(lower(line), "close", colon + 1, true) ~= nil
      elseif name == "retry-after" then
        ra = join(ra, match(line, "^%s*(.-)%s*$", colon + 1))
      end
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

-- The request's head, everything up to Content-Length's value: the
-- request line, Host, the headers (the library's four first, in this
-- order, then any other but Host, Content-Length and Connection),
-- Connection.
local FIRST = { "api-key", "Content-Type", "Accept", "User-Agent" }
local SKIP = { host = true, ["content-length"] = true, connection = true }

local function serialize_head(method, u, headers)
  headers = headers or {}
  local lines = { (method or "POST") .. " " .. u.path .. " HTTP/1.1", "Host: " .. u.host_header }
  local first = {}
  for _, name in ipairs(FIRST) do
    first[name] = true
    if headers[name] ~= nil then lines[#lines + 1] = name .. ": " .. headers[name] end
  end
  for name, value in pairs(headers) do
    if not first[name] and not SKIP[lower(name)] then lines[#lines + 1] = name .. ": " .. value end
  end
  lines[#lines + 1] = "Connection: keep-alive"
  lines[#lines + 1] = "Content-Length: "
  return table.concat(lines, "\r\n")
end

-- What one sock:send takes: head, body length, blank line, body. nginx
-- copies a table's strings before send returns (or yields), so one table
-- serves every coroutine of the worker.
local OUT = {}

-- One exchange on one connection. Returns status, body, retry_after (a
-- string or nil), or nil, err, retry
-- where retry is true when a pooled connection failed before the request
-- went out whole (the server dropped it while idle): a server cannot act
-- on a partial request, so sending it again on a new connection is safe.
-- Once it went out, a lost answer is reported as sent, as in the
-- libcurl engine: the service may have accepted the message.
local function exchange(u, head, method, body, deadline, connect_ms)
  local sock = ngx.socket.tcp()
  local at = ngx.now()
  local left = deadline - at
  local ms = left > 0 and max(1, floor(left * 1000)) or 1
  sock:settimeouts(min(connect_ms, ms), ms, ms)
  local ok, err = sock:connect(u.connect_host, u.port, u.connect_opts)
  if not ok then
    local hint = err and find(err, "no resolver", 1, true)
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

  OUT[1], OUT[2], OUT[3], OUT[4] = head, #body, "\r\n\r\n", body
  local bytes
  bytes, err = sock:send(OUT)
  OUT[1], OUT[4] = nil, nil -- the key and the message are not kept
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

  local status, version, length, chunked, close, ra
  repeat -- skip interim 1xx answers
    status, version, length, chunked, close, ra, at = read_head(sock, deadline, at)
  until not status or status >= 200 or status == 101
  if not status then
    sock:close()
    err = version
    if err == "timeout" then return fail("timeout_sent", "no answer within the timeout") end
    if err == "closed" then return fail("closed_sent", "the connection closed before an answer came") end
    if err == "bad status line" or err == "too many header lines" then return fail("not_http", err) end
    return fail("closed_sent", "reading the answer failed: " .. tostring(err))
  end

  body = ""
  if method == "HEAD" or status == 204 or status == 304 then
    body = ""
  elseif chunked then
    body, err = read_chunked(sock, deadline)
  elseif length then
    length = tonumber(length)
    if not length then
      body, err = nil, "bad Content-Length"
    elseif length > MAX_RESPONSE then
      body, err = nil, "too big"
    elseif length > 0 then
      if arm(sock, deadline, at) then
        body, err = sock:receive(length)
      else
        body, err = nil, "timeout"
      end
    end
  else
    body, err = read_to_close(sock, deadline)
    close = true
  end
  if not body then
    sock:close()
    if err == "too big" then return too_big() end
    if err == "timeout" then return fail("timeout_sent", "the answer did not arrive within the timeout") end
    if err == "closed" then return fail("closed_sent", "the connection closed before the whole answer came") end
    return fail("not_http", "the answer could not be read: " .. tostring(err))
  end

  if version == "1.1" and not close then
    sock:setkeepalive(KEEPALIVE_IDLE_MS)
  else
    sock:close()
  end
  return status, body, ra
end

local CACHED_URLS = 64 -- a client's URLs are few; more (ids in paths) start afresh

-- u and head from the cache, or made and cached; nil, err for a bad URL.
-- headers_of(ct) gives the headers when none came with the request.
local function from_cache(cache, url, method, ct, headers)
  local urls = cache.urls
  local e = urls[url]
  if not e then
    local u = parse_url(url)
    if not u then return nil, fail("bad_url", "not an http(s) URL: " .. tostring(url)) end
    if cache.n >= CACHED_URLS then
      urls = {}
      cache.urls, cache.n = urls, 0
    end
    e = { u = u, heads = {} }
    urls[url], cache.n = e, cache.n + 1
  end
  local by_ct = e.heads[method]
  if not by_ct then
    by_ct = {}
    e.heads[method] = by_ct
  end
  local head = by_ct[ct]
  if not head then
    head = serialize_head(method, e.u, headers or cache.headers_of(ct))
    by_ct[ct] = head
  end
  return e.u, head
end

-- Sends body to u with head: retries on a fresh connection when a pooled
-- one refused the request (the server closed it while idle).
local function perform(u, head, method, body, timeout, connect_timeout)
  ngx.update_time()
  local deadline = ngx.now() + (timeout or 30)
  local connect_ms = max(1, floor((connect_timeout or 10) * 1000))
  for _ = 1, 3 do
    local status, b, ra = exchange(u, head, method, body, deadline, connect_ms)
    if status or b then return status, b, ra end -- ra is retry when status is nil
  end
  return fail("closed_unsent", "pooled connections kept closing")
end

--- The transport function: request table in, response table out.
-- request: { method, url, headers, body, timeout, connect_timeout }
-- (seconds). Returns { status, body, headers } or nil and an outcome
-- { io = ..., message } (see the file's header); headers holds only
-- ["retry-after"], the one header the library reads. cache (optional,
-- M.cache): where the requests of one client keep each URL's parts and
-- request head.
function M.request(req, cache)
  local url, method = req.url or "", req.method or "POST"
  local u, head
  if cache then
    local h = req.headers
    u, head = from_cache(cache, url, method, h and h["Content-Type"] or "", h)
    if not u then return nil, head end
  else
    u = parse_url(url)
    if not u then return fail("bad_url", "not an http(s) URL: " .. tostring(req.url)) end
    head = serialize_head(method, u, req.headers)
  end
  local status, body, ra = perform(u, head, method, req.body or "", req.timeout, req.connect_timeout)
  if not status then return nil, body end
  return { status = status, body = body, headers = { ["retry-after"] = ra } }
end

--- The cheap form, for a blocking call's job (a Batch's next_job(true)):
-- M.send(cache, url, body, method, content_type, timeout, connect_timeout)
-- -> status, body, retry_after (or nil), what report(id, ...) takes; or
-- nil and an outcome. A message then costs one send of the cached head,
-- its length and body, and no table.
function M.send(cache, url, body, method, ct, timeout, connect_timeout)
  local u, head = from_cache(cache, url, method, ct)
  if not u then return nil, head end
  return perform(u, head, method, body, timeout, connect_timeout)
end

--- A cache for M.request and M.send, one per client: each URL's parts and
-- request heads, by method and Content-Type (at most 64 URLs, then it
-- starts afresh). headers_of(content_type) returns the client's request
-- headers (api-key, Content-Type, Accept, User-Agent). The heads hold the
-- api key: the cache prints as its name alone.
function M.cache(headers_of)
  return setmetatable({ n = 0, urls = {}, headers_of = headers_of },
    { __tostring = function() return "kaleyra.whatsapp.ngx cache" end })
end

return M
