--- How the registry of operations (kaleyra.whatsapp.core.ops) maps onto
-- `kaleyra-wa`: one subcommand per op, named op.command and described by
-- op.summary; which fields are positional arguments and which are flags.
-- args.lua declares the parser from this, message.lua turns the parsed
-- arguments back into the op's message table, input.lua takes its op
-- names for bulk files. A new op in the registry is a new subcommand with
-- no change here, unless it brings a new field type.
--
-- Arguments, in field order:
--   * an op whose only required field is a table takes MESSAGE: that
--     field's value as JSON, or a whole request holding it (send MESSAGE);
--   * an op with op.positional takes its phones field and that field,
--     optional when the field is (template TO NAME, upload [FILE]);
--   * an op with at most two required fields, all phones or strings,
--     takes them all (text TO BODY, publish-flow FLOW_ID);
--   * otherwise its phones field (cta-url TO).
-- Flags, by field type: string and bytes -> --field-name; number -> --field-name
-- taking a number; strings -> --field-name with values separated by
-- commas; boolean -> a flag; text_or_table -> --name and --name-json;
-- table and list -> --name-json and one flag per `sub` entry
-- (repeatable when its path appends, "[]"; key=value,... when `pairs`);
-- extra_info -> --ref, --ref1, --ref2, --wa-source; from -> nothing
-- here: it is the global --from, the client's default.
-- @module kaleyra.whatsapp.cli.ops

local core = require "kaleyra.whatsapp.core"

local M = {}

--- The registry's list of ops, in its order.
M.list = core.ops

-- op.group (the registry's): nil, the top level only; "flows", only
-- `kaleyra-wa flows COMMAND`; "flows:publish", the top level and also
-- `kaleyra-wa flows publish`.
local by_command, by_name, groups, group_order = {}, {}, {}, {}

local function in_group(group, command, op)
  if not groups[group] then
    groups[group] = { list = {}, by = {} }
    group_order[#group_order + 1] = group
  end
  local g = groups[group]
  g.list[#g.list + 1] = { command = command, op = op }
  g.by[command] = op
end

--- The ops with a top-level subcommand, in registry order.
M.top = {}
for _, op in ipairs(M.list) do
  local group, alias = (op.group or ""):match("^([^:]*):?(.*)$")
  by_name[op.name] = op
  if group == "" or alias ~= "" then
    by_command[op.command] = op
    by_name[op.command] = op
    M.top[#M.top + 1] = op
  end
  if group ~= "" then in_group(group, alias ~= "" and alias or op.command, op) end
end

--- The op whose top-level subcommand is `command`, or nil.
function M.of_command(command)
  return by_command[command]
end

--- The command groups, in order: { name, list = { { command, op } } }.
function M.groups()
  local out = {}
  for i, name in ipairs(group_order) do out[i] = { name = name, list = groups[name].list } end
  return out
end

--- The op of `kaleyra-wa GROUP COMMAND`, or nil.
function M.of_group_command(group, command)
  return groups[group] and groups[group].by[command]
end

--- The op a bulk line's "op" names, by its name (send_many's) or its
-- command (the CLI's); nil for anything else.
function M.of_name(name)
  return by_name[name]
end

--- Every name of() takes, for messages: "text, cta-url (cta_url), ...".
function M.names_text()
  local parts = {}
  for _, op in ipairs(M.list) do
    if by_command[op.command] ~= op then
      parts[#parts + 1] = op.name -- an op of a group only: its name
    elseif op.name == op.command then
      parts[#parts + 1] = op.command
    else
      parts[#parts + 1] = ("%s (%s)"):format(op.command, op.name)
    end
  end
  return table.concat(parts, ", ")
end

--- "--flow-id" for "flow_id"; key() is the inverse, argparse's name.
function M.flag(name)
  return "--" .. name:gsub("_", "-")
end

function M.key(flag)
  return (flag:gsub("^%-%-", ""):gsub("%-", "_"))
end

--- The name of the argument that takes a whole request (send MESSAGE).
M.MESSAGE = "message"

local SIMPLE = { phones = true, string = true }

--- The op's positional arguments, in field order: a list of
-- { field = f, name = argparse's name, whole = true for MESSAGE } (see the
-- header), and the set of the names of the fields they fill.
function M.arguments(op)
  local required, simple = {}, true
  for _, f in ipairs(op.fields) do
    if f.required then
      required[#required + 1] = f
      simple = simple and SIMPLE[f.type] == true
    end
  end
  local list, names = {}, {}
  if #required == 1 and required[1].type == "table" then
    list[1] = { field = required[1], name = M.MESSAGE, whole = true }
  elseif op.positional then
    for _, f in ipairs(op.fields) do
      if (f.required and f.type == "phones") or f.name == op.positional then
        list[#list + 1] = { field = f, name = f.name, optional = not f.required }
      end
    end
  else
    for _, f in ipairs(op.fields) do
      if f.required and ((simple and #required <= 2) or f.type == "phones") then
        list[#list + 1] = { field = f, name = f.name }
      end
    end
  end
  for _, arg in ipairs(list) do names[arg.field.name] = true end
  return list, names
end

--- A registry help text as a sentence: ending with a period, and
-- capitalised unless it starts with a name or a value ("flow_action_payload.
-- screen: ...", "navigate or data_exchange", for `keep_case`).
function M.sentence(text, keep_case)
  text = text or ""
  if not keep_case and text:match("^%l[%l'()]*%f[%s,:;]") then text = text:gsub("^%l", string.upper) end
  if text ~= "" and not text:find("[.!?]$") then text = text .. "." end
  return text
end

--- Pairs of `sub` flags that exclude each other, as the registry's
-- `excludes` says (the library refuses both at once either way; this
-- makes it a usage error).
-- @return list of { flag_a, flag_b }
function M.exclusive(sub)
  local flags, pairs_, seen = {}, {}, {}
  for _, s in ipairs(sub) do flags[s.flag] = true end
  for _, s in ipairs(sub) do
    local other = s.excludes
    if other and flags[other] and not seen[s.flag] and not seen[other] then
      seen[s.flag], seen[other] = true, true
      pairs_[#pairs_ + 1] = { s.flag, other }
    end
  end
  return pairs_
end

--- Whether a `sub` entry's flag may be repeated: its path appends.
function M.repeats(sub)
  return sub.path:sub(-2) == "[]"
end

--- The keys of extra_info, each with its flag and help.
M.EXTRA_INFO = {
  { "ref", "--ref", "extra_info.ref (cut to 255 characters)" },
  { "ref1", "--ref1", "extra_info.ref1" },
  { "ref2", "--ref2", "extra_info.ref2" },
  { "wa_source", "--wa-source", "extra_info.wa_source (unknown sources become api)" },
}

return M
