--- kaleyra.whatsapp.flow: the policy of a WhatsApp Flows data endpoint,
-- on top of the C core's cryptography (src/kwa_lua_flow.c): ep:handle.
--
-- Written in Lua rather than over kwa_flow_handle so that a handler
-- running inside nginx may yield (cosockets: a database, an upstream
-- API); a C frame between the request and the handler would forbid that.
-- The statuses follow Meta's endpoint protocol (doc/flows.md):
--   421  the body cannot be decrypted (the client refetches the public key)
--   427  the handler said the flow_token is no longer valid
--   500  anything else (the handler raised, or answered nothing usable)
-- @module kaleyra.whatsapp.flow

local core = require "kaleyra.whatsapp.core"

local M = {}

local HANDLED = { INIT = true, data_exchange = true, BACK = true }

local function is_notice(req)
  local data = req.data
  return type(data) == "table" and data.error ~= nil and data.error ~= core.null
end

-- A shallow copy of resp with the request's version when it has none
-- (Meta echoes it), so the caller's table is never changed.
local function with_version(resp, version)
  if type(resp) ~= "table" or resp.version ~= nil or version == nil then return resp end
  local copy = { version = version }
  for k, v in pairs(resp) do copy[k] = v end
  return copy
end

--- Answers one request body: `status, body [, err]`.
-- Decrypts `body`, answers `ping` and error notifications itself, calls
-- `handler(request)` for INIT, data_exchange and BACK, and encrypts what
-- it returns (a table, given the request's `version` when it has none,
-- or a string sent byte for byte). A handler's `nil, message` answers 427
-- with the encrypted `{ error_msg = message }`. A handler that raises
-- answers 500 with an empty body; the raised value comes back as the
-- third value, for the log, never in the body. On 421 the third value
-- is the decryption error (its `reason` says why).
-- @tparam string body the POST body as received
-- @tparam function handler (request) -> response | nil, error_msg
-- @treturn integer status
-- @treturn string body (base64, or "" for 421 and 500)
-- @return[opt] the error, for logging
local Endpoint = core.FlowEndpoint

function Endpoint:handle(body, handler)
  if type(handler) ~= "function" then
    error("bad argument #2 to 'handle' (function expected, got " .. type(handler) .. ")", 2)
  end
  local req, ctx = self:decrypt(body)
  if not req then return 421, "", ctx end
  local function answer(status, resp)
    local out, err = self:encrypt(with_version(resp, req.version), ctx)
    if not out then return 500, "", err end
    return status, out
  end
  if req.action == "ping" then
    return answer(200, { data = { status = "active" } })
  end
  if is_notice(req) then
    return answer(200, { data = { acknowledged = true } })
  end
  if not HANDLED[req.action] then
    return 500, "", "unknown action"
  end
  local ok, resp, msg = pcall(handler, req)
  if not ok then return 500, "", resp end
  if resp == nil then
    if type(msg) == "string" then return answer(427, { error_msg = msg }) end
    return 500, "", "the handler answered nothing"
  end
  if type(resp) ~= "table" and type(resp) ~= "string" then
    return 500, "", "the handler answered a " .. type(resp)
  end
  return answer(200, resp)
end

M.endpoint = core.flow_endpoint
M.request_encrypt = core.flow_request_encrypt
M.response_decrypt = core.flow_response_decrypt
M.keygen = core.flow_keygen

return M
