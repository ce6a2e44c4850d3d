/* agentic.c -- the agentic workload: agent sessions that arrive over time (agent_arrivals.c) and run
 * turns of an LLM call (sent to an inference workload's service, wl_int.h) then a tool call on the
 * cores of a CPU pool (agent_pool.c), with sandbox start-up and a fan-out to sub-agents that join
 * (agent_session.c). Sessions are state machines, not actors, and so are tool calls: each host's runner
 * actor (agent_run.c) runs that host's calls as timers and asynchronous execs; plus one arrival driver,
 * one reply receiver and one sampler per workload. This file holds those actors, the checks and the
 * workload's entry (rs_wl__agentic). It does not model what a tool computes, only its work, memory and input transfer.
 * See LICENSE. */
#include "wl/agent_int.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/mailbox.h>
#include <simgrid/semaphore.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/log.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

XBT_LOG_NEW_DEFAULT_SUBCATEGORY(rs_agentic, racksim, "agentic workload");

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

/* One row of cpu_pools.csv per pool: the mean busy cores since the last row. */
static void pools_sample(agentic_t* w)
{
  double now = simgrid_get_clock(), dt = now - w->last_sample_s;
  for (int i = 0; i < w->cfg->n_pools; i++)
    rs_agent__pool_account(&w->pools[i], now); /* the integrals up to now, also for the summary */
  if (dt <= 0)
    return;
  rs_table_t* t = w->pools_t;
  for (int i = 0; i < w->cfg->n_pools; i++) {
    agent_pool_t* p = &w->pools[i];
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
    rs_agent__pool_new_window(p);
  }
  w->last_sample_s = now;
}

/* ---- checks ---------------------------------------------------------------------------------------- */

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
    int n                  = rs_agent__pool_select(run->plat, pc, idx);
    int fits               = 0;
    for (int h = 0; h < n; h++)
      fits |= rs_agent__pool_cores_of(pc, &run->plat->cpus[idx[h]]) >= cfg->tool_cores &&
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

/* ---- tool calls ------------------------------------------------------------------------------------ */

/* Wakes the sampler if it waits out an idle stretch: something is about to happen. */
static void sampler_wake(agentic_t* w)
{
  if (w->sampler_waiting) {
    w->sampler_waiting = 0;
    sg_sem_release(w->sampler_wake);
  }
}

void rs_agent__dispatch(agentic_t* w)
{
  agent_pool_t* p = w->tool_pool;
  double now      = simgrid_get_clock();
  sampler_wake(w);
  for (agent_call_t* c; (c = rs_agent__pool_next(p, now)) != NULL;) {
    c->s->queue_s += now - c->queued_s;
    rs_agent__run_call(w, c);
  }
  if (p->running > w->max_running)
    w->max_running = (int)p->running;
}

/* ---- tool calls on a host that fails ------------------------------------------------------------- */

/* The host of pool p that is the platform's CPU cpu, or NULL. */
static agent_host_t* pool_host(agent_pool_t* p, const rs_cpu_t* cpu)
{
  for (int h = 0; h < p->n_hosts; h++)
    if (p->hosts[h].cpu == cpu)
      return &p->hosts[h];
  return NULL;
}

/* A failure or a repair of CPU hosts: a host that is down takes no call, and the calls running on it
 * fail; a repaired host takes calls again. */
static void agentic_fault(rs_run_t* run, int i, void* state, const rs_fault_t* f)
{
  agentic_t* w = state;
  if (w->done || w->pools == NULL || w->row == NULL)
    return;
  for (int k = 0; k < f->n_cpus; k++) {
    const rs_cpu_t* cpu = &run->plat->cpus[f->cpus[k]];
    for (int p = 0; p < w->cfg->n_pools; p++) {
      agent_host_t* h = pool_host(&w->pools[p], cpu);
      if (h == NULL)
        continue;
      rs_agent__pool_host_down(&w->pools[p], h, f->up ? -1 : 1);
      if (f->up || h->down > 1)
        continue;                       /* a repair, or a host already down: no call runs there to fail */
      if (&w->pools[p] == w->tool_pool) /* only the tool pool's hosts run calls */
        rs_agent__run_host_failed(w, h);
    }
  }
  if (f->up)
    rs_agent__dispatch(w);
}

/* ---- actors ---------------------------------------------------------------------------------------- */

/* Receives the replies of the inference service and moves each session on. */
static void llm_receiver(int argc, char** argv)
{
  agentic_t* w = sg_actor_self_get_data();
  for (;;) {
    rs_svc_call_t* m   = sg_mailbox_get(w->replies);
    agent_session_t* s = m->tag;
    s->model_s += simgrid_get_clock() - m->sent_s;
    s->llm_calls++;
    free(m);
    rs_agent__session_next(s);
  }
}

/* Whether no pool runs or queues a call. */
static int pools_idle(const agentic_t* w)
{
  for (int i = 0; i < w->cfg->n_pools; i++)
    if (w->pools[i].running > 0 || w->pools[i].queued > 0)
      return 0;
  return 1;
}

/* Writes a row of cpu_pools.csv every sample_s until the workload is done. While every pool is idle
 * it waits for the next call instead, and then samples at the next multiple of sample_s, so that
 * the idle stretch is one row, not one per sample_s of nothing (sessions that arrive far apart). */
static void pool_sampler(int argc, char** argv)
{
  agentic_t* w = sg_actor_self_get_data();
  double dt    = w->cfg->sample_s;
  while (!w->done) {
    double next = w->last_sample_s + dt;
    if (pools_idle(w) && w->last_sample_s > w->wl->start_s) {
      w->sampler_waiting = 1;
      sg_sem_acquire(w->sampler_wake);
      double now = simgrid_get_clock();
      next       = w->last_sample_s + ceil((now - w->last_sample_s) / dt) * dt;
      if (next < now) /* a clock too coarse for sample_s */
        next = now;
    }
    sg_actor_sleep_until(next);
    if (!w->done)
      pools_sample(w);
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
  sum->tool_retries    = w->run->faults ? w->tool_retries : NAN;
  sum->tool_failures   = w->run->faults ? w->tool_failures : NAN;
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
    t = rs_agent__next_arrival(w, k, t);
    rs_run_reach(t);
    sg_actor_sleep_until(t);
    rs_agent__session_next(rs_agent__session_new(w, NULL));
  }
  sg_sem_acquire(w->all_done);
  rs_agent__run_stop(w);
  if (w->service >= 0)
    say_goodbye(w);
  pools_sample(w);
  summarize(w);
  w->done = 1;
  sampler_wake(w);
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

/* Its state, pools loaded: pure (no actor, no table, the scenario only read). */
static agentic_t* agentic_new(const rs_run_t* run, int i)
{
  agentic_t* w = xbt_new0(agentic_t, 1);
  w->wl        = &run->sc->workloads[i];
  w->cfg       = &w->wl->u.agent;
  w->sum       = (agentic_summary_t){.latency_s       = RS_RUN_PERCENTILES_NAN,
                                     .cpu_cores       = NAN,
                                     .cpu_utilisation = NAN,
                                     .tool_retries    = NAN,
                                     .tool_failures   = NAN};
  w->service   = w->cfg->service ? rs_service_find(run, w->cfg->service) : -1;
  w->pools     = xbt_new0(agent_pool_t, w->cfg->n_pools);
  for (int p = 0; p < w->cfg->n_pools; p++)
    rs_agent__pool_load(&w->pools[p], run->plat, &w->cfg->pools[p], w->cfg->tool_cores, w->cfg->tool_mem_gbytes * 1e9,
                        w->wl->start_s);
  w->tool_pool   = &w->pools[find_pool(w->cfg, w->cfg->tool_pool)];
  w->io_pool     = w->cfg->io_pool ? &w->pools[find_pool(w->cfg, w->cfg->io_pool)] : NULL;
  w->warm_free   = w->cfg->warm_pool;
  w->tool_sigma2 = log(1 + w->cfg->tool_cv * w->cfg->tool_cv);
  w->tool_sigma  = sqrt(w->tool_sigma2);
  rs_rng_seed(&w->arrival_rng, run->sc->seed ^ (0xA5A5A5A5ULL + (uint64_t)i));
  w->last_sample_s = w->wl->start_s;
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
  if (rs_agent__arrivals_load(run, i, &w->arrivals, &w->n_roots, &w->rates, &w->n_rates, err) != RS_OK) {
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
  w->latencies    = xbt_new(double, w->n_roots);
  w->all_done     = sg_sem_init(0);
  w->sampler_wake = sg_sem_init(0);
  row->gpus       = 0;
  rs_agent__run_start(w);
  for (int p = 0; p < w->cfg->n_pools; p++) /* what it pays for: the fleet hosts of its pools */
    for (int h = 0; h < w->pools[p].n_hosts; h++)
      if (w->pools[p].hosts[h].cpu->rack < 0) { /* a rack's CPU comes with its GPU instance */
        row->cpu_hosts++;
        row->cpu_cores += w->pools[p].hosts[h].free_cores;
      }
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
  for (int p = 0; p < w->cfg->n_pools; p++)
    rs_agent__pool_free(&w->pools[p]);
  if (w->all_done)
    sg_sem_destroy(w->all_done);
  if (w->sampler_wake)
    sg_sem_destroy(w->sampler_wake);
  rs_agent__run_free(w);
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
          w->wl->name, w->row->operations, s->cpu_cores, 100 * s->cpu_utilisation, w->max_running);
  fprintf(fp, "    session latency p50 %.3f s, p90 %.3f s, p95 %.3f s, p99 %.3f s\n", s->latency_s[0], s->latency_s[1],
          s->latency_s[2], s->latency_s[3]);
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
    {"latency_p95_s", offsetof(agentic_summary_t, latency_s[2])},
    {"latency_p99_s", offsetof(agentic_summary_t, latency_s[3])},
    {"cpu_cores", offsetof(agentic_summary_t, cpu_cores)},
    {"cpu_utilisation", offsetof(agentic_summary_t, cpu_utilisation)},
    {"tool_retries", offsetof(agentic_summary_t, tool_retries)},
    {"tool_failures", offsetof(agentic_summary_t, tool_failures)},
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
    .fault   = agentic_fault,
};
