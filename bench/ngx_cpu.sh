#!/usr/bin/env bash
# bench/ngx_cpu.sh - where the nginx rows' time goes, beyond instructions:
# the benchmark nginx's worker CPU time (user and system ticks from
# /proc/PID/stat) and its system calls (strace -c) while it answers one
# request of the plain cosocket loop, one of the library's cosocket
# exchange alone ("io": send_text less its calls into C), then one of
# send_text, in turn (bench/ngx_bench.lua, the handler bench/ngx.sh
# measures).
#
#   bench/ngx_cpu.sh    standalone (starts a stand-in with sandbox/sandbox
#                       --run), or inside one (KALEYRA_* set)
# Environment: BENCH_MESSAGES (per request, default 20000), BENCH_ROUNDS
# (plain/io/lib triples, default 3). Needs strace (installed if missing).
# Prints per row and round: messages, seconds (the handler's), user and
# system ticks of the worker (USER_HZ, usually 100 per second); then each
# row's strace -c summary for a request of a quarter as many messages.
#
# Caveats: a diagnostic, not a test; ticks are coarse (10 ms), so use many
# messages. The worker is found as the only child of the nginx master.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export LC_ALL=C

if [ -z "${KALEYRA_BASE_URL:-}" ]; then
  command -v strace >/dev/null || { apt-get update -qq && apt-get install -y -qq strace >/dev/null; }
  [ -f build/luajit/kaleyra/whatsapp/core.so ] || make -s luajit >&2
  exec lua5.4 sandbox/sandbox --run bash "$ROOT/bench/ngx_cpu.sh"
fi
# start_ngx and stop_ngx (on exit) are bench/ngx.sh's, which this sources
# for them (BENCH_NGX_LIB_ONLY makes it define them and return).
BENCH_NGX_LIB_ONLY=1 source "$ROOT/bench/ngx.sh"
N=${BENCH_MESSAGES:-20000} ROUNDS=${BENCH_ROUNDS:-3}
[[ $N =~ ^[1-9][0-9]*$ && $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench/ngx_cpu.sh: bad BENCH_MESSAGES or BENCH_ROUNDS" >&2; exit 2; }
start_ngx
worker=$(pgrep -P "$(cat "$NGX_PREFIX/nginx.pid")" | head -n 1)
ticks() { awk '{ print $14, $15 }' "/proc/$worker/stat"; }
get() { curl -sS -f --max-time 300 "http://127.0.0.1:$NGX_PORT/$1?messages=$2"; }

get plain 2000 >/dev/null; get io 2000 >/dev/null; get lib 2000 >/dev/null # warm: pools, JIT
echo "row round messages seconds user_ticks system_ticks"
for round in $(seq 1 "$ROUNDS"); do
  for row in plain io lib; do
    before=$(ticks); out=$(get "$row" "$N"); after=$(ticks)
    echo "ngx_$row $round $out $(echo "$before $after" | awk '{ print $3 - $1, $4 - $2 }')"
  done
done
for row in plain lib; do
  strace -c -f -p "$worker" -o "$NGX_PREFIX/strace.$row" 2>/dev/null &
  tracer=$!
  sleep 0.5
  get "$row" $((N / 4)) >/dev/null
  kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
  echo "strace -c, ngx_$row, $((N / 4)) messages:"
  sed -n '1,8p' "$NGX_PREFIX/strace.$row"
done
