--- `kaleyra-wa bulk FILE`: streams a file of messages through
-- client:send_many and prints one JSON result line per message, in input
-- order, optionally journaling each outcome so an interrupted run resumes.
--
-- Result lines: `{"line":N,"ok":true,"outcome":"accepted","status":202,
-- "code":"WA202","message_id":"..."}` or `{"line":N,"ok":false,
-- "outcome":"rejected|failed|unknown","error":{kind,code,status,message,...}}`,
-- plus `"ref"` when the message had extra_info.ref and `"resumed":true`
-- when the line comes from the journal instead of being sent now.
--
-- Memory: the input is read one line at a time, right before it is sent;
-- only results waiting for an earlier, slower one are held.
--
-- Ctrl-C: kaleyra-wa makes SIGINT raise whatsapp.interrupted (a value,
-- see whatsapp.catch_interrupts) in whatever Lua code runs next. The callbacks below catch it, stop feeding
-- new messages, let the ones in flight finish and journal them; at most
-- one line whose result arrived at that instant is left "unknown".
-- @module kaleyra.whatsapp.cli.bulk

local whatsapp = require "kaleyra.whatsapp"
local input = require "kaleyra.whatsapp.cli.input"
local journal_mod = require "kaleyra.whatsapp.cli.journal"
local output = require "kaleyra.whatsapp.cli.output"
local progress = require "kaleyra.whatsapp.cli.progress"
local status = require "kaleyra.whatsapp.cli.status"

local M = {}

local UNKNOWN_NOTE = "an earlier run stopped while sending it, so the service may have accepted it;"
  .. " not sent again (check, then use --resend-unknown to send it anyway)"

local function is_interrupt(e)
  return e == whatsapp.interrupted
end

local function ref_of(rec)
  local x = rec.msg and rec.msg.extra_info
  return type(x) == "table" and type(x.ref) == "string" and x.ref or nil
end

-- The result line (a table) for a send_many result r.
local function result_line(rec, r, outcome)
  local line = { line = rec.line, ok = r.ok, outcome = outcome, ref = ref_of(rec) }
  if r.ok then
    -- ops answered with {"success": true} (publish, mark_read) have no
    -- code or message id: send_many gives "" for them
    line.status = r.status
    if r.code ~= "" then line.code = r.code end
    if r.message_id ~= "" then line.message_id = r.message_id end
  else
    line.error = output.error_fields(r.error)
  end
  return line
end

local function failure_line(rec, err, outcome)
  return { line = rec.line, ok = false, outcome = outcome, ref = ref_of(rec),
    error = output.error_fields(err) }
end

-- Run state shared by the callbacks.
local Run = {}
Run.__index = Run

function Run:emit(seq, line)
  local outcome = line.outcome
  self.counts[outcome] = (self.counts[outcome] or 0) + 1
  if line.resumed then self.counts.resumed = self.counts.resumed + 1 end
  if not line.ok then
    local kind = outcome == "unknown" and "unknown" or (line.error and line.error.kind)
    self.seen[status.of_kind(kind)] = true
  end
  self.out:put(seq, output.encode(line))
end

-- What to do with a record before sending: a line to print instead, or
-- nil to send it.
function Run:decide(rec)
  if rec.err then return failure_line(rec, rec.err, "rejected") end
  local prior = self.journal and self.journal:prior(rec.line)
  if not prior then return nil end
  if prior.hash ~= rec.hash then
    return failure_line(rec, whatsapp.error("validation", ("line %d differs from the journal's"
      .. " record of it; not sent (use a new journal for a changed file)"):format(rec.line),
      { field = "line" }), "rejected")
  end
  local outcome = prior.event == "done" and prior.outcome or "unknown"
  local before = type(prior.result) == "table" and type(prior.result.error) == "table" and prior.result.error or {}
  if outcome == "rejected" and self.opts.retry_rejected and before.kind ~= "validation" then
    return nil -- refused by the service (auth, payload, balance...) or misconfigured: never accepted
  end
  if outcome == "accepted" or outcome == "rejected" then
    local line = type(prior.result) == "table" and prior.result or { line = rec.line, ok = outcome == "accepted" }
    line.outcome, line.resumed = outcome, true
    return line
  end
  if outcome == "unknown" and not self.opts.resend_unknown then
    local err = whatsapp.error("unknown", UNKNOWN_NOTE,
      { sent = true, code = before.code, status = before.status })
    if before.kind then err.message = ("%s (%s)"):format(UNKNOWN_NOTE, before.message or before.kind) end
    local line = failure_line(rec, err, "unknown")
    line.resumed = true
    return line
  end
  return nil -- failed before, or unknown and --resend-unknown: send it
end

-- The iterator handed to send_many: returns the next message to send.
function Run:next_message()
  while not self.stop do
    local rec = self.next_record()
    if not rec then return nil end
    local seq = self.out:reserve()
    local line = self:decide(rec)
    if line then
      self:emit(seq, line)
      self.bar:tick()
    else
      self.handing = rec
      if self.journal and not self.journal:intent(rec.line, rec.hash) then
        error(whatsapp.interrupted, 0) -- Ctrl-C during the fsync
      end
      self.index = self.index + 1
      self.pending[self.index] = { seq = seq, rec = rec }
      rec.msg.op = rec.op
      return rec.msg
    end
  end
  return nil
end

function Run:on_result(i, r)
  local p = self.pending[i]
  self.pending[i] = nil
  if not p then return end
  local outcome = journal_mod.outcome_of(r)
  local line = result_line(p.rec, r, outcome)
  if self.journal then self.journal:outcome(p.rec.line, p.rec.hash, outcome, line) end
  self:emit(p.seq, line)
  self.bar:tick()
end

-- Catches errors of a callback: an interrupt stops the run, anything else
-- is kept to be raised once send_many returns.
function Run:caught(e)
  self.stop = true
  if is_interrupt(e) then
    self.interrupted = true
  else
    self.fatal = self.fatal or e
  end
end

function Run:iterator()
  return function()
    self.handing = nil
    local ok, msg = xpcall(self.next_message, debug.traceback, self)
    if ok then return msg end
    self:caught(msg)
    local rec = self.handing
    if rec and self.journal then -- intent written, message not handed over
      self.journal:outcome(rec.line, rec.hash, "failed", nil)
    end
    return nil
  end
end

function Run:dry_run(client)
  while true do
    local rec = self.next_record()
    if not rec then return end
    local seq = self.out:reserve()
    local line = self:decide(rec)
    if not line then
      local ok, req, err = pcall(client.build, client, rec.op, rec.msg, true)
      if not ok then
        err = whatsapp.error("validation", (tostring(req):gsub("^[^:]*:%d+: ", "")))
        req = nil
      end
      if req then
        line = output.request(req)
        line.line, line.ok, line.outcome = rec.line, true, "dry_run"
      else
        line = failure_line(rec, err, "rejected")
      end
    end
    self:emit(seq, line)
  end
end

function Run:summary()
  local c = self.counts
  local parts = {}
  for _, k in ipairs { "accepted", "dry_run", "rejected", "failed", "unknown" } do
    if (c[k] or 0) > 0 then parts[#parts + 1] = ("%d %s"):format(c[k], k == "dry_run" and "built" or k) end
  end
  local text = ("%d lines: %s"):format(self.out.last, #parts > 0 and table.concat(parts, ", ") or "none")
  if c.resumed > 0 then text = text .. (" (%d from the journal)"):format(c.resumed) end
  output.fail(text)
  if (c.unknown or 0) > 0 then
    output.fail(("%d with an unknown outcome were not sent again: check them (by ref or line), then rerun"
      .. " with --resend-unknown to send them anyway"):format(c.unknown))
  end
  if self.interrupted then
    output.fail("interrupted; run the same command again to resume"
      .. (self.journal and "" or " (only with --journal does a rerun skip what was sent)"))
  end
end

--- Runs a bulk send.
-- @param client a kaleyra.whatsapp client
-- @tparam table opts file, format, concurrency, rate (nil: unpaced),
--   journal (path), resend_unknown, retry_rejected, fsync, progress (bool),
--   dry_run
-- @return the exit status
function M.run(client, opts)
  local format = opts.format or input.format_of(opts.file)
  local show = not opts.dry_run and progress.wanted(not opts.progress)
  local total = show and input.count(opts.file, format) or nil
  local next_record, f, unreadable = input.open(opts.file, format)
  if not next_record then
    output.fail(("%s: %s"):format(opts.file, f))
    return unreadable and status.NOINPUT or status.VALIDATION
  end
  local journal
  if opts.journal and not opts.dry_run then
    local err
    journal, err = journal_mod.open(opts.journal, { fsync = opts.fsync, input = opts.file })
    if not journal then
      output.fail("journal: " .. tostring(err))
      return status.NOINPUT
    end
    if journal.torn > 0 then
      output.fail(("journal: ignored %d torn record(s) from a run that stopped mid-write"):format(journal.torn))
    end
  end
  io.stdout:setvbuf("line")
  local run = setmetatable({
    opts = opts, next_record = next_record, journal = journal, index = 0, pending = {},
    counts = { resumed = 0 }, seen = {},
    out = output.ordered(function(line) io.stdout:write(line, "\n") end),
    bar = progress.new(show, total),
  }, Run)

  if opts.dry_run then
    run:dry_run(client)
  else
    local ok, err = pcall(client.send_many, client, run:iterator(), {
      concurrency = opts.concurrency, rate = opts.rate,
      on_result = function(i, r)
        local fine, e = xpcall(run.on_result, debug.traceback, run, i, r)
        if not fine then run:caught(e) end
      end,
    })
    if not ok then run:caught(err) end
  end
  run.bar:finish()
  if f ~= io.stdin then f:close() end
  if journal then journal:close() end
  -- after an interrupt some lines have no result: print the rest in order
  for seq = run.out.next, run.out.last do
    local line = run.out.ready[seq]
    if line then io.stdout:write(line, "\n") end
  end
  io.stdout:flush()
  if run.fatal then error(run.fatal, 0) end
  run:summary()
  if run.interrupted then return status.INTERRUPTED end
  return status.combine(run.seen)
end

return M
