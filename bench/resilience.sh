#!/bin/sh
# resilience.sh -- the long-horizon failure case: scenarios/resilience-llama3-54days.yaml (Llama 3 405B
# on 16,384 H100 for 54 days under the Llama 3 paper's failure causes, the renewal fast path after two
# simulated iterations), under /usr/bin/time -v: wall time, CPU time, peak memory, and the run's
# interruptions and goodput. Target (issue 11): under 30 s and 4 GiB on one core.
# Usage: bench/resilience.sh [BUILD_DIR]
build=${1:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/time -v "$build/racksim" run scenarios/resilience-llama3-54days.yaml -o "$out/run" -q --set outputs.events=false \
  2>"$out/time" || { cat "$out/time"; exit 1; }
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out/time")
user=$(sed -n 's/.*User time (seconds): //p' "$out/time")
sys=$(sed -n 's/.*System time (seconds): //p' "$out/time")
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/time")
echo "case,wall,cpu_s,peak_rss_mib,interruptions,goodput"
printf 'llama3-54days,%s,%s,%d,%s,%s\n' "$wall" "$(echo "$user + $sys" | bc)" $((rss / 1024)) \
  "$("$build/rs-table" get "$out/run/summary.csv" interruptions)" \
  "$("$build/rs-table" get "$out/run/summary.csv" goodput --format %.4f)"
