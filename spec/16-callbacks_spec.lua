-- spec/16-callbacks_spec.lua - whatsapp.parse_callback and the credential
-- checks (check_basic, check_bearer, check_header, verify_signature).
-- Every sample of ../shared/api-docs/callbacks.md is in
-- spec/fixtures/callbacks/ exactly as printed (NN-name.txt, NN its order in
-- the document); each one parses to the events below, or, when it is not a
-- JSON body, gives the documented error (doc/callbacks.md, "The samples").
local h = require "spec.helpers"
local whatsapp = h.whatsapp

local function fixture(name)
  local p = assert(io.popen("ls spec/fixtures/callbacks"))
  for file in p:lines() do
    if file:match("^%d%d%-" .. name:gsub("%-", "%%-") .. "%.txt$") then
      p:close()
      local f = assert(io.open("spec/fixtures/callbacks/" .. file, "rb"))
      local text = f:read("a")
      f:close()
      return text
    end
  end
  p:close()
  error("no fixture " .. name)
end

local function parse(body, opts)
  local events, err = whatsapp.parse_callback(body, opts)
  assert(events, err and tostring(err))
  return events
end

local function one(body)
  local events = parse(body)
  assert.equals(1, #events)
  return events[1]
end

-- Kaleyra's wrapper around one Meta message object (as callbacks.md 2.5).
local function wrap_message(message, extra_info)
  return h.json.encode {
    meta_object = { field = "messages", value = {
      messaging_product = "whatsapp",
      metadata = { display_phone_number = "918000000001", phone_number_id = "1046" },
      contacts = { { profile = { name = "Sam" }, wa_id = message.from } },
      messages = { message },
    } },
    extra_info = extra_info or { ref = "r", ref1 = "r1", ref2 = "r2", media_url = "", waba_id = "347" },
  }
end

local function wrap_status(status, top, extra_info)
  local body = {
    meta_object = { field = "messages", value = {
      messaging_product = "whatsapp",
      metadata = { display_phone_number = "918000000001", phone_number_id = "1046" },
      statuses = { status },
    } },
    extra_info = extra_info or { ref = "my-ref", ref1 = "a", ref2 = "b", waba_id = "347", message_id = "wamid.EXTRA" },
  }
  for k, v in pairs(top or {}) do body[k] = v end
  return h.json.encode(body)
end

describe("whatsapp.parse_callback", function()
  describe("the samples of callbacks.md", function()
    it("2.1 media (image): media with Kaleyra's media_url, context, refs; the masked timestamp is a warning", function()
      local ev = one(fixture("media_image"))
      assert.equals("message", ev.event)
      assert.equals("image", ev.type)
      assert.same({ id = "4621XXXXXXXXXXX", mime_type = "image/jpeg", sha256 = "hYeiE5iZTCUKVSRXXXXXXXXXXtP4CwWZIq5j3e3SqnU=",
        url = "https://example.com/images/product123.jpg" }, ev.media)
      assert.same({ from = "919XXXXXXXXX", id = "wamid.HBgMOTE5NzQwNzc2NTXXXXXXXXXXA1FQIAEhggRUQxMzMUQ4QzFGREQ5NzI3OUFBNTEwQTkA" },
        ev.context)
      assert.equals("Samuel", ev.name)
      assert.equals("Hello This will be my reference id - 123", ev.ref)
      assert.equals("shoes campaign", ev.ref1)
      assert.equals("summer sale campaign", ev.ref2)
      assert.equals("918XXXXXXXXX", ev.business_number)
      assert.equals("10460XXXXXXXXXX", ev.phone_number_id)
      assert.equals("347XXXXXXXXXX69", ev.waba_id)
      assert.is_nil(ev.timestamp)
      assert.same({ "meta_object.value.messages[0].timestamp is a string that is not a number" }, ev.warnings)
      assert.equals("image", ev.raw.type)
      assert.equals("48c38d78-4ec5-XXXX-abee-03XXXXXX6c85", ev.extra_info.reply_to)
    end)
    it("2.2 text", function()
      local ev = one(fixture("text"))
      assert.equals("Hi", ev.text)
      assert.equals(1722863329, ev.timestamp)
      assert.equals("", ev.ref)
      assert.is_nil(ev.warnings)
    end)
    it("2.3 location", function()
      local ev = one(fixture("location"))
      assert.same({ latitude = 12.9467329, longitude = 77.646835 }, ev.location)
    end)
    it("2.4 contacts: phones printed as an object become an array", function()
      local ev = one(fixture("contacts"))
      assert.equals("Rajat Lavekar, IIT dh", ev.contacts[1].name.formatted_name)
      assert.equals(1, #ev.contacts[1].phones)
      assert.equals("+91 9XXXXXX 987", ev.contacts[1].phones[1].phone)
      assert.equals("MOBILE", ev.raw.contacts[1].phones.type) -- raw as sent
    end)
    it("2.5 list reply, with Kannada text", function()
      local ev = one(fixture("list_reply"))
      assert.same({ kind = "list_reply", id = "1", title = "1st sec 1 Row \u{0c85}\u{0ca4}\u{0cc1}\u{0cb2}\u{0ccd}",
        description = "Its Description-here 1st row" }, ev.reply)
    end)
    it("2.6 button reply: the bare Meta object, and in the 2.5 wrapper", function()
      local text = fixture("button_reply_message")
      local ev = one(text)
      assert.equals("message", ev.event)
      assert.equals("button_reply", ev.reply.kind)
      ev = one(wrap_message(h.json.decode(text)))
      assert.same({ kind = "button_reply", id = "<unique_button_id you sent>", title = "<button title>" }, ev.reply)
    end)
    it("2.7 template quick-reply button", function()
      local ev = one(fixture("button"))
      assert.same({ kind = "button", payload = "button0", title = "message" }, ev.reply)
    end)
    it("2.8 Flow completion: in the 2.5 wrapper, response_json decoded and its flow_token", function()
      local ev = one(wrap_message(h.json.decode(fixture("nfm_reply_message"))))
      assert.equals("interactive", ev.type)
      assert.same({ name = "flow", body = "Sent", token = "<FLOW_TOKEN>",
        response = { flow_token = "<FLOW_TOKEN>", optional_param1 = "<value1>", optional_param2 = "<value2>" } }, ev.flow)
      assert.same({ from = "16315558151", id = "gBGGEiRVVgBPAgm7FUgc73noXjo" }, ev.context)
      ev = one(fixture("nfm_reply_message")) -- the bare object: the same, without a wrapper's fields
      assert.equals("<FLOW_TOKEN>", ev.flow.token)
      assert.is_nil(ev.ref)
    end)
    it("2.9 reaction", function()
      local ev = one(fixture("reaction"))
      assert.same({ message_id = "wamid.HBgMOTE5NzQwNzc2NTA1FQIAEhggMUZCRkM3Qzc2QzEzN0ZBRkE4QzQyMURGRDI0QjBDNEUA",
        emoji = "\u{1F602}" }, ev.reaction)
      assert.equals("Pavan Kumar V Patil", ev.name)
    end)
    it("3.2 sent (malformed: trailing comma): parses after removing it, and says so", function()
      local ev = one(fixture("sent_malformed"))
      assert.equals("status", ev.event)
      assert.equals("sent", ev.status)
      assert.equals("wamid.HBgMOTE5NDAXXXXXX3MDFQIAERgSMEYxMEM1QjQ3QjXXXXXXQ2N0YA", ev.message_id)
      assert.same({ "wamid.HBgMOTE5NDAXXXXXX3MDFQIAERgSMEYxMEM1QjQ3QjXXXXXXQ2N0YA", "wamid.XXXXXHE5NXXXXXXXXXXDAQ==",
        "XXX7f9c32XXXX9deXXXXXXacac299cfb" }, ev.ids)
      assert.equals("campaign_2025_summer_sale", ev.ref)
      assert.equals(1722834665, ev.timestamp)
      assert.equals("919407XXXXXX", ev.recipient)
      assert.equals("Conversation-Based Pricing", ev.pricing.pricing_model)
      assert.equals("marketing", ev.conversation.origin.type)
      assert.same({ "body: a trailing comma was removed to parse it" }, ev.warnings)
      local events, err = whatsapp.parse_callback(fixture("sent_malformed"), { strict = true })
      assert.is_nil(events)
      assert.equals("callback", err.kind)
      assert.equals("body", err.field)
    end)
    it("3.4 failed: errors with code, title, message, details", function()
      local ev = one(fixture("failed"))
      assert.equals("failed", ev.status)
      assert.same({ { code = 131026, title = "Message undeliverable", message = "Message undeliverable",
        details = "Message Undeliverable." } }, ev.errors)
    end)
    it("3.5 not sent (flat): status not-sent, Kaleyra's code and reason as the error", function()
      local ev = one(fixture("not_sent"))
      assert.equals("not-sent", ev.status)
      assert.equals("wamid.XXXXXHE5NXXXXXXXXXXDAQ==", ev.message_id)
      assert.same({ { code = "WAV2101", title = "Account daily limit reached" } }, ev.errors)
      assert.equals("payment_pending", ev.ref2)
    end)
    it("4 template status: the profile template, the likely body and Meta's webhook", function()
      local ev = one(fixture("template_status"))
      assert.equals("template_status", ev.event)
      assert.equals("1234567890", ev.template_id)
      assert.equals("order_update", ev.name)
      assert.equals("en_US", ev.language)
      assert.equals("approved", ev.status)
      assert.equals("NONE", ev.reason)
      ev = one(fixture("meta_template_status"))
      assert.equals("1234567890", ev.template_id) -- a number in Meta's syntax
      assert.equals("UTILITY", ev.category)
      assert.equals("<WHATSAPP_BUSINESS_ACCOUNT_ID>", ev.waba_id)
      assert.equals("template_status", one(fixture("template_profile_post")).event)
    end)
    it("5 the flat dynamic-variable profiles: a status and a message", function()
      local ev = one(fixture("status_profile"))
      assert.equals("status", ev.event)
      assert.equals("<id>", ev.message_id)
      assert.equals("<ref>", ev.ref)
      ev = one(fixture("incoming_profile"))
      assert.equals("message", ev.event)
      assert.equals("<from>", ev.from)
    end)
    it("6 the token response is any other JSON object: one unknown event", function()
      local ev = one(fixture("token_response"))
      assert.equals("unknown", ev.event)
      assert.equals("Bearer", ev.raw.token_type)
    end)
    it("7.1 Meta's envelope", function()
      local ev = one(fixture("meta_text"))
      assert.equals("Does it come in another color?", ev.text)
      assert.equals("102290129340398", ev.waba_id)
      assert.equals("Sheena Nelson", ev.name)
    end)
    for _, name in ipairs { "template_profile_get", "quality_get", "create_profile_request", "curl_bearer" } do
      it(name .. " (not a JSON body) is a clear error", function()
        local events, err = whatsapp.parse_callback(fixture(name))
        assert.is_nil(events)
        assert.equals("callback", err.kind)
        assert.equals("body", err.field)
        assert.equals("body is not valid JSON", err.message)
        assert.equals("callback (body): body is not valid JSON", tostring(err))
      end)
    end
  end)

  describe("Meta's envelope", function()
    it("gives one event per message and status, across many entries and changes", function()
      local value = function(kind, id) return { field = "messages", value = {
        metadata = { display_phone_number = "1555", phone_number_id = "p" .. id },
        [kind] = { kind == "messages" and { id = id, from = "1650", type = "text", text = { body = id } }
          or { id = id, status = "read", recipient_id = "1650" } },
      } } end
      local events = parse(h.json.encode { object = "whatsapp_business_account", entry = {
        { id = "waba1", changes = { value("messages", "m1"), value("statuses", "s1") } },
        { id = "waba2", changes = { value("statuses", "s2"), value("messages", "m2"),
          { field = "flows", value = { event = "FLOW_STATUS_CHANGE" } } } },
      } })
      assert.equals(5, #events)
      local got = {}
      for i, ev in ipairs(events) do got[i] = { ev.event, ev.id or ev.message_id, ev.waba_id, ev.phone_number_id } end
      assert.same({ { "message", "m1", "waba1", "pm1" }, { "status", "s1", "waba1", "ps1" },
        { "status", "s2", "waba2", "ps2" }, { "message", "m2", "waba2", "pm2" }, { "unknown", nil, "waba2" } }, got)
    end)
  end)

  describe("messages, one per type", function()
    local base = { from = "919000000001", id = "wamid.M", timestamp = "1722863329" }
    local function msg(type, obj, extra)
      local m = {}
      for k, v in pairs(base) do m[k] = v end
      m.type, m[type] = type, obj
      return one(wrap_message(m, extra))
    end
    it("text", function() assert.equals("hello", msg("text", { body = "hello" }).text) end)
    for _, kind in ipairs { "image", "audio", "video", "document", "sticker" } do
      it(kind, function()
        local ev = msg(kind, { id = "m1", mime_type = "x/y", sha256 = "h", caption = "c", filename = "f" },
          { media_url = "https://kaleyra.example/m1" })
        assert.same({ id = "m1", mime_type = "x/y", sha256 = "h", caption = "c", filename = "f",
          url = "https://kaleyra.example/m1" }, ev.media)
      end)
    end
    it("location", function()
      assert.same({ latitude = 12.5, longitude = 77.25, name = "N", address = "A" },
        msg("location", { latitude = 12.5, longitude = 77.25, name = "N", address = "A" }).location)
    end)
    it("contacts", function()
      assert.equals("+1", msg("contacts", { { phones = { { phone = "+1" } } } }).contacts[1].phones[1].phone)
    end)
    it("interactive button_reply", function()
      assert.same({ kind = "button_reply", id = "b", title = "T" },
        msg("interactive", { type = "button_reply", button_reply = { id = "b", title = "T" } }).reply)
    end)
    it("interactive list_reply", function()
      assert.same({ kind = "list_reply", id = "l", title = "T", description = "D" },
        msg("interactive", { type = "list_reply", list_reply = { id = "l", title = "T", description = "D" } }).reply)
    end)
    it("template button", function()
      assert.same({ kind = "button", payload = "P", title = "T" }, msg("button", { payload = "P", text = "T" }).reply)
    end)
    it("nfm_reply (Flow completion)", function()
      local ev = msg("interactive", { type = "nfm_reply", nfm_reply = { name = "flow", body = "Sent",
        response_json = '{"flow_token":"t-1","date":"2025-01-01","n":[1,2]}' } })
      assert.equals("t-1", ev.flow.token)
      assert.same({ flow_token = "t-1", date = "2025-01-01", n = { 1, 2 } }, ev.flow.response)
    end)
    it("nfm_reply whose response_json is not JSON keeps the event: flow.error and a warning", function()
      local ev = msg("interactive", { type = "nfm_reply", nfm_reply = { response_json = "{not json" } })
      assert.is_nil(ev.flow.response)
      assert.equals("response_json is not a JSON object", ev.flow.error)
      assert.same({ "meta_object.value.messages[0].interactive.nfm_reply.response_json is not a JSON object" }, ev.warnings)
    end)
    it("reaction", function()
      assert.same({ message_id = "wamid.X", emoji = "" }, msg("reaction", { message_id = "wamid.X", emoji = "" }).reaction)
    end)
    it("an unknown type keeps its object under raw", function()
      local ev = msg("order", { catalog_id = "c" })
      assert.equals("order", ev.type)
      assert.equals("c", ev.raw.order.catalog_id)
      assert.is_nil(ev.warnings)
    end)
    it("a number where Meta sends a string: the event stays, with a warning", function()
      local ev = one(wrap_message { from = 919000000001, id = "wamid.M", type = "text", text = { body = "x" } })
      assert.equals("message", ev.event)
      assert.is_nil(ev.from)
      assert.equals(919000000001, ev.raw.from)
      assert.equals("x", ev.text)
      assert.same({ "meta_object.value.messages[0].from is a number, not a string" }, ev.warnings)
    end)
  end)

  describe("statuses, one per status", function()
    for _, s in ipairs { "sent", "delivered", "read", "failed", "deleted", "warning" } do
      it(s .. " (upper case in, lower case out), with the send's message_id and the ref", function()
        local ev = one(wrap_status({ id = "0123abcd", status = s:upper(), timestamp = "1722834665", recipient_id = "919" },
          { status = s, message_id = "A0000000000000000001" }))
        assert.equals("status", ev.event)
        assert.equals(s, ev.status)
        assert.equals("A0000000000000000001", ev.message_id)
        assert.same({ "A0000000000000000001", "wamid.EXTRA", "0123abcd" }, ev.ids)
        assert.equals("my-ref", ev.ref)
        assert.equals("919", ev.recipient)
      end)
    end
    for _, s in ipairs { "not sent", "NOT-SENT", "not_sent" } do
      it("'" .. s .. "' is not-sent", function()
        assert.equals("not-sent", one(h.json.encode { status = s, message_id = "m" }).status)
      end)
    end
    it("without the wrapper's message_id, Meta's statuses[].id", function()
      local ev = one(wrap_status({ id = "wamid.S", status = "read" }, nil, {}))
      assert.equals("wamid.S", ev.message_id)
    end)
  end)

  describe("bad input", function()
    local deep = string.rep("[", 40) .. string.rep("]", 40)
    local cases = {
      { "empty", "", "body", "body is empty" },
      { "not JSON", "hello", "body", "body is not valid JSON" },
      { "truncated", '{"meta_object": {"value": {"statuses": [', "body", "body is not valid JSON" },
      { "over 1 MiB", "{" .. string.rep(" ", 1024 * 1024) .. "}", "body", "body is larger than 1 MiB" },
      { "nested too deep", '{"a":' .. deep .. "}", "body", "body nests deeper than 32 levels" },
      { "invalid UTF-8", '{"a": "\xff"}', "body", "body is not valid UTF-8" },
      { "a JSON array", "[]", "body", "body is not a JSON object" },
      { "meta_object not an object", '{"meta_object": []}', "meta_object", "meta_object is an array, not an object" },
      { "messages not an array", '{"meta_object": {"value": {"messages": {}}}}', "meta_object.value.messages",
        "meta_object.value.messages is an object, not an array" },
      { "statuses not an array", '{"meta_object": {"value": {"statuses": 1}}}', "meta_object.value.statuses",
        "meta_object.value.statuses is a number, not an array" },
    }
    for _, case in ipairs(cases) do
      it(case[1] .. ": nil, err of kind callback naming the field", function()
        local events, err = whatsapp.parse_callback(case[2])
        assert.is_nil(events)
        assert.equals("callback", err.kind)
        assert.equals(case[3], err.field)
        assert.equals(case[4], err.message)
        assert.equals(whatsapp.Error or getmetatable(err), getmetatable(err))
      end)
    end
    it("raises on a body that is not a string, and on unknown options", function()
      assert.has_error(function() whatsapp.parse_callback(nil) end)
      assert.has_error(function() whatsapp.parse_callback("{}", { strikt = true }) end)
    end)
  end)
end)

describe("whatsapp.check_basic", function()
  local good = "Basic " .. "dXNlcjpzM2NyM3QtcHc=" -- user:s3cr3t-pw
  it("accepts the right user and password", function()
    assert.is_true(whatsapp.check_basic(good, "user", "s3cr3t-pw"))
  end)
  it("refuses anything else, never naming the secret", function()
    local cases = {
      { "Basic dXNlcjpzM2NyM3QtcHg=", "wrong user or password" },
      { nil, "no Authorization header" },
      { "Bearer pass", "Authorization is not Basic" },
      { { good, good }, "header repeated" },
    }
    for _, case in ipairs(cases) do
      local ok, reason = whatsapp.check_basic(case[1], "user", "s3cr3t-pw")
      assert.is_false(ok)
      assert.equals(case[2], reason)
      assert.is_nil(reason:find("s3cr3t", 1, true))
    end
  end)
end)

describe("whatsapp.check_bearer", function()
  it("accepts the token and refuses another", function()
    assert.is_true(whatsapp.check_bearer("Bearer s3cr3t-token", "s3cr3t-token"))
    local ok, reason = whatsapp.check_bearer("Bearer s3cr3t-tokem", "s3cr3t-token")
    assert.is_false(ok)
    assert.equals("wrong token", reason)
    assert.same({ false, "Authorization is not Bearer" }, { whatsapp.check_bearer("Basic x", "s3cr3t-token") })
  end)
end)

describe("whatsapp.check_header", function()
  it("compares a custom header with the expected value", function()
    assert.is_true(whatsapp.check_header("shared-secret", "shared-secret"))
    assert.same({ false, "header value does not match" }, { whatsapp.check_header("shared-secreT", "shared-secret") })
    assert.same({ false, "header missing" }, { whatsapp.check_header(nil, "shared-secret") })
  end)
end)

describe("whatsapp.verify_signature", function()
  -- the signature as Meta computes it, by the openssl command line
  local function sign(body, secret)
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    f:write(body)
    f:close()
    local p = assert(io.popen("openssl dgst -sha256 -hmac " .. h.launcher.shell_quote(secret) .. " -r " .. path))
    local hex = p:read("a"):match("^(%x+)")
    p:close()
    os.remove(path)
    return "sha256=" .. hex
  end
  it("accepts X-Hub-Signature-256 over the raw body, and refuses a changed body or secret", function()
    local body = fixture("meta_text")
    local sig = sign(body, "app-secret-1")
    assert.is_true(whatsapp.verify_signature(body, sig, "app-secret-1"))
    assert.same({ false, "signature does not match" }, { whatsapp.verify_signature(body .. " ", sig, "app-secret-1") })
    local ok, reason = whatsapp.verify_signature(body, sig, "app-secret-2")
    assert.is_false(ok)
    assert.is_nil(reason:find("app-secret", 1, true))
    assert.same({ false, "signature does not start with sha256=" }, { whatsapp.verify_signature(body, "abc", "s") })
  end)
end)
