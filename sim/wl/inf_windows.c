/* inf_windows.c -- what a failure does to an inference service's latency over time: windows.csv cuts
 * the run into windows of failures.inference.window_s by arrival time and gives each window's TTFT and
 * TPOT percentiles, its served and lost requests and its SLO attainment, so that an outage shows as a
 * bump; the summary's SLO attainment of requests that met a failure (arrived, or were sent again, while
 * a replica was down) and of the others. Written once every request is served, from the requests'
 * final state; only under failures. See LICENSE. */
#include "wl/inf_int.h"

#include <math.h>
#include <stdlib.h>
#include <xbt/sysdep.h>

#define RS_MAX_WINDOWS 4096 /* more windows than this: the window doubles until they fit */

static const rs_col_t window_cols[] = {
    {"workload", RS_COL_TEXT},         {"start_s", RS_COL_NUM},    {"end_s", RS_COL_NUM},
    {"arrivals", RS_COL_INT},          {"served", RS_COL_INT},     {"lost", RS_COL_INT},
    {"retried", RS_COL_INT},           {"ttft_p50_s", RS_COL_NUM}, {"ttft_p99_s", RS_COL_NUM},
    {"tpot_p50_s", RS_COL_NUM},        {"tpot_p99_s", RS_COL_NUM}, {"slo_attainment", RS_COL_NUM},
    {"replicas_down_max", RS_COL_INT},
};

int rs_inf__windows_open(rs_inf_wl_t* w, rs_err_t* err)
{
  if (w->run->faults == NULL)
    return RS_OK;
  w->res.windows = rs_run_table(w->run, "windows", window_cols, sizeof window_cols / sizeof window_cols[0], err);
  return w->res.windows ? RS_OK : RS_ERR;
}

/* The most replicas down at once inside [a, b), from the record of every change (inf_faults.c). */
static int down_in(const rs_inf_wl_t* w, double a, double b)
{
  const rs_inf_results_t* rs = &w->res;
  int at_a = 0, most = 0;
  for (int k = 0; k < rs->n_changes && rs->change_t[k] < b; k++) {
    if (rs->change_t[k] <= a)
      at_a = rs->change_n[k]; /* the last change by a: the count at a */
    else if (rs->change_n[k] > most)
      most = rs->change_n[k];
  }
  return at_a > most ? at_a : most;
}

/* The requests of window [a, b) of arrival times, in `idx` (their indices), as one row. */
static void window_row(rs_inf_wl_t* w, double a, double b, const int* idx, int n, double* ttft, double* tpot)
{
  int served = 0, lost = 0, retried = 0, n_good = 0, n_tpot = 0;
  for (int k = 0; k < n; k++) {
    const rs_inf_req_t* q = &w->reqs[idx[k]];
    lost += q->lost;
    retried += q->retries;
    n_good += rs_inf__met_slo(w, q);
    if (q->lost || q->finish < 0)
      continue;
    ttft[served++] = q->first_token - q->arrival;
    if (q->output > 1)
      tpot[n_tpot++] = rs_inf__tpot(q);
  }
  double pt[RS_RUN_PERCENTILES], pp[RS_RUN_PERCENTILES]; /* p50, p90, p95, p99 */
  rs_run_percentiles(ttft, served, pt);
  rs_run_percentiles(tpot, n_tpot, pp);
  rs_table_t* t = w->res.windows;
  rs_cell_text(t, w->wl->name);
  rs_cell_num(t, a);
  rs_cell_num(t, b);
  rs_cell_int(t, n);
  rs_cell_int(t, served);
  rs_cell_int(t, lost);
  rs_cell_int(t, retried);
  rs_cell_num(t, pt[0]);
  rs_cell_num(t, pt[3]);
  rs_cell_num(t, pp[0]);
  rs_cell_num(t, pp[3]);
  rs_cell_num(t, n > 0 ? (double)n_good / n : NAN);
  rs_cell_int(t, down_in(w, a, b));
  rs_row_end(t);
}

/* windows.csv's rows: every request by arrival time, window by window from the workload's start; a
 * window's requests are a run of the arrival order. */
static void write_windows(rs_inf_wl_t* w, int n)
{
  int* order = rs_inf__by_arrival(w->reqs, n);
  double t0 = w->wl->start_s, len = w->sc->failures.inference.window_s;
  double last = n > 0 ? w->reqs[order[n - 1]].arrival : t0;
  while ((last - t0) / len >= RS_MAX_WINDOWS)
    len *= 2;
  double* ttft = xbt_new(double, n + 1);
  double* tpot = xbt_new(double, n + 1);
  for (int k = 0, win = 0; k < n; win++) {
    double a = t0 + win * len, b = t0 + (win + 1) * len;
    int first = k;
    while (k < n && w->reqs[order[k]].arrival < b)
      k++;
    window_row(w, a, b, order + first, k - first, ttft, tpot);
  }
  free(order);
  free(ttft);
  free(tpot);
}

void rs_inf__windows_summarize(rs_inf_wl_t* w)
{
  if (w->res.windows == NULL)
    return;
  int n       = w->n_reqs + w->calls.n;
  long long d = 0, dg = 0, h = 0, hg = 0;
  for (int i = 0; i < n; i++) {
    const rs_inf_req_t* q = &w->reqs[i];
    int g                 = rs_inf__met_slo(w, q);
    d += q->during, dg += q->during && g;
    h += !q->during, hg += !q->during && g;
  }
  w->sum.slo_attainment_degraded = d > 0 ? (double)dg / d : NAN;
  w->sum.slo_attainment_healthy  = h > 0 ? (double)hg / h : NAN;
  write_windows(w, n);
}
