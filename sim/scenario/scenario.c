/* scenario.c -- racksim's scenario loader, its public face (scenario.h): a walk (walk.c) of the file
 * against the scenario schema (schema.c and the sc_KIND.c files), the result freed through the same
 * tables, and later messages located through the where map the walk filled. Holds no key of its
 * own. See LICENSE. */
#include "scenario/schema.h"

#include <stdarg.h>
#include <stdlib.h>
#include <xbt/sysdep.h>

/* How the walker's own messages name a scenario. */
static const rs_sc__words_t scenario_words = {
    .doc         = "scenario",
    .top_keys    = "name, platform and workloads",
    .set_example = "seed=7 or workloads.0.max_bytes=8GiB",
    .item_key    = "name",
    .item_name   = "a workload's name",
};

rs_scenario_t* rs_scenario_load(const char* path, const char* const* sets, int n_sets, rs_err_t* err)
{
  rs_scenario_t* sc = xbt_new0(rs_scenario_t, 1);
  sc->path          = xbt_strdup(path);
  sc->where         = rs_sc__where_new(path);
  rs_sc__walk_t w   = {.file = path, .err = err, .where = sc->where, .words = &scenario_words};
  if (rs_sc__load(&w, &rs_sc__scenario, sc, sets, n_sets) != RS_OK) {
    rs_scenario_free(sc);
    return NULL;
  }
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
  rs_sc__where_free(sc->where);
  free(sc);
}
