-- spec/99-ngx_cache_spec.lua - inside nginx, a client's blocking calls
-- send from a request head the client keeps per URL (kaleyra/whatsapp/
-- ngx.lua's cache): every request still carries its own method, path,
-- Content-Type and its client's api key, whatever was sent before, by
-- this client or by another one in the same worker; more URLs than the
-- cache keeps start it afresh; the key never prints.
--
-- nginx runs spec/support/openresty_app.lua's /sequence route: several
-- clients in one request, calls in a given order. What reached the
-- stand-in is read from its records.
local h = require "spec.helpers"
local ngx_app = require "spec.support.openresty_client"

local OTHER_KEY = "B0000000000000000000000000000042" -- not the account's: answered 401
local OTHER_FROM = "+918000000099"

describe("inside nginx, the cached request heads", function()
  local env = ngx_app.env()
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  local function sequence(clients, calls)
    return ngx_app.post_json(env.app, "/sequence", { clients = clients, calls = calls })
  end

  local function text(client, body)
    return { client = client, method = "send_text", args = { { to = h.magic.to, body = body } } }
  end

  it("follow the URL, method and Content-Type of every call of one client", function()
    local out = sequence({ {} }, {
      text(1, "one"),
      { client = 1, method = "get_flow", args = { h.magic.flow_id } },
      { client = 1, method = "publish_flow", args = { h.magic.flow_id } },
      text(1, "two"),
      { client = 1, method = "get_flow", args = { h.magic.flow_id } },
    })
    -- the stand-in knows this flow for publishing only: get_flow is answered 401
    for _, i in ipairs { 1, 3, 4 } do assert.is_true(out.outcomes[i].ok, "call " .. i) end
    assert.equals(401, out.outcomes[2].error.status)
    local records = env.standin:records()
    assert.equals(5, #records)
    local messages = "/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages"
    local flow = "/v2/" .. h.creds.sid .. "/whatsapp/" .. h.magic.flow_id
    local want = { { "POST", messages }, { "GET", flow }, { "POST", flow .. "/publish" },
      { "POST", messages }, { "GET", flow } }
    for i, w in ipairs(want) do
      assert.equals(w[1], records[i].method, "record " .. i)
      assert.equals(w[2], records[i].path, "record " .. i)
      assert.equals(h.creds.api_key, records[i].headers["api-key"], "record " .. i)
    end
    assert.equals("one", records[1].json.messaging_object.text.body)
    assert.equals("two", records[4].json.messaging_object.text.body)
  end)

  it("are each client's own: another from and another key in the same worker", function()
    local out = sequence({ {}, { from = OTHER_FROM, api_key = OTHER_KEY } }, {
      text(1, "a1"), text(2, "b1"), text(1, "a2"), text(2, "b2"),
    })
    assert.is_true(out.outcomes[1].ok)
    assert.is_true(out.outcomes[3].ok)
    assert.is_false(out.outcomes[2].ok)
    assert.equals(401, out.outcomes[2].error.status)
    local records = env.standin:records()
    assert.equals(4, #records)
    local mine = "/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages"
    local other = "/v2/" .. h.creds.sid .. "/whatsapp/" .. OTHER_FROM .. "/messages"
    for i, w in ipairs { { mine, h.creds.api_key }, { other, OTHER_KEY }, { mine, h.creds.api_key },
      { other, OTHER_KEY } } do
      assert.equals(w[1], records[i].path, "record " .. i)
      assert.equals(w[2], records[i].headers["api-key"], "record " .. i)
    end
    -- the key never prints: not in the clients, their caches or the errors
    for i = 1, 2 do
      assert.equals("kaleyra.whatsapp.ngx cache", out.caches[i])
      assert.is_nil(out.clients[i]:find(OTHER_KEY, 1, true))
      assert.is_nil(out.clients[i]:find(h.creds.api_key, 1, true))
    end
    for _, o in ipairs { out.outcomes[2], out.outcomes[4] } do
      assert.is_nil(o.error.text:find(OTHER_KEY, 1, true))
      assert.is_nil(o.error.message:find(OTHER_KEY, 1, true))
    end
  end)

  it("start afresh past 64 URLs and still send each call to its own", function()
    local calls = {}
    for i = 1, 70 do
      calls[i] = { client = 1, method = "get_flow", args = { ("11200000000%05d"):format(i) } }
    end
    calls[71] = text(1, "after")
    calls[72] = { client = 1, method = "get_flow", args = { ("11200000000%05d"):format(1) } }
    sequence({ {} }, calls)
    local records = env.standin:records()
    assert.equals(72, #records)
    for i = 1, 70 do
      assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. ("11200000000%05d"):format(i), records[i].path)
    end
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages", records[71].path)
    assert.equals("after", records[71].json.messaging_object.text.body)
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. ("11200000000%05d"):format(1), records[72].path)
  end)

  it("keep a failure to reach the server free of the key", function()
    local port, close_port = h.unanswered_port()
    local out = sequence({ { base_url = "http://127.0.0.1:" .. port, api_key = OTHER_KEY, retries = 0 } },
      { text(1, "nobody") })
    close_port()
    assert.is_false(out.outcomes[1].ok)
    assert.is_nil(out.outcomes[1].error.text:find(OTHER_KEY, 1, true))
  end)
end)
