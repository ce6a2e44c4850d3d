/* wl.h -- racksim's workload layer, its whole public face: the table of workload kinds (collective,
 * training, inference, agentic), each one rs_wl_ops_t entry (run.h) that the run drives without
 * knowing which kind it is. Each kind lives in its own files and calls only the layers below it and
 * the service protocol of this layer, never another kind's code. See LICENSE. */
#ifndef RS_WL_H
#define RS_WL_H

#include "run/run.h"

/* Every kind, indexed by rs_wl_kind_t; *n gets their count. The table is constant. */
const rs_wl_ops_t* const* rs_wl_kinds(int* n);

#endif
