-- spec/65-retry_spec.lua - automatic retries happen only where the message
-- cannot have been accepted (never connected; 429; 503), as
-- doc/reliability.md promises; everything else is left to the caller.
local h = require "spec.helpers"

describe("automatic retries", function()
  local env = h.env()
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  local msg = { to = "+919000000001", body = "hello" }

  local send_via = env.send_via

  it("retries a 429 after its Retry-After, then reports rate_limit", function()
    local _, err = send_via("status-429", { retries = 1 })
    assert.equals("rate_limit", err.kind)
    assert.equals(2, err.attempts)
    assert.equals(1, err.retry_after)
    assert.equals(2, #env.sandbox:records())
  end)

  it("retries a 503 up to the default of 2 retries", function()
    local _, err = send_via("status-503")
    assert.equals("server", err.kind)
    assert.equals(3, err.attempts)
    assert.equals(3, #env.sandbox:records())
  end)

  it("does not retry a 500: the message may have been accepted", function()
    local _, err = send_via("status-500")
    assert.equals(1, err.attempts)
    assert.is_true(err.retryable)
    assert.equals(1, #env.sandbox:records())
  end)

  it("does not retry a timeout after sending", function()
    local _, err = send_via("slow-2000", { timeout = 0.3 })
    assert.equals("timeout", err.kind)
    assert.equals(1, err.attempts)
    assert.equals(1, #env.sandbox:records())
  end)

  it("retries a refused connection, which cannot have delivered anything", function()
    local gone = h.launcher.start()
    local url = gone.url
    gone:stop()
    local c = h.client(nil, { base_url = url })
    local _, err = c:send_text(msg)
    c:close()
    assert.equals("network", err.kind)
    assert.equals(3, err.attempts)
    assert.is_false(err.sent)
  end)

  it("retries nothing with retries = 0", function()
    local _, err = send_via("status-503", { retries = 0 })
    assert.equals(1, err.attempts)
    assert.equals(1, #env.sandbox:records())
  end)

  it("refuses a retries value out of range", function()
    local c, err = h.whatsapp.new(h.options(env.sandbox, { retries = 11 }))
    assert.is_nil(c)
    assert.equals("retries", err.field)
  end)
end)
