-- spec/25-buttons_spec.lua - client:send_buttons, 1 to 3 reply buttons
-- (Meta's interactive "button" type): golden payloads, every limit, the
-- command (--button id=...,title=..., repeated) and bulk form.
local h = require "spec.helpers"

local TO = h.magic.to
local function mo(interactive, extra)
  local m = { messaging_product = "whatsapp", recipient_type = "individual", to = TO, type = "interactive",
    interactive = interactive }
  for k, v in pairs(extra or {}) do m[k] = v end
  return m
end
local function replies(...)
  local list = {}
  for i, pair in ipairs { ... } do list[i] = { type = "reply", reply = { id = pair[1], title = pair[2] } } end
  return list
end
local function body(buttons) return { to = TO, body = "Pick one", buttons = buttons } end
local function n_buttons(n)
  local list = {}
  for i = 1, n do list[i] = { id = "b" .. i, title = "B" .. i } end
  return list
end

require("spec.support.op_spec")({
  op = "buttons",
  goldens = {
    { name = "three buttons, text header, footer",
      msg = { to = TO, header = "Delivery", body = "When?", footer = "Reply below",
        buttons = { { id = "today", title = "Today" }, { id = "tomorrow", title = "Tomorrow" },
          { id = "later", title = string.rep("L", 20) } } },
      mo = mo { type = "button", header = { type = "text", text = "Delivery" }, body = { text = "When?" },
        footer = { text = "Reply below" },
        action = { buttons = replies({ "today", "Today" }, { "tomorrow", "Tomorrow" }, { "later", string.rep("L", 20) }) } } },
    { name = "one button, an image header, as a reply",
      msg = { to = TO, header = { type = "image", image = { link = "https://example.com/a.png" } }, body = "b",
        buttons = { { id = "ok", title = "OK" } }, reply_to = "wamid.R" },
      mo = mo({ type = "button", header = { type = "image", image = { link = "https://example.com/a.png" } },
        body = { text = "b" }, action = { buttons = replies { "ok", "OK" } } }, { context = { message_id = "wamid.R" } }) },
  },
  invalid = {
    { msg = { body = "b", buttons = n_buttons(1) }, field = "to" },
    { msg = { to = TO, buttons = n_buttons(1) }, field = "body" },
    { msg = { to = TO, body = string.rep("b", 1025), buttons = n_buttons(1) }, field = "body" },
    { msg = { to = TO, body = "b" }, field = "buttons" },
    { msg = body {}, field = "buttons" },
    { msg = body "yes", field = "buttons" },
    { msg = body(n_buttons(4)), field = "buttons" },
    { msg = body { { id = "a", title = string.rep("t", 21) } }, field = "buttons[1].title" },
    { msg = body { { id = "a", title = "" } }, field = "buttons[1].title" },
    { msg = body { { id = "a" } }, field = "buttons[1].title" },
    { msg = body { { title = "A" } }, field = "buttons[1].id" },
    { msg = body { { id = string.rep("i", 257), title = "A" } }, field = "buttons[1].id" },
    { msg = body { { id = "a", title = "A" }, { id = "a", title = "B" } }, field = "buttons[2].id" },
    { msg = body { { id = "a", title = "A", payload = "x" } }, field = "buttons[1]" },
    { msg = body { "a" }, field = "buttons[1]" },
    { msg = { to = TO, body = "b", footer = string.rep("f", 61), buttons = n_buttons(1) }, field = "footer" },
    { msg = { to = TO, header = string.rep("h", 61), body = "b", buttons = n_buttons(1) }, field = "header" },
  },
  cli = {
    { name = "TO --body --button id=...,title=... (repeated)",
      args = { TO, "--body", "Pick", "--button", "id=y,title=Yes", "--button", "id=n,title=No" },
      mo = mo { type = "button", body = { text = "Pick" }, action = { buttons = replies({ "y", "Yes" }, { "n", "No" }) } } },
    { name = "--buttons-json",
      args = { TO, "--body", "Pick", "--buttons-json", '[{"id":"a","title":"A"}]' },
      mo = mo { type = "button", body = { text = "Pick" }, action = { buttons = replies { "a", "A" } } } },
  },
  cli_invalid = {
    { args = { TO, "--body", "b" }, field = "buttons" },
    { args = { TO, "--body", "b", "--button", "id=a,title=" .. string.rep("t", 21) }, field = "buttons[1].title" },
    { args = { TO, "--body", "b", "--button", "nonsense" }, field = "--button" },
  },
  bulk = { msg = { to = TO, body = "b", buttons = { { id = "a", title = "A" } } },
    mo = mo { type = "button", body = { text = "b" }, action = { buttons = replies { "a", "A" } } } },
}, _ENV)
