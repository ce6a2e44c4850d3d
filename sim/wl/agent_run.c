/* agent_run.c -- how the agentic workload runs its tool calls without an actor per call: one runner
 * actor per host of the tool pool (made on the host's first call) times each call's sandbox start-up
 * and its work, and wakes at the earliest time one of its calls is due. The host's busy cores are one
 * exec of one thread per core (agent_sg.cpp), replaced when their count changes, so that SimGrid's
 * energy plugin sees the load it saw from one exec per core of every call, at a cost per event that
 * no longer grows with the calls on the host (the plugin and the solver sum over a host's actions).
 * Only the input transfer, a blocking flow in racksim's send path, borrows a worker actor for its
 * duration. A running call thus costs its struct (about 100 bytes), not a stack. The load exec's owner
 * is its host's runner because SimGrid 3.32 keeps each actor's execs in a list that it scans when one
 * ends (ExecImpl::post): one owner of every host's exec would make each end scan them all. A call on a
 * host that fails runs on to its end without a result while its caller retries it (tool_retry). A
 * host's speed that SimGrid changes (a speed profile of the platform file) re-times the work of its
 * calls in progress (speed_changed), so a call's work takes what one exec per core would. See LICENSE. */
#include "wl/agent_int.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/exec.h>
#include <simgrid/host.h>
#include <simgrid/semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <xbt/sysdep.h>

/* A runner only runs short code between waits (the worker actors had the same stack). */
#define RUNNER_STACK_BYTES (128 * 1024)

/* Flops per thread of a host's load exec: more than any run gets through, so it never ends. */
#define LOAD_FLOPS 1e300

enum { CALL_NEW, CALL_SANDBOX, CALL_INPUT_DONE, CALL_WORK };

/* The runner of one host: its calls waiting for a time (a binary heap by due time, then order handed
 * in), and those handed to it to go on with now (a FIFO). */
struct agent_runner {
  agentic_t* w;
  const agent_host_t* host;
  sg_sem_t wake;
  int waiting; /* blocked on wake: a call handed in must release it */
  agent_call_t *in_head, *in_tail;
  agent_call_t** heap;
  int n, cap;
  int busy_cores;    /* of the calls doing their work */
  double core_speed; /* flop/s of one core, at which those calls' due times were set */
  sg_exec_t load;    /* the CPU load of those cores (NULL when none) */
  int load_cores;
  long long next_order;
  agent_call_t *live_head, *live_tail; /* its calls in progress, in start order (a failure finds them) */
};

/* An actor that runs input transfers one after the other, reused from call to call (creating an actor
 * per transfer maps and unmaps a stack each time). */
struct agent_worker {
  agentic_t* w;
  agent_call_t* call; /* the next transfer to run */
  sg_sem_t go;
  agent_worker_t* next_idle;
  agent_worker_t* next_all; /* every worker, to free them */
};

/* ---- the heap of calls due at a time ---------------------------------------------------------------- */

static int due_before(const agent_call_t* a, const agent_call_t* b)
{
  return a->due < b->due || (a->due == b->due && a->order < b->order);
}

static void heap_swap(agent_call_t** h, int i, int j)
{
  agent_call_t* t = h[i];
  h[i]            = h[j];
  h[j]            = t;
}

static void heap_push(agent_runner_t* r, agent_call_t* c, double due)
{
  c->due   = due;
  c->order = r->next_order++;
  if (r->n == r->cap) {
    r->cap  = r->cap ? 2 * r->cap : 8;
    r->heap = xbt_realloc(r->heap, r->cap * sizeof *r->heap);
  }
  int i      = r->n++;
  r->heap[i] = c;
  for (; i > 0 && due_before(r->heap[i], r->heap[(i - 1) / 2]); i = (i - 1) / 2)
    heap_swap(r->heap, i, (i - 1) / 2);
}

/* Moves the call at i down the heap to where it is due no earlier than its parent. */
static void heap_sift_down(agent_runner_t* r, int i)
{
  for (;;) {
    int m = i, a = 2 * i + 1, b = a + 1;
    if (a < r->n && due_before(r->heap[a], r->heap[m]))
      m = a;
    if (b < r->n && due_before(r->heap[b], r->heap[m]))
      m = b;
    if (m == i)
      return;
    heap_swap(r->heap, i, m);
    i = m;
  }
}

static agent_call_t* heap_pop(agent_runner_t* r)
{
  agent_call_t* top = r->heap[0];
  r->heap[0]        = r->heap[--r->n];
  heap_sift_down(r, 0);
  return top;
}

/* ---- handing calls to runners ----------------------------------------------------------------------- */

static void runner_main(int argc, char** argv);

static agent_runner_t* runner_of(agentic_t* w, const agent_host_t* h)
{
  int i = (int)(h - w->tool_pool->hosts);
  if (w->runners[i] == NULL) {
    agent_runner_t* r = xbt_new0(agent_runner_t, 1);
    r->w              = w;
    r->host           = h;
    r->wake           = sg_sem_init(0);
    w->runners[i]     = r;
    sg_actor_t a      = sg_actor_init(w->tool_pool->cfg->name, h->cpu->host);
    sg_actor_set_data(a, r);
    sg_actor_set_stacksize(a, RUNNER_STACK_BYTES);
    sg_actor_start(a, runner_main, 0, NULL);
  }
  return w->runners[i];
}

/* Wakes runner r if it waits: something changed that it must look at. */
static void runner_wake(agent_runner_t* r)
{
  if (r->waiting) {
    r->waiting = 0;
    sg_sem_release(r->wake);
  }
}

/* Puts c at the tail of its runner's FIFO and wakes the runner if it waits. */
static void runner_post(agent_runner_t* r, agent_call_t* c)
{
  rs_agent__fifo_push(&r->in_head, &r->in_tail, c);
  runner_wake(r);
}

void rs_agent__run_call(agentic_t* w, agent_call_t* c)
{
  agent_runner_t* r = runner_of(w, c->host);
  c->phase          = CALL_NEW;
  c->live_prev      = r->live_tail;
  c->live_next      = NULL;
  if (r->live_tail)
    r->live_tail->live_next = c;
  else
    r->live_head = c;
  r->live_tail = c;
  runner_post(r, c);
}

/* Call c has ended: off its runner's list of calls in progress. */
static void live_remove(agent_runner_t* r, agent_call_t* c)
{
  if (c->live_prev)
    c->live_prev->live_next = c->live_next;
  else
    r->live_head = c->live_next;
  if (c->live_next)
    c->live_next->live_prev = c->live_prev;
  else
    r->live_tail = c->live_prev;
}

/* ---- input transfers on worker actors --------------------------------------------------------------- */

static void input_worker(int argc, char** argv);

/* Hands call c's input transfer to an idle worker, or to a new one when all are busy. */
static void input_give(agentic_t* w, agent_call_t* c)
{
  agent_worker_t* k = w->idle;
  if (k != NULL) {
    w->idle = k->next_idle;
    k->call = c;
    sg_sem_release(k->go);
    return;
  }
  k            = xbt_new0(agent_worker_t, 1);
  *k           = (agent_worker_t){.w = w, .call = c, .go = sg_sem_init(1), .next_all = w->workers};
  w->workers   = k;
  sg_actor_t a = sg_actor_init(w->tool_pool->cfg->name, c->host->cpu->host);
  sg_actor_set_data(a, k);
  sg_actor_set_stacksize(a, RUNNER_STACK_BYTES);
  sg_actor_start(a, input_worker, 0, NULL);
}

/* Runs the transfers it is given, each then back to its host's runner, until woken without one or
 * until the sessions have all ended (rs_agent__run_stop wakes only the idle ones). */
static void input_worker(int argc, char** argv)
{
  agent_worker_t* k = sg_actor_self_get_data();
  agentic_t* w      = k->w;
  for (;;) {
    sg_sem_acquire(k->go);
    agent_call_t* c = k->call;
    if (c == NULL)
      return;
    k->call = NULL;
    rs_net_flow(rs_agent__pool_next_io(w->io_pool)->cpu->host, c->host->cpu->host, w->cfg->io_bytes);
    k->next_idle = w->idle;
    w->idle      = k;
    c->phase     = CALL_INPUT_DONE;
    runner_post(runner_of(w, c->host), c);
    if (w->stopping) /* the transfer of a failed call outlived every session: no other will come */
      return;
  }
}

/* ---- one call's steps ------------------------------------------------------------------------------- */

/* The host's CPU load: one exec of one thread per busy core, never ending, replaced whenever the
 * count changes (once per instant, before the runner waits). SimGrid's energy plugin reads the host's
 * load from it exactly as from one exec per call. */
static void load_apply(agent_runner_t* r)
{
  if (r->load_cores == r->busy_cores)
    return;
  if (r->load != NULL)
    sg_exec_cancel(r->load); /* releases it */
  r->load       = r->busy_cores > 0 ? rs_agent__exec_start(r->host->cpu->host, LOAD_FLOPS, r->busy_cores) : NULL;
  r->load_cores = r->busy_cores;
}

/* One core's speed on host h now: its peak times the fraction its speed profile leaves it. */
static double core_speed(sg_host_t h)
{
  return sg_host_get_speed(h) * sg_host_get_available_speed(h);
}

/* When call c's work_left ends at one core's speed from now on (never while the speed is 0: a profile may
 * stop a host for a while). */
static double work_due(const agent_call_t* c, double now, double speed)
{
  return speed > 0 ? now + c->work_left / speed : INFINITY;
}

/* The call's work takes its cores from now until flops_per_core at one core's speed are done: what
 * SimGrid's CPU model gives an exec of one thread per core on a host with those cores free, which the
 * pool guarantees (nothing else runs on its hosts). Its due time holds while that speed does; a change
 * re-times it (speed_changed). */
static void work_start(agent_runner_t* r, agent_call_t* c)
{
  r->busy_cores += r->w->cfg->tool_cores;
  r->core_speed = core_speed(r->host->cpu->host);
  c->phase      = CALL_WORK;
  c->work_left  = c->flops_per_core;
  heap_push(r, c, work_due(c, simgrid_get_clock(), r->core_speed));
}

/* Sandbox ready (or none needed): the input transfer, else the work at once. */
static void after_sandbox(agent_runner_t* r, agent_call_t* c)
{
  c->t1 = simgrid_get_clock();
  if (r->w->cfg->io_bytes > 0)
    input_give(r->w, c);
  else
    work_start(r, c);
}

/* A call starts: the sandbox start-up (first call of a session) as a timer, then what follows it. */
static void call_begin(agent_runner_t* r, agent_call_t* c)
{
  agentic_t* w       = r->w;
  agent_session_t* s = c->s;
  c->t0              = simgrid_get_clock();
  if (s->has_sandbox) {
    after_sandbox(r, c);
    return;
  }
  int warm = w->warm_free > 0;
  w->warm_free -= warm;
  s->cold_starts += !warm;
  s->has_sandbox = 1;
  c->phase       = CALL_SANDBOX;
  heap_push(r, c, c->t0 + (warm ? w->cfg->warm_start_s : w->cfg->cold_start_s));
}

/* The work has ended: the session's times, the cores back to the pool (which may start the next call
 * of the queue), then the session moves on. A call whose host failed meanwhile ran to its end all the
 * same (its cores stayed busy: SimGrid never turns the host off) but has no result: it only gives its
 * cores back, its caller having moved on from the failure (tool_retry). */
static void call_end(agent_runner_t* r, agent_call_t* c)
{
  agentic_t* w       = r->w;
  agent_session_t* s = c->s;
  double now         = simgrid_get_clock();
  int failed         = c->failed;
  if (!failed) {
    s->startup_s += c->t1 - c->t0;
    s->tool_s += now - c->t1;
    s->tool_calls++;
  }
  live_remove(r, c);
  rs_agent__pool_release(w->tool_pool, c->host, now);
  rs_agent__dispatch(w);
  free(c);
  if (!failed)
    rs_agent__session_next(s);
}

/* A call's time has come: its sandbox is ready, or its work is done. */
static void call_due(agent_runner_t* r, agent_call_t* c)
{
  if (c->phase == CALL_SANDBOX) {
    after_sandbox(r, c);
    return;
  }
  r->busy_cores -= r->w->cfg->tool_cores;
  call_end(r, c);
}

/* ---- the runner actor ------------------------------------------------------------------------------- */

/* Goes on with the calls handed in, then with those due; then waits for the next due time or the next
 * call handed in. Ends when woken to stop with no call in progress. */
static void runner_main(int argc, char** argv)
{
  agent_runner_t* r = sg_actor_self_get_data();
  for (;;) {
    while (r->in_head) {
      agent_call_t* c = rs_agent__fifo_pop(&r->in_head, &r->in_tail);
      if (c->phase == CALL_NEW)
        call_begin(r, c);
      else
        work_start(r, c);
    }
    double now = simgrid_get_clock();
    if (r->n > 0 && r->heap[0]->due <= now) {
      call_due(r, heap_pop(r));
      continue;
    }
    load_apply(r);
    if (r->live_head == NULL && r->w->stopping) /* a failed call in transfer still comes back to it */
      return;
    r->waiting = 1;
    if (r->n == 0 || isinf(r->heap[0]->due)) /* nothing due until a call comes or the speed is back */
      sg_sem_acquire(r->wake);
    else
      sg_sem_acquire_timeout(r->wake, r->heap[0]->due - now);
    r->waiting = 0;
    /* A timeout that lands a rounding short of the due time: that call is due now. */
    if (r->n > 0 && r->heap[0]->due - simgrid_get_clock() < 1e-12 * fmax(1, r->heap[0]->due))
      r->heap[0]->due = simgrid_get_clock();
  }
}

/* ---- a host whose speed changes ------------------------------------------------------------------ */

/* A host of the tool pool by its SimGrid host, in a table sorted by that host (only equality matters: the
 * order of pointers never reaches a result). */
struct agent_host_ref {
  sg_host_t host;
  int index; /* into the tool pool's hosts */
};

static int by_sg_host(const void* a, const void* b)
{
  uintptr_t x = (uintptr_t)((const agent_host_ref_t*)a)->host, y = (uintptr_t)((const agent_host_ref_t*)b)->host;
  return (x > y) - (x < y);
}

/* The runner of the tool pool's host that is h, or NULL (not in the pool, or no call ran there yet). */
static agent_runner_t* runner_at(agentic_t* w, sg_host_t h)
{
  agent_host_ref_t key = {.host = h};
  agent_host_ref_t* at = bsearch(&key, w->by_host, w->tool_pool->n_hosts, sizeof *w->by_host, by_sg_host);
  return at ? w->runners[at->index] : NULL;
}

/* SimGrid changed host h's speed (a speed profile of the platform file): the work left of each call
 * working there, (due - now) x the old speed (what it had left when the speed was 0), takes its time at
 * the new speed, and the runner waits for the new earliest due time. Runs in the engine's context,
 * between the actors' turns. */
static void speed_changed(void* data, sg_host_t h)
{
  agent_runner_t* r = runner_at(data, h);
  if (r == NULL)
    return;
  double now = simgrid_get_clock(), speed = core_speed(h);
  if (speed == r->core_speed)
    return;
  for (int k = 0; k < r->n; k++) {
    agent_call_t* c = r->heap[k];
    if (c->phase != CALL_WORK)
      continue;
    if (r->core_speed > 0)
      c->work_left = fmax(0, c->due - now) * r->core_speed;
    c->due = work_due(c, now, speed);
  }
  r->core_speed = speed;
  for (int k = r->n / 2 - 1; k >= 0; k--)
    heap_sift_down(r, k);
  runner_wake(r);
}

void rs_agent__run_start(agentic_t* w)
{
  agent_pool_t* p = w->tool_pool;
  w->runners      = xbt_new0(agent_runner_t*, p->n_hosts);
  w->by_host      = xbt_new(agent_host_ref_t, p->n_hosts);
  for (int i = 0; i < p->n_hosts; i++)
    w->by_host[i] = (agent_host_ref_t){.host = p->hosts[i].cpu->host, .index = i};
  qsort(w->by_host, p->n_hosts, sizeof *w->by_host, by_sg_host);
  w->speed_watch = rs_agent__speed_watch(speed_changed, w);
}

/* ---- tool calls on a host that fails ------------------------------------------------------------- */

/* The caller of a call whose host failed waits out its timeout, then sends it again to the pool (it
 * runs on a host that is up), or, past failures.agentic.tool_retries, gives up: the session goes on
 * without the result. One short-lived actor per failed call (failures are rare). */
static void tool_retry(int argc, char** argv)
{
  agent_call_t* c                    = sg_actor_self_get_data();
  agent_session_t* s                 = c->s;
  agentic_t* w                       = s->w;
  const rs_sc_fail_agentic_t* policy = &w->run->sc->failures.agentic;
  sg_actor_sleep_for(policy->tool_retry_s);
  if (c->attempt > policy->tool_retries) {
    w->tool_failures++;
    free(c);
    rs_agent__session_next(s);
    return;
  }
  w->tool_retries++;
  rs_agent__pool_submit(w->tool_pool, c, simgrid_get_clock());
  rs_agent__dispatch(w);
}

/* Call c's host failed: it is marked so that its runner ends it without a result (call_end), and its
 * caller starts over from the failure with a new call (tool_retry). */
static void call_failed(agentic_t* w, agent_call_t* c)
{
  c->failed             = 1;
  agent_call_t* again   = xbt_new0(agent_call_t, 1);
  again->s              = c->s;
  again->flops_per_core = c->flops_per_core;
  again->attempt        = c->attempt + 1;
  sg_actor_t a          = sg_actor_init("tool-retry", w->tool_pool->hosts[0].cpu->host);
  sg_actor_set_data(a, again);
  sg_actor_set_stacksize(a, RUNNER_STACK_BYTES);
  sg_actor_start(a, tool_retry, 0, NULL);
}

void rs_agent__run_host_failed(agentic_t* w, const agent_host_t* h)
{
  agent_runner_t* r = w->runners[h - w->tool_pool->hosts];
  for (agent_call_t* c = r ? r->live_head : NULL; c; c = c->live_next)
    if (!c->failed)
      call_failed(w, c);
}

void rs_agent__run_stop(agentic_t* w)
{
  w->stopping = 1;
  for (int i = 0; i < w->tool_pool->n_hosts; i++)
    if (w->runners[i])
      runner_wake(w->runners[i]);
  for (agent_worker_t* k = w->idle; k; k = k->next_idle)
    sg_sem_release(k->go);
  w->idle = NULL;
}

void rs_agent__run_free(agentic_t* w)
{
  if (w->by_host) /* run_start watched */
    rs_agent__speed_unwatch(w->speed_watch);
  free(w->by_host);
  for (int i = 0; w->runners && i < w->tool_pool->n_hosts; i++)
    if (w->runners[i]) {
      sg_sem_destroy(w->runners[i]->wake);
      free(w->runners[i]->heap);
      free(w->runners[i]);
    }
  free(w->runners);
  for (agent_worker_t *k = w->workers, *next; k; k = next) {
    next = k->next_all;
    sg_sem_destroy(k->go);
    free(k);
  }
}
