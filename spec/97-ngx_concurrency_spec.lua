-- spec/97-ngx_concurrency_spec.lua - inside nginx, send_many and
-- submit/poll keep `concurrency` requests in flight (light threads over
-- cosockets), as the libcurl engine does. Measured by what the stand-in
-- saw, not by wall-clock thresholds: the most requests it had in flight
-- at once, and the number of "waves": a request's wave is one more than
-- the highest wave among the requests already answered when it arrived
-- (each is answered 0.2 s after it arrives, the fault slow-200). One at a
-- time would make 16 waves; 8 at a time makes 2.
local ngx_app = require "spec.support.openresty_client"

local ANSWER_AFTER = 0.2

-- Max in flight and number of waves from the stand-in's records.
local function shape(records)
  table.sort(records, function(a, b) return a.t < b.t end)
  local max, waves = 0, {}
  for i, rec in ipairs(records) do
    max = math.max(max, rec.inflight)
    local wave = 1
    for j = 1, i - 1 do
      -- answered before rec arrived (with slack for nginx's cached clock)
      if records[j].t + ANSWER_AFTER * 0.75 <= rec.t then wave = math.max(wave, waves[j] + 1) end
    end
    waves[i] = wave
  end
  local n = 0
  for _, w in ipairs(waves) do n = math.max(n, w) end
  return max, n
end

describe("inside nginx", function()
  local env = ngx_app.env()
  setup(env.start)
  teardown(env.stop)
  before_each(env.clear)

  for _, route in ipairs { "/many-slow", "/submit-poll" } do
    it(route .. " keeps 8 requests in flight: 16 slow answers come in 2 waves", function()
      local out = ngx_app.post_json(env.app, route, {})
      assert.same({ n = 16, ok = 16 }, out)
      local records = env.standin:records()
      assert.equals(16, #records)
      local max, waves = shape(records)
      assert.equals(8, max)
      assert.equals(2, waves)
    end)
  end
end)
