/* sc_agentic.c -- the scenario keys of kind: agentic (agent sessions of LLM calls and tool calls on
 * CPU pools): arrivals, llm, tool, sandbox and fanout sections read into the workload itself, and the
 * list of pools, whose names must differ. Which hosts a pool takes and which service answers the LLM
 * calls are the workload's checks, at run time. See LICENSE. */
#include "scenario/schema.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char* const session_arrival_names[] = {"poisson", "day", "replay", NULL};
static const char* const place_names[]           = {"any", "fleet", "racks", NULL};

const char* const rs_sc__dist_names[] = {"fixed", "exponential", "lognormal", NULL};

const char* rs_place_name(rs_place_t place)
{
  return place_names[place];
}

/* Sections of the workload itself: their offsets are from rs_sc_workload_t. */
#define AG(m) (offsetof(rs_sc_workload_t, u.agent) + offsetof(rs_sc_agentic_t, m))

static const rs_sc__field_t arrivals_fields[] = {
    {"process", RS_SC__ENUM, AG(arrival), .choices = session_arrival_names, .def = "poisson"},
    {"rate_per_s", RS_SC__NUM, AG(rate_per_s), .min = 1e-9, .max = 1e9, .def = "1"},
    {"day_rates_per_s", RS_SC__STR, AG(day_rates)},
    {"slot_s", RS_SC__NUM, AG(slot_s), .min = 1e-3, .max = 1e9, .def = "3600"},
    {"replay", RS_SC__STR, AG(replay)},
    {"sessions", RS_SC__INT, AG(sessions), .min = 1, .max = 1e7, .def = "100"},
};
static const rs_sc__table_t arrivals_table = {RS_SC__FIELDS(arrivals_fields)};

static const rs_sc__field_t llm_fields[] = {
    {"service", RS_SC__STR, AG(service)},
    {"prompt_tokens", RS_SC__NUM, AG(prompt_tokens), .min = 1, .max = 1e8, .def = "2000"},
    {"growth_tokens", RS_SC__NUM, AG(growth_tokens), .min = 0, .max = 1e8, .def = "1000"},
    {"output_tokens", RS_SC__NUM, AG(output_tokens), .min = 1, .max = 1e8, .def = "300"},
};
static const rs_sc__table_t llm_table = {RS_SC__FIELDS(llm_fields)};

static const rs_sc__field_t tool_fields[] = {
    {"pool", RS_SC__STR, AG(tool_pool), .required = 1},
    {"cores", RS_SC__INT, AG(tool_cores), .min = 1, .max = 100000, .def = "1"},
    {"work_core_s", RS_SC__NUM, AG(tool_core_s), .min = 0, .max = 1e9, .def = "1"},
    {"work_gflop", RS_SC__NUM, AG(tool_gflop), .min = 0, .max = 1e15, .def = "0"},
    {"distribution", RS_SC__ENUM, AG(tool_dist), .choices = rs_sc__dist_names, .def = "fixed"},
    {"cv", RS_SC__NUM, AG(tool_cv), .min = 0, .max = 100, .def = "1"},
    {"mem_gbytes", RS_SC__NUM, AG(tool_mem_gbytes), .min = 0, .max = 1e6, .def = "0"},
    {"io_bytes", RS_SC__BYTES, AG(io_bytes), .min = 0, .max = 1e15, .def = "0"},
    {"io_pool", RS_SC__STR, AG(io_pool)},
};
static const rs_sc__table_t tool_table = {RS_SC__FIELDS(tool_fields)};

static const rs_sc__field_t sandbox_fields[] = {
    {"cold_start_s", RS_SC__NUM, AG(cold_start_s), .min = 0, .max = 1e6, .def = "0"},
    {"warm_start_s", RS_SC__NUM, AG(warm_start_s), .min = 0, .max = 1e6, .def = "0"},
    {"warm_pool", RS_SC__INT, AG(warm_pool), .min = 0, .max = 1e9, .def = "0"},
};
static const rs_sc__table_t sandbox_table = {RS_SC__FIELDS(sandbox_fields)};

static const rs_sc__field_t fanout_fields[] = {
    {"agents", RS_SC__INT, AG(fanout), .min = 0, .max = 10000, .def = "0"},
    {"at_turn", RS_SC__INT, AG(fanout_turn), .min = 0, .max = 10000, .def = "0"},
    {"turns", RS_SC__INT, AG(sub_turns), .min = 1, .max = 10000, .def = "1"},
};
static const rs_sc__table_t fanout_table = {RS_SC__FIELDS(fanout_fields)};

/* A pool's name is how tool.pool and tool.io_pool find it: no two may share one. */
static int check_pool(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base)
{
  const rs_sc_pool_t* pool   = base;
  const rs_sc_pool_t* before = pool - at->index; /* the list's start: pools read so far */
  for (int j = 0; j < at->index; j++)
    if (strcmp(before[j].name, pool->name) == 0)
      return rs_sc__err(w, at, "expected a pool name no other pool has, got '%s' twice", pool->name);
  return RS_OK;
}

static const rs_sc__field_t pool_fields[] = {
    {"name", RS_SC__STR, offsetof(rs_sc_pool_t, name), .required = 1},
    {"cpu", RS_SC__STR, offsetof(rs_sc_pool_t, cpu)},
    {"placement", RS_SC__ENUM, offsetof(rs_sc_pool_t, placement), .choices = place_names, .def = "any"},
    {"site", RS_SC__INT, offsetof(rs_sc_pool_t, site), .min = -1, .max = 64, .def = "-1"},
    {"hosts", RS_SC__INT, offsetof(rs_sc_pool_t, hosts), .min = 0, .max = 1e8, .def = "0"},
    {"cores_per_host", RS_SC__INT, offsetof(rs_sc_pool_t, cores_per_host), .min = 0, .max = 1e6, .def = "0"},
};
static const rs_sc__table_t pool_table = {RS_SC__FIELDS(pool_fields), .check = check_pool};

/* A replay file is relative to the scenario, like platform.file; its contents are checked at run time. */
static int check_agentic(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base)
{
  rs_sc_agentic_t* ag = &((rs_sc_workload_t*)base)->u.agent;
  if (ag->replay) {
    char* file = rs_sc__relative(w, ag->replay);
    free(ag->replay);
    ag->replay = file;
  }
  return RS_OK;
}

static const rs_sc__field_t agentic_fields[] = {
    {"arrivals", RS_SC__MAP, 0, .required = 1, .sub = &arrivals_table},
    {"turns", RS_SC__INT, AG(turns), .min = 1, .max = 10000, .def = "4"},
    {"llm", RS_SC__MAP, 0, .def = "{}", .sub = &llm_table},
    {"tool", RS_SC__MAP, 0, .required = 1, .sub = &tool_table},
    {"sandbox", RS_SC__MAP, 0, .def = "{}", .sub = &sandbox_table},
    {"fanout", RS_SC__MAP, 0, .def = "{}", .sub = &fanout_table},
    {"pools", RS_SC__SEQ, AG(pools), .required = 1, .sub = &pool_table, .count_off = AG(n_pools),
     .item_size = sizeof(rs_sc_pool_t), .what = "a list of CPU pools (lines starting with '- name: ...')"},
    {"sample_s", RS_SC__NUM, AG(sample_s), .min = 1e-3, .max = 1e9, .def = "10"},
};
const rs_sc__table_t rs_sc__agentic = {RS_SC__FIELDS(agentic_fields), .check = check_agentic};
