-- spec/50-publish_flow_spec.lua - env.client:publish_flow: path, no body,
-- the documented success and failures.
local h = require "spec.helpers"

describe("client:publish_flow", function()
  local env = h.env { client = true }
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  it("POSTs to /v2/<sid>/whatsapp/<flow_id>/publish with no body", function()
    local res, err = env.client:publish_flow(h.magic.flow_id)
    assert.is_nil(err)
    assert.same({ status = 200, success = true, attempts = 1, body = { success = true } }, res)
    local records = env.sandbox:records()
    assert.equals(1, #records)
    assert.equals("POST", records[1].method)
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. h.magic.flow_id .. "/publish", records[1].uri)
    assert.is_true(records[1].body == nil or records[1].body == "")
    assert.equals(h.creds.api_key, records[1].headers["api-key"])
    assert.equals("application/json", records[1].headers["content-type"])
  end)

  local function failure(flow_id, overrides)
    local c = h.client(env.sandbox, overrides)
    local res, err = c:publish_flow(flow_id)
    c:close()
    assert.is_nil(res)
    return err
  end

  it("maps RBC001 to auth", function()
    local err = failure(h.magic.flow_id, { api_key = "Bwrong" })
    assert.equals("auth", err.kind)
    assert.equals("RBC001", err.code)
    assert.equals(401, err.status)
  end)

  it("maps WA-401 for an account without API access, whose error is a string", function()
    local err = failure(h.magic.flow_id, { sid = h.magic.sid_no_api })
    assert.equals("auth", err.kind)
    assert.equals("WA-401", err.code)
    assert.equals("API is not available for given customer.Please contact support for more info", err.message)
    assert.equals(err.message, err.details)
  end)

  it("maps WA-401 for a flow_id outside the account", function()
    local err = failure(h.magic.flow_id_unknown)
    assert.equals("auth", err.kind)
    assert.equals("WA-401", err.code)
    assert.equals("The flow_id either does not exist or does not belong to the account.", err.message)
    assert.equals(err.message, err.details.flow_id)
  end)

  it("maps WA-400 to payload", function()
    local err = failure(h.magic.flow_id_bad_payload)
    assert.equals("payload", err.kind)
    assert.equals("WA-400", err.code)
    assert.equals(400, err.status)
    assert.same({ payload = "Incorrect payload format" }, err.details)
  end)

  it("maps WA-500 to a retryable server error", function()
    local err = failure(h.magic.flow_id_server_error)
    assert.equals("server", err.kind)
    assert.equals("WA-500", err.code)
    assert.equals(500, err.status)
    assert.is_true(err.retryable)
    assert.equals("WA-500 (500): Please try again later", tostring(err))
  end)

  it("refuses a flow_id that is not all digits and sends nothing", function()
    for _, id in ipairs { "", "112x", "../../x", "1?a=b", "1#", "1%2F", "1\r\nX: y" } do
      local res, err = env.client:publish_flow(id)
      assert.is_nil(res)
      assert.equals("validation", err.kind)
      assert.equals("flow_id", err.field)
    end
    assert.same({}, env.sandbox:records())
  end)

  it("raises when flow_id is neither a string nor a table", function()
    assert.has_error(function() env.client:publish_flow() end)
    assert.has_error(function() env.client:publish_flow(true) end)
  end)

  it("takes its fields as a table too, and names flow_id when it is missing", function()
    local res, err = env.client:publish_flow {}
    assert.is_nil(res)
    assert.equals("validation", err.kind)
    assert.equals("flow_id", err.field)
    res = assert(env.client:publish_flow { flow_id = h.magic.flow_id })
    assert.is_true(res.success)
  end)
end)
