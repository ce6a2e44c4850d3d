/* check_platgen.c -- tests of the platform generator through SimGrid's own routes: bandwidth and
 * latency between two GPUs in one NVLink domain, on one rail leaf, across the spine and across sites;
 * the PXN path across rails; real sharing of an oversubscribed leaf uplink; and that no signal or
 * refused load leaves a generated platform in $TMPDIR. Each test forks. */
#include "check_util.h"
#include "hw/hw.h"

#include <check.h>
#include <signal.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xbt/dynar.h>

#define GB 1e9
#define US 1e-6

/* GPU `local` of server `us` (servers are contiguous NVLink domains in the index). */
static sg_host_t gpu(const rs_platform_t* p, int us, int local)
{
  const rs_gpu_t* g = &p->gpus[us * 72 + local];
  ck_assert_int_eq(g->domain, us);
  ck_assert_int_eq(g->local, local);
  return g->host;
}

typedef struct route_probe {
  sg_host_t src, dst;
  double bw, lat;
  int links;
  char names[1024];
} route_probe_t;

static void probe(int argc, char** argv)
{
  route_probe_t* r = sg_actor_self_get_data();
  for (; r->src != NULL; r++) {
    r->bw             = sg_host_get_route_bandwidth(r->src, r->dst);
    r->lat            = sg_host_get_route_latency(r->src, r->dst);
    xbt_dynar_t links = xbt_dynar_new(sizeof(sg_link_t), NULL);
    sg_host_get_route(r->src, r->dst, links);
    r->links = (int)xbt_dynar_length(links);
    for (int i = 0; i < r->links; i++)
      snprintf(r->names + strlen(r->names), sizeof r->names - strlen(r->names), "%s ",
               sg_link_get_name(xbt_dynar_get_as(links, i, sg_link_t)));
    xbt_dynar_free(&links);
  }
}

/* Routes are sealed inside simgrid_run: query them from an actor. probes ends with a NULL src. */
static void run_probes(route_probe_t* probes)
{
  sg_actor_t a = sg_actor_init("probe", probes[0].src);
  sg_actor_set_data(a, probes);
  sg_actor_start(a, probe, 0, NULL);
  simgrid_run();
}

START_TEST(routes_of_a_two_pod_cluster)
{
  rs_platgen_spec_t spec = rs_platgen_default(rs_hw_server("u-p6e-gb200x72"), 4);
  spec.servers_per_pod   = 2;
  rs_platform_t* p       = rs_test_generate(spec);
  ck_assert_int_eq(p->n_gpus, 4 * 72);
  ck_assert_int_eq(p->n_domains, 4);
  route_probe_t r[] = {{gpu(p, 0, 3), gpu(p, 0, 40)}, /* one NVLink domain */
                       {gpu(p, 0, 5), gpu(p, 1, 5)},  /* same pod, same rail: one leaf */
                       {gpu(p, 0, 5), gpu(p, 2, 5)},  /* other pod: leaf, spine, leaf */
                       {gpu(p, 0, 5), gpu(p, 1, 9)},  /* same pod, other rail: NVLink to rail 9, then its leaf (PXN) */
                       {NULL, NULL}};
  run_probes(r);
  ck_assert_double_eq_tol(r[0].bw, 900 * GB, 1);
  ck_assert_double_eq_tol(r[0].lat, 0, 1e-12);
  ck_assert_int_eq(r[0].links, 2);
  ck_assert_double_eq_tol(r[1].bw, 50 * GB, 1);     /* 400 Gb/s NIC */
  ck_assert_double_eq_tol(r[1].lat, 2 * US, 1e-12); /* one switch hop */
  ck_assert_msg(strstr(r[1].names, "nvlink") == NULL && strstr(r[1].names, "-up") == NULL, "%s", r[1].names);
  ck_assert_double_eq_tol(r[2].bw, 50 * GB, 1);
  ck_assert_double_eq_tol(r[2].lat, 3 * 2 * US, 1e-12); /* leaf, spine, leaf */
  ck_assert_msg(strstr(r[2].names, "s0-pod0-rail5-up") && strstr(r[2].names, "s0-pod1-rail5-up"), "%s", r[2].names);
  ck_assert_msg(strstr(r[3].names, "us0-gpu9-nvlink") && strstr(r[3].names, "us0-gpu9-nic"), "%s", r[3].names);
  ck_assert_msg(strstr(r[3].names, "-up") == NULL, "cross-rail traffic climbed the spine: %s", r[3].names);
  rs_platform_free(p);
}
END_TEST

START_TEST(sites_are_joined_by_the_wan)
{
  rs_platgen_spec_t spec = rs_platgen_default(rs_hw_server("u-p6e-gb200x72"), 1);
  spec.sites             = 2;
  spec.wan_gbits_per_s   = 100;
  spec.wan_latency_ms    = 10;
  spec.cpu_hosts         = 3;
  rs_platform_t* p       = rs_test_generate(spec);
  ck_assert_int_eq(p->n_sites, 2);
  ck_assert_int_eq(p->n_cpus, 2 * (36 + 3));
  sg_host_t fleet = NULL;
  for (int i = 0; i < p->n_cpus && !fleet; i++)
    if (p->cpus[i].rack < 0 && p->cpus[i].site == 0)
      fleet = p->cpus[i].host;
  ck_assert_ptr_nonnull(fleet);
  route_probe_t r[] = {{gpu(p, 0, 0), gpu(p, 1, 0)}, {fleet, gpu(p, 0, 7)}, {NULL, NULL}};
  run_probes(r);
  ck_assert_double_eq_tol(r[0].bw, 100 * GB / 8, 1);
  ck_assert_double_eq_tol(r[0].lat, 10e-3 + 6 * US, 1e-9); /* WAN plus climbing and descending both fabrics */
  ck_assert_double_eq_tol(r[1].bw, 50 * GB / 8, 1);        /* Graviton4 instance network, 50 Gb/s */
  ck_assert_msg(strstr(r[1].names, "s0-pod0-rail7-up"), "fleet traffic bypassed the leaf uplink: %s", r[1].names);
  rs_platform_free(p);
}
END_TEST

/* ---- sharing: flows from two servers of pod 0 to pod 1 on one rail share that rail's uplink ---- */

static void flow(int argc, char** argv)
{
  sg_host_t* pair = sg_actor_self_get_data();
  sg_host_sendto(pair[0], pair[1], 1 * GB);
}

static double two_flows_time(double oversubscription)
{
  rs_platgen_spec_t spec = rs_platgen_default(rs_hw_server("u-p6e-gb200x72"), 4);
  spec.servers_per_pod   = 2;
  spec.oversubscription  = oversubscription;
  rs_platform_t* p       = rs_test_generate(spec);
  static sg_host_t pairs[2][2];
  pairs[0][0] = gpu(p, 0, 0), pairs[0][1] = gpu(p, 2, 0);
  pairs[1][0] = gpu(p, 1, 0), pairs[1][1] = gpu(p, 3, 0);
  for (int i = 0; i < 2; i++) {
    sg_actor_t a = sg_actor_init("flow", pairs[i][0]);
    sg_actor_set_data(a, pairs[i]);
    sg_actor_start(a, flow, 0, NULL);
  }
  simgrid_run();
  rs_platform_free(p);
  return simgrid_get_clock();
}

START_TEST(non_blocking_fabric_gives_each_flow_its_nic)
{
  /* uplink = 2 servers x 400 Gb/s = 100 GB/s: each flow keeps its NIC's 50 GB/s */
  ck_assert_double_eq_tol(two_flows_time(1), 1 * GB / (50 * GB) + 6 * US, 1e-9);
}
END_TEST

START_TEST(oversubscribed_uplink_is_shared)
{
  /* 2:1 -> uplink 50 GB/s for two flows: each gets half */
  ck_assert_double_eq_tol(two_flows_time(2), 1 * GB / (25 * GB) + 6 * US, 1e-9);
}
END_TEST

/* Every link the generator writes has a class (only SimGrid's own loopback has none), and each class
 * has the links the cluster should have: two halves per split-duplex link. */
START_TEST(every_generated_link_has_a_class)
{
  rs_platgen_spec_t spec         = rs_platgen_default(rs_hw_server("u-p6e-gb200x72"), 2);
  spec.sites                     = 2;
  spec.cpu_hosts                 = 3;
  rs_platform_t* p               = rs_test_generate(spec);
  int count[RS_LINK_CLASS_COUNT] = {0};
  size_t n                       = sg_link_count();
  sg_link_t* links               = sg_link_list();
  for (size_t i = 0; i < n; i++) {
    rs_link_class_t c = rs_platform_link_class(sg_link_get_name(links[i]));
    ck_assert_msg(c != RS_LINK_OTHER || strcmp(sg_link_get_name(links[i]), "__loopback__") == 0, "%s has no class",
                  sg_link_get_name(links[i]));
    count[c]++;
  }
  free(links);
  int gpus = 2 * 2 * 72, cpus = 2 * 2 * 36;
  ck_assert_int_eq(count[RS_LINK_NVLINK], 2 * gpus);
  ck_assert_int_eq(count[RS_LINK_NIC], 2 * gpus);
  ck_assert_int_eq(count[RS_LINK_C2C], 2 * 2 * cpus); /* each Grace feeds two GPUs */
  ck_assert_int_eq(count[RS_LINK_CPU_MEMORY], cpus);
  ck_assert_int_eq(count[RS_LINK_LEAF_UPLINK], 2 * 2 * 72); /* one per rail per pod (one pod per site) */
  ck_assert_int_eq(count[RS_LINK_FLEET_NIC], 2 * 2 * 3);
  ck_assert_int_eq(count[RS_LINK_WAN], 2);
  ck_assert_int_eq(count[RS_LINK_SPINE], 2);
  ck_assert_int_eq(count[RS_LINK_SWITCH_HOP], 2 * 2);
  ck_assert_str_eq(rs_link_class_name(RS_LINK_LEAF_UPLINK), "leaf_uplink");
  rs_platform_free(p);
}
END_TEST

START_TEST(bad_specs_are_refused)
{
  rs_err_t err           = {{0}};
  rs_platgen_spec_t spec = rs_platgen_default(rs_hw_server("p5.48xlarge"), 2);
  spec.oversubscription  = 0.5;
  ck_assert_int_eq(rs_platgen_write(stdout, &spec, &err), RS_ERR);
  ck_assert_str_eq(err.msg, "oversubscription must be at least 1, got 0.5");
  spec = rs_platgen_default(rs_hw_server("p5.48xlarge"), 0);
  ck_assert_int_eq(rs_platgen_write(stdout, &spec, &err), RS_ERR);
}
END_TEST

/* A fresh, empty $TMPDIR for a generated platform; the caller removes it once it is empty. */
static void fresh_tmpdir(char* dir, size_t size)
{
  snprintf(dir, size, "/tmp/rs-check-platgen-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  setenv("TMPDIR", dir, 1);
}

/* Forks a child that generates a platform into $TMPDIR, then loads load (or nothing when NULL) or raises
 * sig; returns the child's wait status. */
static int generate_then(int sig, const char* load)
{
  fflush(NULL);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    rs_err_t err           = {{0}};
    rs_platgen_spec_t spec = rs_platgen_default(rs_hw_server("p5.48xlarge"), 2);
    char* file             = rs_platgen_temp(&spec, &err);
    if (file == NULL)
      _exit(3);
    if (load) {
      rs_test_simgrid_init();
      rs_platform_t* p = NULL;
      rs_platform_load(load, &p, &err); /* SimGrid aborts on it: racksim exits 2 from its handler */
      _exit(4);
    }
    raise(sig);
    _exit(5);
  }
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  return st;
}

/* A signal while a generated platform exists, or SimGrid refusing the platform racksim loads next,
 * leaves nothing in $TMPDIR. */
START_TEST(generated_platform_never_left_behind)
{
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  char dir[64];
  fresh_tmpdir(dir, sizeof dir);
  int st = _i < 3 ? generate_then(sigs[_i], NULL) : generate_then(0, RS_SOURCE_DIR "/tests/bad/platform-bad.xml");
  if (_i < 3)
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == sigs[_i], "status %d, not signal %d", st, sigs[_i]);
  else
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == RS_EXIT_INPUT, "status %d, not exit 2", st);
  ck_assert_msg(rmdir(dir) == 0, "%s is not empty: the generated platform was left behind", dir);
}
END_TEST

static Suite* platgen_suite(void)
{
  Suite* s  = suite_create("platgen");
  TCase* tc = tcase_create("routes");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, routes_of_a_two_pod_cluster);
  tcase_add_test(tc, sites_are_joined_by_the_wan);
  suite_add_tcase(s, tc);
  tc = tcase_create("sharing");
  tcase_add_test(tc, non_blocking_fabric_gives_each_flow_its_nic);
  tcase_add_test(tc, oversubscribed_uplink_is_shared);
  tcase_add_test(tc, bad_specs_are_refused);
  tcase_add_test(tc, every_generated_link_has_a_class);
  suite_add_tcase(s, tc);
  tc = tcase_create("cleanup");
  tcase_add_loop_test(tc, generated_platform_never_left_behind, 0, 4);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(platgen_suite)
