/* train_aggregated.c -- training's aggregated mode, for very large runs: only the first ep DP replicas
 * run actors (the live ranks), and this file decides what they stand for. It says whether the mode can
 * stand for a job (its TP, CP and EP groups must stay on their NVLink domains' private links, and the
 * platform must state its pods), and plans, from inside the simulation, which of the other replicas'
 * pipeline sends cross a shared link that a simulated flow crosses, so that each live send starts its
 * mirrors beside it. The collectives' own grouped form is the network layer's. See LICENSE. */
#include "wl/train_int.h"

#include <stdio.h>
#include <xbt/log.h>
#include <xbt/sysdep.h>

XBT_LOG_EXTERNAL_DEFAULT_CATEGORY(rs_training);

/* ---- whether it can stand for the job (prepare) ------------------------------------------------- */

/* The first rank of r's group along dim ('t', 'c' or 'e'). */
static int group_leader(const rs_layout_t* l, int r, char dim)
{
  rs_coords_t c = rs_layout_coords(l, r);
  if (dim == 't')
    c.tp = 0;
  else if (dim == 'c')
    c.cp = 0;
  else
    c.dp -= c.dp % l->ep;
  return rs_layout_rank(l, c);
}

/* The mode runs the TP, CP and EP groups of the live replicas only, which is exact when they stay on
 * their NVLink domain's private links; the dimension of a group that leaves it, or 0. */
static char group_leaving_domain(const rs_gpu_t* gpus, const rs_layout_t* l, int n)
{
  static const char dims[] = {'t', 'c', 'e'};
  for (int r = 0; r < n; r++)
    for (int k = 0; k < 3; k++)
      if (gpus[r].domain != gpus[group_leader(l, r, dims[k])].domain)
        return dims[k];
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
  char dim = group_leaving_domain(p->gpus + first, l, n);
  if (dim == 0)
    return 0;
  const char* name = rs_train__dim_name(dim);
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
      if (w->groups[d][g])
        rs_comm_plan(w->groups[d][g]);
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
