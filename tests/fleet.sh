#!/bin/sh
# fleet.sh -- rs-fleet on a small budget: $1M over one year at $2 per GPU-hour buys 57 GPUs, three
# 16-GPU replicas of the training scenario (48 GPUs) and seven 8-GPU serving replicas (56); every
# figure of fleet.csv is the simulated run's (tokens/s, peak power; NVLink domains from `racksim
# validate --format csv`) times the replicas, and the price reaches the runs' cost; a 100 kW site holds
# floor(0.1 MW / the replica's peak) replicas; a negative budget exits 2 with one message and no fleet.csv.
#   sh fleet.sh RS_FLEET SOURCE_DIR WORK_DIR
set -eu
fleet=$1 source=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cd "$source"

fail() {
  echo "fleet.sh: $*" >&2
  exit 1
}

"$fleet" --budget 1e6 --years 1 --usd-per-gpu-hour 2 --site-gw 0.0001 \
  --train scenarios/training-llama8b-h100.yaml --serve scenarios/inference-llama8b-h200.yaml -o "$work/ok" >/dev/null

# col FILE COLUMN ROW: a cell of a racksim table (ROW from 1)
col() {
  tr -d '\r' <"$1" | awk -F, -v c="$2" -v r="$3" 'NR == 1 { for (i = 1; i <= NF; i++) k[$i] = i; next } NR == r + 1 { print $k[c] }'
}
f="$work/ok/fleet.csv"
[ "$(wc -l <"$f")" -eq 5 ] || fail "expected 4 rows in fleet.csv: $(cat "$f")"

# near A B: |A - B| <= 1e-9 |B|
near() {
  awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; exit !(d <= 1e-9 * m) }' ||
    fail "$3: $1, expected $2"
}

tps=$(col "$work/ok/train/summary.csv" tokens_per_s 1)
near "$(col "$f" replica_tokens_per_s 1)" "$tps" "train tokens/s not the simulated one"
[ "$(col "$f" replicas 1)" = 3 ] && [ "$(col "$f" gpus 1)" = 48 ] || fail "budget row: $(sed -n 2p "$f")"
[ "$(col "$f" nvlink_domains 1)" = 6 ] || fail "3 replicas of two p5 servers are 6 NVLink domains"
near "$(col "$f" tokens_per_year 1)" "$(awk -v t="$tps" 'BEGIN { OFMT = "%.17g"; print 3 * t * 31536000 }')" "trained tokens per year"
near "$(col "$f" usd_per_year 1)" 840960 "48 GPUs x 8,760 h x \$2"
near "$(col "$f" usd_per_million_tokens 1)" "$(awk -v t="$tps" 'BEGIN { OFMT = "%.17g"; print 840960 / (3 * t * 31536000) * 1e6 }')" \
  "\$ per million trained tokens"
# the price went into the run: cost_usd = 16 GPUs x duration x $2 per hour
dur=$(col "$work/ok/train/summary.csv" duration_s 1)
near "$(col "$work/ok/train/summary.csv" cost_usd 1)" "$(awk -v d="$dur" 'BEGIN { OFMT = "%.17g"; print 16 * d / 3600 * 2 }')" "run cost"

peak=$(tr -d '\r' <"$work/ok/train/power_summary.csv" | awk -F, '$2 == "facility" { print $5; exit }')
want=$(awk -v p="$peak" 'BEGIN { OFMT = "%.17g"; print int(0.1 / p) }')
[ "$(col "$f" replicas 2)" = "$want" ] || fail "a 100 kW site holds $want replicas of $peak MW: $(sed -n 3p "$f")"
near "$(col "$f" peak_facility_mw 2)" "$(awk -v p="$peak" -v n="$want" 'BEGIN { OFMT = "%.17g"; print p * n }')" "site peak MW"

stps=$(col "$work/ok/serve/summary.csv" steady_tokens_per_s 1)
[ -n "$stps" ] || stps=$(col "$work/ok/serve/summary.csv" tokens_per_s 1)
near "$(col "$f" replica_tokens_per_s 3)" "$stps" "served tokens/s not the simulated one"
[ "$(col "$f" replicas 3)" = 7 ] || fail "serving budget row: $(sed -n 4p "$f")"
# the domains come from `racksim validate --format csv`: one p5en.48xlarge per serving replica
[ "$(col "$f" nvlink_domains 3)" = 7 ] || fail "7 replicas of one p5en server are 7 NVLink domains"

set +e
"$fleet" --budget -5 --years 1 --train scenarios/training-llama8b-h100.yaml -o "$work/bad" 2>"$work/bad.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "a negative budget exited $rc"
grep -q "^rs-fleet: --budget: expected a positive number, got '-5'$" "$work/bad.err" || fail "message: $(cat "$work/bad.err")"
[ ! -e "$work/bad/fleet.csv" ] || fail "a refused fleet wrote fleet.csv"
echo "fleet.sh: ok"
