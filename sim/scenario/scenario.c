/* scenario.c -- racksim's scenario loader, its public face (scenario.h): a walk (walk.c) of the file
 * against the scenario schema (schema.c and the sc_KIND.c files), the result freed through the same
 * tables, and later messages located through the where map the walk filled. Holds no key of its
 * own. See LICENSE. */
#define _DEFAULT_SOURCE /* realpath */
#include "scenario/schema.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

/* How the walker's own messages name a scenario. */
static const rs_sc__words_t scenario_words = {
    .doc           = "scenario",
    .top_keys      = "name, platform and workloads",
    .set_example   = "seed=7 or workloads.0.max_bytes=8GiB",
    .item_key      = "name",
    .item_name     = "a workload's name",
    .base_dir_path = "/record/relative_to",
};

/* The absolute directory of the file at path (its relative paths' base); path itself when it cannot
 * be resolved, which the loader has then already refused. */
static char* dir_of(const char* path)
{
  char* real = realpath(path, NULL);
  if (real == NULL)
    return xbt_strdup(path);
  char* slash = strrchr(real, '/');
  if (slash == real)
    slash[1] = '\0';
  else
    *slash = '\0';
  return real;
}

rs_scenario_t* rs_scenario_load(const char* path, const char* const* sets, int n_sets, rs_err_t* err)
{
  rs_scenario_t* sc = xbt_new0(rs_scenario_t, 1);
  sc->path          = xbt_strdup(path);
  sc->where         = rs_sc__where_new(path);
  rs_sc__walk_t w   = {.file = path, .err = err, .where = sc->where, .words = &scenario_words, .keep_doc = 1};
  if (rs_sc__load(&w, &rs_sc__scenario, sc, sets, n_sets) != RS_OK) {
    rs_scenario_free(sc);
    return NULL;
  }
  sc->base_dir = sc->record.relative_to ? xbt_strdup(sc->record.relative_to) : dir_of(path);
  /* run.yaml states the seed even where the file left it to its default, and leaves out the record of
   * the run that wrote it (the new run writes its own). */
  char* seed       = bprintf("seed=%llu", (unsigned long long)sc->seed);
  const char* last = seed;
  sc->resolved     = rs_sc__emit(&w, &last, 1, "record");
  free(seed);
  return sc;
}

int rs_scenario_err(const rs_scenario_t* sc, rs_err_t* err, const char* key, const char* fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  rs_sc__where_verr(sc->where, err, key, fmt, ap);
  va_end(ap);
  return RS_ERR;
}

void rs_scenario_free(rs_scenario_t* sc)
{
  if (sc == NULL)
    return;
  rs_sc__free(&rs_sc__scenario, sc); /* every text and list the tables read, and the defaults */
  free(sc->path);
  free(sc->base_dir);
  free(sc->resolved);
  rs_sc__where_free(sc->where);
  free(sc);
}
