-- sandbox/standin_multipart.lua: reads a multipart/form-data body (an upload) part by part,
-- in chunks, so a 100 MB file spooled by nginx is never held in Lua memory: file parts are only
-- counted; small text parts (no filename) keep their value. No ngx here: the caller passes a
-- read() function returning the next chunk or nil, so it runs under LuaJIT and Lua 5.4 alike.
-- M.boundary(content_type) returns the boundary, or nil.
-- M.parse(read, boundary) returns { { name, filename, type, size, value }, ... }, or nil and why.
local M = {}

local MAX_HEADERS, MAX_VALUE = 8192, 4096

function M.boundary(content_type)
  if type(content_type) ~= "string" then return nil end
  if not content_type:lower():match("^%s*multipart/form%-data%s*;") then return nil end
  return content_type:match('boundary="([^"]+)"') or content_type:match("boundary=([^%s;]+)")
end

local function part_headers(text)
  local part = { size = 0 }
  for line in text:gmatch("[^\r\n]+") do
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    name = name and name:lower()
    if name == "content-disposition" then
      part.name = value:match('[; ]name="([^"]*)"')
      part.filename = value:match('filename="([^"]*)"')
    elseif name == "content-type" then
      part.type = value
    end
  end
  return part
end

function M.parse(read, boundary)
  local delim = "\r\n--" .. boundary
  local buf, state, parts, part = "\r\n", "data", {}, nil
  local function take(data)
    if part then
      part.size = part.size + #data
      if not part.filename and part.size <= MAX_VALUE then part.value = (part.value or "") .. data end
    end
  end
  local eof = false
  while true do
    local progressed = false
    if state == "headers" then
      local e = buf:find("\r\n\r\n", 1, true)
      if e then
        part = part_headers(buf:sub(1, e - 1))
        parts[#parts + 1] = part
        buf, state, progressed = buf:sub(e + 4), "data", true
      elseif #buf > MAX_HEADERS then
        return nil, "a part's headers are malformed"
      end
    else
      local s = buf:find(delim, 1, true)
      if s and #buf >= s + #delim + 1 then -- the two bytes after the delimiter are here
        take(buf:sub(1, s - 1))
        local after = buf:sub(s + #delim, s + #delim + 1)
        if after == "--" then return parts end
        if after ~= "\r\n" then return nil, "a boundary is not followed by CRLF" end
        buf, state, part, progressed = buf:sub(s + #delim + 2), "headers", nil, true
      elseif not s and #buf > #delim + 1 then
        -- keep what could be the start of a delimiter split across chunks
        take(buf:sub(1, #buf - #delim - 1))
        buf = buf:sub(#buf - #delim)
      end
    end
    if not progressed then
      if eof then return nil, "the body ends before its closing boundary" end
      local chunk = read()
      if chunk == nil then eof = true else buf = buf .. chunk end
    end
  end
end

return M
