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
};

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
    c->one_domain &= gpus[r]->domain == gpus[0]->domain && gpus[r]->site == gpus[0]->site;
  }
  return c;
}

void rs_comm_free(rs_comm_t* c)
{
  if (c == NULL)
    return;
  free(c->gpus);
  free(c->mbox);
  free(c);
}

int rs_comm_size(const rs_comm_t* c) { return c->n; }
int rs_comm_in_one_domain(const rs_comm_t* c) { return c->one_domain; }

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

static double predict(const rs_comm_t* c, rs_coll_op_t op, rs_coll_algo_t algo, double bytes)
{
  int n = c->n;
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
  }
  return RS_ERR;
}

rs_coll_algo_t rs_coll_choose(const rs_comm_t* c, rs_coll_op_t op, double bytes)
{
  if (op == RS_OP_ALLTOALL)
    return RS_ALGO_DIRECT;
  rs_coll_algo_t best = RS_ALGO_RING;
  if (rs_coll_check(c, op, RS_ALGO_NVLS, NULL) == RS_OK &&
      predict(c, op, RS_ALGO_NVLS, bytes) < predict(c, op, RS_ALGO_RING, bytes))
    best = RS_ALGO_NVLS;
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
    case RS_ALGO_AUTO:
      break;
  }
}
