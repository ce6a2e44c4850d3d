/* net_int.h -- private to the network layer's files: the meter's count, called by the send path only.
 * See LICENSE. */
#ifndef RS_NET_INT_H
#define RS_NET_INT_H

#include "net/net.h"

/* Counts `bytes` sent from src to dst on every link of their route (a no-op unless a meter runs). */
void rs_net__count(sg_host_t src, sg_host_t dst, double bytes);

#endif
