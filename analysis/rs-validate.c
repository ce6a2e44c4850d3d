/* rs-validate.c -- the validation runner: runs the cases of scenarios/validation/cases.csv through racksim
 * and writes racksim's figure beside the published one, with the error, as CSV (run); renders such a CSV
 * as docs/validation.md's Markdown table (table) or puts it between that page's markers (splice). It does
 * not judge: the drift test (tests/validation.cmake) compares its output with the committed one.
 * Exit status: 0 done, 1 racksim failed or gave no figure, 2 bad usage or bad input. See LICENSE. */
#define _GNU_SOURCE /* nftw, getline */
#include "base/base.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

#define EXIT_DONE 0
#define EXIT_RUN 1
#define EXIT_USAGE 2

#define CASES_PATH "scenarios/validation/cases.csv"
#define TABLE_BEGIN "<!-- validation table -->"
#define TABLE_END "<!-- end validation table -->"

extern char** environ;

static const char usage_text[] =
    "Usage: rs-validate run RACKSIM OUT.csv [--fast] [--all]   run from the repository root\n"
    "    --fast  only the cases marked fast (seconds each): what the test suite reruns\n"
    "    --all   also the cases whose mode racksim does not have yet, in the faithful mode (slow)\n"
    "A case whose mode is not faithful runs with --set workloads.0.mode=MODE once racksim accepts that.\n"
    "rs-validate table IN.csv                            print the Markdown table and summary of IN.csv\n"
    "rs-validate splice IN.csv DOC.md                    replace DOC.md's table (between its markers)\n";

/* ---- reading checked columns ---- */

/* Columns of cases.csv that rs-validate reads (the file may have more, such as source). */
enum { K_CASE, K_GPU, K_FIT, K_MODE, K_FAST, K_TABLE, K_COLUMN, K_PER, K_PUBLISHED, K_UNIT, K_N };
static const char* const case_keys[K_N] = {"case",  "gpu",    "fit", "mode",      "fast",
                                           "table", "column", "per", "published", "unit"};
/* What a case is to its GPU type's calibration: the one case it was fitted on, or a check of it. */
#define FIT_FITTED "fitted"
#define FIT_OUT "out of sample"

/* Columns of a results CSV (rs-validate run's output) that the table shows. */
enum { R_CASE, R_GPU, R_FIT, R_METRIC, R_PUBLISHED, R_RACKSIM, R_ERROR, R_STATUS, R_N };
static const char* const result_keys[R_N] = {"case",      "gpu",     "fit",       "metric",
                                             "published", "racksim", "error_pct", "status"};

/* The header of rs-validate run's output. */
#define RESULT_COLS 9
static const char* const result_header[RESULT_COLS] = {"case",      "gpu",     "fit",       "mode",  "metric",
                                                       "published", "racksim", "error_pct", "status"};

/* A CSV file with the columns named by keys found in its header. */
typedef struct sheet {
  const char* path;
  rs_csv_t* csv;
  int col[K_N]; /* room for R_N too */
  int scenario; /* cases.csv's optional column scenario, -1 when it has none */
} sheet_t;

_Static_assert((int)K_N >= (int)R_N, "sheet_t.col holds both kinds of columns");

/* Reads path and finds the n columns of keys; RS_ERR and err when one is missing or the file is bad. */
static int sheet_read(sheet_t* s, const char* path, const char* const* keys, int n, rs_err_t* err)
{
  s->path = path;
  s->csv  = rs_csv_read(path, err);
  if (s->csv == NULL)
    return RS_ERR;
  for (int k = 0; k < n; k++) {
    s->col[k] = rs_csv_column(s->csv, keys[k]);
    if (s->col[k] < 0)
      return rs_err_at(err, path, 1, "header", "expected a column '%s', got none", keys[k]);
  }
  return RS_OK;
}

static const char* sheet_cell(const sheet_t* s, size_t row, int key)
{
  return rs_csv_cell(&s->csv->rows[row], s->col[key]);
}

/* RS_ERR and err "FILE:LINE: column: expected what, got 'cell'". */
static int bad_cell(const sheet_t* s, size_t row, int key, const char* const* keys, const char* what, rs_err_t* err)
{
  return rs_err_at(err, s->path, s->csv->rows[row].line, keys[key], "expected %s, got '%s'", what,
                   sheet_cell(s, row, key));
}

/* Every row must have as many fields as the header. */
static int check_width(const sheet_t* s, size_t row, rs_err_t* err)
{
  size_t want = s->csv->rows[0].n_cells;
  size_t got  = s->csv->rows[row].n_cells;
  if (got == want)
    return RS_OK;
  return rs_err_at(err, s->path, s->csv->rows[row].line, NULL, "expected %zu fields, got %zu", want, got);
}

/* A name that can go into a path and a --set value: letters, digits, '.', '-', '_'. */
static int is_name(const char* s)
{
  return s[0] != '\0' && s[0] != '.' &&
         strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == strlen(s);
}

/* ---- cases.csv ---- */

/* Checks one row of cases.csv; RS_ERR and err at its first bad cell. */
static int check_case(const sheet_t* s, size_t i, rs_err_t* err)
{
  static const int names[]    = {K_CASE, K_MODE, K_TABLE};
  static const int nonempty[] = {K_GPU, K_COLUMN, K_UNIT};
  if (check_width(s, i, err) != RS_OK)
    return RS_ERR;
  for (size_t k = 0; k < sizeof names / sizeof *names; k++)
    if (!is_name(sheet_cell(s, i, names[k])))
      return bad_cell(s, i, names[k], case_keys, "a name of letters, digits, '.', '-' or '_'", err);
  for (size_t k = 0; k < sizeof nonempty / sizeof *nonempty; k++)
    if (sheet_cell(s, i, nonempty[k])[0] == '\0')
      return bad_cell(s, i, nonempty[k], case_keys, "a value", err);
  const char* fast = sheet_cell(s, i, K_FAST);
  if (strcmp(fast, "0") != 0 && strcmp(fast, "1") != 0)
    return bad_cell(s, i, K_FAST, case_keys, "0 or 1", err);
  const char* fit = sheet_cell(s, i, K_FIT);
  if (strcmp(fit, FIT_FITTED) != 0 && strcmp(fit, FIT_OUT) != 0)
    return bad_cell(s, i, K_FIT, case_keys, "'" FIT_FITTED "' or '" FIT_OUT "'", err);
  double v;
  if (!rs_csv_number(sheet_cell(s, i, K_PER), &v) || v <= 0)
    return bad_cell(s, i, K_PER, case_keys, "a number > 0", err);
  if (!rs_csv_number(sheet_cell(s, i, K_PUBLISHED), &v) || v == 0)
    return bad_cell(s, i, K_PUBLISHED, case_keys, "a number other than 0", err);
  return RS_OK;
}

/* The scenario case i runs (scenarios/validation/NAME.yaml): its cell of the optional column scenario, or
 * else the case's own name. Borrowed from the sheet. */
static const char* case_scenario(const sheet_t* s, size_t i)
{
  const char* name = s->scenario < 0 ? "" : rs_csv_cell(&s->csv->rows[i], s->scenario);
  return name[0] != '\0' ? name : sheet_cell(s, i, K_CASE);
}

/* Row i's scenario cell is a name, and rows that run one scenario (their figures read from one run) ask for
 * one mode; RS_ERR and err otherwise. */
static int check_scenario(const sheet_t* s, size_t i, rs_err_t* err)
{
  const char* name = case_scenario(s, i);
  if (!is_name(name))
    return rs_err_at(err, s->path, s->csv->rows[i].line, "scenario",
                     "expected a name of letters, digits, '.', '-' or '_', got '%s'", name);
  for (size_t j = 1; j < i; j++)
    if (strcmp(case_scenario(s, j), name) == 0 && strcmp(sheet_cell(s, j, K_MODE), sheet_cell(s, i, K_MODE)) != 0)
      return rs_err_at(err, s->path, s->csv->rows[i].line, "mode",
                       "expected '%s' as on line %d, which runs the same scenario, got '%s'", sheet_cell(s, j, K_MODE),
                       s->csv->rows[j].line, sheet_cell(s, i, K_MODE));
  return RS_OK;
}

static int read_cases(sheet_t* s, rs_err_t* err)
{
  if (sheet_read(s, CASES_PATH, case_keys, K_N, err) != RS_OK)
    return RS_ERR;
  s->scenario = rs_csv_column(s->csv, "scenario");
  for (size_t i = 1; i < s->csv->n_rows; i++)
    if (check_case(s, i, err) != RS_OK || check_scenario(s, i, err) != RS_OK)
      return RS_ERR;
  return RS_OK;
}

/* ---- running racksim ---- */

/* Runs argv (looked up in PATH as the shell would) and waits; its exit status, 128 + the signal that
 * killed it, or -1 and err when it cannot start. quiet sends its output to /dev/null. */
static int spawn_wait(char* const* argv, int quiet, rs_err_t* err)
{
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (quiet) {
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  }
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    rs_err_set(err, "cannot run '%s': %s", argv[0], strerror(rc));
    return -1;
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) {
      rs_err_set(err, "waiting for '%s': %s", argv[0], strerror(errno));
      return -1;
    }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

typedef struct run_opts {
  char* racksim;
  const char* out;
  int fast;
  int all;
  char work[64]; /* temporary directory */
} run_opts_t;

/* The figure of a finished run: column of the last row of path divided by per, formatted "%.6g". */
static int read_figure(const char* path, const char* column, double per, char* got, size_t len, rs_err_t* err)
{
  rs_csv_t* csv = rs_csv_read(path, err);
  if (csv == NULL)
    return RS_ERR;
  int col   = rs_csv_column(csv, column);
  double v  = 0;
  int found = col >= 0 && csv->n_rows > 1 && rs_csv_number(rs_csv_cell(&csv->rows[csv->n_rows - 1], col), &v);
  rs_csv_free(csv);
  if (!found)
    return rs_err_set(err, "%s: no number in column '%s' of the last row", path, column);
  snprintf(got, len, "%.6g", v / per);
  return RS_OK;
}

/* Runs racksim on one case into work/NAME; RS_ERR and err when it fails. */
static int run_racksim(const run_opts_t* o, const char* scenario, const char* dir, char* set, rs_err_t* err)
{
  char* argv[] = {o->racksim, "run", (char*)scenario, "-o", (char*)dir, "--quiet", "--set", set, NULL};
  if (set == NULL)
    argv[6] = NULL;
  int rc = spawn_wait(argv, 0, err);
  if (rc < 0)
    return RS_ERR;
  if (rc != 0)
    return rs_err_set(err, "racksim run %s failed (exit status %d)", scenario, rc);
  return RS_OK;
}

/* Whether racksim accepts the case's mode (racksim validate SCENARIO --set MODE_KEY, quietly). */
static int mode_accepted(const run_opts_t* o, const char* scenario, char* set, rs_err_t* err)
{
  char* argv[] = {o->racksim, "validate", (char*)scenario, "--set", set, NULL};
  int rc       = spawn_wait(argv, 1, err);
  return rc < 0 ? -1 : rc == 0;
}

/* One row of the output: an empty cell is written as nothing, the rest through the output module. */
static void write_row(FILE* fp, const char* const cells[RESULT_COLS])
{
  for (int i = 0; i < RESULT_COLS; i++) {
    if (i > 0)
      fputc(',', fp);
    if (cells[i][0] != '\0')
      rs_out_write_text(fp, cells[i]);
  }
  fputc('\n', fp);
}

/* Runs case i of cases and writes its row: the figure and error. A scenario that an earlier case of this
 * run ran already (work/SCENARIO exists) is not run again: its figure is read from that run. */
static int run_one(const run_opts_t* o, const sheet_t* c, size_t i, char* set, FILE* fp, rs_err_t* err)
{
  const char* name = sheet_cell(c, i, K_CASE);
  const char* mode = sheet_cell(c, i, K_MODE);
  char* scenario   = bprintf("scenarios/validation/%s.yaml", case_scenario(c, i));
  char* dir        = bprintf("%s/%s", o->work, case_scenario(c, i));
  char* figure     = bprintf("%s/%s.csv", dir, sheet_cell(c, i, K_TABLE));
  double per       = strtod(sheet_cell(c, i, K_PER), NULL);
  double published = strtod(sheet_cell(c, i, K_PUBLISHED), NULL);
  char got[32];
  char error[32];
  fprintf(stderr, "rs-validate: %s\n", name);
  int rc = access(dir, F_OK) == 0 ? RS_OK : run_racksim(o, scenario, dir, set, err);
  if (rc == RS_OK)
    rc = read_figure(figure, sheet_cell(c, i, K_COLUMN), per, got, sizeof got, err);
  if (rc == RS_OK) {
    snprintf(error, sizeof error, "%.2f", 100 * (strtod(got, NULL) - published) / published);
    const char* row[RESULT_COLS] = {name,
                                    sheet_cell(c, i, K_GPU),
                                    sheet_cell(c, i, K_FIT),
                                    mode,
                                    sheet_cell(c, i, K_UNIT),
                                    sheet_cell(c, i, K_PUBLISHED),
                                    got,
                                    error,
                                    "ran"};
    write_row(fp, row);
  }
  free(scenario);
  free(dir);
  free(figure);
  return rc;
}

/* A case whose mode racksim does not know yet: one row saying so. */
static void write_waiting(const sheet_t* c, size_t i, FILE* fp)
{
  const char* mode             = sheet_cell(c, i, K_MODE);
  char* status                 = bprintf("waits for the %s mode", mode);
  const char* row[RESULT_COLS] = {sheet_cell(c, i, K_CASE),
                                  sheet_cell(c, i, K_GPU),
                                  sheet_cell(c, i, K_FIT),
                                  mode,
                                  sheet_cell(c, i, K_UNIT),
                                  sheet_cell(c, i, K_PUBLISHED),
                                  "",
                                  "",
                                  status};
  write_row(fp, row);
  free(status);
}

/* Case i, as --fast and --all and racksim's modes say. */
static int do_case(const run_opts_t* o, const sheet_t* c, size_t i, FILE* fp, rs_err_t* err)
{
  if (o->fast && strcmp(sheet_cell(c, i, K_FAST), "1") != 0)
    return RS_OK;
  const char* mode = sheet_cell(c, i, K_MODE);
  if (strcmp(mode, "faithful") == 0)
    return run_one(o, c, i, NULL, fp, err);
  char* scenario = bprintf("scenarios/validation/%s.yaml", case_scenario(c, i));
  char* set      = bprintf("workloads.0.mode=%s", mode);
  int accepted   = mode_accepted(o, scenario, set, err);
  int rc         = accepted < 0 ? RS_ERR : RS_OK;
  if (accepted > 0 || (accepted == 0 && o->all))
    rc = run_one(o, c, i, accepted > 0 ? set : NULL, fp, err);
  else if (accepted == 0)
    write_waiting(c, i, fp);
  free(scenario);
  free(set);
  return rc;
}

/* Copies the finished table to o->out. */
static int copy_file(const char* from, const char* to, rs_err_t* err)
{
  FILE* in  = fopen(from, "rb");
  FILE* out = in ? fopen(to, "wb") : NULL;
  if (out == NULL) {
    rs_err_set(err, "%s: cannot write: %s", in ? to : from, strerror(errno));
    if (in)
      fclose(in);
    return RS_ERR;
  }
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    fwrite(buf, 1, n, out);
  int failed = ferror(in) | ferror(out);
  fclose(in);
  if (fclose(out) != 0 || failed)
    return rs_err_set(err, "%s: cannot write", to);
  return RS_OK;
}

/* Every case of c into work/out.csv, then to o->out once all ran. */
static int run_all(const run_opts_t* o, const sheet_t* c, rs_err_t* err)
{
  char* path = bprintf("%s/out.csv", o->work);
  FILE* fp   = fopen(path, "wb");
  int rc     = fp ? RS_OK : rs_err_set(err, "%s: cannot write: %s", path, strerror(errno));
  if (fp != NULL)
    write_row(fp, result_header);
  for (size_t i = 1; rc == RS_OK && i < c->csv->n_rows; i++)
    rc = do_case(o, c, i, fp, err);
  if (fp != NULL && fclose(fp) != 0 && rc == RS_OK)
    rc = rs_err_set(err, "%s: cannot write", path);
  if (rc == RS_OK)
    rc = copy_file(path, o->out, err);
  free(path);
  return rc;
}

static int remove_entry(const char* path, const struct stat* st, int flag, struct FTW* ftw)
{
  return remove(path);
}

static int cmd_run(run_opts_t* o)
{
  rs_err_t err;
  sheet_t cases = {0};
  if (read_cases(&cases, &err) != RS_OK) {
    rs_csv_free(cases.csv);
    fprintf(stderr, "rs-validate: %s\n", err.msg);
    return EXIT_USAGE;
  }
  strcpy(o->work, "/tmp/rs-validate-XXXXXX");
  int rc = EXIT_RUN;
  if (mkdtemp(o->work) == NULL)
    rs_err_set(&err, "cannot make a temporary directory: %s", strerror(errno));
  else {
    rc = run_all(o, &cases, &err) == RS_OK ? EXIT_DONE : EXIT_RUN;
    nftw(o->work, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  }
  rs_csv_free(cases.csv);
  if (rc != EXIT_DONE)
    fprintf(stderr, "rs-validate: %s\n", err.msg);
  return rc;
}

/* ---- the Markdown table ---- */

/* Reads a results CSV and checks its error_pct cells; RS_ERR and err on bad input. */
static int read_results(sheet_t* s, const char* path, rs_err_t* err)
{
  if (sheet_read(s, path, result_keys, R_N, err) != RS_OK)
    return RS_ERR;
  double v;
  for (size_t i = 1; i < s->csv->n_rows; i++) {
    if (check_width(s, i, err) != RS_OK)
      return RS_ERR;
    const char* e = sheet_cell(s, i, R_ERROR);
    if (e[0] != '\0' && !rs_csv_number(e, &v))
      return bad_cell(s, i, R_ERROR, result_keys, "a number or nothing", err);
  }
  return RS_OK;
}

static int compare_doubles(const void* x, const void* y)
{
  double a = *(const double*)x;
  double b = *(const double*)y;
  return (a > b) - (a < b);
}

/* Sorts the n values of e and gives their largest and median (0 for none). */
static void largest_median(double* e, size_t n, double* largest, double* median)
{
  *largest = *median = 0;
  if (n == 0)
    return;
  qsort(e, n, sizeof *e, compare_doubles);
  *largest = e[n - 1];
  *median  = n % 2 ? e[(n - 1) / 2] : (e[n / 2 - 1] + e[n / 2]) / 2;
}

/* "N cases ran: largest error X%, median Y%; out of sample: M, largest ..., median ...", over the |error|
 * of the cases that ran, all of them (e, n) and those out of sample (o, n_out): a fitted case matches
 * by construction, so only the others say whether a calibration carries over. */
static void print_summary(FILE* fp, double* e, size_t n, double* o, size_t n_out)
{
  double largest, median, o_largest, o_median;
  largest_median(e, n, &largest, &median);
  largest_median(o, n_out, &o_largest, &o_median);
  fprintf(fp,
          "\n%zu cases ran: largest error %.1f%%, median %.1f%%; out of sample: %zu, largest %.1f%%, median %.1f%%.\n",
          n, largest, median, n_out, o_largest, o_median);
}

/* The Markdown table of a checked results CSV, one row per case, and its summary. */
static void render_table(FILE* fp, const sheet_t* s)
{
  double* e = xbt_new(double, s->csv->n_rows);
  double* o = xbt_new(double, s->csv->n_rows);
  size_t n = 0, n_out = 0;
  fputs("| case | GPU | fit | figure | published | racksim | error |\n|---|---|---|---|---|---|---|\n", fp);
  for (size_t i = 1; i < s->csv->n_rows; i++) {
    const char* racksim = sheet_cell(s, i, R_RACKSIM);
    const char* error   = sheet_cell(s, i, R_ERROR);
    fprintf(fp, "| `%s` | %s | %s | %s | %s | %s | ", sheet_cell(s, i, R_CASE), sheet_cell(s, i, R_GPU),
            sheet_cell(s, i, R_FIT), sheet_cell(s, i, R_METRIC), sheet_cell(s, i, R_PUBLISHED),
            racksim[0] ? racksim : "-");
    if (error[0] == '\0') {
      fprintf(fp, "%s |\n", sheet_cell(s, i, R_STATUS));
      continue;
    }
    double v = strtod(error, NULL);
    fprintf(fp, "%+.1f%% |\n", v);
    e[n++] = fabs(v);
    if (strcmp(sheet_cell(s, i, R_FIT), FIT_OUT) == 0)
      o[n_out++] = fabs(v);
  }
  print_summary(fp, e, n, o, n_out);
  free(e);
  free(o);
}

static int cmd_table(const char* path)
{
  rs_err_t err;
  sheet_t s = {0};
  int rc    = read_results(&s, path, &err);
  if (rc == RS_OK)
    render_table(stdout, &s);
  else
    fprintf(stderr, "rs-validate: %s\n", err.msg);
  rs_csv_free(s.csv);
  return rc == RS_OK ? EXIT_DONE : EXIT_USAGE;
}

/* ---- splice ---- */

/* Copies doc to out with the lines between the markers replaced by the table; RS_ERR and err when
 * doc lacks the markers (in that order) or cannot be read. */
static int splice_lines(FILE* doc, FILE* out, const char* doc_path, const sheet_t* s, rs_err_t* err)
{
  char* line = NULL;
  size_t cap = 0;
  int state  = 0; /* 0 before the table, 1 in it, 2 after it */
  while (getline(&line, &cap, doc) > 0) {
    if (state == 1 && strstr(line, TABLE_END) != NULL)
      state = 2;
    if (state != 1)
      fputs(line, out);
    if (state == 0 && strstr(line, TABLE_BEGIN) != NULL) {
      render_table(out, s);
      state = 1;
    }
  }
  free(line);
  if (ferror(doc))
    return rs_err_set(err, "%s: cannot read: %s", doc_path, strerror(errno));
  if (state != 2)
    return rs_err_set(err, "%s: no lines '%s' and then '%s'", doc_path, TABLE_BEGIN, TABLE_END);
  return RS_OK;
}

/* Writes DOC.md.new and renames it over DOC.md. */
static int splice_doc(const char* doc_path, const sheet_t* s, rs_err_t* err)
{
  FILE* doc = fopen(doc_path, "rb");
  if (doc == NULL)
    return rs_err_set(err, "%s: cannot open: %s", doc_path, strerror(errno));
  char* tmp = bprintf("%s.new", doc_path);
  FILE* out = fopen(tmp, "wb");
  int rc    = out ? splice_lines(doc, out, doc_path, s, err) : rs_err_set(err, "%s: cannot write", tmp);
  fclose(doc);
  if (out != NULL && fclose(out) != 0 && rc == RS_OK)
    rc = rs_err_set(err, "%s: cannot write", tmp);
  if (rc == RS_OK && rename(tmp, doc_path) != 0)
    rc = rs_err_set(err, "cannot rename '%s' to '%s': %s", tmp, doc_path, strerror(errno));
  if (rc != RS_OK)
    unlink(tmp);
  free(tmp);
  return rc;
}

static int cmd_splice(const char* path, const char* doc_path)
{
  rs_err_t err;
  sheet_t s = {0};
  int rc    = read_results(&s, path, &err);
  if (rc == RS_OK)
    rc = splice_doc(doc_path, &s, &err);
  if (rc != RS_OK)
    fprintf(stderr, "rs-validate: %s\n", err.msg);
  rs_csv_free(s.csv);
  return rc == RS_OK ? EXIT_DONE : EXIT_USAGE;
}

/* ---- main ---- */

static int usage_error(const char* fmt, const char* arg)
{
  fputs("rs-validate: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs("\n", stderr);
  fputs(usage_text, stderr);
  return EXIT_USAGE;
}

/* rs-validate run RACKSIM OUT.csv [--fast] [--all] */
static int parse_run(int argc, char** argv)
{
  if (argc < 4)
    return usage_error("%s", "run needs RACKSIM and OUT.csv");
  run_opts_t o = {.racksim = argv[2], .out = argv[3]};
  for (int i = 4; i < argc; i++)
    if (strcmp(argv[i], "--fast") == 0)
      o.fast = 1;
    else if (strcmp(argv[i], "--all") == 0)
      o.all = 1;
    else
      return usage_error("unknown option '%s'", argv[i]);
  return cmd_run(&o);
}

int main(int argc, char** argv)
{
  const char* cmd = argc > 1 ? argv[1] : "";
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    fputs(usage_text, stdout);
    return EXIT_DONE;
  }
  if (strcmp(cmd, "run") == 0)
    return parse_run(argc, argv);
  if (strcmp(cmd, "table") == 0)
    return argc == 3 ? cmd_table(argv[2]) : usage_error("%s", "table needs IN.csv");
  if (strcmp(cmd, "splice") == 0)
    return argc == 4 ? cmd_splice(argv[2], argv[3]) : usage_error("%s", "splice needs IN.csv and DOC.md");
  return usage_error("unknown command '%s'", cmd);
}
