-- spec/support/flowkeys.lua - RSA keys made by the `openssl` command for
-- the Flows endpoint specs (never by the library under test), in every
-- format the endpoint takes, and a few tools to tamper with a request:
-- base64 in plain Lua (test scaffolding, not cryptography), bit flips.
-- Keys live in a temporary directory that M.cleanup removes.
local launcher = require "sandbox.launcher"
local cli = require "spec.support.cli"

local M = { PASSPHRASE = "correct horse battery" }

local q = launcher.shell_quote

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  assert(ok, cmd .. ": " .. out)
end

--- Makes the keys once per spec file: pkcs8 and pkcs1 (two different key
-- pairs, so each is "another key" for the other), their encrypted forms,
-- the public halves, and a 1024-bit key.
function M.make()
  local dir = cli.tmpdir()
  local p = function(name) return q(dir .. "/" .. name) end
  local pass = "pass:" .. M.PASSPHRASE
  sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " .. p("pkcs8.pem"))
  sh("openssl genrsa -traditional -out " .. p("pkcs1.pem") .. " 2048")
  sh("openssl pkey -in " .. p("pkcs8.pem") .. " -aes256 -passout " .. q(pass) .. " -out " .. p("pkcs8_enc.pem"))
  sh("openssl rsa -in " .. p("pkcs1.pem") .. " -traditional -aes256 -passout " .. q(pass)
    .. " -out " .. p("pkcs1_enc.pem"))
  sh("openssl pkey -in " .. p("pkcs8.pem") .. " -pubout -out " .. p("pkcs8_pub.pem"))
  sh("openssl pkey -in " .. p("pkcs1.pem") .. " -pubout -out " .. p("pkcs1_pub.pem"))
  sh("openssl genrsa -out " .. p("small.pem") .. " 1024")
  local keys = { dir = dir }
  for _, name in ipairs { "pkcs8", "pkcs1", "pkcs8_enc", "pkcs1_enc", "pkcs8_pub", "pkcs1_pub", "small" } do
    keys[name] = assert(cli.read(dir .. "/" .. name .. ".pem"))
  end
  return keys
end

function M.cleanup(keys)
  if keys and keys.dir then os.execute("rm -rf " .. q(keys.dir)) end
end

-- ---- base64, for tampering ----

local ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

function M.b64decode(s)
  local bits = s:gsub("[^%w%+/]", ""):gsub(".", function(c)
    local v = ALPHA:find(c, 1, true) - 1
    local r = ""
    for i = 5, 0, -1 do r = r .. ((v >> i) & 1) end
    return r
  end)
  return (bits:gsub("%d%d%d?%d?%d?%d?%d?%d?", function(byte)
    if #byte ~= 8 then return "" end
    return string.char(tonumber(byte, 2))
  end))
end

function M.b64encode(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    local chars = {}
    for k = 3, 0, -1 do chars[#chars + 1] = ALPHA:sub(((n >> (6 * k)) & 63) + 1, ((n >> (6 * k)) & 63) + 1) end
    if not b then chars[3], chars[4] = "=", "=" elseif not c then chars[4] = "=" end
    out[#out + 1] = table.concat(chars)
  end
  return table.concat(out)
end

--- s with bit `bit` (0..7) of byte `pos` (1-based; negative from the end) flipped.
function M.flip(s, pos, bit)
  if pos < 0 then pos = #s + 1 + pos end
  local b = s:byte(pos) ~ (1 << (bit or 0))
  return s:sub(1, pos - 1) .. string.char(b) .. s:sub(pos + 1)
end

--- The request body with member `name` decoded, changed by fn, re-encoded.
function M.tamper(json, body, name, fn)
  local env = json.decode(body)
  env[name] = M.b64encode(fn(M.b64decode(env[name])))
  return json.encode(env)
end

return M
