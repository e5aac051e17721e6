-- sandbox/standin_flows.lua: the Flow lifecycle in the stand-in (flows-api.md section 2). Flows
-- live in lua_shared_dict "standin" (one JSON value per Flow, key "flow:<id>"), so every request
-- of the instance sees them until /__clear__ (records only) or a restart. States: DRAFT ->
-- PUBLISHED -> DEPRECATED. Delete works on drafts only; publish needs an uploaded Flow JSON without
-- validation errors; an upload that is not JSON (or lacks version/screens) is stored with Meta's
-- validation_errors. Errors use the Publish page's envelopes (WA-400, WA-401 flow_id, RBC001).
-- Answers where Kaleyra shows none are Meta's (inferred), as the library reads them.
local cjson = require "cjson.safe"

local M = {}

local function shared() return ngx.shared.standin end

local function load(id)
  local text = shared():get("flow:" .. id)
  return text and cjson.decode(text)
end

local function save(flow) shared():set("flow:" .. flow.id, cjson.encode(flow)) end

local function array(t) return setmetatable(t or {}, cjson.array_mt) end

-- The fields of `flow` that `fields` (a comma-separated list, or nil for the defaults) names.
local DEFAULT_FIELDS = { "id", "name", "status", "categories", "validation_errors" }
local function view(flow, fields)
  local out, list = {}, DEFAULT_FIELDS
  if fields and fields ~= "" then
    list = { "id" }
    for f in fields:gmatch("[^,]+") do list[#list + 1] = f end
  end
  for _, f in ipairs(list) do
    if f == "categories" or f == "validation_errors" then out[f] = array(flow[f])
    elseif f == "json_version" then out[f] = flow.json_version
    else out[f] = flow[f] end
  end
  return out
end

-- Parses a multipart/form-data body into { name = { value, filename } }.
local function multipart(content_type, body)
  local boundary = content_type and content_type:match("boundary=\"?([^\";]+)\"?")
  if not boundary or not body then return nil end
  local parts, delim = {}, "--" .. boundary
  local pos = 1
  while true do
    local s, e = body:find(delim, pos, true)
    if not s then break end
    local next_s = body:find("\r\n" .. delim, e + 1, true)
    if not next_s then break end
    local chunk = body:sub(e + 3, next_s - 1) -- after the CRLF following the delimiter
    local head, value = chunk:match("^(.-)\r\n\r\n(.*)$")
    if head then
      local name = head:match('name="([^"]*)"')
      if name then parts[name] = { value = value, filename = head:match('filename="([^"]*)"') } end
    end
    pos = next_s + 2
  end
  return parts
end

local function validate_json(text)
  local tree = cjson.decode(text)
  if type(tree) ~= "table" then
    return array { { error = "INVALID_JSON", error_type = "JSON_SCHEMA_ERROR",
      message = "The Flow JSON is not valid JSON.", line_start = 1, line_end = 1, column_start = 1, column_end = 1 } }
  end
  local errors = array()
  for _, key in ipairs { "version", "screens" } do
    if tree[key] == nil then
      errors[#errors + 1] = { error = "MISSING_REQUIRED_PROPERTY", error_type = "JSON_SCHEMA_ERROR",
        message = ('The property "%s" is required at "$root".'):format(key),
        line_start = 1, line_end = 1, column_start = 1, column_end = 1 }
    end
  end
  return errors, tree
end

--- The routes, given the stand-in's helpers: deps = { authenticate, answer, RBC001, PUBLISH, publish }.
function M.routes(deps)
  local answer, PUBLISH = deps.answer, deps.PUBLISH

  -- Runs fn(rec, a, b) after the publish page's auth checks.
  local function guarded(fn)
    return function(rec, sid, a, b)
      local auth = deps.authenticate(sid, rec.headers)
      if auth == "bad" then return answer(401, "RBC001", deps.RBC001) end
      if auth == "no_api" then return answer(401, "WA-401", PUBLISH.account) end
      return fn(rec, a, b)
    end
  end

  local function bad(rec, reason)
    rec.reason = reason
    return answer(400, "WA-400", PUBLISH["WA-400"],
      { ["Content-Type"] = "application/json", ["X-Sandbox-Reason"] = reason })
  end
  local function unknown() return answer(401, "WA-401", PUBLISH.flow_id) end
  local function ok(value) return answer(200, nil, cjson.encode(value or { success = true })) end

  local function json_body(rec)
    local tree = rec.body and cjson.decode(rec.body)
    if type(tree) ~= "table" then return nil end
    return tree
  end

  local function good_categories(list)
    if type(list) ~= "table" or #list == 0 then return false end
    for _, c in ipairs(list) do if type(c) ~= "string" then return false end end
    return true
  end

  local function create(rec, waba)
    local tree = json_body(rec)
    if not waba:match("^%d+$") or not tree or type(tree.name) ~= "string" or tree.name == ""
        or not good_categories(tree.categories) then
      return bad(rec, "create needs name and categories")
    end
    local names = shared():get("flownames:" .. waba .. ":" .. tree.name)
    if names then return bad(rec, "Flow name is not unique") end
    local flow = { id = tostring(1000000000 + shared():incr("flow_seq", 1, 0)), waba = waba, name = tree.name,
      categories = tree.categories, status = "DRAFT", validation_errors = {}, endpoint_uri = tree.endpoint_uri }
    if tree.clone_flow_id then
      local src = load(tostring(tree.clone_flow_id))
      if not src then return unknown() end
      flow.json, flow.json_version, flow.validation_errors = src.json, src.json_version, src.validation_errors
    end
    save(flow)
    shared():set("flownames:" .. waba .. ":" .. tree.name, flow.id)
    local index = cjson.decode(shared():get("flowlist:" .. waba) or "[]") or {}
    index[#index + 1] = flow.id
    shared():set("flowlist:" .. waba, cjson.encode(index))
    return ok { id = flow.id }
  end

  local function list(rec, waba)
    local data = array()
    for _, id in ipairs(cjson.decode(shared():get("flowlist:" .. waba) or "[]") or {}) do
      local flow = load(id)
      if flow then data[#data + 1] = view(flow, rec.args.fields) end
    end
    return ok { data = data, paging = { cursors = { before = "QVFIUstart", after = "QVFIUend" } } }
  end

  local function get(rec, id)
    local flow = load(id)
    if not flow then return unknown() end
    return ok(view(flow, rec.args.fields))
  end

  local function update(rec, id)
    local flow = load(id)
    if not flow then return unknown() end
    local tree = json_body(rec)
    if not tree then return bad(rec, "update needs a JSON body") end
    if flow.status ~= "DRAFT" then return bad(rec, "only a DRAFT Flow can be updated") end
    if tree.categories ~= nil and not good_categories(tree.categories) then
      return bad(rec, "categories must be a list")
    end
    for _, k in ipairs { "name", "categories", "endpoint_uri" } do
      if tree[k] ~= nil then flow[k] = tree[k] end
    end
    save(flow)
    return ok()
  end

  local function upload(rec, id)
    local flow = load(id)
    if not flow then return unknown() end
    local parts = multipart(rec.headers["content-type"], rec.body)
    if not parts or not parts.file or not parts.asset_type or parts.asset_type.value ~= "FLOW_JSON" then
      return bad(rec, "assets needs multipart/form-data with file, name and asset_type=FLOW_JSON")
    end
    if flow.status ~= "DRAFT" then return bad(rec, "only a DRAFT Flow takes a new JSON") end
    local errors, tree = validate_json(parts.file.value)
    flow.json, flow.validation_errors = parts.file.value, errors
    flow.json_version = tree and tree.version
    save(flow)
    return ok { success = true, validation_errors = errors }
  end

  local function publish(rec, id)
    local flow = load(id)
    if not flow then return deps.publish(rec, id) end -- the documented magic ids
    if flow.status ~= "DRAFT" then return bad(rec, "only a DRAFT Flow can be published") end
    if not flow.json then return bad(rec, "publish needs an uploaded Flow JSON") end
    if #flow.validation_errors > 0 then return bad(rec, "the Flow JSON has validation errors") end
    flow.status = "PUBLISHED"
    save(flow)
    return ok()
  end

  local function deprecate(rec, id)
    local flow = load(id)
    if not flow then return unknown() end
    if flow.status ~= "PUBLISHED" then return bad(rec, "only a PUBLISHED Flow can be deprecated") end
    flow.status = "DEPRECATED"
    save(flow)
    return ok()
  end

  local function delete(rec, id)
    local flow = load(id)
    if not flow then return unknown() end
    if flow.status ~= "DRAFT" then return bad(rec, "only a DRAFT Flow can be deleted") end
    shared():delete("flow:" .. id)
    shared():delete("flownames:" .. flow.waba .. ":" .. flow.name)
    return ok()
  end

  local function set_key(rec, phone)
    local ct = (rec.headers["content-type"] or ""):lower()
    local key = ct:find("application/x-www-form-urlencoded", 1, true) and rec.body
      and ngx.decode_args(rec.body).business_public_key
    if type(key) ~= "string" or not key:find("-----BEGIN PUBLIC KEY-----", 1, true) then
      return bad(rec, "flows_encryption needs the form field business_public_key (PEM)")
    end
    shared():set("flowkey:" .. phone, key)
    return ok()
  end

  local function get_key(_, phone)
    local key = shared():get("flowkey:" .. phone)
    if not key then return ok { data = array() } end
    return ok { data = array { { business_public_key = key, business_public_key_signature_status = "VALID" } } }
  end

  local W = "^/v2/([^/]+)/whatsapp/([^/]+)"
  return {
    { "POST", W .. "/flows$", guarded(create) },
    { "GET", W .. "/flows$", guarded(list) },
    { "POST", W .. "/assets$", guarded(upload) },
    { "POST", W .. "/publish$", guarded(publish) },
    { "POST", W .. "/deprecate$", guarded(deprecate) },
    { "POST", W .. "/flows_encryption$", guarded(set_key) },
    { "GET", W .. "/flows_encryption$", guarded(get_key) },
    { "GET", W .. "$", guarded(get) },
    { "POST", W .. "$", guarded(update) },
    { "DELETE", W .. "$", guarded(delete) },
  }
end

return M
