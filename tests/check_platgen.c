/* check_platgen.c -- tests of the platform generator through SimGrid's own routes: bandwidth and
 * latency between two GPUs in one NVLink domain, on one rail leaf, across the spine and across sites;
 * the PXN path across rails; real sharing of an oversubscribed leaf uplink; that the platform built in
 * the engine is the one its XML describes; and that no signal or refused load leaves a generated
 * platform in $TMPDIR. Each test forks. */
#include "check_util.h"
#include "hw/hw.h"
#include "hw/hw_int.h"

#include <check.h>
#include <signal.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <simgrid/zone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xbt/dict.h>
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
  spec.storage_hosts             = 2;
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
  ck_assert_int_eq(count[RS_LINK_STORAGE_NIC], 2 * 2 * 2); /* not GPU NICs, though named "-nic" too */
  ck_assert_int_eq(count[RS_LINK_WAN], 2);
  ck_assert_int_eq(count[RS_LINK_SPINE], 2);
  ck_assert_int_eq(count[RS_LINK_SWITCH_HOP], 2 * 2);
  ck_assert_str_eq(rs_link_class_name(RS_LINK_LEAF_UPLINK), "leaf_uplink");
  rs_platform_free(p);
}
END_TEST

/* ---- the built platform is its XML: every host, property, link, zone, route and index entry ---- */

/* Every property key the generator writes on a host (write_gpu, write_cpu). */
static const char* const host_keys[] = {"rs.role",
                                        "rs.model",
                                        "rs.domain",
                                        "rs.rack",
                                        "rs.local",
                                        "rs.site",
                                        "rs.pod",
                                        "rs.cpu",
                                        "rs.mem_gbytes",
                                        "rs.bf16_tflops",
                                        "rs.fp8_tflops",
                                        "rs.fp4_tflops",
                                        "rs.hbm_gbytes",
                                        "rs.hbm_tbytes_per_s",
                                        "rs.nvlink_gbytes_per_s",
                                        "rs.nic_gbits_per_s",
                                        "rs.tdp_watts",
                                        "wattage_per_state",
                                        "wattage_off"};
#define N_HOST_KEYS (int)(sizeof host_keys / sizeof host_keys[0])

/* Lines of text, sorted before printing so that SimGrid's storage order does not matter. */
typedef struct lines {
  char** v;
  size_t n;
} lines_t;

static void add_line(lines_t* l, char* line)
{
  l->v         = realloc(l->v, (l->n + 1) * sizeof *l->v);
  l->v[l->n++] = line;
}

static int cmp_str(const void* a, const void* b)
{
  return strcmp(*(char* const*)a, *(char* const*)b);
}

static void print_lines(lines_t* l, FILE* fp)
{
  if (l->n > 0)
    qsort(l->v, l->n, sizeof *l->v, cmp_str);
  for (size_t i = 0; i < l->n; i++) {
    fprintf(fp, "%s\n", l->v[i]);
    free(l->v[i]);
  }
  free(l->v);
  *l = (lines_t){0};
}

/* A host: its figures, the rs.* properties the index reads (from SimGrid for a loaded file, from the
 * host table for a built platform), and the properties SimGrid itself holds (the energy plugin's). */
static char* host_line(const rs_platform_t* p, const rs_host_view_t* v)
{
  char buf[4096];
  int n      = snprintf(buf, sizeof buf, "host %s speed=%.17g cores=%d pstates=%lu", v->name, v->speed, v->cores,
                        sg_host_get_nb_pstates(v->host));
  int stated = 0;
  for (int k = 0; k < N_HOST_KEYS; k++) {
    const char* val = p->gen ? v->prop(v, host_keys[k]) : sg_host_get_property_value(v->host, host_keys[k]);
    stated += val != NULL;
    if (val)
      n += snprintf(buf + n, sizeof buf - n, " %s=%s", host_keys[k], val);
  }
  xbt_dict_t sg = sg_host_get_properties(v->host);
  const char* w = sg_host_get_property_value(v->host, "wattage_per_state");
  const char* o = sg_host_get_property_value(v->host, "wattage_off");
  if (!p->gen) /* the file states no key the list above lacks */
    ck_assert_int_eq((int)xbt_dict_length(sg), stated);
  else /* a built host leaves SimGrid the energy plugin's wattage_per_state alone */
    ck_assert_int_eq((int)xbt_dict_length(sg), w != NULL);
  /* a built host leaves out wattage_off="0": the energy plugin's default, 0 W when off */
  snprintf(buf + n, sizeof buf - n, " | sg wattage_per_state=%s wattage_off=%s", w ? w : "-", o ? o : w ? "0" : "-");
  xbt_dict_free(&sg);
  return strdup(buf);
}

static void print_zone(const_sg_netzone_t z, const char* path, FILE* fp)
{
  static const char* const keys[] = {"rs.provider", "rs.oversubscription", "rs.hop_latency_us"};
  char here[512];
  snprintf(here, sizeof here, "%s/%s", path, sg_zone_get_name(z));
  xbt_dynar_t hosts = xbt_dynar_new(sizeof(sg_host_t), NULL);
  sg_zone_get_hosts(z, hosts);
  fprintf(fp, "zone %s hosts=%lu", here, xbt_dynar_length(hosts));
  xbt_dynar_free(&hosts);
  for (int k = 0; k < 3; k++) {
    const char* val = sg_zone_get_property_value(z, keys[k]);
    if (val)
      fprintf(fp, " %s=%s", keys[k], val);
  }
  fprintf(fp, "\n");
  xbt_dict_t sons = xbt_dict_new_homogeneous(NULL);
  sg_zone_get_sons(z, sons);
  xbt_dict_cursor_t c = NULL;
  char* key;
  sg_netzone_t son;
  lines_t names = {0};
  xbt_dict_foreach(sons, c, key, son) add_line(&names, strdup(key));
  if (names.n > 0)
    qsort(names.v, names.n, sizeof *names.v, cmp_str);
  for (size_t i = 0; i < names.n; i++) {
    print_zone(xbt_dict_get_or_null(sons, names.v[i]), here, fp);
    free(names.v[i]);
  }
  free(names.v);
  xbt_dict_free(&sons);
}

static void print_index(const rs_platform_t* p, FILE* fp)
{
  fprintf(fp, "index gpus=%d cpus=%d domains=%d sites=%d models=%d oversubscription=%.17g\n", p->n_gpus, p->n_cpus,
          p->n_domains, p->n_sites, p->n_models, p->oversubscription);
  for (int m = 0; m < p->n_models; m++) {
    const rs_gpu_model_t* g = &p->models[m];
    fprintf(fp, "model %s %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n", g->name, g->peak_flops[0],
            g->peak_flops[1], g->peak_flops[2], g->hbm_bytes, g->hbm_bytes_per_s, g->nvlink_bytes_per_s,
            g->nic_bytes_per_s, g->tdp_watts, g->idle_watts);
  }
  for (int i = 0; i < p->n_gpus; i++) {
    const rs_gpu_t* g = &p->gpus[i];
    fprintf(fp, "gpu %s %s d=%d r=%d l=%d s=%d p=%d cpu=%d\n", sg_host_get_name(g->host), g->model->name, g->domain,
            g->rack, g->local, g->site, g->pod, g->cpu);
  }
  for (int i = 0; i < p->n_cpus; i++) {
    const rs_cpu_t* c = &p->cpus[i];
    fprintf(fp, "cpu %s %s cores=%d %.17g mem=%.17g r=%d s=%d\n", c->name, c->model, c->cores, c->core_flops,
            c->mem_bytes, c->rack, c->site);
  }
  for (int i = 0; i < p->n_storage; i++)
    fprintf(fp, "storage %s s=%d %.17g\n", p->storage[i].name, p->storage[i].site, p->storage[i].bytes_per_s);
}

/* The routes between every pair of a sample of hosts, and from each to itself (the loopback): links in
 * order, latency. */
typedef struct route_dump {
  FILE* fp;
  sg_host_t* hosts;
  size_t n;
} route_dump_t;

static void dump_routes(int argc, char** argv)
{
  route_dump_t* d = sg_actor_self_get_data();
  for (size_t i = 0; i < d->n; i++)
    for (size_t j = 0; j < d->n; j++) {
      xbt_dynar_t links = xbt_dynar_new(sizeof(sg_link_t), NULL);
      sg_host_get_route(d->hosts[i], d->hosts[j], links);
      fprintf(d->fp, "route %s %s lat=%.17g:", sg_host_get_name(d->hosts[i]), sg_host_get_name(d->hosts[j]),
              sg_host_get_route_latency(d->hosts[i], d->hosts[j]));
      for (unsigned long k = 0; k < xbt_dynar_length(links); k++)
        fprintf(d->fp, " %s", sg_link_get_name(xbt_dynar_get_as(links, k, sg_link_t)));
      fprintf(d->fp, "\n");
      xbt_dynar_free(&links);
    }
}

/* Everything a run can see of the platform of spec, built (xml 0) or loaded from its XML (xml 1). */
static void fingerprint(rs_platgen_spec_t spec, int xml, FILE* fp)
{
  rs_platform_t* p      = xml ? rs_test_generate_xml(spec) : rs_test_generate(spec);
  size_t n              = sg_host_count();
  sg_host_t* all        = sg_host_list();
  rs_host_view_t* views = p->gen ? rs_hw__gen_views(p->gen) : calloc(n, sizeof *views);
  if (p->gen)
    ck_assert_uint_eq(p->gen->n_hosts, n);
  lines_t l = {0};
  for (size_t i = 0; i < n; i++) {
    if (!p->gen)
      views[i] = (rs_host_view_t){.host  = all[i],
                                  .name  = sg_host_get_name(all[i]),
                                  .speed = sg_host_get_speed(all[i]),
                                  .cores = sg_host_core_count(all[i])};
    add_line(&l, host_line(p, &views[i]));
  }
  free(views);
  print_lines(&l, fp);
  size_t n_links   = sg_link_count();
  sg_link_t* links = sg_link_list();
  for (size_t i = 0; i < n_links; i++) {
    char buf[512];
    snprintf(buf, sizeof buf, "link %s bw=%.17g lat=%.17g policy=%d", sg_link_get_name(links[i]),
             sg_link_get_bandwidth(links[i]), sg_link_get_latency(links[i]), sg_link_is_shared(links[i]));
    add_line(&l, strdup(buf));
  }
  free(links);
  print_lines(&l, fp);
  print_zone(sg_zone_get_root(), "", fp);
  print_index(p, fp);
  /* every 7th GPU and CPU, then the routes between them, from inside the simulation (sealed zones); not
   * the CPUs of a PCIe server, which have no route at all (racksim models no PCIe path) */
  route_dump_t d = {fp, malloc(n * sizeof(sg_host_t)), 0};
  for (int i = 0; i < p->n_gpus; i += 7)
    d.hosts[d.n++] = p->gpus[i].host;
  for (int i = 0; i < p->n_cpus; i += 7)
    if (spec.server->c2c || p->cpus[i].rack < 0)
      d.hosts[d.n++] = p->cpus[i].host;
  for (int i = 0; i < p->n_storage; i++)
    d.hosts[d.n++] = p->storage[i].host;
  sg_actor_t a = sg_actor_init("routes", all[0]);
  sg_actor_set_data(a, &d);
  sg_actor_start(a, dump_routes, 0, NULL);
  simgrid_run();
  free(d.hosts);
  free(all);
  rs_platform_free(p);
}

/* The fingerprint of spec's platform, built or loaded, from a child process (one engine per process). */
static char* fingerprint_of(rs_platgen_spec_t spec, int xml)
{
  char path[] = "/tmp/rs-check-platgen-XXXXXX";
  int fd      = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  pid_t pid = fork();
  if (pid == 0) {
    FILE* fp = fdopen(fd, "w");
    fingerprint(spec, xml, fp);
    fclose(fp);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the %s fingerprint failed", xml ? "XML" : "built");
  FILE* fp = fdopen(fd, "r");
  fseek(fp, 0, SEEK_END);
  long len = ftell(fp);
  rewind(fp);
  char* text = calloc((size_t)len + 1, 1);
  ck_assert_int_eq(fread(text, 1, (size_t)len, fp), (size_t)len);
  fclose(fp);
  unlink(path);
  return text;
}

static void assert_built_is_xml(rs_platgen_spec_t spec)
{
  char* built = fingerprint_of(spec, 0);
  char* xml   = fingerprint_of(spec, 1);
  ck_assert_int_gt(strlen(xml), 10000); /* something was compared */
  ck_assert_ptr_nonnull(strstr(xml, "\nroute "));
  if (strcmp(built, xml) != 0) { /* name the first line that differs */
    size_t i = 0, line = 1;
    for (; built[i] == xml[i]; i++)
      line += built[i] == '\n';
    size_t from = i;
    while (from > 0 && xml[from - 1] != '\n')
      from--;
    ck_abort_msg("line %zu differs: XML '%.200s' built '%.200s'", line, xml + from, built + from);
  }
  free(built);
  free(xml);
}

/* Two sites of two providers, two pods each (the second one short), a CPU fleet, a storage tier whose
 * bandwidth "%g" rounds, 2:1 uplinks. */
START_TEST(built_gb200_cluster_is_its_xml)
{
  rs_platgen_spec_t spec   = rs_platgen_default(rs_hw_server("u-p6e-gb200x72"), 3);
  spec.servers_per_pod     = 2;
  spec.oversubscription    = 2;
  spec.sites               = 2;
  spec.providers           = "aws,gcp";
  spec.wan_gbits_per_s     = 100;
  spec.wan_latency_ms      = 12.5;
  spec.cpu_hosts           = 3;
  spec.storage_hosts       = 2;
  spec.storage_gbits_per_s = 100.0 / 3;
  assert_built_is_xml(spec);
}
END_TEST

/* PCIe servers (no C2C), 3:1 uplinks whose bandwidth "%g" rounds, an odd hop latency, no fleet. */
START_TEST(built_hgx_cluster_is_its_xml)
{
  rs_platgen_spec_t spec = rs_platgen_default(rs_hw_server("p5.48xlarge"), 5);
  spec.servers_per_pod   = 2;
  spec.oversubscription  = 3;
  spec.hop_latency_us    = 1.3;
  assert_built_is_xml(spec);
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
  tc = tcase_create("built");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, built_gb200_cluster_is_its_xml);
  tcase_add_test(tc, built_hgx_cluster_is_its_xml);
  suite_add_tcase(s, tc);
  tc = tcase_create("cleanup");
  tcase_add_loop_test(tc, generated_platform_never_left_behind, 0, 4);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(platgen_suite)
