#!/usr/bin/env python3
"""length-tables.py -- builds the prompt/output length tables of the MLPerf Inference datasets that
racksim's validation cases draw from (scenarios/validation/lengths/*.csv), from the statistics the
MLCommons inference READMEs publish (docs/sources.md: samples, mean, median, max).

The per-sample lengths themselves are not published in the project's sources, so each table is a
deterministic stand-in: one row per dataset sample, its prompt and output lengths the quantiles of a
distribution from 1 to the published maximum whose median and mean are the published ones (a power
curve on each side of the median: quantiles(); some of these datasets have their mean below their
median, which a lognormal or a beta cannot give). Prompt and output lengths are paired by a
fixed permutation (their correlation is not published). Rerun: python3 analysis/length-tables.py.
Standard library only. See LICENSE."""
import random


def quantiles(n, median, mean, hi, lo=1):
    """n lengths from lo to hi with the given median and mean: the quantile function runs from lo to the
    median over the first half of the samples and from the median to hi over the second, as a power
    (2p)^a of the position in each half; one shape a for both halves, chosen so the mean is exact."""
    a = 0.5 * (hi - lo) / (mean - 0.5 * (lo + median)) - 1  # mean = (lo + median) / 2 + (hi - lo) / (2 (a + 1))
    assert a > 0, "mean too low for this family"

    def q(p):
        return lo + (median - lo) * (2 * p) ** a if p < 0.5 else median + (hi - median) * (2 * p - 1) ** a

    return [int(round(q((k + 0.5) / n))) for k in range(n)]


def write(path, source, n, prompt, output):
    p = quantiles(n, *prompt)
    o = quantiles(n, *output)
    random.Random(2026).shuffle(o)  # a fixed pairing: the correlation is not published
    with open(path, "w", newline="") as f:
        f.write("prompt_tokens,output_tokens\r\n")
        for a, b in zip(p, o):
            f.write(f"{a},{b}\r\n")
    mean = lambda v: sum(v) / len(v)
    print(f"{path}: {n} rows; prompt mean {mean(p):.1f} median {sorted(p)[n // 2]} max {max(p)}; "
          f"output mean {mean(o):.1f} median {sorted(o)[n // 2]} max {max(o)} ({source})")


if __name__ == "__main__":
    d = "scenarios/validation/lengths/"
    # (median, mean, max) per side; docs/sources.md, "Inference: more MLPerf Inference cases".
    # Llama 2 70B outputs: the model's own mean (294.45) with the reference answers' shape (median/mean
    # 190/218.9 scaled to that mean; max 1,024 tokens, the benchmark's output limit).
    write(d + "openorca-llama2-70b.csv", "MLPerf Llama 2 70B OpenOrca subset", 24576,
          (152, 222.3, 1021), (190 * 294.45 / 218.9, 294.45, 1024))
    write(d + "llama31-405b.csv", "MLPerf Llama 3.1 405B dataset", 8313, (10112, 9428.6, 19988), (753, 684.7, 1830))
    write(d + "deepseek-r1.csv", "MLPerf DeepSeek-R1 dataset", 4388, (902, 803.8, 3140), (2196, 4043, 32768))
