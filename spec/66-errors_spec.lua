-- spec/66-errors_spec.lua - every documented send error
-- (templates-media-read.md, section 6) maps to its kind, retryable flag
-- and message through a whole client: the documents' bodies over a
-- transport function, and WAV2101 and Meta's throttling through the
-- stand-in's magic recipients. WAV2101 (the daily limit) is rate_limit
-- but not retryable and never retried automatically, even under 429.
-- luacheck: no max line length (the bodies are quoted whole from the documents)
local h = require "spec.helpers"

local DOCS = {
  { "RBC001", 401, [[{"code": "RBC001", "message": "Incorrect SID or API key.", "data": [], "error": {"error": "Incorrect SID or API key."}}]],
    "auth", false },
  { "WA401", 401, [[{"code": "WA401", "message": "Phone number is not present or does not belong to the account.", "data": {}, "error": {"phone_number": "Phone number is not present or does not belong to the account."}}]],
    "auth", false },
  { "WA400", 400, [[{"code": "WA400", "message": "Refer to correct payload format", "data": {}, "error": {"payload": "Incorrect payload format"}}]],
    "payload", false },
  { "WA500", 500, [[{"code": "WA500", "message": "Please try again later", "data": {}, "error": {"error": "Internal server error"}}]],
    "server", true },
  { "E110", 400, [[{"code": "E110", "message": "Please check your balance, You have a low balance!", "data": {}, "error": {"balance": "Please check your balance, You have a low balance!"}}]],
    "balance", false },
  { "WA-401", 401, [[{"code": "WA-401", "message": "API is not available for given customer.Please contact support for more info", "data": {}, "error": {"account": "API is not available for given customer.Please contact support for more info"}}]],
    "auth", false },
  { "WA-401", 401, [[{"code": "WA-401", "message": "The phone number you're using is associated with different Version of our WA API. Please use the appropriate endpoint.", "data": {}, "error": {"phone_number": "The phone number you're using is associated with different Version of our WA API. Please use the appropriate endpoint."}}]],
    "auth", false },
  { "WAV2101", 429, [[{"code": "WAV2101", "message": "Account daily limit reached", "data": {}, "error": {}}]],
    "rate_limit", false },
  { "Meta 4", 400, [[{"code": "WA400", "message": "m", "data": {}, "error": {"code": 4, "message": "(#4) Application request limit reached"}}]],
    "rate_limit", true },
  { "Meta 80007", 400, [[{"code": "WA400", "message": "m", "data": {}, "error": {"code": 80007, "message": "Rate limit issues"}}]],
    "rate_limit", true },
  { "Meta 130429", 400, [[{"code": "WA400", "message": "m", "data": {}, "error": {"code": 130429, "message": "Rate limit hit"}}]],
    "rate_limit", true },
}

describe("documented send errors", function()
  for _, row in ipairs(DOCS) do
    local name, status, body, kind, retryable = table.unpack(row)
    it(name .. " (" .. status .. ") is " .. kind .. (retryable and ", retryable" or ", not retryable"), function()
      local calls = 0
      local c = h.client(nil, { base_url = "https://api.in.kaleyra.io", transport = function()
        calls = calls + 1
        return { status = status, body = body, headers = { ["Retry-After"] = "0" } }
      end })
      local res, err = c:send_text { to = h.magic.to, body = "hi" }
      c:close()
      assert.is_nil(res)
      assert.equals(kind, err.kind)
      assert.equals(retryable, err.retryable)
      assert.equals(status, err.status)
      assert.equals(1, calls) -- none of these is retried automatically
      if name == "WAV2101" then
        assert.equals("WAV2101", err.code)
        assert.matches("resets daily", err.message, 1, true)
        assert.matches("resets daily", tostring(err), 1, true)
      end
    end)
  end

  describe("through the stand-in", function()
    local env = h.env { client = true }
    setup(env.start)
    teardown(env.stop)
    before_each(env.clear)

    it("answers WAV2101 to the daily-limit recipient: rate_limit, not retried", function()
      local res, err = env.client:send_text { to = h.magic.to_daily_limit, body = "hi" }
      assert.is_nil(res)
      assert.equals("rate_limit", err.kind)
      assert.equals("WAV2101", err.code)
      assert.equals(429, err.status)
      assert.is_false(err.retryable)
      assert.matches("resets daily", err.message, 1, true)
      assert.equals(1, #env.sandbox:records())
    end)

    it("answers Meta's 130429 in details to the throttled recipient: rate_limit, retryable", function()
      local res, err = env.client:send_template { to = h.magic.to_throttled, name = "hello_world", language = "en" }
      assert.is_nil(res)
      assert.equals("rate_limit", err.kind)
      assert.equals("WA400", err.code)
      assert.is_true(err.retryable)
      assert.equals(130429, err.details.code)
    end)

    it("retries nothing in send_many for WAV2101", function()
      local results = env.client:send_many { { to = h.magic.to_daily_limit, body = "a" }, { to = h.magic.to, body = "b" } }
      assert.equals("rate_limit", results[1].error.kind)
      assert.is_true(results[2].ok)
      assert.equals(2, #env.sandbox:records())
    end)
  end)
end)
