#!/bin/sh
# Benchmark: wall time and peak memory to generate, load and index GB200 UltraClusters.
# Usage: bench/platform.sh [BUILD_DIR]   (default: build). Needs /usr/bin/time (Debian package "time").
# Each size runs `racksim platform u-p6e-gb200x72 --servers N --describe`: the generator writes the XML,
# SimGrid loads it, racksim indexes every host and prints the summary. One process, one core.
set -e
build=${1:-build}
printf '| GPUs | UltraServers | wall_s | peak_rss_mib |\n|---:|---:|---:|---:|\n'
for servers in 16 256 2048 4096; do
  out=$( { /usr/bin/time -v "$build/racksim" platform u-p6e-gb200x72 --servers "$servers" --describe >/dev/null; } 2>&1 )
  wall=$(printf '%s\n' "$out" | awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}')
  rss=$(printf '%s\n' "$out" | awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}')
  printf '| %d | %d | %s | %s |\n' $((servers * 72)) "$servers" "$wall" "$rss"
done
