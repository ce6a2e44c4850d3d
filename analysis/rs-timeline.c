/* rs-timeline.c -- a racksim run's timeline as Chrome/Perfetto trace-event JSON, built from the tables
 * the run already wrote: ops.csv (a track per rank: compute, collectives, sends, waits, with iteration,
 * layer and micro-batch), collectives.csv (a track per group), events.csv (a track per workload),
 * requests.csv (each request's prefill and decode on its replica), sessions.csv (agent sessions),
 * replicas.csv and cpu_pools.csv (counters: batch, KV cache, CPU utilisation, queues), power.csv and
 * link_windows.csv (counters of the platform: power by site and scope, utilisation by link class). Tables the run
 * did not write are skipped. Capped at --max-events, and the cap is said. Times nothing itself; knows
 * the tables' columns (docs/outputs.md), not the simulator. See LICENSE. */
#include "base/base.h"
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

#define TOOL "rs-timeline"
#define DEFAULT_MAX_EVENTS 1000000

static const char usage_text[] =
    "Usage: rs-timeline OUTDIR [-o FILE] [--max-events N]\n"
    "Writes the timeline of the racksim run whose tables are in OUTDIR as Chrome trace-event JSON\n"
    "(open it in https://ui.perfetto.dev or chrome://tracing): a track per rank from ops.csv (set the\n"
    "scenario's outputs.ops_max_rows), per collective group, per workload's events, per replica's\n"
    "requests, per agent session, and counters of replicas.csv, cpu_pools.csv, power.csv (kW by site\n"
    "and scope) and link_windows.csv (utilisation by link class; outputs.link_windows, racksim run\n"
    "--timeline writes it).\n"
    "\n"
    "  -o FILE           write to FILE (default: OUTDIR/timeline.json)\n"
    "  --max-events N    stop after N events, N >= 1 (default 1000000), and say so\n"
    "  --help            this text\n"
    "\n"
    "Exit status: 0 done, 2 bad usage or unreadable or invalid input.\n";

/* A track name per (process, thread) pair, numbered in order of first use so the output is deterministic. */
typedef struct names {
  char** v;
  int n, cap;
} names_t;

typedef struct timeline {
  FILE* fp;
  long long events, max_events, dropped;
  long long written; /* JSON objects so far, metadata included: a comma goes before all but the first */
  names_t procs;     /* process (pid) names: workloads */
  names_t tracks;    /* "pid\ttrack" */
} timeline_t;

static int name_index(names_t* t, const char* s, int* added)
{
  for (int i = 0; i < t->n; i++)
    if (strcmp(t->v[i], s) == 0) {
      *added = 0;
      return i;
    }
  if (t->n == t->cap) {
    t->cap = t->cap ? 2 * t->cap : 16;
    t->v   = xbt_realloc(t->v, t->cap * sizeof *t->v);
  }
  t->v[t->n] = xbt_strdup(s);
  *added     = 1;
  return t->n++;
}

static void names_free(names_t* t)
{
  for (int i = 0; i < t->n; i++)
    free(t->v[i]);
  free(t->v);
}

static void json_string(FILE* fp, const char* s)
{
  fputc('"', fp);
  for (const unsigned char* c = (const unsigned char*)s; *c; c++) {
    if (*c == '"' || *c == '\\')
      fprintf(fp, "\\%c", *c);
    else if (*c < 0x20)
      fprintf(fp, "\\u%04x", *c);
    else
      fputc(*c, fp);
  }
  fputc('"', fp);
}

static void sep(timeline_t* tl)
{
  fputs(tl->written++ ? ",\n" : "\n", tl->fp);
}

/* Starts one event object (a comma before all but the first); 0 past the cap (the event is counted as dropped). */
static int event_begin(timeline_t* tl)
{
  if (tl->events >= tl->max_events) {
    tl->dropped++;
    return 0;
  }
  tl->events++;
  sep(tl);
  return 1;
}

/* The pid of workload (a metadata event names it on first use). */
static int pid_of(timeline_t* tl, const char* workload)
{
  int added;
  int pid = name_index(&tl->procs, workload, &added) + 1;
  if (added) {
    sep(tl);
    fprintf(tl->fp, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"tid\":0,\"args\":{\"name\":", pid);
    json_string(tl->fp, workload);
    fputs("}}", tl->fp);
  }
  return pid;
}

/* The tid of track (a thread of pid); `order` sorts the tracks in Perfetto (ranks by number). */
static int tid_of(timeline_t* tl, int pid, const char* track, int order)
{
  char key[512];
  snprintf(key, sizeof key, "%d\t%s", pid, track);
  int added;
  int tid = name_index(&tl->tracks, key, &added) + 1;
  if (added) {
    sep(tl);
    fprintf(tl->fp, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":", pid, tid);
    json_string(tl->fp, track);
    fprintf(tl->fp,
            "}},\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%d,\"tid\":%d,\"args\":{\"sort_index\":%d}}",
            pid, tid, order);
  }
  return tid;
}

/* A table of a run, with its columns looked up by name. */
typedef struct table {
  rs_csv_t* csv;
  const char* path;
} table_t;

/* Reads OUTDIR/name; 0 when the run wrote no such table, -1 (err) when it is unreadable. */
static int table_open(table_t* t, const char* dir, const char* name, rs_err_t* err)
{
  static char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  t->path = path;
  t->csv  = NULL;
  if (access(path, F_OK) != 0)
    return 0;
  t->csv = rs_csv_read(path, err);
  return t->csv ? 1 : -1;
}

static const char* cell(const table_t* t, size_t row, const char* col)
{
  return rs_csv_cell(&t->csv->rows[row], rs_csv_column(t->csv, col));
}

static double num(const table_t* t, size_t row, const char* col)
{
  double v;
  return rs_csv_number(cell(t, row, col), &v) ? v : NAN;
}

/* Checks that t has every column of cols (NULL-terminated); RS_ERR and err naming the first missing. */
static int need_cols(const table_t* t, const char* const* cols, rs_err_t* err)
{
  for (const char* const* c = cols; *c; c++)
    if (rs_csv_column(t->csv, *c) < 0)
      return rs_err_set(err, "%s: expected a column '%s' (a table of racksim's, docs/outputs.md)", t->path, *c);
  return RS_OK;
}

/* Microseconds, the trace-event unit, printed exactly enough for nanosecond steps. */
static void us(FILE* fp, const char* key, double s)
{
  fprintf(fp, ",\"%s\":%.3f", key, s * 1e6);
}

/* An argument: a number when the cell is one, else its text; nothing for an empty cell. */
static void arg(FILE* fp, int* first, const char* key, const char* value)
{
  if (value[0] == '\0')
    return;
  fprintf(fp, "%s\"%s\":", *first ? "" : ",", key);
  *first = 0;
  double v;
  if (rs_csv_number(value, &v))
    fputs(value, fp);
  else
    json_string(fp, value);
}

/* A complete event ("X") of row r on (pid, tid), with the given columns as arguments. */
static void complete(timeline_t* tl, const table_t* t, size_t r, int pid, int tid, const char* name, double t0,
                     double t1, const char* const* args)
{
  if (!(t1 >= t0) || !event_begin(tl))
    return;
  fprintf(tl->fp, "{\"ph\":\"X\",\"pid\":%d,\"tid\":%d,\"name\":", pid, tid);
  json_string(tl->fp, name);
  us(tl->fp, "ts", t0);
  us(tl->fp, "dur", t1 - t0);
  fputs(",\"args\":{", tl->fp);
  int first = 1;
  for (const char* const* a = args; a && *a; a++)
    arg(tl->fp, &first, *a, cell(t, r, *a));
  fputs("}}", tl->fp);
}

/* An async span ("b" then "e") of id in category cat: spans that overlap on one replica or pool. */
static void span(timeline_t* tl, int pid, const char* cat, const char* id, const char* name, double t0, double t1,
                 const table_t* t, size_t r, const char* const* args)
{
  if (!(t1 >= t0) || tl->events + 2 > tl->max_events) {
    tl->dropped += 2;
    return;
  }
  for (int end = 0; end < 2; end++) {
    event_begin(tl);
    fprintf(tl->fp, "{\"ph\":\"%s\",\"pid\":%d,\"tid\":0,\"cat\":", end ? "e" : "b", pid);
    json_string(tl->fp, cat);
    fputs(",\"id\":", tl->fp);
    json_string(tl->fp, id);
    fputs(",\"name\":", tl->fp);
    json_string(tl->fp, name);
    us(tl->fp, "ts", end ? t1 : t0);
    fputs(",\"args\":{", tl->fp);
    int first = 1;
    for (const char* const* a = args; !end && a && *a; a++)
      arg(tl->fp, &first, *a, cell(t, r, *a));
    fputs("}}", tl->fp);
  }
}

/* A counter event ("C"): the named series' values at time s. */
static void counter(timeline_t* tl, int pid, const char* name, double s, const table_t* t, size_t r,
                    const char* const* series)
{
  if (!event_begin(tl))
    return;
  fprintf(tl->fp, "{\"ph\":\"C\",\"pid\":%d,\"tid\":0,\"name\":", pid);
  json_string(tl->fp, name);
  us(tl->fp, "ts", s);
  fputs(",\"args\":{", tl->fp);
  int first = 1;
  for (const char* const* a = series; *a; a++)
    arg(tl->fp, &first, *a, cell(t, r, *a));
  fputs("}}", tl->fp);
}

/* ---- one function per table ---- */

static int from_ops(timeline_t* tl, const table_t* t, rs_err_t* err)
{
  static const char* const cols[] = {"workload", "rank", "host", "op", "detail", "start_s", "end_s", NULL};
  static const char* const args[] = {"iteration", "layer", "micro_batch", "flops", "bytes", "host", NULL};
  if (need_cols(t, cols, err) != RS_OK)
    return RS_ERR;
  for (size_t r = 1; r < t->csv->n_rows; r++) {
    char track[256], name[256];
    snprintf(track, sizeof track, "rank %s (%s)", cell(t, r, "rank"), cell(t, r, "host"));
    snprintf(name, sizeof name, "%s %s", cell(t, r, "op"), cell(t, r, "detail"));
    int pid = pid_of(tl, cell(t, r, "workload"));
    int tid = tid_of(tl, pid, track, (int)num(t, r, "rank"));
    complete(tl, t, r, pid, tid, name, num(t, r, "start_s"), num(t, r, "end_s"), args);
  }
  return RS_OK;
}

static int from_collectives(timeline_t* tl, const table_t* t, rs_err_t* err)
{
  static const char* const cols[] = {"workload", "group", "dim", "op", "start_s", "end_s", NULL};
  static const char* const args[] = {"algorithm", "ranks", "bytes", "iteration", "call", "busbw_gbytes_per_s", NULL};
  if (need_cols(t, cols, err) != RS_OK)
    return RS_ERR;
  for (size_t r = 1; r < t->csv->n_rows; r++) {
    char track[256], name[256];
    snprintf(track, sizeof track, "group %s", cell(t, r, "group"));
    snprintf(name, sizeof name, "%s %s", cell(t, r, "dim"), cell(t, r, "op"));
    int pid = pid_of(tl, cell(t, r, "workload"));
    complete(tl, t, r, pid, tid_of(tl, pid, track, 100000), name, num(t, r, "start_s"), num(t, r, "end_s"), args);
  }
  return RS_OK;
}

static int from_events(timeline_t* tl, const table_t* t, rs_err_t* err)
{
  static const char* const cols[] = {"workload", "event", "start_s", "end_s", NULL};
  static const char* const args[] = {"detail", NULL};
  if (need_cols(t, cols, err) != RS_OK)
    return RS_ERR;
  for (size_t r = 1; r < t->csv->n_rows; r++) {
    int pid = pid_of(tl, cell(t, r, "workload"));
    complete(tl, t, r, pid, tid_of(tl, pid, "events", -1), cell(t, r, "event"), num(t, r, "start_s"),
             num(t, r, "end_s"), args);
  }
  return RS_OK;
}

/* Each request: queued, prefill (to the first token), decode (to the last), on its replica's track. */
static int from_requests(timeline_t* tl, const table_t* t, rs_err_t* err)
{
  static const char* const cols[] = {"workload",    "request",       "replica",  "arrival_s",
                                     "scheduled_s", "first_token_s", "finish_s", NULL};
  static const char* const args[] = {"prompt_tokens", "output_tokens", "ttft_s", "tpot_s", "preemptions", NULL};
  if (need_cols(t, cols, err) != RS_OK)
    return RS_ERR;
  for (size_t r = 1; r < t->csv->n_rows; r++) {
    char cat[64], id[64], name[64];
    int pid = pid_of(tl, cell(t, r, "workload"));
    snprintf(cat, sizeof cat, "replica %s", cell(t, r, "replica"));
    snprintf(id, sizeof id, "%s", cell(t, r, "request"));
    snprintf(name, sizeof name, "request %s", cell(t, r, "request"));
    double a = num(t, r, "arrival_s"), s = num(t, r, "scheduled_s"), f = num(t, r, "first_token_s"),
           e = num(t, r, "finish_s");
    span(tl, pid, cat, id, name, a, e, t, r, args);
    char phase[80];
    snprintf(phase, sizeof phase, "%s.q", id);
    span(tl, pid, cat, phase, "queued", a, s, t, r, NULL);
    snprintf(phase, sizeof phase, "%s.p", id);
    span(tl, pid, cat, phase, "prefill", s, f, t, r, NULL);
    snprintf(phase, sizeof phase, "%s.d", id);
    span(tl, pid, cat, phase, "decode", f, e, t, r, NULL);
  }
  return RS_OK;
}

static int from_sessions(timeline_t* tl, const table_t* t, rs_err_t* err)
{
  static const char* const cols[] = {"workload", "session", "start_s", "end_s", NULL};
  static const char* const args[] = {"parent",  "turns",  "llm_calls", "tool_calls",
                                     "model_s", "tool_s", "queue_s",   NULL};
  if (need_cols(t, cols, err) != RS_OK)
    return RS_ERR;
  for (size_t r = 1; r < t->csv->n_rows; r++) {
    char name[64];
    snprintf(name, sizeof name, "session %s", cell(t, r, "session"));
    span(tl, pid_of(tl, cell(t, r, "workload")), "sessions", cell(t, r, "session"), name, num(t, r, "start_s"),
         num(t, r, "end_s"), t, r, args);
  }
  return RS_OK;
}

static int from_replicas(timeline_t* tl, const table_t* t, rs_err_t* err)
{
  static const char* const cols[]   = {"workload", "replica", "start_s", NULL};
  static const char* const series[] = {"batch_mean", "running", "waiting", "kv_used_mean", NULL};
  if (need_cols(t, cols, err) != RS_OK || need_cols(t, series, err) != RS_OK)
    return RS_ERR;
  for (size_t r = 1; r < t->csv->n_rows; r++) {
    char name[64];
    snprintf(name, sizeof name, "replica %s", cell(t, r, "replica"));
    counter(tl, pid_of(tl, cell(t, r, "workload")), name, num(t, r, "start_s"), t, r, series);
  }
  return RS_OK;
}

static int from_pools(timeline_t* tl, const table_t* t, rs_err_t* err)
{
  static const char* const cols[]   = {"workload", "pool", "time_s", NULL};
  static const char* const series[] = {"utilisation", "queue_length", "running_calls", NULL};
  if (need_cols(t, cols, err) != RS_OK || need_cols(t, series, err) != RS_OK)
    return RS_ERR;
  for (size_t r = 1; r < t->csv->n_rows; r++) {
    char name[64];
    snprintf(name, sizeof name, "pool %s", cell(t, r, "pool"));
    counter(tl, pid_of(tl, cell(t, r, "workload")), name, num(t, r, "time_s"), t, r, series);
  }
  return RS_OK;
}

/* The platform's power: a counter per site and scope (gpu, cpu, network, overhead, psu, it, facility). */
static int from_power(timeline_t* tl, const table_t* t, rs_err_t* err)
{
  static const char* const cols[]   = {"start_s", "site", "scope", NULL};
  static const char* const series[] = {"kw", NULL};
  if (need_cols(t, cols, err) != RS_OK || need_cols(t, series, err) != RS_OK)
    return RS_ERR;
  for (size_t r = 1; r < t->csv->n_rows; r++) {
    char name[96];
    snprintf(name, sizeof name, "power site %s %s", cell(t, r, "site"), cell(t, r, "scope"));
    counter(tl, pid_of(tl, "platform"), name, num(t, r, "start_s"), t, r, series);
  }
  return RS_OK;
}

/* The network's load: a counter per link class, its bytes in each window over its capacity. */
static int from_link_windows(timeline_t* tl, const table_t* t, rs_err_t* err)
{
  static const char* const cols[]   = {"start_s", "class", NULL};
  static const char* const series[] = {"utilisation", NULL};
  if (need_cols(t, cols, err) != RS_OK || need_cols(t, series, err) != RS_OK)
    return RS_ERR;
  for (size_t r = 1; r < t->csv->n_rows; r++) {
    char name[96];
    snprintf(name, sizeof name, "link utilisation %s", cell(t, r, "class"));
    counter(tl, pid_of(tl, "platform"), name, num(t, r, "start_s"), t, r, series);
  }
  return RS_OK;
}

typedef struct source {
  const char* table;
  int (*add)(timeline_t* tl, const table_t* t, rs_err_t* err);
} source_t;

static const source_t sources[] = {
    {"events.csv", from_events},     {"ops.csv", from_ops},           {"collectives.csv", from_collectives},
    {"requests.csv", from_requests}, {"sessions.csv", from_sessions}, {"replicas.csv", from_replicas},
    {"cpu_pools.csv", from_pools},   {"power.csv", from_power},       {"link_windows.csv", from_link_windows},
};

static int write_timeline(const char* dir, const char* path, long long max_events, rs_err_t* err)
{
  char* temp    = bprintf("%s.partial", path);
  timeline_t tl = {.fp = fopen(temp, "w"), .max_events = max_events};
  if (tl.fp == NULL) {
    rs_err_set(err, "cannot write '%s': %s", temp, strerror(errno));
    free(temp);
    return RS_ERR;
  }
  fputs("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[", tl.fp);
  int rc = RS_OK, found = 0;
  for (size_t k = 0; rc == RS_OK && k < sizeof sources / sizeof sources[0]; k++) {
    table_t t;
    int open = table_open(&t, dir, sources[k].table, err);
    if (open < 0)
      rc = RS_ERR;
    else if (open > 0) {
      found++;
      rc = sources[k].add(&tl, &t, err);
    }
    rs_csv_free(t.csv);
  }
  if (rc == RS_OK && found == 0)
    rc = rs_err_set(err, "%s: no table of a racksim run (summary.csv's companions: events.csv, ops.csv, ...)", dir);
  fprintf(tl.fp, "\n],\"otherData\":{\"events\":%lld,\"dropped_events\":%lld,\"max_events\":%lld}}\n", tl.events,
          tl.dropped, tl.max_events);
  int failed = ferror(tl.fp) | (fclose(tl.fp) != 0);
  if (rc == RS_OK && failed)
    rc = rs_err_set(err, "cannot write '%s': %s", temp, strerror(errno));
  if (rc == RS_OK && rename(temp, path) != 0)
    rc = rs_err_set(err, "cannot rename '%s' to '%s': %s", temp, path, strerror(errno));
  if (rc != RS_OK)
    unlink(temp);
  else if (tl.dropped > 0)
    fprintf(stderr, TOOL ": %s: stopped at the cap of %lld events (--max-events): %lld more not written\n", path,
            tl.max_events, tl.dropped);
  free(temp);
  names_free(&tl.procs);
  names_free(&tl.tracks);
  return rc;
}

/* timeline.json written into the run's directory joins its manifest (docs/outputs.md), so the next run
 * there removes it with the rest of this run's files instead of leaving it beside tables it no longer
 * describes. */
static void record_in_manifest(const char* dir)
{
  char* manifest = bprintf("%s/.racksim-files", dir);
  FILE* fp       = fopen(manifest, "r");
  char line[512];
  int listed = 0;
  while (fp && !listed && fgets(line, sizeof line, fp) != NULL)
    listed = strcmp(line, "timeline.json\n") == 0;
  if (fp) {
    fclose(fp);
    if (!listed && (fp = fopen(manifest, "a")) != NULL) {
      fputs("timeline.json\n", fp);
      fclose(fp);
    }
  }
  free(manifest);
}

int main(int argc, char** argv)
{
  const char *dir = NULL, *out = NULL, *max = NULL;
  for (int i = 1; i < argc; i++) {
    const char* v = NULL;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage_text, stdout);
      return 0;
    } else if (rs_cli_option_value(argc, argv, &i, "--max-events", &v)) {
      if ((max = v) == NULL)
        return rs_cli_usage_error(TOOL, "%s", "--max-events needs a number");
    } else if (strcmp(argv[i], "-o") == 0) {
      if (++i >= argc)
        return rs_cli_usage_error(TOOL, "%s", "-o needs a file");
      out = argv[i];
    } else if (argv[i][0] == '-') {
      return rs_cli_usage_error(TOOL, "unknown option '%s'", argv[i]);
    } else if (dir == NULL) {
      dir = argv[i];
    } else {
      return rs_cli_usage_error(TOOL, "unexpected argument '%s'", argv[i]);
    }
  }
  if (dir == NULL)
    return rs_cli_usage_error(TOOL, "%s", "expected the output directory of a racksim run");
  long long max_events = DEFAULT_MAX_EVENTS;
  if (max != NULL) {
    char* end;
    errno      = 0;
    max_events = strtoll(max, &end, 10);
    if (end == max || *end != '\0' || errno != 0 || max_events < 1) {
      fprintf(stderr, TOOL ": --max-events %s: expected an integer of at least 1, got '%s'\n", max, max);
      return RS_CLI_EXIT_USAGE;
    }
  }
  char* summary = bprintf("%s/summary.csv", dir);
  int is_run    = access(summary, R_OK) == 0;
  free(summary);
  if (!is_run) {
    fprintf(stderr, TOOL ": %s: no summary.csv there: expected the output directory of a racksim run\n", dir);
    return RS_CLI_EXIT_USAGE;
  }
  char* path   = out ? xbt_strdup(out) : bprintf("%s/timeline.json", dir);
  rs_err_t err = {{0}};
  int rc       = write_timeline(dir, path, max_events, &err);
  if (rc == RS_OK && out == NULL)
    record_in_manifest(dir);
  if (rc != RS_OK)
    fprintf(stderr, TOOL ": %s\n", err.msg);
  free(path);
  return rc == RS_OK ? 0 : RS_CLI_EXIT_USAGE;
}
