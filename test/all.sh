#!/usr/bin/env bash
# test/all.sh - what `make test` runs: every C unit test binary given
# before "--", then the command after it (busted). Each prints its own
# "N passed, M failed" line; this adds them up and ends with one line of
# the same shape, so CI reads a single, real count. Exits 1 if anything
# failed or a runner printed no count.
set -uo pipefail
units=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do units+=("$1"); shift; done
shift # the "--"
passed=0 failed=0 status=0
count() { # the output of one runner on stdin; adds its counts
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
  if [ -z "$line" ]; then failed=$((failed + 1)); status=1; return; fi
  passed=$((passed + ${line%% passed*}))
  line=${line#*, }
  failed=$((failed + ${line%% failed*}))
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "${units[@]}"; do
  printf '%s: ' "$t"
  "$t" >"$log" 2>&1 || status=1
  tail -n 1 "$log"
  [ $status -eq 0 ] || cat "$log"
  count <"$log"
done
"$@" 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
count <"$log"
echo "$passed passed, $failed failed"
[ $status -eq 0 ] && [ $failed -eq 0 ]
