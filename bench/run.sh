#!/usr/bin/env bash
# bench/run.sh - the benchmark (`make bench`): what a message costs the
# library against the stand-in's fast location (nginx alone answers the
# documented 202, see sandbox/nginx.conf.in), next to the ceiling (wrk),
# raw libcurl, and what users would pick instead (curl per message,
# Python requests, Node fetch), and inside nginx next to a plain cosocket
# loop (bench/ngx.sh). The primary figures are callgrind's instructions
# and allocator calls per message of every client row (whole processes,
# two message counts, the difference); rates are kept as medians of
# interleaved rounds. Then peak RSS of send_many at 10k and 200k
# messages. bench/report.lua prints the tables and writes
# bench/RESULTS.md, including whether each target of issue 13 is met.
#
#   bench/run.sh            install what is missing, build, start ONE
#                           stand-in, run every row, stop it, report
# Environment: BENCH_SECONDS (whole seconds per row and round, default 2),
# BENCH_ROUNDS (default 5; rows run interleaved, round after round, and the
# median is kept, because this machine is noisy), BENCH_RSS_SMALL and
# BENCH_RSS_LARGE (default 10000 and 200000 messages), BENCH_CG_SMALL and
# BENCH_CG_LARGE (default 1000 and 3000 messages per callgrind pair),
# BENCH_NGX_ROUNDS (the nginx rows' rounds, default 2 x BENCH_ROUNDS - 1:
# they are the noisiest).
#
# Caveats: a benchmark, not a test: it fails only when a request fails.
# Timings are trusted only as ratios within one run. Node rows are
# skipped (with a note) when `node` is missing. The stand-in is stopped by
# sandbox/sandbox --run, which traps EXIT, INT, TERM and HUP.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export LC_ALL=C # EPOCHREALTIME and awk must use a "." decimal point
OUT=$ROOT/build/bench
export LUA_PATH="$ROOT/lua/?.lua;$ROOT/?.lua;$ROOT/?/init.lua;$ROOT/lua/?/init.lua;;" LUA_CPATH="$ROOT/build/lua/?.so;;"

# ---- outside the stand-in: packages, builds, then re-run inside it ----

install_missing() { # Debian packages the benchmark needs beyond `make deps`
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "bench: installing ${missing[*]}"
  local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

build() { # C programs against the system libcurl (and libkwa.a for core_cost)
  local cc=${CC:-cc} flags="-std=c99 -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes -Wwrite-strings -Werror"
  [ -f build/libkwa.a ] && [ -f build/lua/kaleyra/whatsapp/core.so ] || make -s all
  [ -f build/luajit/kaleyra/whatsapp/core.so ] || make -s luajit # the nginx rows
  mkdir -p "$OUT"
  $cc $flags bench/raw_easy.c -o "$OUT/raw_easy" $(pkg-config --cflags --libs libcurl)
  $cc $flags bench/raw_multi.c -o "$OUT/raw_multi" $(pkg-config --cflags --libs libcurl)
  $cc $flags $(pkg-config --cflags libcurl libcjson) -Isrc bench/core_cost.c -o "$OUT/core_cost" \
    build/libkwa.a $(pkg-config --libs libcurl libcjson libcrypto) -lm -lpthread
  "$OUT/core_cost" --body >"$OUT/body.json"
}

if [ "${1:-}" != --inner ]; then
  install_missing wrk python3-requests curl valgrind lua-socket nginx libnginx-mod-http-lua \
    libluajit2-5.1-dev luajit2
  build
  exec lua5.4 sandbox/sandbox --run bash "$ROOT/bench/run.sh" --inner
fi

# ---- inside: KALEYRA_* point at a running stand-in ----

export BENCH_URL="$KALEYRA_BASE_URL/fast/v2/$KALEYRA_SID/whatsapp/$KALEYRA_FROM/messages"
export BENCH_BODY=$OUT/body.json BENCH_KEY=$KALEYRA_API_KEY
export BENCH_AGENT=$("$OUT/core_cost" --agent)
export BENCH_SECONDS=${BENCH_SECONDS:-2}
ROUNDS=${BENCH_ROUNDS:-5}
[[ $BENCH_SECONDS =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_SECONDS must be whole seconds" >&2; exit 2; }
RESULTS=$OUT/results.txt
: >"$RESULTS"
HAVE_NODE=$(command -v node >/dev/null && echo yes || echo no)

# record ROW ROUND CMD...: CMD prints "<messages> <seconds> [extra]"
record() {
  local row=$1 round=$2 line; shift 2
  line=$("$@")
  if ! [[ $line =~ ^[0-9]+[[:space:]]+[0-9.]+ ]]; then
    echo "bench: $row printed '$line'" >&2; exit 1
  fi
  echo "$row $round $line" >>"$RESULTS"
  printf '  %-12s round %s: %s\n' "$row" "$round" "$line"
}

wrk_row() { # connections: "<requests> <seconds>" from wrk's summary
  local out
  out=$(wrk -t1 -c"$1" -d"${BENCH_SECONDS}s" -s bench/wrk_post.lua "$BENCH_URL")
  if grep -q 'Non-2xx' <<<"$out"; then echo "$out" >&2; return 1; fi
  sed -n 's/^ *\([0-9]*\) requests in \([0-9.]*\)s.*/\1 \2/p' <<<"$out"
}

curl_row() { # one curl process per message, as the API documents show
  local start=${EPOCHREALTIME/./} n=0 us
  us=$(awk -v s="$BENCH_SECONDS" 'BEGIN { printf "%d", s * 1000000 }')
  while [ $((${EPOCHREALTIME/./} - start)) -lt "$us" ]; do
    curl -sS -f -o /dev/null -X POST "$BENCH_URL" -H "api-key: $BENCH_KEY" \
      -H 'Content-Type: application/json' -H 'Accept: application/json' \
      -A "$BENCH_AGENT" --data-binary @"$BENCH_BODY"
    n=$((n + 1))
  done
  awk -v n=$n -v us=$((${EPOCHREALTIME/./} - start)) 'BEGIN { printf "%d %.6f\n", n, us / 1e6 }'
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: $ROUNDS rounds of ${BENCH_SECONDS}s per row against $BENCH_URL"
for round in $(seq 1 "$ROUNDS"); do
  record wrk1 "$round" wrk_row 1
  record raw_easy "$round" "$OUT/raw_easy"
  record raw_easy_cb "$round" env BENCH_READ_CALLBACK=1 "$OUT/raw_easy"
  record lib_seq "$round" lua5.4 bench/lib.lua seq "$BENCH_SECONDS"
  record curl "$round" curl_row
  record python "$round" /usr/bin/python3 bench/py_requests.py
  if [ "$HAVE_NODE" = yes ]; then record node1 "$round" node bench/node_fetch.mjs 1; fi
  record wrk8 "$round" wrk_row 8
  record raw_multi "$round" "$OUT/raw_multi"
  record raw_multi_cb "$round" env BENCH_READ_CALLBACK=1 "$OUT/raw_multi"
  record lib_many "$round" lua5.4 bench/lib.lua many "$BENCH_SECONDS" 8
  if [ "$HAVE_NODE" = yes ]; then record node8 "$round" node bench/node_fetch.mjs 8; fi
done

echo "bench: inside nginx (bench/ngx.sh: a plain cosocket loop and send_text, interleaved)"
BENCH_ROUNDS=${BENCH_NGX_ROUNDS:-$((ROUNDS * 2 - 1))} bash bench/ngx.sh >>"$RESULTS"

echo "bench: peak RSS of send_many"
record rss_small 1 lua5.4 bench/lib.lua rss "${BENCH_RSS_SMALL:-10000}"
record rss_large 1 lua5.4 bench/lib.lua rss "${BENCH_RSS_LARGE:-200000}"

echo "bench: callgrind, whole processes (instructions and allocator calls per message)"
# The primary figures: every client row runs twice under callgrind, with
# CG_SMALL and CG_LARGE messages, and the report divides the difference
# (so start-up cancels out) by the difference in messages. Each profile
# gets callgrind_annotate's inclusive listing for the per-function table.
CG_SMALL=${BENCH_CG_SMALL:-1000} CG_LARGE=${BENCH_CG_LARGE:-3000}
: >"$OUT/cg.txt"
cg_run() { # FILE CMD...: one profile; prints the command's "<messages> ..." line
  valgrind --tool=callgrind -q --callgrind-out-file="$1" "${@:2}"
  callgrind_annotate --auto=no --inclusive=yes --threshold=100 "$1" >"$1.txt"
}
cg_count() { # NAME SMALL LARGE CMD...: a row that takes BENCH_COUNT (valgrind
  # must start the program itself: settings go before the call, not via env)
  local name=$1 small=$2 large=$3 n; shift 3
  for n in "$small" "$large"; do
    BENCH_COUNT=$n cg_run "$OUT/cg.$name.$n" "$@" >/dev/null
  done
  echo "$name cg.$name.$small $small cg.$name.$large $large" >>"$OUT/cg.txt"
  echo "  $name: profiled $small and $large messages"
}
cg_wrk() { # NAME CONNECTIONS: wrk is time-bound; its own counts are used
  local name=$1 n1 n3 line
  for d in 1 3; do
    line=$(cg_run "$OUT/cg.$name.$d" wrk -t1 -c"$2" -d"${d}s" -s bench/wrk_post.lua "$BENCH_URL" |
      sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
    if [ "$d" = 1 ]; then n1=$line; else n3=$line; fi
  done
  echo "$name cg.$name.1 $n1 cg.$name.3 $n3" >>"$OUT/cg.txt"
  echo "  $name: profiled $n1 and $n3 requests"
}
cg_curl() { # one process per message: the whole process is the cost
  cg_run "$OUT/cg.curl.1" curl -sS -f -o /dev/null -X POST "$BENCH_URL" -H "api-key: $BENCH_KEY" \
    -H 'Content-Type: application/json' -H 'Accept: application/json' \
    -A "$BENCH_AGENT" --data-binary @"$BENCH_BODY"
  echo "curl - 0 cg.curl.1 1" >>"$OUT/cg.txt"
  echo "  curl: profiled one process"
}
cg_wrk wrk1 1
cg_count raw_easy "$CG_SMALL" "$CG_LARGE" "$OUT/raw_easy"
BENCH_READ_CALLBACK=1 cg_count raw_easy_cb "$CG_SMALL" "$CG_LARGE" "$OUT/raw_easy"
cg_count lib_seq "$CG_SMALL" "$CG_LARGE" lua5.4 bench/lib.lua seq 1
cg_curl
cg_count python $((CG_SMALL / 5)) $((CG_LARGE / 5)) /usr/bin/python3 bench/py_requests.py
cg_wrk wrk8 8
cg_count raw_multi "$CG_SMALL" "$CG_LARGE" "$OUT/raw_multi"
BENCH_READ_CALLBACK=1 cg_count raw_multi_cb "$CG_SMALL" "$CG_LARGE" "$OUT/raw_multi"
cg_count lib_many "$CG_SMALL" "$CG_LARGE" lua5.4 bench/lib.lua many 1 8
# The nginx rows: the worker under callgrind (bench/ngx.sh says how).
BENCH_NGX_CALLGRIND=$OUT BENCH_CG_SMALL=$CG_SMALL BENCH_CG_LARGE=$CG_LARGE bash bench/ngx.sh
# The C core alone (build + validate + parse), as before.
cg_count core 1000 11000 "$OUT/core_cost"

# ---- the machine, for the report ----
{
  echo "date	$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpus	$(nproc)"
  echo "cpu	$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  echo "kernel	$(uname -sr)"
  echo "os	$(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "libcurl	$(pkg-config --modversion libcurl)"
  echo "cjson	$(pkg-config --modversion libcjson)"
  echo "nginx	$(nginx -v 2>&1 | sed 's/.*nginx\///')"
  echo "lua	$(lua5.4 -v | cut -d' ' -f2)"
  echo "luajit	$(luajit -v 2>/dev/null | cut -d' ' -f2 || echo missing)"
  echo "cg_small	$CG_SMALL"
  echo "cg_large	$CG_LARGE"
  echo "node	$( [ "$HAVE_NODE" = yes ] && node --version || echo 'missing: Node rows skipped')"
  echo "python	$(/usr/bin/python3 -c 'import sys, requests; print(sys.version.split()[0], "requests", requests.__version__)')"
  echo "wrk	$(dpkg-query -W -f '${Version}' wrk)"
  echo "curl	$(curl --version | head -n 1 | cut -d' ' -f2)"
  echo "body	$(wc -c <"$BENCH_BODY")"
  echo "seconds	$BENCH_SECONDS"
  echo "rounds	$ROUNDS"
  echo "load	$LOAD_BEFORE before the rows, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
} >"$OUT/meta.txt"

lua5.4 bench/report.lua "$OUT" "$ROOT/bench/RESULTS.md"
