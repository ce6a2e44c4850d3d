/* inf_router.c -- which replica serves a request: round robin, least outstanding tokens (a heap when
 * one pool holds every replica, a scan otherwise) or KV-aware (most KV blocks left). Pure functions
 * over plain structs: no SimGrid; the router actor (inf_serve.c) asks it and hands the request on.
 * See LICENSE. */
#include "wl/inf_int.h"

#include <math.h>
#include <stdlib.h>
#include <xbt/sysdep.h>

void rs_inf__router_init(rs_inf_router_t* rt, rs_route_t policy, int n, const rs_inf_kv_t* kv, int one_pool)
{
  *rt = (rs_inf_router_t){.policy = policy, .n = n, .kv = kv, .outstanding = xbt_new0(double, n)};
  if (policy != RS_ROUTE_LEAST_OUTSTANDING || !one_pool)
    return;
  rt->heap     = xbt_new(int, n);
  rt->heap_pos = xbt_new(int, n);
  for (int r = 0; r < n; r++)
    rt->heap[r] = rt->heap_pos[r] = r; /* all at 0 tokens: index order is a heap */
}

void rs_inf__router_free(rs_inf_router_t* rt)
{
  free(rt->outstanding);
  free(rt->heap);
  free(rt->heap_pos);
  *rt = (rs_inf_router_t){0};
}

/* The heap orders replicas by outstanding tokens, then by index (deterministic). */
static int heap_less(const rs_inf_router_t* rt, int a, int b)
{
  double x = rt->outstanding[a], y = rt->outstanding[b];
  return x != y ? x < y : a < b;
}

static void heap_swap(rs_inf_router_t* rt, int i, int j)
{
  int t                     = rt->heap[i];
  rt->heap[i]               = rt->heap[j];
  rt->heap[j]               = t;
  rt->heap_pos[rt->heap[i]] = i;
  rt->heap_pos[rt->heap[j]] = j;
}

/* Restores the heap after replica r's outstanding tokens changed: up, then down. */
static void heap_fix(rs_inf_router_t* rt, int r)
{
  int i = rt->heap_pos[r];
  while (i > 0 && heap_less(rt, rt->heap[i], rt->heap[(i - 1) / 2])) {
    heap_swap(rt, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
  for (;;) {
    int l = 2 * i + 1, best = i;
    if (l < rt->n && heap_less(rt, rt->heap[l], rt->heap[best]))
      best = l;
    if (l + 1 < rt->n && heap_less(rt, rt->heap[l + 1], rt->heap[best]))
      best = l + 1;
    if (best == i)
      return;
    heap_swap(rt, i, best);
    i = best;
  }
}

void rs_inf__router_add(rs_inf_router_t* rt, int r, double tokens)
{
  rt->outstanding[r] += tokens;
  if (rt->heap)
    heap_fix(rt, r);
}

/* The replica of the pool with the highest score (the first of equals). kv-aware scores the KV blocks
 * left once its waiting requests are admitted, plus those its cached prefix saves; least-outstanding,
 * minus the outstanding tokens. */
static int best_in_pool(const rs_inf_router_t* rt, const rs_inf_pool_t* p)
{
  int best          = p->lo;
  double best_score = -INFINITY;
  for (int r = p->lo; r < p->hi; r++) {
    const rs_inf_kv_t* x = &rt->kv[r];
    long prefix_blocks   = x->cfg->prefix_tokens / x->cfg->block_tokens;
    double blocks        = x->free_blocks - x->waiting_blocks + (x->warm ? prefix_blocks : 0);
    double score         = rt->policy == RS_ROUTE_KV_AWARE ? blocks : -rt->outstanding[r];
    if (score > best_score)
      best = r, best_score = score;
  }
  return best;
}

int rs_inf__route(rs_inf_router_t* rt, rs_inf_pool_t* p)
{
  if (rt->policy == RS_ROUTE_ROUND_ROBIN)
    return p->lo + (int)(p->rr_next++ % (p->hi - p->lo));
  if (rt->heap)
    return rt->heap[0]; /* one pool: the heap answers in log time */
  return best_in_pool(rt, p);
}
