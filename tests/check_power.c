/* check_power.c -- tests of power.csv, the energy scopes and the cost columns, run through the racksim
 * command on small scenarios: every GPU of a TP8 replica draws busy power; an idle platform draws its
 * idle figures exactly; facility = IT x PUE; costs add up by hand; --set pricing changes cost alone;
 * windows merge without losing energy; link_windows.csv's bytes per class add up to links.csv's, merged
 * windows included; aggregated training counts the GPUs it stands for; a capped GPU computes slower by
 * exactly its curve and never draws more than its cap; a site budget caps the GPUs to fit; hot spare
 * servers draw their idle power; the renewal fast path draws the simulated step's power; the power
 * supplies divide the DC load; an NVL72 rack's overhead is its trays'; bad power and price keys exit 2 with
 * the key named. */
#include "check_util.h"
#include "base/base.h"
#include "hw/hw.h"
#include "model/model.h"
#include "scenario/scenario.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void setup(void)
{
  rs_test_tmpdir(dir, sizeof dir, "power");
}

static void teardown(void)
{
  rs_test_rmdir(dir);
}

/* An 8-GPU H200 server (p5en: 700 W TDP, 70 W idle per GPU; 2 x86 sockets of 280 W, 84 W idle). */
static const char* tp8 = "name: tp8\nplatform: {preset: p5en.48xlarge}\nworkloads:\n"
                         "  - kind: inference\n    model: {preset: llama3-8b}\n    gpus: 8\n    tp: 8\n"
                         "    mode: offline\n    requests: 256\n    prompt_tokens: 256\n    output_tokens: 128\n";

static double cell(const char* out, const char* file, size_t row, const char* column)
{
  return rs_test_table_value(dir, out, file, row, column);
}

/* Row (from 1) of power_summary.csv for scope (one site: rows gpu, cpu, network, overhead, psu, it,
 * facility). */
static size_t scope_row(const char* scope)
{
  static const char* const scopes[] = {"gpu", "cpu", "network", "overhead", "psu", "it", "facility"};
  for (size_t i = 0; i < 7; i++)
    if (strcmp(scopes[i], scope) == 0)
      return i + 1;
  ck_abort_msg("no scope %s", scope);
  return 0;
}

static double scope(const char* out, const char* name, const char* column)
{
  return cell(out, "power_summary.csv", scope_row(name), column);
}

/* A TP8 replica executes on all eight GPUs: if one GPU worked and seven idled, the eight would draw at
 * most 700 + 7 x 70 = 1,190 W; they draw more than twice that. */
START_TEST(every_gpu_of_a_tp8_replica_draws_busy_power)
{
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "out", ""), 0);
  double gpu_w = scope("out", "gpu", "mean_mw") * 1e6;
  ck_assert_msg(gpu_w > 2 * 1190, "GPU power %g W", gpu_w);
  ck_assert(gpu_w <= 8 * 700 + 1e-6);
  /* summary.csv's GPU energy is the same joules as power.csv's over the workload's span (it starts at 0) */
  double kwh = cell("out", "summary.csv", 1, "energy_gpu_kwh");
  ck_assert_double_eq_tol(kwh, scope("out", "gpu", "energy_mwh") * 1e3, kwh * 1e-9);
}
END_TEST

/* Before a workload starts the platform idles: GPUs 8 x 70 W, CPUs 2 x 84 W, ports 8 NICs x (20 + 12) W
 * plus 8 leaf uplink ports x (12 + 12) W, overhead 8 x 187.5 W: a DC load of 2,676 W, 2,787.5 W at the
 * wall through power supplies 0.96 efficient; facility = IT x 1.15. */
START_TEST(idle_platform_draws_its_idle_figures)
{
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "out", "--set workloads[0].start_s=3"), 0);
  ck_assert_double_eq_tol(scope("out", "gpu", "min_mw") * 1e6, 8 * 70, 1e-6);
  ck_assert_double_eq_tol(scope("out", "cpu", "min_mw") * 1e6, 2 * 84, 1e-6);
  ck_assert_double_eq_tol(scope("out", "network", "min_mw") * 1e6, 8 * 32 + 8 * 24, 1e-6);
  ck_assert_double_eq_tol(scope("out", "overhead", "min_mw") * 1e6, 8 * 187.5, 1e-6);
  /* the first window of power.csv: 0 to 1 s, scopes in order: the four parts, psu, it, facility */
  const double dc = 0.56 + 0.168 + 0.448 + 1.5;
  ck_assert_double_eq_tol(cell("out", "power.csv", 5, "kw"), dc / 0.96 - dc, 1e-9);
  ck_assert_double_eq_tol(cell("out", "power.csv", 6, "kw"), 2.7875, 1e-9);
  ck_assert_double_eq_tol(cell("out", "power.csv", 7, "kw"), 2.7875 * 1.15, 1e-9);
  /* the swing is the busy window less the idle one */
  ck_assert(scope("out", "it", "swing_mw") > 1e-3);
}
END_TEST

/* The workload's IT energy adds the site's other power to its GPUs'; facility is IT x PUE. */
START_TEST(scopes_nest_and_pue_scales)
{
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "out", "--set power.pue=1.3"), 0);
  double gpu = cell("out", "summary.csv", 1, "energy_gpu_kwh"), it = cell("out", "summary.csv", 1, "energy_it_kwh");
  double fac = cell("out", "summary.csv", 1, "energy_facility_kwh");
  ck_assert(it > gpu);
  ck_assert_double_eq_tol(fac, 1.3 * it, it * 1e-9);
  ck_assert_double_eq_tol(scope("out", "facility", "energy_mwh"), 1.3 * scope("out", "it", "energy_mwh"), 1e-15);
  double tokens = 256 * 128;
  ck_assert_double_eq_tol(cell("out", "summary.csv", 1, "joules_per_token_it"), it * 3.6e6 / tokens, 1e-9);
}
END_TEST

/* Cost = GPUs x hours x price; $ per million tokens = cost / output tokens x 1e6; the electricity bill =
 * facility kWh x $/kWh. */
START_TEST(costs_add_up_by_hand)
{
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "out", "--set pricing.usd_per_gpu_hour=3.6 --set power.usd_per_kwh=0.1"),
                   0);
  double dur  = cell("out", "summary.csv", 1, "duration_s");
  double cost = cell("out", "summary.csv", 1, "cost_usd");
  ck_assert_double_eq_tol(cost, 8 * dur / 3600 * 3.6, cost * 1e-9);
  ck_assert_double_eq_tol(cell("out", "summary.csv", 1, "usd_per_million_tokens"), cost / (256 * 128) * 1e6, 1e-9);
  double fac = cell("out", "summary.csv", 1, "energy_facility_kwh");
  ck_assert_double_eq_tol(cell("out", "summary.csv", 1, "energy_cost_usd"), fac * 0.1, fac * 1e-9);
  /* p5en's default: AWS on-demand $63.296/h for 8 GPUs */
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "def", ""), 0);
  ck_assert_double_eq_tol(cell("def", "summary.csv", 1, "cost_usd"), dur / 3600 * 63.296, 1e-9);
}
END_TEST

/* A price changes the cost columns and nothing else. */
START_TEST(set_pricing_changes_cost_alone)
{
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "a", ""), 0);
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "b", "--set pricing.usd_per_gpu_hour=1"), 0);
  rs_csv_t* a = rs_test_table(dir, "a", "summary.csv");
  rs_csv_t* b = rs_test_table(dir, "b", "summary.csv");
  ck_assert_int_eq(a->rows[0].n_cells, b->rows[0].n_cells);
  for (size_t c = 0; c < a->rows[0].n_cells; c++) {
    const char* name = a->rows[0].cells[c];
    int priced       = strcmp(name, "cost_usd") == 0 || strcmp(name, "usd_per_million_tokens") == 0;
    ck_assert_msg(priced == (strcmp(a->rows[1].cells[c], b->rows[1].cells[c]) != 0), "column %s", name);
  }
  rs_csv_free(a);
  rs_csv_free(b);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "cmp -s %s/a/power.csv %s/b/power.csv", dir, dir);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Past RS_POWER_MAX_WINDOWS windows neighbours merge: fewer rows, the same joules. */
START_TEST(windows_merge_without_losing_energy)
{
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "fine", "--set power.window_s=1e-4"), 0);
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "coarse", "--set power.window_s=10"), 0);
  rs_csv_t* t = rs_test_table(dir, "fine", "power.csv");
  ck_assert(t->n_rows - 1 <= RS_POWER_MAX_WINDOWS * 7); /* seven scopes a window */
  ck_assert(t->n_rows - 1 > 7 * 100);
  rs_csv_free(t);
  ck_assert(scope("fine", "it", "window_s") > 1e-4);
  double fine = scope("fine", "it", "energy_mwh"), coarse = scope("coarse", "it", "energy_mwh");
  ck_assert_double_eq_tol(fine, coarse, coarse * 1e-9);
  ck_assert(scope("fine", "gpu", "peak_mw") >= scope("coarse", "gpu", "peak_mw") - 1e-12);
}
END_TEST

/* link_windows.csv shares power.csv's windows (merged as they merge) and loses no byte: per class, its
 * windows' bytes add up to links.csv's, and each window's utilisation is its bytes over the class's
 * capacity and the window's length. Without outputs.link_windows there is no such table. */
START_TEST(link_windows_add_up_to_links_csv)
{
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "plain", ""), 0);
  char path[128];
  snprintf(path, sizeof path, "%s/plain/link_windows.csv", dir);
  ck_assert(access(path, F_OK) != 0);
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "out", "--set power.window_s=1e-4 --set outputs.link_windows=true"), 0);
  rs_csv_t* w     = rs_test_table(dir, "out", "link_windows.csv");
  rs_csv_t* links = rs_test_table(dir, "out", "links.csv");
  rs_csv_t* power = rs_test_table(dir, "out", "power.csv");
  size_t classes  = links->n_rows - 1;
  ck_assert_uint_eq((w->n_rows - 1) * 7, (power->n_rows - 1) * classes); /* the same windows */
  ck_assert((power->n_rows - 1) / 7 > 100);
  ck_assert(scope("out", "gpu", "window_s") > 1e-4); /* the windows merged at least once */
  int cls = rs_csv_column(w, "class"), bytes = rs_csv_column(w, "bytes"), util = rs_csv_column(w, "utilisation");
  int t0 = rs_csv_column(w, "start_s"), t1 = rs_csv_column(w, "end_s");
  double nvlink_max = 0;
  for (size_t c = 1; c < links->n_rows; c++) {
    const char* name = links->rows[c].cells[rs_csv_column(links, "class")];
    double want = strtod(links->rows[c].cells[rs_csv_column(links, "bytes")], NULL), sum = 0;
    double cap = strtod(links->rows[c].cells[rs_csv_column(links, "capacity_bytes_per_s")], NULL);
    for (size_t r = 1; r < w->n_rows; r++) {
      if (strcmp(w->rows[r].cells[cls], name) != 0)
        continue;
      double b   = strtod(w->rows[r].cells[bytes], NULL);
      double len = strtod(w->rows[r].cells[t1], NULL) - strtod(w->rows[r].cells[t0], NULL);
      sum += b;
      ck_assert_double_eq_tol(strtod(w->rows[r].cells[util], NULL), b / (cap * len), 1e-9 * (1 + b / (cap * len)));
      if (strcmp(name, "nvlink") == 0)
        nvlink_max = fmax(nvlink_max, b / (cap * len));
    }
    ck_assert_msg(fabs(sum - want) <= 1e-9 * want, "%s: windows %.17g, links.csv %.17g", name, sum, want);
  }
  ck_assert(nvlink_max > 0); /* TP8 all-reduces over NVLink */
  rs_csv_free(w);
  rs_csv_free(links);
  rs_csv_free(power);
}
END_TEST

/* Aggregated training runs some DP replicas and stands for the others: power.csv counts the others as
 * drawing what the live ones draw, so its GPU energy is the workload's (beside idle GPUs, none here). */
START_TEST(aggregated_training_counts_the_gpus_it_stands_for)
{
  const char* yaml = "name: agg\nplatform:\n  generate: {server: p5.48xlarge, servers: 4}\nworkloads:\n"
                     "  - kind: training\n    model: {preset: gpt-1.7b, layers: 4}\n    mode: aggregated\n"
                     "    tp: 8\n    global_batch: 8\n    iterations: 1\n";
  ck_assert_int_eq(rs_test_run_yaml(dir, yaml, "out", ""), 0);
  double kwh = cell("out", "summary.csv", 1, "energy_gpu_kwh");
  ck_assert_double_eq_tol(scope("out", "gpu", "energy_mwh") * 1e3, kwh, kwh * 1e-6);
  double idle_kwh = 32 * 70 * cell("out", "summary.csv", 1, "duration_s") / 3.6e6;
  ck_assert_msg(kwh > 1.5 * idle_kwh, "%g kWh against %g idle", kwh, idle_kwh);
}
END_TEST

/* An H100 as the model layer sees it (700 W TDP, 70 W idle: hw.h), capped at cap_w (0: not). */
static rs_gpu_model_t h100(double cap_w)
{
  rs_gpu_model_t m           = {.name = "H100", .tdp_watts = 700, .idle_watts = 70, .hbm_bytes_per_s = 3.35e12};
  m.peak_flops[RS_PREC_BF16] = 989e12;
  m.calib                    = rs_hw_calib("H100");
  if (cap_w > 0) {
    m.cap_watts = cap_w;
    m.cap_speed = rs_gpu_cap_speed(&m, cap_w);
  }
  return m;
}

/* The Hopper curve (presets.c): (1, 1), (0.857, 0.875), (0.5, 0.5), (0.1, 0), linear between. A
 * compute-bound matmul takes 1 / speed times as long; an HBM-bound one as long as uncapped. */
START_TEST(capped_gpu_is_slower_by_exactly_the_curve)
{
  rs_gpu_model_t free_gpu = h100(0);
  ck_assert_double_eq(rs_gpu_cap_speed(&free_gpu, 700), 1);
  ck_assert_double_eq(rs_gpu_cap_speed(&free_gpu, 900), 1);
  ck_assert_double_eq_tol(rs_gpu_cap_speed(&free_gpu, 599.9), 0.875, 1e-12);
  ck_assert_double_eq_tol(rs_gpu_cap_speed(&free_gpu, 350), 0.5, 1e-12);
  ck_assert_double_eq_tol(rs_gpu_cap_speed(&free_gpu, 0.6785 * 700), (0.875 + 0.5) / 2, 1e-12);
  ck_assert_double_eq_tol(rs_gpu_cap_speed(&free_gpu, 0.3 * 700), 0.25, 1e-12);
  ck_assert_double_eq(rs_gpu_cap_speed(&free_gpu, 70), -1); /* not above idle */
  rs_gpu_model_t other = {.name = "TPUv9", .tdp_watts = 700, .idle_watts = 70};
  ck_assert_double_eq(rs_gpu_cap_speed(&other, 600), -1); /* no curve */

  rs_gpu_model_t capped = h100(350);
  double flops = 1e15, t = rs_gpu_seconds(&free_gpu, RS_PREC_BF16, flops, 0);
  ck_assert_double_eq_tol(rs_gpu_seconds(&capped, RS_PREC_BF16, flops, 0), 2 * t, t * 1e-12);
  double bytes = 1e12; /* HBM-bound: one FLOP per byte */
  ck_assert_double_eq(rs_gpu_seconds(&capped, RS_PREC_BF16, bytes, bytes),
                      rs_gpu_seconds(&free_gpu, RS_PREC_BF16, bytes, bytes));
  rs_work_t w = {.gemm_flops = flops, .gemm_prec = RS_PREC_BF16, .attn_flops = flops / 4, .attn_prec = RS_PREC_BF16};
  ck_assert_double_eq_tol(rs_gpu_work_seconds(&capped, &w), 2 * rs_gpu_work_seconds(&free_gpu, &w), t * 1e-12);
}
END_TEST

/* Capped at 350 W, the eight GPUs of a TP8 replica never draw more than 8 x 350 W in any window, and
 * serve the same requests more slowly than uncapped. */
START_TEST(capped_gpus_never_draw_more_than_the_cap)
{
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "free", ""), 0);
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "capped", "--set power.gpu_cap_w=350"), 0);
  char out[8192];
  ck_assert_int_eq(rs_test_run(out, sizeof out, dir, RS_RACKSIM_BIN, "validate s.yaml --set power.gpu_cap_w=350"), 0);
  ck_assert_msg(strstr(out, "H200 GPUs capped at 350 W of 700 W: compute at 0.5 of its uncapped speed"), "%s", out);
  double peak = scope("capped", "gpu", "peak_mw") * 1e6;
  ck_assert_msg(peak <= 8 * 350 * (1 + 1e-9), "peak %g W", peak);
  ck_assert_msg(peak > 8 * 350 * 0.6, "peak %g W: the GPUs should be mostly busy", peak);
  ck_assert_msg(scope("free", "gpu", "peak_mw") * 1e6 > 8 * 350, "uncapped draws no more than the cap");
  double slow = cell("capped", "summary.csv", 1, "duration_s"), fast = cell("free", "summary.csv", 1, "duration_s");
  ck_assert_msg(slow > fast * 1.05, "capped %g s against %g s", slow, fast);
  ck_assert_msg(slow <= fast * 2 * (1 + 1e-9), "capped %g s: more than 1 / 0.5 times %g s", slow, fast);
}
END_TEST

/* over_budget: cap: p5en at full load draws 2,732 W beside its GPUs (site_budget test below); a budget
 * of 8 kW at PUE 1.15 through power supplies 0.96 efficient leaves 8,000 / 1.15 x 0.96 - 2,732 = 3,946.3 W
 * of DC load for 8 GPUs, 493.28 W each. */
START_TEST(site_budget_caps_the_gpus_to_fit)
{
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "cap", "--set power.site_budget_mw=0.008 --set power.over_budget=cap"),
                   0);
  char out[8192];
  ck_assert_int_eq(rs_test_run(out, sizeof out, dir, RS_RACKSIM_BIN,
                               "validate s.yaml --set power.site_budget_mw=0.008 --set power.over_budget=cap"),
                   0);
  ck_assert_msg(strstr(out, "H200 GPUs capped at 493.3 W of 700 W"), "%s", out);
  ck_assert_msg(scope("cap", "facility", "peak_mw") <= 0.008, "facility peak %g MW",
                scope("cap", "facility", "peak_mw"));
  ck_assert_msg(scope("cap", "gpu", "peak_mw") * 1e6 <= 8 * 493.283, "GPU peak %g W",
                scope("cap", "gpu", "peak_mw") * 1e6);
  /* too small even with the GPUs at idle: 2,732 + 8 x 70 = 3,292 W, / 0.96 x 1.15 = 3,943.5 W */
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "tiny", "--set power.site_budget_mw=0.003 --set power.over_budget=cap"),
                   2);
  ck_assert_msg(rs_test_file_has(dir, "err", "power.site_budget_mw: expected more than 0.00394354 MW"), "no message");
  char tiny[192];
  snprintf(tiny, sizeof tiny, "%s/tiny/summary.csv", dir);
  ck_assert_msg(access(tiny, F_OK) != 0, "a refused run wrote summary.csv");
}
END_TEST

/* Under failures:, the spare servers training holds are paid over its span beside its own GPUs:
 * resilience-small (16 H100 on two p5.48xlarge, at $6.88 per GPU-hour) with 2 spare servers of 8 GPUs
 * pays (16 + 16) GPU-hours per hour; with none, 16. Downtime is inside the span, so it is paid too. */
START_TEST(spare_servers_are_paid)
{
  char out[8192];
  static const char* const spares[] = {"0", "2"};
  static const double paid[]        = {16, 32};
  for (int k = 0; k < 2; k++) {
    ck_assert_int_eq(rs_test_run(out, sizeof out, RS_SOURCE_DIR, RS_RACKSIM_BIN,
                                 "run scenarios/resilience-small.yaml -q -o %s/sp%s --set failures.training.spares=%s",
                                 dir, spares[k], spares[k]),
                     0);
    char name[16];
    snprintf(name, sizeof name, "sp%s", spares[k]);
    double dur = cell(name, "summary.csv", 1, "duration_s"), cost = cell(name, "summary.csv", 1, "cost_usd");
    ck_assert_msg(cell(name, "summary.csv", 1, "downtime_s") > 0, "no downtime to pay for");
    ck_assert_double_eq_tol(cost, paid[k] * dur / 3600 * 6.88, cost * 1e-9);
  }
}
END_TEST

/* A job on two p5.48xlarge (16 H100) that never fails (an MTBF of 1e12 h), so that spares change nothing
 * else in its timeline. */
static const char* never_fails =
    "name: spares\nplatform: {generate: {server: p5.48xlarge, servers: 2}}\nworkloads:\n"
    "  - kind: training\n    model: {preset: gpt-1.7b, layers: 2, seq_len: 256}\n    tp: 8\n"
    "    micro_batch: 1\n    global_batch: 2\n    precision: bf16\n    iterations: 50\n"
    "failures:\n  classes:\n    - {class: gpu, mtbf_h: 1e12, repair: {mean_h: 1}}\n"
    "  training: {checkpoint_write_s: 0.004, restart_s: 0.02}\noutputs: {collectives_max_rows: 0}\n";

/* A hot spare server draws its idle power over its job's span: per p5.48xlarge 8 GPUs x 70 W, 2 CPUs x
 * 84 W, 8 NIC ports x (20 + 12) W and 8 x 187.5 W of overhead, 2,484 W of DC load; two spares add 4,968 W
 * / 0.96 (the power supplies) = 5,175 W to every window of power.csv's IT scope and 1.15 times that to its
 * facility scope, and as much energy to the job's IT and facility scopes over its span; its own GPUs'
 * energy is unchanged, and a site budget counts them. */
START_TEST(spare_servers_draw_idle_power)
{
  const double spare_w = 2 * (8 * 70 + 2 * 84 + 8 * 32 + 8 * 187.5) / 0.96;
  ck_assert_int_eq(rs_test_run_yaml(dir, never_fails, "sp0", "--set power.window_s=0.01"), 0);
  ck_assert_int_eq(
      rs_test_run_yaml(dir, never_fails, "sp2", "--set power.window_s=0.01 --set failures.training.spares=2"), 0);
  double dur = cell("sp0", "summary.csv", 1, "duration_s");
  ck_assert_msg(dur > 0.02, "a span of %g s holds no whole window", dur);
  ck_assert_double_eq_tol(cell("sp2", "summary.csv", 1, "duration_s"), dur, 1e-12);
  ck_assert_msg(cell("sp2", "summary.csv", 1, "interruptions") == 0, "the job failed");
  ck_assert_double_eq_tol(cell("sp2", "summary.csv", 1, "energy_gpu_kwh"),
                          cell("sp0", "summary.csv", 1, "energy_gpu_kwh"), 1e-15);
  double it = spare_w * dur / 3.6e6; /* kWh */
  ck_assert_double_eq_tol(
      cell("sp2", "summary.csv", 1, "energy_it_kwh") - cell("sp0", "summary.csv", 1, "energy_it_kwh"), it, it * 1e-9);
  ck_assert_double_eq_tol(cell("sp2", "summary.csv", 1, "energy_facility_kwh") -
                              cell("sp0", "summary.csv", 1, "energy_facility_kwh"),
                          1.15 * it, it * 1e-9);
  ck_assert_double_eq_tol(scope("sp2", "it", "energy_mwh") - scope("sp0", "it", "energy_mwh"), it / 1e3, it * 1e-12);
  ck_assert_double_eq_tol(scope("sp2", "cpu", "mean_mw") - scope("sp0", "cpu", "mean_mw"), 2 * 2 * 84 / 1e6, 1e-12);
  /* the second window, 0.01 to 0.02 s: rows 8 to 14, it and facility last */
  ck_assert_double_eq_tol(cell("sp2", "power.csv", 13, "kw") - cell("sp0", "power.csv", 13, "kw"), spare_w / 1e3, 1e-9);
  ck_assert_double_eq_tol(cell("sp2", "power.csv", 14, "kw") - cell("sp0", "power.csv", 14, "kw"), 1.15 * spare_w / 1e3,
                          1e-9);
  /* a site budget counts them at full load: (16,664 W without them + 4,968 W) / 0.96 x 1.15 = 25,913.3 W */
  ck_assert_int_eq(
      rs_test_run_yaml(dir, never_fails, "b", "--set failures.training.spares=2 --set power.site_budget_mw=0.02"), 2);
  ck_assert_msg(rs_test_file_has(dir, "err", "power.site_budget_mw: expected at least 0.0259133 MW"), "no message");
}
END_TEST

/* The renewal fast path (failures.training.renewal_after) sleeps through the iterations it does not
 * simulate, and its GPUs draw the simulated step's power all the same: with no failure, the job's GPU
 * energy and power.csv's are those of simulating every iteration, and no window falls to idle (16 x
 * 70 W). Under a wall horizon, tokens count the iterations the job reached, not the ones asked for. */
START_TEST(renewal_draws_the_steps_power)
{
  ck_assert_int_eq(rs_test_run_yaml(dir, never_fails, "ev", "--set power.window_s=0.01"), 0);
  ck_assert_int_eq(
      rs_test_run_yaml(dir, never_fails, "rn", "--set power.window_s=0.01 --set failures.training.renewal_after=2"), 0);
  double ev = cell("ev", "summary.csv", 1, "energy_gpu_kwh");
  ck_assert_double_eq_tol(cell("rn", "summary.csv", 1, "energy_gpu_kwh"), ev, ev * 1e-9);
  ck_assert_double_eq_tol(scope("rn", "gpu", "energy_mwh"), scope("ev", "gpu", "energy_mwh"), ev * 1e-12);
  ck_assert_msg(scope("rn", "gpu", "min_mw") * 1e6 > 2 * 16 * 70, "a window at %g W",
                scope("rn", "gpu", "min_mw") * 1e6);
  /* a horizon of 1e-5 h (36 ms) stops the job before its 50 iterations; 2 sequences of 256 tokens each */
  ck_assert_int_eq(rs_test_run_yaml(dir, never_fails, "w",
                                    "--set failures.training.renewal_after=2 --set failures.training.wall_h=1e-5"),
                   0);
  double ops = cell("w", "summary.csv", 1, "operations"), j = cell("w", "summary.csv", 1, "energy_j");
  ck_assert_msg(ops > 2 && ops < 50, "%g iterations", ops);
  ck_assert_double_eq_tol(cell("w", "summary.csv", 1, "joules_per_token"), j / (ops * 2 * 256), j / (ops * 512) * 1e-9);
}
END_TEST

/* An agentic workload pays the CPU fleet hosts of its pools over its span: agentic-tools holds 2
 * Graviton4 fleet hosts of 192 cores (its storage pool is a rack's CPU, paid with the rack): per
 * instance-hour 2 x $1.5, per core-hour 384 x $0.01; no price, no cost. */
START_TEST(cpu_pools_are_paid)
{
  char out[8192];
  static const char* const sets[] = {"pricing.usd_per_cpu_host_hour=1.5", "pricing.usd_per_cpu_core_hour=0.01"};
  static const double per_h[]     = {2 * 1.5, 384 * 0.01};
  for (int k = 0; k < 2; k++) {
    ck_assert_int_eq(rs_test_run(out, sizeof out, RS_SOURCE_DIR, RS_RACKSIM_BIN,
                                 "run scenarios/agentic-tools.yaml -q -o %s/cpu%d --set %s", dir, k, sets[k]),
                     0);
    char name[16];
    snprintf(name, sizeof name, "cpu%d", k);
    double dur = cell(name, "summary.csv", 1, "duration_s"), cost = cell(name, "summary.csv", 1, "cost_usd");
    ck_assert_double_eq_tol(cost, per_h[k] * dur / 3600, cost * 1e-9);
  }
  ck_assert_int_eq(rs_test_run(out, sizeof out, RS_SOURCE_DIR, RS_RACKSIM_BIN,
                               "run scenarios/agentic-tools.yaml -q -o %s/cpu_free", dir),
                   0);
  ck_assert_double_eq(cell("cpu_free", "summary.csv", 1, "cost_usd"), 0); /* an empty cell reads 0 */
  /* no price: an empty cell, not a cost of 0 */
  rs_csv_t* sum = rs_test_table(dir, "cpu_free", "summary.csv");
  ck_assert_str_eq(sum->rows[1].cells[rs_csv_column(sum, "cost_usd")], "");
  rs_csv_free(sum);
}
END_TEST

/* The power supplies: IT = DC load / power.psu_efficiency, the psu scope their difference, and the GPU
 * scope (what the chips draw) unchanged. Idle p5en (the test above): 2,676 W of DC load; at 0.8, 3,345 W
 * at the wall and 669 W lost; at 1, no loss. The workload's IT energy scales by 0.96 / 0.8 with it. */
START_TEST(psu_efficiency_divides_the_dc_load)
{
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "d", "--set workloads[0].start_s=3"), 0);
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "e", "--set workloads[0].start_s=3 --set power.psu_efficiency=0.8"), 0);
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "f", "--set workloads[0].start_s=3 --set power.psu_efficiency=1"), 0);
  ck_assert_double_eq_tol(scope("e", "it", "min_mw") * 1e6, 3345, 1e-6);
  ck_assert_double_eq_tol(scope("e", "psu", "min_mw") * 1e6, 669, 1e-6);
  ck_assert_double_eq_tol(scope("f", "it", "min_mw") * 1e6, 2676, 1e-6);
  ck_assert_double_eq_tol(scope("f", "psu", "energy_mwh"), 0, 1e-15);
  ck_assert_double_eq_tol(scope("e", "gpu", "energy_mwh"), scope("d", "gpu", "energy_mwh"), 1e-15);
  double gpu = cell("d", "summary.csv", 1, "energy_gpu_kwh"), it = cell("d", "summary.csv", 1, "energy_it_kwh");
  ck_assert_double_eq_tol(cell("e", "summary.csv", 1, "energy_gpu_kwh"), gpu, gpu * 1e-12);
  ck_assert_double_eq_tol(cell("e", "summary.csv", 1, "energy_it_kwh"), it * 0.96 / 0.8, it * 1e-9);
  ck_assert_double_eq_tol(cell("e", "summary.csv", 1, "energy_facility_kwh"), 1.15 * it * 0.96 / 0.8, it * 1e-9);
}
END_TEST

/* An NVL72 rack's overhead beside its GPUs, Grace CPUs and NIC ports: per compute tray 6,500 W less two
 * 2,700 W superchips less 4 NIC ports at 30 W, plus half a 400 W switch tray: 1,180 W, 295 W per GPU, so
 * 72 x 295 = 21,240 W for the rack, all the time (sim/hw/presets.c cites the figures). */
START_TEST(nvl72_overhead_is_its_trays)
{
  static const char* rack = "name: rack\nplatform: {preset: u-p6e-gb200x72}\nworkloads:\n"
                            "  - kind: inference\n    model: {preset: llama3-8b}\n    gpus: 8\n    tp: 8\n"
                            "    mode: offline\n    requests: 16\n    prompt_tokens: 128\n    output_tokens: 16\n";
  ck_assert_int_eq(rs_test_run_yaml(dir, rack, "r", "--set workloads[0].start_s=2"), 0);
  ck_assert_double_eq_tol(scope("r", "overhead", "min_mw") * 1e6, 72 * 295, 1e-6);
  ck_assert_double_eq_tol(scope("r", "overhead", "peak_mw") * 1e6, 72 * 295, 1e-6);
  ck_assert_double_eq_tol(scope("r", "gpu", "min_mw") * 1e6, 72 * 120, 1e-6); /* idle before it starts */
}
END_TEST

/* Each bad key exits 2 with the file, line and key. */
START_TEST(bad_power_keys_exit_2)
{
  static const char* const cases[][2] = {
      {"--set power.pue=0.9", "power.pue: expected a number from 1 to 10, got '0.9'"},
      {"--set pricing.usd_per_gpu_hour=-1", "pricing.usd_per_gpu_hour: expected a number from 1e-06"},
      {"--set power.nic_idle_w=40", "power.nic_idle_w: expected at most nic_max_w (30 W), got '40'"},
      {"--set power.window_s=0", "power.window_s: expected a number from 1e-06"},
      {"--set power.overhead_w_per_gpu=-5", "power.overhead_w_per_gpu: expected a number from 0"},
      {"--set power.gpu_cap_w=50",
       "power.gpu_cap_w: expected a GPU power cap above H200's idle power (70 W), got '50 W'"},
      {"--set pricing.usd_per_cpu_core_hour=-0.1", "pricing.usd_per_cpu_core_hour: expected a number from 1e-06"},
      {"--set power.site_budget_mw=-1", "power.site_budget_mw: expected a number from 1e-06"},
      {"--set power.over_budget=throttle", "power.over_budget: expected"},
      {"--set power.psu_efficiency=1.2", "power.psu_efficiency: expected a number from 0.5 to 1, got '1.2'"},
      {"--set power.psu_efficiency=0.4", "power.psu_efficiency: expected a number from 0.5 to 1, got '0.4'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "bad", cases[i][0]), 2);
    ck_assert_msg(rs_test_file_has(dir, "err", cases[i][1]), "%s", cases[i][0]);
  }
}
END_TEST

/* A site budget refuses a platform that could draw more at full load: p5en draws 8 x 700 W of GPUs,
 * 2 x 280 W of CPUs, 8 NIC links x (30 + 18) W and 8 uplink ports x (18 + 18) W at most, 1,500 W of
 * overhead: 8,332 W of DC load, / 0.96 = 8,679.2 W at the wall, x 1.15 = 9,981.0 W. */
START_TEST(site_budget_refuses_a_platform_that_cannot_fit)
{
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "small", "--set power.site_budget_mw=0.0099"), 2);
  ck_assert_msg(
      rs_test_file_has(dir, "err", "power.site_budget_mw: expected at least 0.00998104 MW, what site 0 draws"),
      "no message");
  ck_assert_int_eq(rs_test_run_yaml(dir, tp8, "fits", "--set power.site_budget_mw=0.01"), 0);
}
END_TEST

static Suite* power_suite(void)
{
  Suite* s  = suite_create("power");
  TCase* tc = tcase_create("power");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, every_gpu_of_a_tp8_replica_draws_busy_power);
  tcase_add_test(tc, idle_platform_draws_its_idle_figures);
  tcase_add_test(tc, scopes_nest_and_pue_scales);
  tcase_add_test(tc, costs_add_up_by_hand);
  tcase_add_test(tc, set_pricing_changes_cost_alone);
  tcase_add_test(tc, windows_merge_without_losing_energy);
  tcase_add_test(tc, link_windows_add_up_to_links_csv);
  tcase_add_test(tc, aggregated_training_counts_the_gpus_it_stands_for);
  tcase_add_test(tc, bad_power_keys_exit_2);
  tcase_add_test(tc, site_budget_refuses_a_platform_that_cannot_fit);
  tcase_add_test(tc, capped_gpu_is_slower_by_exactly_the_curve);
  tcase_add_test(tc, capped_gpus_never_draw_more_than_the_cap);
  tcase_add_test(tc, site_budget_caps_the_gpus_to_fit);
  tcase_add_test(tc, spare_servers_are_paid);
  tcase_add_test(tc, spare_servers_draw_idle_power);
  tcase_add_test(tc, renewal_draws_the_steps_power);
  tcase_add_test(tc, cpu_pools_are_paid);
  tcase_add_test(tc, psu_efficiency_divides_the_dc_load);
  tcase_add_test(tc, nvl72_overhead_is_its_trays);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(power_suite)
