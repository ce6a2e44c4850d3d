#!/bin/sh
# Benchmark: CPU time and peak memory to generate, build and index GB200 UltraClusters.
# Usage: bench/platform.sh [BUILD_DIR] [SERVERS...]   (default: build; 16 256 2048 4096 14564).
# Needs /usr/bin/time (Debian package "time"). Each size runs `racksim platform u-p6e-gb200x72 --servers N
# --describe`: racksim builds the platform in SimGrid's engine (no XML), indexes every host and prints
# the summary. One process, one core; compare user_s (wall_s grows with the machine's load).
set -e
build=${1:-build}
[ $# -gt 0 ] && shift
sizes=${*:-16 256 2048 4096 14564}
printf '| GPUs | UltraServers | user_s | sys_s | wall_s | peak_rss_mib |\n|---:|---:|---:|---:|---:|---:|\n'
for servers in $sizes; do
  out=$( { /usr/bin/time -f 'user %U\nsys %S\nwall %e\nrss %M' "$build/racksim" platform u-p6e-gb200x72 --servers "$servers" --describe >/dev/null; } 2>&1 )
  # one row from time's lines; its peak RSS comes in KiB
  printf '%s\n' "$out" | awk -v g=$((servers * 72)) -v s="$servers" '{v[$1] = $2}
    END {printf "| %d | %d | %s | %s | %s | %.0f |\n", g, s, v["user"], v["sys"], v["wall"], v["rss"] / 1024}'
done
