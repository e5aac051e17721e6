--- Exit statuses of `kaleyra-wa`, after BSD's sysexits.h, so a script can
-- tell a bad message from bad credentials, a refusing service and a
-- network that is down. doc/cli.md and `--help` print the same table.
-- @module kaleyra.whatsapp.cli.status

local M = {
  OK = 0,          -- every message accepted (publish-flow: published)
  MIXED = 1,       -- bulk: failures of more than one class below
  USAGE = 64,      -- bad command line
  VALIDATION = 65, -- a message or input line is invalid; nothing was sent for it
  NOINPUT = 66,    -- an input or journal file cannot be read
  SERVICE = 69,    -- the service refused or failed: payload, balance, rate_limit, server, protocol
  SOFTWARE = 70,   -- a bug in kaleyra-wa (a Lua error)
  NETWORK = 75,    -- network, timeout, tls; bulk: an outcome left unknown by an earlier run
  AUTH = 77,       -- auth: SID, API key, business number or flow not allowed
  CONFIG = 78,     -- config: missing or invalid credentials/options, wrong base URL or region
  INTERRUPTED = 130, -- Ctrl-C
}

local by_kind = {
  validation = M.VALIDATION, callback = M.VALIDATION,
  config = M.CONFIG,
  auth = M.AUTH,
  payload = M.SERVICE, balance = M.SERVICE, rate_limit = M.SERVICE,
  server = M.SERVICE, protocol = M.SERVICE, crypto = M.SERVICE,
  network = M.NETWORK, timeout = M.NETWORK, tls = M.NETWORK,
  unknown = M.NETWORK,
}

--- The exit status for an error kind (`err.kind`).
function M.of_kind(kind)
  return by_kind[kind] or M.SOFTWARE
end

--- The exit status of a bulk run from the set of failure statuses seen
-- (keys): 0 when there is none, that status when there is one, else MIXED.
function M.combine(seen)
  local only
  for status in pairs(seen) do
    if only then return M.MIXED end
    only = status
  end
  return only or M.OK
end

--- The table for --help and doc/cli.md, one status per line.
M.HELP = [[
Exit status:
   0  success (bulk: every line accepted)
   1  bulk: failures of more than one class below (see each result line)
  64  usage: bad command line
  65  validation: a message or input line is invalid; nothing was sent for it;
      callbacks parse: the body cannot be read as a callback
  66  an input or journal file cannot be read
  69  service: payload, balance, rate_limit, server or protocol error
  70  internal error in kaleyra-wa
  75  network: network, timeout or tls error; bulk: outcome unknown
  77  auth: SID, API key, business number or flow not allowed
  78  config: missing or invalid credentials or options, wrong base URL
 130  interrupted (Ctrl-C); bulk: resume with the same --journal]]

return M
