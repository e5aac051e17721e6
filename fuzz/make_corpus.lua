-- fuzz/make_corpus.lua - writes the seed corpora in fuzz/corpus/ from the
-- API documents' samples:
--   response/: every sample answer in the api-docs (status, operation and
--              body, in fuzz_response.c's input format), the invalid 202
--              sample included;
--   request/:  the documents' request samples (as spec/fixtures holds them,
--              made valid JSON) taken apart into fuzz_request.c's fields,
--              for each message type, with the fixed options and with the
--              documents' own sid/api-key/number as options.
-- Run from the repository root: lua5.4 fuzz/make_corpus.lua [api-docs dir]
-- (default ../shared/api-docs). The output is committed, so fuzzing needs
-- neither the documents nor this script.
package.path = "./?.lua;" .. package.path
local json = require "dkjson"

local DOCS = arg[1] or "../shared/api-docs"
local OUT = "fuzz/corpus"

local function read(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  return text
end

local function write(path, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
end

os.execute("mkdir -p " .. OUT .. "/response " .. OUT .. "/request")

-- ---- responses: "<status> <words>" (or "status 200") then a {...} block ----
local function blocks(text)
  local list, pos = {}, 1
  while true do
    local s = text:find("\n%s*{", pos)
    if not s then break end
    s = text:find("{", s, true)
    local depth, e = 0, nil
    for i = s, #text do
      local c = text:sub(i, i)
      if c == "{" then depth = depth + 1 elseif c == "}" then depth = depth - 1 end
      if depth == 0 then e = i break end
    end
    if not e then break end
    local before = text:sub(math.max(1, s - 300), s - 1)
    local status
    for code in before:gmatch("\n%s*(%d%d%d)[ \n]") do status = code end
    status = status or before:match("status (%d%d%d)")
    list[#list + 1] = { status = tonumber(status or 401), body = text:sub(s, e) }
    pos = e + 1
  end
  return list
end

local count = 0
for _, doc in ipairs { "send-text-message", "send-cta-url-button-message", "send-flow-message", "publish-flow" } do
  local op = doc == "publish-flow" and 1 or 0
  for i, b in ipairs(blocks(read(DOCS .. "/" .. doc .. ".txt"))) do
    -- keep answers only: request bodies start with "messaging_object"
    if not b.body:find('"messaging_object"', 1, true) then
      write(("%s/response/%s-%d"):format(OUT, doc, i),
        string.char(op, b.status >> 8, b.status & 0xFF) .. b.body)
      count = count + 1
    end
  end
end
-- the shapes the 2xx scanner (src/kwa_scan.c) must read as cJSON does:
-- byte 0 is the answer kind (0 message, 1 success, 4 media, 5 json)
local SCAN = {
  { "scan-typical", 0, 202, '{"code":"WA202","message":"Request Accepted","data":{"message_id":"A0000000000000000000"},"error":{}}' },
  { "scan-nested-code", 0, 202, '{"data":{"code":"X","message":"in data","message_id":"M"},"error":{"code":"E"},"code":"WA202"}' },
  { "scan-code-in-string", 0, 202, '{"note":"\\"code\\":\\"X\\"","list":[{"code":"A"}],"code":"B"}' },
  { "scan-duplicates", 0, 202, '{"code":1,"code":"B","data":[1],"data":{"message_id":"M"}}' },
  { "scan-escapes", 0, 202, '{"x":"a\\b\\"\\u00e9\\ud83d\\ude00","co\\u0064e":"X","message":"caf\\u00e9"}' },
  { "scan-whitespace", 0, 202, ' \r\n\t{ "code" :\t"A" ,\n"data" : { "message_id" : "M" } }\n ' },
  { "scan-numbers", 0, 202, '{"a":-0,"b":1.5e+10,"c":1e400,"d":01,"e":123456789012345678901234567890123456789,"code":"C"}' },
  { "scan-success", 1, 200, '{"success":true,"success":false}' },
  { "scan-success-false", 1, 200, '{"success":false,"error":"no"}' },
  { "scan-media", 4, 200, '{"id":"","data":{"id":"D"}}' },
  { "scan-media-none", 4, 200, '{"id":7}' },
  { "scan-json", 5, 200, '{"id":"F","name":"flow"}' },
  { "scan-deep", 0, 202, '{"x":' .. ("["):rep(70) .. ("]"):rep(70) .. ',"code":"C"}' },
  { "scan-bom-trailing", 0, 202, '\xEF\xBB\xBF{"code":"A"} x' },
}
for _, seed in ipairs(SCAN) do
  local name, kind, status, body = table.unpack(seed)
  write(("%s/response/%s"):format(OUT, name), string.char(kind, status >> 8, status & 0xFF) .. body)
  count = count + 1
end
print("response seeds: " .. count)

-- ---- requests: fields in fuzz_request.c's order, NUL-separated ----
local FIELDS = { "to", "body", "header", "footer", "display_text", "url", "json", "from",
                 "ref", "ref1", "ref2", "wa_source", "sid", "api_key", "base_url", "cfg_from",
                 "header_json" }
local TYPES = { text = 0, cta_url = 1, flow = 2, publish = 3, raw = 4 }
local FLAG_EXTRA, FLAG_HEADER_OBJECT, FLAG_OPTIONS, FLAG_LIST = 2, 4, 8, 16

local function seed(name, type, flags, values)
  local parts = {}
  for i, f in ipairs(FIELDS) do parts[i] = values[f] or "" end
  write(OUT .. "/request/" .. name, string.char(TYPES[type], flags) .. table.concat(parts, "\0"))
  count = count + 1
end

local DOC_OPTIONS = { sid = "HXAP16XXXXXX97IN", api_key = "Axxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx3",
                      base_url = "https://api.in.kaleyra.io", cfg_from = "+91XXXXXXXXXX" }

count = 0
for _, name in ipairs { "text", "cta_url", "flow" } do
  local sample = assert(json.decode(read("spec/fixtures/" .. name .. ".json")))
  local mo, x = sample.messaging_object, sample.extra_info or {}
  local v = { to = mo.to, ref = x.ref, ref1 = x.ref1, ref2 = x.ref2, wa_source = x.wa_source,
              from = "+918000000001" }
  local flags = FLAG_EXTRA
  if name == "text" then
    v.body = mo.text.body
    if mo.text.preview_url == true then flags = flags | 1 end
  else
    local it = mo.interactive
    v.header = it.header and it.header.text
    v.header_json = it.header and json.encode(it.header)
    v.body = it.body and it.body.text
    v.footer = it.footer and it.footer.text
    if name == "cta_url" then
      v.display_text, v.url = it.action.parameters.display_text, it.action.parameters.url
    else
      v.json = json.encode(it.action.parameters)
    end
  end
  seed(name, name, flags, v)
  seed(name .. "-list", name, flags | FLAG_LIST, setmetatable({ to = v.to .. ",+919876543210" }, { __index = v }))
  seed(name .. "-header-object", name, flags | FLAG_HEADER_OBJECT, v)
  seed(name .. "-doc-options", name, flags | FLAG_OPTIONS, setmetatable(DOC_OPTIONS, { __index = v }))
  seed(name .. "-raw", "raw", FLAG_EXTRA, { json = json.encode(mo), from = v.from, ref = v.ref })
end
seed("publish", "publish", 0, { body = "1120000000000207" })
seed("publish-doc", "publish", FLAG_OPTIONS, setmetatable({ body = "112xxxxxxxxxx207" }, { __index = DOC_OPTIONS }))

-- Registry seeds (byte 0 = 0x80 + the op's index in core.ops; fields as
-- one JSON object in the JSON slot): one valid message per op that has an
-- example here. Needs the built module: run with the Makefile's LUA_CPATH.
local EXAMPLES = {
  text = { to = "+919876543210", body = "Hello", preview_url = true,
           extra_info = { ref = "r1", wa_source = "zoho" } },
  cta_url = { to = { "+919876543210", "+919876543211" }, header = "Hi", body = "b", footer = "f",
              display_text = "Go", url = "https://example.com/x" },
  flow = { to = "+919876543210", header = { type = "text", text = "h" }, body = "b",
           flow = { flow_id = "123", flow_cta = "Open", flow_action = "navigate",
                    flow_action_payload = { screen = "S", data = { a = 1 } } } },
  raw = { messaging_object = { to = "+919876543210", type = "image",
                               image = { link = "https://example.com/a.jpg" } },
          from = "+918000000001" },
  publish = { flow_id = "1120000000000207" },
  mark_read = { message_id = "wamid.HBgMOTE5NzQwNzc2NTA1FQIAEhggMDI1QjVEMzZGQzE2RDI3QzY2MjU2MTgwQjQ3RDM2NDYA",
                extra_info = { ref = "c1" } },
  location = { to = "+919876543210", latitude = 12.9716, longitude = 77.5946, name = "Office",
               address = "MG Road", reply_to = "wamid.A" },
  reaction = { to = "+919876543210", message_id = "wamid.A", emoji = "\u{1F44D}" },
  media = { to = "+919876543210", type = "document", link = "https://example.com/a.pdf",
            caption = "Invoice", filename = "a.pdf" },
  buttons = { to = "+919876543210", header = "H", body = "Pick", footer = "F",
              buttons = { { id = "y", title = "Yes" }, { id = "n", title = "No" } } },
  list = { to = "+919876543210", body = "Pick", button = "Menu",
           sections = { { title = "S", rows = { { id = "r1", title = "One", description = "D" } } },
                        { title = "T", rows = { { id = "r2", title = "Two" } } } } },
  template = { to = "+919876543210", name = "order_update", language = "en_US",
               header = { type = "image", link = "https://example.com/b.jpg" },
               body = { "John", { type = "currency", fallback = "$1", code = "USD", amount_1000 = 1000 },
                        { type = "date_time", fallback = "today" } },
               buttons = { { type = "quick_reply", payload = "p" }, { type = "url", text = "x", index = 1 },
                           { type = "copy_code", code = "C" }, { type = "flow", flow_token = "t",
                             flow_action_data = { a = 1 } } } },
  upload = { data = "%PDF-1.4", type = "application/pdf", filename = "a.pdf" },
}
for i, op in ipairs(require("kaleyra.whatsapp.core").ops) do
  if EXAMPLES[op.name] then
    write(OUT .. "/request/registry-" .. op.name, string.char(0x80 + i - 1, 0)
      .. ("\0"):rep(6) .. json.encode(EXAMPLES[op.name]))
    count = count + 1
  end
end
print("request seeds: " .. count)
