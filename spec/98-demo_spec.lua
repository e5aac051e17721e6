-- spec/98-demo_spec.lua - `make demo`'s script (examples/demo.lua) run as
-- the Makefile runs it, inside sandbox/sandbox --run: every operation of
-- the registry has an example there, and each one succeeds against the
-- stand-in except the one invalid message it shows on purpose.
local h = require "spec.helpers"

describe("examples/demo.lua", function()
  it("sends every operation of the registry, and only the invalid one fails", function()
    local code, out = h.run("LUA_PATH='lua/?.lua;;' LUA_CPATH='build/lua/?.so;;' "
      .. "lua5.4 sandbox/sandbox --run lua5.4 examples/demo.lua")
    assert.equals(0, code, out)
    assert.is_nil(out:find("no example in examples/demo.lua", 1, true), out)
    local errors = {}
    for title, line in out:gmatch("== ([^\n]+)\n(error:[^\n]*)") do errors[#errors + 1] = title .. ": " .. line end
    assert.same({ "an invalid message (nothing is sent): error: validation (body): "
      .. "body must be 1 to 4096 characters, got 0" }, errors)
    for _, op in ipairs(h.whatsapp.ops) do
      assert.truthy(out:find("== " .. op.method, 1, true), op.method)
    end
  end)
end)
