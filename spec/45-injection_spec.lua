-- spec/45-injection_spec.lua - hostile input never reaches the wire.
-- CR/LF (header injection) and '/', '?', '#', '%', '..' (path injection) in
-- api_key, sid, from, to and flow_id are refused with a config or
-- validation error naming the field, and the stand-in records nothing.
-- Huge strings, huge tables and huge bodies are refused quickly, never a
-- hang or a crash.
local h = require "spec.helpers"

local NASTY = {
  { "CR LF", "\r\nX-Injected: 1" },
  { "LF", "\nX-Injected: 1" },
  { "a slash", "/../../admin" },
  { "a question mark", "?x=1" },
  { "a hash", "#frag" },
  { "a percent escape", "%2F%0d%0a" },
  { "a dot-dot segment", ".." },
  { "a NUL byte", "\0tail" },
}

-- Every one of these must end with nothing on the wire.
describe("hostile input", function()
  local sandbox

  setup(function() sandbox = h.start() end)
  teardown(function() sandbox:stop() end)
  before_each(function() sandbox:clear() end)
  after_each(function() assert.same({}, sandbox:records()) end)

  local function assert_error(kind, field, res, err)
    assert.is_nil(res)
    assert.is_table(err, "expected an error")
    assert.equals(kind, err.kind)
    assert.equals(field, err.field)
    assert.is_false(err.sent)
    assert.is_false(err.retryable)
    assert.is_nil(tostring(err):find(h.creds.api_key, 1, true))
  end

  describe("in client options", function()
    for _, case in ipairs(NASTY) do
      it("refuses " .. case[1] .. " in api_key, sid and from", function()
        local good = h.creds
        local tries = {
          { "api_key", good.api_key .. case[2] },
          { "api_key", case[2] .. good.api_key },
          { "sid", good.sid .. case[2] },
          { "from", good.from .. case[2] },
        }
        for _, try in ipairs(tries) do
          local c, err = h.whatsapp.new(h.options(sandbox, { [try[1]] = try[2] }))
          assert_error("config", try[1], c, err)
          assert.is_nil(err.message:find(try[2], 1, true), "the error repeats the bad value")
        end
      end)
    end

    it("refuses CR/LF and URL syntax in base_url", function()
      for _, tail in ipairs { "\r\nX-Injected: 1", "/?q=1", "/#x", "/%2e%2e/", "/../v1", "/./x" } do
        local c, err = h.whatsapp.new(h.options(sandbox, { base_url = sandbox.url .. tail }))
        assert_error("config", "base_url", c, err)
      end
    end)
  end)

  describe("in messages", function()
    local client
    setup(function() client = h.client(sandbox) end)
    teardown(function() client:close() end)

    for _, case in ipairs(NASTY) do
      it("refuses " .. case[1] .. " in to, from, a recipient list and flow_id", function()
        local to, v = h.magic.to, case[2]
        assert_error("validation", "to", client:send_text { to = to .. v, body = "x" })
        assert_error("validation", "to[2]", client:send_text { to = { to, v .. to }, body = "x" })
        assert_error("validation", "from", client:send_text { to = to, from = h.creds.from .. v, body = "x" })
        assert_error("validation", "flow_id", client:publish_flow(h.magic.flow_id .. v))
        assert_error("validation", "flow.flow_id", client:send_flow {
          to = to, body = "b", flow = { flow_id = h.magic.flow_id .. v, flow_cta = "Go" } })
        assert_error("validation", "to", client:send_cta_url {
          to = v, body = "b", display_text = "Go", url = "https://example.com" })
        assert_error("validation", "messaging_object.to", client:send {
          messaging_object = { to = to .. v, type = "text", text = { body = "x" } } })
        assert_error("validation", "from", client:send {
          from = v, messaging_object = { to = to, type = "text", text = { body = "x" } } })
      end)
    end

    it("refuses them in send_many items and in build(), which sends nothing either", function()
      local results = client:send_many {
        { to = h.magic.to .. "\r\nX: 1", body = "x" },
        { to = h.magic.to, from = "../" .. h.creds.from, body = "x" },
      }
      assert.equals("to", results[1].error.field)
      assert.equals("from", results[2].error.field)
      local req, err = client:build("publish", "1/../../x")
      assert_error("validation", "flow_id", req, err)
    end)

    it("escapes CR/LF in body text and refs inside the JSON, leaving headers alone", function()
      local res = assert(client:send_text { to = h.magic.to, body = "line 1\r\nX-Injected: 1",
        extra_info = { ref = "a\r\nX-Injected: 2" } })
      assert.equals(202, res.status)
      local rec = sandbox:records()[1]
      assert.is_nil(rec.headers["x-injected"])
      assert.equals("line 1\r\nX-Injected: 1", rec.json.messaging_object.text.body)
      assert.equals("a\r\nX-Injected: 2", rec.json.extra_info.ref)
      assert.matches("\\r\\n", rec.body, 1, true)
      sandbox:clear() -- this one was meant to be sent
    end)
  end)

  describe("of huge size", function()
    local client
    setup(function() client = h.client(sandbox) end)
    teardown(function() client:close() end)

    local MiB = 1024 * 1024
    local big = string.rep("x", MiB + 1)

    local function flow_with(data)
      return { to = h.magic.to, body = "b",
        flow = { flow_id = h.magic.flow_id, flow_cta = "Go", flow_action_payload = { screen = "S", data = data } } }
    end

    -- a bound on CPU time that holds under valgrind too (about 0.1 s natively)
    local function quickly(f)
      local t0 = os.clock()
      local res, err = f()
      assert.is_true(os.clock() - t0 < 10, "took " .. (os.clock() - t0) .. " s of CPU")
      return res, err
    end

    it("refuses a string over 1 MiB in a passthrough table, naming its path", function()
      local _, err = quickly(function() return client:send_flow(flow_with { notes = { big } }) end)
      assert_error("validation", "flow.flow_action_payload.data.notes[1]", nil, err)
      assert.matches("longer than 1 MiB", err.message, 1, true)
    end)

    it("refuses a table whose JSON would pass 1 MiB, naming the item that crosses", function()
      local items = {}
      for i = 1, 300000 do items[i] = "item number " .. i end
      local _, err = quickly(function() return client:send_flow(flow_with { items = items }) end)
      assert.equals("validation", err.kind)
      assert.matches("^flow%.flow_action_payload%.data%.items%[%d+%]$", err.field)
      assert.matches("longer than 1 MiB", err.message, 1, true)
      _, err = quickly(function()
        return client:send { messaging_object = { to = h.magic.to, type = "text", text = { body = "x", pad = items } } }
      end)
      assert.equals("validation", err.kind)
      assert.matches("^messaging_object%.text%.pad%[%d+%]$", err.field)
    end)

    it("refuses a message whose passthrough tables add up to more than 1 MiB", function()
      local half = string.rep("y", MiB // 2 + 16)
      local _, err = quickly(function()
        return client:send_flow { to = h.magic.to, body = "b",
          header = { type = "image", image = { link = "https://example.com/a.png", caption = half } },
          flow = { flow_id = h.magic.flow_id, flow_cta = "Go", flow_token = "t",
                   flow_action_payload = { screen = "S", data = { pad = half } } } }
      end)
      assert_error("validation", "message", nil, err)
    end)

    it("refuses bodies, recipients and refs of 1 MiB and more", function()
      assert_error("validation", "body",
        quickly(function() return client:send_text { to = h.magic.to, body = big } end))
      assert_error("validation", "to", quickly(function() return client:send_text { to = big, body = "x" } end))
      assert_error("validation", "flow_id", quickly(function() return client:publish_flow(string.rep("1", MiB)) end))
      assert_error("validation", "display_text", quickly(function()
        return client:send_cta_url { to = h.magic.to, body = "b", display_text = big, url = "https://example.com" }
      end))
    end)

    it("refuses a list of more than 1000 recipients", function()
      local many = {}
      for i = 1, 1001 do many[i] = string.format("+91900%07d", i) end
      local _, err = client:send_text { to = many, body = "x" }
      assert.equals("validation", err.kind)
      assert.equals("to", err.field)
    end)
  end)
end)
