/* inf_disagg.c -- disaggregated serving: a request that has its first token on a prefill replica hands
 * its KV cache to a decode replica the router picks. Every GPU of the prefill replica sends its shard
 * (the prompt's KV over all layers, split as the replica splits it) to the GPU at the same position of
 * the decode replica, over the real route, so hand-offs share links with all other traffic; the
 * request joins the decode replica's queue once the last shard arrived. See LICENSE. */
#include "wl/inf_int.h"

#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/semaphore.h>
#include <stdlib.h>
#include <xbt/sysdep.h>

/* The last shard of request i arrived: it joins its decode replica's queue with its cache in place. */
static void deliver(rs_inf_wl_t* w, int i)
{
  rs_inf_req_t* q = &w->reqs[i];
  q->kv_end       = simgrid_get_clock();
  q->shared       = 0; /* its whole cache came over, the prefix included */
  rs_inf__assign(w, i, q->replica, q->output);
}

/* A GPU of a prefill replica: sends its shard of each handed-off request's KV cache, one request after
 * another, to the GPU at the same position of the request's decode replica. */
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
    int i = rs_inf__q_front(&m->jobs);
    rs_inf__q_pop_front(&m->jobs);
    rs_inf_req_t* q            = &w->reqs[i];
    double shard               = q->computed * w->kvc.token_bytes / w->gpus_per_replica;
    const rs_inf_replica_t* to = &w->reps[q->replica];
    rs_net_flow(m->r->gpus[m->g]->host, to->gpus[m->g]->host, shard);
    if (--q->shards_left == 0)
      deliver(w, i);
  }
}

void rs_inf__hand_off(rs_inf_replica_t* r, int i, double now)
{
  rs_inf_wl_t* w  = r->w;
  rs_inf_req_t* q = &w->reqs[i];
  q->replica      = rs_inf__route(&w->router, &w->pools[1]);
  q->kv_start     = now;
  q->shards_left  = w->gpus_per_replica;
  for (int g = 0; g < w->gpus_per_replica; g++) {
    rs_inf_mover_t* m = &r->movers[g];
    rs_inf__q_push_back(&m->jobs, i);
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
  r->movers      = xbt_new0(rs_inf_mover_t, w->gpus_per_replica);
  for (int g = 0; g < w->gpus_per_replica; g++) {
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
  for (int g = 0; r->movers && g < r->w->gpus_per_replica; g++) {
    sg_sem_destroy(r->movers[g].wake);
    free(r->movers[g].jobs.v);
  }
  free(r->movers);
  r->movers = NULL;
}
