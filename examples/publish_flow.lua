--- examples/publish_flow.lua - publishes a Flow.
--
--   lua5.4 sandbox/sandbox --run lua5.4 examples/publish_flow.lua
--
-- Settings as in examples/send_text.lua (no business number needed);
-- KALEYRA_FLOW_ID names the Flow.

-- From a checkout (after `make`) use its modules; installed, the rock's.
package.path = "lua/?.lua;" .. package.path
package.cpath = "build/lua/?.so;" .. package.cpath

local whatsapp = require "kaleyra.whatsapp"

local client <close> = assert(whatsapp.new(whatsapp.env_options()))

local flow_id = os.getenv("KALEYRA_FLOW_ID") or "1120000000000207"
local res, err = client:publish_flow(flow_id)
if not res then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
print("published " .. flow_id)
