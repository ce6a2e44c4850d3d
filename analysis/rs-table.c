/* rs-table.c -- one figure out of a racksim CSV table, for the benchmark scripts of bench/: a cell,
 * a column's largest number, or the most [start, end) intervals open at once. Reads the table through
 * libcsv (csvread.h); bad usage or input gives one message and exit status 2. See LICENSE. */
#include "cli.h"
#include "base/base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/sysdep.h>

#define EXIT_DONE 0
#define EXIT_USAGE RS_CLI_EXIT_USAGE
#define CONTINUE (-1) /* parse_args: go on and answer */

static const char usage_text[] =
    "Usage: rs-table get FILE COLUMN [--row N | --where COL=VALUE] [--format FMT]\n"
    "       rs-table max FILE COLUMN [--where COL=VALUE] [--format FMT]\n"
    "       rs-table peak FILE START_COLUMN END_COLUMN [--where COL=VALUE] [--format FMT]\n"
    "Prints one figure of a CSV table with a header row:\n"
    "  get    the cell of COLUMN in data row N (default 1) or in the first row where COL is VALUE\n"
    "  max    the largest number of COLUMN (over the rows where COL is VALUE)\n"
    "  peak   the most [start, end) intervals open at once, one interval a row (ends before starts\n"
    "         on ties)\n"
    "\n"
    "  --row N           data row N, from 1 (get only)\n"
    "  --where COL=VALUE only rows whose cell COL equals VALUE (as numbers when both are)\n"
    "  --format FMT      printf format of one floating-point conversion, such as %.3f; without it\n"
    "                    get and max print the cell as written, peak an integer\n"
    "  --help            this text\n"
    "\n"
    "Exit status: 0 done, 2 bad usage or unreadable or invalid input.\n";

typedef struct query {
  const char* cmd;
  const char* path;
  const char* cols[2]; /* COLUMN, or START_COLUMN and END_COLUMN */
  int n_cols;
  long row;           /* 0: not given */
  const char* where;  /* "COL=VALUE" or NULL */
  const char* format; /* NULL: as written */
} query_t;

/* The table with the query's columns resolved. */
typedef struct table {
  const query_t* q;
  rs_csv_t* csv;
  int cols[2];
  int where_col; /* -1: every row */
  const char* where_value;
} table_t;

typedef struct edge {
  double t;
  int delta; /* +1 start, -1 end */
} edge_t;

/* ---- command line ---- */

static int usage_error(const char* fmt, const char* arg)
{
  return rs_cli_usage_error("rs-table", fmt, arg);
}

/* True when fmt holds exactly one conversion, of a double (f F e E g G a A), besides %% and text. */
static int format_ok(const char* fmt)
{
  int n = 0;
  for (const char* p = strchr(fmt, '%'); p != NULL; p = strchr(p, '%')) {
    if (p[1] == '%') {
      p += 2;
      continue;
    }
    p += 1 + strspn(p + 1, "-+ #0");
    p += strspn(p, "0123456789");
    if (*p == '.')
      p += 1 + strspn(p + 1, "0123456789");
    if (*p == '\0' || strchr("fFeEgGaA", *p) == NULL)
      return 0;
    n++;
    p++;
  }
  return n == 1;
}

static int parse_row(const char* text, long* row)
{
  char* end = NULL;
  errno     = 0;
  long v    = strtol(text, &end, 10);
  if (text[0] == '\0' || *end != '\0' || errno == ERANGE || v < 1)
    return usage_error("--row: expected a row number from 1, got '%s'", text);
  *row = v;
  return CONTINUE;
}

/* Sets q's field for option opt from value; returns CONTINUE or an exit code. */
static int set_option(query_t* q, const char* opt, const char* value)
{
  if (value == NULL)
    return usage_error("%s needs a value", opt);
  if (strcmp(opt, "--row") == 0)
    return parse_row(value, &q->row);
  if (strcmp(opt, "--where") == 0) {
    q->where = value;
    return strchr(value, '=') != NULL ? CONTINUE : usage_error("--where: expected COL=VALUE, got '%s'", value);
  }
  q->format = value;
  return format_ok(value) ? CONTINUE : usage_error("--format: expected one conversion such as %%.3f, got '%s'", value);
}

/* One argument at argv[*i]: an option "--name X" or "--name=X", or a positional one. */
static int parse_one(int argc, char** argv, int* i, query_t* q, int* n_pos)
{
  static const char* const names[] = {"--row", "--where", "--format"};
  const char* arg                  = argv[*i];
  const char* value                = NULL;
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
    if (rs_cli_option_value(argc, argv, i, names[k], &value))
      return set_option(q, names[k], value);
  if (strncmp(arg, "--", 2) == 0)
    return usage_error("unknown option '%s'", arg);
  if (*n_pos == 0)
    q->path = arg;
  else if (*n_pos <= 2)
    q->cols[*n_pos - 1] = arg;
  ++*n_pos;
  return CONTINUE;
}

/* Checks the positional arguments and option combinations of q's command. */
static int check_query(query_t* q, int n_pos)
{
  int peak  = strcmp(q->cmd, "peak") == 0;
  q->n_cols = peak ? 2 : 1;
  if (n_pos != 1 + q->n_cols)
    return usage_error("%s", peak ? "peak needs FILE, START_COLUMN and END_COLUMN" : "give FILE and COLUMN");
  if (q->row > 0 && (strcmp(q->cmd, "get") != 0 || q->where != NULL))
    return usage_error("%s", "--row goes with get only, and not with --where");
  return CONTINUE;
}

static int parse_args(int argc, char** argv, query_t* q)
{
  const char* cmd = argc > 1 ? argv[1] : "";
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    fputs(usage_text, stdout);
    return EXIT_DONE;
  }
  if (strcmp(cmd, "get") != 0 && strcmp(cmd, "max") != 0 && strcmp(cmd, "peak") != 0)
    return usage_error(cmd[0] ? "unknown command '%s'" : "give a command: get, max or peak%s", cmd);
  q->cmd    = cmd;
  int n_pos = 0;
  for (int i = 2; i < argc; i++) {
    int rc = parse_one(argc, argv, &i, q, &n_pos);
    if (rc != CONTINUE)
      return rc;
  }
  return check_query(q, n_pos);
}

/* ---- the table ---- */

static int header_line(const rs_csv_t* csv)
{
  return csv->n_rows > 0 ? csv->rows[0].line : 1;
}

static int find_column(const table_t* t, const char* name, int* col, rs_err_t* err)
{
  *col = rs_csv_column(t->csv, name);
  if (*col < 0)
    return rs_err_at(err, t->q->path, header_line(t->csv), "header", "expected a column '%s', got none", name);
  return RS_OK;
}

/* Reads q's file and resolves its columns into t (t->csv set, even on RS_ERR, when it was read). */
static int table_open(table_t* t, const query_t* q, rs_err_t* err)
{
  *t = (table_t){.q = q, .where_col = -1};
  if ((t->csv = rs_csv_read(q->path, err)) == NULL)
    return RS_ERR;
  for (int k = 0; k < q->n_cols; k++)
    if (find_column(t, q->cols[k], &t->cols[k], err) != RS_OK)
      return RS_ERR;
  if (q->where == NULL)
    return RS_OK;
  const char* eq      = strchr(q->where, '=');
  char* name          = xbt_strdup(q->where);
  name[eq - q->where] = '\0';
  t->where_value      = eq + 1;
  int rc              = find_column(t, name, &t->where_col, err);
  free(name);
  return rc;
}

static const char* column_name(const table_t* t, int col)
{
  return rs_csv_cell(&t->csv->rows[0], col);
}

/* Does data row i pass --where? Cells compare as numbers when both are, as text otherwise. */
static int row_selected(const table_t* t, size_t i)
{
  if (t->where_col < 0)
    return 1;
  const char* cell = rs_csv_cell(&t->csv->rows[i], t->where_col);
  double a;
  double b;
  if (rs_csv_number(cell, &a) && rs_csv_number(t->where_value, &b))
    return a == b;
  return strcmp(cell, t->where_value) == 0;
}

/* The number in cell col of data row i, or RS_ERR "FILE:LINE: COLUMN: expected a number, got 'X'". */
static int cell_number(const table_t* t, size_t i, int col, double* v, rs_err_t* err)
{
  const rs_csv_row_t* row = &t->csv->rows[i];
  const char* cell        = rs_csv_cell(row, col);
  if (!rs_csv_number(cell, v))
    return rs_err_at(err, t->q->path, row->line, column_name(t, col), "expected a number, got '%s'", cell);
  return RS_OK;
}

static int no_row(const table_t* t, rs_err_t* err)
{
  if (t->q->where != NULL)
    return rs_err_at(err, t->q->path, 0, NULL, "expected a row where %s, got none", t->q->where);
  return rs_err_at(err, t->q->path, 0, NULL, "expected a data row, got none");
}

/* ---- answers ---- */

/* Prints the cell text, or its number through --format. */
static int print_cell(const table_t* t, size_t i, int col, rs_err_t* err)
{
  double v;
  if (t->q->format == NULL) {
    puts(rs_csv_cell(&t->csv->rows[i], col));
    return RS_OK;
  }
  if (cell_number(t, i, col, &v, err) != RS_OK)
    return RS_ERR;
  printf(t->q->format, v);
  putchar('\n');
  return RS_OK;
}

static int cmd_get(const table_t* t, rs_err_t* err)
{
  size_t n = t->csv->n_rows;
  if (t->q->row > 0) {
    if ((size_t)t->q->row >= n)
      return rs_err_at(err, t->q->path, 0, "--row", "expected a row from 1 to %zu, got '%ld'", n > 0 ? n - 1 : 0,
                       t->q->row);
    return print_cell(t, (size_t)t->q->row, t->cols[0], err);
  }
  for (size_t i = 1; i < n; i++)
    if (row_selected(t, i))
      return print_cell(t, i, t->cols[0], err);
  return no_row(t, err);
}

static int cmd_max(const table_t* t, rs_err_t* err)
{
  size_t best = 0;
  double max  = 0;
  for (size_t i = 1; i < t->csv->n_rows; i++) {
    double v;
    if (!row_selected(t, i))
      continue;
    if (cell_number(t, i, t->cols[0], &v, err) != RS_OK)
      return RS_ERR;
    if (best == 0 || v > max) {
      best = i;
      max  = v;
    }
  }
  return best > 0 ? print_cell(t, best, t->cols[0], err) : no_row(t, err);
}

static int compare_edges(const void* x, const void* y)
{
  const edge_t* a = x;
  const edge_t* b = y;
  if (a->t != b->t)
    return a->t < b->t ? -1 : 1;
  return a->delta - b->delta; /* ends (-1) first */
}

/* Appends the start and end edges of the selected rows to e; *n counts them. */
static int collect_edges(const table_t* t, edge_t* e, size_t* n, rs_err_t* err)
{
  for (size_t i = 1; i < t->csv->n_rows; i++) {
    double start;
    double end;
    if (!row_selected(t, i))
      continue;
    if (cell_number(t, i, t->cols[0], &start, err) != RS_OK || cell_number(t, i, t->cols[1], &end, err) != RS_OK)
      return RS_ERR;
    if (end < start)
      return rs_err_at(err, t->q->path, t->csv->rows[i].line, column_name(t, t->cols[1]),
                       "expected a number >= %s (%s), got '%s'", column_name(t, t->cols[0]),
                       rs_csv_cell(&t->csv->rows[i], t->cols[0]), rs_csv_cell(&t->csv->rows[i], t->cols[1]));
    e[(*n)++] = (edge_t){start, 1};
    e[(*n)++] = (edge_t){end, -1};
  }
  return RS_OK;
}

static int cmd_peak(const table_t* t, rs_err_t* err)
{
  edge_t* e = xbt_malloc(2 * t->csv->n_rows * sizeof *e + 1);
  size_t n  = 0;
  int rc    = collect_edges(t, e, &n, err);
  long open = 0;
  long peak = 0;
  if (rc == RS_OK && n > 0)
    qsort(e, n, sizeof *e, compare_edges);
  for (size_t i = 0; rc == RS_OK && i < n; i++) {
    open += e[i].delta;
    peak = open > peak ? open : peak;
  }
  free(e);
  if (rc != RS_OK)
    return RS_ERR;
  if (t->q->format == NULL)
    printf("%ld\n", peak);
  else {
    printf(t->q->format, (double)peak);
    putchar('\n');
  }
  return RS_OK;
}

/* ---- main ---- */

static int answer(const query_t* q, rs_err_t* err)
{
  table_t t;
  int rc = table_open(&t, q, err);
  if (rc == RS_OK && strcmp(q->cmd, "get") == 0)
    rc = cmd_get(&t, err);
  else if (rc == RS_OK && strcmp(q->cmd, "max") == 0)
    rc = cmd_max(&t, err);
  else if (rc == RS_OK)
    rc = cmd_peak(&t, err);
  rs_csv_free(t.csv);
  return rc;
}

int main(int argc, char** argv)
{
  query_t q = {0};
  int rc    = parse_args(argc, argv, &q);
  if (rc != CONTINUE)
    return rc;
  rs_err_t err;
  if (answer(&q, &err) != RS_OK) {
    fflush(stdout);
    fprintf(stderr, "rs-table: %s\n", err.msg);
    return EXIT_USAGE;
  }
  return EXIT_DONE;
}
