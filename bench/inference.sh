#!/bin/sh
# Benchmark: wall time and peak memory of serving one million requests on 1,024 GPUs
# (bench/inference-1m.yaml: 1,024 Llama 3 8B replicas on 128 p5en.48xlarge, Poisson arrivals).
# Usage: bench/inference.sh [BUILD_DIR] [REQUESTS]   (defaults: build, 1000000). Needs /usr/bin/time
# (Debian package "time"). One process, one core; the CSV tables go to a temporary directory.
set -e
build=${1:-build}
requests=${2:-1000000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '| requests | GPUs | wall_s | cpu_s | peak_rss_mib | simulated_s | requests.csv_mib |\n|---:|---:|---:|---:|---:|---:|---:|\n'
log=$( { /usr/bin/time -v "$build/racksim" run bench/inference-1m.yaml -o "$out/run" --quiet \
         --set workloads.0.requests="$requests"; } 2>&1 )
wall=$(printf '%s\n' "$log" | awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}')
cpu=$(printf '%s\n' "$log" | awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.1f", u+s}')
rss=$(printf '%s\n' "$log" | awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}')
sim=$("$build/rs-table" get "$out/run/summary.csv" duration_s --format %.1f)
csv=$(du -m "$out/run/requests.csv" | cut -f1)
printf '| %d | 1024 | %s | %s | %s | %s | %s |\n' "$requests" "$wall" "$cpu" "$rss" "$sim" "$csv"
