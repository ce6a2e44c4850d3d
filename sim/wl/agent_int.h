/* agent_int.h -- private to the agentic workload's files: agentic.c (the actors and the workload's
 * entry), agent_pool.c (CPU pools: which hosts they take, their FIFO of tool calls), agent_run.c and
 * agent_sg.cpp (running tool calls on the pools' hosts), agent_session.c (sessions, turns, fan-out) and
 * agent_arrivals.c (when sessions arrive). Holds the workload's state
 * and the functions those files share (rs_agent__ prefix). Nobody else includes it but the tests of
 * the pools. See LICENSE. */
#ifndef RS_AGENT_INT_H
#define RS_AGENT_INT_H

#include "base/base.h"
#include "wl/wl_int.h"

#include <simgrid/forward.h>

typedef struct agentic agentic_t;
typedef struct agent_session agent_session_t;
typedef struct agent_worker agent_worker_t;     /* an actor that runs input transfers (agent_run.c) */
typedef struct agent_runner agent_runner_t;     /* the actor that runs one host's tool calls (agent_run.c) */
typedef struct agent_host_ref agent_host_ref_t; /* a tool host found by its SimGrid host (agent_run.c) */

/* ---- CPU pools (agent_pool.c): pure data, callable without a SimGrid engine ---------------------- *
 * A pool is a set of hosts and one FIFO queue of calls. Every call of a pool needs the same cores and
 * memory (the workload's tool), so "a host that fits a call" is one test. The caller passes the
 * simulated time to each function, for the integral of busy cores. */

/* One host of a pool and the room left on it. */
typedef struct agent_host {
  const rs_cpu_t* cpu; /* the platform's host (NULL in tests: the pool never reads it) */
  int free_cores;
  double free_mem; /* bytes */
  int listed;      /* in the pool's stack of hosts that fit one more call */
  int down;        /* failures holding it down (agentic.c): it takes no call */
} agent_host_t;

/* One tool call, from its submission to its end. The caller allocates it; the pool links it into its
 * queue, and frees only those still queued when it is freed. */
typedef struct agent_call agent_call_t;
struct agent_call {
  agent_session_t* s;    /* the caller's: the session that made it */
  double flops_per_core; /* the caller's: its work */
  agent_host_t* host;    /* where it runs: set when it starts */
  agent_call_t* next;    /* in the queue */
  double queued_s;       /* when it was submitted */
  int attempt;           /* 0 for the first; then each retry after a failure of its host */
  int failed;            /* its host failed while it ran: its work is lost */
  /* agent_run.c's, once it started: */
  int phase;                           /* what it waits for */
  double t0, t1;                       /* when it started, when its sandbox was ready */
  double due;                          /* when its runner should look at it next */
  double work_left;                    /* flops per core left of its work when its host's speed last changed */
  long long order;                     /* ties of due broken in the order its runner timed them */
  agent_call_t *live_prev, *live_next; /* among its runner's calls in progress, in start order */
};

typedef struct agent_pool {
  const rs_sc_pool_t* cfg; /* its part of the scenario (NULL in tests) */
  agent_host_t* hosts;
  int n_hosts;
  int call_cores;  /* what every call needs */
  double call_mem; /* bytes */
  int* avail;      /* stack of host indices that fit one more call; the top is used first */
  int n_avail;
  agent_call_t *head, *tail;               /* FIFO of calls waiting for room */
  int queued, max_queued;                  /* max_queued: since the last sample window */
  long long cores, busy, running, started; /* started: since the last sample window */
  double busy_core_s;                      /* integral of busy cores over the sample window */
  double total_core_s;                     /* over the whole run */
  double last_change_s;
  int next_io; /* round robin over hosts when this pool serves input transfers */
} agent_pool_t;

/* The platform's CPUs that pool cfg takes, in platform order: their indices into plat->cpus, in idx
 * (room for plat->n_cpus). Returns their number. */
int rs_agent__pool_select(const rs_platform_t* plat, const rs_sc_pool_t* cfg, int* idx);
/* The cores pool cfg uses of host cpu (cores_per_host caps them). */
int rs_agent__pool_cores_of(const rs_sc_pool_t* cfg, const rs_cpu_t* cpu);
/* Makes p a pool of the n hosts given (copied; their free_cores and free_mem are their capacity), for
 * calls of call_cores cores and call_mem bytes each, its integrals starting at now. Host 0 is used
 * first. Free with rs_agent__pool_free. */
void rs_agent__pool_init(agent_pool_t* p, const agent_host_t* hosts, int n, int call_cores, double call_mem,
                         double now);
/* rs_agent__pool_init on the platform's hosts that cfg selects, each with its cores (capped) and memory. */
void rs_agent__pool_load(agent_pool_t* p, const rs_platform_t* plat, const rs_sc_pool_t* cfg, int call_cores,
                         double call_mem, double now);
/* Frees what p holds, and the calls still in its queue; not p itself. */
void rs_agent__pool_free(agent_pool_t* p);
/* Appends c to the FIFO *head .. *tail of calls linked by their next (a pool's queue, a runner's). */
void rs_agent__fifo_push(agent_call_t** head, agent_call_t** tail, agent_call_t* c);
/* Takes the call at the head of a non-empty FIFO off it and returns it (its next NULL). */
agent_call_t* rs_agent__fifo_pop(agent_call_t** head, agent_call_t** tail);
/* Puts c at the tail of the queue at time now; it starts with rs_agent__pool_next. */
void rs_agent__pool_submit(agent_pool_t* p, agent_call_t* c, double now);
/* Starts the head of the queue at time now on the host on top of the stack (c->host set, its room taken)
 * and returns it; NULL when the queue is empty or no host fits a call: the head waits, and the calls
 * behind it too. Call it until NULL after each submit and release. */
agent_call_t* rs_agent__pool_next(agent_pool_t* p, double now);
/* A call that ran on host h ended at time now: frees its room. Then start the queue's head (_next). */
void rs_agent__pool_release(agent_pool_t* p, agent_host_t* h, double now);
/* Brings the integrals of busy cores up to now. */
void rs_agent__pool_account(agent_pool_t* p, double now);
/* Starts a new sample window: its integral, its longest queue and its started calls from zero. */
void rs_agent__pool_new_window(agent_pool_t* p);
/* The next host, round robin, that serves an input transfer (one that is up, while one is). */
const agent_host_t* rs_agent__pool_next_io(agent_pool_t* p);
/* Host h of p failed (delta 1) or was repaired (-1): while down it leaves the stack of hosts that fit a
 * call; back up, it rejoins it on top when it fits one. Then start the queue's head (_next). */
void rs_agent__pool_host_down(agent_pool_t* p, agent_host_t* h, int delta);

/* ---- the workload's state ---------------------------------------------------------------------- */

/* Its columns of summary.csv. */
typedef struct agentic_summary {
  double latency_s[RS_RUN_PERCENTILES]; /* p50, p90, p95, p99 of its root sessions */
  double cpu_cores;                     /* cores of its tool pool */
  double cpu_utilisation;               /* busy core-seconds / (cores x duration) */
  double tool_retries;  /* tool calls sent again after their host failed; NaN: the run has no failures */
  double tool_failures; /* tool calls given up after failures.agentic.tool_retries retries */
} agentic_summary_t;

struct agentic {
  rs_run_t* run; /* set by start */
  const rs_sc_workload_t* wl;
  const rs_sc_agentic_t* cfg;
  rs_wl_row_t* row;
  agentic_summary_t sum;
  rs_table_t *sessions_t, *pools_t;
  agent_pool_t* pools;
  agent_pool_t *tool_pool, *io_pool;
  int service;          /* the workload serving its LLM calls; -1: sessions make none */
  sg_mailbox_t replies; /* NULL when sessions make no LLM calls */
  double* arrivals;     /* replay: start times, sorted */
  double* rates;        /* day: sessions/s per slot */
  int n_rates;
  int n_roots, roots_done;
  double* latencies; /* of root sessions, in completion order */
  long long next_id;
  int warm_free; /* warm sandboxes ready */
  rs_rng_t arrival_rng;
  double tool_sigma2, tool_sigma; /* lognormal tool work: log(1 + cv^2) and its root */
  sg_sem_t all_done;
  agent_runner_t** runners;  /* per host of the tool pool, made at its first call */
  agent_host_ref_t* by_host; /* the tool pool's hosts by their SimGrid hosts (agent_run.c); NULL until run_start */
  unsigned speed_watch;      /* rs_agent__speed_watch's, while by_host is set */
  agent_worker_t *idle, *workers;
  int max_running; /* the most tool calls that ran at once */
  int stopping;    /* every session has ended: runners and workers end */
  int done;
  double last_sample_s;
  sg_sem_t sampler_wake; /* released to the sampler while it waits out an idle stretch */
  int sampler_waiting;
  long long tool_retries, tool_failures;
};

/* ---- sessions (agent_session.c) ------------------------------------------------------------------ */

typedef enum { AGENT_LLM, AGENT_TOOL, AGENT_FANOUT } agent_phase_t;

/* A session is a state machine, not an actor, so 100k of them fit in memory. */
struct agent_session {
  agentic_t* w;
  agent_session_t* parent;
  long long id;
  int depth, turn, n_turns, pending;
  agent_phase_t phase; /* what its turn does next */
  rs_rng_t rng;        /* its own stream, so its draws do not depend on the order of events */
  double arrival_s, join_start_s;
  int llm_calls, tool_calls, subagents, cold_starts, has_sandbox;
  double model_s, tool_s, queue_s, startup_s, join_s;
};

/* A session of w arriving now, a root (parent NULL) or a sub-agent; moves with rs_agent__session_next. */
agent_session_t* rs_agent__session_new(agentic_t* w, agent_session_t* parent);
/* Moves s to its next step: LLM call, then tool call, then (once) the fan-out, turn after turn; at its
 * end writes its row of sessions.csv and frees it. Only starts asynchronous work, so any actor may
 * call it. */
void rs_agent__session_next(agent_session_t* s);

/* ---- what the sessions ask of the actors (agentic.c) --------------------------------------------- */

/* Starts the calls at the head of the tool pool that fit its hosts, each on its host's runner. */
void rs_agent__dispatch(agentic_t* w);

/* ---- running tool calls (agent_run.c) ------------------------------------------------------------ */

/* Before the first call: the runners' table, and the watch on the tool hosts' speed (a speed profile of
 * the platform file re-times the work of the calls in progress). */
void rs_agent__run_start(agentic_t* w);
/* Call c of the tool pool has its host (rs_agent__pool_next): its host's runner runs it from now on,
 * sandbox start-up, input and work, then releases its cores and moves its session on. */
void rs_agent__run_call(agentic_t* w, agent_call_t* c);
/* Host h of the tool pool failed: the calls running there fail (their work and cores are lost; the
 * runner ends them without a result), and their callers retry per failures.agentic. */
void rs_agent__run_host_failed(agentic_t* w, const agent_host_t* h);
/* Every session has ended: wakes every runner and worker so that it ends. */
void rs_agent__run_stop(agentic_t* w);
/* Frees the runners and workers (after the engine ran). */
void rs_agent__run_free(agentic_t* w);
/* Starts, on host, one exec of `threads` threads of flops_per_thread each, which takes as many cores
 * (agent_sg.cpp: C++ in SimGrid 3.32). Returns the C API's handle. */
sg_exec_t rs_agent__exec_start(sg_host_t host, double flops_per_thread, int threads);
/* Calls changed(data, host) each time SimGrid changes a host's speed (a speed profile of the platform
 * file, a pstate), in the engine's context, after the change (agent_sg.cpp). Returns what
 * rs_agent__speed_unwatch takes to stop it. */
unsigned rs_agent__speed_watch(void (*changed)(void* data, sg_host_t host), void* data);
void rs_agent__speed_unwatch(unsigned id);

/* ---- arrivals (agent_arrivals.c) ------------------------------------------------------------------ */

/* Checks workload i's arrivals and reads what they follow: the replay file's start times, sorted (into
 * *times, *n), or the day table's rates (into *rates, *n_rates). RS_ERR and a located message in err. */
int rs_agent__arrivals_load(const rs_run_t* run, int i, double** times, int* n, double** rates, int* n_rates,
                            rs_err_t* err);
/* The time of root session k's arrival, the previous one having arrived at t. */
double rs_agent__next_arrival(agentic_t* w, int k, double t);

#endif
