/* run.c -- one simulation from start to end: checks, outputs, the engine, progress and the summary.
 * Knows no workload kind: each is one rs_wl_ops_t entry, handed in by the caller. See LICENSE. */
#include "run/run.h"
#include "run/run_int.h"

#include <string.h>
#include <xbt/asserts.h>

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

/* The columns every row of summary.csv starts with; the kinds' own columns follow (summary_cols). */
static const char* const common_cols[] = {"workload", "kind", "gpus", "start_s", "end_s", "duration_s", "operations"};
#define N_COMMON 7

/* The columns the run adds after the kinds' own: every GPU workload's energy by scope and cost (power.c). */
static const char* const power_cols[] = {"energy_gpu_kwh",
                                         "energy_it_kwh",
                                         "energy_facility_kwh",
                                         "joules_per_token_it",
                                         "joules_per_token_facility",
                                         "cost_usd",
                                         "usd_per_million_tokens",
                                         "energy_cost_usd"};
#define N_POWER 8

static const rs_col_t events_cols[] = {
    {"start_s", RS_COL_NUM},   {"end_s", RS_COL_NUM},  {"duration_s", RS_COL_NUM},
    {"workload", RS_COL_TEXT}, {"event", RS_COL_TEXT}, {"detail", RS_COL_TEXT},
};

#define N_COLS(c) ((int)(sizeof c / sizeof c[0]))

rs_run_t* rs_run_new(const rs_scenario_t* sc, const rs_platform_t* plat, const rs_wl_ops_t* const* kinds, int n_kinds,
                     rs_verbosity_t verbosity)
{
  rs_run_t* run      = xbt_new0(rs_run_t, 1);
  run->sc            = sc;
  run->plat          = plat;
  run->kinds         = kinds;
  run->n_kinds       = n_kinds;
  run->verbosity     = verbosity;
  run->show_progress = verbosity != RS_QUIET && isatty(2);
  run->wls           = xbt_new0(rs_run_wl_t, sc->n_workloads);
  for (int i = 0; i < sc->n_workloads; i++)
    run->wls[i].ops = kinds[sc->workloads[i].kind];
  if (sc->outputs.links != RS_LINKS_NONE)
    run->meter = rs_net_meter_start();
  return run;
}

void rs_run_free(rs_run_t* run)
{
  if (run == NULL)
    return;
  for (int i = 0; i < run->sc->n_workloads; i++) {
    run->wls[i].ops->free(run->wls[i].state);
    free(run->wls[i].row.failed);
  }
  rs_out_close(run->out);
  rs_net_meter_free(run->meter);
  rs_run_power_free(run->power);
  rs_run_faults_free(run->faults);
  free(run->wls);
  free(run);
}

int rs_run_prepare(rs_run_t* run, rs_err_t* err)
{
  if (run->faults == NULL && rs_run_faults_prepare(run, err) != RS_OK)
    return RS_ERR;
  if (run->power == NULL) /* caps first: the workloads' prepare computes times with them */
    run->power = rs_run_power_new(run);
  if (rs_run_power_check(run, err) != RS_OK)
    return RS_ERR;
  for (int i = 0; i < run->sc->n_workloads; i++)
    if (run->wls[i].ops->prepare(run, i, &run->wls[i].state, err) != RS_OK)
      return RS_ERR;
  run->prepared = 1;
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

/* Seconds as a person reads them on the progress line: 42 s, 7.5 min, 3.2 h. */
static void format_duration(char* buf, size_t len, double s)
{
  if (!(s >= 0) || s > 1e9)
    snprintf(buf, len, "?");
  else if (s < 120)
    snprintf(buf, len, "%.0f s", s);
  else if (s < 7200)
    snprintf(buf, len, "%.1f min", s / 60);
  else
    snprintf(buf, len, "%.1f h", s / 3600);
}

/* The progress line goes to a terminal only (show_progress: stderr is a tty), at most 4 times a second:
 * a pipe or a file never sees a carriage return. */
#define PROGRESS_PERIOD_S 0.25

void rs_run_progress(rs_run_t* run, double units)
{
  run->work_done += units;
  if (!run->show_progress)
    return;
  double now = rs_run_wall_clock();
  if (now < run->next_progress_wall)
    return;
  run->next_progress_wall = now + PROGRESS_PERIOD_S;
  double frac             = run->work_total > 0 ? run->work_done / run->work_total : 0;
  double wall             = now - run->start_wall;
  char spent[32], left[32];
  format_duration(spent, sizeof spent, wall);
  format_duration(left, sizeof left, frac > 0 ? wall * (1 - frac) / frac : NAN);
  /* \033[K clears what a longer line before left; the line stays under 80 columns. */
  fprintf(stderr, "\r  simulated %.4g s | %.0f of %.0f done (%.0f%%) | wall %s, about %s left\033[K",
          simgrid_get_clock(), run->work_done, run->work_total, 100 * frac, spent, left);
  fflush(stderr);
}

/* summary.csv's columns: the common ones, then every kind's own, each once. A column a kind shares
 * with kinds before it (energy_j, say) keeps its first place, and a new one goes before the next of its
 * kind's columns already placed, so that every kind's columns keep their order. */
static int summary_cols(const rs_run_t* run, rs_col_t* cols, int cap)
{
  int n = 0;
  for (; n < N_COMMON; n++)
    cols[n] = (rs_col_t){common_cols[n], n == 0 || n == 1 ? RS_COL_TEXT : n == 2 || n == 6 ? RS_COL_INT : RS_COL_NUM};
  for (int k = 0; k < run->n_kinds; k++) {
    const rs_wl_ops_t* o = run->kinds[k];
    for (int c = 0; c < o->n_cols; c++) {
      int at = -1, before = n;
      for (int j = N_COMMON; j < n && at < 0; j++)
        at = strcmp(cols[j].name, o->cols[c].name) == 0 ? j : -1;
      if (at >= 0)
        continue;
      for (int d = c + 1; d < o->n_cols && before == n; d++)
        for (int j = N_COMMON; j < n; j++)
          if (strcmp(cols[j].name, o->cols[d].name) == 0) {
            before = j;
            break;
          }
      xbt_assert(n < cap, "too many summary columns");
      memmove(&cols[before + 1], &cols[before], (n - before) * sizeof *cols);
      cols[before] = (rs_col_t){o->cols[c].name, RS_COL_NUM};
      n++;
    }
  }
  for (int k = 0; k < N_POWER; k++) {
    xbt_assert(n < cap, "too many summary columns");
    cols[n++] = (rs_col_t){power_cols[k], RS_COL_NUM};
  }
  return n;
}

/* The value of column `name` in workload i's summary, NaN when its kind does not fill it. */
static double summary_value(const rs_run_t* run, int i, const char* name)
{
  const rs_wl_ops_t* o = run->wls[i].ops;
  const char* base     = o->summary(run->wls[i].state);
  for (int c = 0; c < o->n_cols; c++)
    if (strcmp(o->cols[c].name, name) == 0)
      return *(const double*)(base + o->cols[c].offset);
  return NAN;
}

static void power_cells(const rs_run_t* run, int i, rs_table_t* t)
{
  rs_power_wl_t o  = rs_run_power_wl(run, i);
  const double v[] = {o.energy_gpu_kwh,
                      o.energy_it_kwh,
                      o.energy_facility_kwh,
                      o.joules_per_token_it,
                      o.joules_per_token_facility,
                      o.cost_usd,
                      o.usd_per_million_tokens,
                      o.energy_cost_usd};
  for (int k = 0; k < N_POWER; k++)
    rs_cell_num(t, v[k]);
}

static void write_summary(rs_run_t* run, rs_table_t* t, const rs_col_t* cols, int n_cols)
{
  for (int i = 0; i < run->sc->n_workloads; i++) {
    const rs_wl_row_t* r = &run->wls[i].row;
    rs_cell_text(t, run->sc->workloads[i].name);
    rs_cell_text(t, run->wls[i].ops->kind);
    rs_cell_int(t, r->gpus);
    rs_cell_num(t, r->start_s);
    rs_cell_num(t, r->end_s);
    rs_cell_num(t, r->end_s - r->start_s);
    rs_cell_int(t, r->operations);
    for (int c = N_COMMON; c < n_cols - N_POWER; c++)
      rs_cell_num(t, summary_value(run, i, cols[c].name));
    power_cells(run, i, t);
    rs_row_end(t);
  }
}

void rs_run_use_out(rs_run_t* run, rs_out_t* out)
{
  rs_out_close(run->out);
  run->out = out;
}

int rs_run_open(rs_run_t* run, rs_err_t* err)
{
  if (run->opened)
    return RS_OK;
  if (run->out == NULL && (run->out = rs_out_open(run->sc->outputs.dir, err)) == NULL)
    return RS_ERR;
  if (run->sc->outputs.events &&
      (run->events = rs_run_table(run, "events", events_cols, N_COLS(events_cols), err)) == NULL)
    return RS_ERR;
  run->opened = 1;
  return RS_OK;
}

#define MAX_SUMMARY_COLS 128

int rs_run_execute(rs_run_t* run, rs_err_t* err)
{
  static rs_col_t cols[MAX_SUMMARY_COLS]; /* must outlive the table; one run per process */
  if (!run->prepared)
    return rs_err_set(err, "internal error: the run was not prepared"), RS_EXIT_SIM;
  run->start_wall = rs_run_wall_clock();
  if (rs_run_open(run, err) != RS_OK)
    return RS_EXIT_INPUT;
  if (run->run_yaml != NULL) {
    FILE* fp = rs_out_file(run->out, "run.yaml", err);
    if (fp == NULL)
      return RS_EXIT_INPUT;
    fputs(run->run_yaml, fp);
  }
  int n_cols          = summary_cols(run, cols, MAX_SUMMARY_COLS);
  rs_table_t* summary = rs_run_table(run, "summary", cols, n_cols, err);
  if (summary == NULL)
    return RS_EXIT_INPUT;
  for (int i = 0; i < run->sc->n_workloads; i++) {
    run->wls[i].row.start_s = run->sc->workloads[i].start_s;
    if (run->wls[i].ops->start(run, i, run->wls[i].state, &run->wls[i].row, err) != RS_OK)
      return RS_EXIT_SIM;
  }
  rs_run_power_start(run);
  rs_run_faults_start(run);
  rs_run__watch_engine_faults();
  simgrid_run();
  if (run->show_progress)
    fprintf(stderr, "\r\033[K");
  for (int i = 0; i < run->sc->n_workloads; i++)
    if (run->wls[i].row.failed) {
      rs_err_set(err, "workload %s: %s", run->sc->workloads[i].name, run->wls[i].row.failed);
      return RS_EXIT_SIM;
    }
  for (int i = 0; i < run->sc->n_workloads; i++)
    if (!run->wls[i].row.finished) {
      rs_err_set(err, "workload %s did not finish: its actors were left waiting at simulated time %g s",
                 run->sc->workloads[i].name, simgrid_get_clock());
      return RS_EXIT_SIM;
    }
  if (rs_run_power_finish(run, err) != RS_OK)
    return RS_EXIT_INPUT;
  write_summary(run, summary, cols, n_cols);
  if (rs_run_links_write(run, err) != RS_OK)
    return RS_EXIT_INPUT;
  return rs_out_commit(run->out, err) == RS_OK ? RS_EXIT_OK : RS_EXIT_SIM;
}

void rs_run_report(const rs_run_t* run, FILE* fp)
{
  for (int i = 0; i < run->sc->n_workloads; i++)
    run->wls[i].ops->report(run, i, run->wls[i].state, fp);
  rs_run_report_caps(run, fp);
  fprintf(fp, "  energy over the run, every host that states its power: %.4g kJ\n", rs_run_energy_j(run) / 1e3);
  rs_run_power_report(run, fp);
}

void rs_run_describe(const rs_run_t* run, FILE* fp)
{
  for (int i = 0; i < run->sc->n_workloads; i++)
    if (run->wls[i].ops->describe)
      run->wls[i].ops->describe(run, i, run->wls[i].state, fp);
}

void rs_run_report_tables(const rs_run_t* run, FILE* fp)
{
  fprintf(fp, "CSV tables written to %s/ (", rs_out_dir(run->out));
  for (int k = 0, n = 0; k < rs_out_n_tables(run->out); k++)
    if (rs_out_is_table(run->out, k))
      fprintf(fp, "%s%s", n++ ? ", " : "", rs_out_file_name(run->out, k));
  fprintf(fp, ")");
  for (int k = 0, n = 0; k < rs_out_n_tables(run->out); k++)
    if (!rs_out_is_table(run->out, k))
      fprintf(fp, "%s%s", n++ ? ", " : ", with ", rs_out_file_name(run->out, k));
  fprintf(fp, "\n");
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

void rs_run_percentiles(double* v, long long n, double out[RS_RUN_PERCENTILES])
{
  static const double qs[RS_RUN_PERCENTILES] = {0.5, 0.9, 0.95, 0.99};
  qsort(v, n, sizeof *v, by_value);
  for (int k = 0; k < RS_RUN_PERCENTILES; k++)
    out[k] = percentile(v, n, qs[k]);
}
