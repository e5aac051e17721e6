-- spec/64-event_loop_spec.lua - the engine's two ways to wait: libcurl
-- waits itself (the default, and the only way without epoll or with
-- KWA_EVENT_LOOP=poll, where fd() is nil), or, once a host asks for
-- fd(), libcurl's sockets go to an epoll descriptor (KWA_EVENT_LOOP=epoll
-- starts that way). The environment is read when a client is made, so
-- each run is a child process; the epoll run repeats the send, fault,
-- retry and send_many specs the descriptor's way.
local h = require "spec.helpers"

local LUA = "lua5.4"

-- Runs a Lua chunk with the given KWA_EVENT_LOOP; returns its output.
local function with_loop(loop, chunk)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(chunk)
  f:close()
  local env = loop and ("KWA_EVENT_LOOP=" .. loop .. " ") or "env -u KWA_EVENT_LOOP "
  local code, out = h.run(env .. LUA .. " " .. path)
  os.remove(path)
  assert.equals(0, code, out)
  return out
end

local FD = [[
  package.path = "lua/?.lua;" .. package.path
  package.cpath = "build/lua/?.so;" .. package.cpath
  local w = require "kaleyra.whatsapp"
  local c = assert(w.new { sid = "HXAP16XXXXXX97IN", api_key = "A0000000000000000000000000000003",
    from = "+918000000001", base_url = "http://127.0.0.1:9" })
  print(tostring(c:fd()))
  c:close()
]]

describe("the event-loop backend", function()
  it("is epoll by default on Linux: client:fd() is a descriptor", function()
    local out = with_loop(nil, FD)
    assert.matches("^%d+%s*$", out)
  end)

  it("has no descriptor with KWA_EVENT_LOOP=poll: client:fd() is nil, timeout() paces the host", function()
    local out = with_loop("poll", FD)
    assert.equals("nil", (out:gsub("%s+$", "")))
  end)

  it("sends, retries and runs send_many the same with libcurl's sockets on the descriptor", function()
    local code, out = h.run("KWA_EVENT_LOOP=epoll " .. LUA .. " $(command -v busted) "
      .. "spec/20-send_text_spec.lua spec/63-faults_spec.lua spec/65-retry_spec.lua "
      .. "spec/80-send_many_spec.lua")
    local passed, failed = out:match("(%d+) passed, (%d+) failed%s*$")
    assert.equals(0, code, out)
    assert.equals("0", failed, out)
    assert.is_true(tonumber(passed) > 40, out)
  end)
end)
