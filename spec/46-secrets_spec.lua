-- spec/46-secrets_spec.lua - the API key never shows: not in
-- tostring(client), not in any error (its text or any of its fields, the
-- answer's body included), not in a built request's tostring, and not in
-- build()'s headers when it is asked to redact (its debug view).
local h = require "spec.helpers"

local KEY = h.creds.api_key

-- Every string reachable from v (keys, values, metatable-free), plus tostring(v).
local function leaks(v, key, seen)
  seen = seen or {}
  if type(v) == "string" then return v:find(key, 1, true) ~= nil end
  if type(v) ~= "table" or seen[v] then return false end
  seen[v] = true
  if tostring(v):find(key, 1, true) then return true end
  for k, x in pairs(v) do
    if leaks(k, key, seen) or leaks(x, key, seen) then return true end
  end
  return false
end

describe("the API key", function()
  local sandbox

  setup(function() sandbox = h.start() end)
  teardown(function() sandbox:stop() end)

  it("is not in tostring(client), open or closed", function()
    local c = h.client(sandbox)
    assert.is_false(leaks(tostring(c), KEY))
    c:close()
    assert.is_false(leaks(tostring(c), KEY))
  end)

  it("is not in config errors, even about the key itself", function()
    for _, bad in ipairs { KEY .. " x", KEY .. "\r\n", KEY .. "/", "é" .. KEY, string.rep(KEY, 9) } do
      local c, err = h.whatsapp.new(h.options(sandbox, { api_key = bad }))
      assert.is_nil(c)
      assert.equals("api_key", err.field)
      assert.is_false(leaks(err, KEY))
      assert.is_false(leaks(err, bad))
    end
    local _, err = h.whatsapp.new(h.options(sandbox, { base_url = "ftp://x" }))
    assert.is_false(leaks(err, KEY))
  end)

  it("is not in any error a send can return", function()
    local errors = {}
    local function collect(overrides, method, message)
      local c = h.client(sandbox, overrides)
      local res, err = c[method](c, message)
      c:close()
      assert.is_nil(res)
      errors[#errors + 1] = err
    end
    local text = { to = h.magic.to, body = "x" }
    collect({}, "send_text", { to = "+91XX", body = "x" })                      -- validation
    collect({ api_key = KEY .. "0" }, "send_text", text)                         -- RBC001 for a wrong key
    collect({}, "send_text", { to = h.magic.to_low_balance, body = "x" })        -- E110
    collect({}, "send_text", { to = h.magic.to_server_error, body = "x" })       -- WA500
    collect({}, "publish_flow", h.magic.flow_id_unknown)                         -- WA-401
    for _, fault in ipairs { "html-502", "bad-json", "cut", "reset", "status-500", "status-429",
                             "status-302", "status-404" } do
      collect({ base_url = sandbox.url .. "/fault/" .. fault, retries = 0 }, "send_text", text)
    end
    collect({ base_url = sandbox.url .. "/fault/slow-2000", timeout = 0.2 }, "send_text", text)
    collect({ base_url = sandbox.url:gsub("^http:", "https:") }, "send_text", text) -- tls
    collect({ base_url = "http://127.0.0.1:9", retries = 0 }, "send_text", text)      -- refused
    assert.equals(16, #errors)
    for _, err in ipairs(errors) do
      assert.is_false(leaks(err, KEY), tostring(err))
    end
  end)

  it("is not in errors from send_many, submit or core.parse", function()
    local c = h.client(sandbox, { base_url = sandbox.url .. "/fault/html-502" })
    local results = c:send_many { { to = h.magic.to, body = "x" }, { to = "bad", body = "x" } }
    assert.is_false(leaks(results, KEY))
    local got
    assert(c:submit("text", { to = h.magic.to, body = "x" }, function(res, err) got = { res, err } end))
    for _ = 1, 100 do
      if got then break end
      c:poll(0.1)
    end
    c:close()
    assert.is_table(got)
    assert.is_false(leaks(got, KEY))
    local _, err = h.whatsapp.parse("text", 401, '{"code":"RBC001","message":"Incorrect SID or API key."}')
    assert.is_false(leaks(err, KEY))
  end)

  it("is not in tostring of a built request, and redacted in its debug view", function()
    local c = h.client(sandbox)
    local req = assert(c:build("text", { to = h.magic.to, body = "x" }))
    assert.equals(KEY, req.headers["api-key"]) -- a Lua transport must send it
    assert.is_false(leaks(tostring(req), KEY))
    local shown = assert(c:build("text", { to = h.magic.to, body = "x" }, true))
    assert.equals("<redacted>", shown.headers["api-key"])
    assert.is_false(leaks(shown, KEY))
    assert.is_false(leaks(tostring(shown), KEY))
    local _, err = c:build("text", { to = "+91XX", body = "x" })
    assert.is_false(leaks(err, KEY))
    c:close()
  end)

  it("is sent in the api-key header only: not in the URL or the body", function()
    sandbox:clear()
    local c = h.client(sandbox)
    assert(c:send_text { to = h.magic.to, body = "x" })
    assert(c:publish_flow(h.magic.flow_id))
    c:close()
    for _, rec in ipairs(sandbox:records()) do
      assert.equals(KEY, rec.headers["api-key"])
      assert.is_false(leaks(rec.uri, KEY))
      assert.is_false(leaks(rec.body or "", KEY))
      local others = 0
      for name, value in pairs(rec.headers) do
        if name ~= "api-key" and leaks(value, KEY) then others = others + 1 end
      end
      assert.equals(0, others)
    end
  end)
end)
