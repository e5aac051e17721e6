-- sandbox/receiver_app.lua: the handler of `kaleyra-wa callbacks listen` (sandbox/receiver.conf.in):
-- kaleyra.whatsapp.receiver on every path, whose on_events appends each event as a JSON line to
-- <prefix>/events.jsonl for the CLI to print. Runs inside nginx (LuaJIT).
-- The secret (user:password for basic, the token for bearer) comes hex-encoded from nginx.conf in
-- the instance's private temp dir; it is never logged.
local cjson = require "cjson.safe"
local receiver = require "kaleyra.whatsapp.receiver"

local M = {}

local handler

local function append(events)
  local f, err = io.open(ngx.config.prefix() .. "/events.jsonl", "a")
  if not f then
    ngx.log(ngx.ERR, "receiver: cannot write events: ", err)
    return
  end
  for _, ev in ipairs(events) do f:write(cjson.encode(ev) or '{"event":"unencodable"}', "\n") end
  f:close()
end

function M.configure(kind, secret_hex)
  local secret = (secret_hex or ""):gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end)
  local auth
  if kind == "basic" then
    local user, password = secret:match("^([^:]*):(.*)$")
    auth = { basic = { user = user or secret, password = password or "" } }
  elseif kind == "bearer" then
    auth = { bearer = secret }
  end
  handler = receiver.new { auth = auth, dict = "kaleyra_callbacks", on_events = append }
end

function M.handle() return handler:handle() end

return M
