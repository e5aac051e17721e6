--- bench/ngx_bench.lua: the handler of bench/ngx.sh, inside nginx (one
-- worker, LuaJIT). Each request runs sequential sends from this one
-- handler and answers "<messages> <seconds>":
--
--   GET /lib?seconds=S     client:send_text(msg) in a loop (transport "ngx",
--                          one client per worker, made at module level)
--   GET /plain?seconds=S   what a competent OpenResty user writes by hand:
--                          a cosocket loop that posts the SAME bytes (request
--                          line, headers, JSON body: client:build's), reads
--                          the status line and the header lines with
--                          receive("*l"), then Content-Length bytes of body,
--                          checks the 202 and pools the connection with
--                          setkeepalive, as the library does
--   GET /io?seconds=S      a diagnostic for bench/ngx_cpu.sh: the library's
--                          cosocket exchange alone (kaleyra.whatsapp.ngx
--                          send, as the lib row runs it) for a request
--                          the library built once: the lib row less its
--                          calls into C
--   ?messages=N instead of ?seconds=S: exactly N messages.
--
-- Both loops count only successes: any failure aborts the request with a
-- 500 (a benchmark of errors is no use). Timing uses ngx.now() after
-- ngx.update_time(), inside the worker, so the HTTP request that starts a
-- round does not count.

local whatsapp = require "kaleyra.whatsapp"

local M = {}

local cfg, client, plain

-- The message bench/core_cost.c and bench/lib.lua send.
local MSG = {
  to = "+919876543210",
  body = "Hello Asha, your order #4711 has shipped and arrives on Tuesday.",
  preview_url = false,
  extra_info = { ref = "order-4711", wa_source = "api" },
}

function M.configure(c) cfg = c end

local function get_client()
  if not client then
    client = assert(whatsapp.new {
      sid = cfg.sid, api_key = cfg.api_key, from = cfg.from, base_url = cfg.base, transport = "ngx",
    })
  end
  return client
end

-- The plain loop's fixed parts, from the request the library builds.
local function get_plain()
  if plain then return plain end
  local req = assert(get_client():build("text", MSG))
  local host, port, path = req.url:match("^http://([^/:]+):(%d+)(/.*)$")
  local h = req.headers
  plain = {
    host = host, port = tonumber(port), body = req.body,
    head = table.concat({
      "POST " .. path .. " HTTP/1.1",
      "Host: " .. host .. ":" .. port,
      "api-key: " .. h["api-key"],
      "Content-Type: " .. h["Content-Type"],
      "Accept: " .. h.Accept,
      "User-Agent: " .. h["User-Agent"],
      "Connection: keep-alive",
      "Content-Length: ",
    }, "\r\n"),
  }
  return plain
end

-- One message by hand: connect (from the pool), send, read, pool again.
local function plain_send(p)
  local body = p.body
  local sock = ngx.socket.tcp()
  sock:settimeouts(10000, 30000, 30000)
  local ok, err = sock:connect(p.host, p.port)
  if not ok then error("connect: " .. tostring(err)) end
  ok, err = sock:send(p.head .. #body .. "\r\n\r\n" .. body)
  if not ok then error("send: " .. tostring(err)) end
  local line
  line, err = sock:receive("*l")
  if not line then error("status line: " .. tostring(err)) end
  local status = tonumber(line:match("^HTTP/%d%.%d (%d%d%d)"))
  local length, close
  while true do
    line, err = sock:receive("*l")
    if not line then error("header: " .. tostring(err)) end
    if line == "" then break end
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then
      name = name:lower()
      if name == "content-length" then
        length = tonumber(value)
      elseif name == "connection" then
        close = value:lower():find("close", 1, true)
      end
    end
  end
  local answer
  answer, err = sock:receive(length)
  if not answer then error("body: " .. tostring(err)) end
  if status ~= 202 then error("status " .. tostring(status) .. ": " .. answer) end
  if close then sock:close() else sock:setkeepalive(30000) end
end

-- The /io row: the job a one-shot call would give, taken once, then sent
-- again and again through the transport's exchange.
local io_job
local ngx_transport = require "kaleyra.whatsapp.ngx"
local function io_send(c)
  if not io_job then
    local call = assert(c._core:one("text", MSG))
    io_job = { call:next_job(true) }
    io_job[1] = c._cache -- the id gives way to the client's head cache
    call:close()
  end
  local j = io_job
  local status, answer = ngx_transport.send(j[1], j[2], j[3], j[4], j[5], j[6], j[7])
  if status ~= 202 then error("io: " .. tostring(status) .. " " .. tostring(answer)) end
end

local function lib_send(c)
  local res, err = c:send_text(MSG)
  if not res then error("send_text: " .. tostring(err)) end
end

function M.handle()
  local args = ngx.req.get_uri_args()
  local messages, seconds = tonumber(args.messages), tonumber(args.seconds) or 2
  local one, state
  if ngx.var.uri == "/plain" then
    one, state = plain_send, get_plain()
  elseif ngx.var.uri == "/lib" then
    one, state = lib_send, get_client()
  elseif ngx.var.uri == "/io" then
    one, state = io_send, get_client()
  else
    return ngx.exit(404)
  end
  one(state) -- warm: a pooled connection and compiled traces for both
  ngx.update_time()
  local start, n = ngx.now(), 0
  if messages then
    for _ = 1, messages do one(state) end
    n = messages
  else
    local deadline = start + seconds
    repeat
      for _ = 1, 64 do one(state) end
      n = n + 64
      ngx.update_time()
    until ngx.now() >= deadline
  end
  ngx.update_time()
  ngx.say(n, " ", string.format("%.6f", ngx.now() - start))
end

return M
