/* sc_failures.c -- the scenario keys of the failures section: random failure classes (an MTBF per
 * unit, a time-to-failure distribution, a repair), the Llama 3 preset's causes as rates per unit, and
 * scheduled outages and degradations of a named target, and how training reacts (checkpoints,
 * restarts, spares). Parsed and checked here; whether the platform has the rack, site or provider an
 * event names is checked by the run (run/faults.c), which injects them. See LICENSE. */
#include "scenario/schema.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/sysdep.h>

static const char* const class_names[] = {
    "gpu",          "hbm",  "nic",      "host",    "nvlink_switch_tray", "power_shelf", "leaf_switch",
    "spine_switch", "link", "cpu_host", "storage", "software",           NULL};
_Static_assert(sizeof class_names / sizeof class_names[0] == RS_FAIL_CLASS_COUNT + 1, "one name per class");
static const char* const ttf_names[]    = {"exponential", "weibull", NULL};
static const char* const target_names[] = {"rack", "server", "gpu", "link_class", "pod", "site", "provider", NULL};
_Static_assert(sizeof target_names / sizeof target_names[0] == RS_TARGET_COUNT + 1, "one name per target");
static const char* const event_kind_names[] = {"down", "degrade", NULL};
static const char* const preset_names[]     = {"none", "llama3", NULL};
static const char* const retry_names[]      = {"resubmit", "lose", NULL};

const char* rs_fail_class_name(rs_fail_class_t cls)
{
  return class_names[cls];
}

const char* rs_fail_target_name(rs_fail_target_t target)
{
  return target_names[target];
}

/* ---- the Llama 3 preset --------------------------------------------------------------------------- */

/* Dubey et al. 2024 ("The Llama 3 Herd of Models"), section 3.3.4, Table 5: the 419 unexpected
 * interruptions of 54 days of pre-training on 16,384 H100 in 2,048 servers of 8, by cause
 * (docs/sources.md, "Reliability"; the counts, not the printed percentages).
 *
 * Each cause becomes an MTBF per unit of its class, so that a fleet of another size gets the rate its
 * unit count gives:  mtbf_h = units x 54 d x 24 h / count.
 *   - GPU causes (faulty GPU, HBM3, SRAM, system processor, silent data corruption, thermal): a unit is
 *     a GPU, 16,384 of them; faulty GPU: 16,384 x 1,296 / 148 = 143,470.7 h.
 *   - NIC and network switch/cable: a unit is a GPU's NIC and its link to the leaf (one per GPU, the
 *     scale-out design the paper describes; unverified for its exact NIC count), 16,384; the switch
 *     ports and cables behind them grow with that count in a fat tree of fixed oversubscription.
 *     NIC: 16,384 x 1,296 / 7 = 3,033,380.6 h; switch/cable: 16,384 x 1,296 / 35 = 606,676.1 h per link.
 *   - Software (software bug, NCCL watchdog, dependency): a unit is a GPU's rank, 16,384, since each
 *     rank is a process that can fail (an assumption: unverified); software bug: 393,216 h.
 *   - Server causes (host maintenance, SSD, power supply, chassis, IO expansion board, CPU, system
 *     memory): a unit is a GPU server, 2,048; host maintenance: 2,048 x 1,296 / 32 = 82,944 h.
 * The counts sum to 419. Times to failure are exponential: the paper gives counts only. */
static const struct {
  const char* cause;
  rs_fail_class_t cls;
  int per_host;
  int count;
} llama3[RS_LLAMA3_CAUSES] = {
    {"faulty GPU", RS_FAIL_GPU, 0, 148},
    {"GPU HBM3 memory", RS_FAIL_HBM, 0, 72},
    {"software bug", RS_FAIL_SOFTWARE, 0, 54},
    {"network switch/cable", RS_FAIL_LINK, 0, 35},
    {"host maintenance", RS_FAIL_HOST, 1, 32},
    {"GPU SRAM memory", RS_FAIL_GPU, 0, 19},
    {"GPU system processor", RS_FAIL_GPU, 0, 17},
    {"NIC", RS_FAIL_NIC, 0, 7},
    {"NCCL watchdog timeouts", RS_FAIL_SOFTWARE, 0, 7},
    {"silent data corruption", RS_FAIL_GPU, 0, 6},
    {"GPU thermal interface and sensor", RS_FAIL_GPU, 0, 6},
    {"SSD", RS_FAIL_STORAGE, 1, 3},
    {"power supply", RS_FAIL_HOST, 1, 3},
    {"server chassis", RS_FAIL_HOST, 1, 2},
    {"IO expansion board", RS_FAIL_HOST, 1, 2},
    {"dependency", RS_FAIL_SOFTWARE, 0, 2},
    {"CPU", RS_FAIL_HOST, 1, 2},
    {"system memory", RS_FAIL_HOST, 1, 2},
};

int rs_failures_preset_llama3(rs_fail_cause_t causes[RS_LLAMA3_CAUSES])
{
  const double hours = RS_LLAMA3_DAYS * 24.0;
  for (int i = 0; i < RS_LLAMA3_CAUSES; i++) {
    double units = llama3[i].per_host ? RS_LLAMA3_HOSTS : RS_LLAMA3_GPUS;
    causes[i]    = (rs_fail_cause_t){.cause    = llama3[i].cause,
                                     .cls      = llama3[i].cls,
                                     .per_host = llama3[i].per_host,
                                     .count    = llama3[i].count,
                                     .mtbf_h   = units * hours / llama3[i].count};
  }
  return RS_LLAMA3_CAUSES;
}

/* ---- classes -------------------------------------------------------------------------------------- */

#define FC(m) offsetof(rs_sc_fail_class_t, m)
static const rs_sc__field_t class_repair_fields[] = {
    {"distribution", RS_SC__ENUM, FC(repair_dist), .choices = rs_sc__dist_names, .def = "fixed"},
    {"mean_h", RS_SC__NUM, FC(repair_mean_h), .required = 1, .min = 1e-6, .max = 1e9},
};
static const rs_sc__table_t class_repair_table = {RS_SC__FIELDS(class_repair_fields)};

/* A shape belongs to Weibull only, and Weibull needs one; the cause defaults to the class's name. */
static int check_class(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base)
{
  rs_sc_fail_class_t* c = base;
  if (c->distribution != RS_TTF_WEIBULL && c->shape != 0)
    return rs_sc__err_key(w, at, "shape", "expected no shape unless distribution: weibull, got '%g'", c->shape);
  if (c->distribution == RS_TTF_WEIBULL && c->shape == 0)
    return rs_sc__err_key(w, at, "shape", "expected a shape (a number from 0.001 to 100) with distribution: weibull");
  if (c->distribution == RS_TTF_EXPONENTIAL)
    c->shape = 1;
  if (c->cause == NULL)
    c->cause = xbt_strdup(rs_fail_class_name(c->cls));
  return RS_OK;
}

static const rs_sc__field_t class_fields[] = {
    {"class", RS_SC__ENUM, FC(cls), .required = 1, .choices = class_names},
    {"cause", RS_SC__STR, FC(cause)},
    {"mtbf_h", RS_SC__NUM, FC(mtbf_h), .required = 1, .min = 1e-6, .max = 1e12},
    {"distribution", RS_SC__ENUM, FC(distribution), .choices = ttf_names, .def = "exponential"},
    {"shape", RS_SC__NUM, FC(shape), .min = 1e-3, .max = 100},
    {"repair", RS_SC__MAP, 0, .required = 1, .sub = &class_repair_table},
};
static const rs_sc__table_t class_table = {RS_SC__FIELDS(class_fields), .check = check_class};

/* ---- events --------------------------------------------------------------------------------------- */

#define FE(m) offsetof(rs_sc_fail_event_t, m)
#define TARGET(t, key)                                                                                                 \
  {                                                                                                                    \
    key, RS_SC__STR, FE(names) + (t) * sizeof(char*)                                                                   \
  }

/* Exactly one target; a fraction with degrade only, and degrade needs one. */
static int check_event(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base)
{
  rs_sc_fail_event_t* e = base;
  int given             = 0;
  for (int t = 0; t < RS_TARGET_COUNT; t++)
    if (e->names[t]) {
      if (given++)
        return rs_sc__err_key(w, at, target_names[t], "expected one target, got both %s and %s",
                              target_names[e->target], target_names[t]);
      e->target = (rs_fail_target_t)t;
    }
  if (!given)
    return rs_sc__err(w, at, "expected a target: one of rack, server, gpu, link_class, pod, site or provider");
  e->name = e->names[e->target];
  if (e->kind == RS_EVENT_DOWN && e->fraction != 0)
    return rs_sc__err_key(w, at, "fraction", "expected no fraction unless kind: degrade, got '%g'", e->fraction);
  if (e->kind == RS_EVENT_DEGRADE && e->fraction == 0)
    return rs_sc__err_key(w, at, "fraction", "expected a fraction (a number from 1e-06 to 1) with kind: degrade");
  return RS_OK;
}

static const rs_sc__field_t event_fields[] = {
    {"at_h", RS_SC__NUM, FE(at_h), .required = 1, .min = 0, .max = 1e9},
    {"for_h", RS_SC__NUM, FE(for_h), .required = 1, .min = 1e-6, .max = 1e9},
    {"kind", RS_SC__ENUM, FE(kind), .choices = event_kind_names, .def = "down"},
    {"fraction", RS_SC__NUM, FE(fraction), .min = 1e-6, .max = 1},
    TARGET(RS_TARGET_RACK, "rack"),
    TARGET(RS_TARGET_SERVER, "server"),
    TARGET(RS_TARGET_GPU, "gpu"),
    TARGET(RS_TARGET_LINK_CLASS, "link_class"),
    TARGET(RS_TARGET_POD, "pod"),
    TARGET(RS_TARGET_SITE, "site"),
    TARGET(RS_TARGET_PROVIDER, "provider"),
};
static const rs_sc__table_t event_table = {RS_SC__FIELDS(event_fields), .check = check_event};

/* ---- training's reaction ------------------------------------------------------------------------- */

/* The Llama 3 paper (Dubey et al. 2024, section 3.3.4; docs/sources.md): 2 TB/s
 * sustained from the storage tier, 7 TB/s peak. The restart's 600 s is a default to state in a
 * scenario (unverified: the paper gives no restart time). */
#define FT(m) offsetof(rs_sc_fail_training_t, m)
static const rs_sc__field_t training_fields[] = {
    {"checkpoint_interval_h", RS_SC__NUM, FT(checkpoint_interval_h), .min = 1e-6, .max = 1e6},
    {"checkpoint_write_s", RS_SC__NUM, FT(checkpoint_write_s), .min = 1e-6, .max = 1e7},
    {"storage_gbytes_per_s", RS_SC__NUM, FT(storage_gbytes_per_s), .min = 1e-3, .max = 1e9, .def = "2000"},
    {"restart_s", RS_SC__NUM, FT(restart_s), .min = 0, .max = 1e7, .def = "600"},
    {"spares", RS_SC__INT, FT(spares), .min = 0, .max = 1000000, .def = "0"},
    {"renewal_after", RS_SC__INT, FT(renewal_after), .min = 0, .max = 1000000, .def = "0"},
    {"wall_h", RS_SC__NUM, FT(wall_h), .min = 1e-6, .max = 1e7},
};
static const rs_sc__table_t training_table = {RS_SC__FIELDS(training_fields)};

/* ---- inference's and agents' reactions ------------------------------------------------------------ */

#define FI(m) offsetof(rs_sc_fail_inference_t, m)
static const rs_sc__field_t inference_fields[] = {
    {"retry", RS_SC__ENUM, FI(retry), .choices = retry_names, .def = "resubmit"},
    {"window_s", RS_SC__NUM, FI(window_s), .min = 1e-6, .max = 1e9, .def = "60"},
};
static const rs_sc__table_t inference_table = {RS_SC__FIELDS(inference_fields)};

/* A tool call that finds its host down waits out the caller's timeout, then tries another host; 30 s
 * is a default to state in a scenario (unverified: a typical client timeout, not a measured figure). */
#define FG(m) offsetof(rs_sc_fail_agentic_t, m)
static const rs_sc__field_t agentic_fields[] = {
    {"tool_retries", RS_SC__INT, FG(tool_retries), .min = 0, .max = 1000, .def = "3"},
    {"tool_retry_s", RS_SC__NUM, FG(tool_retry_s), .min = 0, .max = 1e6, .def = "30"},
};
static const rs_sc__table_t agentic_table = {RS_SC__FIELDS(agentic_fields)};

/* ---- the section ---------------------------------------------------------------------------------- */

#define FS(m) offsetof(rs_sc_failures_t, m)
static const rs_sc__field_t preset_repair_fields[] = {
    {"distribution", RS_SC__ENUM, FS(preset_repair_dist), .choices = rs_sc__dist_names, .def = "fixed"},
    {"mean_h", RS_SC__NUM, FS(preset_repair_mean_h), .min = 1e-6, .max = 1e9},
};
static const rs_sc__table_t preset_repair_table = {RS_SC__FIELDS(preset_repair_fields)};

/* A preset needs a repair (the paper gives no repair times), and its causes join the classes written. */
static int check_failures(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base)
{
  rs_sc_failures_t* f = base;
  if (f->preset == RS_FAIL_PRESET_NONE) {
    if (f->preset_repair_mean_h != 0)
      return rs_sc__err_key(w, at, "repair", "expected no repair unless a preset is given");
    return RS_OK;
  }
  if (f->preset_repair_mean_h == 0)
    return rs_sc__err_key(w, at, "repair",
                          "expected a repair: {mean_h: ...} with preset: %s (the paper gives no repair times)",
                          preset_names[f->preset]);
  rs_fail_cause_t causes[RS_LLAMA3_CAUSES];
  int n      = rs_failures_preset_llama3(causes);
  f->classes = xbt_realloc(f->classes, (size_t)(f->n_classes + n) * sizeof *f->classes);
  for (int i = 0; i < n; i++)
    f->classes[f->n_classes++] = (rs_sc_fail_class_t){.cls           = causes[i].cls,
                                                      .cause         = xbt_strdup(causes[i].cause),
                                                      .mtbf_h        = causes[i].mtbf_h,
                                                      .distribution  = RS_TTF_EXPONENTIAL,
                                                      .shape         = 1,
                                                      .repair_dist   = f->preset_repair_dist,
                                                      .repair_mean_h = f->preset_repair_mean_h};
  return RS_OK;
}

static const rs_sc__field_t failures_fields[] = {
    {"preset", RS_SC__ENUM, FS(preset), .choices = preset_names, .def = "none"},
    {"repair", RS_SC__MAP, 0, .def = "{}", .sub = &preset_repair_table},
    {"classes", RS_SC__SEQ, FS(classes), .sub = &class_table, .count_off = FS(n_classes),
     .item_size = sizeof(rs_sc_fail_class_t), .what = "a list of failure classes (lines starting with '- class: ...')"},
    {"events", RS_SC__SEQ, FS(events), .sub = &event_table, .count_off = FS(n_events),
     .item_size = sizeof(rs_sc_fail_event_t), .what = "a list of scheduled events (lines starting with '- at_h: ...')"},
    {"training", RS_SC__MAP, FS(training), .def = "{}", .sub = &training_table},
    {"inference", RS_SC__MAP, FS(inference), .def = "{}", .sub = &inference_table},
    {"agentic", RS_SC__MAP, FS(agentic), .def = "{}", .sub = &agentic_table},
};
const rs_sc__table_t rs_sc__failures = {RS_SC__FIELDS(failures_fields), .check = check_failures};
