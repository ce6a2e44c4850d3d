/* inf_faults.c -- how an inference service reacts to the run's failures: a replica with a GPU down is
 * routed no new request until the repair, and events.csv says when it left and came back. It does not
 * yet move the requests in flight on the replica (they finish there), nor drain a lost site's traffic
 * with the WAN added (issue 11, point 4). See LICENSE. */
#include "wl/inf_int.h"

#include <simgrid/engine.h>
#include <stdlib.h>
#include <xbt/sysdep.h>

void rs_inf__fault(rs_run_t* run, int i, void* state, const rs_fault_t* f)
{
  rs_inf_wl_t* w = state;
  if (w->reps == NULL || f->n_gpus == 0)
    return;
  char* hit = xbt_new0(char, run->plat->n_gpus + 1);
  for (int k = 0; k < f->n_gpus; k++)
    hit[f->gpus[k]] = 1;
  for (int r = 0; r < w->n_replicas; r++) {
    const rs_inf_replica_t* rep = &w->reps[r];
    int mine                    = 0;
    for (int k = 0; k < rep->n_gpus && !mine; k++)
      mine = hit[rep->gpus[k] - run->plat->gpus];
    if (!mine)
      continue;
    if (w->router.down == NULL)
      w->router.down = xbt_new0(int, w->router.n);
    int was = w->router.down[r];
    w->router.down[r] += f->up ? -1 : 1;
    if ((was == 0) != (w->router.down[r] == 0)) {
      char detail[96];
      snprintf(detail, sizeof detail, "replica %d %s: %s: %s", r, f->up ? "back" : "routed no request", f->cause,
               f->component);
      double now = simgrid_get_clock();
      rs_run_event(run, now, f->up ? now : f->repair_s, w->wl->name, f->up ? "replica up" : "replica down", detail);
    }
  }
  free(hit);
}
