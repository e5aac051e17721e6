--- `kaleyra-wa callbacks parse` and `kaleyra-wa callbacks listen`: the
-- return path from a shell.
--
-- parse reads one callback body (a file, or - for stdin) and prints one
-- JSON line per event (whatsapp.parse_callback). listen starts a local
-- receiver (nginx with kaleyra.whatsapp.receiver, sandbox/receiver.conf.in,
-- through the sandbox's launcher) on 127.0.0.1 and prints each event as a
-- JSON line as it arrives, until Ctrl-C, --for seconds or --count events.
-- It needs nginx with its Lua module and the LuaJIT build of the module
-- (make luajit in a checkout; KALEYRA_WA_LUAJIT_CPATH names another).
-- @module kaleyra.whatsapp.cli.callbacks

local whatsapp = require "kaleyra.whatsapp"
local output = require "kaleyra.whatsapp.cli.output"
local status = require "kaleyra.whatsapp.cli.status"

local M = {}

local function read_input(file)
  if file == nil or file == "-" then return io.stdin:read("a") end
  local f, err = io.open(file, "rb")
  if not f then return nil, err end
  local text = f:read("a")
  f:close()
  return text
end

--- parse FILE|-: one JSON line per event; 65 for a body that cannot be read.
function M.parse(a)
  local body, err = read_input(a.file)
  if not body then
    output.fail("callbacks parse: " .. tostring(err))
    return status.NOINPUT
  end
  local events
  events, err = whatsapp.parse_callback(body)
  if not events then
    output.error(err)
    return status.of_kind(err.kind)
  end
  for _, ev in ipairs(events) do output.json(ev) end
  return status.OK
end

local function file_exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

--- listen: runs the receiver until interrupted (or --for / --count).
function M.listen(a, root)
  package.path = root .. "/?.lua;" .. package.path
  local ok, launcher = pcall(require, "sandbox.launcher")
  if not ok then
    output.fail("callbacks listen: cannot load sandbox/launcher.lua: " .. tostring(launcher))
    return status.CONFIG
  end
  local cpath = os.getenv("KALEYRA_WA_LUAJIT_CPATH") or (root .. "/build/luajit/?.so")
  if not os.getenv("KALEYRA_WA_LUAJIT_CPATH")
      and not file_exists(root .. "/build/luajit/kaleyra/whatsapp/core.so") then
    output.fail("callbacks listen: needs the LuaJIT build of the module (make luajit), "
      .. "or KALEYRA_WA_LUAJIT_CPATH naming where it is")
    return status.CONFIG
  end
  local auth, secret = "", nil
  if a.basic then
    if not a.basic:find(":", 1, true) then
      output.fail("callbacks listen: --basic takes USER:PASSWORD")
      return status.USAGE
    end
    auth, secret = "basic", a.basic
  elseif a.bearer then
    auth, secret = "bearer", a.bearer
  end
  -- hex: any bytes fit into the nginx.conf of the instance's private temp dir
  local secret_hex = (secret or ""):gsub(".", function(c) return ("%02x"):format(c:byte()) end)
  local s, err = launcher.start { port = a.port, conf = { template = root .. "/sandbox/receiver.conf.in", vars = {
    LUA_PATH = root .. "/lua/?.lua;" .. root .. "/sandbox/?.lua;"
      .. "/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua;;",
    LUA_CPATH = cpath .. ";;", AUTH = auth, SECRET_HEX = secret_hex } } }
  if not s then
    output.fail("callbacks listen: " .. tostring(err))
    return status.CONFIG
  end
  io.stderr:write(("listening on %s (any path; POST only%s); Ctrl-C stops\n"):format(s.url,
    auth ~= "" and ", " .. auth .. " authentication" or ""))
  io.stderr:flush()
  local socket = require "socket"
  local deadline = a["for"] and socket.gettime() + a["for"]
  local seen, offset = 0, 0
  local code = status.OK
  local run_ok, run_err = pcall(function()
    while not deadline or socket.gettime() < deadline do
      local f = io.open(s.prefix .. "/events.jsonl", "rb")
      if f then
        f:seek("set", offset)
        for line in f:lines() do
          offset = offset + #line + 1
          -- nginx wrote it with cjson; printed like `callbacks parse` prints
          local ev = whatsapp.json_decode(line)
          if ev then output.json(ev) else io.stdout:write(line, "\n") end
          seen = seen + 1
          if a.count and seen >= a.count then break end
        end
        f:close()
        io.stdout:flush()
      end
      if a.count and seen >= a.count then break end
      socket.sleep(0.05)
    end
  end)
  s:stop()
  if not run_ok then
    if run_err == whatsapp.interrupted then return status.INTERRUPTED end
    error(run_err, 0)
  end
  return code
end

return M
