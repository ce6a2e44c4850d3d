/* inf_disagg.c -- disaggregated serving: a request that has its first token on a prefill replica hands
 * its KV cache to a decode replica the router picks. Every GPU of the prefill replica sends its shard
 * (the prompt's KV over all layers, split as the replica splits it) to the GPU at the same position of
 * the decode replica, over the real route, so hand-offs share links with all other traffic. When the
 * decode replicas have a layout of their own, the cache is cut again: prefill GPU g of Gp holds the
 * share [g/Gp, (g+1)/Gp) of it (stage by stage, then EP, then TP, as the GPUs are numbered) and sends
 * each decode GPU d of Gd the part of its share that [d/Gd, (d+1)/Gd) covers. The request joins the
 * decode replica's queue once the last shard arrived. A failure of either replica while the cache is on
 * the wire voids the hand-off (rs_inf__wire_drop): the shards still in flight run out unused, since
 * SimGrid's hosts are never turned off, and the request follows the retry policy (inf_faults.c). See
 * LICENSE. */
#include "wl/inf_int.h"

#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/semaphore.h>
#include <stdlib.h>
#include <xbt/sysdep.h>

/* Request i's cache goes on the wire (wire[] holds it until it lands or is dropped). */
static void wire_add(rs_inf_wl_t* w, int i)
{
  if (w->n_wire == w->cap_wire) {
    w->cap_wire = w->cap_wire ? 2 * w->cap_wire : 64;
    w->wire     = xbt_realloc(w->wire, w->cap_wire * sizeof *w->wire);
  }
  w->wire[w->n_wire++] = i;
  w->reqs[i].on_wire   = w->n_wire;
}

/* Request i's cache is off the wire: the last of wire[] takes its place. */
static void wire_remove(rs_inf_wl_t* w, int i)
{
  int at                = w->reqs[i].on_wire - 1;
  int last              = w->wire[--w->n_wire];
  w->wire[at]           = last;
  w->reqs[last].on_wire = at + 1;
  w->reqs[i].on_wire    = 0;
}

/* Whether a mover's job (request i, its hand-off `handoff`) still stands: no failure voided it. */
static int job_stands(const rs_inf_wl_t* w, int i, int handoff)
{
  const rs_inf_req_t* q = &w->reqs[i];
  return q->on_wire > 0 && q->handoffs == handoff;
}

int rs_inf__wire_drop(rs_inf_wl_t* w, int r, int* out)
{
  int n = 0;
  for (int k = 0; k < w->n_wire;) {
    int i           = w->wire[k];
    rs_inf_req_t* q = &w->reqs[i];
    if (q->prefill_replica != r && q->replica != r) {
      k++;
      continue;
    }
    wire_remove(w, i); /* wire[k] is now another request: k stays */
    rs_inf__router_seat(&w->router, q->replica, -1);
    out[n++] = i;
  }
  return n;
}

/* The last shard of request i arrived: it joins its decode replica's queue with its cache in place. */
static void deliver(rs_inf_wl_t* w, int i)
{
  rs_inf_req_t* q = &w->reqs[i];
  wire_remove(w, i);
  q->kv_end = simgrid_get_clock();
  q->shared = 0; /* its whole cache came over, the prefix included */
  rs_inf__assign(w, i, q->replica, q->output);
}

/* The decode GPUs [*lo, *hi) that prefill GPU g of gp sends a part of a cache to, among gd. */
static void shard_targets(int g, int gp, int gd, int* lo, int* hi)
{
  *lo = (int)((long long)g * gd / gp);
  *hi = (int)(((long long)(g + 1) * gd + gp - 1) / gp);
}

/* Bytes of a cache of `total` bytes that prefill GPU g of gp sends decode GPU d of gd: the overlap of
 * their shares; the whole share of g when the layouts have as many GPUs. */
static double shard_bytes(double total, int g, int gp, int d, int gd)
{
  if (gp == gd)
    return total / gp;
  long long a = (long long)g * gd, b = a + gd, c = (long long)d * gp, e = c + gp;
  long long len = (b < e ? b : e) - (a > c ? a : c);
  return len > 0 ? total * (double)len / ((double)gp * gd) : 0;
}

/* A GPU of a prefill replica: sends its shard of each handed-off request's KV cache, one request after
 * another, to the GPUs of the request's decode replica that hold its part of it. */
static void mover_actor(int argc, char** argv)
{
  rs_inf_mover_t* m = sg_actor_self_get_data();
  rs_inf_wl_t* w    = m->r->w;
  for (;;) {
    if (m->jobs.n == 0) {
      m->idle = 1;
      sg_sem_acquire(m->wake);
      continue;
    }
    int i = rs_inf__q_front(&m->jobs); /* a job is two entries: the request, its hand-off */
    rs_inf__q_pop_front(&m->jobs);
    int handoff = rs_inf__q_front(&m->jobs);
    rs_inf__q_pop_front(&m->jobs);
    if (!job_stands(w, i, handoff))
      continue; /* a replica failed before this GPU's turn came */
    rs_inf_req_t* q            = &w->reqs[i];
    const rs_inf_replica_t* to = &w->reps[q->replica];
    int gp = m->r->n_gpus, gd = to->n_gpus, lo, hi;
    shard_targets(m->g, gp, gd, &lo, &hi);
    for (int d = lo; d < hi; d++) {
      double shard = shard_bytes(q->computed * w->kvc.token_bytes, m->g, gp, d, gd);
      rs_net_flow(m->r->gpus[m->g]->host, to->gpus[d]->host, shard);
      q = &w->reqs[i]; /* reqs may have grown meanwhile */
      if (!job_stands(w, i, handoff))
        break; /* a replica failed while the shard was in flight: it lands nowhere */
      if (--q->shards_left == 0)
        deliver(w, i);
    }
  }
}

void rs_inf__hand_off(rs_inf_replica_t* r, int i, double now)
{
  rs_inf_wl_t* w  = r->w;
  rs_inf_req_t* q = &w->reqs[i];
  q->replica      = rs_inf__route(&w->router, &w->pools[1]);
  rs_inf__router_seat(&w->router, q->replica, 1);
  q->kv_start    = now;
  q->shards_left = 0;
  q->handoffs++;
  wire_add(w, i);
  int gd = w->reps[q->replica].n_gpus;
  for (int g = 0; g < r->n_gpus; g++) {
    int lo, hi;
    shard_targets(g, r->n_gpus, gd, &lo, &hi);
    q->shards_left += hi - lo;
  }
  for (int g = 0; g < r->n_gpus; g++) {
    rs_inf_mover_t* m = &r->movers[g];
    rs_inf__q_push_back(&m->jobs, i);
    rs_inf__q_push_back(&m->jobs, q->handoffs);
    if (m->idle) {
      m->idle = 0;
      sg_sem_release(m->wake);
    }
  }
}

/* One daemon per GPU of a prefill replica: they outlive no one, so they need no stop message. */
void rs_inf__movers_start(rs_inf_replica_t* r)
{
  rs_inf_wl_t* w = r->w;
  r->movers      = xbt_new0(rs_inf_mover_t, r->n_gpus);
  for (int g = 0; g < r->n_gpus; g++) {
    rs_inf_mover_t* m = &r->movers[g];
    *m                = (rs_inf_mover_t){.r = r, .g = g, .wake = sg_sem_init(0)};
    char* name        = bprintf("%s-replica%d-kv%d", w->wl->name, r->id, g);
    sg_actor_t a      = sg_actor_init(name, r->gpus[g]->host);
    sg_actor_set_data(a, m);
    sg_actor_daemonize(a);
    sg_actor_start(a, mover_actor, 0, NULL);
    free(name);
  }
}

void rs_inf__movers_free(rs_inf_replica_t* r)
{
  for (int g = 0; r->movers && g < r->n_gpus; g++) {
    sg_sem_destroy(r->movers[g].wake);
    free(r->movers[g].jobs.v);
  }
  free(r->movers);
  r->movers = NULL;
}
