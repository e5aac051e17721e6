-- spec/29-lazy_body_spec.lua - a success's res.body is decoded only when
-- read (issue 13): the same value as before, once, kept in the table;
-- pairs(res) lists the other fields until then; it works for answers that
-- are not JSON, with every transport's results, and after the client is
-- closed and collected.
local h = require "spec.helpers"

local whatsapp = h.whatsapp
local ACCEPTED = '{"code":"WA202","message":"Request Accepted",'
  .. '"data":{"message_id":"A0000000000000000000"},"error":{}}'

local function keys(t)
  local list = {}
  for k in pairs(t) do list[#list + 1] = k end
  table.sort(list)
  return list
end

describe("res.body", function()
  it("is decoded when read, to the same table as before", function()
    local res = assert(whatsapp.parse("text", 202, ACCEPTED))
    assert.same({ "attempts", "code", "message", "message_id", "status" }, keys(res))
    assert.same({
      code = "WA202", message = "Request Accepted",
      data = { message_id = "A0000000000000000000" }, error = {},
    }, res.body)
    assert.same(whatsapp.json_decode(ACCEPTED), res.body)
  end)

  it("is decoded once: reading it twice gives the same table, which pairs(res) then lists", function()
    local res = assert(whatsapp.parse("text", 202, ACCEPTED))
    local body = res.body
    assert.equals(body, res.body)
    assert.equals(body, rawget(res, "body"))
    assert.same({ "attempts", "body", "code", "message", "message_id", "status" }, keys(res))
    body.data.extra = true -- a table of the caller's, like any other
    assert.is_true(res.body.data.extra)
  end)

  it("is the answer's text when a 2xx answer is not JSON", function()
    local doc = '{\n"code":"WA202"\n"message":"Request Accepted",\n"data":{\n'
      .. '"message_id":"AXXXXXXXXXXXXXXXXXXX"\n}\n"error":{}\n}'
    local res = assert(whatsapp.parse("text", 202, doc))
    assert.equals("WA202", res.code)
    assert.equals("AXXXXXXXXXXXXXXXXXXX", res.message_id)
    assert.equals(doc, res.body)
    assert.equals("OK", assert(whatsapp.parse("text", 200, "OK")).body)
  end)

  it("is nil for an empty answer, and other missing keys stay nil", function()
    local res = assert(whatsapp.parse("text", 204, ""))
    assert.is_nil(res.body)
    assert.is_nil(res.code)
    assert.is_nil(res.anything)
    assert.is_nil(res[1])
    assert.same({ "attempts", "status" }, keys(res))
  end)

  it("is lazy for every answer kind but json, whose result is the answer itself", function()
    local done = assert(whatsapp.parse("mark_read", 200, '{"success": true}'))
    assert.same({ "attempts", "status", "success" }, keys(done))
    assert.same({ success = true }, done.body)
    local up = assert(whatsapp.parse("upload", 200, '{"id":"1234"}'))
    assert.same({ "attempts", "id", "status" }, keys(up))
    assert.same({ id = "1234" }, up.body)
    local flow = assert(whatsapp.parse("get_flow", 200, '{"id":"F1","name":"n"}'))
    assert.same({ id = "F1", name = "n" }, flow)
    assert.is_nil(getmetatable(flow))
  end)

  it("decodes escapes, nesting and JSON null exactly as before", function()
    local text = '{"code":"WA202","message":"caf\\u00e9","data":{"message_id":"M","list":[1,null,{"a":[]}]}}'
    local res = assert(whatsapp.parse("text", 202, text))
    assert.equals("café", res.message)
    assert.same(whatsapp.json_decode(text), res.body)
    assert.equals(whatsapp.null, res.body.data.list[2])
  end)

  it("is the same table whether the answer is the documented one or differs from it", function()
    -- The documented answer with plain strings is rebuilt from the
    -- result's fields; any other answer is decoded from its bytes.
    local texts = {
      ACCEPTED,
      '{"code":"WA202","message":"Accepted, thanks","data":{"message_id":"A1"},"error":{}}',
      '{"code":"WA202","message":"a\\/b","data":{"message_id":"A1"},"error":{}}',
      '{"code":"WA202","message":"say \\"hi\\"","data":{"message_id":"A1"},"error":{}}',
      '{"code":"WA202","message":"m","data":{"message_id":"A1","x":1},"error":{}}',
      '{"code":"WA202","message":"m","data":{"message_id":"A1"},"error":{"p":1}}',
      '{"code":"WA202","message":"m","data":{"message_id":"A1"},"error":{}} ',
      '{"code": "WA202","message":"m","data":{"message_id":"A1"},"error":{}}',
      '{"code":"WA202","message":"","data":{"message_id":"A1"},"error":{}}',
      '{"code":"WA202","message":"m","data":{"message_id":"A1"}}',
    }
    for _, text in ipairs(texts) do
      local res = assert(whatsapp.parse("text", 202, text))
      assert.same(whatsapp.json_decode(text), res.body, text)
      assert.equals(res.body, rawget(res, "body"))
    end
  end)

  it("rebuilds the documented answer from the result's own fields when first read", function()
    local res = assert(whatsapp.parse("text", 202, ACCEPTED))
    res.message_id = "changed before reading"
    assert.equals("changed before reading", res.body.data.message_id)
    assert.same({}, res.body.error)
  end)

  it("keeps errors as they were: body and details decoded at once", function()
    local _, err = whatsapp.parse("text", 400, '{"code":"WA400","message":"m","error":{"p":"x"}}')
    assert.same({ p = "x" }, err.details)
    assert.same({ code = "WA400", message = "m", error = { p = "x" } }, rawget(err, "body"))
    local _, flag = whatsapp.parse("mark_read", 200, '{"success": false}')
    assert.same({ success = false }, rawget(flag, "body"))
  end)

  it("can be set by the caller before it is read", function()
    local res = assert(whatsapp.parse("text", 202, ACCEPTED))
    res.body = "mine"
    assert.equals("mine", res.body)
  end)

  describe("from a client", function()
    local env = h.env()
    setup(env.start)
    teardown(env.stop)

    it("survives the client: closed and collected before body is read", function()
      local c = h.client(env.sandbox)
      local res = assert(c:send_text { to = h.magic.to, body = "hi" })
      local submitted = {}
      for i = 1, 2 do
        assert(c:submit("text", { to = h.magic.to, body = "s" }, function(r) submitted[i] = r end))
      end
      for _ = 1, 100 do
        if c:pending() == 0 then break end
        c:poll(0.1)
      end
      c:close()
      c = nil -- luacheck: ignore 311
      collectgarbage()
      collectgarbage()
      assert.equals(res.message_id, res.body.data.message_id)
      assert.equals(2, #submitted)
      for _, r in ipairs(submitted) do
        assert.equals(r.message_id, r.body.data.message_id)
      end
    end)

    it("is the documents' non-JSON 202 text over the wire", function()
      local res = assert(env.send_via("docs-202"))
      assert.equals("string", type(res.body))
      assert.matches('"code":"WA202"', res.body, 1, true)
    end)

    it("outlives many collections of other results", function()
      local c = h.client(env.sandbox)
      local kept = assert(c:send_text { to = h.magic.to, body = "keep" })
      for _ = 1, 20 do
        local r = assert(c:send_text { to = h.magic.to, body = "x" })
        assert.equals(r.message_id, r.body.data.message_id)
        collectgarbage()
      end
      c:close()
      assert.equals(kept.message_id, kept.body.data.message_id)
    end)
  end)
end)
