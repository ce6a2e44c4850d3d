/* wl.c -- the table of workload kinds: the one place that lists them. See LICENSE. */
#include "wl/wl_int.h"

static const rs_wl_ops_t* const kinds[RS_WL_KIND_COUNT] = {
    [RS_WL_COLLECTIVE] = &rs_wl__collective,
    [RS_WL_TRAINING]   = &rs_wl__training,
    [RS_WL_INFERENCE]  = &rs_wl__inference,
    [RS_WL_AGENTIC]    = &rs_wl__agentic,
};

const rs_wl_ops_t* const* rs_wl_kinds(int* n)
{
  *n = RS_WL_KIND_COUNT;
  return kinds;
}
