/* racksim.c -- the racksim command's main: raise the stack limit, answer --help and --version, and
 * hand the command to the command layer (cli/). See LICENSE. */
#include "cli/cli.h"

#include <simgrid/version.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static const char* const usage_main =
    "usage: racksim <command> [options]\n"
    "\n"
    "Simulates AI datacenters (GPU UltraServers, CPU fleets, their networks) running LLM training,\n"
    "inference and agentic workloads, and writes CSV traces.\n"
    "\n"
    "commands:\n"
    "  run SCENARIO        simulate a scenario and write its CSV tables\n"
    "  validate SCENARIO   check a scenario and its platform without simulating\n"
    "  platform NAME       write the SimGrid XML of a hardware preset (--list names them)\n"
    "  models --list       list the model presets\n"
    "  sweep SCENARIO      run a grid of --set values into one directory and sweep.csv (locally, or\n"
    "                      emitted for GNU parallel or a Slurm job array)\n"
    "\n"
    "options: --help, --version. 'racksim <command> --help' tells more.\n";

/* SimGrid's max-min solver recurses on the main stack; with about 100k coupled flows 8 MiB overflow.
 * The main thread's stack grows up to the soft limit in force when it grows, so raising it here is enough. */
static void raise_stack_limit(void)
{
  struct rlimit rl;
  rlim_t want = (rlim_t)1 << 30;
  if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    setrlimit(RLIMIT_STACK, &rl);
  }
}

int main(int argc, char** argv)
{
  raise_stack_limit();
  if (argc < 2)
    return rs_cli_usage_error(NULL, "%s", "expected a command: run, validate, platform, models or sweep");
  const char* command = argv[1];
  if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 || strcmp(command, "help") == 0) {
    fputs(usage_main, stdout);
    return RS_EXIT_OK;
  }
  if (strcmp(command, "--version") == 0) {
    printf("racksim %s (SimGrid %d.%d)\n", RS_VERSION, SIMGRID_VERSION_MAJOR, SIMGRID_VERSION_MINOR);
    return RS_EXIT_OK;
  }
  return rs_cli_command(argc - 1, argv + 1);
}
