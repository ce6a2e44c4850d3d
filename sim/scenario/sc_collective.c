/* sc_collective.c -- the scenario keys of kind: collective (a sweep of message sizes over a group of
 * GPUs, like nccl-tests), and their one check across keys. Whether the platform can run the sweep is
 * the workload's check, at run time. See LICENSE. */
#include "scenario/schema.h"

#include <stddef.h>

/* The sizes must sweep upwards. */
static int check_collective(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base)
{
  const rs_sc_collective_t* coll = &((rs_sc_workload_t*)base)->u.coll;
  if (coll->min_bytes > coll->max_bytes)
    return rs_sc__err_key(w, at, "max_bytes", "expected at least min_bytes (%.0f bytes), got %.0f bytes",
                          coll->min_bytes, coll->max_bytes);
  return RS_OK;
}

#define COLL(m) (offsetof(rs_sc_workload_t, u.coll) + offsetof(rs_sc_collective_t, m))
static const rs_sc__field_t collective_fields[] = {
    {"op", RS_SC__ENUM, COLL(op), .choices = RS_COLL_OP_NAMES, .def = "all-reduce"},
    {"algorithm", RS_SC__ENUM, COLL(algorithm), .choices = RS_COLL_ALGO_NAMES, .def = "auto"},
    {"gpus", RS_SC__INT, COLL(gpus), .min = 2, .max = 1e8},
    {"min_bytes", RS_SC__BYTES, COLL(min_bytes), .min = 1, .max = 1e15, .def = "1MiB"},
    {"max_bytes", RS_SC__BYTES, COLL(max_bytes), .min = 1, .max = 1e15, .def = "1GiB"},
    {"factor", RS_SC__INT, COLL(factor), .min = 2, .max = 1024, .def = "2"},
    {"iterations", RS_SC__INT, COLL(iterations), .min = 1, .max = 1e6, .def = "1"},
};
const rs_sc__table_t rs_sc__collective = {RS_SC__FIELDS(collective_fields), .check = check_collective};
