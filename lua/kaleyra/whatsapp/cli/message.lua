--- Message tables from `kaleyra-wa`'s command lines, in the shapes the
-- library's calls take (see doc/lua-api.md). Only conversion lives
-- here: the library validates, so the command line and Lua callers get
-- the same rules and the same error fields.
-- @module kaleyra.whatsapp.cli.message

local whatsapp = require "kaleyra.whatsapp"

local M = {}

local CliError = {
  __name = "kaleyra.whatsapp.cli.Error",
  __tostring = function(e)
    if e.field then return ("%s (%s): %s"):format(e.kind, e.field, e.message) end
    return ("%s: %s"):format(e.kind, e.message)
  end,
}

--- An error table shaped like the library's, for problems found before
-- the library sees a message (bad JSON in an argument, an unreadable file).
function M.error(kind, field, message)
  return setmetatable({ kind = kind, field = field, message = message,
    retryable = false, sent = false }, CliError)
end

--- "a, b;c" -> { "a", "b", "c" }; one number stays a string, so the
-- library names the field `to` rather than `to[1]` in its errors.
function M.recipients(s)
  local list = {}
  for number in s:gmatch("[^,;]+") do
    number = number:match("^%s*(.-)%s*$")
    if number ~= "" then list[#list + 1] = number end
  end
  if #list == 1 then return list[1] end
  if #list == 0 then return s end
  return list
end

--- Decodes a JSON argument: "-" reads stdin, "@path" reads a file.
-- @return value, or nil and an error table naming `field`
function M.json_argument(text, field)
  if text == "-" or text:sub(1, 1) == "@" then
    local f, err = io.stdin
    if text ~= "-" then f, err = io.open(text:sub(2), "rb") end
    if not f then return nil, M.error("input", field, err) end
    text = f:read("a") or ""
    if f ~= io.stdin then f:close() end
  end
  local value, why = whatsapp.json_decode(text)
  if value == nil then
    return nil, M.error("validation", field, field .. " is " .. tostring(why))
  end
  return value
end

--- Drops JSON nulls at the top of a message and of its extra_info: in an
-- input line, `"footer": null` means "no footer". Nulls inside passthrough
-- objects (flow, messaging_object) stay JSON null.
function M.drop_nulls(msg)
  for k, v in pairs(msg) do
    if v == whatsapp.null then msg[k] = nil end
  end
  if type(msg.extra_info) == "table" then
    for k, v in pairs(msg.extra_info) do
      if v == whatsapp.null then msg.extra_info[k] = nil end
    end
  end
  return msg
end

local function extra_info(a, base)
  local x = base
  for _, key in ipairs { "ref", "ref1", "ref2", "wa_source" } do
    if a[key] ~= nil then
      x = x or {}
      x[key] = a[key]
    end
  end
  return x
end

local function header(a)
  if a.header_json then return M.json_argument(a.header_json, "--header-json") end
  return a.header
end

--- text TO BODY
function M.text(a)
  return {
    to = M.recipients(a.to), body = a.body,
    preview_url = a.preview_url or nil, extra_info = extra_info(a),
  }
end

--- cta-url TO --body ... --display-text ... --url ...
function M.cta_url(a)
  local h, err = header(a)
  if err then return nil, err end
  return {
    to = M.recipients(a.to), header = h, body = a.body, footer = a.footer,
    display_text = a.display_text, url = a.url, extra_info = extra_info(a),
  }
end

--- flow TO --body ... (--flow-id ID | --flow-name NAME) --flow-cta ...
-- --flow-json gives the whole parameters object; the other flags are set
-- on top of it.
function M.flow(a)
  local h, err = header(a)
  if err then return nil, err end
  local params = {}
  if a.flow_json then
    params, err = M.json_argument(a.flow_json, "--flow-json")
    if err then return nil, err end
    if type(params) ~= "table" then
      return nil, M.error("validation", "--flow-json", "--flow-json must be a JSON object")
    end
  end
  for _, key in ipairs { "flow_id", "flow_name", "flow_cta", "flow_token", "flow_action", "mode",
    "flow_message_version" } do
    if a[key] ~= nil then params[key] = a[key] end
  end
  if a.screen or a.data then
    local payload = params.flow_action_payload
    if type(payload) ~= "table" then payload = {} end
    payload.screen = a.screen or payload.screen
    if a.data then
      payload.data, err = M.json_argument(a.data, "--data")
      if err then return nil, err end
    end
    params.flow_action_payload = payload
  end
  return {
    to = M.recipients(a.to), header = h, body = a.body, footer = a.footer,
    flow = params, extra_info = extra_info(a),
  }
end

--- send JSON: a messaging_object, or a whole request
-- `{ "messaging_object": ..., "extra_info": ..., "from": ... }`.
function M.raw(a)
  local value, err = M.json_argument(a.message, "message")
  if err then return nil, err end
  if type(value) ~= "table" or getmetatable(value) == whatsapp.array_mt then
    return nil, M.error("validation", "messaging_object", "the message must be a JSON object")
  end
  local msg
  if value.messaging_object ~= nil then
    msg = M.drop_nulls(value)
  else
    msg = { messaging_object = value }
  end
  msg.extra_info = extra_info(a, msg.extra_info)
  return msg
end

return M
