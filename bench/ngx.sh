#!/usr/bin/env bash
# bench/ngx.sh - the nginx rows of the benchmark (issue 13): inside nginx
# (ONE worker, the library's LuaJIT build), sequential sends from one
# handler, client:send_text through the cosocket transport ("ngx_lib")
# against a plain cosocket loop posting the same bytes ("ngx_plain", see
# bench/ngx_bench.lua), both to the stand-in's fast location, where nginx
# alone answers the documented 202.
#
#   bench/ngx.sh     standalone: builds what is missing, starts a stand-in
#                    with sandbox/sandbox --run and runs itself inside it;
#                    inside a running stand-in (KALEYRA_BASE_URL, _SID,
#                    _API_KEY and _FROM set, as bench/run.sh has them) it
#                    uses that one
# Prints one line per row and round on stdout, "ngx_plain ROUND MESSAGES
# SECONDS" and "ngx_lib ROUND MESSAGES SECONDS" (bench/run.sh's results
# format); the medians and their ratio go to stderr.
# Environment: BENCH_SECONDS (whole seconds per row and round, default 2),
# BENCH_MESSAGES (instead: exactly this many messages per row and round),
# BENCH_ROUNDS (default 5; rows interleaved plain, lib, plain, lib, ...),
# BENCH_NGX_CALLGRIND=DIR (instead: callgrind profiles of the worker, see
# below; BENCH_CG_SMALL and BENCH_CG_LARGE messages, default 1000, 3000).
#
# Caveats: a benchmark, not a test: it fails only when a message fails.
# Its nginx runs on a free 127.0.0.1 port and is stopped on exit (trap).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export LC_ALL=C

if [ -z "${KALEYRA_BASE_URL:-}" ]; then
  [ -f build/luajit/kaleyra/whatsapp/core.so ] || make -s luajit >&2
  exec lua5.4 sandbox/sandbox --run bash "$ROOT/bench/ngx.sh"
fi
: "${KALEYRA_SID:?}" "${KALEYRA_API_KEY:?}" "${KALEYRA_FROM:?}"
[ -f build/luajit/kaleyra/whatsapp/core.so ] || { echo "bench/ngx.sh: run make luajit first" >&2; exit 2; }

SECONDS_PER=${BENCH_SECONDS:-2}
ROUNDS=${BENCH_ROUNDS:-5}
[[ $SECONDS_PER =~ ^[1-9][0-9]*$ ]] || { echo "bench/ngx.sh: BENCH_SECONDS must be whole seconds" >&2; exit 2; }
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench/ngx.sh: BENCH_ROUNDS must be a whole number" >&2; exit 2; }
QUERY="seconds=$SECONDS_PER"
if [ -n "${BENCH_MESSAGES:-}" ]; then
  [[ $BENCH_MESSAGES =~ ^[1-9][0-9]*$ ]] || { echo "bench/ngx.sh: BENCH_MESSAGES must be a whole number" >&2; exit 2; }
  QUERY="messages=$BENCH_MESSAGES"
fi

# ---- the benchmark's nginx (sandbox/launcher.lua: free port, temp prefix) ----
NGX_PREFIX=
stop_ngx() {
  [ -n "$NGX_PREFIX" ] || return 0
  lua5.4 - "$ROOT" "$NGX_PREFIX" <<'LUA' || true
package.path = arg[1] .. "/?.lua;" .. package.path
local s, err = require("sandbox.launcher").attach(arg[2])
if s then s, err = s:stop() end
if not s then io.stderr:write(err, "\n") os.exit(1) end
LUA
  NGX_PREFIX=
}
trap stop_ngx EXIT
trap 'exit 130' INT TERM HUP

# start_ngx [READY_SECONDS]: starts the benchmark's nginx (through
# SANDBOX_NGINX if set); sets NGX_PREFIX and NGX_PORT
start_ngx() {
  eval "$(lua5.4 - "$ROOT" "$KALEYRA_BASE_URL/fast" "$KALEYRA_SID" "$KALEYRA_API_KEY" "$KALEYRA_FROM" "${1:-5}" <<'LUA'
package.path = arg[1] .. "/?.lua;" .. package.path
local launcher = require "sandbox.launcher"
local s, err = launcher.start { ready_timeout = tonumber(arg[6]), conf = {
  template = arg[1] .. "/bench/ngx_bench.conf.in", vars = {
    ROOT = arg[1], BASE = arg[2], SID = arg[3], API_KEY = arg[4], FROM = arg[5],
} } }
if not s then io.stderr:write(tostring(err), "\n") os.exit(1) end
s:detach()
print("NGX_PREFIX=" .. launcher.shell_quote(s.prefix))
print("NGX_PORT=" .. s.port)
LUA
)"
}

# row ROW PATH ROUND: one round of one row, "<messages> <seconds>" from the handler
row() {
  local out
  if ! out=$(curl -sS -f --max-time $((SECONDS_PER * 4 + 120)) "http://127.0.0.1:$NGX_PORT/$2?$QUERY"); then
    echo "bench/ngx.sh: $1 failed; nginx's error.log:" >&2
    tail -n 20 "$NGX_PREFIX/error.log" >&2 || true
    exit 1
  fi
  if ! [[ $out =~ ^[0-9]+\ [0-9.]+$ ]]; then echo "bench/ngx.sh: $1 printed '$out'" >&2; exit 1; fi
  echo "$1 $3 $out"
}

# bench/ngx_cpu.sh sources this file for start_ngx, stop_ngx and row.
if [ -n "${BENCH_NGX_LIB_ONLY:-}" ]; then return 0; fi

# ---- callgrind: BENCH_NGX_CALLGRIND=DIR profiles the worker instead ----
# For each row, nginx runs under valgrind twice (a fresh one each time:
# start-up cancels out), answering one request of CG_SMALL, then one of
# CG_LARGE messages; the worker's profile (the largest of the run's files,
# one per process) becomes DIR/cg.ngx_ROW.N, listed in DIR/cg.txt as
# bench/report.lua reads it. valgrind logs to a file: a daemon that kept
# the launcher's stderr open would keep the launcher waiting.
if [ -n "${BENCH_NGX_CALLGRIND:-}" ]; then
  DIR=$BENCH_NGX_CALLGRIND CG_SMALL=${BENCH_CG_SMALL:-1000} CG_LARGE=${BENCH_CG_LARGE:-3000}
  WRAP=$(mktemp)
  trap 'stop_ngx; rm -f "$WRAP"' EXIT
  printf '#!/bin/sh\nexec valgrind --tool=callgrind -q --log-file="$CG_OUT.log" --callgrind-out-file="$CG_OUT.%%p" %s "$@"\n' \
    "$(command -v nginx || echo /usr/sbin/nginx)" >"$WRAP"
  chmod +x "$WRAP"
  for r in plain lib; do
    for n in "$CG_SMALL" "$CG_LARGE"; do
      rm -f "$DIR/cg.ngx_$r.$n".*
      CG_OUT=$DIR/cg.ngx_$r.$n SANDBOX_NGINX=$WRAP start_ngx 60
      QUERY="messages=$n" SECONDS_PER=60 row "ngx_$r" "$r" 1 >/dev/null
      stop_ngx
      rm -f "$DIR/cg.ngx_$r.$n.log"
      worker=$(ls -S "$DIR/cg.ngx_$r.$n".* | head -n 1)
      mv "$worker" "$DIR/cg.ngx_$r.$n"
      rm -f "$DIR/cg.ngx_$r.$n".*
      callgrind_annotate --auto=no --inclusive=yes --threshold=100 "$DIR/cg.ngx_$r.$n" >"$DIR/cg.ngx_$r.$n.txt"
    done
    echo "ngx_$r cg.ngx_$r.$CG_SMALL $CG_SMALL cg.ngx_$r.$CG_LARGE $CG_LARGE" >>"$DIR/cg.txt"
    echo "  ngx_$r: profiled $CG_SMALL and $CG_LARGE messages in the worker" >&2
  done
  exit 0
fi

start_ngx
echo "bench/ngx.sh: $ROUNDS rounds ($QUERY) against $KALEYRA_BASE_URL/fast" >&2
LINES=
for round in $(seq 1 "$ROUNDS"); do
  for r in "ngx_plain plain" "ngx_lib lib"; do
    line=$(row ${r% *} ${r#* } "$round")
    echo "$line"
    LINES+="$line"$'\n'
  done
done
awk '{ rate[$1, ++n[$1]] = $3 / $4 }
  function median(r,   k, i, j, t, v) {
    k = n[r]; for (i = 1; i <= k; i++) v[i] = rate[r, i]
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2 }
  END { p = median("ngx_plain"); l = median("ngx_lib")
    printf "bench/ngx.sh: median ngx_plain %.0f/s, ngx_lib %.0f/s, ratio %.3f\n", p, l, l / p }' \
  <<<"$LINES" >&2
