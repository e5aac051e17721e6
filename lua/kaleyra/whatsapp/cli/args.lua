--- The command line of `kaleyra-wa`, declared with argparse (Debian's
-- lua-argparse). Global options come before the subcommand (argparse also
-- takes them after it). Option `--foo-bar` lands in `args.foo_bar`.
--
-- The message subcommands come from the registry of operations, one per
-- op, their arguments and flags from its fields (the mapping: ops.lua);
-- only bulk, callbacks and sandbox are declared by hand.
-- @module kaleyra.whatsapp.cli.args

local ops = require "kaleyra.whatsapp.cli.ops"
local status = require "kaleyra.whatsapp.cli.status"

local M = {}

M.ENVIRONMENT = [[
Environment (flags override them):
  KALEYRA_SID        account SID                 --sid
  KALEYRA_API_KEY    API key (prefer this to --api-key, which other users can see in ps)
  KALEYRA_FROM       business number, E.164      --from
  KALEYRA_REGION     in (default), sg, eu or na  --region
  KALEYRA_BASE_URL   overrides the region, e.g. a local sandbox   --base-url
  KALEYRA_WA_PROGRESS  1 or 0: force the bulk progress bar on or off]]

local FROM_FILE = "; - reads stdin, @FILE a file."

local function extra_info_options(cmd)
  local options = {}
  for i, x in ipairs(ops.EXTRA_INFO) do options[i] = cmd:option(x[2], x[3]) end
  cmd:group("Extra info (extra_info)", table.unpack(options))
end

-- `help` as a sentence, with "(required)" for a required flag.
local function option_help(f, help)
  help = ops.sentence(help or f.help)
  if f.required then help = help:gsub("%.$", " (required).") end
  return help
end

-- --name-json and one option per entry of f.sub, those the registry
-- calls alternatives made exclusive; an entry whose path appends may be
-- repeated, one item each time.
local function table_options(cmd, f)
  local flags, by_flag = {}, {}
  for i, s in ipairs(f.sub or {}) do
    local help = ops.sentence(s.help, s.choices ~= nil)
    if s.json then help = help:gsub("%.$", FROM_FILE) end -- first value only
    if s.pairs then help = help:gsub("%.$", " (key=value,key=value).") end
    if ops.repeats(s) then help = help:gsub("%.$", "; repeat for each.") end
    local opt = cmd:option("--" .. s.flag, help)
    if s.choices then opt:choices(s.choices) end
    if ops.repeats(s) then opt:count("*") end
    flags[i], by_flag[s.flag] = opt, opt
  end
  local what = f.type == "list" and "a JSON list" or "a JSON object"
  local sets = f.sub and "; the flags of its keys set them on top of it" or ""
  flags[#flags + 1] = cmd:option(ops.flag(f.name) .. "-json",
    (ops.sentence(f.help .. ", as " .. what .. sets):gsub("%.$", FROM_FILE)))
  for _, pair in ipairs(ops.exclusive(f.sub or {})) do
    cmd:mutex(by_flag[pair[1]], by_flag[pair[2]])
  end
  if f.sub then cmd:group(("%s (%s)"):format((f.name:gsub("^%l", string.upper)), f.name), table.unpack(flags)) end
end

-- The flags of each field type; `from` has none (it is the global --from).
local FLAGS = {
  string = function(cmd, f) cmd:option(ops.flag(f.name), option_help(f)) end,
  bytes = function(cmd, f) cmd:option(ops.flag(f.name), option_help(f)) end,
  number = function(cmd, f)
    cmd:option(ops.flag(f.name), option_help(f)):convert(function(s)
      local n = tonumber(s)
      if n == nil or n ~= n then return nil, ("'%s' is not a number"):format(s) end
      return n
    end)
  end,
  strings = function(cmd, f)
    cmd:option(ops.flag(f.name), (option_help(f):gsub("%.$", "; several separated by commas.")))
  end,
  boolean = function(cmd, f) cmd:flag(ops.flag(f.name), option_help(f)) end,
  text_or_table = function(cmd, f)
    local flag = ops.flag(f.name)
    cmd:option(flag, (option_help(f):gsub("%.$", (": see %s-json."):format(flag))))
    cmd:option(flag .. "-json", ("The %s as a JSON object"):format(f.name) .. FROM_FILE)
  end,
  table = table_options,
  list = table_options,
  extra_info = extra_info_options,
  from = function() end,
}

-- The help of a positional argument.
local function argument_help(arg)
  local f = arg.field
  if arg.whole then return "JSON text" .. FROM_FILE:gsub("%.$", "") .. "." end
  local help = ops.sentence(f.help)
  if f.type == "phones" then help = help:gsub("%.$", ", separated by commas.") end
  return help
end

-- What MESSAGE may be: the field's value, or a whole request.
local function whole_epilog(op, field)
  local keys = {}
  for _, f in ipairs(op.fields) do keys[#keys + 1] = ('"%s": ...'):format(f.name) end
  return ("MESSAGE is JSON: the %s (%s),\nor a whole request {%s}%s")
    :format(field.name, field.help, table.concat(keys, ", "), FROM_FILE)
end

-- One subcommand for `op`, from its fields.
local function op_command(parser, op, name)
  local cmd = parser:command(name or op.command, op.summary)
  local arguments, positional = ops.arguments(op)
  for _, arg in ipairs(arguments) do
    local a = cmd:argument(arg.name, argument_help(arg))
    if arg.optional then a:args("?") end
    if arg.whole then cmd:epilog(whole_epilog(op, arg.field)) end
  end
  for _, f in ipairs(op.fields) do
    if not positional[f.name] then
      local declare = FLAGS[f.type]
      if not declare then error(("op %s: field %s has type %s, which kaleyra-wa does not know")
        :format(op.name, f.name, tostring(f.type))) end
      declare(cmd, f)
    end
  end
end

-- A converter for argparse: a number >= 0, or an integer in min..max.
local function positive(kind, min, max)
  return function(s)
    local n = tonumber(s)
    if n == nil or n < 0 or n ~= n or (kind == "integer" and math.type(n) ~= "integer") then
      return nil, ("'%s' is not a %s"):format(s, kind == "integer" and "whole number" or "number")
    end
    if min and (n < min or n > max) then
      return nil, ("'%s' is not from %d to %d"):format(s, min, max)
    end
    return n
  end
end

--- Builds the parser. `version` is printed by --version.
-- Commands of a group's own, beside its ops (kaleyra-wa flows keygen).
local GROUP_EXTRAS = {
  flows = function(cmd)
    local keygen = cmd:command("keygen", "Write a new RSA key pair for a Flows data endpoint.")
      :epilog("Writes PREFIX.key.pem (PKCS#8, AES-256 encrypted, mode 600) and PREFIX.pub.pem.\n"
        .. "The passphrase comes from $KALEYRA_WA_KEY_PASSPHRASE or --passphrase-file;\n"
        .. "--no-passphrase writes the private key unencrypted. Register the public key with\n"
        .. "`kaleyra-wa flows set-public-key`.")
    keygen:option("--out", "Path prefix of the two files (default flow)."):default("flow"):argname("PREFIX")
    keygen:option("--bits", "Key size, 2048 to 8192 (default 2048)."):default("2048")
      :convert(positive("integer", 2048, 8192))
    keygen:option("--passphrase-file", "Read the passphrase from the first line of FILE."):argname("FILE")
    keygen:flag("--no-passphrase", "Write the private key unencrypted.")
    keygen:flag("--force", "Overwrite existing files.")
    local ping = cmd:command("ping", "Send an encrypted health check to a running Flows endpoint.")
      :epilog("Does what WhatsApp's check does: encrypts {\"action\": \"ping\"} to the public key,\n"
        .. "POSTs it to URL (with the curl command) and decrypts the answer, which must be\n"
        .. "{\"data\": {\"status\": \"active\"}}. Exit 0 when it is.")
    ping:argument("url", "The endpoint's URL.")
    ping:option("--public-key", "PEM file of the endpoint's public key (required)."):argname("FILE")
  end,
}

local GROUP_HELP = {
  flows = "Manage WhatsApp Flows: create, upload, publish..., and test a data endpoint.",
}

function M.group_command(parser, group)
  local cmd = parser:command(group.name, GROUP_HELP[group.name] or group.name)
    :command_target(group.name .. "_command")
  for _, entry in ipairs(group.list) do op_command(cmd, entry.op, entry.command) end
  if GROUP_EXTRAS[group.name] then GROUP_EXTRAS[group.name](cmd) end
end

function M.parser(argparse, version)
  local parser = argparse("kaleyra-wa", "Send WhatsApp messages through Kaleyra's WhatsApp API v2.")
    :epilog(M.ENVIRONMENT .. "\n\n" .. status.HELP .. "\n\n"
      .. "Results are JSON on stdout; errors go to stderr as KIND: CODE (STATUS): message.")
    :command_target("command")
    :help_max_width(100)

  parser:flag("--version", "Print the version and exit."):action(function()
    print("kaleyra-wa " .. version)
    os.exit(0)
  end)
  parser:flag("--dry-run", "Print the request that would be sent (API key redacted); send nothing.")
  parser:option("--sid", "Account SID (default $KALEYRA_SID).")
  parser:option("--api-key", "API key (default $KALEYRA_API_KEY).")
  parser:option("--from", "Business number (default $KALEYRA_FROM).")
  parser:option("--region", "in, sg, eu or na (default $KALEYRA_REGION, else in).")
  parser:option("--base-url", "Service URL; overrides the region (default $KALEYRA_BASE_URL).")
  parser:option("--timeout", "Seconds for each request (default 30)."):convert(positive("number"))
  parser:option("--connect-timeout", "Seconds to connect (default 10)."):convert(positive("number"))
  parser:option("--ca-file", "CA bundle for TLS verification.")

  for _, op in ipairs(ops.top) do op_command(parser, op) end
  for _, group in ipairs(ops.groups()) do M.group_command(parser, group) end

  local bulk = parser:command("bulk", "Send every message in a JSON Lines or CSV file.")
    :epilog("JSON Lines: one message object per line, with \"op\" (default text): " .. ops.names_text() .. ".\n"
      .. "CSV: a header row of field names (extra_info.ref nests; a name ending in :json takes JSON);\n"
      .. "\"to\" may list numbers separated by ';'. One JSON result line per message, in input order.\n"
      .. "With --journal, a rerun skips what was accepted and does not resend lines whose outcome is\n"
      .. "unknown (in flight when the run stopped) unless --resend-unknown is given.")
  bulk:argument("file", "Input file; - reads stdin.")
  bulk:option("--format", "jsonl or csv (default: csv for *.csv, else jsonl)."):choices { "jsonl", "csv" }
  bulk:option("--concurrency", "Requests in flight at once, 1 to 256 (default 8).")
    :argname("<n>"):convert(positive("integer", 1, 256))
  bulk:option("--rate", "Messages started per second, 0 for no limit; 20 is the rate Kaleyra tested.")
    :argname("<per_second>"):convert(positive("number")):default("20")
  bulk:option("--journal", "Record each outcome in FILE; rerun with the same FILE to resume.")
    :argname("FILE")
  bulk:flag("--resend-unknown", "On resume, send again lines whose outcome is unknown (may duplicate).")
  bulk:flag("--retry-rejected", "On resume, send again lines the service refused (auth, payload, balance)\n"
    .. "or a wrong configuration failed, e.g. after fixing the key or topping up.")
  bulk:flag("--no-fsync", "Do not fsync journal records (faster; survives a crash but not a power cut).")
  bulk:flag("--no-progress", "Never draw the progress bar.")

  local callbacks = parser:command("callbacks", "Read Kaleyra's callbacks: parse a body, or listen for them.")
    :command_target("callbacks_command")
  callbacks:command("parse", "Print the events of one callback body, one JSON line each.")
    :argument("file", "The body; - reads stdin."):args("?")
  local listen = callbacks:command("listen", "Receive callbacks on 127.0.0.1 (nginx) and print each event\n"
    .. "as a JSON line as it arrives, until Ctrl-C.")
    :epilog("Needs nginx with its Lua module and the LuaJIT build of the module (make luajit).\n"
      .. "Redeliveries of a (message id, status) are printed once. Try it with the sandbox:\n"
      .. "  sandbox/sandbox --callback http://u:p@127.0.0.1:8081/ while this runs with --port 8081 --basic u:p")
  listen:option("--port", "Port on 127.0.0.1 (default: a free one, printed on stderr).")
    :argname("<n>"):convert(positive("integer", 1, 65535))
  listen:mutex(
    listen:option("--basic", "Require Basic authentication with these credentials."):argname("USER:PASS"),
    listen:option("--bearer", "Require this Bearer token."):argname("TOKEN"))
  listen:option("--for", "Stop after this many seconds."):argname("<seconds>"):convert(positive("number"))
  listen:option("--count", "Stop after this many events."):argname("<n>"):convert(positive("integer", 1, 1e9))

  parser:command("sandbox", "Run the local Kaleyra stand-in (arguments go to sandbox/sandbox).")
    :handle_options(false)
    :argument("args", "e.g. --port 8099, or --run CMD ARG..."):args("*")

  return parser
end

return M
