-- spec/59-flow_lifecycle_spec.lua - the Flow lifecycle against the stand-in,
-- through the Lua API (libcurl) and kaleyra-wa flows: create, update,
-- upload (multipart, built by libcurl), get, list, publish, deprecate,
-- delete, and the business public key; what goes on the wire (method,
-- path, query, content type, parts); the documented errors; DRAFT ->
-- PUBLISHED -> DEPRECATED; and the refusal of multipart over Lua transports.
local h = require "spec.helpers"
local cli = require "spec.support.cli"
local status = require "kaleyra.whatsapp.cli.status"

local whatsapp = h.whatsapp

local FLOW_JSON = { version = "6.0", screens = { { id = "WELCOME", title = "Hi", layout = { type = "SingleColumnLayout",
  children = {} } } } }

local PUBLIC_KEY = [[
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArTTgEcR8sSjvOF2omGT1
kgPNT5jEU7i56egbKmCRpDlSphwXBXbC2EGwXPuBWNvA3DWj3t6lZdD3QuGTnyY2
8Jzk/IGakaQC6XBNqOuWuhx5CcvJNEwCxoD249Qk6i9jsh9Ieitz1HtutH8DlrBH
SSMBPmfb+8lq/OghxfbXla7gynbg/+11jczSd72emkcNxheejHyTWjMnBA4Xh3/B
pdyTd1f3w//ZaXiKNU+6s92+sy69TJB3Ffftk2omT5SslHojKpPu+7iiyn1ZHb6s
vNpzvwmRDoIpj6B9Y4t43G+kw52YXeGttQTUM5R4IJJU82xVovQvyJaCj9QblZ97
TwIDAQAB
-----END PUBLIC KEY-----
]]

local env = h.env { client = true }
setup(env.start)
teardown(env.stop)
before_each(env.clear)

local function last(sandbox)
  local records = sandbox:records()
  return records[#records]
end

describe("the Flow lifecycle through the Lua API", function()
  it("goes DRAFT -> PUBLISHED -> DEPRECATED, with each request as the docs give it", function()
    local c = env.client
    local created = assert(c:create_flow { waba_id = "112233", name = "Lifecycle", categories = { "SURVEY" } })
    assert.matches("^%d+$", created.id)
    local id = created.id
    local rec = last(env.sandbox)
    assert.equals("POST", rec.method)
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/112233/flows", rec.uri)
    assert.same({ name = "Lifecycle", categories = { "SURVEY" } }, rec.json)

    local res = assert(c:update_flow(id, { name = "Lifecycle 2", endpoint_uri = "https://example.com/flow" }))
    assert.is_true(res.success)
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. id, last(env.sandbox).uri)

    -- bad JSON is stored with validation errors, and publish refuses it
    local up = assert(c:upload_flow_json(id, "{ not json"))
    assert.is_true(up.success)
    assert.equals(1, #up.validation_errors)
    assert.equals(whatsapp.array_mt, getmetatable(up.validation_errors))
    assert.equals("INVALID_JSON", up.validation_errors[1].error)
    local _, err = c:publish_flow(id)
    assert.equals("payload", err.kind)
    assert.equals("WA-400", err.code)

    up = assert(c:upload_flow_json(id, FLOW_JSON))
    assert.same({}, up.validation_errors)
    rec = last(env.sandbox)
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. id .. "/assets", rec.uri)
    assert.matches("^multipart/form%-data; boundary=", rec.headers["content-type"])
    assert.matches('name="file"; filename="flow.json"', rec.body, 1, true)
    assert.matches('name="asset_type"\r\n\r\nFLOW_JSON', rec.body, 1, true)
    assert.matches('name="name"\r\n\r\nflow.json', rec.body, 1, true)

    local flow = assert(c:get_flow(id))
    assert.same({ id = id, name = "Lifecycle 2", status = "DRAFT", categories = { "SURVEY" }, validation_errors = {} },
      flow)
    flow = assert(c:get_flow(id, { "status", "json_version", "endpoint_uri" }))
    assert.same({ id = id, status = "DRAFT", json_version = "6.0", endpoint_uri = "https://example.com/flow" }, flow)
    rec = last(env.sandbox)
    assert.equals("GET", rec.method)
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. id .. "?fields=status%2Cjson_version%2Cendpoint_uri",
      rec.uri)

    assert.is_true(assert(c:publish_flow(id)).success)
    assert.equals("PUBLISHED", c:get_flow(id, "status").status)
    -- a published Flow cannot be deleted nor get a new JSON, only deprecated
    _, err = c:delete_flow(id)
    assert.equals("payload", err.kind)
    assert.equals("DELETE", last(env.sandbox).method)
    _, err = c:upload_flow_json(id, FLOW_JSON)
    assert.equals("payload", err.kind)
    assert.is_true(assert(c:deprecate_flow(id)).success)
    assert.equals("DEPRECATED", c:get_flow(id, "status").status)
    _, err = c:deprecate_flow(id)
    assert.equals("payload", err.kind)

    local list = assert(c:list_flows { waba_id = "112233", fields = { "name", "status" } })
    assert.same({ { id = id, name = "Lifecycle 2", status = "DEPRECATED" } }, list.data)
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/112233/flows?fields=name%2Cstatus", last(env.sandbox).uri)
  end)

  it("deletes drafts only, and answers the documented errors", function()
    local c = env.client
    local id = assert(c:create_flow { waba_id = "445566", name = "Draft", categories = { "OTHER" } }).id
    local _, err = c:create_flow { waba_id = "445566", name = "Draft", categories = { "OTHER" } }
    assert.equals("payload", err.kind) -- names are unique per WABA
    _, err = c:deprecate_flow(id)
    assert.equals("payload", err.kind) -- a draft is deleted, not deprecated
    assert.is_true(assert(c:delete_flow(id)).success)
    _, err = c:get_flow(id)
    assert.equals("auth", err.kind)
    assert.equals("WA-401", err.code)
    assert.equals("The flow_id either does not exist or does not belong to the account.", err.message)
    local bad = h.client(env.sandbox, { api_key = "wrong" })
    _, err = bad:list_flows("445566")
    assert.equals("RBC001", err.code)
    bad:close()
  end)

  it("clones a Flow's JSON", function()
    local c = env.client
    local src = assert(c:create_flow { waba_id = "7", name = "Source", categories = { "OTHER" } }).id
    assert(c:upload_flow_json(src, FLOW_JSON))
    local copy = assert(c:create_flow { waba_id = "7", name = "Copy", categories = { "OTHER" }, clone_flow_id = src }).id
    assert.equals("6.0", c:get_flow(copy, "json_version").json_version)
  end)

  it("sets and gets the business public key, form-encoded", function()
    local c = env.client
    assert.same({ data = {} }, assert(c:get_flows_public_key()))
    assert.is_true(assert(c:set_flows_public_key(PUBLIC_KEY)).success)
    local rec = last(env.sandbox)
    assert.equals("application/x-www-form-urlencoded", rec.headers["content-type"])
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/flows_encryption", rec.uri)
    local got = assert(c:get_flows_public_key())
    assert.equals(PUBLIC_KEY, got.data[1].business_public_key)
    assert.equals("VALID", got.data[1].business_public_key_signature_status)
    assert.equals("GET", last(env.sandbox).method)
  end)

  it("validates before sending anything", function()
    local c = env.client
    local cases = {
      { "create_flow", { waba_id = "1", name = "N", categories = { "FUN" } }, "categories" },
      { "create_flow", { waba_id = "1", name = "N" }, "categories" },
      { "create_flow", { waba_id = "x", name = "N", categories = "OTHER" }, "waba_id" },
      { "update_flow", { flow_id = "1" }, "message" },
      { "set_flows_public_key", { public_key = "not a key" }, "public_key" },
      { "get_flow", { flow_id = "1", fields = { "" } }, "fields" },
    }
    for _, case in ipairs(cases) do
      local res, err = c[case[1]](c, case[2])
      assert.is_nil(res)
      assert.equals("validation", err.kind)
      assert.equals(case[3], err.field)
    end
    assert.equals(0, #env.sandbox:records())
    assert.has_error(function() c:update_flow("1", { flow_id = "2", name = "x" }) end)
    assert.has_error(function() c:update_flow("1", "name") end)
  end)

  it("refuses a multipart upload over a Lua transport, with a config error and nothing sent", function()
    local sent = 0
    local c = assert(whatsapp.new(h.options(env.sandbox, { transport = function()
      sent = sent + 1
      return { status = 200, body = '{"success": true}', headers = {} }
    end })))
    local res, err = c:upload_flow_json("123", FLOW_JSON)
    assert.is_nil(res)
    assert.equals("config", err.kind)
    assert.matches("multipart", err.message)
    assert.is_false(err.sent)
    assert.equals(0, sent)
    -- the other lifecycle ops go through it, with request.method set
    local methods = {}
    c:close()
    c = assert(whatsapp.new(h.options(env.sandbox, { transport = function(req)
      methods[#methods + 1] = req.method .. " " .. req.headers["Content-Type"]
      return { status = 200, body = '{"success": true}', headers = {} }
    end })))
    assert(c:delete_flow("123"))
    assert(c:set_flows_public_key(PUBLIC_KEY))
    assert(c:get_flow("123", { "name" }))
    assert.same({ "DELETE application/json", "POST application/x-www-form-urlencoded", "GET application/json" },
      methods)
    c:close()
  end)

  it("builds requests for dry runs, the multipart parts shown", function()
    local req = assert(env.client:build("upload_flow_json", { flow_id = "5", flow_json = "{}" }, true))
    assert.equals("POST", req.method)
    assert.is_nil(req.headers["Content-Type"])
    assert.same({ name = "file", value = "{}", filename = "flow.json", type = "application/json" }, req.parts[1])
    assert.same({ name = "asset_type", value = "FLOW_JSON" }, req.parts[3])
  end)
end)

describe("kaleyra-wa flows", function()
  local function wa(args, stdin)
    return cli.run(args, cli.env_for(env.sandbox), stdin)
  end

  it("runs the lifecycle from the shell", function()
    local r = wa { "flows", "create", "998877", "--name", "Shell flow", "--categories", "OTHER,SURVEY" }
    assert.equals(status.OK, r.code, r.stderr)
    local id = r.lines[1].id
    assert.matches("^%d+$", id)
    assert.same({ "OTHER", "SURVEY" }, last(env.sandbox).json.categories)

    local dir = cli.tmpdir()
    cli.write(dir .. "/flow.json", h.json.encode(FLOW_JSON))
    r = wa { "flows", "upload", id, "--flow-json-json", "@" .. dir .. "/flow.json" }
    assert.equals(status.OK, r.code, r.stderr)
    assert.same({}, r.lines[1].validation_errors)
    os.execute("rm -rf " .. h.launcher.shell_quote(dir))

    r = wa { "flows", "update", id, "--name", "Renamed" }
    assert.equals(status.OK, r.code, r.stderr)
    r = wa { "flows", "get", id, "--fields", "name,status" }
    assert.same({ ok = true, id = id, name = "Renamed", status = "DRAFT" }, r.lines[1])
    r = wa { "flows", "publish", id }
    assert.equals(status.OK, r.code, r.stderr)
    r = wa { "flows", "delete", id }
    assert.equals(status.SERVICE, r.code)
    r = wa { "flows", "deprecate", id }
    assert.equals(status.OK, r.code, r.stderr)
    r = wa { "flows", "list", "998877" }
    assert.equals("DEPRECATED", r.lines[1].data[1].status)
    r = wa { "publish-flow", "--help" }
    assert.equals(status.OK, r.code) -- the top-level command stays
  end)

  it("says what is wrong before sending, with the validation status", function()
    local r = wa { "flows", "create", "998877", "--name", "X", "--categories", "NOPE" }
    assert.equals(status.VALIDATION, r.code)
    assert.matches("categories", r.stderr)
    r = wa { "flows", "delete", "--dry-run" }
    assert.equals(status.USAGE, r.code)
  end)

  it("keygen writes an encrypted key pair the endpoint reads", function()
    local dir = cli.tmpdir()
    local r = cli.run({ "flows", "keygen", "--out", dir .. "/k" }, { KALEYRA_WA_KEY_PASSPHRASE = "pw pw" })
    assert.equals(status.OK, r.code, r.stderr)
    local priv, pub = cli.read(dir .. "/k.key.pem"), cli.read(dir .. "/k.pub.pem")
    assert.matches("BEGIN ENCRYPTED PRIVATE KEY", priv)
    local mode = io.popen("stat -c %a " .. dir .. "/k.key.pem"):read("l")
    assert.equals("600", mode)
    assert.truthy(whatsapp.flow_endpoint { private_key = priv, passphrase = "pw pw" })
    assert.matches("BEGIN PUBLIC KEY", pub)
    r = cli.run({ "flows", "keygen", "--out", dir .. "/k" }, { KALEYRA_WA_KEY_PASSPHRASE = "pw pw" })
    assert.equals(status.USAGE, r.code) -- no overwrite without --force
    r = cli.run({ "flows", "keygen", "--out", dir .. "/n" }, {})
    assert.equals(status.USAGE, r.code) -- no passphrase, no --no-passphrase
    assert.not_matches("pw pw", r.stderr)
    os.execute("rm -rf " .. h.launcher.shell_quote(dir))
  end)
end)
