-- spec/84-cli_parts_spec.lua - the parts of kaleyra-wa that need no
-- server: the RFC 4180 CSV reader, CSV columns to message tables, JSON
-- Lines, the line hash the journal keys on, how outcomes are classified,
-- ordered output and the exit statuses.
package.path = "./?.lua;./lua/?.lua;" .. package.path

local csv = require "kaleyra.whatsapp.cli.csv"
local input = require "kaleyra.whatsapp.cli.input"
local journal = require "kaleyra.whatsapp.cli.journal"
local output = require "kaleyra.whatsapp.cli.output"
local status = require "kaleyra.whatsapp.cli.status"
local whatsapp = require "kaleyra.whatsapp"

local function records(text)
  local r, list = csv.string_reader(text), {}
  while true do
    local fields, a, b = r:read()
    if fields == nil and a == nil then return list end
    list[#list + 1] = fields and { fields = fields, line = a } or { err = a, line = b }
  end
end

local function fields_of(text)
  local list = {}
  for i, rec in ipairs(records(text)) do list[i] = rec.fields or rec.err end
  return list
end

describe("csv.reader", function()
  it("splits plain fields, keeping spaces and empty fields", function()
    assert.same({ { "a", " b ", "", "d" }, { "", "" } }, fields_of("a, b ,,d\n,\n"))
  end)

  it("reads quoted fields with commas, doubled quotes and line breaks", function()
    assert.same({
      { "Hello, world", 'say "hi"', "two\nlines", "" },
      { "last" },
    }, fields_of('"Hello, world","say ""hi""","two\nlines",""\nlast'))
  end)

  it("takes CRLF endings, keeping a CRLF inside quotes as written", function()
    assert.same({ { "a", "b" }, { "c\r\nd", "e" } }, fields_of('a,b\r\n"c\r\nd",e\r\n'))
  end)

  it("drops a byte order mark and skips blank lines", function()
    assert.same({ { "to", "body" }, { "1", "2" } }, fields_of("\239\187\191to,body\n\n1,2\n\n"))
  end)

  it("numbers records by the line they start on", function()
    local list = records('h\n"x\ny"\nz\n')
    assert.same({ 1, 2, 4 }, { list[1].line, list[2].line, list[3].line })
  end)

  it("reports a bare quote and text after a closing quote, then reads on", function()
    local list = records('a"b,c\n"x"y,z\nok,1\n')
    assert.matches("line 1: a quote inside unquoted field 1", list[1].err, 1, true)
    assert.matches("line 2: text after a closing quote in field 1", list[2].err, 1, true)
    assert.same({ "ok", "1" }, list[3].fields)
  end)

  it("reports a quote that is never closed", function()
    local list = records('a,b\n"open,\nmore\n')
    assert.same({ "a", "b" }, list[1].fields)
    assert.equals("line 2: a quoted field is not closed", list[2].err)
  end)

  it("quote() round-trips", function()
    local values = { "plain", "a,b", 'q"q', "l\nl", "" }
    local line = {}
    for i, v in ipairs(values) do line[i] = csv.quote(v) end
    assert.same({ values }, fields_of(table.concat(line, ",") .. "\n"))
  end)
end)

describe("input.open", function()
  local dir
  setup(function()
    local p = io.popen("mktemp -d")
    dir = p:read("l")
    p:close()
  end)
  teardown(function() os.execute("rm -rf " .. dir) end)

  local function read_all(name, text, format)
    local path = dir .. "/" .. name
    local f = assert(io.open(path, "wb"))
    f:write(text)
    f:close()
    local next_record, err = input.open(path, format or input.format_of(path))
    if not next_record then return nil, err end
    local list = {}
    for rec in next_record do list[#list + 1] = rec end
    err:close()
    return list
  end

  it("maps CSV columns to fields: dotted names nest, :json decodes, empty cells are left out", function()
    local list = assert(read_all("a.csv", table.concat({
      "op,to,body,preview_url,extra_info.ref,flow.flow_id,flow.flow_action_payload.data:json,footer",
      'flow,+919000000001,"Book, now",,r1,12,"{""party_size"":2}",',
      "text,+919000000001;+919000000002 , hi ,yes,,,,",
    }, "\n")))
    assert.same({
      line = 2, op = "flow",
      msg = { to = "+919000000001", body = "Book, now", extra_info = { ref = "r1" },
        flow = { flow_id = "12", flow_action_payload = { data = { party_size = 2 } } } },
    }, { line = list[1].line, op = list[1].op, msg = list[1].msg })
    assert.same({ to = { "+919000000001", "+919000000002" }, body = " hi ", preview_url = true }, list[2].msg)
    assert.equals("text", list[2].op)
  end)

  it("takes the op names of the command line and of send_many, from the registry", function()
    local list = assert(read_all("ops.csv", "op,to\ncta-url,1\ncta_url,1\nsend,1\nraw,1\n,1\npublish,1\n"
      .. "publish-flow,1\nmark-read,1\nmark_read,1\nnope,1\n"))
    local ops = {}
    for i, rec in ipairs(list) do ops[i] = rec.op or rec.err.field end
    assert.same({ "cta_url", "cta_url", "raw", "raw", "text", "publish", "publish", "mark_read", "mark_read", "op" },
      ops)
    -- every op of the registry, the seeds' first; ops of a group only (the Flow lifecycle) by name
    assert.equals("op must be one of " .. require("kaleyra.whatsapp.cli.ops").names_text(), list[10].err.message)
    assert.matches("op must be one of text, cta-url (cta_url), flow, send (raw), publish-flow (publish),"
      .. " mark-read (mark_read)", list[10].err.message, 1, true)
    assert.matches("create_flow, update_flow, upload_flow_json, get_flow, list_flows,"
      .. " deprecate_flow, delete_flow, get_flows_public_key, set_flows_public_key", list[10].err.message, 1, true)
  end)

  it("fails one CSV record alone: bad JSON, a bad boolean, a wrong number of fields", function()
    local list = assert(read_all("bad.csv", "to,preview_url,flow:json\n1,maybe,\n1,,{\n1,true\n1,no,{}\n"))
    assert.equals("preview_url", list[1].err.field)
    assert.equals("flow:json", list[2].err.field)
    assert.matches("line 4 has 2 fields; the header has 3", list[3].err.message, 1, true)
    assert.same({ to = "1", preview_url = false, flow = {} }, list[4].msg)
  end)

  it("refuses a CSV header with a duplicate, an overlap or a bad name", function()
    assert.matches("appears twice", select(2, read_all("h1.csv", "to,body,to\n")))
    assert.matches("overlap", select(2, read_all("h2.csv", "to,flow,flow.flow_id\n")))
    assert.matches("not a field name", select(2, read_all("h3.csv", "to,extra info\n")))
    assert.matches("not a field name", select(2, read_all("h4.csv", "to,extra_info..ref\n")))
  end)

  it("reads JSON Lines: blank lines skipped, nulls at the top dropped, bad lines failed alone", function()
    local list = assert(read_all("a.jsonl", table.concat({
      [[{"to":"1","body":"a","footer":null,"extra_info":{"ref":null,"ref1":"x"}}]],
      "   ",
      [[{"op":"send","messaging_object":{"to":"1","type":"text","text":{"body":"b"},"context":null}}]],
      "[1,2]",
      "{nope",
      [[{"op":7}]],
    }, "\r\n")))
    assert.equals(5, #list)
    assert.same({ to = "1", body = "a", extra_info = { ref1 = "x" } }, list[1].msg)
    assert.equals(3, list[2].line)
    assert.equals("raw", list[2].op)
    assert.equals(whatsapp.null, list[2].msg.messaging_object.context)
    assert.matches("line 4 is not a JSON object", list[3].err.message, 1, true)
    assert.matches("line 5 is not a JSON object", list[4].err.message, 1, true)
    assert.equals("op", list[5].err.field)
  end)

  it("hashes a line's text, ignoring its line ending", function()
    local a = assert(read_all("h.jsonl", '{"to":"1","body":"a"}\r\n{"to":"1","body":"b"}\n'))
    local b = assert(read_all("h2.jsonl", '{"to":"1","body":"a"}\n'))
    assert.equals(a[1].hash, b[1].hash)
    assert.not_equals(a[1].hash, a[2].hash)
    assert.equals(input.hash('{"to":"1","body":"a"}'), a[1].hash)
    assert.matches("^%x+$", a[1].hash)
    assert.equals(16, #a[1].hash)
    assert.equals("cbf29ce484222325", input.hash(""))   -- FNV-1a's offset basis
    assert.equals("af63dc4c8601ec8c", input.hash("a"))  -- the published test vector
  end)

  it("counts the messages of a file for the progress bar", function()
    read_all("c.csv", 'to,body\n1,"a\nb"\n\n2,c\n')
    assert.equals(2, input.count(dir .. "/c.csv", "csv"))
    assert.is_nil(input.count("-", "csv"))
  end)
end)

describe("journal.outcome_of", function()
  local function outcome(kind, sent)
    return journal.outcome_of { ok = false, error = { kind = kind, sent = sent } }
  end

  it("never resends what was accepted, or what may have been", function()
    assert.equals("accepted", journal.outcome_of { ok = true })
    assert.equals("unknown", outcome("server", true))
    assert.equals("unknown", outcome("timeout", true))
    assert.equals("unknown", outcome("network", true))
    assert.equals("unknown", outcome("protocol", true))
  end)

  it("retries what cannot have been accepted", function()
    assert.equals("failed", outcome("network", false))
    assert.equals("failed", outcome("timeout", false))
    assert.equals("failed", outcome("tls", false))
    assert.equals("failed", outcome("rate_limit", true))
  end)

  it("keeps as final what can never succeed as written", function()
    for _, kind in ipairs { "validation", "config", "auth", "payload", "balance" } do
      assert.equals("rejected", outcome(kind, kind ~= "validation" and kind ~= "config"))
    end
  end)
end)

describe("output.ordered", function()
  it("writes lines in reserved order whatever order they come in", function()
    local written = {}
    local out = output.ordered(function(line) written[#written + 1] = line end)
    for _ = 1, 4 do out:reserve() end
    out:put(3, "c")
    out:put(2, "b")
    assert.same({}, written)
    assert.equals(4, out:waiting())
    out:put(1, "a")
    assert.same({ "a", "b", "c" }, written)
    out:put(4, "d")
    assert.same({ "a", "b", "c", "d" }, written)
    assert.equals(0, out:waiting())
  end)

  it("encodes objects with their leading keys first", function()
    assert.equals('{"line":2,"ok":false,"outcome":"rejected","error":{"kind":"auth"},"zeta":1}',
      output.encode { zeta = 1, error = { kind = "auth" }, outcome = "rejected", ok = false, line = 2 })
    assert.equals("[]", output.encode(whatsapp.array {}))
  end)
end)

describe("status", function()
  it("maps every error kind to its class", function()
    local want = {
      validation = 65, config = 78, auth = 77, payload = 69, balance = 69, rate_limit = 69, server = 69,
      protocol = 69, network = 75, timeout = 75, tls = 75, unknown = 75,
    }
    for kind, code in pairs(want) do assert.equals(code, status.of_kind(kind), kind) end
    assert.equals(70, status.of_kind("nomem"))
  end)

  it("combines a bulk run's failures", function()
    assert.equals(0, status.combine {})
    assert.equals(69, status.combine { [69] = true })
    assert.equals(1, status.combine { [69] = true, [65] = true })
  end)
end)
