-- spec/24-media_spec.lua - client:send_media: image, video, audio,
-- document and sticker by id or https link (templates-media-read.md,
-- section 5): golden payloads, validation, the command and bulk form.
local h = require "spec.helpers"

local TO = h.magic.to
local function mo(media_type, object, extra)
  local m = { messaging_product = "whatsapp", recipient_type = "individual", to = TO, type = media_type,
    [media_type] = object }
  for k, v in pairs(extra or {}) do m[k] = v end
  return m
end

local goldens = {
  { name = "a document by link, caption and filename",
    msg = { to = TO, type = "document", link = "https://example.com/a.pdf", caption = "Invoice",
      filename = "invoice.pdf" },
    mo = mo("document", { link = "https://example.com/a.pdf", caption = "Invoice", filename = "invoice.pdf" }) },
  { name = "an image by id, as a reply", msg = { to = TO, type = "image", id = "1234567890", caption = "c",
      reply_to = "wamid.Q" },
    mo = mo("image", { id = "1234567890", caption = "c" }, { context = { message_id = "wamid.Q" } }) },
}
for _, t in ipairs { "video", "audio", "sticker" } do
  goldens[#goldens + 1] = { name = "a " .. t .. " by id", msg = { to = TO, type = t, id = "m-" .. t },
    mo = mo(t, { id = "m-" .. t }) }
end

require("spec.support.op_spec")({
  op = "media",
  goldens = goldens,
  invalid = {
    { msg = { type = "image", id = "1" }, field = "to" },
    { msg = { to = TO, id = "1" }, field = "type" },
    { msg = { to = TO, type = "gif", id = "1" }, field = "type" },
    { msg = { to = TO, type = "image" }, field = "id" },
    { msg = { to = TO, type = "image", id = "1", link = "https://example.com/a.png" }, field = "id" },
    { msg = { to = TO, type = "image", id = "" }, field = "id" },
    { msg = { to = TO, type = "image", link = "http://example.com/a.png" }, field = "link" },
    { msg = { to = TO, type = "image", link = "example.com/a.png" }, field = "link" },
    { msg = { to = TO, type = "image", link = "https://" }, field = "link" },
    { msg = { to = TO, type = "audio", id = "1", caption = "c" }, field = "caption" },
    { msg = { to = TO, type = "sticker", id = "1", caption = "c" }, field = "caption" },
    { msg = { to = TO, type = "image", id = "1", caption = string.rep("c", 1025) }, field = "caption" },
    { msg = { to = TO, type = "video", id = "1", filename = "a.mp4" }, field = "filename" },
    { msg = { to = TO, type = "document", id = "1", filename = string.rep("f", 256) }, field = "filename" },
  },
  cli = {
    { name = "TO TYPE --link --caption", args = { TO, "image", "--link", "https://example.com/a.jpg",
        "--caption", "Hi" }, mo = mo("image", { link = "https://example.com/a.jpg", caption = "Hi" }) },
  },
  cli_invalid = {
    { args = { TO, "image" }, field = "id" },
    { args = { TO, "gif", "--id", "1" }, field = "type" },
  },
  bulk = { msg = { to = TO, type = "document", id = "9", filename = "a.pdf" },
    mo = mo("document", { id = "9", filename = "a.pdf" }) },
}, _ENV)
