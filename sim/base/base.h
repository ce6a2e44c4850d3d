/* base.h -- racksim's base layer, its whole public face: errors located in files, CSV tables out
 * (through libcsv, atomically renamed at the end of a run), CSV files in, and the one random number
 * generator every workload draws from. Knows nothing of platforms, models or workloads. See LICENSE. */
#ifndef RS_BASE_H
#define RS_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- racksim's error reporting: one fixed buffer per failure, filled where it happens.
 * Fallible functions return RS_OK or RS_ERR and write the reason into a caller's rs_err_t;
 * only main prints it and chooses the exit code. */
#define RS_OK 0
#define RS_ERR (-1)

/* Exit codes of the racksim command. */
#define RS_EXIT_OK 0
#define RS_EXIT_SIM 1   /* the simulation itself failed */
#define RS_EXIT_INPUT 2 /* bad input or usage */

#define RS_ERR_LEN 1024

typedef struct rs_err {
  char msg[RS_ERR_LEN];
} rs_err_t;

/* Formats the reason into err (ignored when err is NULL); always returns RS_ERR. */
int rs_err_set(rs_err_t* err, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

/* Same, prefixed by "file:line: key: " (line <= 0 and key NULL are left out); returns RS_ERR. */
int rs_err_at(rs_err_t* err, const char* file, int line, const char* key, const char* fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- what a signal must not leave behind (cleanup.c): every file racksim writes under a temporary name
 * is registered here while it exists. SIGINT, SIGTERM and SIGHUP (unless ignored, as under nohup), and
 * SIGABRT, SIGSEGV, SIGBUS and SIGFPE when no one else handles them, remove every registered path (a
 * file, or an empty directory), then end the process by the same signal. */
/* Registers path, borrowed until rs_cleanup_drop; returns its slot, or -1 when every slot is taken. */
int rs_cleanup_add(const char* path);
void rs_cleanup_drop(int slot); /* accepts -1 */
/* Removes every registered path now; async-signal-safe, for a handler or an _exit path of its own. */
void rs_cleanup_now(void);

/* ---- racksim's CSV tables: every table of a run goes through this one writer.
 * A table is written under a temporary name (".NAME.csv.partial") and renamed to NAME.csv only by
 * rs_out_commit, so a failed or interrupted run never leaves a file that looks complete. Numbers are
 * printed with a fixed format so that equal runs give byte-identical files. */
typedef enum { RS_COL_TEXT, RS_COL_INT, RS_COL_NUM } rs_col_type_t;

/* One column: its name carries its unit (start_s, bytes, tflops). */
typedef struct rs_col {
  const char* name;
  rs_col_type_t type;
} rs_col_t;

typedef struct rs_out rs_out_t;
typedef struct rs_table rs_table_t;

/* Creates DIR (and its parents) and returns the output set; NULL and err on failure. */
rs_out_t* rs_out_open(const char* dir, rs_err_t* err);
/* Opens DIR/NAME.csv (under its temporary name) and writes the header; NULL and err on failure.
 * The table belongs to out. cols must outlive the table. A table already open under NAME is returned
 * as it is (cols must be the same). */
rs_table_t* rs_out_table(rs_out_t* out, const char* name, const rs_col_t* cols, int n_cols, rs_err_t* err);
/* Opens DIR/file (not a table: run.yaml, a timeline) under its temporary name, committed and listed with
 * the tables; the stream belongs to out. NULL and err on failure. */
FILE* rs_out_file(rs_out_t* out, const char* file, rs_err_t* err);
/* Registers DIR/file as written by someone else (a trace SimGrid writes): returns the temporary path
 * the writer must use (created empty; it belongs to out), committed and listed with the other files;
 * NULL and err on failure. */
const char* rs_out_external(rs_out_t* out, const char* file, rs_err_t* err);
/* Renames every table and file to its final name, then removes the files an earlier run recorded in
 * the directory's manifest (.racksim-files) and this one did not write, so runs never mix; RS_ERR and
 * err if a write or rename failed. rs_out_open refuses a directory that holds a summary.csv but no
 * manifest (a run racksim did not record). */
int rs_out_commit(rs_out_t* out, rs_err_t* err);
/* Removes every temporary file and frees out; accepts NULL. Call after commit too. Without a commit, the
 * directory is removed as well if rs_out_open created it and nothing else is in it. */
void rs_out_close(rs_out_t* out);
const char* rs_out_dir(const rs_out_t* out);
/* The tables and files opened so far, in the order they were opened: their count, the name of entry k
 * (a table's without ".csv"), its file name, and whether it is a table. */
int rs_out_n_tables(const rs_out_t* out);
const char* rs_out_table_name(const rs_out_t* out, int k);
const char* rs_out_file_name(const rs_out_t* out, int k);
int rs_out_is_table(const rs_out_t* out, int k);

/* Cells of the current row, in column order; rs_row_end checks the count (a bug if wrong). */
void rs_cell_text(rs_table_t* t, const char* s);
void rs_cell_int(rs_table_t* t, long long v);
void rs_cell_num(rs_table_t* t, double v); /* NaN or infinity give an empty cell */
void rs_cell_empty(rs_table_t* t);
void rs_row_end(rs_table_t* t);
/* Rows written so far (not counting the header). */
uint64_t rs_table_rows(const rs_table_t* t);

/* Caps t at max_rows rows, so that a huge run cannot fill a disk by accident (no cap until called). */
void rs_table_cap(rs_table_t* t, uint64_t max_rows);
/* Call before the cells of a row: 1 when the row may be written, 0 when the cap is reached (the row is
 * then counted as dropped and its cells must not be written). */
int rs_row_begin(rs_table_t* t);
/* Rows refused by the cap so far. */
uint64_t rs_table_dropped(const rs_table_t* t);

/* Writes s as one CSV field to fp, quoted (libcsv's csv_fwrite) only when a reader could otherwise split or
 * trim it: an empty s gives "". For CSV files outside a run's output set. */
void rs_out_write_text(FILE* fp, const char* s);

/* Formats a number the way every table does ("%.12g"); buf needs 32 bytes. */
const char* rs_out_format_num(char* buf, double v);

/* ---- reads a whole CSV file (RFC 4180, through libcsv) into memory as rows of text cells.
 * For traces given to racksim, golden comparisons and tests; it does not interpret the cells. */
typedef struct rs_csv_row {
  char** cells;
  size_t n_cells;
  int line; /* line of the file where the row starts, from 1 */
} rs_csv_row_t;

typedef struct rs_csv {
  rs_csv_row_t* rows; /* rows[0] is the header when the file has one */
  size_t n_rows;
} rs_csv_t;

/* Reads path; NULL and err ("path:line: ...") when it cannot be opened or is not valid CSV.
 * The result is the caller's, to free with rs_csv_free. */
rs_csv_t* rs_csv_read(const char* path, rs_err_t* err);
/* Index of the header cell equal to name, or -1. */
int rs_csv_column(const rs_csv_t* csv, const char* name);
/* Cell col of row, or "" when the row is shorter (or col is negative). */
const char* rs_csv_cell(const rs_csv_row_t* row, int col);
/* True when the whole of s is a finite number (no surrounding blanks); *v is its value. */
int rs_csv_number(const char* s, double* v);
void rs_csv_free(rs_csv_t* csv); /* accepts NULL */

/* ---- random numbers (rng.c) -----------------------------------------------------------------------
 * xoshiro256** seeded through splitmix64: the same seed gives the same stream on every machine. A
 * workload keeps one stream per thing whose draws must not depend on the order of events (a session,
 * say). */
typedef struct rs_rng {
  uint64_t s[4];
} rs_rng_t;

void rs_rng_seed(rs_rng_t* g, uint64_t seed);
uint64_t rs_rng_next(rs_rng_t* g);
/* Uniform in (0, 1): never 0 nor 1, so logarithms stay finite. */
double rs_rng_unit(rs_rng_t* g);
double rs_rng_exponential(rs_rng_t* g, double mean);
/* Standard normal (Box-Muller). */
double rs_rng_normal(rs_rng_t* g);
/* Gamma of shape k and scale 1 (Marsaglia and Tsang 2000, boosted for k < 1). */
double rs_rng_gamma(rs_rng_t* g, double k);

#endif
