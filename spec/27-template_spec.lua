-- spec/27-template_spec.lua - client:send_template: a golden payload per
-- header, body and button variant (Meta's components, built from the
-- friendly fields), every validation rule with nothing sent, components
-- passed through, the stand-in's template store answering WA400 to a
-- mismatched send, the command and bulk form.
local h = require "spec.helpers"

local TO = h.magic.to

local function mo(template, extra)
  local m = { messaging_product = "whatsapp", recipient_type = "individual", to = TO, type = "template",
    template = template }
  for k, v in pairs(extra or {}) do m[k] = v end
  return m
end
local function tpl(name, components, lang)
  return { name = name, language = { code = lang or "en" }, components = components }
end
local function texts(...)
  local list = {}
  for i, t in ipairs { ... } do list[i] = { type = "text", text = t } end
  return list
end
local function body(...) return { type = "body", parameters = texts(...) } end
local function button(sub_type, index, param)
  return { type = "button", sub_type = sub_type, index = tostring(index), parameters = { param } }
end
local function msg(name, fields)
  local m = { to = TO, name = name, language = "en" }
  for k, v in pairs(fields or {}) do m[k] = v end
  return m
end

local goldens = {
  { name = "no parameters, en_US", msg = { to = TO, name = "hello_world", language = "en_US" },
    mo = mo(tpl("hello_world", nil, "en_US")) },
  { name = "body: text, currency and date_time",
    msg = msg("order_update", { body = { "John", { type = "currency", fallback = "$100.99", code = "USD", amount_1000 = 100990 },
      { type = "date_time", fallback = "February 25, 1977" } } }),
    mo = mo(tpl("order_update", { { type = "body", parameters = { { type = "text", text = "John" },
      { type = "currency", currency = { fallback_value = "$100.99", code = "USD", amount_1000 = 100990 } },
      { type = "date_time", date_time = { fallback_value = "February 25, 1977" } } } } })) },
  { name = "an image header by link",
    msg = msg("shipping_banner", { header = { type = "image", link = "https://example.com/banner.jpg" }, body = { "A1" } }),
    mo = mo(tpl("shipping_banner", { { type = "header", parameters = { { type = "image", image = { link = "https://example.com/banner.jpg" } } } },
      body "A1" })) },
  { name = "a document header by id, with filename",
    msg = msg("invoice_ready", { header = { type = "document", id = "4490709327", filename = "inv.pdf" }, body = { "a", "b" } }),
    mo = mo(tpl("invoice_ready", { { type = "header", parameters = { { type = "document",
      document = { id = "4490709327", filename = "inv.pdf" } } } }, body("a", "b") })) },
  { name = "a location header",
    msg = msg("store_location", { header = { type = "location", latitude = 12.5, longitude = 77.5, name = "Shop", address = "Road 1" } }),
    mo = mo(tpl("store_location", { { type = "header", parameters = { { type = "location",
      location = { latitude = 12.5, longitude = 77.5, name = "Shop", address = "Road 1" } } } } })) },
  { name = "a text header and two quick replies, as a reply",
    msg = msg("feedback", { header = { type = "text", params = { "Asha" } }, body = { "order 7" }, reply_to = "wamid.Z",
      buttons = { { type = "quick_reply", payload = "good" }, { type = "quick_reply", payload = string.rep("p", 256) } } }),
    mo = mo(tpl("feedback", { { type = "header", parameters = texts "Asha" }, body "order 7",
      button("quick_reply", 0, { type = "payload", payload = "good" }),
      button("quick_reply", 1, { type = "payload", payload = string.rep("p", 256) }) }), { context = { message_id = "wamid.Z" } }) },
  { name = "an OTP: the code in the body and the url button",
    msg = msg("otp_code", { body = { "123456" }, buttons = { { type = "url", text = "123456" } } }),
    mo = mo(tpl("otp_code", { body "123456", button("url", 0, { type = "text", text = "123456" }) })) },
  { name = "a coupon: copy_code",
    msg = msg("coupon_offer", { body = { "25%" }, buttons = { { type = "copy_code", code = "SAVE25SAVE25SAV" } } }),
    mo = mo(tpl("coupon_offer", { body "25%", button("copy_code", 0, { type = "coupon_code", coupon_code = "SAVE25SAVE25SAV" }) })) },
  { name = "a url suffix at an explicit index",
    msg = msg("track_order", { body = { "7" }, buttons = { { type = "url", text = "ORDER-7", index = 1 } } }),
    mo = mo(tpl("track_order", { body "7", button("url", 1, { type = "text", text = "ORDER-7" }) })) },
  { name = "a flow button with token and data",
    msg = msg("booking_flow", { buttons = { { type = "flow", flow_token = "tok", flow_action_data = { slot = "9am" } } } }),
    mo = mo(tpl("booking_flow", { button("flow", 0, { type = "action", action = { flow_token = "tok",
      flow_action_data = { slot = "9am" } } }) })) },
  { name = "Meta's components passed through",
    msg = msg("order_update", { components = { body("a", "b", "c") } }),
    mo = mo(tpl("order_update", { body("a", "b", "c") })) },
}

local function n_buttons(n)
  local list = {}
  for i = 1, n do list[i] = { type = "quick_reply", payload = "p" .. i } end
  return list
end

require("spec.support.op_spec")({
  op = "template",
  goldens = goldens,
  invalid = {
    { msg = { name = "hello_world", language = "en" }, field = "to" },
    { msg = { to = TO, language = "en" }, field = "name" },
    { msg = msg "Hello_World", field = "name" },
    { msg = msg "hello world", field = "name" },
    { msg = msg "", field = "name" },
    { msg = msg(string.rep("a", 513)), field = "name" },
    { msg = { to = TO, name = "hello_world" }, field = "language" },
    { msg = msg("hello_world", { language = "english" }), field = "language" },
    { msg = msg("hello_world", { language = "en-US" }), field = "language" },
    { msg = msg("hello_world", { language = "EN" }), field = "language" },
    { msg = msg("hello_world", { language = "en_us" }), field = "language" },
    { msg = msg("x", { header = { type = "image" } }), field = "header.id" },
    { msg = msg("x", { header = { type = "image", id = "1", link = "https://example.com/a.png" } }), field = "header.id" },
    { msg = msg("x", { header = { type = "image", link = "http://example.com/a.png" } }), field = "header.link" },
    { msg = msg("x", { header = { type = "video", link = "ftp://example.com/a.mp4" } }), field = "header.link" },
    { msg = msg("x", { header = { type = "image", id = "1", filename = "a" } }), field = "header" },
    { msg = msg("x", { header = { type = "audio", id = "1" } }), field = "header.type" },
    { msg = msg("x", { header = { id = "1" } }), field = "header.type" },
    { msg = msg("x", { header = { type = "text" } }), field = "header.params" },
    { msg = msg("x", { header = { type = "text", params = { string.rep("h", 61) } } }), field = "header.params[1]" },
    { msg = msg("x", { header = { type = "location", latitude = 91, longitude = 0 } }), field = "header.latitude" },
    { msg = msg("x", { header = { type = "location", latitude = 1 } }), field = "header.longitude" },
    { msg = msg("x", { body = {} }), field = "body" },
    { msg = msg("x", { body = "text" }), field = "body" },
    { msg = msg("x", { body = { "" } }), field = "body[1]" },
    { msg = msg("x", { body = { "a", 5 } }), field = "body[2]" },
    { msg = msg("x", { body = { { type = "image" } } }), field = "body[1]" },
    { msg = msg("x", { body = { { type = "date_time" } } }), field = "body[1].fallback" },
    { msg = msg("x", { body = { { type = "currency", fallback = "$1", code = "usd", amount_1000 = 1000 } } }), field = "body[1].code" },
    { msg = msg("x", { body = { { type = "currency", fallback = "$1", code = "USD", amount_1000 = 1.5 } } }), field = "body[1].amount_1000" },
    { msg = msg("x", { body = { { type = "currency", fallback = "$1", code = "USD" } } }), field = "body[1].amount_1000" },
    { msg = msg("x", { body = { { type = "currency", code = "USD", amount_1000 = 1 } } }), field = "body[1].fallback" },
    { msg = msg("x", { buttons = n_buttons(11) }), field = "buttons" },
    { msg = msg("x", { buttons = {} }), field = "buttons" },
    { msg = msg("x", { buttons = { { type = "quick_reply", payload = string.rep("p", 257) } } }), field = "buttons[1].payload" },
    { msg = msg("x", { buttons = { { type = "quick_reply" } } }), field = "buttons[1].payload" },
    { msg = msg("x", { buttons = { { type = "copy_code", code = string.rep("C", 16) } } }), field = "buttons[1].code" },
    { msg = msg("x", { buttons = { { type = "url", text = "" } } }), field = "buttons[1].text" },
    { msg = msg("x", { buttons = { { type = "url" } } }), field = "buttons[1].text" },
    { msg = msg("x", { buttons = { { type = "call" } } }), field = "buttons[1].type" },
    { msg = msg("x", { buttons = { { type = "flow", flow_action_data = "x" } } }), field = "buttons[1].flow_action_data" },
    { msg = msg("x", { buttons = { { type = "url", text = "a", index = 10 } } }), field = "buttons[1].index" },
    { msg = msg("x", { buttons = { { type = "url", text = "a", payload = "b" } } }), field = "buttons[1]" },
    { msg = msg("x", { components = { body "a" }, body = { "a" } }), field = "components" },
    { msg = msg("x", { components = { body "a" }, header = { type = "text", params = { "h" } } }), field = "components" },
    { msg = msg("x", { components = { { parameters = {} } } }), field = "components[1]" },
  },
  cli = {
    { name = "TO NAME --language --body-param (repeated)",
      args = { TO, "order_update", "--language", "en", "--body-param", "A", "--body-param", "B", "--body-param", "C" },
      mo = mo(tpl("order_update", { body("A", "B", "C") })) },
    { name = "a text header and --button type=quick_reply,payload=... (repeated)",
      args = { TO, "feedback", "--language", "en", "--header-type", "text", "--header-param", "Asha", "--body-param", "x",
        "--button", "type=quick_reply,payload=good", "--button", "type=quick_reply,payload=bad" },
      mo = mo(tpl("feedback", { { type = "header", parameters = texts "Asha" }, body "x",
        button("quick_reply", 0, { type = "payload", payload = "good" }),
        button("quick_reply", 1, { type = "payload", payload = "bad" }) })) },
    { name = "an image header by --header-link",
      args = { TO, "shipping_banner", "--language", "en", "--header-type", "image", "--header-link",
        "https://example.com/b.jpg", "--body-param", "x" },
      mo = mo(tpl("shipping_banner", { { type = "header", parameters = { { type = "image",
        image = { link = "https://example.com/b.jpg" } } } }, body "x" })) },
  },
  cli_invalid = {
    { args = { TO, "hello_world", "--language", "english" }, field = "language" },
    { args = { TO, "Hello", "--language", "en" }, field = "name" },
    { args = { TO, "coupon_offer", "--language", "en", "--button", "type=copy_code,code=" .. string.rep("C", 16) },
      field = "buttons[1].code" },
  },
  bulk = { msg = { to = TO, name = "order_update", language = "en", body = { "a", "b", "c" } },
    mo = mo(tpl("order_update", { body("a", "b", "c") })) },
}, _ENV)

describe("the stand-in's template store", function()
  local env = h.env { client = true }
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  local function refused(m, why)
    local res, err = env.client:send_template(m)
    assert.is_nil(res)
    assert.equals("payload", err.kind)
    assert.equals("WA400", err.code)
    assert.equals(400, err.status)
    local records = env.sandbox:records()
    assert.equals(1, #records)
    assert.matches(why, records[1].reason, 1, true)
    env.clear()
  end

  it("answers WA400 when the parameters do not match the approved template", function()
    refused(msg("order_update", { body = { "a", "b" } }), "takes 3 body parameters, got 2")
    refused(msg "hello_world_2", "does not exist")
    refused(msg("hello_world", { body = { "x" } }), "takes 0 body parameters, got 1")
    refused(msg("shipping_banner", { body = { "x" } }), "header takes image, got nil")
    refused(msg("shipping_banner", { header = { type = "video", id = "1" }, body = { "x" } }), "header takes image, got video")
    refused(msg("coupon_offer", { body = { "x" }, buttons = { { type = "quick_reply", payload = "p" } } }),
      "no quick_reply button at index 0")
    refused(msg("track_order", { body = { "x" }, buttons = { { type = "url", text = "t" } } }), "no url button at index 0")
  end)
end)
