--- examples/openresty/send.lua - an nginx content handler that sends one
-- WhatsApp text message with kaleyra.whatsapp (see nginx.conf beside it).
--
--   POST /send   {"to": "+919876543210", "body": "Hello"}
--   -> 202 {"message_id": "..."}, or 4xx/5xx {"error": "...", "kind": "...", "retryable": ...}
--
-- One client per nginx worker, made on first use and shared by every
-- request the worker serves: inside nginx it sends over cosockets (the
-- "ngx" transport), so each send yields to nginx instead of blocking, and
-- connections to Kaleyra are kept alive in nginx's pool. Nothing of the
-- incoming request but its JSON body is used: its headers and cookies are
-- never forwarded. The settings come from the KALEYRA_* variables that
-- nginx.conf passes through with `env`.
local whatsapp = require "kaleyra.whatsapp"
local cjson = require "cjson.safe"

local M = {}

local client -- this worker's client

local function get_client()
  if client then return client end
  -- KALEYRA_SID, KALEYRA_API_KEY, KALEYRA_FROM, KALEYRA_BASE_URL (nil:
  -- https://api.in.kaleyra.io), each passed in by an `env` directive
  local c, err = whatsapp.new(whatsapp.env_options { timeout = 10 })
  client = c
  return c, err
end

-- How each error kind is passed on to our own caller.
local STATUS = { validation = 400, rate_limit = 429, config = 500 }

local function reply(status, value)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.say(cjson.encode(value))
  return ngx.exit(status)
end

function M.handle()
  if ngx.req.get_method() ~= "POST" then return ngx.exit(ngx.HTTP_NOT_ALLOWED) end
  ngx.req.read_body()
  local job = cjson.decode(ngx.req.get_body_data() or "")
  if type(job) ~= "table" or type(job.to) ~= "string" or type(job.body) ~= "string" then
    return reply(400, { error = 'send a JSON object {"to": "+91...", "body": "text"}' })
  end
  local c, err = get_client()
  if not c then
    ngx.log(ngx.ERR, "kaleyra.whatsapp: ", tostring(err)) -- never contains the API key
    return reply(500, { error = tostring(err), kind = err.kind })
  end
  local res
  res, err = c:send_text { to = job.to, body = job.body }
  if res then return reply(202, { message_id = res.message_id }) end
  return reply(STATUS[err.kind] or 502, { error = tostring(err), kind = err.kind, retryable = err.retryable })
end

return M
