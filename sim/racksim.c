/* racksim.c -- the racksim command: parse the command line, load, run, write. Only main prints errors
 * and chooses the exit code: 0 success, 1 simulation failure, 2 bad input or usage. See LICENSE. */
#include "error.h"
#include "platform.h"
#include "platgen.h"
#include "run.h"
#include "scenario.h"
#include "workload.h"

#include <getopt.h>
#include <simgrid/engine.h>
#include <simgrid/version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xbt/log.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

#define MAX_ARGS 256

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
    "\n"
    "options: --help, --version. 'racksim <command> --help' tells more.\n";

static const char* const usage_run =
    "usage: racksim run SCENARIO [options]\n"
    "\n"
    "  -o, --output DIR     write the CSV tables to DIR (default: the scenario's outputs.dir, else out/NAME)\n"
    "  --seed N             random seed (overrides the scenario's seed)\n"
    "  --set KEY=VALUE      override one value of the scenario, e.g. --set workloads.0.max_bytes=8GiB\n"
    "                       (KEY is a dotted path; list items by index or by workload name); repeatable\n"
    "  -q, --quiet          print nothing but errors\n"
    "  -v, --verbose        print the simulator's own progress messages\n"
    "  --log=SPEC           passed to SimGrid's logging (e.g. --log=racksim.thres:debug)\n"
    "  --cfg=KEY:VALUE      passed to SimGrid's configuration\n"
    "\n"
    "exit status: 0 success, 1 simulation failure, 2 bad input or usage\n";

static const char* const usage_validate =
    "usage: racksim validate SCENARIO [--set KEY=VALUE]... [--seed N]\n"
    "\n"
    "Checks the scenario and loads its platform without simulating; prints a summary of the platform.\n"
    "exit status: 0 valid, 2 bad input\n";

static const char* const usage_platform =
    "usage: racksim platform NAME [-o FILE]\n"
    "       racksim platform --list\n"
    "\n"
    "Writes the SimGrid XML of the hardware preset NAME to FILE (default: standard output).\n";

typedef struct cli {
  const char* command;
  const char* scenario;
  const char* output;
  const char* sets[MAX_ARGS];
  int n_sets;
  const char* sg_args[MAX_ARGS]; /* --log and --cfg, given to SimGrid as they are */
  int n_sg_args;
  rs_verbosity_t verbosity;
  int list;
} cli_t;

static int usage_error(const char* command, const char* fmt, const char* arg)
{
  fprintf(stderr, "racksim: ");
  if (command)
    fprintf(stderr, "%s: ", command);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'racksim %s--help'.\n", command ? bprintf("%s ", command) : "");
  return RS_EXIT_INPUT;
}

/* Parses the options after the command; returns -1 to go on, else an exit code. */
static int parse_options(cli_t* cli, int argc, char** argv, const char* usage)
{
  static const struct option opts[] = {
      {"output", required_argument, NULL, 'o'}, {"seed", required_argument, NULL, 'S'},
      {"set", required_argument, NULL, 's'},    {"quiet", no_argument, NULL, 'q'},
      {"verbose", no_argument, NULL, 'v'},      {"log", required_argument, NULL, 'L'},
      {"cfg", required_argument, NULL, 'C'},    {"list", no_argument, NULL, 'l'},
      {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
  static char seed_set[64];
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "o:qvh", opts, NULL)) != -1) {
    if (cli->n_sets >= MAX_ARGS - 1 || cli->n_sg_args >= MAX_ARGS - 1)
      return usage_error(cli->command, "%s", "too many options");
    switch (c) {
      case 'o':
        cli->output = optarg;
        break;
      case 'S':
        snprintf(seed_set, sizeof seed_set, "seed=%s", optarg);
        cli->sets[cli->n_sets++] = seed_set;
        break;
      case 's':
        cli->sets[cli->n_sets++] = optarg;
        break;
      case 'q':
        cli->verbosity = RS_QUIET;
        break;
      case 'v':
        cli->verbosity = RS_VERBOSE;
        break;
      case 'L':
        cli->sg_args[cli->n_sg_args++] = bprintf("--log=%s", optarg);
        break;
      case 'C':
        cli->sg_args[cli->n_sg_args++] = bprintf("--cfg=%s", optarg);
        break;
      case 'l':
        cli->list = 1;
        break;
      case 'h':
        fputs(usage, stdout);
        return RS_EXIT_OK;
      default:
        return usage_error(cli->command, "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc)
    cli->scenario = argv[optind++];
  if (optind < argc)
    return usage_error(cli->command, "unexpected argument '%s'", argv[optind]);
  return -1;
}

/* Starts SimGrid with the settings racksim's results depend on, then the user's --log/--cfg. */
static void init_simgrid(const cli_t* cli)
{
  static char* argv[MAX_ARGS + 16];
  int argc       = 0;
  argv[argc++]   = "racksim";
  argv[argc++]   = "--cfg=network/model:CM02";
  argv[argc++]   = "--cfg=network/crosstraffic:0";
  argv[argc++]   = "--cfg=network/TCP-gamma:0";
  argv[argc++]   = "--log=root.thres:error";
  argv[argc++]   = "--log=xbt_cfg.thres:critical";
  argv[argc++]   = cli->verbosity == RS_VERBOSE ? "--log=racksim.thres:info" : "--log=racksim.thres:warning";
  for (int i = 0; i < cli->n_sg_args; i++)
    argv[argc++] = (char*)cli->sg_args[i];
  argv[argc] = NULL;
  simgrid_init(&argc, argv);
}

static int fail(int code, const rs_err_t* err)
{
  fprintf(stderr, "racksim: %s\n", err->msg);
  return code;
}

/* Loads the scenario and its platform and checks the workloads against it. */
static int prepare(cli_t* cli, rs_scenario_t** sc, rs_platform_t** plat, rs_run_t** run, rs_err_t* err)
{
  if (cli->output) {
    cli->sets[cli->n_sets++] = bprintf("outputs.dir=%s", cli->output);
  }
  if ((*sc = rs_scenario_load(cli->scenario, cli->sets, cli->n_sets, err)) == NULL)
    return RS_ERR;
  init_simgrid(cli);
  if (rs_platform_load((*sc)->platform.file, plat, err) != RS_OK)
    return RS_ERR;
  *run = rs_run_new(*sc, *plat, cli->verbosity);
  return rs_run_check(*run, err);
}

static double wall_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void report(const rs_run_t* run, double wall_s)
{
  const rs_scenario_t* sc = run->sc;
  printf("racksim %s: %s%s%s\n", RS_VERSION, sc->name, sc->description ? " -- " : "",
         sc->description ? sc->description : "");
  printf("  platform %s: %d GPUs in %d NVLink domains, %d CPUs\n", run->plat->file, run->plat->n_gpus,
         run->plat->n_domains, run->plat->n_cpus);
  for (int i = 0; i < sc->n_workloads; i++)
    rs_workload_report(run, i, stdout);
  printf("  simulated %.6g s in %.2f s of wall time\n", simgrid_get_clock(), wall_s);
  printf("CSV tables written to %s/ (summary.csv", rs_out_dir(run->out));
  if (run->collectives)
    printf(", collectives.csv");
  if (run->events)
    printf(", events.csv");
  printf(")\n");
}

static int cmd_run_or_validate(cli_t* cli)
{
  rs_err_t err       = {{0}};
  rs_scenario_t* sc  = NULL;
  rs_platform_t* plat = NULL;
  rs_run_t* run      = NULL;
  double t0          = wall_now();
  int code           = RS_EXIT_OK;
  if (cli->scenario == NULL)
    return usage_error(cli->command, "%s", "expected a scenario file");
  if (prepare(cli, &sc, &plat, &run, &err) != RS_OK)
    code = fail(RS_EXIT_INPUT, &err);
  else if (strcmp(cli->command, "validate") == 0) {
    rs_platform_describe(plat, stdout);
    printf("scenario %s: valid (%d workloads)\n", sc->path, sc->n_workloads);
  } else if ((code = rs_run_execute(run, &err)) != RS_EXIT_OK)
    fail(code, &err);
  else if (cli->verbosity != RS_QUIET)
    report(run, wall_now() - t0);
  rs_run_free(run);
  rs_platform_free(plat);
  rs_scenario_free(sc);
  return code;
}

static int cmd_platform(cli_t* cli)
{
  rs_err_t err = {{0}};
  if (cli->list) {
    for (int i = 0; rs_hw_server_at(i); i++)
      printf("%-18s %s\n", rs_hw_server_at(i)->name, rs_hw_server_at(i)->description);
    return RS_EXIT_OK;
  }
  if (cli->scenario == NULL)
    return usage_error(cli->command, "%s", "expected a preset name (racksim platform --list names them)");
  const rs_hw_server_t* server = rs_hw_server(cli->scenario);
  if (server == NULL)
    return usage_error(cli->command, "unknown preset '%s' (racksim platform --list names them)", cli->scenario);
  FILE* fp = cli->output ? fopen(cli->output, "w") : stdout;
  if (fp == NULL)
    return usage_error(cli->command, "cannot write '%s'", cli->output);
  int rc = rs_platgen_write(fp, server, 1, &err);
  if (fp != stdout && fclose(fp) != 0)
    rc = rs_err_set(&err, "cannot write '%s'", cli->output);
  return rc == RS_OK ? RS_EXIT_OK : fail(RS_EXIT_INPUT, &err);
}

int main(int argc, char** argv)
{
  cli_t cli = {.verbosity = RS_NORMAL};
  if (argc < 2)
    return usage_error(NULL, "%s", "expected a command: run, validate or platform");
  const char* command = argv[1];
  if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 || strcmp(command, "help") == 0) {
    fputs(usage_main, stdout);
    return RS_EXIT_OK;
  }
  if (strcmp(command, "--version") == 0) {
    printf("racksim %s (SimGrid %d.%d)\n", RS_VERSION, SIMGRID_VERSION_MAJOR, SIMGRID_VERSION_MINOR);
    return RS_EXIT_OK;
  }
  cli.command       = command;
  const char* usage = strcmp(command, "run") == 0        ? usage_run
                      : strcmp(command, "validate") == 0 ? usage_validate
                      : strcmp(command, "platform") == 0 ? usage_platform
                                                         : NULL;
  if (usage == NULL)
    return usage_error(NULL, "unknown command '%s'", command);
  int code = parse_options(&cli, argc - 1, argv + 1, usage);
  if (code >= 0)
    return code;
  return strcmp(command, "platform") == 0 ? cmd_platform(&cli) : cmd_run_or_validate(&cli);
}
