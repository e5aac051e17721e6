-- spec/support/op_spec.lua - the specs every operation of the registry
-- gets, from a table: a golden messaging_object per variant (sent through
-- the stand-in, which checks its shape), every validation rule with
-- nothing sent, the kaleyra-wa command and a bulk JSON Lines file.
--   require("spec.support.op_spec")(spec, _ENV) with spec =
--   { op = "location", method = "send_location",
--     goldens = { { name, msg, mo } },       -- mo: the expected messaging_object
--     invalid = { { msg, field } },          -- each refused, nothing sent
--     cli = { { name, args, mo } },          -- args after the command name
--     cli_invalid = { { args, field } },     -- exit status VALIDATION
--     bulk = { msg, mo } }                   -- a JSON Lines line, by op name and command
local h = require "spec.helpers"
local cli = require "spec.support.cli"
local status = require "kaleyra.whatsapp.cli.status"
local core = require "kaleyra.whatsapp.core"

local function op_of(name)
  for _, op in ipairs(core.ops) do
    if op.name == name then return op end
  end
  error("no op " .. name)
end

-- busted's functions live in the spec file's environment, passed as `b`.
return function(spec, b)
  local describe, it, setup, teardown, before_each, assert =
    b.describe, b.it, b.setup, b.teardown, b.before_each, b.assert
  local op = op_of(spec.op)
  describe("client:" .. op.method, function()
    local env = h.env { client = true }
    setup(env.start)
    teardown(env.stop)
    before_each(env.clear)

    local function sent_mo()
      local records = env.sandbox:records()
      assert.equals(1, #records)
      assert.equals(202, records[1].status, records[1].reason)
      return records[1].json.messaging_object, records[1]
    end

    for _, g in ipairs(spec.goldens) do
      it("sends the golden payload: " .. g.name, function()
        local res, err = env.client[op.method](env.client, g.msg)
        assert.is_nil(err)
        assert.equals(202, res.status)
        local mo, record = sent_mo()
        assert.same(g.mo, mo)
        assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages", record.uri)
      end)
    end

    it("refuses every invalid message, naming the field, and sends nothing", function()
      for i, bad in ipairs(spec.invalid) do
        local res, err = env.client[op.method](env.client, bad.msg)
        assert.is_nil(res, "row " .. i)
        assert.equals("validation", err.kind, "row " .. i)
        assert.equals(bad.field, err.field, "row " .. i .. ": " .. tostring(err))
      end
      assert.same({}, env.sandbox:records())
    end)

    it("is op " .. op.name .. " in build, submit and send_many", function()
      local g = spec.goldens[1]
      local req = assert(env.client:build(op.name, g.msg, true))
      assert.equals(op.name, req.op)
      assert.same(g.mo, h.whatsapp.json_decode(req.body).messaging_object)
      local msg = { op = op.name }
      for k, v in pairs(g.msg) do msg[k] = v end
      local bad = { op = op.name }
      for k, v in pairs(spec.invalid[1].msg) do bad[k] = v end
      local results = env.client:send_many { msg, bad }
      assert.is_true(results[1].ok)
      assert.equals(spec.invalid[1].field, results[2].error.field)
      assert.same(g.mo, sent_mo())
    end)

    describe("kaleyra-wa " .. op.command, function()
      local cenv
      setup(function() cenv = cli.env_for(env.sandbox) end)

      for _, c in ipairs(spec.cli or {}) do
        it("sends " .. c.name, function()
          local args = { op.command }
          for _, a in ipairs(c.args) do args[#args + 1] = a end
          local r = cli.run(args, cenv)
          assert.equals("", r.stderr)
          assert.equals(0, r.code)
          assert.is_true(r.lines[1].ok)
          assert.same(c.mo, sent_mo())
        end)
      end

      it("refuses invalid arguments as validation, sending nothing", function()
        for _, c in ipairs(spec.cli_invalid or {}) do
          local args = { op.command }
          for _, a in ipairs(c.args) do args[#args + 1] = a end
          local r = cli.run(args, cenv)
          assert.equals(status.VALIDATION, r.code, r.stderr)
          assert.matches("(" .. c.field .. ")", r.stderr, 1, true)
        end
        assert.same({}, env.sandbox:records())
      end)

      it("sends bulk JSON Lines naming op " .. op.name .. " or " .. op.command, function()
        local lines = {}
        for _, name in ipairs { op.name, op.command } do
          local msg = { op = name }
          for k, v in pairs(spec.bulk.msg) do msg[k] = v end
          lines[#lines + 1] = assert(h.whatsapp.json_encode(msg))
        end
        local r = cli.run({ "bulk", "-" }, cenv, table.concat(lines, "\n") .. "\n")
        assert.equals(0, r.code, r.stderr)
        local records = env.sandbox:records()
        assert.equals(2, #records)
        for _, rec in ipairs(records) do
          assert.equals(202, rec.status, rec.reason)
          assert.same(spec.bulk.mo, rec.json.messaging_object)
        end
      end)
    end)
  end)
end
