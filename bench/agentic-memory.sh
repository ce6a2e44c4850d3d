#!/bin/sh
# Benchmark: memory per concurrent tool call of bench/agentic-10m.yaml, over several sizes. Each size
# (SCALE x 5,209 Graviton4 hosts, x 110,000 sessions at x 1,500/s; SCALE 10 is the bench file as
# committed) runs twice under /usr/bin/time: with its sessions, then with one session (the platform and
# the run's fixed costs alone). bytes_per_call = (peak RSS with sessions - peak RSS without) / the most
# tool calls that ran at once (cpu_pools.csv's running_calls). The last lines give the growth
# exponents (least squares on log-log) of peak RSS, of the sessions' share of it and of user time.
# Usage: bench/agentic-memory.sh [BUILD_DIR] [SCALES...]   (defaults: build, 1.25 2.5 5 10).
# Needs /usr/bin/time (Debian package "time"). One process, one core; compare user_s.
set -e
build=${1:-build}
[ $# -gt 0 ] && shift
scales=${*:-1.25 2.5 5 10}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# One run: its user seconds and peak RSS in KiB, on one line.
run() {
  { /usr/bin/time -f '%U %M' "$build/racksim" run bench/agentic-10m.yaml -o "$out/run" -q --cfg=contexts/guard-size:0 \
    --set platform.generate.cpu_hosts="$1" --set workloads.agents.arrivals.sessions="$2" \
    --set workloads.agents.arrivals.rate_per_s="$3" >/dev/null; } 2>&1 | tail -1
}
printf '| cores | sessions | peak_running_tool_calls | user_s | peak_rss_mib | platform_only_rss_mib | bytes_per_call |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|\n'
for s in $scales; do
  hosts=$(awk -v s="$s" 'BEGIN {printf "%d", 5209 * s}')
  sessions=$(awk -v s="$s" 'BEGIN {printf "%d", 110000 * s}')
  rate=$(awk -v s="$s" 'BEGIN {printf "%g", 1500 * s}')
  full=$(run "$hosts" "$sessions" "$rate")
  calls=$("$build/rs-table" max "$out/run/cpu_pools.csv" running_calls)
  cores=$("$build/rs-table" get "$out/run/cpu_pools.csv" cores)
  base=$(run "$hosts" 1 "$rate")
  echo "$full $base" | awk -v c="$cores" -v n="$sessions" -v k="$calls" \
    '{printf "| %s | %s | %s | %s | %.0f | %.0f | %.0f |\n", c, n, k, $1, $2 / 1024, $4 / 1024, ($2 - $4) * 1024 / k}'
done | tee "$out/table"
# Growth exponents between the sizes: slope of log(y) on log(running calls).
awk -F'|' '{x = log($4); n++; sx += x; sxx += x * x
  y[1] = log($6); y[2] = log(($6 - $7) > 0 ? $6 - $7 : 1); y[3] = log($5)
  for (i = 1; i <= 3; i++) { sy[i] += y[i]; sxy[i] += x * y[i] } }
  END { d = n * sxx - sx * sx; if (n < 2 || d == 0) exit
    printf "\ngrowth exponents over %d sizes (vs peak running calls): peak RSS %.2f, RSS above the platform-only run %.2f, user time %.2f\n",
      n, (n * sxy[1] - sx * sy[1]) / d, (n * sxy[2] - sx * sy[2]) / d, (n * sxy[3] - sx * sy[3]) / d }' "$out/table"
