--- examples/send_cta_url.lua - sends an interactive call-to-action URL button.
--
--   lua5.4 sandbox/sandbox --run lua5.4 examples/send_cta_url.lua
--
-- Settings as in examples/send_text.lua (KALEYRA_SID, KALEYRA_API_KEY,
-- KALEYRA_FROM, KALEYRA_BASE_URL or KALEYRA_REGION, KALEYRA_TO).

-- From a checkout (after `make`) use its modules; installed, the rock's.
package.path = "lua/?.lua;" .. package.path
package.cpath = "build/lua/?.so;" .. package.cpath

local whatsapp = require "kaleyra.whatsapp"

local client <close> = assert(whatsapp.new(whatsapp.env_options()))

local res, err = client:send_cta_url {
  to = os.getenv("KALEYRA_TO") or "+919876543210",
  header = "Available Dates",   -- or { type = "image", image = { link = "https://..." } }
  body = "Tap the button below to see available dates.",
  footer = "Dates subject to change.",
  display_text = "See Dates",
  url = "https://www.luckyshrub.com/dates",
}
if not res then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
print("accepted " .. res.message_id)
