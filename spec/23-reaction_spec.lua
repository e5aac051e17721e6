-- spec/23-reaction_spec.lua - client:send_reaction, Meta's reaction
-- message: golden payloads, validation, the command and bulk form.
local h = require "spec.helpers"

local TO = h.magic.to
local WAMID = "wamid.HBgMOTE5NzQwNzc2NTA1FQIAEhggMDI1QjVEMzZGQzE2RDI3QzY2MjU2MTgwQjQ3RDM2NDYA"
local THUMBS = "\u{1F44D}"
local function mo(emoji, id)
  return { messaging_product = "whatsapp", recipient_type = "individual", to = TO, type = "reaction",
    reaction = { message_id = id or WAMID, emoji = emoji } }
end

require("spec.support.op_spec")({
  op = "reaction",
  goldens = {
    { name = "an emoji", msg = { to = TO, message_id = WAMID, emoji = THUMBS }, mo = mo(THUMBS) },
    { name = "a joined sequence", msg = { to = TO, message_id = WAMID, emoji = "\u{1F469}\u{200D}\u{1F4BB}" },
      mo = mo "\u{1F469}\u{200D}\u{1F4BB}" },
    { name = "\"\" takes it back", msg = { to = TO, message_id = WAMID, emoji = "" }, mo = mo "" },
  },
  invalid = {
    { msg = { message_id = WAMID, emoji = THUMBS }, field = "to" },
    { msg = { to = TO, emoji = THUMBS }, field = "message_id" },
    { msg = { to = TO, message_id = "", emoji = THUMBS }, field = "message_id" },
    { msg = { to = TO, message_id = string.rep("w", 257), emoji = THUMBS }, field = "message_id" },
    { msg = { to = TO, message_id = WAMID }, field = "emoji" },
    { msg = { to = TO, message_id = WAMID, emoji = string.rep(THUMBS, 17) }, field = "emoji" },
    { msg = { to = TO, message_id = WAMID, emoji = "\xF0\x9F" }, field = "emoji" },
    { msg = { to = TO, message_id = WAMID, emoji = true }, field = "emoji" },
  },
  cli = {
    { name = "TO --message-id --emoji", args = { TO, "--message-id", WAMID, "--emoji", THUMBS }, mo = mo(THUMBS) },
  },
  cli_invalid = {
    { args = { TO, "--message-id", "", "--emoji", THUMBS }, field = "message_id" },
    { args = { TO, "--message-id", WAMID }, field = "emoji" },
  },
  bulk = { msg = { to = TO, message_id = "w1", emoji = THUMBS }, mo = mo(THUMBS, "w1") },
}, _ENV)

describe("client:send_reaction", function()
  it("has no reply_to: a reaction already names its message", function()
    local c = h.client(nil, { base_url = "http://127.0.0.1:9" })
    assert.has_error(function() c:send_reaction { to = TO, message_id = WAMID, emoji = THUMBS, reply_to = "w" } end,
      "send_reaction: unknown field 'reply_to'")
    c:close()
  end)
end)
