/* service.c -- the service protocol between workloads (wl_int.h): where a service listens, which
 * workloads serve and call, and the sends of calls and replies. Knows no kind: each kind's table entry
 * says whether it serves and what it calls. Runs no actor. See LICENSE. */
#include "wl/wl_int.h"

#include <simgrid/mailbox.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/asserts.h>
#include <xbt/misc.h>

sg_mailbox_t rs_service_mailbox(const char* name)
{
  char* box      = bprintf("service:%s", name);
  sg_mailbox_t m = sg_mailbox_by_name(box);
  free(box);
  return m;
}

void rs_service_listen(rs_run_t* run, int i, sg_host_t host)
{
  run->wls[i].service_host = host;
}

void rs_service_call(const rs_run_t* run, int i, rs_svc_call_t* m, double bytes)
{
  sg_host_t host = run->wls[i].service_host;
  xbt_assert(host != NULL, "service %s called before it listens", run->sc->workloads[i].name);
  rs_net_put_detached(rs_service_mailbox(run->sc->workloads[i].name), host, m, bytes);
}

void rs_service_reply(rs_svc_call_t* m, double bytes)
{
  rs_net_put_detached(m->reply_to, m->reply_host, m, bytes);
}

int rs_service_find(const rs_run_t* run, const char* name)
{
  for (int i = 0; i < run->sc->n_workloads; i++)
    if (strcmp(run->sc->workloads[i].name, name) == 0)
      return run->wls[i].ops->serves ? i : -1;
  return -1;
}

int rs_service_clients(const rs_run_t* run, const char* name)
{
  int n = 0;
  for (int i = 0; i < run->sc->n_workloads; i++) {
    const rs_wl_ops_t* o = run->wls[i].ops;
    const char* called   = o->calls ? o->calls(&run->sc->workloads[i]) : NULL;
    n += called != NULL && strcmp(called, name) == 0;
  }
  return n;
}
