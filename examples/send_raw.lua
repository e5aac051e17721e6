--- examples/send_raw.lua - sends any message Meta's message object allows:
-- here an image, then reply buttons, with client:send.
--
--   lua5.4 sandbox/sandbox --run lua5.4 examples/send_raw.lua
--
-- Settings as in examples/send_text.lua.

-- From a checkout (after `make`) use its modules; installed, the rock's.
package.path = "lua/?.lua;" .. package.path
package.cpath = "build/lua/?.so;" .. package.cpath

local whatsapp = require "kaleyra.whatsapp"

local client <close> = assert(whatsapp.new(whatsapp.env_options()))
local to = os.getenv("KALEYRA_TO") or "+919876543210"

local messages = {
  { -- messaging_product and recipient_type are added when absent
    to = to, type = "image",
    image = { link = "https://www.luckyshrub.com/fern.jpg", caption = "Your fern, ready for pickup" },
  },
  {
    to = to, type = "interactive",
    interactive = {
      type = "button",
      body = { text = "Still want the fern delivered tomorrow?" },
      action = { buttons = {
        { type = "reply", reply = { id = "yes", title = "Yes" } },
        { type = "reply", reply = { id = "later", title = "Another day" } },
      } },
    },
  },
}

for _, mo in ipairs(messages) do
  local res, err = client:send { messaging_object = mo, extra_info = { ref = "fern-7" } }
  if not res then
    io.stderr:write(tostring(err), "\n")
    os.exit(1)
  end
  print("accepted " .. res.message_id)
end
