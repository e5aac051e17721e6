--- Message tables from `kaleyra-wa`'s command lines, in the shapes the
-- library's calls take (see doc/lua-api.md). Only conversion lives
-- here: the library validates, so the command line and Lua callers get
-- the same rules and the same error fields. One converter serves every
-- op: it walks the op's fields as the registry lists them, mirroring how
-- args.lua declared them (the mapping: ops.lua).
-- @module kaleyra.whatsapp.cli.message

local whatsapp = require "kaleyra.whatsapp"
local ops = require "kaleyra.whatsapp.cli.ops"

local M = {}

--- An error table of the library's own kind (whatsapp.error), for
-- problems found before the library sees a message (bad JSON in an
-- argument, an unreadable file).
function M.error(kind, field, message)
  return whatsapp.error(kind, message, { field = field })
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

local function is_object(v)
  return type(v) == "table" and getmetatable(v) ~= whatsapp.array_mt
end

-- extra_info from --ref and co., on top of `base` (a whole request's).
local function extra_info(a, base)
  local x = base
  for _, key in ipairs(ops.EXTRA_INFO) do
    local value = a[key[1]]
    if value ~= nil then
      if x == nil then x = {} end
      if type(x) == "table" then x[key[1]] = value end -- else the library names it
    end
  end
  return x
end

-- The keys of a path: "a.b" -> a, b; "[1].rows[]" -> 1, rows, APPEND.
local APPEND = {}
local function path_keys(path)
  local keys = {}
  for part in path:gmatch("[^.]+") do
    local name, rest = part:match("^([^%[]*)(.*)$")
    if name ~= "" then keys[#keys + 1] = name end
    for index in rest:gmatch("%[(%d*)%]") do
      keys[#keys + 1] = index == "" and APPEND or tonumber(index)
    end
  end
  return keys
end

-- t[a][b]... = value for `path` (see path_keys), making (or replacing
-- with) tables on the way; APPEND adds after the last item.
local function set_path(t, path, value)
  local keys = path_keys(path)
  for i = 1, #keys do
    local key = keys[i]
    if key == APPEND then key = #t + 1 end
    if i == #keys then
      t[key] = value
    else
      if type(t[key]) ~= "table" then t[key] = {} end
      t = t[key]
    end
  end
end

-- "id=yes,title=Yes" -> { id = "yes", title = "Yes" } (a flag's `pairs`
-- form; a value may not hold a comma: use the field's --name-json).
local function key_values(text, flag)
  local t = {}
  for part in (text .. ","):gmatch("([^,]*),") do
    local k, v = part:match("^%s*([%w_]+)%s*=(.*)$")
    if not k then
      return nil, M.error("validation", flag, flag .. " must be key=value pairs joined by commas")
    end
    t[k] = v
  end
  return t
end

-- A table field: --name-json, then each sub flag set on top of it.
-- @return the table (nil when nothing was given for an optional field),
--   or nil and an error
-- One value of a sub flag, by its form: JSON, key=value pairs or text.
local function sub_value(sub, given)
  if sub.json then return M.json_argument(given, "--" .. sub.flag) end
  if sub.pairs then return key_values(given, "--" .. sub.flag) end
  return given
end

local function table_field(a, f)
  local flag = ops.flag(f.name) .. "-json"
  local list = f.type == "list"
  local value, err
  if a[ops.key(flag)] then
    value, err = M.json_argument(a[ops.key(flag)], flag)
    if err then return nil, err end
    if type(value) ~= "table" or (not list and not is_object(value)) then
      return nil, M.error("validation", flag, flag .. " must be a JSON " .. (list and "list" or "object"))
    end
  end
  for _, sub in ipairs(f.sub or {}) do
    local given = a[ops.key(sub.flag)]
    if given ~= nil then
      -- a repeatable flag gives a list of its values
      for _, one in ipairs(ops.repeats(sub) and given or { given }) do
        local item
        item, err = sub_value(sub, one)
        if err then return nil, err end
        value = value or {}
        set_path(value, sub.path, item)
      end
    end
  end
  if list and value ~= nil and next(value) ~= nil then setmetatable(value, nil) end
  if value == nil and f.required then value = {} end -- the library names what it lacks
  return value
end

-- The value of field `f` from the parsed arguments, by its type (the
-- global --from is the client's default, so `from` has none).
local FIELD = {
  phones = function(a, f) return a[f.name] and M.recipients(a[f.name]) end,
  string = function(a, f) return a[f.name] end,
  bytes = function(a, f) return a[f.name] end,
  strings = function(a, f)
    if a[f.name] == nil then return nil end
    local list = {}
    for item in a[f.name]:gmatch("[^,]+") do list[#list + 1] = item:match("^%s*(.-)%s*$") end
    return whatsapp.array(list)
  end,
  boolean = function(a, f) return a[f.name] or nil end,
  text_or_table = function(a, f)
    local flag = ops.flag(f.name) .. "-json"
    if a[ops.key(flag)] then return M.json_argument(a[ops.key(flag)], flag) end
    return a[f.name]
  end,
  table = table_field,
  list = table_field,
  number = function(a, f) return a[f.name] end,
  extra_info = function(a) return extra_info(a) end,
  from = function() return nil end,
}

-- MESSAGE: the field's value as JSON, or a whole request holding it.
local function whole(op, a, f)
  local value, err = M.json_argument(a[ops.MESSAGE], ops.MESSAGE)
  if err then return nil, err end
  if not is_object(value) then
    return nil, M.error("validation", f.name, "the message must be a JSON object")
  end
  local msg
  if value[f.name] ~= nil then
    msg = M.drop_nulls(value)
  else
    msg = { [f.name] = value }
  end
  for _, g in ipairs(op.fields) do
    if g.type == "extra_info" then msg[g.name] = extra_info(a, msg[g.name]) end
  end
  return msg
end

--- The message table for `op` (an entry of the registry) from the parsed
-- arguments `a` of its subcommand.
-- @return the message, or nil and an error table
function M.from_args(op, a)
  local arguments = ops.arguments(op)
  if arguments[1] and arguments[1].whole then return whole(op, a, arguments[1].field) end
  local msg = {}
  for _, f in ipairs(op.fields) do
    local value, err = FIELD[f.type](a, f)
    if err then return nil, err end
    msg[f.name] = value
  end
  return msg
end

return M
