/* agent_session.c -- the agentic workload's sessions: state machines that run their turns (an LLM call
 * sent to an inference workload's service, then a tool call queued on a CPU pool), fan out once to
 * sub-agents and wait for them to join, then write their row of sessions.csv. Sessions only start
 * asynchronous work (a service call, a tool call handed to the pool), so whichever actor moves one on
 * never blocks; the actors are agentic.c's. See LICENSE. */
#include "wl/agent_int.h"

#include <math.h>
#include <simgrid/engine.h>
#include <simgrid/semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <xbt/sysdep.h>

agent_session_t* rs_agent__session_new(agentic_t* w, agent_session_t* parent)
{
  agent_session_t* s = xbt_new0(agent_session_t, 1);
  s->w               = w;
  s->parent          = parent;
  s->id              = w->next_id++;
  s->depth           = parent ? parent->depth + 1 : 0;
  s->n_turns         = parent ? w->cfg->sub_turns : w->cfg->turns;
  s->arrival_s       = simgrid_get_clock();
  rs_rng_seed(&s->rng, w->run->sc->seed * 0x100000001B3ULL ^ ((uint64_t)w->wl->index << 48) ^ (uint64_t)s->id);
  return s;
}

/* Work of one call, in flops for each of its cores. */
static double tool_flops_per_core(agent_session_t* s, const rs_cpu_t* cpu)
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

static void tool_submit(agent_session_t* s)
{
  agentic_t* w    = s->w;
  agent_call_t* c = xbt_new0(agent_call_t, 1);
  c->s            = s;
  /* The draw uses the pool's first host's core speed; all hosts of a pool are one model in practice. */
  c->flops_per_core = tool_flops_per_core(s, w->tool_pool->hosts[0].cpu);
  rs_agent__pool_submit(w->tool_pool, c, simgrid_get_clock());
  rs_agent__dispatch(w);
}

/* The turn's LLM call: its prompt grows turn by turn. Its reply comes to the workload's receiver. */
static void llm_send(agent_session_t* s)
{
  agentic_t* w     = s->w;
  rs_svc_call_t* m = xbt_new0(rs_svc_call_t, 1);
  m->prompt_tokens = w->cfg->prompt_tokens + s->turn * w->cfg->growth_tokens;
  m->output_tokens = w->cfg->output_tokens;
  m->reply_to      = w->replies;
  m->reply_host    = w->tool_pool->hosts[0].cpu->host; /* where the reply receiver runs */
  m->tag           = s;
  m->sent_s        = simgrid_get_clock();
  rs_service_call(w->run, w->service, m, m->prompt_tokens * RS_SVC_BYTES_PER_TOKEN);
}

static void fan_out(agent_session_t* s)
{
  s->pending = s->w->cfg->fanout;
  s->subagents += s->pending;
  s->join_start_s = simgrid_get_clock();
  for (int k = 0; k < s->w->cfg->fanout; k++)
    rs_agent__session_next(rs_agent__session_new(s->w, s));
}

static void session_row(const agent_session_t* s, double now)
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

/* Its row, its sandbox back to the warm pool, then the join of its parent or the count of roots done. */
static void session_end(agent_session_t* s)
{
  agentic_t* w = s->w;
  double now   = simgrid_get_clock();
  session_row(s, now);
  if (s->has_sandbox && w->warm_free < w->cfg->warm_pool)
    w->warm_free++;
  agent_session_t* parent = s->parent;
  if (parent == NULL) {
    w->latencies[w->roots_done++] = now - s->arrival_s;
    rs_run_progress(w->run, 1);
    if (w->roots_done == w->n_roots)
      sg_sem_release(w->all_done);
  }
  free(s);
  if (parent && --parent->pending == 0) {
    parent->join_s += now - parent->join_start_s;
    rs_agent__session_next(parent);
  }
}

void rs_agent__session_next(agent_session_t* s)
{
  const rs_sc_agentic_t* cfg = s->w->cfg;
  for (;;) {
    if (s->turn >= s->n_turns) {
      session_end(s);
      return;
    }
    switch (s->phase) {
    case AGENT_LLM:
      s->phase = AGENT_TOOL;
      if (s->w->service >= 0) {
        llm_send(s);
        return;
      }
      break;
    case AGENT_TOOL:
      s->phase = AGENT_FANOUT;
      tool_submit(s);
      return;
    case AGENT_FANOUT:
      s->phase = AGENT_LLM;
      if (s->turn++ == cfg->fanout_turn && s->depth == 0 && cfg->fanout > 0) {
        fan_out(s);
        return;
      }
      break;
    }
  }
}
