-- spec/10-client_spec.lua - creating, printing and closing clients.
local h = require "spec.helpers"
local whatsapp = h.whatsapp

describe("whatsapp.new", function()
  it("returns a client for valid options, with region defaulting to in", function()
    local c, err = whatsapp.new { sid = h.creds.sid, api_key = h.creds.api_key }
    assert.is_nil(err)
    assert.equals("userdata", type(c))
    c:close()
  end)

  it("accepts every documented region", function()
    for _, region in ipairs { "in", "sg", "eu", "na" } do
      local c = assert(whatsapp.new { sid = "SID1", api_key = "k", region = region })
      c:close()
    end
  end)

  local bad = {
    { "sid missing", { sid = h.NONE }, "sid" },
    { "sid not alphanumeric", { sid = "HX/../x" }, "sid" },
    { "sid not a string", { sid = 42 }, "sid" },
    { "api_key missing", { api_key = h.NONE }, "api_key" },
    { "api_key with a space", { api_key = "A 1" }, "api_key" },
    { "api_key with CR LF", { api_key = "A1\r\nX-Evil: 1" }, "api_key" },
    { "api_key with non-ASCII", { api_key = "Aé" }, "api_key" },
    { "region unknown", { base_url = h.NONE, region = "us" }, "region" },
    { "from not E.164", { from = "+91 800" }, "from" },
    { "from too short", { from = "+1234567" }, "from" },
    { "base_url not http(s)", { base_url = "ftp://127.0.0.1" }, "base_url" },
    { "plain http to a non-loopback host", { base_url = "http://example.com" }, "base_url" },
    { "plain http to a look-alike host", { base_url = "http://127.0.0.1.example.com" }, "base_url" },
    { "base_url with credentials", { base_url = "https://user:pw@example.com" }, "base_url" },
    { "base_url with a query", { base_url = "https://example.com/?a=1" }, "base_url" },
    { "timeout zero", { timeout = 0 }, "timeout" },
    { "timeout negative", { timeout = -1 }, "timeout" },
    { "timeout NaN", { timeout = 0 / 0 }, "timeout" },
    { "timeout a string", { timeout = "5" }, "timeout" },
    { "connect_timeout too large", { connect_timeout = 1e9 }, "connect_timeout" },
    { "ca_file empty", { ca_file = "" }, "ca_file" },
  }
  for _, case in ipairs(bad) do
    it("refuses " .. case[1] .. " with a config error naming " .. case[3], function()
      local c, err = whatsapp.new(h.options({ url = "http://127.0.0.1:9" }, case[2]))
      assert.is_nil(c)
      assert.equals("config", err.kind)
      assert.equals(case[3], err.field)
      assert.is_string(err.message)
      assert.is_false(err.retryable)
      assert.matches("^config %(" .. case[3] .. "%): ", tostring(err))
      assert.is_nil(tostring(err):find(h.creds.api_key, 1, true))
    end)
  end

  it("accepts plain http to loopback names and IPv6 loopback", function()
    for _, url in ipairs { "http://localhost:8080", "http://127.0.0.1", "http://[::1]:9/prefix/" } do
      local c = assert(whatsapp.new(h.options({ url = url })))
      c:close()
    end
  end)

  it("raises on a non-table argument and on an unknown option", function()
    assert.has_error(function() whatsapp.new("sid") end)
    assert.has_error(function() whatsapp.new(h.options(nil, { api_kye = "x" })) end,
      "whatsapp.new: unknown field 'api_kye'")
  end)
end)

describe("tostring(client)", function()
  it("names the SID and never the API key", function()
    local c = h.client(nil, { base_url = "http://127.0.0.1:9" })
    local s = tostring(c)
    assert.matches("kaleyra.whatsapp.Client", s, 1, true)
    assert.matches(h.creds.sid, s, 1, true)
    assert.is_nil(s:find(h.creds.api_key, 1, true))
    c:close()
    assert.equals("kaleyra.whatsapp.Client (closed)", tostring(c))
  end)
end)

describe("client:close", function()
  it("is idempotent, and a closed client raises on use", function()
    local c = h.client(nil, { base_url = "http://127.0.0.1:9" })
    c:close()
    c:close()
    assert.has_error(function() c:send_text { to = "+919000000001", body = "x" } end,
      "attempt to use a closed kaleyra.whatsapp.Client")
    assert.has_error(function() c:publish_flow("1") end,
      "attempt to use a closed kaleyra.whatsapp.Client")
  end)

  it("runs for a to-be-closed variable", function()
    local kept
    do
      local c <close> = h.client(nil, { base_url = "http://127.0.0.1:9" })
      kept = c
    end
    assert.equals("kaleyra.whatsapp.Client (closed)", tostring(kept))
  end)

  it("is what the garbage collector runs for an unreachable client", function()
    local weak = setmetatable({}, { __mode = "v" })
    weak[1] = h.client(nil, { base_url = "http://127.0.0.1:9" })
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak[1])
  end)
end)

describe("whatsapp.env_options", function()
  -- Runs a Lua 5.4 snippet with the given environment; returns its output.
  local function with_env(vars, code)
    local parts = {}
    for k, v in pairs(vars) do parts[#parts + 1] = k .. "=" .. h.launcher.shell_quote(v) end
    local p = assert(io.popen("env -u KALEYRA_SID -u KALEYRA_API_KEY -u KALEYRA_FROM"
      .. " -u KALEYRA_REGION -u KALEYRA_BASE_URL LUA_PATH='lua/?.lua;;' LUA_CPATH='build/lua/?.so;;' "
      .. table.concat(parts, " ")
      .. " lua5.4 -e " .. h.launcher.shell_quote(code) .. " 2>&1"))
    local out = p:read("a")
    p:close()
    return out
  end

  local dump = [[
    local w = require "kaleyra.whatsapp"
    local o = w.env_options(OVERRIDES)
    local keys = {}
    for k, v in pairs(o) do keys[#keys + 1] = k .. "=" .. tostring(v) end
    table.sort(keys)
    io.write(table.concat(keys, " "))]]

  it("reads the KALEYRA_* variables, empty ones counting as unset", function()
    local out = with_env({ KALEYRA_SID = "SID1", KALEYRA_API_KEY = "K1", KALEYRA_FROM = "+918000000001",
      KALEYRA_REGION = "", KALEYRA_BASE_URL = "http://127.0.0.1:9" }, dump:gsub("OVERRIDES", "nil"))
    assert.equals("api_key=K1 base_url=http://127.0.0.1:9 from=+918000000001 sid=SID1", out)
  end)

  it("lets overrides win, and a nil override change nothing", function()
    local out = with_env({ KALEYRA_SID = "SID1", KALEYRA_API_KEY = "K1" },
      (dump:gsub("OVERRIDES", "{ sid = 'SID2', from = nil, timeout = 5 }")))
    assert.equals("api_key=K1 sid=SID2 timeout=5", out)
  end)
end)
