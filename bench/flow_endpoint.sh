#!/usr/bin/env bash
# bench/flow_endpoint.sh - the Flows data endpoint's throughput in ONE nginx
# worker (examples/openresty/flow_endpoint.lua through
# spec/support/flow_endpoint.conf.in, LuaJIT build): each request is one
# RSA-2048 OAEP decryption, one AES-128-GCM decryption and one encryption
# (a `ping`, answered by the library). Next to it, the bare private-key
# operation rate of `openssl speed rsa2048` (sign/s) on the same machine,
# since RSA dominates: the endpoint should reach 0.8 of it.
#
# Usage: bash bench/flow_endpoint.sh [seconds]   (needs wrk, openssl, nginx
# with the Lua module; `make luajit` first). Prints a Markdown section for
# bench/RESULTS.md. Everything it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_RUN=${1:-10}
export LUA_PATH="$PWD/lua/?.lua;$PWD/?.lua;;" LUA_CPATH="$PWD/build/lua/?.so;;"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
make -s all luajit >/dev/null

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/key.pem" 2>/dev/null
openssl pkey -in "$dir/key.pem" -pubout -out "$dir/pub.pem"

# The endpoint: one worker, started and stopped by the Lua driver, which
# also makes the encrypted ping body and runs wrk against it.
# openssl speed before and after the endpoint run: the machine's speed
# drifts (shared cores), so the ratio is taken against their mean.
speed() { openssl speed -seconds "$SECONDS_RUN" rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6}'; }
sign_before=$(speed)
lua5.4 - "$dir" "$SECONDS_RUN" >"$dir/endpoint.txt" <<'LUA'
local launcher = require "sandbox.launcher"
local whatsapp = require "kaleyra.whatsapp"
local dir, seconds = arg[1], arg[2]
local function read(p) local f = assert(io.open(p, "rb")) local s = f:read("a") f:close() return s end
local body = assert(whatsapp.flow_request_encrypt(read(dir .. "/pub.pem"), { version = "3.0", action = "ping" }))
local f = assert(io.open(dir .. "/body.json", "wb")) f:write(body) f:close()
local s = assert(io.open(dir .. "/post.lua", "w"))
s:write('wrk.method = "POST"\nlocal f = io.open("' .. dir .. '/body.json", "rb")\nwrk.body = f:read("*a")\nf:close()\n')
s:close()
local app = assert(launcher.start { conf = { template = "spec/support/flow_endpoint.conf.in", vars = {
  ROOT = io.popen("pwd -P"):read("l"), KEY = dir .. "/key.pem", PASS = "" } } })
local ok, out = pcall(function()
  local url = ("http://127.0.0.1:%d/flow"):format(app.port)
  os.execute(("wrk -t1 -c4 -d2s -s %s/post.lua %s >/dev/null"):format(dir, url)) -- warm-up
  local p = io.popen(("wrk -t1 -c4 -d%ss -s %s/post.lua %s"):format(seconds, dir, url))
  local text = p:read("a")
  p:close()
  return text
end)
app:stop()
assert(ok, out)
io.write(out)
LUA
rps=$(awk '/^Requests\/sec:/ {print $2}' "$dir/endpoint.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$dir/endpoint.txt")
sign_after=$(speed)
sign=$(awk -v a="$sign_before" -v b="$sign_after" 'BEGIN {printf "%.1f", (a + b) / 2}')
ratio=$(awk -v a="$rps" -v b="$sign" 'BEGIN {printf "%.2f", a / b}')
cpu=$(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//')

cat <<MD
## The Flows data endpoint (bench/flow_endpoint.sh)

One nginx worker running examples/openresty/flow_endpoint.lua (LuaJIT
build), each request a full \`ping\`: base64 and JSON of the envelope,
RSA-2048 OAEP-SHA256 unwrapping of the AES key, AES-128-GCM decryption,
the library's answer, AES-128-GCM encryption. wrk: 1 thread, 4
connections, ${SECONDS_RUN} s, after a 2 s warm-up. Machine: ${cpu}, $(nproc) cores,
$(openssl version | cut -d' ' -f1-2).

| what | per second |
| --- | ---: |
| endpoint, decrypt + encrypt per request, one nginx worker | ${rps} |
| \`openssl speed -seconds ${SECONDS_RUN} rsa2048\`, private-key operations (sign/s), mean of a run before (${sign_before}) and after (${sign_after}) | ${sign} |
| ratio | ${ratio} |

Non-2xx answers during the run: ${non2xx:-0}. Commands:
\`bash bench/flow_endpoint.sh ${SECONDS_RUN}\` (it runs \`openssl speed -seconds ${SECONDS_RUN} rsa2048\` itself).
MD
