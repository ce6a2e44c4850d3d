/* inf_router.c -- which replica serves a request: round robin, least outstanding tokens (a heap when
 * one pool holds every replica, a scan otherwise) or KV-aware (most KV blocks left); step-aware (with
 * decode_first), among the replicas whose steps have a free seat first. Pure functions over plain
 * structs: no SimGrid; the router actor (inf_serve.c) asks it and hands the request on. See LICENSE. */
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

void rs_inf__router_steps(rs_inf_router_t* rt, const int* slots)
{
  rt->seats = xbt_new0(int, rt->n);
  rt->slots = xbt_new(int, rt->n);
  for (int r = 0; r < rt->n; r++)
    rt->slots[r] = slots[r];
  free(rt->heap); /* a heap orders by tokens alone */
  free(rt->heap_pos);
  rt->heap = rt->heap_pos = NULL;
}

void rs_inf__router_free(rs_inf_router_t* rt)
{
  free(rt->outstanding);
  free(rt->heap);
  free(rt->heap_pos);
  free(rt->seats);
  free(rt->slots);
  free(rt->down);
  *rt = (rs_inf_router_t){0};
}

void rs_inf__router_seat(rs_inf_router_t* rt, int r, int delta)
{
  if (rt->seats)
    rt->seats[r] += delta;
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

/* KV blocks replica r has left once its waiting requests are admitted, plus those its cached prefix
 * saves, over its caches. */
static double blocks_left(const rs_inf_router_t* rt, int r)
{
  int lo = rt->kv_first ? rt->kv_first[r] : r, hi = rt->kv_first ? rt->kv_first[r + 1] : r + 1;
  double blocks = 0;
  for (int k = lo; k < hi; k++) {
    const rs_inf_kv_t* x = &rt->kv[k];
    long prefix_blocks   = x->cfg->prefix_tokens / x->cfg->block_tokens;
    blocks += x->free_blocks - x->waiting_blocks + (x->warm ? prefix_blocks : 0);
  }
  return blocks;
}

/* Whether replica r may take a request: always, unless step-aware and its steps' seats are all taken
 * while another replica of the pool has one free (`seated`). */
static int may_take(const rs_inf_router_t* rt, int r, int seated)
{
  return (!seated || rt->seats[r] < rt->slots[r]) && (rt->down == NULL || rt->down[r] == 0);
}

/* Whether every replica of the pool is down: the router then ignores faults (the requests wait there). */
int rs_inf__pool_all_down(const rs_inf_router_t* rt, const rs_inf_pool_t* p)
{
  for (int r = p->lo; r < p->hi; r++)
    if (rt->down == NULL || rt->down[r] == 0)
      return 0;
  return 1;
}

/* Whether some replica of the pool has a free seat (step-aware routers only). */
static int any_seat(const rs_inf_router_t* rt, const rs_inf_pool_t* p)
{
  for (int r = p->lo; rt->seats && r < p->hi; r++)
    if (rt->seats[r] < rt->slots[r])
      return 1;
  return 0;
}

/* The replica of the pool with the highest score (the first of equals) among those that may take the
 * request. kv-aware scores the KV blocks left; least-outstanding, minus the outstanding tokens. */
static int best_in_pool(const rs_inf_router_t* rt, const rs_inf_pool_t* p, int seated)
{
  int best          = -1;
  double best_score = -INFINITY;
  for (int r = p->lo; r < p->hi; r++) {
    if (!may_take(rt, r, seated))
      continue;
    double score = rt->policy == RS_ROUTE_KV_AWARE ? blocks_left(rt, r) : -rt->outstanding[r];
    if (best < 0 || score > best_score)
      best = r, best_score = score;
  }
  return best;
}

int rs_inf__route(rs_inf_router_t* rt, rs_inf_pool_t* p)
{
  if (rt->down && rs_inf__pool_all_down(rt, p)) {
    int* down = rt->down;
    rt->down  = NULL;
    int r     = rs_inf__route(rt, p);
    rt->down  = down;
    return r;
  }
  int seated = any_seat(rt, p), n = p->hi - p->lo;
  if (rt->policy == RS_ROUTE_ROUND_ROBIN) {
    for (int k = 0; k < n; k++) { /* the next in turn that may take it */
      int r = p->lo + (int)(p->rr_next++ % n);
      if (may_take(rt, r, seated))
        return r;
    }
    return p->lo;
  }
  if (rt->heap && p->lo == 0 && p->hi == rt->n && (rt->down == NULL || rt->down[rt->heap[0]] == 0))
    return rt->heap[0]; /* one pool: the heap answers in log time */
  return best_in_pool(rt, p, seated);
}
