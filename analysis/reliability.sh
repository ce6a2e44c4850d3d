#!/bin/sh
# reliability.sh -- the figures of docs/validation.md, "Reliability": (a) the Llama 3 case
# (scenarios/validation/llama3-405b-h100-54days.yaml) over 20 seeds, interruptions and ETTR (summary.csv's
# goodput: useful iteration time / wall time) against the paper's 419 and "above 90%"; (b) checkpoint-
# interval sweeps at Daly's two published cases (analysis/reliability/daly-24h.yaml and daly-6h.yaml: job
# MTBF 24 h and 6 h, checkpoint 5 min), each interval run over several seeds, the optimum located by a
# least-squares parabola in log(interval) through the mean goodputs (the overhead C/t + t/2M is
# symmetric in log t about its minimum) and compared with Young's sqrt(2 C M) and Daly's 117 and 57 min.
# Nothing is fitted to the published figures. Writes OUT/llama3.csv, OUT/daly.csv and prints the summary.
# Usage: analysis/reliability.sh [BUILD_DIR] [OUT_DIR]   (about 5 min of CPU on the project's machine)
set -e
build=${1:-build}
out=${2:-out/reliability}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
get() { "$build/rs-table" get "$1/summary.csv" "$2"; }

# (a) the Llama 3 case, seeds 1-20
echo "seed,interruptions,ettr,cpu_s" >"$out/llama3.csv"
for seed in $(seq 1 20); do
  /usr/bin/time -f "%U %S" -o "$tmp/time" "$build/racksim" run scenarios/validation/llama3-405b-h100-54days.yaml \
    --seed "$seed" -o "$tmp/l$seed" -q
  printf '%s,%s,%s,%s\n' "$seed" "$(get "$tmp/l$seed" interruptions)" "$(get "$tmp/l$seed" goodput)" \
    "$(awk '{print $1 + $2}' "$tmp/time")" >>"$out/llama3.csv"
  rm -rf "$tmp/l$seed"
done
awk -F, 'NR > 1 { n++; s += $2; q += $2 * $2; e += $3; f += $3 * $3; c += $4
                  if (n == 1 || $2 < lo) lo = $2; if (n == 1 || $2 > hi) hi = $2
                  if (n == 1 || $3 < elo) elo = $3; if (n == 1 || $3 > ehi) ehi = $3 }
  END { m = s / n; em = e / n
        printf "llama3-54days over %d seeds: interruptions mean %.1f (paper 419, %+.1f%%), min %d, max %d, std %.1f\n",
               n, m, 100 * (m / 419 - 1), lo, hi, sqrt((q - n * m * m) / (n - 1))
        printf "  ETTR mean %.4f (paper: above 0.90), min %.4f, max %.4f, std %.4f; %.1f CPU s a run\n",
               em, elo, ehi, sqrt((f - n * em * em) / (n - 1)), c / n }' "$out/llama3.csv"

# (b) Daly's cases: intervals from 0.5 to 2 times Young's, each over `seeds` seeds
echo "case,mtbf_h,seed,interval_min,goodput,interruptions" >"$out/daly.csv"
for spec in "24h 24 8" "6h 6 4"; do
  # shellcheck disable=SC2086 # split on purpose: case, MTBF in hours, seeds
  set -- $spec
  young=$(echo "sqrt(2 * 300 * $2 * 3600) / 60" | bc -l)
  for f in 0.5 0.63 0.79 0.89 1 1.12 1.26 1.59 2; do
    iv=$(echo "$young * $f" | bc -l)
    for seed in $(seq 1 "$3"); do
      "$build/racksim" run "analysis/reliability/daly-$1.yaml" --seed "$seed" -o "$tmp/d" -q \
        --set failures.training.checkpoint_interval_h="$(echo "$iv / 60" | bc -l)"
      printf '%s,%s,%s,%.4f,%s,%s\n' "$1" "$2" "$seed" "$iv" "$(get "$tmp/d" goodput)" \
        "$(get "$tmp/d" interruptions)" >>"$out/daly.csv"
    done
  done
done
# mean goodput per interval, then y = a + b u + c u^2 in u = ln(interval) by least squares: peak exp(-b / 2c)
awk -F, 'NR > 1 { k = $1 SUBSEP $4; if (!(k in g)) { order[++n] = k; cs[k] = $1; iv[k] = $4; mt[k] = $2 }
                  g[k] += $5; cnt[k]++; fails[$1] += $6 }
  END {
    split("24h 6h", cases, " "); daly["24h"] = 117; daly["6h"] = 57
    for (ci = 1; ci <= 2; ci++) {
      c = cases[ci]; m = 0; S0 = S1 = S2 = S3 = S4 = T0 = T1 = T2 = 0; best = -1
      for (i = 1; i <= n; i++) { k = order[i]; if (cs[k] != c) continue
        y = g[k] / cnt[k]; u = log(iv[k]); M = mt[k]
        S0++; S1 += u; S2 += u * u; S3 += u * u * u; S4 += u * u * u * u; T0 += y; T1 += y * u; T2 += y * u * u
        if (y > best) { best = y; bi = iv[k] } }
      # normal equations [S0 S1 S2; S1 S2 S3; S2 S3 S4] [a b c] = [T0 T1 T2], by Cramer
      D  = S0 * (S2 * S4 - S3 * S3) - S1 * (S1 * S4 - S3 * S2) + S2 * (S1 * S3 - S2 * S2)
      Db = S0 * (T1 * S4 - S3 * T2) - T0 * (S1 * S4 - S3 * S2) + S2 * (S1 * T2 - T1 * S2)
      Dc = S0 * (S2 * T2 - T1 * S3) - S1 * (S1 * T2 - T1 * S2) + T0 * (S1 * S3 - S2 * S2)
      peak = exp(-(Db / D) / (2 * (Dc / D))); young = sqrt(2 * 5 * M * 60)
      printf "daly-%s (MTBF %d h, checkpoint 5 min, %d failures per interval): optimum %.1f min (best grid point %.1f min, goodput %.4f);", c, M, fails[c] / S0, peak, bi, best
      printf " Young %.1f min (%+.1f%%), Daly %d min (%+.1f%%)\n", young, 100 * (peak / young - 1), daly[c], 100 * (peak / daly[c] - 1) } }' "$out/daly.csv"
