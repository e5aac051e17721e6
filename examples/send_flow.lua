--- examples/send_flow.lua - sends a WhatsApp Flow message.
--
--   lua5.4 sandbox/sandbox --run lua5.4 examples/send_flow.lua
--
-- Settings as in examples/send_text.lua; KALEYRA_FLOW_ID names the Flow
-- (the sandbox accepts any digits).

-- From a checkout (after `make`) use its modules; installed, the rock's.
package.path = "lua/?.lua;" .. package.path
package.cpath = "build/lua/?.so;" .. package.cpath

local whatsapp = require "kaleyra.whatsapp"

local client <close> = assert(whatsapp.new(whatsapp.env_options()))

local res, err = client:send_flow {
  to = os.getenv("KALEYRA_TO") or "+919876543210",
  header = "Book a table",
  body = "Pick a date and a time.",
  footer = "Lucky Shrub",
  flow = {                         -- Meta's action.parameters, passed through
    flow_id = os.getenv("KALEYRA_FLOW_ID") or "1120000000000207",
    flow_cta = "Book!",
    flow_token = "booking-42",
    flow_action = "navigate",
    flow_action_payload = { screen = "WELCOME", data = { party_size = 2 } },
    mode = "published",
  },
}
if not res then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
print("accepted " .. res.message_id)
