#!/bin/sh
# Benchmark: agent sessions at scale. Runs bench/agentic-1m.yaml (110,000 sessions arriving at 1,500/s,
# two tool calls of 2 cores each, on 5,209 Graviton4 hosts = 1,000,128 cores) under /usr/bin/time -v,
# then counts from sessions.csv the most root sessions in flight at once.
# Usage: bench/agentic.sh [BUILD_DIR] [SCALE] [SCENARIO]   (defaults: build, 1, bench/agentic-1m.yaml;
# SCALE 0.25 runs a quarter of it). bench/agentic-llm-1m.yaml adds an LLM call per turn to Llama 3 8B
# served on 288 GB200; bench/mixed-131k.yaml puts them beside one iteration of Llama 3 405B on 131,072
# GB200 in the same engine (the mixed cluster of issue 16, point 3).
# Needs /usr/bin/time (Debian package "time"). One process, one core. Past about 32k running tool calls
# SimGrid needs --cfg=contexts/guard-size:0 (docs/sources.md), given here.
set -e
build=${1:-build}
scale=${2:-1}
scenario=${3:-bench/agentic-1m.yaml}
hosts=$(awk -v s="$scale" 'BEGIN {printf "%d", 5209 * s}')
sessions=$(awk -v s="$scale" 'BEGIN {printf "%d", 110000 * s}')
rate=$(awk -v s="$scale" 'BEGIN {printf "%g", 1500 * s}')
out=$(mktemp -d)
log=$( { /usr/bin/time -v "$build/racksim" run "$scenario" -o "$out" -q --cfg=contexts/guard-size:0 \
  --set platform.generate.cpu_hosts="$hosts" --set workloads.agents.arrivals.sessions="$sessions" \
  --set workloads.agents.arrivals.rate_per_s="$rate" >/dev/null; } 2>&1 )
wall=$(printf '%s\n' "$log" | awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}')
user=$(printf '%s\n' "$log" | awk -F': ' '/User time/ {print $2}')
rss=$(printf '%s\n' "$log" | awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}')
# The most root sessions (parent -1) in flight at once, an end before a start at the same time.
peak=$("$build/rs-table" peak "$out/sessions.csv" start_s end_s --where parent=-1)
running=$("$build/rs-table" max "$out/cpu_pools.csv" running_calls)
cores=$("$build/rs-table" get "$out/cpu_pools.csv" cores)
sim=$("$build/rs-table" get "$out/summary.csv" end_s --where workload=agents)
printf '| cores | sessions | peak_concurrent_sessions | peak_running_tool_calls | simulated_s | wall_s | user_s | peak_rss_mib |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|---:|\n'
printf '| %s | %s | %s | %s | %.0f | %s | %s | %s |\n' "$cores" "$sessions" "$peak" "$running" "$sim" "$wall" "$user" "$rss"
rm -rf "$out"
