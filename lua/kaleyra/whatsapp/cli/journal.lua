--- The journal of `kaleyra-wa bulk --journal FILE`: what was sent, so a run
-- cut short (Ctrl-C, kill -9, a crash, a power cut) resumes without sending
-- twice a message the service accepted.
--
-- An append-only JSON Lines file. Before a line's message is handed to the
-- library, an intent record `{"event":"sending","line":N,"hash":H}` is
-- written, flushed and (unless disabled) fsynced; when its result arrives,
-- an outcome record `{"event":"done","line":N,"hash":H,"outcome":O,"result":R}`
-- is written and flushed. The last record for a line wins.
--
-- Outcomes (see outcome_of):
--  * accepted: the service accepted it. Never sent again.
--  * rejected: it cannot succeed as written (validation, config, auth,
--    payload, balance). Not sent again; its result is replayed. Except
--    validation, the service never accepted it, so --retry-rejected sends
--    it again (after fixing the key, topping up...).
--  * failed: the service cannot have accepted it (connection refused, 429,
--    a TLS handshake failure). Sent again on resume.
--  * unknown: it may have been accepted (a timeout or broken connection
--    after sending, a 5xx). Like a line with an intent but no outcome (in
--    flight when the run stopped), it is NOT sent again unless the caller
--    says so (--resend-unknown).
--
-- Caveats: one run at a time per journal (nothing locks it). A torn last
-- record (the process died mid-write) is ignored: a torn intent was never
-- followed by a send, a torn outcome leaves the line unknown. fsync is done
-- with coreutils' `sync -d FILE`, about 2 ms per message.
-- @module kaleyra.whatsapp.cli.journal

local whatsapp = require "kaleyra.whatsapp"
local output = require "kaleyra.whatsapp.cli.output"

local M = {}

local VERSION = 1

local REJECTED = { validation = true, config = true, auth = true, payload = true, balance = true }

--- The outcome of a result from send_many ({ ok = true, ... } or
-- { ok = false, error = err }): "accepted", "rejected", "failed" or
-- "unknown" (see the module's description).
function M.outcome_of(r)
  if r.ok then return "accepted" end
  local err = r.error
  if REJECTED[err.kind] then return "rejected" end
  if err.kind == "rate_limit" or not err.sent then return "failed" end
  return "unknown"
end

local function shell_quote(s)
  return "'" .. s:gsub("'", [['\'']]) .. "'"
end

local Journal = {}
Journal.__index = Journal

-- Reads an existing journal into { [line] = last record }.
local function load(path)
  local f = io.open(path, "rb")
  if not f then return {}, 0, false end
  local state, torn, ends_with_newline = {}, 0, true
  for text in f:lines("L") do
    ends_with_newline = text:sub(-1) == "\n"
    local rec = whatsapp.json_decode(text)
    if type(rec) == "table" and math.type(rec.line) == "integer" and type(rec.hash) == "string" then
      state[rec.line] = rec
    elseif type(rec) ~= "table" and text:find("%S") then
      torn = torn + 1
    end
  end
  f:close()
  return state, torn, not ends_with_newline
end

--- Opens (creating or appending to) the journal at path.
-- @string path the journal file
-- @tparam table opts fsync (default true), input (the input's name, for the run record)
-- @return a journal, or nil and a message
function M.open(path, opts)
  opts = opts or {}
  local state, torn, needs_newline = load(path)
  local existed = io.open(path, "rb")
  if existed then existed:close() end
  local f, err = io.open(path, "ab")
  if not f then return nil, err end
  local self = setmetatable({
    path = path, f = f, state = state, torn = torn, fsync = opts.fsync ~= false,
  }, Journal)
  if needs_newline then f:write("\n") end -- isolate a torn record
  self:write { event = "run", version = VERSION, input = opts.input,
    time = os.date("!%Y-%m-%dT%H:%M:%SZ") }
  if self.fsync and not existed then
    -- a new file's directory entry must survive a power cut too
    self:sync(path:match("^(.*)/[^/]*$") or ".")
  end
  return self
end

--- The last record for an input line, or nil.
function Journal:prior(line)
  return self.state[line]
end

function Journal:write(rec)
  self.f:write(output.encode(rec), "\n")
  self.f:flush()
end

-- fsyncs path; on failure warns once and stops trying. Returns false when
-- Ctrl-C interrupted it.
function Journal:sync(path)
  local ok, how, code = os.execute("exec sync -d -- " .. shell_quote(path or self.path))
  if ok then return true end
  if how == "signal" and code == 2 then return false end
  if not self.sync_warned then
    self.sync_warned = true
    io.stderr:write("kaleyra-wa: warning: cannot fsync ", path or self.path,
      "; journal records are flushed but may not survive a power cut\n")
  end
  self.fsync = false
  return true
end

--- Records that line is about to be sent: written, flushed, fsynced.
-- @return false when Ctrl-C interrupted the fsync (the caller then does not send)
function Journal:intent(line, hash)
  self:write { event = "sending", line = line, hash = hash }
  if self.fsync then return self:sync() end
  return true
end

--- Records a line's outcome and its result line (a table).
function Journal:outcome(line, hash, outcome, result)
  self:write { event = "done", line = line, hash = hash, outcome = outcome, result = result }
end

function Journal:close()
  if self.f then
    self.f:close()
    self.f = nil
  end
end

return M
