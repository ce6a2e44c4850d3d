/* scenario.c -- reads a racksim scenario (YAML, through libfyaml) into rs_scenario_t and checks it.
 * Every key is described once in a field table (type, range, default); the loader walks the document
 * against those tables, so an unknown key, a wrong type, a value out of range and a missing key all
 * get the same kind of message: "file:line: key: expected ..., got '...'". --set overrides are applied
 * to the YAML tree before the walk, so they are checked exactly like the file. Does not look inside
 * the platform: that is platform.c's job. See LICENSE. */
#define _GNU_SOURCE /* memmem, memrchr */
#include "scenario/scenario.h"

#include "hw/hw.h"

#include <errno.h>
#include <libfyaml.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

#define PATH_LEN 256

/* ---- field tables ----------------------------------------------------------------------------- */

typedef enum { F_STR, F_INT, F_U64, F_NUM, F_BYTES, F_BOOL, F_ENUM, F_SECTION } ftype_t;

typedef struct ctx ctx_t;
typedef struct loc loc_t;

typedef struct field {
  const char* key;
  ftype_t type;
  size_t off;
  int required;
  double min, max;            /* F_INT, F_NUM, F_BYTES */
  const char* const* choices; /* F_ENUM, NULL-terminated */
  const char* def;            /* default, as it would be written in the file; NULL: none */
  int (*load)(ctx_t* c, struct fy_node* n, const loc_t* at, void* base); /* F_SECTION */
} field_t;

typedef struct table {
  const field_t* fields;
  int n;
} table_t;

#define TABLE(f)                                                                                                       \
  {                                                                                                                    \
    f, (int)(sizeof f / sizeof f[0])                                                                                   \
  }

static const char* const kind_names[]            = {"collective", "training", "inference", "agentic", NULL};
static const char* const prec_names[]            = {"bf16", "fp8", "fp4", NULL};
static const char* const recompute_names[]       = {"none", "selective", "full", NULL};
static const char* const mode_names[]            = {"auto", "faithful", "aggregated", NULL};
static const char* const links_names[]           = {"none", "classes", "all", NULL};
static const char* const session_arrival_names[] = {"poisson", "day", "replay", NULL};
static const char* const dist_names[]            = {"fixed", "exponential", "lognormal", NULL};
static const char* const place_names[]           = {"any", "fleet", "racks", NULL};

const char* rs_wl_kind_name(rs_wl_kind_t kind)
{
  return kind_names[kind];
}
const char* rs_prec_name(rs_prec_t prec)
{
  return prec_names[prec];
}
const char* rs_recompute_name(rs_recompute_t rc)
{
  return recompute_names[rc];
}
const char* rs_train_mode_name(rs_train_mode_t mode)
{
  return mode_names[mode];
}
const char* rs_place_name(rs_place_t place)
{
  return place_names[place];
}

static int load_platform(ctx_t* c, struct fy_node* n, const loc_t* at, void* base);
static int load_generate(ctx_t* c, struct fy_node* n, const loc_t* at, void* base);
static int load_outputs(ctx_t* c, struct fy_node* n, const loc_t* at, void* base);
static int load_workloads(ctx_t* c, struct fy_node* n, const loc_t* at, void* base);
static int load_model(ctx_t* c, struct fy_node* n, const loc_t* at, void* base);
static int load_arrivals(ctx_t* c, struct fy_node* n, const loc_t* at, void* base);
static int load_llm(ctx_t* c, struct fy_node* n, const loc_t* at, void* base);
static int load_tool(ctx_t* c, struct fy_node* n, const loc_t* at, void* base);
static int load_sandbox(ctx_t* c, struct fy_node* n, const loc_t* at, void* base);
static int load_fanout(ctx_t* c, struct fy_node* n, const loc_t* at, void* base);
static int load_pools(ctx_t* c, struct fy_node* n, const loc_t* at, void* base);

static const field_t root_fields[] = {
    {"name", F_STR, offsetof(rs_scenario_t, name), .required = 1},
    {"description", F_STR, offsetof(rs_scenario_t, description)},
    {"seed", F_U64, offsetof(rs_scenario_t, seed), .def = "1"},
    {"platform", F_SECTION, 0, .required = 1, .load = load_platform},
    {"workloads", F_SECTION, 0, .required = 1, .load = load_workloads},
    {"outputs", F_SECTION, 0, .def = "", .load = load_outputs},
};

static const field_t platform_fields[] = {
    {"preset", F_STR, offsetof(rs_sc_platform_t, preset)},
    {"file", F_STR, offsetof(rs_sc_platform_t, file)},
    {"generate", F_SECTION, 0, .load = load_generate},
};

#define GEN(m) (offsetof(rs_sc_platform_t, gen) + offsetof(rs_platgen_spec_t, m))
static const field_t generate_fields[] = {
    {"server", F_STR, offsetof(rs_sc_platform_t, gen_server), .required = 1},
    {"servers", F_INT, GEN(servers), .required = 1, .min = 1, .max = 100000},
    {"servers_per_pod", F_INT, GEN(servers_per_pod), .min = 1, .max = 100000, .def = "64"},
    {"oversubscription", F_NUM, GEN(oversubscription), .min = 1, .max = 1000, .def = "1"},
    {"hop_latency_us", F_NUM, GEN(hop_latency_us), .min = 0, .max = 1e6, .def = "2"},
    {"sites", F_INT, GEN(sites), .min = 1, .max = 64, .def = "1"},
    {"wan_gbits_per_s", F_NUM, GEN(wan_gbits_per_s), .min = 1e-3, .max = 1e9, .def = "400"},
    {"wan_latency_ms", F_NUM, GEN(wan_latency_ms), .min = 0, .max = 1e5, .def = "10"},
    {"cpu_hosts", F_INT, GEN(cpu_hosts), .min = 0, .max = 10000000, .def = "0"},
    {"cpu", F_STR, offsetof(rs_sc_platform_t, gen_cpu), .def = "graviton4"},
};

static const field_t outputs_fields[] = {
    {"dir", F_STR, offsetof(rs_sc_outputs_t, dir)},
    {"events", F_BOOL, offsetof(rs_sc_outputs_t, events), .def = "true"},
    {"collectives_max_rows", F_INT, offsetof(rs_sc_outputs_t, collectives_max_rows), .min = 0, .max = 2e9,
     .def = "1000000"},
    {"ops_max_rows", F_INT, offsetof(rs_sc_outputs_t, ops_max_rows), .min = 0, .max = 2e9, .def = "0"},
    {"links", F_ENUM, offsetof(rs_sc_outputs_t, links), .choices = links_names, .def = "classes"},
};

/* Keys every workload has, whatever its kind. */
static const field_t workload_fields[] = {
    {"name", F_STR, offsetof(rs_sc_workload_t, name)},
    {"kind", F_ENUM, offsetof(rs_sc_workload_t, kind), .required = 1, .choices = kind_names},
    {"start_s", F_NUM, offsetof(rs_sc_workload_t, start_s), .min = 0, .max = 1e12, .def = "0"},
    {"first_gpu", F_INT, offsetof(rs_sc_workload_t, first_gpu), .min = 0, .max = 1e8, .def = "0"},
};

#define COLL(m) (offsetof(rs_sc_workload_t, u.coll) + offsetof(rs_sc_collective_t, m))
static const field_t collective_fields[] = {
    {"op", F_ENUM, COLL(op), .choices = RS_COLL_OP_NAMES, .def = "all-reduce"},
    {"algorithm", F_ENUM, COLL(algorithm), .choices = RS_COLL_ALGO_NAMES, .def = "auto"},
    {"gpus", F_INT, COLL(gpus), .min = 2, .max = 1e8},
    {"min_bytes", F_BYTES, COLL(min_bytes), .min = 1, .max = 1e15, .def = "1MiB"},
    {"max_bytes", F_BYTES, COLL(max_bytes), .min = 1, .max = 1e15, .def = "1GiB"},
    {"factor", F_INT, COLL(factor), .min = 2, .max = 1024, .def = "2"},
    {"iterations", F_INT, COLL(iterations), .min = 1, .max = 1e6, .def = "1"},
};

#define TRAIN(m) (offsetof(rs_sc_workload_t, u.train) + offsetof(rs_sc_training_t, m))
#define LAYOUT(m) (TRAIN(layout) + offsetof(rs_layout_t, m))
static const field_t training_fields[] = {
    {"model", F_SECTION, 0, .required = 1, .load = load_model},
    {"gpus", F_INT, TRAIN(gpus), .min = 1, .max = 1e8},
    {"tp", F_INT, LAYOUT(tp), .min = 1, .max = 1024, .def = "1"},
    {"cp", F_INT, LAYOUT(cp), .min = 1, .max = 1024, .def = "1"},
    {"pp", F_INT, LAYOUT(pp), .min = 1, .max = 1024, .def = "1"},
    {"ep", F_INT, LAYOUT(ep), .min = 1, .max = 1024, .def = "1"},
    {"vp", F_INT, LAYOUT(vp), .min = 1, .max = 1024, .def = "1"},
    {"zero", F_INT, LAYOUT(zero), .min = 0, .max = 3, .def = "1"},
    {"micro_batch", F_INT, LAYOUT(micro_batch), .min = 1, .max = 1e6, .def = "1"},
    {"global_batch", F_INT, LAYOUT(global_batch), .required = 1, .min = 1, .max = 1e9},
    {"recompute", F_ENUM, LAYOUT(recompute), .choices = recompute_names, .def = "selective"},
    {"precision", F_ENUM, TRAIN(precision), .choices = prec_names, .def = "bf16"},
    {"iterations", F_INT, TRAIN(iterations), .min = 1, .max = 1e6, .def = "1"},
    {"tp_across_domains", F_BOOL, TRAIN(tp_across_domains), .def = "false"},
    {"dp_overlap", F_BOOL, TRAIN(dp_overlap), .def = "true"},
    {"mode", F_ENUM, TRAIN(mode), .choices = mode_names, .def = "auto"},
};

static const char* const inf_mode_names[] = {"server", "offline", NULL};
static const char* const arrival_names[]  = {"poisson", "gamma", "trace", "table", NULL};
static const char* const len_names[]      = {"fixed", "uniform", "exponential", "table", NULL};
static const char* const route_names[]    = {"round-robin", "least-outstanding", "kv-aware", NULL};
static const char* const preempt_names[]  = {"recompute", "swap", NULL};

#define INF(m) (offsetof(rs_sc_workload_t, u.inf) + offsetof(rs_sc_inference_t, m))
static const field_t inference_fields[] = {
    {"model", F_SECTION, 0, .required = 1, .load = load_model},
    {"gpus", F_INT, INF(gpus), .min = 1, .max = 1e8},
    {"tp", F_INT, INF(tp), .min = 1, .max = 1024, .def = "1"},
    {"ep", F_INT, INF(ep), .min = 1, .max = 1024, .def = "1"},
    {"pp", F_INT, INF(pp), .min = 1, .max = 1024, .def = "1"},
    {"precision", F_ENUM, INF(precision), .choices = prec_names, .def = "bf16"},
    {"kv_precision", F_ENUM, INF(kv_precision), .choices = prec_names, .def = "bf16"},
    {"mode", F_ENUM, INF(mode), .choices = inf_mode_names, .def = "server"},
    {"requests", F_INT, INF(requests), .min = 1, .max = 1e9, .def = "1000"},
    {"arrival", F_ENUM, INF(arrival), .choices = arrival_names, .def = "poisson"},
    {"rate_per_s", F_NUM, INF(rate_per_s), .min = 1e-9, .max = 1e9, .def = "10"},
    {"burstiness", F_NUM, INF(burstiness), .min = 1e-3, .max = 1e3, .def = "1"},
    {"trace", F_STR, INF(trace)},
    {"rate_table", F_STR, INF(rate_table)},
    {"length_table", F_STR, INF(length_table)},
    {"rate_period_s", F_NUM, INF(rate_period_s), .min = 1e-6, .max = 1e12, .def = "86400"},
    {"prompt_dist", F_ENUM, INF(prompt_dist), .choices = len_names, .def = "fixed"},
    {"prompt_tokens", F_INT, INF(prompt_tokens), .min = 1, .max = 1e7, .def = "512"},
    {"output_dist", F_ENUM, INF(output_dist), .choices = len_names, .def = "fixed"},
    {"output_tokens", F_INT, INF(output_tokens), .min = 1, .max = 1e7, .def = "128"},
    {"max_batch_tokens", F_INT, INF(max_batch_tokens), .min = 1, .max = 1e8, .def = "8192"},
    {"max_seqs", F_INT, INF(max_seqs), .min = 1, .max = 1e7, .def = "256"},
    {"chunked_prefill", F_BOOL, INF(chunked_prefill), .def = "true"},
    {"kv_block_tokens", F_INT, INF(kv_block_tokens), .min = 1, .max = 65536, .def = "16"},
    {"hbm_utilization", F_NUM, INF(hbm_utilization), .min = 0.01, .max = 1, .def = "0.9"},
    {"preemption", F_ENUM, INF(preemption), .choices = preempt_names, .def = "recompute"},
    {"swap_gbytes_per_s", F_NUM, INF(swap_gbytes_per_s), .min = 1e-3, .max = 1e6, .def = "64"},
    {"routing", F_ENUM, INF(routing), .choices = route_names, .def = "least-outstanding"},
    {"slo_ttft_s", F_NUM, INF(slo_ttft_s), .min = 0, .max = 1e9, .def = "2"},
    {"slo_tpot_s", F_NUM, INF(slo_tpot_s), .min = 0, .max = 1e9, .def = "0.1"},
    {"sample_s", F_NUM, INF(sample_s), .min = 1e-6, .max = 1e9, .def = "1"},
    {"tp_across_domains", F_BOOL, INF(tp_across_domains), .def = "false"},
    {"collective_memo", F_BOOL, INF(collective_memo), .def = "true"},
    {"prefill_replicas", F_INT, INF(prefill_replicas), .min = 0, .max = 1e7, .def = "0"},
    {"shared_prefix_tokens", F_INT, INF(shared_prefix_tokens), .min = 0, .max = 1e7, .def = "0"},
    {"prefix_caching", F_BOOL, INF(prefix_caching), .def = "false"},
};

/* kind: agentic. Sections are read into the workload itself (base: rs_sc_workload_t). */
#define AG(m) (offsetof(rs_sc_workload_t, u.agent) + offsetof(rs_sc_agentic_t, m))
static const field_t agentic_fields[] = {
    {"arrivals", F_SECTION, 0, .required = 1, .load = load_arrivals},
    {"turns", F_INT, AG(turns), .min = 1, .max = 10000, .def = "4"},
    {"llm", F_SECTION, 0, .def = "", .load = load_llm},
    {"tool", F_SECTION, 0, .required = 1, .load = load_tool},
    {"sandbox", F_SECTION, 0, .def = "", .load = load_sandbox},
    {"fanout", F_SECTION, 0, .def = "", .load = load_fanout},
    {"pools", F_SECTION, 0, .required = 1, .load = load_pools},
    {"sample_s", F_NUM, AG(sample_s), .min = 1e-3, .max = 1e9, .def = "10"},
};
static const field_t arrivals_fields[] = {
    {"process", F_ENUM, AG(arrival), .choices = session_arrival_names, .def = "poisson"},
    {"rate_per_s", F_NUM, AG(rate_per_s), .min = 1e-9, .max = 1e9, .def = "1"},
    {"day_rates_per_s", F_STR, AG(day_rates)},
    {"slot_s", F_NUM, AG(slot_s), .min = 1e-3, .max = 1e9, .def = "3600"},
    {"replay", F_STR, AG(replay)},
    {"sessions", F_INT, AG(sessions), .min = 1, .max = 1e9, .def = "100"},
};
static const field_t llm_fields[] = {
    {"service", F_STR, AG(service)},
    {"prompt_tokens", F_NUM, AG(prompt_tokens), .min = 1, .max = 1e8, .def = "2000"},
    {"growth_tokens", F_NUM, AG(growth_tokens), .min = 0, .max = 1e8, .def = "1000"},
    {"output_tokens", F_NUM, AG(output_tokens), .min = 1, .max = 1e8, .def = "300"},
};
static const field_t tool_fields[] = {
    {"pool", F_STR, AG(tool_pool), .required = 1},
    {"cores", F_INT, AG(tool_cores), .min = 1, .max = 100000, .def = "1"},
    {"work_core_s", F_NUM, AG(tool_core_s), .min = 0, .max = 1e9, .def = "1"},
    {"work_gflop", F_NUM, AG(tool_gflop), .min = 0, .max = 1e15, .def = "0"},
    {"distribution", F_ENUM, AG(tool_dist), .choices = dist_names, .def = "fixed"},
    {"cv", F_NUM, AG(tool_cv), .min = 0, .max = 100, .def = "1"},
    {"mem_gbytes", F_NUM, AG(tool_mem_gbytes), .min = 0, .max = 1e6, .def = "0"},
    {"io_bytes", F_BYTES, AG(io_bytes), .min = 0, .max = 1e15, .def = "0"},
    {"io_pool", F_STR, AG(io_pool)},
};
static const field_t sandbox_fields[] = {
    {"cold_start_s", F_NUM, AG(cold_start_s), .min = 0, .max = 1e6, .def = "0"},
    {"warm_start_s", F_NUM, AG(warm_start_s), .min = 0, .max = 1e6, .def = "0"},
    {"warm_pool", F_INT, AG(warm_pool), .min = 0, .max = 1e9, .def = "0"},
};
static const field_t fanout_fields[] = {
    {"agents", F_INT, AG(fanout), .min = 0, .max = 10000, .def = "0"},
    {"at_turn", F_INT, AG(fanout_turn), .min = 0, .max = 10000, .def = "0"},
    {"turns", F_INT, AG(sub_turns), .min = 1, .max = 10000, .def = "1"},
};
static const field_t pool_fields[] = {
    {"name", F_STR, offsetof(rs_sc_pool_t, name), .required = 1},
    {"cpu", F_STR, offsetof(rs_sc_pool_t, cpu)},
    {"placement", F_ENUM, offsetof(rs_sc_pool_t, placement), .choices = place_names, .def = "any"},
    {"site", F_INT, offsetof(rs_sc_pool_t, site), .min = -1, .max = 64, .def = "-1"},
    {"hosts", F_INT, offsetof(rs_sc_pool_t, hosts), .min = 0, .max = 1e8, .def = "0"},
    {"cores_per_host", F_INT, offsetof(rs_sc_pool_t, cores_per_host), .min = 0, .max = 1e6, .def = "0"},
};

/* Kind-specific tables, indexed by rs_wl_kind_t. */
static const table_t kind_tables[] = {TABLE(collective_fields), TABLE(training_fields), TABLE(inference_fields),
                                      TABLE(agentic_fields)};

/* A model: a preset, or a shape, or a preset with some shape keys changed. -1: not given. */
typedef struct model_keys {
  char* preset;
  int v[15];
} model_keys_t;

static const char* const model_shape_keys[] = {
    "layers",         "hidden",     "ffn",          "heads",        "kv_heads",
    "vocab",          "seq_len",    "gated",        "experts",      "experts_per_token",
    "shared_experts", "expert_ffn", "dense_layers", "kv_lora_rank", "q_lora_rank"};

/* ---- where keys were: key path -> line, or the --set argument that gave it ------------------------ */

typedef struct where_entry {
  char* path;
  int line;
  const char* set_arg; /* borrowed from the caller's sets, or NULL */
} where_entry_t;

struct rs_sc_where {
  char* file;
  where_entry_t* v;
  int n, cap;
};

static void where_add(rs_sc_where_t* w, const char* path, int line, const char* set_arg)
{
  if (w->n == w->cap) {
    w->cap = w->cap ? 2 * w->cap : 32;
    w->v   = xbt_realloc(w->v, w->cap * sizeof *w->v);
  }
  w->v[w->n++] = (where_entry_t){xbt_strdup(path), line, set_arg ? xbt_strdup(set_arg) : NULL};
}

static void where_free(rs_sc_where_t* w)
{
  if (w == NULL)
    return;
  for (int i = 0; i < w->n; i++) {
    free(w->v[i].path);
    free((char*)w->v[i].set_arg);
  }
  free(w->v);
  free(w->file);
  free(w);
}

/* ---- loading context --------------------------------------------------------------------------- */

struct loc {
  char path[PATH_LEN]; /* user-facing key path, "workloads[0].op" */
  int line;            /* line of the key in the file, from 1; 0 when unknown */
  const char* set_arg; /* the --set argument that made this node, or NULL */
};

typedef struct override {
  struct fy_node* node;
  const char* arg;
} override_t;

struct ctx {
  const char* file;
  rs_err_t* err;
  rs_scenario_t* sc;
  override_t* overrides; /* nodes made by --set */
  int n_overrides;
};

static int loc_err(ctx_t* c, const loc_t* at, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
static int loc_err(ctx_t* c, const loc_t* at, const char* fmt, ...)
{
  char what[RS_ERR_LEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (at->set_arg)
    return rs_err_set(c->err, "--set %s: %s: %s", at->set_arg, at->path, what);
  return rs_err_at(c->err, c->file, at->line, at->path[0] ? at->path : NULL, "%s", what);
}

static const char* override_of(const ctx_t* c, struct fy_node* n)
{
  for (int i = 0; i < c->n_overrides; i++)
    if (c->overrides[i].node == n)
      return c->overrides[i].arg;
  return NULL;
}

/* The line of a scalar node, from 1 (libfyaml counts from 0); 0 for other nodes. */
static int node_line(struct fy_node* n)
{
  struct fy_token* t      = n ? fy_node_get_scalar_token(n) : NULL;
  const struct fy_mark* m = t ? fy_token_start_mark(t) : NULL;
  return m ? m->line + 1 : 0;
}

/* Location of a child: path joined with the key, line of the key node. */
static void loc_child(ctx_t* c, loc_t* child, const loc_t* parent, const char* key, struct fy_node* key_node)
{
  if (parent->path[0])
    snprintf(child->path, sizeof child->path, "%s.%s", parent->path, key);
  else
    snprintf(child->path, sizeof child->path, "%s", key);
  child->set_arg = override_of(c, key_node);
  child->line    = key_node && !child->set_arg ? node_line(key_node) : parent->line;
  if (!child->set_arg)
    child->set_arg = parent->set_arg;
}

static const char* node_kind_name(struct fy_node* n)
{
  if (n == NULL)
    return "nothing";
  switch (fy_node_get_type(n)) {
  case FYNT_MAPPING:
    return "a mapping";
  case FYNT_SEQUENCE:
    return "a list";
  default:
    return "a scalar";
  }
}

/* ---- scalars ----------------------------------------------------------------------------------- */

int rs_parse_bytes(const char* text, double* bytes)
{
  static const struct {
    const char* suffix;
    double scale;
  } units[] = {{"", 1},      {"B", 1},      {"KB", 1e3},        {"MB", 1e6},           {"GB", 1e9},
               {"TB", 1e12}, {"KiB", 1024}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}};
  char* end;
  errno    = 0;
  double v = strtod(text, &end);
  if (end == text || errno != 0 || !isfinite(v))
    return RS_ERR;
  while (*end == ' ')
    end++;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp(end, units[i].suffix) == 0) {
      *bytes = v * units[i].scale;
      return RS_OK;
    }
  return RS_ERR;
}

static int parse_number(const char* text, double* v)
{
  char* end;
  errno = 0;
  *v    = strtod(text, &end);
  return end != text && *end == '\0' && errno == 0 && isfinite(*v) ? RS_OK : RS_ERR;
}

static int parse_integer(const char* text, long long* v)
{
  char* end;
  errno = 0;
  *v    = strtoll(text, &end, 10);
  return end != text && *end == '\0' && errno == 0 ? RS_OK : RS_ERR;
}

static int parse_bool(const char* text, int* v)
{
  static const char* const yes[] = {"true", "yes", "on", NULL};
  static const char* const no[]  = {"false", "no", "off", NULL};
  for (int i = 0; yes[i]; i++)
    if (strcmp(text, yes[i]) == 0)
      return *v = 1, RS_OK;
  for (int i = 0; no[i]; i++)
    if (strcmp(text, no[i]) == 0)
      return *v = 0, RS_OK;
  return RS_ERR;
}

static void join_choices(char* buf, size_t len, const char* const* choices)
{
  buf[0] = '\0';
  for (int i = 0; choices[i]; i++)
    snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "", choices[i]);
}

/* What a field expects, in words, for messages. */
static void describe_field(char* buf, size_t len, const field_t* f)
{
  char list[256];
  switch (f->type) {
  case F_STR:
    snprintf(buf, len, "a text value");
    break;
  case F_INT:
    snprintf(buf, len, "an integer from %.0f to %.0f", f->min, f->max);
    break;
  case F_U64:
    snprintf(buf, len, "a non-negative integer");
    break;
  case F_NUM:
    snprintf(buf, len, "a number from %g to %g", f->min, f->max);
    break;
  case F_BYTES:
    snprintf(buf, len, "a size in bytes from %g to %g (a number, optionally with B, KB, MB, GB, KiB, MiB, GiB...)",
             f->min, f->max);
    break;
  case F_BOOL:
    snprintf(buf, len, "true or false");
    break;
  case F_ENUM:
    join_choices(list, sizeof list, f->choices);
    snprintf(buf, len, "one of %s", list);
    break;
  case F_SECTION:
    snprintf(buf, len, "a section");
    break;
  }
}

/* Converts text for field f into base; RS_ERR with a message at `at` when it does not fit. */
static int store_scalar(ctx_t* c, const field_t* f, const char* text, const loc_t* at, void* base)
{
  char* dst   = (char*)base + f->off;
  double d    = 0;
  long long i = 0;
  int ok = RS_ERR, b = 0;
  switch (f->type) {
  case F_STR:
    free(*(char**)dst);
    *(char**)dst = xbt_strdup(text);
    return RS_OK;
  case F_INT:
    ok = parse_integer(text, &i) == RS_OK && i >= f->min && i <= f->max ? RS_OK : RS_ERR;
    if (ok == RS_OK)
      *(int*)dst = (int)i;
    break;
  case F_U64: {
    char* end;
    errno                = 0;
    unsigned long long u = strtoull(text, &end, 10);
    ok                   = end != text && *end == '\0' && errno == 0 && text[0] != '-' ? RS_OK : RS_ERR;
    if (ok == RS_OK)
      *(uint64_t*)dst = u;
    break;
  }
  case F_NUM:
  case F_BYTES:
    ok = (f->type == F_NUM ? parse_number(text, &d) : rs_parse_bytes(text, &d)) == RS_OK && d >= f->min && d <= f->max
             ? RS_OK
             : RS_ERR;
    if (ok == RS_OK)
      *(double*)dst = d;
    break;
  case F_BOOL:
    ok = parse_bool(text, &b);
    if (ok == RS_OK)
      *(int*)dst = b;
    break;
  case F_ENUM:
    for (int k = 0; f->choices[k]; k++)
      if (strcmp(text, f->choices[k]) == 0) {
        *(int*)dst = k;
        ok         = RS_OK;
      }
    break;
  case F_SECTION:
    break;
  }
  if (ok != RS_OK) {
    char expected[384];
    describe_field(expected, sizeof expected, f);
    return loc_err(c, at, "expected %s, got '%s'", expected, text);
  }
  return RS_OK;
}

static int load_value(ctx_t* c, const field_t* f, struct fy_node* n, const loc_t* at, void* base)
{
  if (f->type == F_SECTION)
    return f->load(c, n, at, base);
  if (n == NULL || !fy_node_is_scalar(n) || fy_node_get_scalar0(n) == NULL || fy_node_is_null(n)) {
    char expected[384];
    describe_field(expected, sizeof expected, f);
    return loc_err(c, at, "expected %s, got %s", expected,
                   n == NULL || fy_node_is_null(n) ? "nothing" : node_kind_name(n));
  }
  loc_t here = *at;
  if (!here.set_arg && node_line(n) > 0)
    here.line = node_line(n);
  return store_scalar(c, f, fy_node_get_scalar0(n), &here, base);
}

/* ---- mappings ---------------------------------------------------------------------------------- */

static const field_t* find_field(const table_t* tables, int n_tables, const char* key, int* which)
{
  for (int t = 0, k = 0; t < n_tables; t++)
    for (int i = 0; i < tables[t].n; i++, k++)
      if (strcmp(tables[t].fields[i].key, key) == 0) {
        *which = k;
        return &tables[t].fields[i];
      }
  return NULL;
}

static int unknown_key(ctx_t* c, const loc_t* at, const table_t* tables, int n_tables)
{
  char keys[512] = "";
  for (int t = 0; t < n_tables; t++)
    for (int i = 0; i < tables[t].n; i++)
      snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s", keys[0] ? ", " : "", tables[t].fields[i].key);
  return loc_err(c, at, "unknown key; expected one of: %s", keys);
}

static int expect_mapping(ctx_t* c, struct fy_node* n, const loc_t* at)
{
  if (n != NULL && fy_node_is_mapping(n))
    return RS_OK;
  return loc_err(c, at, "expected a mapping of keys and values, got %s", node_kind_name(n));
}

/* Keys of the tables not seen in a section: an error when required, else their default (a section
 * left out entirely is loaded with seen all 0). */
static int apply_defaults(ctx_t* c, const loc_t* at, const table_t* tables, void* const* bases, int n_tables,
                          const unsigned char* seen)
{
  for (int t = 0, k = 0; t < n_tables; t++)
    for (int i = 0; i < tables[t].n; i++, k++) {
      const field_t* f = &tables[t].fields[i];
      if (seen[k])
        continue;
      if (f->required)
        return loc_err(c, at, "missing required key '%s'", f->key);
      if (f->def == NULL)
        continue;
      loc_t child;
      loc_child(c, &child, at, f->key, NULL);
      if (f->type == F_SECTION ? f->load(c, NULL, &child, bases[t]) : store_scalar(c, f, f->def, &child, bases[t]))
        return RS_ERR;
    }
  return RS_OK;
}

/* Loads mapping n against the union of tables into bases[t]: unknown keys, missing required keys and
 * defaults are handled here for every section of the scenario. */
static int load_mapping(ctx_t* c, struct fy_node* n, const loc_t* at, const table_t* tables, void* const* bases,
                        int n_tables)
{
  if (expect_mapping(c, n, at) != RS_OK)
    return RS_ERR;
  unsigned char seen[64] = {0};
  void* iter             = NULL;
  struct fy_node_pair* pair;
  while ((pair = fy_node_mapping_iterate(n, &iter)) != NULL) {
    struct fy_node* key_node = fy_node_pair_key(pair);
    const char* key          = key_node ? fy_node_get_scalar0(key_node) : NULL;
    loc_t child;
    loc_child(c, &child, at, key ? key : "?", key_node);
    int which;
    const field_t* f = key ? find_field(tables, n_tables, key, &which) : NULL;
    if (f == NULL)
      return unknown_key(c, &child, tables, n_tables);
    seen[which] = 1;
    where_add(c->sc->where, child.path, child.line, child.set_arg);
    int t = 0;
    for (int k = which; k >= tables[t].n; k -= tables[t].n)
      t++;
    if (load_value(c, f, fy_node_pair_value(pair), &child, bases[t]) != RS_OK)
      return RS_ERR;
  }
  return apply_defaults(c, at, tables, bases, n_tables, seen);
}

/* ---- sections ---------------------------------------------------------------------------------- */

static int file_exists(const char* path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char* data_dir(void)
{
  const char* env = getenv("RACKSIM_DATADIR");
  return xbt_strdup(env && env[0] ? env : RS_DATADIR);
}

/* A path given in the scenario is relative to the scenario's own directory. */
static char* relative_to_scenario(const char* scenario, const char* path)
{
  if (path[0] == '/')
    return xbt_strdup(path);
  const char* slash = strrchr(scenario, '/');
  if (slash == NULL)
    return xbt_strdup(path);
  return bprintf("%.*s/%s", (int)(slash - scenario), scenario, path);
}

static int load_platform(ctx_t* c, struct fy_node* n, const loc_t* at, void* base)
{
  rs_sc_platform_t* p = &c->sc->platform;
  table_t t           = TABLE(platform_fields);
  void* bases[]       = {p};
  if (load_mapping(c, n, at, &t, bases, 1) != RS_OK)
    return RS_ERR;
  if ((p->preset != NULL) + (p->file != NULL) + p->generate != 1)
    return loc_err(c, at,
                   "expected exactly one of 'preset' (a platform shipped with racksim), 'file' (an XML file) or "
                   "'generate' (a cluster racksim builds)");
  if (p->generate)
    return RS_OK;
  if (p->preset) {
    char* dir  = data_dir();
    char* file = bprintf("%s/platforms/%s.xml", dir, p->preset);
    free(dir);
    p->file = file;
    if (strchr(p->preset, '/') != NULL || !file_exists(file))
      return rs_scenario_err(c->sc, c->err, "platform.preset",
                             "expected the name of a platform in platforms/ (such as u-p6e-gb200x72), got '%s'",
                             p->preset);
    return RS_OK;
  }
  char* file = relative_to_scenario(c->file, p->file);
  free(p->file);
  p->file = file;
  if (!file_exists(file))
    return rs_scenario_err(c->sc, c->err, "platform.file", "expected a SimGrid platform file, but '%s' does not exist",
                           file);
  return RS_OK;
}

static int load_generate(ctx_t* c, struct fy_node* n, const loc_t* at, void* base)
{
  rs_sc_platform_t* p = &c->sc->platform;
  table_t t           = TABLE(generate_fields);
  void* bases[]       = {p};
  p->generate         = 1;
  if (load_mapping(c, n, at, &t, bases, 1) != RS_OK)
    return RS_ERR;
  char key[PATH_LEN];
  p->gen.server = rs_hw_server(p->gen_server);
  if (p->gen.server == NULL) {
    char names[512] = "";
    for (int i = 0; rs_hw_server_at(i); i++)
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", rs_hw_server_at(i)->name);
    snprintf(key, sizeof key, "%s.server", at->path);
    return rs_scenario_err(c->sc, c->err, key, "expected one of %s, got '%s'", names, p->gen_server);
  }
  p->gen.fleet_cpu = rs_hw_cpu(p->gen_cpu);
  if (p->gen.fleet_cpu == NULL) {
    snprintf(key, sizeof key, "%s.cpu", at->path);
    return rs_scenario_err(c->sc, c->err, key, "expected a CPU model (grace, graviton4), got '%s'", p->gen_cpu);
  }
  return RS_OK;
}

/* The shape fields of rs_model_t, in model_shape_keys' order. */
static int* model_field(rs_model_t* m, int k)
{
  int* f[] = {&m->layers,         &m->hidden,     &m->ffn,          &m->heads,        &m->kv_heads,
              &m->vocab,          &m->seq_len,    &m->gated,        &m->experts,      &m->experts_per_token,
              &m->shared_experts, &m->expert_ffn, &m->dense_layers, &m->kv_lora_rank, &m->q_lora_rank};
  return f[k];
}

static int load_model(ctx_t* c, struct fy_node* n, const loc_t* at, void* base)
{
  enum { N_KEYS = sizeof model_shape_keys / sizeof model_shape_keys[0] };
  field_t fields[N_KEYS + 1];
  fields[0] = (field_t){"preset", F_STR, offsetof(model_keys_t, preset)};
  for (int k = 0; k < N_KEYS; k++)
    fields[k + 1] =
        (field_t){model_shape_keys[k], F_INT, offsetof(model_keys_t, v) + k * sizeof(int), .min = 0, .max = 1e9};
  model_keys_t keys = {0};
  for (int k = 0; k < N_KEYS; k++)
    keys.v[k] = -1;
  table_t t           = {fields, N_KEYS + 1};
  void* bases[]       = {&keys};
  int rc              = load_mapping(c, n, at, &t, bases, 1);
  rs_sc_workload_t* w = base;
  rs_model_t* m       = w->kind == RS_WL_INFERENCE ? &w->u.inf.model : &w->u.train.model;
  char key[PATH_LEN];
  snprintf(key, sizeof key, "%s.preset", at->path);
  if (rc == RS_OK && keys.preset && rs_model_preset(keys.preset, m) != RS_OK) {
    char names[512] = "";
    for (int i = 0; rs_model_preset_at(i); i++)
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", rs_model_preset_at(i));
    rc = rs_scenario_err(c->sc, c->err, key, "expected one of %s, got '%s'", names, keys.preset);
  }
  if (rc == RS_OK) {
    if (!keys.preset)
      snprintf(m->name, sizeof m->name, "custom");
    for (int k = 0; k < N_KEYS; k++)
      if (keys.v[k] >= 0)
        *model_field(m, k) = keys.v[k];
    if (!keys.preset && keys.v[4] < 0) /* kv_heads defaults to heads */
      m->kv_heads = m->heads;
    rs_err_t why;
    if (rs_model_check(m, &why) != RS_OK)
      rc = loc_err(c, at, "not a model: %s", why.msg);
  }
  free(keys.preset);
  return rc;
}

/* A section of keys read into base; left out (n NULL): defaults only. */
static int load_section(ctx_t* c, struct fy_node* n, const loc_t* at, table_t t, void* base)
{
  void* bases[] = {base};
  static const unsigned char none_seen[64];
  if (n == NULL)
    return apply_defaults(c, at, &t, bases, 1, none_seen);
  return load_mapping(c, n, at, &t, bases, 1);
}

static int load_outputs(ctx_t* c, struct fy_node* n, const loc_t* at, void* base)
{
  return load_section(c, n, at, (table_t)TABLE(outputs_fields), &c->sc->outputs);
}

static int load_arrivals(ctx_t* c, struct fy_node* n, const loc_t* at, void* base)
{
  return load_section(c, n, at, (table_t)TABLE(arrivals_fields), base);
}

static int load_llm(ctx_t* c, struct fy_node* n, const loc_t* at, void* base)
{
  return load_section(c, n, at, (table_t)TABLE(llm_fields), base);
}

static int load_tool(ctx_t* c, struct fy_node* n, const loc_t* at, void* base)
{
  return load_section(c, n, at, (table_t)TABLE(tool_fields), base);
}

static int load_sandbox(ctx_t* c, struct fy_node* n, const loc_t* at, void* base)
{
  return load_section(c, n, at, (table_t)TABLE(sandbox_fields), base);
}

static int load_fanout(ctx_t* c, struct fy_node* n, const loc_t* at, void* base)
{
  return load_section(c, n, at, (table_t)TABLE(fanout_fields), base);
}

/* The location of item i of list n: "path[i]" at the line of its first key (a mapping has none). */
static void item_loc(ctx_t* c, const loc_t* at, struct fy_node* item, int i, loc_t* child)
{
  *child = *at;
  snprintf(child->path, sizeof child->path, "%s[%d]", at->path, i);
  void* iter                 = NULL;
  struct fy_node_pair* first = fy_node_is_mapping(item) ? fy_node_mapping_iterate(item, &iter) : NULL;
  int line                   = node_line(first ? fy_node_pair_key(first) : item);
  if (line > 0)
    child->line = line;
  where_add(c->sc->where, child->path, child->line, child->set_arg);
}

static int load_pools(ctx_t* c, struct fy_node* n, const loc_t* at, void* base)
{
  rs_sc_agentic_t* ag = &((rs_sc_workload_t*)base)->u.agent;
  if (n == NULL || !fy_node_is_sequence(n) || fy_node_sequence_item_count(n) == 0)
    return loc_err(c, at, "expected a list of CPU pools (lines starting with '- name: ...'), got %s",
                   n && fy_node_is_sequence(n) ? "an empty list" : node_kind_name(n));
  int count = fy_node_sequence_item_count(n);
  ag->pools = xbt_new0(rs_sc_pool_t, count);
  for (int i = 0; i < count; i++) {
    struct fy_node* item = fy_node_sequence_get_by_index(n, i);
    loc_t child;
    item_loc(c, at, item, i, &child);
    ag->n_pools = i + 1;
    if (load_section(c, item, &child, (table_t)TABLE(pool_fields), &ag->pools[i]) != RS_OK)
      return RS_ERR;
    for (int j = 0; j < i; j++)
      if (strcmp(ag->pools[j].name, ag->pools[i].name) == 0)
        return loc_err(c, &child, "expected a pool name no other pool has, got '%s' twice", ag->pools[i].name);
  }
  return RS_OK;
}

/* The kind of a workload must be known before its other keys can be checked. */
static int workload_kind(ctx_t* c, struct fy_node* n, const loc_t* at, rs_wl_kind_t* kind)
{
  struct fy_node* k = fy_node_mapping_lookup_by_string(n, "kind", FY_NT);
  if (k == NULL)
    return loc_err(c, at, "missing required key 'kind' (one of collective, training, inference, agentic)");
  loc_t child;
  loc_child(c, &child, at, "kind", k);
  rs_sc_workload_t tmp = {0};
  if (load_value(c, &workload_fields[1], k, &child, &tmp) != RS_OK)
    return RS_ERR;
  *kind = tmp.kind;
  return RS_OK;
}

/* A file key of an inference workload (trace, rate_table, length_table): given exactly when needed,
 * read relative to the scenario, and existing. */
static int check_input_file(ctx_t* c, const loc_t* at, char** file, const char* name, const char* when, int needed,
                            const char* what)
{
  char key[PATH_LEN];
  snprintf(key, sizeof key, "%s.%s", at->path, name);
  if (needed && *file == NULL)
    return loc_err(c, at, "%s needs the key '%s' (%s)", when, name, what);
  if (!needed && *file != NULL)
    return rs_scenario_err(c->sc, c->err, key, "expected no %s unless %s, got '%s'", name, when, *file);
  if (*file == NULL)
    return RS_OK;
  char* path = relative_to_scenario(c->file, *file);
  free(*file);
  *file = path;
  if (!file_exists(path))
    return rs_scenario_err(c->sc, c->err, key, "expected a CSV file, but '%s' does not exist", path);
  return RS_OK;
}

static int check_inference(ctx_t* c, const loc_t* at, rs_sc_inference_t* inf)
{
  if (check_input_file(c, at, &inf->trace, "trace", "arrival: trace", inf->arrival == RS_ARRIVAL_TRACE,
                       "a CSV file of arrival_s, prompt_tokens, output_tokens") != RS_OK ||
      check_input_file(c, at, &inf->length_table, "length_table", "prompt_dist or output_dist: table",
                       inf->prompt_dist == RS_LEN_TABLE || inf->output_dist == RS_LEN_TABLE,
                       "a CSV file of prompt_tokens, output_tokens") != RS_OK)
    return RS_ERR;
  return check_input_file(c, at, &inf->rate_table, "rate_table", "arrival: table", inf->arrival == RS_ARRIVAL_TABLE,
                          "a CSV file of start_s, rate_per_s");
}

static int load_workload(ctx_t* c, struct fy_node* n, const loc_t* at, rs_sc_workload_t* w)
{
  if (expect_mapping(c, n, at) != RS_OK || workload_kind(c, n, at, &w->kind) != RS_OK)
    return RS_ERR;
  table_t tables[] = {TABLE(workload_fields), kind_tables[w->kind]};
  void* bases[]    = {w, w};
  if (load_mapping(c, n, at, tables, bases, 2) != RS_OK)
    return RS_ERR;
  if (w->name == NULL)
    w->name = bprintf("%s-%d", rs_wl_kind_name(w->kind), w->index);
  char key[PATH_LEN];
  for (int i = 0; i < w->index; i++)
    if (strcmp(c->sc->workloads[i].name, w->name) == 0) {
      snprintf(key, sizeof key, "%s.name", at->path);
      return rs_scenario_err(c->sc, c->err, key, "expected a name no other workload has, got '%s', the name of %s[%d]",
                             w->name, "workloads", i);
    }
  if (w->kind == RS_WL_AGENTIC && w->u.agent.replay) { /* relative to the scenario, like platform.file */
    char* file = relative_to_scenario(c->file, w->u.agent.replay);
    free(w->u.agent.replay);
    w->u.agent.replay = file;
  }
  if (w->kind == RS_WL_INFERENCE)
    return check_inference(c, at, &w->u.inf);
  if (w->kind == RS_WL_COLLECTIVE && w->u.coll.min_bytes > w->u.coll.max_bytes) {
    snprintf(key, sizeof key, "%s.max_bytes", at->path);
    return rs_scenario_err(c->sc, c->err, key, "expected at least min_bytes (%.0f bytes), got %.0f bytes",
                           w->u.coll.min_bytes, w->u.coll.max_bytes);
  }
  return RS_OK;
}

static int load_workloads(ctx_t* c, struct fy_node* n, const loc_t* at, void* base)
{
  if (n == NULL || !fy_node_is_sequence(n) || fy_node_sequence_item_count(n) == 0)
    return loc_err(c, at, "expected a list of workloads (lines starting with '- kind: ...'), got %s",
                   n && fy_node_is_sequence(n) ? "an empty list" : node_kind_name(n));
  int count         = fy_node_sequence_item_count(n);
  rs_scenario_t* sc = c->sc;
  sc->workloads     = xbt_new0(rs_sc_workload_t, count);
  for (int i = 0; i < count; i++) {
    struct fy_node* item = fy_node_sequence_get_by_index(n, i);
    loc_t child;
    item_loc(c, at, item, i, &child);
    sc->workloads[i].index = i;
    sc->n_workloads        = i + 1;
    if (load_workload(c, item, &child, &sc->workloads[i]) != RS_OK)
      return RS_ERR;
  }
  return RS_OK;
}

/* ---- the file ---------------------------------------------------------------------------------- */

/* Empty and binary files get their own message before libfyaml sees them. */
static int check_text_file(ctx_t* c)
{
  FILE* fp = fopen(c->file, "rb");
  if (fp == NULL)
    return rs_err_set(c->err, "%s: cannot open the scenario: %s", c->file, strerror(errno));
  int ch, line = 1, blank = 1, bad = -1;
  while ((ch = fgetc(fp)) != EOF) {
    if (ch == 0 || (ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t')) {
      bad = ch;
      break;
    }
    if (ch == '\n')
      line++;
    else if (ch != ' ' && ch != '\r' && ch != '\t')
      blank = 0;
  }
  int was_dir = ferror(fp);
  fclose(fp);
  if (was_dir)
    return rs_err_set(c->err, "%s: cannot read the scenario (is it a directory?)", c->file);
  if (bad >= 0)
    return rs_err_at(c->err, c->file, line, NULL,
                     "not a text file (control byte 0x%02x): expected a YAML scenario with keys name, platform and "
                     "workloads",
                     bad);
  if (blank)
    return rs_err_at(c->err, c->file, 0, NULL,
                     "the file is empty: expected a YAML scenario with keys name, platform and workloads");
  return RS_OK;
}

typedef struct diag_capture {
  char first[RS_ERR_LEN];
} diag_capture_t;

/* libfyaml prints "file:line:col: error: what"; keep the first such line for our message. */
static void on_diag(struct fy_diag* diag, void* user, const char* buf, size_t len)
{
  diag_capture_t* cap = user;
  if (cap->first[0] == '\0' && len > 0 && memmem(buf, len, "error:", 6) != NULL)
    snprintf(cap->first, sizeof cap->first, "%.*s", (int)len, buf);
}

static struct fy_document* parse_yaml(ctx_t* c)
{
  diag_capture_t cap = {{0}};
  struct fy_diag_cfg dcfg;
  fy_diag_cfg_default(&dcfg);
  dcfg.fp                  = NULL;
  dcfg.output_fn           = on_diag;
  dcfg.user                = &cap;
  dcfg.colorize            = false;
  dcfg.show_source         = false;
  dcfg.show_position       = true;
  dcfg.show_type           = false;
  dcfg.show_module         = false;
  struct fy_diag* diag     = fy_diag_create(&dcfg);
  struct fy_parse_cfg pcfg = {.flags = FYPCF_RESOLVE_DOCUMENT, .diag = diag};
  struct fy_document* doc  = fy_document_build_from_file(&pcfg, c->file);
  fy_diag_destroy(diag);
  if (doc != NULL)
    return doc;
  /* cap.first reads "FILE:LINE:COL: error: WHAT\n": keep LINE and WHAT. */
  int line = 0, col = 0;
  char* what = strstr(cap.first, ": error: ");
  char* pos  = what;
  for (int colons = 0; pos && pos > cap.first && colons < 2;)
    colons += *--pos == ':';
  if (what && pos && sscanf(pos, ":%d:%d", &line, &col) == 2) {
    what += strlen(": error: ");
    what[strcspn(what, "\n")] = '\0';
    rs_err_at(c->err, c->file, line, NULL, "not valid YAML: %s", what);
  } else {
    rs_err_at(c->err, c->file, 0, NULL, "not valid YAML");
  }
  return NULL;
}

/* ---- --set overrides ----------------------------------------------------------------------------- */

static int set_err(ctx_t* c, const char* arg, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
static int set_err(ctx_t* c, const char* arg, const char* fmt, ...)
{
  char what[RS_ERR_LEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return rs_err_set(c->err, "--set %s: %s", arg, what);
}

static void remember_override(ctx_t* c, struct fy_node* n, const char* arg)
{
  c->overrides                   = xbt_realloc(c->overrides, (c->n_overrides + 1) * sizeof *c->overrides);
  c->overrides[c->n_overrides++] = (override_t){n, arg};
}

/* The item of a list named by seg: its index, or the workload whose name is seg. */
static struct fy_node* sequence_item(struct fy_node* seq, const char* seg)
{
  long long idx;
  if (parse_integer(seg, &idx) == RS_OK)
    return idx >= 0 && idx < fy_node_sequence_item_count(seq) ? fy_node_sequence_get_by_index(seq, (int)idx) : NULL;
  for (int i = 0; i < fy_node_sequence_item_count(seq); i++) {
    struct fy_node* item = fy_node_sequence_get_by_index(seq, i);
    struct fy_node* name = fy_node_is_mapping(item) ? fy_node_mapping_lookup_by_string(item, "name", FY_NT) : NULL;
    if (name && fy_node_is_scalar(name) && strcmp(fy_node_get_scalar0(name), seg) == 0)
      return item;
  }
  return NULL;
}

/* The mapping child seg of map, made (and remembered as an override) when missing. */
static struct fy_node* mapping_child(ctx_t* c, struct fy_document* doc, struct fy_node* map, const char* seg,
                                     const char* arg)
{
  struct fy_node* child = fy_node_mapping_lookup_by_string(map, seg, FY_NT);
  if (child != NULL)
    return child;
  struct fy_node* key = fy_node_create_scalar_copy(doc, seg, FY_NT);
  child               = fy_node_create_mapping(doc);
  fy_node_mapping_append(map, key, child);
  remember_override(c, key, arg);
  return child;
}

static int apply_set(ctx_t* c, struct fy_document* doc, const char* arg)
{
  const char* eq = strchr(arg, '=');
  if (eq == NULL || eq == arg)
    return set_err(c, arg, "expected key=value, such as seed=7 or workloads.0.max_bytes=8GiB");
  /* "workloads[0].x" and "workloads.0.x" name the same key. */
  char* path = strndup(arg, (size_t)(eq - arg));
  for (char* p = path; *p; p++)
    if (*p == '[' || *p == ']')
      *p = '.';
  struct fy_node* node = fy_document_root(doc);
  char* save           = NULL;
  char* seg            = strtok_r(path, ".", &save);
  int rc               = RS_OK;
  while (rc == RS_OK && seg != NULL) {
    char* next = strtok_r(NULL, ".", &save);
    if (fy_node_is_sequence(node)) {
      node = sequence_item(node, seg);
      if (node == NULL)
        rc = set_err(c, arg, "no list item '%s' (give an index from 0, or a workload's name)", seg);
    } else if (!fy_node_is_mapping(node)) {
      rc = set_err(c, arg, "'%s' is inside a value, not a section", seg);
    } else if (next != NULL) {
      node = mapping_child(c, doc, node, seg, arg);
    } else {
      struct fy_node_pair* pair = fy_node_mapping_lookup_pair_by_string(node, seg, FY_NT);
      if (pair && fy_node_pair_value(pair) && !fy_node_is_scalar(fy_node_pair_value(pair))) {
        rc = set_err(c, arg, "'%s' is a section or a list, not a value", seg);
        break;
      }
      struct fy_node* value = fy_node_create_scalar_copy(doc, eq + 1, FY_NT);
      struct fy_node* key   = pair ? fy_node_pair_key(pair) : fy_node_create_scalar_copy(doc, seg, FY_NT);
      if (pair)
        fy_node_pair_set_value(pair, value);
      else
        fy_node_mapping_append(node, key, value);
      remember_override(c, value, arg);
      remember_override(c, key, arg);
    }
    seg = next;
  }
  free(path);
  return rc;
}

/* ---- public ------------------------------------------------------------------------------------ */

static char* default_output_dir(const char* file)
{
  const char* base = strrchr(file, '/');
  base             = base ? base + 1 : file;
  size_t len       = strcspn(base, ".");
  return bprintf("out/%.*s", (int)(len ? len : strlen(base)), base);
}

rs_scenario_t* rs_scenario_load(const char* path, const char* const* sets, int n_sets, rs_err_t* err)
{
  ctx_t c                 = {.file = path, .err = err};
  rs_scenario_t* sc       = xbt_new0(rs_scenario_t, 1);
  sc->path                = xbt_strdup(path);
  sc->where               = xbt_new0(rs_sc_where_t, 1);
  sc->where->file         = xbt_strdup(path);
  c.sc                    = sc;
  struct fy_document* doc = NULL;
  int rc                  = check_text_file(&c);
  if (rc == RS_OK && (doc = parse_yaml(&c)) == NULL)
    rc = RS_ERR;
  struct fy_node* root = doc ? fy_document_root(doc) : NULL;
  loc_t at             = {.path = "", .line = 1};
  if (rc == RS_OK && (root == NULL || !fy_node_is_mapping(root)))
    rc = rs_err_at(err, path, 1, NULL, "expected a mapping with keys name, platform and workloads at the top, got %s",
                   node_kind_name(root));
  for (int i = 0; rc == RS_OK && i < n_sets; i++)
    rc = apply_set(&c, doc, sets[i]);
  if (rc == RS_OK) {
    table_t t     = TABLE(root_fields);
    void* bases[] = {sc};
    rc            = load_mapping(&c, root, &at, &t, bases, 1);
  }
  if (rc == RS_OK && sc->outputs.dir == NULL)
    sc->outputs.dir = default_output_dir(path);
  fy_document_destroy(doc);
  free(c.overrides);
  if (rc != RS_OK) {
    rs_scenario_free(sc);
    return NULL;
  }
  return sc;
}

int rs_scenario_err(const rs_scenario_t* sc, rs_err_t* err, const char* key, const char* fmt, ...)
{
  char what[RS_ERR_LEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  /* The nearest recorded key: "workloads[0].gpus", else "workloads[0]", else the file. */
  char probe[PATH_LEN];
  snprintf(probe, sizeof probe, "%s", key);
  for (;;) {
    for (int i = sc->where->n - 1; i >= 0; i--) {
      const where_entry_t* e = &sc->where->v[i];
      if (strcmp(e->path, probe) != 0)
        continue;
      if (e->set_arg)
        return rs_err_set(err, "--set %s: %s: %s", e->set_arg, key, what);
      return rs_err_at(err, sc->where->file, e->line, key, "%s", what);
    }
    char* cut = strrchr(probe, '.');
    char* br  = strrchr(probe, '[');
    if (br > cut)
      cut = br;
    if (cut == NULL)
      return rs_err_at(err, sc->where->file, 0, key, "%s", what);
    *cut = '\0';
  }
}

static void free_agentic(rs_sc_agentic_t* ag)
{
  for (int i = 0; i < ag->n_pools; i++) {
    free(ag->pools[i].name);
    free(ag->pools[i].cpu);
  }
  free(ag->pools);
  char* texts[] = {ag->day_rates, ag->replay, ag->service, ag->tool_pool, ag->io_pool};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
    free(texts[i]);
}

void rs_scenario_free(rs_scenario_t* sc)
{
  if (sc == NULL)
    return;
  for (int i = 0; i < sc->n_workloads; i++) {
    free(sc->workloads[i].name);
    if (sc->workloads[i].kind == RS_WL_INFERENCE) {
      free(sc->workloads[i].u.inf.trace);
      free(sc->workloads[i].u.inf.rate_table);
      free(sc->workloads[i].u.inf.length_table);
    }
    if (sc->workloads[i].kind == RS_WL_AGENTIC)
      free_agentic(&sc->workloads[i].u.agent);
  }
  free(sc->workloads);
  free(sc->platform.preset);
  free(sc->platform.file);
  free(sc->platform.gen_server);
  free(sc->platform.gen_cpu);
  free(sc->outputs.dir);
  free(sc->name);
  free(sc->description);
  free(sc->path);
  where_free(sc->where);
  free(sc);
}
