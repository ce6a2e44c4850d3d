/* train_aggregated.c -- training's aggregated mode, for very large runs: only the first ep DP replicas
 * run actors (the live ranks), and this file decides what they stand for. It says whether the mode can
 * stand for a job (its TP groups must stay on their NVLink domains' private links, its CP and EP groups
 * must fall into domains alike in every replica, and the platform must state its pods), and plans, from inside the
 * simulation, which of the other replicas' pipeline sends cross a shared link that a simulated flow crosses, so that
 * each live send starts its mirrors beside it. The collectives' own grouped form is the network layer's. See LICENSE.
 */
#include "wl/train_int.h"

#include <stdio.h>
#include <xbt/log.h>
#include <xbt/sysdep.h>

XBT_LOG_EXTERNAL_DEFAULT_CATEGORY(rs_training);

/* ---- whether it can stand for the job (prepare) ------------------------------------------------- */

/* The rank at position k of r's group along dim ('t', 'c' or 'e'). */
static int group_member(const rs_layout_t* l, int r, char dim, int k)
{
  rs_coords_t c = rs_layout_coords(l, r);
  if (dim == 't')
    c.tp = k;
  else if (dim == 'c')
    c.cp = k;
  else
    c.dp += k - c.dp % l->ep;
  return rs_layout_rank(l, c);
}

static int same_domain(const rs_gpu_t* a, const rs_gpu_t* b)
{
  return a->domain == b->domain && a->site == b->site;
}

/* The mode runs the TP, CP and EP groups of the live replicas (the first ep) only, and issues the
 * flows of the others' CP and EP groups that cross shared links beside the live groups' own
 * (rs_comm_add_copy), which stands for them when every copy falls into NVLink domains as its live group
 * does. TP groups must stay on their domain's private links: their copies are not issued. The dimension
 * of a group it cannot stand for, or 0; *unlike the reason (0: a TP group leaves its domain, 1: a group
 * falls unlike its live copy). */
static char group_not_stood_for(const rs_gpu_t* gpus, const rs_layout_t* l, int n, int* unlike)
{
  static const char dims[] = {'t', 'c', 'e'};
  const int sizes[]        = {l->tp, l->cp, l->ep};
  for (int r = 0; r < n; r++) {
    rs_coords_t c = rs_layout_coords(l, r);
    c.dp %= l->ep;
    int like = rs_layout_rank(l, c); /* r's counterpart in the live replicas */
    for (int d = 0; d < 3; d++)
      for (int k = 0; k < sizes[d]; k++) {
        const rs_gpu_t* peer = &gpus[group_member(l, r, dims[d], k)];
        int same             = same_domain(&gpus[r], peer);
        if (d == 0 && !same) {
          *unlike = 0;
          return dims[d];
        }
        if (same != same_domain(&gpus[like], &gpus[group_member(l, like, dims[d], k)])) {
          *unlike = 1;
          return dims[d];
        }
      }
  }
  return 0;
}

int rs_train__aggregated_obstacle(const rs_platform_t* p, int first, const rs_layout_t* l, int n, char* why, size_t len)
{
  if (p->n_domains > 1 && p->gpus[first].pod < 0) {
    snprintf(why, len,
             "the platform does not state its GPUs' pods (rs.pod), so the flows that share its uplinks "
             "cannot be found; use a generated platform or mode: faithful");
    return 1;
  }
  int unlike;
  char dim = group_not_stood_for(p->gpus + first, l, n, &unlike);
  if (dim == 0)
    return 0;
  const char* name = rs_train__dim_name(dim);
  if (unlike)
    snprintf(why, len,
             "%s groups of the replicas it does not run fall into NVLink domains unlike those of the first, "
             "so the first cannot stand for their traffic; use mode: faithful or a layout whose %s groups "
             "fall alike in every replica",
             name, name);
  else
    snprintf(why, len,
             "%s groups leave their NVLink domain, so the copies it does not run would share links; use "
             "mode: faithful or a layout whose %s groups fit a domain",
             name, name);
  return 1;
}

int rs_train__is_aggregated(const rs_run_t* run, const rs_sc_workload_t* wl, const rs_layout_t* l, int n)
{
  const rs_sc_training_t* cfg = &wl->u.train;
  char why[256];
  return cfg->mode == RS_TRAIN_AGGREGATED ||
         (cfg->mode == RS_TRAIN_AUTO && n > RS_TRAIN_AUTO_FAITHFUL_MAX &&
          !rs_train__aggregated_obstacle(run->plat, wl->first_gpu, l, n, why, sizeof why));
}

/* ---- what the live ranks simulate for the others (in the simulation) ---------------------------- */

/* The rank one stage on (the receiver of activations), or one stage back (of gradients). */
static rs_coords_t pp_peer(rs_coords_t c, int backward)
{
  c.pp += backward ? -1 : 1;
  return c;
}

static int has_peer(const train_wl_t* w, rs_coords_t c, int backward)
{
  return backward ? c.pp > 0 : c.pp < w->lay.pp - 1;
}

static const rs_gpu_t* gpu_at(const train_wl_t* w, rs_coords_t c)
{
  return w->gpus[rs_layout_rank(&w->lay, c)];
}

/* The copies of me's send (activations, or gradients when backward) in the replicas that run no actor,
 * kept when they cross a shared link that a simulated flow crosses: those contend with it. */
static void plan_mirrors(train_rank_t* me, int backward)
{
  train_wl_t* w = me->w;
  if (!has_peer(w, me->c, backward))
    return;
  for (int d = me->c.dp + w->reps; d < w->lay.dp; d += w->reps) {
    rs_coords_t c        = me->c;
    c.dp                 = d;
    const rs_gpu_t *from = gpu_at(w, c), *to = gpu_at(w, pp_peer(c, backward));
    if (!rs_flows_crosses_marked(w->flows, from, to))
      continue;
    int k                            = me->n_mirrors[backward]++;
    me->mirrors[backward]            = xbt_realloc(me->mirrors[backward], 2 * (k + 1) * sizeof(sg_host_t));
    me->mirrors[backward][2 * k]     = from->host;
    me->mirrors[backward][2 * k + 1] = to->host;
  }
}

/* Marks the shared links of the live ranks' pipeline sends and of the collective flows, then picks the
 * other replicas' pipeline sends that cross them. */
void rs_train__plan_aggregated(train_wl_t* w)
{
  for (int i = 0; i < w->n_live; i++)
    for (int b = 0; b < 2; b++)
      if (has_peer(w, w->ranks[i]->c, b))
        rs_flows_shared(w->flows, w->ranks[i]->gpu, gpu_at(w, pp_peer(w->ranks[i]->c, b)), 1);
  for (int d = 0; d < RS_TRAIN_DIMS; d++)
    for (int g = 0; g < rs_train__group_count(w, d); g++)
      if (w->groups[d][g]) {
        rs_comm_plan(w->groups[d][g]);
        if (d == rs_train__dim_slot('e'))
          rs_comm_plan_alltoall(w->groups[d][g]);
      }
  int mirrors = 0;
  for (int i = 0; i < w->n_live; i++)
    for (int b = 0; b < 2; b++) {
      plan_mirrors(w->ranks[i], b);
      mirrors += w->ranks[i]->n_mirrors[b];
    }
  XBT_INFO("%s: aggregated mode, %d of %d GPUs run as actors; %d sends of other replicas per micro-batch share "
           "their uplinks",
           w->wl->name, w->n_live, w->n, mirrors);
}

void rs_train__send_mirrors(const train_rank_t* me, int backward, double bytes)
{
  for (int k = 0; k < me->n_mirrors[backward]; k++)
    rs_flows_start(me->w->flows, me->mirrors[backward][2 * k], me->mirrors[backward][2 * k + 1], bytes, NULL);
}
