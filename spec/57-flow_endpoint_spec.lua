-- spec/57-flow_endpoint_spec.lua - the Flows data endpoint: whatsapp.flow_endpoint,
-- ep:decrypt, ep:encrypt, ep:handle, and the client side
-- (flow_request_encrypt, flow_response_decrypt), with keys made by the
-- `openssl` command in every format. Round trips through every action,
-- tampering with each part of a request, and the key formats.
local h = require "spec.helpers"
local keys_lib = require "spec.support.flowkeys"

local whatsapp = h.whatsapp
local json = h.json

local keys
setup(function() keys = keys_lib.make() end)
teardown(function() keys_lib.cleanup(keys) end)

local function endpoint(pem, pass)
  return assert(whatsapp.flow_endpoint { private_key = pem or keys.pkcs8, passphrase = pass })
end

-- Sends `request` as WhatsApp would, through ep:handle(handler); returns
-- the status, the decrypted answer (or the raw body) and handle's third value.
local function exchange(ep, request, handler, public)
  local body, ctx = assert(whatsapp.flow_request_encrypt(public or keys.pkcs8_pub, request))
  local status, out, extra = ep:handle(body, handler or function() error("not called") end)
  if out == "" then return status, out, extra end
  return status, assert(whatsapp.flow_response_decrypt(out, ctx)), extra
end

local function decrypt_error(ep, body)
  local req, err = ep:decrypt(body)
  assert.is_nil(req)
  assert.equals("crypto", err.kind)
  assert.equals(421, err.status)
  assert.equals(getmetatable(err), whatsapp.error("x", "y") and getmetatable(whatsapp.error("x", "y")))
  return err
end

describe("ep:handle", function()
  local ep
  setup(function() ep = endpoint() end)

  it("answers the health check by itself, echoing the version", function()
    local status, resp = exchange(ep, { version = "3.0", action = "ping" })
    assert.equals(200, status)
    assert.same({ version = "3.0", data = { status = "active" } }, resp)
  end)

  it("acknowledges an error notification by itself", function()
    local status, resp = exchange(ep, { version = "3.0", action = "data_exchange", screen = "A",
      flow_token = "t", data = { error = "INVALID_SCREEN", error_message = "bad" } })
    assert.equals(200, status)
    assert.same({ version = "3.0", data = { acknowledged = true } }, resp)
  end)

  for _, action in ipairs { "INIT", "data_exchange", "BACK" } do
    it("calls the handler for " .. action .. " and encrypts its answer", function()
      local seen
      local status, resp = exchange(ep, { version = "3.0", action = action, screen = "FIRST",
        flow_token = "tok-1", data = { n = 1 } }, function(req)
        seen = req
        return { screen = "NEXT", data = { greeting = "Hey there! 👋" } }
      end)
      assert.equals(200, status)
      assert.same({ version = "3.0", screen = "NEXT", data = { greeting = "Hey there! 👋" } }, resp)
      assert.same({ version = "3.0", action = action, screen = "FIRST", flow_token = "tok-1",
        data = { n = 1 } }, seen)
    end)
  end

  it("answers 427 with the encrypted error_msg when the handler says the token is invalid", function()
    local status, resp = exchange(ep, { version = "3.0", action = "INIT", flow_token = "old" },
      function() return nil, "The message is no longer available" end)
    assert.equals(427, status)
    assert.same({ version = "3.0", error_msg = "The message is no longer available" }, resp)
  end)

  it("answers 421 to a request for another key, with the reason", function()
    local status, body, err = exchange(ep, { version = "3.0", action = "ping" }, nil, keys.pkcs1_pub)
    assert.equals(421, status)
    assert.equals("", body)
    assert.equals("wrong_key", err.reason)
  end)

  it("answers 500 when the handler raises, and keeps the error out of the body", function()
    local status, body, err = exchange(ep, { version = "3.0", action = "INIT" },
      function() error("database password is hunter2") end)
    assert.equals(500, status)
    assert.equals("", body)
    assert.matches("hunter2", err)
  end)

  it("answers 500 to an unknown action and to a handler that answers nothing", function()
    assert.equals(500, (exchange(ep, { version = "3.0", action = "DANCE" })))
    assert.equals(500, (exchange(ep, { version = "3.0", action = "INIT" }, function() end)))
  end)

  it("sends a handler's string answer byte for byte", function()
    local body, ctx = assert(whatsapp.flow_request_encrypt(keys.pkcs8_pub, { version = "3.0", action = "INIT" }))
    local status, out = ep:handle(body, function() return '{"screen":"S","data":{}}' end)
    assert.equals(200, status)
    assert.same({ screen = "S", data = {} }, whatsapp.flow_response_decrypt(out, ctx))
  end)

  it("raises when the handler is not a function", function()
    assert.has_error(function() ep:handle("x", nil) end)
  end)
end)

describe("ep:decrypt and ep:encrypt", function()
  local ep
  setup(function() ep = endpoint() end)

  it("give the request and a context; the answer uses the flipped IV and the same key", function()
    local body, cctx = assert(whatsapp.flow_request_encrypt(keys.pkcs8_pub, { version = "3.0", action = "ping" }))
    local req, ctx = assert(ep:decrypt(body))
    assert.same({ version = "3.0", action = "ping" }, req)
    assert.equals("kaleyra.whatsapp.FlowContext", tostring(ctx))
    local out = assert(ep:encrypt({ data = { status = "active" } }, ctx))
    assert.matches("^[%w%+/]+=*$", out)
    assert.same({ data = { status = "active" } }, whatsapp.flow_response_decrypt(out, cctx))
    -- the answer is not readable under the request's own IV: flip the
    -- client's context by decrypting a body encrypted the other way
    local out2 = assert(ep:encrypt("{}", ctx))
    assert.same({}, whatsapp.flow_response_decrypt(out2, cctx))
  end)

  it("fails cleanly on what JSON cannot carry", function()
    local body = assert(whatsapp.flow_request_encrypt(keys.pkcs8_pub, "{}"))
    local _, ctx = assert(ep:decrypt(body))
    local out, err = ep:encrypt({ bad = 0 / 0 }, ctx)
    assert.is_nil(out)
    assert.equals("validation", err.kind)
  end)

  it("raises on a context that is not one", function()
    assert.has_error(function() ep:encrypt("{}", {}) end)
  end)
end)

describe("tampering", function()
  local ep, body
  setup(function()
    ep = endpoint()
    body = assert(whatsapp.flow_request_encrypt(keys.pkcs8_pub, { version = "3.0", action = "ping" }))
  end)

  local function tampered(name, fn) return keys_lib.tamper(json, body, name, fn) end

  it("the untouched body decrypts (the tampering below is what fails)", function()
    assert.truthy(ep:decrypt(body))
    assert.truthy(ep:decrypt(tampered("encrypted_flow_data", function(s) return s end)))
  end)

  it("a flipped bit in the tag gives 421", function()
    local err = decrypt_error(ep, tampered("encrypted_flow_data", function(s) return keys_lib.flip(s, -1, 3) end))
    assert.equals("bad_tag", err.reason)
    assert.equals(421, (ep:handle(tampered("encrypted_flow_data", function(s) return keys_lib.flip(s, -1, 3) end),
      function() end)))
  end)

  it("a flipped bit in the ciphertext gives 421", function()
    assert.equals("bad_tag", decrypt_error(ep, tampered("encrypted_flow_data",
      function(s) return keys_lib.flip(s, 1, 0) end)).reason)
  end)

  it("a flipped bit in the wrapped key gives 421", function()
    assert.equals("wrong_key", decrypt_error(ep, tampered("encrypted_aes_key",
      function(s) return keys_lib.flip(s, 20, 5) end)).reason)
  end)

  it("a flipped bit in the IV gives 421", function()
    assert.equals("bad_tag", decrypt_error(ep, tampered("initial_vector",
      function(s) return keys_lib.flip(s, 7, 1) end)).reason)
  end)

  it("an IV of the wrong length gives 421 (12 bytes, Go's GCM default, included)", function()
    assert.equals("bad_iv", decrypt_error(ep, tampered("initial_vector",
      function(s) return s:sub(1, 12) end)).reason)
  end)

  it("wrong base64, an empty body, a body that is not the envelope, and one over the limit fail cleanly", function()
    local env = json.decode(body)
    env.encrypted_aes_key = "***not base64***"
    assert.equals("bad_base64", decrypt_error(ep, json.encode(env)).reason)
    assert.equals("empty", decrypt_error(ep, "").reason)
    assert.equals("empty", decrypt_error(ep, nil).reason)
    assert.equals("not_envelope", decrypt_error(ep, "not json").reason)
    assert.equals("not_envelope", decrypt_error(ep, "[1,2]").reason)
    assert.equals("not_envelope", decrypt_error(ep, '{"encrypted_flow_data":1}').reason)
    assert.equals("too_large", decrypt_error(ep, string.rep("A", 1024 * 1024 + 1)).reason)
    assert.equals(421, (ep:handle("", function() end)))
  end)

  it("plaintext that is not a JSON object gives 421", function()
    local b = assert(whatsapp.flow_request_encrypt(keys.pkcs8_pub, "not json at all"))
    assert.equals("not_json", decrypt_error(ep, b).reason)
    b = assert(whatsapp.flow_request_encrypt(keys.pkcs8_pub, "[1]"))
    assert.equals("not_json", decrypt_error(ep, b).reason)
  end)

  it("a response decrypted with another request's context fails with kind crypto", function()
    local _, other = assert(whatsapp.flow_request_encrypt(keys.pkcs8_pub, "{}"))
    local _, ctx = assert(ep:decrypt(body))
    local out = assert(ep:encrypt("{}", ctx))
    local res, err = whatsapp.flow_response_decrypt(out, other)
    assert.is_nil(res)
    assert.equals("crypto", err.kind)
    assert.equals("bad_tag", err.reason)
  end)
end)

describe("whatsapp.flow_endpoint key formats", function()
  local function round_trip(ep, public)
    local status, resp = exchange(ep, { version = "3.0", action = "ping" }, nil, public)
    assert.equals(200, status)
    assert.equals("active", resp.data.status)
  end

  it("takes PKCS#8 and PKCS#1, plain", function()
    assert.matches("BEGIN PRIVATE KEY", keys.pkcs8)
    assert.matches("BEGIN RSA PRIVATE KEY", keys.pkcs1)
    round_trip(endpoint(keys.pkcs8), keys.pkcs8_pub)
    round_trip(endpoint(keys.pkcs1), keys.pkcs1_pub)
  end)

  it("takes PKCS#8 and PKCS#1, encrypted, with the passphrase", function()
    assert.matches("BEGIN ENCRYPTED PRIVATE KEY", keys.pkcs8_enc)
    assert.matches("Proc%-Type: 4,ENCRYPTED", keys.pkcs1_enc)
    round_trip(endpoint(keys.pkcs8_enc, keys_lib.PASSPHRASE), keys.pkcs8_pub)
    round_trip(endpoint(keys.pkcs1_enc, keys_lib.PASSPHRASE), keys.pkcs1_pub)
  end)

  it("gives a config error for a wrong or missing passphrase, never naming it", function()
    for _, pem in ipairs { keys.pkcs8_enc, keys.pkcs1_enc } do
      local ep, err = whatsapp.flow_endpoint { private_key = pem, passphrase = "wrong horse" }
      assert.is_nil(ep)
      assert.equals("config", err.kind)
      assert.equals("private_key", err.field)
      assert.not_matches("wrong horse", tostring(err))
      ep, err = whatsapp.flow_endpoint { private_key = pem }
      assert.is_nil(ep)
      assert.equals("config", err.kind)
    end
  end)

  it("refuses a 1024-bit key, a public key, garbage and a missing key with config errors", function()
    for _, pem in ipairs { keys.small, keys.pkcs8_pub, "-----BEGIN PRIVATE KEY-----\nxx\n", "" } do
      local ep, err = whatsapp.flow_endpoint { private_key = pem }
      assert.is_nil(ep)
      assert.equals("config", err.kind)
    end
    local _, err = whatsapp.flow_endpoint { private_key = keys.small }
    assert.matches("2048", err.message)
    _, err = whatsapp.flow_endpoint {}
    assert.equals("private_key", err.field)
  end)

  it("raises on unknown keys and non-tables (programmer errors)", function()
    assert.has_error(function() whatsapp.flow_endpoint { private_key = keys.pkcs8, pass = "x" } end)
    assert.has_error(function() whatsapp.flow_endpoint(keys.pkcs8) end)
  end)

  it("refuses a public key that is not RSA 2048+ on the client side", function()
    local body, err = whatsapp.flow_request_encrypt("not a key", "{}")
    assert.is_nil(body)
    assert.equals("config", err.kind)
    assert.equals("public_key", err.field)
  end)
end)

describe("the endpoint object", function()
  it("prints no key material, closes idempotently and raises once closed", function()
    local ep = endpoint()
    assert.equals("kaleyra.whatsapp.FlowEndpoint", tostring(ep))
    ep:close()
    ep:close()
    assert.equals("kaleyra.whatsapp.FlowEndpoint (closed)", tostring(ep))
    assert.has_error(function() ep:decrypt("x") end, "attempt to use a closed kaleyra.whatsapp.FlowEndpoint")
  end)

  it("is collected (its key freed) once unreachable", function()
    local weak = setmetatable({}, { __mode = "v" })
    weak[1] = endpoint()
    local _, ctx = weak[1]:decrypt("")
    weak[2] = ctx
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak[1])
  end)

  it("makes key pairs (flow_keygen) that it then reads, with the passphrase", function()
    local priv, pub = assert(whatsapp.flow_keygen(2048, "s3cret"))
    assert.matches("BEGIN ENCRYPTED PRIVATE KEY", priv)
    assert.matches("BEGIN PUBLIC KEY", pub)
    local ep = endpoint(priv, "s3cret")
    local status = exchange(ep, { version = "3.0", action = "ping" }, nil, pub)
    assert.equals(200, status)
    assert.is_nil(whatsapp.flow_endpoint { private_key = priv, passphrase = "nope" })
    local _, err = whatsapp.flow_keygen(1024)
    assert.equals("config", err.kind)
  end)
end)
