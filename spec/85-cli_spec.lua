-- spec/85-cli_spec.lua - bin/kaleyra-wa against the stand-in: each
-- subcommand, settings from the environment and from flags, --dry-run
-- sending nothing and never showing the key, and the exit statuses.
-- (Bulk runs: spec/86-cli_bulk_spec.lua.)
local h = require "spec.helpers"
local cli = require "spec.support.cli"

local status = require "kaleyra.whatsapp.cli.status"

describe("kaleyra-wa", function()
  local sandbox, env

  setup(function()
    sandbox = h.start()
    env = cli.env_for(sandbox)
  end)
  teardown(function() sandbox:stop() end)
  before_each(function() sandbox:clear() end)

  local function only_record()
    local records = sandbox:records()
    assert.equals(1, #records)
    return records[1]
  end

  -- A successful single send: exit 0, one JSON line, one request.
  local function sends(args, e)
    local r = cli.run(args, e or env)
    assert.equals("", r.stderr)
    assert.equals(0, r.code)
    assert.equals(1, #r.lines)
    assert.is_true(r.lines[1].ok)
    return r.lines[1], only_record()
  end

  describe("text", function()
    it("sends a text message and prints the result as JSON", function()
      local res, rec = sends { "text", h.magic.to, "Hello from the shell", "--preview-url",
        "--ref", "order-42", "--ref1", "shipping", "--wa-source", "zoho" }
      assert.equals(202, res.status)
      assert.equals("WA202", res.code)
      assert.equals("Request Accepted", res.message)
      assert.equals(rec.message_id, res.message_id)
      local mo = rec.json.messaging_object
      assert.equals("Hello from the shell", mo.text.body)
      assert.equals(true, mo.text.preview_url)
      assert.equals(h.magic.to, mo.to)
      assert.same({ ref = "order-42", ref1 = "shipping", wa_source = "zoho" }, rec.json.extra_info)
      assert.equals(h.creds.api_key, rec.headers["api-key"])
    end)

    it("sends to several recipients separated by commas", function()
      local _, rec = sends { "text", "+919000000001, +919000000002", "hi" }
      assert.equals("+919000000001,+919000000002", rec.json.messaging_object.to)
      assert.is_nil(rec.json.extra_info)
    end)
  end)

  it("cta-url sends a call-to-action button", function()
    local _, rec = sends { "cta-url", h.magic.to, "--header", "Available Dates", "--body", "Tap below",
      "--footer", "Subject to change", "--display-text", "See Dates", "--url", "https://example.com/d" }
    local i = rec.json.messaging_object.interactive
    assert.equals("cta_url", i.type)
    assert.same({ type = "text", text = "Available Dates" }, i.header)
    assert.same({ text = "Tap below" }, i.body)
    assert.same({ text = "Subject to change" }, i.footer)
    assert.same({ name = "cta_url", parameters = { display_text = "See Dates", url = "https://example.com/d" } },
      i.action)
  end)

  it("cta-url takes a header object as JSON", function()
    local _, rec = sends { "cta-url", h.magic.to, "--header-json",
      [[{"type":"image","image":{"link":"https://example.com/h.png"}}]], "--body", "b",
      "--display-text", "Go", "--url", "https://example.com" }
    assert.same({ type = "image", image = { link = "https://example.com/h.png" } },
      rec.json.messaging_object.interactive.header)
  end)

  it("flow sends a Flow message with its parameters", function()
    local _, rec = sends { "flow", h.magic.to, "--body", "Book a table", "--flow-id", h.magic.flow_id,
      "--flow-cta", "Book!", "--flow-token", "tok", "--flow-action", "navigate", "--screen", "WELCOME",
      "--data", [[{"party_size":2,"tags":[]}]], "--mode", "draft", "--ref", "f1" }
    local p = rec.json.messaging_object.interactive.action.parameters
    assert.equals(h.magic.flow_id, p.flow_id)
    assert.equals("Book!", p.flow_cta)
    assert.equals("tok", p.flow_token)
    assert.equals("navigate", p.flow_action)
    assert.equals("draft", p.mode)
    assert.equals("3", p.flow_message_version)
    assert.equals("WELCOME", p.flow_action_payload.screen)
    assert.equals(2, p.flow_action_payload.data.party_size)
    assert.equals("array", getmetatable(p.flow_action_payload.data.tags).__jsontype)
    assert.equals("f1", rec.json.extra_info.ref)
  end)

  it("flow takes the whole parameters object with --flow-json, flags on top", function()
    local _, rec = sends { "flow", h.magic.to, "--body", "b", "--flow-json",
      [[{"flow_name":"booking","flow_cta":"Old","flow_action":"data_exchange"}]], "--flow-cta", "New" }
    local p = rec.json.messaging_object.interactive.action.parameters
    assert.equals("booking", p.flow_name)
    assert.equals("New", p.flow_cta)
    assert.equals("data_exchange", p.flow_action)
  end)

  it("publish-flow publishes a Flow", function()
    local res, rec = sends { "publish-flow", h.magic.flow_id }
    assert.is_true(res.success)
    assert.equals(200, res.status)
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. h.magic.flow_id .. "/publish", rec.uri)
  end)

  describe("send", function()
    it("sends a raw messaging_object", function()
      local _, rec = sends { "send", [[{"to":"+919000000001","type":"image",
        "image":{"link":"https://example.com/cat.jpg","caption":"Cat"}}]], "--ref", "img-1" }
      assert.same({ messaging_product = "whatsapp", recipient_type = "individual", to = "+919000000001",
        type = "image", image = { link = "https://example.com/cat.jpg", caption = "Cat" } },
        rec.json.messaging_object)
      assert.same({ ref = "img-1" }, rec.json.extra_info)
    end)

    it("sends a whole request read from stdin, flags adding to its extra_info", function()
      local r = cli.run({ "send", "-", "--ref2", "from-flag" }, env,
        [[{"messaging_object":{"to":"+919000000001","type":"location",
          "location":{"latitude":12.97,"longitude":77.59}},"extra_info":{"ref":"loc-1"}}]])
      assert.equals(0, r.code)
      local rec = only_record()
      assert.equals(12.97, rec.json.messaging_object.location.latitude)
      assert.same({ ref = "loc-1", ref2 = "from-flag" }, rec.json.extra_info)
    end)

    it("reads the message from @FILE", function()
      local dir = cli.tmpdir()
      cli.write(dir .. "/m.json", [[{"to":"+919000000001","text":{"body":"from a file"}}]])
      local r = cli.run({ "send", "@" .. dir .. "/m.json" }, env)
      os.execute("rm -rf " .. dir)
      assert.equals(0, r.code)
      assert.equals("from a file", only_record().json.messaging_object.text.body)
    end)
  end)

  describe("settings", function()
    it("takes flags over the environment", function()
      local r = cli.run({ "--sid", h.creds.sid, "--api-key", h.creds.api_key, "--from", h.creds.from,
        "--base-url", sandbox.url, "text", h.magic.to, "x" },
        { KALEYRA_SID = "HXAP16XXXXXX00XX", KALEYRA_API_KEY = "Bwrong", KALEYRA_FROM = "+918000000009",
          KALEYRA_BASE_URL = "http://127.0.0.1:1" })
      assert.equals(0, r.code)
      assert.equals(1, #sandbox:records())
    end)

    it("reads KALEYRA_REGION (and refuses an unknown one as config)", function()
      local r = cli.run({ "--dry-run", "text", h.magic.to, "x" },
        cli.env_for(nil, { KALEYRA_REGION = "eu" }))
      assert.equals(0, r.code)
      assert.equals("https://api.eu.kaleyra.io/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages",
        r.lines[1].url)
      r = cli.run({ "text", h.magic.to, "x" }, cli.env_for(nil, { KALEYRA_REGION = "mars" }))
      assert.equals(status.CONFIG, r.code)
      assert.matches("config %(region%)", r.stderr)
    end)

    it("prints its version, which is the library's", function()
      local r = cli.run { "--version" }
      assert.equals(0, r.code)
      assert.equals("kaleyra-wa " .. h.whatsapp.version .. "\n", r.stdout)
    end)

    it("documents the exit statuses and the environment in --help", function()
      local r = cli.run { "--help" }
      assert.equals(0, r.code)
      assert.matches("KALEYRA_API_KEY", r.stdout, 1, true)
      assert.matches(status.HELP, r.stdout, 1, true)
      for _, cmd in ipairs { "text", "cta-url", "flow", "publish-flow", "send", "bulk", "sandbox" } do
        assert.matches("\n   " .. cmd .. " ", r.stdout, 1, true)
      end
    end)
  end)

  describe("--dry-run", function()
    local cases = {
      { "text", { "text", h.magic.to, "hi", "--ref", "d1" } },
      { "cta-url", { "cta-url", h.magic.to, "--body", "b", "--display-text", "Go", "--url", "https://e.com" } },
      { "flow", { "flow", h.magic.to, "--body", "b", "--flow-id", "1", "--flow-cta", "Go" } },
      { "send", { "send", [[{"to":"+919000000001","type":"image","image":{"link":"https://e.com/a"}}]] } },
      { "publish-flow", { "publish-flow", h.magic.flow_id } },
    }
    for _, case in ipairs(cases) do
      it(case[1] .. " prints the request with the key redacted and sends nothing", function()
        local args = { "--dry-run" }
        for _, a in ipairs(case[2]) do args[#args + 1] = a end
        local r = cli.run(args, env)
        assert.equals(0, r.code)
        assert.equals("", r.stderr)
        assert.same({}, sandbox:records())
        assert.is_nil(r.stdout:find(h.creds.api_key, 1, true))
        local req = r.lines[1]
        assert.is_true(req.dry_run)
        assert.equals("POST", req.method)
        assert.equals("<redacted>", req.headers["api-key"])
        assert.equals("application/json", req.headers["Content-Type"])
        if case[1] == "publish-flow" then
          assert.equals(sandbox.url .. "/v2/" .. h.creds.sid .. "/whatsapp/" .. h.magic.flow_id .. "/publish", req.url)
          assert.is_nil(req.body)
        else
          assert.equals(sandbox.url .. "/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages", req.url)
          assert.equals(h.magic.to, req.body.messaging_object.to)
          assert.equals("whatsapp", req.body.messaging_object.messaging_product)
        end
      end)
    end

    it("needs no API key, still validates, and sends nothing", function()
      local r = cli.run({ "--dry-run", "text", h.magic.to, "hi" }, cli.env_for(sandbox, { KALEYRA_API_KEY = false }))
      assert.equals(0, r.code)
      assert.equals("<redacted>", r.lines[1].headers["api-key"])
      r = cli.run({ "--dry-run", "text", "+91XX", "hi" }, env)
      assert.equals(status.VALIDATION, r.code)
      assert.equals("", r.stdout)
      assert.same({}, sandbox:records())
    end)
  end)

  describe("exit statuses", function()
    local function fails(code, args, e, pattern)
      local r = cli.run(args, e or env)
      assert.equals(code, r.code)
      assert.equals("", r.stdout)
      assert.matches(pattern, r.stderr, 1, true)
      assert.is_nil(r.stderr:find(h.creds.api_key, 1, true))
      return r
    end

    it("65 for validation, naming the field, and nothing is sent", function()
      fails(status.VALIDATION, { "text", "+91XXXX", "hi" }, nil,
        "kaleyra-wa: validation (to): to must be an E.164 number")
      fails(status.VALIDATION, { "cta-url", h.magic.to, "--body", "b", "--display-text", "Go", "--url", "ftp://x" },
        nil, "validation (url)")
      fails(status.VALIDATION, { "flow", h.magic.to, "--body", "b", "--flow-id", "1", "--flow-cta", "Go",
        "--data", "{oops" }, nil, "validation (--data): --data is not valid JSON")
      fails(status.VALIDATION, { "send", [[{"to":"+919000000001","type":"image"}]] }, nil,
        "validation (messaging_object.image)")
      fails(status.VALIDATION, { "send", [[{"messaging_object":{"to":"+919000000001"},"extra":1}]] }, nil,
        "send: unknown field 'extra'")
      fails(status.VALIDATION, { "publish-flow", "12ab" }, nil, "validation (flow_id)")
      assert.same({}, sandbox:records())
    end)

    it("77 for auth: a wrong key, a number outside the account, an unknown flow", function()
      fails(status.AUTH, { "text", h.magic.to, "hi" }, cli.env_for(sandbox, { KALEYRA_API_KEY = "Bwrongkey" }),
        "kaleyra-wa: auth: RBC001 (401): Incorrect SID or API key.")
      fails(status.AUTH, { "--from", "+918000000009", "text", h.magic.to, "hi" }, nil, "auth: WA401 (401)")
      fails(status.AUTH, { "publish-flow", h.magic.flow_id_unknown }, nil, "auth: WA-401 (401)")
    end)

    it("69 for the service: low balance, payload, server error", function()
      fails(status.SERVICE, { "text", h.magic.to_low_balance, "hi" }, nil,
        "kaleyra-wa: balance: E110 (400): Please check your balance, You have a low balance!")
      fails(status.SERVICE, { "text", h.magic.to_bad_payload, "hi" }, nil, "payload: WA400 (400)")
      fails(status.SERVICE, { "text", h.magic.to_server_error, "hi" }, nil, "server: WA500 (500): Please try again later")
    end)

    it("75 for the network: nothing listening, a timeout", function()
      local port = require("socket").bind("127.0.0.1", 0)
      local _, p = port:getsockname()
      port:close()
      fails(status.NETWORK, { "text", h.magic.to, "hi" },
        cli.env_for(sandbox, { KALEYRA_BASE_URL = "http://127.0.0.1:" .. p }), "kaleyra-wa: network:")
      fails(status.NETWORK, { "--timeout", "0.2", "text", h.magic.to, "hi" },
        cli.env_for(sandbox, { KALEYRA_BASE_URL = sandbox.url .. "/fault/slow-2000" }), "kaleyra-wa: timeout:")
    end)

    it("78 for configuration: no SID, a wrong base URL", function()
      fails(status.CONFIG, { "text", h.magic.to, "hi" }, cli.env_for(sandbox, { KALEYRA_SID = false }),
        "config (sid): sid is required")
      fails(status.CONFIG, { "text", h.magic.to, "hi" }, cli.env_for(nil, { KALEYRA_BASE_URL = "http://example.com" }),
        "config (base_url)")
      fails(status.CONFIG, { "text", h.magic.to, "hi" }, cli.env_for(sandbox, { KALEYRA_API_KEY = false }),
        "(set KALEYRA_API_KEY or --api-key)")
    end)

    it("64 for usage errors", function()
      fails(status.USAGE, {}, nil, "a command is required")
      fails(status.USAGE, { "txt", h.magic.to, "hi" }, nil, "unknown command 'txt'")
      fails(status.USAGE, { "text", h.magic.to }, nil, "missing argument 'body'")
      fails(status.USAGE, { "text", h.magic.to, "hi", "--bogus" }, nil, "unknown option '--bogus'")
      fails(status.USAGE, { "flow", h.magic.to, "--flow-id", "1", "--flow-name", "n" }, nil, "can not be used together")
      fails(status.USAGE, { "bulk", "x.jsonl", "--rate", "fast" }, nil, "'fast' is not a number")
      fails(status.USAGE, { "bulk", "x.jsonl", "--concurrency", "0" }, nil, "'0' is not from 1 to 256")
      assert.same({}, sandbox:records())
    end)

    it("66 when an input file cannot be read", function()
      fails(status.NOINPUT, { "send", "@/nonexistent/m.json" }, nil, "/nonexistent/m.json")
      fails(status.NOINPUT, { "bulk", "/nonexistent/in.jsonl" }, nil, "/nonexistent/in.jsonl")
    end)
  end)

  describe("sandbox", function()
    it("runs the stand-in around a command, with the KALEYRA_* settings exported", function()
      local r = cli.run({ "sandbox", "--run", "sh", "-c",
        [[lua5.4 bin/kaleyra-wa text +919000000001 "inside the sandbox" && echo "$KALEYRA_BASE_URL"]] })
      assert.equals("", r.stderr)
      assert.equals(0, r.code)
      assert.is_true(r.lines[1].ok)
      assert.matches("^http://127%.0%.0%.1:%d+$", r.lines[2])
      assert.same({}, sandbox:records()) -- its own stand-in, not ours
    end)

    it("passes the command's exit status through, and its own usage errors", function()
      local r = cli.run { "sandbox", "--run", "sh", "-c", "exit 7" }
      assert.equals(7, r.code)
      r = cli.run { "sandbox", "--bogus" }
      assert.equals(2, r.code)
      assert.matches("unknown argument '--bogus'", r.stderr, 1, true)
    end)
  end)
end)
