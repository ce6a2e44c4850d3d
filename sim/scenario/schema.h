/* schema.h -- private to scenario/: what racksim's schema files share. schema.c holds the top of a
 * scenario (platform, outputs, the keys of every workload, the list of kinds) and the model section;
 * each sc_KIND.c holds one workload kind's keys and checks. Adding a kind is one sc_KIND.c and its
 * entry in schema.c's list of kinds. See LICENSE. */
#ifndef RS_SC_SCHEMA_H
#define RS_SC_SCHEMA_H

#include "scenario/walk.h"

/* The keys of a scenario file, read into an rs_scenario_t (schema.c). */
extern const rs_sc__table_t rs_sc__scenario;

/* Each kind's keys beside those every workload has, read into an rs_sc_workload_t (sc_KIND.c). */
extern const rs_sc__table_t rs_sc__collective;
extern const rs_sc__table_t rs_sc__training;
extern const rs_sc__table_t rs_sc__inference;
extern const rs_sc__table_t rs_sc__agentic;

/* The words of rs_prec_t, for ENUM keys (schema.c). */
extern const char* const rs_sc__prec_names[];
/* The words of rs_dist_t (sc_agentic.c). */
extern const char* const rs_sc__dist_names[];

/* The failures section, read into an rs_sc_failures_t (sc_failures.c). */
extern const rs_sc__table_t rs_sc__failures;

/* The power and pricing sections, both read into an rs_sc_power_t (sc_power.c). */
extern const rs_sc__table_t rs_sc__power;
extern const rs_sc__table_t rs_sc__pricing;

/* CUSTOM loader of a model section into the rs_model_t dst: a preset, a shape, or a preset with some
 * shape keys changed; RS_ERR and w->err when it is none of them or not a model. */
int rs_sc__load_model(rs_sc__walk_t* w, struct fy_node* n, const rs_sc__loc_t* at, void* dst);

/* A path given in the scenario w reads, resolved against the scenario's own directory; the caller
 * frees it. */
char* rs_sc__relative(const rs_sc__walk_t* w, const char* path);
/* 1 when path names a regular file. */
int rs_sc__is_file(const char* path);

#endif
