--- RFC 4180 CSV, read one record at a time, for `kaleyra-wa bulk`.
--
-- Fields are separated by commas; a field in double quotes may hold
-- commas, line breaks and `""` (one quote). Records end with LF or CRLF;
-- a line break inside quotes is kept as it was written. Blank lines are
-- skipped (RFC 4180 has none; spreadsheets leave them). A UTF-8 byte order
-- mark before the first record is dropped.
--
-- Caveats: stricter than spreadsheets in two places, because guessing
-- would change data: a quote inside an unquoted field and text after a
-- closing quote are errors. An error costs only its own record; reading
-- resumes on the next line (an unterminated quote runs to the end of the
-- input, so it costs the rest).
-- @module kaleyra.whatsapp.cli.csv

local M = {}

local Reader = {}
Reader.__index = Reader

--- Returns a reader over `next_line`, a function that returns the next
-- physical line with its line ending (as `file:read("L")` does), or nil at
-- the end.
function M.reader(next_line)
  return setmetatable({ next_line = next_line, lineno = 0, first = true }, Reader)
end

--- A reader over an open file.
function M.file_reader(f)
  return M.reader(function() return f:read("L") end)
end

--- A reader over a string (for tests and small inputs).
function M.string_reader(s)
  local pos = 1
  return M.reader(function()
    if pos > #s then return nil end
    local nl = s:find("\n", pos, true)
    local line = s:sub(pos, nl or #s)
    pos = (nl or #s) + 1
    return line
  end)
end

-- The next physical line without its ending, and that ending ("\n",
-- "\r\n" or "" at the end of the input); nil at the end.
function Reader:line()
  local text = self.next_line()
  if text == nil then return nil end
  self.lineno = self.lineno + 1
  if self.first then
    self.first = false
    text = text:gsub("^\239\187\191", "")
  end
  local ending = text:match("\r?\n$") or ""
  return text:sub(1, #text - #ending), ending
end

--- Reads the next record.
-- @return fields (a list of strings) and the number of the line it starts
--   on; or nil, message, line for a malformed record; or nil at the end.
--   `raw` (third value on success) is the record's text as read, without
--   its final line ending.
function Reader:read()
  local text, ending
  repeat
    text, ending = self:line()
    if text == nil then return nil end
  until text ~= ""
  local start, raw = self.lineno, { text }
  local fields, i = {}, 1
  while true do
    if text:sub(i, i) == '"' then
      local buf, j = {}, i + 1
      while true do
        local q = text:find('"', j, true)
        if q == nil then
          buf[#buf + 1] = text:sub(j) .. ending
          text, ending = self:line()
          if text == nil then
            return nil, ("line %d: a quoted field is not closed"):format(start), start
          end
          raw[#raw + 1] = text
          j = 1
        elseif text:sub(q + 1, q + 1) == '"' then
          buf[#buf + 1] = text:sub(j, q)
          j = q + 2
        else
          buf[#buf + 1] = text:sub(j, q - 1)
          i = q + 1
          break
        end
      end
      fields[#fields + 1] = table.concat(buf)
      local c = text:sub(i, i)
      if c == "" then break end
      if c ~= "," then
        return nil, ("line %d: text after a closing quote in field %d"):format(self.lineno, #fields), start
      end
      i = i + 1
    else
      local comma = text:find(",", i, true)
      local value = text:sub(i, comma and comma - 1 or #text)
      if value:find('"', 1, true) then
        return nil, ("line %d: a quote inside unquoted field %d (quote the whole field and double the quote)")
          :format(self.lineno, #fields + 1), start
      end
      fields[#fields + 1] = value
      if not comma then break end
      i = comma + 1
    end
  end
  return fields, start, table.concat(raw, "\n")
end

--- Quotes a field when it needs it (for writing CSV).
function M.quote(s)
  s = tostring(s)
  if s:find('[",\r\n]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end

return M
