-- sandbox/standin_shape.lua: decides whether a send-message request body has the shape that the
-- Kaleyra v2 docs (and the Meta objects they embed) describe. It does no I/O and never uses ngx,
-- so it runs the same under LuaJIT in nginx as under plain Lua.
-- M.decode(text) returns the decoded tree, or nil and a reason.
-- M.check_message(tree) returns true, or nil and a reason that names the offending field.
-- M.recipients(to) returns the numbers in a "to" string without their "+", or nil.
-- Caveat: Debian's lua-cjson 2.1.0 decodes [] and {} to the same empty table and has no option to
-- tell them apart. So cjson only judges whether the text is strict JSON, and dkjson builds the tree,
-- because dkjson tags every object and array with a __jsontype metatable. (dkjson alone would accept
-- comments and trailing text.)
local cjson = require "cjson.safe"
local dkjson = require "dkjson"

local M = {}

-- The JSON kind of a decoded value: "object", "array", "string", "number", "boolean" or "null".
local function kind(v)
  if v == dkjson.null then return "null" end
  local t = type(v)
  if t == "table" then
    local mt = getmetatable(v)
    return mt and mt.__jsontype or "object"
  end
  return t
end

local function is_object(v) return kind(v) == "object" end
local function is_text(v) return type(v) == "string" and v ~= "" end

function M.decode(text)
  if type(text) ~= "string" or text == "" then return nil, "body is empty" end
  if cjson.decode(text) == nil then return nil, "body is not valid JSON" end
  local tree = dkjson.decode(text, 1, dkjson.null)
  if tree == nil then return nil, "body is not valid JSON" end
  return tree
end

-- E.164 with an optional "+": 8 to 15 digits. "to" may hold several, joined by commas with no spaces.
function M.recipients(to)
  if type(to) ~= "string" then return nil end
  local numbers = {}
  for part in (to .. ","):gmatch("([^,]*),") do
    local digits = part:match("^%+?(%d+)$")
    if not digits or #digits < 8 or #digits > 15 then return nil end
    numbers[#numbers + 1] = digits
  end
  return numbers
end

local EXTRA_INFO_KEYS = { ref = true, ref1 = true, ref2 = true, wa_source = true }

local function check_extra_info(extra)
  if not is_object(extra) then return nil, "extra_info must be an object" end
  for key, value in pairs(extra) do
    if not EXTRA_INFO_KEYS[key] then return nil, "extra_info." .. key .. " is not a known key" end
    if type(value) ~= "string" then return nil, "extra_info." .. key .. " must be a string" end
  end
  return true
end

local function check_text(text)
  if not is_object(text) then return nil, "messaging_object.text must be an object" end
  if not is_text(text.body) then
    return nil, "messaging_object.text.body must be a non-empty string"
  end
  -- The docs' own sample sends "false" as a string, but the field is a boolean.
  if text.preview_url ~= nil and type(text.preview_url) ~= "boolean" then
    return nil, "messaging_object.text.preview_url must be a boolean"
  end
  return true
end

local function check_cta_url(action)
  local where = "messaging_object.interactive.action"
  if action.name ~= "cta_url" then return nil, where .. ".name must be \"cta_url\"" end
  local params = action.parameters
  if not is_object(params) then return nil, where .. ".parameters must be an object" end
  if not is_text(params.display_text) then
    return nil, where .. ".parameters.display_text must be a non-empty string"
  end
  if not is_text(params.url) then return nil, where .. ".parameters.url must be a non-empty string" end
  return true
end

local function check_flow(action)
  local where = "messaging_object.interactive.action"
  if action.name ~= "flow" then return nil, where .. ".name must be \"flow\"" end
  local params = action.parameters
  if not is_object(params) then return nil, where .. ".parameters must be an object" end
  where = where .. ".parameters"
  if type(params.flow_message_version) ~= "string" then
    return nil, where .. ".flow_message_version must be a string"
  end
  if type(params.flow_cta) ~= "string" then return nil, where .. ".flow_cta must be a string" end
  if (params.flow_id == nil) == (params.flow_name == nil) then
    return nil, where .. " needs exactly one of flow_id and flow_name"
  end
  local id_key = params.flow_id ~= nil and "flow_id" or "flow_name"
  if not is_text(params[id_key]) then return nil, where .. "." .. id_key .. " must be a non-empty string" end
  return true
end

-- Characters (code points) of UTF-8 text; LuaJIT has no utf8 library.
local function chars(s) return select(2, s:gsub("[^\128-\191]", "")) end

-- Reply buttons: 1 to 3, each { type = "reply", reply = { id, title } }, title at most 20
-- characters, ids unique (Meta's interactive button reference).
local function check_buttons(action)
  local where = "messaging_object.interactive.action.buttons"
  local list = action.buttons
  if kind(list) ~= "array" or #list < 1 or #list > 3 then return nil, where .. " must list 1 to 3 buttons" end
  local ids = {}
  for i, b in ipairs(list) do
    local at = where .. "[" .. i .. "]"
    if not (is_object(b) and b.type == "reply" and is_object(b.reply)) then
      return nil, at .. " must be { type = \"reply\", reply = {...} }"
    end
    if not is_text(b.reply.id) or ids[b.reply.id] then return nil, at .. ".reply.id must be a unique string" end
    ids[b.reply.id] = true
    if not is_text(b.reply.title) or chars(b.reply.title) > 20 then
      return nil, at .. ".reply.title must be 1 to 20 characters"
    end
  end
  return true
end

-- A list: a button label (at most 20) and 1 to 10 sections holding at most 10 rows in all; row
-- title at most 24, description at most 72, ids unique; section titles needed when several.
local function check_list(action)
  local where = "messaging_object.interactive.action"
  if not is_text(action.button) or chars(action.button) > 20 then
    return nil, where .. ".button must be 1 to 20 characters"
  end
  local sections, rows, ids = action.sections, 0, {}
  if kind(sections) ~= "array" or #sections < 1 or #sections > 10 then
    return nil, where .. ".sections must list 1 to 10 sections"
  end
  for i, sec in ipairs(sections) do
    local at = where .. ".sections[" .. i .. "]"
    if not is_object(sec) or kind(sec.rows) ~= "array" or #sec.rows < 1 then
      return nil, at .. " must have rows"
    end
    if #sections > 1 and not is_text(sec.title) then return nil, at .. ".title is required" end
    for j, row in ipairs(sec.rows) do
      rows = rows + 1
      local r = at .. ".rows[" .. j .. "]"
      if not (is_object(row) and is_text(row.id) and not ids[row.id]) then return nil, r .. ".id must be unique" end
      ids[row.id] = true
      if not is_text(row.title) or chars(row.title) > 24 then return nil, r .. ".title must be 1 to 24 characters" end
      if row.description ~= nil and (type(row.description) ~= "string" or chars(row.description) > 72) then
        return nil, r .. ".description must be at most 72 characters"
      end
    end
  end
  if rows > 10 then return nil, where .. ".sections hold more than 10 rows" end
  return true
end

local INTERACTIVE_ACTIONS = { cta_url = check_cta_url, flow = check_flow, button = check_buttons,
  list = check_list }

local function check_interactive(interactive)
  local where = "messaging_object.interactive"
  if not is_object(interactive) then return nil, where .. " must be an object" end
  if not is_text(interactive.type) then return nil, where .. ".type must be a non-empty string" end
  if not is_object(interactive.action) then return nil, where .. ".action must be an object" end
  local header = interactive.header
  if header ~= nil and not (is_object(header) and is_text(header.type)) then
    return nil, where .. ".header must be an object with a type"
  end
  for _, part in ipairs { "body", "footer" } do
    local v = interactive[part]
    if v ~= nil and not (is_object(v) and type(v.text) == "string") then
      return nil, where .. "." .. part .. " must be an object with a string text"
    end
  end
  -- Other interactive types (button, list, product...) pass as long as they have an action.
  local check = INTERACTIVE_ACTIONS[interactive.type]
  if check then return check(interactive.action) end
  return true
end

local function is_number(v, limit) return type(v) == "number" and v >= -limit and v <= limit end

-- Meta's location object: degrees in range, optional text labels.
local function check_location(loc)
  local where = "messaging_object.location"
  if not is_object(loc) then return nil, where .. " must be an object" end
  if not is_number(loc.latitude, 90) then return nil, where .. ".latitude must be a number from -90 to 90" end
  if not is_number(loc.longitude, 180) then
    return nil, where .. ".longitude must be a number from -180 to 180"
  end
  for _, key in ipairs { "name", "address" } do
    if loc[key] ~= nil and type(loc[key]) ~= "string" then return nil, where .. "." .. key .. " must be a string" end
  end
  return true
end

-- Meta's reaction: the message reacted to, and an emoji ("" removes it).
local function check_reaction(r)
  local where = "messaging_object.reaction"
  if not is_object(r) then return nil, where .. " must be an object" end
  if not is_text(r.message_id) then return nil, where .. ".message_id must be a non-empty string" end
  if type(r.emoji) ~= "string" then return nil, where .. ".emoji must be a string" end
  return true
end

-- A media object (templates-media-read.md, section 5): exactly one of id and link (https),
-- caption for image, video and document, filename for document.
local function check_media_object(m, where, media_type)
  if not is_object(m) then return nil, where .. " must be an object" end
  if (m.id == nil) == (m.link == nil) then return nil, where .. " needs exactly one of id and link" end
  if m.id ~= nil and not is_text(m.id) then return nil, where .. ".id must be a non-empty string" end
  if m.link ~= nil and not (is_text(m.link) and m.link:match("^https://[^/%s]")) then
    return nil, where .. ".link must be an https URL"
  end
  if m.caption ~= nil and not (type(m.caption) == "string" and (media_type == "image"
      or media_type == "video" or media_type == "document")) then
    return nil, where .. ".caption is for image, video or document"
  end
  if m.filename ~= nil and not (type(m.filename) == "string" and media_type == "document") then
    return nil, where .. ".filename is for document"
  end
  return true
end
M.check_media_object = check_media_object

local function media(media_type)
  return function(m) return check_media_object(m, "messaging_object." .. media_type, media_type) end
end

-- Meta's template object (templates-media-read.md, section 1): a name, language.code, and
-- components, each with a type and its parameters; a button has a sub_type and an index.
local function check_template(t)
  local where = "messaging_object.template"
  if not is_object(t) then return nil, where .. " must be an object" end
  if not (is_text(t.name) and t.name:match("^[a-z0-9_]+$")) then
    return nil, where .. ".name must be a template name"
  end
  if not (is_object(t.language) and is_text(t.language.code)) then return nil, where .. ".language.code is required" end
  if t.components == nil then return true end
  if kind(t.components) ~= "array" then return nil, where .. ".components must be an array" end
  for i, c in ipairs(t.components) do
    local at = where .. ".components[" .. i .. "]"
    if not (is_object(c) and is_text(c.type)) then return nil, at .. " must be an object with a type" end
    if c.parameters ~= nil and kind(c.parameters) ~= "array" then return nil, at .. ".parameters must be an array" end
    for j, p in ipairs(c.parameters or {}) do
      if not (is_object(p) and is_text(p.type)) then return nil, at .. ".parameters[" .. j .. "] needs a type" end
      if p.type ~= "text" and p.type ~= "payload" and p.type ~= "coupon_code" and not is_object(p[p.type]) then
        return nil, at .. ".parameters[" .. j .. "]." .. p.type .. " must be an object"
      end
      if (p.type == "image" or p.type == "video" or p.type == "document") then
        local ok, why = check_media_object(p[p.type], at .. ".parameters[" .. j .. "]." .. p.type, p.type)
        if not ok then return nil, why end
      end
    end
    if c.type == "button" then
      if not is_text(c.sub_type) then return nil, at .. ".sub_type is required" end
      if tonumber(c.index) == nil then return nil, at .. ".index is required" end
    end
  end
  return true
end

-- Whether a template send matches the approved template in `store` (standin_account.templates).
function M.check_template_store(t, store)
  local approved = store[t.name]
  if not approved then return nil, "template " .. t.name .. " does not exist" end
  local body, header, buttons = 0, nil, {}
  for _, c in ipairs(t.components or {}) do
    if c.type == "body" then body = #(c.parameters or {}) end
    if c.type == "header" then header = c.parameters and c.parameters[1] and c.parameters[1].type end
    if c.type == "button" then buttons[tonumber(c.index) + 1] = c.sub_type end
  end
  if body ~= approved.body then
    return nil, ("template %s takes %d body parameters, got %d"):format(t.name, approved.body, body)
  end
  if header ~= approved.header then
    return nil, ("template %s's header takes %s, got %s"):format(t.name, tostring(approved.header), tostring(header))
  end
  for index, sub_type in pairs(buttons) do
    if (approved.buttons or {})[index] ~= sub_type then
      return nil, ("template %s has no %s button at index %d"):format(t.name, sub_type, index - 1)
    end
  end
  return true
end

-- Checks of the message types beside text and interactive, by type.
local TYPES = { location = check_location, reaction = check_reaction, template = check_template, image = media "image",
  video = media "video", audio = media "audio", document = media "document", sticker = media "sticker" }

local function check_messaging_object(mo)
  if not is_object(mo) then return nil, "messaging_object must be an object" end
  if mo.messaging_product ~= "whatsapp" then
    return nil, "messaging_object.messaging_product must be \"whatsapp\""
  end
  if mo.recipient_type ~= nil and mo.recipient_type ~= "individual" then
    return nil, "messaging_object.recipient_type must be \"individual\""
  end
  -- A read receipt (templates-media-read.md, section 3) has no recipient.
  if mo.status ~= nil then
    if mo.status ~= "read" then return nil, "messaging_object.status must be \"read\"" end
    if not is_text(mo.message_id) then return nil, "messaging_object.message_id must be a string" end
    return true
  end
  if not M.recipients(mo.to) then
    return nil, "messaging_object.to must be E.164 numbers joined by commas"
  end
  -- A reply quotes the message it answers (templates-media-read.md, section 4).
  local context = mo.context
  if context ~= nil and kind(context) ~= "null" and not (is_object(context) and is_text(context.message_id)) then
    return nil, "messaging_object.context must be an object with a message_id"
  end
  local msg_type = mo.type
  if msg_type == nil or msg_type == "text" then return check_text(mo.text) end
  if msg_type == "interactive" then return check_interactive(mo.interactive) end
  if TYPES[msg_type] then return TYPES[msg_type](mo[msg_type], mo) end
  -- Other Meta types only need the object that "type" names.
  if not is_text(msg_type) then return nil, "messaging_object.type must be a non-empty string" end
  if not is_object(mo[msg_type]) then
    return nil, "messaging_object." .. msg_type .. " must be an object"
  end
  return true
end

function M.check_message(tree)
  if not is_object(tree) then return nil, "body must be a JSON object" end
  for key in pairs(tree) do
    if key ~= "messaging_object" and key ~= "extra_info" then
      return nil, key .. " is not a known top-level key"
    end
  end
  local ok, reason = check_messaging_object(tree.messaging_object)
  if not ok then return nil, reason end
  if tree.extra_info ~= nil then return check_extra_info(tree.extra_info) end
  return true
end

return M
