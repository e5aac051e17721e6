--- examples/demo.lua - sends each of the four operations once and prints
-- the parsed results. `make demo` runs it against the local sandbox, which
-- exports KALEYRA_BASE_URL, KALEYRA_SID, KALEYRA_API_KEY and KALEYRA_FROM;
-- pointed at the real service (no KALEYRA_BASE_URL, a real SID and key)
-- it sends real messages to KALEYRA_TO.
local whatsapp = require "kaleyra.whatsapp"

local function env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then
    if default then return default end
    io.stderr:write("demo: set ", name, "\n")
    os.exit(2)
  end
  return v
end

-- Prints a table as indented Lua, keys sorted, so results are easy to read.
local function dump(value, indent)
  indent = indent or ""
  if type(value) ~= "table" then
    return type(value) == "string" and string.format("%q", value) or tostring(value)
  end
  local keys = {}
  for k in pairs(value) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local lines = { "{" }
  for _, k in ipairs(keys) do
    lines[#lines + 1] = string.format("%s  %s = %s,", indent, tostring(k), dump(value[k], indent .. "  "))
  end
  lines[#lines + 1] = indent .. "}"
  return table.concat(lines, "\n")
end

local function show(title, res, err)
  print("== " .. title)
  if res then
    print(dump(res))
  else
    print("error: " .. tostring(err))
  end
end

local client <close> = assert(whatsapp.new(whatsapp.env_options()))
local to = env("KALEYRA_TO", "+919876543210")
local extra_info = { ref = "customer1", ref1 = "marketing", ref2 = "dictionary", wa_source = "api" }

show("send_text", client:send_text {
  to = to, body = "This is the sample message", preview_url = false, extra_info = extra_info,
})
show("send_cta_url", client:send_cta_url {
  to = to,
  header = "Available Dates",
  body = "Tap the button below to see available dates.",
  footer = "Dates subject to change.",
  display_text = "See Dates",
  url = "https://www.luckyshrub.com?clickID=kqDGWd24Q5TRwoEQTICY7W1JKoXvaZOXWAS7h1P76s0R7Paec4",
  extra_info = extra_info,
})
show("send_flow", client:send_flow {
  to = to,
  header = "Flow message header",
  body = "Flow message body",
  footer = "Flow message footer",
  flow = {
    flow_id = env("KALEYRA_FLOW_ID", "1120000000000207"),
    flow_cta = "Book!",
    flow_token = "demo-token",
    flow_action = "navigate",
    flow_action_payload = { screen = "WELCOME", data = { product_name = "name" } },
    mode = "published",
  },
  extra_info = extra_info,
})
show("publish_flow", client:publish_flow(env("KALEYRA_FLOW_ID", "1120000000000207")))
show("an invalid message (nothing is sent)", client:send_text { to = to, body = "" })
