/* agent_pool.c -- the agentic workload's CPU pools: which of the platform's CPU hosts a pool takes, and
 * its one FIFO queue of tool calls, started on a host with room for them and freed when they end, with
 * the integral of busy cores for cpu_pools.csv and the summary. Pure data: it runs no actor and reads no
 * clock, so the tests drive it by hand; agentic.c hands the calls it starts to their hosts'
 * runners (agent_run.c). See LICENSE. */
#include "wl/agent_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xbt/sysdep.h>

/* ---- which hosts ----------------------------------------------------------------------------------- */

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

int rs_agent__pool_select(const rs_platform_t* plat, const rs_sc_pool_t* cfg, int* idx)
{
  int n = 0;
  for (int i = 0; i < plat->n_cpus && (cfg->hosts == 0 || n < cfg->hosts); i++)
    if (pool_matches(cfg, &plat->cpus[i]))
      idx[n++] = i;
  return n;
}

int rs_agent__pool_cores_of(const rs_sc_pool_t* cfg, const rs_cpu_t* cpu)
{
  return cfg->cores_per_host > 0 && cfg->cores_per_host < cpu->cores ? cfg->cores_per_host : cpu->cores;
}

/* ---- the pool -------------------------------------------------------------------------------------- */

static int host_fits(const agent_pool_t* p, const agent_host_t* h)
{
  return h->free_cores >= p->call_cores && h->free_mem >= p->call_mem;
}

static void host_list(agent_pool_t* p, int h)
{
  p->hosts[h].listed     = 1;
  p->avail[p->n_avail++] = h;
}

void rs_agent__pool_init(agent_pool_t* p, const agent_host_t* hosts, int n, int call_cores, double call_mem, double now)
{
  memset(p, 0, sizeof *p);
  p->n_hosts       = n;
  p->hosts         = xbt_new0(agent_host_t, n);
  p->avail         = xbt_new(int, n);
  p->call_cores    = call_cores;
  p->call_mem      = call_mem;
  p->last_change_s = now;
  for (int h = 0; h < n; h++) {
    p->hosts[h]        = hosts[h];
    p->hosts[h].listed = 0;
    p->cores += hosts[h].free_cores;
  }
  for (int h = n - 1; h >= 0; h--) /* host 0 on top, so the first calls pack from it */
    if (host_fits(p, &p->hosts[h]))
      host_list(p, h);
}

void rs_agent__pool_load(agent_pool_t* p, const rs_platform_t* plat, const rs_sc_pool_t* cfg, int call_cores,
                         double call_mem, double now)
{
  int* idx            = xbt_new(int, plat->n_cpus + 1);
  int n               = rs_agent__pool_select(plat, cfg, idx);
  agent_host_t* hosts = xbt_new0(agent_host_t, n + 1);
  for (int h = 0; h < n; h++) {
    const rs_cpu_t* cpu = &plat->cpus[idx[h]];
    hosts[h] = (agent_host_t){.cpu = cpu, .free_cores = rs_agent__pool_cores_of(cfg, cpu), .free_mem = cpu->mem_bytes};
  }
  rs_agent__pool_init(p, hosts, n, call_cores, call_mem, now);
  p->cfg = cfg;
  free(hosts);
  free(idx);
}

void rs_agent__pool_free(agent_pool_t* p)
{
  for (agent_call_t *c = p->head, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  free(p->hosts);
  free(p->avail);
}

/* Busy cores change by delta at now: first add the time at the old count to the integrals. */
static void busy_add(agent_pool_t* p, long long delta, double now)
{
  p->busy_core_s += p->busy * (now - p->last_change_s);
  p->total_core_s += p->busy * (now - p->last_change_s);
  p->last_change_s = now;
  p->busy += delta;
}

void rs_agent__pool_account(agent_pool_t* p, double now)
{
  busy_add(p, 0, now);
}

void rs_agent__pool_new_window(agent_pool_t* p)
{
  p->busy_core_s = 0;
  p->max_queued  = p->queued;
  p->started     = 0;
}

void rs_agent__fifo_push(agent_call_t** head, agent_call_t** tail, agent_call_t* c)
{
  c->next = NULL;
  if (*tail)
    (*tail)->next = c;
  else
    *head = c;
  *tail = c;
}

agent_call_t* rs_agent__fifo_pop(agent_call_t** head, agent_call_t** tail)
{
  agent_call_t* c = *head;
  *head           = c->next;
  if (*head == NULL)
    *tail = NULL;
  c->next = NULL;
  return c;
}

void rs_agent__pool_submit(agent_pool_t* p, agent_call_t* c, double now)
{
  c->queued_s = now;
  rs_agent__fifo_push(&p->head, &p->tail, c);
  if (++p->queued > p->max_queued)
    p->max_queued = p->queued;
}

agent_call_t* rs_agent__pool_next(agent_pool_t* p, double now)
{
  if (p->head == NULL || p->n_avail == 0)
    return NULL;
  agent_call_t* c = rs_agent__fifo_pop(&p->head, &p->tail);
  p->queued--;
  agent_host_t* h = &p->hosts[p->avail[p->n_avail - 1]];
  h->free_cores -= p->call_cores;
  h->free_mem -= p->call_mem;
  if (!host_fits(p, h)) {
    h->listed = 0;
    p->n_avail--;
  }
  c->host = h;
  busy_add(p, p->call_cores, now);
  p->running++;
  p->started++;
  return c;
}

void rs_agent__pool_release(agent_pool_t* p, agent_host_t* h, double now)
{
  h->free_cores += p->call_cores;
  h->free_mem += p->call_mem;
  if (!h->listed && !h->down && host_fits(p, h))
    host_list(p, (int)(h - p->hosts));
  busy_add(p, -p->call_cores, now);
  p->running--;
}

const agent_host_t* rs_agent__pool_next_io(agent_pool_t* p)
{
  /* the next one up; with every one down the turn comes back round to the one it was */
  for (int k = 0; k < p->n_hosts && p->hosts[p->next_io].down; k++)
    p->next_io = (p->next_io + 1) % p->n_hosts;
  const agent_host_t* h = &p->hosts[p->next_io];
  p->next_io            = (p->next_io + 1) % p->n_hosts;
  return h;
}

/* Takes host h out of the stack of hosts that fit a call, keeping the others' order. */
static void host_unlist(agent_pool_t* p, int h)
{
  int k = 0;
  while (k < p->n_avail && p->avail[k] != h)
    k++;
  for (; k + 1 < p->n_avail; k++)
    p->avail[k] = p->avail[k + 1];
  p->n_avail--;
  p->hosts[h].listed = 0;
}

void rs_agent__pool_host_down(agent_pool_t* p, agent_host_t* h, int delta)
{
  h->down += delta;
  if (h->down > 0 && h->listed)
    host_unlist(p, (int)(h - p->hosts));
  else if (h->down == 0 && !h->listed && host_fits(p, h))
    host_list(p, (int)(h - p->hosts));
}
