-- spec/62-tls_spec.lua - TLS as the library promises it: verification is
-- always on, ca_file and ca_path add trust anchors, and an untrusted
-- certificate or one for another host name is refused (kind tls) before
-- any of the request leaves. The certificates are made here, at test
-- time, with the openssl CLI, and served by the stand-in's ssl listener.
local h = require "spec.helpers"

local function sh(cmd)
  local p = io.popen(cmd .. " 2>&1", "r")
  local out = p:read("a")
  local ok = p:close()
  assert(ok, cmd .. "\n" .. out)
  return out
end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

-- Makes dir/<name>.pem and dir/<name>.key: a P-256 key and a certificate
-- for san, signed by the CA "ca" (or self-signed when ca is nil).
local function make_cert(dir, name, san, ca)
  local q = h.launcher.shell_quote
  local base = dir .. "/" .. name
  if not ca then
    sh(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
      .. "-subj /CN=%s -addext %s -keyout %s -out %s"):format(
      name, q("subjectAltName=" .. san), q(base .. ".key"), q(base .. ".pem")))
    return
  end
  write(base .. ".ext", "subjectAltName=" .. san .. "\nbasicConstraints=CA:FALSE\n")
  sh(("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=%s "
    .. "-keyout %s -out %s"):format(name, q(base .. ".key"), q(base .. ".csr")))
  sh(("openssl x509 -req -days 2 -in %s -CA %s -CAkey %s -CAcreateserial -extfile %s -out %s"):format(
    q(base .. ".csr"), q(dir .. "/" .. ca .. ".pem"), q(dir .. "/" .. ca .. ".key"),
    q(base .. ".ext"), q(base .. ".pem")))
end

describe("TLS", function()
  local dir, good, wrong_host, self_signed
  local msg = { to = "+919000000001", body = "over TLS" }

  setup(function()
    dir = sh('mktemp -d "${TMPDIR:-/tmp}/kwa-tls.XXXXXX"'):gsub("%s+$", "")
    local q = h.launcher.shell_quote
    sh(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
      .. "-subj /CN=kwa-test-ca -addext basicConstraints=critical,CA:TRUE "
      .. "-addext keyUsage=critical,keyCertSign,cRLSign -keyout %s -out %s"):format(
      q(dir .. "/ca.key"), q(dir .. "/ca.pem")))
    make_cert(dir, "server", "IP:127.0.0.1,DNS:localhost", "ca")
    make_cert(dir, "elsewhere", "DNS:wrong.example", "ca")
    make_cert(dir, "stranger", "IP:127.0.0.1,DNS:localhost", nil)
    sh(("mkdir %s && cp %s %s && openssl rehash %s"):format(q(dir .. "/capath"),
      q(dir .. "/ca.pem"), q(dir .. "/capath/"), q(dir .. "/capath")))
    local function serve(name)
      local base = dir .. "/" .. name
      return assert(h.launcher.start { tls = { cert = base .. ".pem", key = base .. ".key" } })
    end
    good, wrong_host, self_signed = serve("server"), serve("elsewhere"), serve("stranger")
  end)

  teardown(function()
    for _, s in ipairs { good, wrong_host, self_signed } do s:stop() end
    if dir and dir:match("/kwa%-tls%.%w+$") then os.execute("rm -rf " .. h.launcher.shell_quote(dir)) end
  end)

  before_each(function()
    for _, s in ipairs { good, wrong_host, self_signed } do s:clear() end
  end)

  local function send(server, overrides)
    local opts = overrides or {}
    opts.base_url = opts.base_url or server.tls_url
    local c = h.client(nil, opts)
    local res, err = c:send_text(msg)
    c:close()
    return res, err
  end

  local function assert_refused(server, err)
    assert.equals("tls", err.kind)
    assert.is_false(err.retryable)
    assert.is_nil(err.status)
    assert.equals(1, err.attempts)
    assert.is_nil(tostring(err):find(h.creds.api_key, 1, true))
    assert.same({}, server:records())
  end

  it("refuses a certificate from a CA the system does not trust (default trust)", function()
    local res, err = send(good)
    assert.is_nil(res)
    assert_refused(good, err)
  end)

  it("accepts it with ca_file naming the CA, and the request arrives whole", function()
    local res, err = send(good, { ca_file = dir .. "/ca.pem" })
    assert.is_nil(err)
    assert.equals(202, res.status)
    local records = good:records()
    assert.equals(1, #records)
    assert.equals(h.creds.api_key, records[1].headers["api-key"])
    assert.equals("over TLS", records[1].json.messaging_object.text.body)
  end)

  it("accepts it with ca_path naming a hashed directory holding the CA", function()
    local res, err = send(good, { ca_path = dir .. "/capath" })
    assert.is_nil(err)
    assert.equals(202, res.status)
    assert.equals(1, #good:records())
  end)

  it("accepts the host name localhost from the certificate's DNS name", function()
    local res, err = send(good, { base_url = "https://localhost:" .. good.tls_port, ca_file = dir .. "/ca.pem" })
    assert.is_nil(err)
    assert.equals(202, res.status)
  end)

  it("refuses a trusted certificate issued for another host name", function()
    local res, err = send(wrong_host, { ca_file = dir .. "/ca.pem" })
    assert.is_nil(res)
    assert_refused(wrong_host, err)
  end)

  it("refuses a self-signed certificate, with or without a ca_file", function()
    local _, err = send(self_signed)
    assert_refused(self_signed, err)
    _, err = send(self_signed, { ca_file = dir .. "/ca.pem" })
    assert_refused(self_signed, err)
    _, err = send(self_signed, { ca_path = dir .. "/capath" })
    assert_refused(self_signed, err)
  end)

  it("reports a ca_file that does not exist as kind tls, sending nothing", function()
    local _, err = send(good, { ca_file = dir .. "/missing.pem" })
    assert_refused(good, err)
  end)

  it("offers no way to turn verification off", function()
    for _, key in ipairs { "insecure", "verify", "ssl_verify", "verify_peer", "verify_host" } do
      assert.has_error(function() h.whatsapp.new(h.options(nil, { [key] = false })) end,
        "whatsapp.new: unknown field '" .. key .. "'")
    end
  end)

  it("refuses plain http to a host that is not loopback", function()
    for _, url in ipairs { "http://api.in.kaleyra.io", "http://10.0.0.1:8080", "http://[::2]:80" } do
      local c, err = h.whatsapp.new(h.options(nil, { base_url = url }))
      assert.is_nil(c)
      assert.equals("config", err.kind)
      assert.equals("base_url", err.field)
    end
  end)
end)
