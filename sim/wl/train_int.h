/* train_int.h -- private to the training workload's files: training.c (the rank actors and the
 * workload's entry), train_schedule.c (the pipeline orders), train_groups.c (communicators and
 * collective recorders) and train_aggregated.c (the aggregated mode). Holds the workload's state, one
 * rank's context and the functions those files share (rs_train__ prefix). Nobody else includes it but
 * the tests of the schedule. See LICENSE. */
#ifndef RS_TRAIN_INT_H
#define RS_TRAIN_INT_H

#include "model/model.h"
#include "wl/wl_int.h"

#include <simgrid/forward.h>
#include <stddef.h>

/* ---- the pipeline schedule (train_schedule.c): pure, callable without a SimGrid engine -------------- */

/* One pass of a stage: the forward or the backward of one micro-batch through one of its chunks. */
typedef struct rs_train_step {
  int backward; /* 0: forward, 1: backward */
  int chunk;    /* the virtual stage on this rank, 0 to vp - 1 (always 0 when vp is 1); DualPipe: the phase */
  int micro;    /* the micro-batch, 0 to n_micro - 1 (DualPipe: of its direction, 0 to n_micro / 2 - 1) */
  /* DualPipe only (0 elsewhere): */
  int split;   /* a backward that computes its input gradients only; its weight gradients come later */
  int weights; /* a pass of the weight gradients of the earliest split backward not yet done (chunk, micro: its) */
  int paired;  /* a forward that runs overlapped with the next step, a backward (DeepSeek's F&B chunk pair) */
} rs_train_step_t;

/* Forward passes that stage (0 to pp - 1) runs before its first backward: pp - stage - 1 for plain 1F1B
 * (vp = 1), 2 (pp - stage - 1) + (vp - 1) pp when interleaved; at most its n_micro x vp passes
 * (Megatron-LM's get_num_warmup_microbatches). */
int rs_train__warmup(int pp, int vp, int stage, int n_micro);
/* Writes stage's 2 x vp x n_micro passes into steps (the caller's array of that many) in the order it
 * runs them: the warm-up's forwards, then one forward and one backward, then the remaining backwards.
 * Returns their number. */
int rs_train__schedule(int pp, int vp, int stage, int n_micro, rs_train_step_t* steps);
/* DualPipe (DeepSeek-V3 report, section 3.2.1; deepseek-ai/DualPipe): n_micro micro-batches, half fed
 * from each end of a pipeline of pp ranks (pp even, n_micro even and at least 2 pp). Chunk (phase) 0 of
 * stage s is the virtual stage min(s, pp - 1 - s) of the direction in which s is in the first half,
 * chunk 1 the mirror one (pp - 1 - min(...)) of the other direction. Writes the stage's passes in order
 * into steps (at least RS_TRAIN_DUALPIPE_STEPS(n_micro) of them) and returns their number: a forward and a
 * backward per micro-batch and chunk, paired forwards, split backwards and their weight passes. */
#define RS_TRAIN_DUALPIPE_STEPS(n_micro) (3 * (n_micro))
int rs_train__dualpipe(int pp, int stage, int n_micro, rs_train_step_t* steps);

/* ---- state -------------------------------------------------------------------------------------- */

/* The parallel dimensions that have collectives, in the order of the arrays indexed by them:
 * 't' (tp), 'c' (cp), 'd' (dp), 'e' (ep). */
#define RS_TRAIN_DIMS 4

/* Where a rank's time goes; the parts add up to its step. */
typedef struct train_times {
  double compute, comm, bubble, optimizer;
} train_times_t;

/* Its columns of summary.csv. */
typedef struct train_summary {
  double tokens_per_s;     /* mean over iterations */
  double step_s;           /* mean iteration time */
  double tflops_per_gpu;   /* model FLOPs, last iteration */
  double mfu;              /* of the dense peak of the training precision, last iteration */
  double energy_j;         /* joules of its GPUs from its start to its end */
  double joules_per_token; /* energy_j over the tokens trained */
  /* under failures (train_faults.c); NaN without them */
  double interruptions;         /* failures that stopped the job */
  double goodput;               /* useful iteration time / wall time */
  double useful_s;              /* iteration time kept (checkpointed, or at the end) */
  double lost_work_s;           /* time since the last checkpoint, lost at each interruption */
  double downtime_s;            /* from each failure to the restart */
  double checkpoint_s;          /* writing checkpoints */
  double checkpoint_interval_s; /* useful work between checkpoints */
  double lost_work_energy_j;    /* the job's GPUs' joules over the lost work (lost_work_s) */
} train_summary_t;

typedef struct train_ft train_ft_t;

typedef struct train_rank train_rank_t;

/* Sends of other replicas that stand beside a live rank's: `weight` of them, alike (the same shared links,
 * the same bytes, at the same time), as one weighted flow from `from` to `to` (rs_flows_start_weighted),
 * its bytes counted on each send's own NICs `ends` (NULL: on from's and to's). */
typedef struct train_mirror {
  sg_host_t from, to;
  int weight;
  sg_link_t* ends;
} train_mirror_t;

/* One training workload. prepare fills what the checks need (wl to gpus); start the rest. */
typedef struct train_wl {
  rs_run_t* run; /* set by start */
  const rs_sc_workload_t* wl;
  const rs_sc_training_t* cfg;
  rs_wl_row_t* row;
  train_summary_t sum;
  rs_table_t* iterations;
  rs_layout_t lay; /* the scenario's, resolved: dp and n_micro derived */
  int aggregated;
  int n;
  const rs_gpu_t** gpus;
  rs_train_step_t** schedule; /* [pp]: each stage's passes in order (rs_train__schedule), n_steps[s] each */
  int* n_steps;
  int reps;                           /* live DP replicas: all (faithful) or ep (aggregated) */
  int n_live;                         /* ranks that run actors: n / dp x reps */
  char* live;                         /* [n]: rank r runs actors */
  rs_flows_t* flows;                  /* aggregated mode: the flows of ranks that run no actor */
  rs_flows_t* copies;                 /* activation offload: the copies to and from the CPU hosts; NULL: none */
  double offload_bytes;               /* activation offload: one offloaded layer's, per micro-batch and GPU */
  train_rank_t** ranks;               /* [n_live], for the plan of the aggregated mode */
  const rs_gpu_t** live_gpus;         /* [n_live]: the GPUs of the live ranks */
  rs_comm_t** groups[RS_TRAIN_DIMS];  /* per dimension and group; a rank finds its own with rs_train__group_of */
  rs_coll_rec_t** rec[RS_TRAIN_DIMS]; /* per dimension and group: rows of collectives.csv; NULL: off */
  sg_bar_t barrier;
  train_times_t total; /* summed over ranks, this iteration */
  double finish_sum;   /* sum over ranks of the time each finished its iteration */
  double step_sum;     /* over iterations, for the summary */
  train_ft_t* ft;      /* its reaction to failures; NULL when the run has none */
  int next_it;         /* the iteration every rank runs next (rank 0 sets it) */
  double it_j0;        /* the job's GPU joules when the iteration began (measured for the renewal fast path) */
} train_wl_t;

/* One rank: the context of its actor and of its gradient-reduction actor. */
struct train_rank {
  train_wl_t* w;
  int rank;
  rs_coords_t c;
  const rs_gpu_t* gpu;
  train_times_t t;
  sg_mailbox_t from_prev, from_next;   /* activations arrive from the previous stage, gradients from the next */
  sg_mailbox_t dp_work, dp_done;       /* to and from this rank's gradient-reduction actor */
  struct {                             /* where the rank is, for collectives.csv and ops.csv */
    int iteration, layer, micro_batch; /* -1: not in a layer, not in a micro-batch */
    const char* phase;                 /* forward, backward, step */
  } at;
  sg_mailbox_t to[2];         /* the neighbouring virtual stages' mailboxes: activations (0), gradients (1) */
  sg_host_t to_host[2];       /* and their hosts */
  train_mirror_t* mirrors[2]; /* aggregated: the other replicas' activation (0) and gradient (1) sends */
  int n_mirrors[2];           /* that stand beside this rank's (rs_train__plan_aggregated) */
  sg_host_t cpu_host;         /* activation offload: the GPU's CPU host */
  sg_sem_t* stored;           /* [offload_layers]: released when layer i's activations reached the CPU host */
  sg_sem_t* reloaded;         /* [offload_layers]: released when they are back on the GPU */
  sg_sem_t* gathered;         /* zero 3 with prefetch: [layers], released when the DP reducer gathered layer i */
  int carried; /* zero 3 with prefetch: the layer whose gather the previous pass queued for this one; -1 */
  /* DualPipe: per direction d (0: from stage 0 on, 1: from stage pp - 1 back), where activations (0) and
   * gradients (1) arrive, and the neighbours' boxes and hosts they go to (NULL at the ends) */
  sg_mailbox_t dual_from[2][2], dual_to[2][2];
  sg_host_t dual_to_host[2][2];
  int dry;        /* a DualPipe pair in two runs: 0 as usual; 1: only count compute into pending; 2: all but compute */
  double pending; /* seconds of compute counted by a dry run */
};

/* The joules the job's GPUs have drawn so far (the live ranks' meters, scaled to every rank). */
double rs_train__energy_j(const train_wl_t* w);

/* ---- ops.csv (training.c) ------------------------------------------------------------------------ */

/* The row of ops.csv for what rank me did since t0, where it is now (flops and bytes NaN). */
rs_op_row_t rs_train__op_row(const train_rank_t* me, const char* op, const char* detail, double t0);

/* ---- groups (train_groups.c) --------------------------------------------------------------------- */

/* The index of dimension dim ('t', 'c', 'd', 'e') in the arrays of RS_TRAIN_DIMS, and its name (tp...). */
int rs_train__dim_slot(char dim);
const char* rs_train__dim_name(char dim);
/* Group index along dim of the rank at c, and its rank within the group in *pos. */
int rs_train__group_of(const rs_layout_t* l, rs_coords_t c, char dim, int* pos);
/* The number of groups along dimension slot d. */
int rs_train__group_count(const train_wl_t* w, int d);
/* Makes the groups of every dimension (w->groups), and their recorders when `record` (collectives.csv);
 * in aggregated mode only those holding a live rank. Needs w->live and w->flows. */
void rs_train__groups_new(train_wl_t* w, int record);
/* Frees the groups and recorders (any not made are NULL). */
void rs_train__groups_free(train_wl_t* w);
/* Rank me runs one collective of its group along dim, recorded in collectives.csv and ops.csv at layer
 * (-1: none); returns the seconds it took (0 in a group of one, which runs nothing). */
double rs_train__collective(train_rank_t* me, char dim, rs_coll_op_t op, double bytes, int layer);

/* ---- the aggregated mode (train_aggregated.c) ---------------------------------------------------- */

/* Why the aggregated mode cannot stand for the job of layout l (resolved) on the n GPUs of p from
 * `first` (written into why, len bytes), or 0 when it can. */
int rs_train__aggregated_obstacle(const rs_platform_t* p, int first, const rs_layout_t* l, int n, char* why,
                                  size_t len);
/* Whether workload wl (n ranks, layout l resolved) runs aggregated: when asked, or by auto on a large job
 * it can stand for. */
int rs_train__is_aggregated(const rs_run_t* run, const rs_sc_workload_t* wl, const rs_layout_t* l, int n);
/* Run by rank 0 before the first iteration, from its actor (routes are known only inside the simulation):
 * plans the grouped collectives and picks the other replicas' pipeline sends each live rank stands for. */
void rs_train__plan_aggregated(train_wl_t* w);
/* Starts the flows of the other replicas' sends that stand beside me's send (backward: its gradients). */
void rs_train__send_mirrors(const train_rank_t* me, int backward, double bytes);

/* ---- failures (train_faults.c) ------------------------------------------------------------------- */

/* The job's reaction to the run's failures (failures.training), or NULL when the run injects none.
 * Needs w->run and w->gpus; sets the failure columns of w->sum. */
train_ft_t* rs_train__ft_new(train_wl_t* w);
void rs_train__ft_free(train_ft_t* ft); /* accepts NULL */
/* Rank 0 at the job's start: the energy meters' reading where the first uncommitted work begins. */
void rs_train__ft_begin(train_wl_t* w);
/* The spare servers training workload i holds under failures: (rs_wl_ops_t.spare_servers). */
int rs_train__spare_servers(const rs_run_t* run, int i);
/* Rank 0, after iteration it ran from t0 to t1: checkpoints, or restarts from the last checkpoint after
 * a failure, or advances by the renewal fast path; returns the next iteration to run (cfg->iterations
 * when the job is done). */
int rs_train__ft_after(train_wl_t* w, int it, double t0, double t1);
/* 1 when the job will take the renewal fast path (failures.training.renewal_after), which needs each
 * iteration's energy (w->it_j0). */
int rs_train__ft_renews(const train_wl_t* w);
/* Iterations the job trained, for its tokens: every one without failures; under them, those it reached
 * by its end (less the work lost when it ended interrupted), however often it ran them again. */
int rs_train__trained_iterations(const train_wl_t* w);
/* The kind's fault entry (rs_wl_ops_t.fault). */
void rs_train__fault(rs_run_t* run, int i, void* state, const rs_fault_t* f);

#endif
