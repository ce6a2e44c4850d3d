/* collectives.h -- NCCL-like collectives on the platform's real routes.
 * Every rank of a communicator calls rs_coll_run with the same arguments from its own actor, as with
 * NCCL; the call returns when that rank's part is done. Bandwidth efficiency and latencies come from
 * the GPU type's one calibration (hardware.h). Two forms behind the same rs_coll_run: the faithful
 * one (one message per rank and per algorithm step) and the grouped one (rs_comm_set_grouped: one flow
 * per rank and per phase carrying the phase's whole volume, plus the latency of the steps it stands
 * for), where only some ranks, the live ones, run actors. See LICENSE. */
#ifndef RS_COLLECTIVES_H
#define RS_COLLECTIVES_H

#include "error.h"
#include "flows.h"
#include "hardware.h"
#include "platform.h"
#include "scenario.h"

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
/* Chooses the flows of the grouped form and marks the shared links they cross (rs_flows_shared); done
 * by the first rs_coll_run otherwise. A communicator split into NVLink domains plans its hierarchical
 * phases only: its flat ring, rarely chosen there, is planned when it first runs. Call from an actor. */
void rs_comm_plan(rs_comm_t* comm);

/* RS_ERR and err when algo cannot run op on this communicator (NVLS across domains, say). */
int rs_coll_check(const rs_comm_t* comm, rs_coll_op_t op, rs_coll_algo_t algo, rs_err_t* err);
/* The algorithm NCCL would pick: the one with the shortest predicted time among those that can run
 * (on a grouped communicator, among those with a grouped form: not tree or rail-ring). */
rs_coll_algo_t rs_coll_choose(const rs_comm_t* comm, rs_coll_op_t op, double bytes);
/* Runs this rank's part of op on `bytes` (nccl-tests' size: the per-rank buffer; for all-gather the
 * gathered output; for broadcast rank 0's buffer). algo must be a concrete one (not AUTO) that
 * rs_coll_check accepted. */
void rs_coll_run(rs_comm_t* comm, int rank, rs_coll_op_t op, rs_coll_algo_t algo, double bytes);

/* Seconds NCCL's cost model predicts for op on `bytes` with algo (0 bytes: its latency alone). */
double rs_coll_predict(const rs_comm_t* comm, rs_coll_op_t op, rs_coll_algo_t algo, double bytes);

/* The NCCL protocol rs_coll_run uses for algo: for ring, rail ring and tree, the one with the shortest
 * predicted time (its per-hop and base latencies, and its share of the bandwidth, hardware.h); Simple
 * for NVLS and direct (hierarchical's phases are rings that choose their own). */
rs_proto_t rs_coll_protocol(const rs_comm_t* comm, rs_coll_op_t op, rs_coll_algo_t algo, double bytes);

/* nccl-tests' bus bandwidth factor: busbw = algbw x factor (2(n-1)/n for all-reduce, 1 for broadcast
 * and send-recv, (n-1)/n else). */
double rs_coll_bus_factor(rs_coll_op_t op, int n);

#endif
