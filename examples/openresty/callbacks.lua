--- examples/openresty/callbacks.lua - an nginx content handler that
-- receives Kaleyra's WhatsApp callbacks (delivery and read receipts,
-- failures, replies, Flow answers) with kaleyra.whatsapp.receiver: see
-- callbacks.conf beside it and doc/callbacks.md.
--
--   POST /kaleyra/callbacks   (what Kaleyra's callback profile calls)
--   -> 200 at once; 401 bad credentials; 400 not JSON or over 1 MiB
--
-- The credentials come from the environment (nginx.conf passes them with
-- `env`): KALEYRA_CALLBACK_USER and KALEYRA_CALLBACK_PASSWORD for Basic
-- authentication, or KALEYRA_CALLBACK_TOKEN for a Bearer token. With
-- neither, every caller is accepted (fine on a private network only).
--
-- Your code goes in M.on_events: it runs in a timer after Kaleyra has had
-- its answer, once per (message id, status) within an hour.
local receiver = require "kaleyra.whatsapp.receiver"

local M = {}

--- Called with the list of new events (see doc/callbacks.md for their
-- fields). Replace it, e.g. from init_worker_by_lua_block:
--   require("callbacks").on_events = function(events) ... end
function M.on_events(events)
  for _, ev in ipairs(events) do
    if ev.event == "status" then
      ngx.log(ngx.NOTICE, "message ", ev.message_id, " is ", ev.status, " (ref ", ev.ref or "", ")")
    elseif ev.event == "message" then
      ngx.log(ngx.NOTICE, "message from ", ev.from, " of type ", ev.type)
    else
      ngx.log(ngx.NOTICE, "callback: ", ev.event)
    end
  end
end

local function auth_from_env()
  local user, password = os.getenv("KALEYRA_CALLBACK_USER"), os.getenv("KALEYRA_CALLBACK_PASSWORD")
  local token = os.getenv("KALEYRA_CALLBACK_TOKEN")
  if user and user ~= "" then return { basic = { user = user, password = password or "" } } end
  if token and token ~= "" then return { bearer = token } end
  return nil
end

local handler -- this worker's receiver, made on first use

function M.handle()
  handler = handler or receiver.new {
    auth = auth_from_env(),
    dict = "kaleyra_callbacks",
    window = 3600,
    on_events = function(events) return M.on_events(events) end,
  }
  return handler:handle()
end

return M
