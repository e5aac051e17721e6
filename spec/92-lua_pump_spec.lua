-- spec/92-lua_pump_spec.lua - the pump methods of src/kwa_lua_pump.c that
-- kaleyra/whatsapp/transport.lua drives, straight on the core (Lua 5.4,
-- no I/O): a job as a request table or as values (next_job(true)), an
-- answer as a response table or as values (report(id, status, body,
-- retry_after)), the same result either way; a job id is good for one
-- report on its own batch; job_headers is next_job's headers table.
local h = require "spec.helpers"
local core = require "kaleyra.whatsapp.core"

local ACCEPTED = '{"code":"WA202","message":"Request Accepted","data":{"message_id":"A1"},"error":{}}'
local LIMITED = '{"code":"WA429","message":"Too many requests","error":{}}'
local MSG = { to = "+919876543210", body = "hello" }

local function external(overrides)
  local o = h.options(nil, overrides)
  o.base_url = o.base_url or "http://127.0.0.1:9/base"
  o._external = true
  return assert(core.new(o))
end

describe("the pump of Lua transports", function()
  local c
  before_each(function() c = external() end)
  after_each(function() c:close() end)

  it("gives a job as a request table, headers and all, the key hidden from tostring", function()
    local b = assert(c:one("text", MSG))
    local id, req = b:next_job()
    assert.is_not_nil(id)
    assert.equals("text", req.op)
    assert.equals("POST", req.method)
    assert.equals("http://127.0.0.1:9/base/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages", req.url)
    assert.equals(1, req.attempt)
    assert.same({ ["api-key"] = h.creds.api_key, ["Content-Type"] = "application/json",
      Accept = "application/json", ["User-Agent"] = req.headers["User-Agent"] }, req.headers)
    assert.matches("^kaleyra%-whatsapp/", req.headers["User-Agent"])
    assert.same(req.headers, c:job_headers())
    assert.equals("application/x-www-form-urlencoded",
      c:job_headers("application/x-www-form-urlencoded")["Content-Type"])
    assert.is_nil(tostring(req):find(h.creds.api_key, 1, true))
    b:report(id, { status = 202, body = ACCEPTED, headers = {} })
    assert.is_true(b:step())
    assert.equals("A1", b:result().message_id)
    b:close()
  end)

  it("gives the same job as values with next_job(true), and takes the answer as values", function()
    local b = assert(c:one("text", MSG))
    local id, url, body, method, ct, timeout, connect_timeout = b:next_job(true)
    assert.is_not_nil(id)
    assert.equals("http://127.0.0.1:9/base/v2/" .. h.creds.sid .. "/whatsapp/" .. h.creds.from .. "/messages", url)
    assert.equals("POST", method)
    assert.equals("application/json", ct)
    assert.equals(10, timeout)
    assert.is_number(connect_timeout)
    assert.equals("hello", h.json.decode(body).messaging_object.text.body)
    b:report(id, 202, ACCEPTED)
    assert.is_true(b:step())
    local res = b:result()
    assert.equals("A1", res.message_id)
    assert.equals(202, res.status)
    b:close()
  end)

  it("hands out the first job with the batch when c:one() is asked to (its `first`)", function()
    local b, id, url, body, method, ct, timeout, connect_timeout = c:one("text", MSG, nil, true)
    assert.equals("userdata", type(id))
    local plain = assert(c:one("text", MSG))
    local _, url2, body2, method2, ct2, timeout2, connect_timeout2 = plain:next_job(true)
    assert.same({ url2, body2, method2, ct2, timeout2, connect_timeout2 },
      { url, body, method, ct, timeout, connect_timeout })
    local nothing, wait = b:next_job(true) -- the one job is out already
    assert.is_nil(nothing)
    assert.is_nil(wait)
    assert.is_true(b:report(id, 202, ACCEPTED))
    assert.equals("A1", b:result().message_id)
    local none, err = c:one("text", { to = "nope", body = "x" }, nil, true)
    assert.is_nil(none)
    assert.equals("to", err.field)
    b:close()
    plain:close()
  end)

  it("reads Retry-After from the values form as from a headers table", function()
    local function limited(report)
      local b = assert(c:one("text", MSG))
      local id = b:next_job(true)
      report(b, id)
      assert.is_true(b:step())
      local res, err = b:result()
      b:close()
      assert.is_nil(res)
      return err
    end
    local c0 = c
    c = external { retries = 0 }
    local by_values = limited(function(b, id) b:report(id, 429, LIMITED, "7") end)
    local by_table = limited(function(b, id)
      b:report(id, { status = 429, body = LIMITED, headers = { ["Retry-After"] = "7" } })
    end)
    c:close()
    c = c0
    assert.equals("rate_limit", by_values.kind)
    assert.equals(7, by_values.retry_after)
    assert.equals(by_table.retry_after, by_values.retry_after)
    assert.equals(by_table.kind, by_values.kind)
  end)

  it("takes a job's report once, and only on its own batch", function()
    local b1, b2 = assert(c:one("text", MSG)), assert(c:one("text", MSG))
    local id1 = b1:next_job(true)
    local id2 = b2:next_job()
    assert.has_error(function() b2:report(id1, 202, ACCEPTED) end)
    assert.has_error(function() b1:report(1, 202, ACCEPTED) end)
    b1:report(id1, 202, ACCEPTED)
    assert.has_error(function() b1:report(id1, 202, ACCEPTED) end)
    b2:report(id2, nil, { io = "closed_sent", message = "gone" })
    assert.is_true(b1:step())
    assert.is_true(b2:step())
    assert.equals("A1", b1:result().message_id)
    local _, err = b2:result()
    assert.equals("network", err.kind)
    b1:close()
    b2:close()
  end)

  it("forgets the running jobs of a batch closed before they were reported", function()
    local b = assert(c:one("text", MSG))
    local id = b:next_job(true)
    b:close()
    local b2 = assert(c:one("text", MSG))
    assert.has_error(function() b2:report(id, 202, ACCEPTED) end)
    local id2 = b2:next_job(true)
    b2:report(id2, 202, ACCEPTED)
    assert.is_true(b2:step())
    assert.equals("A1", b2:result().message_id)
    b2:close()
  end)

  it("refuses an answer in the values form that is not one", function()
    local b = assert(c:one("text", MSG))
    local id = b:next_job(true)
    assert.has_error(function() b:report(id, 42, ACCEPTED) end)
    assert.is_true(b:step()) -- reported as closed after sending, so nothing stays running
    local _, err = b:result()
    assert.equals("network", err.kind)
    b:close()
  end)
end)

describe("a spent one-shot batch", function()
  it("reads as closed, and c:one() renews it for the next call of its client only", function()
    local c, other = external(), external()
    local b = assert(c:one("text", MSG))
    local id = b:next_job(true)
    assert.is_true(b:report(id, 202, ACCEPTED)) -- a one-shot call's report says it finished
    assert.equals("A1", b:result("spend").message_id)
    assert.has_error(function() b:next_job() end, "attempt to use a closed kaleyra.whatsapp.Batch")
    assert.has_error(function() b:result() end)
    -- another client's call does not take it
    local b2 = assert(other:one("text", MSG, b))
    assert.are_not.equal(b, b2)
    b2:close()
    -- its own client's does, as new
    local b3 = assert(c:one("text", { to = "+919876543210", body = "again" }, b))
    assert.equals(b, b3)
    local id3, _, body = b3:next_job(true)
    assert.equals("again", h.json.decode(body).messaging_object.text.body)
    assert.is_false(b3:report(id3, 503, '{"code":"E503","message":"busy","error":{}}'))
    local id4
    for _ = 1, 200 do -- the retry comes after its backoff, as the pump waits for it
      local next_id, wait = b3:next_job(true)
      if next_id then
        id4 = next_id
        break
      end
      assert.is_true(wait == nil or wait < 5)
      os.execute("sleep 0.05")
      b3:step()
    end
    assert.is_true(b3:report(id4, 202, ACCEPTED))
    local res = b3:result("spend")
    assert.equals(2, res.attempts)
    -- an invalid message leaves nothing sent
    local none, err = c:one("text", { to = "" }, b3)
    assert.is_nil(none)
    assert.equals("validation", err.kind)
    c:close()
    other:close()
  end)
end)

describe("a renewed batch", function()
  it("forgets the Retry-After pause of the call it served before", function()
    local c = external { retries = 0 }
    local b = assert(c:one("text", MSG))
    assert.is_true(b:report(b:next_job(true), 429, LIMITED, "20"))
    local _, err = b:result("spend")
    assert.equals(20, err.retry_after)
    local again = assert(c:one("text", MSG, b))
    assert.equals(b, again)
    local id = again:next_job(true) -- at once: each call has its own pacing, as before
    assert.is_not_nil(id)
    assert.is_true(again:report(id, 202, ACCEPTED))
    assert.equals("A1", again:result(true).message_id)
    assert.has_error(function() again:step() end, "attempt to use a closed kaleyra.whatsapp.Batch")
    c:close()
  end)
end)
