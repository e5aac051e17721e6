-- spec/88-cli_callbacks_spec.lua - `kaleyra-wa callbacks parse` (one JSON
-- line per event; exit 65 and a one-line error for a body that is not a
-- callback) and `kaleyra-wa callbacks listen` (a real local receiver in
-- nginx: prints the events a POST with the right Basic credentials brings,
-- refuses others with 401, stops after --count events or --for seconds).
local h = require "spec.helpers"
local rxs = require "spec.support.callbacks_receiver"
local socket = require "socket"

local KWA = "bin/kaleyra-wa"

local function lines(text)
  local list = {}
  for line in text:gmatch("[^\n]+") do list[#list + 1] = line end
  return list
end

describe("kaleyra-wa callbacks parse", function()
  it("prints one JSON line per event", function()
    local code, out = h.run(KWA .. " callbacks parse spec/fixtures/callbacks/09-sent_malformed.txt 2>/dev/null")
    assert.equals(0, code, out)
    local got = lines(out)
    assert.equals(1, #got)
    local ev = assert(h.json.decode(got[1]))
    assert.equals("status", ev.event)
    assert.equals("sent", ev.status)
    assert.equals("campaign_2025_summer_sale", ev.ref)
    assert.matches('^{"event":"status","ref":', got[1])
  end)
  it("reads stdin with -, and gives one line per event of a Meta envelope", function()
    local body = h.json.encode { object = "whatsapp_business_account", entry = { { id = "w", changes = {
      { field = "messages", value = { statuses = { { id = "a", status = "sent" }, { id = "b", status = "read" } } } } } } } }
    local code, out = h.run("printf %s " .. h.launcher.shell_quote(body) .. " | " .. KWA .. " callbacks parse -")
    assert.equals(0, code, out)
    assert.equals(2, #lines(out))
  end)
  it("exits 65 with the error for a body that is not a callback", function()
    local code, out = h.run(KWA .. " callbacks parse spec/fixtures/callbacks/16-quality_get.txt")
    assert.equals(65, code)
    assert.equals("kaleyra-wa: callback (body): body is not valid JSON\n", out)
  end)
  it("exits 66 for a file it cannot read", function()
    assert.equals(66, (h.run(KWA .. " callbacks parse /nonexistent/body.json")))
  end)
end)

describe("kaleyra-wa callbacks listen", function()
  it("prints the events of authorized POSTs as they arrive, and stops after --count", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    local port = (function()
      local s = assert(socket.bind("127.0.0.1", 0))
      local _, p = s:getsockname()
      s:close()
      return tonumber(p)
    end)()
    assert(os.execute(("%s callbacks listen --port %d --basic kal:pw-9 --count 1 --for 20 >%s/out 2>%s/err &")
      :format(KWA, port, dir, dir)))
    local rx = { port = port }
    local deadline = socket.gettime() + 10
    local err
    repeat
      socket.sleep(0.05)
      local f = io.open(dir .. "/err")
      err = f and f:read("a") or ""
      if f then f:close() end
    until err:find("listening", 1, true) or socket.gettime() > deadline
    assert.matches("listening on http://127.0.0.1:" .. port, err, 1, true)
    local body = h.json.encode { status = "read", message_id = "A77", extra_info = { ref = "cli" } }
    assert.equals(401, (rxs.post(rx, body, { Authorization = rxs.basic("kal", "wrong") }, "POST", "/")))
    assert.equals(200, (rxs.post(rx, body, { Authorization = rxs.basic("kal", "pw-9") }, "POST", "/")))
    local out
    repeat
      socket.sleep(0.05)
      local f = io.open(dir .. "/out")
      out = f and f:read("a") or ""
      if f then f:close() end
    until out:find("\n", 1, true) or socket.gettime() > deadline
    local ev = assert(h.json.decode(lines(out)[1]))
    assert.equals("status", ev.event)
    assert.equals("A77", ev.message_id)
    assert.equals("cli", ev.ref)
    -- it stops by itself (--count 1) and takes its nginx with it
    repeat
      socket.sleep(0.1)
    until not socket.connect("127.0.0.1", port) or socket.gettime() > deadline + 10
    assert.is_nil((socket.connect("127.0.0.1", port)))
    os.execute("rm -rf " .. dir)
  end)
end)
