/* net.h -- racksim's network layer, its whole public face: NCCL-like collectives, host-to-host flows,
 * and the one send path through which every byte any workload moves is counted per link, then sent.
 * See LICENSE. */
#ifndef RS_NET_H
#define RS_NET_H

#include "base/base.h"
#include "hw/hw.h"

#include <simgrid/forward.h>

/* ---- collective operations and algorithms, as NCCL names them. */
/* BROADCAST: from rank 0 to all; SENDRECV: each rank sends to the next and receives from the previous. */
typedef enum {
  RS_OP_ALLREDUCE,
  RS_OP_ALLGATHER,
  RS_OP_REDUCESCATTER,
  RS_OP_ALLTOALL,
  RS_OP_BROADCAST,
  RS_OP_SENDRECV
} rs_coll_op_t;
/* HIERARCHICAL: inside each NVLink domain, then across domains rail by rail, then inside again.
 * TREE: NCCL's double binary tree across domains. RAIL_RING: NCCL's flat ring on multi-NIC servers,
 * one channel per rail, pipelined. */
typedef enum {
  RS_ALGO_AUTO,
  RS_ALGO_RING,
  RS_ALGO_NVLS,
  RS_ALGO_DIRECT,
  RS_ALGO_HIERARCHICAL,
  RS_ALGO_TREE,
  RS_ALGO_RAIL_RING
} rs_coll_algo_t;

/* Their names, as scenario files and tables write them, in enum order and NULL-terminated (for the
 * scenario's choices), and one by one. */
#define RS_COLL_OP_NAMES                                                                                               \
  ((const char* const[]){"all-reduce", "all-gather", "reduce-scatter", "all-to-all", "broadcast", "send-recv", NULL})
#define RS_COLL_ALGO_NAMES                                                                                             \
  ((const char* const[]){"auto", "ring", "nvls", "direct", "hierarchical", "tree", "rail-ring", NULL})
const char* rs_coll_op_name(rs_coll_op_t op);
const char* rs_coll_algo_name(rs_coll_algo_t algo);

/* ---- network flows between any two hosts, run by a pool of helper actors, for the aggregated
 * form of training: the representative ranks issue the flows of GPUs that run no actor of their own.
 * Also remembers which shared links of the scale-out fabric those flows cross, so that the flows that
 * would contend with them can be found without asking SimGrid for routes (a Dijkstra per source GPU,
 * too slow at 100k GPUs). */
typedef struct rs_flows rs_flows_t;

/* oversubscription: of the pods' rail uplinks (rs_platform_t's); at 1 they carry all their GPUs' NICs
 * at once, so no flow can slow another there. */
rs_flows_t* rs_flows_new(double oversubscription);
void rs_flows_free(rs_flows_t* f); /* accepts NULL; call after the simulation ended */

/* Sends `bytes` from `from` to `to` over their real route, in a helper actor; releases `done` (when not
 * NULL) once the last byte arrived. Returns at once. Call from an actor. */
void rs_flows_start(rs_flows_t* f, sg_host_t from, sg_host_t to, double bytes, sg_sem_t done);
/* The same for `weight` identical flows that cross the same kind of links together, as one flow
 * (rs_net_flow_weighted) of weight x bytes, counted on their own NICs `ends` (NULL: on from's and to's):
 * from-to must have been widened (rs_flows_widen_ends). */
void rs_flows_start_weighted(rs_flows_t* f, sg_host_t from, sg_host_t to, double bytes, int weight,
                             const sg_link_t* ends, sg_sem_t done);
/* Remembers that host h is an end of a flow the plan runs (its NIC is then not free to widen). */
void rs_flows_note_end(rs_flows_t* f, sg_host_t h);
int rs_flows_end_used(const rs_flows_t* f, sg_host_t h);
/* Makes from-to the ends of weighted flows of that weight: its route's NIC halves, from's and to's (in
 * whatever order the route lists them), get weight x their bandwidth, which weight flows from as many
 * GPUs would have (until rs_flows_restore). Refuses (0) when either end is an end of another planned flow
 * or the route crosses other than two NIC halves; 1 when done. Call from an actor. */
int rs_flows_widen_ends(rs_flows_t* f, sg_host_t from, sg_host_t to, double weight);
/* Gives every widened link its own bandwidth back (once the weighted flows are done). */
void rs_flows_restore(rs_flows_t* f);

/* Whether a flow from GPU a to GPU b leaves its pod (or site), and so crosses links that other GPUs'
 * flows cross too: a's rail uplink, b's rail downlink, the WAN between their sites. Below the pod's
 * rail leaves every link a flow crosses is its end GPUs' own (NVLink, NIC) or a non-blocking latency
 * hop. With mark, those of its shared links where flows can contend (the WAN; uplinks when
 * oversubscribed) are also remembered. Both GPUs must state their pod. */
int rs_flows_shared(rs_flows_t* f, const rs_gpu_t* a, const rs_gpu_t* b, int mark);
/* Whether a flow from a to b crosses a shared link remembered by rs_flows_shared(..., 1). */
int rs_flows_crosses_marked(const rs_flows_t* f, const rs_gpu_t* a, const rs_gpu_t* b);

/* ---- NCCL-like collectives on the platform's real routes.
 * Every rank of a communicator calls rs_coll_run with the same arguments from its own actor, as with
 * NCCL; the call returns when that rank's part is done. Bandwidth efficiency and latencies come from
 * the GPU type's one calibration (hardware.h). Two forms behind the same rs_coll_run: the faithful
 * one (one message per rank and per algorithm step) and the grouped one (rs_comm_set_grouped: one flow
 * per rank and per phase carrying the phase's whole volume, plus the latency of the steps it stands
 * for), where only some ranks, the live ones, run actors. */
typedef struct rs_comm rs_comm_t;

/* A communicator over n GPUs (borrowed; they must outlive it), named uniquely for its mailboxes. */
rs_comm_t* rs_comm_new(const char* name, const rs_gpu_t* const* gpus, int n);
void rs_comm_free(rs_comm_t* comm); /* accepts NULL */
int rs_comm_size(const rs_comm_t* comm);
/* Switches comm to the grouped form. Only ranks with live[r] != 0 call rs_coll_run; they issue, through
 * flows, the flow of every rank that touches a live rank or crosses a shared link (rs_flows_shared),
 * so shared links carry what they would carry in the whole job; a flow on the private links of two
 * ranks that are not live is not run, since it is a copy of a live rank's. live is copied. */
void rs_comm_set_grouped(rs_comm_t* comm, const char* live, rs_flows_t* flows);
/* Adds to grouped comm (before it is planned) a copy of it on other GPUs, `gpus` in the same order and
 * falling into NVLink domains alike, that runs no actor: comm's live ranks issue the flows of the
 * copy's ring hops that cross a shared link (rs_flows_shared), each beside the group's own hop, so that
 * the copies of a group stood for (training's CP groups of replicas that run no actor) load the links
 * they share with simulated flows; the phase also waits for them. gpus is copied. */
void rs_comm_add_copy(rs_comm_t* comm, const rs_gpu_t* const* gpus);
/* Chooses the flows of the grouped form and marks the shared links they cross (rs_flows_shared); done
 * by the first rs_coll_run otherwise. A communicator split into NVLink domains plans its hierarchical
 * phases only: its flat ring, rarely chosen there, is planned when it first runs. Call from an actor. */
void rs_comm_plan(rs_comm_t* comm);
/* The same for the grouped all-to-all of a communicator that spans NVLink domains (rank to rank, each
 * pair its own flow, as the faithful direct all-to-all), for one that will run all-to-all; nothing on one
 * domain, where the ring stands for it. Call from an actor. */
void rs_comm_plan_alltoall(rs_comm_t* comm);

/* RS_ERR and err when algo cannot run op on this communicator (NVLS across domains, say). */
int rs_coll_check(const rs_comm_t* comm, rs_coll_op_t op, rs_coll_algo_t algo, rs_err_t* err);
/* The algorithm NCCL would pick: the one with the shortest predicted time among those that can run
 * (on a grouped communicator, among those with a grouped form: not tree or rail-ring). */
rs_coll_algo_t rs_coll_choose(const rs_comm_t* comm, rs_coll_op_t op, double bytes);
/* Runs this rank's part of op on `bytes` (nccl-tests' size: the per-rank buffer; for all-gather the
 * gathered output; for broadcast rank 0's buffer). algo must be a concrete one (not AUTO) that
 * rs_coll_check accepted. */
void rs_coll_run(rs_comm_t* comm, int rank, rs_coll_op_t op, rs_coll_algo_t algo, double bytes);
/* `calls` back-to-back calls of rs_coll_run(comm, rank, op, algo, bytes) run as one (the layers of a model
 * step, say): each message carries `calls` times what one call's carries, on the protocol one call of
 * `bytes` uses, and every latency (NCCL's, and the route's once per call) is paid `calls` times. On links
 * nothing else uses, the time and every link's bytes equal those of the calls one by one; messages are
 * `calls` times fewer. calls >= 1. */
void rs_coll_run_n(rs_comm_t* comm, int rank, rs_coll_op_t op, rs_coll_algo_t algo, double bytes, int calls);

/* Seconds NCCL's cost model predicts for op on `bytes` with algo (0 bytes: its latency alone). */
double rs_coll_predict(const rs_comm_t* comm, rs_coll_op_t op, rs_coll_algo_t algo, double bytes);

/* The NCCL protocol rs_coll_run uses for algo: for ring, rail ring and tree, the one with the shortest
 * predicted time (its per-hop and base latencies, and its share of the bandwidth, hardware.h); Simple
 * for NVLS and direct (hierarchical's phases are rings that choose their own). */
rs_proto_t rs_coll_protocol(const rs_comm_t* comm, rs_coll_op_t op, rs_coll_algo_t algo, double bytes);

/* nccl-tests' bus bandwidth factor: busbw = algbw x factor (2(n-1)/n for all-reduce, 1 for broadcast
 * and send-recv, (n-1)/n else). */
double rs_coll_bus_factor(rs_coll_op_t op, int n);

/* ---- bytes per link (meter.c) --------------------------------------------------------------------
 * SimGrid 3.32's link load plugin cannot track the halves of SPLITDUPLEX links (it crashes), so racksim
 * counts itself: the send path counts every message on each link of its route. The counts live in the
 * data slots of SimGrid's links and hosts, which belong to the meter while it runs. */
typedef struct rs_net_meter rs_net_meter_t;
/* Starts counting, once the platform is loaded and before simgrid_run; at most one meter at a time. */
rs_net_meter_t* rs_net_meter_start(void);
/* Stops counting and frees the counts; accepts NULL. After the run. */
void rs_net_meter_free(rs_net_meter_t* m);
/* Bytes counted on link l (each half of a SPLITDUPLEX link is its own link); 0 when none counted. */
double rs_net_link_bytes(const_sg_link_t l);
/* Where link l's count lives while the meter runs (NULL: not counted), for a reader that reads it every
 * window: the count itself, without going through the SimGrid link (a cache miss or two per link). */
const double* rs_net_link_counter(const_sg_link_t l);

/* ---- the one send path (send.c) -------------------------------------------------------------------
 * Every byte any workload moves goes through these functions, which count it on every link of its
 * route (when a meter runs) and then hand it to SimGrid. No other file calls SimGrid's send or
 * mailbox-put functions (tests/check_layers.sh greps the tree). dst is the host that receives. */
/* A flow of `bytes` from src to dst over their route, blocking the calling actor until it arrived
 * (src need not be the caller's host). */
void rs_net_flow(sg_host_t src, sg_host_t dst, double bytes);
/* `weight` identical flows of `bytes` (the same route's kind of links, the same start) as one: a flow
 * of weight x bytes from src to dst that takes weight shares of every saturated link it crosses, as the
 * weight flows would (SimGrid's max-min penalty). Its own end links (src's and dst's NICs) then carry
 * weight x what one flow's do: the caller gives them that capacity (rs_flows_start_weighted). Counted
 * as weight x bytes on src-dst's route, but, with ends (2 x weight NIC halves: each flow's sender's up,
 * receiver's down, src's and dst's among them), bytes on each flow's own NICs instead of all on src's
 * and dst's. Blocks the calling actor until it arrived. */
void rs_net_flow_weighted(sg_host_t src, sg_host_t dst, double bytes, int weight, const sg_link_t* ends);
/* Puts payload on box as a message of `bytes` simulated bytes from the caller's host to dst, and waits
 * until it is received. */
void rs_net_put(sg_mailbox_t box, sg_host_t dst, void* payload, double bytes);
/* The same without waiting: the comm to wait on (sg_comm_wait or rs_net_wait_all). */
sg_comm_t rs_net_put_async(sg_mailbox_t box, sg_host_t dst, void* payload, double bytes);
/* The same, detached: nobody waits, and the receiver owns payload. */
void rs_net_put_detached(sg_mailbox_t box, sg_host_t dst, void* payload, double bytes);
/* Waits for the n comms (NULL ones skipped). Holds the one use of sg_comm_wait_all, which SimGrid
 * deprecates after 3.35. */
void rs_net_wait_all(sg_comm_t* comms, size_t n);

#endif
