-- spec/support/cli.lua - runs bin/kaleyra-wa for the CLI specs: a clean
-- environment (only the KALEYRA_* variables a spec gives), stdout and
-- stderr captured apart, the exit status, and background runs that a spec
-- can kill. Every wait is bounded.
local socket = require "socket"
local whatsapp = require "kaleyra.whatsapp"
local launcher = require "sandbox.launcher"

local M = {}

local q = launcher.shell_quote
local VARS = { "KALEYRA_SID", "KALEYRA_API_KEY", "KALEYRA_FROM", "KALEYRA_REGION", "KALEYRA_BASE_URL",
  "KALEYRA_WA_PROGRESS", "KALEYRA_WA_SANDBOX" }

function M.tmpdir()
  local p = io.popen("mktemp -d")
  local dir = p:read("l")
  p:close()
  return dir
end

function M.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

function M.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

-- The environment a sandbox's client needs, as KALEYRA_* variables.
function M.env_for(sandbox, overrides)
  local env = {
    KALEYRA_SID = launcher.CREDENTIALS.sid, KALEYRA_API_KEY = launcher.CREDENTIALS.api_key,
    KALEYRA_FROM = launcher.CREDENTIALS.from, KALEYRA_BASE_URL = sandbox and sandbox.url,
  }
  for k, v in pairs(overrides or {}) do
    if v == false then env[k] = nil else env[k] = v end
  end
  return env
end

-- "env -u ... K=V ... lua5.4 bin/kaleyra-wa ARGS..."
function M.command(args, env)
  local words = { "env" }
  for _, name in ipairs(VARS) do words[#words + 1] = "-u " .. name end
  local names = {}
  for k in pairs(env or {}) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do words[#words + 1] = q(k .. "=" .. env[k]) end
  words[#words + 1] = "lua5.4 bin/kaleyra-wa"
  for _, a in ipairs(args) do words[#words + 1] = q(a) end
  return table.concat(words, " ")
end

-- Runs kaleyra-wa; returns { code, stdout, stderr, lines = decoded stdout lines }.
function M.run(args, env, stdin)
  local dir = M.tmpdir()
  local cmd = M.command(args, env) .. " >" .. dir .. "/out 2>" .. dir .. "/err"
  if stdin then
    M.write(dir .. "/in", stdin)
    cmd = cmd .. " <" .. dir .. "/in"
  else
    cmd = cmd .. " </dev/null"
  end
  local _, how, code = os.execute(cmd)
  local r = { code = how == "exit" and code or 128 + code, stdout = M.read(dir .. "/out"),
    stderr = M.read(dir .. "/err"), lines = {} }
  for line in r.stdout:gmatch("[^\n]+") do
    r.lines[#r.lines + 1] = whatsapp.json_decode(line) or line
  end
  os.execute("rm -rf " .. q(dir))
  return r
end

-- Starts kaleyra-wa in the background, in a process group of its own
-- (as a shell's job would be); returns its pid. Its exit status lands in
-- the file `code` once it ends.
function M.spawn(args, env, out, err, code)
  local pidfile = os.tmpname()
  os.execute(("sh -c 'setsid %s >%s 2>%s </dev/null & echo $! >%s; wait $!; echo $? >%s' 2>/dev/null &"):format(
    M.command(args, env):gsub("'", [['\'']]), out, err, pidfile, code or "/dev/null"))
  local pid
  for _ = 1, 200 do
    pid = tonumber(M.read(pidfile) or "")
    if pid then break end
    socket.sleep(0.01)
  end
  os.remove(pidfile)
  return assert(pid, "kaleyra-wa did not start")
end

function M.alive(pid)
  local stat = M.read("/proc/" .. pid .. "/stat")
  if not stat then return false end
  local state = stat:match("%) (%a)")
  return state ~= "Z" and state ~= "X"
end

-- Polls until pred() is true, at most `seconds`; returns pred()'s last value.
function M.wait_for(pred, seconds)
  local deadline = socket.gettime() + seconds
  repeat
    local v = pred()
    if v then return v end
    socket.sleep(0.02)
  until socket.gettime() > deadline
  return pred()
end

-- Signals a spawned run's whole process group, as Ctrl-C at a terminal
-- does (a SIGINT sent to kaleyra-wa alone while it waits in os.execute
-- would be ignored, as system() ignores SIGINT).
function M.kill(pid, signal)
  os.execute(("kill -s %s -- -%d 2>/dev/null"):format(signal or "KILL", pid))
  return M.wait_for(function() return not M.alive(pid) end, 5)
end

-- Journal records, decoded.
function M.journal(path)
  local list = {}
  for line in (M.read(path) or ""):gmatch("[^\n]+") do
    list[#list + 1] = whatsapp.json_decode(line)
  end
  return list
end

return M
