/* collectives.h -- NCCL-like collectives on the platform's real routes.
 * Every rank of a communicator calls rs_coll_run with the same arguments from its own actor, as with
 * NCCL; the call returns when that rank's part is done. Bandwidth efficiency and latencies come from
 * the GPU type's one calibration (hardware.h). This is the faithful form: one message per rank and
 * per algorithm step. See LICENSE. */
#ifndef RS_COLLECTIVES_H
#define RS_COLLECTIVES_H

#include "error.h"
#include "platform.h"
#include "scenario.h"

typedef struct rs_comm rs_comm_t;

/* A communicator over n GPUs (borrowed; they must outlive it), named uniquely for its mailboxes. */
rs_comm_t* rs_comm_new(const char* name, const rs_gpu_t* const* gpus, int n);
void rs_comm_free(rs_comm_t* comm); /* accepts NULL */
int rs_comm_size(const rs_comm_t* comm);

/* RS_ERR and err when algo cannot run op on this communicator (NVLS across domains, say). */
int rs_coll_check(const rs_comm_t* comm, rs_coll_op_t op, rs_coll_algo_t algo, rs_err_t* err);
/* The algorithm NCCL would pick: the one with the shortest predicted time among those that can run. */
rs_coll_algo_t rs_coll_choose(const rs_comm_t* comm, rs_coll_op_t op, double bytes);
/* Runs this rank's part of op on `bytes` (nccl-tests' size: the per-rank buffer; for all-gather the
 * gathered output). algo must be a concrete one (not AUTO) that rs_coll_check accepted. */
void rs_coll_run(rs_comm_t* comm, int rank, rs_coll_op_t op, rs_coll_algo_t algo, double bytes);

/* Seconds NCCL's cost model predicts for op on `bytes` with algo (0 bytes: its latency alone). */
double rs_coll_predict(const rs_comm_t* comm, rs_coll_op_t op, rs_coll_algo_t algo, double bytes);

/* nccl-tests' bus bandwidth factor: busbw = algbw x factor (2(n-1)/n for all-reduce, (n-1)/n else). */
double rs_coll_bus_factor(rs_coll_op_t op, int n);

#endif
