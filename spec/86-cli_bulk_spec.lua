-- spec/86-cli_bulk_spec.lua - `kaleyra-wa bulk` against the stand-in:
-- JSON Lines and CSV end to end, one result line per message in input
-- order, exit statuses, pacing, the progress bar, dry runs, and the
-- journal: a run killed part-way (kill -9, and Ctrl-C) then resumed never
-- sends twice a message the service accepted.
local h = require "spec.helpers"
local cli = require "spec.support.cli"

local status = require "kaleyra.whatsapp.cli.status"

describe("kaleyra-wa bulk", function()
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
  before_each(function()
    sandbox:clear()
    os.execute("rm -f " .. dir .. "/*")
  end)

  local function file(name, text)
    cli.write(dir .. "/" .. name, text)
    return dir .. "/" .. name
  end

  -- n text messages with unique refs "<tag>-<i>".
  local function jsonl(n, tag)
    local lines = {}
    for i = 1, n do
      lines[i] = ('{"to":"%s","body":"%s message %d","extra_info":{"ref":"%s-%d"}}'):format(h.magic.to, tag, i, tag, i)
    end
    return table.concat(lines, "\n") .. "\n"
  end

  -- How many requests reached the stand-in per extra_info.ref.
  local function sent_per_ref()
    local counts = {}
    for _, rec in ipairs(sandbox:records()) do
      local ref = rec.json and rec.json.extra_info and rec.json.extra_info.ref
      if ref then counts[ref] = (counts[ref] or 0) + 1 end
    end
    return counts
  end

  local function line_numbers(lines)
    local list = {}
    for i, l in ipairs(lines) do list[i] = l.line end
    return list
  end

  describe("JSON Lines", function()
    it("sends every operation and prints one result line per message, in input order", function()
      local path = file("mixed.jsonl", table.concat({
        [[{"to":"+919000000001","body":"plain","extra_info":{"ref":"t1"}}]],
        "",
        [[{"op":"cta-url","to":"+919000000001","body":"b","display_text":"Go","url":"https://example.com"}]],
        [[{"op":"flow","to":"+919000000001","body":"b","flow":{"flow_id":"1","flow_cta":"Go"},"footer":null}]],
        [[{"op":"send","messaging_object":{"to":"+919000000001","type":"image","image":{"link":"https://e.com/a"}}}]],
        [[{"op":"raw","messaging_object":{"to":"+919000000001","type":"location","location":{"latitude":1,"longitude":2}}}]],
      }, "\n"))
      local r = cli.run({ "bulk", path, "--concurrency", "4" }, env)
      assert.equals(0, r.code)
      assert.same({ 1, 3, 4, 5, 6 }, line_numbers(r.lines))
      for _, l in ipairs(r.lines) do
        assert.is_true(l.ok)
        assert.equals("accepted", l.outcome)
        assert.equals("WA202", l.code)
        assert.matches("^A%w+$", l.message_id)
      end
      assert.equals("t1", r.lines[1].ref)
      local kinds = {}
      for _, rec in ipairs(sandbox:records()) do
        local mo = rec.json.messaging_object
        kinds[#kinds + 1] = mo.type == "interactive" and mo.interactive.type or mo.type
      end
      table.sort(kinds)
      assert.same({ "cta_url", "flow", "image", "location", "text" }, kinds)
      assert.matches("5 lines: 5 accepted", r.stderr, 1, true)
    end)

    it("keeps input order when many are in flight at once", function()
      local r = cli.run({ "--base-url", sandbox.url .. "/fault/slow-50", "bulk", file("n.jsonl", jsonl(40, "o")),
        "--concurrency", "8", "--rate", "0" }, env)
      assert.equals(0, r.code)
      assert.equals(40, #r.lines)
      for i, l in ipairs(r.lines) do
        assert.equals(i, l.line)
        assert.equals("o-" .. i, l.ref)
      end
    end)

    it("fails bad lines alone, sending the rest", function()
      local path = file("bad.jsonl", table.concat({
        [[{"to":"+919000000001","body":"first"}]],
        "not json",
        [[{"to":"+91XX","body":"bad number"}]],
        [[{"to":"+919000000001","bdy":"typo"}]],
        [[{"op":"publsh","to":"+919000000001"}]],
        [[{"to":"+919000000001","body":"last"}]],
      }, "\n"))
      local r = cli.run({ "bulk", path }, env)
      assert.equals(status.VALIDATION, r.code)
      assert.same({ 1, 2, 3, 4, 5, 6 }, line_numbers(r.lines))
      assert.is_true(r.lines[1].ok)
      assert.equals("line", r.lines[2].error.field)
      assert.equals("to", r.lines[3].error.field)
      assert.matches("unknown field 'bdy'", r.lines[4].error.message, 1, true)
      assert.equals("op", r.lines[5].error.field)
      for i = 2, 5 do
        assert.equals("rejected", r.lines[i].outcome)
        assert.equals("validation", r.lines[i].error.kind)
      end
      assert.is_true(r.lines[6].ok)
      assert.equals(2, #sandbox:records())
    end)

    it("reads stdin with -", function()
      local r = cli.run({ "bulk", "-" }, env, jsonl(3, "stdin"))
      assert.equals(0, r.code)
      assert.equals(3, #r.lines)
      assert.same({ ["stdin-1"] = 1, ["stdin-2"] = 1, ["stdin-3"] = 1 }, sent_per_ref())
    end)
  end)

  describe("CSV", function()
    it("reads RFC 4180 quoting: commas, doubled quotes and line breaks in fields, CRLF", function()
      local path = file("q.csv", table.concat({
        "to,body,extra_info.ref,preview_url",
        '+919000000001,"Hello, world",c1,true',
        '"+919000000001;+919000000002","She said ""hi""\r\nthen left",c2,',
        "+919000000001,plain,c3,false",
        "",
      }, "\r\n"))
      local r = cli.run({ "bulk", path }, env)
      assert.equals(0, r.code)
      assert.same({ 2, 3, 5 }, line_numbers(r.lines))
      local by_ref = {}
      for _, rec in ipairs(sandbox:records()) do by_ref[rec.json.extra_info.ref] = rec.json.messaging_object end
      assert.equals("Hello, world", by_ref.c1.text.body)
      assert.equals(true, by_ref.c1.text.preview_url)
      assert.equals('She said "hi"\r\nthen left', by_ref.c2.text.body)
      assert.equals("+919000000001,+919000000002", by_ref.c2.to)
      assert.equals(false, by_ref.c3.text.preview_url)
    end)

    it("nests dotted columns, decodes :json columns, sends any op", function()
      local path = file("ops.csv", table.concat({
        "op,to,body,display_text,url,flow.flow_id,flow.flow_cta,flow.flow_action_payload.data:json,messaging_object:json",
        "cta-url,+919000000001,Tap,Go,https://example.com,,,,",
        'flow,+919000000001,Book,,,1120000000000207,Book!,"{""size"":2}",',
        'send,,,,,,,,"{""to"":""+919000000001"",""type"":""image"",""image"":{""link"":""https://e.com/a""}}"',
      }, "\n"))
      local r = cli.run({ "bulk", path }, env)
      assert.equals(0, r.code)
      assert.equals(3, #r.lines)
      local seen = {}
      for _, rec in ipairs(sandbox:records()) do
        local mo = rec.json.messaging_object
        seen[mo.type == "interactive" and mo.interactive.type or mo.type] = mo
      end
      assert.equals("https://example.com", seen.cta_url.interactive.action.parameters.url)
      local p = seen.flow.interactive.action.parameters
      assert.equals("1120000000000207", p.flow_id)
      assert.same({ size = 2 }, p.flow_action_payload.data)
      assert.equals("https://e.com/a", seen.image.image.link)
    end)

    it("fails a malformed record alone and carries on", function()
      local path = file("bad.csv", table.concat({
        "to,body",
        "+919000000001,ok 1",
        '+919000000001,bad "quote"',
        "+919000000001,too,many",
        '+919000000001,"ok 2"',
        '+919000000001,"never closed',
        "+919000000001,swallowed",
      }, "\n"))
      local r = cli.run({ "bulk", path }, env)
      assert.equals(status.VALIDATION, r.code)
      assert.same({ 2, 3, 4, 5, 6 }, line_numbers(r.lines))
      assert.is_true(r.lines[1].ok)
      assert.matches("a quote inside unquoted field 2", r.lines[2].error.message, 1, true)
      assert.matches("line 4 has 3 fields; the header has 2", r.lines[3].error.message, 1, true)
      assert.is_true(r.lines[4].ok)
      assert.matches("line 6: a quoted field is not closed", r.lines[5].error.message, 1, true)
      assert.equals(2, #sandbox:records())
    end)

    it("refuses a bad header before sending anything", function()
      local r = cli.run({ "bulk", file("h.csv", "to,body,to\n+919000000001,x,y\n") }, env)
      assert.equals(status.VALIDATION, r.code)
      assert.matches("appears twice", r.stderr, 1, true)
      assert.same({}, sandbox:records())
    end)

    it("reads CSV from stdin with --format csv", function()
      local r = cli.run({ "bulk", "-", "--format", "csv" }, env, "to,body,extra_info.ref\n+919000000001,x,s1\n")
      assert.equals(0, r.code)
      assert.same({ s1 = 1 }, sent_per_ref())
    end)
  end)

  describe("exit status", function()
    it("is the failure class when every failure shares one, else 1", function()
      local function run(lines)
        return cli.run({ "bulk", file("x.jsonl", table.concat(lines, "\n")) }, env).code
      end
      local ok = [[{"to":"+919000000001","body":"x"}]]
      local low = [[{"to":"+910000000110","body":"x"}]]
      local bad = [[{"to":"+91X","body":"x"}]]
      assert.equals(status.OK, run { ok, ok })
      assert.equals(status.SERVICE, run { ok, low, low })
      assert.equals(status.VALIDATION, run { bad, ok })
      assert.equals(status.MIXED, run { low, bad, ok })
      local r = cli.run({ "bulk", file("a.jsonl", ok) }, cli.env_for(sandbox, { KALEYRA_API_KEY = "Bwrong" }))
      assert.equals(status.AUTH, r.code)
      assert.equals("RBC001", r.lines[1].error.code)
    end)
  end)

  describe("pacing", function()
    it("starts at most --rate messages per second (default 20) and at most --concurrency at once", function()
      local function spread(args)
        sandbox:clear()
        assert.equals(0, cli.run(args, env).code)
        local records = sandbox:records()
        local max = 0
        for _, rec in ipairs(records) do max = math.max(max, rec.inflight) end
        return records[#records].t - records[1].t, max, #records
      end
      local took, _, n = spread { "bulk", file("r.jsonl", jsonl(11, "r")) }
      assert.equals(11, n)
      assert.is_true(took >= 0.45, "11 messages at 20/s took " .. took .. " s")
      took = spread { "bulk", file("r.jsonl", jsonl(6, "r")), "--rate", "10" }
      assert.is_true(took >= 0.45, "6 messages at 10/s took " .. took .. " s")
      local max
      _, max = spread { "--base-url", sandbox.url .. "/fault/slow-100", "bulk", file("c.jsonl", jsonl(8, "c")),
        "--concurrency", "2", "--rate", "0" }
      assert.equals(2, max)
    end)
  end)

  describe("progress bar", function()
    it("draws rate and ETA on stderr when asked, and stays off when stderr is not a terminal", function()
      local path = file("p.jsonl", jsonl(5, "p"))
      local r = cli.run({ "bulk", path }, cli.env_for(sandbox, { KALEYRA_WA_PROGRESS = "1" }))
      assert.equals(0, r.code)
      assert.matches("\r%[#+%] 5/5 100%% ", r.stderr)
      assert.matches("/s ETA 0:00", r.stderr, 1, true)
      assert.equals(5, #r.lines) -- stdout keeps only the result lines
      r = cli.run({ "bulk", path }, env)
      assert.is_nil(r.stderr:find("\r", 1, true))
      r = cli.run({ "bulk", path, "--no-progress" }, cli.env_for(sandbox, { KALEYRA_WA_PROGRESS = "1" }))
      assert.is_nil(r.stderr:find("\r", 1, true))
    end)
  end)

  describe("--dry-run", function()
    it("prints each request with the key redacted, sends nothing and writes no journal", function()
      local path = file("d.csv", "to,body,extra_info.ref\n+919000000001,x,d1\n+91X,y,d2\n")
      local r = cli.run({ "--dry-run", "bulk", path, "--journal", dir .. "/d.journal" }, env)
      assert.equals(status.VALIDATION, r.code)
      assert.same({}, sandbox:records())
      assert.is_nil(cli.read(dir .. "/d.journal"))
      assert.is_nil(r.stdout:find(h.creds.api_key, 1, true))
      assert.is_true(r.lines[1].dry_run)
      assert.equals(2, r.lines[1].line)
      assert.equals("<redacted>", r.lines[1].headers["api-key"])
      assert.equals("d1", r.lines[1].body.extra_info.ref)
      assert.equals("to", r.lines[2].error.field)
    end)
  end)

  describe("--journal", function()
    local function run_killed(path, journal, signal, outcomes)
      -- slow answers keep the run going for ~10 s, well past the signal even
      -- on a loaded machine (30 lines, 3 at a time, 1 s each)
      local pid = cli.spawn({ "--base-url", sandbox.url .. "/fault/slow-1000", "bulk", path, "--journal", journal,
        "--concurrency", "3", "--rate", "0" }, env, dir .. "/killed.out", dir .. "/killed.err", dir .. "/killed.code")
      local done = cli.wait_for(function()
        local n = 0
        for _, rec in ipairs(cli.journal(journal)) do
          if rec.event == "done" then n = n + 1 end
        end
        return n >= outcomes and n
      end, 20)
      assert.truthy(done, "no outcomes journaled in time")
      assert.is_true(cli.alive(pid), "kaleyra-wa finished before it could be signalled")
      assert.is_true(cli.kill(pid, signal), "kaleyra-wa did not exit")
      -- the shell creates the file before it writes the status: wait for digits
      return tonumber(cli.wait_for(function() return (cli.read(dir .. "/killed.code") or ""):match("%d+") end, 5))
    end

    -- Lines by their last journal record: accepted ones and ones in flight.
    local function journal_state(journal)
      local last = {}
      for _, rec in ipairs(cli.journal(journal)) do
        if rec.line then last[rec.line] = rec end
      end
      local accepted, in_flight = {}, {}
      for line, rec in pairs(last) do
        if rec.event == "done" and rec.outcome == "accepted" then accepted[line] = rec.result.message_id end
        if rec.event == "sending" then in_flight[line] = true end
      end
      return accepted, in_flight
    end

    local function count(t)
      local n = 0
      for _ in pairs(t) do n = n + 1 end
      return n
    end

    it("resumes a run killed part-way without sending any accepted message twice", function()
      local path, journal = file("k.jsonl", jsonl(30, "k")), dir .. "/k.journal"
      assert.equals(128 + 9, run_killed(path, journal, "KILL", 6))
      local accepted, in_flight = journal_state(journal)
      assert.is_true(count(accepted) >= 6 and count(accepted) < 30)
      assert.is_true(count(in_flight) <= 3)
      local before = sent_per_ref()

      local r = cli.run({ "bulk", path, "--journal", journal }, env)
      assert.equals(count(in_flight) > 0 and status.NETWORK or status.OK, r.code)
      assert.equals(30, #r.lines)
      for i, l in ipairs(r.lines) do
        assert.equals(i, l.line)
        if accepted[i] then
          assert.equals("accepted", l.outcome)
          assert.is_true(l.resumed)
          assert.equals(accepted[i], l.message_id)
        elseif in_flight[i] then
          assert.equals("unknown", l.outcome)
          assert.is_true(l.resumed)
          assert.matches("--resend-unknown", l.error.message, 1, true)
        else
          assert.equals("accepted", l.outcome)
          assert.is_nil(l.resumed)
        end
      end
      -- at most one request per message; every message not left unknown arrived exactly once
      local after = sent_per_ref()
      for i = 1, 30 do
        local ref = "k-" .. i
        if in_flight[i] then
          assert.equals(before[ref], after[ref])
          assert.is_true((after[ref] or 0) <= 1)
        else
          assert.equals(1, after[ref], ref)
        end
      end
      if count(in_flight) > 0 then
        assert.matches("were not sent again", r.stderr, 1, true)
      end

      -- a third run with --resend-unknown sends exactly the unknown ones
      sandbox:clear()
      r = cli.run({ "bulk", path, "--journal", journal, "--resend-unknown" }, env)
      assert.equals(0, r.code)
      local resent = sent_per_ref()
      assert.equals(count(in_flight), count(resent))
      for ref in pairs(resent) do assert.is_true(in_flight[tonumber(ref:match("%d+$"))]) end
      -- and a fourth sends nothing
      sandbox:clear()
      r = cli.run({ "bulk", path, "--journal", journal }, env)
      assert.equals(0, r.code)
      assert.same({}, sandbox:records())
      assert.matches("30 lines: 30 accepted (30 from the journal)", r.stderr, 1, true)
    end)

    it("stops on Ctrl-C, journaling what was in flight, and resumes", function()
      local path, journal = file("c.jsonl", jsonl(30, "c")), dir .. "/c.journal"
      assert.equals(status.INTERRUPTED, run_killed(path, journal, "INT", 4))
      assert.matches("interrupted; run the same command again to resume", cli.read(dir .. "/killed.err"), 1, true)
      local accepted, in_flight = journal_state(journal)
      assert.is_true(count(in_flight) <= 1, "at most one line left unknown by Ctrl-C")
      local killed_lines = 0
      for _ in cli.read(dir .. "/killed.out"):gmatch("\n") do killed_lines = killed_lines + 1 end
      assert.is_true(killed_lines >= count(accepted) - 1)

      local r = cli.run({ "bulk", path, "--journal", journal }, env)
      assert.equals(30, #r.lines)
      for ref, n in pairs(sent_per_ref()) do assert.equals(1, n, ref) end
      for i = 1, 30 do
        if not in_flight[i] then assert.equals("accepted", r.lines[i].outcome) end
      end
    end)

    it("sends again on resume what cannot have been accepted, and replays what was refused", function()
      local path, journal = file("f.jsonl", table.concat({
        [[{"to":"+919000000001","body":"x","extra_info":{"ref":"f-1"}}]],
        [[{"to":"+910000000110","body":"x","extra_info":{"ref":"f-2"}}]],
        [[{"to":"+91X","body":"x","extra_info":{"ref":"f-3"}}]],
      }, "\n")), dir .. "/f.journal"
      -- first against a port nobody listens on: nothing can have been sent
      local probe = require("socket").bind("127.0.0.1", 0)
      local _, port = probe:getsockname()
      probe:close()
      local r = cli.run({ "--base-url", "http://127.0.0.1:" .. port, "bulk", path, "--journal", journal }, env)
      assert.equals(status.MIXED, r.code)
      assert.same({ "failed", "failed", "rejected" }, { r.lines[1].outcome, r.lines[2].outcome, r.lines[3].outcome })
      assert.equals("network", r.lines[1].error.kind)
      assert.is_false(r.lines[1].error.sent)
      -- then for real: 1 and 2 are sent; 2 is refused (E110), 3 stays rejected without a request
      r = cli.run({ "bulk", path, "--journal", journal }, env)
      assert.same({ "accepted", "rejected", "rejected" }, { r.lines[1].outcome, r.lines[2].outcome, r.lines[3].outcome })
      assert.equals("E110", r.lines[2].error.code)
      assert.is_true(r.lines[3].resumed)
      assert.same({ ["f-1"] = 1, ["f-2"] = 1 }, sent_per_ref())
      -- once more: nothing is sent; the refusal is replayed from the journal
      sandbox:clear()
      r = cli.run({ "bulk", path, "--journal", journal }, env)
      assert.equals(status.MIXED, r.code)
      assert.is_true(r.lines[2].resumed)
      assert.equals("E110", r.lines[2].error.code)
      assert.same({}, sandbox:records())
      -- --retry-rejected sends again what the service refused, never what is invalid
      r = cli.run({ "bulk", path, "--journal", journal, "--retry-rejected" }, env)
      assert.is_nil(r.lines[2].resumed)
      assert.equals("E110", r.lines[2].error.code)
      assert.is_true(r.lines[3].resumed)
      assert.same({ ["f-2"] = 1 }, sent_per_ref())
    end)

    it("does not send a line that changed since the journal recorded it", function()
      local journal = dir .. "/m.journal"
      local path = file("m.jsonl", jsonl(2, "m"))
      assert.equals(0, cli.run({ "bulk", path, "--journal", journal }, env).code)
      sandbox:clear()
      file("m.jsonl", jsonl(1, "m") .. [[{"to":"+919000000001","body":"edited","extra_info":{"ref":"m-2"}}]] .. "\n"
        .. [[{"to":"+919000000001","body":"new","extra_info":{"ref":"m-3"}}]] .. "\n")
      local r = cli.run({ "bulk", path, "--journal", journal }, env)
      assert.equals(status.VALIDATION, r.code)
      assert.is_true(r.lines[1].resumed)
      assert.matches("differs from the journal", r.lines[2].error.message, 1, true)
      assert.equals("accepted", r.lines[3].outcome)
      assert.same({ ["m-3"] = 1 }, sent_per_ref())
    end)

    it("survives a torn last record", function()
      local journal = dir .. "/t.journal"
      local path = file("t.jsonl", jsonl(2, "t"))
      cli.write(journal, '{"event":"run","version":1}\n{"event":"sending","line":1,"hash":"')
      local r = cli.run({ "bulk", path, "--journal", journal, "--no-fsync" }, env)
      assert.equals(0, r.code)
      assert.matches("ignored 1 torn record", r.stderr, 1, true)
      assert.same({ ["t-1"] = 1, ["t-2"] = 1 }, sent_per_ref())
      r = cli.run({ "bulk", path, "--journal", journal }, env)
      assert.equals(0, r.code)
      assert.is_true(r.lines[2].resumed)
    end)

    it("refuses a journal it cannot write", function()
      local r = cli.run({ "bulk", file("x.jsonl", jsonl(1, "x")), "--journal", "/nonexistent/dir/j" }, env)
      assert.equals(status.NOINPUT, r.code)
      assert.matches("journal:", r.stderr, 1, true)
      assert.same({}, sandbox:records())
    end)
  end)
end)
