#!/usr/bin/env bash
# bench/run.sh - the benchmark of issue 3 (`make bench`): how many messages
# per second the library sends against the stand-in's fast location
# (nginx alone answers the documented 202, see sandbox/nginx.conf.in),
# next to the ceiling (wrk), raw libcurl, and what users would pick
# instead (curl per message, Python requests, Node fetch). Then peak RSS
# of send_many at 10k and 200k messages, and callgrind's instruction and
# allocation counts per message. bench/report.lua prints the table and
# writes bench/RESULTS.md.
#
#   bench/run.sh            install what is missing, build, start ONE
#                           stand-in, run every row, stop it, report
# Environment: BENCH_SECONDS (whole seconds per row and round, default 2),
# BENCH_ROUNDS (default 5; rows run interleaved, round after round, and the
# median is kept, because this machine is noisy), BENCH_RSS_SMALL and
# BENCH_RSS_LARGE (default 10000 and 200000 messages).
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
  mkdir -p "$OUT"
  $cc $flags bench/raw_easy.c -o "$OUT/raw_easy" $(pkg-config --cflags --libs libcurl)
  $cc $flags bench/raw_multi.c -o "$OUT/raw_multi" $(pkg-config --cflags --libs libcurl)
  $cc $flags $(pkg-config --cflags libcurl libcjson) -Isrc bench/core_cost.c -o "$OUT/core_cost" \
    build/libkwa.a $(pkg-config --libs libcurl libcjson libcrypto) -lm -lpthread
  "$OUT/core_cost" --body >"$OUT/body.json"
}

if [ "${1:-}" != --inner ]; then
  install_missing wrk python3-requests curl valgrind lua-socket
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

echo "bench: peak RSS of send_many"
record rss_small 1 lua5.4 bench/lib.lua rss "${BENCH_RSS_SMALL:-10000}"
record rss_large 1 lua5.4 bench/lib.lua rss "${BENCH_RSS_LARGE:-200000}"

echo "bench: callgrind (instructions and allocations per message)"
# The core alone: two loop counts, so start-up cancels out in the difference.
for n in 1000 11000; do
  valgrind --tool=callgrind -q --callgrind-out-file="$OUT/cg.core_$n" "$OUT/core_cost" $n
done
cg() { # NAME TOGGLE CMD...: a profile that counts only inside function TOGGLE
  local name=$1 toggle=$2; shift 2
  record "cg_$name" 1 valgrind --tool=callgrind -q --callgrind-out-file="$OUT/cg.$name" \
    --toggle-collect="$toggle" "$@"
}
cg raw_easy run_loop "$OUT/raw_easy"
cg lib_seq send_blocking lua5.4 bench/lib.lua seq "$BENCH_SECONDS"
cg raw_multi run_loop "$OUT/raw_multi"
cg lib_many client_send_many lua5.4 bench/lib.lua many "$BENCH_SECONDS" 8
for name in raw_easy lib_seq raw_multi lib_many; do
  callgrind_annotate --inclusive=yes --threshold=100 "$OUT/cg.$name" >"$OUT/cg.$name.txt" 2>/dev/null
done

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
