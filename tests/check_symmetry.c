/* check_symmetry.c -- the aggregated training mode's symmetry fast path against the faithful mode on
 * oversubscribed fabrics: the other replicas' pipeline sends that cross the same shared links run as one
 * weighted flow per class (sim/wl/train_aggregated.c, sim/net/send_sg.cpp), and the step still agrees
 * with the faithful mode within 2% at 2:1 and 4:1, with the slowdown the shared uplinks cause kept. See
 * LICENSE. */
#include "check_util.h"

#include <math.h>
#include <string.h>

static char dir[64];

static void setup(void)
{
  rs_test_tmpdir(dir, sizeof dir, "symmetry");
}

static void teardown(void)
{
  rs_test_rmdir(dir);
}

/* Runs the scenario text with the extra options in the given mode; returns step_s of its iteration. */
static double step_time(const char* yaml, const char* mode, const char* extra)
{
  char sets[1024];
  snprintf(sets, sizeof sets, "--set workloads.0.mode=%s --set outputs.events=false %s", mode, extra);
  ck_assert_msg(rs_test_run_yaml(dir, yaml, mode, sets) == 0, "racksim failed on %s", sets);
  return rs_test_iteration_value(dir, mode, "step_s");
}

/* The last aggregated run's count of the other replicas' sends that share uplinks and of the flows they
 * run as (its --verbose line, in the run's stderr). */
static void mirror_counts(int* sends, int* flows)
{
  char path[96], line[1024];
  snprintf(path, sizeof path, "%s/err", dir);
  FILE* fp = fopen(path, "r");
  ck_assert_msg(fp != NULL, "no stderr of the run");
  *sends = *flows = -1;
  while (fgets(line, sizeof line, fp)) {
    const char* at = strstr(line, "GPUs run as actors; ");
    if (at)
      ck_assert_int_eq(sscanf(at,
                              "GPUs run as actors; %d sends of other replicas per micro-batch share their uplinks, "
                              "run as %d flows",
                              sends, flows),
                       2);
  }
  fclose(fp);
}

/* Both modes on the scenario; returns the aggregated step after checking the 2% agreement and that the
 * aggregated run ran its mirrored sends as fewer, weighted flows. */
static double agree(const char* yaml, const char* extra)
{
  char verbose[512];
  snprintf(verbose, sizeof verbose, "%s --verbose", extra);
  double faithful = step_time(yaml, "faithful", extra);
  double fast     = step_time(yaml, "aggregated", verbose);
  int sends, flows;
  mirror_counts(&sends, &flows);
  double error = fabs(fast - faithful) / faithful;
  printf("symmetry: %s: faithful %.6f s, aggregated %.6f s, error %.3f%%; %d sends per micro-batch as %d flows\n",
         extra, faithful, fast, 100 * error, sends, flows);
  ck_assert_msg(error < 0.02, "%s: faithful %g s, aggregated %g s", extra, faithful, fast);
  ck_assert_msg(flows > 0 && flows < sends, "%s: %d sends as %d flows", extra, sends, flows);
  return fast;
}

/* Llama 3 8B cut to 8 layers (so that the faithful runs stay short), TP8 PP2 on UltraServers, 8 per pod:
 * each stage holds whole pods, so every pipeline send crosses the rail uplinks, which the sends of the
 * replicas on a rail's UltraServers share; most of them form classes of alike sends. */
static const char* llama8b_short =
    "name: symmetry\nplatform:\n  generate: {server: u-p6e-gb200x72, servers: 16, servers_per_pod: 8}\nworkloads:\n"
    "  - kind: training\n    model: {preset: llama3-8b, layers: 8}\n    tp: 8\n    pp: 2\n    global_batch: 144\n";

/* 1,152 GPUs (16 UltraServers, 36 replicas) at 2:1 and 4:1; the slowdown against 1:1 stays. */
START_TEST(classes_agree_at_2_and_4_to_1)
{
  double open = step_time(llama8b_short, "aggregated", "--set platform.generate.oversubscription=1");
  double two  = agree(llama8b_short, "--set platform.generate.oversubscription=2");
  double four = agree(llama8b_short, "--set platform.generate.oversubscription=4");
  ck_assert_msg(two > open * 1.005, "2:1 %g s, non-blocking %g s", two, open);
  ck_assert_msg(four > open * 1.02, "4:1 %g s, non-blocking %g s", four, open);
}
END_TEST

/* A scheduled degradation of a link class resets links to their own bandwidth, which would undo a
 * widened NIC: with one in the scenario (here after the run's end), every mirrored send is its own flow. */
START_TEST(link_degradation_runs_each_send_alone)
{
  char yaml[1024];
  snprintf(yaml, sizeof yaml,
           "%sfailures:\n  events:\n    - {at_h: 100, for_h: 1, link_class: nic, kind: degrade, "
           "fraction: 0.5}\n",
           llama8b_short);
  step_time(yaml, "aggregated", "--set platform.generate.oversubscription=2 --verbose");
  int sends, flows;
  mirror_counts(&sends, &flows);
  ck_assert_msg(sends > 0 && flows == sends, "%d sends as %d flows", sends, flows);
}
END_TEST

static Suite* symmetry_suite(void)
{
  Suite* s  = suite_create("symmetry");
  TCase* tc = tcase_create("weighted classes vs faithful");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, classes_agree_at_2_and_4_to_1);
  tcase_add_test(tc, link_degradation_runs_each_send_alone);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(symmetry_suite)
