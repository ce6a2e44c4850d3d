/* service.c -- where a workload's service listens, and which workloads serve: the naming half of the
 * protocol in service.h. It holds no state and runs no actor. See LICENSE. */
#include "service.h"

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

int rs_service_kind_serves(rs_wl_kind_t kind)
{
  (void)kind; /* the inference workload serves; none of the kinds built so far does */
  return 0;
}

int rs_service_find(const rs_scenario_t* sc, const char* name)
{
  for (int i = 0; i < sc->n_workloads; i++)
    if (strcmp(sc->workloads[i].name, name) == 0)
      return rs_service_kind_serves(sc->workloads[i].kind) ? i : -1;
  return -1;
}
