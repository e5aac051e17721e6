-- spec/helpers.lua - what every library spec shares: the sandbox launcher,
-- a client pointed at a running stand-in, and fixture loading.
package.path = "./?.lua;./lua/?.lua;" .. package.path

local launcher = require "sandbox.launcher"
local whatsapp = require "kaleyra.whatsapp"
local dkjson = require "dkjson"

local M = {
  launcher = launcher,
  whatsapp = whatsapp,
  creds = launcher.CREDENTIALS,
  magic = launcher.MAGIC,
  json = dkjson,
}

--- Starts a stand-in on a free loopback port (stop it in teardown).
function M.start()
  return assert(launcher.start())
end

--- Options for a client of `sandbox`; `overrides` replaces or adds keys,
-- and a value of `M.NONE` removes one.
M.NONE = setmetatable({}, { __name = "NONE" })
function M.options(sandbox, overrides)
  local opts = {
    sid = M.creds.sid,
    api_key = M.creds.api_key,
    from = M.creds.from,
    base_url = sandbox and sandbox.url,
    timeout = 10,
  }
  for k, v in pairs(overrides or {}) do
    if v == M.NONE then opts[k] = nil else opts[k] = v end
  end
  return opts
end

function M.client(sandbox, overrides)
  return assert(whatsapp.new(M.options(sandbox, overrides)))
end

--- A stand-in (and optionally a client of it) for one describe block:
--   local env = h.env { client = true }
--   setup(env.start); teardown(env.stop); before_each(env.clear)
-- then env.sandbox and env.client inside the tests.
function M.env(opts)
  local env = {}
  function env.start()
    env.sandbox = M.start()
    if opts and opts.client then env.client = M.client(env.sandbox) end
  end
  function env.stop()
    if env.client then env.client:close() end
    env.sandbox:stop()
  end
  function env.clear() env.sandbox:clear() end
  --- Sends msg through a fresh client whose base_url is the stand-in's
  -- /fault/<fault> path; returns the call's results.
  function env.send_via(fault, overrides, msg)
    local options = overrides or {}
    options.base_url = options.base_url or env.sandbox.url .. "/fault/" .. fault
    local c = M.client(env.sandbox, options)
    local res, err = c:send_text(msg or { to = M.magic.to, body = "hello" })
    c:close()
    return res, err
  end
  return env
end

--- Runs a shell command; returns its exit status (0 on success) and its
-- output, stderr included.
--- A loopback port whose listener never accepts and whose backlog is full,
-- so the next connection attempt goes unanswered (a connect timeout).
-- Returns the port and a function that closes everything.
function M.unanswered_port()
  local socket = require "socket"
  local srv = assert(socket.tcp())
  assert(srv:bind("127.0.0.1", 0))
  assert(srv:listen(0))
  local _, port = srv:getsockname()
  local fillers = {}
  for i = 1, 3 do
    fillers[i] = socket.tcp()
    fillers[i]:settimeout(0.2)
    fillers[i]:connect("127.0.0.1", port)
  end
  return port, function()
    for _, f in ipairs(fillers) do f:close() end
    srv:close()
  end
end

function M.run(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok, _, code = p:close()
  return ok and 0 or code, out
end

--- Decodes spec/fixtures/<name>.json.
function M.fixture(name)
  local f = assert(io.open("spec/fixtures/" .. name .. ".json"))
  local text = f:read("a")
  f:close()
  return assert(dkjson.decode(text))
end

return M
