/* service.h -- the one protocol between workloads: a workload that serves requests (an inference
 * service) listens on a mailbox named after it, and any other workload (agents) sends it a call and
 * gets the same call back, filled, on its own mailbox. Workloads share nothing else. See LICENSE. */
#ifndef RS_SERVICE_H
#define RS_SERVICE_H

#include "scenario.h"

#include <simgrid/forward.h>

/* Bytes one token takes on the wire in a request or reply (text, about 4 characters per token). */
#define RS_SVC_BYTES_PER_TOKEN 4.0

/* RS_SVC_CALL: one LLM call. RS_SVC_BYE: the caller will send no more calls; a service keeps serving
 * until every client workload of the scenario (rs_service_clients) has said so. */
typedef enum { RS_SVC_CALL, RS_SVC_BYE } rs_svc_kind_t;

/* One LLM call. The caller allocates it, fills the request part and puts it on the service's mailbox
 * (simulated size: prompt tokens x RS_SVC_BYTES_PER_TOKEN). The service fills the reply part and puts
 * the same pointer on reply_to; the caller frees it. */
typedef struct rs_svc_call {
  /* request */
  rs_svc_kind_t kind;
  double prompt_tokens;
  double output_tokens;
  sg_mailbox_t reply_to;
  void* tag;     /* the caller's, returned untouched */
  double sent_s; /* when the caller sent it */
  /* reply */
  double first_token_s; /* simulated time of the first output token */
  double finish_s;      /* simulated time of the last output token */
  int ok;               /* 0: the service refused or dropped it */
} rs_svc_call_t;

/* Sends m to box without waiting (a detached put of `bytes` simulated bytes from the calling actor's
 * host); the receiver frees m. Both the caller and the service send this way. */
void rs_service_send(sg_mailbox_t box, rs_svc_call_t* m, double bytes);
/* The mailbox on which workload `name` serves calls. */
sg_mailbox_t rs_service_mailbox(const char* name);
/* 1 when workloads of this kind answer calls on their service mailbox. */
int rs_service_kind_serves(rs_wl_kind_t kind);
/* Index of the workload named name that serves calls, or -1 (none by that name, or not a service). */
int rs_service_find(const rs_scenario_t* sc, const char* name);
/* How many workloads of the scenario call the service of workload `name` (each ends with RS_SVC_BYE). */
int rs_service_clients(const rs_scenario_t* sc, const char* name);

#endif
