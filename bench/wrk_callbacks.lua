-- bench/wrk_callbacks.lua - wrk script (LuaJIT inside wrk) for
-- bench/callbacks.sh: POSTs Kaleyra v2 status callbacks (the shape of
-- callbacks.md §3.2) with Basic authentication. Each thread numbers its
-- messages; every body is sent twice in a row, so every second request is
-- a redelivery the receiver must drop. done() prints "requests=N
-- unique=U", U being the distinct (message id, status) pairs issued.
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  threads[#threads + 1] = thread
end

local TEMPLATE = '{"meta_object":{"value":{"messaging_product":"whatsapp","metadata":'
  .. '{"display_phone_number":"918000000001","phone_number_id":"104600000000001"},"statuses":'
  .. '[{"id":"%s","status":"delivered","timestamp":"1722834665","recipient_id":"919000000001"}]},'
  .. '"field":"messages"},"extra_info":{"trace_id":"t","message_id":"wamid.%s","waba_id":"347",'
  .. '"ref":"bench","ref1":"","ref2":""},"status":"delivered","message_id":"%s"}'

function init()
  n, unique = 0, 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
end

function request()
  n = n + 1
  local id = string.format("B%d-%d", tid, math.floor((n + 1) / 2))
  if n % 2 == 1 then unique = unique + 1 end
  return wrk.format(nil, nil, nil, string.format(TEMPLATE, id, id, id))
end

function done(summary)
  local u = 0
  for _, t in ipairs(threads) do u = u + (t:get("unique") or 0) end
  io.write(string.format("requests=%d unique=%d errors=%d\n", summary.requests, u,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
