/* net_int.h -- private to the network layer's files: the meter's count and the weighted flow
 * (send_sg.cpp), called by the send path only. See LICENSE. */
#ifndef RS_NET_INT_H
#define RS_NET_INT_H

#include <simgrid/forward.h> /* before extern "C": in C++ it declares SimGrid's classes */

#include "net/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Counts `bytes` sent from src to dst on every link of their route (a no-op unless a meter runs). */
void rs_net__count(sg_host_t src, sg_host_t dst, double bytes);
/* Counts k flows of `bytes` that run as one from src to dst: k x bytes on every link of their route but
 * src's and dst's NIC halves (ends[0], ends[1]), and bytes on each of the k pairs of NIC halves in ends
 * (the k flows' own: from's up, to's down; src's and dst's among them). */
void rs_net__count_spread(sg_host_t src, sg_host_t dst, double bytes, int k, const sg_link_t* ends);
/* A flow of `bytes` from src to dst whose share of every saturated link is `weight` times a plain flow's
 * (its max-min penalty divided by weight); blocks the caller until it arrived. */
void rs_net__sendto_weighted(sg_host_t src, sg_host_t dst, double bytes, double weight);

#ifdef __cplusplus
}
#endif

#endif
