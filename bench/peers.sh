#!/bin/sh
# Benchmark: racksim beside a peer simulator on the same training cases (issue 16, point 5).
# Usage: bench/peers.sh [BUILD_DIR]   (default: build). Needs /usr/bin/time (Debian package "time").
# Each case runs once in racksim and once in Calculon, one process on one core each, in this same run:
# CPU seconds (user + system), peak RSS, their ratio, and each tool's step time and TF/GPU against the
# published figure (Narayanan et al., SC'21, Table 1: Megatron-LM GPT on Selene's A100s).
# Peers are never part of the project: point at a work tree of each (their licences and files stay there).
#   CALCULON_DIR     a Calculon work tree (Python; needs python3-numpy, python3-pandas, python3-psutil)
#   CALCULON_SYSTEM  its system file (default: $CALCULON_DIR/systems/a100_80e.json, the A100 file of
#                    Calculon's own Selene validation)
#   CALCULON_COMMIT  the commit it was taken from, for the report (default: git's, if it is a checkout)
#   VIDUR_DIR        a Vidur work tree (inference); only its Python dependencies are checked so far
#   PYTHON           the interpreter with those packages (default: /usr/bin/python3, Debian's)
# A peer that is absent or cannot run is reported as "skipped: ..." and the racksim side still runs.
set -e
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# timed OUT CMD...: runs CMD under /usr/bin/time -v with its output in OUT.log; sets cpu (user + system
# s: what its one core spent, whatever else shares the machine) and rss (MiB). Fails when CMD fails.
timed() {
  log=$1.log
  shift
  if ! /usr/bin/time -v -o "$log.time" "$@" > "$log" 2>&1; then
    cat "$log" "$log.time" >&2
    return 1
  fi
  cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}' "$log.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log.time")
}

# Megatron-LM's FLOPs per iteration with full recomputation (SC'21, eq. 3), the count its TF/GPU use;
# every TF/GPU below is these FLOPs over the tool's step time, and the published step time is its inverse:
# 96 B s l h^2 (1 + s/6h + V/16lh). flops B s l h V
flops() {
  awk -v B="$1" -v s="$2" -v l="$3" -v h="$4" -v V="$5" \
    'BEGIN {printf "%.6e", 96*B*s*l*h*h*(1 + s/(6*h) + V/(16*l*h))}'
}

# pct VALUE REF: signed relative difference, or "-" without a reference.
pct() {
  [ "$2" = - ] && { echo -; return; }
  awk -v v="$1" -v r="$2" 'BEGIN {printf "%+.1f%%", (v-r)/r*100}'
}

calculon_ok=
calculon_why=
if [ -z "$CALCULON_DIR" ]; then
  calculon_why="CALCULON_DIR is not set"
elif [ ! -f "$CALCULON_DIR/calculon/__init__.py" ]; then
  calculon_why="$CALCULON_DIR is not a Calculon work tree (no calculon/__init__.py)"
elif ! missing=$("$py" -c 'import importlib.util as u; m=[n for n in ("numpy","pandas","psutil") if u.find_spec(n) is None]; print(" ".join(m)); raise SystemExit(1 if m else 0)'); then
  calculon_why="$py lacks $missing (Debian: python3-numpy python3-pandas python3-psutil)"
else
  calculon_ok=1
  CALCULON_DIR=$(cd "$CALCULON_DIR" && pwd)
  csys=${CALCULON_SYSTEM:-$CALCULON_DIR/systems/a100_80e.json}
  crev=${CALCULON_COMMIT:-$(git -C "$CALCULON_DIR" rev-parse HEAD 2>/dev/null || echo unknown)}
  cver=$(PYTHONPATH="$CALCULON_DIR" "$py" -c 'import calculon; print(calculon.__version__)')
fi

# calculon NAME N TP PP DP VP MB B DPOVERLAP h l heads: writes the model (SC'21 Table 1's shape,
# feed-forward 4h, sequence 2048) and the execution (Megatron-LM 2021: 16-bit, full recomputation,
# tensor-parallel all-reduces, no sequence parallelism, no optimizer sharding, unfused activations,
# as Calculon's own Selene validation inputs say) and runs `calculon llm`; sets ccpu, crss, cstep.
calculon() {
  name=$1 n=$2 tp=$3 pp=$4 dp=$5 vp=$6 mb=$7 b=$8 ovl=$9
  shift 9
  h=$1 l=$2 heads=$3
  printf '{"hidden": %d, "feedforward": %d, "seq_size": 2048, "attn_heads": %d, "attn_size": %d, "num_blocks": %d}\n' \
    "$h" $((4 * h)) "$heads" $((h / heads)) "$l" > "$tmp/$name.model.json"
  cat > "$tmp/$name.exe.json" <<JSON
{"num_procs": $n, "tensor_par": $tp, "pipeline_par": $pp, "data_par": $dp,
 "tensor_par_net": 0, "pipeline_par_net": 1, "data_par_net": 1,
 "batch_size": $b, "microbatch_size": $mb, "datatype": "float16",
 "fused_activation": false, "attention_type": "multihead", "activation_recompute": "full",
 "pipeline_interleaving": $vp, "optimizer_sharding": false, "tensor_par_comm_type": "ar",
 "tensor_par_overlap": "none", "seq_par_ag_redo": false, "data_par_overlap": $ovl,
 "weight_offload": false, "activations_offload": false, "optimizer_offload": false, "training": true}
JSON
  timed "$tmp/c-$name" env PYTHONPATH="$CALCULON_DIR" "$py" "$CALCULON_DIR/bin/calculon" llm \
    "$tmp/$name.model.json" "$tmp/$name.exe.json" "$csys" "$tmp/c-$name.json"
  ccpu=$cpu crss=$rss
  cstep=$("$py" -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["total_time"])' "$tmp/c-$name.json")
}

# racksim NAME SCENARIO MODE SETS...: one iteration of a validation scenario; sets rcpu, rrss, rstep.
racksim() {
  name=$1 scen=$2 mode=$3
  shift 3
  timed "$tmp/r-$name" "$build/racksim" run "$root/scenarios/validation/$scen.yaml" --set workloads.0.mode="$mode" \
    "$@" -o "$tmp/r-$name" -q
  rcpu=$cpu rrss=$rss
  rstep=$("$build/rs-table" get "$tmp/r-$name/iterations.csv" step_s --format %.4f)
}

load() { awk '{print $1, $2, $3}' /proc/loadavg; }

printf 'date: %s; machine: %s cores; load average (1, 5, 15 min) at start: %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" \
  "$(nproc)" "$(load)"
printf 'racksim: %s\n' "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$calculon_ok" ]; then
  printf 'calculon: version %s, commit %s, system file %s\n' "$cver" "$crev" "$(basename "$csys")"
  timed "$tmp/c-import" env PYTHONPATH="$CALCULON_DIR" "$py" -c 'import calculon'
  printf 'calculon start-up alone (python3 -c "import calculon"): %s s CPU, %s MiB\n' "$cpu" "$rss"
else
  printf 'calculon: skipped: %s\n' "$calculon_why"
fi

printf '\n| case | GPUs | layout | published TF/GPU | tool | mode | step_s | TF/GPU | vs published | cpu_s | peak_rss_mib |\n'
printf '|---|---:|---|---:|---|---|---:|---:|---:|---:|---:|\n'
# case NAME GPUS LAYOUT PUBLISHED SCENARIO MODE "SETS" | N TP PP DP VP MB B DPOVERLAP h l heads
case_row() {
  name=$1 n=$2 layout=$3 pub=$4 scen=$5 mode=$6 sets=$7
  shift 7
  f=$(flops "$7" 2048 "${10}" "$9" 51200)
  # shellcheck disable=SC2086 # sets holds several --set options
  racksim "$name" "$scen" "$mode" $sets
  if [ "$pub" != - ]; then
    printf '| %s | %s | %s | %s | published | SC21 | %s | %s | - | - | - |\n' "$name" "$n" "$layout" "$pub" \
      "$(awk -v f="$f" -v p="$pub" -v n="$n" 'BEGIN {printf "%.4f", f/(p*1e12*n)}')" "$pub"
  fi
  rtf=$(awk -v f="$f" -v t="$rstep" -v n="$n" 'BEGIN {printf "%.1f", f/(t*n)/1e12}')
  printf '| %s | %s | %s | %s | racksim | %s | %s | %s | %s | %s | %s |\n' "$name" "$n" "$layout" "$pub" "$mode" \
    "$rstep" "$rtf" "$(pct "$rtf" "$pub")" "$rcpu" "$rrss"
  if [ -n "$calculon_ok" ]; then
    calculon "$name" "$@"
    ctf=$(awk -v f="$f" -v t="$cstep" -v n="$n" 'BEGIN {printf "%.1f", f/(t*n)/1e12}')
    printf '| %s | %s | %s | %s | Calculon | analytical | %s | %s | %s | %s | %s |\n' "$name" "$n" "$layout" "$pub" \
      "$cstep" "$ctf" "$(pct "$ctf" "$pub")" "$ccpu" "$crss"
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$n" "$rcpu" "$ccpu" \
      "$(awk -v r="$rcpu" -v c="$ccpu" 'BEGIN {printf "%.1f", r/c}')" >> "$tmp/ratios"
  fi
}

# The SC'21 Table 1 rows as the validation scenarios run them (micro-batch, interleaving and DDP of the
# paper's scripts: docs/validation.md), and the 1008B model on 8x the GPUs (DP 48: no published figure).
case_row gpt-1.7b 32 "TP1 PP1 DP32, mb 16" 137 selene-gpt-1.7b faithful "" \
  32 1 1 32 1 16 512 true 2304 24 24
case_row gpt-145.6b 1536 "TP8 PP8 DP24, mb 2, vp 2" 148 selene-gpt-145.6b aggregated "" \
  1536 8 8 24 2 2 2304 false 12288 80 96
case_row gpt-1008b 3072 "TP8 PP64 DP6, mb 1" 163 selene-gpt-1008b aggregated "" \
  3072 8 64 6 1 1 3072 false 25600 128 160
case_row gpt-1008b-x8 24576 "TP8 PP64 DP48, mb 1" - selene-gpt-1008b aggregated \
  "--set platform.generate.servers=3072 --set workloads.0.global_batch=24576" \
  24576 8 64 48 1 1 24576 false 25600 128 160

if [ -s "$tmp/ratios" ]; then
  printf '\n| case | GPUs | racksim cpu_s | Calculon cpu_s | ratio |\n|---|---:|---:|---:|---:|\n'
  cat "$tmp/ratios"
fi

# Vidur (inference): runs only where all of its Python imports (requirements.txt) and its profile of the
# case's model exist; until then, say which are missing.
if [ -z "$VIDUR_DIR" ]; then
  printf '\nvidur: skipped: VIDUR_DIR is not set\n'
else
  missing=$("$py" -c 'import importlib.util as u
m = ["numpy", "pandas", "sklearn", "wandb", "kaleido", "ddsketch", "plotly_express", "matplotlib", "seaborn", "fasteners", "yaml"]
print(" ".join(n for n in m if u.find_spec(n) is None))')
  prof=data/profiling/compute/a100/meta-llama/Meta-Llama-3-8B/attention.csv
  why=
  [ -n "$missing" ] && why="$py lacks the Python modules $missing"
  [ -s "$VIDUR_DIR/$prof" ] || why="${why:+$why; }its profile $prof is absent"
  printf '\nvidur: skipped: %s\n' "${why:-its dependencies are present, but no case of this script runs it yet}"
fi
printf '\nload average at end: %s\n' "$(load)"
