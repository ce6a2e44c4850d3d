/* run.c -- one simulation from start to end: checks, outputs, the engine, progress and the summary.
 * Does not know what a workload does: workload.h does. See LICENSE. */
#include "run.h"

#include "workload.h"

#include <math.h>
#include <simgrid/engine.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <xbt/log.h>
#include <xbt/sysdep.h>

XBT_LOG_NEW_CATEGORY(racksim, "racksim: messages of the simulator itself");
XBT_LOG_NEW_DEFAULT_SUBCATEGORY(rs_run, racksim, "one racksim run");

static const rs_col_t summary_cols[] = {
    {"workload", RS_COL_TEXT},
    {"kind", RS_COL_TEXT},
    {"gpus", RS_COL_INT},
    {"start_s", RS_COL_NUM},
    {"end_s", RS_COL_NUM},
    {"duration_s", RS_COL_NUM},
    {"operations", RS_COL_INT},
    {"max_algbw_gbytes_per_s", RS_COL_NUM},
    {"max_busbw_gbytes_per_s", RS_COL_NUM},
    {"busbw_at_bytes", RS_COL_NUM},
    {"tokens_per_s", RS_COL_NUM},
    {"tflops_per_gpu", RS_COL_NUM},
    {"mfu", RS_COL_NUM},
    {"energy_j", RS_COL_NUM},
    {"joules_per_token", RS_COL_NUM},
    {"requests", RS_COL_NUM},
    {"tokens_per_s_per_gpu", RS_COL_NUM},
    {"ttft_p50_s", RS_COL_NUM},
    {"ttft_p90_s", RS_COL_NUM},
    {"ttft_p99_s", RS_COL_NUM},
    {"tpot_p50_s", RS_COL_NUM},
    {"tpot_p90_s", RS_COL_NUM},
    {"tpot_p99_s", RS_COL_NUM},
    {"latency_p50_s", RS_COL_NUM},
    {"latency_p90_s", RS_COL_NUM},
    {"latency_p99_s", RS_COL_NUM},
    {"goodput_requests_per_s", RS_COL_NUM},
    {"slo_attainment", RS_COL_NUM},
    {"preemptions", RS_COL_NUM},
    {"cpu_cores", RS_COL_NUM},
    {"cpu_utilisation", RS_COL_NUM},
};

static const rs_col_t events_cols[] = {
    {"start_s", RS_COL_NUM}, {"end_s", RS_COL_NUM},  {"duration_s", RS_COL_NUM},
    {"workload", RS_COL_TEXT}, {"event", RS_COL_TEXT}, {"detail", RS_COL_TEXT},
};

#define N_COLS(c) ((int)(sizeof c / sizeof c[0]))

rs_run_t* rs_run_new(const rs_scenario_t* sc, const rs_platform_t* plat, rs_verbosity_t verbosity)
{
  rs_run_t* run      = xbt_new0(rs_run_t, 1);
  run->sc            = sc;
  run->plat          = plat;
  run->verbosity     = verbosity;
  run->show_progress = verbosity != RS_QUIET && isatty(2);
  run->summaries     = xbt_new0(rs_wl_summary_t, sc->n_workloads);
  run->states        = xbt_new0(void*, sc->n_workloads);
  for (int i = 0; i < sc->n_workloads; i++) { /* not applicable until a workload says otherwise */
    rs_wl_summary_t* s = &run->summaries[i];
    s->max_algbw_bytes_per_s = s->max_busbw_bytes_per_s = s->busbw_at_bytes = NAN;
    s->tokens_per_s = s->tflops_per_gpu = s->mfu = NAN;
    s->energy_j = s->joules_per_token = NAN;
    s->requests = s->tokens_per_s_per_gpu = s->goodput_requests_per_s = s->slo_attainment = s->preemptions = NAN;
    for (int k = 0; k < 3; k++)
      s->ttft_s[k] = s->tpot_s[k] = s->latency_s[k] = NAN;
    s->cpu_cores = s->cpu_utilisation = NAN;
  }
  return run;
}

void rs_run_free(rs_run_t* run)
{
  if (run == NULL)
    return;
  for (int i = 0; i < run->sc->n_workloads; i++)
    rs_workload_free(run, i);
  rs_out_close(run->out);
  free(run->summaries);
  free(run->states);
  free(run);
}

int rs_run_check(rs_run_t* run, rs_err_t* err)
{
  for (int i = 0; i < run->sc->n_workloads; i++)
    if (rs_workload_check(run, i, err) != RS_OK)
      return RS_ERR;
  return RS_OK;
}

rs_table_t* rs_run_table(rs_run_t* run, const char* name, const rs_col_t* cols, int n_cols, rs_err_t* err)
{
  return rs_out_table(run->out, name, cols, n_cols, err);
}

void rs_run_event(rs_run_t* run, double start_s, double end_s, const char* workload, const char* event,
                  const char* detail)
{
  rs_table_t* t = run->events;
  if (t == NULL)
    return;
  rs_cell_num(t, start_s);
  rs_cell_num(t, end_s);
  rs_cell_num(t, end_s - start_s);
  rs_cell_text(t, workload);
  rs_cell_text(t, event);
  rs_cell_text(t, detail);
  rs_row_end(t);
}

double rs_run_wall_clock(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void rs_run_progress(rs_run_t* run, double units)
{
  run->work_done += units;
  if (!run->show_progress)
    return;
  double now = rs_run_wall_clock();
  if (now < run->next_progress_wall)
    return;
  run->next_progress_wall = now + 0.2;
  double pct              = run->work_total > 0 ? 100.0 * run->work_done / run->work_total : 0;
  fprintf(stderr, "\r  simulated %.6g s, %.0f%% of the work done ", simgrid_get_clock(), pct);
  fflush(stderr);
}

static void write_summary(rs_run_t* run, rs_table_t* t)
{
  for (int i = 0; i < run->sc->n_workloads; i++) {
    const rs_sc_workload_t* wl = &run->sc->workloads[i];
    const rs_wl_summary_t* s   = &run->summaries[i];
    rs_cell_text(t, wl->name);
    rs_cell_text(t, rs_wl_kind_name(wl->kind));
    rs_cell_int(t, s->gpus);
    rs_cell_num(t, s->start_s);
    rs_cell_num(t, s->end_s);
    rs_cell_num(t, s->end_s - s->start_s);
    rs_cell_int(t, s->operations);
    rs_cell_num(t, s->max_algbw_bytes_per_s / 1e9);
    rs_cell_num(t, s->max_busbw_bytes_per_s / 1e9);
    rs_cell_num(t, s->busbw_at_bytes);
    rs_cell_num(t, s->tokens_per_s);
    rs_cell_num(t, s->tflops_per_gpu);
    rs_cell_num(t, s->mfu);
    rs_cell_num(t, s->energy_j);
    rs_cell_num(t, s->joules_per_token);
    rs_cell_num(t, s->requests);
    rs_cell_num(t, s->tokens_per_s_per_gpu);
    for (int k = 0; k < 3; k++)
      rs_cell_num(t, s->ttft_s[k]);
    for (int k = 0; k < 3; k++)
      rs_cell_num(t, s->tpot_s[k]);
    for (int k = 0; k < 3; k++)
      rs_cell_num(t, s->latency_s[k]);
    rs_cell_num(t, s->goodput_requests_per_s);
    rs_cell_num(t, s->slo_attainment);
    rs_cell_num(t, s->preemptions);
    rs_cell_num(t, s->cpu_cores);
    rs_cell_num(t, s->cpu_utilisation);
    rs_row_end(t);
  }
}

static int open_outputs(rs_run_t* run, rs_err_t* err)
{
  if ((run->out = rs_out_open(run->sc->outputs.dir, err)) == NULL)
    return RS_ERR;
  if (run->sc->outputs.events && (run->events = rs_run_table(run, "events", events_cols, N_COLS(events_cols), err)) == NULL)
    return RS_ERR;
  return RS_OK;
}

int rs_run_execute(rs_run_t* run, rs_err_t* err)
{
  if (open_outputs(run, err) != RS_OK)
    return RS_EXIT_INPUT;
  rs_table_t* summary = rs_run_table(run, "summary", summary_cols, N_COLS(summary_cols), err);
  if (summary == NULL)
    return RS_EXIT_INPUT;
  for (int i = 0; i < run->sc->n_workloads; i++)
    if (rs_workload_start(run, i, err) != RS_OK)
      return RS_EXIT_SIM;
  simgrid_run();
  if (run->show_progress)
    fprintf(stderr, "\r%60s\r", "");
  for (int i = 0; i < run->sc->n_workloads; i++)
    if (!run->summaries[i].finished) {
      rs_err_set(err, "workload %s did not finish: its actors were left waiting at simulated time %g s",
                 run->sc->workloads[i].name, simgrid_get_clock());
      return RS_EXIT_SIM;
    }
  write_summary(run, summary);
  if (rs_run_links_write(run, err) != RS_OK)
    return RS_EXIT_INPUT;
  return rs_out_commit(run->out, err) == RS_OK ? RS_EXIT_OK : RS_EXIT_SIM;
}

/* ---- percentiles ------------------------------------------------------------------------------- */

static int by_value(const void* a, const void* b)
{
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile q of the n sorted values: the smallest value with at least q n at or below. */
static double percentile(const double* v, long long n, double q)
{
  if (n == 0)
    return NAN;
  long long k = (long long)ceil(q * n) - 1;
  return v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

void rs_run_percentiles(double* v, long long n, double out[3])
{
  static const double qs[3] = {0.5, 0.9, 0.99};
  qsort(v, n, sizeof *v, by_value);
  for (int k = 0; k < 3; k++)
    out[k] = percentile(v, n, qs[k]);
}
