--- examples/openresty/flow_endpoint.lua - a WhatsApp Flows data endpoint
-- in nginx (see flow_endpoint.conf beside it, and doc/flows.md).
--
--   POST /flow   Meta's encrypted request -> 200 with the encrypted answer,
--                421 (cannot decrypt), 427 (flow_token no longer valid), 500
--
-- One endpoint per nginx worker: the private key is read and parsed once,
-- on the worker's first request, from the file named by FLOW_PRIVATE_KEY
-- (its passphrase, if any, in FLOW_KEY_PASSPHRASE); both reach Lua
-- through nginx's `env` directive. The passphrase is not kept.
--
-- flow_token checks: a token is valid when this server issued it (see
-- M.issue_token: call it where you send the Flow message) and it has not
-- expired; the tokens live in the lua_shared_dict `flow_tokens`, so every
-- worker sees them. A token that is not valid answers 427, and WhatsApp
-- shows the user the error_msg.
--
-- The screen router: ROUTES maps the screen a request comes from (and
-- INIT, which has none) to a function (request) -> response, or nil and
-- an error_msg for 427. A small appointment Flow:
--   INIT -> APPOINTMENT (departments) -> DETAILS (the chosen one) -> SUCCESS
local whatsapp = require "kaleyra.whatsapp"

local M = {}

local endpoint, endpoint_err -- this worker's

local function get_endpoint()
  if endpoint or endpoint_err then return endpoint, endpoint_err end
  local path = os.getenv("FLOW_PRIVATE_KEY")
  local f = path and io.open(path, "rb")
  if not f then
    endpoint_err = "FLOW_PRIVATE_KEY does not name a readable file"
    return nil, endpoint_err
  end
  local pem = f:read("*a")
  f:close()
  local err
  endpoint, err = whatsapp.flow_endpoint { private_key = pem, passphrase = os.getenv("FLOW_KEY_PASSPHRASE") }
  if not endpoint then endpoint_err = tostring(err) end
  return endpoint, endpoint_err
end

--- Records a flow_token as valid for `ttl` seconds (default a day). Call
-- it when you send the Flow message that carries the token.
function M.issue_token(token, ttl)
  return ngx.shared.flow_tokens:set(token, true, ttl or 86400)
end

local function token_ok(token)
  return type(token) == "string" and ngx.shared.flow_tokens:get(token) == true
end

local DEPARTMENTS = {
  { id = "cardio", title = "Cardiology" },
  { id = "derma", title = "Dermatology" },
}

local ROUTES = {
  -- The Flow opens: the first screen, with its data.
  INIT = function()
    return { screen = "APPOINTMENT", data = { departments = DEPARTMENTS } }
  end,
  APPOINTMENT = function(req)
    local chosen = type(req.data) == "table" and req.data.department
    for _, d in ipairs(DEPARTMENTS) do
      if d.id == chosen then
        return { screen = "DETAILS", data = { department = d.title } }
      end
    end
    -- an inline error on the same screen
    return { screen = "APPOINTMENT", data = { departments = DEPARTMENTS, error_message = "Pick a department" } }
  end,
  DETAILS = function(req)
    -- the last screen: close the Flow; params reach your webhook as response_json
    return { screen = "SUCCESS", data = { extension_message_response = {
      params = { flow_token = req.flow_token, department = type(req.data) == "table" and req.data.department },
    } } }
  end,
}

-- Called by ep:handle for INIT, data_exchange and BACK (ping and error
-- notifications are answered by the library).
local function route(req)
  if not token_ok(req.flow_token) then
    return nil, "This appointment link has expired. Please ask for a new one."
  end
  if req.action == "BACK" then
    -- refresh_on_back: show the screen the user returns to again
    local screen = req.screen == "DETAILS" and "APPOINTMENT" or req.screen
    return { screen = screen, data = { departments = DEPARTMENTS } }
  end
  local fn = ROUTES[req.action == "INIT" and "INIT" or req.screen]
  if not fn then error("no route for screen " .. tostring(req.screen)) end
  return fn(req)
end

--- content_by_lua: one request of Meta's.
function M.handle()
  if ngx.req.get_method() ~= "POST" then return ngx.exit(405) end
  local ep, err = get_endpoint()
  if not ep then
    ngx.log(ngx.ERR, "flow endpoint: ", err)
    return ngx.exit(500)
  end
  ngx.req.read_body()
  local body = ngx.req.get_body_data() -- nil when the body went to a file: too big
  local status, out, why = ep:handle(body or "", route)
  if status ~= 200 then
    -- the reason goes to the log only; Meta sees the status (and the
    -- encrypted error_msg on 427)
    ngx.log(status == 500 and ngx.ERR or ngx.INFO, "flow endpoint: ", status, " ", tostring(why))
  end
  -- ngx.exit(ngx.OK), not ngx.exit(status): the latter would send
  -- nginx's HTML error page where Meta expects an empty body
  ngx.status = status
  ngx.header["Content-Type"] = "text/plain"
  ngx.header["Content-Length"] = #out
  if out ~= "" then ngx.print(out) end
  return ngx.exit(ngx.OK)
end

return M
