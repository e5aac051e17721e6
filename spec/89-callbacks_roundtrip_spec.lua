-- spec/89-callbacks_roundtrip_spec.lua - the whole return path, locally:
-- a send reaches the sandbox, which calls back (sandbox/standin_callback.lua)
-- the README's nginx receiver (examples/openresty/callbacks.lua, through
-- spec/support/callbacks.conf.in) with Basic authentication; the events
-- that on_events sees carry the ref and the message_id the send returned.
-- A Flow sent to the documented test number comes back as an nfm_reply.
local h = require "spec.helpers"
local rxs = require "spec.support.callbacks_receiver"
local socket = require "socket"

local function by(events, pred)
  local list = {}
  for _, ev in ipairs(events) do
    if pred(ev) then list[#list + 1] = ev end
  end
  return list
end

-- Waits (bounded) until pred holds for `n` events; returns them.
local function wait_for(rx, n, pred)
  local deadline = socket.gettime() + 10
  repeat
    local list = by(rxs.events(rx), pred)
    if #list >= n then return list end
    socket.sleep(0.05)
  until socket.gettime() > deadline
  return by(rxs.events(rx), pred)
end

describe("callbacks round trip (sandbox -> nginx receiver)", function()
  local rx, sandbox, client
  setup(function()
    rx = rxs.start()
    sandbox = assert(h.launcher.start { callback = ("http://%s:%s@127.0.0.1:%d/kaleyra/callbacks"):format(
      rx.user, rx.password, rx.port) })
    client = h.client(sandbox)
  end)
  teardown(function()
    if client then client:close() end
    if sandbox then sandbox:stop() end
    if rx then rx:stop() end
  end)

  it("send_text with a ref comes back as sent, delivered and read with that ref and the send's message_id", function()
    local res = assert(client:send_text { to = h.magic.to, body = "hello", extra_info = { ref = "order-42", ref1 = "r1" } })
    local events = wait_for(rx, 3, function(ev) return ev.message_id == res.message_id end)
    local statuses = {}
    for _, ev in ipairs(events) do
      assert.equals("status", ev.event)
      assert.equals("order-42", ev.ref)
      assert.equals("r1", ev.ref1)
      assert.equals(h.magic.to:gsub("^%+", ""), ev.recipient)
      statuses[ev.status] = (statuses[ev.status] or 0) + 1
    end
    assert.same({ sent = 1, delivered = 1, read = 1 }, statuses)
  end)

  it("send_flow to the test number comes back as an nfm_reply with the decoded response and the flow_token", function()
    local res = assert(client:send_flow { to = h.magic.to_flow_reply, body = "Book a table",
      flow = { flow_id = h.magic.flow_id, flow_cta = "Book!", flow_token = "booking-42", flow_action = "navigate",
        flow_action_payload = { screen = "WELCOME", data = { party_size = 2, name = "Ada" } } } })
    local replies = wait_for(rx, 1, function(ev) return ev.event == "message" and ev.type == "interactive" end)
    assert.equals(1, #replies)
    local ev = replies[1]
    assert.equals("booking-42", ev.flow.token)
    assert.same({ flow_token = "booking-42", party_size = 2, name = "Ada" }, ev.flow.response)
    assert.equals("wamid.SANDBOX" .. res.message_id, ev.context.id)
    assert.equals(h.magic.to_flow_reply:gsub("^%+", ""), ev.from)
    assert.equals("Sandbox User", ev.name)
  end)

  it("a CTA URL message gets a text reply", function()
    local res = assert(client:send_cta_url { to = h.magic.to, body = "See it", display_text = "Open",
      url = "https://example.com/x" })
    local replies = wait_for(rx, 1, function(ev)
      return ev.event == "message" and ev.type == "text" and ev.context and ev.context.id == "wamid.SANDBOX" .. res.message_id
    end)
    assert.equals(1, #replies)
    assert.equals("Thanks, I opened the link.", replies[1].text)
  end)

  it("the documented failure numbers come back as failed and not-sent", function()
    local failed = assert(client:send_text { to = h.magic.to_failed, body = "x" })
    local not_sent = assert(client:send_text { to = h.magic.to_not_sent, body = "x" })
    local f = wait_for(rx, 2, function(ev) return ev.message_id == failed.message_id end)
    local n = wait_for(rx, 1, function(ev) return ev.message_id == not_sent.message_id end)
    table.sort(f, function(a, b) return a.status > b.status end)
    assert.same({ "sent", "failed" }, { f[1].status, f[2].status })
    assert.equals(131026, f[2].errors[1].code)
    assert.equals("not-sent", n[1].status)
    assert.equals("WAV2101", n[1].errors[1].code)
  end)

  it("records each callback the sandbox made", function()
    local recs = by(sandbox:records(), function(r) return r.callback ~= nil end)
    assert.is_true(#recs >= 3)
    for _, r in ipairs(recs) do assert.equals(200, r.status) end
  end)
end)

describe("the sandbox's callback option", function()
  it("refuses a URL that is not loopback http", function()
    local s, err = h.launcher.start { callback = "http://10.0.0.1:80/x" }
    assert.is_nil(s)
    assert.matches("loopback", err)
    assert.has_error(function() h.launcher.start { callback = "https://127.0.0.1/x" } end)
  end)
end)
