-- spec/28-upload_spec.lua - client:upload_media: a multipart upload built
-- with libcurl's mime API (templates-media-read.md, section 2.1), the
-- answer's media id, type and size checked per media class before
-- anything is sent, the stand-in parsing the parts and refusing an
-- over-size file, the command and bulk form, Lua transports refusing
-- uploads; and a 60 MB file streamed with peak RSS under 20 MB above idle
-- (read from /proc/self/status, not a timing).
local h = require "spec.helpers"
local cli = require "spec.support.cli"
local status = require "kaleyra.whatsapp.cli.status"

local MB = 1024 * 1024

local function write_file(path, size, unit)
  local f = assert(io.open(path, "wb"))
  unit = unit or string.rep("\0\1\2\3kaleyra", 1024 * 1024 // 11 + 1):sub(1, 1024 * 1024)
  local left = size
  while left > 0 do
    local n = math.min(left, #unit)
    f:write(n == #unit and unit or unit:sub(1, n))
    left = left - n
  end
  f:close()
end

local function proc_kb(key)
  local f = io.open("/proc/self/status")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return tonumber(text:match(key .. ":%s*(%d+) kB"))
end

describe("client:upload_media", function()
  local env = h.env { client = true }
  local dir
  setup(function()
    env.start()
    dir = cli.tmpdir()
  end)
  teardown(function()
    env.stop()
    os.execute("rm -rf " .. dir)
  end)
  before_each(env.clear)

  local function upload_record()
    local records = env.sandbox:records()
    assert.equals(1, #records)
    return records[1]
  end

  it("uploads a file as multipart file and type, and returns the media id", function()
    local path = dir .. "/photo.jpg"
    write_file(path, 3000)
    local res, err = env.client:upload_media { file = path, type = "image/jpeg" }
    assert.is_nil(err)
    assert.equals(200, res.status)
    assert.matches("^%d+$", res.id)
    local rec = upload_record()
    assert.equals("/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/media", rec.uri)
    assert.equals("POST", rec.method)
    assert.matches("^multipart/form%-data; boundary=", rec.headers["content-type"])
    assert.same({ parts = 2, size = 3000, type = "image/jpeg", filename = "photo.jpg" }, rec.upload)
    assert.equals(res.id, rec.media_id)
    -- the id sends
    assert(env.client:send_media { to = h.magic.to, type = "image", id = res.id })
  end)

  it("takes a path as the plain argument, and bytes (NULs included) as data, with a filename", function()
    local path = dir .. "/a.pdf"
    write_file(path, 10)
    local res, err = env.client:upload_media(path)
    assert.is_nil(res)
    assert.equals("type", err.field)
    res = assert(env.client:upload_media { data = "%PDF\0\1\2", type = "application/pdf", filename = "x.pdf" })
    assert.truthy(res.id)
    local rec = upload_record()
    assert.same({ parts = 2, size = 7, type = "application/pdf", filename = "x.pdf" }, rec.upload)
  end)

  it("checks type and size per media class before sending, naming the field", function()
    local small, big_image, big_sticker = dir .. "/s.jpg", dir .. "/big.jpg", dir .. "/st.webp"
    write_file(small, 10)
    write_file(big_image, 5 * MB + 1)
    write_file(big_sticker, 500 * 1024 + 1)
    local rows = {
      { { type = "image/jpeg" }, "file" },
      { { file = small, data = "x", type = "image/jpeg" }, "file" },
      { { file = small }, "type" },
      { { file = small, type = "image/gif" }, "type" },
      { { file = small, type = "" }, "type" },
      { { file = dir .. "/missing.jpg", type = "image/jpeg" }, "file" },
      { { file = dir, type = "image/jpeg" }, "file" },
      { { file = big_image, type = "image/jpeg" }, "file" },
      { { file = big_sticker, type = "image/webp" }, "file" },
      { { data = "", type = "image/jpeg" }, "data" },
      { { data = string.rep("x", 5 * MB + 1), type = "image/png" }, "data" },
      { { file = small, type = "image/jpeg", filename = "" }, "filename" },
      { { file = small, type = "image/jpeg", from = "12" }, "from" },
    }
    for i, row in ipairs(rows) do
      local res, err = env.client:upload_media(row[1])
      assert.is_nil(res, "row " .. i)
      assert.equals("validation", err.kind, "row " .. i)
      assert.equals(row[2], err.field, "row " .. i .. ": " .. tostring(err))
    end
    assert.same({}, env.sandbox:records())
  end)

  it("the stand-in refuses an over-size file with WA400, and checks the type", function()
    local path = dir .. "/big.jpg"
    write_file(path, 5 * MB + 1)
    local url = env.sandbox.url .. "/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/media"
    local code, out = h.run(("curl -s -o - -w ' %%{http_code}' -H 'api-key: %s' -F 'file=@%s' -F 'type=image/jpeg' %s")
      :format(h.creds.api_key, path, url))
    assert.equals(0, code)
    assert.matches('"code":"WA400".* 400$', out)
    assert.matches("larger than", env.sandbox:records()[1].reason, 1, true)
    env.clear()
    local _, out2 = h.run(("curl -s -o - -w ' %%{http_code}' -H 'api-key: %s' -F 'file=@%s' -F 'type=image/gif' %s")
      :format(h.creds.api_key, path, url))
    assert.matches(" 400$", out2)
    env.clear()
    local _, out3 = h.run(("curl -s -o - -w ' %%{http_code}' -H 'api-key: wrong' -F 'file=@%s' -F 'type=image/jpeg' %s")
      :format(path, url))
    assert.matches('"RBC001".* 401$', out3)
  end)

  it("is op upload in build and send_many", function()
    local path = dir .. "/b.png"
    write_file(path, 100)
    local req = assert(env.client:build("upload", { file = path, type = "image/png" }, true))
    assert.equals("upload", req.op)
    assert.equals("POST", req.method)
    assert.matches("/media$", req.url)
    local results = env.client:send_many { { op = "upload", file = path, type = "image/png" },
      { op = "upload", file = path, type = "image/bmp" } }
    assert.is_true(results[1].ok)
    assert.equals("type", results[2].error.field)
    assert.equals(1, #env.sandbox:records())
  end)

  it("is refused by a Lua transport with kind config, nothing sent", function()
    local path = dir .. "/c.png"
    write_file(path, 100)
    local called = false
    local c = h.client(env.sandbox, { transport = function() called = true end })
    local res, err = c:upload_media { file = path, type = "image/png" }
    c:close()
    assert.is_nil(res)
    assert.equals("config", err.kind)
    assert.equals("transport", err.field)
    assert.is_false(called)
  end)

  it("streams a 60 MB file with peak RSS under 20 MB above idle", function()
    local path = dir .. "/big.pdf"
    write_file(path, 60 * MB)
    collectgarbage()
    collectgarbage()
    -- "5" resets VmHWM (peak RSS) to the current RSS (proc(5)), so the peak read after the upload
    -- is this upload's, whatever the process did before
    local f = assert(io.open("/proc/self/clear_refs", "w"), "needs /proc/self/clear_refs")
    f:write("5")
    f:close()
    local idle = assert(proc_kb("VmRSS"))
    local res, err = env.client:upload_media { file = path, type = "application/pdf" }
    local peak = assert(proc_kb("VmHWM"))
    assert.is_nil(err)
    assert.truthy(res.id)
    local rec = upload_record()
    assert.equals(60 * MB, rec.upload.size)
    assert.is_true(peak - idle < 20 * 1024, ("peak RSS %d kB is %d kB above idle %d kB"):format(peak, peak - idle, idle))
  end)

  describe("kaleyra-wa upload", function()
    local cenv
    setup(function() cenv = cli.env_for(env.sandbox) end)

    it("uploads FILE --type and prints the id", function()
      local path = dir .. "/d.jpg"
      write_file(path, 500)
      local r = cli.run({ "upload", path, "--type", "image/jpeg" }, cenv)
      assert.equals("", r.stderr)
      assert.equals(0, r.code)
      assert.is_true(r.lines[1].ok)
      assert.matches("^%d+$", r.lines[1].id)
      assert.equals(500, upload_record().upload.size)
    end)

    it("refuses an unknown type or a missing file as validation", function()
      local r = cli.run({ "upload", dir .. "/nope.jpg", "--type", "image/jpeg" }, cenv)
      assert.equals(status.VALIDATION, r.code)
      assert.matches("(file)", r.stderr, 1, true)
      r = cli.run({ "upload", dir .. "/d.jpg", "--type", "image/gif" }, cenv)
      assert.equals(status.VALIDATION, r.code)
      assert.matches("(type)", r.stderr, 1, true)
      assert.same({}, env.sandbox:records())
    end)

    it("uploads from bulk JSON Lines", function()
      local path = dir .. "/e.png"
      write_file(path, 64)
      local line = assert(h.whatsapp.json_encode { op = "upload", file = path, type = "image/png" })
      local r = cli.run({ "bulk", "-" }, cenv, line .. "\n")
      assert.equals(0, r.code, r.stderr)
      assert.is_true(r.lines[1].ok)
      assert.equals(64, upload_record().upload.size)
    end)
  end)
end)
