-- spec/87-cli_registry_spec.lua - kaleyra-wa derives its message commands
-- from the registry of operations (core.ops): every op is a subcommand
-- whose --help shows each of its fields, so a new op cannot be left out of
-- the command line; and mark-read, the op added through the registry
-- alone, works from the shell, in --dry-run and in bulk files.
local h = require "spec.helpers"
local cli = require "spec.support.cli"

local core = require "kaleyra.whatsapp.core"
local status = require "kaleyra.whatsapp.cli.status"

local WAMID = "wamid.HBgMOTE5NzQwNzc2NTA1FQIAEhggMDI1QjVEMzZGQzE2RDI3QzY2MjU2MTgwQjQ3RDM2NDYA"

local function flag(name)
  return "--" .. name:gsub("_", "-")
end

-- The words that reach an op's command: { command } at the top level,
-- { group, command } for an op of a group ("flows").
local function argv_of(op)
  if op.group and not op.group:find(":", 1, true) then return { op.group, op.command } end
  return { op.command }
end

describe("kaleyra-wa's commands from the registry", function()
  it("lists every op's command in --help, with its summary", function()
    local r = cli.run { "--help" }
    assert.equals(0, r.code)
    assert.is_true(#core.ops >= 6)
    local groups = {}
    for _, op in ipairs(core.ops) do
      local argv = argv_of(op)
      if #argv == 1 then
        local quoted = op.command:gsub("%p", "%%%0")
        assert.equals(op.summary, r.stdout:match("\n   " .. quoted .. " +([^\n]*)"))
      else
        groups[argv[1]] = groups[argv[1]] or cli.run { argv[1], "--help" }.stdout
        local quoted = argv[2]:gsub("%p", "%%%0")
        assert.equals(op.summary, groups[argv[1]]:match("\n   " .. quoted .. " +([^\n]*)"))
      end
    end
  end)

  for _, op in ipairs(core.ops) do
    local argv = argv_of(op)
    it(table.concat(argv, " ") .. " --help shows every field of op " .. op.name, function()
      local words = { table.unpack(argv) }
      words[#words + 1] = "--help"
      local r = cli.run(words)
      assert.equals(0, r.code)
      assert.equals("", r.stderr)
      assert.matches("Usage: kaleyra-wa " .. table.concat(argv, " "), r.stdout, 1, true)
      for _, f in ipairs(op.fields) do
        if f.type == "from" then
          assert.matches("--from", cli.run({ "--help" }).stdout, 1, true) -- the global flag
        elseif f.type == "extra_info" then
          for _, x in ipairs { "--ref ", "--ref1", "--ref2", "--wa-source" } do
            assert.matches(x, r.stdout, 1, true)
          end
        else
          -- an argument line ("   to   Recipient(s)..."), a flag (--name,
          -- --name-json) or the MESSAGE epilog ({"name": ...}) shows it
          local shown = r.stdout:find("\n   " .. f.name .. " ", 1, true)
            or r.stdout:find("\n   " .. flag(f.name):gsub("%p", "%%%0") .. "[ -]")
            or r.stdout:find('"' .. f.name .. '": ...', 1, true)
          assert.truthy(shown, op.command .. " --help does not show field " .. f.name)
          for _, s in ipairs(f.sub or {}) do
            assert.matches("--" .. s.flag .. " ", r.stdout, 1, true)
          end
        end
      end
    end)
  end
end)

describe("kaleyra-wa mark-read", function()
  local sandbox, env, dir

  setup(function()
    sandbox = h.start()
    env = cli.env_for(sandbox)
    dir = cli.tmpdir()
  end)
  teardown(function()
    sandbox:stop()
    os.execute("rm -rf " .. dir)
  end)
  before_each(function() sandbox:clear() end)

  it("sends the read receipt and prints the result", function()
    local r = cli.run({ "mark-read", WAMID, "--ref", "seen-1" }, env)
    assert.equals("", r.stderr)
    assert.equals(0, r.code)
    assert.same({ { ok = true, status = 200, success = true, attempts = 1, body = { success = true } } }, r.lines)
    local records = sandbox:records()
    assert.equals(1, #records)
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages", records[1].uri)
    assert.same({ messaging_product = "whatsapp", status = "read", message_id = WAMID },
      records[1].json.messaging_object)
    assert.same({ ref = "seen-1" }, records[1].json.extra_info)
  end)

  it("prints the request of op mark_read with --dry-run, and sends nothing", function()
    local r = cli.run({ "--dry-run", "mark-read", WAMID }, env)
    assert.equals(0, r.code)
    local req = r.lines[1]
    assert.is_true(req.dry_run)
    assert.equals("mark_read", req.op)
    assert.equals("POST", req.method)
    assert.equals(sandbox.url .. "/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages", req.url)
    assert.same({ messaging_object = { messaging_product = "whatsapp", status = "read", message_id = WAMID } },
      req.body)
    assert.equals("<redacted>", req.headers["api-key"])
    assert.same({}, sandbox:records())
  end)

  it("refuses an empty message id as validation, and a missing one as usage", function()
    local r = cli.run({ "mark-read", "" }, env)
    assert.equals(status.VALIDATION, r.code)
    assert.matches("validation (message_id)", r.stderr, 1, true)
    r = cli.run({ "mark-read" }, env)
    assert.equals(status.USAGE, r.code)
    assert.matches("missing argument 'message_id'", r.stderr, 1, true)
    assert.same({}, sandbox:records())
  end)

  it("works in bulk JSON Lines, by op name or command", function()
    local path = dir .. "/read.jsonl"
    cli.write(path, table.concat({
      ('{"op":"mark_read","message_id":"%s","extra_info":{"ref":"r-1"}}'):format(WAMID),
      ('{"op":"mark-read","message_id":"%s"}'):format(WAMID),
      '{"op":"mark_read","message_id":""}',
    }, "\n") .. "\n")
    local r = cli.run({ "bulk", path }, env)
    assert.equals(status.VALIDATION, r.code)
    assert.same({ line = 1, ok = true, outcome = "accepted", ref = "r-1", status = 200 }, r.lines[1])
    assert.same({ line = 2, ok = true, outcome = "accepted", status = 200 }, r.lines[2])
    assert.equals("message_id", r.lines[3].error.field)
    assert.equals(2, #sandbox:records())
    for _, rec in ipairs(sandbox:records()) do
      assert.equals("read", rec.json.messaging_object.status)
    end
  end)

  it("names the registry's ops when a bulk line's op is unknown", function()
    local r = cli.run({ "bulk", "-" }, env, '{"op":"read","message_id":"x"}\n')
    assert.equals(status.VALIDATION, r.code)
    for _, op in ipairs(core.ops) do
      if #argv_of(op) == 1 then assert.matches(op.command, r.lines[1].error.message, 1, true) end
      assert.matches(op.name, r.lines[1].error.message, 1, true)
    end
  end)
end)
