/* inf_faults.c -- how an inference service reacts to the run's failures: a replica with a GPU down is
 * routed no new request and runs no step until its repair; the requests in flight on it (running or
 * waiting in its engines) leave it at once, their KV caches lost with its HBM, and are sent again from
 * their start to the replica the router picks (failures.inference.retry: resubmit, as a client retries a
 * broken stream) or given up (lose); the step in flight is void. events.csv says when a replica left
 * and came back; the summary counts the retried and lost requests and the replicas' availability.
 * A disaggregated request whose KV cache is on the wire from or to the failed replica meets the same
 * policy (inf_disagg.c voids its hand-off). See LICENSE. */
#include "wl/inf_int.h"

#include <math.h>
#include <simgrid/engine.h>
#include <stdlib.h>
#include <xbt/sysdep.h>

int rs_inf__down(const rs_inf_replica_t* r)
{
  const rs_inf_router_t* rt = &r->w->router;
  return rt->down != NULL && rt->down[r->id] > 0;
}

double rs_inf__availability(const rs_inf_wl_t* w, double end)
{
  double span = end - w->wl->start_s, down = 0;
  if (!(span > 0))
    return NAN;
  for (int r = 0; r < w->n_replicas; r++) {
    const rs_inf_replica_t* x = &w->reps[r];
    down += x->down_s;
    if (rs_inf__down(x))
      down += fmax(0, end - fmax(x->down_since, w->wl->start_s));
  }
  return 1 - down / (span * w->n_replicas);
}

/* Request q starts over: nothing computed, nothing generated, no first token yet; its arrival stays, so
 * its TTFT and latency carry the time lost. */
static void reset_request(rs_inf_req_t* q)
{
  q->scheduled = q->first_token = q->finish = q->kv_start = q->kv_end = -1;
  q->computed = q->generated = q->blocks = q->n_step = 0;
  q->shared = q->swapped = q->routed = q->shards_left = 0;
  q->wan_s                                            = 0;
  q->work_j                                           = 0;
  q->during                                           = 1; /* it met a failure */
}

/* Takes every request off virtual engine kv of replica r into out[] (running ones first, in admission
 * order, then the waiting ones in turn) and empties it: its blocks free, its cached prefix gone. */
static int empty_engine(rs_inf_kv_t* kv, int* out)
{
  int n = 0;
  for (int k = 0; k < kv->n_run; k++)
    out[n++] = kv->run[k];
  while (kv->waiting.n > 0) {
    out[n++] = rs_inf__q_front(&kv->waiting);
    rs_inf__q_pop_front(&kv->waiting);
  }
  kv->n_run          = 0;
  kv->waiting_blocks = 0;
  kv->free_blocks    = kv->total_blocks;
  kv->warm           = 0;
  return n;
}

/* Request i left its failed replica, its accounting there undone: it starts over, sent again or lost
 * by the policy. */
static void retry_or_lose(rs_inf_wl_t* w, int i)
{
  w->res.lost_work_j += w->reqs[i].work_j;
  reset_request(&w->reqs[i]);
  if (w->sc->failures.inference.retry == RS_RETRY_LOSE) {
    rs_inf__lose(w, i);
  } else {
    w->res.n_retried++;
    w->reqs[i].retries++;
    rs_inf__release(w, i);
  }
}

/* Replica r failed now: its requests leave it, each sent again or lost by the policy, and so do those
 * whose KV cache is on the wire from or to it (disaggregated); the steps in flight on it are void (its
 * epoch moves on). */
static void drain(rs_inf_wl_t* w, rs_inf_replica_t* r)
{
  int cap = w->n_wire;
  for (int v = 0; v < r->n_ve; v++)
    cap += r->kv[v].n_run + r->kv[v].waiting.n;
  r->epoch++;
  rs_inf__wake(r); /* a run of decode steps in progress stops */
  if (cap == 0)
    return;
  int* out = xbt_new(int, cap);
  int n    = 0;
  for (int v = 0; v < r->n_ve; v++)
    n += empty_engine(&r->kv[v], out + n);
  for (int k = 0; k < n; k++) {
    rs_inf__router_add(&w->router, r->id, -w->reqs[out[k]].routed);
    rs_inf__router_seat(&w->router, r->id, -1);
  }
  n += rs_inf__wire_drop(w, r->id, out + n);
  for (int k = 0; k < n; k++)
    retry_or_lose(w, out[k]);
  free(out);
}

/* The count of replicas down changed now, to n_down: for windows.csv. */
static void note_change(rs_inf_results_t* rs, double now)
{
  if (rs->n_changes == rs->cap_changes) {
    rs->cap_changes = rs->cap_changes ? 2 * rs->cap_changes : 64;
    rs->change_t    = xbt_realloc(rs->change_t, rs->cap_changes * sizeof *rs->change_t);
    rs->change_n    = xbt_realloc(rs->change_n, rs->cap_changes * sizeof *rs->change_n);
  }
  rs->change_t[rs->n_changes]   = now;
  rs->change_n[rs->n_changes++] = rs->n_down;
}

/* Replica r went down (up 0) or came back (up 1) at now: its events.csv row, its downtime, its drain. */
static void replica_change(rs_inf_wl_t* w, int r, const rs_fault_t* f)
{
  rs_inf_replica_t* rep = &w->reps[r];
  double now            = simgrid_get_clock();
  char detail[96];
  snprintf(detail, sizeof detail, "replica %d %s: %s: %s", r, f->up ? "back" : "down, its requests moved", f->cause,
           f->component);
  rs_run_event(w->run, now, f->up ? now : f->repair_s, w->wl->name, f->up ? "replica up" : "replica down", detail);
  if (f->up) {
    rep->down_s += now - fmax(rep->down_since, w->wl->start_s);
    w->res.n_down--;
    note_change(&w->res, now);
    rs_inf__wake(rep);
  } else {
    rep->down_since = now;
    w->res.n_down++;
    note_change(&w->res, now);
    drain(w, rep);
  }
}

void rs_inf__fault(rs_run_t* run, int i, void* state, const rs_fault_t* f)
{
  rs_inf_wl_t* w = state;
  if (w->reps == NULL || f->n_gpus == 0 || w->row->finished)
    return;
  char* hit = xbt_new0(char, run->plat->n_gpus + 1);
  for (int k = 0; k < f->n_gpus; k++)
    hit[f->gpus[k]] = 1;
  /* Every replica the failure takes is marked first, then drained: a request leaving one of them must not
   * be routed to another that fails at the same instant (a server, a rack), and be moved twice. */
  char* changed = xbt_new0(char, w->n_replicas);
  for (int r = 0; r < w->n_replicas; r++) {
    const rs_inf_replica_t* rep = &w->reps[r];
    int mine                    = 0;
    for (int k = 0; k < rep->n_gpus && !mine; k++)
      mine = hit[rep->gpus[k] - run->plat->gpus];
    if (!mine)
      continue;
    if (w->router.down == NULL)
      w->router.down = xbt_new0(int, w->router.n);
    int was = w->router.down[r];
    w->router.down[r] += f->up ? -1 : 1;
    changed[r] = (was == 0) != (w->router.down[r] == 0);
  }
  for (int r = 0; r < w->n_replicas; r++)
    if (changed[r])
      replica_change(w, r, f);
  free(changed);
  free(hit);
}
