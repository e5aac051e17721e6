-- spec/21-reply_to_spec.lua - reply_to on every message send: Meta's
-- context.message_id inside messaging_object (templates-media-read.md,
-- section 4), from Lua, submit/send_many, the command line and bulk files.
local h = require "spec.helpers"
local cli = require "spec.support.cli"
local status = require "kaleyra.whatsapp.cli.status"

local WAMID = "wamid.HBgMOTE5NzQwNzc2NTA1FQIAEhggMDI1QjVEMzZGQzE2RDI3QzY2MjU2MTgwQjQ3RDM2NDYA"

describe("reply_to", function()
  local env = h.env { client = true }
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  local function sent_mo()
    local records = env.sandbox:records()
    assert.equals(1, #records)
    assert.equals(202, records[1].status)
    return h.whatsapp.json_decode(records[1].body).messaging_object
  end

  it("adds context.message_id to a text", function()
    assert(env.client:send_text { to = h.magic.to, body = "Yes", reply_to = WAMID })
    assert.same({ messaging_product = "whatsapp", recipient_type = "individual", to = h.magic.to,
      context = { message_id = WAMID }, type = "text", text = { preview_url = false, body = "Yes" } }, sent_mo())
  end)

  it("adds it to a CTA URL, a Flow and a raw message", function()
    assert(env.client:send_cta_url { to = h.magic.to, body = "b", display_text = "Go",
      url = "https://example.com", reply_to = WAMID })
    assert.same({ message_id = WAMID }, sent_mo().context)
    env.clear()
    assert(env.client:send_flow { to = h.magic.to, body = "b", reply_to = WAMID,
      flow = { flow_id = "123", flow_cta = "Open" } })
    assert.same({ message_id = WAMID }, sent_mo().context)
    env.clear()
    assert(env.client:send { messaging_object = { to = h.magic.to, text = { body = "x" } }, reply_to = WAMID })
    assert.same({ message_id = WAMID }, sent_mo().context)
  end)

  it("is left out when absent", function()
    assert(env.client:send_text { to = h.magic.to, body = "Yes" })
    assert.is_nil(sent_mo().context)
  end)

  it("refuses an empty or non-string reply_to, and one beside a raw context, sending nothing", function()
    for _, bad in ipairs { "", 5, string.rep("w", 257) } do
      local res, err = env.client:send_text { to = h.magic.to, body = "x", reply_to = bad }
      assert.is_nil(res)
      assert.equals("validation", err.kind)
      assert.equals("reply_to", err.field)
    end
    local _, err = env.client:send { messaging_object = { to = h.magic.to, text = { body = "x" },
      context = { message_id = "w" } }, reply_to = WAMID }
    assert.equals("reply_to", err.field)
    assert.same({}, env.sandbox:records())
  end)

  it("works in send_many", function()
    local results = env.client:send_many {
      { to = h.magic.to, body = "a", reply_to = WAMID },
      { op = "cta_url", to = h.magic.to, body = "b", display_text = "Go", url = "https://x.example",
        reply_to = "" },
    }
    assert.is_true(results[1].ok)
    assert.equals("reply_to", results[2].error.field)
    assert.equals(1, #env.sandbox:records())
  end)

  describe("on the command line", function()
    local cenv
    setup(function() cenv = cli.env_for(env.sandbox) end)

    it("is --reply-to", function()
      local r = cli.run({ "text", h.magic.to, "Yes", "--reply-to", WAMID }, cenv)
      assert.equals("", r.stderr)
      assert.equals(0, r.code)
      assert.same({ message_id = WAMID }, sent_mo().context)
    end)

    it("is a field of bulk lines, JSON Lines and CSV", function()
      local r = cli.run({ "bulk", "-" }, cenv, ('{"to":"%s","body":"a","reply_to":"%s"}\n'):format(h.magic.to, WAMID))
      assert.equals(0, r.code)
      assert.same({ message_id = WAMID }, sent_mo().context)
      env.clear()
      r = cli.run({ "bulk", "--format", "csv", "-" }, cenv, ("to,body,reply_to\n%s,a,%s\n%s,b,\n"):format(
        h.magic.to, WAMID, h.magic.to))
      assert.equals(0, r.code)
      local records = env.sandbox:records()
      assert.equals(2, #records)
      local by_body = {}
      for _, rec in ipairs(records) do by_body[rec.json.messaging_object.text.body] = rec.json.messaging_object end
      assert.same({ message_id = WAMID }, by_body.a.context)
      assert.is_nil(by_body.b.context)
    end)

    it("refuses an empty --reply-to as validation", function()
      local r = cli.run({ "text", h.magic.to, "Yes", "--reply-to", "" }, cenv)
      assert.equals(status.VALIDATION, r.code)
      assert.matches("validation (reply_to)", r.stderr, 1, true)
    end)
  end)
end)
