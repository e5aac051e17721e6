-- spec/70-c_api_spec.lua - the C API alone: examples/send_text.c,
-- examples/submit_poll.c and examples/call_op.c, built against kwa.h and
-- libkwa.a only (no Lua), send to the stand-in.
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

  it("drives many messages at once with submit and poll (examples/submit_poll.c)", function()
    sandbox:clear()
    local to = { "+919000000001", "+919000000002", "+919000000003", "+919000000004",
      "+919000000005", h.magic.to_low_balance, "+91XX" }
    local code, out = run(env { KALEYRA_BASE_URL = sandbox.url .. "/fault/slow-200" }
      .. " build/submit_poll 'from the loop' " .. table.concat(to, " "))
    assert.equals(1, code) -- two of them fail
    local lines = {}
    for line in out:gmatch("[^\n]+") do lines[line:match("^(%S+)")] = line end
    for i = 1, 5 do assert.matches("^%+91900000000" .. i .. " accepted A%w+$", lines[to[i]]) end
    assert.equals(to[6] .. " balance E110 (400): Please check your balance, You have a low balance!",
      lines[to[6]])
    assert.matches("^%+91XX validation  %(0%): to must be an E.164 number", lines["+91XX"])
    local records, max = sandbox:records(), 0
    assert.equals(6, #records)
    for _, rec in ipairs(records) do max = math.max(max, rec.inflight) end
    assert.is_true(max > 1)
  end)

  it("reaches any registry operation by name: mark_read (examples/call_op.c)", function()
    sandbox:clear()
    local wamid = "wamid.HBgMOTE5NzQwNzc2NTA1FQIAEhggMDI1QjVEMzZGQzE2RDI3QzY2MjU2MTgwQjQ3RDM2NDYA"
    local code, out = run(env() .. " build/call_op mark_read '{\"message_id\": \"" .. wamid .. "\"}'")
    assert.equals(0, code, out)
    assert.equals('ok 200 {"success":true}\n', out)
    local records = sandbox:records()
    assert.equals(1, #records)
    assert.same({ messaging_product = "whatsapp", status = "read", message_id = wamid },
      records[1].json.messaging_object)

    code, out = run(env() .. " build/call_op mark_read '{\"message_id\": \"\"}'")
    assert.equals(1, code)
    assert.matches("^validation %(message_id%): message_id", out)
    code = run(env() .. " build/call_op no_such_op '{}'")
    assert.equals(2, code)
    assert.equals(1, #sandbox:records())
  end)
end)
