/* check_faults.c -- the run's fault process and training's reaction: failure counts against the rates,
 * targets checked against the platform, degradations that slow the engine, Daly's published cases, and
 * the renewal fast path against the event-by-event run. See LICENSE. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_util.h"
#include "base/base.h"
#include "run/run.h"

static char dir[128];

static void setup(void)
{
  rs_test_tmpdir(dir, sizeof dir, "faults");
}

static void teardown(void)
{
  rs_test_rmdir(dir);
}

/* A 2-layer GPT on one 8-GPU H100 server: a step of about 0.7 ms, so that many failures fit in a test. */
#define TINY                                                                                                           \
  "name: tiny\nseed: 5\nplatform:\n  generate: {server: p5.48xlarge, servers: 1}\n"                                    \
  "workloads:\n  - name: tiny\n    kind: training\n    model: {preset: gpt-1.7b, layers: 2, seq_len: 256}\n"           \
  "    tp: 8\n    micro_batch: 1\n    global_batch: 1\n    precision: bf16\n"

static double summary(const char* out, const char* column)
{
  return rs_test_table_value(dir, out, "summary.csv", 1, column);
}

/* Rows of out's events.csv whose event is `event` and whose detail starts with `cause`. */
static int count_events(const char* out, const char* event, const char* cause)
{
  rs_csv_t* csv = rs_test_table(dir, out, "events.csv");
  int ev = rs_csv_column(csv, "event"), de = rs_csv_column(csv, "detail"), n = 0;
  for (size_t r = 1; r < csv->n_rows; r++)
    n += strcmp(rs_csv_cell(&csv->rows[r], ev), event) == 0 &&
         strncmp(rs_csv_cell(&csv->rows[r], de), cause, strlen(cause)) == 0;
  rs_csv_free(csv);
  return n;
}

/* Over 0.15 h of wall time (the renewal fast path carries the job), each class fails about units x
 * hours / mtbf_h times: 8 GPUs at 0.01 h (120), 1 server at 0.005 h (30), 8 NICs with Weibull shape 0.7
 * at 0.02 h (60 in the long run; a renewal process of mean 0.02 h). Repairs take 0.036 s, so the units
 * in repair thin the counts by under 0.1%. Each count must fall within 4 standard deviations of a
 * Poisson count (the seed is fixed, so this cannot flicker). */
START_TEST(failure_counts_follow_the_rates)
{
  const char* yaml =
      TINY "    iterations: 1000000\nfailures:\n  classes:\n"
           "    - {class: gpu, mtbf_h: 0.01, repair: {mean_h: 1e-5}}\n"
           "    - {class: host, mtbf_h: 0.005, repair: {mean_h: 1e-5}}\n"
           "    - {class: nic, mtbf_h: 0.02, distribution: weibull, shape: 0.7, repair: {mean_h: 1e-5}}\n"
           "  training: {renewal_after: 2, wall_h: 0.15, restart_s: 1, checkpoint_write_s: 1}\n"
           "outputs: {collectives_max_rows: 0}\n";
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "out", ""), 0);
  const struct {
    const char* cause;
    double expected;
  } want[]  = {{"gpu:", 8 * 0.15 / 0.01}, {"host:", 0.15 / 0.005}, {"nic:", 8 * 0.15 / 0.02}};
  int total = 0;
  for (int k = 0; k < 3; k++) {
    int n = count_events("out", "failure", want[k].cause);
    ck_assert_msg(fabs(n - want[k].expected) <= 4 * sqrt(want[k].expected), "%s %d failures, expected about %g",
                  want[k].cause, n, want[k].expected);
    ck_assert_int_eq(count_events("out", "repair", want[k].cause), n);
    total += n;
  }
  /* every failure hit the job's GPUs: each is an interruption */
  ck_assert_double_eq(summary("out", "interruptions"), total);
  ck_assert_double_eq_tol(summary("out", "duration_s"), 0.15 * 3600, 2);
}
END_TEST

/* The same failures, injected into the every-iteration run and into the renewal fast path after 3
 * iterations, give the same goodput within 1% (the issue's bound) and the same interruptions. */
START_TEST(renewal_fast_path_agrees_with_the_event_run)
{
  const char* yaml = TINY "    iterations: 600\nfailures:\n  classes:\n"
                          "    - {class: gpu, mtbf_h: 1.5e-4, repair: {mean_h: 2e-5}}\n"
                          "    - {class: software, mtbf_h: 3e-4, repair: {mean_h: 1e-6}}\n"
                          "  training: {checkpoint_write_s: 0.004, restart_s: 0.02, spares: 1}\n"
                          "outputs: {collectives_max_rows: 0}\n";
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "event", ""), 0);
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "renewal", "--set failures.training.renewal_after=3"), 0);
  double ge = summary("event", "goodput"), gr = summary("renewal", "goodput");
  ck_assert_msg(summary("event", "interruptions") >= 10, "too few failures to compare");
  ck_assert_double_eq(summary("event", "interruptions"), summary("renewal", "interruptions"));
  ck_assert_msg(fabs(ge - gr) <= 0.01 * ge, "goodput %g event by event, %g by renewal", ge, gr);
  ck_assert_msg(ge > 0.1 && ge < 0.9, "goodput %g", ge);
  /* the fast path's power is one plain step's, even where the switching step also wrote a checkpoint
   * (a 3.6 ms interval: the 6th step of about 0.7 ms writes one; a checkpoint's energy counted as the
   * step's made this run 1.67x the event run's) */
  const char* ck = "--set failures.training.checkpoint_interval_h=1e-6";
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "event_ck", ck), 0);
  char set[200];
  snprintf(set, sizeof set, "%s --set failures.training.renewal_after=6", ck);
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "renewal_ck", set), 0);
  double je = summary("event_ck", "energy_j"), jr = summary("renewal_ck", "energy_j");
  ck_assert_msg(fabs(je - jr) <= 0.01 * je, "energy %g J event by event, %g J by renewal", je, jr);
  /* the parts of the wall time: useful + lost + down + checkpoints, within the last iteration */
  double parts = summary("event", "useful_s") + summary("event", "lost_work_s") + summary("event", "downtime_s");
  ck_assert_double_le(parts, summary("event", "duration_s") + 1e-9);
}
END_TEST

/* The same with the checkpoints written over the network to a storage tier of 2 hosts of 10 Tb/s
 * (each rank's 400 Gb/s NIC binds): flows event by event, their cost from the same bandwidths on the
 * renewal fast path; the goodputs agree within 1% and only the event-by-event run moves bytes. */
START_TEST(renewal_agrees_with_checkpoints_over_the_network)
{
  const char* yaml = TINY "    iterations: 600\nfailures:\n  classes:\n"
                          "    - {class: gpu, mtbf_h: 1.5e-4, repair: {mean_h: 2e-5}}\n"
                          "    - {class: software, mtbf_h: 3e-4, repair: {mean_h: 1e-6}}\n"
                          "  training: {restart_s: 0.02, spares: 1}\n"
                          "outputs: {collectives_max_rows: 0}\n";
  const char* tier = "--set platform.generate.storage_hosts=2 --set platform.generate.storage_gbits_per_s=10000";
  char extra[256];
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "event", tier), 0);
  snprintf(extra, sizeof extra, "%s --set failures.training.renewal_after=3", tier);
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "renewal", extra), 0);
  double ge = summary("event", "goodput"), gr = summary("renewal", "goodput");
  ck_assert_msg(summary("event", "interruptions") >= 10, "too few failures to compare");
  ck_assert_double_eq(summary("event", "interruptions"), summary("renewal", "interruptions"));
  ck_assert_msg(fabs(ge - gr) <= 0.01 * ge, "goodput %g event by event, %g by renewal", ge, gr);
  ck_assert_msg(ge > 0.1 && ge < 0.9, "goodput %g", ge);
  double ce = summary("event", "checkpoint_s"), cr = summary("renewal", "checkpoint_s");
  ck_assert_msg(fabs(ce - cr) <= 0.01 * ce, "checkpoints took %g s event by event, %g s by renewal", ce, cr);
  ck_assert_double_gt(rs_test_table_value(dir, "event", "links.csv", 7, "bytes"), 0);
  ck_assert_double_eq(rs_test_table_value(dir, "renewal", "links.csv", 7, "bytes"), 0);
  /* the energy of the lost work: from the meters event by event, at the simulated iterations' power on
   * the renewal path; per GPU between idle-heavy and the H100's 700 W TDP; the two within 15% (the
   * event-by-event figure also holds the barriers' and cut writes' idle moments) */
  double le = summary("event", "lost_work_energy_j"), lr = summary("renewal", "lost_work_energy_j");
  double watts = le / (8 * summary("event", "lost_work_s"));
  ck_assert_msg(watts > 200 && watts <= 700, "%g W per GPU over the lost work", watts);
  ck_assert_msg(fabs(le - lr) <= 0.15 * le, "lost work drew %g J event by event, %g J by renewal", le, lr);
  ck_assert_double_lt(le, summary("event", "energy_j"));
}
END_TEST

/* A checkpoint with a storage tier (2 hosts of 100 Gb/s) and no checkpoint_write_s is real flows from
 * the 8 ranks' hosts to the storage hosts: every byte of every write is counted on the storage NICs
 * (links.csv, storage_nic) and on the GPUs' NICs; each write takes 4 ranks' shares over one 12.5 GB/s
 * storage NIC. Without the tier the same job's checkpoints move no byte over the NICs. */
START_TEST(checkpoint_bytes_go_over_the_links_to_storage)
{
  const char* yaml = TINY "    iterations: 100\nfailures:\n  events:\n    - {at_h: 10, for_h: 1, gpu: 0}\n"
                          "  training: {checkpoint_interval_h: 5e-6}\n"
                          "outputs: {collectives_max_rows: 0}\n";
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "tier", "--set platform.generate.storage_hosts=2"), 0);
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "none", ""), 0);
  int writes = count_events("tier", "checkpoint", "");
  ck_assert_int_gt(writes, 1);
  rs_csv_t* csv = rs_test_table(dir, "tier", "links.csv");
  int cls = rs_csv_column(csv, "class"), by = rs_csv_column(csv, "bytes");
  double storage = NAN, nic = NAN;
  for (size_t r = 1; r < csv->n_rows; r++) {
    const char* c = rs_csv_cell(&csv->rows[r], cls);
    double b      = strtod(rs_csv_cell(&csv->rows[r], by), NULL);
    storage       = strcmp(c, "storage_nic") == 0 ? b : storage;
    nic           = strcmp(c, "nic") == 0 ? b : nic;
  }
  rs_csv_free(csv);
  /* 14 bytes a parameter of gpt-1.7b cut to 2 layers, per write */
  double state = storage / writes;
  ck_assert_double_gt(state, 1e9);
  ck_assert_double_eq_tol(nic, storage, 1e-6 * storage);
  double per_write = summary("tier", "checkpoint_s") / writes;
  ck_assert_double_eq_tol(per_write, state / 8 * 4 / 12.5e9, 1e-3 * per_write);
  ck_assert_double_eq(rs_test_table_value(dir, "none", "links.csv", 3, "bytes"), 0); /* nic */
}
END_TEST

/* Without failures the job checkpoints at the interval given and loses nothing: goodput is the useful
 * time over useful time plus the writes. */
START_TEST(checkpoints_cost_their_write_time)
{
  const char* yaml = TINY "    iterations: 100\nfailures:\n  events:\n    - {at_h: 10, for_h: 1, gpu: 0}\n"
                          "  training: {checkpoint_interval_h: 5e-6, checkpoint_write_s: 0.01}\n"
                          "outputs: {collectives_max_rows: 0}\n";
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "out", ""), 0);
  double useful = summary("out", "useful_s"), ckpt = summary("out", "checkpoint_s");
  int writes = count_events("out", "checkpoint", "");
  ck_assert_int_gt(writes, 2);
  ck_assert_double_eq_tol(ckpt, writes * 0.01, 1e-9);
  ck_assert_double_eq(summary("out", "interruptions"), 0);
  ck_assert_double_eq(summary("out", "lost_work_energy_j"), 0);
  ck_assert_double_eq_tol(summary("out", "goodput"), useful / (useful + ckpt), 1e-9);
}
END_TEST

/* A GPU at half speed for the whole run slows the TP group's step (every rank waits for it), through
 * SimGrid's speed profile; a link class at a fraction of its bandwidth is a scheduled event too. */
START_TEST(a_straggler_slows_the_step)
{
  const char* base = TINY "    iterations: 2\noutputs: {collectives_max_rows: 0}\n";
  const char* slow = TINY "    iterations: 2\nfailures:\n  events:\n"
                          "    - {at_h: 0, for_h: 1, gpu: 3, kind: degrade, fraction: 0.5}\n"
                          "outputs: {collectives_max_rows: 0}\n";
  ck_assert_int_eq(rs_test_run_yaml(dir, base, "base", ""), 0);
  ck_assert_int_eq(rs_test_run_yaml(dir, slow, "slow", ""), 0);
  double t0 = rs_test_iteration_value(dir, "base", "step_s"), t1 = rs_test_iteration_value(dir, "slow", "step_s");
  double compute = rs_test_iteration_value(dir, "base", "compute_s");
  /* the slow GPU's compute doubles; the step grows by at least most of that */
  ck_assert_msg(t1 > t0 + 0.9 * compute, "step %g -> %g (compute %g)", t0, t1, compute);
  ck_assert_int_eq(count_events("slow", "degrade", "scheduled: gpu 3 at 0.5"), 1);
}
END_TEST

/* Targets are checked against the platform at prepare: exit 2, file, line, key and what was expected. */
START_TEST(targets_the_platform_lacks_are_refused)
{
  char out[192];
  snprintf(out, sizeof out, "%s/never", dir);
  rs_test_refused("fail-target-rack-missing",
                  "fail-target-rack-missing.yaml:7: failures.events[0].rack: expected a rack index from 0 to 0 "
                  "(the platform has 1 rack), got '3'",
                  out);
  rs_test_refused("fail-target-gpu-missing",
                  "failures.events[0].gpu: expected a GPU index from 0 to 71 (the platform has 72 GPUs), got '72'",
                  out);
  rs_test_refused("fail-target-provider-missing",
                  "failures.events[0].provider: expected a provider that a site of the platform states "
                  "(rs.provider on its zone; no site states one), got 'aws'",
                  out);
  rs_test_refused("fail-target-link-class-down", "failures.events[0].kind: expected degrade for a link class", out);
  rs_test_refused("fail-target-link-class-unknown",
                  "failures.events[0].link_class: expected a link class the platform has links of", out);
}
END_TEST

/* The checkpoint interval sweep: a job of 10^6 iterations (6.6 ms each) with an MTBF of 2 s (software
 * faults of 8 ranks at 16 s each, restarted in place at no cost) and a write of 1/30 s, about 3,900 failures each run,
 * at 0.8, 1 and 1.25 times Daly's optimum. The same seed gives every run the same failure times, so the goodput curve
 * is smooth enough to locate its peak: a parabola through the three points (in log interval) must peak within 10% of
 * Daly's interval and of Young's sqrt(2 x write x MTBF) (issue 11, point 7). */
START_TEST(goodput_peaks_at_the_daly_interval)
{
  const char* yaml =
      "name: sweep\nseed: 5\nplatform:\n  generate: {server: p5.48xlarge, servers: 1}\n"
      "workloads:\n  - name: tiny\n    kind: training\n"
      "    model: {preset: gpt-1.7b, layers: 2, seq_len: 2048}\n"
      "    tp: 8\n    micro_batch: 1\n    global_batch: 4\n    precision: bf16\n    iterations: 1000000\n"
      "failures:\n  classes:\n    - {class: software, mtbf_h: 0.00444444444444, repair: {mean_h: 1e-6}}\n"
      "  training: {renewal_after: 2, restart_s: 0, checkpoint_write_s: 0.0333333333333}\n"
      "outputs: {collectives_max_rows: 0, events: false}\n";
  const double mtbf = 2, write = 1 / 30.0, daly = rs_run_daly_interval_s(write, mtbf), young = sqrt(2 * write * mtbf);
  const double f[3] = {0.8, 1, 1.25};
  double g[3];
  for (int k = 0; k < 3; k++) {
    char set[96], out[16];
    snprintf(set, sizeof set, "--set failures.training.checkpoint_interval_h=%.12g", f[k] * daly / 3600);
    snprintf(out, sizeof out, "out%d", k);
    ck_assert_int_eq(rs_test_run_yaml(dir, yaml, out, set), 0);
    g[k] = summary(out, "goodput");
    ck_assert_double_gt(summary(out, "interruptions"), 3000);
  }
  ck_assert_msg(g[1] > g[0] && g[1] > g[2], "goodput %g %g %g", g[0], g[1], g[2]);
  double h    = log(1.25); /* the points are at -h, 0 and +h in log interval */
  double peak = daly * exp(h / 2 * (g[0] - g[2]) / (g[0] - 2 * g[1] + g[2]));
  ck_assert_msg(fabs(peak / daly - 1) <= 0.10, "peak %g s, Daly %g s", peak, daly);
  ck_assert_msg(fabs(peak / young - 1) <= 0.10, "peak %g s, Young %g s", peak, young);
}
END_TEST

/* Daly (FGCS 2006)'s published optima: MTBF 24 h and 6 h with a 5 min checkpoint: 117 and 57 min;
 * MTBF 15 min: 9.1 min. Young's first-order sqrt(2 C M) would give 120, 60 and 12.2 min. */
START_TEST(daly_intervals_match_the_published_cases)
{
  ck_assert_double_eq_tol(rs_run_daly_interval_s(300, 24 * 3600) / 60, 117, 0.5);
  ck_assert_double_eq_tol(rs_run_daly_interval_s(300, 6 * 3600) / 60, 57, 0.5);
  ck_assert_double_eq_tol(rs_run_daly_interval_s(300, 15 * 60) / 60, 9.1, 0.1);
  ck_assert_double_eq(rs_run_daly_interval_s(600, 200), 200); /* write >= 2 MTBF: the MTBF */
}
END_TEST

/* A job whose failures come faster than it restarts would never end: after 1,000 interruptions in a row
 * it is given up, and the run ends with exit 1 and one message (the default restart is 600 s, the
 * job's MTBF here 0.045 s). */
START_TEST(a_job_that_cannot_progress_ends_the_run_with_exit_1)
{
  const char* yaml = TINY "    iterations: 60\nfailures:\n  classes:\n"
                          "    - {class: gpu, mtbf_h: 1e-4, repair: {mean_h: 1e-5}}\n"
                          "outputs: {collectives_max_rows: 0}\n";
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "out", ""), 1);
  ck_assert(rs_test_file_has(dir, "err", "racksim: workload tiny: 1000 interruptions in a row without one iteration"));
}
END_TEST

/* A job waiting for a repair (no spare) stops at its wall horizon, still down: GPU 0 goes down at 0.036 s
 * for an hour, the horizon is 0.36 s. Event by event and on the renewal fast path alike, the job ends at
 * 0.36 s (it ran on for the hour and the restart before), its downtime the rest of the horizon. */
START_TEST(a_job_waiting_for_a_repair_stops_at_its_wall_horizon)
{
  const char* yaml    = TINY "    iterations: 1000000\nfailures:\n  events:\n    - {at_h: 1e-5, for_h: 1, gpu: 0}\n"
                             "  training: {checkpoint_interval_h: 1e-6, checkpoint_write_s: 0.001, wall_h: 1e-4}\n"
                             "outputs: {collectives_max_rows: 0}\n";
  const char* outs[2] = {"event", "renewal"};
  for (int k = 0; k < 2; k++) {
    ck_assert_int_eq(rs_test_run_yaml(dir, yaml, outs[k], k ? "--set failures.training.renewal_after=2" : ""), 0);
    ck_assert_double_eq_tol(summary(outs[k], "duration_s"), 0.36, 1e-9);
    ck_assert_double_eq(summary(outs[k], "interruptions"), 1);
    ck_assert_double_eq_tol(summary(outs[k], "downtime_s"), 0.36 - 0.036, 1e-9);
    double useful = summary(outs[k], "useful_s");
    ck_assert_msg(useful > 0 && useful < 0.036, "%s: useful %g s", outs[k], useful);
  }
}
END_TEST

/* An inference replica with a GPU down is routed no request until its repair (4 replicas of TP2 on 8
 * H200; GPU 2 is replica 1's first, down from 1.8 s to 5.4 s), under each routing policy. */
START_TEST(a_replica_with_a_gpu_down_is_routed_no_request)
{
  const char* policies[] = {"least-outstanding", "round-robin", "kv-aware"};
  for (int k = 0; k < 3; k++) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "name: inf\nseed: 1\nplatform: {preset: p5en.48xlarge}\nworkloads:\n"
             "  - {name: chat, kind: inference, model: {preset: llama3-8b}, tp: 2, precision: bf16, mode: server,\n"
             "     requests: 200, rate_per_s: 20, prompt_tokens: 512, output_tokens: 128, routing: %s}\n"
             "failures:\n  events:\n    - {at_h: 0.0005, for_h: 0.001, gpu: 2}\n",
             policies[k]);
    ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "out", ""), 0);
    rs_csv_t* csv = rs_test_table(dir, "out", "requests.csv");
    int rep = rs_csv_column(csv, "replica"), arr = rs_csv_column(csv, "arrival_s");
    int during = 0, during_on_1 = 0, after_on_1 = 0;
    for (size_t r = 1; r < csv->n_rows; r++) {
      double t = strtod(rs_csv_cell(&csv->rows[r], arr), NULL);
      int on_1 = strcmp(rs_csv_cell(&csv->rows[r], rep), "1") == 0;
      during += t > 1.8 && t < 5.4;
      during_on_1 += t > 1.8 && t < 5.4 && on_1;
      after_on_1 += t > 5.4 && on_1;
    }
    rs_csv_free(csv);
    ck_assert_int_gt(during, 20);
    ck_assert_msg(during_on_1 == 0, "%s: %d requests routed to the replica that is down", policies[k], during_on_1);
    ck_assert_msg(after_on_1 > 0, "%s: the replica never came back", policies[k]);
    ck_assert_int_eq(count_events("out", "replica down", "replica 1"), 1);
    ck_assert_int_eq(count_events("out", "replica up", "replica 1"), 1);
  }
}
END_TEST

/* Issue 17 point 4: a server (host) or a GPU's network link going down while a collective runs ends
 * the run with exit 1 and one message naming the GPU's host, the failure and the simulated time; no
 * table is left. A failure outside the sweep's GPUs, or after it, does not. */
#define SWEEP                                                                                                          \
  "name: sweep\nseed: 1\nplatform: {preset: u-p6e-gb200x72}\nworkloads:\n"                                             \
  "  - {name: sweep, kind: collective, op: all-reduce, gpus: 16, min_bytes: 1GiB, max_bytes: 8GiB, factor: 2, "        \
  "iterations: 1}\n"
START_TEST(a_host_or_link_down_mid_collective_ends_the_run_with_exit_1)
{
  /* server 1 is the NVL72's second compute tray, GPUs 4-7; the sweep runs from 0 to about 0.02 s */
  ck_assert_int_eq(
      rs_test_run_yaml(dir, SWEEP "failures:\n  events:\n    - {at_h: 2e-6, for_h: 1, server: 1}\n", "host", ""), 1);
  ck_assert(rs_test_file_has(dir, "err",
                             "racksim: workload sweep: GPU host us0-gpu4 went down (server 1: scheduled) "
                             "at simulated time 0.0072 s during all-reduce of "));
  ck_assert(rs_test_file_has(dir, "err", "bytes: a collective cannot finish without every rank\n"));
  char summary[192];
  snprintf(summary, sizeof summary, "%s/host/summary.csv", dir);
  ck_assert_msg(access(summary, F_OK) != 0, "a failed run left %s", summary);
  /* a link of the scale-out network (failure class link: a GPU's NIC cable), drawn at random */
  ck_assert_int_eq(
      rs_test_run_yaml(dir, SWEEP "failures:\n  classes:\n    - {class: link, mtbf_h: 1e-4, repair: {mean_h: 1}}\n",
                       "link", ""),
      1);
  ck_assert(rs_test_file_has(dir, "err", ": link) at simulated time "));
  ck_assert(rs_test_file_has(dir, "err", "racksim: workload sweep: GPU host us0-gpu"));
  /* GPU 40 is not the sweep's; and a failure at 36 s comes after the sweep */
  ck_assert_int_eq(rs_test_run_yaml(dir,
                                    SWEEP "failures:\n  events:\n    - {at_h: 2e-6, for_h: 1, gpu: 40}\n"
                                          "    - {at_h: 0.01, for_h: 1, gpu: 0}\n",
                                    "other", ""),
                   0);
}
END_TEST

/* The chat service of the test above (200 requests to TP2 replicas of Llama 3 8B) on `platform` (a YAML
 * value); with `faults` (the lines under failures:) and a retry policy, or no failures when faults is
 * NULL. Returns the exit code. */
static int run_chat_on(const char* out, const char* platform, const char* faults, const char* retry)
{
  char yaml[1024];
  int n =
      snprintf(yaml, sizeof yaml,
               "name: inf\nseed: 1\nplatform: %s\nworkloads:\n"
               "  - {name: chat, kind: inference, model: {preset: llama3-8b}, tp: 2, precision: bf16, mode: server,\n"
               "     requests: 200, rate_per_s: 20, prompt_tokens: 512, output_tokens: 128}\n",
               platform);
  if (faults != NULL)
    snprintf(yaml + n, sizeof yaml - n, "failures:\n%s  inference: {retry: %s, window_s: 1}\n", faults, retry);
  return rs_test_run_yaml(dir, yaml, out, "");
}

/* The chat service of the test above, its replica 1 down from 1.8 s to 5.4 s, with a retry policy. */
static void run_chat(const char* out, const char* retry)
{
  const char* gpu2 = "  events:\n    - {at_h: 0.0005, for_h: 0.001, gpu: 2}\n";
  ck_assert_int_eq(run_chat_on(out, "{preset: p5en.48xlarge}", gpu2, retry), 0);
}

/* Requests of requests.csv served on replica 1 that were running there (scheduled before, finished
 * after) at the failure: none may be, they left it. */
static int served_across_the_failure_on_1(const char* out)
{
  rs_csv_t* csv = rs_test_table(dir, out, "requests.csv");
  int rep = rs_csv_column(csv, "replica"), sch = rs_csv_column(csv, "scheduled_s");
  int fin = rs_csv_column(csv, "finish_s"), n = 0;
  for (size_t r = 1; r < csv->n_rows; r++)
    n += strcmp(rs_csv_cell(&csv->rows[r], rep), "1") == 0 && strtod(rs_csv_cell(&csv->rows[r], sch), NULL) < 1.8 &&
         strtod(rs_csv_cell(&csv->rows[r], fin), NULL) > 1.8;
  rs_csv_free(csv);
  return n;
}

/* resubmit: the requests in flight on the failed replica start again elsewhere; every request is served,
 * none lost; the availability is the replica-seconds up (3.6 s of one replica of four down). */
START_TEST(in_flight_requests_of_a_failed_replica_are_resubmitted)
{
  run_chat("re", "resubmit");
  ck_assert_double_eq(summary("re", "requests"), 200);
  ck_assert_double_eq(summary("re", "failed_requests"), 0);
  double retried = summary("re", "retried_requests");
  ck_assert_msg(retried >= 1 && retried <= 40, "%g requests retried", retried);
  ck_assert_int_eq(served_across_the_failure_on_1("re"), 0);
  double span = summary("re", "end_s") - summary("re", "start_s");
  ck_assert_double_eq_tol(summary("re", "availability"), 1 - 3.6 / (4 * span), 1e-6);
  /* the same run again: the same bytes */
  run_chat("re2", "resubmit");
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "cmp -s %s/re/requests.csv %s/re2/requests.csv && cmp -s %s/re/summary.csv %s/re2/summary.csv", dir, dir,
           dir, dir);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* The energy of the work failures threw away (summary.csv's lost_work_energy_j): the GPU joules of the
 * steps the requests that left replica 1 had taken part in, by their tokens, and of its step in flight.
 * Up to the failure the resubmit and lose runs are the same run, so they lose the same joules, more than
 * none and at most replica 1's two H200 at TDP (700 W) for the 1.8 s before the failure. A run without
 * failures leaves the cell empty. */
START_TEST(work_lost_with_a_failed_replica_costs_its_energy)
{
  run_chat("re", "resubmit");
  run_chat("lo", "lose");
  double re = summary("re", "lost_work_energy_j"), lo = summary("lo", "lost_work_energy_j");
  ck_assert_msg(re > 0 && re <= 2 * 700 * 1.8, "lost work %g J", re);
  ck_assert_double_eq_tol(lo, re, 1e-9 * re);
  ck_assert_double_lt(re, summary("re", "energy_j"));
  ck_assert_int_eq(run_chat_on("none", "{preset: p5en.48xlarge}", NULL, "resubmit"), 0);
  rs_csv_t* csv = rs_test_table(dir, "none", "summary.csv");
  ck_assert_str_eq(rs_csv_cell(&csv->rows[1], rs_csv_column(csv, "lost_work_energy_j")), "");
  rs_csv_free(csv);
}
END_TEST

/* lose: the same requests are given up instead: they are counted, not served, and miss the objective. */
START_TEST(in_flight_requests_of_a_failed_replica_are_lost)
{
  run_chat("re", "resubmit");
  run_chat("lo", "lose");
  double lost = summary("lo", "failed_requests");
  ck_assert_double_eq(lost, summary("re", "retried_requests"));
  ck_assert_double_eq(summary("lo", "retried_requests"), 0);
  ck_assert_double_eq(summary("lo", "requests") + lost, 200);
  ck_assert_int_eq(served_across_the_failure_on_1("lo"), 0);
  ck_assert_double_le(summary("lo", "slo_attainment"), 1 - lost / 200 + 1e-12);
  /* the lost requests met the failure; the others, arriving while every replica was up, all made it */
  ck_assert_double_lt(summary("lo", "slo_attainment_degraded"), 1);
  ck_assert_double_eq(summary("lo", "slo_attainment_healthy"), 1);
  /* windows.csv: one window of 1 s after another; every request in one; the outage in 1.8 .. 5.4 s */
  rs_csv_t* csv = rs_test_table(dir, "lo", "windows.csv");
  int c_a = rs_csv_column(csv, "arrivals"), c_l = rs_csv_column(csv, "lost"), c_s = rs_csv_column(csv, "start_s");
  int c_d = rs_csv_column(csv, "replicas_down_max"), arrivals = 0, lost_rows = 0;
  for (size_t r = 1; r < csv->n_rows; r++) {
    double t = strtod(rs_csv_cell(&csv->rows[r], c_s), NULL);
    ck_assert_double_eq(t, (double)(r - 1));
    arrivals += atoi(rs_csv_cell(&csv->rows[r], c_a));
    lost_rows += atoi(rs_csv_cell(&csv->rows[r], c_l));
    ck_assert_int_eq(atoi(rs_csv_cell(&csv->rows[r], c_d)), t + 1 > 1.8 && t < 5.4);
  }
  rs_csv_free(csv);
  ck_assert_int_eq(arrivals, 200);
  ck_assert_double_eq(lost_rows, lost);
}
END_TEST

/* ---- issue 17 point 4: a host and a link down in the middle of inference requests ---- */

/* Requests of out's requests.csv on a replica from first to last, running (scheduled before, finished
 * after) at time t. */
static int running_at(const char* out, int first, int last, double t)
{
  rs_csv_t* csv = rs_test_table(dir, out, "requests.csv");
  int rep = rs_csv_column(csv, "replica"), sch = rs_csv_column(csv, "scheduled_s");
  int fin = rs_csv_column(csv, "finish_s"), n = 0;
  for (size_t r = 1; r < csv->n_rows; r++) {
    int id = atoi(rs_csv_cell(&csv->rows[r], rep));
    n += id >= first && id <= last && strtod(rs_csv_cell(&csv->rows[r], sch), NULL) < t &&
         strtod(rs_csv_cell(&csv->rows[r], fin), NULL) > t;
  }
  rs_csv_free(csv);
  return n;
}

/* 8 TP2 replicas on two 8-GPU H100 servers; server 1 (replicas 4-7) down from 1.8 s to 5.4 s. */
static void run_two_servers(const char* out, const char* retry)
{
  const char* server1 = "  events:\n    - {at_h: 0.0005, for_h: 0.001, server: 1}\n";
  ck_assert_int_eq(run_chat_on(out, "{generate: {server: p5.48xlarge, servers: 2}}", server1, retry), 0);
}

/* A server (host class) down mid-request: its four replicas leave the router at once, the requests
 * running on them are sent again or lost by the policy, none is served across the failure there, and
 * each is moved once (the four replicas are marked down before any is drained). */
START_TEST(a_server_down_mid_request_moves_or_loses_its_requests)
{
  run_two_servers("re", "resubmit");
  ck_assert_int_eq(count_events("re", "failure", "scheduled: server 1"), 1);
  ck_assert_int_eq(count_events("re", "replica down", "replica "), 4);
  ck_assert_int_eq(count_events("re", "replica up", "replica "), 4);
  double retried = summary("re", "retried_requests");
  ck_assert_msg(retried >= 1, "no request was in flight on server 1 at its failure: the fault never met one");
  ck_assert_double_eq(summary("re", "requests"), 200);
  ck_assert_double_eq(summary("re", "failed_requests"), 0);
  ck_assert_int_eq(running_at("re", 4, 7, 1.8), 0);
  run_two_servers("lo", "lose");
  ck_assert_double_eq(summary("lo", "failed_requests"), retried);
  ck_assert_double_eq(summary("lo", "requests") + retried, 200);
  ck_assert_int_eq(running_at("lo", 4, 7, 1.8), 0);
}
END_TEST

/* 4 TP2 replicas on one p5en.48xlarge, each GPU's network link failing every 7.2 s on average for 1.8 s
 * (failure class link): replicas go down and up while requests run on them. */
static void run_failing_links(const char* out, const char* retry)
{
  const char* links = "  classes:\n    - {class: link, mtbf_h: 0.002, repair: {mean_h: 0.0005}}\n";
  ck_assert_int_eq(run_chat_on(out, "{preset: p5en.48xlarge}", links, retry), 0);
}

START_TEST(links_down_mid_request_resubmit_or_lose_their_requests)
{
  run_failing_links("re", "resubmit");
  ck_assert_int_gt(count_events("re", "failure", "link: GPU "), 3);
  ck_assert_int_gt(count_events("re", "replica down", "replica "), 3);
  ck_assert_double_gt(summary("re", "retried_requests"), 0);
  ck_assert_double_eq(summary("re", "requests"), 200);
  ck_assert_double_eq(summary("re", "failed_requests"), 0);
  run_failing_links("lo", "lose");
  ck_assert_double_gt(summary("lo", "failed_requests"), 0);
  ck_assert_double_eq(summary("lo", "retried_requests"), 0);
  ck_assert_double_eq(summary("lo", "requests") + summary("lo", "failed_requests"), 200);
}
END_TEST

/* The chat service of run_chat_on on a copy of p5en.48xlarge edited by the sed script edit,
 * with dir/off.txt (off at 1 s, on at 3 s) as a state profile; returns the exit code. */
static int run_edited_p5en(const char* out, const char* edit)
{
  rs_test_write(dir, "off.txt", "1.0 0\n3.0 1\n");
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "sed -e '%s' %s/platforms/p5en.48xlarge.xml > %s/p.xml", edit, RS_SOURCE_DIR, dir);
  ck_assert_int_eq(system(cmd), 0);
  char platform[192];
  snprintf(platform, sizeof platform, "{file: %s/p.xml}", dir);
  return run_chat_on(out, platform, NULL, NULL);
}

/* A host or a link that SimGrid itself turns off (a state profile of the platform file) at 1 s, while
 * replica 0 serves requests on them, ends the run with exit 1 and one message naming it and the
 * simulated time, and leaves no output; never an abort (134). A state profile on a SPLITDUPLEX link,
 * which SimGrid 3.32 aborts on when it fires, is refused when the platform loads. */
START_TEST(a_state_profile_turning_a_host_or_link_off_mid_request_ends_the_run_with_exit_1)
{
  ck_assert_int_eq(run_edited_p5en("plain", "s/x/x/"), 0);
  ck_assert_msg(running_at("plain", 0, 0, 1.0) > 0, "no request runs on replica 0 at 1 s: the faults below meet none");
  char out[192];
  ck_assert_int_eq(run_edited_p5en("host", "s#<host id=\"us0-gpu0\" speed=\"989Tf\" core=\"1\">#"
                                           "<host id=\"us0-gpu0\" speed=\"989Tf\" core=\"1\" state_file=\"off.txt\">#"),
                   1);
  ck_assert(rs_test_file_has(dir, "err",
                             "racksim: host us0-gpu0 was turned off by SimGrid (a state profile of the platform file) "
                             "at simulated time 1 s: a workload cannot go on with it;"));
  ck_assert_int_eq(rs_test_run(out, sizeof out, dir, "wc", "-l < %s/err", dir), 0);
  ck_assert_int_eq(atoi(out), 1);
  snprintf(out, sizeof out, "%s/host", dir);
  ck_assert_msg(access(out, F_OK) != 0, "the failed run left %s", out);
  /* a SHARED link (the split-duplex pair as one), its routes without a direction */
  ck_assert_int_eq(run_edited_p5en("link", "s#<link id=\"us0-gpu0-nvlink\"\\([^/]*\\) sharing_policy=\"SPLITDUPLEX\"/>#"
                                           "<link id=\"us0-gpu0-nvlink\"\\1 state_file=\"off.txt\"/>#;"
                                           "s#<link_ctn id=\"us0-gpu0-nvlink\" direction=\"[A-Z]*\"/>#"
                                           "<link_ctn id=\"us0-gpu0-nvlink\"/>#"),
                   1);
  ck_assert(rs_test_file_has(dir, "err",
                             "racksim: link us0-gpu0-nvlink was turned off by SimGrid (a state profile of the platform "
                             "file) at simulated time 1 s: a workload cannot go on with it;"));
  snprintf(out, sizeof out, "%s/link", dir);
  ck_assert_msg(access(out, F_OK) != 0, "the failed run left %s", out);
  /* the SPLITDUPLEX link itself: refused before the run, at its line */
  ck_assert_int_eq(run_edited_p5en("duplex", "s#<link id=\"us0-gpu0-nvlink\"\\(.*\\)/>#"
                                             "<link id=\"us0-gpu0-nvlink\"\\1 state_file=\"off.txt\"/>#"),
                   2);
  ck_assert(rs_test_file_has(dir, "err",
                             "/p.xml:95: state_file: link us0-gpu0-nvlink: expected no state profile on a "
                             "SPLITDUPLEX link (SimGrid 3.32 aborts when it fires;"));
}
END_TEST

/* Agents whose tools run on 2 Graviton4 hosts (scenarios/agentic-tools.yaml, 40 sessions), the CPU
 * hosts failing every 36 s on average for 7.2 s, with `policy` as failures.agentic (empty: none). */
static void run_agents(const char* out, const char* policy, int failing)
{
  char yaml[2048];
  snprintf(yaml, sizeof yaml,
           "name: ag\nseed: 1\nplatform:\n  generate: {server: u-p6e-gb200x72, servers: 1, cpu_hosts: 2}\n"
           "workloads:\n  - name: agents\n    kind: agentic\n"
           "    arrivals: {process: poisson, rate_per_s: 10, sessions: 40}\n    turns: 3\n"
           "    tool: {pool: fleet, cores: 4, work_core_s: 8, distribution: lognormal, cv: 1, mem_gbytes: 4}\n"
           "    fanout: {agents: 2, at_turn: 1, turns: 2}\n"
           "    pools:\n      - {name: fleet, placement: fleet, cpu: graviton4}\n"
           "%s%s",
           failing ? "failures:\n  classes:\n    - {class: cpu_host, mtbf_h: 0.01, repair: {mean_h: 0.002}}\n" : "",
           policy);
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, out, ""), 0);
}

/* Sessions of out's sessions.csv whose tool_calls differ from their turns. */
static int sessions_off_by_calls(const char* out)
{
  rs_csv_t* csv = rs_test_table(dir, out, "sessions.csv");
  int turns = rs_csv_column(csv, "turns"), calls = rs_csv_column(csv, "tool_calls"), off = 0;
  for (size_t r = 1; r < csv->n_rows; r++)
    off += atoi(rs_csv_cell(&csv->rows[r], turns)) != atoi(rs_csv_cell(&csv->rows[r], calls));
  rs_csv_free(csv);
  return off;
}

/* Tool calls on a CPU host that fails are retried on a host that is up after the caller's timeout:
 * every session ends, later than without failures, each with one tool call per turn (a failed call
 * that runs on to its end is no result); the same seed gives the same sessions, byte for byte; with no
 * retry allowed, the calls are given up instead. */
START_TEST(tool_calls_on_a_failed_host_are_retried)
{
  run_agents("none", "", 0);
  run_agents("re", "  agentic: {tool_retries: 3, tool_retry_s: 5}\n", 1);
  ck_assert_double_eq(summary("re", "operations"), 40);
  ck_assert_double_gt(summary("re", "tool_retries"), 0);
  ck_assert_double_eq(summary("re", "tool_failures"), 0);
  ck_assert_double_gt(summary("re", "latency_p50_s"), summary("none", "latency_p50_s"));
  ck_assert_double_gt(summary("re", "end_s"), summary("none", "end_s"));
  ck_assert_int_eq(sessions_off_by_calls("re"), 0);
  run_agents("re2", "  agentic: {tool_retries: 3, tool_retry_s: 5}\n", 1);
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "cmp -s %s/re/sessions.csv %s/re2/sessions.csv && cmp -s %s/re/summary.csv %s/re2/summary.csv", dir, dir,
           dir, dir);
  ck_assert_int_eq(system(cmd), 0);
  run_agents("give", "  agentic: {tool_retries: 0, tool_retry_s: 5}\n", 1);
  ck_assert_double_eq(summary("give", "operations"), 40);
  ck_assert_double_eq(summary("give", "tool_retries"), 0);
  ck_assert_double_gt(summary("give", "tool_failures"), 0);
}
END_TEST

/* A disaggregated chat service: one TP8 prefill replica on server 0, one TP8 decode replica on server 1,
 * each server its own pod behind rail uplinks oversubscribed 200:1, so that KV caches queue on the
 * wire for seconds; GPU `gpu` (0: the prefill replica, 8: the decode one) down at `at_h` for 1.08 s. */
static void run_disagg(const char* out, int gpu, const char* at_h, const char* retry)
{
  char yaml[1024];
  snprintf(
      yaml, sizeof yaml,
      "name: dis\nseed: 1\nplatform:\n  generate: {server: p5en.48xlarge, servers: 2, servers_per_pod: 1, "
      "oversubscription: 200}\nworkloads:\n"
      "  - {name: chat, kind: inference, model: {preset: llama3-8b}, tp: 8, prefill_replicas: 1, precision: bf16,\n"
      "     mode: server, requests: 100, rate_per_s: 20, prompt_tokens: 4000, output_tokens: 32}\n"
      "failures:\n  events:\n    - {at_h: %s, for_h: 0.0003, gpu: %d}\n  inference: {retry: %s}\n",
      at_h, gpu, retry);
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, out, ""), 0);
}

/* Requests of out's requests.csv within [from, to) at time t, from and to named by columns (to plus
 * kv_transfer_s when add_kv). */
static int spanning(const char* out, const char* from, const char* to, int add_kv, double t)
{
  rs_csv_t* csv = rs_test_table(dir, out, "requests.csv");
  int a = rs_csv_column(csv, from), b = rs_csv_column(csv, to), kv = rs_csv_column(csv, "kv_transfer_s"), n = 0;
  for (size_t r = 1; r < csv->n_rows; r++) {
    double lo = strtod(rs_csv_cell(&csv->rows[r], a), NULL), hi = strtod(rs_csv_cell(&csv->rows[r], b), NULL);
    hi += add_kv ? strtod(rs_csv_cell(&csv->rows[r], kv), NULL) : 0;
    n += lo <= t && t < hi;
  }
  rs_csv_free(csv);
  return n;
}

/* A failure of either replica while KV caches are on the wire: those requests follow the retry policy
 * like the ones the replica holds, none hangs, none is counted served. The run without the failure (the
 * event long after the end) is the same run up to it, so it tells which requests the failure at 1.8 s
 * meets: on the decode side, those past their first token and not finished (on the wire or in the
 * decode replica); on the prefill side, those arrived whose cache has not landed (in the prefill replica
 * or on the wire). Most of them are on the wire: the test fails if those are left out. */
START_TEST(disaggregated_caches_on_the_wire_follow_the_retry_policy)
{
  run_disagg("clean", 8, "100", "lose");
  double tf      = 1.8;
  int on_wire    = spanning("clean", "first_token_s", "first_token_s", 1, tf);
  int decode_hit = spanning("clean", "first_token_s", "finish_s", 0, tf);
  int pre_hit    = spanning("clean", "arrival_s", "first_token_s", 1, tf);
  ck_assert_msg(on_wire >= 10 && on_wire * 2 > decode_hit && on_wire * 2 > pre_hit, "%d caches on the wire of %d, %d",
                on_wire, decode_hit, pre_hit);
  const struct {
    int gpu, hit;
  } side[] = {{8, decode_hit}, {0, pre_hit}};
  for (int k = 0; k < 2; k++) {
    run_disagg("lo", side[k].gpu, "0.0005", "lose");
    ck_assert_double_eq(summary("lo", "failed_requests"), side[k].hit);
    ck_assert_double_eq(summary("lo", "requests") + side[k].hit, 100);
    ck_assert_double_eq(summary("lo", "retried_requests"), 0);
    run_disagg("re", side[k].gpu, "0.0005", "resubmit");
    ck_assert_double_eq(summary("re", "retried_requests"), side[k].hit);
    ck_assert_double_eq(summary("re", "requests"), 100);
    ck_assert_double_eq(summary("re", "failed_requests"), 0);
    /* no request served in the resubmit run had its cache on the wire across the failure */
    ck_assert_int_eq(spanning("re", "first_token_s", "first_token_s", 1, tf), 0);
  }
}
END_TEST

/* Requests of out's requests.csv: the count for which keep(replica, arrival, scheduled, ttft) holds. */
static int count_requests(const char* out, int (*keep)(int, double, double, double))
{
  rs_csv_t* csv = rs_test_table(dir, out, "requests.csv");
  int rep = rs_csv_column(csv, "replica"), arr = rs_csv_column(csv, "arrival_s");
  int sch = rs_csv_column(csv, "scheduled_s"), tt = rs_csv_column(csv, "ttft_s"), n = 0;
  for (size_t r = 1; r < csv->n_rows; r++)
    n += keep(atoi(rs_csv_cell(&csv->rows[r], rep)), strtod(rs_csv_cell(&csv->rows[r], arr), NULL),
              strtod(rs_csv_cell(&csv->rows[r], sch), NULL), strtod(rs_csv_cell(&csv->rows[r], tt), NULL));
  rs_csv_free(csv);
  return n;
}

/* The provider test's outage: azure (site 1: replicas 4 to 7) down from 3.6 s to 7.2 s; the WAN's
 * round trip is 2 x 30 ms. */
static int on_azure_in_outage(int rep, double arr, double sch, double ttft)
{
  return rep >= 4 && rep <= 7 && sch > 3.6 && sch < 7.2;
}
static int on_azure_after(int rep, double arr, double sch, double ttft)
{
  return rep >= 4 && rep <= 7 && arr > 7.3;
}
static int slow_before(int rep, double arr, double sch, double ttft)
{
  return arr < 3.5 && sch < 3.6 && ttft >= 0.06; /* those sent again at 3.6 s may cross the WAN */
}
static int in_outage(int rep, double arr, double sch, double ttft)
{
  return arr > 3.7 && arr < 7.1;
}
static int slow_in_outage(int rep, double arr, double sch, double ttft)
{
  return arr > 3.7 && arr < 7.1 && ttft >= 0.06;
}

/* A chat service over three providers' sites (4 replicas each), azure lost for 3.6 s: its replicas
 * serve nothing then and serve again after; its third of the traffic fails over to the other sites and
 * pays the WAN's round trip on its first token, while before the outage no request crosses the WAN. */
START_TEST(a_provider_outage_fails_over_with_the_wan_added)
{
  const char* yaml =
      "name: mc\nseed: 1\nplatform:\n  generate: {server: p5en.48xlarge, servers: 1, sites: 3, providers: "
      "'aws,azure,oracle', wan_latency_ms: 30}\nworkloads:\n"
      "  - {name: chat, kind: inference, model: {preset: llama3-8b}, tp: 2, precision: bf16, mode: server,\n"
      "     requests: 600, rate_per_s: 60, prompt_tokens: 512, output_tokens: 128}\n"
      "failures:\n  events:\n    - {at_h: 0.001, for_h: 0.001, provider: azure}\n";
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "out", ""), 0);
  ck_assert_double_eq(summary("out", "requests"), 600);
  ck_assert_double_eq(summary("out", "failed_requests"), 0);
  ck_assert_int_eq(count_events("out", "replica down", "replica"), 4);
  ck_assert_int_eq(count_requests("out", on_azure_in_outage), 0);
  ck_assert_int_gt(count_requests("out", on_azure_after), 0);
  ck_assert_int_eq(count_requests("out", slow_before), 0);
  int n = count_requests("out", in_outage), slow = count_requests("out", slow_in_outage);
  ck_assert_msg(slow >= n / 5 && slow <= n / 2, "%d of %d requests in the outage paid the WAN", slow, n);
}
END_TEST

/* Requests of out's requests.csv whose home site (replica i mod 12, 4 replicas a site) is `home`,
 * scheduled in [t0, t1), served on site `site` (-1: any); the least TTFT among them in *ttft_min. */
static int served_from(const char* out, int home, int site, double t0, double t1, double* ttft_min)
{
  rs_csv_t* csv = rs_test_table(dir, out, "requests.csv");
  int req = rs_csv_column(csv, "request"), rep = rs_csv_column(csv, "replica");
  int sch = rs_csv_column(csv, "scheduled_s"), tt = rs_csv_column(csv, "ttft_s"), n = 0;
  *ttft_min = INFINITY;
  for (size_t r = 1; r < csv->n_rows; r++) {
    int i = atoi(rs_csv_cell(&csv->rows[r], req)), at = atoi(rs_csv_cell(&csv->rows[r], rep)) / 4;
    double t = strtod(rs_csv_cell(&csv->rows[r], sch), NULL);
    if ((i % 12) / 4 != home || (site >= 0 && at != site) || t < t0 || t >= t1)
      continue;
    n++;
    *ttft_min = fmin(*ttft_min, strtod(rs_csv_cell(&csv->rows[r], tt), NULL));
  }
  rs_csv_free(csv);
  return n;
}

/* Three sites (4 TP2 replicas each) whose WAN links differ: 40 ms between sites 0 and 1, 10 ms between 0
 * and 2, 25 ms between 1 and 2. Site 0 down from 3.6 s to 7.2 s: its requests fail over to site 2, the
 * nearest, not to site 1, the first in the list, and pay 2 x 10 ms; site 1 down from 9 s to 12.6 s: its
 * requests go to site 2 too (25 ms against 40), at 2 x 25 ms. The others stay home throughout. */
START_TEST(failover_goes_to_the_nearest_surviving_site)
{
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "%s platform p5en.48xlarge --sites 3 -o %s/p3.xml && sed -e '/id=\"wan-s0-s1\"/s/10000us/40000us/' "
           "-e '/id=\"wan-s1-s2\"/s/10000us/25000us/' %s/p3.xml > %s/p.xml",
           RS_RACKSIM_BIN, dir, dir, dir);
  ck_assert_int_eq(system(cmd), 0);
  const char* yaml =
      "name: near\nseed: 1\nplatform: {file: p.xml}\nworkloads:\n"
      "  - {name: chat, kind: inference, model: {preset: llama3-8b}, tp: 2, precision: bf16, mode: server,\n"
      "     requests: 900, rate_per_s: 60, prompt_tokens: 512, output_tokens: 128}\n"
      "failures:\n  events:\n    - {at_h: 0.001, for_h: 0.001, site: 0}\n    - {at_h: 0.0025, for_h: 0.001, site: 1}\n";
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "out", ""), 0);
  ck_assert_double_eq(summary("out", "requests"), 900);
  double ttft;
  /* site 0's outage: its requests on site 2, none on site 1 */
  ck_assert_int_eq(served_from("out", 0, 1, 3.6, 7.2, &ttft), 0);
  ck_assert_int_eq(served_from("out", 0, 0, 3.6, 7.2, &ttft), 0);
  ck_assert_int_gt(served_from("out", 0, 2, 3.6, 7.2, &ttft), 40);
  ck_assert_double_ge(ttft, 0.02);
  ck_assert_double_lt(ttft, 0.05);
  /* site 1's: to site 2, at the 25 ms link's round trip */
  ck_assert_int_eq(served_from("out", 1, 0, 9, 12.6, &ttft), 0);
  ck_assert_int_gt(served_from("out", 1, 2, 9, 12.6, &ttft), 40);
  ck_assert_double_ge(ttft, 0.05);
  /* site 2's own requests never leave it; site 0's are home again after its repair */
  ck_assert_int_eq(served_from("out", 2, 2, 0, 20, &ttft), served_from("out", 2, -1, 0, 20, &ttft));
  ck_assert_int_gt(served_from("out", 0, 0, 7.3, 20, &ttft), 0);
  ck_assert_int_eq(served_from("out", 0, 2, 7.3, 20, &ttft), 0);
}
END_TEST

/* scenarios/multicloud-outage.yaml, cut small (150 chat requests, 20 agent sessions, the outage from
 * 36 s to 108 s): it runs, every request is served, the outage shows in windows.csv. */
START_TEST(the_multicloud_outage_scenario_runs)
{
  char cmd[1024];
  snprintf(
      cmd, sizeof cmd,
      "cd %s && %s run scenarios/multicloud-outage.yaml -o %s/mc -q --set workloads.0.requests=150 "
      "--set workloads.1.arrivals.sessions=20 --set failures.events.0.at_h=0.01 --set failures.events.0.for_h=0.02 "
      "--set failures.inference.window_s=30 2>%s/err",
      RS_SOURCE_DIR, RS_RACKSIM_BIN, dir, dir);
  ck_assert_int_eq(system(cmd), 0);
  ck_assert_double_ge(summary("mc", "requests"), 150);
  ck_assert_double_eq(summary("mc", "failed_requests"), 0);
  ck_assert_double_gt(summary("mc", "retried_requests"), 0);
  ck_assert_double_lt(summary("mc", "availability"), 1);
  ck_assert_double_eq(rs_test_table_value(dir, "mc", "summary.csv", 2, "operations"), 20);
  rs_csv_t* csv = rs_test_table(dir, "mc", "windows.csv");
  int c_s = rs_csv_column(csv, "start_s"), c_d = rs_csv_column(csv, "replicas_down_max");
  for (size_t r = 1; r < csv->n_rows; r++) {
    double t = strtod(rs_csv_cell(&csv->rows[r], c_s), NULL);
    ck_assert_int_eq(atoi(rs_csv_cell(&csv->rows[r], c_d)), t + 30 > 36 && t < 108 ? 16 : 0);
  }
  rs_csv_free(csv);
}
END_TEST

/* The 131,072-GPU GB200 scenario is valid as shipped (its layout fits the GPUs' memory, its failure
 * settings pass their checks); bench/resilience.sh runs it, too long for a test (14 s of CPU). */
START_TEST(the_gb200_131k_scenario_is_valid)
{
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "cd %s && %s validate scenarios/resilience-gb200-131k.yaml >%s/val 2>%s/err", RS_SOURCE_DIR,
           RS_RACKSIM_BIN, dir, dir);
  ck_assert_int_eq(system(cmd), 0);
  ck_assert(rs_test_file_has(dir, "val", "131112 GPUs in 1821 NVLink domains"));
  ck_assert(rs_test_file_has(dir, "val", "scenario scenarios/resilience-gb200-131k.yaml: valid (1 workload)"));
  /* and so are the Daly sweeps' scenarios of analysis/reliability.sh */
  snprintf(cmd, sizeof cmd,
           "cd %s && %s validate analysis/reliability/daly-24h.yaml >/dev/null 2>%s/err && "
           "%s validate analysis/reliability/daly-6h.yaml >/dev/null 2>>%s/err",
           RS_SOURCE_DIR, RS_RACKSIM_BIN, dir, RS_RACKSIM_BIN, dir);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Same scenario, same seed: the same failures, byte for byte. */
START_TEST(same_seed_same_failures)
{
  const char* yaml = TINY "    iterations: 60\nfailures:\n  classes:\n"
                          "    - {class: gpu, mtbf_h: 1e-4, repair: {distribution: lognormal, mean_h: 1e-5}}\n"
                          "  training: {restart_s: 0.01, checkpoint_write_s: 0.001}\n"
                          "outputs: {collectives_max_rows: 0}\n";
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "a", ""), 0);
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "b", ""), 0);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "cmp -s %s/a/events.csv %s/b/events.csv && cmp -s %s/a/summary.csv %s/b/summary.csv", dir,
           dir, dir, dir);
  ck_assert_int_eq(system(cmd), 0);
  ck_assert_int_gt(count_events("a", "failure", "gpu:"), 0);
}
END_TEST

static Suite* faults_suite(void)
{
  Suite* s  = suite_create("faults");
  TCase* tc = tcase_create("injection");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, failure_counts_follow_the_rates);
  tcase_add_test(tc, targets_the_platform_lacks_are_refused);
  tcase_add_test(tc, a_straggler_slows_the_step);
  tcase_add_test(tc, same_seed_same_failures);
  tcase_add_test(tc, a_replica_with_a_gpu_down_is_routed_no_request);
  tcase_add_test(tc, a_host_or_link_down_mid_collective_ends_the_run_with_exit_1);
  suite_add_tcase(s, tc);
  tc = tcase_create("inference");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, in_flight_requests_of_a_failed_replica_are_resubmitted);
  tcase_add_test(tc, in_flight_requests_of_a_failed_replica_are_lost);
  tcase_add_test(tc, work_lost_with_a_failed_replica_costs_its_energy);
  tcase_add_test(tc, disaggregated_caches_on_the_wire_follow_the_retry_policy);
  tcase_add_test(tc, tool_calls_on_a_failed_host_are_retried);
  tcase_add_test(tc, a_provider_outage_fails_over_with_the_wan_added);
  tcase_add_test(tc, failover_goes_to_the_nearest_surviving_site);
  tcase_add_test(tc, the_multicloud_outage_scenario_runs);
  tcase_add_test(tc, the_gb200_131k_scenario_is_valid);
  tcase_add_test(tc, a_server_down_mid_request_moves_or_loses_its_requests);
  tcase_add_test(tc, links_down_mid_request_resubmit_or_lose_their_requests);
  tcase_add_test(tc, a_state_profile_turning_a_host_or_link_off_mid_request_ends_the_run_with_exit_1);
  suite_add_tcase(s, tc);
  tc = tcase_create("training");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, renewal_fast_path_agrees_with_the_event_run);
  tcase_add_test(tc, checkpoints_cost_their_write_time);
  tcase_add_test(tc, renewal_agrees_with_checkpoints_over_the_network);
  tcase_add_test(tc, checkpoint_bytes_go_over_the_links_to_storage);
  tcase_add_test(tc, a_job_that_cannot_progress_ends_the_run_with_exit_1);
  tcase_add_test(tc, a_job_waiting_for_a_repair_stops_at_its_wall_horizon);
  tcase_add_test(tc, daly_intervals_match_the_published_cases);
  tcase_add_test(tc, goodput_peaks_at_the_daly_interval);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(faults_suite)
