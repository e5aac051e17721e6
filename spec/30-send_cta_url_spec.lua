-- spec/30-send_cta_url_spec.lua - env.client:send_cta_url: the document's
-- sample on the wire, header forms, and every validation rule.
local h = require "spec.helpers"

describe("client:send_cta_url", function()
  local env = h.env { client = true }
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  local function sample(overrides)
    local msg = {
      to = h.magic.to,
      header = "Available Dates",
      body = "Tap the button below to see available dates.",
      footer = "Dates subject to change.",
      display_text = "See Dates",
      url = "https://www.luckyshrub.com?clickID=kqDGWd24Q5TRwoEQTICY7W1JKoXvaZOXWAS7h1P76s0R7Paec4",
      extra_info = { ref = "customer1", ref1 = "marketing", ref2 = "dictionary", wa_source = "api" },
    }
    for k, v in pairs(overrides or {}) do
      if v == h.NONE then msg[k] = nil else msg[k] = v end
    end
    return msg
  end

  it("sends the API document's sample request", function()
    local res, err = env.client:send_cta_url(sample())
    assert.is_nil(err)
    assert.equals(202, res.status)
    assert.equals("WA202", res.code)
    local records = env.sandbox:records()
    assert.equals(1, #records)
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages", records[1].uri)
    assert.same(h.fixture("cta_url"), records[1].json)
  end)

  it("leaves out header and footer when not given", function()
    assert(env.client:send_cta_url(sample { header = h.NONE, footer = h.NONE, extra_info = h.NONE }))
    local inter = env.sandbox:records()[1].json.messaging_object.interactive
    assert.is_nil(inter.header)
    assert.is_nil(inter.footer)
    assert.is_nil(env.sandbox:records()[1].json.extra_info)
  end)

  it("passes a header table through as the header object", function()
    local header = { type = "image", image = { link = "https://example.com/a.png" } }
    assert(env.client:send_cta_url(sample { header = header }))
    assert.same(header, env.sandbox:records()[1].json.messaging_object.interactive.header)
  end)

  describe("validation", function()
    local cases = {
      { "a header of 61 characters", { header = string.rep("h", 61) }, "header" },
      { "an empty header", { header = "" }, "header" },
      { "a header table without a known type", { header = { type = "sticker" } }, "header.type" },
      { "a text header table over 60 characters", { header = { type = "text", text = string.rep("h", 61) } }, "header.text" },
      { "a media header without its object", { header = { type = "image" } }, "header" },
      { "a header that is a number", { header = 5 }, "header" },
      { "a missing body", { body = h.NONE }, "body" },
      { "a body of 1025 characters", { body = string.rep("b", 1025) }, "body" },
      { "a footer of 61 characters", { footer = string.rep("f", 61) }, "footer" },
      { "a missing display_text", { display_text = h.NONE }, "display_text" },
      { "an empty display_text", { display_text = "" }, "display_text" },
      { "a display_text of 21 characters", { display_text = string.rep("d", 21) }, "display_text" },
      { "a missing url", { url = h.NONE }, "url" },
      { "a relative url", { url = "/dates" }, "url" },
      { "a url of another scheme", { url = "javascript:alert(1)" }, "url" },
      { "a url without a host", { url = "https:///x" }, "url" },
      { "a url with a space", { url = "https://example.com/a b" }, "url" },
      { "a bad recipient", { to = "12" }, "to" },
    }
    for _, case in ipairs(cases) do
      it("refuses " .. case[1] .. ", naming " .. case[3] .. ", and sends nothing", function()
        local res, err = env.client:send_cta_url(sample(case[2]))
        assert.is_nil(res)
        assert.equals("validation", err.kind)
        assert.equals(case[3], err.field)
        assert.same({}, env.sandbox:records())
      end)
    end

    it("counts limits in characters: 60 two-byte characters fit a header", function()
      assert(env.client:send_cta_url(sample { header = string.rep("é", 60), display_text = string.rep("ß", 20) }))
      assert.equals(1, #env.sandbox:records())
    end)

    it("raises on unknown fields", function()
      assert.has_error(function() env.client:send_cta_url(sample { button = "x" }) end,
        "send_cta_url: unknown field 'button'")
    end)
  end)
end)
