#!/bin/sh
# Benchmark: training at scale (issue #4). Usage: bench/training.sh [BUILD_DIR] [cost|oversubscribed|agreement|cp]
# (default: build, all four). Needs /usr/bin/time (Debian package "time"). One process, one core per run.
#  cost:      one iteration of Llama 3 405B (TP8 PP16, 8 micro-batches per pipeline) on GB200 NVL72
#             UltraClusters in aggregated mode, and of DeepSeek-V3 671B on 147,456 GPUs: wall and CPU
#             time, peak memory, and what it simulated.
#  oversubscribed: the cost case's 405B on a 2:1 fabric (issue 16, point 1), 256 to 4,096 UltraServers:
#             CPU time, peak memory, step, and the other replicas' sends per micro-batch and the flows they
#             run as (the run's --verbose line).
#  agreement: Llama 3 8B (TP4 PP2) on 1,152 to 4,608 GPUs of a 2:1 oversubscribed fabric (8 UltraServers
#             per pod), faithful and aggregated: step times and their difference.
#  cp:        Llama 3 70B FP8 on 512 H100 (TP8 PP4 CP2 VP5: every CP group spans two p5 servers; 16
#             servers per pod, 2:1), faithful and aggregated: CPU time and step times.
set -e
build=${1:-build}
what=${2:-all}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run NAME ARGS...: racksim run under /usr/bin/time; sets wall, cpu (user + system s: what one core
# spends, whatever else shares the machine), rss (MiB), step (s), mfu.
run() {
  name=$1
  shift
  out=$( { /usr/bin/time -v "$build/racksim" run "$@" -o "$tmp/$name" -q --set outputs.events=false; } 2>&1 )
  wall=$(printf '%s\n' "$out" | awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}')
  cpu=$(printf '%s\n' "$out" | awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}')
  rss=$(printf '%s\n' "$out" | awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}')
  step=$("$build/rs-table" get "$tmp/$name/iterations.csv" step_s)
  mfu=$("$build/rs-table" get "$tmp/$name/iterations.csv" mfu --format %.3f)
}

cat > "$tmp/405b.yaml" <<'YAML'
name: bench-405b
platform:
  generate: {server: u-p6e-gb200x72, servers: 16}
workloads:
  - kind: training
    model: {preset: llama3-405b}
    tp: 8
    pp: 16
    global_batch: 576
    mode: aggregated
YAML
cat > "$tmp/671b.yaml" <<'YAML'
name: bench-671b
platform:
  generate: {server: u-p6e-gb200x72, servers: 2048}
workloads:
  - kind: training
    model: {preset: deepseek-v3}
    tp: 1
    ep: 8
    pp: 16
    global_batch: 73728
    precision: fp8
    mode: aggregated
YAML
cat > "$tmp/cp512.yaml" <<'YAML'
name: bench-cp512
platform:
  generate: {server: p5.48xlarge, servers: 64, servers_per_pod: 16, oversubscription: 2}
workloads:
  - kind: training
    model: {preset: llama3-70b}
    tp: 8
    pp: 4
    cp: 2
    vp: 5
    micro_batch: 1
    global_batch: 128
    zero: 1
    recompute: none
    precision: fp8
    tp_comm_overlap: true
YAML
cat > "$tmp/8b.yaml" <<'YAML'
name: bench-8b
platform:
  generate: {server: u-p6e-gb200x72, servers: 16, servers_per_pod: 8, oversubscription: 2}
workloads:
  - kind: training
    model: {preset: llama3-8b}
    tp: 4
    pp: 2
    global_batch: 288
YAML

if [ "$what" = all ] || [ "$what" = cost ]; then
  printf '| GPUs | UltraServers | DP | mode | wall_s | cpu_s | peak_rss_mib | step_s | mfu |\n'
  printf '|---:|---:|---:|---|---:|---:|---:|---:|---:|\n'
  for servers in 16 256 2048; do
    gpus=$((servers * 72))
    dp=$((gpus / 128))
    run "cost-$servers" "$tmp/405b.yaml" --set platform.generate.servers=$servers \
      --set workloads.0.global_batch=$((dp * 8))
    printf '| %d | %d | %d | aggregated | %s | %s | %s | %s | %s |\n' $gpus "$servers" $dp "$wall" "$cpu" "$rss" "$step" \
      "$mfu"
  done
  # 131,072 GPUs: the first 131,072 of 1,821 UltraServers (stages then straddle UltraServers).
  gpus=131072 servers=1821
  dp=$((gpus / 128))
  run cost-$gpus "$tmp/405b.yaml" --set platform.generate.servers=$servers --set workloads.0.gpus=$gpus \
    --set workloads.0.global_batch=$((dp * 8))
  printf '| %d | %d | %d | aggregated | %s | %s | %s | %s | %s |\n' $gpus $servers $dp "$wall" "$cpu" "$rss" "$step" "$mfu"
  # DeepSeek-V3 (671B MoE), TP1 EP8 PP16, FP8: 8 DP replicas (one EP group) run as actors.
  servers=2048
  gpus=$((servers * 72))
  dp=$((gpus / 16))
  run cost-671b "$tmp/671b.yaml" --set platform.generate.servers=$servers
  printf '| %d (671B MoE) | %d | %d | aggregated | %s | %s | %s | %s | %s |\n' $gpus $servers $dp "$wall" "$cpu" "$rss" "$step" \
    "$mfu"
fi

if [ "$what" = all ] || [ "$what" = oversubscribed ]; then
  printf '\n| GPUs | UltraServers | sends per micro-batch | as flows | wall_s | cpu_s | peak_rss_mib | step_s |\n'
  printf '|---:|---:|---:|---:|---:|---:|---:|---:|\n'
  for servers in 256 512 1024 2048 4096; do
    gpus=$((servers * 72))
    run "over-$servers" "$tmp/405b.yaml" --set platform.generate.servers=$servers \
      --set platform.generate.oversubscription=2 --set workloads.0.global_batch=$((gpus / 128 * 8)) \
      --log=rs_training.thres:info
    counts=$(printf '%s\n' "$out" | sed -n 's/.*GPUs run as actors; \([0-9]*\) sends.* run as \([0-9]*\) flows.*/\1 | \2/p')
    printf '| %d | %d | %s | %s | %s | %s | %s |\n' $gpus "$servers" "$counts" "$wall" "$cpu" "$rss" "$step"
  done
fi

if [ "$what" = all ] || [ "$what" = agreement ]; then
  printf '\n| GPUs | faithful step_s | faithful cpu_s | aggregated step_s | aggregated cpu_s | difference |\n'
  printf '|---:|---:|---:|---:|---:|---:|\n'
  for servers in 16 32 64; do
    sets="--set platform.generate.servers=$servers --set workloads.0.global_batch=$((servers * 18))"
    run "f-$servers" "$tmp/8b.yaml" $sets --set workloads.0.mode=faithful
    fstep=$step fcpu=$cpu
    run "a-$servers" "$tmp/8b.yaml" $sets --set workloads.0.mode=aggregated
    diff=$(awk -v f="$fstep" -v a="$step" 'BEGIN {d=(a-f)/f*100; printf "%+.3f%%", d}')
    printf '| %d | %s | %s | %s | %s | %s |\n' $((servers * 72)) "$fstep" "$fcpu" "$step" "$cpu" "$diff"
  done
fi

if [ "$what" = all ] || [ "$what" = cp ]; then
  printf '\n| case | mode | wall_s | cpu_s | peak_rss_mib | step_s | mfu |\n'
  printf '|---|---|---:|---:|---:|---:|---:|\n'
  for mode in faithful aggregated; do
    run "cp-$mode" "$tmp/cp512.yaml" --set workloads.0.mode=$mode
    printf '| 512 H100, TP8 PP4 CP2 | %s | %s | %s | %s | %s | %s |\n' $mode "$wall" "$cpu" "$rss" "$step" "$mfu"
  done
fi
