/* service.c -- where a workload's service listens, and which workloads serve: the naming half of the
 * protocol in service.h. It holds no state and runs no actor. See LICENSE. */
#include "service.h"

#include <simgrid/comm.h>
#include <simgrid/mailbox.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/misc.h>

sg_mailbox_t rs_service_mailbox(const char* name)
{
  char* box      = bprintf("service:%s", name);
  sg_mailbox_t m = sg_mailbox_by_name(box);
  free(box);
  return m;
}

void rs_service_send(sg_mailbox_t box, rs_svc_call_t* m, double bytes)
{
  /* SimGrid 3.32 detaches only a comm that has not started: init, then detach starts it. */
  sg_comm_detach(sg_mailbox_put_init(box, m, bytes), NULL);
}

int rs_service_kind_serves(rs_wl_kind_t kind) { return kind == RS_WL_INFERENCE; }

int rs_service_find(const rs_scenario_t* sc, const char* name)
{
  for (int i = 0; i < sc->n_workloads; i++)
    if (strcmp(sc->workloads[i].name, name) == 0)
      return rs_service_kind_serves(sc->workloads[i].kind) ? i : -1;
  return -1;
}

int rs_service_clients(const rs_scenario_t* sc, const char* name)
{
  int n = 0;
  for (int i = 0; i < sc->n_workloads; i++) {
    const rs_sc_workload_t* w = &sc->workloads[i];
    n += w->kind == RS_WL_AGENTIC && w->u.agent.service && strcmp(w->u.agent.service, name) == 0;
  }
  return n;
}
