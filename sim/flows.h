/* flows.h -- network flows between any two hosts, run by a pool of helper actors, for the aggregated
 * form of training: the representative ranks issue the flows of GPUs that run no actor of their own.
 * Also remembers which shared links of the scale-out fabric those flows cross, so that the flows that
 * would contend with them can be found without asking SimGrid for routes (a Dijkstra per source GPU,
 * too slow at 100k GPUs). See LICENSE. */
#ifndef RS_FLOWS_H
#define RS_FLOWS_H

#include "platform.h"

#include <simgrid/forward.h>

typedef struct rs_flows rs_flows_t;

/* oversubscription: of the pods' rail uplinks (rs_platform_t's); at 1 they carry all their GPUs' NICs
 * at once, so no flow can slow another there. */
rs_flows_t* rs_flows_new(double oversubscription);
void rs_flows_free(rs_flows_t* f); /* accepts NULL; call after the simulation ended */

/* Sends `bytes` from `from` to `to` over their real route, in a helper actor; releases `done` (when not
 * NULL) once the last byte arrived. Returns at once. Call from an actor. */
void rs_flows_start(rs_flows_t* f, sg_host_t from, sg_host_t to, double bytes, sg_sem_t done);

/* Whether a flow from GPU a to GPU b leaves its pod (or site), and so crosses links that other GPUs'
 * flows cross too: a's rail uplink, b's rail downlink, the WAN between their sites. Below the pod's
 * rail leaves every link a flow crosses is its end GPUs' own (NVLink, NIC) or a non-blocking latency
 * hop. With mark, those of its shared links where flows can contend (the WAN; uplinks when
 * oversubscribed) are also remembered. Both GPUs must state their pod. */
int rs_flows_shared(rs_flows_t* f, const rs_gpu_t* a, const rs_gpu_t* b, int mark);
/* Whether a flow from a to b crosses a shared link remembered by rs_flows_shared(..., 1). */
int rs_flows_crosses_marked(const rs_flows_t* f, const rs_gpu_t* a, const rs_gpu_t* b);

#endif
