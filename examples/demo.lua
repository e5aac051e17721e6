--- examples/demo.lua - sends each operation of the registry once (the
-- Flow lifecycle as one story: create, upload, publish, deprecate) and
-- prints the parsed results; it names any operation it has no example
-- for. `make demo` runs it against the local sandbox, which
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
show("send (any message type)", client:send {
  messaging_object = { to = to, type = "image", image = { link = "https://example.com/a.jpg" } },
})
show("publish_flow", client:publish_flow(env("KALEYRA_FLOW_ID", "1120000000000207")))
local wamid = "wamid.HBgMOTE5NzQwNzc2NTA1FQIAEhggMDI1QjVEMzZGQzE2RDI3QzY2MjU2MTgwQjQ3RDM2NDYA"
show("mark_read", client:mark_read(wamid))
show("send_location", client:send_location {
  to = to, latitude = 12.9716, longitude = 77.5946, name = "Lucky Shrub", address = "Bengaluru",
})
show("send_reaction", client:send_reaction { to = to, message_id = wamid, emoji = "👍" })
show("send_media", client:send_media {
  to = to, type = "document", link = "https://example.com/menu.pdf", filename = "menu.pdf",
})
show("send_buttons", client:send_buttons {
  to = to, body = "Keep the table?", buttons = { { id = "yes", title = "Yes" }, { id = "no", title = "No" } },
  reply_to = wamid,
})
show("send_list", client:send_list {
  to = to, body = "Pick a time", button = "Times",
  sections = { { title = "Today", rows = { { id = "t7", title = "7 pm" }, { id = "t8", title = "8 pm" } } } },
})
show("send_template", client:send_template {
  to = to, name = "order_update", language = "en", body = { "Asha", "#4711", "Tuesday" },
})
show("upload_media", client:upload_media { data = ("\255\216\255"):rep(100), type = "image/jpeg",
  filename = "demo.jpg" })

-- The Flow lifecycle, against the stand-in's Flow store.
local waba = env("KALEYRA_WABA_ID", "112233")
local created, err = client:create_flow { waba_id = waba, name = "Demo", categories = { "SURVEY" } }
show("create_flow", created, err)
local flow_id = created and created.id or "0"
show("update_flow", client:update_flow(flow_id, { name = "Demo booking" }))
show("upload_flow_json", client:upload_flow_json(flow_id, { version = "6.0", screens = {
  { id = "WELCOME", title = "Hi", layout = { type = "SingleColumnLayout", children = {} } } } }))
show("get_flow", client:get_flow(flow_id))
show("list_flows", client:list_flows { waba_id = waba })
show("publish_flow (the new Flow)", client:publish_flow(flow_id))
show("deprecate_flow", client:deprecate_flow(flow_id))
local draft = client:create_flow { waba_id = waba, name = "Draft", categories = { "OTHER" } }
show("delete_flow (a draft)", client:delete_flow(draft and draft.id or "0"))
show("set_flows_public_key", client:set_flows_public_key [[
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArTTgEcR8sSjvOF2omGT1
kgPNT5jEU7i56egbKmCRpDlSphwXBXbC2EGwXPuBWNvA3DWj3t6lZdD3QuGTnyY2
8Jzk/IGakaQC6XBNqOuWuhx5CcvJNEwCxoD249Qk6i9jsh9Ieitz1HtutH8DlrBH
SSMBPmfb+8lq/OghxfbXla7gynbg/+11jczSd72emkcNxheejHyTWjMnBA4Xh3/B
pdyTd1f3w//ZaXiKNU+6s92+sy69TJB3Ffftk2omT5SslHojKpPu+7iiyn1ZHb6s
vNpzvwmRDoIpj6B9Y4t43G+kw52YXeGttQTUM5R4IJJU82xVovQvyJaCj9QblZ97
TwIDAQAB
-----END PUBLIC KEY-----
]])
show("get_flows_public_key", client:get_flows_public_key())
show("an invalid message (nothing is sent)", client:send_text { to = to, body = "" })

-- A new operation of the registry shows up here until it has an example.
local shown = {}
for line in io.open(arg[0]):lines() do
  for method in line:gmatch("client:([%w_]+)") do shown[method] = true end
end
for _, op in ipairs(whatsapp.ops) do
  if not shown[op.method] then print("== " .. op.method .. ": no example in examples/demo.lua yet") end
end
