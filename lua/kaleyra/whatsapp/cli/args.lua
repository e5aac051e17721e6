--- The command line of `kaleyra-wa`, declared with argparse (Debian's
-- lua-argparse). Global options come before the subcommand (argparse also
-- takes them after it). Option `--foo-bar` lands in `args.foo_bar`.
-- @module kaleyra.whatsapp.cli.args

local status = require "kaleyra.whatsapp.cli.status"

local M = {}

M.ENVIRONMENT = [[
Environment (flags override them):
  KALEYRA_SID        account SID                 --sid
  KALEYRA_API_KEY    API key (prefer this to --api-key, which other users can see in ps)
  KALEYRA_FROM       business number, E.164      --from
  KALEYRA_REGION     in (default), sg or eu      --region
  KALEYRA_BASE_URL   overrides the region, e.g. a local sandbox   --base-url
  KALEYRA_WA_PROGRESS  1 or 0: force the bulk progress bar on or off]]

local function extra_info_options(cmd)
  cmd:group("Extra info (extra_info)",
    cmd:option("--ref", "extra_info.ref (cut to 255 characters)"),
    cmd:option("--ref1", "extra_info.ref1"),
    cmd:option("--ref2", "extra_info.ref2"),
    cmd:option("--wa-source", "extra_info.wa_source (unknown sources become api)"))
end

local function frame_options(cmd)
  cmd:option("--body", "Body text (required, at most 1024 characters).")
  cmd:option("--header", "Text header (at most 60 characters).")
  cmd:option("--header-json", "Header object as JSON, e.g. "
    .. [['{"type":"image","image":{"link":"https://..."}}']] .. "; - reads stdin, @FILE a file.")
  cmd:option("--footer", "Footer text (at most 60 characters).")
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
  parser:option("--region", "in, sg or eu (default $KALEYRA_REGION, else in).")
  parser:option("--base-url", "Service URL; overrides the region (default $KALEYRA_BASE_URL).")
  parser:option("--timeout", "Seconds for each request (default 30)."):convert(positive("number"))
  parser:option("--connect-timeout", "Seconds to connect (default 10)."):convert(positive("number"))
  parser:option("--ca-file", "CA bundle for TLS verification.")

  local text = parser:command("text", "Send a text message.")
  text:argument("to", "Recipient(s): E.164 numbers separated by commas.")
  text:argument("body", "The text, 1 to 4096 characters.")
  text:flag("--preview-url", "Let WhatsApp show a preview of the first URL.")
  extra_info_options(text)

  local cta = parser:command("cta-url", "Send an interactive call-to-action URL button.")
  cta:argument("to", "Recipient(s): E.164 numbers separated by commas.")
  frame_options(cta)
  cta:option("--display-text", "Button label, 1 to 20 characters.")
  cta:option("--url", "Absolute http(s) URL the button opens.")
  extra_info_options(cta)

  local flow = parser:command("flow", "Send a WhatsApp Flow message.")
  flow:argument("to", "Recipient(s): E.164 numbers separated by commas.")
  frame_options(flow)
  flow:mutex(
    flow:option("--flow-id", "The Flow's id (digits)."),
    flow:option("--flow-name", "The Flow's name."))
  flow:option("--flow-cta", "Button label, 1 to 30 characters.")
  flow:option("--flow-token", "Opaque token echoed back to your endpoint.")
  flow:option("--flow-action", "navigate or data_exchange."):choices { "navigate", "data_exchange" }
  flow:option("--screen", "flow_action_payload.screen: the first screen.")
  flow:option("--data", "flow_action_payload.data as a JSON object; - reads stdin, @FILE a file.")
  flow:option("--mode", "draft or published."):choices { "draft", "published" }
  flow:option("--flow-message-version", "Default 3.")
  flow:option("--flow-json", "The whole action.parameters object as JSON; the flags above override its keys.")
  extra_info_options(flow)

  local publish = parser:command("publish-flow", "Publish a Flow.")
  publish:argument("flow_id", "The Flow's id (digits).")

  local send = parser:command("send", "Send any message Meta's message object allows.")
    :epilog("MESSAGE is a messaging_object, e.g.\n"
      .. [[  '{"to":"+919876543210","type":"image","image":{"link":"https://example.com/a.jpg"}}']]
      .. "\nor a whole request {\"messaging_object\": ..., \"extra_info\": ...}; - reads stdin, @FILE a file.")
  send:argument("message", "JSON text, - or @FILE.")
  extra_info_options(send)

  local bulk = parser:command("bulk", "Send every message in a JSON Lines or CSV file.")
    :epilog("JSON Lines: one message object per line, with \"op\": text (default), cta-url, flow or send.\n"
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

  parser:command("sandbox", "Run the local Kaleyra stand-in (arguments go to sandbox/sandbox).")
    :handle_options(false)
    :argument("args", "e.g. --port 8099, or --run CMD ARG..."):args("*")

  return parser
end

return M
