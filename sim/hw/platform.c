/* platform.c -- loading a SimGrid platform safely and indexing its hosts by role.
 * SimGrid 3.32 aborts on a malformed file after printing "Parse error at FILE:LINE: ..." on stderr;
 * loading therefore runs with stderr sent to a temporary file and SIGABRT caught, so that bad input
 * ends with one clean message and exit code 2, as for every other input. See LICENSE. */
#define _GNU_SOURCE
#include "hw/hw_int.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <simgrid/zone.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xbt/dict.h>
#include <xbt/log.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

/* ---- loading ----------------------------------------------------------------------------------- */

static int load_saved_stderr = -1; /* the real stderr while SimGrid parses */
static int load_capture      = -1; /* where SimGrid's messages go meanwhile */
static const char* load_file;

/* Called when SimGrid aborts on the file: report its first error line cleanly and exit 2.
 * SimGrid's line reads "... Parse error at FILE:LINE: WHAT" (or "... ERROR] WHAT" for other errors). */
static void on_load_abort(int sig)
{
  static char buf[16384]; /* SimGrid's line names the file, which may be PATH_MAX long */
  ssize_t n          = pread(load_capture, buf, sizeof buf - 1, 0);
  buf[n > 0 ? n : 0] = '\0';
  char* what         = strstr(buf, "error at ");
  size_t file_len    = strlen(load_file);
  int line           = 0;
  if (what && strncmp(what + 9, load_file, file_len) == 0 && sscanf(what + 9 + file_len, ":%d: ", &line) == 1) {
    what = strstr(what + 9 + file_len + 1, ": "); /* NULL if the line was cut short */
    what = what ? what + 2 : NULL;
  } else if ((what = strstr(buf, "ERROR] ")) != NULL || (what = strstr(buf, "CRITICAL] ")) != NULL) {
    what = strstr(what, "] ") + 2;
    if (strncmp(what, "Uncaught exception", 18) == 0 && strstr(what, ": ") != NULL)
      what = strstr(what, ": ") + 2;
  }
  if (what)
    what[strcspn(what, "\n")] = '\0';
  dup2(load_saved_stderr, 2);
  if (line > 0)
    dprintf(2, "racksim: %s:%d: not a platform SimGrid can load: %s\n", load_file, line,
            what && *what ? what : "SimGrid stopped while reading it");
  else
    dprintf(2, "racksim: %s: not a platform SimGrid can load: %s\n", load_file,
            what ? what : "SimGrid stopped while reading it");
  rs_cleanup_now(); /* a generated platform, the outputs opened for a trace: nothing may stay */
  _exit(RS_EXIT_INPUT);
}

static int precheck_file(const char* file, rs_err_t* err)
{
  FILE* fp = fopen(file, "rb");
  if (fp == NULL)
    return rs_err_set(err, "%s: cannot open the platform: %s", file, strerror(errno));
  char buf[512];
  size_t n = fread(buf, 1, sizeof buf, fp);
  fclose(fp);
  if (n == 0)
    return rs_err_set(err, "%s: the platform file is empty: expected SimGrid platform XML", file);
  if (memchr(buf, '\0', n) != NULL || strstr(buf, "<?xml") == NULL)
    return rs_err_set(err, "%s:1: not a SimGrid platform: expected XML starting with <?xml ...?>", file);
  return RS_OK;
}

/* Checks one whole <link ...> tag that starts on line: SimGrid 3.32 keeps a SPLITDUPLEX link's state
 * profile on the pair and hands its events to both halves, which own none of them: the first one
 * aborts the run ("Unknown event!", SIGABRT). Bandwidth and latency profiles go to each half and work. */
static int check_link_tag(const char* file, int line, const char* tag, rs_err_t* err)
{
  const char* at = strstr(tag, "state_file");
  if (strstr(tag, "SPLITDUPLEX") == NULL || at == NULL || (at[10] != '=' && at[10] != ' '))
    return RS_OK;
  const char* id = strstr(tag, "id=");
  int id_len     = id ? (int)strcspn(id + 4, "\"'") : 0;
  return rs_err_at(err, file, line, "state_file",
                   "link %.*s: expected no state profile on a SPLITDUPLEX link (SimGrid 3.32 aborts when it fires; "
                   "make the link SHARED, or take it down with the scenario's failures section), got %.*s",
                   id_len, id ? id + 4 : "", (int)strcspn(at, " />"), at);
}

/* Finds every <link ...> tag of file (one may span lines) for check_link_tag. */
static int check_link_profiles(const char* file, rs_err_t* err)
{
  FILE* fp = fopen(file, "r");
  if (fp == NULL)
    return RS_OK; /* SimGrid says why */
  char *line = NULL, *tag = NULL;
  size_t cap = 0, tag_len = 0;
  int n = 0, tag_line = 0, rc = RS_OK;
  while (rc == RS_OK && getline(&line, &cap, fp) > 0) {
    n++;
    for (const char* p = line; rc == RS_OK && p && *p;) {
      if (tag == NULL) {
        p = strstr(p, "<link");
        if (p == NULL || p[5] == '_') { /* <link_ctn> names a link, it declares none */
          p = p ? p + 5 : NULL;
          continue;
        }
        tag      = xbt_strdup("");
        tag_len  = 0;
        tag_line = n;
      }
      const char* end = strchr(p, '>');
      size_t len      = end ? (size_t)(end - p) : strlen(p);
      tag             = xbt_realloc(tag, tag_len + len + 1);
      memcpy(tag + tag_len, p, len);
      tag[tag_len += len] = '\0';
      if (end == NULL)
        break;
      rc = check_link_tag(file, tag_line, tag, err);
      free(tag);
      tag = NULL;
      p   = end + 1;
    }
  }
  free(tag);
  free(line);
  fclose(fp);
  return rc;
}

static int load_into_simgrid(const char* file, rs_err_t* err)
{
  char tmpl[]  = "/tmp/racksim-platform-XXXXXX";
  load_capture = mkstemp(tmpl);
  if (load_capture < 0)
    return rs_err_set(err, "cannot create a temporary file: %s", strerror(errno));
  unlink(tmpl);
  fflush(stderr);
  load_saved_stderr = dup(2);
  load_file         = file;
  xbt_log_control_set("xbt_exception.thres:error"); /* its messages are the reason we report */
  dup2(load_capture, 2);
  struct sigaction sa = {.sa_handler = on_load_abort}, old;
  sigaction(SIGABRT, &sa, &old);
  simgrid_load_platform(file);
  sigaction(SIGABRT, &old, NULL);
  fflush(stderr);
  dup2(load_saved_stderr, 2);
  close(load_saved_stderr);
  close(load_capture);
  return RS_OK;
}

/* ---- indexing ---------------------------------------------------------------------------------- */

/* Integer properties (rs.domain, rs.rack, rs.local, rs.pod) must fit an int with room to compare;
 * rs.site numbers per-site arrays (power, prices), so it stays small (the generator makes at most 64). */
#define MAX_INT_PROP 1e8
#define MAX_SITE 1024

static int prop_num(const rs_host_view_t* h, const char* key, double* v, rs_err_t* err)
{
  const char* text = h->prop(h, key);
  char* end;
  if (text == NULL)
    return rs_err_set(err, "host %s: missing property %s", h->name, key);
  *v = strtod(text, &end);
  if (end == text || *end != '\0' || !isfinite(*v) || *v < 0)
    return rs_err_set(err, "host %s: property %s: expected a non-negative finite number, got '%s'", h->name, key, text);
  return RS_OK;
}

/* A figure racksim divides by: zero would give infinite times, so it is refused here. */
static int prop_positive(const rs_host_view_t* h, const char* key, double* v, rs_err_t* err)
{
  if (prop_num(h, key, v, err) != RS_OK)
    return RS_ERR;
  if (*v == 0)
    return rs_err_set(err, "host %s: property %s: expected a positive number, got 0", h->name, key);
  return RS_OK;
}

/* A whole number from 0 to below max: a fraction or a huge value would be cut silently by the cast. */
static int prop_int_below(const rs_host_view_t* h, const char* key, double max, int* v, rs_err_t* err)
{
  double d = 0;
  if (prop_num(h, key, &d, err) != RS_OK)
    return RS_ERR;
  if (d != floor(d) || d >= max)
    return rs_err_set(err, "host %s: property %s: expected an integer from 0 to %.0f, got '%s'", h->name, key, max - 1,
                      h->prop(h, key));
  *v = (int)d;
  return RS_OK;
}

static int prop_int(const rs_host_view_t* h, const char* key, int* v, rs_err_t* err)
{
  return prop_int_below(h, key, MAX_INT_PROP, v, err);
}

/* The idle power of SimGrid's wattage_per_state ("idle:full" or "idle:epsilon:full"), 0 when absent. */
static int idle_watts(const rs_host_view_t* h, double* w, rs_err_t* err)
{
  const char* watts = h->prop(h, "wattage_per_state");
  *w                = watts ? strtod(watts, NULL) : 0;
  if (!isfinite(*w) || *w < 0)
    return rs_err_set(err, "host %s: property wattage_per_state: expected non-negative finite watts, got '%s'", h->name,
                      watts);
  return RS_OK;
}

/* Reads the figures a GPU host states into m; RS_ERR when one is missing or malformed. */
static int read_figures(const rs_host_view_t* h, rs_gpu_model_t* m, rs_err_t* err)
{
  double bf16, fp8, fp4, hbm, hbm_bw, nvl, nic;
  if (prop_positive(h, "rs.bf16_tflops", &bf16, err) || prop_num(h, "rs.fp8_tflops", &fp8, err) ||
      prop_num(h, "rs.fp4_tflops", &fp4, err) || prop_positive(h, "rs.hbm_gbytes", &hbm, err) ||
      prop_positive(h, "rs.hbm_tbytes_per_s", &hbm_bw, err) || prop_num(h, "rs.nvlink_gbytes_per_s", &nvl, err) ||
      prop_num(h, "rs.nic_gbits_per_s", &nic, err) || prop_positive(h, "rs.tdp_watts", &m->tdp_watts, err) ||
      idle_watts(h, &m->idle_watts, err))
    return RS_ERR;
  m->peak_flops[RS_PREC_BF16] = bf16 * 1e12;
  m->peak_flops[RS_PREC_FP8]  = fp8 * 1e12;
  m->peak_flops[RS_PREC_FP4]  = fp4 * 1e12;
  m->hbm_bytes                = hbm * 1e9;
  m->hbm_bytes_per_s          = hbm_bw * 1e12;
  m->nvlink_bytes_per_s       = nvl * 1e9;
  m->nic_bytes_per_s          = nic * 1e9 / 8;
  return RS_OK;
}

/* The model of GPU host h. Its figures are read from the first host of the model that states them;
 * every other host that states them must agree (generated platforms state them once per server). */
static int gpu_model(rs_platform_t* p, const rs_host_view_t* h, int* index, rs_err_t* err)
{
  const char* name = h->prop(h, "rs.model");
  if (name == NULL)
    return rs_err_set(err, "host %s: missing property rs.model", h->name);
  int states       = h->prop(h, "rs.bf16_tflops") != NULL;
  rs_gpu_model_t m = {.name = (char*)name};
  if (states && read_figures(h, &m, err) != RS_OK)
    return RS_ERR;
  for (int i = 0; i < p->n_models; i++) {
    rs_gpu_model_t* known = &p->models[i];
    if (strcmp(known->name, name) != 0)
      continue;
    *index = i;
    if (!states)
      return RS_OK;
    if (known->tdp_watts == 0) { /* first host stating them */
      m.name = known->name;
      *known = m;
      return RS_OK;
    }
    if (memcmp(known->peak_flops, m.peak_flops, sizeof m.peak_flops) || known->hbm_bytes != m.hbm_bytes ||
        known->hbm_bytes_per_s != m.hbm_bytes_per_s || known->nvlink_bytes_per_s != m.nvlink_bytes_per_s ||
        known->nic_bytes_per_s != m.nic_bytes_per_s || known->tdp_watts != m.tdp_watts)
      return rs_err_set(err, "host %s: its %s figures differ from another %s's: one model, one set of figures", h->name,
                        name, name);
    return RS_OK;
  }
  m.name                 = xbt_strdup(name);
  p->models              = xbt_realloc(p->models, (p->n_models + 1) * sizeof *p->models);
  p->models[p->n_models] = m;
  *index                 = p->n_models++;
  return RS_OK;
}

static int index_gpu(rs_platform_t* p, const rs_host_view_t* h, int view, rs_err_t* err)
{
  rs_gpu_t* g = &p->gpus[p->n_gpus];
  g->host     = h->host;
  /* models may move when it grows: store the index now, the pointer once all are read */
  int m = 0;
  if (gpu_model(p, h, &m, err) || prop_int(h, "rs.domain", &g->domain, err) || prop_int(h, "rs.rack", &g->rack, err) ||
      prop_int(h, "rs.local", &g->local, err) || prop_int_below(h, "rs.site", MAX_SITE, &g->site, err))
    return RS_ERR;
  g->pod = -1; /* optional: platforms made before pods were stated */
  if (h->prop(h, "rs.pod") && prop_int(h, "rs.pod", &g->pod, err))
    return RS_ERR;
  g->model = (const rs_gpu_model_t*)(intptr_t)m;
  /* until resolve_gpu_cpus: the host's index among the views, to find its rs.cpu again after sorting */
  g->cpu = view;
  p->n_gpus++;
  return RS_OK;
}

static int index_cpu(rs_platform_t* p, const rs_host_view_t* h, rs_err_t* err)
{
  rs_cpu_t* c   = &p->cpus[p->n_cpus];
  c->host       = h->host;
  c->name       = h->name;
  c->model      = h->prop(h, "rs.model");
  c->cores      = h->cores;
  c->core_flops = h->speed;
  double mem;
  if (c->model == NULL)
    return rs_err_set(err, "host %s: missing property rs.model", h->name);
  c->rack = -1; /* CPU fleet hosts stand in no rack */
  if (prop_num(h, "rs.mem_gbytes", &mem, err) || prop_int_below(h, "rs.site", MAX_SITE, &c->site, err) ||
      (h->prop(h, "rs.rack") && prop_int(h, "rs.rack", &c->rack, err)))
    return RS_ERR;
  c->mem_bytes = mem * 1e9;
  p->n_cpus++;
  return RS_OK;
}

/* A host of the storage tier: its site and its NIC's bandwidth. */
static int index_storage(rs_platform_t* p, const rs_host_view_t* h, rs_err_t* err)
{
  rs_storage_t* s = &p->storage[p->n_storage];
  double gbits;
  s->host = h->host;
  s->name = h->name;
  if (prop_int_below(h, "rs.site", MAX_SITE, &s->site, err) || prop_positive(h, "rs.nic_gbits_per_s", &gbits, err))
    return RS_ERR;
  s->bytes_per_s = gbits * 1e9 / 8;
  p->n_storage++;
  return RS_OK;
}

static int cmp_int(int a, int b)
{
  return (a > b) - (a < b);
}

static int cmp_gpu(const void* a, const void* b)
{
  const rs_gpu_t *x = a, *y = b;
  if (x->site != y->site)
    return cmp_int(x->site, y->site);
  if (x->domain != y->domain)
    return cmp_int(x->domain, y->domain);
  return cmp_int(x->local, y->local);
}

static int cmp_cpu(const void* a, const void* b)
{
  const rs_cpu_t *x = a, *y = b;
  if (x->site != y->site)
    return cmp_int(x->site, y->site);
  if (x->rack != y->rack)
    return cmp_int(x->rack, y->rack);
  return strcmp(x->name, y->name);
}

static int cmp_storage(const void* a, const void* b)
{
  const rs_storage_t *x = a, *y = b;
  return x->site != y->site ? cmp_int(x->site, y->site) : strcmp(x->name, y->name);
}

/* Each GPU's CPU host, named by its rs.cpu property (optional): an index in the sorted cpus. */
static int resolve_gpu_cpus(rs_platform_t* p, const rs_host_view_t* hosts, rs_err_t* err)
{
  xbt_dict_t by_name = xbt_dict_new_homogeneous(NULL);
  for (int i = 0; i < p->n_cpus; i++)
    xbt_dict_set(by_name, p->cpus[i].name, (void*)(intptr_t)(i + 1));
  int rc = RS_OK;
  for (int i = 0; rc == RS_OK && i < p->n_gpus; i++) {
    const rs_host_view_t* h = &hosts[p->gpus[i].cpu];
    const char* name        = h->prop(h, "rs.cpu");
    intptr_t k              = name ? (intptr_t)xbt_dict_get_or_null(by_name, name) : 0;
    if (name != NULL && k == 0)
      rc = rs_err_set(err, "%s: host %s: property rs.cpu: no CPU host (rs.role cpu) is named '%s'", p->file, h->name,
                      name);
    p->gpus[i].cpu = (int)k - 1;
  }
  xbt_dict_free(&by_name);
  return rc;
}

int rs_platform_index(rs_platform_t* p, const rs_host_view_t* hosts, size_t n, rs_err_t* err)
{
  if (n == 0)
    return rs_err_set(err, "%s: the platform has no host: expected GPU hosts (rs.role gpu) in its zones", p->file);
  p->gpus    = xbt_new0(rs_gpu_t, n);
  p->cpus    = xbt_new0(rs_cpu_t, n);
  p->storage = xbt_new0(rs_storage_t, n);
  int rc     = RS_OK;
  for (size_t i = 0; rc == RS_OK && i < n; i++) {
    const char* role = hosts[i].prop(&hosts[i], "rs.role");
    if (role && strcmp(role, "gpu") == 0)
      rc = index_gpu(p, &hosts[i], (int)i, err);
    else if (role && strcmp(role, "cpu") == 0)
      rc = index_cpu(p, &hosts[i], err);
    else if (role && strcmp(role, "storage") == 0)
      rc = index_storage(p, &hosts[i], err);
  }
  if (rc != RS_OK) { /* name the file first */
    char why[RS_ERR_LEN];
    snprintf(why, sizeof why, "%s", err->msg);
    return rs_err_set(err, "%s: %s", p->file, why);
  }
  for (int m = 0; m < p->n_models; m++)
    if (p->models[m].tdp_watts == 0)
      return rs_err_set(err, "%s: no %s GPU states the model's figures (rs.bf16_tflops, ...)", p->file,
                        p->models[m].name);
  for (int m = 0; m < p->n_models; m++)
    if ((p->models[m].calib = rs_hw_calib(p->models[m].name)) == NULL) {
      char known[256];
      rs_hw_calib_names(known, sizeof known);
      return rs_err_set(err, "%s: GPU model %s (rs.model) has no calibration; racksim is calibrated for %s", p->file,
                        p->models[m].name, known);
    }
  for (int i = 0; i < p->n_gpus; i++)
    p->gpus[i].model = &p->models[(intptr_t)p->gpus[i].model];
  qsort(p->cpus, p->n_cpus, sizeof *p->cpus, cmp_cpu);
  qsort(p->storage, p->n_storage, sizeof *p->storage, cmp_storage);
  if (resolve_gpu_cpus(p, hosts, err) != RS_OK)
    return RS_ERR;
  qsort(p->gpus, p->n_gpus, sizeof *p->gpus, cmp_gpu);
  for (int i = 0; i < p->n_gpus; i++) {
    if (i == 0 || p->gpus[i].domain != p->gpus[i - 1].domain || p->gpus[i].site != p->gpus[i - 1].site)
      p->n_domains++;
    if (p->gpus[i].site + 1 > p->n_sites)
      p->n_sites = p->gpus[i].site + 1;
  }
  return RS_OK;
}

/* ---- SimGrid's hosts ----------------------------------------------------------------------------- */

static const char* sg_prop(const rs_host_view_t* h, const char* key)
{
  return sg_host_get_property_value(h->host, key);
}

/* The line of file that declares id="id" (0 when none does): SimGrid keeps no line, so an error about
 * one host or link finds it again. Split-duplex links are named id_UP and id_DOWN inside SimGrid. */
static int line_of_id(const char* file, const char* id)
{
  char want[512];
  size_t n = strlen(id);
  if (n > 5 && (strcmp(id + n - 3, "_UP") == 0 || strcmp(id + n - 5, "_DOWN") == 0))
    n -= strcmp(id + n - 3, "_UP") == 0 ? 3 : 5;
  snprintf(want, sizeof want, "id=\"%.*s\"", (int)n, id);
  FILE* fp = fopen(file, "r");
  char buf[4096];
  int line = 0, found = 0;
  while (fp && !found && fgets(buf, sizeof buf, fp)) {
    line += strchr(buf, '\n') != NULL;
    found = strstr(buf, want) != NULL;
  }
  if (fp)
    fclose(fp);
  return found ? line + (strchr(buf, '\n') == NULL) : 0;
}

/* A host of speed 0 or a link of bandwidth 0 makes SimGrid abort mid-run (an activity that never
 * ends); a platform states a failure through racksim's failures section instead. */
static int check_resources(const char* file, const rs_host_view_t* hosts, size_t n_hosts, rs_err_t* err)
{
  int rc = RS_OK;
  for (size_t i = 0; rc == RS_OK && i < n_hosts; i++)
    if (!(hosts[i].speed > 0) || !isfinite(hosts[i].speed))
      rc = rs_err_at(err, file, line_of_id(file, hosts[i].name), "speed",
                     "host %s: expected a positive finite speed, got %g", hosts[i].name, hosts[i].speed);
  if (rc != RS_OK)
    return rc;
  size_t n_links   = sg_link_count();
  sg_link_t* links = n_links ? sg_link_list() : NULL;
  for (size_t i = 0; rc == RS_OK && i < n_links; i++)
    if (!(sg_link_get_bandwidth(links[i]) > 0) || !isfinite(sg_link_get_bandwidth(links[i])))
      rc = rs_err_at(err, file, line_of_id(file, sg_link_get_name(links[i])), "bandwidth",
                     "link %s: expected a positive finite bandwidth, got %g", sg_link_get_name(links[i]),
                     sg_link_get_bandwidth(links[i]));
  free(links);
  return rc;
}

/* The fabric's oversubscription, as the root zone states it (1 when it does not, or says nonsense). */
static void read_oversubscription(rs_platform_t* p)
{
  const char* over    = sg_zone_get_property_value(sg_zone_get_root(), "rs.oversubscription");
  p->oversubscription = over ? strtod(over, NULL) : 1;
  if (!(p->oversubscription >= 1) || !isfinite(p->oversubscription))
    p->oversubscription = 1;
}

static int index_hosts(rs_platform_t* p, rs_err_t* err)
{
  /* each call walks every zone, so the hosts are listed once, for the index and check_resources alike */
  size_t n = sg_host_count();
  if (n == 0) /* sg_host_list aborts on an empty platform; rs_platform_index refuses it */
    return rs_platform_index(p, NULL, 0, err);
  sg_host_t* all        = sg_host_list();
  rs_host_view_t* hosts = xbt_new0(rs_host_view_t, n);
  for (size_t i = 0; i < n; i++)
    hosts[i] = (rs_host_view_t){.host  = all[i],
                                .name  = sg_host_get_name(all[i]),
                                .speed = sg_host_get_speed(all[i]),
                                .cores = sg_host_core_count(all[i]),
                                .prop  = sg_prop};
  free(all);
  int rc = rs_platform_index(p, hosts, n, err);
  if (rc == RS_OK)
    rc = check_resources(p->file, hosts, n, err);
  free(hosts);
  if (rc != RS_OK)
    return RS_ERR;
  read_oversubscription(p);
  return RS_OK;
}

int rs_platform_load(const char* file, rs_platform_t** out, rs_err_t* err)
{
  *out = NULL;
  if (precheck_file(file, err) != RS_OK || check_link_profiles(file, err) != RS_OK ||
      load_into_simgrid(file, err) != RS_OK)
    return RS_ERR;
  rs_platform_t* p = xbt_new0(rs_platform_t, 1);
  p->file          = xbt_strdup(file);
  if (index_hosts(p, err) != RS_OK) {
    rs_platform_free(p);
    return RS_ERR;
  }
  *out = p;
  return RS_OK;
}

int rs_platform_generate(const rs_platgen_spec_t* spec, const char* file, rs_platform_t** out, rs_err_t* err)
{
  *out = NULL;
  if (rs_hw__check_spec(spec, err) != RS_OK)
    return RS_ERR;
  /* as loading a file does, so that SimGrid's exceptions are reported alike afterwards */
  xbt_log_control_set("xbt_exception.thres:error");
  rs_platform_t* p = xbt_new0(rs_platform_t, 1);
  p->file          = xbt_strdup(file);
  p->gen           = rs_hw__gen_new(spec);
  int rc           = rs_hw__build(spec, p->gen, err);
  if (rc == RS_OK) { /* the builder checked every figure, so check_resources has nothing to find */
    rs_host_view_t* hosts = rs_hw__gen_views(p->gen);
    rc                    = rs_platform_index(p, hosts, p->gen->n_hosts, err);
    free(hosts);
  }
  if (rc != RS_OK) {
    rs_platform_free(p);
    return RS_ERR;
  }
  read_oversubscription(p);
  *out = p;
  return RS_OK;
}

int rs_platform_domain_size(const rs_platform_t* p, int i)
{
  int lo = i, hi = i;
  while (lo > 0 && p->gpus[lo - 1].domain == p->gpus[i].domain && p->gpus[lo - 1].site == p->gpus[i].site)
    lo--;
  while (hi + 1 < p->n_gpus && p->gpus[hi + 1].domain == p->gpus[i].domain && p->gpus[hi + 1].site == p->gpus[i].site)
    hi++;
  return hi - lo + 1;
}

/* ---- link classes ------------------------------------------------------------------------------ */

static const char* const link_class_names[] = {"nvlink",      "c2c",         "cpu_memory", "nic",
                                               "leaf_uplink", "spine",       "switch_hop", "fleet_nic",
                                               "wan",         "storage_nic", "other"};

const char* rs_link_class_name(rs_link_class_t c)
{
  return link_class_names[c];
}

/* How platgen.c names links, most specific first: 'p' a prefix, 's' a suffix, 'i' anywhere. */
static const struct {
  char where;
  const char* text;
  rs_link_class_t cls;
} link_rules[] = {
    {'p', "wan-", RS_LINK_WAN},        {'s', "-nvlink", RS_LINK_NVLINK},   {'i', "-c2c", RS_LINK_C2C},
    {'s', "-mem", RS_LINK_CPU_MEMORY}, {'i', "-fleet", RS_LINK_FLEET_NIC}, {'i', "-storage", RS_LINK_STORAGE_NIC},
    {'s', "-nic", RS_LINK_NIC},        {'s', "-up", RS_LINK_LEAF_UPLINK},  {'s', "hop", RS_LINK_SWITCH_HOP},
    {'s', "-spine", RS_LINK_SPINE},
};

static int ends_with(const char* s, size_t n, const char* tail)
{
  size_t k = strlen(tail);
  return n >= k && strncmp(s + n - k, tail, k) == 0;
}

rs_link_class_t rs_platform_link_class(const char* name)
{
  size_t n = strlen(name);
  if (ends_with(name, n, "_UP")) /* SimGrid's halves of a SPLITDUPLEX link */
    n -= 3;
  else if (ends_with(name, n, "_DOWN"))
    n -= 5;
  for (size_t i = 0; i < sizeof link_rules / sizeof link_rules[0]; i++) {
    const char* t = link_rules[i].text;
    int hit       = link_rules[i].where == 'p'   ? strncmp(name, t, strlen(t)) == 0
                    : link_rules[i].where == 's' ? ends_with(name, n, t)
                                                 : memmem(name, n, t, strlen(t)) != NULL;
    if (hit)
      return link_rules[i].cls;
  }
  return RS_LINK_OTHER;
}

int rs_platform_link_is_half(const char* name)
{
  size_t n = strlen(name);
  return ends_with(name, n, "_UP") || ends_with(name, n, "_DOWN");
}

/* A GPU host's NIC halves, toward its rail leaf and back. */
typedef struct nic_pair {
  sg_link_t up, down;
} nic_pair_t;

struct rs_nic_index {
  xbt_dict_t by_host; /* host name -> nic_pair_t */
};

rs_nic_index_t* rs_platform_nic_index(void)
{
  rs_nic_index_t* x = xbt_new0(rs_nic_index_t, 1);
  x->by_host        = xbt_dict_new_homogeneous(free);
  size_t n          = sg_link_count();
  sg_link_t* links  = sg_link_list();
  for (size_t i = 0; i < n; i++) {
    const char* name = sg_link_get_name(links[i]);
    size_t len       = strlen(name);
    int up           = ends_with(name, len, "-nic_UP");
    if (!up && !ends_with(name, len, "-nic_DOWN"))
      continue;
    char* host               = xbt_strdup(name);
    host[len - (up ? 7 : 9)] = '\0';
    nic_pair_t* pair         = xbt_dict_get_or_null(x->by_host, host);
    if (pair == NULL) {
      pair = xbt_new0(nic_pair_t, 1);
      xbt_dict_set(x->by_host, host, pair);
    }
    *(up ? &pair->up : &pair->down) = links[i];
    free(host);
  }
  free(links);
  return x;
}

sg_link_t rs_platform_gpu_nic(const rs_nic_index_t* x, const rs_gpu_t* g, int up)
{
  const nic_pair_t* pair = xbt_dict_get_or_null(x->by_host, sg_host_get_name(g->host));
  return pair == NULL ? NULL : up ? pair->up : pair->down;
}

void rs_platform_nic_index_free(rs_nic_index_t* x)
{
  if (x == NULL)
    return;
  xbt_dict_free(&x->by_host);
  free(x);
}

void rs_platform_free(rs_platform_t* p)
{
  if (p == NULL)
    return;
  for (int i = 0; i < p->n_models; i++)
    free(p->models[i].name);
  free(p->models);
  free(p->gpus);
  free(p->cpus);
  free(p->storage);
  free(p->file);
  rs_hw__gen_free(p->gen);
  free(p);
}

/* ---- description ------------------------------------------------------------------------------- */

void rs_platform_describe(const rs_platform_t* p, FILE* fp)
{
  fprintf(fp, "platform %s\n", p->file);
  fprintf(fp, "  %d GPUs in %d NVLink domain%s (UltraServers or servers) over %d site%s; %d CPUs\n", p->n_gpus,
          p->n_domains, p->n_domains == 1 ? "" : "s", p->n_sites, p->n_sites == 1 ? "" : "s", p->n_cpus);
  if (p->n_storage > 0) {
    double bw = 0;
    for (int i = 0; i < p->n_storage; i++)
      bw += p->storage[i].bytes_per_s;
    fprintf(fp, "  %d storage host%s, %g GB/s of NICs in all\n", p->n_storage, p->n_storage == 1 ? "" : "s", bw / 1e9);
  }
  double nic_total = 0, idle = 0, peak = 0;
  for (int m = 0; m < p->n_models; m++) {
    const rs_gpu_model_t* g = &p->models[m];
    int count               = 0;
    for (int i = 0; i < p->n_gpus; i++)
      count += p->gpus[i].model == g;
    nic_total += count * g->nic_bytes_per_s;
    idle += count * g->idle_watts;
    peak += count * g->tdp_watts;
    fprintf(fp, "  %d x %s: %.1f PF BF16, %.1f PF FP8, %.1f PF FP4 dense in all; %.1f TB HBM\n", count, g->name,
            count * g->peak_flops[RS_PREC_BF16] / 1e15, count * g->peak_flops[RS_PREC_FP8] / 1e15,
            count * g->peak_flops[RS_PREC_FP4] / 1e15, count * g->hbm_bytes / 1e12);
    fprintf(fp, "    per GPU: NVLink %.0f GB/s and scale-out %.0f Gb/s per direction; HBM %.0f GB at %.2f TB/s\n",
            g->nvlink_bytes_per_s / 1e9, g->nic_bytes_per_s * 8 / 1e9, g->hbm_bytes / 1e9, g->hbm_bytes_per_s / 1e12);
  }
  /* Half the GPUs send to the other half through their NICs and the leaves' uplinks. */
  fprintf(fp, "  scale-out fabric: oversubscription %g:1, bisection %.1f Tb/s per direction\n", p->oversubscription,
          nic_total * 8 / 2 / p->oversubscription / 1e12);
  fprintf(fp, "  GPU power: %.1f kW idle, %.1f kW at full load (TDP)\n", idle / 1e3, peak / 1e3);
  int cores = 0;
  for (int i = 0; i < p->n_cpus; i++)
    cores += p->cpus[i].cores;
  for (int i = 0; i < p->n_cpus; i++) {
    const char* last = p->cpus[i].model;
    int seen         = 0;
    for (int j = 0; j < i && !seen; j++)
      seen = strcmp(p->cpus[j].model, last) == 0;
    if (seen)
      continue;
    int count = 0, c = 0;
    for (int j = 0; j < p->n_cpus; j++)
      if (strcmp(p->cpus[j].model, last) == 0)
        count++, c += p->cpus[j].cores;
    fprintf(fp, "  %d x %s CPU, %d cores\n", count, last, c);
  }
  fprintf(fp, "  %d CPU cores in all\n", cores);
}
