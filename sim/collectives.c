/* collectives.c -- ring, NVLink SHARP and direct collectives, one actor per rank, on SimGrid mailboxes.
 * Time of a step = its bytes over the real route (sharing links with every other flow of the run),
 * inflated by the calibrated efficiency, plus NCCL's per-hop latency. The aggregated form for very
 * large runs will sit behind the same rs_coll_run. This is the one file that uses sg_comm_wait_all,
 * deprecated after SimGrid 3.35. See LICENSE. */
#include "collectives.h"

#include "hardware.h"

#include <simgrid/actor.h>
#include <simgrid/comm.h>
#include <simgrid/mailbox.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/asserts.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

struct rs_comm {
  int n;
  const rs_gpu_t** gpus;
  sg_mailbox_t* mbox; /* mbox[r]: where rank r receives */
  const rs_hw_calib_t* calib;
  int one_domain;
  /* For the hierarchical form, when every domain holds the same number of ranks (per_domain > 1,
   * domains > 1): the communicator of each domain and of each rail (position in the domain), and
   * where each rank sits in them. */
  int per_domain, domains;
  rs_comm_t** domain_comm; /* [domains] */
  rs_comm_t** rail_comm;   /* [per_domain] */
  int* domain_of;          /* [n]: index of rank's domain communicator; its rank there is rail_of */
  int* rail_of;            /* [n]: index of rank's rail communicator; its rank there is domain_of */
};

static int same_domain(const rs_gpu_t* a, const rs_gpu_t* b) { return a->domain == b->domain && a->site == b->site; }

/* Ranks arrive domain by domain (the platform orders GPUs so); split them when the domains are equal. */
static void split_hierarchy(rs_comm_t* c, const char* name)
{
  int g = 1;
  while (g < c->n && same_domain(c->gpus[g], c->gpus[0]))
    g++;
  if (g < 2 || g == c->n || c->n % g != 0)
    return;
  for (int r = 0; r < c->n; r++)
    if (!same_domain(c->gpus[r], c->gpus[r - r % g]) || (r % g == 0 && r > 0 && same_domain(c->gpus[r], c->gpus[r - 1])))
      return;
  int domains    = c->n / g;
  c->per_domain  = g;
  c->domains     = domains;
  c->domain_comm = xbt_new(rs_comm_t*, domains);
  c->rail_comm   = xbt_new(rs_comm_t*, g);
  c->domain_of   = xbt_new(int, c->n);
  c->rail_of     = xbt_new(int, c->n);
  const rs_gpu_t** members = xbt_new(const rs_gpu_t*, c->n);
  for (int d = 0; d < domains; d++) {
    char* sub         = bprintf("%s/d%d", name, d);
    c->domain_comm[d] = rs_comm_new(sub, c->gpus + d * g, g);
    free(sub);
  }
  for (int k = 0; k < g; k++) {
    for (int d = 0; d < domains; d++)
      members[d] = c->gpus[d * g + k];
    char* sub       = bprintf("%s/rail%d", name, k);
    c->rail_comm[k] = rs_comm_new(sub, members, domains);
    free(sub);
  }
  free(members);
  for (int r = 0; r < c->n; r++) {
    c->domain_of[r] = r / g;
    c->rail_of[r]   = r % g;
  }
}

rs_comm_t* rs_comm_new(const char* name, const rs_gpu_t* const* gpus, int n)
{
  rs_comm_t* c  = xbt_new0(rs_comm_t, 1);
  c->n          = n;
  c->gpus       = xbt_new(const rs_gpu_t*, n);
  c->mbox       = xbt_new(sg_mailbox_t, n);
  c->calib      = rs_hw_calib(gpus[0]->model->name);
  c->one_domain = 1;
  for (int r = 0; r < n; r++) {
    c->gpus[r] = gpus[r];
    char* mb   = bprintf("%s:r%d", name, r);
    c->mbox[r] = sg_mailbox_by_name(mb);
    free(mb);
    c->one_domain &= same_domain(gpus[r], gpus[0]);
  }
  if (!c->one_domain)
    split_hierarchy(c, name);
  return c;
}

void rs_comm_free(rs_comm_t* c)
{
  if (c == NULL)
    return;
  for (int d = 0; d < c->domains; d++)
    rs_comm_free(c->domain_comm[d]);
  for (int k = 0; k < c->per_domain; k++)
    rs_comm_free(c->rail_comm[k]);
  free(c->domain_comm);
  free(c->rail_comm);
  free(c->domain_of);
  free(c->rail_of);
  free(c->gpus);
  free(c->mbox);
  free(c);
}

int rs_comm_size(const rs_comm_t* c) { return c->n; }

double rs_coll_bus_factor(rs_coll_op_t op, int n)
{
  return op == RS_OP_ALLREDUCE ? 2.0 * (n - 1) / n : (double)(n - 1) / n;
}

/* ---- cost model: what NCCL's tuner would predict, used to choose like it does ---------------- */

static double ring_eff(const rs_comm_t* c) { return c->one_domain ? c->calib->nvlink_ring_eff : c->calib->net_ring_eff; }
static double hop_s(const rs_comm_t* c) { return c->one_domain ? c->calib->nvlink_hop_s : c->calib->net_hop_s; }

/* Slowest per-rank bandwidth the ring goes through: NVLink inside a domain, the NIC across. */
static double ring_link_bw(const rs_comm_t* c)
{
  const rs_gpu_model_t* m = c->gpus[0]->model;
  return c->one_domain ? m->nvlink_bytes_per_s : m->nic_bytes_per_s;
}

static int ring_steps(rs_coll_op_t op, int n) { return op == RS_OP_ALLREDUCE ? 2 * (n - 1) : n - 1; }

static double predict(const rs_comm_t* c, rs_coll_op_t op, rs_coll_algo_t algo, double bytes);

/* Inside each domain, then across on each rail with 1/g of the data, then inside again (all-reduce),
 * or the first two phases (reduce-scatter), or the last two (all-gather). */
static double predict_hierarchical(const rs_comm_t* c, rs_coll_op_t op, double bytes)
{
  const rs_comm_t* local = c->domain_comm[0];
  const rs_comm_t* rail  = c->rail_comm[0];
  double shard           = bytes / c->per_domain;
  if (op == RS_OP_ALLREDUCE)
    return predict(local, RS_OP_REDUCESCATTER, RS_ALGO_RING, bytes) +
           predict(rail, RS_OP_ALLREDUCE, RS_ALGO_RING, shard) +
           predict(local, RS_OP_ALLGATHER, RS_ALGO_RING, bytes);
  return predict(local, op, RS_ALGO_RING, bytes) + predict(rail, op, RS_ALGO_RING, shard);
}

static double predict(const rs_comm_t* c, rs_coll_op_t op, rs_coll_algo_t algo, double bytes)
{
  int n = c->n;
  if (algo == RS_ALGO_HIERARCHICAL)
    return predict_hierarchical(c, op, bytes);
  if (algo == RS_ALGO_NVLS)
    return c->calib->nvls_s + bytes * (n - 1) / n / (c->calib->nvls_eff * ring_link_bw(c));
  if (algo == RS_ALGO_DIRECT)
    return c->calib->base_s + hop_s(c) + bytes * (n - 1) / n / (ring_eff(c) * ring_link_bw(c));
  return c->calib->base_s + ring_steps(op, n) * (hop_s(c) + bytes / n / (ring_eff(c) * ring_link_bw(c)));
}

int rs_coll_check(const rs_comm_t* c, rs_coll_op_t op, rs_coll_algo_t algo, rs_err_t* err)
{
  switch (algo) {
    case RS_ALGO_AUTO:
      return RS_OK;
    case RS_ALGO_RING:
      if (op == RS_OP_ALLTOALL)
        return rs_err_set(err, "all-to-all has no ring algorithm: use direct or auto");
      return RS_OK;
    case RS_ALGO_NVLS:
      if (op != RS_OP_ALLREDUCE)
        return rs_err_set(err, "nvls runs all-reduce only");
      if (!c->one_domain)
        return rs_err_set(err, "nvls needs every GPU in one NVLink domain");
      if (c->calib->nvls_eff <= 0)
        return rs_err_set(err, "nvls is not calibrated for %s GPUs (no published NVLS measurement)",
                          c->gpus[0]->model->name);
      return RS_OK;
    case RS_ALGO_DIRECT:
      if (op != RS_OP_ALLTOALL)
        return rs_err_set(err, "direct runs all-to-all only");
      return RS_OK;
    case RS_ALGO_HIERARCHICAL:
      if (op == RS_OP_ALLTOALL)
        return rs_err_set(err, "all-to-all has no hierarchical algorithm: use direct or auto");
      if (c->domains == 0)
        return rs_err_set(err, "hierarchical needs GPUs in several NVLink domains, with as many in each (at least 2)");
      return RS_OK;
  }
  return RS_ERR;
}

double rs_coll_predict(const rs_comm_t* c, rs_coll_op_t op, rs_coll_algo_t algo, double bytes)
{
  return predict(c, op, algo, bytes);
}

rs_coll_algo_t rs_coll_choose(const rs_comm_t* c, rs_coll_op_t op, double bytes)
{
  if (op == RS_OP_ALLTOALL)
    return RS_ALGO_DIRECT;
  static const rs_coll_algo_t candidates[] = {RS_ALGO_NVLS, RS_ALGO_HIERARCHICAL};
  rs_coll_algo_t best = RS_ALGO_RING;
  for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
    if (rs_coll_check(c, op, candidates[i], NULL) == RS_OK &&
        predict(c, op, candidates[i], bytes) < predict(c, op, best, bytes))
      best = candidates[i];
  return best;
}

/* ---- algorithms --------------------------------------------------------------------------------- */

/* SimGrid refuses NULL payloads; the data itself is not simulated, so every message carries this. */
static char token;

/* Bytes put on the wire so that the route's bandwidth yields NCCL's achieved rate. */
static long wire_bytes(double bytes, double eff) { return (long)(bytes / eff + 0.5); }

/* `steps` ring steps of `chunk` bytes: send to the next rank, receive from the previous one. */
static void run_ring(rs_comm_t* c, int rank, int steps, double chunk)
{
  sg_mailbox_t next = c->mbox[(rank + 1) % c->n];
  sg_mailbox_t mine = c->mbox[rank];
  long wire         = wire_bytes(chunk, ring_eff(c));
  for (int s = 0; s < steps; s++) {
    sg_comm_t send = sg_mailbox_put_async(next, &token, wire);
    sg_mailbox_get(mine);
    sg_comm_wait(send);
    sg_actor_sleep_for(hop_s(c));
  }
}

/* Every rank sends `chunk` bytes to every other rank at once. */
static void run_direct(rs_comm_t* c, int rank, double chunk, double eff)
{
  int n            = c->n;
  sg_comm_t* sends = xbt_new(sg_comm_t, n - 1);
  long wire        = wire_bytes(chunk, eff);
  for (int k = 1; k < n; k++)
    sends[k - 1] = sg_mailbox_put_async(c->mbox[(rank + k) % n], &token, wire);
  for (int k = 1; k < n; k++)
    sg_mailbox_get(c->mbox[rank]);
  sg_comm_wait_all(sends, n - 1);
  free(sends);
}

/* The phases of predict_hierarchical, each a ring on a sub-communicator: NVLink inside the domain,
 * the NICs of one rail across domains. */
static void run_hierarchical(rs_comm_t* c, int rank, rs_coll_op_t op, double bytes)
{
  rs_comm_t* local = c->domain_comm[c->domain_of[rank]];
  rs_comm_t* rail  = c->rail_comm[c->rail_of[rank]];
  int in_domain    = c->rail_of[rank];
  int in_rail      = c->domain_of[rank];
  double shard     = bytes / c->per_domain;
  if (op == RS_OP_ALLREDUCE || op == RS_OP_REDUCESCATTER)
    rs_coll_run(local, in_domain, RS_OP_REDUCESCATTER, RS_ALGO_RING, bytes);
  rs_coll_run(rail, in_rail, op, RS_ALGO_RING, shard);
  if (op == RS_OP_ALLREDUCE || op == RS_OP_ALLGATHER)
    rs_coll_run(local, in_domain, RS_OP_ALLGATHER, RS_ALGO_RING, bytes);
}

void rs_coll_run(rs_comm_t* c, int rank, rs_coll_op_t op, rs_coll_algo_t algo, double bytes)
{
  xbt_assert(algo != RS_ALGO_AUTO, "rs_coll_run needs a concrete algorithm");
  int n = c->n;
  if (n < 2)
    return;
  switch (algo) {
    case RS_ALGO_RING:
      sg_actor_sleep_for(c->calib->base_s);
      run_ring(c, rank, ring_steps(op, n), bytes / n);
      break;
    case RS_ALGO_NVLS:
      /* In-switch reduction: each GPU pushes its data into the switch and reads back the reduced
       * result, i.e. (n-1)/n of the buffer crosses its link each way, like one exchange of S/n pieces. */
      sg_actor_sleep_for(c->calib->nvls_s);
      run_direct(c, rank, bytes / n, c->calib->nvls_eff);
      break;
    case RS_ALGO_DIRECT:
      sg_actor_sleep_for(c->calib->base_s + hop_s(c));
      run_direct(c, rank, bytes / n, ring_eff(c));
      break;
    case RS_ALGO_HIERARCHICAL:
      run_hierarchical(c, rank, op, bytes);
      break;
    case RS_ALGO_AUTO:
      break;
  }
}
