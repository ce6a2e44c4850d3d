/* collectives.c -- ring, tree, NVLink SHARP and direct collectives, one actor per rank, on SimGrid mailboxes.
 * Time of a step = its bytes over the real route (sharing links with every other flow of the run),
 * inflated by the calibrated efficiency, plus NCCL's per-hop latency. Ring, rail ring and tree run
 * the NCCL protocol (LL, LL128, Simple) the cost model predicts fastest for the size; NVLS and direct
 * run Simple. The grouped form (for the
 * aggregated training mode) sits behind the same rs_coll_run: every algorithm is a ring of n flows per
 * phase there, each carrying what its rank would send in all the phase's steps. Every message goes
 * through the send path (send.c). See LICENSE. */
#include "net/net.h"

#include <simgrid/actor.h>
#include <simgrid/barrier.h>
#include <simgrid/comm.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <simgrid/semaphore.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/asserts.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

/* The grouped form: which ranks run actors, and which ring flows (hop i: rank i to rank i+1) each of
 * them issues; chosen once, by plan_grouped. */
typedef struct grouped {
  char* live; /* [n] */
  int n_live, first_live;
  rs_flows_t* flows;
  sg_bar_t bar;            /* the live ranks, when there are several: a phase ends when all its flows did */
  int** hops_of;           /* [n]: the hops a live rank issues: i + n k is hop i of copy k (0: the group itself) */
  int* n_hops_of;          /* [n] */
  const rs_gpu_t** copies; /* [n_copies x n]: the GPUs of copies of the group that run no actor */
  int n_copies;
  double max_lat; /* longest route latency of the hops, paid once per step the phase stands for */
  int planned;
  /* the direct all-to-all of a group that spans NVLink domains: every rank to every other one, each pair
   * k n^2 + i n + j (rank i to rank j of copy k, 0: the group itself) issued by one live rank; planned by
   * plan_pairs */
  int** pairs_of;  /* [n] */
  int* n_pairs_of; /* [n] */
  double pair_lat; /* longest route latency of the pairs */
  int pairs_planned;
} grouped_t;

struct rs_comm {
  int n;
  const rs_gpu_t** gpus;
  sg_mailbox_t* mbox; /* mbox[r]: where rank r receives */
  sg_mailbox_t* xbox; /* xbox[r]: where rank r receives from another domain in rail-ring and tree */
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
  /* For the rail ring, whenever the ranks sit in several domains, equal or not (not every one alone):
   * the domains in rank order, and its channels, as many as the smallest domain has GPUs. */
  int rail_domains; /* 0: the rail ring cannot run */
  int rails;
  int* dom_first; /* [rail_domains + 1]: first rank of each domain, then n */
  int* dom_idx;   /* [n]: the domain of each rank */
  int spread;     /* 1: every rank in an NVLink domain of its own (the tree still runs) */
  grouped_t* grp; /* NULL: faithful form */
  double max_lat; /* longest route latency between two ranks; -1: not known yet */
};

static int same_domain(const rs_gpu_t* a, const rs_gpu_t* b)
{
  return a->domain == b->domain && a->site == b->site;
}

/* The domains of the rail ring: runs of consecutive ranks in one domain, each domain once (ranks arrive
 * domain by domain, as the platform orders GPUs); not when every domain holds one rank. */
static void split_rails(rs_comm_t* c)
{
  int* first = xbt_new(int, c->n + 1);
  int D = 0, smallest = c->n, largest = 0;
  for (int r = 0; r < c->n; r++) {
    if (r > 0 && same_domain(c->gpus[r], c->gpus[r - 1]))
      continue;
    for (int k = 0; k < r; k++)
      if (same_domain(c->gpus[k], c->gpus[r])) { /* a domain met twice: not domain by domain */
        free(first);
        return;
      }
    first[D++] = r;
  }
  first[D] = c->n;
  for (int d = 0; d < D; d++) {
    int size = first[d + 1] - first[d];
    smallest = size < smallest ? size : smallest;
    largest  = size > largest ? size : largest;
  }
  if (D < 2 || largest < 2) {
    free(first);
    return;
  }
  c->rail_domains = D;
  c->rails        = smallest;
  c->dom_first    = first;
  c->dom_idx      = xbt_new(int, c->n);
  for (int d = 0; d < D; d++)
    for (int r = first[d]; r < first[d + 1]; r++)
      c->dom_idx[r] = d;
}

/* Ranks arrive domain by domain (the platform orders GPUs so); split them when the domains are equal. */
static void split_hierarchy(rs_comm_t* c, const char* name)
{
  int g = 1;
  while (g < c->n && same_domain(c->gpus[g], c->gpus[0]))
    g++;
  if (g < 2 || g == c->n || c->n % g != 0)
    return;
  for (int r = 0; r < c->n; r++)
    if (!same_domain(c->gpus[r], c->gpus[r - r % g]) ||
        (r % g == 0 && r > 0 && same_domain(c->gpus[r], c->gpus[r - 1])))
      return;
  int domains              = c->n / g;
  c->per_domain            = g;
  c->domains               = domains;
  c->domain_comm           = xbt_new(rs_comm_t*, domains);
  c->rail_comm             = xbt_new(rs_comm_t*, g);
  c->domain_of             = xbt_new(int, c->n);
  c->rail_of               = xbt_new(int, c->n);
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
  c->xbox       = xbt_new(sg_mailbox_t, n);
  c->calib      = gpus[0]->model->calib;
  c->one_domain = 1;
  c->max_lat    = -1;
  for (int r = 0; r < n; r++) {
    c->gpus[r] = gpus[r];
    char* mb   = bprintf("%s:r%d", name, r);
    c->mbox[r] = sg_mailbox_by_name(mb);
    free(mb);
    mb         = bprintf("%s:r%d:x", name, r);
    c->xbox[r] = sg_mailbox_by_name(mb);
    free(mb);
    c->one_domain &= same_domain(gpus[r], gpus[0]);
  }
  if (!c->one_domain) {
    split_hierarchy(c, name);
    split_rails(c);
  }
  c->spread = !c->one_domain && c->domains == 0;
  for (int r = 1; r < n && c->spread; r++)
    c->spread = !same_domain(gpus[r], gpus[r - 1]);
  return c;
}

static void grouped_free(grouped_t* g, int n)
{
  if (g == NULL)
    return;
  for (int r = 0; g->hops_of && r < n; r++)
    free(g->hops_of[r]);
  free(g->hops_of);
  free(g->n_hops_of);
  for (int r = 0; g->pairs_of && r < n; r++)
    free(g->pairs_of[r]);
  free(g->pairs_of);
  free(g->n_pairs_of);
  free(g->copies);
  if (g->bar)
    sg_barrier_destroy(g->bar);
  free(g->live);
  free(g);
}

void rs_comm_free(rs_comm_t* c)
{
  if (c == NULL)
    return;
  grouped_free(c->grp, c->n);
  for (int d = 0; d < c->domains; d++)
    rs_comm_free(c->domain_comm[d]);
  for (int k = 0; k < c->per_domain; k++)
    rs_comm_free(c->rail_comm[k]);
  free(c->domain_comm);
  free(c->rail_comm);
  free(c->domain_of);
  free(c->rail_of);
  free(c->dom_first);
  free(c->dom_idx);
  free(c->gpus);
  free(c->mbox);
  free(c->xbox);
  free(c);
}

int rs_comm_size(const rs_comm_t* c)
{
  return c->n;
}

/* ---- grouped form: which flows, issued by whom ------------------------------------------------- */

void rs_comm_set_grouped(rs_comm_t* c, const char* live, rs_flows_t* flows)
{
  grouped_t* g  = xbt_new0(grouped_t, 1);
  g->live       = xbt_new(char, c->n);
  g->flows      = flows;
  g->first_live = -1;
  for (int r = 0; r < c->n; r++) {
    g->live[r] = live[r] != 0;
    g->n_live += g->live[r];
    if (g->live[r] && g->first_live < 0)
      g->first_live = r;
  }
  if (g->n_live > 1)
    g->bar = sg_barrier_init(g->n_live);
  c->grp = g;
  if (c->domains == 0)
    return;
  char* sub = xbt_new(char, c->n);
  for (int d = 0; d < c->domains; d++)
    rs_comm_set_grouped(c->domain_comm[d], live + d * c->per_domain, flows);
  for (int k = 0; k < c->per_domain; k++) {
    for (int d = 0; d < c->domains; d++)
      sub[d] = live[d * c->per_domain + k];
    rs_comm_set_grouped(c->rail_comm[k], sub, flows);
  }
  free(sub);
}

void rs_comm_add_copy(rs_comm_t* c, const rs_gpu_t* const* gpus)
{
  grouped_t* g = c->grp;
  xbt_assert(g != NULL && !g->planned, "a copy is added to a grouped communicator before it is planned");
  g->copies = xbt_realloc(g->copies, (size_t)(g->n_copies + 1) * c->n * sizeof *g->copies);
  memcpy(g->copies + (size_t)g->n_copies++ * c->n, gpus, c->n * sizeof *gpus);
  if (c->domains == 0)
    return;
  /* the copy splits as the group does (the caller checked that its domains fall alike) */
  const rs_gpu_t** sub = xbt_new(const rs_gpu_t*, c->n);
  for (int d = 0; d < c->domains; d++)
    rs_comm_add_copy(c->domain_comm[d], gpus + d * c->per_domain);
  for (int k = 0; k < c->per_domain; k++) {
    for (int d = 0; d < c->domains; d++)
      sub[d] = gpus[d * c->per_domain + k];
    rs_comm_add_copy(c->rail_comm[k], sub);
  }
  free(sub);
}

/* The live rank that issues a flow from rank i to rank j: i if live, else j if live, else the first. */
static int flow_owner(const grouped_t* g, int i, int j)
{
  return g->live[i] ? i : g->live[j] ? j : g->first_live;
}

/* The live rank that issues hop i (rank i to the next). */
static int hop_owner(const grouped_t* g, int i, int n)
{
  return flow_owner(g, i, (i + 1) % n);
}

/* The GPUs of copy k of the group (0: the group itself, k: its k-th copy, rs_comm_add_copy). */
static const rs_gpu_t* const* copy_gpus(const rs_comm_t* c, int k)
{
  return k == 0 ? c->gpus : c->grp->copies + (size_t)(k - 1) * c->n;
}

/* Adds flow h to what rank o issues. */
static void append_flow(int** of, int* n_of, int o, int h)
{
  of[o]            = xbt_realloc(of[o], (n_of[o] + 1) * sizeof(int));
  of[o][n_of[o]++] = h;
}

static void plan_grouped(rs_comm_t* c)
{
  grouped_t* g = c->grp;
  int n        = c->n;
  g->planned   = 1;
  g->hops_of   = xbt_new0(int*, n);
  g->n_hops_of = xbt_new0(int, n);
  /* the group's hops that touch a live rank or cross a shared link run; a copy's hops on private links
   * load nothing a simulated flow crosses, its others are issued beside the group's own hop i (their
   * latency is the copy's, which the group's time does not stand for) */
  xbt_assert((double)(g->n_copies + 1) * n < 2147483647.0, "too many copies of a communicator");
  for (int k = 0; k <= g->n_copies && g->n_live > 0; k++) {
    const rs_gpu_t* const* gpus = copy_gpus(c, k);
    for (int i = 0; i < n; i++) {
      const rs_gpu_t *from = gpus[i], *to = gpus[(i + 1) % n];
      int shared = rs_flows_shared(g->flows, from, to, 1);
      if (!shared && (k > 0 || !(g->live[i] || g->live[(i + 1) % n])))
        continue;
      append_flow(g->hops_of, g->n_hops_of, hop_owner(g, i, n), k * n + i);
      rs_flows_note_end(g->flows, from->host);
      rs_flows_note_end(g->flows, to->host);
      double lat = k == 0 ? sg_host_get_route_latency(from->host, to->host) : 0;
      if (lat > g->max_lat)
        g->max_lat = lat;
    }
  }
}

/* The grouped direct all-to-all across NVLink domains: as the faithful one, each rank sends its 1/n to
 * every other rank, so a rank's NIC carries what goes to the other domains (a ring of flows would put
 * (n - 1)/n of the buffer through every other NIC and none through the rest). The group's pairs that
 * touch a live rank or cross a shared link run, and the copies' pairs that cross a shared link. */
static void plan_pairs(rs_comm_t* c)
{
  grouped_t* g     = c->grp;
  int n            = c->n;
  g->pairs_planned = 1;
  g->pairs_of      = xbt_new0(int*, n);
  g->n_pairs_of    = xbt_new0(int, n);
  xbt_assert((double)(g->n_copies + 1) * n * n < 2147483647.0, "too many copies of a communicator");
  for (int k = 0; k <= g->n_copies && g->n_live > 0; k++) {
    const rs_gpu_t* const* gpus = copy_gpus(c, k);
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        if (i == j)
          continue;
        int shared = rs_flows_shared(g->flows, gpus[i], gpus[j], 1);
        if (!shared && (k > 0 || !(g->live[i] || g->live[j])))
          continue;
        append_flow(g->pairs_of, g->n_pairs_of, flow_owner(g, i, j), (k * n + i) * n + j);
        rs_flows_note_end(g->flows, gpus[i]->host);
        rs_flows_note_end(g->flows, gpus[j]->host);
        double lat = k == 0 ? sg_host_get_route_latency(gpus[i]->host, gpus[j]->host) : 0;
        if (lat > g->pair_lat)
          g->pair_lat = lat;
      }
  }
}

/* The sender and receiver of hop h of hops_of (of the group, or of one of its copies). */
static void hop_ends(const rs_comm_t* c, int h, sg_host_t* from, sg_host_t* to)
{
  int n = c->n, i = h % n;
  const rs_gpu_t* const* gpus = copy_gpus(c, h / n);
  *from                       = gpus[i]->host;
  *to                         = gpus[(i + 1) % n]->host;
}

/* The ends of pair h of pairs_of. */
static void pair_ends(const rs_comm_t* c, int h, sg_host_t* from, sg_host_t* to)
{
  int n = c->n, i = h / n % n, j = h % n;
  const rs_gpu_t* const* gpus = copy_gpus(c, h / (n * n));
  *from                       = gpus[i]->host;
  *to                         = gpus[j]->host;
}

void rs_comm_plan_alltoall(rs_comm_t* c)
{
  if (c->grp != NULL && c->grp->n_live > 0 && !c->one_domain && !c->grp->pairs_planned)
    plan_pairs(c);
}

void rs_comm_plan(rs_comm_t* c)
{
  if (c->grp == NULL || c->grp->n_live == 0)
    return;
  if (c->domains == 0 && !c->grp->planned)
    plan_grouped(c);
  for (int d = 0; d < c->domains; d++)
    rs_comm_plan(c->domain_comm[d]);
  for (int k = 0; k < c->per_domain; k++)
    rs_comm_plan(c->rail_comm[k]);
}

double rs_coll_bus_factor(rs_coll_op_t op, int n)
{
  if (op == RS_OP_BROADCAST || op == RS_OP_SENDRECV)
    return 1;
  return op == RS_OP_ALLREDUCE ? 2.0 * (n - 1) / n : (double)(n - 1) / n;
}

/* ---- cost model: what NCCL's tuner would predict, used to choose like it does ---------------- */

static double ring_eff(const rs_comm_t* c)
{
  return c->one_domain ? c->calib->nvlink_ring_eff : c->calib->net_ring_eff;
}
static double hop_s(const rs_comm_t* c)
{
  return c->one_domain ? c->calib->nvlink_hop_s : c->calib->net_hop_s;
}

/* Slowest per-rank bandwidth the ring goes through: NVLink inside a domain, the NIC across. */
static double ring_link_bw(const rs_comm_t* c)
{
  const rs_gpu_model_t* m = c->gpus[0]->model;
  return c->one_domain ? m->nvlink_bytes_per_s : m->nic_bytes_per_s;
}

/* The ring's latencies and rate with NCCL protocol p (hardware.h: LL, LL128, Simple). */
static rs_hw_proto_t proto(const rs_comm_t* c, rs_proto_t p)
{
  return rs_hw_proto(c->calib, p);
}
static double proto_hop_s(const rs_comm_t* c, rs_proto_t p)
{
  rs_hw_proto_t q = proto(c, p);
  return c->one_domain ? q.nvlink_hop_s : q.net_hop_s;
}
static double proto_eff(const rs_comm_t* c, rs_proto_t p)
{
  return ring_eff(c) * proto(c, p).bw_factor;
}

/* Broadcast's pipeline: chunks of at least 512 KiB (NCCL's Simple protocol: its default 4 MiB buffer,
 * NCCL_BUFFSIZE, in NCCL_STEPS = 8 slots), at most 64 of them so that the chain's fill costs little. */
static int bcast_chunks(double bytes)
{
  double k = ceil(bytes / 524288.0);
  return k < 1 ? 1 : k > 64 ? 64 : (int)k;
}

/* Steps of op as a ring (broadcast: a pipelined chain from rank 0, chunk j crossing hop r at step j + r). */
static int ring_steps(rs_coll_op_t op, int n, double bytes)
{
  switch (op) {
  case RS_OP_ALLREDUCE:
    return 2 * (n - 1);
  case RS_OP_BROADCAST:
    return bcast_chunks(bytes) + n - 2;
  case RS_OP_SENDRECV:
    return 1;
  default:
    return n - 1;
  }
}

/* Bytes a rank sends to the next one in each ring step. */
static double ring_chunk(rs_coll_op_t op, int n, double bytes)
{
  return op == RS_OP_BROADCAST ? bytes / bcast_chunks(bytes) : op == RS_OP_SENDRECV ? bytes : bytes / n;
}

/* The rail ring's per-step latency: a chunk goes once round the ring every n steps, over n - D NVLink
 * hops and D network hops (NCCL's ring latency counts intra- and inter-node steps so, tuning.cc). */
static double rail_hop_s(const rs_comm_t* c, rs_proto_t p)
{
  rs_hw_proto_t q = proto(c, p);
  return ((c->n - c->rail_domains) * q.nvlink_hop_s + c->rail_domains * q.net_hop_s) / c->n;
}

/* Seconds of the slowest link when each rank sends nvl bytes over its NVLink and net bytes over its NIC
 * with protocol p. */
static double split_bw_s(const rs_comm_t* c, double nvl, double net, rs_proto_t p)
{
  const rs_gpu_model_t* m = c->gpus[0]->model;
  double f                = proto(c, p).bw_factor;
  double a                = nvl / (c->calib->nvlink_ring_eff * f * m->nvlink_bytes_per_s);
  double b                = net / (c->calib->net_ring_eff * f * m->nic_bytes_per_s);
  return a > b ? a : b;
}

/* Whether some domain of the rail ring holds more GPUs than it has channels. */
static int rails_uneven(const rs_comm_t* c)
{
  for (int d = 0; d < c->rail_domains; d++)
    if (c->dom_first[d + 1] - c->dom_first[d] > c->rails)
      return 1;
  return 0;
}

/* One ring per rail (NCCL's channels on multi-NIC servers), as many as the smallest domain has GPUs (C),
 * each with 1/C of the data: in a step every rank sends its chunk split over the C channels; in each
 * domain one GPU per channel sends that channel's share over its NIC to the next domain, C - 1 shares
 * over NVLink; in a domain with more GPUs than channels the others send all C shares over NVLink. With
 * equal domains of g GPUs that is g - 1 chunks of 1/g over NVLink and one over the NIC. */
static double predict_rail_ring(const rs_comm_t* c, rs_coll_op_t op, rs_proto_t p, double bytes)
{
  int g        = c->rails;
  double chunk = ring_chunk(op, c->n, bytes) / g;
  double step  = split_bw_s(c, (g - 1) * chunk, chunk, p);
  if (rails_uneven(c)) {
    double inside = split_bw_s(c, g * chunk, 0, p);
    step          = inside > step ? inside : step;
  }
  return proto(c, p).base_s + ring_steps(op, c->n, bytes) * (rail_hop_s(c, p) + step);
}

/* NCCL's tree all-reduce, from its cost model (NVIDIA/nccl src/graph/tuning.cc): latency 2((g-1) intra
 * + log2i(D) inter hops), up a chain of g GPUs in each domain and the binary tree across domains, then
 * down again (racksim uses its ring per-hop latencies, of the protocol chosen); bus bandwidth 0.92 of
 * the ring's. */
#define RS_COLL_TREE_BW 0.92

/* GPUs per domain and domains of the tree: one GPU in each of n domains when the ranks are spread. */
static int tree_g(const rs_comm_t* c)
{
  return c->spread ? 1 : c->per_domain;
}
static int tree_d(const rs_comm_t* c)
{
  return c->spread ? c->n : c->domains;
}

static double tree_latency_s(const rs_comm_t* c, rs_proto_t p)
{
  rs_hw_proto_t q = proto(c, p);
  double depth    = (tree_g(c) - 1) * q.nvlink_hop_s + floor(log2(tree_d(c))) * q.net_hop_s;
  return q.base_s + 2 * depth;
}

/* Bytes each rank's NVLink and NIC carry in a pipelined double binary tree all-reduce: the chains move
 * the buffer up and down (2S(g-1)/g per GPU, the channels' chains rotating over the GPUs); across
 * domains each rank's share S/g goes up once and down once over the two trees (2S/g per NIC). Both
 * are divided by the tree's bandwidth factor, to take the time they take at its rate. */
static void tree_volumes(const rs_comm_t* c, double bytes, double* nvl, double* net)
{
  int g = tree_g(c);
  *nvl  = 2 * bytes * (g - 1) / g / RS_COLL_TREE_BW;
  *net  = 2 * bytes / g / RS_COLL_TREE_BW;
}

static double predict_tree(const rs_comm_t* c, rs_proto_t p, double bytes)
{
  double nvl, net;
  tree_volumes(c, bytes, &nvl, &net);
  return tree_latency_s(c, p) + split_bw_s(c, nvl, net, p);
}

static double predict(const rs_comm_t* c, rs_coll_op_t op, rs_coll_algo_t algo, double bytes);

/* The ring with protocol p: NCCL's alpha-beta form, base + steps x (hop + chunk / rate). */
static double predict_ring(const rs_comm_t* c, rs_coll_op_t op, rs_proto_t p, double bytes)
{
  int n = c->n;
  return proto(c, p).base_s + ring_steps(op, n, bytes) *
                                  (proto_hop_s(c, p) + ring_chunk(op, n, bytes) / (proto_eff(c, p) * ring_link_bw(c)));
}

/* Ring, rail ring and tree with protocol p. */
static double predict_proto(const rs_comm_t* c, rs_coll_op_t op, rs_coll_algo_t algo, rs_proto_t p, double bytes)
{
  if (algo == RS_ALGO_RAIL_RING)
    return predict_rail_ring(c, op, p, bytes);
  if (algo == RS_ALGO_TREE)
    return predict_tree(c, p, bytes);
  return predict_ring(c, op, p, bytes);
}

/* The protocol NCCL's tuner would pick for algo: for ring, rail ring and tree, the fastest predicted
 * (Simple on a tie); Simple for the others (NVLS has no other, direct is NCCL's point-to-point). */
static rs_proto_t best_proto(const rs_comm_t* c, rs_coll_op_t op, rs_coll_algo_t algo, double bytes)
{
  rs_proto_t best = RS_PROTO_SIMPLE;
  if (algo != RS_ALGO_RING && algo != RS_ALGO_RAIL_RING && algo != RS_ALGO_TREE)
    return best;
  double best_s = predict_proto(c, op, algo, best, bytes);
  for (int p = 0; p < RS_PROTO_COUNT; p++) {
    double s = predict_proto(c, op, algo, (rs_proto_t)p, bytes);
    if (s < best_s) {
      best   = (rs_proto_t)p;
      best_s = s;
    }
  }
  return best;
}

/* Inside each domain, then across on each rail with 1/g of the data, then inside again (all-reduce),
 * or the first two phases (reduce-scatter), or the last two (all-gather). */
static double predict_hierarchical(const rs_comm_t* c, rs_coll_op_t op, double bytes)
{
  const rs_comm_t* local = c->domain_comm[0];
  const rs_comm_t* rail  = c->rail_comm[0];
  double shard           = bytes / c->per_domain;
  if (op == RS_OP_ALLREDUCE)
    return predict(local, RS_OP_REDUCESCATTER, RS_ALGO_RING, bytes) +
           predict(rail, RS_OP_ALLREDUCE, RS_ALGO_RING, shard) + predict(local, RS_OP_ALLGATHER, RS_ALGO_RING, bytes);
  return predict(local, op, RS_ALGO_RING, bytes) + predict(rail, op, RS_ALGO_RING, shard);
}

static double predict(const rs_comm_t* c, rs_coll_op_t op, rs_coll_algo_t algo, double bytes)
{
  int n = c->n;
  if (algo == RS_ALGO_HIERARCHICAL)
    return predict_hierarchical(c, op, bytes);
  if (algo == RS_ALGO_RAIL_RING || algo == RS_ALGO_TREE)
    return predict_proto(c, op, algo, best_proto(c, op, algo, bytes), bytes);
  if (algo == RS_ALGO_NVLS)
    return c->calib->nvls_s + bytes * (n - 1) / n / (c->calib->nvls_eff * ring_link_bw(c));
  if (algo == RS_ALGO_DIRECT)
    return c->calib->base_s + hop_s(c) + bytes * (n - 1) / n / (ring_eff(c) * ring_link_bw(c));
  return predict_ring(c, op, best_proto(c, op, algo, bytes), bytes);
}

/* Whether op is a reduction or gather that the domain-by-domain algorithms run. */
static int is_ring_family(rs_coll_op_t op)
{
  return op == RS_OP_ALLREDUCE || op == RS_OP_ALLGATHER || op == RS_OP_REDUCESCATTER;
}

/* The hierarchical algorithm needs several NVLink domains, equal, of at least 2 GPUs; the rail ring
 * several domains, one at least with 2 GPUs. */
static int check_domains(const rs_comm_t* c, rs_coll_algo_t algo, rs_err_t* err)
{
  if (algo == RS_ALGO_RAIL_RING && c->rail_domains == 0)
    return rs_err_set(err, "rail-ring needs GPUs in several NVLink domains, domain by domain, at least 2 in one");
  if (algo == RS_ALGO_HIERARCHICAL && c->domains == 0)
    return rs_err_set(err, "%s needs GPUs in several NVLink domains, with as many in each (at least 2)",
                      rs_coll_algo_name(algo));
  return RS_OK;
}

static int check_nvls(const rs_comm_t* c, rs_coll_op_t op, rs_err_t* err)
{
  if (op != RS_OP_ALLREDUCE)
    return rs_err_set(err, "nvls runs all-reduce only");
  if (!c->one_domain)
    return rs_err_set(err, "nvls needs every GPU in one NVLink domain");
  if (c->calib->nvls_eff <= 0)
    return rs_err_set(err, "nvls is not calibrated for %s GPUs (no published NVLS measurement)",
                      c->gpus[0]->model->name);
  return RS_OK;
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
    return check_nvls(c, op, err);
  case RS_ALGO_DIRECT:
    if (op != RS_OP_ALLTOALL)
      return rs_err_set(err, "direct runs all-to-all only");
    return RS_OK;
  case RS_ALGO_HIERARCHICAL:
    if (!is_ring_family(op))
      return rs_err_set(err, "hierarchical runs all-reduce, reduce-scatter and all-gather only");
    return check_domains(c, algo, err);
  case RS_ALGO_RAIL_RING:
    if (!is_ring_family(op) && op != RS_OP_BROADCAST)
      return rs_err_set(err, "rail-ring runs all-reduce, reduce-scatter, all-gather and broadcast only");
    return check_domains(c, algo, err);
  case RS_ALGO_TREE:
    if (op != RS_OP_ALLREDUCE)
      return rs_err_set(err, "tree runs all-reduce only");
    if (c->domains == 0 && !c->spread)
      return rs_err_set(err, "tree needs GPUs in several NVLink domains, with as many in each");
    return RS_OK;
  }
  return RS_ERR;
}

double rs_coll_predict(const rs_comm_t* c, rs_coll_op_t op, rs_coll_algo_t algo, double bytes)
{
  return predict(c, op, algo, bytes);
}

rs_proto_t rs_coll_protocol(const rs_comm_t* c, rs_coll_op_t op, rs_coll_algo_t algo, double bytes)
{
  return best_proto(c, op, algo, bytes);
}

/* Tree and rail ring have no grouped form: a grouped communicator chooses among the others. */
rs_coll_algo_t rs_coll_choose(const rs_comm_t* c, rs_coll_op_t op, double bytes)
{
  if (op == RS_OP_ALLTOALL)
    return RS_ALGO_DIRECT;
  static const rs_coll_algo_t candidates[] = {RS_ALGO_NVLS, RS_ALGO_HIERARCHICAL, RS_ALGO_TREE, RS_ALGO_RAIL_RING};
  int n_candidates                         = c->grp ? 2 : 4;
  rs_coll_algo_t best                      = RS_ALGO_RING;
  double best_s                            = predict(c, op, best, bytes);
  for (int i = 0; i < n_candidates; i++) {
    if (rs_coll_check(c, op, candidates[i], NULL) != RS_OK)
      continue;
    double s = predict(c, op, candidates[i], bytes);
    if (s < best_s) {
      best   = candidates[i];
      best_s = s;
    }
  }
  return best;
}

/* ---- algorithms --------------------------------------------------------------------------------- */

/* SimGrid refuses NULL payloads; the data itself is not simulated, so every message carries this. */
static char token;

/* Bytes put on the wire so that the route's bandwidth yields NCCL's achieved rate. */
static long wire_bytes(double bytes, double eff)
{
  return (long)(bytes / eff + 0.5);
}

/* The longest route latency between two ranks, found on first use (from an actor). */
static double max_route_latency(rs_comm_t* c)
{
  if (c->max_lat >= 0)
    return c->max_lat;
  c->max_lat = 0;
  for (int i = 0; i < c->n; i++)
    for (int j = 0; j < c->n; j++) {
      double lat = i == j ? 0 : sg_host_get_route_latency(c->gpus[i]->host, c->gpus[j]->host);
      if (lat > c->max_lat)
        c->max_lat = lat;
    }
  return c->max_lat;
}

/* A message that stands for k calls' messages (rs_coll_run_n) paid its route's latency once: the other
 * k - 1 calls would pay it again (the longest route's, NVLink's being 0). */
static void repeat_latency(rs_comm_t* c, int k)
{
  if (k < 2)
    return;
  double lat = max_route_latency(c);
  if (lat > 0)
    sg_actor_sleep_for((k - 1) * lat);
}

/* Starts a message of `wire` bytes from rank to rank `to`, into `box` (one of to's mailboxes). */
static sg_comm_t send_to(rs_comm_t* c, int rank, int to, sg_mailbox_t box, long wire)
{
  return rs_net_put_async(box, c->gpus[to]->host, &token, wire);
}

/* `steps` ring steps of `chunk` bytes with protocol p, for `calls` calls at once: send to the next rank,
 * receive from the previous one. In a broadcast (a chain from rank 0) rank r sends chunk s - r at step
 * s and receives chunk s - r + 1. */
static void run_ring(rs_comm_t* c, int rank, rs_coll_op_t op, int steps, double chunk, rs_proto_t p, int calls)
{
  int n      = c->n;
  int k      = op == RS_OP_BROADCAST ? steps - n + 2 : steps; /* chunks crossing each hop */
  int first  = op == RS_OP_BROADCAST ? rank : 0;              /* this rank's first sending step */
  long wire  = calls * wire_bytes(chunk, proto_eff(c, p));
  double hop = calls * proto_hop_s(c, p);
  for (int s = 0; s < steps; s++) {
    int sends = op != RS_OP_BROADCAST || (rank < n - 1 && s >= first && s < first + k);
    int recvs = op != RS_OP_BROADCAST || (rank > 0 && s >= first - 1 && s < first - 1 + k);
    if (!sends && !recvs)
      continue;
    sg_comm_t send = sends ? send_to(c, rank, (rank + 1) % n, c->mbox[(rank + 1) % n], wire) : NULL;
    if (recvs)
      sg_mailbox_get(c->mbox[rank]);
    if (send)
      sg_comm_wait(send);
    repeat_latency(c, calls);
    sg_actor_sleep_for(hop);
  }
}

/* The steps of `calls` calls of an all-reduce, reduce-scatter or all-gather ring as one message to the
 * next rank, carrying all they would carry, then their latencies (NCCL's per hop, and the route's but
 * the once the message paid): the same time and bytes per link as the steps one by one (every rank
 * sends and receives as much in each), contention included, with one message per rank. */
static void run_ring_merged(rs_comm_t* c, int rank, int steps, double chunk, rs_proto_t p, int calls)
{
  int next       = (rank + 1) % c->n;
  sg_comm_t send = send_to(c, rank, next, c->mbox[next], (long)calls * steps * wire_bytes(chunk, proto_eff(c, p)));
  sg_mailbox_get(c->mbox[rank]);
  sg_comm_wait(send);
  repeat_latency(c, calls * steps);
  sg_actor_sleep_for(calls * steps * proto_hop_s(c, p));
}

/* Sends net bytes (at the network efficiency) to rank's rail peer in the next of D domains of g GPUs
 * and, when g > 1, nvl bytes (at the NVLink one) to the next GPU of rank's domain; receives the same,
 * all at once, and waits; `calls` times the bytes for that many calls at once. */
static void exchange_split(rs_comm_t* c, int rank, int g, int D, double nvl, double net, rs_proto_t p, int calls)
{
  double f = proto(c, p).bw_factor;
  int d = rank / g, k = rank % g;
  int nvl_to = d * g + (k + 1) % g, net_to = (d + 1) % D * g + k;
  void* got[2];
  sg_comm_t comms[4] = {
      send_to(c, rank, net_to, c->xbox[net_to], calls * wire_bytes(net, c->calib->net_ring_eff * f)),
      sg_mailbox_get_async(c->xbox[rank], &got[0]),
      g > 1 ? send_to(c, rank, nvl_to, c->mbox[nvl_to], calls * wire_bytes(nvl, c->calib->nvlink_ring_eff * f)) : NULL,
      g > 1 ? sg_mailbox_get_async(c->mbox[rank], &got[1]) : NULL};
  rs_net_wait_all(comms, g > 1 ? 4 : 2);
  repeat_latency(c, calls);
}

/* One step of the rail ring (predict_rail_ring) for rank: to the next GPU of its domain over NVLink the
 * channels' shares that stay (a single message: they share its NVSwitch port, the same load on every
 * port as C rings), and, when it is one of its domain's first C GPUs, its channel's share to the GPU at
 * the same position of the next domain, which is rail-aligned when the domains are equal, as NCCL
 * builds its rings on rail-optimised fabrics; receives the same, all at once; `calls` times the bytes
 * for that many calls at once. */
static void exchange_rail(rs_comm_t* c, int rank, double chunk, rs_proto_t p, int calls)
{
  double f = proto(c, p).bw_factor;
  int g = c->rails, D = c->rail_domains, d = c->dom_idx[rank];
  int first = c->dom_first[d], size = c->dom_first[d + 1] - first, k = rank - first;
  int exits  = k < g;
  int nvl_to = first + (k + 1) % size, net_to = c->dom_first[(d + 1) % D] + k;
  double nvl = exits ? (g - 1) * chunk : g * chunk;
  void* got[2];
  sg_comm_t comms[4];
  int n = 0;
  if (exits) {
    comms[n++] = send_to(c, rank, net_to, c->xbox[net_to], calls * wire_bytes(chunk, c->calib->net_ring_eff * f));
    comms[n++] = sg_mailbox_get_async(c->xbox[rank], &got[0]);
  }
  if (size > 1) {
    comms[n++] = send_to(c, rank, nvl_to, c->mbox[nvl_to], calls * wire_bytes(nvl, c->calib->nvlink_ring_eff * f));
    comms[n++] = sg_mailbox_get_async(c->mbox[rank], &got[1]);
  }
  rs_net_wait_all(comms, n);
  repeat_latency(c, calls);
}

/* The rail ring (predict_rail_ring), step by step. A broadcast runs its chain's steps so, each channel a
 * chain from rank 0 with 1/C of the data: every rank exchanges at every step, the chains' fill and drain
 * counted as whole steps, as the ring's formula counts them. */
static void run_rail_ring(rs_comm_t* c, int rank, rs_coll_op_t op, double bytes, int calls)
{
  double chunk = ring_chunk(op, c->n, bytes) / c->rails;
  rs_proto_t p = best_proto(c, op, RS_ALGO_RAIL_RING, bytes);
  int steps    = ring_steps(op, c->n, bytes);
  double hop   = calls * rail_hop_s(c, p);
  sg_actor_sleep_for(calls * proto(c, p).base_s);
  for (int s = 0; s < steps; s++) {
    exchange_rail(c, rank, chunk, p, calls);
    sg_actor_sleep_for(hop);
  }
}

/* The pipelined double binary tree (predict_tree): its latency, then each rank's NVLink and NIC carry
 * the whole operation's volumes at once, since chunks flow up and down all levels concurrently. */
static void run_tree(rs_comm_t* c, int rank, double bytes, int calls)
{
  double nvl, net;
  rs_proto_t p = best_proto(c, RS_OP_ALLREDUCE, RS_ALGO_TREE, bytes);
  tree_volumes(c, bytes, &nvl, &net);
  sg_actor_sleep_for(calls * tree_latency_s(c, p));
  exchange_split(c, rank, tree_g(c), tree_d(c), nvl, net, p, calls);
}

/* Every rank sends `chunk` bytes to every other rank at once (`calls` times as many for that many calls).
 * Across NVLink domains it also posts every receive at once, as NCCL's grouped sends and receives run
 * their peers concurrently over its channels: receives taken one by one from a mailbox in the order the
 * sends arrived let the receivers fall out of step and pile onto one sender's NIC (a 16-GPU all-to-all
 * of two H100 servers in two pods took 4.3 times what its NICs need). In one domain the receives one by
 * one already reach the formula (tests/check_collectives.c), and stay so. */
static void run_direct(rs_comm_t* c, int rank, double chunk, double eff, int calls)
{
  int n            = c->n;
  int together     = !c->one_domain;
  sg_comm_t* comms = xbt_new(sg_comm_t, 2 * (n - 1));
  void** got       = together ? xbt_new(void*, n - 1) : NULL; /* where the posted receives land */
  long wire        = calls * wire_bytes(chunk, eff);
  for (int k = 1; k < n; k++)
    comms[k - 1] = send_to(c, rank, (rank + k) % n, c->mbox[(rank + k) % n], wire);
  for (int k = 1; k < n; k++) {
    if (together)
      comms[n - 2 + k] = sg_mailbox_get_async(c->mbox[rank], &got[k - 1]);
    else
      sg_mailbox_get(c->mbox[rank]);
  }
  rs_net_wait_all(comms, together ? 2 * (n - 1) : n - 1);
  free(comms);
  free(got);
  repeat_latency(c, calls);
}

/* One phase of the grouped form: rank's flows (its ring hops, or with `pairs` its all-to-all pairs), each
 * of `wire` bytes, all at once; the phase ends when every live rank's flows are done, then pays the
 * latency of the `steps` steps it stands for (the flows paid one route latency already). */
static void run_grouped(rs_comm_t* c, int rank, double wire, int steps, double hop, int pairs)
{
  grouped_t* g = c->grp;
  if (pairs && !g->pairs_planned)
    plan_pairs(c);
  else if (!pairs && !g->planned)
    plan_grouped(c);
  const int* mine = pairs ? g->pairs_of[rank] : g->hops_of[rank];
  int count       = pairs ? g->n_pairs_of[rank] : g->n_hops_of[rank];
  sg_sem_t done   = sg_sem_init(0);
  for (int k = 0; k < count; k++) {
    sg_host_t from, to;
    if (pairs)
      pair_ends(c, mine[k], &from, &to);
    else
      hop_ends(c, mine[k], &from, &to);
    rs_flows_start(g->flows, from, to, wire, done);
  }
  for (int k = 0; k < count; k++)
    sg_sem_acquire(done);
  sg_sem_destroy(done);
  if (g->bar)
    sg_barrier_wait(g->bar);
  sg_actor_sleep_for(steps * hop + (steps - 1) * (pairs ? g->pair_lat : g->max_lat));
}

/* The phases of predict_hierarchical, each a ring on a sub-communicator: NVLink inside the domain,
 * the NICs of one rail across domains. */
static void run_hierarchical(rs_comm_t* c, int rank, rs_coll_op_t op, double bytes, int calls)
{
  rs_comm_t* local = c->domain_comm[c->domain_of[rank]];
  rs_comm_t* rail  = c->rail_comm[c->rail_of[rank]];
  int in_domain    = c->rail_of[rank];
  int in_rail      = c->domain_of[rank];
  double shard     = bytes / c->per_domain;
  if (op == RS_OP_ALLREDUCE || op == RS_OP_REDUCESCATTER)
    rs_coll_run_n(local, in_domain, RS_OP_REDUCESCATTER, RS_ALGO_RING, bytes, calls);
  rs_coll_run_n(rail, in_rail, op, RS_ALGO_RING, shard, calls);
  if (op == RS_OP_ALLREDUCE || op == RS_OP_ALLGATHER)
    rs_coll_run_n(local, in_domain, RS_OP_ALLGATHER, RS_ALGO_RING, bytes, calls);
}

/* The grouped form of ring, NVLS and direct: the same start latency and per-link volume as the
 * faithful form (NVLS and direct move (n-1)/n of the buffer through each rank's link each way; direct
 * across NVLink domains sends each pair its 1/n, plan_pairs); `calls`
 * calls make a phase of `calls` times the steps, each of as many bytes. */
static void run_grouped_algo(rs_comm_t* c, int rank, rs_coll_op_t op, rs_coll_algo_t algo, double bytes, int calls)
{
  int n       = c->n;
  double rest = bytes * (n - 1) / n;
  xbt_assert(algo != RS_ALGO_TREE && algo != RS_ALGO_RAIL_RING, "tree and rail-ring have no grouped form");
  if (algo == RS_ALGO_RING) {
    int steps    = ring_steps(op, n, bytes);
    rs_proto_t p = best_proto(c, op, RS_ALGO_RING, bytes);
    sg_actor_sleep_for(calls * proto(c, p).base_s);
    run_grouped(c, rank, calls * wire_bytes(steps * ring_chunk(op, n, bytes), proto_eff(c, p)), calls * steps,
                proto_hop_s(c, p), 0);
  } else if (algo == RS_ALGO_NVLS) {
    sg_actor_sleep_for(calls * c->calib->nvls_s);
    run_grouped(c, rank, calls * wire_bytes(rest, c->calib->nvls_eff), calls, 0, 0);
  } else { /* direct: pairs across NVLink domains; on NVLink a ring loads every GPU's link as they would */
    int pairs = !c->one_domain;
    sg_actor_sleep_for(calls * (c->calib->base_s + hop_s(c)));
    run_grouped(c, rank, calls * wire_bytes(pairs ? bytes / n : rest, ring_eff(c)), calls, 0, pairs);
  }
}

void rs_coll_run(rs_comm_t* c, int rank, rs_coll_op_t op, rs_coll_algo_t algo, double bytes)
{
  rs_coll_run_n(c, rank, op, algo, bytes, 1);
}

void rs_coll_run_n(rs_comm_t* c, int rank, rs_coll_op_t op, rs_coll_algo_t algo, double bytes, int calls)
{
  xbt_assert(algo != RS_ALGO_AUTO, "rs_coll_run needs a concrete algorithm");
  xbt_assert(calls >= 1, "rs_coll_run_n runs at least one call");
  int n = c->n;
  if (n < 2)
    return;
  if (c->grp && algo != RS_ALGO_HIERARCHICAL) {
    run_grouped_algo(c, rank, op, algo, bytes, calls);
    return;
  }
  switch (algo) {
  case RS_ALGO_RING: {
    rs_proto_t p = best_proto(c, op, RS_ALGO_RING, bytes);
    sg_actor_sleep_for(calls * proto(c, p).base_s);
    if (calls > 1 && is_ring_family(op))
      run_ring_merged(c, rank, ring_steps(op, n, bytes), ring_chunk(op, n, bytes), p, calls);
    else
      run_ring(c, rank, op, ring_steps(op, n, bytes), ring_chunk(op, n, bytes), p, calls);
    break;
  }
  case RS_ALGO_RAIL_RING:
    run_rail_ring(c, rank, op, bytes, calls);
    break;
  case RS_ALGO_TREE:
    run_tree(c, rank, bytes, calls);
    break;
  case RS_ALGO_NVLS:
    /* In-switch reduction: each GPU pushes its data into the switch and reads back the reduced
     * result, i.e. (n-1)/n of the buffer crosses its link each way, like one exchange of S/n pieces. */
    sg_actor_sleep_for(calls * c->calib->nvls_s);
    run_direct(c, rank, bytes / n, c->calib->nvls_eff, calls);
    break;
  case RS_ALGO_DIRECT:
    sg_actor_sleep_for(calls * (c->calib->base_s + hop_s(c)));
    run_direct(c, rank, bytes / n, ring_eff(c), calls);
    break;
  case RS_ALGO_HIERARCHICAL:
    run_hierarchical(c, rank, op, bytes, calls);
    break;
  case RS_ALGO_AUTO:
    break;
  }
}

const char* rs_coll_op_name(rs_coll_op_t op)
{
  return RS_COLL_OP_NAMES[op];
}
const char* rs_coll_algo_name(rs_coll_algo_t algo)
{
  return RS_COLL_ALGO_NAMES[algo];
}
