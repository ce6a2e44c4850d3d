/* platgen.h -- writes SimGrid platform XML for racksim's hardware presets.
 * The ready files in platforms/ are made by it, so generated and shipped platforms cannot drift apart.
 * See LICENSE. */
#ifndef RS_PLATGEN_H
#define RS_PLATGEN_H

#include "error.h"
#include "hardware.h"

#include <stdio.h>

/* Default latency of one scale-out switch hop. hardware.md: no public absolute EFA latency, so
 * "a few microseconds per hop" is a documented default that a scenario may override. */
#define RS_EFA_HOP_LATENCY_US 2.0

/* Writes the platform of `count` servers of kind `server` to fp; RS_ERR and err on failure.
 * Only count == 1 is supported for now: one NVLink domain with its CPUs and NICs. */
int rs_platgen_write(FILE* fp, const rs_hw_server_t* server, int count, rs_err_t* err);

#endif
