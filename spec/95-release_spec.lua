-- spec/95-release_spec.lua - what a release is made of agrees with itself:
-- one version (KWA_VERSION in src/kwa.h) everywhere it shows, the rockspec
-- installs every CLI module and the command, `make install` gives C users
-- a header, a shared library exporting exactly kwa.h's functions and a
-- pkg-config file a program builds against, and each example runs against
-- the stand-in.
local h = require "spec.helpers"
local cli = require "spec.support.cli"

local q = h.launcher.shell_quote

local run = h.run

local HEADER = cli.read("src/kwa.h")
local VERSION = HEADER:match('#define KWA_VERSION "([^"]+)"')

describe("the version", function()
  it("is KWA_VERSION, a semantic version", function()
    assert.matches("^%d+%.%d+%.%d+$", VERSION)
  end)

  it("is what the Lua module and kaleyra-wa report", function()
    assert.equals(VERSION, h.whatsapp.version)
    assert.equals("kaleyra-wa " .. VERSION .. "\n", cli.run({ "--version" }).stdout)
  end)

  it("heads the CHANGELOG", function()
    local newest = cli.read("CHANGELOG.md"):match("\n## %[([^%]]+)%]")
    assert.equals(VERSION, newest)
  end)

  it("is what the Makefile derives for the library, kwa.pc and the docs", function()
    local code, out = run("make -s --eval='print-version: ; @echo $(VERSION)' print-version")
    assert.equals(0, code, out)
    assert.equals(VERSION .. "\n", out)
  end)
end)

describe("the rockspec", function()
  local spec = {}
  setup(function()
    assert(load(cli.read("rockspec/kaleyra-whatsapp-scm-1.rockspec"), "rockspec", "t", spec))()
  end)

  it("installs the kaleyra-wa command and every module of it", function()
    assert.equals("bin/kaleyra-wa", spec.build.install.bin["kaleyra-wa"])
    local p = io.popen("ls lua/kaleyra/whatsapp/cli/*.lua")
    for path in p:lines() do
      local name = path:match("^lua/(.*)%.lua$"):gsub("/", ".")
      assert.equals(path, spec.build.modules[name], name .. " is missing from the rockspec")
    end
    p:close()
  end)

  it("compiles every C source of the module, each op of the registry included", function()
    local listed = {}
    for _, path in ipairs(spec.build.modules["kaleyra.whatsapp.core"].sources) do listed[path] = true end
    local p = io.popen("ls src/*.c src/ops/*.c")
    for path in p:lines() do
      assert.is_true(listed[path] == true, path .. " is missing from the rockspec's sources")
    end
    p:close()
  end)

  it("depends on no rock luarocks would download (argparse comes from Debian)", function()
    for _, dep in ipairs(spec.dependencies) do assert.matches("^lua ", dep) end
  end)
end)

describe("make install", function()
  local stage, libdir, pc

  setup(function()
    stage = cli.tmpdir()
    libdir = stage .. "/usr/local/lib"
    pc = "pkg-config --define-prefix --with-path=" .. q(libdir .. "/pkgconfig")
    local code, out = run("make -s install DESTDIR=" .. q(stage))
    assert(code == 0, out)
  end)
  teardown(function() os.execute("rm -rf " .. q(stage)) end)

  it("installs the header, the libraries with their soname link, and kwa.pc", function()
    local minor = VERSION:match("^(0%.%d+)") or VERSION:match("^(%d+)")
    assert.equals(HEADER, cli.read(stage .. "/usr/local/include/kwa.h"))
    for _, f in ipairs { "libkwa.so.0.1.0", "libkwa.so", "libkwa.a", "pkgconfig/kwa.pc" } do
      f = f:gsub("0%.1%.0", VERSION)
      assert.truthy(cli.read(libdir .. "/" .. f), f)
    end
    local _, link = run("readlink " .. q(libdir .. "/libkwa.so"))
    assert.equals("libkwa.so." .. minor .. "\n", link)
    local _, soname = run("readelf -d " .. q(libdir .. "/libkwa.so." .. VERSION))
    assert.matches("Library soname: %[libkwa%.so%." .. minor:gsub("%.", "%%.") .. "%]", soname)
  end)

  it("exports exactly the functions kwa.h declares", function()
    local declared = {}
    for name in HEADER:gmatch("\n[a-z][^\n]-[ *](kwa_[a-z0-9_]+)%(") do declared[#declared + 1] = name end
    table.sort(declared)
    local _, out = run("nm -D --defined-only " .. q(libdir .. "/libkwa.so." .. VERSION))
    local exported = {}
    for name in out:gmatch(" T (kwa_[a-z0-9_]+)") do exported[#exported + 1] = name end
    table.sort(exported)
    assert.is_true(#declared >= 15)
    assert.same(declared, exported)
  end)

  it("gives pkg-config the version and the flags a C program builds with", function()
    local _, version = run(pc .. " --modversion kwa")
    assert.equals(VERSION .. "\n", version)
    local sandbox = h.start()
    local code, out = run("cc -Wall -Werror -o " .. q(stage .. "/send_text") .. " examples/send_text.c $(" .. pc
      .. " --cflags --libs kwa)")
    assert.equals(0, code, out)
    local env = ("LD_LIBRARY_PATH=%s KALEYRA_SID=%s KALEYRA_API_KEY=%s KALEYRA_FROM=%s KALEYRA_BASE_URL=%s"):format(
      q(libdir), q(h.creds.sid), q(h.creds.api_key), q(h.creds.from), q(sandbox.url))
    code, out = run(env .. " " .. q(stage .. "/send_text") .. " +919000000001 'built with pkg-config'")
    local records = sandbox:records()
    sandbox:stop()
    assert.equals(0, code, out)
    assert.matches("^accepted A%w+\n$", out)
    assert.equals("built with pkg-config", records[1].json.messaging_object.text.body)
    local _, ldd = run("LD_LIBRARY_PATH=" .. q(libdir) .. " ldd " .. q(stage .. "/send_text"))
    assert.matches("libkwa%.so", ldd)
  end)
end)

describe("examples", function()
  local sandbox
  setup(function() sandbox = h.start() end)
  teardown(function() sandbox:stop() end)
  before_each(function() sandbox:clear() end)

  local function env()
    local words = {}
    for k, v in pairs(sandbox:env()) do words[#words + 1] = k .. "=" .. q(v) end
    return table.concat(words, " ")
  end

  local cases = {
    { "send_text", 1, function(mo) return mo.text.body end, "Your order #42 has shipped." },
    { "send_cta_url", 1, function(mo) return mo.interactive.type end, "cta_url" },
    { "send_flow", 1, function(mo) return mo.interactive.type end, "flow" },
    { "send_raw", 2, function(mo) return mo.type end, "image" },
  }
  for _, case in ipairs(cases) do
    it(case[1] .. ".lua sends against the stand-in", function()
      local code, out = run(env() .. " lua5.4 examples/" .. case[1] .. ".lua")
      assert.equals(0, code, out)
      assert.matches("^accepted A%w+\n", out)
      local records = sandbox:records()
      assert.equals(case[2], #records)
      assert.equals(case[4], case[3](records[1].json.messaging_object))
    end)
  end

  it("publish_flow.lua publishes", function()
    local code, out = run(env() .. " lua5.4 examples/publish_flow.lua")
    assert.equals(0, code, out)
    assert.equals("published 1120000000000207\n", out)
    assert.matches("/publish$", sandbox:records()[1].uri)
  end)

  it("run as the README says: inside sandbox/sandbox --run", function()
    local code, out = run("lua5.4 sandbox/sandbox --run lua5.4 examples/send_text.lua")
    assert.equals(0, code, out)
    assert.matches("^accepted A%w+\n$", out)
  end)

  it("messages.jsonl and messages.csv are valid bulk input", function()
    for _, f in ipairs { "examples/messages.jsonl", "examples/messages.csv" } do
      local r = cli.run({ "--dry-run", "bulk", f }, cli.env_for(sandbox))
      assert.equals(0, r.code, r.stderr)
      assert.is_true(#r.lines >= 3)
      for _, l in ipairs(r.lines) do assert.is_true(l.dry_run) end
    end
    assert.same({}, sandbox:records())
  end)
end)
