/* wl_int.h -- private to the workload layer's files: each kind's table entry (wl.c lists them), and
 * the service protocol by which one workload calls another. See LICENSE. */
#ifndef RS_WL_INT_H
#define RS_WL_INT_H

#include "wl/wl.h"

#include <simgrid/forward.h>

/* Each kind's entry, defined in its own file; every function behind it is static there. */
extern const rs_wl_ops_t rs_wl__collective;
extern const rs_wl_ops_t rs_wl__training;
extern const rs_wl_ops_t rs_wl__inference;
extern const rs_wl_ops_t rs_wl__agentic;

/* ---- the service protocol (service.c) --------------------------------------------------------------
 * A workload that serves requests (an inference service: rs_wl_ops_t.serves) listens on a mailbox
 * named after it, on one of its hosts; any other workload (agents: rs_wl_ops_t.calls) sends it a call
 * and gets the same call back, filled, on its own mailbox. Workloads share nothing else. Every call and
 * reply goes through the network layer's send path, so links.csv counts its bytes. */

/* Bytes one token takes on the wire in a request or reply (text, about 4 characters per token). */
#define RS_SVC_BYTES_PER_TOKEN 4.0

/* RS_SVC_CALL: one LLM call. RS_SVC_BYE: the caller will send no more calls; a service keeps serving
 * until every client workload of the scenario (rs_service_clients) has said so. */
typedef enum { RS_SVC_CALL, RS_SVC_BYE } rs_svc_kind_t;

/* One LLM call. The caller allocates it, fills the request part and sends it (rs_service_call); the
 * service fills the reply part and sends the same pointer back (rs_service_reply); the caller frees it. */
typedef struct rs_svc_call {
  /* request */
  rs_svc_kind_t kind;
  double prompt_tokens;
  double output_tokens;
  sg_mailbox_t reply_to;
  sg_host_t reply_host; /* the host of the actor that receives on reply_to */
  void* tag;            /* the caller's, returned untouched */
  double sent_s;        /* when the caller sent it */
  /* reply */
  double first_token_s; /* simulated time of the first output token */
  double finish_s;      /* simulated time of the last output token */
  int ok;               /* 0: the service refused or dropped it */
} rs_svc_call_t;

/* Serving workload i answers calls on its mailbox (rs_service_mailbox) from an actor on host; call from
 * its start, before the engine runs. */
void rs_service_listen(rs_run_t* run, int i, sg_host_t host);
/* The mailbox on which workload `name` serves calls. */
sg_mailbox_t rs_service_mailbox(const char* name);
/* Sends m (`bytes` simulated bytes, from the calling actor's host) to serving workload i without waiting;
 * the service then owns m until it replies. */
void rs_service_call(const rs_run_t* run, int i, rs_svc_call_t* m, double bytes);
/* Sends m back to its caller (`bytes` simulated bytes) without waiting; the caller frees it. */
void rs_service_reply(rs_svc_call_t* m, double bytes);
/* Index of the workload named name that serves calls, or -1 (none by that name, or not a service). */
int rs_service_find(const rs_run_t* run, const char* name);
/* How many workloads of the run call the service of workload `name` (each ends with RS_SVC_BYE). */
int rs_service_clients(const rs_run_t* run, const char* name);

#endif
