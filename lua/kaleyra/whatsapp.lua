--- kaleyra.whatsapp: send WhatsApp messages through Kaleyra's API v2.
--
-- The C core (kaleyra.whatsapp.core) validates, builds, sends and parses;
-- this file holds the Lua-side policy: how errors print, and the
-- documented entry points. Every call returns a result table, or nil and
-- an error table (see README.md, "Errors"). Wrong argument types and
-- unknown keys raise, since those are bugs in the calling program.
-- @module kaleyra.whatsapp

local core = require "kaleyra.whatsapp.core"

local M = {
  version = core.version,
  --- JSON null inside passthrough tables (flow parameters, header objects).
  null = core.null,
  --- Metatable that makes a table encode as a JSON array, even when empty.
  array_mt = core.array_mt,
  --- Encodes a Lua value as JSON by the passthrough rules (nil, err on
  -- values JSON cannot carry).
  json_encode = core.json_encode,
  --- Decodes JSON text (nil, message when it is not JSON); arrays get
  -- array_mt, null becomes whatsapp.null.
  json_decode = core.json_decode,
  --- Interprets an HTTP answer as the engine would: parse(op, status,
  -- body [, retry_after]) with op "send" or "publish".
  parse = core.parse,
}

local Error = core.Error
Error.__name = "kaleyra.whatsapp.Error"

--- "CODE (STATUS): message" for service errors, "kind (field): message"
-- for validation and configuration errors, "kind: message" otherwise.
-- Built only from the library's words and the service's answer: never
-- from the API key.
function Error.__tostring(err)
  local label = err.code or err.kind
  local where = err.status or err.field
  if where then
    return string.format("%s (%s): %s", label, where, err.message)
  end
  return string.format("%s: %s", label, err.message)
end

--- Creates a client.
-- @tparam table opts sid, api_key, region, base_url, from, timeout,
--   connect_timeout, ca_file
-- @return client, or nil and an error of kind "config"
function M.new(opts)
  return core.new(opts)
end

--- Marks a table as a JSON array (returns it), so `{}` encodes as `[]`.
function M.array(t)
  return setmetatable(t or {}, M.array_mt)
end

return M
