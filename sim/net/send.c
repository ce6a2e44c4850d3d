/* send.c -- the one send path: every message and flow of every workload is counted on its route by the
 * meter, then handed to SimGrid. Nothing else in racksim calls SimGrid's put or sendto. See LICENSE. */
#include "net/net_int.h"

#include <simgrid/comm.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>

void rs_net_flow(sg_host_t src, sg_host_t dst, double bytes)
{
  rs_net__count(src, dst, bytes);
  sg_host_sendto(src, dst, bytes);
}

void rs_net_flow_weighted(sg_host_t src, sg_host_t dst, double bytes, int weight, const sg_link_t* ends)
{
  if (weight == 1) {
    rs_net_flow(src, dst, bytes);
    return;
  }
  if (ends)
    rs_net__count_spread(src, dst, bytes, weight, ends);
  else
    rs_net__count(src, dst, bytes * weight);
  rs_net__sendto_weighted(src, dst, bytes * weight, weight);
}

void rs_net_put(sg_mailbox_t box, sg_host_t dst, void* payload, double bytes)
{
  rs_net__count(sg_host_self(), dst, bytes);
  sg_mailbox_put(box, payload, (long long)bytes);
}

sg_comm_t rs_net_put_async(sg_mailbox_t box, sg_host_t dst, void* payload, double bytes)
{
  rs_net__count(sg_host_self(), dst, bytes);
  return sg_mailbox_put_async(box, payload, (long long)bytes);
}

void rs_net_put_detached(sg_mailbox_t box, sg_host_t dst, void* payload, double bytes)
{
  rs_net__count(sg_host_self(), dst, bytes);
  /* SimGrid 3.32 detaches only a comm that has not started: init, then detach starts it. */
  sg_comm_detach(sg_mailbox_put_init(box, payload, (long long)bytes), NULL);
}

void rs_net_wait_all(sg_comm_t* comms, size_t n)
{
  sg_comm_t live[n > 0 ? n : 1];
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (comms[i] != NULL)
      live[k++] = comms[i];
  sg_comm_wait_all(live, k);
}
