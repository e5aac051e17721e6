-- spec/20-send_text_spec.lua - env.client:send_text against the stand-in: the
-- exact JSON on the wire, validation before sending, documented answers.
local h = require "spec.helpers"

describe("client:send_text", function()
  local env = h.env { client = true }
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  local extra = { ref = "customer1", ref1 = "marketing", ref2 = "dictionary", wa_source = "api" }

  local function only_record()
    local records = env.sandbox:records()
    assert.equals(1, #records)
    return records[1]
  end

  it("sends the API document's sample request, preview_url as a boolean", function()
    local res, err = env.client:send_text {
      to = h.magic.to, body = "This is the sample message", preview_url = false, extra_info = extra,
    }
    assert.is_nil(err)
    local rec = only_record()
    assert.equals("POST", rec.method)
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages", rec.uri)
    assert.equals(h.creds.api_key, rec.headers["api-key"])
    assert.equals("application/json", rec.headers["content-type"])
    assert.matches("^kaleyra%-whatsapp/%d+%.%d+%.%d+ libcurl/", rec.headers["user-agent"])
    assert.same(h.fixture("text"), rec.json)
    assert.equals(false, rec.json.messaging_object.text.preview_url)
    -- and the parsed answer
    assert.equals(202, res.status)
    assert.equals("WA202", res.code)
    assert.equals("Request Accepted", res.message)
    assert.matches("^A%w+$", res.message_id)
    assert.equals(res.message_id, res.body.data.message_id)
  end)

  it("joins several recipients with commas and omits extra_info when none is given", function()
    assert(env.client:send_text { to = { "+919000000001", "919000000002" }, body = "hi", preview_url = true })
    local mo = only_record().json
    assert.equals("+919000000001,919000000002", mo.messaging_object.to)
    assert.equals(true, mo.messaging_object.text.preview_url)
    assert.is_nil(mo.extra_info)
  end)

  it("sends from the number a call names, keeping the + in the path", function()
    assert.is_nil(select(2, env.client:send_text { to = h.magic.to, body = "x", from = "918000000001" }))
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/918000000001/messages", only_record().uri)
  end)

  it("cuts refs to 255 characters on a character boundary and maps unknown wa_source to api", function()
    local long = string.rep("é", 300) -- 600 bytes, 300 characters
    assert(env.client:send_text { to = h.magic.to, body = "x",
      extra_info = { ref = long, ref1 = string.rep("a", 255), wa_source = "myshop" } })
    local x = only_record().json.extra_info
    assert.equals(string.rep("é", 255), x.ref)
    assert.equals(string.rep("a", 255), x.ref1)
    assert.is_nil(x.ref2)
    assert.equals("api", x.wa_source)
  end)

  it("keeps every documented wa_source", function()
    for _, source in ipairs { "clevertap", "zoho", "webengage", "shopify", "leadsquared", "responsys",
      "braze", "hubspot", "salesforce", "zapier", "eloqua", "moengage" } do
      env.sandbox:clear()
      assert(env.client:send_text { to = h.magic.to, body = "x", extra_info = { wa_source = source } })
      assert.equals(source, only_record().json.extra_info.wa_source)
    end
  end)

  it("counts the 4096-character limit in characters, not bytes", function()
    assert(env.client:send_text { to = h.magic.to, body = string.rep("ü", 4096) })
    assert.equals(string.rep("ü", 4096), only_record().json.messaging_object.text.body)
  end)

  describe("validation", function()
    local cases = {
      { "no recipient", { body = "x" }, "to" },
      { "an empty recipient list", { to = {}, body = "x" }, "to" },
      { "a recipient with letters", { to = "+91XXXXXXXXXX", body = "x" }, "to" },
      { "a recipient too short", { to = "+1234567", body = "x" }, "to" },
      { "a recipient too long", { to = "+1234567890123456", body = "x" }, "to" },
      { "a recipient with spaces", { to = "+91 9000000001", body = "x" }, "to" },
      { "a recipient with a path", { to = "+919000000001/../x", body = "x" }, "to" },
      { "a bad second recipient", { to = { "+919000000001", "nope" }, body = "x" }, "to[2]" },
      { "a recipient that is a number", { to = 919000000001, body = "x" }, "to" },
      { "a from with CR LF", { to = "+919000000001", body = "x", from = "+918000000001\r\n" }, "from" },
      { "a missing body", { to = "+919000000001" }, "body" },
      { "an empty body", { to = "+919000000001", body = "" }, "body" },
      { "a body of 4097 characters", { to = "+919000000001", body = string.rep("a", 4097) }, "body" },
      { "a body that is not UTF-8", { to = "+919000000001", body = "caf\xe9" }, "body" },
      { "a body with an overlong encoding", { to = "+919000000001", body = "\xc0\xaf" }, "body" },
      { "a body with a NUL byte", { to = "+919000000001", body = "a\0b" }, "body" },
      { "a body that is a table", { to = "+919000000001", body = {} }, "body" },
      { "preview_url as a string", { to = "+919000000001", body = "x", preview_url = "false" }, "preview_url" },
      { "extra_info not a table", { to = "+919000000001", body = "x", extra_info = "ref" }, "extra_info" },
      { "a ref that is not UTF-8", { to = "+919000000001", body = "x", extra_info = { ref = "\xff" } }, "extra_info.ref" },
      { "a ref that is a number", { to = "+919000000001", body = "x", extra_info = { ref1 = 7 } }, "extra_info.ref1" },
    }
    for _, case in ipairs(cases) do
      it("refuses " .. case[1] .. ", naming " .. case[3] .. ", and sends nothing", function()
        local res, err = env.client:send_text(case[2])
        assert.is_nil(res)
        assert.equals("validation", err.kind)
        assert.equals(case[3], err.field)
        assert.is_false(err.retryable)
        assert.is_false(err.sent)
        assert.is_nil(err.status)
        assert.equals("validation (" .. case[3] .. "): " .. err.message, tostring(err))
        -- the same message behind an __index is read by name, not walked:
        -- the same error either way
        local _, by_name = env.client:send_text(setmetatable({}, { __index = case[2] }))
        assert.same({ err.kind, err.field, err.message }, { by_name.kind, by_name.field, by_name.message })
        assert.same({}, env.sandbox:records())
      end)
    end

    it("needs a from when the client has none", function()
      local c = h.client(env.sandbox, { from = h.NONE })
      local _, err = c:send_text { to = h.magic.to, body = "x" }
      c:close()
      assert.equals("validation", err.kind)
      assert.equals("from", err.field)
      assert.same({}, env.sandbox:records())
    end)

    it("raises on a non-table message and on unknown fields", function()
      assert.has_error(function() env.client:send_text("hi") end)
      assert.has_error(function() env.client:send_text { to = h.magic.to, bdy = "x" } end,
        "send_text: unknown field 'bdy'")
      assert.has_error(function() env.client:send_text { to = h.magic.to, body = "x", extra_info = { reff = "x" } } end,
        "extra_info: unknown field 'reff'")
      assert.same({}, env.sandbox:records())
    end)

    -- The binding walks the keys once, matching each to a field; these
    -- are the cases where a key is not one (or the table has a metatable)
    -- and the fields are read by name instead.
    it("finds an unknown field whatever else the message holds", function()
      local to, c = h.magic.to, env.client
      local function raises(msg, want)
        assert.has_error(function() c:send_text(msg) end, want)
      end
      raises({ to = to, body = 42, bdy = "x" }, "send_text: unknown field 'bdy'") -- before the bad value
      raises({ to = to, body = "x", extra_info = { ref = 1, reff = "x" } }, "extra_info: unknown field 'reff'")
      raises({ to = to, body = "x", "positional" }, "send_text: field names must be strings, got a number")
      raises({ to = to, body = "x", preview_url = false, bdy = "x" }, "send_text: unknown field 'bdy'")
      raises(setmetatable({ to = to, bdy = "x" }, { __index = { body = "x" } }), "send_text: unknown field 'bdy'")
      raises({ to = to, body = "x", op = "text" }, "send_text: unknown field 'op'") -- only send_many items
      raises({ to = to, body = "x", extra_info = { [1] = "r" } }, "extra_info: field names must be strings, got a number")
      -- a name with a NUL byte is not the name before it
      raises({ to = to, body = "x", ["body\0x"] = "y" }, "send_text: unknown field 'body' (its name holds a NUL byte)")
      raises({ to = to, ["to\0"] = "y", body = "x" }, "send_text: unknown field 'to' (its name holds a NUL byte)")
      raises({ to = to, body = "x", extra_info = { ref = "r", ["ref\0"] = "s" } },
        "extra_info: unknown field 'ref' (its name holds a NUL byte)")
      raises({ to = to, body = "x", extra_info = setmetatable({ reff = "x" }, { __index = { ref = "r" } }) },
        "extra_info: unknown field 'reff'")
      assert.same({}, env.sandbox:records())
    end)

    it("reads fields an __index gives, as before", function()
      local msg = setmetatable({ to = h.magic.to }, { __index = { body = "from a metatable" } })
      local res, err = env.client:send_text(msg)
      assert.is_nil(err)
      assert.truthy(res.message_id)
      assert.equals("from a metatable", only_record().json.messaging_object.text.body)
    end)
  end)

  describe("documented failures", function()
    local function failure(overrides, msg)
      local c = h.client(env.sandbox, overrides)
      local res, err = c:send_text(msg or { to = h.magic.to, body = "x" })
      c:close()
      assert.is_nil(res)
      return err
    end

    it("maps RBC001 for a wrong API key to auth", function()
      local err = failure { api_key = "Bwrongkey" }
      assert.equals("auth", err.kind)
      assert.equals(401, err.status)
      assert.equals("RBC001", err.code)
      assert.equals("Incorrect SID or API key.", err.message)
      assert.same({ error = "Incorrect SID or API key." }, err.details)
      assert.is_false(err.retryable)
      assert.equals("RBC001 (401): Incorrect SID or API key.", tostring(err))
      assert.is_nil(tostring(err):find("Bwrongkey", 1, true))
    end)

    it("maps RBC001 for an unknown SID to auth", function()
      local err = failure { sid = "HXAP16XXXXXX00XX" }
      assert.equals("auth", err.kind)
      assert.equals("RBC001", err.code)
    end)

    it("maps WA401 for a number outside the account to auth", function()
      local err = failure { from = "+918000000099" }
      assert.equals("auth", err.kind)
      assert.equals(401, err.status)
      assert.equals("WA401", err.code)
      assert.equals("Phone number is not present or does not belong to the account.", err.message)
      assert.same({ phone_number = err.message }, err.details)
    end)

    it("maps WA-401 for a number on another API version to auth", function()
      local err = failure { from = h.magic.from_other_version }
      assert.equals("auth", err.kind)
      assert.equals("WA-401", err.code)
      assert.matches("different Version of our WA API", err.message, 1, true)
      assert.equals(err.message, err.details.phone_number)
    end)

    it("maps WA-401 for an account without API access to auth", function()
      local err = failure { sid = h.magic.sid_no_api }
      assert.equals("auth", err.kind)
      assert.equals("WA-401", err.code)
      assert.equals("API is not available for given customer.Please contact support for more info", err.message)
      assert.equals(err.message, err.details.account)
    end)

    it("maps E110 to balance", function()
      local err = failure(nil, { to = h.magic.to_low_balance, body = "x" })
      assert.equals("balance", err.kind)
      assert.equals(400, err.status)
      assert.equals("E110", err.code)
      assert.equals("Please check your balance, You have a low balance!", err.message)
      assert.is_false(err.retryable)
    end)

    it("maps WA500 to a retryable server error", function()
      local err = failure(nil, { to = h.magic.to_server_error, body = "x" })
      assert.equals("server", err.kind)
      assert.equals(500, err.status)
      assert.equals("WA500", err.code)
      assert.equals("Please try again later", err.message)
      assert.same({ error = "Internal server error" }, err.details)
      assert.is_true(err.retryable)
      assert.is_true(err.sent)
    end)

    it("maps WA400 to payload", function()
      local err = failure(nil, { to = h.magic.to_bad_payload, body = "x" })
      assert.equals("payload", err.kind)
      assert.equals(400, err.status)
      assert.equals("WA400", err.code)
      assert.equals("Refer to correct payload format", err.message)
      assert.same({ payload = "Incorrect payload format" }, err.details)
      assert.is_false(err.retryable)
    end)
  end)
end)
