/* agentic.c -- the agentic workload: agent sessions that arrive over time and run turns of an LLM call
 * (sent to an inference workload's service, see service.h) then a tool call on the cores of a CPU pool,
 * with sandbox start-up and a fan-out to sub-agents that join. Sessions are state machines, not actors,
 * so 100k of them fit in memory: a worker actor runs each tool call (one exec per core it holds on a
 * platform CPU host) and is reused for the next, so workers are as many as calls ever ran at once;
 * plus one arrival driver, one reply receiver and one sampler per workload. Pools keep a FIFO queue of calls waiting
 * for free cores. It does not model what a tool computes, only its work, memory and input transfer. See LICENSE. */
#include "base/base.h"
#include "wl/wl_int.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/comm.h>
#include <simgrid/engine.h>
#include <simgrid/exec.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <simgrid/semaphore.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xbt/log.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

XBT_LOG_NEW_DEFAULT_SUBCATEGORY(rs_agentic, racksim, "agentic workload");

/* A tool-call worker only runs short code between blocking calls: a small stack keeps 100k of them
 * within memory (simgrid-notes.md: 20-70 KB of RSS per actor with the default stack). */
#define WORKER_STACK_BYTES (128 * 1024)

/* ---- state ----------------------------------------------------------------------------------------- */

typedef struct agentic agentic_t;

typedef struct cpu_slot {
  const rs_cpu_t* cpu;
  int free_cores;
  double free_mem;
  int listed; /* in the pool's stack of hosts that can take one more call */
} cpu_slot_t;

typedef struct call call_t;

typedef struct pool {
  const rs_sc_pool_t* cfg;
  cpu_slot_t* hosts;
  int n_hosts;
  int* avail; /* stack of host indices that fit one more call; the top is used first */
  int n_avail;
  call_t *head, *tail; /* FIFO of calls waiting for cores */
  int queued, max_queued;
  long long cores, busy, running, started;
  double busy_core_s;  /* integral of busy cores since the last sample */
  double total_core_s; /* over the whole run */
  double last_change_s;
  int next_io; /* round robin over hosts when this pool serves input transfers */
} pool_t;

typedef enum { PH_LLM, PH_TOOL, PH_FANOUT } phase_t;

typedef struct session {
  agentic_t* w;
  struct session* parent;
  long long id;
  int depth, turn, n_turns, pending;
  phase_t phase;
  rs_rng_t rng; /* its own stream, so its draws do not depend on the order of events */
  double arrival_s, join_start_s;
  int llm_calls, tool_calls, subagents, cold_starts, has_sandbox;
  double model_s, tool_s, queue_s, startup_s, join_s;
} session_t;

struct call {
  session_t* s;
  cpu_slot_t* host;
  call_t* next;
  double flops_per_core;
  double queued_s;
};

/* An actor that runs tool calls one after the other, waiting idle in between: creating an actor per
 * call maps and unmaps a stack each time, which took most of the run time at 1/100 of the bench. */
typedef struct worker {
  agentic_t* w;
  call_t* call; /* the next call to run */
  sg_sem_t go;
  struct worker* next_idle;
  struct worker* next_all; /* every worker, to free them */
} worker_t;

/* Its columns of summary.csv. */
typedef struct agentic_summary {
  double latency_s[3];    /* p50, p90, p99 of its root sessions */
  double cpu_cores;       /* cores of its tool pool */
  double cpu_utilisation; /* busy core-seconds / (cores x duration) */
} agentic_summary_t;

struct agentic {
  rs_run_t* run; /* set by start */
  const rs_sc_workload_t* wl;
  const rs_sc_agentic_t* cfg;
  rs_wl_row_t* row;
  agentic_summary_t sum;
  rs_table_t *sessions_t, *pools_t;
  pool_t* pools;
  pool_t *tool_pool, *io_pool;
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
  worker_t *idle, *workers;
  int n_workers; /* the most tool calls that ran at once */
  int done;
  double last_sample_s;
};

/* ---- tables ---------------------------------------------------------------------------------------- */

static const rs_col_t session_cols[] = {
    {"workload", RS_COL_TEXT},  {"session", RS_COL_INT},   {"parent", RS_COL_INT},  {"start_s", RS_COL_NUM},
    {"end_s", RS_COL_NUM},      {"latency_s", RS_COL_NUM}, {"turns", RS_COL_INT},   {"llm_calls", RS_COL_INT},
    {"tool_calls", RS_COL_INT}, {"subagents", RS_COL_INT}, {"model_s", RS_COL_NUM}, {"tool_s", RS_COL_NUM},
    {"queue_s", RS_COL_NUM},    {"startup_s", RS_COL_NUM}, {"join_s", RS_COL_NUM},  {"cold_starts", RS_COL_INT},
};

static const rs_col_t pool_cols[] = {
    {"time_s", RS_COL_NUM},        {"workload", RS_COL_TEXT},     {"pool", RS_COL_TEXT},
    {"hosts", RS_COL_INT},         {"cores", RS_COL_INT},         {"busy_cores", RS_COL_NUM},
    {"utilisation", RS_COL_NUM},   {"queue_length", RS_COL_INT},  {"max_queue_length", RS_COL_INT},
    {"running_calls", RS_COL_INT}, {"started_calls", RS_COL_INT},
};

#define N_COLS(c) ((int)(sizeof c / sizeof c[0]))

/* ---- checks ---------------------------------------------------------------------------------------- */

static int pool_matches(const rs_sc_pool_t* p, const rs_cpu_t* c)
{
  if (p->placement == RS_PLACE_FLEET && c->rack >= 0)
    return 0;
  if (p->placement == RS_PLACE_RACKS && c->rack < 0)
    return 0;
  if (p->site >= 0 && c->site != p->site)
    return 0;
  return p->cpu == NULL || strcasecmp(p->cpu, c->model) == 0;
}

/* The platform's CPUs a pool takes, in platform order: their indices into plat->cpus. */
static int pool_select(const rs_platform_t* plat, const rs_sc_pool_t* p, int* idx)
{
  int n = 0;
  for (int i = 0; i < plat->n_cpus && (p->hosts == 0 || n < p->hosts); i++)
    if (pool_matches(p, &plat->cpus[i]))
      idx[n++] = i;
  return n;
}

static int pool_cores_of(const rs_sc_pool_t* p, const rs_cpu_t* c)
{
  return p->cores_per_host > 0 && p->cores_per_host < c->cores ? p->cores_per_host : c->cores;
}

static int find_pool(const rs_sc_agentic_t* cfg, const char* name)
{
  for (int i = 0; i < cfg->n_pools; i++)
    if (strcmp(cfg->pools[i].name, name) == 0)
      return i;
  return -1;
}

static int check_pool_ref(const rs_run_t* run, int i, const char* key, const char* name, rs_err_t* err)
{
  const rs_sc_agentic_t* cfg = &run->sc->workloads[i].u.agent;
  if (find_pool(cfg, name) >= 0)
    return RS_OK;
  char names[512] = "", path[128];
  for (int p = 0; p < cfg->n_pools; p++)
    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", p ? ", " : "", cfg->pools[p].name);
  snprintf(path, sizeof path, "workloads[%d].%s", i, key);
  return rs_scenario_err(run->sc, err, path, "expected the name of a CPU pool of this workload (%s), got '%s'", names,
                         name);
}

/* Each pool must find hosts, and the tool's call must fit on one of its hosts. */
static int check_pools(const rs_run_t* run, int i, rs_err_t* err)
{
  const rs_sc_agentic_t* cfg = &run->sc->workloads[i].u.agent;
  int* idx                   = xbt_new(int, run->plat->n_cpus + 1);
  int rc                     = RS_OK;
  char path[128];
  for (int p = 0; rc == RS_OK && p < cfg->n_pools; p++) {
    const rs_sc_pool_t* pc = &cfg->pools[p];
    int n                  = pool_select(run->plat, pc, idx);
    int fits               = 0;
    for (int h = 0; h < n; h++)
      fits |= pool_cores_of(pc, &run->plat->cpus[idx[h]]) >= cfg->tool_cores &&
              run->plat->cpus[idx[h]].mem_bytes >= cfg->tool_mem_gbytes * 1e9;
    snprintf(path, sizeof path, "workloads[%d].pools[%d]", i, p);
    if (n == 0)
      rc = rs_scenario_err(run->sc, err, path,
                           "expected CPU hosts of the platform %s, but none matches (cpu %s, "
                           "placement %s, site %d); it has %d CPU hosts",
                           run->plat->file, pc->cpu ? pc->cpu : "any", rs_place_name(pc->placement), pc->site,
                           run->plat->n_cpus);
    else if (strcmp(pc->name, cfg->tool_pool) == 0 && !fits)
      rc = rs_scenario_err(run->sc, err, path,
                           "expected a host with %d free cores and %g GB for one tool call, but "
                           "none of its %d hosts has that",
                           cfg->tool_cores, cfg->tool_mem_gbytes, n);
  }
  free(idx);
  return rc;
}

/* "r0, r1, ..." into rates; RS_ERR when not numbers >= 0 with at least one above 0. */
static int parse_rates(const char* text, double** rates, int* n)
{
  *n            = 0;
  *rates        = NULL;
  int any       = 0;
  const char* p = text;
  while (*p) {
    char* end;
    double r = strtod(p, &end);
    if (end == p || r < 0 || !isfinite(r))
      return RS_ERR;
    *rates           = xbt_realloc(*rates, (*n + 1) * sizeof **rates);
    (*rates)[(*n)++] = r;
    any |= r > 0;
    p = end + strspn(end, " \t");
    if (*p == ',')
      p++;
    else if (*p)
      return RS_ERR;
  }
  return any ? RS_OK : RS_ERR;
}

static int cmp_double(const void* a, const void* b)
{
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

/* The start_s column of the replay file, sorted; RS_ERR and a message naming the file and line. */
static int load_replay(const char* file, double** times, int* n, rs_err_t* err)
{
  rs_csv_t* csv = rs_csv_read(file, err);
  if (csv == NULL)
    return RS_ERR;
  int col = rs_csv_column(csv, "start_s");
  if (col < 0 || csv->n_rows < 2) {
    rs_csv_free(csv);
    return rs_err_at(err, file, 1, NULL, "expected a header with a start_s column and at least one row");
  }
  *n     = (int)csv->n_rows - 1;
  *times = xbt_new(double, *n);
  for (int r = 0; r < *n; r++) {
    const rs_csv_row_t* row = &csv->rows[r + 1];
    char* end               = NULL;
    double t                = (size_t)col < row->n_cells ? strtod(row->cells[col], &end) : NAN;
    if (end == NULL || end == row->cells[col] || *end || !(t >= 0) || !isfinite(t)) {
      int line = row->line;
      rs_csv_free(csv);
      free(*times);
      *times = NULL;
      return rs_err_at(err, file, line, "start_s", "expected a time in seconds >= 0");
    }
    (*times)[r] = t;
  }
  rs_csv_free(csv);
  qsort(*times, *n, sizeof **times, cmp_double);
  return RS_OK;
}

static int check_arrivals(const rs_run_t* run, int i, double** times, int* n, double** rates, int* n_rates,
                          rs_err_t* err)
{
  const rs_sc_agentic_t* cfg = &run->sc->workloads[i].u.agent;
  char path[128];
  if (cfg->arrival == RS_SESSIONS_DAY) {
    snprintf(path, sizeof path, "workloads[%d].arrivals.day_rates_per_s", i);
    if (cfg->day_rates == NULL || parse_rates(cfg->day_rates, rates, n_rates) != RS_OK)
      return rs_scenario_err(run->sc, err, path,
                             "expected rates in sessions/s per slot, such as '0.5, 2, 8, 2' "
                             "(numbers >= 0, at least one above 0), got '%s'",
                             cfg->day_rates ? cfg->day_rates : "");
  }
  if (cfg->arrival == RS_SESSIONS_REPLAY) {
    snprintf(path, sizeof path, "workloads[%d].arrivals.replay", i);
    if (cfg->replay == NULL)
      return rs_scenario_err(run->sc, err, path, "expected a CSV file of session start times (column start_s)");
    rs_err_t why;
    if (load_replay(cfg->replay, times, n, &why) != RS_OK)
      return rs_scenario_err(run->sc, err, path, "%s", why.msg);
  }
  return RS_OK;
}

static int check_refs(const rs_run_t* run, int i, rs_err_t* err)
{
  const rs_sc_agentic_t* cfg = &run->sc->workloads[i].u.agent;
  char path[128];
  if (check_pool_ref(run, i, "tool.pool", cfg->tool_pool, err) != RS_OK)
    return RS_ERR;
  if (cfg->io_bytes > 0 && cfg->io_pool == NULL) {
    snprintf(path, sizeof path, "workloads[%d].tool.io_bytes", i);
    return rs_scenario_err(run->sc, err, path, "expected tool.io_pool, the pool that serves the input, with io_bytes");
  }
  if (cfg->io_pool && check_pool_ref(run, i, "tool.io_pool", cfg->io_pool, err) != RS_OK)
    return RS_ERR;
  if (cfg->service && rs_service_find(run, cfg->service) < 0) {
    snprintf(path, sizeof path, "workloads[%d].llm.service", i);
    return rs_scenario_err(run->sc, err, path, "expected the name of an inference workload of this scenario, got '%s'",
                           cfg->service);
  }
  if (cfg->fanout > 0 && cfg->fanout_turn >= cfg->turns) {
    snprintf(path, sizeof path, "workloads[%d].fanout.at_turn", i);
    return rs_scenario_err(run->sc, err, path, "expected a turn from 0 to %d (turns - 1), got %d", cfg->turns - 1,
                           cfg->fanout_turn);
  }
  return RS_OK;
}

/* ---- pools ----------------------------------------------------------------------------------------- */

static void pool_init(pool_t* p, const rs_platform_t* plat, const rs_sc_pool_t* cfg)
{
  int* idx   = xbt_new(int, plat->n_cpus + 1);
  p->cfg     = cfg;
  p->n_hosts = pool_select(plat, cfg, idx);
  p->hosts   = xbt_new0(cpu_slot_t, p->n_hosts);
  p->avail   = xbt_new(int, p->n_hosts);
  for (int h = 0; h < p->n_hosts; h++) {
    cpu_slot_t* s = &p->hosts[h];
    s->cpu        = &plat->cpus[idx[h]];
    s->free_cores = pool_cores_of(cfg, s->cpu);
    s->free_mem   = s->cpu->mem_bytes;
    p->cores += s->free_cores;
  }
  free(idx);
}

static int slot_fits(const agentic_t* w, const cpu_slot_t* s)
{
  return s->free_cores >= w->cfg->tool_cores && s->free_mem >= w->cfg->tool_mem_gbytes * 1e9;
}

/* Lists every host of the tool pool that fits a call; host 0 on top, so the first calls pack from it. */
static void pool_list_hosts(agentic_t* w, pool_t* p)
{
  for (int h = p->n_hosts - 1; h >= 0; h--)
    if (slot_fits(w, &p->hosts[h])) {
      p->hosts[h].listed     = 1;
      p->avail[p->n_avail++] = h;
    }
}

/* Busy cores change: first add the time at the old count to the integrals. */
static void pool_busy_add(pool_t* p, long long delta)
{
  double now = simgrid_get_clock();
  p->busy_core_s += p->busy * (now - p->last_change_s);
  p->total_core_s += p->busy * (now - p->last_change_s);
  p->last_change_s = now;
  p->busy += delta;
}

static void tool_worker(int argc, char** argv);

/* Hands call c to an idle worker, or to a new one when all are busy. */
static void worker_give(agentic_t* w, call_t* c)
{
  worker_t* k = w->idle;
  if (k != NULL) {
    w->idle = k->next_idle;
    k->call = c;
    sg_sem_release(k->go);
    return;
  }
  k          = xbt_new0(worker_t, 1);
  *k         = (worker_t){.w = w, .call = c, .go = sg_sem_init(1), .next_all = w->workers};
  w->workers = k;
  w->n_workers++;
  sg_actor_t a = sg_actor_init(w->tool_pool->cfg->name, c->host->cpu->host);
  sg_actor_set_data(a, k);
  sg_actor_set_stacksize(a, WORKER_STACK_BYTES);
  sg_actor_start(a, tool_worker, 0, NULL);
}

/* Starts the call at the head of the queue on the host on top of the stack. */
static void pool_start_head(agentic_t* w, pool_t* p)
{
  call_t* c = p->head;
  p->head   = c->next;
  if (p->head == NULL)
    p->tail = NULL;
  p->queued--;
  cpu_slot_t* s = &p->hosts[p->avail[p->n_avail - 1]];
  s->free_cores -= w->cfg->tool_cores;
  s->free_mem -= w->cfg->tool_mem_gbytes * 1e9;
  if (!slot_fits(w, s)) {
    s->listed = 0;
    p->n_avail--;
  }
  c->host = s;
  c->s->queue_s += simgrid_get_clock() - c->queued_s;
  pool_busy_add(p, w->cfg->tool_cores);
  p->running++;
  p->started++;
  worker_give(w, c);
}

/* Strict FIFO: the head waits until some host fits it, and the calls behind it wait too. */
static void pool_dispatch(agentic_t* w, pool_t* p)
{
  while (p->head != NULL && p->n_avail > 0)
    pool_start_head(w, p);
}

static void pool_submit(agentic_t* w, pool_t* p, call_t* c)
{
  c->queued_s = simgrid_get_clock();
  if (p->tail)
    p->tail->next = c;
  else
    p->head = c;
  p->tail = c;
  if (++p->queued > p->max_queued)
    p->max_queued = p->queued;
  pool_dispatch(w, p);
}

static void pool_release(agentic_t* w, pool_t* p, cpu_slot_t* s)
{
  s->free_cores += w->cfg->tool_cores;
  s->free_mem += w->cfg->tool_mem_gbytes * 1e9;
  if (!s->listed && slot_fits(w, s)) {
    s->listed              = 1;
    p->avail[p->n_avail++] = (int)(s - p->hosts);
  }
  pool_busy_add(p, -w->cfg->tool_cores);
  p->running--;
  pool_dispatch(w, p);
}

/* One row of cpu_pools.csv per pool: the mean busy cores since the last row. */
static void pools_sample(agentic_t* w)
{
  double now = simgrid_get_clock(), dt = now - w->last_sample_s;
  for (int i = 0; i < w->cfg->n_pools; i++)
    pool_busy_add(&w->pools[i], 0); /* the integrals up to now, also for the summary */
  if (dt <= 0)
    return;
  rs_table_t* t = w->pools_t;
  for (int i = 0; i < w->cfg->n_pools; i++) {
    pool_t* p = &w->pools[i];
    rs_cell_num(t, now);
    rs_cell_text(t, w->wl->name);
    rs_cell_text(t, p->cfg->name);
    rs_cell_int(t, p->n_hosts);
    rs_cell_int(t, p->cores);
    rs_cell_num(t, p->busy_core_s / dt);
    rs_cell_num(t, p->busy_core_s / dt / p->cores);
    rs_cell_int(t, p->queued);
    rs_cell_int(t, p->max_queued);
    rs_cell_int(t, p->running);
    rs_cell_int(t, p->started);
    rs_row_end(t);
    p->busy_core_s = 0;
    p->max_queued  = p->queued;
    p->started     = 0;
  }
  w->last_sample_s = now;
}

/* ---- sessions -------------------------------------------------------------------------------------- */

static void session_next(session_t* s);

static session_t* session_new(agentic_t* w, session_t* parent)
{
  session_t* s = xbt_new0(session_t, 1);
  s->w         = w;
  s->parent    = parent;
  s->id        = w->next_id++;
  s->depth     = parent ? parent->depth + 1 : 0;
  s->n_turns   = parent ? w->cfg->sub_turns : w->cfg->turns;
  s->arrival_s = simgrid_get_clock();
  rs_rng_seed(&s->rng, w->run->sc->seed * 0x100000001B3ULL ^ ((uint64_t)w->wl->index << 48) ^ (uint64_t)s->id);
  return s;
}

/* Work of one call, in flops for each of its cores. */
static double tool_flops_per_core(session_t* s, const rs_cpu_t* cpu)
{
  const rs_sc_agentic_t* cfg = s->w->cfg;
  double mean                = cfg->tool_gflop > 0 ? cfg->tool_gflop * 1e9 : cfg->tool_core_s * cpu->core_flops;
  double work                = mean;
  if (cfg->tool_dist == RS_DIST_EXPONENTIAL)
    work = rs_rng_exponential(&s->rng, mean);
  else if (cfg->tool_dist == RS_DIST_LOGNORMAL && cfg->tool_cv > 0)
    work = mean * exp(s->w->tool_sigma * rs_rng_normal(&s->rng) - s->w->tool_sigma2 / 2);
  return work / cfg->tool_cores;
}

static void tool_submit(session_t* s)
{
  agentic_t* w = s->w;
  call_t* c    = xbt_new0(call_t, 1);
  c->s         = s;
  /* The draw uses the pool's first host's core speed; all hosts of a pool are one model in practice. */
  c->flops_per_core = tool_flops_per_core(s, w->tool_pool->hosts[0].cpu);
  pool_submit(w, w->tool_pool, c);
}

static void llm_send(session_t* s)
{
  agentic_t* w     = s->w;
  rs_svc_call_t* m = xbt_new0(rs_svc_call_t, 1);
  m->prompt_tokens = w->cfg->prompt_tokens + s->turn * w->cfg->growth_tokens;
  m->output_tokens = w->cfg->output_tokens;
  m->reply_to      = w->replies;
  m->reply_host    = w->tool_pool->hosts[0].cpu->host; /* where llm_receiver runs */
  m->tag           = s;
  m->sent_s        = simgrid_get_clock();
  rs_service_call(w->run, w->service, m, m->prompt_tokens * RS_SVC_BYTES_PER_TOKEN);
}

static void fan_out(session_t* s)
{
  s->pending = s->w->cfg->fanout;
  s->subagents += s->pending;
  s->join_start_s = simgrid_get_clock();
  for (int k = 0; k < s->w->cfg->fanout; k++)
    session_next(session_new(s->w, s));
}

static void session_row(const session_t* s, double now)
{
  rs_table_t* t = s->w->sessions_t;
  rs_cell_text(t, s->w->wl->name);
  rs_cell_int(t, s->id);
  rs_cell_int(t, s->parent ? s->parent->id : -1);
  rs_cell_num(t, s->arrival_s);
  rs_cell_num(t, now);
  rs_cell_num(t, now - s->arrival_s);
  rs_cell_int(t, s->n_turns);
  rs_cell_int(t, s->llm_calls);
  rs_cell_int(t, s->tool_calls);
  rs_cell_int(t, s->subagents);
  rs_cell_num(t, s->model_s);
  rs_cell_num(t, s->tool_s);
  rs_cell_num(t, s->queue_s);
  rs_cell_num(t, s->startup_s);
  rs_cell_num(t, s->join_s);
  rs_cell_int(t, s->cold_starts);
  rs_row_end(t);
}

static void session_end(session_t* s)
{
  agentic_t* w = s->w;
  double now   = simgrid_get_clock();
  session_row(s, now);
  if (s->has_sandbox && w->warm_free < w->cfg->warm_pool)
    w->warm_free++; /* its sandbox goes back to the warm pool */
  session_t* parent = s->parent;
  if (parent == NULL) {
    w->latencies[w->roots_done++] = now - s->arrival_s;
    rs_run_progress(w->run, 1);
    if (w->roots_done == w->n_roots)
      sg_sem_release(w->all_done);
  }
  free(s);
  if (parent && --parent->pending == 0) {
    parent->join_s += now - parent->join_start_s;
    session_next(parent);
  }
}

/* Moves a session to its next step: LLM call, then tool call, then (once) the fan-out, turn after turn.
 * Only starts asynchronous work, so any actor may call it. */
static void session_next(session_t* s)
{
  const rs_sc_agentic_t* cfg = s->w->cfg;
  for (;;) {
    if (s->turn >= s->n_turns) {
      session_end(s);
      return;
    }
    switch (s->phase) {
    case PH_LLM:
      s->phase = PH_TOOL;
      if (s->w->service >= 0) {
        llm_send(s);
        return;
      }
      break;
    case PH_TOOL:
      s->phase = PH_FANOUT;
      tool_submit(s);
      return;
    case PH_FANOUT:
      s->phase = PH_LLM;
      if (s->turn++ == cfg->fanout_turn && s->depth == 0 && cfg->fanout > 0) {
        fan_out(s);
        return;
      }
      break;
    }
  }
}

/* ---- actors ---------------------------------------------------------------------------------------- */

static void sandbox_start(session_t* s)
{
  agentic_t* w = s->w;
  int warm     = w->warm_free > 0;
  w->warm_free -= warm;
  s->cold_starts += !warm;
  s->has_sandbox = 1;
  sg_actor_sleep_for(warm ? w->cfg->warm_start_s : w->cfg->cold_start_s);
}

static sg_host_t io_source(agentic_t* w)
{
  pool_t* p   = w->io_pool;
  sg_host_t h = p->hosts[p->next_io].cpu->host;
  p->next_io  = (p->next_io + 1) % p->n_hosts;
  return h;
}

/* Runs the call's work as one exec per core on its host, all at once, and waits for the slowest. */
static void run_execs(const call_t* c)
{
  int k         = c->s->w->cfg->tool_cores;
  sg_exec_t* ex = xbt_new(sg_exec_t, k);
  for (int j = 0; j < k; j++) {
    ex[j] = sg_actor_exec_init(c->flops_per_core);
    sg_exec_set_host(ex[j], c->host->cpu->host);
    sg_exec_start(ex[j]);
  }
  for (int j = 0; j < k; j++)
    sg_exec_wait(ex[j]);
  free(ex);
}

/* One tool call on the cores it was given: sandbox start-up (first call of a session), input
 * transfer, the work; then it frees the cores and moves its session on. */
static void tool_call(worker_t* k, call_t* c)
{
  session_t* s = c->s;
  agentic_t* w = s->w;
  double t0    = simgrid_get_clock();
  if (!s->has_sandbox)
    sandbox_start(s);
  double t1 = simgrid_get_clock();
  if (w->cfg->io_bytes > 0)
    rs_net_flow(io_source(w), c->host->cpu->host, w->cfg->io_bytes);
  run_execs(c);
  s->startup_s += t1 - t0;
  s->tool_s += simgrid_get_clock() - t1;
  s->tool_calls++;
  k->next_idle = w->idle; /* idle from here: freeing the cores may hand it the next call */
  w->idle      = k;
  pool_release(w, w->tool_pool, c->host);
  free(c);
  session_next(s);
}

/* Runs the calls it is given, one at a time, until it is woken without one. */
static void tool_worker(int argc, char** argv)
{
  worker_t* k = sg_actor_self_get_data();
  for (;;) {
    sg_sem_acquire(k->go);
    call_t* c = k->call;
    if (c == NULL)
      return;
    k->call = NULL;
    tool_call(k, c);
  }
}

/* Once every session has ended every worker is idle: wake each without a call, so it ends. */
static void workers_stop(agentic_t* w)
{
  for (worker_t* k = w->idle; k; k = k->next_idle)
    sg_sem_release(k->go);
  w->idle = NULL;
}

/* Receives the replies of the inference service and moves each session on. */
static void llm_receiver(int argc, char** argv)
{
  agentic_t* w = sg_actor_self_get_data();
  for (;;) {
    rs_svc_call_t* m = sg_mailbox_get(w->replies);
    session_t* s     = m->tag;
    s->model_s += simgrid_get_clock() - m->sent_s;
    s->llm_calls++;
    free(m);
    session_next(s);
  }
}

/* Writes a row of cpu_pools.csv every sample_s until the workload is done. */
static void pool_sampler(int argc, char** argv)
{
  agentic_t* w = sg_actor_self_get_data();
  while (!w->done) {
    sg_actor_sleep_for(w->cfg->sample_s);
    if (!w->done)
      pools_sample(w);
  }
}

/* The time of the next arrival after t (day: a Poisson process whose rate is that of t's slot; past
 * the slot's end the draw restarts there, which is exact for a memoryless process). */
static double next_arrival(agentic_t* w, int k, double t)
{
  const rs_sc_agentic_t* cfg = w->cfg;
  if (cfg->arrival == RS_SESSIONS_REPLAY)
    return w->wl->start_s + w->arrivals[k];
  if (cfg->arrival == RS_SESSIONS_POISSON)
    return t + rs_rng_exponential(&w->arrival_rng, 1 / cfg->rate_per_s);
  for (;;) {
    long slot  = (long)floor((t - w->wl->start_s) / cfg->slot_s);
    double end = w->wl->start_s + (slot + 1) * cfg->slot_s;
    double r   = w->rates[slot % w->n_rates];
    if (r > 0) {
      double next = t + rs_rng_exponential(&w->arrival_rng, 1 / r);
      if (next < end)
        return next;
    }
    t = end;
  }
}

static void summarize(agentic_t* w)
{
  agentic_summary_t* sum = &w->sum;
  rs_wl_row_t* row       = w->row;
  int n                  = w->n_roots;
  rs_run_percentiles(w->latencies, n, sum->latency_s);
  double cores = w->tool_pool->cores, core_s = w->tool_pool->total_core_s; /* the io pool only serves data */
  row->end_s           = simgrid_get_clock();
  row->operations      = n;
  sum->cpu_cores       = cores;
  sum->cpu_utilisation = row->end_s > row->start_s ? core_s / (cores * (row->end_s - row->start_s)) : 0;
  char detail[64];
  snprintf(detail, sizeof detail, "%d sessions", n);
  rs_run_event(w->run, row->start_s, row->end_s, w->wl->name, "sessions", detail);
}

/* Tells the service that this workload will send no more calls, so it may stop when it is done. */
static void say_goodbye(agentic_t* w)
{
  rs_svc_call_t* bye = xbt_new0(rs_svc_call_t, 1);
  bye->kind          = RS_SVC_BYE;
  rs_service_call(w->run, w->service, bye, RS_SVC_BYTES_PER_TOKEN);
}

/* Lets sessions arrive, then waits for the last to end and writes the summary. */
static void arrival_driver(int argc, char** argv)
{
  agentic_t* w = sg_actor_self_get_data();
  double t     = w->wl->start_s;
  for (int k = 0; k < w->n_roots; k++) {
    t = next_arrival(w, k, t);
    sg_actor_sleep_until(t);
    session_next(session_new(w, NULL));
  }
  sg_sem_acquire(w->all_done);
  workers_stop(w);
  if (w->service >= 0)
    say_goodbye(w);
  pools_sample(w);
  summarize(w);
  w->done          = 1;
  w->row->finished = 1;
  XBT_INFO("%s done at %g s: %d sessions", w->wl->name, w->row->end_s, w->n_roots);
}

/* ---- the workload ---------------------------------------------------------------------------------- */

/* sessions.csv and cpu_pools.csv, shared by every agentic workload of the run. */
static int open_tables(agentic_t* w, rs_err_t* err)
{
  w->sessions_t = rs_run_table(w->run, "sessions", session_cols, N_COLS(session_cols), err);
  w->pools_t    = w->sessions_t ? rs_run_table(w->run, "cpu_pools", pool_cols, N_COLS(pool_cols), err) : NULL;
  return w->pools_t ? RS_OK : RS_ERR;
}

static agentic_t* agentic_new(const rs_run_t* run, int i)
{
  agentic_t* w = xbt_new0(agentic_t, 1);
  w->wl        = &run->sc->workloads[i];
  w->cfg       = &w->wl->u.agent;
  w->sum       = (agentic_summary_t){{NAN, NAN, NAN}, NAN, NAN};
  w->service   = w->cfg->service ? rs_service_find(run, w->cfg->service) : -1;
  w->pools     = xbt_new0(pool_t, w->cfg->n_pools);
  for (int p = 0; p < w->cfg->n_pools; p++)
    pool_init(&w->pools[p], run->plat, &w->cfg->pools[p]);
  w->tool_pool = &w->pools[find_pool(w->cfg, w->cfg->tool_pool)];
  w->io_pool   = w->cfg->io_pool ? &w->pools[find_pool(w->cfg, w->cfg->io_pool)] : NULL;
  pool_list_hosts(w, w->tool_pool);
  w->warm_free   = w->cfg->warm_pool;
  w->tool_sigma2 = log(1 + w->cfg->tool_cv * w->cfg->tool_cv);
  w->tool_sigma  = sqrt(w->tool_sigma2);
  rs_rng_seed(&w->arrival_rng, run->sc->seed ^ (0xA5A5A5A5ULL + (uint64_t)i));
  w->last_sample_s = w->wl->start_s;
  for (int p = 0; p < w->cfg->n_pools; p++)
    w->pools[p].last_change_s = w->wl->start_s;
  return w;
}

static void start_actor(agentic_t* w, const char* role, void (*code)(int, char**), int daemon)
{
  char* name   = bprintf("%s-%s", w->wl->name, role);
  sg_actor_t a = sg_actor_init(name, w->tool_pool->hosts[0].cpu->host);
  free(name);
  sg_actor_set_data(a, w);
  if (daemon)
    sg_actor_daemonize(a);
  sg_actor_start(a, code, 0, NULL);
}

static void agentic_free(void* state);

/* Checks its pools, references and arrivals, and reads the arrivals it replays or the rates it follows. */
static int agentic_prepare(const rs_run_t* run, int i, void** state, rs_err_t* err)
{
  if (check_refs(run, i, err) != RS_OK || check_pools(run, i, err) != RS_OK)
    return RS_ERR;
  agentic_t* w = agentic_new(run, i);
  if (check_arrivals(run, i, &w->arrivals, &w->n_roots, &w->rates, &w->n_rates, err) != RS_OK) {
    agentic_free(w);
    return RS_ERR;
  }
  if (w->cfg->arrival != RS_SESSIONS_REPLAY)
    w->n_roots = w->cfg->sessions;
  *state = w;
  return RS_OK;
}

static int agentic_start(rs_run_t* run, int i, void* state, rs_wl_row_t* row, rs_err_t* err)
{
  agentic_t* w = state;
  w->run       = run;
  w->row       = row;
  if (open_tables(w, err) != RS_OK)
    return RS_ERR;
  w->latencies = xbt_new(double, w->n_roots);
  w->all_done  = sg_sem_init(0);
  row->gpus    = 0;
  run->work_total += w->n_roots;
  if (w->service >= 0) {
    char* box  = bprintf("%s-replies", w->wl->name);
    w->replies = sg_mailbox_by_name(box);
    free(box);
    start_actor(w, "llm", llm_receiver, 1);
  }
  start_actor(w, "sampler", pool_sampler, 1);
  start_actor(w, "arrivals", arrival_driver, 0);
  return RS_OK;
}

static void agentic_free(void* state)
{
  agentic_t* w = state;
  if (w == NULL)
    return;
  for (int p = 0; p < w->cfg->n_pools; p++) {
    for (call_t *c = w->pools[p].head, *next; c; c = next) {
      next = c->next;
      free(c);
    }
    free(w->pools[p].hosts);
    free(w->pools[p].avail);
  }
  if (w->all_done)
    sg_sem_destroy(w->all_done);
  for (worker_t *k = w->workers, *next; k; k = next) {
    next = k->next_all;
    sg_sem_destroy(k->go);
    free(k);
  }
  free(w->pools);
  free(w->arrivals);
  free(w->rates);
  free(w->latencies);
  free(w);
}

static void agentic_report(const rs_run_t* run, int i, const void* state, FILE* fp)
{
  const agentic_t* w         = state;
  const agentic_summary_t* s = &w->sum;
  fprintf(fp, "  %s (agentic): %lld sessions, tools on %.0f CPU cores, %.1f%% busy, at most %d tool calls at once\n",
          w->wl->name, w->row->operations, s->cpu_cores, 100 * s->cpu_utilisation, w->n_workers);
  fprintf(fp, "    session latency p50 %.3f s, p90 %.3f s, p99 %.3f s\n", s->latency_s[0], s->latency_s[1],
          s->latency_s[2]);
}

static const void* agentic_summary(const void* state)
{
  return &((const agentic_t*)state)->sum;
}

static const char* agentic_calls(const rs_sc_workload_t* w)
{
  return w->u.agent.service;
}

static const rs_wl_col_t agentic_cols[] = {
    {"latency_p50_s", offsetof(agentic_summary_t, latency_s[0])},
    {"latency_p90_s", offsetof(agentic_summary_t, latency_s[1])},
    {"latency_p99_s", offsetof(agentic_summary_t, latency_s[2])},
    {"cpu_cores", offsetof(agentic_summary_t, cpu_cores)},
    {"cpu_utilisation", offsetof(agentic_summary_t, cpu_utilisation)},
};

const rs_wl_ops_t rs_wl__agentic = {
    .kind    = "agentic",
    .cols    = agentic_cols,
    .n_cols  = sizeof agentic_cols / sizeof agentic_cols[0],
    .prepare = agentic_prepare,
    .start   = agentic_start,
    .summary = agentic_summary,
    .report  = agentic_report,
    .free    = agentic_free,
    .calls   = agentic_calls,
};
