--- examples/send_text.lua - sends one text message.
--
--   lua5.4 sandbox/sandbox --run lua5.4 examples/send_text.lua   # against the local stand-in
--   KALEYRA_SID=... KALEYRA_API_KEY=... KALEYRA_FROM=+91... KALEYRA_TO=+91... lua5.4 examples/send_text.lua
--
-- Settings come from KALEYRA_SID, KALEYRA_API_KEY, KALEYRA_FROM and, when
-- set, KALEYRA_BASE_URL or KALEYRA_REGION; KALEYRA_TO is the recipient.
-- Prints "accepted <message_id>", or the error on stderr and exits 1.

-- From a checkout (after `make`) use its modules; installed, the rock's.
package.path = "lua/?.lua;" .. package.path
package.cpath = "build/lua/?.so;" .. package.cpath

local whatsapp = require "kaleyra.whatsapp"

local client <close> = assert(whatsapp.new(whatsapp.env_options()))

local res, err = client:send_text {
  to = os.getenv("KALEYRA_TO") or "+919876543210",
  body = "Your order #42 has shipped.",
  preview_url = false,
  extra_info = { ref = "order-42", wa_source = "api" },
}
if not res then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
print("accepted " .. res.message_id)
