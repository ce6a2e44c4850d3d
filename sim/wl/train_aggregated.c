/* train_aggregated.c -- training's aggregated mode, for very large runs: only the first ep DP replicas
 * run actors (the live ranks), and this file decides what they stand for. It says whether the mode can
 * stand for a job (its TP groups must stay on their NVLink domains' private links, its CP and EP groups
 * must fall into domains alike in every replica, and the platform must state its pods), and plans, from inside the
 * simulation, which of the other replicas' pipeline sends cross a shared link that a simulated flow crosses, so that
 * each live send starts its mirrors beside it: each class of alike ones (the same shared links) as one flow weighted
 * by their number, so the cost does not grow with the replicas. The collectives' own grouped form is the network
 * layer's. See LICENSE. */
#include "wl/train_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Two sends that cross the same shared links: from the same site, pod and rail to the same ones. */
static int alike(const rs_gpu_t* a, const rs_gpu_t* b, const rs_gpu_t* c, const rs_gpu_t* d)
{
  return a->site == c->site && a->pod == c->pod && a->local == c->local && b->site == d->site && b->pod == d->pod &&
         b->local == d->local;
}

static void add_mirror(train_rank_t* me, int backward, sg_host_t from, sg_host_t to, int weight, sg_link_t* ends)
{
  int k                    = me->n_mirrors[backward]++;
  me->mirrors[backward]    = xbt_realloc(me->mirrors[backward], (k + 1) * sizeof(train_mirror_t));
  me->mirrors[backward][k] = (train_mirror_t){from, to, weight, ends};
}

/* The other replicas' copies of one live send (rank me, activations or gradients when backward) that
 * cross a shared link a simulated flow crosses, sorted into classes of alike ones (from[i] to to[i]):
 * class k is ends[k] to ends[k + 1]. plain[i]: copy i runs as a flow of its own. */
typedef struct copies {
  train_rank_t* me;
  rs_nic_index_t** nics; /* the GPUs' NICs, found at the first weighted class (shared by every copies_t) */
  int backward;
  const rs_gpu_t **from, **to;
  char* plain;
  int n, n_classes;
  int* ends;
} copies_t;

/* The copies of me's send (activations, or gradients when backward) in the replicas that run no actor,
 * kept when they cross a shared link that a simulated flow crosses: those contend with it. Sorted into
 * classes in order of their first copy (stable, so that runs agree). */
static void find_copies(train_rank_t* me, int backward, rs_nic_index_t** nics, copies_t* cp)
{
  train_wl_t* w = me->w;
  int most      = w->lay.dp / w->reps + 1;
  *cp           = (copies_t){.me = me, .nics = nics, .backward = backward};
  cp->from      = xbt_new(const rs_gpu_t*, most);
  cp->to        = xbt_new(const rs_gpu_t*, most);
  cp->plain     = xbt_new0(char, most);
  cp->ends      = xbt_new(int, most + 1);
  for (int d = me->c.dp + w->reps; has_peer(w, me->c, backward) && d < w->lay.dp; d += w->reps) {
    rs_coords_t c   = me->c;
    c.dp            = d;
    cp->from[cp->n] = gpu_at(w, c);
    cp->to[cp->n]   = gpu_at(w, pp_peer(c, backward));
    cp->n += rs_flows_crosses_marked(w->flows, cp->from[cp->n], cp->to[cp->n]);
  }
  for (int first = 0; first < cp->n;) {
    int end = first + 1;
    for (int i = end; i < cp->n; i++)
      if (alike(cp->from[first], cp->to[first], cp->from[i], cp->to[i])) {
        const rs_gpu_t *a = cp->from[i], *b = cp->to[i];
        memmove(cp->from + end + 1, cp->from + end, (i - end) * sizeof *cp->from);
        memmove(cp->to + end + 1, cp->to + end, (i - end) * sizeof *cp->to);
        cp->from[end] = a;
        cp->to[end++] = b;
      }
    cp->ends[cp->n_classes++] = first;
    first                     = end;
  }
  cp->ends[cp->n_classes] = cp->n;
}

static void copies_free(copies_t* cp)
{
  free(cp->from);
  free(cp->to);
  free(cp->plain);
  free(cp->ends);
}

/* Copy i runs as a flow of its own from its own GPU: its GPUs are ends of a planned flow from now on. */
static void run_alone(copies_t* cp, int i)
{
  rs_flows_note_end(cp->me->w->flows, cp->from[i]->host);
  rs_flows_note_end(cp->me->w->flows, cp->to[i]->host);
  add_mirror(cp->me, cp->backward, cp->from[i]->host, cp->to[i]->host, 1, NULL);
}

/* A copy whose GPU is an end of another simulated flow (a DP ring's hop across pods, say) shares its NIC
 * with that flow, so it runs on its own (run_alone). Returns how many copies it kept so. */
static int keep_plain(copies_t* cp)
{
  rs_flows_t* f = cp->me->w->flows;
  int kept      = 0;
  for (int i = 0; i < cp->n; i++)
    if (!cp->plain[i] && (rs_flows_end_used(f, cp->from[i]->host) || rs_flows_end_used(f, cp->to[i]->host))) {
      kept++;
      cp->plain[i] = 1;
      run_alone(cp, i);
    }
  return kept;
}

/* The NIC halves of class k's n copies that are not plain, the sender's up and the receiver's down of
 * each, rep's first (as rs_net_flow_weighted counts them); NULL when the platform names none. */
static sg_link_t* own_nics(const copies_t* cp, int k, int rep, int n)
{
  if (*cp->nics == NULL)
    *cp->nics = rs_platform_nic_index();
  const rs_nic_index_t* x = *cp->nics;
  sg_link_t* ends         = xbt_new(sg_link_t, 2 * n);
  int m                   = 0;
  ends[m++]               = rs_platform_gpu_nic(x, cp->from[rep], 1);
  ends[m++]               = rs_platform_gpu_nic(x, cp->to[rep], 0);
  for (int i = cp->ends[k]; i < cp->ends[k + 1]; i++)
    if (!cp->plain[i] && i != rep) {
      ends[m++] = rs_platform_gpu_nic(x, cp->from[i], 1);
      ends[m++] = rs_platform_gpu_nic(x, cp->to[i], 0);
    }
  for (int i = 0; i < m; i++)
    if (ends[i] == NULL) {
      free(ends);
      return NULL;
    }
  return ends;
}

/* A scheduled link-class degradation sets a link's bandwidth from the one it had at the start, so it
 * would undo a widened NIC under a weighted flow: with one in the scenario, each copy runs on its own. */
static int degrades_links(const rs_scenario_t* sc)
{
  for (int i = 0; i < sc->failures.n_events; i++)
    if (sc->failures.events[i].target == RS_TARGET_LINK_CLASS)
      return 1;
  return 0;
}

/* The other copies of each class are alike (the replicas run in step): one flow, weighted by their
 * number, between a pair of them whose NICs nothing else uses (widened to carry them all); when no pair
 * is free, each on its own. */
static void weigh_classes(copies_t* cp, int may_widen)
{
  rs_flows_t* f = cp->me->w->flows;
  for (int k = 0; k < cp->n_classes; k++) {
    int n = 0, rep = -1;
    for (int i = cp->ends[k]; i < cp->ends[k + 1]; i++)
      n += !cp->plain[i];
    for (int i = cp->ends[k]; i < cp->ends[k + 1] && may_widen && n > 1 && rep < 0; i++)
      if (!cp->plain[i] && rs_flows_widen_ends(f, cp->from[i]->host, cp->to[i]->host, n))
        rep = i;
    if (rep >= 0) {
      add_mirror(cp->me, cp->backward, cp->from[rep]->host, cp->to[rep]->host, n, own_nics(cp, k, rep, n));
      continue;
    }
    for (int i = cp->ends[k]; i < cp->ends[k + 1]; i++)
      if (!cp->plain[i])
        run_alone(cp, i);
  }
}

/* Marks the shared links of the live ranks' pipeline sends and of the collective flows, then picks the
 * other replicas' pipeline sends that cross them: first those that share a GPU with another simulated
 * flow, each on its own, then each class of the others as one weighted flow. */
void rs_train__plan_aggregated(train_wl_t* w)
{
  for (int i = 0; i < w->n_live; i++) {
    rs_flows_note_end(w->flows, w->live_gpus[i]->host);
    for (int b = 0; b < 2; b++)
      if (has_peer(w, w->ranks[i]->c, b))
        rs_flows_shared(w->flows, w->ranks[i]->gpu, gpu_at(w, pp_peer(w->ranks[i]->c, b)), 1);
  }
  for (int d = 0; d < RS_TRAIN_DIMS; d++)
    for (int g = 0; g < rs_train__group_count(w, d); g++)
      if (w->groups[d][g]) {
        rs_comm_plan(w->groups[d][g]);
        if (d == rs_train__dim_slot('e'))
          rs_comm_plan_alltoall(w->groups[d][g]);
      }
  copies_t* cps        = xbt_new(copies_t, 2 * w->n_live);
  rs_nic_index_t* nics = NULL;
  for (int i = 0; i < 2 * w->n_live; i++)
    find_copies(w->ranks[i / 2], i % 2, &nics, &cps[i]);
  for (int kept = 1; kept > 0;) /* until no GPU of a plain copy is left in a class */
    for (int i = kept = 0; i < 2 * w->n_live; i++)
      kept += keep_plain(&cps[i]);
  int mirrors = 0, flows = 0, may_widen = !degrades_links(w->run->sc);
  for (int i = 0; i < 2 * w->n_live; i++) {
    weigh_classes(&cps[i], may_widen);
    mirrors += cps[i].n;
    copies_free(&cps[i]);
  }
  for (int i = 0; i < w->n_live; i++)
    flows += w->ranks[i]->n_mirrors[0] + w->ranks[i]->n_mirrors[1];
  free(cps);
  rs_platform_nic_index_free(nics);
  XBT_INFO("%s: aggregated mode, %d of %d GPUs run as actors; %d sends of other replicas per micro-batch share "
           "their uplinks, run as %d flows",
           w->wl->name, w->n_live, w->n, mirrors, flows);
}

void rs_train__send_mirrors(const train_rank_t* me, int backward, double bytes)
{
  for (int k = 0; k < me->n_mirrors[backward]; k++) {
    const train_mirror_t* m = &me->mirrors[backward][k];
    rs_flows_start_weighted(me->w->flows, m->from, m->to, bytes, m->weight, m->ends, NULL);
  }
}
