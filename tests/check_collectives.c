/* check_collectives.c -- tests of collectives.c: simulated times against the alpha-beta formulas of
 * NCCL's cost model with the GPU type's calibration, algorithm choice, and refusals. Each test forks:
 * SimGrid allows one engine per process. */
#include "check_util.h"
#include "net/net.h"
#include "hw/hw.h"

#include <check.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <xbt/sysdep.h>

typedef struct bench {
  rs_comm_t* comm;
  rs_coll_op_t op;
  rs_coll_algo_t algo;
  double bytes;
} bench_t;

typedef struct rank_arg {
  bench_t* b;
  int rank;
} rank_arg_t;

static void rank_actor(int argc, char** argv)
{
  rank_arg_t* a = sg_actor_self_get_data();
  rs_coll_run(a->b->comm, a->rank, a->b->op, a->b->algo, a->b->bytes);
}

/* A communicator over GPUs 0, stride, 2 x stride... of platform p. */
static rs_comm_t* comm_strided(rs_platform_t* p, int n, int stride)
{
  const rs_gpu_t* gpus[512];
  for (int i = 0; i < n; i++)
    gpus[i] = &p->gpus[i * stride];
  return rs_comm_new("test", gpus, n);
}

static rs_comm_t* comm_of(rs_platform_t* p, int n)
{
  return comm_strided(p, n, 1);
}

/* Runs one collective on n GPUs of platform p, every stride-th; returns the simulated time. */
static double time_strided(rs_platform_t* p, int n, int stride, rs_coll_op_t op, rs_coll_algo_t algo, double bytes)
{
  bench_t b = {comm_strided(p, n, stride), op, algo, bytes};
  rank_arg_t args[512];
  for (int r = 0; r < n; r++) {
    args[r]      = (rank_arg_t){&b, r};
    sg_actor_t a = sg_actor_init("rank", p->gpus[r * stride].host);
    sg_actor_set_data(a, &args[r]);
    sg_actor_start(a, rank_actor, 0, NULL);
  }
  simgrid_run();
  rs_comm_free(b.comm);
  rs_platform_free(p);
  return simgrid_get_clock();
}

/* Runs one collective on the first n GPUs of platform p; returns the simulated time. */
static double time_on(rs_platform_t* p, int n, rs_coll_op_t op, rs_coll_algo_t algo, double bytes)
{
  return time_strided(p, n, 1, op, algo, bytes);
}

static double time_collective(const char* name, int n, rs_coll_op_t op, rs_coll_algo_t algo, double bytes)
{
  return time_on(rs_test_load_preset(name), n, op, algo, bytes);
}

/* A ring op of S bytes on one 8 x H100 server takes base + steps x (chunk / (eff x B) + hop). */
static void assert_h100_ring(rs_coll_op_t op, double S, int steps, double chunk)
{
  const rs_hw_calib_t* c = rs_hw_calib("H100");
  double expected        = c->base_s + steps * (chunk / (c->nvlink_ring_eff * 450e9) + c->nvlink_hop_s);
  double t               = time_collective("p5.48xlarge", 8, op, RS_ALGO_RING, S);
  ck_assert_double_eq_tol(t, expected, expected * 1e-6);
}

/* H800: H100's ring on 200 GB/s per direction of NVLink instead of 450 (NVLink 400 GB/s both ways): a
 * 1 GiB all-reduce on 8 takes its 14 steps at 4/9 of H100's rate. */
START_TEST(h800_ring_runs_on_its_nvlink)
{
  const rs_hw_calib_t* c = rs_hw_calib("H800");
  double S = 1 << 30, chunk = S / 8;
  double expected = c->base_s + 14 * (chunk / (c->nvlink_ring_eff * 200e9) + c->nvlink_hop_s);
  double t        = time_collective("hgx-h800", 8, RS_OP_ALLREDUCE, RS_ALGO_RING, S);
  ck_assert_double_eq_tol(t, expected, expected * 1e-6);
}
END_TEST

/* Two GB200 UltraServers on one rail leaf each (generated). */
static rs_platform_t* two_ultraservers(void)
{
  return rs_test_generate(rs_platgen_default(rs_hw_server("u-p6e-gb200x72"), 2));
}

/* Hierarchical all-reduce of 4 GiB = ring reduce-scatter on NVLink + ring all-reduce of 1/72 of the data across
 * the two servers on each rail's NIC (one 2 us switch hop per step) + ring all-gather on NVLink. */
START_TEST(hierarchical_allreduce_matches_its_phases)
{
  const rs_hw_calib_t* c = rs_hw_calib("GB200");
  int g = 72, N = 2;
  double S = 4.0 * (1 << 30), nvl = 900e9, nic = 50e9, hop = 2e-6; /* large enough for Simple */
  double intra    = c->base_s + (g - 1) * (S / g / (c->nvlink_ring_eff * nvl) + c->nvlink_hop_s);
  double inter    = c->base_s + 2 * (N - 1) * (S / g / N / (c->net_ring_eff * nic) + c->net_hop_s + hop);
  double expected = 2 * intra + inter;
  double t        = time_on(two_ultraservers(), g * N, RS_OP_ALLREDUCE, RS_ALGO_HIERARCHICAL, S);
  ck_assert_double_eq_tol(t, expected, expected * 1e-6);
}
END_TEST

/* 8 x H100 ring all-reduce of S with protocol p: p's base + 14 x (p's NVLink hop + S/8 / (factor x eff x B)). */
static double h100_ring_allreduce_s(rs_proto_t p, double S)
{
  const rs_hw_calib_t* c = rs_hw_calib("H100");
  rs_hw_proto_t q        = rs_hw_proto(c, p);
  return q.base_s + 14 * (q.nvlink_hop_s + S / 8 / (q.bw_factor * c->nvlink_ring_eff * 450e9));
}

/* A 64 KiB all-reduce on 8 H100 runs the ring with LL: 6.6 us + 14 x 0.6 us and twice the wire bytes,
 * about 15 us where Simple would take 56 us; NVLS (25 us) loses too. */
START_TEST(small_allreduce_takes_ll)
{
  double S         = 64.0 * 1024;
  rs_platform_t* p = rs_test_load_preset("p5.48xlarge");
  rs_comm_t* c     = comm_of(p, 8);
  ck_assert_int_eq(rs_coll_choose(c, RS_OP_ALLREDUCE, S), RS_ALGO_RING);
  ck_assert_int_eq(rs_coll_protocol(c, RS_OP_ALLREDUCE, RS_ALGO_RING, S), RS_PROTO_LL);
  rs_comm_free(c);
  double expected = h100_ring_allreduce_s(RS_PROTO_LL, S);
  ck_assert_double_lt(expected, 16e-6);
  double t = time_on(p, 8, RS_OP_ALLREDUCE, RS_ALGO_RING, S);
  ck_assert_double_eq_tol(t, expected, expected * 1e-6);
}
END_TEST

/* A 1 GiB ring all-reduce on 8 H100 runs Simple, unchanged; in between the chooser goes LL, LL128,
 * Simple as the size grows. */
START_TEST(large_allreduce_takes_simple)
{
  double S         = 1 << 30;
  rs_platform_t* p = rs_test_load_preset("p5.48xlarge");
  rs_comm_t* c     = comm_of(p, 8);
  ck_assert_int_eq(rs_coll_protocol(c, RS_OP_ALLREDUCE, RS_ALGO_RING, S), RS_PROTO_SIMPLE);
  ck_assert_int_eq(rs_coll_protocol(c, RS_OP_ALLREDUCE, RS_ALGO_RING, 16e6), RS_PROTO_LL128);
  ck_assert_int_eq(rs_coll_protocol(c, RS_OP_ALLREDUCE, RS_ALGO_NVLS, 64e3), RS_PROTO_SIMPLE);
  rs_proto_t last = RS_PROTO_LL;
  for (double b = 1024; b <= S; b *= 2) {
    rs_proto_t now = rs_coll_protocol(c, RS_OP_ALLREDUCE, RS_ALGO_RING, b);
    ck_assert_int_le(now, last); /* LL, then LL128, then Simple: never back */
    last = now;
  }
  rs_comm_free(c);
  double expected = h100_ring_allreduce_s(RS_PROTO_SIMPLE, S);
  double t        = time_on(p, 8, RS_OP_ALLREDUCE, RS_ALGO_RING, S);
  ck_assert_double_eq_tol(t, expected, expected * 1e-6);
}
END_TEST

/* n_servers generated p5.48xlarge servers (8 H100 each, one rail leaf per GPU position). */
static rs_platform_t* h100_servers(int n_servers)
{
  return rs_test_generate(rs_platgen_default(rs_hw_server("p5.48xlarge"), n_servers));
}

/* The larger of a step's NVLink part (nvl bytes) and NIC part (net bytes) on H100, as the calibration has it. */
static double h100_split_s(double nvl, double net)
{
  const rs_hw_calib_t* c = rs_hw_calib("H100");
  double a = nvl / (c->nvlink_ring_eff * 450e9), b = net / (c->net_ring_eff * 50e9);
  return a > b ? a : b;
}

/* Rail ring all-reduce on 2 x 8 H100: 2(n-1) steps, each of 7 channels' chunks S/(8n) on NVLink and
 * one on the NIC (plus its 2 us switch hop), at the average hop latency of a ring with 14 NVLink and 2
 * network hops. It lands on the measured 370-380 GB/s busbw (hardware.md) that NCCL's flat ring gets. */
START_TEST(rail_ring_allreduce_matches_formula)
{
  const rs_hw_calib_t* c = rs_hw_calib("H100");
  int n = 16, g = 8;
  double S = 8.0 * (1 << 30), chunk = S / n / g, hop = 2e-6;
  double lat      = (14 * c->nvlink_hop_s + 2 * c->net_hop_s) / n;
  double expected = c->base_s + 2 * (n - 1) * (lat + h100_split_s((g - 1) * chunk, chunk) + hop);
  double t        = time_on(h100_servers(2), n, RS_OP_ALLREDUCE, RS_ALGO_RAIL_RING, S);
  ck_assert_double_eq_tol(t, expected, expected * 1e-6);
  ck_assert_double_eq_tol(S / t * rs_coll_bus_factor(RS_OP_ALLREDUCE, n), 375e9, 375e9 * 0.02);
}
END_TEST

/* Rail-ring broadcast of 4 GiB on 2 x 8 H100 (Simple): the chain's 64 + n - 2 steps, each channel
 * carrying 1/8 of a 64 MiB chunk, 7 channels' over NVLink and one over the NIC at once. */
START_TEST(rail_ring_broadcast_matches_formula)
{
  const rs_hw_calib_t* c = rs_hw_calib("H100");
  int n = 16, g = 8, k = 64;
  double S = 4.0 * (1 << 30), chunk = S / k / g, hop = 2e-6;
  double lat      = (14 * c->nvlink_hop_s + 2 * c->net_hop_s) / n;
  double expected = c->base_s + (k + n - 2) * (lat + h100_split_s((g - 1) * chunk, chunk) + hop);
  double t        = time_on(h100_servers(2), n, RS_OP_BROADCAST, RS_ALGO_RAIL_RING, S);
  ck_assert_double_eq_tol(t, expected, expected * 1e-6);
}
END_TEST

/* Rail ring all-reduce over unequal domains: 8 GPUs of one H100 server and 4 of the next (12, every
 * step of 1/12 of the buffer). The smallest domain gives the channels, 4: its every GPU sends a quarter
 * of its chunk over its NIC and three over NVLink, as do 4 GPUs of the larger server, whose other 4 send
 * their whole chunk over NVLink; the step is the slowest of those (here the NIC's), as
 * predict_rail_ring has it, plus the hop latencies of a ring with 10 NVLink and 2 network hops. A DP
 * group of that shape used to fall back to the flat ring, every step of 1/12 through one NIC. */
START_TEST(rail_ring_over_unequal_domains)
{
  const rs_hw_calib_t* c = rs_hw_calib("H100");
  int n = 12, g = 4;
  double S = 1.0 * (1 << 30), chunk = S / n / g, hop = 2e-6;
  double lat  = (10 * c->nvlink_hop_s + 2 * c->net_hop_s) / n;
  double step = h100_split_s((g - 1) * chunk, chunk);
  if (h100_split_s(g * chunk, 0) > step)
    step = h100_split_s(g * chunk, 0);
  double expected = c->base_s + 2 * (n - 1) * (lat + step + hop);
  double t        = time_on(h100_servers(2), n, RS_OP_ALLREDUCE, RS_ALGO_RAIL_RING, S);
  ck_assert_double_eq_tol(t, expected, expected * 1e-6);
  double ring = 2 * (n - 1) * (S / n) / (c->net_ring_eff * 50e9); /* the flat ring's NIC time alone */
  ck_assert_msg(t < ring / 3, "rail ring %g s, flat ring at least %g s", t, ring);
}
END_TEST

/* Tree all-reduce of 1 GB (Simple) on 4 x 8 H100: up and down a chain of 7 NVLink hops and log2(4) = 2 network levels,
 * then 2S(g-1)/g on each NVLink and 2S/g on each NIC (plus its 2 us switch hop) at once, at 0.92 of
 * the ring's bandwidth as NCCL's cost model has it. */
START_TEST(tree_allreduce_matches_formula)
{
  const rs_hw_calib_t* c = rs_hw_calib("H100");
  int g = 8, D = 4;
  double S = 1e9, hop = 2e-6;
  double lat      = c->base_s + 2 * ((g - 1) * c->nvlink_hop_s + 2 * c->net_hop_s);
  double expected = lat + h100_split_s(2 * S * (g - 1) / g, 2 * S / g) / 0.92 + hop; /* NCCL's tree factor */
  double t        = time_on(h100_servers(D), g * D, RS_OP_ALLREDUCE, RS_ALGO_TREE, S);
  ck_assert_double_eq_tol(t, expected, expected * 1e-6);
}
END_TEST

/* Tree all-reduce over one GPU in each of 16 servers (a data-parallel group beside TP 8): no chain,
 * log2(16) = 4 network levels up and down, 2S over each NIC at 0.92 of the ring's rate. The cost model
 * picks it for small messages and the flat ring for large ones. */
START_TEST(tree_spans_one_gpu_per_server)
{
  const rs_hw_calib_t* c = rs_hw_calib("H100");
  double S = 64e6, hop = 2e-6;
  rs_platform_t* p  = h100_servers(16);
  rs_comm_t* spread = comm_strided(p, 16, 8);
  ck_assert_int_eq(rs_coll_choose(spread, RS_OP_ALLREDUCE, 1 << 20), RS_ALGO_TREE);
  ck_assert_int_eq(rs_coll_choose(spread, RS_OP_ALLREDUCE, 8.0 * (1 << 30)), RS_ALGO_RING);
  rs_comm_free(spread);
  double expected = c->base_s + 2 * 4 * c->net_hop_s + h100_split_s(0, 2 * S) / 0.92 + hop;
  double t        = time_strided(p, 16, 8, RS_OP_ALLREDUCE, RS_ALGO_TREE, S);
  ck_assert_double_eq_tol(t, expected, expected * 1e-6);
}
END_TEST

/* Broadcast of 1 GiB (Simple): a chain from rank 0 pipelined in 64 chunks (at least 512 KiB each,
 * capped at 64): chunk j crosses hop r at step j + r, so 64 + n - 2 steps of one chunk each. */
START_TEST(broadcast_chain_matches_formula)
{
  double S = 1 << 30;
  assert_h100_ring(RS_OP_BROADCAST, S, 64 + 8 - 2, S / 64);
}
END_TEST

/* Send-recv (nccl-tests sendrecv): every rank sends the whole buffer to the next at once: one step. */
START_TEST(sendrecv_matches_formula)
{
  assert_h100_ring(RS_OP_SENDRECV, 256e6, 1, 256e6);
}
END_TEST

/* Like NCCL's tuner: the tree for small all-reduces across many servers (its latency grows with
 * log2 of the servers, the ring's with the GPUs), a ring form for large ones. */
START_TEST(auto_picks_tree_small_and_ring_large)
{
  rs_platform_t* p = h100_servers(16);
  rs_comm_t* c     = comm_of(p, 128);
  ck_assert_int_eq(rs_coll_choose(c, RS_OP_ALLREDUCE, 1 << 20), RS_ALGO_TREE);
  ck_assert_int_eq(rs_coll_choose(c, RS_OP_ALLREDUCE, 8.0 * (1 << 30)), RS_ALGO_RAIL_RING);
  ck_assert_int_eq(rs_coll_choose(c, RS_OP_ALLGATHER, 1 << 20), RS_ALGO_HIERARCHICAL); /* no tree all-gather */
  ck_assert_int_eq(rs_coll_choose(c, RS_OP_BROADCAST, 1 << 30), RS_ALGO_RAIL_RING);    /* all NICs, not one */
  ck_assert_int_eq(rs_coll_choose(c, RS_OP_SENDRECV, 1 << 30), RS_ALGO_RING);
  ck_assert_double_lt(rs_coll_predict(c, RS_OP_ALLREDUCE, RS_ALGO_TREE, 1 << 20),
                      rs_coll_predict(c, RS_OP_ALLREDUCE, RS_ALGO_RAIL_RING, 1 << 20));
  rs_comm_free(c);
  rs_platform_free(p);
}
END_TEST

/* Across two NVL72 racks, the tree's pipelined chains beat the hierarchical all-reduce, whose phases
 * run one after the other; all-gather has no tree, and its hierarchical form beats the rail ring's
 * 143 steps of latency at 256 MiB (at 1 GiB the rail ring with LL128's short hops wins). Unequal
 * domains have neither hierarchy nor tree, but their rail ring beats the flat ring's NIC. */
START_TEST(auto_goes_hierarchical_across_domains)
{
  rs_platform_t* p = two_ultraservers();
  const rs_gpu_t* gpus[144];
  for (int i = 0; i < 144; i++)
    gpus[i] = &p->gpus[i];
  rs_comm_t* c = rs_comm_new("two", gpus, 144);
  ck_assert_int_eq(rs_coll_choose(c, RS_OP_ALLREDUCE, 1 << 30), RS_ALGO_TREE);
  ck_assert_int_eq(rs_coll_choose(c, RS_OP_ALLREDUCE, 16.0 * (1 << 30)), RS_ALGO_RAIL_RING);
  ck_assert_int_eq(rs_coll_choose(c, RS_OP_ALLGATHER, 256.0 * (1 << 20)), RS_ALGO_HIERARCHICAL);
  rs_comm_t* uneven = rs_comm_new("uneven", gpus, 100); /* 72 + 28: no equal split, but rails */
  rs_err_t err      = {{0}};
  ck_assert_int_eq(rs_coll_check(uneven, RS_OP_ALLREDUCE, RS_ALGO_HIERARCHICAL, &err), RS_ERR);
  ck_assert_int_eq(rs_coll_check(uneven, RS_OP_ALLREDUCE, RS_ALGO_TREE, &err), RS_ERR);
  ck_assert_int_eq(rs_coll_choose(uneven, RS_OP_ALLREDUCE, 1 << 30), RS_ALGO_RAIL_RING);
  rs_comm_free(c);
  rs_comm_free(uneven);
  rs_platform_free(p);
}
END_TEST

/* Ring all-reduce: base + 2(n-1) x (S/n / (eff x B) + hop), NCCL's own model; at 4 GiB on 72 GPUs
 * Simple wins (at 1 GiB LL128's shorter hops outweigh its 120/128 bandwidth over 142 steps). */
START_TEST(ring_allreduce_matches_formula)
{
  const rs_hw_calib_t* c = rs_hw_calib("GB200");
  int n                  = 72;
  double S = 4.0 * (1 << 30), B = 900e9;
  double expected = c->base_s + 2 * (n - 1) * (S / n / (c->nvlink_ring_eff * B) + c->nvlink_hop_s);
  double t        = time_collective("u-p6e-gb200x72", n, RS_OP_ALLREDUCE, RS_ALGO_RING, S);
  ck_assert_double_eq_tol(t, expected, expected * 1e-6);
}
END_TEST

START_TEST(ring_allgather_takes_half_the_steps)
{
  assert_h100_ring(RS_OP_ALLGATHER, 256e6, 8 - 1, 256e6 / 8);
}
END_TEST

/* NVLS: each GPU moves (n-1)/n of the buffer each way over its NVLink at the calibrated rate. */
START_TEST(nvls_allreduce_matches_formula)
{
  const rs_hw_calib_t* c = rs_hw_calib("H100");
  int n                  = 8;
  double S = 1 << 30, B = 450e9;
  double expected = c->nvls_s + S * (n - 1) / n / (c->nvls_eff * B);
  double t        = time_collective("p5.48xlarge", n, RS_OP_ALLREDUCE, RS_ALGO_NVLS, S);
  ck_assert_double_eq_tol(t, expected, expected * 1e-6);
  /* and it lands on the measured 8 x H100 NVLS bus bandwidth, about 480 GB/s (hardware.md) */
  double busbw = S / t * rs_coll_bus_factor(RS_OP_ALLREDUCE, n);
  ck_assert_double_eq_tol(busbw, 480e9, 480e9 * 0.05);
}
END_TEST

START_TEST(alltoall_direct_matches_formula)
{
  const rs_hw_calib_t* c = rs_hw_calib("GB200");
  int n                  = 16;
  double S = 64e6, B = 900e9;
  double expected = c->base_s + c->nvlink_hop_s + S * (n - 1) / n / (c->nvlink_ring_eff * B);
  double t        = time_collective("u-p6e-gb200x72", n, RS_OP_ALLTOALL, RS_ALGO_DIRECT, S);
  ck_assert_double_eq_tol(t, expected, expected * 1e-6);
}
END_TEST

/* All-to-all of 16 H100 on two p5 servers in two pods: a GPU's flows to the other server all leave by its
 * own NIC (across pods no NVLink hop reaches the destination's rail), and with every send and receive
 * posted at once the NIC is the bound, S/2 at the network rate, plus the route's 6 us. Receives taken
 * one by one from the mailbox made it 4.3 times longer. */
START_TEST(alltoall_across_pods_is_nic_bound)
{
  const rs_hw_calib_t* c = rs_hw_calib("H100");
  rs_platgen_spec_t spec = rs_platgen_default(rs_hw_server("p5.48xlarge"), 2);
  spec.servers_per_pod   = 1;
  double S = 64.0 * (1 << 20), nic = 50e9, route = 6e-6;
  double expected = c->base_s + c->net_hop_s + route + S / 2 / (c->net_ring_eff * nic);
  double t        = time_on(rs_test_generate(spec), 16, RS_OP_ALLTOALL, RS_ALGO_DIRECT, S);
  ck_assert_double_eq_tol(t, expected, expected * 0.01);
}
END_TEST

START_TEST(choice_follows_the_cost_model)
{
  rs_platform_t* p = rs_test_load_preset("p5.48xlarge");
  rs_comm_t* h100  = comm_of(p, 8);
  ck_assert_int_eq(rs_coll_choose(h100, RS_OP_ALLREDUCE, 1 << 30), RS_ALGO_NVLS); /* 480 vs 368 GB/s busbw */
  ck_assert_int_eq(rs_coll_choose(h100, RS_OP_ALLGATHER, 1 << 30), RS_ALGO_RING);
  ck_assert_int_eq(rs_coll_choose(h100, RS_OP_ALLTOALL, 1 << 30), RS_ALGO_DIRECT);
  ck_assert_int_eq(rs_coll_choose(h100, RS_OP_BROADCAST, 1 << 30), RS_ALGO_RING);
  ck_assert_int_eq(rs_coll_choose(h100, RS_OP_SENDRECV, 1 << 30), RS_ALGO_RING);
  rs_comm_free(h100);
  rs_platform_free(p);
}
END_TEST

/* rs_coll_check refuses algo for op on c, with message msg. */
static void assert_refused(const rs_comm_t* c, rs_coll_op_t op, rs_coll_algo_t algo, const char* msg)
{
  rs_err_t err = {{0}};
  ck_assert_int_eq(rs_coll_check(c, op, algo, &err), RS_ERR);
  ck_assert_str_eq(err.msg, msg);
}

START_TEST(impossible_algorithms_are_refused)
{
  rs_platform_t* p = rs_test_load_preset("u-p6e-gb200x72");
  rs_comm_t* c     = comm_of(p, 72);
  rs_err_t err     = {{0}};
  assert_refused(c, RS_OP_ALLREDUCE, RS_ALGO_NVLS,
                 "nvls is not calibrated for GB200 GPUs (no published NVLS measurement)");
  assert_refused(c, RS_OP_ALLTOALL, RS_ALGO_RING, "all-to-all has no ring algorithm: use direct or auto");
  assert_refused(c, RS_OP_ALLGATHER, RS_ALGO_DIRECT, "direct runs all-to-all only");
  assert_refused(c, RS_OP_SENDRECV, RS_ALGO_DIRECT, "direct runs all-to-all only");
  /* tree and rail-ring need several domains (one NVL72 is one) and the ops they run */
  assert_refused(c, RS_OP_ALLREDUCE, RS_ALGO_TREE, "tree needs GPUs in several NVLink domains, with as many in each");
  assert_refused(c, RS_OP_ALLREDUCE, RS_ALGO_RAIL_RING,
                 "rail-ring needs GPUs in several NVLink domains, domain by domain, at least 2 in one");
  assert_refused(c, RS_OP_ALLGATHER, RS_ALGO_TREE, "tree runs all-reduce only");
  assert_refused(c, RS_OP_SENDRECV, RS_ALGO_RAIL_RING,
                 "rail-ring runs all-reduce, reduce-scatter, all-gather and broadcast only");
  assert_refused(c, RS_OP_BROADCAST, RS_ALGO_HIERARCHICAL,
                 "hierarchical runs all-reduce, reduce-scatter and all-gather only");
  ck_assert_int_eq(rs_coll_check(c, RS_OP_ALLREDUCE, RS_ALGO_RING, &err), RS_OK);
  ck_assert_int_eq(rs_coll_check(c, RS_OP_BROADCAST, RS_ALGO_RING, &err), RS_OK);
  ck_assert_int_eq(rs_coll_choose(c, RS_OP_ALLREDUCE, 1 << 30), RS_ALGO_RING);
  rs_comm_free(c);
  rs_platform_free(p);
}
END_TEST

START_TEST(bus_factors_are_nccl_tests)
{
  ck_assert_double_eq_tol(rs_coll_bus_factor(RS_OP_ALLREDUCE, 8), 1.75, 1e-12);
  ck_assert_double_eq_tol(rs_coll_bus_factor(RS_OP_ALLGATHER, 8), 0.875, 1e-12);
  ck_assert_double_eq_tol(rs_coll_bus_factor(RS_OP_REDUCESCATTER, 4), 0.75, 1e-12);
  ck_assert_double_eq_tol(rs_coll_bus_factor(RS_OP_BROADCAST, 8), 1, 1e-12);
  ck_assert_double_eq_tol(rs_coll_bus_factor(RS_OP_SENDRECV, 8), 1, 1e-12);
}
END_TEST

static Suite* collectives_suite(void)
{
  Suite* s  = suite_create("collectives");
  TCase* tc = tcase_create("timing");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, ring_allreduce_matches_formula);
  tcase_add_test(tc, small_allreduce_takes_ll);
  tcase_add_test(tc, large_allreduce_takes_simple);
  tcase_add_test(tc, ring_allgather_takes_half_the_steps);
  tcase_add_test(tc, nvls_allreduce_matches_formula);
  tcase_add_test(tc, alltoall_direct_matches_formula);
  tcase_add_test(tc, alltoall_across_pods_is_nic_bound);
  tcase_add_test(tc, hierarchical_allreduce_matches_its_phases);
  tcase_add_test(tc, rail_ring_allreduce_matches_formula);
  tcase_add_test(tc, rail_ring_broadcast_matches_formula);
  tcase_add_test(tc, rail_ring_over_unequal_domains);
  tcase_add_test(tc, h800_ring_runs_on_its_nvlink);
  tcase_add_test(tc, tree_allreduce_matches_formula);
  tcase_add_test(tc, tree_spans_one_gpu_per_server);
  tcase_add_test(tc, broadcast_chain_matches_formula);
  tcase_add_test(tc, sendrecv_matches_formula);
  suite_add_tcase(s, tc);
  tc = tcase_create("choice");
  tcase_add_test(tc, choice_follows_the_cost_model);
  tcase_add_test(tc, impossible_algorithms_are_refused);
  tcase_add_test(tc, auto_goes_hierarchical_across_domains);
  tcase_add_test(tc, auto_picks_tree_small_and_ring_large);
  tcase_add_test(tc, bus_factors_are_nccl_tests);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(collectives_suite)
