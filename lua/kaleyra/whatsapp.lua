--- kaleyra.whatsapp: send WhatsApp messages through Kaleyra's API v2.
--
-- The C core (kaleyra.whatsapp.core) validates, builds, sends and parses;
-- this file holds the Lua-side policy: how errors print, which transport
-- a client uses (libcurl; nginx's cosockets inside nginx, or a function:
-- kaleyra/whatsapp/transport.lua), and the documented entry points.
-- Every call returns a result table, or nil and
-- an error table (see doc/lua-api.md, "Errors"). Wrong argument types and
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
  -- body [, retry_after]) with op an operation's name ("text", "publish",
  -- "mark_read", ...).
  parse = core.parse,
  --- The registry of operations, as tables (see doc/operations.md).
  ops = core.ops,
  --- Parses a callback (webhook) body that Kaleyra or Meta POSTed:
  -- parse_callback(body [, { strict = true }]) -> list of events, or nil
  -- and an error of kind "callback" naming the field (doc/callbacks.md).
  parse_callback = core.parse_callback,
  --- check_basic(authorization_header, user, password) -> true | false,
  -- reason: compares in constant time; the reason never holds a secret.
  check_basic = core.check_basic,
  --- check_bearer(authorization_header, token) -> true | false, reason.
  check_bearer = core.check_bearer,
  --- check_header(value, expected) -> true | false, reason: a custom
  -- header of the callback profile, such as a shared secret.
  check_header = core.check_header,
  --- verify_signature(raw_body, x_hub_signature_256, app_secret) -> true |
  -- false, reason: Meta's "sha256=" HMAC-SHA256 of the raw body.
  verify_signature = core.verify_signature,
  --- The value Ctrl-C raises once catch_interrupts() ran: compare errors
  -- with `err == whatsapp.interrupted`.
  interrupted = core.interrupted,
  --- Makes SIGINT raise whatsapp.interrupted in the next Lua code the main
  -- thread runs (as lua.c does, but a value rather than a string). For
  -- programs; never inside nginx.
  catch_interrupts = core.catch_interrupts,
}

local flow = require "kaleyra.whatsapp.flow"

--- A WhatsApp Flows data endpoint: flow_endpoint{ private_key = PEM,
-- passphrase = nil } -> endpoint, or nil and an error of kind "config".
-- The endpoint has decrypt(body), encrypt(response, ctx) and
-- handle(body, handler): see doc/flows.md.
M.flow_endpoint = flow.endpoint
--- The WhatsApp client's side, for tests and health checks:
-- flow_request_encrypt(public_key_pem, request) -> body, ctx.
M.flow_request_encrypt = flow.request_encrypt
--- flow_response_decrypt(body, ctx) -> response (a table).
M.flow_response_decrypt = flow.response_decrypt
--- flow_keygen([bits [, passphrase]]) -> private_pem, public_pem: a new
-- RSA key pair (2048 bits by default; PKCS#8, AES-256 encrypted with a
-- passphrase).
M.flow_keygen = flow.keygen

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

-- Inside nginx's Lua module the libcurl engine would block the worker, so
-- clients default to the cosocket transport there.
local function inside_nginx()
  return type(ngx) == "table" and type(ngx.config) == "table"
    and ngx.config.subsystem ~= nil and type(ngx.socket) == "table"
end

--- Makes an error table like the library's own: kind, message,
-- retryable = false and sent = false unless `fields` says otherwise, with
-- the Error metatable (so it prints like every other error).
-- @tparam string kind "config", "validation", "network", ...
-- @tparam string message
-- @tparam[opt] table fields more fields: field, status, code, sent, retryable...
-- @treturn table the error
function M.error(kind, message, fields)
  local err = { kind = kind, message = message, retryable = false, sent = false }
  for k, v in pairs(fields or {}) do err[k] = v end
  return setmetatable(err, Error)
end

--- Creates a client.
-- @tparam table opts sid, api_key, region, base_url, from, timeout,
--   connect_timeout, ca_file, ca_path, retries, concurrency, and transport:
--   nil (libcurl; "ngx" inside nginx), "curl", "ngx", or a function
--   (request) -> response (see kaleyra/whatsapp/transport.lua)
-- @return client, or nil and an error of kind "config"
function M.new(opts)
  if type(opts) == "table" and rawget(opts, "_external") ~= nil then
    error("whatsapp.new: unknown field '_external'", 2)
  end
  if type(opts) ~= "table" or opts.transport == nil and not inside_nginx() then
    return core.new(opts) -- raises on a non-table, as before
  end
  local transport, c_opts = opts.transport, {}
  for k, v in pairs(opts) do
    if k ~= "transport" then c_opts[k] = v end
  end
  if transport == nil then transport = "ngx" end
  local err
  if transport == "curl" and inside_nginx() then
    err = 'transport "curl" would block the nginx worker; use "ngx" or a function'
  elseif transport == "ngx" and not require("kaleyra.whatsapp.ngx").available() then
    err = 'transport "ngx" needs nginx\'s Lua module (OpenResty)'
  elseif transport ~= "ngx" and transport ~= "curl" and type(transport) ~= "function" then
    err = 'transport must be "curl", "ngx" or a function, got '
      .. (type(transport) == "string" and '"' .. transport .. '"' or "a " .. type(transport))
  end
  -- every other option is checked first, as before: a bad one wins
  local c, cerr = core.new(transport == "curl" and c_opts or (function()
    local o = { _external = true }
    for k, v in pairs(c_opts) do o[k] = v end
    return o
  end)())
  if not c then return nil, cerr end
  if err then
    c:close()
    return nil, M.error("config", err, { field = "transport" })
  end
  if transport == "curl" then return c end
  return require("kaleyra.whatsapp.transport").new(c, transport, c_opts)
end

local ENV = {
  sid = "KALEYRA_SID", api_key = "KALEYRA_API_KEY", from = "KALEYRA_FROM",
  region = "KALEYRA_REGION", base_url = "KALEYRA_BASE_URL",
}

--- Client options from the environment: KALEYRA_SID, KALEYRA_API_KEY,
-- KALEYRA_FROM, KALEYRA_REGION and KALEYRA_BASE_URL (empty counts as
-- unset), with `overrides` on top (their nil values change nothing).
-- Pass the result to whatsapp.new. Inside nginx, each variable needs an
-- `env` directive.
-- @tparam[opt] table overrides options that win over the environment
-- @treturn table options
function M.env_options(overrides)
  local opts = {}
  for key, name in pairs(ENV) do
    local value = os.getenv(name)
    if value ~= nil and value ~= "" then opts[key] = value end
  end
  for key, value in pairs(overrides or {}) do opts[key] = value end
  return opts
end

--- Marks a table as a JSON array (returns it), so `{}` encodes as `[]`.
function M.array(t)
  return setmetatable(t or {}, M.array_mt)
end

return M
