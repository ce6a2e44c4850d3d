/* sgopts.c -- checks of the --cfg and --log values racksim hands to SimGrid. SimGrid 3.32 aborts on
 * a bad one (an uncaught C++ exception or xbt_die inside simgrid_init), and its C API has no call that
 * tells whether a key exists without throwing. So the keys and their types are read from SimGrid's own
 * --cfg-help and --help-aliases listings, printed by a forked child; each value is checked against its
 * type here; then a forked child applies the setting alone, which catches what only SimGrid's callbacks
 * know (a model's name, a log appender that cannot open). See LICENSE. */
#include "cli/sgopts.h"

#include <errno.h>
#include <fcntl.h>
#include <simgrid/engine.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_KEYS 1024
#define KEY_LEN 128

typedef struct sg_key {
  char name[KEY_LEN];
  char type[16]; /* "int", "double", "boolean", "string"; for an alias, the real key's name in real */
  char real[KEY_LEN];
} sg_key_t;

static sg_key_t keys[MAX_KEYS];
static int n_keys = -1; /* -1: not read yet */

/* Runs simgrid_init on {"racksim", arg} in a child with its stdout into out_fd (or /dev/null) and
 * its stderr into /dev/null; returns the child's wait status, or -1 if it could not start. */
static int run_child(const char* arg, int out_fd)
{
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    int null_fd = open("/dev/null", O_WRONLY);
    dup2(out_fd >= 0 ? out_fd : null_fd, STDOUT_FILENO);
    dup2(null_fd, STDERR_FILENO);
    char* argv[] = {"racksim", (char*)arg, NULL};
    int argc     = 2;
    simgrid_init(&argc, argv);
    _exit(0);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return status;
}

static void add_key(const char* name, size_t len, const char* type, const char* real)
{
  if (n_keys >= MAX_KEYS || len == 0 || len >= KEY_LEN)
    return;
  sg_key_t* k = &keys[n_keys++];
  snprintf(k->name, sizeof k->name, "%.*s", (int)len, name);
  snprintf(k->type, sizeof k->type, "%s", type);
  snprintf(k->real, sizeof k->real, "%s", real);
}

/* Reads the option list SimGrid prints for --cfg-help, then its aliases (--help-aliases). Lines are
 * "   NAME: DESCRIPTION" then "       Type: TYPE; Current value: VALUE"; an alias "   ALIAS   NAME". */
static void parse_listing(FILE* fp, int aliases)
{
  char line[4096];
  char pending[KEY_LEN] = "";
  while (fgets(line, sizeof line, fp)) {
    if (aliases) {
      char alias[KEY_LEN], real[KEY_LEN];
      if (strncmp(line, "   ", 3) == 0 && sscanf(line, "%127s %127s", alias, real) == 2)
        add_key(alias, strlen(alias), "", real);
    } else if (strncmp(line, "       Type: ", 13) == 0 && pending[0]) {
      const char* type = line + 13;
      char t[16];
      snprintf(t, sizeof t, "%.*s", (int)strcspn(type, ";\n"), type);
      add_key(pending, strlen(pending), t, "");
      pending[0] = '\0';
    } else if (strncmp(line, "   ", 3) == 0 && line[3] != ' ') {
      size_t len = strcspn(line + 3, ":");
      if (line[3 + len] == ':' && len < KEY_LEN)
        snprintf(pending, sizeof pending, "%.*s", (int)len, line + 3);
    }
  }
}

static void read_listing(const char* flag, int aliases)
{
  int fds[2];
  if (pipe(fds) != 0)
    return;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    run_child(flag, fds[1]);
    _exit(0);
  }
  close(fds[1]);
  FILE* fp = fdopen(fds[0], "r");
  if (fp) {
    parse_listing(fp, aliases);
    fclose(fp);
  } else
    close(fds[0]);
  if (pid > 0)
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
}

static const sg_key_t* find_key(const char* name, size_t len)
{
  if (n_keys < 0) {
    n_keys = 0;
    read_listing("--cfg-help", 0);
    read_listing("--help-aliases", 1);
  }
  for (int i = 0; i < n_keys; i++)
    if (strlen(keys[i].name) == len && strncmp(keys[i].name, name, len) == 0) {
      if (keys[i].type[0] == '\0')
        return find_key(keys[i].real, strlen(keys[i].real));
      return &keys[i];
    }
  return NULL;
}

/* Why SimGrid would refuse value for a key of this type ("an integer"...), or NULL if it parses. */
static const char* type_error(const char* type, const char* value)
{
  char* end;
  errno = 0;
  if (strcmp(type, "int") == 0) {
    strtol(value, &end, 0);
    return end == value || *end != '\0' || errno != 0 ? "an integer" : NULL;
  }
  if (strcmp(type, "double") == 0) {
    strtod(value, &end);
    return end == value || *end != '\0' || errno != 0 ? "a number" : NULL;
  }
  if (strcmp(type, "boolean") == 0) {
    static const char* const ok[] = {"yes", "on", "true", "1", "no", "off", "false", "0"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
      if (strcmp(value, ok[i]) == 0)
        return NULL;
    return "yes, no, on, off, true, false, 1 or 0";
  }
  return NULL;
}

/* Checks one KEY:VALUE of a --cfg (SimGrid splits a --cfg on blanks and commas). */
static int check_cfg_item(const char* item, size_t len, rs_err_t* err)
{
  const char* colon = memchr(item, ':', len);
  if (colon == NULL)
    return rs_err_set(err, "--cfg=%.*s: expected KEY:VALUE (racksim run --cfg=help lists the keys), got '%.*s'",
                      (int)len, item, (int)len, item);
  size_t key_len    = (size_t)(colon - item);
  const sg_key_t* k = find_key(item, key_len);
  if (k == NULL)
    return rs_err_set(err,
                      "--cfg=%.*s: expected a key of SimGrid's configuration (racksim run --cfg=help lists them), "
                      "got '%.*s'",
                      (int)len, item, (int)key_len, item);
  char value[1024];
  snprintf(value, sizeof value, "%.*s", (int)(len - key_len - 1), colon + 1);
  const char* expected = type_error(k->type, value);
  if (expected)
    return rs_err_set(err, "--cfg=%.*s: expected %s for %s, got '%s'", (int)len, item, expected, k->name, value);
  return RS_OK;
}

static const char* const levels[] = {"trace", "debug", "verbose", "info", "warning", "error", "critical"};

/* Checks one CATEGORY.SETTING:VALUE of a --log, as SimGrid's log parser reads it. */
static int check_log_item(const char* spec, const char* item, size_t len, rs_err_t* err)
{
  char s[1024];
  snprintf(s, sizeof s, "%.*s", (int)len, item);
  size_t name_len = strcspn(s, ".:= ");
  char* option    = s + name_len;
  size_t opt_len  = *option == '.' ? strcspn(option + 1, ":= ") : 0;
  char* value     = option + 1 + opt_len;
  if (*option != '.' || name_len == 0 || opt_len == 0 || (*value != ':' && *value != '='))
    return rs_err_set(err,
                      "--log=%s: expected CATEGORY.SETTING:VALUE, e.g. racksim.thres:debug (racksim run "
                      "--log=help explains them), got '%s'",
                      spec, s);
  option[1 + opt_len] = '\0';
  value++;
  const char* setting = option + 1;
  if (strncmp(setting, "threshold", opt_len) == 0) {
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
      if (strcasecmp(value, levels[i]) == 0)
        return RS_OK;
    return rs_err_set(err,
                      "--log=%s: expected a level (trace, debug, verbose, info, warning, error or critical), "
                      "got '%s'",
                      spec, value);
  }
  if (strncmp(setting, "appender", opt_len) == 0 && strcmp(value, "stdout") != 0 && strcmp(value, "stderr") != 0 &&
      strncmp(value, "file:", 5) != 0 && strncmp(value, "rollfile:", 9) != 0 && strncmp(value, "splitfile:", 10) != 0)
    return rs_err_set(err,
                      "--log=%s: expected stdout, stderr, file:PATH, rollfile:SIZE:PATH or "
                      "splitfile:SIZE:PATH, got '%s'",
                      spec, value);
  if (strncmp(setting, "additivity", opt_len) != 0 && strncmp(setting, "appender", opt_len) != 0 &&
      strncmp(setting, "fmt", opt_len) != 0)
    return rs_err_set(err, "--log=%s: expected a setting threshold, fmt, appender or additivity, got '%s'", spec,
                      setting);
  return RS_OK;
}

/* Whether SimGrid, given arg alone, fails or aborts. */
static int refused(const char* arg)
{
  int status = run_child(arg, -1);
  return status != -1 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Applies one KEY:VALUE in a child: SimGrid's callbacks check what the type cannot (a model's name). */
static int trial_cfg_item(const char* item, size_t len, rs_err_t* err)
{
  char arg[1200];
  snprintf(arg, sizeof arg, "--cfg=%.*s", (int)len, item);
  if (!refused(arg))
    return RS_OK;
  const char* colon = memchr(item, ':', len);
  int key_len       = (int)(colon - item);
  return rs_err_set(
      err, "--cfg=%.*s: expected a value SimGrid accepts for %.*s (racksim run --cfg=help describes it), got '%.*s'",
      (int)len, item, key_len, item, (int)(len - (size_t)key_len - 1), colon + 1);
}

int rs_sgopts_check(const char* arg, rs_err_t* err)
{
  int is_cfg       = strncmp(arg, "--cfg=", 6) == 0;
  const char* spec = arg + 6;
  const char* seps = is_cfg ? " \t\n," : " ";
  if (!is_cfg && strcmp(spec, "no_loc") == 0)
    return RS_OK;
  for (const char* p = spec; *p;) {
    p += strspn(p, seps);
    size_t len = strcspn(p, seps);
    if (len == 0)
      break;
    if (!is_cfg && strpbrk(p, "\"'\\") != NULL)
      break; /* quoted: left to SimGrid's tokenizer, and the trial below */
    if ((is_cfg ? check_cfg_item(p, len, err) : check_log_item(spec, p, len, err)) != RS_OK)
      return RS_ERR;
    if (is_cfg && trial_cfg_item(p, len, err) != RS_OK)
      return RS_ERR;
    p += len;
  }
  if (!is_cfg && !refused(arg))
    return RS_OK;
  if (!is_cfg)
    return rs_err_set(err,
                      "%s: expected a log setting SimGrid can apply (an appender's file must be writable), got one it "
                      "aborts on",
                      arg);
  return RS_OK;
}

/* ---- tracing ------------------------------------------------------------------------------------ */

/* Tracing sub-options SimGrid 3.32 cannot take on racksim's platforms, with the reason. All but the last
 * make SimGrid build a trace container per zone, host and link ("needs the platform"): it builds them
 * while parsing, empties its stack of zones when the platform is created, and pops that empty stack
 * again for every zone it seals at the start of the run, so the next link it meets is filed under
 * whatever lies before the stack (a SIGSEGV, or "container ... already present" and an abort, on any
 * platform with links in two zones; the graph of tracing/platform also reads past a Dijkstra zone's
 * nodes: "dynar is not that long"). */
static const struct {
  const char* key;
  const char* why;
} refused_true[] = {
    {"tracing/platform", "SimGrid 3.32 crashes tracing the platform of nested zones (docs/reliability.md)"},
    {"tracing/uncategorized", "SimGrid 3.32 crashes tracing the platform of nested zones (docs/reliability.md); "
                              "links.csv and link_windows.csv give the links' use"},
    {"tracing/categorized", "SimGrid 3.32 crashes tracing the platform of nested zones (docs/reliability.md)"},
    {"tracing/actor", "SimGrid 3.32 crashes tracing the platform of nested zones (docs/reliability.md)"},
    {"tracing/vm", "racksim has no virtual machines, and SimGrid 3.32 aborts tracing them on any platform"},
    {"tracing/smpi/group", "racksim does not use SMPI, and SimGrid 3.32 crashes tracing the platform of nested "
                           "zones (docs/reliability.md)"},
};

static int truthy(const char* v)
{
  return strcmp(v, "yes") == 0 || strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

/* The trace's name must be a plain file name: a path would put it outside the output directory, names
 * starting with '.' are racksim's own (temporary files, the lock, the manifest), and the suffix keeps it
 * apart from every table and file a run writes. */
static int check_trace_name(const char* value, rs_err_t* err)
{
  size_t n = strlen(value);
  if (value[0] == '.' || strchr(value, '/') != NULL || n >= 200 || n < 7 || strcmp(value + n - 6, ".trace") != 0)
    return rs_err_set(err,
                      "--cfg=tracing/filename:%s: expected a file name ending in .trace, without a directory and "
                      "not starting with '.' (racksim writes the trace into the output directory), got '%s'",
                      value, value);
  return RS_OK;
}

/* Applies one KEY:VALUE to t; last[k] keeps the last value of refused_true[k]. */
static int tracing_item(const char* item, size_t len, rs_sg_tracing_t* t, char last[][8], rs_err_t* err)
{
  char key[KEY_LEN], value[256];
  const char* colon = memchr(item, ':', len);
  if (colon == NULL || (size_t)(colon - item) >= sizeof key)
    return RS_OK;
  snprintf(key, sizeof key, "%.*s", (int)(colon - item), item);
  snprintf(value, sizeof value, "%.*s", (int)(len - (size_t)(colon - item) - 1), colon + 1);
  if (strcmp(key, "tracing") != 0 && strncmp(key, "tracing/", 8) != 0)
    return RS_OK;
  if (strcmp(key, "tracing") == 0)
    t->on = truthy(value);
  else if (strcmp(key, "tracing/filename") == 0) {
    if (check_trace_name(value, err) != RS_OK)
      return RS_ERR;
    snprintf(t->file, sizeof t->file, "%s", value);
  } else if (strcmp(key, "tracing/smpi/format") == 0 && strcmp(value, "Paje") != 0)
    return rs_err_set(err,
                      "--cfg=tracing/smpi/format:%s: expected Paje (SMPI's TI format writes one file per host and "
                      "link, named by the wall clock), got '%s'",
                      value, value);
  for (size_t k = 0; k < sizeof refused_true / sizeof refused_true[0]; k++)
    if (strcmp(key, refused_true[k].key) == 0)
      snprintf(last[k], 8, "%s", truthy(value) ? value : "");
  return RS_OK;
}

int rs_sgopts_tracing(const char* const* args, int n, rs_sg_tracing_t* t, rs_err_t* err)
{
  enum { N_REFUSED = sizeof refused_true / sizeof refused_true[0] };
  char last[N_REFUSED][8];
  memset(last, 0, sizeof last);
  *t = (rs_sg_tracing_t){0};
  snprintf(t->file, sizeof t->file, "simgrid.trace");
  for (int i = 0; i < n; i++) {
    if (strncmp(args[i], "--cfg=", 6) != 0)
      continue;
    for (const char* p = args[i] + 6; *p;) {
      p += strspn(p, " \t\n,");
      size_t len = strcspn(p, " \t\n,");
      if (len > 0 && tracing_item(p, len, t, last, err) != RS_OK)
        return RS_ERR;
      p += len;
    }
  }
  for (int k = 0; k < N_REFUSED; k++)
    if (t->on && last[k][0])
      return rs_err_set(err, "--cfg=%s:%s: expected no (%s), got '%s'", refused_true[k].key, last[k],
                        refused_true[k].why, last[k]);
  return RS_OK;
}

void rs_sgopts_help(const char* flag)
{
  char* argv[] = {"racksim", (char*)flag, NULL};
  int argc     = 2;
  fflush(NULL);
  simgrid_init(&argc, argv);
  exit(0); /* SimGrid exits after its help; this is in case it does not */
}
