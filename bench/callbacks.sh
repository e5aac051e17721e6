#!/usr/bin/env bash
# bench/callbacks.sh - the load figure of issue 10 (`make bench-callbacks`):
# wrk POSTs status callbacks to the README's nginx receiver
# (examples/openresty/callbacks.lua, one worker, bench/callbacks.conf.in)
# for BENCH_SECONDS (default 10) and we report events/s as seen by the user
# function, checking that none was lost (seen == distinct pairs issued) and
# that the redeliveries (every second request) were dropped.
# A benchmark, not a test: it fails only when a check fails. Prints one
# summary block; bench/RESULTS.md holds a copy of a run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_=${BENCH_SECONDS:-10}
export LUA_PATH="$ROOT/lua/?.lua;$ROOT/?.lua;;" LUA_CPATH="$ROOT/build/lua/?.so;;"

command -v wrk >/dev/null || {
  sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
}

lua5.4 - "$ROOT" "$SECONDS_" <<'LUA'
local root, seconds = arg[1], tonumber(arg[2])
package.path = root .. "/?.lua;" .. package.path
local launcher = require "sandbox.launcher"
local socket = require "socket"
local user, password = "kaleyra", "bench-pw"
local s <close> = assert(launcher.start { conf = { template = root .. "/bench/callbacks.conf.in",
  vars = { ROOT = root, CB_USER = user, CB_PASSWORD = password } } })
local function sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  p:close()
  return out
end
local auth = "Basic " .. sh("printf %s '" .. user .. ":" .. password .. "' | base64 -w0")
local cmd = ("BENCH_AUTH=%q wrk -t2 -c32 -d%ds -s %s/bench/wrk_callbacks.lua %s/kaleyra/callbacks")
  :format(auth, seconds, root, s.url)
local out = sh(cmd .. " 2>&1")
local requests, unique, errors = out:match("requests=(%d+) unique=(%d+) errors=(%d+)")
requests, unique, errors = tonumber(requests), tonumber(unique), tonumber(errors)
local function seen()
  local c = assert(socket.connect("127.0.0.1", s.port))
  c:send("GET /count HTTP/1.0\r\nHost: x\r\n\r\n")
  local text = c:receive("*a")
  c:close()
  return tonumber(text:match("\r\n\r\n(%d+)$"))
end
-- the last timers may still be running: wait (bounded) until the count settles
local n, last = seen(), -1
for _ = 1, 50 do
  if n == last then break end
  socket.sleep(0.1)
  last, n = n, seen()
end
print(out)
print(("command: %s"):format(cmd:gsub("BENCH_AUTH=%b\"\"", "BENCH_AUTH=<basic>")))
print(("requests %d in %d s (%.0f/s), distinct (message id, status) %d, redeliveries %d"):format(
  requests, seconds, requests / seconds, unique, requests - unique))
print(("events seen by on_events: %d = %.0f events/s; lost %d; redeliveries passed through %d; errors %d"):format(
  n, n / seconds, math.max(unique - n, 0), math.max(n - unique, 0), errors))
if errors > 0 or n ~= unique then os.exit(1) end
LUA
