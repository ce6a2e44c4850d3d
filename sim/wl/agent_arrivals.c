/* agent_arrivals.c -- when the agentic workload's root sessions arrive: a Poisson process, a day table
 * of rates per slot (a Poisson process whose rate changes slot by slot), or the start times of a replay
 * file. Reads and checks what each process follows, and draws the next arrival; the arrival actor
 * (agentic.c) sleeps until it. See LICENSE. */
#include "wl/agent_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/sysdep.h>

/* "r0, r1, ..." into rates; RS_ERR when not numbers >= 0 with at least one above 0. */
static int parse_rates(const char* text, double** rates, int* n)
{
  *n            = 0;
  *rates        = NULL;
  int any       = 0;
  const char* p = text;
  while (*p) {
    char* end;
    double r = strtod(p, &end);
    if (end == p || r < 0 || !isfinite(r))
      return RS_ERR;
    *rates           = xbt_realloc(*rates, (*n + 1) * sizeof **rates);
    (*rates)[(*n)++] = r;
    any |= r > 0;
    p = end + strspn(end, " \t");
    if (*p == ',')
      p++;
    else if (*p)
      return RS_ERR;
  }
  return any ? RS_OK : RS_ERR;
}

static int cmp_double(const void* a, const void* b)
{
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

/* The start_s column of the replay file, sorted; RS_ERR and a message naming the file and line. */
static int load_replay(const char* file, double** times, int* n, rs_err_t* err)
{
  rs_csv_t* csv = rs_csv_read(file, err);
  if (csv == NULL)
    return RS_ERR;
  int col = rs_csv_column(csv, "start_s");
  if (col < 0 || csv->n_rows < 2) {
    rs_csv_free(csv);
    return rs_err_at(err, file, 1, NULL, "expected a header with a start_s column and at least one row");
  }
  *n     = (int)csv->n_rows - 1;
  *times = xbt_new(double, *n);
  for (int r = 0; r < *n; r++) {
    const rs_csv_row_t* row = &csv->rows[r + 1];
    double t;
    if (!rs_csv_number(rs_csv_cell(row, col), &t) || t < 0) {
      int line = row->line;
      rs_csv_free(csv);
      free(*times);
      *times = NULL;
      return rs_err_at(err, file, line, "start_s", "expected a time in seconds >= 0");
    }
    (*times)[r] = t;
  }
  rs_csv_free(csv);
  qsort(*times, *n, sizeof **times, cmp_double);
  return RS_OK;
}

int rs_agent__arrivals_load(const rs_run_t* run, int i, double** times, int* n, double** rates, int* n_rates,
                            rs_err_t* err)
{
  const rs_sc_agentic_t* cfg = &run->sc->workloads[i].u.agent;
  char path[128];
  if (cfg->arrival == RS_SESSIONS_DAY) {
    snprintf(path, sizeof path, "workloads[%d].arrivals.day_rates_per_s", i);
    if (cfg->day_rates == NULL || parse_rates(cfg->day_rates, rates, n_rates) != RS_OK)
      return rs_scenario_err(run->sc, err, path,
                             "expected rates in sessions/s per slot, such as '0.5, 2, 8, 2' "
                             "(numbers >= 0, at least one above 0), got '%s'",
                             cfg->day_rates ? cfg->day_rates : "");
  }
  if (cfg->arrival == RS_SESSIONS_REPLAY) {
    snprintf(path, sizeof path, "workloads[%d].arrivals.replay", i);
    if (cfg->replay == NULL)
      return rs_scenario_err(run->sc, err, path, "expected a CSV file of session start times (column start_s)");
    rs_err_t why;
    if (load_replay(cfg->replay, times, n, &why) != RS_OK)
      return rs_scenario_err(run->sc, err, path, "%s", why.msg);
  }
  return RS_OK;
}

/* Day: past the slot's end the draw restarts there, which is exact for a memoryless process. */
double rs_agent__next_arrival(agentic_t* w, int k, double t)
{
  const rs_sc_agentic_t* cfg = w->cfg;
  if (cfg->arrival == RS_SESSIONS_REPLAY)
    return w->wl->start_s + w->arrivals[k];
  if (cfg->arrival == RS_SESSIONS_POISSON)
    return t + rs_rng_exponential(&w->arrival_rng, 1 / cfg->rate_per_s);
  for (;;) {
    long slot  = (long)floor((t - w->wl->start_s) / cfg->slot_s);
    double end = w->wl->start_s + (slot + 1) * cfg->slot_s;
    double r   = w->rates[slot % w->n_rates];
    if (r > 0) {
      double next = t + rs_rng_exponential(&w->arrival_rng, 1 / r);
      if (next < end)
        return next;
    }
    t = end;
  }
}
