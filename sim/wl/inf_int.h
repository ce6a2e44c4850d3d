/* inf_int.h -- private to the inference workload's files: the request, the KV-cache scheduler and the
 * router as plain structs with pure functions (no SimGrid engine needed, so tests/check_inf_sched.c
 * calls them directly), and the state that the workload's actors share. Functions one file of the
 * workload calls in another are rs_inf__*; everything else stays static in its file.
 *   inf_requests.c  requests: drawn, or read from a trace; rate and length tables
 *   inf_kv.c        the KV-cache scheduler: admission, blocks, preemption, prefix caching
 *   inf_router.c    the choice of a replica for each request
 *   inf_engine.c    the replica actors: one step's schedule, its timing on every GPU, the pipelined
 *                   stages of a PP replica (its virtual engines), replicas.csv and its ops.csv rows
 *   inf_cost.c      the per-stage figures and the seconds of one step on one GPU of a stage
 *   inf_serve.c     requests in and out: the router actor, calls of other workloads, requests.csv
 *   inf_disagg.c    disaggregated serving: KV caches from prefill to decode replicas
 *   inf_faults.c    failures: a replica that fails stops, its requests resubmitted or lost
 *   inf_sites.c     several sites: each request's home site, failover, the WAN's round trip
 *   inf_windows.c   windows.csv and the SLO attainment during and outside failures
 *   inference.c     the rs_wl__inference entry: prepare, start, summary, report, free
 * See LICENSE. */
#ifndef RS_INF_INT_H
#define RS_INF_INT_H

#include "model/model.h"
#include "wl/wl_int.h"

#include <simgrid/forward.h>
#include <stdint.h>

/* ---- requests (inf_requests.c) ------------------------------------------------------------------ */

/* One request, from arrival to its last token. Times are absolute simulated seconds; -1: not yet. */
typedef struct rs_inf_req {
  double arrival, scheduled, first_token, finish;
  int prompt, output;
  int computed;            /* tokens whose keys and values are in the cache (or swapped out) */
  int generated;           /* output tokens produced */
  int blocks;              /* KV blocks held */
  int n_step;              /* tokens processed in the current step */
  int replica;             /* where it is served (decoded, when disaggregated) */
  int prefill_replica;     /* where its prompt was prefilled */
  int routed;              /* tokens counted in its replica's outstanding */
  int shards_left;         /* KV shards still in flight to the decode replica */
  int shared;              /* prompt tokens whose KV blocks it borrows from its replica's prefix cache */
  double kv_start, kv_end; /* KV transfer, when disaggregated; -1: none */
  int preemptions;
  int swapped;   /* 1: its KV blocks wait in host memory */
  int retries;   /* times it was sent again after its replica failed (inf_faults.c) */
  int lost;      /* 1: given up with its failed replica (retry: lose) */
  int during;    /* 1: it arrived, or was sent again, while a replica of its workload was down */
  double wan_s;  /* served at a site other than its home: the WAN's round trip, added to what it sees */
  double work_j; /* under failures: GPU joules of the steps' work it took part in since it last started
                    (its token share of each step); lost if it leaves a failed replica (inf_faults.c) */
  int handoffs;  /* disaggregated: hand-offs so far; a mover's job names the one it belongs to */
  int on_wire;   /* disaggregated: 1 + its place in the workload's wire[] while its KV cache is between
                    replicas (queued at the movers or in flight); 0: not */
} rs_inf_req_t;

/* A workload's own requests, sorted by arrival in order[]. */
typedef struct rs_inf_reqs {
  rs_inf_req_t* reqs; /* [n] (the caller may grow it for calls of other workloads) */
  int n;
  int* order; /* [n]: request indices by arrival time, the file's order among equal times */
} rs_inf_reqs_t;

/* Draws cfg's requests (seeded by seed and the workload's index) or reads its trace, with times from
 * 0 and every time field -1; RS_ERR and "file:line: column: ..." in err for a bad trace or table. The
 * caller takes reqs and order, and frees them, even on RS_ERR. */
int rs_inf__reqs_load(rs_inf_reqs_t* rq, const rs_sc_inference_t* cfg, uint64_t seed, int index, rs_err_t* err);
/* Indices 0 .. n-1 of reqs by arrival time, index order among equal times (order[] above, and
 * windows.csv's rows); the caller frees them. */
int* rs_inf__by_arrival(const rs_inf_req_t* reqs, int n);

/* ---- queues and the KV cache (inf_kv.c): pure functions, no SimGrid ----------------------------- */

/* A double-ended queue of request indices: arrivals at the back, preempted requests at the front. */
typedef struct rs_inf_idxq {
  int* v;
  int cap, head, n;
} rs_inf_idxq_t;

void rs_inf__q_push_back(rs_inf_idxq_t* q, int i);
int rs_inf__q_front(const rs_inf_idxq_t* q); /* q must not be empty */
void rs_inf__q_pop_front(rs_inf_idxq_t* q);

/* What the scheduler of every replica of a workload obeys. */
typedef struct rs_inf_kv_cfg {
  long block_tokens;    /* tokens per KV block */
  int max_seqs;         /* sequences in one step at most */
  int max_batch_tokens; /* token budget of one step */
  int chunked_prefill;  /* 1: a prompt that does not fit the budget is split across steps */
  int chunk_in_blocks;  /* 1: every chunk but a prompt's last is whole blocks (rounded down to them) */
  int swap;             /* 1: preemption moves the KV to host memory; 0: drops it, to recompute */
  int decode_first;     /* 1: a step takes the running requests' decode tokens before any prefill chunk */
  int prefix_tokens;    /* the shared prefix in whole blocks, cached per replica; 0: no prefix caching */
  double token_bytes;   /* KV bytes of one token over a whole replica: what a swap or a hand-off moves */
} rs_inf_kv_cfg_t;

/* One replica's paged KV cache and its queues. */
typedef struct rs_inf_kv {
  const rs_inf_kv_cfg_t* cfg;
  long free_blocks, total_blocks;
  int warm; /* prefix caching: the shared prefix's blocks are held here */
  rs_inf_idxq_t waiting;
  long waiting_blocks; /* blocks the waiting requests need for what they know, for kv-aware routing */
  int* run;            /* [cap_run]: running requests, in admission order */
  int n_run;
  int cap_run; /* grows to at most cfg->max_seqs: that limit is a bound, not what a run needs */
} rs_inf_kv_t;

/* What one step does, summed over its sequences, for the roofline. */
typedef struct rs_inf_step {
  double tokens;        /* new tokens processed */
  double pairs;         /* (query, key) pairs of attention scores */
  double ctx_tokens;    /* of them, those of prompts (the context phase: a prompt or its chunk, or a recompute) */
  double ctx_pairs;     /* their pairs; the others are decode tokens, one per generating sequence */
  double kv_read;       /* cached tokens read, summed over sequences */
  double produced;      /* sequences that produce a token (logits) */
  double swap_bytes;    /* KV blocks swapped out to host memory and back in, both ways together */
  double swap_in_bytes; /* of them, those coming back */
  int seqs;
  int preempted;
} rs_inf_step_t;

/* An empty cache of `blocks` blocks under cfg (borrowed: it must outlive kv); rs_inf__kv_free frees it. */
void rs_inf__kv_init(rs_inf_kv_t* kv, const rs_inf_kv_cfg_t* cfg, long blocks);
void rs_inf__kv_free(rs_inf_kv_t* kv);
/* Blocks that `tokens` tokens fill. */
long rs_inf__kv_blocks(const rs_inf_kv_cfg_t* cfg, long tokens);
/* Request i of reqs waits for admission, at the back (an arrival) or the front. */
void rs_inf__kv_wait(rs_inf_kv_t* kv, const rs_inf_req_t* reqs, int i, int front);
/* Schedules one step at time now into *st (zeroed by the caller): running requests first, in
 * admission order, each growing its blocks and preempting the newest ones when blocks run out; then
 * waiting requests, first come first served, while the budget, max_seqs and the free blocks allow
 * (none in a step that had to preempt). With decode_first the running requests' decode tokens come
 * first, then their prefill chunks, which wait (without preempting a request of the step) when blocks
 * run out. Sets n_step of every running request. */
void rs_inf__kv_schedule(rs_inf_kv_t* kv, rs_inf_req_t* reqs, double now, rs_inf_step_t* st);
/* Whether the batch is full after a schedule: max_seqs requests run, or a request waits whose known
 * tokens the free blocks cannot hold (the KV cache binds). A budget spent on prompts is not full. */
int rs_inf__kv_full(const rs_inf_kv_t* kv, const rs_inf_req_t* reqs);
/* Every running request takes one decode token (a step of a run of identical decode steps). */
void rs_inf__kv_decode(rs_inf_kv_t* kv, rs_inf_req_t* reqs, rs_inf_step_t* st);
/* How many decode steps, at most `limit`, can follow with nothing but contexts growing: every running
 * request decodes one token, none waits, none finishes before the last step, and the free blocks cover
 * their growth; *cached gets the tokens the first of them reads. 0 when none can. */
int rs_inf__kv_decode_steps(const rs_inf_kv_t* kv, const rs_inf_req_t* reqs, int limit, double* cached);
/* Applies the scheduled step at time now: each request advances by its n_step tokens (the first
 * output token time is set); those that finish, or on a prefill-only replica have their first token,
 * leave the running set and free their blocks. Writes the leavers into left[] (room for n_run) in
 * admission order and returns how many. */
int rs_inf__kv_advance(rs_inf_kv_t* kv, rs_inf_req_t* reqs, double now, int prefill_only, int* left);

/* ---- routing (inf_router.c): pure functions, no SimGrid ----------------------------------------- */

/* Replicas [lo, hi) that one routing decision chooses among. */
typedef struct rs_inf_pool {
  int lo, hi;
  long long rr_next; /* round robin: the next pick */
} rs_inf_pool_t;

/* The routing policy and the per-replica figures it looks at. */
typedef struct rs_inf_router {
  rs_route_t policy;
  int n;
  const rs_inf_kv_t* kv; /* each replica's caches, read by kv-aware: [n], or [kv_first[n]] */
  const int* kv_first;   /* [n + 1]: replica r's caches are kv[kv_first[r] .. kv_first[r + 1]); NULL: one each */
  int* seats;            /* step-aware: [n] requests routed to each replica and not gone; else NULL */
  int* slots;            /* step-aware: [n] sequences each replica's steps hold (max_seqs x virtual engines) */
  double* outstanding;   /* [n]: prompt + output tokens routed to each replica and not finished */
  int* heap;             /* least-outstanding over one pool: replicas by (outstanding, index); else NULL */
  int* heap_pos;         /* [n]: each replica's place in the heap */
  int* down;             /* [n]: failures holding replica r down (inf_faults.c); NULL: none yet */
} rs_inf_router_t;

/* A router over the n replicas whose caches are kv[0..n-1] (borrowed). With one pool of every
 * replica, least-outstanding keeps a heap and answers in log time; with two (one_pool 0) it scans. */
void rs_inf__router_init(rs_inf_router_t* rt, rs_route_t policy, int n, const rs_inf_kv_t* kv, int one_pool);
void rs_inf__router_free(rs_inf_router_t* rt);
/* Makes the router step-aware: replica r's steps hold slots[r] sequences (copied); it then picks among
 * the replicas of a pool with a free seat (fewer requests routed there and not gone than slots) when
 * one has, by its policy, and scans instead of keeping a heap. */
void rs_inf__router_steps(rs_inf_router_t* rt, const int* slots);
/* The replica of pool p that the policy picks now: round robin in turn; least-outstanding the one
 * with the fewest outstanding tokens; kv-aware the one with the most KV blocks left once its waiting
 * requests are admitted, counting those its cached prefix saves (the lowest index among equals). */
int rs_inf__route(rs_inf_router_t* rt, rs_inf_pool_t* p);
/* Whether every replica of pool p is down. */
int rs_inf__pool_all_down(const rs_inf_router_t* rt, const rs_inf_pool_t* p);
/* Replica r's outstanding tokens grow by `tokens` (negative: a request left). */
void rs_inf__router_add(rs_inf_router_t* rt, int r, double tokens);
/* A request was routed to replica r (+1) or left it (-1); counted only when step-aware. */
void rs_inf__router_seat(rs_inf_router_t* rt, int r, int delta);

/* ---- the workload's shared state ----------------------------------------------------------------- */

typedef struct rs_inf_wl rs_inf_wl_t;

/* Figures of one pipeline stage of a replica (inf_cost.c), per token over the stage's layers, or per
 * GPU where it says so. */
typedef struct rs_inf_stage {
  double proj_flops;    /* attention projections' GEMMs */
  double dense_flops;   /* dense MLPs, shared experts and routers */
  double routed_flops;  /* routed experts' grouped GEMMs, over the experts_per_token a token picks */
  double pair_flops[2]; /* per (query, key) pair of attention, in its prefill and its decode form */
  double stream_rep;    /* bytes of memory-bound kernels every TP rank repeats (norms, residuals) */
  double stream_split;  /* bytes of memory-bound kernels TP splits (rotary, KV write, activations) */
  double proj_bytes;    /* per GPU: attention projection weights, read by every step */
  double weight_bytes;  /* per GPU: the other weights every step reads (all but routed experts and the embedding) */
  double expert_bytes;  /* per GPU: the routed expert slots it holds, read when a token of the step picks them */
  double kv_bytes;      /* per GPU and per cached token of one sequence (before the EP split) */
  double held_bytes;    /* per GPU: weights held (with the input embedding) */
  int layers, moe_layers;
  /* kernels of one step of the stage by class, each at least cfg->kernel_floor_s long: GEMMs (the
   * logits' apart), attention projections, grouped expert GEMMs, attention, memory-bound kernels */
  int k_gemm, k_proj, k_moe, k_attn, k_stream;
} rs_inf_stage_t;

typedef enum { RS_INF_MIXED, RS_INF_PREFILL, RS_INF_DECODE } rs_inf_role_t;

/* One GPU of a prefill replica sending its shard of each finished prompt's KV cache (inf_disagg.c). */
typedef struct rs_inf_mover {
  struct rs_inf_replica* r;
  int g; /* GPU index in the replica */
  rs_inf_idxq_t jobs;
  sg_sem_t wake;
  int idle;
} rs_inf_mover_t;

/* A GPU of a replica other than its stages' first ones: it joins the collectives of its stage
 * (inf_engine.c). */
typedef struct rs_inf_helper {
  struct rs_inf_replica* r;
  int stage, e, t; /* its stage, attention-DP (EP) rank and TP rank */
  sg_sem_t go;
} rs_inf_helper_t;

/* One virtual engine's step on its way through a replica's stages (a micro-batch). */
typedef struct rs_inf_batch {
  rs_inf_step_t st;
  double start; /* when it was scheduled */
  double used;  /* KV blocks its engine held then */
  int in_flight;
  int was_full;    /* its engine has run a full batch (rs_inf__kv_full) */
  long long steps; /* steps of this virtual engine so far */
  long long epoch; /* the replica's epoch when it was scheduled: a failure since voids it */
} rs_inf_batch_t;

/* One pipeline stage of a replica at run time: what its helpers read, its GPUs' executions and, when
 * pipelined, the virtual engines whose batches wait for it, in order, and the actor that runs it. */
typedef struct rs_inf_pipe {
  struct rs_inf_replica* r;
  int s;
  double tp_bytes, ep_bytes; /* of the step being run, for helpers */
  int run_steps;             /* steps whose collectives the stage runs at once: 1, or a decode run's */
  sg_exec_t* execs;          /* [stage_gpus]: its executions in flight */
  rs_inf_idxq_t inbox;       /* pipelined: virtual engines whose batch waits for this stage */
  sg_sem_t ready;            /* pipelined: released once per batch put in the inbox */
} rs_inf_pipe_t;

/* The replicas.csv interval being accumulated. */
typedef struct rs_inf_sample {
  double t0, busy, seq_area, kv_area, kv_max;
  long long preemptions;
} rs_inf_sample_t;

/* A replica: a serving engine on its GPUs. With pp stages it runs pp virtual engines, as vLLM does:
 * each its own scheduler over its share of the KV cache (the blocks split evenly, each with max_seqs
 * and max_batch_tokens), whose batches move through the stages one behind the other, so stage s works
 * on one engine's batch while stage s + 1 works on another's. */
typedef struct rs_inf_replica {
  rs_inf_wl_t* w;
  const rs_inf_wl_t* cost; /* whose layout its steps are timed with: w, or the decode pool's w->decode */
  int id;
  rs_inf_role_t role;
  const rs_layout_t* lay; /* its layout (cost->lay) */
  int stage_gpus, n_gpus; /* tp x ep, and tp x ep x pp */
  int n_ve;               /* virtual engines: pp */
  rs_inf_kv_t* kv;        /* [n_ve]: their caches, in w->kv */
  int* left;              /* [cap_left]: the requests leaving after a step */
  int cap_left;
  const rs_gpu_t** gpus;  /* stage by stage, each stage EP-major then TP */
  rs_inf_mover_t* movers; /* [n_gpus] on prefill replicas */
  rs_comm_t** tp;         /* [pp x ep]: TP group of each stage and attention-DP rank; NULL for 1-GPU stages */
  rs_comm_t** ep;         /* [pp x tp]: EP group of each stage and TP position */
  sg_bar_t* bar;          /* [pp]: a stage's GPUs */
  rs_inf_pipe_t* pipe;    /* [pp] */
  rs_inf_batch_t* batch;  /* [n_ve]: each virtual engine's step */
  rs_inf_idxq_t done;     /* pipelined: virtual engines whose batch left the last stage */
  int memo_n;             /* entries of memo: it grows with the largest step seen, up to max_seqs + 1 */
  double* memo;           /* [memo_n]: seconds of the collectives of a one-stage step by its tokens; NaN: not yet; NULL:
                             decode runs do not use them (inf_engine.c, run_allowed) */
  sg_sem_t wake;
  sg_sem_t swapped; /* released as each GPU's share of a step's swapped KV arrives (w->copies) */
  int idle;
  int quit; /* tells helpers and stage actors to stop */
  rs_inf_helper_t* helpers;
  int n_helpers;
  rs_inf_sample_t sample;
  double first_full; /* when each of its engines had run a full batch (rs_inf__kv_full); NaN: not yet */
  double last_admit; /* when it last admitted a request into a step; NaN: never */
  int n_full;        /* its engines that have run a full batch */
  long long epoch;   /* failures so far: each empties its caches and voids the steps in flight */
  double down_since; /* when it last went down (inf_faults.c) */
  double down_s;     /* seconds it was down, over the failures that ended */
} rs_inf_replica_t;

/* Its columns of summary.csv: percentiles p50/p90/p95/p99 over every request. */
typedef struct rs_inf_summary {
  double tokens_per_s; /* output tokens */
  double energy_j;     /* joules of its replicas' GPUs from its start to its end */
  double joules_per_token;
  double requests;
  double tokens_per_s_per_gpu;
  double ttft_s[RS_RUN_PERCENTILES], tpot_s[RS_RUN_PERCENTILES], latency_s[RS_RUN_PERCENTILES];
  double goodput_requests_per_s; /* requests within both latency objectives, per second */
  double slo_attainment;         /* fraction of requests within both objectives */
  double preemptions;
  double steady_tokens_per_s;          /* output tokens produced in the steady window over its length */
  double steady_start_s, steady_end_s; /* the window (inference.c, rs_inf__summarize); NaN: none */
  double failed_requests;              /* lost with their replica (retry: lose); NaN: the run has no failures */
  double retried_requests;             /* sent again after their replica failed (retry: resubmit) */
  double availability;                 /* replica-seconds up over replica-seconds of the workload's span */
  double slo_attainment_degraded;      /* over requests with `during` set; NaN: none */
  double slo_attainment_healthy;       /* over the others */
  double lost_work_energy_j;           /* GPU joules of the work failures threw away; NaN: no failures */
} rs_inf_summary_t;

/* Calls from other workloads (service.c's protocol): they become requests n_reqs .. n_reqs + n - 1. */
typedef struct rs_inf_calls {
  int router_done;  /* the router released the workload's own requests */
  int clients_left; /* client workloads that have not said goodbye */
  int n, cap;
  rs_svc_call_t** calls; /* [n]: the caller's call of each external request */
} rs_inf_calls_t;

/* What finished requests leave behind. */
typedef struct rs_inf_results {
  rs_table_t *requests, *replicas;
  double *ttft, *tpot, *latency; /* per finished request, in finishing order */
  long long n_done, n_tpot, n_good, out_tokens, in_tokens, preemptions;
  long long n_lost, n_retried; /* requests lost or sent again after a failure of their replica */
  double lost_work_j;          /* GPU joules of steps void at a failure and of the work of requests that left */
  int n_down;                  /* replicas down now */
  double* change_t;            /* [n_changes]: when n_down changed, and to what (change_n), in time order */
  int* change_n;
  int n_changes, cap_changes;
  rs_table_t* windows; /* windows.csv, under failures; else NULL */
  double last_finish;
  double* made; /* [2 x n_made]: (time, output tokens) of every step that produced tokens, as applied */
  long long n_made, cap_made;
} rs_inf_results_t;

struct rs_inf_wl {
  rs_run_t* run; /* set by start */
  const rs_scenario_t* sc;
  const rs_platform_t* plat;
  const rs_sc_workload_t* wl;
  const rs_sc_inference_t* cfg;
  const rs_model_t* m;
  rs_wl_row_t* row;
  rs_inf_summary_t sum;
  /* the replicas: these fields are the layout of mixed replicas, or of prefill ones when disaggregated */
  rs_layout_t lay; /* one replica's: tp, ep (= attention dp), pp */
  int gpus_per_replica, n_replicas, stage_gpus;
  rs_inf_stage_t* stages; /* [pp] */
  double logits_flops;
  const rs_gpu_model_t* gpu; /* the replicas' GPU model */
  rs_prec_t attn_prec, proj_prec;
  double moe_imbalance; /* busiest EP rank's routed tokens / the mean */
  rs_inf_kv_cfg_t kvc;
  rs_inf_kv_t* kv; /* every replica's virtual engines' caches, replica by replica */
  int* kv_first;   /* [n_replicas + 1]: replica r's caches are kv[kv_first[r] .. kv_first[r + 1]) */
  /* Disaggregated with a decode layout of its own (tp, ep, pp apart from prefill_tp, ...): the decode
   * replicas' view, a copy of this struct whose layout fields (lay, gpus_per_replica, stage_gpus,
   * stages, logits_flops, kvc) are the decode layout's, so the step cost and plan_stages read it as they
   * read this one; its other fields are not used (reps is set at start). NULL: one layout. */
  rs_inf_wl_t* decode;
  rs_inf_replica_t* reps;
  rs_flows_t* copies; /* swapped KV's flows between each GPU and its CPU host, where the platform has the
                         path (NVLink-C2C); NULL: a wait at swap_gbytes_per_s */
  int replicas_left;
  double energy0_j; /* the replicas' GPUs' energy at start_s */
  /* the requests: its own, then calls of other workloads */
  rs_inf_req_t* reqs;
  int n_reqs;
  int* order;
  int arrivals_done;
  double next_arrival; /* when the router releases its next request; INFINITY: none left */
  rs_inf_calls_t calls;
  rs_inf_router_t router;
  int* wire; /* disaggregated: the requests whose KV cache is between replicas (on_wire), any order */
  int n_wire, cap_wire;
  rs_inf_pool_t pools[2]; /* where arrivals go (every replica, or the prefill ones); the decode replicas */
  /* A workload over several sites (mixed replicas): each site's replicas as a pool, where requests of
   * that home go while one is up (inf_sites.c); n_sites 0: one site */
  rs_inf_pool_t* site_pools;
  int n_sites;
  int* rep_site;   /* [n_replicas]: its site pool */
  double* wan_rtt; /* [n_sites x n_sites]: round trip between sites, the route's latency both ways */
  rs_inf_results_t res;
};

/* inf_serve.c: the router actor; the service door actor (calls of other workloads); request i goes
 * to replica r of its pool with `tokens` outstanding there; a finished request's row and figures;
 * whether every request is served; replica r wakes if it sleeps idle. */
void rs_inf__router_actor(int argc, char** argv);
void rs_inf__service_actor(int argc, char** argv);
void rs_inf__assign(rs_inf_wl_t* w, int i, int r, int tokens);
void rs_inf__release(rs_inf_wl_t* w, int i); /* request i, arriving now, to the replica the router picks */
void rs_inf__finish(rs_inf_wl_t* w, int i);
void rs_inf__lose(rs_inf_wl_t* w, int i); /* request i is given up (its caller, if any, told) */
/* Request q's time per output token after the first (NaN for a one-token output); whether it was served
 * within both latency objectives (a lost one was not). */
double rs_inf__tpot(const rs_inf_req_t* q);
int rs_inf__met_slo(const rs_inf_wl_t* w, const rs_inf_req_t* q);
int rs_inf__requests_open(rs_inf_wl_t* w, rs_err_t* err); /* requests.csv; RS_ERR and err on failure */
int rs_inf__all_served(const rs_inf_wl_t* w);
void rs_inf__wake(rs_inf_replica_t* r);
/* inf_faults.c: the kind's fault entry (rs_wl_ops_t.fault): a replica with a GPU down is routed no new
 * request until its repair. */
void rs_inf__fault(rs_run_t* run, int i, void* state, const rs_fault_t* f);
/* 1 while replica r has a failure holding it down: it runs no step. */
int rs_inf__down(const rs_inf_replica_t* r);
/* The workload's availability over [start_s, end]: replica-seconds up over replica-seconds. */
double rs_inf__availability(const rs_inf_wl_t* w, double end);

/* inf_sites.c: the site pools of a workload over several sites (after its replicas start); the pool
 * where request i goes (its home site's while one replica there is up, else the nearest site's with
 * one up, else every replica); the WAN round trip of request i served on replica r. */
void rs_inf__sites_start(rs_inf_wl_t* w);
rs_inf_pool_t* rs_inf__pool_for(rs_inf_wl_t* w, int i);
double rs_inf__wan_s(rs_inf_wl_t* w, int i, int r);

/* inf_windows.c: windows.csv (opened under failures), then, once every request is served, its rows and
 * the SLO attainment of requests that met a failure and of the others. */
int rs_inf__windows_open(rs_inf_wl_t* w, rs_err_t* err);
void rs_inf__windows_summarize(rs_inf_wl_t* w);

/* inf_cost.c: the per-stage figures of w (its cfg, m, lay and gpu set), with the KV bytes of a token in
 * w->kvc.token_bytes; the busiest EP rank's share of routed tokens over the mean for cfg on EP ep; the
 * kernels one GPU of stage s runs in step st, and their seconds (rs_gpu_work_seconds: GEMMs, grouped
 * expert GEMMs of the busiest EP rank, attention in its prefill and decode forms, memory-bound kernels,
 * one after the other). */
void rs_inf__plan_stages(rs_inf_wl_t* w);
double rs_inf__moe_imbalance(const rs_sc_inference_t* cfg, const rs_model_t* m, int ep);
rs_work_t rs_inf__stage_work(const rs_inf_wl_t* w, int s, const rs_inf_step_t* st);
double rs_inf__stage_seconds(const rs_inf_wl_t* w, int s, const rs_inf_step_t* st);

/* inf_engine.c: one replica's serving loop (an actor); a GPU of it other than its stages' first ones (an
 * actor); the actors of a pipelined replica's stages (more than one virtual engine: none otherwise). */
void rs_inf__replica_actor(int argc, char** argv);
void rs_inf__helper_actor(int argc, char** argv);
void rs_inf__stages_start(rs_inf_replica_t* r);
int rs_inf__replicas_open(rs_inf_wl_t* w, rs_err_t* err); /* replicas.csv; RS_ERR and err on failure */

/* inf_disagg.c: starts the KV movers of prefill replica r; request i has its first token on r at now;
 * the requests whose KV cache is on the wire from or to replica r, taken off it into out[] (room for
 * w->n_wire) with their seat on the decode replica given back: their shards still in flight are void
 * (the replica failed: inf_faults.c sends them again or gives them up); returns how many. */
void rs_inf__movers_start(rs_inf_replica_t* r);
void rs_inf__hand_off(rs_inf_replica_t* r, int i, double now);
int rs_inf__wire_drop(rs_inf_wl_t* w, int r, int* out);
void rs_inf__movers_free(rs_inf_replica_t* r);

/* inference.c: writes the summary once the last replica is done; the replicas' GPUs' joules so far;
 * `tokens` output tokens were produced by a step that ended at t (the record of the steady window). */
void rs_inf__summarize(rs_inf_wl_t* w);
void rs_inf__made(rs_inf_wl_t* w, double t, double tokens);
double rs_inf__energy_j(const rs_inf_wl_t* w);

#endif
