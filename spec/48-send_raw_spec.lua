-- spec/48-send_raw_spec.lua - client:send{ messaging_object = ..., extra_info = ...,
-- from = ... }: any message object Meta allows passes through as given,
-- with the same transport, extra_info rules, validation and error tables as
-- the four specific calls.
local h = require "spec.helpers"

local whatsapp = h.whatsapp
local json = h.json

describe("client:send", function()
  local sandbox, client

  setup(function()
    sandbox = h.start()
    client = h.client(sandbox)
  end)
  teardown(function()
    client:close()
    sandbox:stop()
  end)
  before_each(function() sandbox:clear() end)

  local function only_record()
    local records = sandbox:records()
    assert.equals(1, #records)
    return records[1]
  end

  -- Sends mo and returns what reached the stand-in, after checking the answer.
  local function sent(mo, extra)
    local res, err = client:send { messaging_object = mo, extra_info = extra }
    assert.is_nil(err)
    assert.equals(202, res.status)
    assert.equals("WA202", res.code)
    assert.matches("^A%w+$", res.message_id)
    local rec = only_record()
    assert.equals(202, rec.status)
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages", rec.uri)
    assert.equals(h.creds.api_key, rec.headers["api-key"])
    assert.equals("application/json", rec.headers["content-type"])
    return rec.json
  end

  describe("passes message objects through", function()
    it("an image, adding messaging_product and recipient_type", function()
      local body = sent { to = h.magic.to, type = "image",
        image = { link = "https://example.com/cat.jpg", caption = "A cat" } }
      assert.same({
        messaging_object = {
          messaging_product = "whatsapp", recipient_type = "individual", to = h.magic.to,
          type = "image", image = { link = "https://example.com/cat.jpg", caption = "A cat" },
        },
      }, body)
      assert.is_nil(body.extra_info)
    end)

    it("a template with arrays, nested objects, numbers and null", function()
      local mo = {
        to = h.magic.to, type = "template",
        template = {
          name = "order_shipped", language = { code = "en_US", policy = "deterministic" },
          components = {
            { type = "header", parameters = { { type = "image", image = { link = "https://example.com/h.png" } } } },
            { type = "body", parameters = {
              { type = "text", text = "Ada" },
              { type = "currency", currency = { fallback_value = "$10.99", code = "USD", amount_1000 = 10990 } },
            } },
            { type = "button", sub_type = "quick_reply", index = "0", parameters = whatsapp.array {} },
          },
          namespace = whatsapp.null,
        },
      }
      local body = sent(mo)
      local t = body.messaging_object.template
      assert.equals("order_shipped", t.name)
      assert.same({ code = "en_US", policy = "deterministic" }, t.language)
      assert.equals(3, #t.components)
      assert.equals("https://example.com/h.png", t.components[1].parameters[1].image.link)
      assert.equals(10990, t.components[2].parameters[2].currency.amount_1000)
      assert.equals(math.type(10990), math.type(t.components[2].parameters[2].currency.amount_1000))
      -- an empty array stays an array, and null stays null
      assert.equals("array", getmetatable(t.components[3].parameters).__jsontype)
      assert.equals(0, #t.components[3].parameters)
      assert.equals(json.null, t.namespace)
    end)

    it("an interactive list", function()
      local mo = {
        to = h.magic.to, type = "interactive",
        interactive = {
          type = "list",
          header = { type = "text", text = "Menu" },
          body = { text = "Pick one" },
          footer = { text = "Lucky Shrub" },
          action = {
            button = "Options",
            sections = {
              { title = "Plants", rows = {
                { id = "fern", title = "Fern", description = "Likes shade" },
                { id = "cactus", title = "Cactus" },
              } },
            },
          },
        },
      }
      local body = sent(mo)
      local i = body.messaging_object.interactive
      assert.equals("list", i.type)
      assert.equals("Options", i.action.button)
      assert.equals("Likes shade", i.action.sections[1].rows[1].description)
      assert.equals("cactus", i.action.sections[1].rows[2].id)
      assert.equals("Menu", i.header.text)
    end)

    it("reply buttons and a location", function()
      sent { to = h.magic.to, type = "interactive", interactive = {
        type = "button", body = { text = "Still want it?" },
        action = { buttons = {
          { type = "reply", reply = { id = "yes", title = "Yes" } },
          { type = "reply", reply = { id = "no", title = "No" } },
        } },
      } }
      sandbox:clear()
      local body = sent { to = h.magic.to, type = "location", location = {
        latitude = 12.9716, longitude = 77.5946, name = "Bengaluru", address = "MG Road" } }
      assert.equals(12.9716, body.messaging_object.location.latitude)
      assert.equals("Bengaluru", body.messaging_object.location.name)
    end)

    it("a text object when type is absent", function()
      local body = sent { to = h.magic.to, text = { body = "no type" } }
      assert.equals("no type", body.messaging_object.text.body)
      assert.is_nil(body.messaging_object.type)
    end)

    it("keeps messaging_product and recipient_type when given", function()
      local body = sent { messaging_product = "whatsapp", recipient_type = "individual",
        to = h.magic.to, type = "text", text = { body = "x", preview_url = true } }
      assert.equals("whatsapp", body.messaging_object.messaging_product)
      assert.equals("individual", body.messaging_object.recipient_type)
      assert.equals(true, body.messaging_object.text.preview_url)
    end)

    it("several recipients joined by commas", function()
      local body = sent { to = "+919000000001,919000000002", type = "text", text = { body = "x" } }
      assert.equals("+919000000001,919000000002", body.messaging_object.to)
    end)
  end)

  it("sends from the number the call names", function()
    assert(client:send { from = "918000000001",
      messaging_object = { to = h.magic.to, type = "text", text = { body = "x" } } })
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/918000000001/messages", only_record().uri)
  end)

  it("applies the extra_info rules: refs cut to 255 characters, unknown wa_source to api", function()
    local long = string.rep("é", 300)
    local body = sent({ to = h.magic.to, type = "text", text = { body = "x" } },
      { ref = long, ref1 = "marketing", wa_source = "myshop" })
    assert.same({ ref = string.rep("é", 255), ref1 = "marketing", wa_source = "api" }, body.extra_info)
  end)

  describe("validation", function()
    local to = "+919000000001"
    local cases = {
      { "no messaging_object", {}, "messaging_object" },
      { "a messaging_object that is a string", { messaging_object = "{}" }, "messaging_object" },
      { "a messaging_object that is an array", { messaging_object = { 1, 2 } }, "messaging_object" },
      { "no to", { messaging_object = { type = "text", text = { body = "x" } } }, "messaging_object.to" },
      { "a to with letters", { messaging_object = { to = "+91XXXXXXXXXX", text = { body = "x" } } },
        "messaging_object.to" },
      { "a to with a space after a comma",
        { messaging_object = { to = "+919000000001, +919000000002", text = { body = "x" } } }, "messaging_object.to" },
      { "a to that is a list", { messaging_object = { to = { to }, text = { body = "x" } } }, "messaging_object.to" },
      { "another messaging_product",
        { messaging_object = { to = to, messaging_product = "sms", text = { body = "x" } } },
        "messaging_object.messaging_product" },
      { "a group recipient_type",
        { messaging_object = { to = to, recipient_type = "group", text = { body = "x" } } },
        "messaging_object.recipient_type" },
      { "a type that is a number", { messaging_object = { to = to, type = 5, text = { body = "x" } } },
        "messaging_object.type" },
      { "an empty type", { messaging_object = { to = to, type = "", text = { body = "x" } } },
        "messaging_object.type" },
      { "a type without its object", { messaging_object = { to = to, type = "image" } }, "messaging_object.image" },
      { "a type whose object is a string", { messaging_object = { to = to, type = "image", image = "cat.jpg" } },
        "messaging_object.image" },
      { "no type and no text", { messaging_object = { to = to } }, "messaging_object.text" },
      { "a string that is not UTF-8",
        { messaging_object = { to = to, type = "text", text = { body = "caf\xe9" } } }, "messaging_object.text.body" },
      { "a NaN", { messaging_object = { to = to, type = "location", location = { latitude = 0 / 0 } } },
        "messaging_object.location.latitude" },
      { "a bad from", { from = "+91 800", messaging_object = { to = to, text = { body = "x" } } }, "from" },
      { "extra_info not a table", { extra_info = "x", messaging_object = { to = to, text = { body = "x" } } },
        "extra_info" },
      { "a ref that is a number", { extra_info = { ref = 1 }, messaging_object = { to = to, text = { body = "x" } } },
        "extra_info.ref" },
    }
    for _, case in ipairs(cases) do
      it("refuses " .. case[1] .. ", naming " .. case[3] .. ", and sends nothing", function()
        local res, err = client:send(case[2])
        assert.is_nil(res)
        assert.equals("validation", err.kind)
        assert.equals(case[3], err.field)
        assert.is_false(err.retryable)
        assert.is_false(err.sent)
        assert.is_nil(err.status)
        assert.equals("validation (" .. case[3] .. "): " .. err.message, tostring(err))
        assert.same({}, sandbox:records())
      end)
    end

    it("needs a from when the client has none", function()
      local c = h.client(sandbox, { from = h.NONE })
      local _, err = c:send { messaging_object = { to = to, text = { body = "x" } } }
      c:close()
      assert.equals("validation", err.kind)
      assert.equals("from", err.field)
      assert.same({}, sandbox:records())
    end)

    it("raises on a non-table message and on unknown fields", function()
      assert.has_error(function() client:send("hi") end)
      assert.has_error(function() client:send { messaging_object = { to = to }, to = to } end,
        "send: unknown field 'to'")
      assert.has_error(function()
        client:send { messaging_object = { to = to, text = { body = "x" } }, extra_info = { reff = "x" } }
      end, "extra_info: unknown field 'reff'")
      assert.same({}, sandbox:records())
    end)
  end)

  describe("documented failures", function()
    local function failure(overrides, mo)
      local c = h.client(sandbox, overrides)
      local res, err = c:send { messaging_object = mo or { to = h.magic.to, type = "image",
        image = { link = "https://example.com/a.png" } } }
      c:close()
      assert.is_nil(res)
      return err
    end

    it("maps RBC001 to auth, never showing the key", function()
      local err = failure { api_key = "Bwrongkey" }
      assert.equals("auth", err.kind)
      assert.equals(401, err.status)
      assert.equals("RBC001", err.code)
      assert.equals("RBC001 (401): Incorrect SID or API key.", tostring(err))
      assert.is_nil(tostring(err):find("Bwrongkey", 1, true))
    end)

    it("maps E110 to balance, WA500 to server and WA400 to payload", function()
      local err = failure(nil, { to = h.magic.to_low_balance, type = "image", image = { link = "https://x.test/a" } })
      assert.equals("balance", err.kind)
      assert.equals("E110", err.code)
      err = failure(nil, { to = h.magic.to_server_error, type = "image", image = { link = "https://x.test/a" } })
      assert.equals("server", err.kind)
      assert.equals("WA500", err.code)
      assert.is_true(err.retryable)
      assert.is_true(err.sent)
      err = failure(nil, { to = h.magic.to_bad_payload, type = "image", image = { link = "https://x.test/a" } })
      assert.equals("payload", err.kind)
      assert.equals("WA400", err.code)
      assert.same({ payload = "Incorrect payload format" }, err.details)
    end)

    it("maps the stand-in's shape check to payload (an interactive object without action)", function()
      local err = failure(nil, { to = h.magic.to, type = "interactive", interactive = { type = "list" } })
      assert.equals("payload", err.kind)
      assert.equals("WA400", err.code)
    end)
  end)

  describe("with the other entry points", function()
    it("build('raw', msg, true) gives the request with the key redacted, sending nothing", function()
      local req = assert(client:build("raw", { messaging_object = { to = h.magic.to, type = "image",
        image = { link = "https://example.com/a.png" } }, extra_info = { ref = "r1" } }, true))
      assert.equals("POST", req.method)
      assert.equals(sandbox.url .. "/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages", req.url)
      assert.equals("<redacted>", req.headers["api-key"])
      local body = whatsapp.json_decode(req.body)
      assert.equals("image", body.messaging_object.type)
      assert.equals("whatsapp", body.messaging_object.messaging_product)
      assert.equals("r1", body.extra_info.ref)
      assert.same({}, sandbox:records())
    end)

    it("send_many takes op = 'raw' items", function()
      local results = client:send_many {
        { op = "raw", messaging_object = { to = h.magic.to, type = "image", image = { link = "https://x.test/a" } } },
        { op = "raw", messaging_object = { to = h.magic.to, type = "image" } },
        { to = h.magic.to, body = "text" },
      }
      assert.is_true(results[1].ok)
      assert.equals("validation", results[2].error.kind)
      assert.equals("messaging_object.image", results[2].error.field)
      assert.is_true(results[3].ok)
      assert.equals(2, #sandbox:records())
    end)

    it("submit('raw', ...) delivers the result to its callback", function()
      local got
      assert(client:submit("raw", { messaging_object = { to = h.magic.to, type = "location",
        location = { latitude = 1.5, longitude = 2.5 } } }, function(res, err) got = { res, err } end))
      for _ = 1, 100 do
        if got then break end
        client:poll(0.1)
      end
      assert.is_nil(got[2])
      assert.equals("WA202", got[1].code)
      assert.equals(1.5, only_record().json.messaging_object.location.latitude)
    end)
  end)
end)
