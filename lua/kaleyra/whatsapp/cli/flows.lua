--- `kaleyra-wa flows keygen` and `kaleyra-wa flows ping`: the commands of
-- the flows group that are not operations of the registry (those come
-- from it, see ops.lua). keygen writes a key pair made by the library
-- (OpenSSL underneath); ping plays WhatsApp's health check against a
-- running endpoint, posting with the `curl` command (so https works
-- without a Lua TLS library).
-- @module kaleyra.whatsapp.cli.flows

local whatsapp = require "kaleyra.whatsapp"
local output = require "kaleyra.whatsapp.cli.output"
local status = require "kaleyra.whatsapp.cli.status"

local M = {}

local function read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("a")
  f:close()
  return s
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- Writes text to path with mode 600 from the start (umask 077 in a
-- subshell would be racier than creating it first through the shell).
local function write_private(path, text)
  local ok = os.execute("umask 077 && : > " .. output.shell_quote(path))
  local f = ok and io.open(path, "wb")
  if not f then return nil end
  f:write(text)
  f:close()
  return true
end

function M.keygen(a)
  local pass
  if a.no_passphrase then
    pass = nil
  elseif a.passphrase_file then
    local text = read(a.passphrase_file)
    if not text then
      output.fail("flows keygen: cannot read " .. a.passphrase_file)
      return status.NOINPUT
    end
    pass = text:match("^([^\r\n]*)")
  else
    pass = os.getenv("KALEYRA_WA_KEY_PASSPHRASE")
  end
  if not a.no_passphrase and (pass == nil or pass == "") then
    output.fail("flows keygen: give a passphrase ($KALEYRA_WA_KEY_PASSPHRASE or --passphrase-file), "
      .. "or --no-passphrase")
    return status.USAGE
  end
  local key_path, pub_path = a.out .. ".key.pem", a.out .. ".pub.pem"
  if not a.force and (exists(key_path) or exists(pub_path)) then
    output.fail("flows keygen: " .. key_path .. " or " .. pub_path .. " exists (--force overwrites)")
    return status.USAGE
  end
  local priv, pub = whatsapp.flow_keygen(a.bits, pass)
  if not priv then
    output.error(pub)
    return status.of_kind(pub.kind)
  end
  local f = io.open(pub_path, "wb")
  if not (f and f:write(pub) and f:close() and write_private(key_path, priv)) then
    output.fail("flows keygen: cannot write " .. key_path .. " or " .. pub_path)
    return status.NOINPUT
  end
  output.json { private_key = key_path, public_key = pub_path, bits = a.bits, encrypted = pass ~= nil }
  return status.OK
end

-- POSTs body to url with curl; returns status, answer body or nil, message.
local function post(url, body)
  local tmp = os.tmpname()
  local out = os.tmpname()
  local f = assert(io.open(tmp, "wb"))
  f:write(body)
  f:close()
  local cmd = ("curl -sS --max-time 10 -o %s -w '%%{http_code}' -H 'Content-Type: application/json' "
    .. "--data-binary @%s -- %s 2>&1"):format(output.shell_quote(out), output.shell_quote(tmp),
    output.shell_quote(url))
  local p = io.popen(cmd)
  local code_text = p:read("a")
  p:close()
  local answer = read(out) or ""
  os.remove(tmp)
  os.remove(out)
  local code = tonumber(code_text:match("(%d%d%d)$"))
  if not code or code == 0 then return nil, "no answer: " .. code_text:gsub("%s+$", "") end
  return code, answer
end

function M.ping(a)
  if not a.public_key then
    output.fail("flows ping: --public-key FILE is required")
    return status.USAGE
  end
  local pem = read(a.public_key)
  if not pem then
    output.fail("flows ping: cannot read " .. a.public_key)
    return status.NOINPUT
  end
  local body, ctx = whatsapp.flow_request_encrypt(pem, { version = "3.0", action = "ping" })
  if not body then
    output.error(ctx)
    return status.of_kind(ctx.kind)
  end
  local code, answer = post(a.url, body)
  if not code then
    output.fail("flows ping: " .. answer)
    return status.NETWORK
  end
  if code == 421 then
    output.fail("flows ping: the endpoint answered 421: it cannot decrypt requests made for "
      .. a.public_key .. " (is its private key the other half of this public key?)")
    return status.SERVICE
  end
  if code ~= 200 then
    output.fail(("flows ping: the endpoint answered HTTP %d, not 200"):format(code))
    return status.SERVICE
  end
  local resp, err = whatsapp.flow_response_decrypt(answer, ctx)
  if not resp then
    output.fail("flows ping: the answer cannot be decrypted with this request's key: " .. err.message)
    return status.SERVICE
  end
  local data = type(resp.data) == "table" and resp.data or {}
  if data.status ~= "active" then
    output.fail('flows ping: the answer decrypts but is not {"data": {"status": "active"}}')
    return status.SERVICE
  end
  output.json { ok = true, status = code, response = resp }
  return status.OK
end

return M
