-- spec/47-interrupt_spec.lua - whatsapp.catch_interrupts: Ctrl-C becomes
-- one value, whatsapp.interrupted, that programs compare by identity, in
-- plain Lua code and inside a callback the engine runs. Each case is a
-- child lua5.4 that sends SIGINT to itself.
local h = require "spec.helpers"

local PRELUDE = [[
  package.path = "lua/?.lua;" .. package.path
  package.cpath = "build/lua/?.so;" .. package.cpath
  local w = require "kaleyra.whatsapp"
  local pid = assert(io.open("/proc/self/stat")):read("n")
  w.catch_interrupts()
  -- system() ignores SIGINT while it waits, so the kill comes a moment later
  local function interrupt_me() os.execute("(sleep 0.2; kill -INT " .. pid .. ") &") end
  local function spin() local t = os.clock(); while os.clock() - t < 5 do end end
]]

local function child(body)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(PRELUDE, body)
  f:close()
  local code, out = h.run("lua5.4 " .. path)
  os.remove(path)
  return code, out
end

describe("whatsapp.catch_interrupts", function()
  it("makes SIGINT raise whatsapp.interrupted, a value", function()
    local code, out = child [[
      local ok, e = pcall(function()
        interrupt_me()
        spin()
      end)
      print(ok, e == w.interrupted, tostring(e))
    ]]
    assert.equals(0, code, out)
    assert.equals("false\ttrue\tinterrupted\n", out)
  end)

  it("passes the same value out of a callback the engine ran", function()
    local code, out = child [[
      local c = assert(w.new { sid = "HXAP16XXXXXX97IN", api_key = "A0000000000000000000000000000003",
        from = "+918000000001", base_url = "http://127.0.0.1:9", retries = 0 })
      local ok, e = pcall(c.send_many, c, { { to = "+919000000001", body = "x" } }, {
        on_result = function() interrupt_me(); spin() end,
      })
      print(ok, e == w.interrupted)
    ]]
    assert.equals(0, code, out)
    assert.equals("false\ttrue\n", out)
  end)

  it("stops send_many when its iterator is interrupted, raising the value, not failing an item", function()
    local code, out = child [[
      local c = assert(w.new { sid = "HXAP16XXXXXX97IN", api_key = "A0000000000000000000000000000003",
        from = "+918000000001", base_url = "http://127.0.0.1:9", retries = 0 })
      local n, results = 0, 0
      local ok, e = pcall(c.send_many, c, function()
        n = n + 1
        if n == 2 then error(w.interrupted) end
        if n < 4 then return { to = "+919000000001", body = "x" } end
      end, { on_result = function() results = results + 1 end })
      print(ok, e == w.interrupted, results)
    ]]
    assert.equals(0, code, out)
    assert.equals("false\ttrue\t1\n", out)
  end)
end)
