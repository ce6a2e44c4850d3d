/* run_trace.c -- part of the run module: the per-call tables every workload can write,
 * collectives.csv (one row per collective call of a group) and ops.csv (one row per timed activity of
 * a rank), each capped by a scenario key so a huge run cannot fill a disk by accident.
 * Does not time anything itself: workloads say what happened and when. See LICENSE. */
#include "run/run.h"

#include "net/net.h"

#include <math.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <stdlib.h>
#include <xbt/asserts.h>
#include <xbt/sysdep.h>

#define N_COLS(c) ((int)(sizeof c / sizeof c[0]))

/* ---- caps -------------------------------------------------------------------------------------- */

/* Whether a row of t may be written; says once, on the first row refused, which key stopped it. Plain
 * stderr rather than a log line: the person running racksim must see it whatever the log settings. */
static int row_allowed(rs_table_t* t, const char* table, const char* key, int cap)
{
  if (rs_row_begin(t))
    return 1;
  if (rs_table_dropped(t) == 1)
    fprintf(stderr,
            "racksim: warning: %s.csv reached its cap of %d rows (outputs.%s) at simulated time %g s: later "
            "rows are not written\n",
            table, cap, key, simgrid_get_clock());
  return 0;
}

static void report_cap(const rs_table_t* t, const char* table, const char* key, FILE* fp)
{
  if (t != NULL && rs_table_dropped(t) > 0)
    fprintf(fp, "  %s.csv stopped at its cap of %llu rows (outputs.%s): %llu more rows not written\n", table,
            (unsigned long long)rs_table_rows(t), key, (unsigned long long)rs_table_dropped(t));
}

void rs_run_report_caps(const rs_run_t* run, FILE* fp)
{
  report_cap(run->collectives, "collectives", "collectives_max_rows", fp);
  report_cap(run->ops, "ops", "ops_max_rows", fp);
}

/* ---- collectives.csv --------------------------------------------------------------------------- */

static const rs_col_t collectives_cols[] = {
    {"workload", RS_COL_TEXT},
    {"group", RS_COL_TEXT},
    {"dim", RS_COL_TEXT},
    {"op", RS_COL_TEXT},
    {"algorithm", RS_COL_TEXT},
    {"ranks", RS_COL_INT},
    {"bytes", RS_COL_INT},
    {"iteration", RS_COL_INT},
    {"call", RS_COL_INT},
    {"start_s", RS_COL_NUM},
    {"end_s", RS_COL_NUM},
    {"time_us", RS_COL_NUM},
    {"algbw_gbytes_per_s", RS_COL_NUM},
    {"busbw_gbytes_per_s", RS_COL_NUM},
};

int rs_run_collectives_open(rs_run_t* run, rs_err_t* err)
{
  if (run->collectives != NULL)
    return RS_OK;
  run->collectives = rs_run_table(run, "collectives", collectives_cols, N_COLS(collectives_cols), err);
  if (run->collectives == NULL)
    return RS_ERR;
  rs_table_cap(run->collectives, (uint64_t)run->sc->outputs.collectives_max_rows);
  return RS_OK;
}

void rs_run_coll_row(rs_run_t* run, const rs_coll_row_t* r)
{
  rs_table_t* t = run->collectives;
  if (t == NULL || !row_allowed(t, "collectives", "collectives_max_rows", run->sc->outputs.collectives_max_rows))
    return;
  double time  = r->end_s - r->start_s;
  double algbw = r->bytes / time;
  rs_cell_text(t, r->workload);
  rs_cell_text(t, r->group);
  rs_cell_text(t, r->dim);
  rs_cell_text(t, rs_coll_op_name(r->op));
  rs_cell_text(t, rs_coll_algo_name(r->algo));
  rs_cell_int(t, r->ranks);
  rs_cell_int(t, (long long)r->bytes);
  rs_cell_int(t, r->iteration);
  rs_cell_int(t, r->call);
  rs_cell_num(t, r->start_s);
  rs_cell_num(t, r->end_s);
  rs_cell_num(t, time * 1e6);
  rs_cell_num(t, time > 0 ? algbw / 1e9 : NAN);
  rs_cell_num(t, time > 0 ? algbw * rs_coll_bus_factor(r->op, r->ranks) / 1e9 : NAN);
  rs_row_end(t);
}

/* ---- a group's calls, gathered from its ranks -------------------------------------------------- */

/* A rank cannot finish call k+1 before every rank has entered it, hence left call k: at most two calls
 * of a group are open at once. Four slots leave room; more would be a bug. */
#define REC_SLOTS 4

typedef struct rec_slot {
  long long call;
  int arrived; /* ranks that left this call; 0: the slot is free */
  double start_s, end_s;
  rs_coll_op_t op;
  rs_coll_algo_t algo;
  double bytes;
  int iteration;
} rec_slot_t;

struct rs_coll_rec {
  rs_run_t* run;
  char *workload, *group, *dim;
  int ranks, reporting;
  long long* calls; /* per rank: calls it has left */
  rec_slot_t slots[REC_SLOTS];
};

rs_coll_rec_t* rs_run_coll_rec_new(rs_run_t* run, const char* workload, const char* group, const char* dim, int ranks,
                                   int reporting)
{
  rs_coll_rec_t* rec = xbt_new0(rs_coll_rec_t, 1);
  rec->run           = run;
  rec->workload      = xbt_strdup(workload);
  rec->group         = xbt_strdup(group);
  rec->dim           = xbt_strdup(dim);
  rec->ranks         = ranks;
  rec->reporting     = reporting;
  rec->calls         = xbt_new0(long long, ranks);
  return rec;
}

void rs_run_coll_rec_free(rs_coll_rec_t* rec)
{
  if (rec == NULL)
    return;
  free(rec->workload);
  free(rec->group);
  free(rec->dim);
  free(rec->calls);
  free(rec);
}

static void rec_write(rs_coll_rec_t* rec, const rec_slot_t* s)
{
  rs_coll_row_t row = {rec->workload, rec->group,   rec->dim, s->op,      s->algo, rec->ranks,
                       s->bytes,      s->iteration, s->call,  s->start_s, s->end_s};
  rs_run_coll_row(rec->run, &row);
}

void rs_run_coll_rec_done(rs_coll_rec_t* rec, int pos, rs_coll_op_t op, rs_coll_algo_t algo, double bytes,
                          int iteration, double t_enter)
{
  double now     = simgrid_get_clock();
  long long call = rec->calls[pos]++;
  rec_slot_t* s  = &rec->slots[call % REC_SLOTS];
  if (s->arrived == 0) {
    *s = (rec_slot_t){call, 0, t_enter, now, op, algo, bytes, iteration};
  } else {
    xbt_assert(s->call == call && s->op == op && s->bytes == bytes,
               "group %s: rank %d left call %lld (%s, %g bytes) while call %lld (%s, %g bytes) is open", rec->group,
               pos, call, rs_coll_op_name(op), bytes, s->call, rs_coll_op_name(s->op), s->bytes);
    s->start_s = fmax(s->start_s, t_enter);
    s->end_s   = fmax(s->end_s, now);
  }
  if (++s->arrived == rec->reporting) {
    rec_write(rec, s);
    s->arrived = 0;
  }
}

/* ---- ops.csv ----------------------------------------------------------------------------------- */

static const rs_col_t ops_cols[] = {
    {"workload", RS_COL_TEXT}, {"rank", RS_COL_INT},      {"host", RS_COL_TEXT},      {"op", RS_COL_TEXT},
    {"detail", RS_COL_TEXT},   {"iteration", RS_COL_INT}, {"layer", RS_COL_INT},      {"micro_batch", RS_COL_INT},
    {"start_s", RS_COL_NUM},   {"end_s", RS_COL_NUM},     {"duration_s", RS_COL_NUM}, {"flops", RS_COL_NUM},
    {"bytes", RS_COL_NUM},
};

int rs_run_ops_open(rs_run_t* run, rs_err_t* err)
{
  if (run->ops != NULL || run->sc->outputs.ops_max_rows == 0)
    return RS_OK;
  if ((run->ops = rs_run_table(run, "ops", ops_cols, N_COLS(ops_cols), err)) == NULL)
    return RS_ERR;
  rs_table_cap(run->ops, (uint64_t)run->sc->outputs.ops_max_rows);
  return RS_OK;
}

/* An index cell: empty where it does not apply (-1). */
static void cell_index(rs_table_t* t, int v)
{
  if (v < 0)
    rs_cell_empty(t);
  else
    rs_cell_int(t, v);
}

void rs_run_op(rs_run_t* run, const rs_op_row_t* r)
{
  rs_table_t* t = run->ops;
  if (t == NULL || !row_allowed(t, "ops", "ops_max_rows", run->sc->outputs.ops_max_rows))
    return;
  rs_cell_text(t, r->workload);
  rs_cell_int(t, r->rank);
  rs_cell_text(t, sg_host_get_name(r->host));
  rs_cell_text(t, r->op);
  rs_cell_text(t, r->detail);
  cell_index(t, r->iteration);
  cell_index(t, r->layer);
  cell_index(t, r->micro_batch);
  rs_cell_num(t, r->start_s);
  rs_cell_num(t, r->end_s);
  rs_cell_num(t, r->end_s - r->start_s);
  rs_cell_num(t, r->flops);
  rs_cell_num(t, r->bytes);
  rs_row_end(t);
}
