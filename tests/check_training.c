/* check_training.c -- tests of the training workload, run through the racksim command on small
 * scenarios: a one-GPU step equals the sum of its parts from model.c and compute.c; the breakdown adds
 * up to the step; deeper pipelines have more bubble, interleaved ones less; overlapping DP reduction
 * helps; bad layouts are refused with their reason and exit code 2; collectives.csv has one row per call
 * of a group, with the sizes the layout implies; ops.csv stops at its cap and says so; links.csv counts
 * NVLink and NIC bytes where the layout puts them, and conserves them; offloaded activations leave the
 * GPU's memory, cross NVLink-C2C twice per micro-batch, and hide under compute on a fast enough link;
 * ZeRO-3's prefetched weight all-gathers shorten the step, within the bounds of compute and collectives;
 * with tp_comm_overlap only what the TP collectives take beyond their blocks' GEMMs is exposed. */
#include "check_util.h"
#include "model/model.h"
#include "base/base.h"

#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void setup(void)
{
  rs_test_tmpdir(dir, sizeof dir, "training");
}

static void teardown(void)
{
  rs_test_rmdir(dir);
}

/* Runs racksim on the scenario text into DIR/out, returns the exit code; stderr goes to DIR/err. */
static int run_scenario(const char* yaml, const char* extra)
{
  return rs_test_run_yaml(dir, yaml, "out", extra);
}

/* A number from row 1 of DIR/out/iterations.csv. */
static double iteration_value(const char* column)
{
  return rs_test_iteration_value(dir, "out", column);
}

static rs_csv_t* read_table(const char* name)
{
  return rs_test_table(dir, "out", name);
}

/* Cell `column` of row r (r >= 1) of csv. */
static const char* cell(const rs_csv_t* csv, size_t r, const char* column)
{
  int col = rs_csv_column(csv, column);
  ck_assert_msg(col >= 0, "no column %s", column);
  return csv->rows[r].cells[col];
}

/* Whether a file of DIR holds the text (for messages on stderr and stdout). */
static int file_has(const char* name, const char* text)
{
  return rs_test_file_has(dir, name, text);
}

/* A number from the first workload's row of DIR/out/summary.csv. */
static double summary_value(const char* column)
{
  return rs_test_table_value(dir, "out", "summary.csv", 1, column);
}

static const char* one_gpu =
    "name: one-gpu\nplatform: {preset: p5.48xlarge}\nworkloads:\n"
    "  - kind: training\n    model: {preset: gpt-1.7b}\n    gpus: 1\n    zero: 0\n    global_batch: 4\n"
    "    recompute: none\n";

/* The step of one_gpu by hand: 4 micro-batches of forward and backward over every layer and the output
 * layer, then the optimizer. Each layer pass is its GEMMs (projections and MLP, at their roofline), its
 * score matmuls (2.5 x the forward's in a flash backward, 2 x when materialised) and its memory-bound
 * kernels (the scores' 13 / 17 bytes per element only when materialised), one after the other. */
static double one_gpu_step(const rs_gpu_model_t* g, rs_attn_t attn, double* opt)
{
  rs_model_t m;
  ck_assert(rs_model_preset("gpt-1.7b", &m) == RS_OK);
  double tokens = 2048, act = tokens * m.hidden * 2, per_mb = 0;
  int materialised = attn == RS_ATTN_MATERIALISED;
  for (int i = 0; i < m.layers; i++) {
    double scores  = rs_model_attn_score_fwd_flops(&m) * tokens;
    double linear  = rs_model_layer_fwd_flops(&m, i) * tokens - scores;
    double weights = rs_model_layer_params(&m, i) * 2;
    per_mb += rs_gpu_seconds(g, RS_PREC_BF16, linear, weights) + rs_gpu_seconds(g, RS_PREC_BF16, scores, 0) +
              rs_gpu_stream_seconds(g, 34 * act + materialised * rs_model_attn_score_bytes(&m, 0) * tokens) +
              rs_gpu_seconds(g, RS_PREC_BF16, 2 * linear, weights) +
              rs_gpu_seconds(g, RS_PREC_BF16, (materialised ? 2 : 2.5) * scores, 0) +
              rs_gpu_stream_seconds(g, 34 * act + materialised * rs_model_attn_score_bytes(&m, 1) * tokens);
  }
  per_mb += 3 * rs_gpu_seconds(g, RS_PREC_BF16, rs_model_logits_fwd_flops(&m) * tokens, 0);
  rs_layout_t lay = {.tp = 1, .cp = 1, .ep = 1, .pp = 1, .vp = 1, .micro_batch = 1, .global_batch = 4};
  rs_err_t err    = {{0}};
  ck_assert(rs_layout_resolve(&lay, &m, 1, &err) == RS_OK);
  *opt = rs_gpu_stream_seconds(g, 30 * rs_layout_stage_params(&lay, &m, 0));
  return 4 * per_mb + *opt;
}

/* No parallelism, no communication: the step is the sum of its parts, with either attention. */
START_TEST(one_gpu_step_is_the_sum_of_its_parts)
{
  rs_platform_t* p        = rs_test_load_preset("p5.48xlarge");
  const rs_gpu_model_t* g = p->gpus[0].model;
  double opt;
  ck_assert_int_eq(run_scenario(one_gpu, "--set workloads.0.attention=materialised"), 0);
  double materialised = one_gpu_step(g, RS_ATTN_MATERIALISED, &opt);
  ck_assert_double_eq_tol(iteration_value("step_s"), materialised, materialised * 1e-9);
  ck_assert_int_eq(run_scenario(one_gpu, ""), 0);
  double expected = one_gpu_step(g, RS_ATTN_FLASH, &opt);
  ck_assert(expected < materialised);
  ck_assert_double_eq_tol(iteration_value("step_s"), expected, expected * 1e-9);
  ck_assert_double_eq_tol(iteration_value("optimizer_s"), opt, opt * 1e-9);
  ck_assert_double_eq_tol(iteration_value("comm_exposed_s"), 0, 1e-12);
  /* no recomputation: the two FLOP counts agree */
  ck_assert_double_eq_tol(iteration_value("hw_tflops_per_gpu"), iteration_value("tflops_per_gpu"), 1e-6);
  /* busy all the step: the GPU draws its TDP throughout */
  double joules = g->tdp_watts * expected;
  ck_assert_double_eq_tol(summary_value("energy_j"), joules, joules * 1e-9);
  ck_assert_double_eq_tol(summary_value("joules_per_token"), joules / (4 * 2048), joules * 1e-12);
  rs_platform_free(p);
}
END_TEST

/* The low-precision step of one_gpu by hand: its GEMMs at the precision's rate, the scores and the output
 * layer at BF16's, and beside the memory-bound kernels Transformer Engine's casts, `per_value` bytes per
 * quantised value (FP8: read bf16, write FP8 and its transpose, 4; NVFP4: 2 + 2 x (0.5 + 1/16) with
 * the E4M3 scale of each 16-value block): every GEMM input forward, every output gradient backward, and
 * each layer's weights once per step, in the first micro-batch's forward. */
static double one_gpu_low_step(const rs_gpu_model_t* g, rs_prec_t prec, double per_value, double* casts)
{
  rs_model_t m;
  ck_assert(rs_model_preset("gpt-1.7b", &m) == RS_OK);
  double tokens = 2048, act = tokens * m.hidden * 2, step = 0;
  *casts = 0;
  for (int mb = 0; mb < 4; mb++)
    for (int i = 0; i < m.layers; i++) {
      double scores  = rs_model_attn_score_fwd_flops(&m) * tokens;
      double linear  = rs_model_layer_fwd_flops(&m, i) * tokens - scores;
      double weights = rs_model_layer_params(&m, i) * 2;
      double fwd, bwd;
      rs_model_layer_cast_values(&m, i, &fwd, &bwd);
      double cast_f = per_value * (fwd * tokens + (mb == 0 ? rs_model_layer_params(&m, i) : 0));
      double cast_b = per_value * bwd * tokens;
      *casts += rs_gpu_stream_seconds(g, cast_f) + rs_gpu_stream_seconds(g, cast_b);
      step += rs_gpu_seconds(g, prec, linear, weights) + rs_gpu_seconds(g, RS_PREC_BF16, scores, 0) +
              rs_gpu_stream_seconds(g, 34 * act + cast_f) + rs_gpu_seconds(g, prec, 2 * linear, weights) +
              rs_gpu_seconds(g, RS_PREC_BF16, 2.5 * scores, 0) + rs_gpu_stream_seconds(g, 34 * act + cast_b);
    }
  step += 4 * 3 * rs_gpu_seconds(g, RS_PREC_BF16, rs_model_logits_fwd_flops(&m) * tokens, 0);
  rs_layout_t lay = {.tp = 1, .cp = 1, .ep = 1, .pp = 1, .vp = 1, .micro_batch = 1, .global_batch = 4};
  rs_err_t err    = {{0}};
  ck_assert(rs_layout_resolve(&lay, &m, 1, &err) == RS_OK);
  return step + rs_gpu_stream_seconds(g, 30 * rs_layout_stage_params(&lay, &m, 0));
}

/* FP8 and NVFP4 training pay their casts (_i = 0: FP8 on H100; 1: FP4 on B200): the step is the sum of
 * its parts at the precision, casts included, and without them it would be shorter by exactly their time. */
START_TEST(low_precision_step_pays_its_casts)
{
  rs_platform_t* p        = rs_test_load_preset(_i ? "p6-b200.48xlarge" : "p5.48xlarge");
  const rs_gpu_model_t* g = p->gpus[0].model;
  char sets[160];
  snprintf(sets, sizeof sets, "--set workloads.0.precision=%s --set platform.preset=%s", _i ? "fp4" : "fp8",
           _i ? "p6-b200.48xlarge" : "p5.48xlarge");
  ck_assert_int_eq(run_scenario(one_gpu, sets), 0);
  double casts, expected = one_gpu_low_step(g, _i ? RS_PREC_FP4 : RS_PREC_FP8, _i ? 3.125 : 4, &casts);
  ck_assert(casts > 0.01 * expected); /* a few percent of the step, not a rounding */
  ck_assert_double_eq_tol(iteration_value("step_s"), expected, expected * 1e-9);
  ck_assert_double_eq_tol(iteration_value("compute_s"), expected - iteration_value("optimizer_s"), expected * 1e-9);
  rs_platform_free(p);
}
END_TEST

static const char* pipeline =
    "name: pipeline\nplatform:\n  generate: {server: p5.48xlarge, servers: 2}\nworkloads:\n"
    "  - kind: training\n    model: {preset: llama3-8b}\n    tp: 4\n    pp: 2\n    global_batch: 16\n";

/* Plain (_i = 1) and interleaved (_i = 2 chunks per rank) 1F1B, with DP reduction overlapped. */
START_TEST(breakdown_adds_up_to_the_step)
{
  char set[64];
  snprintf(set, sizeof set, "--set workloads.0.vp=%d", _i);
  ck_assert_int_eq(run_scenario(pipeline, set), 0);
  double step  = iteration_value("step_s");
  double parts = iteration_value("compute_s") + iteration_value("comm_exposed_s") + iteration_value("bubble_s") +
                 iteration_value("optimizer_s");
  ck_assert_double_eq_tol(parts, step, step * 1e-9);
  ck_assert(iteration_value("bubble_s") > 0);
  ck_assert(iteration_value("comm_exposed_s") > 0);
  double mfu = iteration_value("mfu");
  ck_assert(mfu > 0.05 && mfu < 0.6);
  /* GPUs draw their TDP while computing and idle power otherwise (waiting, communicating) */
  rs_platform_t* p        = rs_test_load_preset("p5.48xlarge");
  const rs_gpu_model_t* g = p->gpus[0].model;
  double busy             = iteration_value("compute_s") + iteration_value("optimizer_s");
  double joules           = 16 * (g->idle_watts * step + (g->tdp_watts - g->idle_watts) * busy);
  ck_assert_double_eq_tol(summary_value("energy_j"), joules, joules * 1e-9);
  rs_platform_free(p);
  /* the summary's step_s is the mean over the iterations */
  rs_csv_t* its = read_table("iterations.csv");
  double sum    = 0;
  for (size_t r = 1; r < its->n_rows; r++)
    sum += strtod(cell(its, r, "step_s"), NULL);
  ck_assert(its->n_rows > 1);
  ck_assert_double_eq_tol(summary_value("step_s"), sum / (its->n_rows - 1), step * 1e-9);
  rs_csv_free(its);
}
END_TEST

START_TEST(deeper_pipelines_wait_more)
{
  ck_assert_int_eq(run_scenario(pipeline, "--set workloads.0.tp=8 --set workloads.0.pp=2"), 0);
  double two = iteration_value("bubble_s") / iteration_value("step_s");
  ck_assert_int_eq(run_scenario(pipeline, "--set workloads.0.tp=4 --set workloads.0.pp=4"), 0);
  double four = iteration_value("bubble_s") / iteration_value("step_s");
  ck_assert_msg(four > two, "bubble share: pp2 %g, pp4 %g", two, four);
}
END_TEST

START_TEST(overlapping_dp_reduction_saves_time)
{
  const char* dp = "name: dp\nplatform:\n  generate: {server: p5.48xlarge, servers: 2}\nworkloads:\n"
                   "  - kind: training\n    model: {preset: llama3-8b}\n    tp: 8\n    global_batch: 4\n";
  ck_assert_int_eq(run_scenario(dp, "--set workloads.0.dp_overlap=false"), 0);
  double exposed = iteration_value("comm_exposed_s"), serial = iteration_value("step_s");
  ck_assert_int_eq(run_scenario(dp, ""), 0);
  ck_assert(iteration_value("step_s") < serial);
  ck_assert(iteration_value("comm_exposed_s") < exposed);
}
END_TEST

/* TP4 PP2 DP2 over two servers, 8 micro-batches, zero 1: per iteration, each of the 4 TP groups runs
 * 4 collectives per layer forward and 4 backward for 8 micro-batches of 16 layers, each on the whole
 * sequence's activations; each of the 8 DP groups reduce-scatters one bucket per layer of its stage
 * and all-gathers the updated weights once. One row per call of a group, not per rank. */
START_TEST(training_collectives_are_one_row_per_group_call)
{
  ck_assert_int_eq(run_scenario(pipeline, ""), 0);
  rs_model_t m;
  ck_assert(rs_model_preset("llama3-8b", &m) == RS_OK);
  rs_csv_t* csv = read_table("collectives.csv");
  int tp = 0, dp_rs = 0, dp_ag = 0, tp0 = 0;
  long long tp0_next_call = 0;
  char bucket[32];
  snprintf(bucket, sizeof bucket, "%lld", (long long)(rs_model_layer_params(&m, 1) / 4 * 2));
  for (size_t r = 1; r < csv->n_rows; r++) {
    const char* dim = cell(csv, r, "dim");
    ck_assert_str_eq(cell(csv, r, "workload"), "training-0");
    ck_assert(strtod(cell(csv, r, "end_s"), NULL) >= strtod(cell(csv, r, "start_s"), NULL));
    if (strcmp(dim, "tp") == 0) {
      tp++;
      ck_assert_str_eq(cell(csv, r, "ranks"), "4");
      ck_assert_str_eq(cell(csv, r, "bytes"), "67108864");        /* 8192 tokens x 4096 x 2 bytes */
      if (strcmp(cell(csv, r, "group"), "training-0:tp0") == 0) { /* its calls, in order, once each */
        ck_assert_int_eq(strtoll(cell(csv, r, "call"), NULL, 10), tp0_next_call++);
        tp0++;
      }
    } else if (strcmp(dim, "dp") == 0 && strcmp(cell(csv, r, "op"), "reduce-scatter") == 0) {
      dp_rs++;
      ck_assert_str_eq(cell(csv, r, "ranks"), "2");
      ck_assert_str_eq(cell(csv, r, "bytes"), bucket);
    } else {
      ck_assert_str_eq(dim, "dp");
      ck_assert_str_eq(cell(csv, r, "op"), "all-gather");
      dp_ag++;
    }
  }
  ck_assert_int_eq(tp, 4 * 8 * 16 * 8);
  ck_assert_int_eq(tp0, 8 * 16 * 8);
  ck_assert_int_eq(dp_rs, 8 * 16);
  ck_assert_int_eq(dp_ag, 8);
  rs_csv_free(csv);
}
END_TEST

/* DP groups of unequal shape per NVLink domain: on 3 servers of 8 H100 with pp 2 and tp 1 each stage holds
 * 12 GPUs, 8 + 4 (stage 0) and 4 + 8 (stage 1), and their gradients are reduced per rail (4 channels),
 * not over one flat ring through a single NIC. */
START_TEST(unequal_dp_groups_reduce_per_rail)
{
  const char* yaml = "name: unequal\nplatform:\n  generate: {server: p5.48xlarge, servers: 3}\nworkloads:\n"
                     "  - kind: training\n    model: {preset: gpt-1.7b, layers: 4}\n    pp: 2\n    zero: 0\n"
                     "    global_batch: 12\n    recompute: none\n";
  ck_assert_int_eq(run_scenario(yaml, ""), 0);
  rs_csv_t* csv = read_table("collectives.csv");
  int dp        = 0;
  for (size_t r = 1; r < csv->n_rows; r++)
    if (strcmp(cell(csv, r, "dim"), "dp") == 0) {
      ck_assert_str_eq(cell(csv, r, "ranks"), "12");
      ck_assert_str_eq(cell(csv, r, "algorithm"), "rail-ring");
      dp++;
    }
  ck_assert_int_eq(dp, 4); /* a bucket per layer, 2 layers per stage, 2 stages */
  rs_csv_free(csv);
}
END_TEST

START_TEST(ops_stop_at_their_cap)
{
  ck_assert_int_eq(run_scenario(pipeline, "--set outputs.ops_max_rows=1000 --set outputs.collectives_max_rows=0"), 0);
  rs_csv_t* ops = read_table("ops.csv");
  ck_assert_uint_eq(ops->n_rows, 1001);
  int seen[5]                      = {0};
  static const char* const kinds[] = {"compute", "collective", "send", "recv", "wait"};
  for (size_t r = 1; r < ops->n_rows; r++)
    for (int k = 0; k < 5; k++)
      seen[k] += strcmp(cell(ops, r, "op"), kinds[k]) == 0;
  ck_assert(seen[0] > 0 && seen[1] > 0 && seen[2] > 0 && seen[3] > 0);
  ck_assert_str_eq(cell(ops, 1, "op"), "compute");
  ck_assert_str_eq(cell(ops, 1, "layer"), "0");
  ck_assert_str_eq(cell(ops, 1, "micro_batch"), "0");
  rs_csv_free(ops);
  ck_assert(file_has("err", "ops.csv reached its cap of 1000 rows (outputs.ops_max_rows)"));
  char path[160];
  snprintf(path, sizeof path, "%s/out/collectives.csv", dir); /* a cap of 0: no table at all */
  ck_assert(access(path, F_OK) != 0);
  /* the whole run fits under a large cap, and nothing is said */
  ck_assert_int_eq(run_scenario(pipeline, "--set outputs.ops_max_rows=2000000000"), 0);
  ops = read_table("ops.csv");
  ck_assert_uint_gt(ops->n_rows, 1001);
  rs_csv_free(ops);
  ck_assert(!file_has("err", "reached its cap"));
}
END_TEST

/* Bytes of links.csv for one class (class rows come first, with an empty link cell). */
static double class_bytes(const char* cls)
{
  rs_csv_t* csv = read_table("links.csv");
  double bytes  = -1;
  for (size_t r = 1; r < csv->n_rows; r++)
    if (strcmp(cell(csv, r, "class"), cls) == 0 && cell(csv, r, "link")[0] == '\0')
      bytes = strtod(cell(csv, r, "bytes"), NULL);
  rs_csv_free(csv);
  return bytes;
}

static const char* tp8 = "name: tp8\nplatform:\n  generate: {server: p5.48xlarge, servers: 2}\nworkloads:\n"
                         "  - kind: training\n    model: {preset: llama3-8b}\n    gpus: 8\n    tp: 8\n"
                         "    global_batch: 4\n";

/* TP inside one server: NVLink only. PP across two servers: every micro-batch's activations (and their
 * gradients back) leave each GPU by its NIC and arrive by the peer's, on the same rail: no uplink. */
START_TEST(links_show_nvlink_inside_and_nics_across_servers)
{
  ck_assert_int_eq(run_scenario(tp8, ""), 0);
  ck_assert(class_bytes("nvlink") > 0);
  ck_assert(class_bytes("nic") == 0);
  ck_assert(class_bytes("leaf_uplink") == 0);
  ck_assert_int_eq(run_scenario(tp8, "--set workloads.0.gpus=16 --set workloads.0.pp=2"), 0);
  double act = 8192.0 / 8 * 4096 * 2; /* a micro-batch's activations on one GPU */
  double nic = 2 /* UP and DOWN */ * 2 /* act, grad */ * 4 /* micro-batches */ * 8 /* GPUs */ * act;
  ck_assert_double_eq_tol(class_bytes("nic"), nic, 1);
  ck_assert(class_bytes("leaf_uplink") == 0);
  ck_assert(class_bytes("nvlink") > 0);
}
END_TEST

/* rank_order moves the groups: in Megatron's default (tp-cp-ep-dp-pp) the two pipeline stages of TP4 PP2
 * DP2 on two servers sit one per server, so the NICs carry the activations and their gradients exactly;
 * in tp-cp-ep-pp-dp the pipeline stays inside a server and the NICs carry the DP reduction instead. A
 * TP group that a rank order spreads across servers is refused. */
START_TEST(rank_order_moves_traffic)
{
  ck_assert_int_eq(run_scenario(pipeline, "--set workloads.0.rank_order=tp-cp-ep-dp-pp"), 0);
  double act = 8192.0 / 4 * 4096 * 2, pp_nic = 2 /* UP, DOWN */ * 2 /* act, grad */ * 8 /* micro */ * 8 * act;
  ck_assert_double_eq_tol(class_bytes("nic"), pp_nic, 1);
  ck_assert_int_eq(run_scenario(pipeline, "--set workloads.0.rank_order=tp-cp-ep-pp-dp"), 0);
  ck_assert(class_bytes("nic") > 0 && fabs(class_bytes("nic") - pp_nic) > 1e6);
  rs_csv_t* csv = read_table("collectives.csv");
  for (size_t r = 1; r < csv->n_rows; r++)
    if (strcmp(cell(csv, r, "dim"), "dp") == 0 && strcmp(cell(csv, r, "group"), "training-0:dp0") == 0)
      ck_assert_str_ne(cell(csv, r, "algorithm"), "nvls"); /* across servers now */
  rs_csv_free(csv);
  ck_assert_int_eq(run_scenario(pipeline, "--set workloads.0.rank_order=dp-pp-tp"), 2);
  ck_assert(file_has("err", "tp = 4 crosses an NVLink domain (GPUs 0 and 8)"));
}
END_TEST

/* Bytes of the links of class cls in links.csv's per-link rows, split by direction. */
static void class_halves(const char* cls, double* up, double* down)
{
  rs_csv_t* csv = read_table("links.csv");
  *up = *down = 0;
  for (size_t r = 1; r < csv->n_rows; r++) {
    const char* link = cell(csv, r, "link");
    size_t n         = strlen(link);
    if (strcmp(cell(csv, r, "class"), cls) != 0 || n == 0)
      continue;
    double b = strtod(cell(csv, r, "bytes"), NULL);
    if (n > 3 && strcmp(link + n - 3, "_UP") == 0)
      *up += b;
    else
      *down += b;
  }
  rs_csv_free(csv);
  ck_assert_double_eq_tol(class_bytes(cls), *up + *down, 1e-9 * (*up + 1));
}

/* A ring all-gather on one server: every byte sent up a GPU's NVLink comes down another's, and the
 * ring puts (n - 1) x bytes on the wire, inflated by the calibrated efficiency. Across two servers, the
 * hierarchical all-reduce's rail rings: every byte out of a NIC comes into another, on its own rail. */
START_TEST(link_bytes_are_conserved)
{
  const char* ag = "name: ag\nplatform: {preset: p5.48xlarge}\noutputs: {links: all}\nworkloads:\n"
                   "  - kind: collective\n    op: all-gather\n    algorithm: ring\n    min_bytes: 64MiB\n"
                   "    max_bytes: 64MiB\n";
  ck_assert_int_eq(run_scenario(ag, ""), 0);
  double up, down, bytes = 7.0 * 64 * 1024 * 1024;
  class_halves("nvlink", &up, &down);
  ck_assert_double_eq_tol(up, down, 1e-9 * up);
  ck_assert_msg(up >= bytes && up < 2 * bytes, "NVLink up bytes %g for %g sent", up, bytes);
  ck_assert(class_bytes("nic") == 0);
  const char* ar = "name: ar\nplatform:\n  generate: {server: p5.48xlarge, servers: 2}\noutputs: {links: all}\n"
                   "workloads:\n  - kind: collective\n    algorithm: hierarchical\n    min_bytes: 64MiB\n"
                   "    max_bytes: 64MiB\n";
  ck_assert_int_eq(run_scenario(ar, ""), 0);
  class_halves("nic", &up, &down);
  ck_assert(up > 0);
  ck_assert_double_eq_tol(up, down, 1e-9 * up);
  class_halves("nvlink", &up, &down);
  ck_assert_double_eq_tol(up, down, 1e-9 * up);
  ck_assert(class_bytes("leaf_uplink") == 0);
}
END_TEST

/* Four stages, 16 micro-batches, a tiny vocabulary so that every stage does the same work: the bubble,
 * as a fraction of the busy time, is Megatron's (p - 1) / (v m) (Narayanan et al. SC'21, section 2.2.2),
 * so interleaving two chunks per rank halves it, and three shrink it further. */
static const char* interleaved =
    "name: interleaved\nplatform: {preset: p5.48xlarge}\nworkloads:\n"
    "  - kind: training\n    model: {preset: gpt-1.7b, vocab: 128}\n    gpus: 4\n    pp: 4\n"
    "    global_batch: 16\n    recompute: none\n";

static double bubble_fraction(int vp)
{
  char set[64];
  snprintf(set, sizeof set, "--set workloads.0.vp=%d", vp);
  ck_assert_int_eq(run_scenario(interleaved, set), 0);
  double bubble = iteration_value("bubble_s");
  return bubble / (iteration_value("step_s") - bubble);
}

START_TEST(interleaving_shrinks_the_bubble_by_vp)
{
  double one = bubble_fraction(1), two = bubble_fraction(2), three = bubble_fraction(3);
  ck_assert_double_eq_tol(one, 3.0 / 16, 0.1 * 3.0 / 16);
  ck_assert_double_eq_tol(two, 3.0 / 32, 0.1 * 3.0 / 32);
  ck_assert_msg(three < two && two < one, "bubble fractions: vp1 %g, vp2 %g, vp3 %g", one, two, three);
}
END_TEST

/* Virtual stages whose layer counts differ by one run: 24 layers over pp 4 x vp 4 (chunks of 2 and 1), and
 * with the embedding and the loss as two more slots (26 over 16: 10 chunks of 2, then 1s, less one on the
 * first and last), and with 5 layers on the first and last stages, 7 on the two middle ones. The work
 * is the same in each, only spread otherwise, so the mean compute per GPU is vp 1's; with vp 4 the bubble
 * is smaller (the slots only unbalance a model whose vocabulary of 128 makes its output layer light). */
START_TEST(uneven_virtual_stages_run)
{
  ck_assert_int_eq(run_scenario(interleaved, ""), 0);
  double compute = iteration_value("compute_s"), bubble = iteration_value("bubble_s");
  static const char* const sets[] = {
      "--set workloads.0.vp=4",
      "--set workloads.0.vp=4 --set workloads.0.embedding_in_split=true --set workloads.0.loss_in_split=true",
      "--set workloads.0.first_stage_layers=5 --set workloads.0.last_stage_layers=5",
  };
  for (int i = 0; i < 3; i++) {
    ck_assert_int_eq(run_scenario(interleaved, sets[i]), 0);
    ck_assert_double_eq_tol(iteration_value("compute_s"), compute, compute * 1e-9);
    if (i == 0)
      ck_assert_msg(iteration_value("bubble_s") < bubble, "%s: bubble %g, vp 1 %g", sets[i],
                    iteration_value("bubble_s"), bubble);
  }
}
END_TEST

/* Equal runs write byte-identical traces, row order included. */
START_TEST(traces_are_deterministic)
{
  const char* all = "--set outputs.ops_max_rows=2000000000 --set outputs.links=all";
  ck_assert_int_eq(run_scenario(pipeline, all), 0);
  char out[160], first[160], cmd[512];
  snprintf(out, sizeof out, "%s/out", dir);
  snprintf(first, sizeof first, "%s/first", dir);
  ck_assert_int_eq(rename(out, first), 0);
  ck_assert_int_eq(run_scenario(pipeline, all), 0);
  static const char* const tables[] = {"collectives.csv", "ops.csv", "links.csv", "summary.csv"};
  for (int i = 0; i < 4; i++) {
    snprintf(cmd, sizeof cmd, "cmp -s %s/%s %s/out/%s", first, tables[i], dir, tables[i]);
    ck_assert_msg(system(cmd) == 0, "%s differs between two equal runs", tables[i]);
  }
}
END_TEST

/* recompute: auto takes the least recomputation whose memory fits, and racksim validate says which, with
 * the memory of the fullest GPU. Llama 3 8B on 8 H100 with TP8: 20 bytes x 8.03B / 8 = 20.1 GB of
 * weights, gradients and optimizer; each micro-batch keeps 34 s b h / t = 142.6 MB per layer with flash
 * attention (Korthikanti's items for GQA and SwiGLU happen to sum to 34 h per token here), 162 s b h / t
 * materialised (softmax output 2 a s = 128 h per token, no dropout): 4 micro-batches of that (87 GB)
 * do not fit, without the scores they do. */
/* Block recomputation of the first n of one GPU's 24 identical layers adds n / 24 of what recomputing
 * them all adds, to the step and to the hardware FLOPs (no communication to blur it). */
START_TEST(block_recompute_costs_its_share_of_full)
{
  double step[3], hw[3];
  const char* sets[3] = {"--set workloads.0.recompute=none", "--set workloads.0.recompute=full",
                         "--set workloads.0.recompute=full --set workloads.0.recompute_layers=6"};
  for (int k = 0; k < 3; k++) {
    ck_assert_int_eq(run_scenario(one_gpu, sets[k]), 0);
    step[k] = iteration_value("step_s");
    hw[k]   = iteration_value("hw_tflops_per_gpu") * step[k];
  }
  ck_assert(step[1] > step[0]);
  ck_assert_double_eq_tol(step[2] - step[0], (step[1] - step[0]) * 6 / 24, step[1] * 1e-9);
  ck_assert_double_eq_tol(hw[2] - hw[0], (hw[1] - hw[0]) * 6 / 24, hw[1] * 1e-9);
}
END_TEST

/* The MTP modules' layers pass first in their virtual stage (mtp_layers), so block recomputation recomputes
 * them too, and the hardware FLOPs count them: GPT 1.7B (24 identical layers, h 2304, V 51200, s 2048) with
 * one module, recomputing 6 layers, runs 3 x (25 layers + head + module's projection and head) + 7 layers
 * per token: hw / model = 1 + 7 f / (3 (25 f + 2 (2 h V) + 4 h^2)), f a layer's forward,
 * 24 h^2 + 4 s h = 146,276,352: 1.08224 (1.07049 without the module's layer). */
START_TEST(block_recompute_counts_the_mtp_layers)
{
  ck_assert_int_eq(run_scenario(one_gpu, "--set workloads.0.recompute=full --set workloads.0.recompute_layers=6 "
                                         "--set workloads.0.model.mtp_depth=1"),
                   0);
  double h = 2304, V = 51200, s = 2048, f = 24 * h * h + 4 * s * h;
  ck_assert_double_eq(f, 146276352);
  double want = 1 + 7 * f / (3 * (25 * f + 2 * (2 * h * V) + 4 * h * h));
  ck_assert_double_eq_tol(iteration_value("hw_tflops_per_gpu") / iteration_value("tflops_per_gpu"), want, 1e-9);
}
END_TEST

START_TEST(auto_recompute_takes_the_least_that_fits)
{
  static const struct {
    const char* set;
    const char* says;
  } cases[] = {
      {"--set workloads.0.micro_batch=1", "recompute none, flash attention, bf16 gradients; per GPU (stage 0, "
                                          "the fullest): weights 2.0, gradients 2.0, optimizer 16.1, activations 4.6, "
                                          "total 24.6 GB of 83.4 for tensors"},
      {"--set workloads.0.micro_batch=4 --set workloads.0.attention=materialised",
       "recompute selective, materialised attention"},
      /* full recomputation of as few layers per virtual stage as fit (Megatron-Core's block method) */
      {"--set workloads.0.micro_batch=16", "recompute full (first 5 layers of each virtual stage), flash attention"},
      {"--set workloads.0.micro_batch=32 --set workloads.0.global_batch=32 --set workloads.0.model.layers=96",
       "recompute full, flash attention"},
  };
  const char* yaml = "name: auto\nplatform: {preset: p5.48xlarge}\nworkloads:\n  - name: l8\n    kind: training\n"
                     "    model: {preset: llama3-8b}\n    tp: 8\n    global_batch: 16\n";
  rs_test_write(dir, "auto.yaml", yaml);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[4096];
    int rc = rs_test_run(out, sizeof out, RS_SOURCE_DIR, RS_RACKSIM_BIN, "validate %s/auto.yaml %s", dir, cases[i].set);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(strstr(out, cases[i].says) != NULL, "expected '%s' in: %s", cases[i].says, out);
  }
}
END_TEST

/* Llama 3 8B on two GB200 (DP 2, 2 micro-batches each), the first 16 of its 32 layers offloaded. */
static const char* offload = "name: offload\nplatform: {preset: u-p6e-gb200x72}\nworkloads:\n  - name: l8\n"
                             "    kind: training\n    model: {preset: llama3-8b}\n    gpus: 2\n    global_batch: 4\n"
                             "    recompute: none\n    offload: activations\n    offload_layers: 16\n";

/* One Llama 3 8B layer's saved activations per micro-batch (s = 8,192, no TP), by hand from Korthikanti et
 * al.'s items without dropout: attention input, Q and output projection input 2h each, K and V 2 h_kv each
 * (h_kv = 8 x 128), MLP input 2h, SwiGLU's 6f, two norms' inputs 4h. */
static double llama8b_layer_activations(void)
{
  return (12.0 * 4096 + 4 * 1024 + 6 * 14336) * 8192;
}

/* The offloaded layers' activations leave the GPU's memory (racksim validate says so) for its Grace CPU:
 * NVLink-C2C carries them there in the forward and back in the backward of every micro-batch. */
START_TEST(offloaded_activations_cross_c2c)
{
  double layer = llama8b_layer_activations();
  rs_test_write(dir, "off.yaml", offload);
  char out[4096], want[256];
  ck_assert_int_eq(rs_test_run(out, sizeof out, RS_SOURCE_DIR, RS_RACKSIM_BIN, "validate %s/off.yaml", dir), 0);
  snprintf(want, sizeof want, "activations %.1f,", 16 * layer / 1e9);
  ck_assert_msg(strstr(out, want) != NULL, "expected '%s' in: %s", want, out);
  snprintf(want, sizeof want, "activations of 16 layers offloaded to the CPU host: %.1f GB per GPU", 16 * layer / 1e9);
  ck_assert_msg(strstr(out, want) != NULL, "expected '%s' in: %s", want, out);
  ck_assert_int_eq(rs_test_run(out, sizeof out, RS_SOURCE_DIR, RS_RACKSIM_BIN,
                               "validate %s/off.yaml --set "
                               "workloads.0.offload=none --set workloads.0.offload_layers=0",
                               dir),
                   0);
  snprintf(want, sizeof want, "activations %.1f,", 32 * layer / 1e9);
  ck_assert_msg(strstr(out, want) != NULL, "expected '%s' in: %s", want, out);
  ck_assert_int_eq(run_scenario(offload, ""), 0);
  double c2c = 2 /* there and back */ * 16 /* layers */ * layer * 2 /* micro-batches */ * 2 /* GPUs */;
  ck_assert_double_eq_tol(class_bytes("c2c"), c2c, 1);
  ck_assert_double_eq_tol(class_bytes("cpu_memory"), c2c, 1);
}
END_TEST

/* Each copy runs while later layers compute and is waited for only before the backward needs it: over
 * NVLink-C2C the step is no slower than without offload; over a 5 GB/s link (the shipped platform with
 * its C2C links slowed) the reloads are exposed. */
START_TEST(offload_hides_under_compute_when_the_link_is_fast)
{
  ck_assert_int_eq(run_scenario(offload, "--set workloads.0.offload=none --set workloads.0.offload_layers=0"), 0);
  double plain = iteration_value("step_s");
  ck_assert_int_eq(run_scenario(offload, ""), 0);
  double hidden = iteration_value("step_s");
  ck_assert_msg(hidden <= plain * (1 + 1e-12), "offloaded %g s, plain %g s", hidden, plain);
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "sed 's/\\(c2c[0-9]*\" bandwidth=\"\\)450GBps/\\15GBps/' %s/platforms/u-p6e-gb200x72.xml > %s/slow.xml",
           RS_SOURCE_DIR, dir);
  ck_assert_int_eq(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "grep -q 'c2c0\" bandwidth=\"5GBps\"' %s/slow.xml", dir);
  ck_assert_int_eq(system(cmd), 0);
  char yaml[1024];
  snprintf(yaml, sizeof yaml, "%s", offload);
  char* at = strstr(yaml, "{preset: u-p6e-gb200x72}");
  char rest[1024];
  snprintf(rest, sizeof rest, "%s", at + strlen("{preset: u-p6e-gb200x72}"));
  snprintf(at, yaml + sizeof yaml - at, "{file: slow.xml}%s", rest);
  ck_assert_int_eq(run_scenario(yaml, ""), 0);
  double slow = iteration_value("step_s");
  /* at least the last micro-batch's 16 reloads of one layer each, one after the other, at 5 GB/s */
  ck_assert_msg(slow > plain + 16 * llama8b_layer_activations() / 5e9, "slow link %g s, plain %g s", slow, plain);
}
END_TEST

/* Layouts that cannot run: exit 2, one line naming the file, line and reason, no outputs. */
START_TEST(bad_layouts_exit_2_with_reason)
{
  static const struct {
    const char* file;
    const char* reason;
  } cases[] = {
      {"train-memory", "needs 199 GB per GPU (stage 0: weights 17.6, gradients 17.6, optimizer 141.1, "
                       "activations 22.5 GB), H100 has 83.4 GB for tensors (85.5 GB less the runtime's 2.1)"},
      {"train-tp-domain", "tp = 16 crosses an NVLink domain (GPUs 0 and 8)"},
      {"train-batch", "global_batch 6 is not a multiple of micro_batch x dp = 1 x 4"},
      {"train-model-preset", "workloads[0].model.preset: expected one of gpt-1.7b"},
      {"train-model-shape", "not a model: heads (33) must divide hidden (4096)"},
      {"train-fp4-h100", "precision fp4: H100 GPUs have no fp4 units"},
      {"train-vp-layers", "pp x vp = 32 stages for 24 layers: a stage needs at least one layer"},
      {"train-vp-micro",
       "interleaved pipelines (vp = 2) need micro-batches per pipeline (6) to be a multiple of pp (4)"},
      {"train-offload-pcie", "workloads[0].offload: GPU 0 (us0-gpu0) has no CPU host on an NVLink-C2C or PCIe path"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[160];
    snprintf(out, sizeof out, "%s/out-%zu", dir, i);
    rs_test_refused(cases[i].file, cases[i].reason, out);
  }
}
END_TEST

/* ZeRO-3 on 16 GPUs of two servers (DP 16, one micro-batch): each layer's weights are all-gathered over
 * DP before its forward and again before its backward, whose gradients are reduce-scattered after it.
 * Prefetched, the next layer's all-gather runs while this one computes, so the step is shorter than with
 * each all-gather blocking; but never shorter than its compute alone, nor than the DP collectives, which
 * one rank's reducer runs one at a time. _i = 0: compute-bound (seq_len 2048), 1: the all-gathers
 * dominate (seq_len 256). */
static const char* zero3 = "name: zero3\nplatform:\n  generate: {server: p5.48xlarge, servers: 2}\nworkloads:\n"
                           "  - kind: training\n    model: {preset: gpt-1.7b, layers: 4}\n    zero: 3\n"
                           "    global_batch: 16\n    recompute: none\n";

START_TEST(zero3_prefetch_overlaps_weight_gathers)
{
  char set[160];
  snprintf(set, sizeof set, "--set workloads.0.model.seq_len=%d --set outputs.ops_max_rows=100000", _i ? 256 : 2048);
  char blocking_set[200];
  snprintf(blocking_set, sizeof blocking_set, "%s --set workloads.0.prefetch=false", set);
  ck_assert_int_eq(run_scenario(zero3, blocking_set), 0);
  double blocking = iteration_value("step_s");
  ck_assert_int_eq(run_scenario(zero3, set), 0);
  double step    = iteration_value("step_s");
  double compute = iteration_value("compute_s") + iteration_value("optimizer_s");
  double parts   = compute + iteration_value("comm_exposed_s") + iteration_value("bubble_s");
  ck_assert_double_eq_tol(parts, step, step * 1e-9);
  /* one DP group's calls: 4 all-gathers forward, 4 backward, 4 reduce-scatters, in call order */
  rs_csv_t* csv  = read_table("collectives.csv");
  double gathers = 0, all = 0;
  int n_ag = 0, n_rs = 0;
  long long next_call = 0;
  double start[12], end[12];
  for (size_t r = 1; r < csv->n_rows; r++) {
    if (strcmp(cell(csv, r, "group"), "training-0:dp0") != 0)
      continue;
    ck_assert_int_eq(strtoll(cell(csv, r, "call"), NULL, 10), next_call);
    ck_assert(next_call < 12);
    start[next_call] = strtod(cell(csv, r, "start_s"), NULL);
    end[next_call++] = strtod(cell(csv, r, "end_s"), NULL);
    double t         = end[next_call - 1] - start[next_call - 1];
    all += t;
    if (strcmp(cell(csv, r, "op"), "all-gather") == 0) {
      gathers += t;
      n_ag++;
    } else {
      ck_assert_str_eq(cell(csv, r, "op"), "reduce-scatter");
      n_rs++;
    }
  }
  rs_csv_free(csv);
  ck_assert_int_eq(n_ag, 8);
  ck_assert_int_eq(n_rs, 4);
  /* across the passes: the forward's last layer (3) queued the backward's first gather, which therefore
   * starts on rank 0 before that layer's forward compute ends (queued by the backward, it came after the
   * output layer) */
  rs_csv_t* ops     = read_table("ops.csv");
  double bwd_gather = -1, fwd_end = -1;
  int seen = 0;
  for (size_t r = 1; r < ops->n_rows; r++) {
    if (strcmp(cell(ops, r, "rank"), "0") != 0 || strcmp(cell(ops, r, "layer"), "3") != 0)
      continue;
    if (strcmp(cell(ops, r, "detail"), "dp all-gather") == 0 && ++seen == 2)
      bwd_gather = strtod(cell(ops, r, "start_s"), NULL);
    if (strcmp(cell(ops, r, "op"), "compute") == 0 && strcmp(cell(ops, r, "detail"), "forward") == 0)
      fwd_end = strtod(cell(ops, r, "end_s"), NULL);
  }
  rs_csv_free(ops);
  ck_assert(bwd_gather >= 0 && fwd_end > 0);
  ck_assert_msg(bwd_gather < fwd_end, "backward's gather of layer 3 at %g s, its forward ended at %g s", bwd_gather,
                fwd_end);
  ck_assert_msg(step < blocking * (1 - 1e-3), "prefetched %g s, blocking %g s", step, blocking);
  ck_assert_msg(step >= compute * (1 - 1e-9), "step %g s, compute %g s", step, compute);
  ck_assert_msg(step >= gathers * (1 - 1e-9), "step %g s, all-gathers %g s", step, gathers);
  ck_assert_msg(step >= all * (1 - 1e-9), "step %g s, DP collectives %g s", step, all);
  /* what goes behind compute (the all-gathers, and the reduce-scatters, queued too) is all it can save */
  ck_assert_msg(blocking - step <= all * (1 + 1e-9), "saved %g s of %g s of DP collectives", blocking - step, all);
}
END_TEST

/* Llama 3 8B on one p5 server, TP8 alone (no DP, no pipeline): its only collectives are TP's. */
static const char* tp_only = "name: tpo\nplatform: {preset: p5.48xlarge}\nworkloads:\n"
                             "  - kind: training\n    model: {preset: llama3-8b}\n    tp: 8\n    global_batch: 2\n"
                             "    recompute: none\noutputs: {collectives_max_rows: 100000}\n";

/* tp_comm_overlap: each block's (attention's, the MLP's) TP all-gather and reduce-scatter run under its
 * GEMMs, so the exposed communication is, summed over 2 micro-batches x 32 layers x forward and backward x
 * the two blocks, what the pair of collectives takes beyond the block's GEMMs (by hand from model.c and
 * compute.c, the collectives' times from collectives.csv); compute is unchanged. */
START_TEST(tp_comm_overlap_hides_tp_collectives_under_gemms)
{
  ck_assert_int_eq(run_scenario(tp_only, ""), 0);
  double serial_step = iteration_value("step_s"), serial_compute = iteration_value("compute_s");
  ck_assert_int_eq(run_scenario(tp_only, "--set workloads.0.tp_comm_overlap=true"), 0);
  double step = iteration_value("step_s"), compute = iteration_value("compute_s");
  double exposed = iteration_value("comm_exposed_s");
  ck_assert_double_eq_tol(compute, serial_compute, serial_compute * 1e-9);
  ck_assert_double_eq_tol(compute + exposed + iteration_value("bubble_s") + iteration_value("optimizer_s"), step,
                          step * 1e-9);
  ck_assert_msg(step < serial_step * 0.9, "overlapped %g s, serial %g s", step, serial_step);
  /* every TP collective of rank 0's group takes the same time (same bytes, the links to itself) */
  rs_csv_t* csv = read_table("collectives.csv");
  double pair   = 0;
  int calls     = 0;
  for (size_t r = 1; r < csv->n_rows; r++)
    if (strcmp(cell(csv, r, "group"), "training-0:tp0") == 0) {
      pair += 2 * strtod(cell(csv, r, "time_us"), NULL) * 1e-6;
      calls++;
    }
  rs_csv_free(csv);
  ck_assert_int_eq(calls, 2 * 32 * 2 * 4);
  pair /= calls;
  rs_platform_t* p        = rs_test_load_preset("p5.48xlarge");
  const rs_gpu_model_t* g = p->gpus[0].model;
  rs_model_t m;
  ck_assert(rs_model_preset("llama3-8b", &m) == RS_OK);
  double tokens = 8192.0 / 8, by_hand = 0;
  for (int i = 0; i < m.layers; i++) {
    rs_gemm_flops_t f = rs_model_layer_gemm_flops(&m, i);
    double share      = f.proj / (f.proj + f.dense + f.routed);
    double linear     = rs_model_layer_fwd_flops(&m, i) * tokens - rs_model_attn_score_fwd_flops(&m) * tokens;
    double weights    = rs_model_layer_params(&m, i) / 8 * 2;
    for (int b = 0; b < 2; b++) {
      double part = b == 0 ? share : 1 - share;
      double fwd  = rs_gpu_seconds(g, RS_PREC_BF16, part * linear, part * weights);
      double bwd  = rs_gpu_seconds(g, RS_PREC_BF16, 2 * part * linear, part * weights);
      by_hand += 2 * (fmax(0, pair - fwd) + fmax(0, pair - bwd));
    }
  }
  rs_platform_free(p);
  ck_assert_msg(by_hand > 0, "the case should expose some TP communication");
  ck_assert_double_eq_tol(exposed, by_hand, by_hand * 1e-6);
}
END_TEST

/* DualPipe on two stages (one p5 server, TP4 PP2, 4 micro-batches): the report's bubble (PP/2 - 1)(F&B +
 * B - 3W) is 0 there, so what is left idle is the pipeline messages' transfer alone (under 0.1% of the
 * step), where 1F1B idles (PP - 1)(F + B) per step, over 10%; the compute is the same passes, so the
 * same seconds. An MTP module of depth 1 adds its layer, projection and head to the last stage's passes
 * and to the model FLOPs. */
START_TEST(dualpipe_has_no_bubble_on_two_stages)
{
  const char* yaml = "name: d\nplatform:\n  generate: {server: p5.48xlarge, servers: 1}\nworkloads:\n"
                     "  - kind: training\n    model: {preset: llama3-8b}\n    tp: 4\n    pp: 2\n"
                     "    global_batch: 4\n    recompute: none\n";
  ck_assert_int_eq(run_scenario(yaml, ""), 0);
  double step = iteration_value("step_s"), bubble = iteration_value("bubble_s");
  double compute = iteration_value("compute_s"), tf = iteration_value("tflops_per_gpu");
  ck_assert_msg(bubble > 0.1 * step, "1f1b: bubble %g of step %g", bubble, step);
  ck_assert_int_eq(run_scenario(yaml, "--set workloads.0.schedule=dualpipe"), 0);
  double dual_step = iteration_value("step_s"), dual_bubble = iteration_value("bubble_s");
  ck_assert_msg(dual_bubble < 1e-3 * dual_step, "dualpipe: bubble %g of step %g", dual_bubble, dual_step);
  ck_assert_double_eq_tol(iteration_value("compute_s"), compute, 1e-9 * compute);
  ck_assert(dual_step < step - 0.9 * bubble);
  ck_assert_int_eq(run_scenario(yaml, "--set workloads.0.schedule=dualpipe --set workloads.0.model.mtp_depth=1"), 0);
  ck_assert(iteration_value("compute_s") > compute);
  rs_model_t m;
  ck_assert(rs_model_preset("llama3-8b", &m) == RS_OK);
  double f0    = rs_model_train_flops_per_token(&m);
  m.mtp_depth  = 1;
  double ratio = rs_model_train_flops_per_token(&m) / f0, step_ratio = iteration_value("step_s") / dual_step;
  ck_assert_double_eq_tol(iteration_value("tflops_per_gpu"), tf * step / dual_step * ratio / step_ratio, 1e-6 * tf);
}
END_TEST

static Suite* training_suite(void)
{
  Suite* s  = suite_create("training");
  TCase* tc = tcase_create("training");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, one_gpu_step_is_the_sum_of_its_parts);
  tcase_add_loop_test(tc, low_precision_step_pays_its_casts, 0, 2);
  tcase_add_loop_test(tc, breakdown_adds_up_to_the_step, 1, 3);
  tcase_add_test(tc, deeper_pipelines_wait_more);
  tcase_add_test(tc, overlapping_dp_reduction_saves_time);
  tcase_add_loop_test(tc, zero3_prefetch_overlaps_weight_gathers, 0, 2);
  tcase_add_test(tc, interleaving_shrinks_the_bubble_by_vp);
  tcase_add_test(tc, uneven_virtual_stages_run);
  tcase_add_test(tc, bad_layouts_exit_2_with_reason);
  tcase_add_test(tc, auto_recompute_takes_the_least_that_fits);
  tcase_add_test(tc, block_recompute_costs_its_share_of_full);
  tcase_add_test(tc, block_recompute_counts_the_mtp_layers);
  tcase_add_test(tc, offloaded_activations_cross_c2c);
  tcase_add_test(tc, offload_hides_under_compute_when_the_link_is_fast);
  tcase_add_test(tc, training_collectives_are_one_row_per_group_call);
  tcase_add_test(tc, ops_stop_at_their_cap);
  tcase_add_test(tc, unequal_dp_groups_reduce_per_rail);
  tcase_add_test(tc, rank_order_moves_traffic);
  tcase_add_test(tc, links_show_nvlink_inside_and_nics_across_servers);
  tcase_add_test(tc, link_bytes_are_conserved);
  tcase_add_test(tc, traces_are_deterministic);
  tcase_add_test(tc, tp_comm_overlap_hides_tp_collectives_under_gemms);
  tcase_add_test(tc, dualpipe_has_no_bubble_on_two_stages);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(training_suite)
