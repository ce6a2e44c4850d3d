/* inf_serve.c -- requests in and out of an inference workload: the router actor that releases its own
 * requests at their arrival times, the service door through which other workloads' calls come in
 * (wl_int.h's protocol), the hand-over of a request to the replica the router picks, and a finished
 * request's row of requests.csv and figures for the summary. It neither schedules nor times steps
 * (inf_kv.c, inf_engine.c). See LICENSE. */
#include "wl/inf_int.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/mailbox.h>
#include <simgrid/semaphore.h>
#include <stdlib.h>
#include <xbt/sysdep.h>

void rs_inf__wake(rs_inf_replica_t* r)
{
  if (r->idle) {
    r->idle = 0;
    sg_sem_release(r->wake);
  }
}

/* The virtual engine of replica r with the fewest requests, running or waiting (the first of equals),
 * as vLLM adds a request to the scheduler with the fewest unfinished ones. */
static rs_inf_kv_t* engine_for(rs_inf_replica_t* r)
{
  rs_inf_kv_t* best = &r->kv[0];
  for (int v = 1; v < r->n_ve; v++)
    if (r->kv[v].n_run + r->kv[v].waiting.n < best->n_run + best->waiting.n)
      best = &r->kv[v];
  return best;
}

void rs_inf__assign(rs_inf_wl_t* w, int i, int r, int tokens)
{
  rs_inf_req_t* q = &w->reqs[i];
  q->replica      = r;
  q->routed       = tokens;
  rs_inf__kv_wait(engine_for(&w->reps[r]), w->reqs, i, 0);
  rs_inf__router_add(&w->router, r, tokens);
  rs_inf__wake(&w->reps[r]);
}

/* Gives request i, arriving now, to a replica of the first pool (the prefill ones when disaggregated);
 * a prefill replica counts only its prompt as outstanding. */
void rs_inf__release(rs_inf_wl_t* w, int i)
{
  rs_inf_req_t* q    = &w->reqs[i];
  int r              = rs_inf__route(&w->router, rs_inf__pool_for(w, i));
  q->prefill_replica = r;
  q->wan_s           = rs_inf__wan_s(w, i, r);
  q->during |= w->res.n_down > 0;
  rs_inf__router_seat(&w->router, r, 1);
  rs_inf__assign(w, i, r, w->cfg->prefill_replicas > 0 ? q->prompt : q->prompt + q->output);
}

int rs_inf__all_served(const rs_inf_wl_t* w)
{
  return w->arrivals_done && w->res.n_done + w->res.n_lost == w->n_reqs + w->calls.n;
}

/* No request will come any more once the router is done and every client has said goodbye. */
static void close_arrivals(rs_inf_wl_t* w)
{
  if (!w->calls.router_done || w->calls.clients_left > 0)
    return;
  w->arrivals_done = 1;
  for (int r = 0; r < w->n_replicas; r++)
    rs_inf__wake(&w->reps[r]);
}

/* Releases every request at its arrival time to the replica the routing policy picks. */
void rs_inf__router_actor(int argc, char** argv)
{
  rs_inf_wl_t* w = sg_actor_self_get_data();
  double t0      = w->wl->start_s;
  for (int k = 0; k < w->n_reqs; k++) {
    int i = w->order[k];
    w->reqs[i].arrival += t0;
    rs_run_reach(w->reqs[i].arrival);
    if (w->reqs[i].arrival > simgrid_get_clock()) /* reqs may grow while it sleeps: no pointer kept */
      sg_actor_sleep_until(w->reqs[i].arrival);
    w->next_arrival = k + 1 < w->n_reqs ? w->reqs[w->order[k + 1]].arrival + t0 : INFINITY;
    rs_inf__release(w, i);
  }
  w->calls.router_done = 1;
  close_arrivals(w);
}

/* ---- calls from other workloads (wl_int.h) ---------------------------------------------------------- */

/* Answers a call: the same message goes back to the caller, over the network, with the reply times. */
static void reply_call(rs_svc_call_t* m, double first_token, double finish, int ok)
{
  m->first_token_s = first_token;
  m->finish_s      = finish;
  m->ok            = ok;
  rs_service_reply(m, (ok ? m->output_tokens : 1) * RS_SVC_BYTES_PER_TOKEN);
}

/* Room for one more request and its results; the arrays move, so nobody keeps pointers across a wait. */
static void grow_for_call(rs_inf_wl_t* w)
{
  rs_inf_calls_t* c    = &w->calls;
  rs_inf_results_t* rs = &w->res;
  if (c->n < c->cap)
    return;
  c->cap      = c->cap ? 2 * c->cap : 1024;
  size_t n    = (size_t)w->n_reqs + c->cap;
  w->reqs     = xbt_realloc(w->reqs, n * sizeof *w->reqs);
  rs->ttft    = xbt_realloc(rs->ttft, n * sizeof *rs->ttft);
  rs->tpot    = xbt_realloc(rs->tpot, n * sizeof *rs->tpot);
  rs->latency = xbt_realloc(rs->latency, n * sizeof *rs->latency);
  c->calls    = xbt_realloc(c->calls, c->cap * sizeof *c->calls);
}

/* The fewest blocks any virtual engine's cache holds. */
static long smallest_cache(const rs_inf_wl_t* w)
{
  long least = w->kv[0].total_blocks;
  for (int k = 1; k < w->kv_first[w->n_replicas]; k++)
    if (w->kv[k].total_blocks < least)
      least = w->kv[k].total_blocks;
  return least;
}

/* A call becomes a request arriving now; one that some engine's KV cache could never hold is refused. */
static void admit_call(rs_inf_wl_t* w, rs_svc_call_t* m)
{
  int prompt = (int)ceil(m->prompt_tokens), output = m->output_tokens < 1 ? 1 : (int)ceil(m->output_tokens);
  if (rs_inf__kv_blocks(&w->kvc, (long)prompt + output) > smallest_cache(w)) {
    reply_call(m, NAN, simgrid_get_clock(), 0);
    return;
  }
  grow_for_call(w);
  int i                        = w->n_reqs + w->calls.n;
  w->reqs[i]                   = (rs_inf_req_t){.arrival     = simgrid_get_clock(),
                                                .prompt      = prompt,
                                                .output      = output,
                                                .scheduled   = -1,
                                                .first_token = -1,
                                                .finish      = -1,
                                                .kv_start    = -1,
                                                .kv_end      = -1};
  w->calls.calls[w->calls.n++] = m;
  rs_inf__release(w, i);
}

/* Takes calls from other workloads on this workload's service mailbox until every client said bye. */
void rs_inf__service_actor(int argc, char** argv)
{
  rs_inf_wl_t* w    = sg_actor_self_get_data();
  sg_mailbox_t door = rs_service_mailbox(w->wl->name);
  while (w->calls.clients_left > 0) {
    rs_svc_call_t* m = sg_mailbox_get(door);
    if (m->kind == RS_SVC_BYE) {
      w->calls.clients_left--;
      free(m);
    } else {
      admit_call(w, m);
    }
  }
  close_arrivals(w);
}

/* ---- a finished request ----------------------------------------------------------------------------- */

static const rs_col_t request_cols[] = {
    {"workload", RS_COL_TEXT},     {"request", RS_COL_INT},       {"replica", RS_COL_INT},
    {"arrival_s", RS_COL_NUM},     {"scheduled_s", RS_COL_NUM},   {"first_token_s", RS_COL_NUM},
    {"finish_s", RS_COL_NUM},      {"queue_s", RS_COL_NUM},       {"prompt_tokens", RS_COL_INT},
    {"output_tokens", RS_COL_INT}, {"ttft_s", RS_COL_NUM},        {"tpot_s", RS_COL_NUM},
    {"latency_s", RS_COL_NUM},     {"preemptions", RS_COL_INT},   {"prefill_replica", RS_COL_INT},
    {"kv_transfer_s", RS_COL_NUM}, {"cached_tokens", RS_COL_INT},
};

int rs_inf__requests_open(rs_inf_wl_t* w, rs_err_t* err)
{
  w->res.requests = rs_run_table(w->run, "requests", request_cols, sizeof request_cols / sizeof request_cols[0], err);
  return w->res.requests ? RS_OK : RS_ERR;
}

double rs_inf__tpot(const rs_inf_req_t* q)
{
  return q->output > 1 ? (q->finish - q->first_token) / (q->output - 1) : NAN;
}

int rs_inf__met_slo(const rs_inf_wl_t* w, const rs_inf_req_t* q)
{
  if (q->lost || q->finish < 0)
    return 0;
  double tpot = rs_inf__tpot(q);
  return q->first_token - q->arrival <= w->cfg->slo_ttft_s && (isnan(tpot) || tpot <= w->cfg->slo_tpot_s);
}

static void request_row(rs_table_t* t, const char* workload, int i, const rs_inf_req_t* q)
{
  rs_cell_text(t, workload);
  rs_cell_int(t, i);
  rs_cell_int(t, q->replica);
  rs_cell_num(t, q->arrival);
  rs_cell_num(t, q->scheduled);
  rs_cell_num(t, q->first_token);
  rs_cell_num(t, q->finish);
  rs_cell_num(t, q->scheduled - q->arrival);
  rs_cell_int(t, q->prompt);
  rs_cell_int(t, q->output);
  rs_cell_num(t, q->first_token - q->arrival);
  rs_cell_num(t, rs_inf__tpot(q));
  rs_cell_num(t, q->finish - q->arrival);
  rs_cell_int(t, q->preemptions);
  rs_cell_int(t, q->prefill_replica);
  rs_cell_num(t, q->kv_end >= 0 ? q->kv_end - q->kv_start : NAN);
  rs_cell_int(t, q->shared);
  rs_row_end(t);
}

/* Request i left the workload, served (ok 1) or given up: the run's progress, the reply to its caller
 * when it is another workload's call, and, after the last one, the replicas' wake-up (decode replicas
 * wait for hand-offs until the last request is done). */
static void request_gone(rs_inf_wl_t* w, int i, double first_token, double finish, int ok)
{
  rs_run_progress(w->run, 1);
  if (i >= w->n_reqs)
    reply_call(w->calls.calls[i - w->n_reqs], first_token, finish, ok);
  for (int r = 0; rs_inf__all_served(w) && r < w->n_replicas; r++)
    rs_inf__wake(&w->reps[r]);
}

void rs_inf__finish(rs_inf_wl_t* w, int i)
{
  rs_inf_req_t* q      = &w->reqs[i];
  rs_inf_results_t* rs = &w->res;
  q->first_token += q->wan_s; /* as its client sees them, from its home site */
  q->finish += q->wan_s;
  double ttft = q->first_token - q->arrival, tpot = rs_inf__tpot(q), lat = q->finish - q->arrival;
  request_row(rs->requests, w->wl->name, i, q);
  rs->ttft[rs->n_done]    = ttft;
  rs->latency[rs->n_done] = lat;
  rs->n_done++;
  if (!isnan(tpot))
    rs->tpot[rs->n_tpot++] = tpot;
  rs->n_good += rs_inf__met_slo(w, q);
  rs->out_tokens += q->output;
  rs->in_tokens += q->prompt;
  rs->last_finish = fmax(rs->last_finish, q->finish); /* a WAN round trip can end an earlier request later */
  request_gone(w, i, q->first_token, q->finish, 1);
}

void rs_inf__lose(rs_inf_wl_t* w, int i)
{
  w->res.n_lost++;
  w->reqs[i].lost    = 1;
  w->res.last_finish = fmax(w->res.last_finish, simgrid_get_clock()); /* the workload ends with its last request */
  request_gone(w, i, NAN, simgrid_get_clock(), 0);
}
