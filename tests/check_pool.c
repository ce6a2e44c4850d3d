/* check_pool.c -- tests of the agentic workload's CPU pools (agent_pool.c), driven by hand without a
 * SimGrid engine: calls start in FIFO order; a call waits while no host fits it (cores or memory) and
 * so do the calls behind it; a release starts the head of the queue, on the host it freed; hosts pack
 * from the first; the integral of busy cores over a hand-made timeline; and which of a platform's CPU
 * hosts a pool takes. */
#include "check_util.h"
#include "wl/agent_int.h"

#include <stdlib.h>

#define GB 1e9

/* A pool of n hosts with the same room, for calls of call_cores cores and call_gb GB, from time 0. */
static void pool_of(agent_pool_t* p, int n, int cores, double gb, int call_cores, double call_gb)
{
  agent_host_t hosts[8];
  ck_assert_int_le(n, 8);
  for (int h = 0; h < n; h++)
    hosts[h] = (agent_host_t){.cpu = NULL, .free_cores = cores, .free_mem = gb * GB};
  rs_agent__pool_init(p, hosts, n, call_cores, call_gb * GB, 0);
}

/* A fresh call, submitted at now; `id` goes where the workload keeps its work, to tell calls apart. */
static agent_call_t* submit(agent_pool_t* p, int id, double now)
{
  agent_call_t* c   = calloc(1, sizeof *c);
  c->flops_per_core = id;
  rs_agent__pool_submit(p, c, now);
  return c;
}

/* The id of the call that starts now, or -1 when none can. */
static int next_id(agent_pool_t* p, double now)
{
  agent_call_t* c = rs_agent__pool_next(p, now);
  return c ? (int)c->flops_per_core : -1;
}

START_TEST(calls_start_in_fifo_order)
{
  agent_pool_t p;
  pool_of(&p, 1, 4, 64, 2, 1); /* room for two calls at once */
  agent_call_t* c[5];
  for (int k = 0; k < 5; k++)
    c[k] = submit(&p, k, 0);
  ck_assert_int_eq(p.queued, 5);
  ck_assert_int_eq(next_id(&p, 0), 0);
  ck_assert_int_eq(next_id(&p, 0), 1);
  ck_assert_int_eq(next_id(&p, 0), -1);
  ck_assert_int_eq(p.queued, 3);
  ck_assert_int_eq(p.max_queued, 5);
  for (int k = 2; k < 5; k++) { /* each release lets exactly the next one in */
    rs_agent__pool_release(&p, c[k - 2]->host, k);
    ck_assert_int_eq(next_id(&p, k), k);
    ck_assert_int_eq(next_id(&p, k), -1);
    free(c[k - 2]);
  }
  ck_assert_int_eq(p.queued, 0);
  ck_assert_int_eq(p.running, 2);
  ck_assert_int_eq(p.started, 5);
  free(c[3]);
  free(c[4]);
  rs_agent__pool_free(&p);
}
END_TEST

START_TEST(a_call_waits_while_no_host_fits)
{
  /* 8 cores but 6 GB: memory fits one 4 GB call at a time although cores fit four */
  agent_pool_t p;
  pool_of(&p, 1, 8, 6, 2, 4);
  agent_call_t *a = submit(&p, 0, 0), *b = submit(&p, 1, 0);
  submit(&p, 2, 0);
  ck_assert_int_eq(next_id(&p, 0), 0);
  ck_assert_int_eq(next_id(&p, 0), -1); /* the head waits, and the call behind it too */
  ck_assert_int_eq(p.queued, 2);
  ck_assert_int_eq(p.hosts[0].free_cores, 6);
  ck_assert_double_eq_tol(p.hosts[0].free_mem, 2 * GB, 1);
  rs_agent__pool_release(&p, a->host, 1);
  free(a);
  ck_assert_int_eq(next_id(&p, 1), 1); /* the release starts the head, not the one behind */
  ck_assert_int_eq(p.queued, 1);
  rs_agent__pool_free(&p); /* frees call 2, still queued; call 1 runs, and is the test's */
  free(b);
  /* a host with fewer cores than a call never takes one */
  pool_of(&p, 2, 2, 64, 4, 1);
  ck_assert_int_eq(p.n_avail, 0);
  submit(&p, 0, 0);
  ck_assert_int_eq(next_id(&p, 0), -1);
  rs_agent__pool_free(&p);
}
END_TEST

START_TEST(hosts_pack_from_the_first_and_a_freed_host_goes_first)
{
  agent_pool_t p;
  pool_of(&p, 3, 4, 64, 2, 1);
  agent_call_t* c[5];
  for (int k = 0; k < 4; k++) {
    c[k] = submit(&p, k, 0);
    ck_assert_int_eq(next_id(&p, 0), k);
    ck_assert_int_eq((int)(c[k]->host - p.hosts), k / 2); /* two calls fill host 0, then host 1 */
  }
  ck_assert_int_eq(p.busy, 8);
  rs_agent__pool_release(&p, c[1]->host, 1); /* room on host 0 again, while host 2 is idle */
  c[4] = submit(&p, 4, 1);
  ck_assert_int_eq(next_id(&p, 1), 4);
  ck_assert_int_eq((int)(c[4]->host - p.hosts), 0); /* the freed room first: calls stay packed */
  for (int k = 0; k < 5; k++)
    free(c[k]);
  rs_agent__pool_free(&p);
}
END_TEST

/* Two hosts of 4 cores, calls of 2 cores:
 *   t = 0  A, B, C start            busy 6
 *   t = 2  A ends                   busy 4
 *   t = 3  D starts                 busy 6
 *   t = 5  B and C end              busy 2
 *   t = 8  D ends                   busy 0
 * so 6 x 2 + 4 x 1 + 6 x 2 + 2 x 3 = 34 busy core-seconds by t = 10; a sample window opened at t = 4
 * holds 6 x 1 + 2 x 3 = 12 of them. */
START_TEST(busy_core_seconds_over_a_timeline)
{
  agent_pool_t p;
  pool_of(&p, 2, 4, 64, 2, 1);
  ck_assert_int_eq(p.cores, 8);
  agent_call_t *a = submit(&p, 0, 0), *b = submit(&p, 1, 0), *c = submit(&p, 2, 0);
  for (int k = 0; k < 3; k++)
    ck_assert_int_eq(next_id(&p, 0), k);
  ck_assert_int_eq(p.busy, 6);
  rs_agent__pool_release(&p, a->host, 2);
  agent_call_t* d = submit(&p, 3, 3);
  ck_assert_int_eq(next_id(&p, 3), 3);
  ck_assert_ptr_eq(d->host, a->host); /* the freed room */
  rs_agent__pool_account(&p, 4);
  ck_assert_double_eq_tol(p.total_core_s, 6 * 2 + 4 * 1 + 6 * 1, 1e-12);
  rs_agent__pool_new_window(&p);
  ck_assert_double_eq(p.busy_core_s, 0);
  rs_agent__pool_release(&p, b->host, 5);
  rs_agent__pool_release(&p, c->host, 5);
  rs_agent__pool_release(&p, d->host, 8);
  ck_assert_int_eq(p.busy, 0);
  rs_agent__pool_account(&p, 10);
  ck_assert_double_eq_tol(p.total_core_s, 34, 1e-12);
  ck_assert_double_eq_tol(p.busy_core_s, 12, 1e-12);
  ck_assert_double_eq_tol(p.total_core_s / (p.cores * 10.0), 34 / 80.0, 1e-12); /* the summary's utilisation */
  free(a);
  free(b);
  free(c);
  free(d);
  rs_agent__pool_free(&p);
}
END_TEST

/* A platform of CPU hosts only (no engine: the pool never touches their SimGrid hosts). */
static const rs_cpu_t cpus[] = {
    {NULL, "graviton4", 192, 44.8e9, 768 * GB, -1, 0}, {NULL, "graviton4", 192, 44.8e9, 768 * GB, -1, 0},
    {NULL, "grace", 72, 50e9, 480 * GB, 0, 0},         {NULL, "grace", 72, 50e9, 480 * GB, 1, 0},
    {NULL, "graviton4", 192, 44.8e9, 768 * GB, -1, 1},
};

START_TEST(pools_take_the_hosts_they_select)
{
  rs_platform_t plat = {.cpus = (rs_cpu_t*)cpus, .n_cpus = 5};
  int idx[5];
  rs_sc_pool_t fleet = {.name = "fleet", .cpu = "Graviton4", .placement = RS_PLACE_FLEET, .site = -1};
  ck_assert_int_eq(rs_agent__pool_select(&plat, &fleet, idx), 3);
  ck_assert_int_eq(idx[2], 4);
  fleet.site = 0;
  ck_assert_int_eq(rs_agent__pool_select(&plat, &fleet, idx), 2);
  rs_sc_pool_t racks = {.name = "grace", .placement = RS_PLACE_RACKS, .site = -1, .hosts = 1, .cores_per_host = 16};
  ck_assert_int_eq(rs_agent__pool_select(&plat, &racks, idx), 1);
  ck_assert_int_eq(idx[0], 2);
  agent_pool_t p;
  rs_agent__pool_load(&p, &plat, &racks, 4, 8 * GB, 0);
  ck_assert_int_eq(p.n_hosts, 1);
  ck_assert_int_eq(p.cores, 16); /* cores_per_host caps the host's 72 */
  ck_assert_ptr_eq(p.hosts[0].cpu, &cpus[2]);
  ck_assert_ptr_eq(p.cfg, &racks);
  ck_assert_int_eq(p.n_avail, 1);
  rs_agent__pool_free(&p);
}
END_TEST

static Suite* pool_suite(void)
{
  Suite* s    = suite_create("pool");
  TCase* fifo = tcase_create("queue");
  TCase* use  = tcase_create("utilisation");
  TCase* sel  = tcase_create("hosts");
  tcase_add_test(fifo, calls_start_in_fifo_order);
  tcase_add_test(fifo, a_call_waits_while_no_host_fits);
  tcase_add_test(fifo, hosts_pack_from_the_first_and_a_freed_host_goes_first);
  tcase_add_test(use, busy_core_seconds_over_a_timeline);
  tcase_add_test(sel, pools_take_the_hosts_they_select);
  suite_add_tcase(s, fifo);
  suite_add_tcase(s, use);
  suite_add_tcase(s, sel);
  return s;
}

RS_CHECK_MAIN(pool_suite)
