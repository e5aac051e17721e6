-- spec/70-c_api_spec.lua - the C API alone: examples/send_text.c, built
-- against kwa.h and libkwa.a only (no Lua), sends to the stand-in.
local h = require "spec.helpers"

local run = h.run

describe("C API (examples/send_text.c)", function()
  local sandbox

  setup(function() sandbox = h.start() end)
  teardown(function() sandbox:stop() end)

  local function env(overrides)
    local vars = { KALEYRA_SID = h.creds.sid, KALEYRA_API_KEY = h.creds.api_key,
      KALEYRA_FROM = h.creds.from, KALEYRA_BASE_URL = sandbox.url }
    for k, v in pairs(overrides or {}) do vars[k] = v end
    local parts = {}
    for k, v in pairs(vars) do parts[#parts + 1] = k .. "=" .. h.launcher.shell_quote(v) end
    return "env " .. table.concat(parts, " ")
  end

  it("sends a text message and prints the message id", function()
    sandbox:clear()
    local code, out = run(env() .. " build/send_text +919000000001 'Hello from C'")
    assert.equals(0, code)
    assert.matches("^accepted A%w+\n$", out)
    local records = sandbox:records()
    assert.equals(1, #records)
    assert.equals("Hello from C", records[1].json.messaging_object.text.body)
    assert.equals(false, records[1].json.messaging_object.text.preview_url)
  end)

  it("reports a Kaleyra error with kind, code and status", function()
    local code, out = run(env { KALEYRA_API_KEY = "Bwrong" } .. " build/send_text +919000000001 hi")
    assert.equals(1, code)
    assert.equals("auth RBC001 (401): Incorrect SID or API key.\n", out)
  end)

  it("reports a validation error without sending", function()
    sandbox:clear()
    local code, out = run(env() .. " build/send_text +91XXXX hi")
    assert.equals(1, code)
    assert.matches("^validation: to must be an E.164 number", out)
    assert.same({}, sandbox:records())
  end)
end)
