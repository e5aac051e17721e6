-- sandbox/launcher.lua: starts and stops the Kaleyra stand-in (nginx running sandbox/standin.lua)
-- on 127.0.0.1, for busted specs, demo scripts and the sandbox/sandbox CLI. Lua 5.4 with luasocket,
-- dkjson and lua-cjson.
--   local s = assert(launcher.start{ port = nil })  -- nil port: pick a free one
--   s.url, s.port, s.prefix, s.pid; s:records(); s:clear(); s:env(); s:stop(); s:detach()
--   launcher.start{ tls = { cert = path, key = path } } also serves https on s.tls_url (s.tls_port)
--   launcher.start{ conf = { template = path, vars = {...} } }  -- another nginx.conf.in (an app)
--   launcher.start{ callback = "http://user:pw@127.0.0.1:PORT/path" }  -- calls accepted messages back
--   launcher.attach(prefix)  -- a handle on a stand-in that another process started and detached
-- Ownership: each start() makes a fresh temp prefix dir (config, pid, logs, records.jsonl), and
-- stop() removes it. A started server that is garbage-collected or closed (local s <close>) stops
-- itself unless it was detached. Handles from attach() never stop on their own.
-- Caveats: POSIX only (mktemp, kill, rm, id via the shell). Every wait is bounded in count and time.
local socket = require "socket"
local json = require "dkjson"
local cjson = require "cjson.safe"

local M = {}

local MAX_PORT_TRIES = 5
local READY_TIMEOUT, READY_POLLS = 5, 200
local QUIT_TIMEOUT, KILL_TIMEOUT, EXIT_POLLS = 5, 1, 100
local PREFIX_PATTERN = "/kaleyra%-sandbox%.[%w]+$"

local function dirname(path) return path:match("^(.*)/[^/]*$") or "." end

local function shell_quote(s) return "'" .. tostring(s):gsub("'", [['\'']]) .. "'" end

-- Runs a shell command; returns ok (exit status 0) and its combined stdout+stderr.
local function run(cmd)
  local p = io.popen(cmd .. " 2>&1", "r")
  local out = p:read("a")
  local ok = p:close()
  return ok == true, out
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

local function write_file(path, text)
  local f, err = io.open(path, "wb")
  if not f then return nil, err end
  f:write(text)
  f:close()
  return true
end

-- Absolute, symlink-free path of sandbox/ (nginx needs absolute paths).
local SANDBOX_DIR = (function()
  local here = dirname(debug.getinfo(1, "S").source:gsub("^@", ""))
  local ok, out = run("cd " .. shell_quote(here) .. " && pwd -P")
  assert(ok, "launcher: cannot resolve sandbox dir: " .. out)
  return (out:gsub("\n$", ""))
end)()

local account = dofile(SANDBOX_DIR .. "/standin_account.lua")
M.CREDENTIALS = account.credentials
M.MAGIC = account.magic

local function nginx_binary()
  local env = os.getenv("SANDBOX_NGINX")
  if env and env ~= "" then return env end
  -- Debian puts nginx in /usr/sbin, which is often not on a normal user's PATH.
  local f = io.open("/usr/sbin/nginx", "rb")
  if not f then return "nginx" end
  f:close()
  return "/usr/sbin/nginx"
end

local function is_root()
  local ok, out = run("id -u")
  return ok and out:match("^0%s*$") ~= nil
end

-- Alive means it exists and is not a zombie. A daemonized nginx is reparented to pid 1, which may
-- take a while to reap it, so "kill -0" alone would wait on a corpse.
local function alive(pid)
  local stat = read_file("/proc/" .. pid .. "/stat")
  if stat then
    local state = stat:match("%) (%a)")
    return state ~= "Z" and state ~= "X"
  end
  if read_file("/proc/self/stat") then return false end
  return os.execute("kill -0 " .. pid .. " 2>/dev/null") == true
end

local function wait_gone(pid, timeout)
  local deadline = socket.gettime() + timeout
  for _ = 1, EXIT_POLLS do
    if not alive(pid) then return true end
    if socket.gettime() > deadline then break end
    socket.sleep(timeout / EXIT_POLLS)
  end
  return not alive(pid)
end

local function remove_dir(prefix)
  -- Only ever remove a dir this module made.
  if prefix and prefix:match(PREFIX_PATTERN) then os.execute("rm -rf -- " .. shell_quote(prefix)) end
end

local function port_is_free(port)
  local probe = socket.bind("127.0.0.1", port)
  if not probe then return false end
  probe:close()
  return true
end

local function free_port()
  local probe = assert(socket.bind("127.0.0.1", 0))
  local _, port = probe:getsockname()
  probe:close()
  return tonumber(port)
end

local function can_connect(port)
  local c = socket.tcp()
  c:settimeout(0.2)
  local ok = c:connect("127.0.0.1", port)
  c:close()
  return ok == 1
end

local function render_config(prefix, port, tls_port, conf, callback)
  local path = conf and conf.template or SANDBOX_DIR .. "/nginx.conf.in"
  local template = read_file(path)
  if not template then return nil, "cannot read " .. path end
  local values = {
    PORT = tostring(port), PREFIX = prefix, SANDBOX_DIR = SANDBOX_DIR,
    USER = is_root() and "user root;" or "", CALLBACK_URL = callback or "",
    TLS = tls_port and ("listen 127.0.0.1:%d ssl; ssl_certificate %s/tls.crt; ssl_certificate_key %s/tls.key;")
      :format(tls_port, prefix, prefix) or "",
  }
  for name, value in pairs(conf and conf.vars or {}) do values[name] = value end
  local missing
  local text = template:gsub("@([%u_]+)@", function(name)
    if not values[name] then missing = name end
    return values[name]
  end)
  if missing then return nil, "nginx.conf.in: unknown placeholder @" .. missing .. "@" end
  return text
end

local function startup_error(prefix, what, output)
  local log = read_file(prefix .. "/error.log") or ""
  return ("sandbox: %s\n%s%s"):format(what, output or "", log)
end

-- Starts nginx on port (and tls_port, if any) with prefix; returns its pid, or nil, err, in_use.
local function launch(prefix, port, tls_port, custom, callback, ready_timeout)
  local conf, err = render_config(prefix, port, tls_port, custom, callback)
  if not conf then return nil, err end
  assert(write_file(prefix .. "/nginx.conf", conf))
  assert(write_file(prefix .. "/port", tostring(port)))
  write_file(prefix .. "/error.log", "")
  os.remove(prefix .. "/nginx.pid")
  local ok, out = run(("%s -p %s -c %s -e %s"):format(shell_quote(nginx_binary()),
    shell_quote(prefix .. "/"), shell_quote(prefix .. "/nginx.conf"), shell_quote(prefix .. "/error.log")))
  if not ok then
    local msg = startup_error(prefix, "nginx failed to start on port " .. port, out)
    return nil, msg, msg:find("Address already in use", 1, true) ~= nil
  end
  -- The daemonized master writes its pid file a moment after the launching process has exited.
  local wait = ready_timeout or READY_TIMEOUT
  local deadline = socket.gettime() + wait
  local pid
  for _ = 1, READY_POLLS * math.ceil(wait / READY_TIMEOUT) do
    pid = pid or tonumber(read_file(prefix .. "/nginx.pid") or "")
    if pid and can_connect(port) and (not tls_port or can_connect(tls_port)) then return pid end
    if socket.gettime() > deadline then break end
    socket.sleep(READY_TIMEOUT / READY_POLLS)
  end
  if pid then os.execute(("kill -s KILL -- -%d 2>/dev/null; kill -s KILL %d 2>/dev/null"):format(pid, pid)) end
  return nil, startup_error(prefix, "nginx did not come up on port " .. port .. " within " .. wait .. " s")
end

local Server = {}
Server.__index = Server
Server.__name = "kaleyra.sandbox.Server"

local function stop_unless_detached(self)
  if self.owned and not self.detached then self:stop() end
end
Server.__gc = stop_unless_detached
Server.__close = stop_unless_detached

function Server.__tostring(self)
  return ("kaleyra sandbox %s (%s)"):format(self.url, self.stopped and "stopped" or self.prefix)
end

local function new_server(prefix, port, pid, owned, tls_port)
  return setmetatable({
    url = "http://127.0.0.1:" .. port, port = port, pid = pid, prefix = prefix,
    tls_port = tls_port, tls_url = tls_port and "https://127.0.0.1:" .. tls_port,
    records_file = prefix .. "/records.jsonl", error_log = prefix .. "/error.log",
    owned = owned, detached = false, stopped = false,
  }, Server)
end

local START_OPTIONS = { port = true, tls = true, conf = true, callback = true, ready_timeout = true }

-- Returns a running server, or nil and an error message that includes nginx's error.log.
-- Raises on bad options (unknown key, port not an integer in 1..65535, tls not a table with
-- the strings cert and key). With tls, nginx also serves https on a second free port with
-- that certificate (PEM, may include the chain) and key, both copied into the prefix.
-- conf = { template = path, vars = { NAME = "text" } } runs another nginx.conf.in instead of the
-- stand-in's (e.g. an app under test); vars fill its extra @NAME@ placeholders.
-- callback = "http://[user:password@]127.0.0.1:PORT/path": the stand-in calls accepted messages
-- back there (sandbox/standin_callback.lua); a URL that is not loopback http fails the start.
-- ready_timeout = seconds to wait for nginx to listen (default 5; more for nginx under valgrind,
-- which bench/ngx.sh starts through SANDBOX_NGINX).
function M.start(opts)
  opts = opts or {}
  for key in pairs(opts) do
    if not START_OPTIONS[key] then error("launcher.start: unknown option '" .. tostring(key) .. "'", 2) end
  end
  local fixed = opts.port
  if fixed ~= nil and (math.type(fixed) ~= "integer" or fixed < 1 or fixed > 65535) then
    error("launcher.start: port must be an integer in 1..65535", 2)
  end
  local tls = opts.tls
  if tls ~= nil and (type(tls) ~= "table" or type(tls.cert) ~= "string" or type(tls.key) ~= "string") then
    error("launcher.start: tls must be a table { cert = path, key = path }", 2)
  end
  local conf = opts.conf
  if conf ~= nil and (type(conf) ~= "table" or type(conf.template) ~= "string"
      or (conf.vars ~= nil and type(conf.vars) ~= "table")) then
    error("launcher.start: conf must be a table { template = path, vars = { NAME = text } }", 2)
  end
  local ready = opts.ready_timeout
  if ready ~= nil and (type(ready) ~= "number" or ready <= 0 or ready > 600) then
    error("launcher.start: ready_timeout must be seconds in (0, 600]", 2)
  end
  local callback = opts.callback
  if callback ~= nil and (type(callback) ~= "string" or not callback:match("^http://[%w%.:/@%%%-_%[%]~]+$")) then
    error("launcher.start: callback must be an http:// URL (loopback; user:password@ allowed)", 2)
  end
  if fixed and not port_is_free(fixed) then
    return nil, "sandbox: port " .. fixed .. " on 127.0.0.1 is already in use"
  end
  local ok, out = run('mktemp -d "${TMPDIR:-/tmp}/kaleyra-sandbox.XXXXXX"')
  local prefix = out:gsub("%s+$", "")
  if not ok or not prefix:match(PREFIX_PATTERN) then return nil, "sandbox: mktemp failed: " .. out end
  if prefix:find("[^%w%._/%-]") or SANDBOX_DIR:find("[^%w%._/%-+]") then
    remove_dir(prefix)
    return nil, "sandbox: paths with spaces or quotes do not fit nginx.conf: " .. prefix .. ", " .. SANDBOX_DIR
  end

  if tls then
    for _, part in ipairs { { tls.cert, "tls.crt" }, { tls.key, "tls.key" } } do
      local text = read_file(part[1])
      if not text or not write_file(prefix .. "/" .. part[2], text) then
        remove_dir(prefix)
        return nil, "sandbox: cannot read " .. part[1]
      end
    end
  end

  local err, in_use
  for _ = 1, fixed and 1 or MAX_PORT_TRIES do
    local port = fixed or free_port()
    local tls_port = tls and free_port()
    for _ = 1, 5 do
      if tls_port ~= port then break end
      tls_port = free_port()
    end
    local pid
    pid, err, in_use = launch(prefix, port, tls_port, conf, callback, opts.ready_timeout)
    if pid then return new_server(prefix, port, pid, true, tls_port) end
    -- Another process can take a free port between our probe and nginx's bind; pick again.
    if fixed or not in_use then break end
  end
  remove_dir(prefix)
  return nil, err
end

-- Returns a handle on a stand-in started by another process (see Server:detach), or nil, err.
-- The handle can read records and stop the server; it never stops it on garbage collection.
function M.attach(prefix)
  if type(prefix) ~= "string" or not prefix:match(PREFIX_PATTERN) then
    return nil, "sandbox: not a sandbox prefix: " .. tostring(prefix)
  end
  local port = tonumber(read_file(prefix .. "/port") or "")
  local pid = tonumber(read_file(prefix .. "/nginx.pid") or "")
  if not port or not pid then return nil, "sandbox: no running stand-in in " .. prefix end
  return new_server(prefix, port, pid, false)
end

-- A record's body is kept raw by nginx; decode it here so JSON null stays json.null and [] stays
-- an array (dkjson tags it). dkjson alone is lenient (it even takes objects without commas), so
-- cjson decides first whether the body is strict JSON. Returns nil when it is not.
local function decode_body(body)
  if cjson.decode(body) == nil then return nil end
  return (json.decode(body, 1, json.null))
end

-- Returns the records so far, in arrival order, each with .json added when the body is JSON.
function Server:records()
  local text = read_file(self.records_file) or ""
  local list = {}
  -- A last line without "\n" is still being written, so the pattern skips it.
  for line in text:gmatch("([^\n]*)\n") do
    local rec = line ~= "" and json.decode(line, 1, json.null)
    if type(rec) == "table" then
      if type(rec.body) == "string" then rec.json = decode_body(rec.body) end
      list[#list + 1] = rec
    end
  end
  return list
end

function Server:clear()
  local f = io.open(self.records_file, "w")
  if f then f:close() end
end

-- The environment a client needs to talk to this stand-in (what "sandbox/sandbox --run" exports).
function Server:env()
  return {
    KALEYRA_BASE_URL = self.url, KALEYRA_SID = M.CREDENTIALS.sid,
    KALEYRA_API_KEY = M.CREDENTIALS.api_key, KALEYRA_FROM = M.CREDENTIALS.from,
    SANDBOX_PREFIX = self.prefix,
  }
end

-- Leave nginx running after this handle is collected, e.g. when this process exits.
function Server:detach()
  self.detached = true
  return self
end

-- Graceful stop (QUIT), SIGKILL to nginx's process group if it is still there after 5 s, then
-- removes the prefix dir. Idempotent. Returns true, or nil and an error.
function Server:stop()
  if self.stopped then return true end
  self.stopped = true
  local pid = self.pid
  local ok, err = true, nil
  if pid and alive(pid) then
    os.execute("kill -s QUIT " .. pid .. " 2>/dev/null")
    if not wait_gone(pid, QUIT_TIMEOUT) then
      -- nginx's daemon() calls setsid, so its workers share the master's process group.
      os.execute(("kill -s KILL -- -%d 2>/dev/null; kill -s KILL %d 2>/dev/null"):format(pid, pid))
      if not wait_gone(pid, KILL_TIMEOUT) then ok, err = nil, "sandbox: nginx pid " .. pid .. " did not exit" end
    end
  end
  remove_dir(self.prefix)
  return ok, err
end

M.shell_quote = shell_quote

return M
