-- spec/80-send_many_spec.lua - env.client:send_many: order, per-item errors,
-- progress, the concurrency limit as the stand-in sees it, streaming, and
-- an error raised in a callback.
local h = require "spec.helpers"

describe("client:send_many", function()
  local env = h.env { client = true }
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  local function texts(n)
    local list = {}
    for i = 1, n do list[i] = { to = h.magic.to, body = "message " .. i } end
    return list
  end

  it("answers each item in its own slot, in order", function()
    local results = env.client:send_many(texts(25))
    assert.equals(25, #results)
    local records = env.sandbox:records()
    assert.equals(25, #records)
    local by_id = {}
    for _, rec in ipairs(records) do by_id[rec.message_id] = rec.json.messaging_object.text.body end
    for i, r in ipairs(results) do
      assert.is_true(r.ok)
      assert.equals(202, r.status)
      assert.equals("WA202", r.code)
      assert.equals("message " .. i, by_id[r.message_id])
    end
  end)

  it("sends every operation named by op, text by default", function()
    local results = env.client:send_many {
      { to = h.magic.to, body = "plain" },
      { op = "text", to = h.magic.to, body = "text" },
      { op = "cta_url", to = h.magic.to, body = "b", display_text = "Go", url = "https://example.com" },
      { op = "flow", to = h.magic.to, body = "b", flow = { flow_id = "1", flow_cta = "Go" } },
    }
    for i = 1, 4 do assert.is_true(results[i].ok) end
    local kinds = {}
    for _, rec in ipairs(env.sandbox:records()) do
      local mo = rec.json.messaging_object
      kinds[#kinds + 1] = mo.type == "interactive" and mo.interactive.type or mo.type
    end
    table.sort(kinds)
    assert.same({ "cta_url", "flow", "text", "text" }, kinds)
  end)

  it("fails an invalid item alone, in its slot, sending nothing for it", function()
    local results = env.client:send_many {
      { to = h.magic.to, body = "first" },
      { to = "+91XX", body = "bad number" },
      "not a table",
      { to = h.magic.to, bdy = "typo" },
      { op = "no_such_op", to = h.magic.to },
      { to = h.magic.to_low_balance, body = "answered E110" },
      { to = h.magic.to, body = "last" },
    }
    assert.equals(7, #results)
    assert.is_true(results[1].ok)
    assert.equals("validation", results[2].error.kind)
    assert.equals("to", results[2].error.field)
    assert.equals("validation", results[3].error.kind)
    assert.equals("item", results[3].error.field)
    assert.equals("validation", results[4].error.kind)
    assert.matches("unknown field 'bdy'", results[4].error.message, 1, true)
    assert.equals("op", results[5].error.field)
    assert.equals("balance", results[6].error.kind)
    assert.equals("E110", results[6].error.code)
    assert.is_true(results[7].ok)
    assert.equals(3, #env.sandbox:records())
  end)

  it("reports progress once per item with the total", function()
    local calls = {}
    env.client:send_many(texts(10), { on_progress = function(done, total) calls[#calls + 1] = { done, total } end })
    assert.equals(10, #calls)
    for i, c in ipairs(calls) do assert.same({ i, 10 }, c) end
  end)

  it("never has more than `concurrency` requests in flight at the stand-in", function()
    local slow = h.client(env.sandbox, { base_url = env.sandbox.url .. "/fault/slow-150" })
    local results = slow:send_many(texts(12), { concurrency = 3 })
    slow:close()
    local max = 0
    for _, rec in ipairs(env.sandbox:records()) do max = math.max(max, rec.inflight) end
    assert.equals(3, max)
    for _, r in ipairs(results) do assert.is_true(r.ok) end
  end)

  it("streams items from an iterator and results to on_result, keeping none", function()
    local i, seen = 0, {}
    local summary = env.client:send_many(function()
      i = i + 1
      if i <= 30 then return { to = h.magic.to, body = "n" .. i } end
    end, { on_result = function(index, r) seen[index] = r.ok end, concurrency = 4 })
    assert.same({ total = 30, ok = 30, failed = 0 }, summary)
    for k = 1, 30 do assert.is_true(seen[k]) end
    assert.equals(30, #env.sandbox:records())
  end)

  it("returns an empty list for an empty list", function()
    assert.same({}, env.client:send_many {})
    assert.same({}, env.sandbox:records())
  end)

  it("re-raises an error from a callback after the messages in flight finish", function()
    local progress = 0
    local ok, err = pcall(env.client.send_many, env.client, texts(20), {
      concurrency = 2,
      on_progress = function(done)
        progress = done
        if done == 3 then error("stop here") end
      end,
    })
    assert.is_false(ok)
    assert.matches("stop here", err)
    -- nothing new started after the error; what was in flight finished
    local sent = #env.sandbox:records()
    assert.is_true(sent >= 3 and sent <= 4)
    assert.equals(3, progress)
    -- and the client still works
    assert(env.client:send_text { to = h.magic.to, body = "after" })
  end)

  it("raises on bad arguments", function()
    assert.has_error(function() env.client:send_many("x") end)
    assert.has_error(function() env.client:send_many({}, { concurrency = 0 }) end)
    assert.has_error(function() env.client:send_many({}, { rate = -1 }) end)
    assert.has_error(function() env.client:send_many({}, { speed = 1 }) end, "send_many: unknown field 'speed'")
  end)
end)
