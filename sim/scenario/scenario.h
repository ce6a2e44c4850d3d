/* scenario.h -- racksim scenarios: a YAML file in, plain C structs out, fully checked.
 * Nothing below this module sees YAML. Every key read is remembered with its line, so later checks
 * (against the platform, say) can still name the file, line and key. See LICENSE. */
#ifndef RS_SCENARIO_H
#define RS_SCENARIO_H

#include "base/base.h"
#include "hw/hw.h"
#include "model/model.h"
#include "net/net.h"

#include <stdint.h>

typedef enum { RS_WL_COLLECTIVE, RS_WL_TRAINING, RS_WL_INFERENCE, RS_WL_AGENTIC, RS_WL_KIND_COUNT } rs_wl_kind_t;

/* kind: collective -- sweeps message sizes over a group of GPUs, like nccl-tests. */
typedef struct rs_sc_collective {
  rs_coll_op_t op;
  rs_coll_algo_t algorithm;
  int gpus;         /* 0: every GPU of the platform */
  double min_bytes; /* first message size */
  double max_bytes; /* last message size (inclusive) */
  int factor;       /* sizes grow by this factor, as nccl-tests -f */
  int iterations;   /* timed repetitions per size, as nccl-tests -n */
} rs_sc_collective_t;

/* How training is simulated: every rank (faithful), or representative ranks whose flows stand for the
 * others' (aggregated); auto picks aggregated above RS_TRAIN_AUTO_FAITHFUL_MAX GPUs where it can. */
typedef enum { RS_TRAIN_AUTO, RS_TRAIN_FAITHFUL, RS_TRAIN_AGGREGATED } rs_train_mode_t;
#define RS_TRAIN_AUTO_FAITHFUL_MAX 512

/* kind: training -- iterations of a model's training step on a parallel layout. */
typedef struct rs_sc_training {
  rs_model_t model;   /* the preset, with the shape keys given overriding it */
  int gpus;           /* 0: every GPU of the platform */
  rs_layout_t layout; /* tp, cp, ep, pp, vp, zero, batches, recomputation; dp and n_micro derived */
  rs_prec_t precision;
  int iterations;
  int tp_across_domains; /* 1: allow TP groups to span NVLink domains */
  int dp_overlap;        /* 1: reduce gradients during the last backward pass, bucket by bucket */
  int prefetch;          /* zero 3: 1: gather the next layer's weights while this one computes */
  int tp_comm_overlap;   /* 1: TP all-gathers and reduce-scatters run under the GEMMs they feed or drain */
  rs_train_mode_t mode;
  int offload; /* 1: `offload: activations`, layout.offload_layers of them (0 there: all but the last layer) */
} rs_sc_training_t;

/* kind: inference -- requests served by replicas of a model, each replica a TP x EP x PP layout. */
typedef enum { RS_MODE_SERVER, RS_MODE_OFFLINE } rs_inf_mode_t;
typedef enum { RS_ARRIVAL_POISSON, RS_ARRIVAL_GAMMA, RS_ARRIVAL_TRACE, RS_ARRIVAL_TABLE } rs_arrival_t;
typedef enum { RS_LEN_FIXED, RS_LEN_UNIFORM, RS_LEN_EXPONENTIAL, RS_LEN_TABLE } rs_len_dist_t;
typedef enum { RS_ROUTE_ROUND_ROBIN, RS_ROUTE_LEAST_OUTSTANDING, RS_ROUTE_KV_AWARE } rs_route_t;
typedef enum { RS_PREEMPT_RECOMPUTE, RS_PREEMPT_SWAP } rs_preempt_t;

typedef struct rs_sc_inference {
  rs_model_t model;
  int gpus;                               /* 0: every GPU of the platform; replicas = gpus / (tp ep pp) */
  int tp, ep, pp;                         /* one replica's layout (a decode replica's when disaggregated) */
  int prefill_tp, prefill_ep, prefill_pp; /* a prefill replica's layout; as tp, ep, pp unless given */
  rs_prec_t precision;                    /* of weights and matmuls */
  rs_prec_t kv_precision;                 /* of the KV cache */
  rs_inf_mode_t mode;                     /* offline: every request at start_s; server: arrivals over time */
  int requests;                           /* how many to generate (a trace gives its own) */
  rs_arrival_t arrival;
  double rate_per_s;    /* mean arrival rate (poisson, gamma) */
  double burstiness;    /* gamma: squared coefficient of variation of the gaps (1 = Poisson) */
  char* trace;          /* CSV of arrival_s, prompt_tokens, output_tokens; resolved path or NULL */
  char* rate_table;     /* CSV of start_s, rate_per_s over one period (arrival: table); resolved or NULL */
  double rate_period_s; /* the table repeats with this period (a day by default) */
  char* length_table;   /* CSV of prompt_tokens, output_tokens rows to draw from (dist: table); or NULL */
  rs_len_dist_t prompt_dist, output_dist;
  int prompt_tokens, output_tokens; /* fixed values, or means of the distributions */
  int max_batch_tokens;             /* token budget of one engine step */
  int max_seqs;                     /* sequences in one step at most */
  int chunked_prefill;              /* 1: a long prompt is split across steps to fit the budget */
  int kv_block_tokens;              /* paged KV cache: tokens per block */
  double hbm_utilization;           /* fraction of HBM the engine may use for weights plus KV cache */
  rs_preempt_t preemption;
  double swap_gbytes_per_s; /* host link for swapped KV blocks */
  rs_route_t routing;
  double slo_ttft_s, slo_tpot_s; /* latency objective for goodput */
  double sample_s;               /* replicas.csv interval */
  int tp_across_domains;         /* 1: allow a replica's TP x EP group to span NVLink domains */
  int collective_memo;           /* 1: time a step size's collectives once on the real links, then reuse */
  int prefill_replicas;          /* > 0: disaggregated: the first replicas only prefill, the others only decode */
  int shared_prefix_tokens;      /* every prompt starts with the same tokens (a system prompt) */
  int prefix_caching;            /* 1: a replica keeps the shared prefix's KV blocks and new requests reuse them */
  int redundant_experts;         /* MoE: redundant expert slots per replica's EP group (EPLB) */
  double moe_imbalance;          /* MoE: busiest EP rank's routed tokens / the mean; 0: derived (docs/model.md) */
  int attention_precision;       /* 0: auto (FP8 where the KV cache is FP8, else BF16); else an rs_prec_t + 1 */
  int projection_precision;      /* attention projections' GEMMs: 0: as precision; else an rs_prec_t + 1 */
  int decode_first;      /* 1: steps take decodes before prefill chunks; the router fills free step seats first */
  int chunk_in_blocks;   /* 1: a prompt chunk short of the prompt's end is whole KV blocks (TensorRT-LLM) */
  double kernel_floor_s; /* the least time one kernel of a step takes on a GPU (docs/model.md, "Step time") */
} rs_sc_inference_t;

/* How agent sessions arrive: a Poisson process, a Poisson process whose rate follows a table over the
 * day, or the start times of a CSV file. */
typedef enum { RS_SESSIONS_POISSON, RS_SESSIONS_DAY, RS_SESSIONS_REPLAY } rs_sessions_arrival_t;
/* How a tool call's work is drawn around its mean. */
typedef enum { RS_DIST_FIXED, RS_DIST_EXPONENTIAL, RS_DIST_LOGNORMAL } rs_dist_t;
/* Which CPU hosts of the platform a pool takes: any, the separate fleet, or the CPUs in the racks. */
typedef enum { RS_PLACE_ANY, RS_PLACE_FLEET, RS_PLACE_RACKS } rs_place_t;

/* A CPU pool of an agentic workload: a set of the platform's CPU hosts with one FIFO queue. */
typedef struct rs_sc_pool {
  char* name;
  char* cpu; /* CPU model ("graviton4", "grace"); NULL: any */
  rs_place_t placement;
  int site;           /* -1: any site */
  int hosts;          /* 0: every matching host */
  int cores_per_host; /* 0: every core of each host */
} rs_sc_pool_t;

/* kind: agentic -- agent sessions: turns of an LLM call then a tool call on CPU cores, with sandbox
 * start-up and an optional fan-out to sub-agents that join. */
typedef struct rs_sc_agentic {
  rs_sessions_arrival_t arrival;
  double rate_per_s; /* poisson */
  char* day_rates;   /* day: sessions/s per slot, comma-separated */
  double slot_s;     /* day: length of one slot */
  char* replay;      /* replay: CSV file with a start_s column, resolved */
  int sessions;      /* poisson, day: sessions that arrive */
  int turns;
  char* service; /* llm.service: the workload serving LLM calls; NULL: no LLM calls */
  double prompt_tokens, growth_tokens, output_tokens;
  char* tool_pool;
  int tool_cores;
  double tool_core_s; /* mean work of one call, in core-seconds */
  double tool_gflop;  /* or in GFLOP (0: use tool_core_s) */
  rs_dist_t tool_dist;
  double tool_cv; /* lognormal: coefficient of variation */
  double tool_mem_gbytes;
  double io_bytes; /* read from io_pool before the call runs */
  char* io_pool;
  double cold_start_s, warm_start_s;
  int warm_pool; /* sandboxes kept warm */
  int fanout, fanout_turn, sub_turns;
  double sample_s; /* period of cpu_pools.csv */
  rs_sc_pool_t* pools;
  int n_pools;
} rs_sc_agentic_t;

typedef struct rs_sc_workload {
  char* name;
  rs_wl_kind_t kind;
  int index;      /* position in the scenario's list */
  double start_s; /* simulated time at which it starts */
  int first_gpu;  /* GPU workloads: their GPUs start at this index of the platform's, so several can share it */
  union {
    rs_sc_collective_t coll;
    rs_sc_training_t train;
    rs_sc_inference_t inf;
    rs_sc_agentic_t agent;
  } u;
} rs_sc_workload_t;

typedef struct rs_sc_platform {
  char* preset;          /* the name of a platform shipped in platforms/, or NULL */
  char* file;            /* the XML file to load, resolved (preset or file: key); NULL when generated */
  int generate;          /* 1: generate the platform from gen */
  char* gen_server;      /* generate.server, as written */
  char* gen_cpu;         /* generate.cpu, as written */
  char* gen_providers;   /* generate.providers, as written (gen.providers borrows it); NULL: none */
  rs_platgen_spec_t gen; /* generate's figures, with server and CPU resolved */
} rs_sc_platform_t;

/* What links.csv holds: nothing, one row per link class, or also one row per link. */
typedef enum { RS_LINKS_NONE, RS_LINKS_CLASSES, RS_LINKS_ALL } rs_sc_links_t;

typedef struct rs_sc_outputs {
  char* dir;                /* where the CSV tables go */
  int events;               /* write events.csv */
  int collectives_max_rows; /* cap on collectives.csv; 0: training writes none */
  int ops_max_rows;         /* cap on ops.csv; 0: no ops.csv */
  rs_sc_links_t links;
  int link_windows; /* write link_windows.csv: bytes and utilisation per link class and power window */
} rs_sc_outputs_t;

/* ---- failures (issue 11): injected by the run (run/faults.c), reacted to by the workloads ---------- */

/* The component classes that fail, in the words of scenario files (rs_fail_class_name). A class's
 * mtbf_h is per unit of it: a GPU, a GPU's HBM, a NIC, a GPU server (tray), an NVLink switch tray, a
 * rack power shelf, a leaf or spine switch, a network link, a CPU host, a storage device, a GPU's rank
 * (software). */
typedef enum {
  RS_FAIL_GPU,
  RS_FAIL_HBM,
  RS_FAIL_NIC,
  RS_FAIL_HOST,
  RS_FAIL_NVLINK_SWITCH_TRAY,
  RS_FAIL_POWER_SHELF,
  RS_FAIL_LEAF_SWITCH,
  RS_FAIL_SPINE_SWITCH,
  RS_FAIL_LINK,
  RS_FAIL_CPU_HOST,
  RS_FAIL_STORAGE,
  RS_FAIL_SOFTWARE,
  RS_FAIL_CLASS_COUNT
} rs_fail_class_t;

/* Time to failure of one unit: exponential (a constant rate) or Weibull with a shape. */
typedef enum { RS_TTF_EXPONENTIAL, RS_TTF_WEIBULL } rs_ttf_dist_t;

/* failures.classes[i]: one random failure class (or one cause of a preset). */
typedef struct rs_sc_fail_class {
  rs_fail_class_t cls;
  char* cause;   /* what interruptions.csv will call it: as written, else the class's name */
  double mtbf_h; /* mean time between failures of one unit, in hours */
  rs_ttf_dist_t distribution;
  double shape; /* Weibull's shape; 1 for exponential */
  rs_dist_t repair_dist;
  double repair_mean_h; /* mean time to repair one unit, in hours */
} rs_sc_fail_class_t;

/* What a scheduled event names: exactly one of these keys, with a name or an index. */
typedef enum {
  RS_TARGET_RACK,
  RS_TARGET_SERVER,
  RS_TARGET_GPU,
  RS_TARGET_LINK_CLASS,
  RS_TARGET_POD,
  RS_TARGET_SITE,
  RS_TARGET_PROVIDER,
  RS_TARGET_COUNT
} rs_fail_target_t;

typedef enum { RS_EVENT_DOWN, RS_EVENT_DEGRADE } rs_fail_event_kind_t;

/* failures.events[i]: a scheduled outage or degradation over [at_h, at_h + for_h). */
typedef struct rs_sc_fail_event {
  double at_h, for_h;
  rs_fail_event_kind_t kind;
  double fraction; /* degrade: the bandwidth (link_class) or speed (gpu, server...) kept, in (0, 1]; down: 0 */
  rs_fail_target_t target;
  char* names[RS_TARGET_COUNT]; /* the keys as written; names[target] is the one given, the others NULL */
  const char* name;             /* names[target], borrowed */
} rs_sc_fail_event_t;

typedef enum { RS_FAIL_PRESET_NONE, RS_FAIL_PRESET_LLAMA3 } rs_fail_preset_t;

/* failures.training: how every training workload reacts to a failure of one of its GPUs. */
typedef struct rs_sc_fail_training {
  double checkpoint_interval_h; /* useful work between checkpoints; 0: Daly's optimum from the job's MTBF */
  double checkpoint_write_s;    /* 0: the model state (14 bytes a parameter) over storage_gbytes_per_s */
  double storage_gbytes_per_s;  /* the storage tier's aggregate write bandwidth */
  double restart_s;             /* detection, rescheduling and reload, after a failure */
  int spares;                   /* spare servers: a failed server is swapped in restart_s, not repaired first */
  int renewal_after;            /* > 0: simulate this many iterations, then advance by the renewal process */
  double wall_h;                /* > 0: the job stops this long after its start, iterations done or not */
} rs_sc_fail_training_t;

/* What happens to the requests in flight on an inference replica that fails: sent again by the client
 * to another replica (from their start) or lost. */
typedef enum { RS_RETRY_RESUBMIT, RS_RETRY_LOSE } rs_retry_t;

/* failures.inference: how every inference workload reacts to a failure of one of its replicas. */
typedef struct rs_sc_fail_inference {
  rs_retry_t retry;
  double window_s; /* windows.csv: requests by arrival time in windows of this length */
} rs_sc_fail_inference_t;

/* failures.agentic: how agent sessions react to a tool call on a CPU host that is down. */
typedef struct rs_sc_fail_agentic {
  int tool_retries;    /* attempts after the first, each on another host of the pool; then the call fails */
  double tool_retry_s; /* the caller's wait before each retry (its timeout) */
} rs_sc_fail_agentic_t;

typedef struct rs_sc_failures {
  rs_fail_preset_t preset;
  rs_dist_t preset_repair_dist; /* the repair of the preset's classes (the paper gives none) */
  double preset_repair_mean_h;
  rs_sc_fail_class_t* classes; /* those written, then the preset's causes */
  int n_classes;
  rs_sc_fail_event_t* events;
  int n_events;
  rs_sc_fail_training_t training;
  rs_sc_fail_inference_t inference;
  rs_sc_fail_agentic_t agentic;
} rs_sc_failures_t;

/* One cause of the Llama 3 preset (Dubey et al. 2024, Table 5): its count of unexpected
 * interruptions over the paper's 54 days, and the MTBF per unit that gives it back. */
typedef struct rs_fail_cause {
  const char* cause;
  rs_fail_class_t cls;
  int per_host;  /* 1: a unit is a GPU server (2,048 in the fleet); 0: a GPU (16,384), or its NIC or link */
  int count;     /* interruptions in 54 days */
  double mtbf_h; /* units in the fleet x 54 x 24 h / count */
} rs_fail_cause_t;

/* The Llama 3 fleet and window the preset's rates come from (section 3.3.4). */
#define RS_LLAMA3_GPUS 16384
#define RS_LLAMA3_HOSTS 2048
#define RS_LLAMA3_DAYS 54
#define RS_LLAMA3_CAUSES 18

/* Fills causes (RS_LLAMA3_CAUSES of them) with the Llama 3 preset; returns how many. Pure. */
int rs_failures_preset_llama3(rs_fail_cause_t causes[RS_LLAMA3_CAUSES]);

const char* rs_fail_class_name(rs_fail_class_t cls);
const char* rs_fail_target_name(rs_fail_target_t target);

/* ---- power and money (issue 12; sc_power.c) -------------------------------------------------------- */

/* power.sites[i]: site i's own figures (a site not listed takes the section's). */
typedef struct rs_sc_power_site {
  double pue;         /* facility power / IT power, >= 1 */
  double usd_per_kwh; /* electricity */
} rs_sc_power_site_t;

/* What power.site_budget_mw does to a platform that would not fit at full load. */
typedef enum { RS_BUDGET_REFUSE, RS_BUDGET_CAP } rs_budget_action_t;

typedef struct rs_sc_power {
  double window_s;           /* power.csv's first window; doubled while the run outgrows RS_POWER_MAX_WINDOWS */
  double pue;                /* every site's, unless power.sites says otherwise */
  double usd_per_kwh;        /* every site's electricity, unless power.sites says otherwise */
  double overhead_w_per_gpu; /* server power beside GPUs, CPUs and ports; 0: the GPU type's default */
  double psu_efficiency;     /* DC load over power at the wall, of the power supplies; 0 (by hand): 1 */
  double nic_idle_w, nic_max_w, switch_port_idle_w, switch_port_max_w; /* scale-out ports */
  double site_budget_mw;          /* a site's facility power at full load may not exceed it; 0: no budget */
  rs_budget_action_t over_budget; /* refuse the platform, or cap every GPU to fit the tightest site */
  double gpu_cap_w;               /* a power cap on every GPU, watts; 0: none (the budget may still set one) */
  double usd_per_gpu_hour;        /* pricing.usd_per_gpu_hour; 0: the GPU type's default (rs_hw_power) */
  double usd_per_cpu_host_hour;   /* pricing.usd_per_cpu_host_hour: a CPU fleet host; 0: not priced */
  double usd_per_cpu_core_hour;   /* pricing.usd_per_cpu_core_hour: a core of one, where no host price; 0: none */
  rs_sc_power_site_t* sites;
  int n_sites;
} rs_sc_power_t;

/* power.csv keeps at most this many windows: past it, neighbours merge and the window doubles. */
#define RS_POWER_MAX_WINDOWS 4096

/* How a run was made, as racksim writes it at the end of run.yaml (docs/outputs.md). Only relative_to
 * changes anything: a run.yaml lies in an output directory, away from the files its scenario names. */
typedef struct rs_sc_record {
  char* racksim;     /* the version that wrote it */
  char* simgrid;     /* the SimGrid version it ran on */
  char* command;     /* its command line, quoted as a shell would need */
  char* directory;   /* the working directory of that command */
  char* relative_to; /* absolute: relative paths in this file are resolved here, not beside the file */
} rs_sc_record_t;

typedef struct rs_sc_where rs_sc_where_t;

typedef struct rs_scenario {
  char* path; /* the file, as given */
  char* name;
  char* description;
  uint64_t seed;
  rs_sc_platform_t platform;
  rs_sc_workload_t* workloads;
  int n_workloads;
  rs_sc_outputs_t outputs;
  rs_sc_failures_t failures; /* injected by run/faults.c */
  rs_sc_power_t power;       /* the power: and pricing: sections */
  rs_sc_record_t record;     /* as read back from a run.yaml; all NULL in a plain scenario */
  char* base_dir;            /* absolute directory the relative paths were resolved against */
  char* resolved;            /* the document after every --set, seed explicit, record dropped: YAML */
  rs_sc_where_t* where;      /* key path -> line, for messages */
} rs_scenario_t;

/* Loads and checks path, after applying the "key=value" overrides of sets (n_sets of them).
 * Returns NULL and a message naming file, line and key on any bad input. Free with rs_scenario_free. */
rs_scenario_t* rs_scenario_load(const char* path, const char* const* sets, int n_sets, rs_err_t* err);
void rs_scenario_free(rs_scenario_t* sc); /* accepts NULL */
/* The generator's figures of one site of the preset `server`, after the "platform.generate.KEY=VALUE"
 * overrides of sets, checked as a scenario's platform.generate would be; RS_ERR and a message naming
 * the key otherwise. For 'racksim platform'. */
int rs_scenario_platform_spec(const char* server, const char* const* sets, int n_sets, rs_platgen_spec_t* spec,
                              rs_err_t* err);

/* Fills err like a load error, located at the key path ("workloads[0].gpus", or its nearest parent
 * that was in the file); returns RS_ERR. For checks made after loading, against the platform say. */
int rs_scenario_err(const rs_scenario_t* sc, rs_err_t* err, const char* key, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Names, as written in scenario files. */
const char* rs_wl_kind_name(rs_wl_kind_t kind);
const char* rs_prec_name(rs_prec_t prec);
const char* rs_recompute_name(rs_recompute_t rc);
const char* rs_attn_name(rs_attn_t a);
const char* rs_grad_prec_name(rs_grad_prec_t g);
const char* rs_train_mode_name(rs_train_mode_t mode);
const char* rs_place_name(rs_place_t place);

/* Parses a size such as "8GiB", "1.5 MB" or "4096" into bytes; RS_ERR when it is not one. */
int rs_parse_bytes(const char* text, double* bytes);

#endif
