/* output.c -- the one CSV writer of racksim: temporary files, RFC 4180 quoting through libcsv,
 * commit by rename, and removal of partial files when a run fails or is interrupted.
 * Does not decide which tables exist: workloads and the run declare them. See LICENSE. */
#include "base/base.h"

#include <csv.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xbt/asserts.h>
#include <xbt/misc.h>
#include <xbt/sysdep.h>

#define RS_OUT_MAX_TABLES 32
/* The names of the files a run wrote, one a line: the next run into the directory removes those it
 * does not write again, so that two runs' tables never mix. */
#define RS_OUT_MANIFEST ".racksim-files"
/* Held (flock) by the run writing into the directory, with its pid inside: a second run at once would
 * interleave its tables with the first's, so it is refused. Removed when the run ends. */
#define RS_OUT_LOCK ".racksim-lock"

struct rs_table {
  char* name;   /* the table's name; for a plain file (rs_out_file), its whole file name */
  char* file;   /* NAME.csv, or the plain file's name */
  int plain;    /* 1: a file of rs_out_file or rs_out_external, not a table */
  int external; /* 1: written by someone else under temp_path (rs_out_external); fp stays NULL */
  int slot;     /* its temporary file's slot in the signal cleanup (rs_cleanup_add) */
  char* final_path;
  char* temp_path;
  FILE* fp;
  const rs_col_t* cols;
  int n_cols;
  int next_col;
  uint64_t rows;
  uint64_t max_rows; /* UINT64_MAX: no cap */
  uint64_t dropped;  /* rows refused by the cap */
};

struct rs_out {
  char* dir;
  char* lock_path;
  int lock_fd;
  int lock_slot;
  int dir_slot;  /* -1 unless this run created dir: then a failed run removes it if it is empty */
  int committed; /* rs_out_commit succeeded */
  rs_table_t tables[RS_OUT_MAX_TABLES];
  int n_tables;
};

/* Creates dir and its parents; *created tells whether dir itself was made here. */
static int make_dirs(const char* dir, int* created, rs_err_t* err)
{
  if (dir[0] == '\0')
    return rs_err_set(err, "empty output directory name");
  char* path = xbt_strdup(dir);
  for (char* p = path + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
      rs_err_set(err, "cannot create output directory '%s': %s", path, strerror(errno));
      free(path);
      return RS_ERR;
    }
    *p = '/';
  }
  free(path);
  *created = mkdir(dir, 0777) == 0;
  if (!*created && errno != EEXIST)
    return rs_err_set(err, "cannot create output directory '%s': %s", dir, strerror(errno));
  return RS_OK;
}

/* The names a recorded run wrote into dir (its manifest), one a line, into a new NULL-terminated
 * array; NULL when dir has no manifest. */
static char** read_manifest(const char* dir)
{
  char* path = bprintf("%s/%s", dir, RS_OUT_MANIFEST);
  FILE* fp   = fopen(path, "r");
  free(path);
  if (fp == NULL)
    return NULL;
  int n = 0, cap = 8;
  char** names = xbt_new0(char*, cap + 1);
  char line[512];
  while (fgets(line, sizeof line, fp) != NULL) {
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] == '\0' || line[0] == '.' || strchr(line, '/') != NULL) /* only plain names in dir */
      continue;
    if (n == cap) {
      cap *= 2;
      names = xbt_realloc(names, (cap + 1) * sizeof *names);
    }
    names[n++] = xbt_strdup(line);
    names[n]   = NULL;
  }
  fclose(fp);
  return names;
}

static void free_names(char** names)
{
  for (char** p = names; p && *p; p++)
    free(*p);
  free(names);
}

/* The pid another run wrote into its lock file, or 0 when it has not written it yet. */
static long lock_holder(int fd)
{
  char buf[32] = {0};
  ssize_t n    = pread(fd, buf, sizeof buf - 1, 0);
  return n > 0 ? strtol(buf, NULL, 10) : 0;
}

/* Whether fd is still the file at path: a run that ends removes its lock file, and a run that opened
 * it just before must not hold a lock on a name no one else sees. */
static int lock_is_current(int fd, const char* path)
{
  struct stat held, named;
  return fstat(fd, &held) == 0 && stat(path, &named) == 0 && held.st_ino == named.st_ino && held.st_dev == named.st_dev;
}

/* Takes the lock of dir for this process: its fd, or -1 and err when another run holds it. */
static int take_lock(const char* dir, const char* path, rs_err_t* err)
{
  for (;;) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
      rs_err_set(err, "cannot write '%s': %s", path, strerror(errno));
      return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int busy     = errno == EWOULDBLOCK;
      long pid     = busy ? lock_holder(fd) : 0;
      char who[32] = ""; /* the holder's pid, once it has written it */
      if (pid > 0)
        snprintf(who, sizeof who, " (pid %ld)", pid);
      if (!busy)
        rs_err_set(err, "cannot lock '%s': %s", path, strerror(errno));
      else
        rs_err_set(err,
                   "output directory '%s' is in use by another racksim run%s: wait for it or choose another directory",
                   dir, who);
      close(fd);
      return -1;
    }
    if (lock_is_current(fd, path)) {
      char pid[32];
      int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
      if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, n, 0) != n) {
        rs_err_set(err, "cannot write '%s': %s", path, strerror(errno));
        unlink(path);
        close(fd);
        return -1;
      }
      return fd;
    }
    close(fd); /* the file was removed under us: take the one that is there now */
  }
}

static void release_lock(char* path, int fd, int slot)
{
  rs_cleanup_drop(slot);
  unlink(path); /* before the close, so that no one locks a name about to go */
  close(fd);
  free(path);
}

/* Forgets the directory a failed run created, removing it if nothing is left in it. */
static void drop_dir(char* dir, int slot, int remove)
{
  if (slot < 0)
    return;
  rs_cleanup_drop(slot);
  if (remove)
    rmdir(dir);
}

rs_out_t* rs_out_open(const char* dir, rs_err_t* err)
{
  int created = 0;
  if (make_dirs(dir, &created, err) != RS_OK)
    return NULL;
  char* dir_copy  = xbt_strdup(dir);
  int dir_slot    = created ? rs_cleanup_add(dir_copy) : -1;
  char* lock_path = bprintf("%s/%s", dir, RS_OUT_LOCK);
  int lock_fd     = take_lock(dir, lock_path, err);
  if (lock_fd < 0) {
    drop_dir(dir_copy, dir_slot, 1);
    free(dir_copy);
    free(lock_path);
    return NULL;
  }
  int lock_slot = rs_cleanup_add(lock_path);
  /* A directory holding another run's tables that no manifest names could only be mixed with: refuse. */
  char** names  = read_manifest(dir);
  char* summary = bprintf("%s/summary.csv", dir);
  int unknown   = names == NULL && access(summary, F_OK) == 0;
  free(summary);
  free_names(names);
  if (unknown) {
    rs_err_set(err,
               "output directory '%s' holds the tables of a run that racksim did not record (no %s): remove them "
               "or choose another directory",
               dir, RS_OUT_MANIFEST);
    release_lock(lock_path, lock_fd, lock_slot);
    drop_dir(dir_copy, dir_slot, 1);
    free(dir_copy);
    return NULL;
  }
  rs_out_t* out  = xbt_new0(rs_out_t, 1);
  out->dir       = dir_copy;
  out->lock_path = lock_path;
  out->lock_fd   = lock_fd;
  out->lock_slot = lock_slot;
  out->dir_slot  = dir_slot;
  return out;
}

const char* rs_out_dir(const rs_out_t* out)
{
  return out->dir;
}

int rs_out_n_tables(const rs_out_t* out)
{
  return out->n_tables;
}

const char* rs_out_table_name(const rs_out_t* out, int k)
{
  return out->tables[k].name;
}

const char* rs_out_file_name(const rs_out_t* out, int k)
{
  return out->tables[k].file;
}

int rs_out_is_table(const rs_out_t* out, int k)
{
  return !out->tables[k].plain;
}

static int is_blank(char c)
{
  return c == ' ' || c == '\t';
}

/* A field needs quotes when a reader could otherwise split or trim it (RFC 4180, section 2; libcsv
 * trims spaces and tabs around unquoted fields). */
static int needs_quotes(const char* s)
{
  size_t n = strlen(s);
  return n == 0 || strpbrk(s, ",\"\r\n") != NULL || is_blank(s[0]) || is_blank(s[n - 1]);
}

void rs_out_write_text(FILE* fp, const char* s)
{
  if (needs_quotes(s))
    csv_fwrite(fp, s, strlen(s));
  else
    fputs(s, fp);
}

static void write_field(rs_table_t* t, const char* s)
{
  if (t->next_col > 0)
    fputc(',', t->fp);
  rs_out_write_text(t->fp, s);
  t->next_col++;
}

/* A new entry of out for DIR/file, open under its temporary name; NULL and err on failure. */
static rs_table_t* open_entry(rs_out_t* out, const char* file, rs_err_t* err)
{
  xbt_assert(out->n_tables < RS_OUT_MAX_TABLES, "too many output tables");
  rs_table_t* t = &out->tables[out->n_tables];
  *t            = (rs_table_t){0};
  t->final_path = bprintf("%s/%s", out->dir, file);
  t->temp_path  = bprintf("%s/.%s.partial", out->dir, file);
  t->slot       = rs_cleanup_add(t->temp_path);
  t->fp         = fopen(t->temp_path, "w");
  if (t->fp == NULL) {
    rs_err_set(err, "cannot write '%s': %s", t->temp_path, strerror(errno));
    rs_cleanup_drop(t->slot);
    free(t->final_path);
    free(t->temp_path);
    return NULL;
  }
  t->file = xbt_strdup(file);
  out->n_tables++;
  return t;
}

/* Opens an entry that is a plain file, not a table (rs_out_file, rs_out_external). */
static rs_table_t* open_plain(rs_out_t* out, const char* file, rs_err_t* err)
{
  for (int i = 0; i < out->n_tables; i++)
    xbt_assert(strcmp(out->tables[i].file, file) != 0, "output file %s opened twice", file);
  rs_table_t* t = open_entry(out, file, err);
  if (t == NULL)
    return NULL;
  t->name  = xbt_strdup(file);
  t->plain = 1;
  return t;
}

FILE* rs_out_file(rs_out_t* out, const char* file, rs_err_t* err)
{
  rs_table_t* t = open_plain(out, file, err);
  return t ? t->fp : NULL;
}

const char* rs_out_external(rs_out_t* out, const char* file, rs_err_t* err)
{
  rs_table_t* t = open_plain(out, file, err);
  if (t == NULL)
    return NULL;
  fclose(t->fp); /* created empty, so that commit always finds it; the writer truncates it */
  t->fp       = NULL;
  t->external = 1;
  return t->temp_path;
}

rs_table_t* rs_out_table(rs_out_t* out, const char* name, const rs_col_t* cols, int n_cols, rs_err_t* err)
{
  for (int i = 0; i < out->n_tables; i++)
    if (strcmp(out->tables[i].name, name) == 0) {
      xbt_assert(out->tables[i].cols == cols, "table %s opened twice with different columns", name);
      return &out->tables[i];
    }
  char* file    = bprintf("%s.csv", name);
  rs_table_t* t = open_entry(out, file, err);
  free(file);
  if (t == NULL)
    return NULL;
  t->name     = xbt_strdup(name);
  t->cols     = cols;
  t->n_cols   = n_cols;
  t->max_rows = UINT64_MAX;
  t->dropped  = 0;
  for (int i = 0; i < n_cols; i++)
    write_field(t, cols[i].name);
  fputs("\r\n", t->fp);
  t->next_col = 0;
  return t;
}

/* Powers of ten that an x87 long double (64-bit mantissa) holds exactly: 5^k < 2^64 up to k = 27. */
static const long double pow10_exact[] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
                                          1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
                                          1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
#define POW10_EXACT_MAX 27
/* format_12g's error bound (2^-64 of the scaled value) needs a long double of at least x87's mantissa; with
 * one of double's 53 bits (armhf, for one) the fast path could write a digit printf does not, so there every
 * number goes to snprintf. */
#define RS_FAST_12G (LDBL_MANT_DIG >= 64)

/* a x 10^k in long double: one correctly rounded product or quotient by an exact power of ten. */
static long double scale10(long double a, int k)
{
  return k >= 0 ? a * pow10_exact[k] : a / pow10_exact[-k];
}

/* "%.12g" of a finite, non-zero v as glibc writes it, without printf (a third of a large table's write
 * time went to printf's exact big-number conversion). v is scaled to 12 integer digits in long double
 * (scale10), so the scaled value is off by at most 2^-64 of itself (6e-8 at 1e12). Where that could
 * change a digit (a fraction within 1e-6 of one half, or a value that may round up to 1e12) it returns
 * 0 and the caller asks snprintf; so the bytes are always printf's (check_output compares millions). A
 * value within 1e-3 of 1e11 is 1e11 either way: from above it rounds down to it, and from below it has
 * one exponent less and rounds up to the same digits. */
static int format_12g(char* buf, double v)
{
  long double a = fabsl((long double)v);
  if (!RS_FAST_12G || !(a >= 1e-30L && a < 1e30L))
    return 0;
  int e = (int)floor(log10(fabs(v))); /* the decimal exponent, or one off near a power of ten */
  int k = 11 - e;                     /* a x 10^k has 12 integer digits */
  if (k > POW10_EXACT_MAX - 1 || k < -POW10_EXACT_MAX + 1)
    return 0;
  long double scaled = scale10(a, k);
  if (scaled >= 1e12L) /* log10 was one too low */
    scaled = scale10(a, --k), e++;
  else if (scaled < 1e11L) /* one too high */
    scaled = scale10(a, ++k), e--;
  if (scaled >= 1e12L - 0.5L - 1e-6L || scaled < 1e11L - 1e-3L)
    return 0;
  unsigned long long n = 100000000000ULL;
  if (scaled >= 1e11L + 1e-3L) {
    long double whole = floorl(scaled), frac = scaled - whole;
    if (fabsl(frac - 0.5L) < 1e-6L)
      return 0;
    n = (unsigned long long)whole + (frac > 0.5L);
  }
  if (n < 100000000000ULL || n >= 1000000000000ULL)
    return 0;
  char d[12];
  for (int i = 11; i >= 0; i--, n /= 10)
    d[i] = (char)('0' + n % 10);
  int nd = 12; /* significant digits once trailing zeros go, as %g drops them */
  while (nd > 1 && d[nd - 1] == '0')
    nd--;
  char* p = buf;
  if (v < 0)
    *p++ = '-';
  if (e >= -4 && e < 12) { /* fixed notation */
    if (e < 0) {
      *p++ = '0';
      *p++ = '.';
      for (int i = 0; i < -e - 1; i++)
        *p++ = '0';
      memcpy(p, d, (size_t)nd);
      p += nd;
    } else {
      memcpy(p, d, (size_t)e + 1);
      p += e + 1;
      if (nd > e + 1) {
        *p++ = '.';
        memcpy(p, d + e + 1, (size_t)(nd - e - 1));
        p += nd - e - 1;
      }
    }
  } else { /* d.ddde+XX */
    *p++ = d[0];
    if (nd > 1) {
      *p++ = '.';
      memcpy(p, d + 1, (size_t)nd - 1);
      p += nd - 1;
    }
    *p++  = 'e';
    *p++  = e < 0 ? '-' : '+';
    int x = e < 0 ? -e : e;
    if (x >= 100)
      *p++ = (char)('0' + x / 100);
    *p++ = (char)('0' + x / 10 % 10);
    *p++ = (char)('0' + x % 10);
  }
  *p = '\0';
  return 1;
}

const char* rs_out_format_num(char* buf, double v)
{
  if (!isfinite(v))
    buf[0] = '\0';
  else if (v == 0.0) /* no "-0" */
    memcpy(buf, "0", 2);
  else if (!format_12g(buf, v))
    snprintf(buf, 32, "%.12g", v);
  return buf;
}

void rs_cell_text(rs_table_t* t, const char* s)
{
  xbt_assert(t->next_col < t->n_cols, "row longer than the header");
  write_field(t, s ? s : "");
}

void rs_cell_int(rs_table_t* t, long long v)
{
  char buf[32], *p = buf + sizeof buf; /* "%lld" by hand: printf's parsing was a tenth of a row's cost */
  unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
  *--p                 = '\0';
  do
    *--p = (char)('0' + u % 10);
  while (u /= 10);
  if (v < 0)
    *--p = '-';
  rs_cell_text(t, p);
}

void rs_cell_num(rs_table_t* t, double v)
{
  char buf[32];
  xbt_assert(t->next_col < t->n_cols, "row longer than the header");
  if (t->next_col > 0)
    fputc(',', t->fp);
  fputs(rs_out_format_num(buf, v), t->fp);
  t->next_col++;
}

void rs_cell_empty(rs_table_t* t)
{
  rs_cell_num(t, NAN);
}

void rs_row_end(rs_table_t* t)
{
  xbt_assert(t->next_col == t->n_cols, "row of %d cells for %d columns", t->next_col, t->n_cols);
  fputs("\r\n", t->fp);
  t->next_col = 0;
  t->rows++;
}

uint64_t rs_table_rows(const rs_table_t* t)
{
  return t->rows;
}

void rs_table_cap(rs_table_t* t, uint64_t max_rows)
{
  t->max_rows = max_rows;
}

int rs_row_begin(rs_table_t* t)
{
  if (t->rows < t->max_rows)
    return 1;
  t->dropped++;
  return 0;
}

uint64_t rs_table_dropped(const rs_table_t* t)
{
  return t->dropped;
}

int rs_out_commit(rs_out_t* out, rs_err_t* err)
{
  for (int i = 0; i < out->n_tables; i++) {
    rs_table_t* t = &out->tables[i];
    if (t->external)
      continue; /* its writer has closed it */
    int failed = ferror(t->fp);
    failed |= fclose(t->fp) != 0;
    t->fp = NULL;
    if (failed)
      return rs_err_set(err, "cannot write '%s': %s", t->temp_path, strerror(errno));
  }
  /* The manifest first: were the renames cut short, the next run still knows every name of both runs. */
  char** before  = read_manifest(out->dir);
  char* manifest = bprintf("%s/%s", out->dir, RS_OUT_MANIFEST);
  char* temp     = bprintf("%s/%s.partial", out->dir, RS_OUT_MANIFEST);
  int temp_slot  = rs_cleanup_add(temp);
  FILE* fp       = fopen(temp, "w");
  int failed     = fp == NULL;
  for (char** p = before; fp && p && *p; p++)
    fprintf(fp, "%s\n", *p);
  for (int i = 0; fp && i < out->n_tables; i++)
    fprintf(fp, "%s\n", out->tables[i].file);
  failed |= fp && fclose(fp) != 0;
  failed |= !failed && rename(temp, manifest) != 0;
  for (int i = 0; !failed && i < out->n_tables; i++) {
    rs_table_t* t = &out->tables[i];
    if (rename(t->temp_path, t->final_path) != 0) {
      rs_err_set(err, "cannot rename '%s' to '%s': %s", t->temp_path, t->final_path, strerror(errno));
      failed = 2;
      break;
    }
    rs_cleanup_drop(t->slot);
    t->slot = -1;
  }
  if (failed == 1)
    rs_err_set(err, "cannot write '%s': %s", temp, strerror(errno));
  /* The earlier run's files that this one did not write go, then the manifest names this run's alone. */
  for (char** p = before; !failed && p && *p; p++) {
    int kept = 0;
    for (int i = 0; i < out->n_tables && !kept; i++)
      kept = strcmp(out->tables[i].file, *p) == 0;
    char* path = bprintf("%s/%s", out->dir, *p);
    if (!kept)
      unlink(path);
    free(path);
  }
  if (!failed && before != NULL) {
    fp = fopen(temp, "w");
    for (int i = 0; fp && i < out->n_tables; i++)
      fprintf(fp, "%s\n", out->tables[i].file);
    if (fp == NULL || fclose(fp) != 0 || rename(temp, manifest) != 0)
      failed = rs_err_set(err, "cannot write '%s': %s", manifest, strerror(errno)) != RS_OK;
  }
  unlink(temp);
  rs_cleanup_drop(temp_slot);
  free(temp);
  free(manifest);
  free_names(before);
  out->committed = !failed;
  return failed ? RS_ERR : RS_OK;
}

void rs_out_close(rs_out_t* out)
{
  if (out == NULL)
    return;
  for (int i = 0; i < out->n_tables; i++) {
    rs_table_t* t = &out->tables[i];
    rs_cleanup_drop(t->slot);
    if (t->fp != NULL)
      fclose(t->fp);
    unlink(t->temp_path); /* a no-op after a commit */
    free(t->temp_path);
    free(t->final_path);
    free(t->name);
    free(t->file);
  }
  release_lock(out->lock_path, out->lock_fd, out->lock_slot);
  drop_dir(out->dir, out->dir_slot, !out->committed);
  free(out->dir);
  free(out);
}
