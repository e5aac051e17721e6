-- spec/90-nonblocking_spec.lua - submit/poll for hosts with their own
-- event loop: many messages in flight, poll never waiting past its
-- timeout, callbacks exactly once, errors and closing.
local h = require "spec.helpers"

describe("client:submit and client:poll", function()
  local env = h.env()
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  -- Polls until nothing is pending, at most `rounds` times.
  local function drain(client, rounds)
    for _ = 1, rounds do
      if client:pending() == 0 then return true end
      client:poll(0.5)
    end
    return client:pending() == 0
  end

  it("drives many messages in flight at once to one callback each", function()
    local client = h.client(env.sandbox, { base_url = env.sandbox.url .. "/fault/slow-200", concurrency = 8 })
    local answers = {}
    for i = 1, 16 do
      assert(client:submit("text", { to = h.magic.to, body = "m" .. i }, function(res, err)
        assert.is_nil(err)
        answers[#answers + 1] = { i, res.message_id }
      end))
    end
    assert.equals(16, client:pending())
    assert.is_true(drain(client, 200))
    client:close()
    assert.equals(16, #answers)
    local max = 0
    for _, rec in ipairs(env.sandbox:records()) do max = math.max(max, rec.inflight) end
    assert.is_true(max > 1 and max <= 8)
  end)

  it("returns from poll at its timeout while an answer is still on its way", function()
    local client = h.client(env.sandbox, { base_url = env.sandbox.url .. "/fault/slow-3000", timeout = 10 })
    local called = false
    assert(client:submit("text", { to = h.magic.to, body = "slow" }, function() called = true end))
    assert.equals(0, client:poll(0.05))
    assert.equals(0, client:poll(0))
    assert.is_false(called)
    assert.equals(1, client:pending())
    client:close() -- cancels it: the callback is not called after close
    assert.is_false(called)
  end)

  -- libcurl waits itself until a host asks for a descriptor; from then on
  -- its sockets go to the descriptor, including those of messages already
  -- in flight. If one were missed, its answer would never wake poll and
  -- the message would end as a timeout.
  it("asked for the descriptor with messages in flight, still gets their answers", function()
    local client = h.client(env.sandbox, { base_url = env.sandbox.url .. "/fault/slow-300",
      concurrency = 4, timeout = 20, retries = 0 })
    local results = {}
    for i = 1, 4 do
      assert(client:submit("text", { to = h.magic.to, body = "m" .. i }, function(res, err)
        results[#results + 1] = res or err
      end))
    end
    client:poll(0) -- all four are sent now
    assert.is_true(math.type(client:fd()) == "integer")
    for _ = 1, 40 do
      if client:pending() == 0 then break end
      client:poll(10)
    end
    client:close()
    assert.equals(4, #results)
    for _, r in ipairs(results) do assert.equals(202, r.status) end
  end)

  it("gives a host what it needs to wait: a descriptor and a timeout", function()
    local client = h.client(env.sandbox)
    assert.is_true(math.type(client:fd()) == "integer" and client:fd() >= 0)
    assert.is_nil(client:timeout())
    assert(client:submit("publish", h.magic.flow_id, function() end))
    assert.is_number(client:timeout())
    assert.is_true(drain(client, 20))
    client:close()
  end)

  it("passes failures to the callback as nil, err", function()
    local client = h.client(env.sandbox)
    local got
    assert(client:submit("text", { to = h.magic.to_low_balance, body = "x" }, function(res, err) got = { res, err } end))
    assert.is_true(drain(client, 20))
    client:close()
    assert.is_nil(got[1])
    assert.equals("E110", got[2].code)
    assert.equals("balance", got[2].kind)
  end)

  it("refuses an invalid message at submit, queueing nothing", function()
    local client = h.client(env.sandbox)
    local res, err = client:submit("cta_url", { to = h.magic.to, body = "b", display_text = "Go", url = "ftp://x" },
      function() error("must not be called") end)
    assert.is_nil(res)
    assert.equals("url", err.field)
    assert.equals(0, client:pending())
    assert.has_error(function() client:submit("sms", {}, function() end) end)
    assert.has_error(function() client:submit("text", { to = h.magic.to, body = "x" }) end)
    client:close()
    assert.same({}, env.sandbox:records())
  end)

  it("re-raises a callback's error from poll after delivering the others", function()
    local client = h.client(env.sandbox)
    local delivered = 0
    for i = 1, 3 do
      assert(client:submit("text", { to = h.magic.to, body = "m" .. i }, function()
        delivered = delivered + 1
        if i == 2 then error("callback " .. i .. " failed") end
      end))
    end
    local raised
    for _ = 1, 20 do
      local ok, err = pcall(client.poll, client, 0.5)
      if not ok then raised = err end
      if client:pending() == 0 then break end
    end
    assert.matches("callback 2 failed", raised)
    assert.equals(3, delivered)
    client:close()
  end)

  it("lets a callback submit more, but not close or drive the client", function()
    local client = h.client(env.sandbox)
    local chained, close_err, poll_err = false, nil, nil
    assert(client:submit("text", { to = h.magic.to, body = "first" }, function()
      assert(client:submit("text", { to = h.magic.to, body = "second" }, function() chained = true end))
      close_err = select(2, pcall(client.close, client))
      poll_err = select(2, pcall(client.poll, client, 0))
    end))
    assert.is_true(drain(client, 40))
    assert.is_true(chained)
    assert.matches("cannot close", close_err)
    assert.matches("cannot drive", poll_err)
    client:close()
    assert.equals(2, #env.sandbox:records())
  end)

  it("frees a client with callbacks pending when it is collected", function()
    local weak = setmetatable({}, { __mode = "v" })
    do
      local client = h.client(env.sandbox, { base_url = env.sandbox.url .. "/fault/slow-2000" })
      assert(client:submit("text", { to = h.magic.to, body = "x" }, function() error("never") end))
      client:poll(0.05)
      weak[1] = client
    end
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak[1])
  end)
end)
