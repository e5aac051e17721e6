-- spec/91-callbacks_nginx_spec.lua - the README's callback receiver
-- (examples/openresty/callbacks.lua, kaleyra.whatsapp.receiver) in real
-- nginx with the LuaJIT build: Basic authentication (401, logged without
-- the secret), 200 at once with the events handed to on_events in a timer
-- (a slow on_events does not delay the answer), redeliveries of a
-- (message id, status) dropped, 400 (logged) for bodies that are not JSON
-- or are over 1 MiB, 405 for GET. nginx runs spec/support/callbacks.conf.in.
local h = require "spec.helpers"
local rxs = require "spec.support.callbacks_receiver"
local socket = require "socket"

local function status_body(id, status, ref)
  return h.json.encode {
    meta_object = { field = "messages", value = { messaging_product = "whatsapp",
      metadata = { display_phone_number = "918000000001", phone_number_id = "1046" },
      statuses = { { id = "0123", status = status, timestamp = "1722834665", recipient_id = "919000000001" } } } },
    extra_info = { ref = ref or "r-1", ref1 = "", ref2 = "", waba_id = "347", message_id = "wamid." .. id },
    status = status, message_id = id,
  }
end

describe("the callback receiver in nginx", function()
  local rx
  setup(function() rx = rxs.start() end)
  teardown(function() if rx then rx:stop() end end)

  it("examples/openresty/callbacks.conf is accepted by nginx", function()
    local code, out = h.run("/usr/sbin/nginx -t -p \"$PWD/\" -c examples/openresty/callbacks.conf -e stderr")
    assert.equals(0, code, out)
  end)

  it("answers 200 and hands the events to on_events", function()
    local status, body = rxs.authorized(rx, status_body("A100", "sent"))
    assert.equals(200, status)
    assert.equals("ok\n", body)
    local events = rxs.wait_events(rx, 1)
    assert.equals(1, #events)
    assert.equals("status", events[1].event)
    assert.equals("sent", events[1].status)
    assert.equals("A100", events[1].message_id)
    assert.equals("r-1", events[1].ref)
  end)

  it("drops a redelivery of the same (message id, status), not the next status", function()
    local before = #rxs.events(rx)
    assert.equals(200, (rxs.authorized(rx, status_body("A200", "delivered"))))
    assert.equals(200, (rxs.authorized(rx, status_body("A200", "delivered"))))
    assert.equals(200, (rxs.authorized(rx, status_body("A200", "read"))))
    rxs.wait_events(rx, before + 2)
    socket.sleep(0.2) -- a wrongly kept redelivery would show up by now
    local events = rxs.events(rx)
    local seen = {}
    for i = before + 1, #events do seen[#seen + 1] = events[i].message_id .. " " .. events[i].status end
    assert.same({ "A200 delivered", "A200 read" }, seen)
  end)

  it("answers before a slow on_events has finished", function()
    local before = #rxs.events(rx)
    assert.equals(200, (rxs.authorized(rx, status_body("A300", "sent", "slow"))))
    assert.equals(before, #rxs.events(rx)) -- on_events is still sleeping
    assert.equals(before + 1, #rxs.wait_events(rx, before + 1))
  end)

  it("answers 401 for a wrong password or none, logs why, never the secret", function()
    local before = #rxs.events(rx)
    assert.equals(401, (rxs.post(rx, status_body("A400", "sent"), { Authorization = rxs.basic(rx.user, "wrong-pw") })))
    assert.equals(401, (rxs.post(rx, status_body("A400", "sent"))))
    assert.equals(401, (rxs.post(rx, status_body("A400", "sent"), { Authorization = "Bearer " .. rx.password })))
    socket.sleep(0.2)
    assert.equals(before, #rxs.events(rx))
    local log = rxs.error_log(rx)
    assert.matches("401: wrong user or password", log, 1, true)
    assert.matches("401: no Authorization header", log, 1, true)
    assert.is_nil(log:find(rx.password, 1, true))
    assert.is_nil(log:find("wrong-pw", 1, true))
  end)

  it("answers 400 (logged) for a body that is not JSON, and for one over 1 MiB", function()
    assert.equals(400, (rxs.authorized(rx, "hello")))
    assert.matches("400: callback (body): body is not valid JSON", rxs.error_log(rx), 1, true)
    assert.equals(400, (rxs.authorized(rx, "{" .. string.rep(" ", 1024 * 1024) .. "}")))
    assert.matches("400: body is larger than 1048576 bytes", rxs.error_log(rx), 1, true)
    assert.equals(400, (rxs.authorized(rx, '{"meta_object": "x"}')))
  end)

  it("answers 405 to GET", function()
    assert.equals(405, (rxs.post(rx, nil, nil, "GET")))
  end)
end)
