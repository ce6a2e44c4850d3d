/* fuzz_scenario.c -- libFuzzer target of the scenario loader: the YAML file and every check, and the
 * --set overrides. An input is the file's bytes, then, after a NUL byte, --set arguments separated by
 * NUL bytes. The loader must refuse or accept; a crash, a hang, a leak or undefined behaviour is a bug.
 * Build and run: tests/fuzz/run.sh (docs/reliability.md). See LICENSE. */
#include "scenario/scenario.h"
#include "fuzz_file.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SETS 16

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  static char path[64]; /* one file per process, rewritten for every input */
  rs_fuzz_path(path, sizeof path, "scenario", ".yaml");
  const uint8_t* nul = memchr(data, 0, size);
  size_t yaml_len    = nul ? (size_t)(nul - data) : size;
  FILE* fp           = fopen(path, "wb");
  if (fp == NULL)
    abort();
  fwrite(data, 1, yaml_len, fp);
  fclose(fp);

  char* rest = NULL; /* the --set arguments, each NUL-terminated */
  const char* sets[MAX_SETS];
  int n_sets = 0;
  if (nul) {
    size_t n = size - yaml_len - 1;
    rest     = malloc(n + 1);
    memcpy(rest, nul + 1, n);
    rest[n] = '\0';
    for (char* s = rest; s <= rest + n && n_sets < MAX_SETS; s += strlen(s) + 1)
      sets[n_sets++] = s;
  }
  rs_err_t err;
  rs_scenario_t* sc = rs_scenario_load(path, sets, n_sets, &err);
  if (sc == NULL && err.msg[0] == '\0')
    abort(); /* a refusal must say why */
  rs_scenario_free(sc);
  free(rest);
  return 0;
}
