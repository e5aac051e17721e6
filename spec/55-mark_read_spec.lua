-- spec/55-mark_read_spec.lua - client:mark_read, the read receipt
-- (templates-media-read.md, section 3), the operation added through the
-- registry alone: its method, its op name in submit, send_many and
-- build, its answer, its validation, and the same over a Lua transport.
local h = require "spec.helpers"

local WAMID = "wamid.HBgMOTE5NzQwNzc2NTA1FQIAEhggMDI1QjVEMzZGQzE2RDI3QzY2MjU2MTgwQjQ3RDM2NDYA"

describe("client:mark_read", function()
  local env = h.env { client = true }
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  local function sent_body()
    local records = env.sandbox:records()
    assert.equals(1, #records)
    return h.whatsapp.json_decode(records[1].body), records[1]
  end

  it("POSTs the documented read receipt to the business number's messages path", function()
    local res, err = env.client:mark_read(WAMID)
    assert.is_nil(err)
    assert.same({ status = 200, success = true, attempts = 1, body = { success = true } }, res)
    local body, record = sent_body()
    assert.same({ messaging_object = { messaging_product = "whatsapp", status = "read",
      message_id = WAMID } }, body)
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages", record.uri)
  end)

  it("takes a table with from and extra_info", function()
    local res = assert(env.client:mark_read { message_id = WAMID, from = h.creds.from,
      extra_info = { ref = "r-1" } })
    assert.is_true(res.success)
    local body = sent_body()
    assert.same({ ref = "r-1" }, body.extra_info)
  end)

  it("refuses a missing or empty message_id, naming it, and sends nothing", function()
    for _, msg in ipairs { {}, { message_id = "" }, "" } do
      local res, err = env.client:mark_read(msg)
      assert.is_nil(res)
      assert.equals("validation", err.kind)
      assert.equals("message_id", err.field)
    end
    local _, err = env.client:mark_read { message_id = WAMID, from = "12" }
    assert.equals("from", err.field)
    assert.same({}, env.sandbox:records())
  end)

  it("raises for a wrong argument type and for an unknown field", function()
    assert.has_error(function() env.client:mark_read() end)
    assert.has_error(function() env.client:mark_read(true) end)
    assert.has_error(function() env.client:mark_read { message_id = WAMID, to = "+919000000001" } end,
      "mark_read: unknown field 'to'")
  end)

  it("is op mark_read in build, submit and send_many", function()
    local req = assert(env.client:build("mark_read", { message_id = WAMID }, true))
    assert.equals("mark_read", req.op)
    assert.equals("POST", req.method)
    local got
    assert(env.client:submit("mark_read", WAMID, function(res, err) got = res or err end))
    for _ = 1, 200 do
      if got then break end
      env.client:poll(0.05)
    end
    assert.is_true(got.success)
    local results = env.client:send_many {
      { op = "mark_read", message_id = WAMID },
      { op = "mark_read", message_id = "" },
      { to = h.magic.to, body = "and a text" },
    }
    assert.is_true(results[1].ok)
    assert.equals("message_id", results[2].error.field)
    assert.is_true(results[3].ok)
    assert.equals(3, #env.sandbox:records())
  end)

  it("reads its answer with core.parse", function()
    local res = assert(h.whatsapp.parse("mark_read", 200, '{"success": true}'))
    assert.is_true(res.success)
    local _, err = h.whatsapp.parse("mark_read", 200, '{"success": false}')
    assert.equals("server", err.kind)
  end)

  it("is listed in the registry with its fields", function()
    local found
    for _, op in ipairs(require("kaleyra.whatsapp.core").ops) do
      if op.name == "mark_read" then found = op end
    end
    assert.equals("mark_read", found.method)
    assert.equals("mark-read", found.command)
    assert.equals("message_id", found.positional)
    assert.equals("success", found.answer)
    assert.same({ "message_id", "from", "extra_info" },
      { found.fields[1].name, found.fields[2].name, found.fields[3].name })
  end)

  it("works the same over a transport function", function()
    local seen
    local c = assert(h.whatsapp.new(h.options(env.sandbox, {
      transport = function(req)
        seen = req
        return { status = 200, body = '{"success": true}', headers = {} }
      end,
    })))
    local res = assert(c:mark_read(WAMID))
    c:close()
    assert.is_true(res.success)
    assert.equals("mark_read", seen.op)
    assert.same({ messaging_object = { messaging_product = "whatsapp", status = "read",
      message_id = WAMID } }, h.whatsapp.json_decode(seen.body))
  end)
end)
