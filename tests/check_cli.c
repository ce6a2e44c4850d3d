/* check_cli.c -- Check suite for the racksim command (RS_RACKSIM_BIN), run as a user would from the
 * source directory: usage and exit codes, every bad fixture of tests/bad (exit 2, one line on stderr,
 * nothing written), and a real run of the quickstart (its tables, determinism, outputs.events).
 * Outputs go into a mkdtemp directory. See LICENSE. */
#define _GNU_SOURCE /* nftw */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RS_RACKSIM_BIN
#error "RS_RACKSIM_BIN must name the racksim binary"
#endif
#ifndef RS_SOURCE_DIR
#error "RS_SOURCE_DIR must name the source directory"
#endif

#define MAX_ARGV 32
#define QUICKSTART "scenarios/quickstart.yaml"

/* The test's temporary directory, made by the checked fixture in the forked child. */
static char tmpdir[64];

/* The bad fixtures, found once in main. */
static glob_t bad_fixtures;

static void make_tmpdir(void)
{
  strcpy(tmpdir, "/tmp/rs-check-cli-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int remove_entry(const char* path, const struct stat* st, int flag, struct FTW* ftw)
{
  return remove(path);
}

static void remove_tmpdir(void)
{
  nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* tmpdir/rel, in a static buffer of its own per call site's use (4 in turn). */
static const char* tmp(const char* rel)
{
  static char bufs[4][256];
  static int next;
  char* b = bufs[next++ % 4];
  snprintf(b, sizeof bufs[0], "%s/%s", tmpdir, rel);
  return b;
}

static int exists(const char* path)
{
  struct stat st;
  return stat(path, &st) == 0;
}

/* Reads a whole file into a new buffer; its size into len. */
static char* slurp(const char* path, size_t* len)
{
  FILE* fp = fopen(path, "rb");
  ck_assert_msg(fp != NULL, "cannot read %s", path);
  struct stat st;
  ck_assert_int_eq(fstat(fileno(fp), &st), 0);
  char* buf = malloc((size_t)st.st_size + 1);
  ck_assert_ptr_nonnull(buf);
  size_t n = fread(buf, 1, (size_t)st.st_size, fp);
  ck_assert_uint_eq(n, (size_t)st.st_size);
  fclose(fp);
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

typedef struct result {
  int code;
  char* out; /* all of it: platform XML is ~100 kB */
  char* err;
} result_t;

static result_t res;        /* the last run's; its buffers are freed by the next run */
static unsigned alarm_s;    /* when not 0, racksim gets SIGALRM after this many seconds: a hang fails */
static rlim_t memory_cap;   /* when not 0, racksim's address space in bytes (RLIMIT_AS) */
static const char* run_cwd; /* when not NULL, racksim runs in this directory instead of the source directory */

/* Runs racksim with the given arguments (NULL-terminated) in the source directory; its stdout and
 * stderr go to files in tmpdir and come back in res. Returns the exit status. */
static int racksim(const char* arg, ...)
{
  const char* argv[MAX_ARGV] = {RS_RACKSIM_BIN};
  int argc                   = 1;
  va_list ap;
  va_start(ap, arg);
  for (const char* a = arg; a != NULL && argc < MAX_ARGV - 1; a = va_arg(ap, const char*))
    argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;
  char out_path[128], err_path[128];
  snprintf(out_path, sizeof out_path, "%s/.stdout", tmpdir);
  snprintf(err_path, sizeof err_path, "%s/.stderr", tmpdir);
  fflush(NULL);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int o  = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    int e  = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    int in = open("/dev/null", O_RDONLY);
    if (o < 0 || e < 0 || in < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || dup2(in, 0) < 0)
      _exit(126);
    if (run_cwd && chdir(run_cwd) != 0)
      _exit(126);
    alarm(alarm_s);
    struct rlimit cap = {memory_cap, memory_cap};
    if (memory_cap != 0 && setrlimit(RLIMIT_AS, &cap) != 0)
      _exit(126);
    execv(argv[0], (char* const*)argv);
    _exit(127);
  }
  int st;
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert_msg(WIFEXITED(st), "racksim %s did not exit normally (signal %d)", arg ? arg : "",
                WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  res.code = WEXITSTATUS(st);
  ck_assert_msg(res.code != 126 && res.code != 127, "cannot run %s", argv[0]);
  free(res.out);
  free(res.err);
  res.out = slurp(out_path, NULL);
  res.err = slurp(err_path, NULL);
  unlink(out_path);
  unlink(err_path);
  return res.code;
}

static int count_lines(const char* s)
{
  int n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

#define assert_has(text, part) ck_assert_msg(strstr((text), (part)) != NULL, "'%s' not in:\n%s", (part), (text))
#define assert_starts(text, part)                                                                                      \
  ck_assert_msg(strncmp((text), (part), strlen(part)) == 0, "expected to start with '%s':\n%s", (part), (text))

/* Exit 2, nothing on stdout, one line on stderr: "racksim: ..." containing part. */
static void assert_one_error(const char* part)
{
  ck_assert_int_eq(res.code, 2);
  ck_assert_str_eq(res.out, "");
  ck_assert_msg(count_lines(res.err) == 1, "expected one line on stderr, got:\n%s", res.err);
  assert_starts(res.err, "racksim: ");
  assert_has(res.err, part);
}

/* Exit 2 for a usage error: the reason, then a hint at --help. */
static void assert_usage_error(const char* part)
{
  ck_assert_int_eq(res.code, 2);
  ck_assert_str_eq(res.out, "");
  assert_starts(res.err, "racksim: ");
  assert_has(res.err, part);
  assert_has(res.err, "--help");
}

/* Entries of dir, hidden ones included; their names (space-separated) into names. */
static int dir_entries(const char* dir, char* names, size_t len)
{
  DIR* d = opendir(dir);
  ck_assert_msg(d != NULL, "cannot list %s", dir);
  int n    = 0;
  names[0] = '\0';
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(names + strlen(names), len - strlen(names), "%s ", e->d_name);
    n++;
  }
  closedir(d);
  return n;
}

/* ---- usage ---- */

START_TEST(test_help_and_version)
{
  ck_assert_int_eq(racksim("--help", NULL), 0);
  assert_starts(res.out, "usage: racksim <command> [options]\n");
  assert_has(res.out, "run SCENARIO");
  assert_has(res.out, "validate SCENARIO");
  ck_assert_str_eq(res.err, "");
  ck_assert_int_eq(racksim("-h", NULL), 0);
  assert_starts(res.out, "usage: racksim <command>");
  ck_assert_int_eq(racksim("--version", NULL), 0);
  assert_starts(res.out, "racksim " RS_VERSION " (SimGrid 3.");
  ck_assert_int_eq(count_lines(res.out), 1);
  ck_assert_str_eq(res.err, "");
}
END_TEST

START_TEST(test_command_help)
{
  ck_assert_int_eq(racksim("run", "--help", NULL), 0);
  assert_starts(res.out, "usage: racksim run SCENARIO [options]\n");
  assert_has(res.out, "--set KEY=VALUE");
  assert_has(res.out, "exit status: 0 success, 1 simulation failure, 2 bad input or usage");
  ck_assert_str_eq(res.err, "");
  ck_assert_int_eq(racksim("validate", "--help", NULL), 0);
  assert_starts(res.out, "usage: racksim validate SCENARIO");
  ck_assert_int_eq(racksim("platform", "-h", NULL), 0);
  assert_starts(res.out, "usage: racksim platform ");
  assert_has(res.out, "racksim platform --list");
  /* every generator option the usage lists is one the generator takes (--wan-gbits once was not) */
  char* help = strdup(res.out);
  int n_opts = 0;
  for (char* line = strtok(help, "\n"); line; line = strtok(NULL, "\n")) {
    char opt[64], arg[16];
    if (sscanf(line, "  --%63s %15s", opt, arg) != 2 || (strcmp(arg, "N") && strcmp(arg, "X") && strcmp(arg, "MODEL")))
      continue;
    char flag[80];
    snprintf(flag, sizeof flag, "--%s", opt);
    int rc = racksim("platform", "p5.48xlarge", flag, strcmp(arg, "MODEL") ? "2" : "grace", "--describe", NULL);
    ck_assert_msg(rc == 0, "racksim platform %s: exit %d: %s", flag, rc, res.err);
    n_opts++;
  }
  free(help);
  ck_assert_int_eq(n_opts, 11);
  /* --help wins over a bad scenario: nothing is loaded */
  ck_assert_int_eq(racksim("run", "tests/bad/empty.yaml", "--help", NULL), 0);
  assert_starts(res.out, "usage: racksim run");
}
END_TEST

START_TEST(test_usage_errors)
{
  racksim(NULL);
  assert_usage_error("expected a command: run, validate, platform, models or sweep");
  racksim("bogus", NULL);
  assert_usage_error("unknown command 'bogus'");
  racksim("run", QUICKSTART, "--bogus", NULL);
  assert_usage_error("unknown or incomplete option '--bogus'");
  racksim("run", QUICKSTART, "-x", NULL);
  assert_usage_error("run: unknown or incomplete option");
  racksim("run", QUICKSTART, "--seed", NULL); /* missing its value */
  assert_usage_error("--seed");
  racksim("run", NULL);
  assert_usage_error("run: expected a scenario file");
  racksim("validate", NULL);
  assert_usage_error("validate: expected a scenario file");
  racksim("run", QUICKSTART, QUICKSTART, NULL);
  assert_usage_error("unexpected argument 'scenarios/quickstart.yaml'");
}
END_TEST

/* ---- bad input: every fixture of tests/bad ---- */

START_TEST(test_bad_fixture)
{
  const char* fixture = bad_fixtures.gl_pathv[_i];
  const char* out     = tmp("out");
  racksim("run", fixture, "-o", out, NULL);
  assert_one_error("tests/bad/");
  ck_assert_msg(!exists(out), "%s: %s was made", fixture, out);
  char names[1024];
  ck_assert_msg(dir_entries(tmpdir, names, sizeof names) == 0, "%s left %s", fixture, names);
  racksim("validate", fixture, NULL);
  assert_one_error("tests/bad/");
}
END_TEST

START_TEST(test_bad_fixture_messages)
{
  /* the three faults found after the loader: against the platform, and by SimGrid */
  racksim("run", "tests/bad/gpus-too-many.yaml", "-o", tmp("out"), NULL);
  assert_one_error("racksim: tests/bad/gpus-too-many.yaml:5: workloads[0].gpus: expected at most the platform's "
                   "72 GPUs, got 100\n");
  racksim("run", "tests/bad/nvls-allgather.yaml", "-o", tmp("out"), NULL);
  assert_one_error("racksim: tests/bad/nvls-allgather.yaml:6: workloads[0].algorithm: expected an algorithm that can "
                   "run all-gather here, got 'nvls': "
                   "nvls runs all-reduce only\n");
  racksim("run", "tests/bad/tree-one-domain.yaml", "-o", tmp("out"), NULL);
  ck_assert_int_eq(res.code, 2);
  assert_one_error("racksim: tests/bad/tree-one-domain.yaml:6: workloads[0].algorithm: expected an algorithm that "
                   "can run all-reduce here, got 'tree': "
                   "tree needs GPUs in several NVLink domains, with as many in each\n");
  racksim("run", "tests/bad/platform-bad-xml.yaml", "-o", tmp("out"), NULL);
  assert_one_error("racksim: tests/bad/platform-bad.xml:6: not a platform SimGrid can load: Invalid XML (XML input "
                   "line 6, state 75): Unexpected end-tag `</zone>': `</host>' expected.\n");
  ck_assert(!exists(tmp("out")));
  /* a platform with no host: sg_host_list aborts on it (issue 17, C3) */
  racksim("run", "tests/bad/platform-no-hosts.yaml", "-o", tmp("out"), NULL);
  assert_one_error("racksim: tests/bad/platform-no-hosts.xml: the platform has no host: expected GPU hosts (rs.role "
                   "gpu) in its zones\n");
  ck_assert(!exists(tmp("out")));
  /* what a YAML reader might take silently (issue 17): a NUL byte, a second document, an alias bomb */
  racksim("validate", "tests/bad/nul-byte.yaml", NULL);
  assert_one_error("racksim: tests/bad/nul-byte.yaml:2: not a text file (control byte 0x00): expected a YAML scenario "
                   "with keys name, platform and workloads\n");
  racksim("validate", "tests/bad/second-document.yaml", NULL);
  assert_one_error("racksim: tests/bad/second-document.yaml:9: a second YAML document starts here: expected one "
                   "scenario per file\n");
  racksim("validate", "tests/bad/alias-bomb.yaml", NULL);
  assert_one_error("racksim: tests/bad/alias-bomb.yaml:7: YAML aliases expand past 100000 nodes (or 32 aliases deep): "
                   "write the values out\n");
  /* and one the loader finds, as the loader words it */
  racksim("run", "tests/bad/op-bad.yaml", NULL);
  assert_one_error("racksim: tests/bad/op-bad.yaml:5: workloads[0].op: expected one of all-reduce, all-gather, "
                   "reduce-scatter, all-to-all, broadcast, send-recv, got 'allreduce'\n");
}
END_TEST

START_TEST(test_bad_set_and_seed)
{
  racksim("run", QUICKSTART, "--seed", "abc", "-o", tmp("out"), NULL);
  assert_one_error("got 'abc'");
  assert_has(res.err, "seed");
  ck_assert(!exists(tmp("out")));
  racksim("validate", QUICKSTART, "--set", "workloads.0.gpus=100", NULL);
  assert_one_error("racksim: --set workloads.0.gpus=100: workloads[0].gpus: expected at most the platform's 72 GPUs, "
                   "got 100\n");
  racksim("run", QUICKSTART, "--set", "nosuchkey=1", "-o", tmp("out"), NULL);
  assert_one_error("racksim: --set nosuchkey=1: nosuchkey: unknown key");
  ck_assert(!exists(tmp("out")));
  racksim("run", QUICKSTART, "--set", "foo", NULL);
  assert_one_error("racksim: --set foo: expected key=value");
  /* paths that name nothing (issue 17): a key, an item past the end, a workload no one has, an item alone */
  racksim("validate", QUICKSTART, "--set", "workloads.0.nosuch=1", NULL);
  assert_one_error(
      "racksim: --set workloads.0.nosuch=1: workloads[0].nosuch: unknown key; expected one of: name, kind, "
      "start_s, first_gpu, op, algorithm, gpus, min_bytes, max_bytes, factor, iterations\n");
  racksim("validate", QUICKSTART, "--set", "workloads.1.gpus=8", NULL);
  assert_one_error(
      "racksim: --set workloads.1.gpus=8: no list item '1' (give an index from 0, or a workload's name)\n");
  racksim("validate", QUICKSTART, "--set", "workloads.nope.gpus=8", NULL);
  assert_one_error(
      "racksim: --set workloads.nope.gpus=8: no list item 'nope' (give an index from 0, or a workload's name)\n");
  racksim("validate", QUICKSTART, "--set", "workloads.0=1", NULL);
  assert_one_error("racksim: --set workloads.0=1: '0' is a list item, not a value (give one of its keys after it)\n");
  racksim("validate", QUICKSTART, "--set", ".=1", NULL);
  assert_one_error("racksim: --set .=1: expected key=value, such as seed=7 or workloads.0.max_bytes=8GiB\n");
  racksim("run", "tests/bad/no-such-scenario.yaml", NULL);
  assert_one_error("racksim: tests/bad/no-such-scenario.yaml: cannot open the scenario");
}
END_TEST

/* Exit 2 and exactly this one line on stderr, nothing on stdout. */
static void assert_error_is(const char* line)
{
  ck_assert_int_eq(res.code, 2);
  ck_assert_str_eq(res.out, "");
  ck_assert_str_eq(res.err, line);
}

/* Bad --cfg and --log values are refused before anything runs (SimGrid 3.32 aborts on them: issue 17, C2). */
START_TEST(test_bad_cfg_and_log)
{
  racksim("run", QUICKSTART, "-o", tmp("out"), "--cfg=bogus:1", NULL);
  assert_error_is("racksim: --cfg=bogus:1: expected a key of SimGrid's configuration (racksim run --cfg=help lists "
                  "them), got 'bogus'\n");
  ck_assert(!exists(tmp("out")));
  racksim("run", QUICKSTART, "--cfg=bogus", NULL);
  assert_error_is("racksim: --cfg=bogus: expected KEY:VALUE (racksim run --cfg=help lists the keys), got 'bogus'\n");
  racksim("validate", QUICKSTART, "--cfg=network/TCP-gamma:abc", NULL);
  assert_error_is("racksim: --cfg=network/TCP-gamma:abc: expected a number for network/TCP-gamma, got 'abc'\n");
  racksim("validate", QUICKSTART, "--cfg=contexts/stack-size:8M", NULL);
  assert_error_is("racksim: --cfg=contexts/stack-size:8M: expected an integer for contexts/stack-size, got '8M'\n");
  racksim("validate", QUICKSTART, "--cfg=network/crosstraffic:maybe", NULL);
  assert_error_is("racksim: --cfg=network/crosstraffic:maybe: expected yes, no, on, off, true, false, 1 or 0 for "
                  "network/crosstraffic, got 'maybe'\n");
  racksim("validate", QUICKSTART, "--cfg=network/model:bogus", NULL);
  assert_error_is("racksim: --cfg=network/model:bogus: expected a value SimGrid accepts for network/model (racksim "
                  "run --cfg=help describes it), got 'bogus'\n");
  racksim("validate", QUICKSTART, "--cfg=network/model:CM02,bogus:2", NULL);
  assert_error_is("racksim: --cfg=bogus:2: expected a key of SimGrid's configuration (racksim run --cfg=help lists "
                  "them), got 'bogus'\n");
  racksim("run", QUICKSTART, "--log=bogus", NULL);
  assert_error_is("racksim: --log=bogus: expected CATEGORY.SETTING:VALUE, e.g. racksim.thres:debug (racksim run "
                  "--log=help explains them), got 'bogus'\n");
  racksim("run", QUICKSTART, "--log=root.thres:loud", NULL);
  assert_error_is("racksim: --log=root.thres:loud: expected a level (trace, debug, verbose, info, warning, error or "
                  "critical), got 'loud'\n");
  racksim("run", QUICKSTART, "--log=root.colour:red", NULL);
  assert_error_is("racksim: --log=root.colour:red: expected a setting threshold, fmt, appender or additivity, got "
                  "'colour'\n");
  racksim("run", QUICKSTART, "--log=root.app:nowhere", NULL);
  assert_error_is("racksim: --log=root.app:nowhere: expected stdout, stderr, file:PATH, rollfile:SIZE:PATH or "
                  "splitfile:SIZE:PATH, got 'nowhere'\n");
  racksim("run", QUICKSTART, "--log=root.app:file:/nonexistent/dir/log", NULL);
  assert_error_is("racksim: --log=root.app:file:/nonexistent/dir/log: expected a log setting SimGrid can apply (an "
                  "appender's file must be writable), got one it aborts on\n");
  /* Good ones still pass. */
  ck_assert_int_eq(racksim("validate", QUICKSTART, "--cfg=network/model:CM02,network/TCP-gamma:0",
                           "--cfg=contexts/stack-size:128", "--log=racksim.thres:warning", "--log=no_loc", NULL),
                   0);
  ck_assert_str_eq(res.err, "");
}
END_TEST

/* --cfg=help, --help-cfg and --log=help print SimGrid's own help and exit 0 (issue 17, point 6). */
START_TEST(test_simgrid_help)
{
  const char* cfg_help[][3] = {{"run", QUICKSTART, "--cfg=help"},
                               {"run", "--cfg=help", NULL},
                               {"validate", "--help-cfg", NULL},
                               {"platform", "--cfg=help", NULL}};
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(racksim(cfg_help[i][0], cfg_help[i][1], cfg_help[i][2], NULL), 0);
    assert_starts(res.out, "Description of the configuration accepted by this simulator:\n");
    assert_has(res.out, "   network/model: ");
    assert_has(res.out, "--cfg=<option name>:<option value>");
    ck_assert_str_eq(res.err, "");
  }
  ck_assert_int_eq(racksim("run", QUICKSTART, "--log=help", NULL), 0);
  assert_starts(res.out, "Description of the logging output:\n");
  assert_has(res.out, "--log=CATEGORY_NAME.thres:PRIORITY_LEVEL");
  ck_assert_str_eq(res.err, "");
  ck_assert_int_eq(racksim("validate", QUICKSTART, "--cfg=network/model:help", NULL), 0);
  assert_starts(res.out, "Long description of the network models accepted by this simulator:\n");
  assert_has(res.out, "  CM02: ");
}
END_TEST

/* --cfg=tracing:yes and its sub-options write the trace into the output directory, never the working
 * directory, and load the shipped platforms (issue 17, point 6). racksim runs in an empty directory
 * there, which must stay empty. */
START_TEST(test_tracing_into_output_dir)
{
  const char* scenario = RS_SOURCE_DIR "/" QUICKSTART;
  static char cwd[256]; /* tmp's buffers are reused */
  snprintf(cwd, sizeof cwd, "%s", tmp("cwd"));
  ck_assert_int_eq(mkdir(cwd, 0777), 0);
  run_cwd = cwd;
  char names[512];
  /* A relative -o resolves against the working directory: only that directory appears there. */
  ck_assert_int_eq(racksim("run", scenario, "-o", "out", "--quiet", "--cfg=tracing:yes",
                           "--cfg=tracing/comment:racksim-check,tracing/precision:9", NULL),
                   0);
  ck_assert_int_eq(dir_entries(tmp("cwd"), names, sizeof names), 1);
  ck_assert_str_eq(names, "out ");
  char* trace = slurp(tmp("cwd/out/simgrid.trace"), NULL);
  assert_starts(trace, "#This file was generated using SimGrid-3.32");
  assert_has(trace, "# racksim-check\n");
  assert_has(trace, "%EventDef PajeDefineContainerType");
  ck_assert_msg(strstr(trace, "partial") == NULL, "the trace names its temporary file:\n%.300s", trace);
  free(trace);
  char* manifest = slurp(tmp("cwd/out/.racksim-files"), NULL);
  assert_has(manifest, "simgrid.trace\n");
  free(manifest);
  dir_entries(tmp("cwd/out"), names, sizeof names);
  ck_assert_msg(strstr(names, "partial") == NULL && strstr(names, "lock") == NULL, "left in out: %s", names);
  /* Its own name, still in the output directory; a rerun without tracing removes the old trace. */
  ck_assert_int_eq(racksim("run", scenario, "-o", "out", "--cfg=tracing:1", "--cfg=tracing/filename:mine.trace", NULL),
                   0);
  assert_has(res.out, ", with mine.trace, run.yaml\n");
  ck_assert(exists(tmp("cwd/out/mine.trace")) && !exists(tmp("cwd/out/simgrid.trace")));
  ck_assert_int_eq(racksim("run", scenario, "-o", "out", "--quiet", NULL), 0);
  ck_assert(!exists(tmp("cwd/out/mine.trace")));
  /* validate and platform --describe write no output, so no trace either. */
  ck_assert_int_eq(racksim("validate", scenario, "--cfg=tracing:yes", NULL), 0);
  ck_assert_int_eq(racksim("platform", "p5.48xlarge", "--describe", "--cfg=tracing:on", NULL), 0);
  /* A generated platform (CPU fleet and border zones beside the pod) loads and runs traced. */
  ck_assert_int_eq(racksim("run", RS_SOURCE_DIR "/scenarios/agentic-tools.yaml", "-o", "agents", "--quiet",
                           "--cfg=tracing:yes", NULL),
                   0);
  ck_assert(exists(tmp("cwd/agents/simgrid.trace")));
  ck_assert_int_eq(dir_entries(tmp("cwd"), names, sizeof names), 2);
  /* What SimGrid 3.32 crashes or aborts on is refused before anything is written. */
  static const char* const refused[][2] = {
      {"--cfg=tracing/uncategorized:yes", "racksim: --cfg=tracing/uncategorized:yes: expected no (SimGrid 3.32 "},
      {"--cfg=tracing/platform:on", "racksim: --cfg=tracing/platform:on: expected no (SimGrid 3.32 "},
      {"--cfg=tracing/categorized:1", "racksim: --cfg=tracing/categorized:1: expected no ("},
      {"--cfg=tracing/actor:true", "racksim: --cfg=tracing/actor:true: expected no ("},
      {"--cfg=tracing/vm:yes", "racksim: --cfg=tracing/vm:yes: expected no (racksim has no virtual machines"},
      {"--cfg=tracing/smpi/format:TI", "racksim: --cfg=tracing/smpi/format:TI: expected Paje"},
      {"--cfg=tracing/filename:../up.trace", "racksim: --cfg=tracing/filename:../up.trace: expected a file name"},
      {"--cfg=tracing/filename:summary.csv", "racksim: --cfg=tracing/filename:summary.csv: expected a file name"},
      {"--cfg=tracing/filename:.racksim-lock", "expected a file name ending in .trace"},
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    racksim("run", scenario, "-o", "refused", "--cfg=tracing:yes", refused[i][0], NULL);
    assert_one_error(refused[i][1]);
  }
  /* Asked and then taken back, as SimGrid reads them: the last value counts. */
  ck_assert_int_eq(racksim("validate", scenario, "--cfg=tracing:yes,tracing/platform:yes,tracing/platform:no", NULL),
                   0);
  /* A platform SimGrid refuses, once the outputs are open for the trace, leaves nothing. */
  racksim("run", RS_SOURCE_DIR "/tests/bad/platform-bad-xml.yaml", "-o", "bad", "--cfg=tracing:yes", NULL);
  assert_one_error("not a platform SimGrid can load");
  racksim("run", RS_SOURCE_DIR "/tests/bad/platform-zero-speed.yaml", "-o", "bad", "--cfg=tracing:yes", NULL);
  assert_one_error("expected a positive finite speed");
  ck_assert_int_eq(dir_entries(tmp("cwd"), names, sizeof names), 2);
  assert_has(names, "out ");
  assert_has(names, "agents ");
  run_cwd = NULL;
}
END_TEST

/* A platform path of 1,967-1,969 characters crashed the platform-error handler: SimGrid's line was cut
 * at 2 kB after the file name (issue 17, C1). */
START_TEST(test_long_platform_path)
{
  for (size_t want = 1960; want <= 1975; want++) {
    static char path[4096], cmd[4200], scenario[256], msg[4400];
    snprintf(path, sizeof path, "%s/", tmpdir);
    while (strlen(path) + 200 + strlen("/p.xml") < want) {
      strcat(path,
             "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
             "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd/");
    }
    size_t pad = want - strlen(path) - strlen("/p.xml");
    memset(path + strlen(path), 'e', pad);
    path[want - strlen("/p.xml")] = '\0';
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
    strcat(path, "/p.xml");
    ck_assert_uint_eq(strlen(path), want);
    snprintf(cmd, sizeof cmd, "cp tests/bad/platform-bad.xml '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(scenario, sizeof scenario, "%s/long.yaml", tmpdir);
    FILE* fp = fopen(scenario, "w");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp, "name: long\nplatform:\n  file: %s\nworkloads:\n  - kind: collective\n", path);
    fclose(fp);
    racksim("validate", scenario, NULL);
    snprintf(msg, sizeof msg,
             "racksim: %s:6: not a platform SimGrid can load: Invalid XML (XML input line 6, state 75): Unexpected "
             "end-tag `</zone>': `</host>' expected.\n",
             path);
    ck_assert_int_eq(res.code, 2);
    ck_assert_str_eq(res.err, msg);
  }
}
END_TEST

START_TEST(test_unwritable_output)
{
  FILE* fp = fopen(tmp("file"), "w");
  ck_assert_ptr_nonnull(fp);
  fclose(fp);
  racksim("run", QUICKSTART, "--quiet", "-o", tmp("file/x"), NULL);
  assert_one_error("cannot create output directory");
}
END_TEST

/* ---- valid runs ---- */

START_TEST(test_validate_quickstart)
{
  ck_assert_int_eq(racksim("validate", QUICKSTART, NULL), 0);
  assert_has(res.out, "72 GPUs");
  assert_has(res.out, "scenario scenarios/quickstart.yaml: valid (1 workload)\n");
  ck_assert_str_eq(res.err, "");
  /* validate writes no tables, even when told where */
  ck_assert_int_eq(racksim("validate", QUICKSTART, "--seed", "5", "--set", "workloads.0.gpus=8", "-o", tmp("v"), NULL),
                   0);
  ck_assert_str_eq(res.err, "");
  char names[256];
  ck_assert_msg(dir_entries(tmpdir, names, sizeof names) == 0, "validate left %s", names);
}
END_TEST

/* validate --format csv: the platform's figures as one CSV table and nothing else (two p5.48xlarge: 16
 * H100 of 70 W idle and 700 W busy, in 2 NVLink domains; a cap lowers the busy figure); it belongs to
 * validate, and takes text or csv only. */
START_TEST(test_validate_csv)
{
  static const char* const header =
      "scenario,workloads,gpus,gpu_models,nvlink_domains,sites,cpus,cpu_cores,gpu_idle_kw,gpu_busy_kw\r\n";
  char want[256];
  ck_assert_int_eq(racksim("validate", "scenarios/training-llama8b-h100.yaml", "--format", "csv", NULL), 0);
  snprintf(want, sizeof want, "%straining-llama8b-h100,1,16,H100,2,1,4,192,1.12,11.2\r\n", header);
  ck_assert_str_eq(res.out, want);
  ck_assert_str_eq(res.err, "");
  ck_assert_int_eq(
      racksim("validate", "scenarios/training-llama8b-h100.yaml", "--format=csv", "--set", "power.gpu_cap_w=350", NULL),
      0);
  snprintf(want, sizeof want, "%straining-llama8b-h100,1,16,H100,2,1,4,192,1.12,5.6\r\n", header);
  ck_assert_str_eq(res.out, want);
  ck_assert_int_eq(racksim("validate", QUICKSTART, "--format", "text", NULL), 0);
  assert_has(res.out, "scenario scenarios/quickstart.yaml: valid (1 workload)\n");
  /* the deal's two replicas (docs/pricing.md): 16 NVL72 racks for training, one for serving, on GB300 too */
  ck_assert_int_eq(racksim("validate", "scenarios/deal-38b.yaml", "--format", "csv", NULL), 0);
  assert_has(res.out, "\r\ndeal-38b,1,1152,GB200,16,1,576,");
  ck_assert_int_eq(racksim("validate", "scenarios/deal-38b-serve.yaml", "--format", "csv", "--set",
                           "platform.generate.server=u-p6e-gb300x72", NULL),
                   0);
  assert_has(res.out, "\r\ndeal-38b-serve,1,72,GB300,1,1,36,");
  racksim("validate", QUICKSTART, "--format", "xml", NULL);
  assert_usage_error("validate: --format: expected text or csv, got 'xml'");
  racksim("run", QUICKSTART, "--format", "csv", NULL);
  assert_usage_error("run: option '--format' belongs to 'racksim validate'");
}
END_TEST

static const char* const tables[] = {"summary.csv", "collectives.csv", "events.csv",
                                     "links.csv",   "power.csv",       "power_summary.csv"};

START_TEST(test_run_quickstart)
{
  const char* dir = tmp("x");
  ck_assert_int_eq(racksim("run", QUICKSTART, "-o", dir, "--quiet", NULL), 0);
  ck_assert_str_eq(res.out, "");
  ck_assert_str_eq(res.err, "");
  char names[1024];
  /* the six tables, run.yaml and the manifest (.racksim-files) */
  ck_assert_msg(dir_entries(dir, names, sizeof names) == 8, "expected the six tables and two files, got: %s", names);
  ck_assert(exists(tmp("x/run.yaml")));
  ck_assert(exists(tmp("x/.racksim-files")));
  for (int i = 0; i < 6; i++) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, tables[i]);
    size_t len;
    char* text = slurp(path, &len);
    ck_assert_msg(len > 0 && count_lines(text) >= 2, "%s has no rows", path);
    free(text);
  }
  char path[256];
  snprintf(path, sizeof path, "%s/summary.csv", dir);
  char* summary = slurp(path, NULL);
  assert_starts(summary, "workload,kind,gpus,");
  assert_has(summary, "\r\nallreduce-sweep,collective,72,");
  free(summary);
}
END_TEST

START_TEST(test_run_reports)
{
  ck_assert_int_eq(racksim("run", QUICKSTART, "-o", tmp("y"), NULL), 0);
  assert_starts(res.out, "racksim " RS_VERSION ": quickstart");
  assert_has(res.out, "72 GPUs");
  assert_has(res.out, "CSV tables written to ");
  ck_assert_str_eq(res.err, "");
}
END_TEST

/* The closing line names exactly the tables in the directory: every one written, none that is not. */
START_TEST(test_closing_line_lists_tables)
{
  const char* dir = tmp("tables");
  ck_assert_int_eq(racksim("run", "scenarios/inference-llama8b-h200.yaml", "-o", dir, NULL), 0);
  const char* line = strstr(res.out, "CSV tables written to ");
  ck_assert_ptr_nonnull(line);
  const char* open = strchr(line, '(');
  ck_assert_ptr_nonnull(open);
  DIR* d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  int on_disk = 0;
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.')
      continue;
    on_disk++;
    ck_assert_msg(strstr(open, e->d_name) != NULL, "%s is in %s but not in the closing line", e->d_name, dir);
  }
  closedir(d);
  int listed = 1;
  for (const char* c = open; *c && *c != '\n'; c++)
    listed += *c == ',';
  ck_assert_int_eq(listed, on_disk);
  assert_has(open, "requests.csv");
  assert_has(open, "replicas.csv");
  assert_has(open, "), with run.yaml\n");
}
END_TEST

/* Writes text to tmpdir/rel. */
static void write_file(const char* rel, const char* text)
{
  FILE* fp = fopen(tmp(rel), "w");
  ck_assert_ptr_nonnull(fp);
  fputs(text, fp);
  ck_assert_int_eq(fclose(fp), 0);
}

#define INF_HEAD                                                                                                       \
  "name: sparse\nplatform:\n  preset: p5en.48xlarge\nworkloads:\n  - name: chat\n    kind: inference\n"                \
  "    model:\n      preset: llama3-8b\n    tp: 2\n"

/* Byte-identical tables: every CSV file of dir a is in dir b with the same bytes, and as many. */
static void assert_same_tables(const char* a, const char* b)
{
  glob_t g;
  char pattern[300];
  snprintf(pattern, sizeof pattern, "%s/*.csv", a);
  ck_assert_int_eq(glob(pattern, 0, NULL, &g), 0);
  ck_assert_uint_ge(g.gl_pathc, 3);
  for (size_t i = 0; i < g.gl_pathc; i++) {
    char other[300];
    snprintf(other, sizeof other, "%s/%s", b, strrchr(g.gl_pathv[i], '/') + 1);
    size_t la, lb;
    char* x = slurp(g.gl_pathv[i], &la);
    char* y = slurp(other, &lb);
    ck_assert_msg(la == lb && memcmp(x, y, la) == 0, "%s and %s differ", g.gl_pathv[i], other);
    free(x);
    free(y);
  }
  snprintf(pattern, sizeof pattern, "%s/*.csv", b);
  glob_t h;
  ck_assert_int_eq(glob(pattern, 0, NULL, &h), 0);
  ck_assert_uint_eq(h.gl_pathc, g.gl_pathc);
  globfree(&g);
  globfree(&h);
}

/* run.yaml holds the resolved scenario (every --set, the seed), the versions and the command line, and
 * 'racksim run DIR/run.yaml' gives the same bytes, even from elsewhere and with relative input files. */
START_TEST(test_run_yaml_reproduces)
{
  ck_assert_int_eq(racksim("run", QUICKSTART, "-o", tmp("a"), "--quiet", "--seed", "7", "--set",
                           "workloads.0.max_bytes=64MiB", "--set", "workloads.0.gpus=8", NULL),
                   0);
  char* yaml = slurp(tmp("a/run.yaml"), NULL);
  assert_has(yaml, "\nseed: 7\n");
  assert_has(yaml, "max_bytes: 64MiB\n");
  assert_has(yaml, "gpus: 8\n");
  assert_has(yaml, "\nrecord:\n  racksim: \"" RS_VERSION "\"\n  simgrid: \"3.");
  assert_has(yaml, "  command: \"racksim run ");
  assert_has(yaml, "--seed 7");
  assert_has(yaml, "--set workloads.0.gpus=8");
  free(yaml);
  char rerun[300];
  snprintf(rerun, sizeof rerun, "%s", tmp("a/run.yaml"));
  ck_assert_int_eq(racksim("run", rerun, "-o", tmp("b"), "--quiet", NULL), 0);
  assert_same_tables(tmp("a"), tmp("b"));
  /* the rerun's own run.yaml reruns too: its record was replaced, not stacked */
  yaml = slurp(tmp("b/run.yaml"), NULL);
  ck_assert_ptr_eq(strstr(strstr(yaml, "\nrecord:") + 1, "\nrecord:"), NULL);
  free(yaml);
  /* a scenario whose trace is beside it, run into a directory elsewhere: run.yaml still finds the trace */
  write_file("trace.csv", "arrival_s,prompt_tokens,output_tokens\n0,16,4\n0.5,32,8\n");
  write_file("trace.yaml", INF_HEAD "    arrival: trace\n    trace: trace.csv\n");
  char sc[300];
  snprintf(sc, sizeof sc, "%s", tmp("trace.yaml"));
  ck_assert_int_eq(racksim("run", sc, "-o", tmp("deep/c"), "--quiet", NULL), 0);
  snprintf(rerun, sizeof rerun, "%s", tmp("deep/c/run.yaml"));
  ck_assert_int_eq(racksim("run", rerun, "-o", tmp("d"), "--quiet", NULL), 0);
  assert_same_tables(tmp("deep/c"), tmp("d"));
}
END_TEST

/* A run into a directory of another run replaces all its files; an unrecorded one is refused. */
START_TEST(test_rerun_replaces_tables)
{
  char dir[300];
  snprintf(dir, sizeof dir, "%s", tmp("same"));
  ck_assert_int_eq(racksim("run", QUICKSTART, "-o", dir, "--quiet", NULL), 0);
  ck_assert(exists(tmp("same/collectives.csv")));
  ck_assert_int_eq(racksim("run", "scenarios/inference-llama8b-h200.yaml", "-o", dir, "--quiet", NULL), 0);
  char names[1024];
  /* summary, events, links, requests, replicas, power, power_summary, run.yaml, .racksim-files */
  ck_assert_int_eq(dir_entries(dir, names, sizeof names), 9);
  ck_assert_msg(!exists(tmp("same/collectives.csv")), "the first run's collectives.csv stayed: %s", names);
  ck_assert(exists(tmp("same/requests.csv")));
  char* manifest = slurp(tmp("same/.racksim-files"), NULL);
  ck_assert_ptr_eq(strstr(manifest, "collectives.csv"), NULL);
  assert_has(manifest, "requests.csv\n");
  free(manifest);
  /* a file that is no run's stays */
  write_file("same/notes.txt", "mine\n");
  ck_assert_int_eq(racksim("run", QUICKSTART, "-o", dir, "--quiet", NULL), 0);
  ck_assert(exists(tmp("same/notes.txt")));
  ck_assert(!exists(tmp("same/requests.csv")));
  /* tables no manifest names: refused, nothing written */
  ck_assert_int_eq(mkdir(tmp("old"), 0777), 0);
  write_file("old/summary.csv", "workload\r\n");
  racksim("run", QUICKSTART, "-o", tmp("old"), NULL);
  assert_one_error("output directory '");
  assert_has(res.err, "holds the tables of a run that racksim did not record (no .racksim-files)");
  ck_assert_int_eq(dir_entries(tmp("old"), names, sizeof names), 1);
}
END_TEST

/* --timeline writes timeline.json into the run's directory and its manifest; the next run removes it. */
START_TEST(test_run_timeline_flag)
{
  char dir[300];
  snprintf(dir, sizeof dir, "%s", tmp("tl"));
  ck_assert_int_eq(racksim("run", QUICKSTART, "-o", dir, "--timeline", "--set", "workloads.0.max_bytes=4MiB", NULL), 0);
  assert_has(res.out, "/timeline.json: open it in https://ui.perfetto.dev\n");
  char* json = slurp(tmp("tl/timeline.json"), NULL);
  assert_starts(json, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[");
  assert_has(json, "\"name\":\"sweep all-reduce\"");
  free(json);
  char* manifest = slurp(tmp("tl/.racksim-files"), NULL);
  assert_has(manifest, "timeline.json\n");
  free(manifest);
  ck_assert_int_eq(racksim("run", QUICKSTART, "-o", dir, "--quiet", NULL), 0);
  ck_assert(!exists(tmp("tl/timeline.json")));
  racksim("validate", QUICKSTART, "--timeline", NULL);
  assert_usage_error("option '--timeline' belongs to 'racksim run'");
}
END_TEST

/* On a terminal (script(1) gives a pseudo-terminal) the progress line shows; into a file, nothing. */
START_TEST(test_progress_only_on_terminal)
{
  ck_assert_int_eq(racksim("run", QUICKSTART, "-o", tmp("p"), NULL), 0);
  ck_assert_str_eq(res.err, "");
  ck_assert_ptr_eq(strchr(res.out, '\r'), NULL);
  ck_assert_ptr_eq(strchr(res.out, '\033'), NULL);
  if (system("command -v script >/dev/null 2>&1") != 0)
    return; /* util-linux's script is in every Debian; without it the terminal half is not checked */
  char cmd[600];
  snprintf(cmd, sizeof cmd, "script -qec '%s run %s -o %s' /dev/null > %s 2>&1 < /dev/null", RS_RACKSIM_BIN, QUICKSTART,
           tmp("t"), tmp("tty.txt"));
  ck_assert_int_eq(system(cmd), 0);
  char* tty = slurp(tmp("tty.txt"), NULL);
  assert_has(tty, "\r  simulated ");
  assert_has(tty, " done (");
  assert_has(tty, "left\033[K");
  /* the header comes before the progress, the closing line after it */
  const char* head = strstr(tty, "racksim " RS_VERSION ": quickstart");
  const char* line = strstr(tty, "\r  simulated ");
  const char* tail = strstr(tty, "CSV tables written to ");
  ck_assert(head != NULL && tail != NULL && head < line && line < tail);
  free(tty);
}
END_TEST

START_TEST(test_run_deterministic)
{
  ck_assert_int_eq(racksim("run", QUICKSTART, "-o", tmp("a"), "--quiet", NULL), 0);
  ck_assert_int_eq(racksim("run", QUICKSTART, "-o", tmp("b"), "--quiet", NULL), 0);
  for (int i = 0; i < 4; i++) {
    char pa[256], pb[256];
    snprintf(pa, sizeof pa, "%s/a/%s", tmpdir, tables[i]);
    snprintf(pb, sizeof pb, "%s/b/%s", tmpdir, tables[i]);
    size_t la, lb;
    char* a = slurp(pa, &la);
    char* b = slurp(pb, &lb);
    ck_assert_uint_gt(la, 0);
    ck_assert_msg(la == lb && memcmp(a, b, la) == 0, "%s differs between two equal runs", tables[i]);
    free(a);
    free(b);
  }
}
END_TEST

START_TEST(test_run_without_events)
{
  const char* dir = tmp("noev");
  ck_assert_int_eq(racksim("run", QUICKSTART, "--set", "outputs.events=false", "--set", "outputs.links=none", "-o", dir,
                           "--quiet", NULL),
                   0);
  char names[1024];
  ck_assert_msg(dir_entries(dir, names, sizeof names) == 6,
                "expected four tables (summary, collectives, power, power_summary), run.yaml, .racksim-files: %s",
                names);
  ck_assert(exists(tmp("noev/summary.csv")));
  ck_assert(exists(tmp("noev/collectives.csv")));
  ck_assert(!exists(tmp("noev/events.csv")));
}
END_TEST

/* ---- platform ---- */

START_TEST(test_platform_command)
{
  ck_assert_int_eq(racksim("platform", "--list", NULL), 0);
  assert_starts(res.out, "u-p6e-gb200x72 ");
  assert_has(res.out, "\np5.48xlarge ");
  ck_assert_str_eq(res.err, "");
  racksim("platform", "nosuch", NULL);
  assert_usage_error("unknown preset 'nosuch'");
  racksim("platform", NULL);
  assert_usage_error("expected a preset name");
  ck_assert_int_eq(racksim("platform", "u-p6e-gb200x72", NULL), 0);
  assert_starts(res.out, "<?xml");
  assert_has(res.out, "</platform>");
}
END_TEST

/* Past 100,000 hosts (here 72,000 GPUs and 36,000 CPUs) racksim ends without SimGrid's teardown (cli.c's
 * skip_teardown): the summary, fully buffered into a file, must still come out whole, and the exit
 * status be 0. */
START_TEST(test_large_platform_ends_whole)
{
  ck_assert_int_eq(racksim("platform", "u-p6e-gb200x72", "--servers", "1000", "--describe", NULL), 0);
  assert_starts(res.out, "platform 1000 x u-p6e-gb200x72 per site, 1 site (generated)\n");
  assert_has(res.out, "  72000 GPUs in 1000 NVLink domains (UltraServers or servers) over 1 site; 36000 CPUs\n");
  assert_has(res.out, "\n  2592000 CPU cores in all\n");
  ck_assert_str_eq(res.err, "");
}
END_TEST

/* The collective workload prints nccl-tests' table and footer; sizes take nccl-tests' 8M, 64M (binary). */
START_TEST(test_nccl_tests_table)
{
  ck_assert_int_eq(racksim("run", QUICKSTART, "-o", tmp("n"), "--set", "workloads.0.min_bytes=8M", "--set",
                           "workloads.0.max_bytes=64M", NULL),
                   0);
  assert_has(res.out, "    #       size         count      type   redop    root     time   algbw   busbw\n");
  assert_has(res.out, "    #        (B)    (elements)                               (us)  (GB/s)  (GB/s)\n");
  assert_has(res.out, "\n         8388608       2097152     float     sum      -1 ");
  assert_has(res.out, "\n        67108864      16777216     float     sum      -1 ");
  ck_assert_ptr_eq(strstr(res.out, "134217728    "), NULL);
  assert_has(res.out, "    # Avg bus bandwidth    : ");
  assert_has(res.out, "4 sizes x runs from 8388608 to 67108864 bytes");
}
END_TEST

START_TEST(test_models_command)
{
  ck_assert_int_eq(racksim("models", "--list", NULL), 0);
  assert_starts(res.out, "preset ");
  assert_has(res.out, "\nllama3-70b ");
  assert_has(res.out, "\nllama3-405b             405.9      405.9    126  16384     128/8        0\n");
  assert_has(res.out, "\ndeepseek-v3             671.0       37.6 ");
  ck_assert_str_eq(res.err, "");
  ck_assert_int_eq(racksim("models", NULL), 0);
  racksim("models", "llama", NULL);
  assert_usage_error("models: unexpected argument 'llama'");
  ck_assert_int_eq(racksim("--help", NULL), 0);
  assert_has(res.out, "models --list");
}
END_TEST

/* A preset written with `platform -o`, then used through `file:` by a scenario beside it. */
START_TEST(test_platform_round_trip)
{
  ck_assert_int_eq(racksim("platform", "u-p6e-gb200x36", "-o", tmp("p.xml"), NULL), 0);
  ck_assert_str_eq(res.out, "");
  FILE* fp = fopen(tmp("s.yaml"), "w");
  ck_assert_ptr_nonnull(fp);
  fputs("name: round-trip\nplatform: {file: p.xml}\nworkloads:\n  - kind: collective\n    gpus: 8\n", fp);
  ck_assert_int_eq(fclose(fp), 0);
  ck_assert_int_eq(racksim("validate", tmp("s.yaml"), NULL), 0);
  assert_has(res.out, "36 GPUs");
  ck_assert_str_eq(res.err, "");
}
END_TEST

/* Runs tmpdir/rel into tmpdir/out within 20 s; exit 0, and table has fewer than max_lines lines. */
static void assert_runs_short(const char* rel, const char* table, int max_lines)
{
  char sc[256], out[256];
  snprintf(sc, sizeof sc, "%s", tmp(rel));
  snprintf(out, sizeof out, "%s", tmp("out"));
  alarm_s = 20;
  int rc  = racksim("run", sc, "-o", out, NULL);
  alarm_s = 0;
  ck_assert_msg(rc == 0, "exit %d:\n%s", rc, res.err);
  char* text = slurp(tmp(table), NULL);
  ck_assert_msg(count_lines(text) < max_lines, "%s has %d lines", table, count_lines(text));
  free(text);
}

/* Issue 17 H2: requests far apart (a rate of 1e-9/s, a trace row at 1e12 s) end quickly, with a few
 * rows of replicas.csv for the idle stretches instead of one per second. */
START_TEST(test_sparse_inference_arrivals)
{
  write_file("rate.yaml", INF_HEAD "    requests: 2\n    rate_per_s: 1e-9\n    output_tokens: 4\n");
  assert_runs_short("rate.yaml", "out/replicas.csv", 200);
  /* with a kernel floor the second arrival (7.1e9 s) once fell within the clock's rounding of a sleep's
   * end, and SimGrid saw a deadlock (run/clock.c) */
  write_file("floor.yaml", INF_HEAD "    requests: 2\n    rate_per_s: 1e-9\n    output_tokens: 4\n"
                                    "    kernel_floor_s: 3e-6\n");
  assert_runs_short("floor.yaml", "out/replicas.csv", 200);
  write_file("trace.csv", "arrival_s,prompt_tokens,output_tokens\n0,16,4\n1e12,16,4\n");
  write_file("trace.yaml", INF_HEAD "    arrival: trace\n    trace: trace.csv\n");
  assert_runs_short("trace.yaml", "out/replicas.csv", 200);
  char* req = slurp(tmp("out/requests.csv"), NULL);
  assert_has(req, "\nchat,1,0,1e+12,");
  free(req);
}
END_TEST

/* Issue 17 H2: an agentic replay whose second session starts at 1e12 s ends quickly. */
START_TEST(test_sparse_agentic_replay)
{
  write_file("starts.csv", "start_s\n0\n1e12\n");
  write_file("agents.yaml", "name: sparse-agents\nplatform:\n  generate:\n    server: u-p6e-gb200x72\n"
                            "    servers: 1\n    cpu_hosts: 1\nworkloads:\n  - name: agents\n    kind: agentic\n"
                            "    arrivals: {process: replay, replay: starts.csv}\n    turns: 1\n"
                            "    tool: {pool: fleet, cores: 1, work_core_s: 1}\n"
                            "    pools:\n      - {name: fleet, placement: fleet}\n    sample_s: 1\n");
  assert_runs_short("agents.yaml", "out/cpu_pools.csv", 200);
}
END_TEST

/* Issue 17 C5: a request count past what memory holds is refused at once, located. */
START_TEST(test_too_many_requests)
{
  write_file("many.yaml", INF_HEAD "    requests: 1e8\n");
  alarm_s = 5;
  racksim("validate", tmp("many.yaml"), NULL);
  alarm_s = 0;
  assert_one_error("workloads[0].requests: expected an integer from 1 to 10000000, got '1e8'");
}
END_TEST

/* Issue 17 P1: a second run into the directory of a run under way is refused (exit 2, naming the
 * directory and the first run's pid), and the first run's tables come out as a run alone writes them.
 * The first run is stopped (SIGSTOP) once it holds the lock, so the second always meets it. */
START_TEST(test_concurrent_runs_refused)
{
  ck_assert_int_eq(racksim("run", QUICKSTART, "-o", tmp("solo"), "--quiet", NULL), 0);
  char dir[256], lock[300];
  snprintf(dir, sizeof dir, "%s", tmp("shared"));
  snprintf(lock, sizeof lock, "%s/.racksim-lock", dir);
  fflush(NULL);
  pid_t first = fork();
  ck_assert_int_ge(first, 0);
  if (first == 0) {
    int null = open("/dev/null", O_RDWR);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
      _exit(126);
    execl(RS_RACKSIM_BIN, RS_RACKSIM_BIN, "run", QUICKSTART, "-o", dir, "--quiet", (char*)NULL);
    _exit(127);
  }
  char want[32];
  snprintf(want, sizeof want, "%ld\n", (long)first);
  int held = 0;
  for (int i = 0; i < 20000 && !held; i++) { /* up to 20 s: the run loads its platform first */
    FILE* fp     = fopen(lock, "r");
    char got[32] = "";
    if (fp != NULL) {
      held = fgets(got, sizeof got, fp) != NULL && strcmp(got, want) == 0;
      fclose(fp);
    }
    if (!held)
      usleep(1000);
  }
  ck_assert_int_eq(kill(first, SIGSTOP), 0);
  ck_assert_msg(held, "the first run never took the lock of %s", dir);
  racksim("run", QUICKSTART, "-o", dir, "--quiet", NULL);
  ck_assert_int_eq(kill(first, SIGCONT), 0);
  assert_one_error("output directory '");
  assert_has(res.err, dir);
  char pid[48];
  snprintf(pid, sizeof pid, "another racksim run (pid %ld)", (long)first);
  assert_has(res.err, pid);
  int st;
  ck_assert_int_eq(waitpid(first, &st, 0), first);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the first run failed (status %d)", st);
  for (int i = 0; i < 6; i++) {
    char pa[300], pb[300];
    snprintf(pa, sizeof pa, "%s/%s", tmp("solo"), tables[i]);
    snprintf(pb, sizeof pb, "%s/%s", dir, tables[i]);
    size_t la, lb;
    char* a = slurp(pa, &la);
    char* b = slurp(pb, &lb);
    ck_assert_msg(la == lb && memcmp(a, b, la) == 0, "%s of the first run differs from a run alone", tables[i]);
    free(a);
    free(b);
  }
  ck_assert_msg(!exists(lock), "the lock file stayed after the run");
  /* and once the first has ended, the directory is free again */
  ck_assert_int_eq(racksim("run", QUICKSTART, "-o", dir, "--quiet", NULL), 0);
}
END_TEST

/* Issue 17 C6: max_seqs and max_batch_tokens at their documented maxima passed validate, and run
 * aborted on allocations of max_seqs entries per replica (128 replicas: 20 GB). The running set grows
 * with what runs. Under 2 GB of address space, but not under ASan, whose shadow memory needs more. */
START_TEST(test_batch_limits_at_maximum)
{
  write_file("limits.yaml", "name: limits\nplatform:\n  generate:\n    server: p5en.48xlarge\n    servers: 16\n"
                            "workloads:\n  - name: chat\n    kind: inference\n    model:\n      preset: llama3-8b\n"
                            "    tp: 1\n    requests: 100\n    max_seqs: 10000000\n    max_batch_tokens: 100000000\n");
  ck_assert_int_eq(racksim("validate", tmp("limits.yaml"), NULL), 0);
  memory_cap = getenv("ASAN_OPTIONS") ? 0 : (rlim_t)2 << 30;
  racksim("run", tmp("limits.yaml"), "-o", tmp("limits"), "--quiet", NULL);
  memory_cap = 0;
  ck_assert_msg(res.code == 0, "exit %d: %s", res.code, res.err);
  char* requests = slurp(tmp("limits/requests.csv"), NULL);
  ck_assert_int_eq(count_lines(requests), 101); /* the header and every request */
  free(requests);
}
END_TEST

/* Issue 17 C7: a platform generated past RS_PLATGEN_MAX_HOSTS is refused at once, before any XML is
 * written into $TMPDIR, by 'racksim platform' (with and without --describe) as by a scenario. */
START_TEST(test_generate_too_large)
{
  ck_assert_int_eq(mkdir(tmp("gen-tmp"), 0777), 0);
  setenv("TMPDIR", tmp("gen-tmp"), 1);
  alarm_s = 5;
  racksim("platform", "u-p6e-gb200x72", "--servers", "100000", "--sites", "64", "--describe", NULL);
  assert_one_error("option --servers: expected a cluster of at most 2000000 hosts");
  assert_has(res.err, "got 691200000\n");
  racksim("platform", "p5en.48xlarge", "--cpu-hosts", "2000000", "-o", tmp("gen.xml"), NULL);
  assert_one_error("option --cpu-hosts: expected a cluster of at most 2000000 hosts");
  ck_assert(!exists(tmp("gen.xml")));
  racksim("run", "tests/bad/generate-too-large.yaml", "-o", tmp("gen-out"), NULL);
  alarm_s = 0;
  assert_one_error("tests/bad/generate-too-large.yaml:7: platform.generate.servers: expected a cluster");
  unsetenv("TMPDIR");
  char names[256];
  ck_assert_msg(dir_entries(tmp("gen-tmp"), names, sizeof names) == 0, "left in TMPDIR: %s", names);
  ck_assert(!exists(tmp("gen-out")));
}
END_TEST

static Suite* cli_suite(void)
{
  Suite* s     = suite_create("cli");
  TCase* usage = tcase_create("usage");
  tcase_add_checked_fixture(usage, make_tmpdir, remove_tmpdir);
  tcase_add_test(usage, test_help_and_version);
  tcase_add_test(usage, test_command_help);
  tcase_add_test(usage, test_usage_errors);
  suite_add_tcase(s, usage);

  TCase* bad = tcase_create("bad");
  tcase_add_checked_fixture(bad, make_tmpdir, remove_tmpdir);
  tcase_add_loop_test(bad, test_bad_fixture, 0, (int)bad_fixtures.gl_pathc);
  tcase_add_test(bad, test_bad_fixture_messages);
  tcase_add_test(bad, test_bad_set_and_seed);
  tcase_add_test(bad, test_unwritable_output);
  tcase_add_test(bad, test_bad_cfg_and_log);
  tcase_add_test(bad, test_long_platform_path);
  tcase_add_test(bad, test_simgrid_help);
  tcase_add_test(bad, test_generate_too_large);
  suite_add_tcase(s, bad);

  TCase* good = tcase_create("run");
  tcase_add_checked_fixture(good, make_tmpdir, remove_tmpdir);
  tcase_set_timeout(good, 30);
  tcase_add_test(good, test_validate_quickstart);
  tcase_add_test(good, test_validate_csv);
  tcase_add_test(good, test_run_quickstart);
  tcase_add_test(good, test_run_reports);
  tcase_add_test(good, test_run_deterministic);
  tcase_add_test(good, test_closing_line_lists_tables);
  tcase_add_test(good, test_run_without_events);
  tcase_add_test(good, test_run_yaml_reproduces);
  tcase_add_test(good, test_rerun_replaces_tables);
  tcase_add_test(good, test_progress_only_on_terminal);
  tcase_add_test(good, test_run_timeline_flag);
  tcase_add_test(good, test_platform_command);
  tcase_add_test(good, test_models_command);
  tcase_add_test(good, test_nccl_tests_table);
  tcase_add_test(good, test_platform_round_trip);
  tcase_add_test(good, test_large_platform_ends_whole);
  tcase_add_test(good, test_sparse_inference_arrivals);
  tcase_add_test(good, test_sparse_agentic_replay);
  tcase_add_test(good, test_too_many_requests);
  tcase_add_test(good, test_concurrent_runs_refused);
  tcase_add_test(good, test_tracing_into_output_dir);
  tcase_add_test(good, test_batch_limits_at_maximum);
  suite_add_tcase(s, good);
  return s;
}

int main(void)
{
  /* racksim runs where a user would: the source directory, so fixtures are named tests/bad/... */
  if (chdir(RS_SOURCE_DIR) != 0) {
    perror(RS_SOURCE_DIR);
    return EXIT_FAILURE;
  }
  unsetenv("RACKSIM_DATADIR");
  if (glob("tests/bad/*.yaml", 0, NULL, &bad_fixtures) != 0 || bad_fixtures.gl_pathc < 20) {
    fprintf(stderr, "check_cli: expected the bad fixtures in %s/tests/bad\n", RS_SOURCE_DIR);
    return EXIT_FAILURE;
  }
  SRunner* sr = srunner_create(cli_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  globfree(&bad_fixtures);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
