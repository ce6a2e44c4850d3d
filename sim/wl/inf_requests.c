/* inf_requests.c -- an inference workload's own requests: drawn (lengths fixed, uniform, exponential
 * or from a length table; arrivals all at once, Poisson, gamma or following a rate table) or read from
 * a CSV trace, then sorted by arrival. Pure: no SimGrid, nothing simulated; the router actor releases
 * them (inf_serve.c). See LICENSE. */
#include "wl/inf_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/sysdep.h>

/* What drawing requests needs besides the scenario: the rate and length tables, read once. */
typedef struct tables {
  const rs_sc_inference_t* cfg;
  double *tab_start, *tab_rate; /* arrival: table, one period's piecewise-constant rates */
  int n_tab;
  int *len_prompt, *len_output; /* length_table rows, drawn uniformly */
  int n_len;
} tables_t;

static int len_draw(rs_rng_t* g, rs_len_dist_t d, int mean)
{
  switch (d) {
  case RS_LEN_UNIFORM: /* 1 .. 2 mean - 1: the mean is exact */
    return 1 + (int)(rs_rng_unit(g) * (2 * mean - 1));
  case RS_LEN_EXPONENTIAL: { /* capped at 8 means, a 0.03% tail */
    int v = (int)lround(-mean * log(rs_rng_unit(g)));
    return v < 1 ? 1 : v > 8 * mean ? 8 * mean : v;
  }
  default:
    return mean;
  }
}

/* Gaps between arrivals: exponential (Poisson) or gamma with squared coefficient of variation
 * `burstiness`, both of mean 1 / rate. */
static double gap_draw(rs_rng_t* g, const rs_sc_inference_t* c)
{
  if (c->arrival == RS_ARRIVAL_GAMMA) {
    double k = 1 / c->burstiness;
    return rs_rng_gamma(g, k) / (k * c->rate_per_s);
  }
  return -log(rs_rng_unit(g)) / c->rate_per_s;
}

/* Next arrival after t under the rate table, by the time change of a Poisson process: one unit
 * exponential of intensity is spent across the segments. Whole periods are skipped at once, so small
 * rates cost no more than large ones (a loop over segments took hours at 1e-9 per second). */
static double table_next(rs_rng_t* g, const tables_t* tb, double t)
{
  double period = tb->cfg->rate_period_s, per_period = 0;
  for (int k = 0; k < tb->n_tab; k++)
    per_period += tb->tab_rate[k] * ((k + 1 < tb->n_tab ? tb->tab_start[k + 1] : period) - tb->tab_start[k]);
  double need = -log(rs_rng_unit(g)); /* intensity to spend before the next arrival */
  for (;;) {
    double base = floor(t / period) * period, p = t - base;
    int k = 0;
    while (k + 1 < tb->n_tab && tb->tab_start[k + 1] <= p)
      k++;
    if (p == 0 && need >= per_period) { /* at a period's start: skip the whole periods the draw covers */
      double periods = floor(need / per_period);
      t += periods * period;
      need -= periods * per_period;
      continue;
    }
    double end  = base + (k + 1 < tb->n_tab ? tb->tab_start[k + 1] : period);
    double have = tb->tab_rate[k] * (end - t);
    if (need < have)
      return t + need / tb->tab_rate[k];
    need -= have;
    t = end;
  }
}

static void generate(rs_inf_reqs_t* rq, const tables_t* tb, uint64_t seed, int index)
{
  const rs_sc_inference_t* c = tb->cfg;
  rs_rng_t g;
  rs_rng_seed(&g, seed ^ (0x5851f42d4c957f2dULL * (uint64_t)(index + 1)));
  rq->n    = c->requests;
  rq->reqs = xbt_new0(rs_inf_req_t, rq->n);
  double t = 0;
  for (int i = 0; i < rq->n; i++) {
    rs_inf_req_t* q = &rq->reqs[i];
    int row         = tb->n_len > 0 ? (int)(rs_rng_unit(&g) * tb->n_len) : 0; /* one row gives both lengths */
    q->prompt = c->prompt_dist == RS_LEN_TABLE ? tb->len_prompt[row] : len_draw(&g, c->prompt_dist, c->prompt_tokens);
    q->output = c->output_dist == RS_LEN_TABLE ? tb->len_output[row] : len_draw(&g, c->output_dist, c->output_tokens);
    if (c->mode == RS_MODE_SERVER)
      t = c->arrival == RS_ARRIVAL_TABLE ? table_next(&g, tb, t) : t + gap_draw(&g, c);
    q->arrival = t;
  }
}

/* One token count of a trace or length table; RS_ERR with "file:line: column: expected ..., got '...'" otherwise. */
static int trace_int(const rs_csv_row_t* row, int col, const char* name, const char* file, int* v, rs_err_t* err)
{
  const char* text = rs_csv_cell(row, col);
  char* end;
  long long x = strtoll(text, &end, 10);
  if (end == text || *end != '\0' || x < 1 || x > 10000000)
    return rs_err_at(err, file, row->line, name, "expected an integer from 1 to 10000000, got '%s'", text);
  *v = (int)x;
  return RS_OK;
}

/* One number cell, at least 0; RS_ERR with "file:line: column: expected WHAT, got '...'" otherwise. */
static int csv_number(const rs_csv_row_t* row, int col, const char* name, const char* what, const char* file, double* v,
                      rs_err_t* err)
{
  const char* text = rs_csv_cell(row, col);
  double x;
  if (!rs_csv_number(text, &x) || x < 0)
    return rs_err_at(err, file, row->line, name, "expected %s, got '%s'", what, text);
  *v = x;
  return RS_OK;
}

/* Reads file and finds its columns names[0..n-1] (any order, others ignored); NULL and
 * "file:1: expected a header with columns ..." when one is missing or no row follows the header. */
static rs_csv_t* open_table(const char* file, const char* const* names, int* cols, int n, rs_err_t* err)
{
  rs_csv_t* csv = rs_csv_read(file, err);
  if (csv == NULL)
    return NULL;
  int ok = csv->n_rows >= 2;
  for (int k = 0; k < n; k++)
    ok &= (cols[k] = rs_csv_column(csv, names[k])) >= 0;
  if (ok)
    return csv;
  char list[128] = "";
  for (int k = 0; k < n; k++)
    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", names[k]);
  rs_err_at(err, file, 1, NULL, "expected a header with columns %s and at least one row", list);
  rs_csv_free(csv);
  return NULL;
}

/* The rate table: a header naming start_s and rate_per_s, then rows of increasing start_s from 0 within
 * the period, each rate holding until the next row's start (the last, until the period ends). */
static int read_rate_table(tables_t* tb, rs_err_t* err)
{
  static const char* const names[] = {"start_s", "rate_per_s"};
  const char* file                 = tb->cfg->rate_table;
  int cols[2];
  rs_csv_t* csv = open_table(file, names, cols, 2, err);
  if (csv == NULL)
    return RS_ERR;
  int cs = cols[0], cr = cols[1], rc = RS_OK;
  tb->n_tab     = (int)csv->n_rows - 1;
  tb->tab_start = xbt_new0(double, tb->n_tab + 1);
  tb->tab_rate  = xbt_new0(double, tb->n_tab + 1);
  double total  = 0;
  for (int k = 0; rc == RS_OK && k < tb->n_tab; k++) {
    const rs_csv_row_t* row = &csv->rows[k + 1];
    if (csv_number(row, cs, "start_s", "a number of seconds from 0", file, &tb->tab_start[k], err) != RS_OK ||
        csv_number(row, cr, "rate_per_s", "a rate per second from 0", file, &tb->tab_rate[k], err) != RS_OK)
      rc = RS_ERR;
    else if (k == 0 && tb->tab_start[0] != 0)
      rc = rs_err_at(err, file, row->line, "start_s", "expected 0 on the first row (the period's start), got '%s'",
                     row->cells[cs]);
    else if (k > 0 && (tb->tab_start[k] <= tb->tab_start[k - 1] || tb->tab_start[k] >= tb->cfg->rate_period_s))
      rc = rs_err_at(err, file, row->line, "start_s",
                     "expected more than the row above (%g) and less than "
                     "rate_period_s (%g), got '%s'",
                     tb->tab_start[k - 1], tb->cfg->rate_period_s, row->cells[cs]);
    total += tb->tab_rate[k];
  }
  if (rc == RS_OK && total <= 0)
    rc = rs_err_at(err, file, 2, "rate_per_s", "expected at least one rate above 0, got only zeros");
  rs_csv_free(csv);
  return rc;
}

/* Reads the trace: a header naming arrival_s, prompt_tokens and output_tokens (any order, other
 * columns ignored), then one request per row. Offline mode keeps the lengths and drops the times. */
static int read_trace(rs_inf_reqs_t* rq, const rs_sc_inference_t* cfg, rs_err_t* err)
{
  const char* file = cfg->trace;
  rs_csv_t* csv    = rs_csv_read(file, err);
  if (csv == NULL)
    return RS_ERR;
  int ca = rs_csv_column(csv, "arrival_s"), cp = rs_csv_column(csv, "prompt_tokens");
  int co = rs_csv_column(csv, "output_tokens");
  int rc = RS_OK;
  if (csv->n_rows < 2 || ca < 0 || cp < 0 || co < 0)
    rc = rs_err_at(err, file, 1, NULL,
                   "expected a header with columns arrival_s, prompt_tokens, output_tokens and "
                   "at least one request row");
  rq->n    = rc == RS_OK ? (int)csv->n_rows - 1 : 0;
  rq->reqs = xbt_new0(rs_inf_req_t, rq->n > 0 ? rq->n : 1);
  for (int i = 0; rc == RS_OK && i < rq->n; i++) {
    const rs_csv_row_t* row = &csv->rows[i + 1];
    rs_inf_req_t* q         = &rq->reqs[i];
    if (csv_number(row, ca, "arrival_s", "a number of seconds from 0", file, &q->arrival, err) != RS_OK ||
        trace_int(row, cp, "prompt_tokens", file, &q->prompt, err) != RS_OK ||
        trace_int(row, co, "output_tokens", file, &q->output, err) != RS_OK)
      rc = RS_ERR;
    if (cfg->mode == RS_MODE_OFFLINE)
      q->arrival = 0;
  }
  rs_csv_free(csv);
  return rc;
}

/* The empirical length table: a header naming prompt_tokens and output_tokens, one observed request per
 * row; each generated request draws one row uniformly. */
static int read_length_table(tables_t* tb, rs_err_t* err)
{
  static const char* const names[] = {"prompt_tokens", "output_tokens"};
  const char* file                 = tb->cfg->length_table;
  int cols[2];
  rs_csv_t* csv = open_table(file, names, cols, 2, err);
  if (csv == NULL)
    return RS_ERR;
  int rc         = RS_OK;
  tb->n_len      = (int)csv->n_rows - 1;
  tb->len_prompt = xbt_new(int, tb->n_len);
  tb->len_output = xbt_new(int, tb->n_len);
  for (int k = 0; rc == RS_OK && k < tb->n_len; k++)
    if (trace_int(&csv->rows[k + 1], cols[0], names[0], file, &tb->len_prompt[k], err) != RS_OK ||
        trace_int(&csv->rows[k + 1], cols[1], names[1], file, &tb->len_output[k], err) != RS_OK)
      rc = RS_ERR;
  rs_csv_free(csv);
  return rc;
}

typedef struct arrival_key {
  double t;
  int i;
} arrival_key_t;

static int by_arrival(const void* a, const void* b)
{
  const arrival_key_t *x = a, *y = b;
  if (x->t != y->t)
    return x->t < y->t ? -1 : 1;
  return x->i - y->i; /* stable: index order (a trace's file order) among equal times */
}

int* rs_inf__by_arrival(const rs_inf_req_t* reqs, int n)
{
  arrival_key_t* keys = xbt_new(arrival_key_t, n + 1);
  for (int i = 0; i < n; i++)
    keys[i] = (arrival_key_t){reqs[i].arrival, i};
  qsort(keys, n, sizeof *keys, by_arrival);
  int* order = xbt_new(int, n + 1);
  for (int i = 0; i < n; i++)
    order[i] = keys[i].i;
  free(keys);
  return order;
}

static int read_tables(tables_t* tb, rs_err_t* err)
{
  if (tb->cfg->arrival == RS_ARRIVAL_TABLE && read_rate_table(tb, err) != RS_OK)
    return RS_ERR;
  if (tb->cfg->length_table && read_length_table(tb, err) != RS_OK)
    return RS_ERR;
  return RS_OK;
}

int rs_inf__reqs_load(rs_inf_reqs_t* rq, const rs_sc_inference_t* cfg, uint64_t seed, int index, rs_err_t* err)
{
  *rq         = (rs_inf_reqs_t){0};
  tables_t tb = {.cfg = cfg};
  int rc      = cfg->arrival == RS_ARRIVAL_TRACE ? read_trace(rq, cfg, err) : RS_OK;
  if (rc == RS_OK)
    rc = read_tables(&tb, err);
  if (rc == RS_OK && cfg->arrival != RS_ARRIVAL_TRACE)
    generate(rq, &tb, seed, index);
  free(tb.tab_start);
  free(tb.tab_rate);
  free(tb.len_prompt);
  free(tb.len_output);
  if (rc != RS_OK)
    return RS_ERR;
  for (int i = 0; i < rq->n; i++) {
    rs_inf_req_t* q = &rq->reqs[i];
    q->scheduled = q->first_token = q->finish = q->kv_start = q->kv_end = -1;
  }
  rq->order = rs_inf__by_arrival(rq->reqs, rq->n);
  return RS_OK;
}
