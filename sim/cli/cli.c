/* cli.c -- racksim's commands (run, validate, platform, models, sweep): their options, and the load, prepare, run
 * and report of a scenario. Only the command layer prints errors and chooses the exit code: 0
 * success, 1 simulation failure, 2 bad input or usage. See LICENSE. */
#include "cli/cli.h"
#include "cli/sgopts.h"
#include "model/model.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <simgrid/engine.h>
#include <simgrid/version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xbt/config.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

#define MAX_ARGS 256

static const char* const usage_run =
    "usage: racksim run SCENARIO [options]\n"
    "\n"
    "  -o, --output DIR     write the CSV tables to DIR (default: the scenario's outputs.dir, else out/NAME)\n"
    "  --seed N             random seed (overrides the scenario's seed)\n"
    "  --set KEY=VALUE      override one value of the scenario, e.g. --set workloads.0.max_bytes=8GiB\n"
    "                       (KEY is a dotted path; list items by index or by workload name); repeatable\n"
    "  --timeline           after the run, write DIR/timeline.json (Perfetto/Chrome trace events) with\n"
    "                       rs-timeline, with link_windows.csv for its link counters; set\n"
    "                       outputs.ops_max_rows for a track per rank\n"
    "  -q, --quiet          print nothing but errors\n"
    "  -v, --verbose        print the simulator's own progress messages\n"
    "  --log=SPEC           passed to SimGrid's logging (e.g. --log=racksim.thres:debug; --log=help)\n"
    "  --cfg=KEY:VALUE      passed to SimGrid's configuration (--cfg=help or --help-cfg lists the keys)\n"
    "\n"
    "exit status: 0 success, 1 simulation failure, 2 bad input or usage\n";

static const char* const usage_validate =
    "usage: racksim validate SCENARIO [--set KEY=VALUE]... [--seed N] [--format text|csv]\n"
    "\n"
    "Checks the scenario and loads its platform without simulating; prints a summary of the platform.\n"
    "  --format csv   print instead one CSV table of the platform's figures (GPUs, NVLink domains, sites,\n"
    "                 CPUs, GPU power), for scripts; docs/outputs.md, \"racksim validate --format csv\"\n"
    "exit status: 0 valid, 2 bad input\n";

static const char* const usage_platform =
    "usage: racksim platform SERVER [options] [-o FILE]\n"
    "       racksim platform --list\n"
    "\n"
    "Writes the SimGrid XML of a cluster of SERVER (a hardware preset) to FILE (default: standard output).\n"
    "  --servers N            servers (UltraServers) per site (default 1)\n"
    "  --servers-per-pod N    servers under one set of rail leaves (default 64)\n"
    "  --oversubscription X   leaf down / up bandwidth, >= 1 (default 1)\n"
    "  --hop-latency-us X     latency of one switch hop (default 2)\n"
    "  --sites N              sites (regions or providers) joined by WAN links (default 1)\n"
    "  --wan-gbits-per-s X    WAN bandwidth per site pair and direction, Gb/s (default 400)\n"
    "  --wan-latency-ms X     WAN latency (default 10)\n"
    "  --cpu-hosts N          CPU fleet hosts per site (default 0)\n"
    "  --cpu MODEL            their model: graviton4 (default) or grace\n"
    "  --storage-hosts N      storage tier hosts per site, where checkpoints are written (default 0)\n"
    "  --storage-gbits-per-s X  each one's NIC, Gb/s (default 100)\n"
    "  --describe             load the result and print its summary instead of the XML\n";

static const char* const usage_models =
    "usage: racksim models [--list]\n"
    "\n"
    "Lists the model presets a scenario's model.preset names: parameters (active ones for MoE), layers,\n"
    "hidden size, attention heads / KV heads, experts. docs/model.md gives their sources.\n";

typedef struct cli {
  const char* command;
  const char* scenario;
  const char* output;
  const char* sets[MAX_ARGS + 2]; /* --set and --seed, then the -o and --timeline ones prepare adds */
  int n_sets;
  const char* sg_args[MAX_ARGS]; /* --log and --cfg, given to SimGrid as they are */
  int n_sg_args;
  rs_verbosity_t verbosity;
  int list;
  int describe;
  int timeline;             /* --timeline: rs-timeline on the output directory after the run */
  int csv;                  /* validate --format csv: the platform's figures as one CSV table */
  const char* gen_args[16]; /* platform options, as "key=value" for the same checks as a scenario's */
  int n_gen;
  const char* sg_help;     /* SimGrid's help flag for --cfg=help, --help-cfg or --log=help */
  rs_sg_tracing_t tracing; /* what the --cfg items ask of SimGrid's tracing */
  rs_out_t* early_out;     /* a run's outputs, opened before the platform when SimGrid traces it */
  const char* trace_path;  /* where SimGrid writes the trace: a temporary file of early_out */
  int argc;                /* the command and its options, for run.yaml's record */
  char** argv;
} cli_t;

int rs_cli_usage_error(const char* command, const char* fmt, const char* arg)
{
  fprintf(stderr, "racksim: ");
  if (command)
    fprintf(stderr, "%s: ", command);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'racksim %s%s--help'.\n", command ? command : "", command ? " " : "");
  return RS_EXIT_INPUT;
}

/* Parses the options after the command; returns -1 to go on, else an exit code. */
static int parse_options(cli_t* cli, int argc, char** argv, const char* usage)
{
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       {"seed", required_argument, NULL, 'S'},
                                       {"set", required_argument, NULL, 's'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"verbose", no_argument, NULL, 'v'},
                                       {"log", required_argument, NULL, 'L'},
                                       {"cfg", required_argument, NULL, 'C'},
                                       {"list", no_argument, NULL, 'l'},
                                       {"help", no_argument, NULL, 'h'},
                                       {"describe", no_argument, NULL, 'D'},
                                       {"timeline", no_argument, NULL, 'T'},
                                       {"format", required_argument, NULL, 'F'},
                                       {"help-cfg", no_argument, NULL, 'H'},
                                       {"servers", required_argument, NULL, 'g'},
                                       {"servers-per-pod", required_argument, NULL, 'g'},
                                       {"oversubscription", required_argument, NULL, 'g'},
                                       {"hop-latency-us", required_argument, NULL, 'g'},
                                       {"sites", required_argument, NULL, 'g'},
                                       {"wan-gbits-per-s", required_argument, NULL, 'g'},
                                       {"wan-latency-ms", required_argument, NULL, 'g'},
                                       {"cpu-hosts", required_argument, NULL, 'g'},
                                       {"cpu", required_argument, NULL, 'g'},
                                       {"storage-hosts", required_argument, NULL, 'g'},
                                       {"storage-gbits-per-s", required_argument, NULL, 'g'},
                                       {NULL, 0, NULL, 0}};
  static char seed_set[64];
  opterr = 0;
  optind = 1;
  int c, which = 0;
  while ((c = getopt_long(argc, argv, "o:qvh", opts, &which)) != -1) {
    if (cli->n_sets >= MAX_ARGS - 1 || cli->n_sg_args >= MAX_ARGS - 1)
      return rs_cli_usage_error(cli->command, "%s", "too many options");
    switch (c) {
    case 'o':
      cli->output = optarg;
      break;
    case 'S': {
      char* end;
      errno = 0;
      strtoull(optarg, &end, 10);
      if (end == optarg || *end != '\0' || errno != 0 || optarg[0] == '-') {
        fprintf(stderr, "racksim: --seed %s: expected a non-negative integer, got '%s'\n", optarg, optarg);
        return RS_EXIT_INPUT;
      }
      snprintf(seed_set, sizeof seed_set, "seed=%s", optarg);
      cli->sets[cli->n_sets++] = seed_set;
      break;
    }
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
      if (strcmp(optarg, "help") == 0)
        cli->sg_help = "--help-logs";
      else
        cli->sg_args[cli->n_sg_args++] = bprintf("--log=%s", optarg);
      break;
    case 'C':
      if (strcmp(optarg, "help") == 0)
        cli->sg_help = "--cfg-help";
      else
        cli->sg_args[cli->n_sg_args++] = bprintf("--cfg=%s", optarg);
      break;
    case 'H':
      cli->sg_help = "--cfg-help";
      break;
    case 'l':
      cli->list = 1;
      break;
    case 'D':
      cli->describe = 1;
      break;
    case 'T':
      if (strcmp(cli->command, "run") != 0)
        return rs_cli_usage_error(cli->command, "option '%s' belongs to 'racksim run'", argv[optind - 1]);
      cli->timeline = 1;
      break;
    case 'F':
      if (strcmp(cli->command, "validate") != 0)
        return rs_cli_usage_error(cli->command, "option '%s' belongs to 'racksim validate'", "--format");
      if (strcmp(optarg, "csv") != 0 && strcmp(optarg, "text") != 0)
        return rs_cli_usage_error(cli->command, "--format: expected text or csv, got '%s'", optarg);
      cli->csv = strcmp(optarg, "csv") == 0;
      break;
    case 'g':
      if (strcmp(cli->command, "platform") != 0 || cli->n_gen >= 15)
        return rs_cli_usage_error(cli->command, "option '%s' belongs to 'racksim platform'", argv[optind - 1]);
      cli->gen_args[cli->n_gen++] = bprintf("%s=%s", opts[which].name, optarg);
      break;
    case 'h':
      fputs(usage, stdout);
      return RS_EXIT_OK;
    default:
      return rs_cli_usage_error(cli->command, "unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc)
    cli->scenario = argv[optind++];
  if (optind < argc)
    return rs_cli_usage_error(cli->command, "unexpected argument '%s'", argv[optind]);
  if (cli->sg_help) /* SimGrid 3.32 spells them --cfg-help and --help-logs; it prints and exits 0 */
    rs_sgopts_help(cli->sg_help);
  rs_err_t err = {{0}};
  for (int i = 0; i < cli->n_sg_args; i++)
    if (rs_sgopts_check(cli->sg_args[i], &err) != RS_OK) {
      fprintf(stderr, "racksim: %s\n", err.msg);
      return RS_EXIT_INPUT;
    }
  if (rs_sgopts_tracing(cli->sg_args, cli->n_sg_args, &cli->tracing, &err) != RS_OK) {
    fprintf(stderr, "racksim: %s\n", err.msg);
    return RS_EXIT_INPUT;
  }
  return -1;
}

/* Starts SimGrid with the settings racksim's results depend on, then the user's --log/--cfg. */
static void init_simgrid(const cli_t* cli)
{
  static char* argv[MAX_ARGS + 16];
  int argc     = 0;
  argv[argc++] = "racksim";
  argv[argc++] = "--cfg=network/model:CM02";
  argv[argc++] = "--cfg=network/crosstraffic:0";
  argv[argc++] = "--cfg=network/TCP-gamma:0";
  /* Past about 32k actors the stacks' guard pages exhaust vm.max_map_count ("Failed to protect stack"). */
  argv[argc++] = "--cfg=contexts/guard-size:0";
  argv[argc++] = "--log=root.thres:error";
  argv[argc++] = "--log=xbt_cfg.thres:critical";
  argv[argc++] = cli->verbosity == RS_VERBOSE ? "--log=racksim.thres:info" : "--log=racksim.thres:warning";
  for (int i = 0; i < cli->n_sg_args; i++)
    argv[argc++] = (char*)cli->sg_args[i];
  argv[argc] = NULL;
  simgrid_init(&argc, argv);
  /* SimGrid opens its trace when the platform loads: a run's goes under a temporary name into the output
   * directory, committed with the tables; a command that writes no outputs traces to nowhere. */
  if (cli->tracing.on)
    sg_cfg_set_string("tracing/filename", cli->trace_path ? cli->trace_path : "/dev/null");
}

/* Opens a traced run's outputs before SimGrid opens the trace, and names the trace's temporary file. */
static int open_trace(cli_t* cli, const rs_scenario_t* sc, rs_err_t* err)
{
  if (!cli->tracing.on || strcmp(cli->command, "run") != 0)
    return RS_OK;
  if ((cli->early_out = rs_out_open(sc->outputs.dir, err)) == NULL)
    return RS_ERR;
  cli->trace_path = rs_out_external(cli->early_out, cli->tracing.file, err);
  return cli->trace_path ? RS_OK : RS_ERR;
}

static int fail(int code, const rs_err_t* err)
{
  fprintf(stderr, "racksim: %s\n", err->msg);
  return code;
}

/* Loads the scenario and its platform and checks the workloads against it. */
static int prepare(cli_t* cli, rs_scenario_t** sc, rs_platform_t** plat, rs_run_t** run, rs_err_t* err)
{
  static char output_set[4096];
  if (cli->output) {
    snprintf(output_set, sizeof output_set, "outputs.dir=%s", cli->output);
    cli->sets[cli->n_sets++] = output_set;
  }
  if (cli->timeline) /* the timeline's link counters come from link_windows.csv */
    cli->sets[cli->n_sets++] = "outputs.link_windows=true";
  if ((*sc = rs_scenario_load(cli->scenario, cli->sets, cli->n_sets, err)) == NULL)
    return RS_ERR;
  if (open_trace(cli, *sc, err) != RS_OK)
    return RS_ERR;
  init_simgrid(cli);
  rs_run_energy_init();
  const rs_sc_platform_t* sp = &(*sc)->platform;
  int rc                     = RS_OK;
  if (sp->generate) { /* built in the engine: no XML written or parsed */
    char* name = bprintf("generated from %s (platform.generate)", (*sc)->path);
    rc         = rs_platform_generate(&sp->gen, name, plat, err);
    free(name);
  } else
    rc = rs_platform_load(sp->file, plat, err);
  if (rc != RS_OK)
    return RS_ERR;
  int n_kinds;
  const rs_wl_ops_t* const* kinds = rs_wl_kinds(&n_kinds);
  *run                            = rs_run_new(*sc, *plat, kinds, n_kinds, cli->verbosity);
  if (cli->early_out) { /* the run's from now on */
    rs_run_use_out(*run, cli->early_out);
    cli->early_out = NULL;
  }
  return rs_run_prepare(*run, err);
}

/* The GPU types a power cap slows (power.gpu_cap_w, or a site budget with over_budget: cap): a cap
 * changes every time, so the header and validate say so. */
static void print_caps(const rs_platform_t* p)
{
  for (int i = 0; i < p->n_models; i++)
    if (p->models[i].cap_watts > 0)
      printf("  %s GPUs capped at %.4g W of %.4g W: compute at %.4g of its uncapped speed\n", p->models[i].name,
             p->models[i].cap_watts, p->models[i].tdp_watts, p->models[i].cap_speed);
}

/* validate --format csv: the platform's figures as one CSV table (header and one row, CRLF as every
 * table), for scripts such as analysis/rs-fleet; docs/outputs.md lists the columns. */
static void print_csv(const rs_scenario_t* sc, const rs_platform_t* p)
{
  double idle = 0, busy = 0;
  int cores        = 0;
  char models[256] = "", num[32];
  for (int g = 0; g < p->n_gpus; g++) {
    const rs_gpu_model_t* m = p->gpus[g].model;
    idle += m->idle_watts;
    busy += rs_gpu_busy_watts(m);
  }
  for (int i = 0; i < p->n_models; i++) /* space-separated: no comma to quote */
    snprintf(models + strlen(models), sizeof models - strlen(models), "%s%s", i ? " " : "", p->models[i].name);
  for (int i = 0; i < p->n_cpus; i++)
    cores += p->cpus[i].cores;
  fputs("scenario,workloads,gpus,gpu_models,nvlink_domains,sites,cpus,cpu_cores,gpu_idle_kw,gpu_busy_kw\r\n", stdout);
  rs_out_write_text(stdout, sc->name);
  printf(",%d,%d,", sc->n_workloads, p->n_gpus);
  rs_out_write_text(stdout, models);
  printf(",%d,%d,%d,%d,", p->n_domains, p->n_sites > 0 ? p->n_sites : 1, p->n_cpus, cores);
  printf("%s,", rs_out_format_num(num, idle / 1e3));
  printf("%s\r\n", rs_out_format_num(num, busy / 1e3));
}

/* The header, printed before the run starts so that a long run shows at once what it simulates. */
static void header(const rs_run_t* run)
{
  const rs_scenario_t* sc = run->sc;
  printf("racksim %s: %s%s%s\n", RS_VERSION, sc->name, sc->description ? " -- " : "",
         sc->description ? sc->description : "");
  printf("  platform %s: %d GPUs in %d NVLink domain%s, %d CPUs\n", run->plat->file, run->plat->n_gpus,
         run->plat->n_domains, run->plat->n_domains == 1 ? "" : "s", run->plat->n_cpus);
  print_caps(run->plat);
  fflush(stdout);
}

static void report(const rs_run_t* run, double wall_s)
{
  rs_run_report(run, stdout);
  printf("  simulated %.6g s in %.2f s of wall time\n", simgrid_get_clock(), wall_s);
  rs_run_report_tables(run, stdout);
}

/* s as a YAML double-quoted scalar. */
static void yaml_quoted(FILE* fp, const char* s)
{
  fputc('"', fp);
  for (const unsigned char* c = (const unsigned char*)s; *c; c++) {
    if (*c == '"' || *c == '\\')
      fprintf(fp, "\\%c", *c);
    else if (*c < 0x20 || *c == 0x7f)
      fprintf(fp, "\\x%02x", *c);
    else
      fputc(*c, fp);
  }
  fputc('"', fp);
}

/* One word of a command line, quoted for a POSIX shell when it holds anything but safe characters. */
static void shell_word(FILE* fp, const char* s)
{
  if (s[0] != '\0' &&
      strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./=:,+-@%") == strlen(s)) {
    fputs(s, fp);
    return;
  }
  fputc('\'', fp);
  for (const char* c = s; *c; c++)
    if (*c == '\'')
      fputs("'\\''", fp);
    else
      fputc(*c, fp);
  fputc('\'', fp);
}

/* run.yaml: the scenario as loaded (every --set applied, the seed stated), then how the run was made.
 * Its relative paths resolve against record.relative_to, so it reruns from its output directory. The
 * caller frees the text. */
static char* run_yaml(const cli_t* cli, const rs_scenario_t* sc)
{
  char* text = NULL;
  size_t len = 0;
  FILE* fp   = open_memstream(&text, &len);
  fputs("# run.yaml -- written by racksim: the scenario as this run resolved it (every --set applied, the\n"
        "# seed stated), then how the run was made. 'racksim run THIS_FILE' reruns it exactly (add -o DIR to\n"
        "# write elsewhere); docs/outputs.md describes it.\n",
        fp);
  fputs(sc->resolved, fp);
  if (len > 0 && text[len - 1] != '\n')
    fputc('\n', fp);
  char* command      = NULL;
  size_t command_len = 0;
  FILE* cp           = open_memstream(&command, &command_len);
  fputs("racksim", cp);
  for (int i = 0; i < cli->argc; i++) {
    fputc(' ', cp);
    shell_word(cp, cli->argv[i]);
  }
  fclose(cp);
  char cwd[PATH_MAX];
  fprintf(fp, "record:\n  racksim: ");
  yaml_quoted(fp, RS_VERSION);
  fprintf(fp, "\n  simgrid: \"%d.%d.%d\"\n  command: ", SIMGRID_VERSION_MAJOR, SIMGRID_VERSION_MINOR,
          SIMGRID_VERSION_PATCH);
  yaml_quoted(fp, command);
  fprintf(fp, "\n  directory: ");
  yaml_quoted(fp, getcwd(cwd, sizeof cwd) ? cwd : "");
  fprintf(fp, "\n  relative_to: ");
  yaml_quoted(fp, sc->base_dir);
  fputc('\n', fp);
  fclose(fp);
  free(command);
  return text;
}

/* The path of the tool NAME beside this racksim (in the build tree as in an installed bin/), or of this
 * racksim itself when NAME is NULL; the caller frees it. NULL when /proc/self/exe cannot be read. */
static char* tool_path(const char* name)
{
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  char* slash;
  if (n <= 0 || (exe[n] = '\0', slash = strrchr(exe, '/')) == NULL)
    return NULL;
  if (name == NULL)
    return xbt_strdup(exe);
  slash[1] = '\0';
  return bprintf("%s%s", exe, name);
}

/* rs-timeline on the run's directory; RS_EXIT_SIM and err when it cannot run or fails (its own message
 * is on stderr then). */
static int write_timeline(const rs_run_t* run, int quiet, rs_err_t* err)
{
  char* tool = tool_path("rs-timeline");
  if (tool == NULL)
    return rs_err_set(err, "--timeline: cannot find rs-timeline (no /proc/self/exe)"), RS_EXIT_SIM;
  char* argv[] = {tool, (char*)rs_out_dir(run->out), NULL};
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    execv(tool, argv);
    _exit(127);
  }
  int st   = 0;
  int code = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 127;
  if (code == 127)
    rs_err_set(err, "--timeline: cannot run %s", tool);
  else if (code != 0)
    rs_err_set(err, "--timeline: rs-timeline failed (exit status %d)", code);
  else if (!quiet)
    printf("Timeline written to %s/timeline.json: open it in https://ui.perfetto.dev\n", rs_out_dir(run->out));
  free(tool);
  return code == 0 ? RS_EXIT_OK : RS_EXIT_SIM;
}

/* racksim sweep: the grid logic lives in rs-sweep (a POSIX sh script beside racksim, so that the job
 * lists it emits for GNU parallel and Slurm need nothing but a shell); this racksim becomes it, told to
 * run this very racksim and to name itself "racksim sweep" in its messages. */
static int cmd_sweep(int argc, char** argv)
{
  char* tool = tool_path("rs-sweep");
  char* self = tool_path(NULL);
  if (tool == NULL || self == NULL) {
    fprintf(stderr, "racksim: sweep: cannot find rs-sweep beside racksim\n");
    return RS_EXIT_SIM;
  }
  char** args = xbt_new(char*, argc + 3); /* rs-sweep, --racksim SELF, argv[1..], NULL */
  int n       = 0;
  args[n++]   = tool;
  args[n++]   = "--racksim";
  args[n++]   = self;
  for (int i = 1; i < argc; i++)
    args[n++] = argv[i];
  args[n] = NULL;
  setenv("RS_SWEEP_PROG", "racksim sweep", 1);
  fflush(NULL);
  execv(tool, args);
  fprintf(stderr, "racksim: sweep: cannot run %s: %s\n", tool, strerror(errno));
  free(tool);
  free(self);
  free(args);
  return RS_EXIT_SIM;
}

/* Past this many hosts a command ends without SimGrid's teardown: freeing a large platform's objects one
 * by one (6.8 million link halves at 1,048,608 GPUs) costs half as much as building them, a third of the
 * process's CPU time, and the system takes the memory back at once. The tests but one (check_cli's
 * test_large_platform_ends_whole) run smaller platforms, so the sanitizers and valgrind still see every
 * free. */
#define TEARDOWN_HOSTS 100000

/* Ends the process now when the platform had more than TEARDOWN_HOSTS hosts; returns otherwise. */
static void skip_teardown(long long hosts, int code)
{
  if (hosts <= TEARDOWN_HOSTS)
    return;
  fflush(NULL);
  _exit(code);
}

static long long host_count(const rs_platform_t* p)
{
  return p ? (long long)p->n_gpus + p->n_cpus : 0;
}

static int cmd_run_or_validate(cli_t* cli)
{
  rs_err_t err        = {{0}};
  rs_scenario_t* sc   = NULL;
  rs_platform_t* plat = NULL;
  rs_run_t* run       = NULL;
  double t0           = rs_run_wall_clock();
  int code            = RS_EXIT_OK;
  if (cli->scenario == NULL)
    return rs_cli_usage_error(cli->command, "%s", "expected a scenario file");
  if (prepare(cli, &sc, &plat, &run, &err) != RS_OK)
    code = fail(RS_EXIT_INPUT, &err);
  else if (strcmp(cli->command, "validate") == 0 && cli->csv)
    print_csv(sc, plat);
  else if (strcmp(cli->command, "validate") == 0) {
    rs_platform_describe(plat, stdout);
    print_caps(plat);
    printf("scenario %s: valid (%d workload%s)\n", sc->path, sc->n_workloads, sc->n_workloads == 1 ? "" : "s");
    rs_run_describe(run, stdout);
  } else {
    char* record  = run_yaml(cli, sc);
    run->run_yaml = record;
    if (rs_run_open(run, &err) != RS_OK)
      code = fail(RS_EXIT_INPUT, &err);
    else if (cli->verbosity != RS_QUIET)
      header(run);
    if (code == RS_EXIT_OK && (code = rs_run_execute(run, &err)) != RS_EXIT_OK)
      fail(code, &err);
    if (code == RS_EXIT_OK && cli->verbosity != RS_QUIET)
      report(run, rs_run_wall_clock() - t0);
    if (code == RS_EXIT_OK && cli->timeline && (code = write_timeline(run, cli->verbosity == RS_QUIET, &err)) != 0)
      fail(code, &err);
    free(record);
  }
  long long hosts = host_count(plat);
  rs_out_close(cli->early_out); /* when the run failed before it took them */
  rs_run_free(run);
  rs_platform_free(plat);
  rs_scenario_free(sc);
  skip_teardown(hosts, code);
  return code;
}

/* Reads --servers and friends through the scenario loader's own checks, as --set overrides of a
 * one-server scenario; a message then names the option, not a file the user never saw. */
static int platform_spec(const cli_t* cli, rs_platgen_spec_t* spec, rs_err_t* err)
{
  const char* sets[16];
  for (int i = 0; i < cli->n_gen; i++) {
    sets[i] = bprintf("platform.generate.%s", cli->gen_args[i]);
    for (char* c = (char*)sets[i]; *c && *c != '='; c++)
      if (*c == '-')
        *c = '_';
  }
  int rc = rs_scenario_platform_spec(cli->scenario, sets, cli->n_gen, spec, err);
  for (int i = 0; i < cli->n_gen; i++)
    free((char*)sets[i]);
  if (rc != RS_OK) {
    const char* what = strstr(err->msg, ": expected");
    char option[64]  = "";
    const char* key  = strstr(err->msg, "platform.generate.");
    if (key)
      snprintf(option, sizeof option, "%.*s", (int)strcspn(key + 18, "=:"), key + 18);
    for (char* c = option; *c; c++)
      if (*c == '_')
        *c = '-';
    char why[RS_ERR_LEN];
    snprintf(why, sizeof why, "%s", what ? what + 2 : err->msg);
    return rs_err_set(err, "option --%s: %s", option, why);
  }
  return RS_OK;
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
    return rs_cli_usage_error(cli->command, "%s", "expected a preset name (racksim platform --list names them)");
  if (rs_hw_server(cli->scenario) == NULL)
    return rs_cli_usage_error(cli->command, "unknown preset '%s' (racksim platform --list names them)", cli->scenario);
  rs_platgen_spec_t spec;
  if (platform_spec(cli, &spec, &err) != RS_OK)
    return fail(RS_EXIT_INPUT, &err);
  if (cli->describe) {
    rs_platform_t* plat = NULL;
    char* name = bprintf("%d x %s per site, %d site%s (generated)", spec.servers, spec.server->name, spec.sites,
                         spec.sites == 1 ? "" : "s");
    init_simgrid(cli);
    if (rs_platform_generate(&spec, name, &plat, &err) == RS_OK)
      rs_platform_describe(plat, stdout);
    free(name);
    long long hosts = host_count(plat);
    rs_platform_free(plat);
    skip_teardown(hosts, RS_EXIT_OK);
    return plat ? RS_EXIT_OK : fail(RS_EXIT_INPUT, &err);
  }
  FILE* fp = cli->output ? fopen(cli->output, "w") : stdout;
  if (fp == NULL)
    return rs_cli_usage_error(cli->command, "cannot write '%s'", cli->output);
  int rc = rs_platgen_write(fp, &spec, &err);
  if (fp != stdout && fclose(fp) != 0)
    rc = rs_err_set(&err, "cannot write '%s'", cli->output);
  return rc == RS_OK ? RS_EXIT_OK : fail(RS_EXIT_INPUT, &err);
}

/* The model presets, one a line. */
static int cmd_models(void)
{
  printf("%-18s %10s %10s %6s %6s %9s %8s\n", "preset", "params_b", "active_b", "layers", "hidden", "heads/kv",
         "experts");
  for (int i = 0; rs_model_preset_at(i); i++) {
    rs_model_t m;
    if (rs_model_preset(rs_model_preset_at(i), &m) != RS_OK)
      continue;
    char heads[32];
    snprintf(heads, sizeof heads, "%d/%d", m.heads, m.kv_heads);
    printf("%-18s %10.1f %10.1f %6d %6d %9s %8d\n", m.name, rs_model_params(&m) / 1e9, rs_model_active_params(&m) / 1e9,
           m.layers, m.hidden, heads, m.experts);
  }
  return RS_EXIT_OK;
}

int rs_cli_command(int argc, char** argv)
{
  cli_t cli           = {.verbosity = RS_NORMAL, .command = argv[0], .argc = argc, .argv = argv};
  const char* command = argv[0];
  if (strcmp(command, "sweep") == 0)
    return cmd_sweep(argc, argv);
  const char* usage = strcmp(command, "run") == 0        ? usage_run
                      : strcmp(command, "validate") == 0 ? usage_validate
                      : strcmp(command, "platform") == 0 ? usage_platform
                      : strcmp(command, "models") == 0   ? usage_models
                                                         : NULL;
  if (usage == NULL)
    return rs_cli_usage_error(NULL, "unknown command '%s'", command);
  int code = parse_options(&cli, argc, argv, usage);
  if (code < 0)
    code = strcmp(command, "platform") == 0 ? cmd_platform(&cli)
           : strcmp(command, "models") == 0
               ? (cli.scenario ? rs_cli_usage_error(command, "unexpected argument '%s'", cli.scenario) : cmd_models())
               : cmd_run_or_validate(&cli);
  for (int i = 0; i < cli.n_sg_args; i++)
    free((char*)cli.sg_args[i]);
  for (int i = 0; i < cli.n_gen; i++)
    free((char*)cli.gen_args[i]);
  return code;
}
