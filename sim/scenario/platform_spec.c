/* platform_spec.c -- the platform generator's figures read alone, for 'racksim platform': a one-server
 * scenario whose platform.generate keys the overrides set, so the command's options get exactly the
 * checks and messages of a scenario's keys. See LICENSE. */
#define _DEFAULT_SOURCE /* mkstemps (glibc) */
#include "scenario/scenario.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int rs_scenario_platform_spec(const char* server, const char* const* sets, int n_sets, rs_platgen_spec_t* spec,
                              rs_err_t* err)
{
  char path[] = "/tmp/racksim-platform-XXXXXX.yaml";
  int fd      = mkstemps(path, 5);
  FILE* fp    = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (fp == NULL)
    return rs_err_set(err, "cannot create a temporary file: %s", strerror(errno));
  fprintf(fp,
          "name: platform\nplatform:\n  generate:\n    server: %s\n    servers: 1\n"
          "workloads:\n  - kind: collective\n",
          server);
  fclose(fp);
  rs_scenario_t* sc = rs_scenario_load(path, sets, n_sets, err);
  unlink(path);
  if (sc == NULL)
    return RS_ERR;
  *spec           = sc->platform.gen;
  spec->providers = NULL; /* freed with sc; `racksim generate` names no providers */
  rs_scenario_free(sc);
  return RS_OK;
}
