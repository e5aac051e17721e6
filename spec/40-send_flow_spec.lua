-- spec/40-send_flow_spec.lua - env.client:send_flow: the document's sample on
-- the wire, Meta's parameters passed through, flow rules, JSON limits.
local h = require "spec.helpers"
local whatsapp = h.whatsapp

describe("client:send_flow", function()
  local env = h.env { client = true }
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  local function flow(overrides)
    local f = {
      flow_token = "AQAAAAACS5FpgQ_cAAAAAD0QI3s.",
      flow_id = "1120000000000207",
      flow_cta = "Book!",
      flow_action = "navigate",
      flow_action_payload = {
        screen = "WELCOME",
        data = { product_name = "name", product_description = "description", product_price = 100 },
      },
    }
    for k, v in pairs(overrides or {}) do
      if v == h.NONE then f[k] = nil else f[k] = v end
    end
    return f
  end

  local function message(flow_params, overrides)
    local msg = {
      to = h.magic.to,
      header = "Flow message header",
      body = "Flow message body",
      footer = "Flow message footer",
      flow = flow_params,
      extra_info = { ref = "customer1", ref1 = "marketing", ref2 = "dictionary", wa_source = "api" },
    }
    for k, v in pairs(overrides or {}) do
      if v == h.NONE then msg[k] = nil else msg[k] = v end
    end
    return msg
  end

  local function sent_parameters()
    local records = env.sandbox:records()
    assert.equals(1, #records)
    return records[1].json.messaging_object.interactive.action.parameters
  end

  it("sends the API document's sample, flow_message_version defaulting to \"3\"", function()
    local res, err = env.client:send_flow(message(flow()))
    assert.is_nil(err)
    assert.equals(202, res.status)
    assert.same(h.fixture("flow"), env.sandbox:records()[1].json)
  end)

  it("keeps a given flow_message_version, flow_name and mode", function()
    assert(env.client:send_flow(message(flow { flow_id = h.NONE, flow_name = "booking", mode = "draft",
      flow_message_version = "4" })))
    local p = sent_parameters()
    assert.equals("4", p.flow_message_version)
    assert.equals("booking", p.flow_name)
    assert.equals("draft", p.mode)
    assert.is_nil(p.flow_id)
  end)

  it("writes whatsapp.null as null and array-marked tables as arrays", function()
    assert(env.client:send_flow(message(flow { flow_action_payload = {
      screen = "WELCOME",
      data = { none = whatsapp.null, empty = whatsapp.array(), list = { 1, 2.5, "x", true }, obj = {} },
    } })))
    local rec = env.sandbox:records()[1]
    assert.matches('"none":null', rec.body, 1, true)
    assert.matches('"empty":[]', rec.body, 1, true)
    assert.matches('"obj":{}', rec.body, 1, true)
    assert.same({ 1, 2.5, "x", true }, sent_parameters().flow_action_payload.data.list)
  end)

  it("writes integers up to 2^53 exactly", function()
    assert(env.client:send_flow(message(flow { flow_action_payload = {
      screen = "WELCOME", data = { id = 9007199254740991, neg = -1234567890123456, small = 42 },
    } })))
    local body = env.sandbox:records()[1].body
    assert.matches('"id":9007199254740991', body, 1, true)
    assert.matches('"neg":-1234567890123456', body, 1, true)
    assert.matches('"small":42', body, 1, true)
  end)

  describe("validation", function()
    local cycle = {}
    cycle.self = cycle
    local deep = {}
    local node = deep
    for _ = 1, 40 do node.next = {}; node = node.next end

    local cases = {
      { "a missing flow", message(nil), "flow" },
      { "a flow that is a string", message("x"), "flow" },
      { "both flow_id and flow_name", message(flow { flow_name = "x" }), "flow.flow_id" },
      { "neither flow_id nor flow_name", message(flow { flow_id = h.NONE }), "flow.flow_id" },
      { "a flow_id with letters", message(flow { flow_id = "112abc" }), "flow.flow_id" },
      { "a flow_id with a path", message(flow { flow_id = "1/../2" }), "flow.flow_id" },
      { "a flow_id that is a number", message(flow { flow_id = 112 }), "flow.flow_id" },
      { "a missing flow_cta", message(flow { flow_cta = h.NONE }), "flow.flow_cta" },
      { "a flow_cta of 31 characters", message(flow { flow_cta = string.rep("c", 31) }), "flow.flow_cta" },
      { "an unknown flow_action", message(flow { flow_action = "open" }), "flow.flow_action" },
      { "an unknown mode", message(flow { mode = "live" }), "flow.mode" },
      { "an empty data table", message(flow { flow_action_payload = { screen = "A", data = {} } }),
        "flow.flow_action_payload.data" },
      { "data that is a string", message(flow { flow_action_payload = { data = "x" } }),
        "flow.flow_action_payload.data" },
      { "a payload that is a list", message(flow { flow_action_payload = { 1, 2 } }), "flow.flow_action_payload" },
      { "a cycle", message(flow { flow_action_payload = { data = cycle } }),
        "flow.flow_action_payload.data.self" },
      { "nesting past 32 levels", message(flow { flow_action_payload = { data = deep } }), nil },
      { "NaN", message(flow { flow_action_payload = { data = { x = 0 / 0 } } }), "flow.flow_action_payload.data.x" },
      { "infinity", message(flow { flow_action_payload = { data = { x = math.huge } } }),
        "flow.flow_action_payload.data.x" },
      { "an integer past 2^53", message(flow { flow_action_payload = { data = { x = math.maxinteger } } }),
        "flow.flow_action_payload.data.x" },
      { "a sparse array", message(flow { flow_action_payload = { data = { x = { 1, nil, 3 } } } }),
        "flow.flow_action_payload.data.x" },
      { "mixed keys", message(flow { flow_action_payload = { data = { x = { 1, a = 2 } } } }),
        "flow.flow_action_payload.data.x" },
      { "a boolean key", message(flow { flow_action_payload = { data = { [true] = 1 } } }),
        "flow.flow_action_payload.data" },
      { "a function value", message(flow { flow_action_payload = { data = { f = print } } }),
        "flow.flow_action_payload.data.f" },
      { "invalid UTF-8 in a value", message(flow { flow_token = "\xff\xfe" }), "flow.flow_token" },
      { "invalid UTF-8 in a key", message(flow { flow_action_payload = { data = { ["\xff"] = 1 } } }),
        "flow.flow_action_payload.data" },
      { "a missing body", message(flow(), { body = h.NONE }), "body" },
      { "a footer of 61 characters", message(flow(), { footer = string.rep("f", 61) }), "footer" },
    }
    for _, case in ipairs(cases) do
      it("refuses " .. case[1] .. " and sends nothing", function()
        local res, err = env.client:send_flow(case[2])
        assert.is_nil(res)
        assert.equals("validation", err.kind)
        if case[3] then
          assert.equals(case[3], err.field)
        else
          assert.matches("^flow%.flow_action_payload%.data", err.field)
        end
        assert.same({}, env.sandbox:records())
      end)
    end

    it("raises on unknown fields", function()
      assert.has_error(function() env.client:send_flow(message(flow(), { flow_id = "1" })) end,
        "send_flow: unknown field 'flow_id'")
    end)
  end)
end)
