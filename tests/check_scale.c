/* check_scale.c -- tests of training's aggregated mode against its faithful mode: the same scenario
 * run both ways gives step times within 2%, on one NVL72, on several UltraServers of a generated
 * fabric, on an oversubscribed fabric where pipeline and gradient traffic share rail uplinks (there
 * the aggregated mode must also keep the slowdown the sharing causes), with MoE, and with CP and EP groups
 * that span H100 servers and pods; layouts it cannot stand for are refused with the reason; the ready 405B scenarios
 * validate. */
#include "check_util.h"

#include <math.h>
#include <string.h>

static char dir[64];

static void setup(void)
{
  rs_test_tmpdir(dir, sizeof dir, "scale");
}

static void teardown(void)
{
  rs_test_rmdir(dir);
}

/* Runs the scenario text with the extra options in the given mode; returns step_s of its iteration. */
static double step_time(const char* yaml, const char* mode, const char* extra)
{
  char sets[1024];
  snprintf(sets, sizeof sets, "--set workloads.0.mode=%s %s", mode, extra);
  ck_assert_msg(rs_test_run_yaml(dir, yaml, mode, sets) == 0, "racksim failed on %s", sets);
  return rs_test_iteration_value(dir, mode, "step_s");
}

/* Both modes on the scenario; returns the aggregated step after checking the 2% agreement. */
static double agree(const char* yaml, const char* extra)
{
  double faithful = step_time(yaml, "faithful", extra);
  double grouped  = step_time(yaml, "aggregated", extra);
  double error    = fabs(grouped - faithful) / faithful;
  printf("scale: %s: faithful %.6f s, aggregated %.6f s, error %.3f%%\n", extra, faithful, grouped, 100 * error);
  ck_assert_msg(error < 0.02, "%s: faithful %g s, aggregated %g s", extra, faithful, grouped);
  return grouped;
}

/* Llama 3 8B, TP4 PP2: each DP group holds 18 GPUs of every UltraServer of its stage. */
static const char* llama8b =
    "name: scale\nplatform:\n  generate: {server: u-p6e-gb200x72, servers: 1}\nworkloads:\n"
    "  - kind: training\n    model: {preset: llama3-8b}\n    tp: 4\n    pp: 2\n    global_batch: 36\n";

START_TEST(one_nvl72_agrees)
{
  agree(llama8b, "");
}
END_TEST

START_TEST(four_ultraservers_agree)
{
  agree(llama8b, "--set platform.generate.servers=4 --set workloads.0.global_batch=72");
}
END_TEST

/* 16 UltraServers (1,152 GPUs), 2 per pod, 4:1 oversubscribed: every activation and gradient ring
 * crossing a pod shares its rail's uplink with the other server's. */
START_TEST(oversubscribed_fabric_agrees_and_keeps_contention)
{
  const char* fabric = "--set platform.generate.servers=16 --set platform.generate.servers_per_pod=2 "
                       "--set workloads.0.global_batch=144";
  char shared[512], free_fabric[512];
  snprintf(shared, sizeof shared, "%s --set platform.generate.oversubscription=4", fabric);
  snprintf(free_fabric, sizeof free_fabric, "%s --set platform.generate.oversubscription=1", fabric);
  double contended = agree(llama8b, shared);
  double open      = step_time(llama8b, "aggregated", free_fabric);
  ck_assert_msg(contended > open * 1.02, "oversubscribed %g s, non-blocking %g s", contended, open);
}
END_TEST

/* Mixture of experts, EP2 inside the NVLink domain: the live replicas are the first EP group's. */
START_TEST(moe_agrees)
{
  agree(llama8b, "--set platform.generate.servers=2 --set workloads.0.global_batch=72 --set workloads.0.ep=2 "
                 "--set workloads.0.model.experts=8 --set workloads.0.model.experts_per_token=2 "
                 "--set workloads.0.model.expert_ffn=4096");
}
END_TEST

/* Llama 3 8B, TP8 CP2 on p5.48xlarge (8 H100 each): every CP group spans two servers; 3 servers per pod,
 * so the second replica's CP groups cross pods while the first's (the live one's) do not. */
static const char* llama8b_cp =
    "name: scale\nplatform:\n  generate: {server: p5.48xlarge, servers: 6, servers_per_pod: 3}\nworkloads:\n"
    "  - kind: training\n    model: {preset: llama3-8b}\n    tp: 8\n    cp: 2\n    pp: 1\n    global_batch: 12\n";

/* On an 8:1 oversubscribed fabric the stood-for replica's CP ring shares uplinks with the DP rings: the
 * live CP group issues its copy's pod-crossing flows (without them the step came out 4.5% short), and
 * the slowdown the sharing causes stays. */
START_TEST(cp_across_servers_agrees_and_keeps_contention)
{
  double contended = agree(llama8b_cp, "--set platform.generate.oversubscription=8");
  double open      = step_time(llama8b_cp, "aggregated", "--set platform.generate.oversubscription=1");
  ck_assert_msg(contended > open * 1.05, "oversubscribed %g s, non-blocking %g s", contended, open);
}
END_TEST

/* CP2 with PP2 on 12 servers, 4:1: the pipeline sends' mirrors and the CP copies load the same uplinks. */
START_TEST(cp_with_pipeline_across_pods_agrees)
{
  agree(llama8b_cp, "--set platform.generate.servers=12 --set workloads.0.pp=2 --set workloads.0.global_batch=24 "
                    "--set platform.generate.oversubscription=4");
}
END_TEST

/* A mixture of experts on p5.48xlarge, TP4 EP4: every EP group spans two servers (two DP ranks of four
 * GPUs on each); 3 servers per pod, so the second EP block's groups (servers 2 and 3) cross pods while the
 * live first block's do not. */
static const char* moe_ep4 =
    "name: scale\nplatform:\n  generate: {server: p5.48xlarge, servers: 6, servers_per_pod: 3}\nworkloads:\n"
    "  - kind: training\n    model: {preset: llama3-8b, experts: 8, experts_per_token: 2, expert_ffn: 4096}\n"
    "    tp: 4\n    ep: 4\n    pp: 1\n    global_batch: 24\n";

/* The grouped all-to-all sends each pair its 1/n as the faithful one does (as a ring of flows it came out
 * 7.6% long on 12 servers in one pod: 0.600 s against 0.557 s, (n - 1)/n of the buffer through half the
 * NICs); on a 4:1 fabric the stood-for block's pod-crossing pairs share the uplinks with the DP rings, and
 * the slowdown stays. */
START_TEST(ep_across_servers_agrees_and_keeps_contention)
{
  double open      = agree(moe_ep4, "--set platform.generate.oversubscription=1");
  double contended = agree(moe_ep4, "--set platform.generate.oversubscription=4");
  ck_assert_msg(contended > open * 1.05, "oversubscribed %g s, non-blocking %g s", contended, open);
}
END_TEST

/* EP4 with PP2 on 8 servers, 3 per pod, 4:1: EP groups, pipeline sends and DP rings cross pods. */
START_TEST(ep_with_pipeline_across_pods_agrees)
{
  agree(moe_ep4, "--set platform.generate.servers=8 --set workloads.0.pp=2 --set workloads.0.global_batch=32 "
                 "--set platform.generate.oversubscription=4");
}
END_TEST

/* DualPipe (PP4, EP2) on 8 servers, 3 per pod, 4:1: both directions' pipeline sends and their mirrors. */
START_TEST(dualpipe_agrees)
{
  agree(moe_ep4, "--set platform.generate.servers=8 --set workloads.0.pp=4 --set workloads.0.ep=2 "
                 "--set workloads.0.global_batch=32 --set workloads.0.schedule=dualpipe "
                 "--set platform.generate.oversubscription=4");
}
END_TEST

/* Where the aggregated mode could not stand for the whole job it says why, and exits 2. */
START_TEST(aggregated_refuses_groups_leaving_a_domain)
{
  /* TP8 CP2: the fifth replica's CP groups straddle the 72-GPU domains (ranks 64-79), the first's do not */
  int code = rs_test_run_yaml(dir, llama8b, "out",
                              "--set platform.generate.servers=2 --set workloads.0.tp=8 --set workloads.0.cp=2 "
                              "--set workloads.0.pp=1 --set workloads.0.mode=aggregated");
  ck_assert_int_eq(code, 2);
  ck_assert(rs_test_file_has(dir, "err",
                             "s.yaml:5: workloads[0]: mode aggregated: cp groups of the replicas it does not run "
                             "fall into NVLink domains unlike those of the first"));
  /* TP4 EP4 on two NVL72, one stage: the fifth EP block (DP ranks 16-19) straddles the domains, the first does not */
  code = rs_test_run_yaml(dir, llama8b, "out",
                          "--set platform.generate.servers=2 --set workloads.0.pp=1 --set workloads.0.ep=4 "
                          "--set workloads.0.model.experts=8 --set workloads.0.model.experts_per_token=2 "
                          "--set workloads.0.model.expert_ffn=4096 --set workloads.0.mode=aggregated");
  ck_assert_int_eq(code, 2);
  ck_assert(rs_test_file_has(dir, "err",
                             "s.yaml:5: workloads[0]: mode aggregated: ep groups of the replicas it does not run "
                             "fall into NVLink domains unlike those of the first"));
}
END_TEST

/* The ready Llama 3 405B scenarios load, fit in HBM and can run aggregated (running them is a benchmark). */
START_TEST(ready_405b_scenarios_validate)
{
  static const char* const names[] = {"training-llama405b-gb200", "training-llama405b-h100"};
  for (int i = 0; i < 2; i++) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cd %s && %s validate scenarios/%s.yaml >%s/out.txt 2>&1", RS_SOURCE_DIR, RS_RACKSIM_BIN,
             names[i], dir);
    ck_assert_msg(system(cmd) == 0, "%s does not validate", names[i]);
  }
}
END_TEST

static Suite* scale_suite(void)
{
  Suite* s  = suite_create("scale");
  TCase* tc = tcase_create("faithful vs aggregated");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, one_nvl72_agrees);
  tcase_add_test(tc, four_ultraservers_agree);
  tcase_add_test(tc, oversubscribed_fabric_agrees_and_keeps_contention);
  tcase_add_test(tc, moe_agrees);
  tcase_add_test(tc, cp_across_servers_agrees_and_keeps_contention);
  tcase_add_test(tc, cp_with_pipeline_across_pods_agrees);
  tcase_add_test(tc, ep_across_servers_agrees_and_keeps_contention);
  tcase_add_test(tc, ep_with_pipeline_across_pods_agrees);
  tcase_add_test(tc, dualpipe_agrees);
  tcase_add_test(tc, aggregated_refuses_groups_leaving_a_domain);
  tcase_add_test(tc, ready_405b_scenarios_validate);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(scale_suite)
