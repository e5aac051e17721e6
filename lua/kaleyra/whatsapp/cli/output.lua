--- What `kaleyra-wa` writes: results as JSON on stdout, errors as one
-- line on stderr, dry-run requests, and bulk result lines in input order.
--
-- JSON goes through whatsapp.json_encode (cJSON), so decoded answers keep
-- their arrays and nulls. Nothing here ever sees the API key: dry runs
-- print requests that client:build already redacted.
-- @module kaleyra.whatsapp.cli.output

local whatsapp = require "kaleyra.whatsapp"

local M = {}

-- Keys that lead an object, in this order, so lines read well; the rest
-- follow sorted.
local LEAD = { "event", "line", "hash", "ok", "outcome", "dry_run", "op", "resumed", "ref", "status", "code", "message",
  "message_id", "success", "kind", "field", "method", "url" }
local RANK = {}
for i, k in ipairs(LEAD) do RANK[k] = i end

local function before(a, b)
  local ra, rb = RANK[a] or math.huge, RANK[b] or math.huge
  if ra ~= rb then return ra < rb end
  return a < b
end

-- Encodes v; a value JSON cannot carry (a raw answer that is not UTF-8)
-- is replaced by a note rather than losing the whole line. A top-level
-- object gets its keys in a stable order (LEAD first).
local function encode(v)
  if type(v) == "table" and getmetatable(v) ~= whatsapp.array_mt and next(v) ~= nil
      and #v == 0 then
    local keys = {}
    for k in pairs(v) do
      if type(k) ~= "string" then keys = nil break end
      keys[#keys + 1] = k
    end
    if keys then
      table.sort(keys, before)
      local parts = {}
      for i, k in ipairs(keys) do
        local value = whatsapp.json_encode(v[k])
        if value == nil then value = whatsapp.json_encode("(cannot be written as JSON)") end
        parts[i] = whatsapp.json_encode(k) .. ":" .. value
      end
      return "{" .. table.concat(parts, ",") .. "}"
    end
  end
  local text, err = whatsapp.json_encode(v)
  if text then return text end
  return whatsapp.json_encode { encoding_error = tostring(err) }
end
M.encode = encode

--- The fields of an error table worth a result line: no raw body.
function M.error_fields(err)
  return {
    kind = err.kind, code = err.code, status = err.status, message = err.message,
    field = err.field, retryable = err.retryable, sent = err.sent, details = err.details,
  }
end

--- Writes one JSON value and a newline to stdout.
function M.json(v)
  io.stdout:write(encode(v), "\n")
end

--- A single call's result table as JSON on stdout, with `ok = true`.
function M.result(res)
  local copy = { ok = true }
  for k, v in pairs(res) do copy[k] = v end
  copy.body = res.body -- decoded on first read: pairs(res) may not list it yet
  M.json(copy)
end

--- One line on stderr: "kaleyra-wa: <kind>: <CODE (STATUS): message>" for
-- service answers, "kaleyra-wa: <kind (field): message>" otherwise, and a
-- hint when the fix is an environment variable.
local HINTS = {
  sid = "KALEYRA_SID or --sid", api_key = "KALEYRA_API_KEY or --api-key",
  from = "KALEYRA_FROM or --from", region = "KALEYRA_REGION or --region",
  base_url = "KALEYRA_BASE_URL or --base-url",
}
function M.error(err)
  local text = tostring(err)
  if err.code then text = err.kind .. ": " .. text end
  local hint = err.field and HINTS[err.field]
  if hint and (err.kind == "config" or (err.kind == "validation" and err.field == "from")) then
    text = text .. " (set " .. hint .. ")"
  end
  M.fail(text)
end

--- A plain message on stderr, prefixed with the command's name.
function M.fail(text)
  io.stderr:write("kaleyra-wa: ", text, "\n")
end

--- A request from client:build(op, msg, true) as a JSON-ready table, with
-- its op's name: the body decoded when it is JSON (publish has none), the key already
-- "<redacted>".
function M.request(req)
  local body = req.body
  if body ~= "" then body = whatsapp.json_decode(body) or body else body = nil end
  return {
    dry_run = true, op = req.op, method = req.method, url = req.url, headers = req.headers, body = body,
  }
end

--- Quotes a word for sh.
function M.shell_quote(s)
  return "'" .. tostring(s):gsub("'", [['\'']]) .. "'"
end

-- Ordered output: results arrive in any order, lines leave in input order.
local Ordered = {}
Ordered.__index = Ordered

--- Returns a writer that prints lines in the order of their reserved
-- sequence numbers. Memory holds only lines waiting for an earlier one.
function M.ordered(write)
  return setmetatable({ write = write, next = 1, last = 0, ready = {} }, Ordered)
end

--- Reserves the next sequence number.
function Ordered:reserve()
  self.last = self.last + 1
  return self.last
end

--- Stores the line for seq and writes every line that is now due.
function Ordered:put(seq, line)
  self.ready[seq] = line
  while self.ready[self.next] do
    self.write(self.ready[self.next])
    self.ready[self.next] = nil
    self.next = self.next + 1
  end
end

--- How many lines wait for an earlier one.
function Ordered:waiting()
  return self.last - self.next + 1
end

return M
