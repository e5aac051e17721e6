--- The input of `kaleyra-wa bulk`: JSON Lines or CSV, read one message at
-- a time (never the whole file), each with its line number and a hash of
-- its text for the journal.
--
-- JSON Lines: one JSON object per line, a message table as client:send_many
-- takes it, with `op` naming an op of the registry by its name (send_many's:
-- "cta_url", "raw", "mark_read") or its command (the CLI's: "cta-url",
-- "send", "mark-read"); "text" when absent. Blank lines are skipped.
-- Top-level nulls mean "absent".
--
-- CSV (RFC 4180, see csv.lua): a header row names the fields. A dotted
-- name nests (`extra_info.ref`, `flow.flow_id`); a name ending in `:json`
-- takes a JSON value (`flow:json`, `flow.flow_action_payload.data:json`);
-- an empty cell leaves its field out; `to` may list several numbers
-- separated by `;` or `,`; `preview_url` takes true/false, yes/no or 1/0;
-- `op` is as above. Every other cell is a string.
--
-- A bad line yields a record with `err` set (and nothing is sent for it);
-- a bad CSV header is an error for the whole file.
-- @module kaleyra.whatsapp.cli.input

local whatsapp = require "kaleyra.whatsapp"
local csv = require "kaleyra.whatsapp.cli.csv"
local message = require "kaleyra.whatsapp.cli.message"
local ops = require "kaleyra.whatsapp.cli.ops"

local M = {}

--- FNV-1a, 64 bits, as 16 hex digits: identifies a line's text in the
-- journal (a changed file must not be resumed as if it were the same).
function M.hash(s)
  local h = -3750763034362895579 -- 0xcbf29ce484222325
  local byte = string.byte
  for i = 1, #s do
    h = (h ~ byte(s, i)) * 1099511628211 -- 0x100000001b3, wrapping
  end
  return ("%016x"):format(h)
end

local function invalid(line, hash, field, text)
  return { line = line, hash = hash, err = message.error("validation", field, text) }
end

-- Takes `op` out of msg: returns the library's name for it, or nil and
-- an error text.
local function take_op(msg)
  local op = msg.op
  msg.op = nil
  if op == nil then return "text" end
  local found = type(op) == "string" and ops.of_name(op)
  if not found then return nil, "op must be one of " .. ops.names_text() end
  return found.name
end

--- Format from a file name: `.csv` is CSV, anything else JSON Lines.
function M.format_of(path)
  if path:lower():match("%.csv$") then return "csv" end
  return "jsonl"
end

-- JSON Lines ----------------------------------------------------------

local function jsonl_reader(f)
  local lineno = 0
  return function()
    while true do
      local text = f:read("L")
      if text == nil then return nil end
      lineno = lineno + 1
      text = text:gsub("\r?\n$", "")
      if lineno == 1 then text = text:gsub("^\239\187\191", "") end
      if text:find("%S") then
        local hash = M.hash(text)
        local value = whatsapp.json_decode(text)
        if type(value) ~= "table" or getmetatable(value) == whatsapp.array_mt then
          return invalid(lineno, hash, "line",
            ("line %d is not a JSON object"):format(lineno))
        end
        local msg = message.drop_nulls(value)
        local op, why = take_op(msg)
        if not op then return invalid(lineno, hash, "op", why) end
        return { line = lineno, hash = hash, op = op, msg = msg }
      end
    end
  end
end

-- CSV -----------------------------------------------------------------

local BOOLEAN = { ["true"] = true, yes = true, ["1"] = true, ["false"] = false, no = false, ["0"] = false }

-- Parses the header row into columns { name, path = {...}, json = bool }.
local function columns_of(fields)
  local columns, seen = {}, {}
  for i, raw in ipairs(fields) do
    local name = raw:match("^%s*(.-)%s*$")
    local dotted, json = name:match("^(.-)(:json)$")
    dotted = dotted or name
    if not (dotted:match("^[%w_][%w_.]*$") and dotted:sub(-1) ~= "." and not dotted:find("..", 1, true)) then
      return nil, ("CSV header: column %d (%q) is not a field name like body or extra_info.ref"):format(i, raw)
    end
    local path = {}
    for part in dotted:gmatch("[^.]+") do path[#path + 1] = part end
    columns[i] = { name = name, dotted = dotted, path = path, json = json ~= nil }
    if seen[dotted] then return nil, ("CSV header: column %q appears twice"):format(dotted) end
    seen[dotted] = true
  end
  -- "flow" and "flow.flow_id" cannot both be given
  for _, col in ipairs(columns) do
    local prefix = col.path[1]
    for k = 2, #col.path do
      if seen[prefix] then
        return nil, ("CSV header: columns %q and %q overlap"):format(prefix, col.dotted)
      end
      prefix = prefix .. "." .. col.path[k]
    end
  end
  return columns
end

-- Builds a message from one record's cells; nil, field, text when a cell
-- is invalid.
local function csv_message(columns, fields)
  local msg = {}
  for i, col in ipairs(columns) do
    local cell = fields[i]
    if cell ~= "" then
      local value = cell
      if col.json then
        value = whatsapp.json_decode(cell)
        if value == nil then return nil, col.name, col.name .. " is not valid JSON" end
      elseif col.dotted == "to" then
        value = message.recipients(cell)
      elseif col.dotted == "preview_url" then
        value = BOOLEAN[cell:lower()]
        if value == nil then return nil, col.name, "preview_url must be true or false" end
      end
      local t = msg
      for k = 1, #col.path - 1 do
        local key = col.path[k]
        if type(t[key]) ~= "table" then t[key] = {} end
        t = t[key]
      end
      t[col.path[#col.path]] = value
    end
  end
  return msg
end

local function csv_reader(f)
  local reader = csv.file_reader(f)
  local fields, err = reader:read()
  if not fields then
    if err then return nil, "CSV header: " .. err end
    return function() return nil end
  end
  local columns
  columns, err = columns_of(fields)
  if not columns then return nil, err end
  local header_text = table.concat(fields, "\31")
  return function()
    local cells, start, raw = reader:read()
    if cells == nil then
      if start == nil then return nil end -- the end
      local why, line = start, raw -- a malformed record: nil, text, line
      return invalid(line, M.hash(why), "line", why)
    end
    local hash = M.hash(header_text .. "\30" .. raw)
    if #cells ~= #columns then
      return invalid(start, hash, "line",
        ("line %d has %d fields; the header has %d"):format(start, #cells, #columns))
    end
    local msg, field, why = csv_message(columns, cells)
    if not msg then return invalid(start, hash, field, ("line %d: %s"):format(start, why)) end
    local op
    op, why = take_op(msg)
    if not op then return invalid(start, hash, "op", why) end
    return { line = start, hash = hash, op = op, msg = msg }
  end
end

--- Opens FILE ("-" for stdin) as `format` ("jsonl" or "csv").
-- @return a function returning the next record (nil at the end), where a
--   record is { line, hash, op, msg } or { line, hash, err }; and the file.
--   On failure: nil, message, and whether the file could not be read.
function M.open(path, format)
  local f = io.stdin
  if path ~= "-" then
    local err
    f, err = io.open(path, "rb")
    if not f then return nil, err, true end
  end
  if format == "csv" then
    local next_record, err = csv_reader(f)
    if not next_record then return nil, err, false end
    return next_record, f
  end
  return jsonl_reader(f), f
end

--- Counts the messages in a regular file (for the progress bar's total);
-- nil for stdin or when it cannot be read.
function M.count(path, format)
  if path == "-" then return nil end
  local next_record, f = M.open(path, format)
  if not next_record then return nil end
  local n = 0
  while next_record() do n = n + 1 end
  f:close()
  return n
end

return M
