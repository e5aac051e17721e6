-- spec/22-location_spec.lua - client:send_location, Meta's location
-- message: golden payloads, validation, the command and bulk form.
local h = require "spec.helpers"

local TO = h.magic.to
local function mo(location, extra)
  local m = { messaging_product = "whatsapp", recipient_type = "individual", to = TO,
    type = "location", location = location }
  for k, v in pairs(extra or {}) do m[k] = v end
  return m
end

require("spec.support.op_spec")({
  op = "location",
  goldens = {
    { name = "with name and address", msg = { to = TO, latitude = 12.9716, longitude = 77.5946,
        name = "Office", address = "MG Road, Bengaluru" },
      mo = mo { latitude = 12.9716, longitude = 77.5946, name = "Office", address = "MG Road, Bengaluru" } },
    { name = "bare, at the edges of the ranges, as a reply", msg = { to = TO, latitude = -90, longitude = 180,
        reply_to = "wamid.X" },
      mo = mo({ latitude = -90, longitude = 180 }, { context = { message_id = "wamid.X" } }) },
  },
  invalid = {
    { msg = { latitude = 1, longitude = 2 }, field = "to" },
    { msg = { to = TO, longitude = 2 }, field = "latitude" },
    { msg = { to = TO, latitude = 1 }, field = "longitude" },
    { msg = { to = TO, latitude = "12.9", longitude = 2 }, field = "latitude" },
    { msg = { to = TO, latitude = 90.5, longitude = 2 }, field = "latitude" },
    { msg = { to = TO, latitude = -91, longitude = 2 }, field = "latitude" },
    { msg = { to = TO, latitude = 0 / 0, longitude = 2 }, field = "latitude" },
    { msg = { to = TO, latitude = 1, longitude = 180.01 }, field = "longitude" },
    { msg = { to = TO, latitude = 1, longitude = math.huge }, field = "longitude" },
    { msg = { to = TO, latitude = 1, longitude = 2, name = "" }, field = "name" },
    { msg = { to = TO, latitude = 1, longitude = 2, address = string.rep("a", 1001) }, field = "address" },
    { msg = { to = TO, latitude = 1, longitude = 2, reply_to = "" }, field = "reply_to" },
  },
  cli = {
    { name = "TO --latitude --longitude --name", args = { TO, "--latitude", "12.5", "--longitude=-77",
        "--name", "Office" },
      mo = mo { latitude = 12.5, longitude = -77, name = "Office" } },
  },
  cli_invalid = {
    { args = { TO, "--latitude", "95", "--longitude", "1" }, field = "latitude" },
    { args = { TO, "--latitude", "1" }, field = "longitude" },
  },
  bulk = { msg = { to = TO, latitude = 1.5, longitude = 2.5, address = "A" },
    mo = mo { latitude = 1.5, longitude = 2.5, address = "A" } },
}, _ENV)
