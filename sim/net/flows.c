/* flows.c -- a pool of helper actors that run host-to-host flows (sg_host_sendto blocks its caller,
 * so each flow in flight needs an actor of its own; the pool reuses idle ones, so the number of actors
 * is the most flows ever in flight, not the number of flows), and the set of shared links crossed by
 * the flows the aggregated form simulates, known from the GPUs' pods and rails; also the hosts at the
 * ends of planned flows, and the NICs widened for weighted flows (one flow standing for several alike
 * ones, send.c) with their own bandwidths to give back. Does not decide which flows to run:
 * collectives.c and training.c do. See LICENSE. */
#include "net/net.h"

#include "hw/hw.h"

#include <simgrid/actor.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <simgrid/semaphore.h>
#include <stdlib.h>
#include <xbt/dict.h>
#include <xbt/dynar.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

/* A helper's stack: it only calls sg_host_sendto, so a small one keeps 100k of them affordable. */
#define HELPER_STACK_BYTES (64 * 1024)

typedef struct helper helper_t;
struct helper {
  rs_flows_t* pool;
  sg_sem_t go; /* released when a flow is handed to this helper */
  sg_host_t from, to;
  double bytes;
  int weight;
  const sg_link_t* ends;
  sg_sem_t done;
  helper_t* next_idle;
};

/* A NIC half given a weighted flow's capacity, and its own bandwidth to give back. */
typedef struct widened {
  sg_link_t link;
  double own_bw;
} widened_t;

struct rs_flows {
  helper_t** all; /* every helper, to free them at the end */
  int n, cap;
  helper_t* idle;
  xbt_dict_t marked; /* shared links crossed by simulated flows, keyed by link_key_t */
  int uplinks_contend;
  xbt_dict_t ends;    /* hosts at an end of a planned flow, keyed by the host */
  widened_t* widened; /* NIC halves given a weighted flow's capacity, to restore */
  int n_widened;
};

rs_flows_t* rs_flows_new(double oversubscription)
{
  rs_flows_t* f      = xbt_new0(rs_flows_t, 1);
  f->marked          = xbt_dict_new_homogeneous(NULL);
  f->ends            = xbt_dict_new_homogeneous(NULL);
  f->uplinks_contend = oversubscription > 1;
  return f;
}

void rs_flows_free(rs_flows_t* f)
{
  if (f == NULL)
    return;
  for (int i = 0; i < f->n; i++) {
    sg_sem_destroy(f->all[i]->go);
    free(f->all[i]);
  }
  free(f->all);
  xbt_dict_free(&f->marked);
  xbt_dict_free(&f->ends);
  free(f->widened);
  free(f);
}

/* Runs the flows it is handed, one at a time, then waits idle for the next. */
static void helper_actor(int argc, char** argv)
{
  helper_t* h = sg_actor_self_get_data();
  /* a daemon only once it runs: SimGrid 3.32 counts an actor daemonized before its start among the daemons
   * but not yet among the actors, and, when its creator is the one other actor, kills it unstarted (and
   * crashes) */
  sg_actor_daemonize(sg_actor_self());
  for (;;) {
    sg_sem_acquire(h->go);
    rs_net_flow_weighted(h->from, h->to, h->bytes, h->weight, h->ends);
    if (h->done)
      sg_sem_release(h->done);
    h->next_idle  = h->pool->idle;
    h->pool->idle = h;
  }
}

static helper_t* helper_new(rs_flows_t* f)
{
  helper_t* h = xbt_new0(helper_t, 1);
  h->pool     = f;
  h->go       = sg_sem_init(0);
  if (f->n == f->cap) {
    f->cap = f->cap ? 2 * f->cap : 64;
    f->all = xbt_realloc(f->all, f->cap * sizeof *f->all);
  }
  f->all[f->n++] = h;
  char* name     = bprintf("rs-flow-%d", f->n);
  sg_actor_t a   = sg_actor_init(name, sg_host_self());
  free(name);
  sg_actor_set_data(a, h);
  sg_actor_set_stacksize(a, HELPER_STACK_BYTES);
  sg_actor_start(a, helper_actor, 0, NULL);
  return h;
}

void rs_flows_start(rs_flows_t* f, sg_host_t from, sg_host_t to, double bytes, sg_sem_t done)
{
  rs_flows_start_weighted(f, from, to, bytes, 1, NULL, done);
}

void rs_flows_start_weighted(rs_flows_t* f, sg_host_t from, sg_host_t to, double bytes, int weight,
                             const sg_link_t* ends, sg_sem_t done)
{
  helper_t* h = f->idle;
  if (h)
    f->idle = h->next_idle;
  else
    h = helper_new(f);
  h->from   = from;
  h->to     = to;
  h->bytes  = bytes;
  h->weight = weight;
  h->ends   = ends;
  h->done   = done;
  sg_sem_release(h->go);
}

/* A shared link, as the fabric of platgen.c builds it: the uplink of rail `rail` of pod `pod` of site
 * `site`, climbed (up = 1) or descended, or the WAN from site `site` to site `rail` (pod = -1). */
typedef struct link_key {
  int site, pod, rail, up;
} link_key_t;

static int shared_links(const rs_gpu_t* a, const rs_gpu_t* b, link_key_t keys[3])
{
  if (a->site == b->site && a->pod == b->pod)
    return 0;
  int n     = 0;
  keys[n++] = (link_key_t){a->site, a->pod, a->local, 1};
  keys[n++] = (link_key_t){b->site, b->pod, b->local, 0};
  if (a->site != b->site)
    keys[n++] = (link_key_t){a->site, -1, b->site, 1};
  return n;
}

int rs_flows_shared(rs_flows_t* f, const rs_gpu_t* a, const rs_gpu_t* b, int mark)
{
  link_key_t keys[3];
  int n = shared_links(a, b, keys);
  for (int i = 0; i < n && mark; i++)
    if (f->uplinks_contend || keys[i].pod < 0)
      xbt_dict_set_ext(f->marked, (const char*)&keys[i], sizeof keys[i], f);
  return n > 0;
}

int rs_flows_crosses_marked(const rs_flows_t* f, const rs_gpu_t* a, const rs_gpu_t* b)
{
  link_key_t keys[3];
  int n = shared_links(a, b, keys);
  for (int i = 0; i < n; i++)
    if (xbt_dict_get_or_null_ext(f->marked, (const char*)&keys[i], sizeof keys[i]))
      return 1;
  return 0;
}

void rs_flows_note_end(rs_flows_t* f, sg_host_t h)
{
  xbt_dict_set_ext(f->ends, (const char*)&h, sizeof h, f);
}

int rs_flows_end_used(const rs_flows_t* f, sg_host_t h)
{
  return xbt_dict_get_or_null_ext(f->ends, (const char*)&h, sizeof h) != NULL;
}

/* Multiplies link l's bandwidth by k, remembering its own. */
static void widen(rs_flows_t* f, sg_link_t l, double k)
{
  double own                 = sg_link_get_bandwidth(l);
  f->widened                 = xbt_realloc(f->widened, (f->n_widened + 1) * sizeof *f->widened);
  f->widened[f->n_widened++] = (widened_t){l, own};
  sg_link_set_bandwidth(l, k * own);
}

int rs_flows_widen_ends(rs_flows_t* f, sg_host_t from, sg_host_t to, double weight)
{
  if (rs_flows_end_used(f, from) || rs_flows_end_used(f, to))
    return 0;
  /* the route's NICs, in whatever order SimGrid lists its links: from's and to's, and no other */
  xbt_dynar_t links = xbt_dynar_new(sizeof(sg_link_t), NULL);
  sg_host_get_route(from, to, links);
  sg_link_t nics[2];
  int n_nics = 0;
  for (size_t i = 0; i < xbt_dynar_length(links); i++) {
    sg_link_t l = xbt_dynar_get_as(links, i, sg_link_t);
    if (rs_platform_link_class(sg_link_get_name(l)) == RS_LINK_NIC && n_nics++ < 2)
      nics[n_nics - 1] = l;
  }
  xbt_dynar_free(&links);
  if (n_nics != 2)
    return 0;
  rs_flows_note_end(f, from);
  rs_flows_note_end(f, to);
  widen(f, nics[0], weight);
  widen(f, nics[1], weight);
  return 1;
}

void rs_flows_restore(rs_flows_t* f)
{
  for (int i = 0; i < f->n_widened; i++)
    sg_link_set_bandwidth(f->widened[i].link, f->widened[i].own_bw);
  f->n_widened = 0;
}
