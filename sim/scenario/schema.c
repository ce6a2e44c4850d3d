/* schema.c -- the top of racksim's scenario schema: name, seed, platform (a preset, a file or a
 * generated cluster), outputs, the keys every workload has, the list of kinds, and the model section
 * that training and inference share. Tables and checks across keys only: reading YAML is walk.c's
 * job, and each kind's own keys are in its sc_KIND.c. See LICENSE. */
#include "scenario/schema.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

const char* const rs_sc__prec_names[] = {"bf16", "fp8", "fp4", NULL};

const char* rs_prec_name(rs_prec_t prec)
{
  return rs_sc__prec_names[prec];
}

/* ---- files named in a scenario -------------------------------------------------------------------- */

int rs_sc__is_file(const char* path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char* rs_sc__relative(const rs_sc__walk_t* w, const char* path)
{
  if (path[0] == '/')
    return xbt_strdup(path);
  if (w->base_dir != NULL && w->base_dir[0] == '/')
    return bprintf("%s/%s", w->base_dir, path);
  const char* slash = strrchr(w->file, '/');
  if (slash == NULL)
    return xbt_strdup(path);
  return bprintf("%.*s/%s", (int)(slash - w->file), w->file, path);
}

/* Where platforms/ and scenarios/ are: $RACKSIM_DATADIR; else, for an installed racksim, the data
 * directory beside its bin/ (RS_REL_DATADIR, "../share/racksim" under the install prefix), wherever
 * the prefix was moved; else the source tree the binary was built from. */
static char* data_dir(void)
{
  const char* env = getenv("RACKSIM_DATADIR");
  if (env && env[0])
    return xbt_strdup(env);
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n]      = '\0';
    char* slash = strrchr(exe, '/');
    if (slash != NULL) {
      *slash          = '\0';
      char* installed = bprintf("%s/%s", exe, RS_REL_DATADIR);
      char* probe     = bprintf("%s/platforms", installed);
      struct stat st;
      int found = stat(probe, &st) == 0 && S_ISDIR(st.st_mode);
      free(probe);
      if (found)
        return installed;
      free(installed);
    }
  }
  return xbt_strdup(RS_DATADIR);
}

/* ---- platform ------------------------------------------------------------------------------------- */

/* generate.providers: one name per site, comma-separated, each of letters, digits, '-' or '_'. */
static int check_providers(rs_sc__walk_t* w, const rs_sc__loc_t* at, rs_sc_platform_t* p)
{
  p->gen.providers = p->gen_providers;
  if (p->gen_providers == NULL)
    return RS_OK;
  int names = 1, ok = p->gen_providers[0] != '\0';
  for (const char* c = p->gen_providers; *c; c++) {
    names += *c == ',';
    ok &= isalnum((unsigned char)*c) || *c == '-' || *c == '_' || (*c == ',' && c[1] != ',' && c[1] != '\0');
  }
  ok &= p->gen_providers[0] != ',';
  if (!ok || names != p->gen.sites)
    return rs_sc__err_key(w, at, "providers",
                          "expected %d provider name%s (one per site, comma-separated: letters, digits, '-', '_'), "
                          "got '%s'",
                          p->gen.sites, p->gen.sites == 1 ? "" : "s", p->gen_providers);
  return RS_OK;
}

/* generate: the server and CPU named must be among hw's. */
static int check_generate(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base)
{
  rs_sc_platform_t* p = base;
  p->generate         = 1;
  p->gen.server       = rs_hw_server(p->gen_server);
  if (p->gen.server == NULL) {
    rs_sc__text_t names = {0};
    for (int i = 0; rs_hw_server_at(i); i++)
      rs_sc__append(&names, ", ", rs_hw_server_at(i)->name);
    rs_sc__err_key(w, at, "server", "expected one of %s, got '%s'", rs_sc__text(&names), p->gen_server);
    free(names.s);
    return RS_ERR;
  }
  p->gen.fleet_cpu = rs_hw_cpu(p->gen_cpu);
  if (p->gen.fleet_cpu == NULL)
    return rs_sc__err_key(w, at, "cpu", "expected a CPU model (grace, graviton4), got '%s'", p->gen_cpu);
  long long hosts = rs_platgen_hosts(&p->gen);
  int per_server  = p->gen.server->gpus + p->gen.server->cpus;
  if (hosts > RS_PLATGEN_MAX_HOSTS) /* named after the larger part */
    return rs_sc__err_key(w, at, (long long)p->gen.servers * per_server >= p->gen.cpu_hosts ? "servers" : "cpu_hosts",
                          "expected a cluster of at most %d hosts (sites x (servers x %d GPUs and CPUs of %s + "
                          "cpu_hosts)), got %lld",
                          RS_PLATGEN_MAX_HOSTS, per_server, p->gen_server, hosts);
  return check_providers(w, at, p);
}

#define GEN(m) (offsetof(rs_sc_platform_t, gen) + offsetof(rs_platgen_spec_t, m))
static const rs_sc__field_t generate_fields[] = {
    {"server", RS_SC__STR, offsetof(rs_sc_platform_t, gen_server), .required = 1},
    {"servers", RS_SC__INT, GEN(servers), .required = 1, .min = 1, .max = 100000},
    {"servers_per_pod", RS_SC__INT, GEN(servers_per_pod), .min = 1, .max = 100000, .def = "64"},
    {"oversubscription", RS_SC__NUM, GEN(oversubscription), .min = 1, .max = 1000, .def = "1"},
    {"hop_latency_us", RS_SC__NUM, GEN(hop_latency_us), .min = 0, .max = 1e6, .def = "2"},
    {"sites", RS_SC__INT, GEN(sites), .min = 1, .max = 64, .def = "1"},
    {"wan_gbits_per_s", RS_SC__NUM, GEN(wan_gbits_per_s), .min = 1e-3, .max = 1e9, .def = "400"},
    {"wan_latency_ms", RS_SC__NUM, GEN(wan_latency_ms), .min = 0, .max = 1e5, .def = "10"},
    {"cpu_hosts", RS_SC__INT, GEN(cpu_hosts), .min = 0, .max = 10000000, .def = "0"},
    {"cpu", RS_SC__STR, offsetof(rs_sc_platform_t, gen_cpu), .def = "graviton4"},
    {"storage_hosts", RS_SC__INT, GEN(storage_hosts), .min = 0, .max = 100000, .def = "0"},
    {"storage_gbits_per_s", RS_SC__NUM, GEN(storage_gbits_per_s), .min = 1e-3, .max = 1e6, .def = "100"},
    {"providers", RS_SC__STR, offsetof(rs_sc_platform_t, gen_providers)},
};
static const rs_sc__table_t generate_table = {RS_SC__FIELDS(generate_fields), .check = check_generate};

/* Exactly one source of platform; a preset or a file must exist. */
static int check_platform(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base)
{
  rs_sc_platform_t* p = base;
  if ((p->preset != NULL) + (p->file != NULL) + p->generate != 1)
    return rs_sc__err(w, at,
                      "expected exactly one of 'preset' (a platform shipped with racksim), 'file' (an XML file) or "
                      "'generate' (a cluster racksim builds)");
  if (p->generate)
    return RS_OK;
  if (p->preset) {
    char* dir = data_dir();
    p->file   = bprintf("%s/platforms/%s.xml", dir, p->preset);
    free(dir);
    if (strchr(p->preset, '/') != NULL || !rs_sc__is_file(p->file))
      return rs_sc__err_key(w, at, "preset",
                            "expected the name of a platform in platforms/ (such as u-p6e-gb200x72), got '%s'",
                            p->preset);
    return RS_OK;
  }
  char* file = rs_sc__relative(w, p->file);
  free(p->file);
  p->file = file;
  if (!rs_sc__is_file(file))
    return rs_sc__err_key(w, at, "file", "expected a SimGrid platform file, but '%s' does not exist", file);
  return RS_OK;
}

static const rs_sc__field_t platform_fields[] = {
    {"preset", RS_SC__STR, offsetof(rs_sc_platform_t, preset)},
    {"file", RS_SC__STR, offsetof(rs_sc_platform_t, file)},
    {"generate", RS_SC__MAP, 0, .sub = &generate_table},
};
static const rs_sc__table_t platform_table = {RS_SC__FIELDS(platform_fields), .check = check_platform};

/* ---- outputs -------------------------------------------------------------------------------------- */

static const char* const links_names[] = {"none", "classes", "all", NULL};

static const rs_sc__field_t outputs_fields[] = {
    {"dir", RS_SC__STR, offsetof(rs_sc_outputs_t, dir)},
    {"events", RS_SC__BOOL, offsetof(rs_sc_outputs_t, events), .def = "true"},
    {"collectives_max_rows", RS_SC__INT, offsetof(rs_sc_outputs_t, collectives_max_rows), .min = 0, .max = 2e9,
     .def = "1000000"},
    {"ops_max_rows", RS_SC__INT, offsetof(rs_sc_outputs_t, ops_max_rows), .min = 0, .max = 2e9, .def = "0"},
    {"links", RS_SC__ENUM, offsetof(rs_sc_outputs_t, links), .choices = links_names, .def = "classes"},
    {"link_windows", RS_SC__BOOL, offsetof(rs_sc_outputs_t, link_windows), .def = "false"},
};
static const rs_sc__table_t outputs_table = {RS_SC__FIELDS(outputs_fields)};

/* ---- workloads ------------------------------------------------------------------------------------ */

/* The kinds, in rs_wl_kind_t's order: a new kind is one name here and its table (sc_KIND.c). */
static const char* const kind_names[]            = {"collective", "training", "inference", "agentic", NULL};
static const rs_sc__table_t* const kind_tables[] = {&rs_sc__collective, &rs_sc__training, &rs_sc__inference,
                                                    &rs_sc__agentic};
_Static_assert(sizeof kind_tables / sizeof kind_tables[0] == RS_WL_KIND_COUNT, "one table per rs_wl_kind_t");
_Static_assert(sizeof kind_names / sizeof kind_names[0] == RS_WL_KIND_COUNT + 1, "one name per rs_wl_kind_t");

const char* rs_wl_kind_name(rs_wl_kind_t kind)
{
  return kind_names[kind];
}

/* Every workload has a name (by default its kind and index), and no other has the same. */
static int check_workload(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base)
{
  rs_sc_workload_t* wl           = base;
  const rs_sc_workload_t* before = wl - at->index; /* the list's start: workloads read so far */
  wl->index                      = at->index;
  if (wl->name == NULL)
    wl->name = bprintf("%s-%d", rs_wl_kind_name(wl->kind), wl->index);
  for (int i = 0; i < wl->index; i++)
    if (strcmp(before[i].name, wl->name) == 0)
      return rs_sc__err_key(w, at, "name", "expected a name no other workload has, got '%s', the name of %s[%d]",
                            wl->name, "workloads", i);
  return RS_OK;
}

static const rs_sc__field_t workload_fields[] = {
    {"name", RS_SC__STR, offsetof(rs_sc_workload_t, name)},
    {"kind", RS_SC__ENUM, offsetof(rs_sc_workload_t, kind), .required = 1, .choices = kind_names},
    {"start_s", RS_SC__NUM, offsetof(rs_sc_workload_t, start_s), .min = 0, .max = 1e12, .def = "0"},
    {"first_gpu", RS_SC__INT, offsetof(rs_sc_workload_t, first_gpu), .min = 0, .max = 1e8, .def = "0"},
};
static const rs_sc__table_t workload_table = {RS_SC__FIELDS(workload_fields), .check = check_workload, .tag = "kind",
                                              .variants = kind_tables};

/* ---- record (what racksim writes into run.yaml) --------------------------------------------------- */

/* relative_to, read early by the walk (base_dir_path), must be absolute to mean anything. */
static int check_record(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base)
{
  const rs_sc_record_t* r = base;
  if (r->relative_to != NULL && r->relative_to[0] != '/')
    return rs_sc__err_key(w, at, "relative_to", "expected an absolute directory, got '%s'", r->relative_to);
  return RS_OK;
}

static const rs_sc__field_t record_fields[] = {
    {"racksim", RS_SC__STR, offsetof(rs_sc_record_t, racksim)},
    {"simgrid", RS_SC__STR, offsetof(rs_sc_record_t, simgrid)},
    {"command", RS_SC__STR, offsetof(rs_sc_record_t, command)},
    {"directory", RS_SC__STR, offsetof(rs_sc_record_t, directory)},
    {"relative_to", RS_SC__STR, offsetof(rs_sc_record_t, relative_to)},
};
static const rs_sc__table_t record_table = {RS_SC__FIELDS(record_fields), .check = check_record};

/* ---- the scenario --------------------------------------------------------------------------------- */

/* outputs.dir by default: out/ and the scenario file's name up to its first dot. */
static int check_scenario(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base)
{
  rs_scenario_t* sc = base;
  if (sc->outputs.dir == NULL) {
    const char* name = strrchr(w->file, '/');
    name             = name ? name + 1 : w->file;
    size_t len       = strcspn(name, ".");
    sc->outputs.dir  = bprintf("out/%.*s", (int)(len ? len : strlen(name)), name);
  }
  return RS_OK;
}

static const rs_sc__field_t scenario_fields[] = {
    {"name", RS_SC__STR, offsetof(rs_scenario_t, name), .required = 1},
    {"description", RS_SC__STR, offsetof(rs_scenario_t, description)},
    {"seed", RS_SC__U64, offsetof(rs_scenario_t, seed), .def = "1"},
    {"platform", RS_SC__MAP, offsetof(rs_scenario_t, platform), .required = 1, .sub = &platform_table},
    {"workloads", RS_SC__SEQ, offsetof(rs_scenario_t, workloads), .required = 1, .sub = &workload_table,
     .count_off = offsetof(rs_scenario_t, n_workloads), .item_size = sizeof(rs_sc_workload_t),
     .what = "a list of workloads (lines starting with '- kind: ...')"},
    {"outputs", RS_SC__MAP, offsetof(rs_scenario_t, outputs), .def = "{}", .sub = &outputs_table},
    {"failures", RS_SC__MAP, offsetof(rs_scenario_t, failures), .def = "{}", .sub = &rs_sc__failures},
    {"power", RS_SC__MAP, offsetof(rs_scenario_t, power), .def = "{}", .sub = &rs_sc__power},
    {"pricing", RS_SC__MAP, offsetof(rs_scenario_t, power), .def = "{}", .sub = &rs_sc__pricing},
    {"record", RS_SC__MAP, offsetof(rs_scenario_t, record), .def = "{}", .sub = &record_table},
};
const rs_sc__table_t rs_sc__scenario = {RS_SC__FIELDS(scenario_fields), .check = check_scenario};

/* ---- model (training, inference) ------------------------------------------------------------------ */

/* What a model section gives: a preset, and shape keys read into `given` (-1: not given). */
typedef struct model_keys {
  char* preset;
  rs_model_t given;
} model_keys_t;

#define SHAPE(m)                                                                                                       \
  {                                                                                                                    \
#m, RS_SC__INT, offsetof(model_keys_t, given.m), .min = 0, .max = 1e9                                              \
  }
static const rs_sc__field_t model_fields[] = {
    {"preset", RS_SC__STR, offsetof(model_keys_t, preset)},
    SHAPE(layers),
    SHAPE(hidden),
    SHAPE(ffn),
    SHAPE(heads),
    SHAPE(kv_heads),
    SHAPE(vocab),
    SHAPE(seq_len),
    SHAPE(gated),
    SHAPE(experts),
    SHAPE(experts_per_token),
    SHAPE(shared_experts),
    SHAPE(expert_ffn),
    SHAPE(dense_layers),
    SHAPE(kv_lora_rank),
    SHAPE(q_lora_rank),
    SHAPE(mtp_depth),
};
static const rs_sc__table_t model_table = {RS_SC__FIELDS(model_fields)};

/* The int of a shape field: in keys' given model, or at the same place of model m. */
static int* shape_in_keys(model_keys_t* keys, const rs_sc__field_t* f)
{
  return (int*)((char*)keys + f->off);
}
static int* shape_in_model(rs_model_t* m, const rs_sc__field_t* f)
{
  return (int*)((char*)m + (f->off - offsetof(model_keys_t, given)));
}

/* The preset named (or "custom"), then every shape key given over it. */
static int merge_model(rs_sc__walk_t* w, const rs_sc__loc_t* at, model_keys_t* keys, rs_model_t* m)
{
  if (keys->preset && rs_model_preset(keys->preset, m) != RS_OK) {
    rs_sc__text_t names = {0};
    for (int i = 0; rs_model_preset_at(i); i++)
      rs_sc__append(&names, ", ", rs_model_preset_at(i));
    rs_sc__err_key(w, at, "preset", "expected one of %s, got '%s'", rs_sc__text(&names), keys->preset);
    free(names.s);
    return RS_ERR;
  }
  if (!keys->preset)
    snprintf(m->name, sizeof m->name, "custom");
  for (int k = 1; k < model_table.n; k++)
    if (*shape_in_keys(keys, &model_fields[k]) >= 0)
      *shape_in_model(m, &model_fields[k]) = *shape_in_keys(keys, &model_fields[k]);
  if (!keys->preset && keys->given.kv_heads < 0) /* kv_heads defaults to heads */
    m->kv_heads = m->heads;
  rs_err_t why;
  if (rs_model_check(m, &why) != RS_OK)
    return rs_sc__err(w, at, "not a model: %s", why.msg);
  return RS_OK;
}

int rs_sc__load_model(rs_sc__walk_t* w, struct fy_node* n, const rs_sc__loc_t* at, void* dst)
{
  model_keys_t keys = {0};
  for (int k = 1; k < model_table.n; k++)
    *shape_in_keys(&keys, &model_fields[k]) = -1;
  int rc = rs_sc__load_map(w, n, at, &model_table, &keys);
  if (rc == RS_OK)
    rc = merge_model(w, at, &keys, dst);
  rs_sc__free(&model_table, &keys);
  return rc;
}
