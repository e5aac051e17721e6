--- `kaleyra-wa`: the command line over kaleyra.whatsapp. bin/kaleyra-wa
-- calls run(arg, script) and exits with what it returns.
--
-- Each message subcommand is an op of the registry (ops.lua): it builds
-- the op's message table (message.lua), then either sends it with the
-- op's method and prints the result, or with --dry-run prints the request
-- client:build made, API key redacted, and sends nothing. Errors map to
-- exit statuses by kind (status.lua).
-- @module kaleyra.whatsapp.cli.main

local whatsapp = require "kaleyra.whatsapp"
local args_mod = require "kaleyra.whatsapp.cli.args"
local message = require "kaleyra.whatsapp.cli.message"
local ops = require "kaleyra.whatsapp.cli.ops"
local output = require "kaleyra.whatsapp.cli.output"
local status = require "kaleyra.whatsapp.cli.status"

local M = {}

-- Client options from flags, then the environment. A dry run needs no
-- API key: the request shows "<redacted>" in its place either way.
local function client_options(a)
  local opts = whatsapp.env_options {
    sid = a.sid, api_key = a.api_key, from = a.from, region = a.region,
    base_url = a.base_url, timeout = a.timeout,
    connect_timeout = a.connect_timeout, ca_file = a.ca_file,
  }
  if a.dry_run and opts.api_key == nil then opts.api_key = "dry-run" end
  return opts
end

-- A library call that raised (an unknown field in a JSON message, say) is
-- bad input, not a crash.
local function call(fn, ...)
  local ok, res, err = pcall(fn, ...)
  if ok then return res, err end
  if res == whatsapp.interrupted then error(res, 0) end
  return nil, whatsapp.error("validation", (tostring(res):gsub("^[^:]*:%d+: ", "")))
end

-- One message of `op`: send it, or print its request.
local function single(client, op, a)
  local msg, err = message.from_args(op, a)
  if err then
    output.error(err)
    return err.kind == "input" and status.NOINPUT or status.VALIDATION
  end
  local res
  if a.dry_run then
    res, err = call(client.build, client, op.name, msg, true)
    if res then output.json(output.request(res)) end
  else
    res, err = call(client[op.method], client, msg)
    if res then output.result(res) end
  end
  if res then return status.OK end
  output.error(err)
  return status.of_kind(err.kind)
end

local function bulk(client, a)
  local rate = a.rate
  if rate == 0 then rate = nil end
  return require("kaleyra.whatsapp.cli.bulk").run(client, {
    file = a.file, format = a.format, concurrency = a.concurrency, rate = rate,
    journal = a.journal, resend_unknown = a.resend_unknown, retry_rejected = a.retry_rejected,
    fsync = not a.no_fsync,
    progress = not a.no_progress, dry_run = a.dry_run,
  })
end

-- The directory holding bin/ (a checkout, or the rock's directory, where
-- the rockspec copies sandbox/).
local function root_of(script)
  local dir = (script or ""):match("^(.*)/[^/]*$") or "."
  return dir .. "/.."
end

local function sandbox(a, script)
  local path = os.getenv("KALEYRA_WA_SANDBOX") or (root_of(script) .. "/sandbox/sandbox")
  local f = io.open(path, "r")
  if not f then
    output.fail("sandbox: cannot find " .. path .. " (set KALEYRA_WA_SANDBOX to sandbox/sandbox)")
    return status.CONFIG
  end
  f:close()
  local words = { "exec sh", output.shell_quote(path) }
  for _, word in ipairs(a.args) do words[#words + 1] = output.shell_quote(word) end
  -- os.execute waits with SIGINT ignored, so Ctrl-C reaches the script's trap
  local _, how, code = os.execute(table.concat(words, " "))
  if how == "signal" then return 128 + code end
  return code
end

--- Runs the command line `argv` (a list of strings); `script` is the
-- path of bin/kaleyra-wa (arg[0]). Returns the exit status.
function M.run(argv, script)
  local ok, argparse = pcall(require, "argparse")
  if not ok then
    output.fail("needs argparse: apt-get install lua-argparse (or luarocks install argparse)")
    return status.CONFIG
  end
  local parser = args_mod.parser(argparse, whatsapp.version)
  local parsed, a = parser:pparse(argv)
  if not parsed then
    io.stderr:write(parser:get_usage(), "\n\nkaleyra-wa: ", a, "\n")
    return status.USAGE
  end
  if a.command == "sandbox" then return sandbox(a, script) end
  if a.command == "callbacks" then
    local callbacks = require "kaleyra.whatsapp.cli.callbacks"
    if a.callbacks_command == "parse" then return callbacks.parse(a) end
    return callbacks.listen(a, root_of(script))
  end
  if a.command == "flows" and (a.flows_command == "keygen" or a.flows_command == "ping") then
    return require("kaleyra.whatsapp.cli.flows")[a.flows_command](a)
  end
  local client, err = whatsapp.new(client_options(a))
  if not client then
    output.error(err)
    return status.of_kind(err.kind)
  end
  local code
  if a.command == "bulk" then
    code = bulk(client, a)
  elseif a.command and a[a.command .. "_command"] then -- a group: kaleyra-wa flows create
    code = single(client, ops.of_group_command(a.command, a[a.command .. "_command"]), a)
  else
    code = single(client, ops.of_command(a.command), a)
  end
  client:close()
  io.stdout:flush()
  return code
end

return M
