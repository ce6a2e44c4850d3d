/* train_groups.c -- the training workload's communicators: the TP, CP, DP and EP groups of its layout
 * (which ranks form each, in which order), their recorders for collectives.csv, and one rank's call of
 * a collective in its group, traced. It does not choose when collectives run (training.c does) nor
 * how they move bytes (the network layer's collectives). See LICENSE. */
#include "wl/train_int.h"

#include <math.h>
#include <simgrid/engine.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

static const char dim_codes[]        = "tcde";
static const char* const dim_names[] = {"tp", "cp", "dp", "ep"};

int rs_train__dim_slot(char dim)
{
  return (int)(strchr(dim_codes, dim) - dim_codes);
}

const char* rs_train__dim_name(char dim)
{
  return dim_names[rs_train__dim_slot(dim)];
}

int rs_train__group_of(const rs_layout_t* l, rs_coords_t c, char dim, int* pos)
{
  switch (dim) {
  case 't':
    *pos = c.tp;
    return (c.pp * l->dp + c.dp) * l->cp + c.cp;
  case 'c':
    *pos = c.cp;
    return (c.pp * l->dp + c.dp) * l->tp + c.tp;
  case 'd':
    *pos = c.dp;
    return (c.pp * l->cp + c.cp) * l->tp + c.tp;
  default: /* 'e': blocks of ep consecutive DP ranks */
    *pos = c.dp % l->ep;
    return ((c.pp * (l->dp / l->ep) + c.dp / l->ep) * l->cp + c.cp) * l->tp + c.tp;
  }
}

static int group_size(const train_wl_t* w, char dim)
{
  return dim == 't' ? w->lay.tp : dim == 'c' ? w->lay.cp : dim == 'd' ? w->lay.dp : w->lay.ep;
}

int rs_train__group_count(const train_wl_t* w, int d)
{
  return w->n / group_size(w, dim_codes[d]);
}

/* Aggregated mode: the CP and EP groups of the replicas that run no actor are copies of a live replica's
 * group (the same positions in the replica whose DP rank is theirs modulo reps), whose flows on shared
 * links that live group issues beside its own. TP groups stay on their NVLink domain
 * (rs_train__aggregated_obstacle), so their copies would load no shared link. */
static void add_copies(train_wl_t* w, char dim, rs_comm_t** groups, const rs_gpu_t** members, int size, int count,
                       const int* n_live)
{
  if (w->flows == NULL || (dim != 'c' && dim != 'e'))
    return;
  int* first = xbt_new(int, count); /* a rank of each group */
  for (int r = 0; r < w->n; r++) {
    int pos, g = rs_train__group_of(&w->lay, rs_layout_coords(&w->lay, r), dim, &pos);
    if (pos == 0)
      first[g] = r;
  }
  for (int g = 0; g < count; g++) {
    if (n_live[g] > 0)
      continue;
    rs_coords_t c = rs_layout_coords(&w->lay, first[g]);
    c.dp %= w->reps;
    int pos, of = rs_train__group_of(&w->lay, c, dim, &pos);
    rs_comm_add_copy(groups[of], members + g * size);
  }
  free(first);
}

/* The groups along dimension d, and their recorders (named like "llama:tp3") when w->rec[d] is set; in
 * aggregated mode only those holding a live rank (the others stay NULL, their traffic on shared links
 * issued as copies, add_copies), each recorder waiting for the group's live ranks only. */
static void make_groups(train_wl_t* w, int d)
{
  char dim                 = dim_codes[d];
  int size                 = group_size(w, dim);
  int count                = w->n / size;
  rs_comm_t** groups       = xbt_new0(rs_comm_t*, count);
  const rs_gpu_t** members = xbt_new(const rs_gpu_t*, w->n);
  char* live               = xbt_new(char, w->n);
  int* n_live              = xbt_new0(int, count);
  for (int r = 0; r < w->n; r++) {
    int pos, g = rs_train__group_of(&w->lay, rs_layout_coords(&w->lay, r), dim, &pos);
    members[g * size + pos] = w->gpus[r];
    live[g * size + pos]    = w->live[r];
    n_live[g] += w->live[r];
  }
  for (int g = 0; g < count; g++) {
    if (n_live[g] == 0)
      continue;
    char* name = bprintf("%s:%c%d", w->wl->name, dim, g);
    groups[g]  = rs_comm_new(name, members + g * size, size);
    free(name);
    if (w->flows)
      rs_comm_set_grouped(groups[g], live + g * size, w->flows);
  }
  add_copies(w, dim, groups, members, size, count, n_live);
  for (int g = 0; w->rec[d] && g < count; g++) {
    if (n_live[g] == 0)
      continue;
    char* name   = bprintf("%s:%s%d", w->wl->name, dim_names[d], g);
    w->rec[d][g] = rs_run_coll_rec_new(w->run, w->wl->name, name, dim_names[d], size, n_live[g]);
    free(name);
  }
  free(members);
  free(live);
  free(n_live);
  w->groups[d] = groups;
}

void rs_train__groups_new(train_wl_t* w, int record)
{
  for (int d = 0; d < RS_TRAIN_DIMS; d++) {
    if (record)
      w->rec[d] = xbt_new0(rs_coll_rec_t*, rs_train__group_count(w, d));
    make_groups(w, d);
  }
}

void rs_train__groups_free(train_wl_t* w)
{
  for (int d = 0; d < RS_TRAIN_DIMS; d++) {
    int count = rs_train__group_count(w, d);
    for (int g = 0; w->groups[d] && g < count; g++)
      rs_comm_free(w->groups[d][g]);
    free(w->groups[d]);
    for (int g = 0; w->rec[d] && g < count; g++)
      rs_run_coll_rec_free(w->rec[d][g]);
    free(w->rec[d]);
  }
}

/* Rank `pos` of group g along dim left a collective it entered at t0: its row of collectives.csv (written
 * by the group's last rank) and its own of ops.csv. */
static void trace(const train_rank_t* me, char dim, int g, int pos, rs_coll_op_t op, rs_coll_algo_t algo, double bytes,
                  double t0, int layer)
{
  rs_coll_rec_t** recs = me->w->rec[rs_train__dim_slot(dim)];
  if (recs != NULL)
    rs_run_coll_rec_done(recs[g], pos, op, algo, bytes, me->at.iteration, t0);
  if (me->w->run->ops == NULL)
    return;
  char detail[48];
  snprintf(detail, sizeof detail, "%s %s", rs_train__dim_name(dim), rs_coll_op_name(op));
  rs_op_row_t row = rs_train__op_row(me, "collective", detail, t0);
  row.layer       = layer;
  row.bytes       = bytes;
  rs_run_op(me->w->run, &row);
}

double rs_train__collective(train_rank_t* me, char dim, rs_coll_op_t op, double bytes, int layer)
{
  int pos;
  int g           = rs_train__group_of(&me->w->lay, me->c, dim, &pos);
  rs_comm_t* comm = me->w->groups[rs_train__dim_slot(dim)][g];
  if (rs_comm_size(comm) < 2)
    return 0;
  double t0           = simgrid_get_clock();
  rs_coll_algo_t algo = rs_coll_choose(comm, op, bytes);
  rs_coll_run(comm, pos, op, algo, bytes);
  double spent = simgrid_get_clock() - t0;
  trace(me, dim, g, pos, op, algo, bytes, t0, layer);
  return spent;
}
