/* check_inference.c -- tests of the inference workload, run through the racksim command on small
 * scenarios: a lone request's steps equal the roofline of model.c's FLOPs and bytes; offline throughput
 * grows with the batch until memory binds; TTFT rises with load; a small KV cache fills and preempts;
 * percentiles are exact over every request; weights that do not fit and bad trace rows are refused
 * with exit code 2; the same seed gives the same tables. */
#include "check_util.h"
#include "model/model.h"
#include "net/net.h"
#include "base/base.h"

#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void setup(void)
{
  rs_test_tmpdir(dir, sizeof dir, "inference");
}

static void teardown(void)
{
  rs_test_rmdir(dir);
}

static void write_file(const char* name, const char* text)
{
  rs_test_write(dir, name, text);
}

/* Writes the scenario, runs racksim on it into DIR/OUT, returns the exit code; stderr goes to DIR/err. */
static int run_into(const char* yaml, const char* extra, const char* out)
{
  return rs_test_run_yaml(dir, yaml, out, extra);
}

static int run_scenario(const char* yaml, const char* extra)
{
  return run_into(yaml, extra, "out");
}

static rs_csv_t* table(const char* name)
{
  char file[64];
  snprintf(file, sizeof file, "%s.csv", name);
  return rs_test_table(dir, "out", file);
}

/* A number of row `row` (from 1) of DIR/out/NAME.csv. */
static double value(const char* name, size_t row, const char* column)
{
  char file[64];
  snprintf(file, sizeof file, "%s.csv", name);
  return rs_test_table_value(dir, "out", file, row, column);
}

static double summary(const char* column)
{
  return value("summary", 1, column);
}

/* Seconds of work of one GPU of a TP group in a lone request's step of `tokens` new tokens after
 * `context` cached ones (bf16 weights and KV cache, so every kernel at BF16), kernel class by kernel
 * class (docs/model.md, "Step time"), one after the other: the dense GEMMs (MLPs and logits) reading the
 * GPU's weights but the embedding and the attention projections; the projections reading theirs;
 * attention over the causal pairs in its prefill form (a prompt) or its decode form (one token), reading
 * the GPU's KV heads' cache; the memory-bound kernels (norms on every rank, the rest split over TP). */
static double lone_step_s(const rs_gpu_model_t* g, const rs_model_t* m, int tp, double tokens, double context)
{
  rs_layout_t l = {.tp = tp, .cp = 1, .ep = 1, .pp = 1, .vp = 1, .micro_batch = 1, .global_batch = 1};
  rs_err_t err;
  ck_assert(rs_layout_resolve(&l, m, tp, &err) == RS_OK);
  rs_attn_form_t form = tokens > 1 ? RS_ATTN_PREFILL : RS_ATTN_DECODE;
  double weights      = (rs_layout_stage_params(&l, m, 0) - rs_model_input_params(m) / tp) * 2;
  double kv           = rs_model_kv_values_per_token(m) * 2 * m->layers / (tp < m->kv_heads ? tp : m->kv_heads);
  double pairs = tokens * context + tokens * (tokens + 1) / 2, proj = 0, dense = 0, attn = 0, stream = 0;
  for (int i = 0; i < m->layers; i++) {
    rs_gemm_flops_t f = rs_model_layer_gemm_flops(m, i);
    double rep, split;
    rs_model_layer_stream_values(m, i, &rep, &split);
    proj += f.proj;
    dense += f.dense;
    attn += rs_model_attn_pair_flops(m, form);
    stream += 2 * (rep + split / tp) * tokens;
  }
  double proj_bytes = proj / 2 / tp * 2;
  return rs_gpu_seconds(g, RS_PREC_BF16, (dense * tokens + rs_model_logits_fwd_flops(m)) / tp, weights - proj_bytes) +
         rs_gpu_seconds(g, RS_PREC_BF16, proj * tokens / tp, proj_bytes) +
         rs_gpu_seconds(g, RS_PREC_BF16, attn * pairs / tp, kv * (context + tokens)) + rs_gpu_stream_seconds(g, stream);
}

static const char* one_gpu =
    "name: one\nplatform: {preset: p5en.48xlarge}\nworkloads:\n"
    "  - kind: inference\n    model: {preset: llama3-8b}\n    gpus: 1\n    mode: offline\n    requests: 1\n"
    "    prompt_tokens: 1000\n    output_tokens: 3\n";

/* One request alone: its prefill step and each decode step are the sum of their kernels' rooflines
 * (lone_step_s), so the latencies are simulated, not drawn. */
START_TEST(lone_request_steps_follow_the_roofline)
{
  ck_assert_int_eq(run_scenario(one_gpu, ""), 0);
  rs_platform_t* p        = rs_test_load_preset("p5en.48xlarge");
  const rs_gpu_model_t* g = p->gpus[0].model;
  rs_model_t m;
  ck_assert(rs_model_preset("llama3-8b", &m) == RS_OK);
  double t_prefill = lone_step_s(g, &m, 1, 1000, 0);
  double t_decode  = lone_step_s(g, &m, 1, 1, 1000);
  ck_assert_double_eq_tol(value("requests", 1, "ttft_s"), t_prefill, t_prefill * 1e-9);
  ck_assert(value("requests", 1, "tpot_s") > t_decode * 0.999); /* second decode reads one more token */
  ck_assert(value("requests", 1, "tpot_s") < t_decode * 1.001);
  ck_assert(t_prefill > t_decode); /* prefill is compute-bound, decode reads the weights */
  rs_platform_free(p);
}
END_TEST

static const char* offline =
    "name: offline\nplatform: {preset: p5en.48xlarge}\nworkloads:\n"
    "  - kind: inference\n    model: {preset: llama3-8b}\n    gpus: 1\n    mode: offline\n    requests: 256\n"
    "    prompt_tokens: 256\n    output_tokens: 64\n";

/* One GPU serving: its energy lies between idle power and TDP over the run (it computes part of the
 * time), and joules per token divide it by the output tokens generated. */
START_TEST(energy_lies_between_idle_and_full_power)
{
  ck_assert_int_eq(run_scenario(offline, ""), 0);
  rs_platform_t* p        = rs_test_load_preset("p5en.48xlarge");
  const rs_gpu_model_t* g = p->gpus[0].model;
  double d = summary("duration_s"), e = summary("energy_j");
  ck_assert_msg(e > g->idle_watts * d * 1.01, "energy %g J over %g s", e, d);
  ck_assert_msg(e <= g->tdp_watts * d * (1 + 1e-9), "energy %g J over %g s", e, d);
  ck_assert_double_eq_tol(summary("joules_per_token"), e / (256 * 64), e / (256 * 64) * 1e-9);
  rs_platform_free(p);
}
END_TEST

START_TEST(offline_throughput_grows_with_the_batch_until_memory_binds)
{
  double last      = 0;
  const int seqs[] = {1, 4, 16, 64};
  for (int k = 0; k < 4; k++) {
    char set[64];
    snprintf(set, sizeof set, "--set workloads.0.max_seqs=%d", seqs[k]);
    ck_assert_int_eq(run_scenario(offline, set), 0);
    double tps = summary("tokens_per_s");
    ck_assert_msg(tps > last * 1.5, "max_seqs %d: %g tokens/s after %g", seqs[k], tps, last);
    last = tps;
  }
  /* with a cache of a few requests (18.3 GB of an H200's 150.8), a larger batch limit no longer helps */
  ck_assert_int_eq(run_scenario(offline, "--set workloads.0.max_seqs=64 --set workloads.0.hbm_utilization=0.1216"), 0);
  double small = summary("tokens_per_s");
  ck_assert_int_eq(run_scenario(offline, "--set workloads.0.max_seqs=256 --set workloads.0.hbm_utilization=0.1216"), 0);
  ck_assert_double_le(summary("tokens_per_s"), small * 1.05);
  ck_assert(summary("tokens_per_s") < last);
}
END_TEST

static const char* server =
    "name: server\nplatform: {preset: p5en.48xlarge}\nworkloads:\n"
    "  - kind: inference\n    model: {preset: llama3-8b}\n    tp: 2\n    requests: 400\n    rate_per_s: 5\n"
    "    prompt_dist: uniform\n    prompt_tokens: 1024\n    output_dist: exponential\n    output_tokens: 128\n";

START_TEST(ttft_rises_with_load)
{
  ck_assert_int_eq(run_scenario(server, ""), 0);
  double light = summary("ttft_p90_s"), light_tpot = summary("tpot_p50_s");
  ck_assert_int_eq(run_scenario(server, "--set workloads.0.rate_per_s=400"), 0);
  ck_assert_msg(summary("ttft_p90_s") > 2 * light, "TTFT p90 %g at 400/s, %g at 5/s", summary("ttft_p90_s"), light);
  ck_assert(summary("tpot_p50_s") > light_tpot);
  ck_assert(summary("slo_attainment") <= 1);
}
END_TEST

static int by_value(const void* a, const void* b)
{
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

/* Percentiles are nearest-rank over every request: recomputed here from requests.csv. */
START_TEST(percentiles_cover_every_request)
{
  ck_assert_int_eq(run_scenario(server, "--set workloads.0.rate_per_s=100"), 0);
  rs_csv_t* csv = table("requests");
  ck_assert_int_eq(csv->n_rows - 1, 400);
  int col   = rs_csv_column(csv, "latency_s");
  double* v = malloc(400 * sizeof *v);
  for (int i = 0; i < 400; i++)
    v[i] = strtod(csv->rows[i + 1].cells[col], NULL);
  rs_csv_free(csv);
  qsort(v, 400, sizeof *v, by_value);
  ck_assert_double_eq_tol(summary("latency_p99_s"), v[395], 1e-9);
  ck_assert_double_eq_tol(summary("latency_p95_s"), v[379], 1e-9); /* ceil(0.95 x 400) - 1 */
  ck_assert_double_eq_tol(summary("latency_p50_s"), v[199], 1e-9);
  ck_assert_double_eq(summary("requests"), 400);
  free(v);
}
END_TEST

START_TEST(small_cache_fills_and_preempts)
{
  const char* set = "--set workloads.0.mode=offline --set workloads.0.hbm_utilization=0.0585";
  ck_assert_int_eq(run_scenario(server, set), 0);
  ck_assert(summary("preemptions") > 0);
  ck_assert_double_eq(summary("requests"), 400);
  rs_csv_t* csv = table("replicas");
  int col = rs_csv_column(csv, "kv_used_max"), pre = rs_csv_column(csv, "preemptions");
  double fullest = 0, counted = 0;
  for (size_t r = 1; r < csv->n_rows; r++) {
    fullest = fmax(fullest, strtod(csv->rows[r].cells[col], NULL));
    counted += strtod(csv->rows[r].cells[pre], NULL);
  }
  rs_csv_free(csv);
  ck_assert_msg(fullest > 0.9, "the cache never filled: %g", fullest);
  ck_assert_double_eq(counted, summary("preemptions"));
  /* swapping keeps the work done, so it finishes no later than recomputing */
  double recompute = summary("end_s");
  ck_assert_int_eq(run_scenario(server, "--set workloads.0.mode=offline --set workloads.0.hbm_utilization=0.0585 "
                                        "--set workloads.0.preemption=swap"),
                   0);
  ck_assert(summary("preemptions") > 0);
  ck_assert_double_le(summary("end_s"), recompute);
}
END_TEST

START_TEST(same_seed_same_tables)
{
  ck_assert_int_eq(run_into(server, "--set workloads.0.rate_per_s=50", "a"), 0);
  ck_assert_int_eq(run_into(server, "--set workloads.0.rate_per_s=50", "b"), 0);
  char cmd[256];
  snprintf(cmd, sizeof cmd,
           "cd %s && cmp a/requests.csv b/requests.csv && cmp a/replicas.csv b/replicas.csv && "
           "cmp a/summary.csv b/summary.csv",
           dir);
  ck_assert_int_eq(system(cmd), 0);
  ck_assert_int_eq(run_into(server, "--set workloads.0.rate_per_s=50 --seed 2", "c"), 0);
  snprintf(cmd, sizeof cmd, "cd %s && cmp -s a/requests.csv c/requests.csv", dir);
  ck_assert_int_ne(system(cmd), 0);
}
END_TEST

START_TEST(routing_spreads_requests)
{
  ck_assert_int_eq(run_scenario(server, "--set workloads.0.routing=round-robin"), 0);
  rs_csv_t* csv = table("requests");
  int req = rs_csv_column(csv, "request"), rep = rs_csv_column(csv, "replica");
  for (size_t r = 1; r < csv->n_rows; r++) /* requests are numbered in arrival order */
    ck_assert_int_eq(atoi(csv->rows[r].cells[rep]), atoi(csv->rows[r].cells[req]) % 4);
  rs_csv_free(csv);
  ck_assert_int_eq(run_scenario(server, "--set workloads.0.routing=least-outstanding --set workloads.0.rate_per_s=200"),
                   0);
  double lo = summary("ttft_p99_s");
  ck_assert_int_eq(run_scenario(server, "--set workloads.0.routing=kv-aware --set workloads.0.rate_per_s=200"), 0);
  ck_assert(summary("ttft_p99_s") > 0 && lo > 0);
}
END_TEST

START_TEST(trace_replay)
{
  write_file("trace.csv", "arrival_s,prompt_tokens,output_tokens\n0.5,100,4\n0,200,2\n2.25,50,1\n");
  char yaml[512];
  snprintf(yaml, sizeof yaml,
           "name: trace\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
           "    model: {preset: llama3-8b}\n    gpus: 1\n    arrival: trace\n    trace: trace.csv\n");
  ck_assert_int_eq(run_scenario(yaml, ""), 0);
  rs_csv_t* csv = table("requests");
  ck_assert_int_eq(csv->n_rows, 4);
  int arr = rs_csv_column(csv, "arrival_s"), req = rs_csv_column(csv, "request"),
      out = rs_csv_column(csv, "output_tokens");
  for (size_t r = 1; r < csv->n_rows; r++) {
    int i = atoi(csv->rows[r].cells[req]);
    ck_assert_double_eq(strtod(csv->rows[r].cells[arr], NULL), i == 0 ? 0.5 : i == 1 ? 0 : 2.25);
    ck_assert_int_eq(atoi(csv->rows[r].cells[out]), i == 0 ? 4 : i == 1 ? 2 : 1);
  }
  rs_csv_free(csv);
}
END_TEST

/* Disaggregated: prompts on the prefill pool, tokens on the decode pool, each KV cache moved between
 * them over the network (two servers: the pools sit on different ones), taking longer across servers
 * than it would over NVLink. */
START_TEST(disaggregated_moves_the_kv_cache)
{
  const char* yaml = "name: dis\nplatform:\n  generate: {server: p5en.48xlarge, servers: 2}\nworkloads:\n"
                     "  - kind: inference\n    model: {preset: llama3-70b}\n    tp: 4\n    precision: fp8\n"
                     "    prefill_replicas: 2\n    requests: 200\n    rate_per_s: 10\n    prompt_tokens: 2000\n"
                     "    output_tokens: 16\n";
  ck_assert_int_eq(run_scenario(yaml, ""), 0);
  rs_csv_t* csv = table("requests");
  int rep = rs_csv_column(csv, "replica"), pre = rs_csv_column(csv, "prefill_replica");
  int kv = rs_csv_column(csv, "kv_transfer_s");
  /* 2,000 tokens x 80 layers x 2,048 bf16 values = 655 MB, in four shards each over a 400 Gb/s NIC (hardware.md:
   * p5en.48xlarge, 3,200 Gb/s EFA for 8 GPUs) */
  double least = 2000 * rs_model_kv_values_per_token(&(rs_model_t){.kv_heads = 8, .hidden = 8192, .heads = 64}) * 2 *
                 80 / 4 / 50e9;
  for (size_t r = 1; r < csv->n_rows; r++) {
    ck_assert_int_ge(atoi(csv->rows[r].cells[rep]), 2);
    ck_assert_int_lt(atoi(csv->rows[r].cells[pre]), 2);
    ck_assert_msg(strtod(csv->rows[r].cells[kv], NULL) >= least, "%s < %g", csv->rows[r].cells[kv], least);
  }
  rs_csv_free(csv);
  csv      = table("replicas");
  int role = rs_csv_column(csv, "role"), id = rs_csv_column(csv, "replica");
  for (size_t r = 1; r < csv->n_rows; r++)
    ck_assert_str_eq(csv->rows[r].cells[role], atoi(csv->rows[r].cells[id]) < 2 ? "prefill" : "decode");
  rs_csv_free(csv);
}
END_TEST

/* Gamma gaps with a large squared coefficient of variation bunch the same mean rate into bursts. */
START_TEST(bursty_arrivals_queue_more)
{
  ck_assert_int_eq(run_scenario(server, "--set workloads.0.rate_per_s=40"), 0);
  double poisson = summary("ttft_p99_s"), span = summary("duration_s");
  ck_assert_int_eq(run_scenario(server, "--set workloads.0.rate_per_s=40 --set workloads.0.arrival=gamma "
                                        "--set workloads.0.burstiness=20"),
                   0);
  ck_assert_msg(summary("ttft_p99_s") > 2 * poisson, "gamma %g, poisson %g", summary("ttft_p99_s"), poisson);
  ck_assert_double_eq_tol(summary("duration_s"), span, span * 0.5); /* the same mean rate */
}
END_TEST

/* A rate table: 2/s for 10 s, 50/s for 10 s, nothing for 10 s, repeating every 30 s. */
START_TEST(rate_table_shapes_arrivals)
{
  write_file("day.csv", "start_s,rate_per_s\n0,2\n10,50\n20,0\n");
  ck_assert_int_eq(run_scenario(server, "--set workloads.0.arrival=table --set workloads.0.rate_table=day.csv "
                                        "--set workloads.0.rate_period_s=30 --set workloads.0.requests=600"),
                   0);
  rs_csv_t* csv = table("requests");
  int col = rs_csv_column(csv, "arrival_s"), count[3] = {0};
  for (size_t r = 1; r < csv->n_rows; r++)
    count[(int)(strtod(csv->rows[r].cells[col], NULL) / 10) % 3]++;
  rs_csv_free(csv);
  ck_assert_int_eq(count[2], 0);
  ck_assert_msg(count[1] > 8 * count[0], "slow %d, fast %d", count[0], count[1]);
}
END_TEST

/* Tiny rates once stalled the generator (a loop per period, issue 17 H3): 1e-12/s for half a day
 * puts arrivals about 2e12 s apart, each still inside the periods' first halves. */
START_TEST(rate_table_tiny_rates_end)
{
  write_file("slow.csv", "start_s,rate_per_s\n0,1e-12\n43200,0\n");
  ck_assert_int_eq(run_scenario(server, "--set workloads.0.arrival=table --set workloads.0.rate_table=slow.csv "
                                        "--set workloads.0.rate_period_s=86400 --set workloads.0.requests=1000"),
                   0);
  rs_csv_t* csv = table("requests");
  int col       = rs_csv_column(csv, "arrival_s");
  ck_assert_int_eq(csv->n_rows, 1001);
  for (size_t r = 1; r < csv->n_rows; r++) {
    double t = strtod(csv->rows[r].cells[col], NULL), slack = t * 1e-11; /* the CSV keeps 12 digits */
    double in_period = fmod(t, 86400);
    ck_assert_msg(t > 1e9 && (in_period < 43200 + slack || in_period > 86400 - slack), "arrival %.17g", t);
  }
  rs_csv_free(csv);
}
END_TEST

/* Empirical lengths: every request takes both lengths from one row of the table. */
START_TEST(length_table_gives_lengths)
{
  write_file("len.csv", "prompt_tokens,output_tokens\n100,10\n2000,300\n");
  ck_assert_int_eq(run_scenario(server, "--set workloads.0.prompt_dist=table --set workloads.0.output_dist=table "
                                        "--set workloads.0.length_table=len.csv"),
                   0);
  rs_csv_t* csv = table("requests");
  int p = rs_csv_column(csv, "prompt_tokens"), o = rs_csv_column(csv, "output_tokens"), seen[2] = {0};
  for (size_t r = 1; r < csv->n_rows; r++) {
    int prompt = atoi(csv->rows[r].cells[p]);
    ck_assert(prompt == 100 || prompt == 2000);
    ck_assert_int_eq(atoi(csv->rows[r].cells[o]), prompt == 100 ? 10 : 300);
    seen[prompt == 2000]++;
  }
  rs_csv_free(csv);
  ck_assert(seen[0] > 100 && seen[1] > 100);
}
END_TEST

/* A shared system prompt: with prefix caching, requests after the first on a replica skip its blocks'
 * prefill, so TTFT drops and the cached tokens are recorded. */
START_TEST(prefix_caching_skips_the_shared_prompt)
{
  const char* set = "--set workloads.0.shared_prefix_tokens=800 --set workloads.0.prompt_dist=fixed "
                    "--set workloads.0.rate_per_s=60";
  ck_assert_int_eq(run_scenario(server, set), 0);
  double cold = summary("ttft_p50_s");
  char with[512];
  snprintf(with, sizeof with, "%s --set workloads.0.prefix_caching=true", set);
  ck_assert_int_eq(run_scenario(server, with), 0);
  ck_assert_msg(summary("ttft_p50_s") < 0.7 * cold, "cached %g, cold %g", summary("ttft_p50_s"), cold);
  rs_csv_t* csv = table("requests");
  int col = rs_csv_column(csv, "cached_tokens"), hits = 0;
  for (size_t r = 1; r < csv->n_rows; r++)
    hits += atoi(csv->rows[r].cells[col]) == 800;
  rs_csv_free(csv);
  ck_assert_int_ge(hits, 400 - 4 * 3); /* all but the first few on each of the 4 replicas */
}
END_TEST

/* ---- every layer's collectives, every GPU's work, every byte on the links ------------------------- */

/* Bytes the links of class cls carried (links.csv's class row; both halves of each split-duplex link). */
static double class_bytes(const char* cls)
{
  rs_csv_t* csv = table("links");
  int c = rs_csv_column(csv, "class"), l = rs_csv_column(csv, "link"), b = rs_csv_column(csv, "bytes");
  double bytes = -1;
  for (size_t r = 1; r < csv->n_rows; r++)
    if (strcmp(csv->rows[r].cells[c], cls) == 0 && csv->rows[r].cells[l][0] == '\0')
      bytes = strtod(csv->rows[r].cells[b], NULL);
  rs_csv_free(csv);
  ck_assert_msg(bytes >= 0, "links.csv has no %s row", cls);
  return bytes;
}

static const char* tp2_prefill =
    "name: tp2\nplatform: {preset: p5en.48xlarge}\nworkloads:\n"
    "  - kind: inference\n    model: {preset: llama3-8b}\n    gpus: 2\n    tp: 2\n    mode: offline\n"
    "    requests: 1\n    prompt_tokens: 1000\n    output_tokens: 1\n";

/* A TP2 prefill of 1,000 tokens of Llama 3 8B on H200: its step is the GPUs' work plus 2 x 32 ring
 * all-reduces of 1,000 x 4,096 bf16 activations (8.2 MB), each as NCCL's alpha-beta model has it with
 * the H200 calibration (about 37.5 us, 2.40 ms in all), and the NVLinks carry every one of them. Before,
 * one all-reduce crossed the links and the other 63 cost their latency alone (0.53 ms). */
START_TEST(tp_all_reduces_of_every_layer_cross_the_links)
{
  ck_assert_int_eq(run_scenario(tp2_prefill, ""), 0);
  rs_platform_t* p = rs_test_load_preset("p5en.48xlarge");
  rs_model_t m;
  ck_assert(rs_model_preset("llama3-8b", &m) == RS_OK);
  const rs_gpu_t* pair[2] = {&p->gpus[0], &p->gpus[1]};
  rs_comm_t* tp           = rs_comm_new("check-tp", pair, 2);
  double bytes            = 1000.0 * m.hidden * 2;
  rs_coll_algo_t algo     = rs_coll_choose(tp, RS_OP_ALLREDUCE, bytes);
  ck_assert_int_eq(algo, RS_ALGO_RING); /* NVLS is slower on two GPUs */
  double one      = rs_coll_predict(tp, RS_OP_ALLREDUCE, algo, bytes);
  double expected = 2 * m.layers * one;
  double coll     = value("requests", 1, "ttft_s") - lone_step_s(p->gpus[0].model, &m, 2, 1000, 0);
  ck_assert_msg(fabs(coll - expected) < expected * 1e-6, "collectives %g s, expected %g s", coll, expected);
  double old = one + (2 * m.layers - 1) * rs_coll_predict(tp, RS_OP_ALLREDUCE, algo, 0);
  ck_assert_msg(coll > 4 * old, "collectives %g s, the old one-call model %g s", coll, old);
  /* each call: each rank sends 2 ring steps of bytes / 2 at the protocol's share of the calibrated rate,
   * counted on its NVLink's _UP half and its peer's _DOWN half */
  const rs_hw_calib_t* calib = p->gpus[0].model->calib;
  rs_proto_t proto           = rs_coll_protocol(tp, RS_OP_ALLREDUCE, algo, bytes);
  double wire                = floor(bytes / 2 / (calib->nvlink_ring_eff * rs_hw_proto(calib, proto).bw_factor) + 0.5);
  ck_assert_double_eq(class_bytes("nvlink"), 2 * m.layers * 2.0 * 2 * 2 * wire);
  rs_comm_free(tp);
  rs_platform_free(p);
}
END_TEST

static const char* tp8_lone = "name: tp8\nplatform: {preset: p5en.48xlarge}\nworkloads:\n"
                              "  - kind: inference\n    model: {preset: llama3-8b}\n    tp: 8\n    mode: offline\n"
                              "    requests: 1\n    prompt_tokens: 1000\n    output_tokens: 16\n";

/* A lone request on a TP8 replica: all eight GPUs work through every step, its prefill and its decode
 * steps (most of which run as one decode run), so the workload's energy is eight times a GPU's idle
 * power over the run plus eight times (TDP - idle) over the steps' work (docs/outputs.md). With only
 * one GPU working, as before, it would be seven times (TDP - idle) x work less. Running the decode
 * steps one by one (collective_memo: false) gives the same times, bytes and joules. */
START_TEST(every_gpu_of_a_replica_works)
{
  ck_assert_int_eq(run_scenario(tp8_lone, ""), 0);
  rs_platform_t* p        = rs_test_load_preset("p5en.48xlarge");
  const rs_gpu_model_t* g = p->gpus[0].model;
  rs_model_t m;
  ck_assert(rs_model_preset("llama3-8b", &m) == RS_OK);
  double work = lone_step_s(g, &m, 8, 1000, 0);
  for (int j = 0; j < 15; j++)
    work += lone_step_s(g, &m, 8, 1, 1000 + j);
  double d = summary("duration_s"), e = summary("energy_j"), bytes = class_bytes("nvlink");
  double expected = 8 * (g->idle_watts * d + (g->tdp_watts - g->idle_watts) * work);
  ck_assert_msg(fabs(e - expected) < expected * 1e-6, "energy %g J, expected %g J", e, expected);
  ck_assert_int_eq(run_scenario(tp8_lone, "--set workloads.0.collective_memo=false"), 0);
  ck_assert_double_eq_tol(summary("duration_s"), d, d * 1e-9);
  ck_assert_double_eq_tol(summary("energy_j"), e, e * 1e-9);
  ck_assert_double_eq(class_bytes("nvlink"), bytes);
  /* one GPU: its decode steps run as one execution, as busy as step by step */
  ck_assert_int_eq(run_scenario(one_gpu, ""), 0);
  work = lone_step_s(g, &m, 1, 1000, 0) + lone_step_s(g, &m, 1, 1, 1000) + lone_step_s(g, &m, 1, 1, 1001);
  d    = summary("duration_s");
  ck_assert_double_eq_tol(summary("energy_j"), g->idle_watts * d + (g->tdp_watts - g->idle_watts) * work,
                          summary("energy_j") * 1e-6);
  rs_platform_free(p);
}
END_TEST

/* Two pipeline stages of one GPU each: every step hands its tokens' activations (4,096 bf16 values each)
 * from the first stage's GPU to the second's over NVLink, counted once on each GPU's link: the requests'
 * prompts and all but their last output token, every token once (no preemption); and the second stage
 * returns each step's sampled tokens, 4 bytes per output token, the 15 of them. */
START_TEST(pipeline_activations_cross_nvlink)
{
  const char* yaml = "name: pp2\nplatform: {preset: p5en.48xlarge}\nworkloads:\n"
                     "  - kind: inference\n    model: {preset: llama3-8b}\n    gpus: 2\n    pp: 2\n"
                     "    mode: offline\n    requests: 3\n    prompt_tokens: 100\n    output_tokens: 5\n";
  ck_assert_int_eq(run_scenario(yaml, ""), 0);
  ck_assert_double_eq(summary("preemptions"), 0);
  double tokens = 3 * (100 + 5 - 1);
  ck_assert_double_eq(class_bytes("nvlink"), 2 * (tokens * 4096 * 2 + 4 * 15));
}
END_TEST

/* One row of ops.csv: a stage's compute or its send of activations, for one virtual engine's step. */
typedef struct op_row {
  int rank, send, ve, step;
  double start, end;
} op_row_t;

/* The ops.csv rows of the run, in the order written; *n gets how many. */
static op_row_t* op_rows(int* n)
{
  rs_csv_t* csv = table("ops");
  int rank = rs_csv_column(csv, "rank"), op = rs_csv_column(csv, "op"), it = rs_csv_column(csv, "iteration");
  int mb = rs_csv_column(csv, "micro_batch"), t0 = rs_csv_column(csv, "start_s"), t1 = rs_csv_column(csv, "end_s");
  op_row_t* v = malloc(csv->n_rows * sizeof *v);
  *n          = (int)csv->n_rows - 1;
  for (int k = 0; k < *n; k++) {
    char** c = csv->rows[k + 1].cells;
    v[k]     = (op_row_t){atoi(c[rank]), strcmp(c[op], "send") == 0, atoi(c[mb]),
                          atoi(c[it]),   strtod(c[t0], NULL),        strtod(c[t1], NULL)};
  }
  rs_csv_free(csv);
  return v;
}

/* The row of stage `rank`'s compute (send 0) or send (1) of engine ve's step `step`; NULL: none. */
static const op_row_t* find_op(const op_row_t* v, int n, int rank, int send, int ve, int step)
{
  for (int k = 0; k < n; k++)
    if (v[k].rank == rank && v[k].send == send && v[k].ve == ve && v[k].step == step)
      return &v[k];
  return NULL;
}

static const char* pp2_pair = "name: pp2\nplatform: {preset: p5en.48xlarge}\noutputs: {ops_max_rows: 1000}\n"
                              "workloads:\n  - kind: inference\n    model: {preset: llama3-8b}\n    gpus: 2\n"
                              "    pp: 2\n    mode: offline\n    requests: 2\n    max_seqs: 1\n"
                              "    prompt_tokens: 100\n    output_tokens: 8\n";

/* A PP2 replica runs two virtual engines (vLLM's), one request each: their batches follow each other
 * through the two stages, so while stage 1 works on one engine's batch stage 0 works on the other's.
 * The timeline of ops.csv follows the pipeline's recurrence exactly: stage 1 starts a batch when its
 * activations arrived and it finished the batch before (its compute and the return of that batch's
 * sampled tokens to stage 0); stage 0 starts an engine's next batch when it finished its own last send
 * and that engine's tokens came back. In the steady state a batch leaves the pipeline every
 * max(T0 + send, T1 + return), not every T0 + send + T1 + return as one batch at a time did, and each
 * request makes a token every two batches. */
START_TEST(pipeline_keeps_two_batches_in_flight)
{
  ck_assert_int_eq(run_scenario(pp2_pair, ""), 0);
  int n;
  op_row_t* v  = op_rows(&n);
  int overlaps = 0;
  double free0 = 0, free1 = 0; /* when each stage finished its last activity */
  const int last = 7;          /* steps: one prefill, then seven decodes (the eighth token is the last) */
  for (int k = 0; k <= last; k++)
    for (int ve = 0; ve < 2; ve++) {
      const op_row_t* c0 = find_op(v, n, 0, 0, ve, k);
      const op_row_t* s0 = find_op(v, n, 0, 1, ve, k);
      const op_row_t* c1 = find_op(v, n, 1, 0, ve, k);
      const op_row_t* s1 = find_op(v, n, 1, 1, ve, k); /* the sampled tokens going back */
      ck_assert_msg(c0 && s0 && c1 && s1, "engine %d step %d: missing rows", ve, k);
      const op_row_t* before = k > 0 ? find_op(v, n, 1, 1, ve, k - 1) : NULL;
      double ready           = before ? before->end : 0;
      ck_assert_double_eq_tol(c0->start, fmax(free0, ready), 1e-12);
      ck_assert_double_eq_tol(s0->start, c0->end, 1e-12);
      ck_assert_double_eq_tol(c1->start, fmax(s0->end, free1), 1e-12);
      ck_assert_double_eq_tol(s1->start, c1->end, 1e-12);
      ck_assert(s1->end > s1->start); /* a route's latency, however few the bytes */
      free0 = s0->end;
      free1 = s1->end;
      for (int j = 0; j < n; j++) /* stage 0 computes while stage 1 computes another batch */
        overlaps += v[j].rank == 0 && !v[j].send && v[j].start < c1->end - 1e-9 && v[j].end > c1->start + 1e-9;
    }
  ck_assert_int_ge(overlaps, 2 * last);
  /* the steady state: decode steps 3 to 6 of both engines */
  for (int k = 3; k < last; k++) {
    const op_row_t* a  = find_op(v, n, 1, 1, 1, k - 1);
    const op_row_t* b0 = find_op(v, n, 1, 0, 0, k);
    const op_row_t* b  = find_op(v, n, 1, 1, 0, k);
    const op_row_t* c0 = find_op(v, n, 0, 0, 0, k);
    const op_row_t* s0 = find_op(v, n, 0, 1, 0, k);
    double t0 = s0->end - c0->start, t1 = b->end - b0->start, gap = b->end - a->end;
    ck_assert_msg(fabs(gap - fmax(t0, t1)) < 1e-9, "a batch every %g s; stages %g s and %g s", gap, t0, t1);
    ck_assert_msg(gap < 0.6 * (t0 + t1), "a batch every %g s; stages %g s and %g s", gap, t0, t1);
  }
  double t1 = find_op(v, n, 1, 1, 0, 5)->end - find_op(v, n, 1, 0, 0, 5)->start;
  free(v);
  ck_assert_double_eq_tol(value("requests", 1, "tpot_s"), 2 * t1, 2 * t1 * 0.01);
}
END_TEST

/* Compute-bound offline serving: one PP2 replica on two GPUs gives nearly the throughput of two
 * replicas of one GPU each (the same GPUs; the last stage also reads the output embedding), where one
 * batch at a time through the stages gave half of it (0.51x). */
START_TEST(pp2_nearly_matches_two_replicas)
{
  const char* yaml = "name: pp\nplatform: {preset: p5en.48xlarge}\nworkloads:\n"
                     "  - kind: inference\n    model: {preset: llama3-8b}\n    gpus: 2\n    pp: 2\n"
                     "    mode: offline\n    requests: 512\n    prompt_tokens: 512\n    output_tokens: 64\n";
  ck_assert_int_eq(run_scenario(yaml, ""), 0);
  double pp2 = summary("tokens_per_s");
  ck_assert_int_eq(run_scenario(yaml, "--set workloads.0.pp=1"), 0);
  double dp2 = summary("tokens_per_s");
  ck_assert_msg(pp2 > 0.9 * dp2 && pp2 < dp2, "PP2 %g tokens/s, two replicas %g", pp2, dp2);
}
END_TEST

static int by_number(const void* a, const void* b)
{
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

/* The steady window of an offline run on one replica of max_seqs 4: it opens when the batch first
 * holds 4 sequences (the 4th admission) and closes at the last admission, when the drain begins; its
 * figure is the output tokens produced in steps that ended inside it, finished requests or not, over
 * its length: a whole number of tokens, between those of the requests wholly inside and those of every
 * request that overlaps it. Under its capacity (a slow server run) the batch never fills: no window. */
START_TEST(steady_window_excludes_warm_up_and_drain)
{
  const char* yaml = "name: st\nplatform: {preset: p5en.48xlarge}\nworkloads:\n"
                     "  - kind: inference\n    model: {preset: llama3-8b}\n    gpus: 1\n    mode: offline\n"
                     "    requests: 16\n    max_seqs: 4\n    prompt_tokens: 16\n    output_tokens: 8\n";
  ck_assert_int_eq(run_scenario(yaml, ""), 0);
  rs_csv_t* csv = table("requests");
  int sc = rs_csv_column(csv, "scheduled_s"), ft = rs_csv_column(csv, "first_token_s"),
      fi = rs_csv_column(csv, "finish_s");
  double admitted[16], from = summary("steady_start_s"), to = summary("steady_end_s"), inside = 0, overlap = 0;
  ck_assert_int_eq(csv->n_rows, 17);
  for (int k = 0; k < 16; k++) {
    char** c     = csv->rows[k + 1].cells;
    admitted[k]  = strtod(c[sc], NULL);
    double first = strtod(c[ft], NULL), last = strtod(c[fi], NULL);
    inside += first > from && last <= to ? 8 : 0;
    overlap += last > from && first <= to ? 8 : 0;
  }
  rs_csv_free(csv);
  qsort(admitted, 16, sizeof *admitted, by_number);
  ck_assert_double_eq(from, admitted[3]);
  ck_assert_double_eq(to, admitted[15]);
  double tokens = summary("steady_tokens_per_s") * (to - from);
  ck_assert_double_eq_tol(tokens, round(tokens), 1e-6);
  ck_assert_msg(tokens >= inside && tokens <= overlap, "%g tokens in the window: %g inside, %g overlap", tokens, inside,
                overlap);
  ck_assert(summary("steady_tokens_per_s") > summary("tokens_per_s"));
  ck_assert_int_eq(run_scenario(server, ""), 0);
  rs_csv_t* sum             = table("summary");
  const char* const names[] = {"steady_tokens_per_s", "steady_start_s", "steady_end_s"};
  for (int k = 0; k < 3; k++)
    ck_assert_str_eq(sum->rows[1].cells[rs_csv_column(sum, names[k])], "");
  rs_csv_free(sum);
}
END_TEST

/* Disaggregated serving on two GPUs of one server: the prompt's KV cache (1,000 tokens x 32 layers x
 * 8 KV heads x 128 x K and V, bf16) goes from the prefill GPU to the decode GPU over NVLink, and that is
 * all the NVLinks carry; served by two mixed replicas instead, the lone request moves nothing. */
START_TEST(kv_hand_off_crosses_nvlink)
{
  const char* yaml = "name: dis\nplatform: {preset: p5en.48xlarge}\nworkloads:\n"
                     "  - kind: inference\n    model: {preset: llama3-8b}\n    gpus: 2\n    prefill_replicas: 1\n"
                     "    mode: offline\n    requests: 1\n    prompt_tokens: 1000\n    output_tokens: 4\n";
  ck_assert_int_eq(run_scenario(yaml, ""), 0);
  rs_model_t m;
  ck_assert(rs_model_preset("llama3-8b", &m) == RS_OK);
  double kv = 1000 * rs_model_kv_values_per_token(&m) * 2 * m.layers;
  ck_assert_double_eq(class_bytes("nvlink"), 2 * kv);
  ck_assert(value("requests", 1, "kv_transfer_s") > 0);
  ck_assert_int_eq(run_scenario(yaml, "--set workloads.0.prefill_replicas=0"), 0);
  ck_assert_double_eq(class_bytes("nvlink"), 0);
}
END_TEST

/* Swapped KV crosses each GPU's NVLink-C2C link to its Grace and back (GB200, whose platform has that path):
 * with preemption: swap the c2c links carry it, out and in, with recompute nothing; and swapping still
 * finishes no later than recomputing. */
START_TEST(swapped_kv_crosses_c2c)
{
  const char* yaml =
      "name: sw\nplatform: {preset: u-p6e-gb200x36}\nworkloads:\n"
      "  - kind: inference\n    model: {preset: llama3-8b}\n    gpus: 2\n    tp: 2\n    mode: offline\n"
      "    requests: 200\n    prompt_tokens: 1024\n    output_tokens: 256\n    hbm_utilization: 0.0875\n";
  ck_assert_int_eq(run_scenario(yaml, ""), 0);
  ck_assert(summary("preemptions") > 0);
  ck_assert_double_eq(class_bytes("c2c"), 0);
  double recompute = summary("end_s");
  ck_assert_int_eq(run_scenario(yaml, "--set workloads.0.preemption=swap"), 0);
  ck_assert(summary("preemptions") > 0);
  rs_model_t m;
  ck_assert(rs_model_preset("llama3-8b", &m) == RS_OK);
  double token = rs_model_kv_values_per_token(&m) * 2 * m.layers; /* bf16 K and V of one token */
  /* each preempted sequence left with at least one block's tokens and came back with them */
  ck_assert_msg(class_bytes("c2c") >= 2 * summary("preemptions") * token, "c2c carried %g B for %g preemptions",
                class_bytes("c2c"), summary("preemptions"));
  ck_assert_double_le(summary("end_s"), recompute);
}
END_TEST

/* Bytes links.csv counts on the link named `name` (outputs.links: all). */
static double link_bytes(const char* name)
{
  rs_csv_t* csv = table("links");
  int l = rs_csv_column(csv, "link"), b = rs_csv_column(csv, "bytes");
  double bytes = -1;
  for (size_t r = 1; r < csv->n_rows; r++)
    if (strcmp(csv->rows[r].cells[l], name) == 0)
      bytes = strtod(csv->rows[r].cells[b], NULL);
  rs_csv_free(csv);
  ck_assert_msg(bytes >= 0, "links.csv has no link %s", name);
  return bytes;
}

/* A prefill pool and a decode pool of different layouts: one prefill replica of one GPU, then, on the
 * two GPUs left, one TP2 decode replica. The prompt's KV cache (1,000 tokens x 32 layers x 8 KV heads
 * x 128 x K and V, bf16) leaves the prefill GPU whole and is cut again: each decode GPU receives half
 * of it (its NVLink's _DOWN half also carries its TP peer's all-reduces, its peer's _UP). */
START_TEST(prefill_and_decode_layouts_apart)
{
  const char* yaml = "name: dl\nplatform: {preset: p5en.48xlarge}\noutputs: {links: all}\nworkloads:\n"
                     "  - kind: inference\n    model: {preset: llama3-8b}\n    gpus: 3\n    prefill_replicas: 1\n"
                     "    prefill_tp: 1\n    tp: 2\n    mode: offline\n    requests: 1\n    prompt_tokens: 1000\n"
                     "    output_tokens: 4\n";
  ck_assert_int_eq(run_scenario(yaml, ""), 0);
  rs_model_t m;
  ck_assert(rs_model_preset("llama3-8b", &m) == RS_OK);
  double kv = 1000 * rs_model_kv_values_per_token(&m) * 2 * m.layers;
  ck_assert_double_eq(link_bytes("us0-gpu0-nvlink_UP"), kv);
  ck_assert_double_eq(link_bytes("us0-gpu1-nvlink_DOWN") - link_bytes("us0-gpu2-nvlink_UP"), kv / 2);
  ck_assert_double_eq(link_bytes("us0-gpu2-nvlink_DOWN") - link_bytes("us0-gpu1-nvlink_UP"), kv / 2);
  ck_assert_double_eq(value("requests", 1, "replica"), 1);
  ck_assert_double_eq(value("requests", 1, "prefill_replica"), 0);
  ck_assert_double_eq(summary("gpus"), 3);
}
END_TEST

/* Bad input: exit 2, one line naming the file, line and key or column, no outputs. */
static void expect_refusal(const char* yaml, const char* reason)
{
  ck_assert_int_eq(run_scenario(yaml, ""), 2);
  char path[128], err[1024] = "";
  snprintf(path, sizeof path, "%s/err", dir);
  FILE* fp = fopen(path, "r");
  size_t n = fread(err, 1, sizeof err - 1, fp);
  err[n]   = '\0';
  fclose(fp);
  ck_assert_msg(strstr(err, reason) != NULL, "expected '%s' in: %s", reason, err);
  snprintf(path, sizeof path, "%s/out", dir);
  ck_assert(access(path, F_OK) != 0);
}

START_TEST(bad_inputs_exit_2_with_reason)
{
  expect_refusal("name: big\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
                 "    model: {preset: llama3-405b}\n    tp: 4\n",
                 "s.yaml:4: workloads[0]: weights need 202.9 GB per GPU (stage 0, bf16, tp 4 ep 1 pp 1), more than "
                 "the 135.7 GB allowed");
  expect_refusal("name: tp3\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
                 "    model: {preset: llama3-8b}\n    tp: 3\n    gpus: 6\n",
                 "this replica layout cannot run: tp = 3 does not divide the model's 32 attention heads");
  expect_refusal("name: long\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
                 "    model: {preset: llama3-8b}\n    prompt_tokens: 4000000\n",
                 "the longest request needs 4000128: weights plus KV cache do not fit in HBM");
  write_file("bad.csv", "arrival_s,prompt_tokens,output_tokens\n0,10,5\n1.5,ten,5\n");
  expect_refusal("name: t\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
                 "    model: {preset: llama3-8b}\n    arrival: trace\n    trace: bad.csv\n",
                 "bad.csv:3: prompt_tokens: expected an integer from 1 to 10000000, got 'ten'");
  write_file("bad.csv", "arrival_s,prompt_tokens,output_tokens\n-1,10,5\n");
  expect_refusal("name: t\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
                 "    model: {preset: llama3-8b}\n    arrival: trace\n    trace: bad.csv\n",
                 "bad.csv:2: arrival_s: expected a number of seconds from 0, got '-1'");
  write_file("bad.csv", "when,prompt_tokens\n0,10\n");
  expect_refusal("name: t\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
                 "    model: {preset: llama3-8b}\n    arrival: trace\n    trace: bad.csv\n",
                 "bad.csv:1: expected a header with columns arrival_s, prompt_tokens, output_tokens");
  expect_refusal("name: t\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
                 "    model: {preset: llama3-8b}\n    arrival: trace\n",
                 "s.yaml:4: workloads[0]: arrival: trace needs the key 'trace'");
  expect_refusal(
      "name: t\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
      "    model: {preset: llama3-8b}\n    routing: random\n",
      "s.yaml:6: workloads[0].routing: expected one of round-robin, least-outstanding, kv-aware, got 'random'");
  write_file("day.csv", "start_s,rate_per_s\n0,2\n10,50\n5,0\n");
  expect_refusal(
      "name: t\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
      "    model: {preset: llama3-8b}\n    arrival: table\n    rate_table: day.csv\n",
      "day.csv:4: start_s: expected more than the row above (10) and less than rate_period_s (86400), got '5'");
  expect_refusal(
      "name: t\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
      "    model: {preset: llama3-8b}\n    tp: 4\n    prefill_replicas: 2\n",
      "s.yaml:7: workloads[0].prefill_replicas: expected fewer than the 2 replicas, so that some decode, got 2");
  /* a prefill pool and a decode pool of their own layouts */
  expect_refusal("name: t\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
                 "    model: {preset: llama3-8b}\n    tp: 2\n    prefill_replicas: 2\n    prefill_tp: 4\n",
                 "s.yaml:7: workloads[0].prefill_replicas: expected prefill replicas of prefill_tp x prefill_ep x "
                 "prefill_pp = 4 GPUs each that leave GPUs for decode replicas of tp x ep x pp = 2 among the 8 GPUs, "
                 "got 2 (8 GPUs)");
  expect_refusal("name: t\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
                 "    model: {preset: llama3-8b}\n    tp: 4\n    prefill_replicas: 1\n    prefill_tp: 2\n",
                 "workloads[0].gpus: a decode replica of tp x ep x pp = 4 GPUs does not divide the 6 GPUs left "
                 "after 1 prefill replicas of 2");
  expect_refusal("name: t\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
                 "    model: {preset: llama3-8b}\n    gpus: 4\n    prefill_replicas: 1\n    prefill_tp: 3\n",
                 "s.yaml:4: workloads[0]: this prefill layout (prefill_tp 3 prefill_ep 1 prefill_pp 1) cannot run: "
                 "tp = 3 does not divide the model's 32 attention heads");
  expect_refusal("name: t\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
                 "    model: {preset: llama3-70b}\n    gpus: 5\n    prefill_replicas: 1\n    prefill_tp: 4\n",
                 "s.yaml:4: workloads[0]: weights need 141.1 GB per GPU (stage 0, bf16, tp 1 ep 1 pp 1), more than "
                 "the 135.7 GB allowed");
  expect_refusal("name: t\nplatform: {preset: p5en.48xlarge}\nworkloads:\n  - kind: inference\n"
                 "    model: {preset: llama3-8b}\n    pp: 2\n    prompt_tokens: 1500000\n",
                 "the KV cache of a virtual engine (one of the 2 of a pp 2 replica) holds");
}
END_TEST

/* The ready inference scenarios pass every check (layout, memory, KV cache) without simulating. */
START_TEST(ready_scenarios_validate)
{
  static const char* const files[] = {"chat-llama70b-gb200", "chat-llama70b-h200", "chat-llama70b-gb200-disagg",
                                      "inference-llama8b-h200", "validation/mlperf-llama2-70b-h200-offline"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cd %s && %s validate scenarios/%s.yaml >/dev/null", RS_SOURCE_DIR, RS_RACKSIM_BIN,
             files[i]);
    ck_assert_msg(system(cmd) == 0, "%s", files[i]);
  }
}
END_TEST

static Suite* inference_suite(void)
{
  Suite* s  = suite_create("inference");
  TCase* tc = tcase_create("inference");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, lone_request_steps_follow_the_roofline);
  tcase_add_test(tc, offline_throughput_grows_with_the_batch_until_memory_binds);
  tcase_add_test(tc, energy_lies_between_idle_and_full_power);
  tcase_add_test(tc, ttft_rises_with_load);
  tcase_add_test(tc, percentiles_cover_every_request);
  tcase_add_test(tc, small_cache_fills_and_preempts);
  tcase_add_test(tc, same_seed_same_tables);
  tcase_add_test(tc, routing_spreads_requests);
  tcase_add_test(tc, trace_replay);
  tcase_add_test(tc, bad_inputs_exit_2_with_reason);
  tcase_add_test(tc, ready_scenarios_validate);
  tcase_add_test(tc, disaggregated_moves_the_kv_cache);
  tcase_add_test(tc, bursty_arrivals_queue_more);
  tcase_add_test(tc, rate_table_shapes_arrivals);
  tcase_add_test(tc, rate_table_tiny_rates_end);
  tcase_add_test(tc, length_table_gives_lengths);
  tcase_add_test(tc, prefix_caching_skips_the_shared_prompt);
  tcase_add_test(tc, tp_all_reduces_of_every_layer_cross_the_links);
  tcase_add_test(tc, every_gpu_of_a_replica_works);
  tcase_add_test(tc, pipeline_activations_cross_nvlink);
  tcase_add_test(tc, pipeline_keeps_two_batches_in_flight);
  tcase_add_test(tc, pp2_nearly_matches_two_replicas);
  tcase_add_test(tc, steady_window_excludes_warm_up_and_drain);
  tcase_add_test(tc, prefill_and_decode_layouts_apart);
  tcase_add_test(tc, swapped_kv_crosses_c2c);
  tcase_add_test(tc, kv_hand_off_crosses_nvlink);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(inference_suite)
