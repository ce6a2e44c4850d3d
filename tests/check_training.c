/* check_training.c -- tests of the training workload, run through the racksim command on small
 * scenarios: a one-GPU step equals the sum of its parts from model.c and compute.c; the breakdown adds
 * up to the step; deeper pipelines have more bubble; overlapping DP reduction helps; bad layouts are
 * refused with their reason and exit code 2. */
#include "check_util.h"
#include "compute.h"
#include "csvread.h"
#include "layout.h"

#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void setup(void) { rs_test_tmpdir(dir, sizeof dir, "training"); }

static void teardown(void) { rs_test_rmdir(dir); }

/* Runs racksim on the scenario text into DIR/out, returns the exit code; stderr goes to DIR/err. */
static int run_scenario(const char* yaml, const char* extra) { return rs_test_run_yaml(dir, yaml, "out", extra); }

/* A number from row 1 of DIR/out/iterations.csv. */
static double iteration_value(const char* column)
{
  char path[128];
  snprintf(path, sizeof path, "%s/out/iterations.csv", dir);
  rs_err_t err = {{0}};
  rs_csv_t* csv = rs_csv_read(path, &err);
  ck_assert_msg(csv != NULL, "%s", err.msg);
  int col = rs_csv_column(csv, column);
  ck_assert_int_ge(col, 0);
  double v = strtod(csv->rows[1].cells[col], NULL);
  rs_csv_free(csv);
  return v;
}

static const char* one_gpu =
    "name: one-gpu\nplatform: {preset: p5.48xlarge}\nworkloads:\n"
    "  - kind: training\n    model: {preset: gpt-1.7b}\n    gpus: 1\n    zero: 0\n    global_batch: 4\n"
    "    recompute: none\n";

/* No parallelism, no communication: the step is 4 micro-batches of forward and backward over every
 * layer and the output layer, then the optimizer, each timed by the roofline. */
START_TEST(one_gpu_step_is_the_sum_of_its_parts)
{
  ck_assert_int_eq(run_scenario(one_gpu, ""), 0);
  rs_platform_t* p        = rs_test_load_preset("p5.48xlarge");
  const rs_gpu_model_t* g = p->gpus[0].model;
  rs_model_t m;
  ck_assert(rs_model_preset("gpt-1.7b", &m) == RS_OK);
  double tokens = 2048, act = tokens * m.hidden * 2, per_mb = 0;
  for (int i = 0; i < m.layers; i++) {
    double fwd   = rs_model_layer_fwd_flops(&m, i) * tokens;
    double bytes = rs_model_layer_params(&m, i) * 2 + 34 * act;
    per_mb += rs_gpu_seconds(g, RS_PREC_BF16, fwd, bytes) + rs_gpu_seconds(g, RS_PREC_BF16, 2 * fwd, bytes);
  }
  per_mb += 3 * rs_gpu_seconds(g, RS_PREC_BF16, rs_model_logits_fwd_flops(&m) * tokens, 0);
  rs_layout_t lay = {.tp = 1, .cp = 1, .ep = 1, .pp = 1, .vp = 1, .micro_batch = 1, .global_batch = 4};
  rs_err_t err    = {{0}};
  ck_assert(rs_layout_resolve(&lay, &m, 1, &err) == RS_OK);
  double opt      = rs_gpu_seconds(g, RS_PREC_BF16, 0, 30 * rs_layout_stage_params(&lay, &m, 0));
  double expected = 4 * per_mb + opt;
  ck_assert_double_eq_tol(iteration_value("step_s"), expected, expected * 1e-9);
  ck_assert_double_eq_tol(iteration_value("optimizer_s"), opt, opt * 1e-9);
  ck_assert_double_eq_tol(iteration_value("comm_exposed_s"), 0, 1e-12);
  /* no recomputation: the two FLOP counts agree */
  ck_assert_double_eq_tol(iteration_value("hw_tflops_per_gpu"), iteration_value("tflops_per_gpu"), 1e-6);
  rs_platform_free(p);
}
END_TEST

static const char* pipeline =
    "name: pipeline\nplatform:\n  generate: {server: p5.48xlarge, servers: 2}\nworkloads:\n"
    "  - kind: training\n    model: {preset: llama3-8b}\n    tp: 4\n    pp: 2\n    global_batch: 16\n";

START_TEST(breakdown_adds_up_to_the_step)
{
  ck_assert_int_eq(run_scenario(pipeline, ""), 0);
  double step  = iteration_value("step_s");
  double parts = iteration_value("compute_s") + iteration_value("comm_exposed_s") + iteration_value("bubble_s") +
                 iteration_value("optimizer_s");
  ck_assert_double_eq_tol(parts, step, step * 1e-9);
  ck_assert(iteration_value("bubble_s") > 0);
  ck_assert(iteration_value("comm_exposed_s") > 0);
  double mfu = iteration_value("mfu");
  ck_assert(mfu > 0.05 && mfu < 0.6);
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

/* Layouts that cannot run: exit 2, one line naming the file, line and reason, no outputs. */
START_TEST(bad_layouts_exit_2_with_reason)
{
  static const struct {
    const char* file;
    const char* reason;
  } cases[] = {
      {"train-memory", "needs 396 GB per GPU (stage 0: weights 17.6, gradients 35.3, optimizer 105.8, "
                       "activations 237.6 GB), H100 has 80 GB"},
      {"train-tp-domain", "tp = 16 crosses an NVLink domain (GPUs 0 and 8)"},
      {"train-batch", "global_batch 6 is not a multiple of micro_batch x dp = 1 x 4"},
      {"train-model-preset", "workloads[0].model.preset: expected one of gpt-1.7b"},
      {"train-model-shape", "not a model: heads (33) must divide hidden (4096)"},
      {"train-fp4-h100", "precision fp4: H100 GPUs have no fp4 units"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[160];
    snprintf(out, sizeof out, "%s/out-%zu", dir, i);
    rs_test_refused(cases[i].file, cases[i].reason, out);
  }
}
END_TEST

static Suite* training_suite(void)
{
  Suite* s  = suite_create("training");
  TCase* tc = tcase_create("training");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, one_gpu_step_is_the_sum_of_its_parts);
  tcase_add_test(tc, breakdown_adds_up_to_the_step);
  tcase_add_test(tc, deeper_pipelines_wait_more);
  tcase_add_test(tc, overlapping_dp_reduction_saves_time);
  tcase_add_test(tc, bad_layouts_exit_2_with_reason);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(training_suite)
