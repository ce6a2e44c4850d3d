/* walk.c -- the generic, checked walk of a YAML document (libfyaml) against field tables (walk.h).
 * An unknown key, a wrong type, a value out of range and a missing key all get the same kind of
 * message, "file:line: key: expected ..., got '...'", and every key read is remembered with its line
 * (the where map) for checks made later. --set overrides are applied to the YAML tree before the walk,
 * so they are checked exactly like the file. Nothing here knows a racksim key: the schema files hold
 * the tables and the checks across keys. Nothing is kept in fixed arrays that a document could
 * overflow: key lists and the where map grow. See LICENSE. */
#define _GNU_SOURCE /* memmem */
#include "scenario/walk.h"

#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/asserts.h>
#include <xbt/log.h>
#include <xbt/sysdep.h>

/* ---- texts that grow ------------------------------------------------------------------------------ */

static void text_add(rs_sc__text_t* t, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(rs_sc__text_t* t, const char* fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (len <= 0)
    return;
  if (t->len + len + 1 > t->cap) {
    t->cap = 2 * (t->len + len + 1);
    t->s   = xbt_realloc(t->s, t->cap);
  }
  va_start(ap, fmt);
  vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
  va_end(ap);
  t->len += len;
}

void rs_sc__append(rs_sc__text_t* t, const char* sep, const char* s)
{
  text_add(t, "%s%s", t->len ? sep : "", s);
}

const char* rs_sc__text(const rs_sc__text_t* t)
{
  return t->s ? t->s : "";
}

/* ---- the where map: key path -> line, or the --set argument that gave it --------------------------- */

typedef struct where_entry {
  char* path;
  int line;
  char* set_arg; /* a copy, or NULL */
} where_entry_t;

struct rs_sc_where {
  char* file;
  where_entry_t* v;
  int n, cap;
};

rs_sc_where_t* rs_sc__where_new(const char* file)
{
  rs_sc_where_t* w = xbt_new0(rs_sc_where_t, 1);
  w->file          = xbt_strdup(file);
  return w;
}

static void where_add(rs_sc_where_t* w, const char* path, int line, const char* set_arg)
{
  if (w->n == w->cap) {
    w->cap = w->cap ? 2 * w->cap : 32;
    w->v   = xbt_realloc(w->v, w->cap * sizeof *w->v);
  }
  w->v[w->n++] = (where_entry_t){xbt_strdup(path), line, set_arg ? xbt_strdup(set_arg) : NULL};
}

void rs_sc__where_free(rs_sc_where_t* w)
{
  if (w == NULL)
    return;
  for (int i = 0; i < w->n; i++) {
    free(w->v[i].path);
    free(w->v[i].set_arg);
  }
  free(w->v);
  free(w->file);
  free(w);
}

/* The latest entry for exactly path, or NULL. */
static const where_entry_t* where_find(const rs_sc_where_t* w, const char* path)
{
  for (int i = w->n - 1; i >= 0; i--)
    if (strcmp(w->v[i].path, path) == 0)
      return &w->v[i];
  return NULL;
}

int rs_sc__where_verr(const rs_sc_where_t* w, rs_err_t* err, const char* key, const char* fmt, va_list ap)
{
  char what[RS_ERR_LEN];
  vsnprintf(what, sizeof what, fmt, ap);
  /* The nearest recorded key: "workloads[0].gpus", else "workloads[0]", else the file. */
  char probe[RS_SC__PATH_LEN];
  snprintf(probe, sizeof probe, "%s", key);
  for (;;) {
    const where_entry_t* e = where_find(w, probe);
    if (e && e->set_arg)
      return rs_err_set(err, "--set %s: %s: %s", e->set_arg, key, what);
    if (e)
      return rs_err_at(err, w->file, e->line, key, "%s", what);
    char* cut = strrchr(probe, '.');
    char* br  = strrchr(probe, '[');
    if (br > cut)
      cut = br;
    if (cut == NULL)
      return rs_err_at(err, w->file, 0, key, "%s", what);
    *cut = '\0';
  }
}

/* ---- locations and messages ----------------------------------------------------------------------- */

struct rs_sc__override {
  struct fy_node* node;
  const char* arg; /* borrowed from the caller's sets */
};

int rs_sc__err(rs_sc__walk_t* w, const rs_sc__loc_t* at, const char* fmt, ...)
{
  char what[RS_ERR_LEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (at->set_arg)
    return rs_err_set(w->err, "--set %s: %s: %s", at->set_arg, at->path, what);
  return rs_err_at(w->err, w->file, at->line, at->path[0] ? at->path : NULL, "%s", what);
}

int rs_sc__err_key(rs_sc__walk_t* w, const rs_sc__loc_t* at, const char* key, const char* fmt, ...)
{
  char path[RS_SC__PATH_LEN];
  snprintf(path, sizeof path, at->path[0] ? "%s.%s" : "%s%s", at->path, key);
  va_list ap;
  va_start(ap, fmt);
  rs_sc__where_verr(w->where, w->err, path, fmt, ap);
  va_end(ap);
  return RS_ERR;
}

static const char* override_of(const rs_sc__walk_t* w, struct fy_node* n)
{
  for (int i = 0; i < w->n_overrides; i++)
    if (w->overrides[i].node == n)
      return w->overrides[i].arg;
  return NULL;
}

/* The line of a scalar node, from 1 (libfyaml counts from 0); 0 for other nodes. */
static int node_line(struct fy_node* n)
{
  struct fy_token* t      = n ? fy_node_get_scalar_token(n) : NULL;
  const struct fy_mark* m = t ? fy_token_start_mark(t) : NULL;
  return m ? m->line + 1 : 0;
}

/* Location of a child: path joined with the key, line of the key node (or of the parent). */
static void loc_child(const rs_sc__walk_t* w, rs_sc__loc_t* child, const rs_sc__loc_t* parent, const char* key,
                      struct fy_node* key_node)
{
  snprintf(child->path, sizeof child->path, parent->path[0] ? "%s.%s" : "%s%s", parent->path, key);
  child->set_arg = override_of(w, key_node);
  child->line    = key_node && !child->set_arg ? node_line(key_node) : parent->line;
  child->index   = -1;
  if (!child->set_arg)
    child->set_arg = parent->set_arg;
}

/* Location of item i of a list: "path[i]" at the line of its first key (a mapping itself has none);
 * remembered in the where map. */
static void item_loc(rs_sc__walk_t* w, const rs_sc__loc_t* at, struct fy_node* item, int i, rs_sc__loc_t* child)
{
  *child = *at;
  snprintf(child->path, sizeof child->path, "%s[%d]", at->path, i);
  child->index               = i;
  void* iter                 = NULL;
  struct fy_node_pair* first = fy_node_is_mapping(item) ? fy_node_mapping_iterate(item, &iter) : NULL;
  int line                   = node_line(first ? fy_node_pair_key(first) : item);
  if (line > 0)
    child->line = line;
  where_add(w->where, child->path, child->line, child->set_arg);
}

static const char* node_kind_name(struct fy_node* n)
{
  if (n == NULL)
    return "nothing";
  switch (fy_node_get_type(n)) {
  case FYNT_MAPPING:
    return "a mapping";
  case FYNT_SEQUENCE:
    return "a list";
  default:
    return "a scalar";
  }
}

/* ---- scalars -------------------------------------------------------------------------------------- */

int rs_parse_bytes(const char* text, double* bytes)
{
  static const struct {
    const char* suffix;
    double scale;
  } units[] = {{"", 1},
               {"B", 1},
               {"KB", 1e3},
               {"MB", 1e6},
               {"GB", 1e9},
               {"TB", 1e12},
               {"KiB", 1024},
               {"MiB", 1048576.0},
               {"GiB", 1073741824.0},
               {"TiB", 1099511627776.0},
               /* nccl-tests' -b/-e: a bare K, M, G or T is binary there (8G = 8 GiB) */
               {"K", 1024},
               {"M", 1048576.0},
               {"G", 1073741824.0},
               {"T", 1099511627776.0}};
  char* end;
  errno    = 0;
  double v = strtod(text, &end);
  if (end == text || errno != 0 || !isfinite(v))
    return RS_ERR;
  while (*end == ' ')
    end++;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp(end, units[i].suffix) == 0) {
      *bytes = v * units[i].scale;
      return RS_OK;
    }
  return RS_ERR;
}

static int parse_number(const char* text, double* v)
{
  char* end;
  errno = 0;
  *v    = strtod(text, &end);
  return end != text && *end == '\0' && errno == 0 && isfinite(*v) ? RS_OK : RS_ERR;
}

static int parse_integer(const char* text, long long* v)
{
  char* end;
  errno = 0;
  *v    = strtoll(text, &end, 10);
  return end != text && *end == '\0' && errno == 0 ? RS_OK : RS_ERR;
}

static int parse_u64(const char* text, uint64_t* v)
{
  char* end;
  errno                = 0;
  unsigned long long u = strtoull(text, &end, 10);
  *v                   = u;
  return end != text && *end == '\0' && errno == 0 && text[0] != '-' ? RS_OK : RS_ERR;
}

static int parse_bool(const char* text, int* v)
{
  static const char* const yes[] = {"true", "yes", "on", NULL};
  static const char* const no[]  = {"false", "no", "off", NULL};
  for (int i = 0; yes[i]; i++)
    if (strcmp(text, yes[i]) == 0)
      return *v = 1, RS_OK;
  for (int i = 0; no[i]; i++)
    if (strcmp(text, no[i]) == 0)
      return *v = 0, RS_OK;
  return RS_ERR;
}

static int parse_choice(const char* text, const char* const* choices, int* v)
{
  for (int k = 0; choices[k]; k++)
    if (strcmp(text, choices[k]) == 0)
      return *v = k, RS_OK;
  return RS_ERR;
}

static void join_choices(rs_sc__text_t* t, const char* const* choices)
{
  for (int i = 0; choices[i]; i++)
    rs_sc__append(t, ", ", choices[i]);
}

/* What a field expects, in words, for messages. */
static void describe_field(rs_sc__text_t* t, const rs_sc__field_t* f)
{
  switch (f->type) {
  case RS_SC__STR:
    text_add(t, "a text value");
    break;
  case RS_SC__INT:
    text_add(t, "an integer from %.0f to %.0f", f->min, f->max);
    break;
  case RS_SC__U64:
    text_add(t, "a non-negative integer");
    break;
  case RS_SC__NUM:
    text_add(t, "a number from %g to %g", f->min, f->max);
    break;
  case RS_SC__BYTES:
    text_add(t, "a size in bytes from %g to %g (a number, optionally with B, KB, MB, GB, KiB, MiB, GiB...)", f->min,
             f->max);
    break;
  case RS_SC__BOOL:
    text_add(t, "true or false");
    break;
  case RS_SC__ENUM: {
    rs_sc__text_t choices = {0};
    join_choices(&choices, f->choices);
    text_add(t, "one of %s", rs_sc__text(&choices));
    free(choices.s);
    break;
  }
  case RS_SC__SEQ:
    text_add(t, "%s", f->what);
    break;
  case RS_SC__MAP:
  case RS_SC__CUSTOM:
    text_add(t, "a section");
    break;
  }
}

/* "expected X, got Y" at `at`, X being what f expects; returns RS_ERR. */
static int expected_err(rs_sc__walk_t* w, const rs_sc__field_t* f, const rs_sc__loc_t* at, const char* got_fmt,
                        const char* got)
{
  rs_sc__text_t expected = {0};
  describe_field(&expected, f);
  char what[RS_ERR_LEN];
  snprintf(what, sizeof what, got_fmt, got);
  rs_sc__err(w, at, "expected %s, got %s", rs_sc__text(&expected), what);
  free(expected.s);
  return RS_ERR;
}

/* Converts text for scalar field f into base; RS_ERR with a message at `at` when it does not fit. */
static int store_scalar(rs_sc__walk_t* w, const rs_sc__field_t* f, const char* text, const rs_sc__loc_t* at, void* base)
{
  char* dst   = (char*)base + f->off;
  double d    = 0;
  long long i = 0;
  uint64_t u  = 0;
  int ok = RS_ERR, b = 0;
  switch (f->type) {
  case RS_SC__STR:
    free(*(char**)dst);
    *(char**)dst = xbt_strdup(text);
    return RS_OK;
  case RS_SC__INT:
    if ((ok = parse_integer(text, &i) == RS_OK && i >= f->min && i <= f->max ? RS_OK : RS_ERR) == RS_OK)
      *(int*)dst = (int)i;
    break;
  case RS_SC__U64:
    if ((ok = parse_u64(text, &u)) == RS_OK)
      *(uint64_t*)dst = u;
    break;
  case RS_SC__NUM:
  case RS_SC__BYTES:
    ok = (f->type == RS_SC__NUM ? parse_number(text, &d) : rs_parse_bytes(text, &d)) == RS_OK && d >= f->min &&
                 d <= f->max
             ? RS_OK
             : RS_ERR;
    if (ok == RS_OK)
      *(double*)dst = d;
    break;
  case RS_SC__BOOL:
    if ((ok = parse_bool(text, &b)) == RS_OK)
      *(int*)dst = b;
    break;
  case RS_SC__ENUM:
    if ((ok = parse_choice(text, f->choices, &b)) == RS_OK)
      *(int*)dst = b;
    break;
  default:
    xbt_die("store_scalar: key '%s' is not a scalar", f->key);
  }
  return ok == RS_OK ? RS_OK : expected_err(w, f, at, "'%s'", text);
}

/* A scalar key's value node n: its text stored, or "expected X, got nothing/a list/...". */
static int load_scalar(rs_sc__walk_t* w, const rs_sc__field_t* f, struct fy_node* n, const rs_sc__loc_t* at, void* base)
{
  if (n == NULL || !fy_node_is_scalar(n) || fy_node_get_scalar0(n) == NULL || fy_node_is_null(n))
    return expected_err(w, f, at, "%s", n == NULL || fy_node_is_null(n) ? "nothing" : node_kind_name(n));
  rs_sc__loc_t here = *at;
  if (!here.set_arg && node_line(n) > 0)
    here.line = node_line(n);
  return store_scalar(w, f, fy_node_get_scalar0(n), &here, base);
}

/* ---- mappings ------------------------------------------------------------------------------------- */

/* One table's keys and the struct they go into. A mapping is read against one part, or two (a
 * table with a tag and the variant it picks). */
typedef struct part {
  const rs_sc__table_t* t;
  void* base;
} part_t;

static int load_value(rs_sc__walk_t* w, const rs_sc__field_t* f, struct fy_node* n, const rs_sc__loc_t* at, void* base);

/* The field named key among the parts: its part and its position counting across all parts. */
static const rs_sc__field_t* find_field(const part_t* parts, int n_parts, const char* key, int* part, int* flat)
{
  for (int p = 0, k = 0; p < n_parts; p++)
    for (int i = 0; i < parts[p].t->n; i++, k++)
      if (strcmp(parts[p].t->fields[i].key, key) == 0) {
        *part = p;
        *flat = k;
        return &parts[p].t->fields[i];
      }
  return NULL;
}

static int unknown_key(rs_sc__walk_t* w, const rs_sc__loc_t* at, const part_t* parts, int n_parts)
{
  rs_sc__text_t keys = {0};
  for (int p = 0; p < n_parts; p++)
    for (int i = 0; i < parts[p].t->n; i++)
      rs_sc__append(&keys, ", ", parts[p].t->fields[i].key);
  rs_sc__err(w, at, "unknown key; expected one of: %s", rs_sc__text(&keys));
  free(keys.s);
  return RS_ERR;
}

static int expect_mapping(rs_sc__walk_t* w, struct fy_node* n, const rs_sc__loc_t* at)
{
  if (n != NULL && fy_node_is_mapping(n))
    return RS_OK;
  return rs_sc__err(w, at, "expected a mapping of keys and values, got %s", node_kind_name(n));
}

static int is_scalar_type(rs_sc__type_t type)
{
  return type != RS_SC__MAP && type != RS_SC__SEQ && type != RS_SC__CUSTOM;
}

/* Keys of the parts not seen in the mapping: an error when required, else their default. */
static int apply_defaults(rs_sc__walk_t* w, const rs_sc__loc_t* at, const part_t* parts, int n_parts,
                          const unsigned char* seen)
{
  for (int p = 0, k = 0; p < n_parts; p++)
    for (int i = 0; i < parts[p].t->n; i++, k++) {
      const rs_sc__field_t* f = &parts[p].t->fields[i];
      if (seen[k])
        continue;
      if (f->required)
        return rs_sc__err(w, at, "missing required key '%s'", f->key);
      if (f->def == NULL)
        continue;
      rs_sc__loc_t child;
      loc_child(w, &child, at, f->key, NULL);
      if (is_scalar_type(f->type) ? store_scalar(w, f, f->def, &child, parts[p].base)
                                  : load_value(w, f, NULL, &child, parts[p].base))
        return RS_ERR;
    }
  return RS_OK;
}

/* Reads every key of mapping n into the parts, noting in seen which fields were given. */
static int read_keys(rs_sc__walk_t* w, struct fy_node* n, const rs_sc__loc_t* at, const part_t* parts, int n_parts,
                     unsigned char* seen)
{
  void* iter = NULL;
  struct fy_node_pair* pair;
  while ((pair = fy_node_mapping_iterate(n, &iter)) != NULL) {
    struct fy_node* key_node = fy_node_pair_key(pair);
    const char* key          = key_node ? fy_node_get_scalar0(key_node) : NULL;
    rs_sc__loc_t child;
    loc_child(w, &child, at, key ? key : "?", key_node);
    int p, flat;
    const rs_sc__field_t* f = key ? find_field(parts, n_parts, key, &p, &flat) : NULL;
    if (f == NULL)
      return unknown_key(w, &child, parts, n_parts);
    seen[flat] = 1;
    where_add(w->where, child.path, child.line, child.set_arg);
    if (load_value(w, f, fy_node_pair_value(pair), &child, parts[p].base) != RS_OK)
      return RS_ERR;
  }
  return RS_OK;
}

/* Mapping n (NULL: a mapping left out, defaults only) read against the parts, then each part's check. */
static int load_parts(rs_sc__walk_t* w, struct fy_node* n, const rs_sc__loc_t* at, const part_t* parts, int n_parts)
{
  int total = 0;
  for (int p = 0; p < n_parts; p++)
    total += parts[p].t->n;
  unsigned char* seen = xbt_malloc0(total + 1); /* as many as the tables have keys: nothing to overflow */
  int rc              = n ? read_keys(w, n, at, parts, n_parts, seen) : RS_OK;
  if (rc == RS_OK)
    rc = apply_defaults(w, at, parts, n_parts, seen);
  for (int p = 0; rc == RS_OK && p < n_parts; p++)
    if (parts[p].t->check)
      rc = parts[p].t->check(w, at, parts[p].base);
  free(seen);
  return rc;
}

static const rs_sc__field_t* tag_field(const rs_sc__table_t* t)
{
  for (int i = 0; i < t->n; i++)
    if (strcmp(t->fields[i].key, t->tag) == 0 && t->fields[i].type == RS_SC__ENUM)
      return &t->fields[i];
  xbt_die("table tag '%s' is not one of its ENUM keys", t->tag);
}

/* The variant that the tag's value in base picks; NULL when the value is none of the choices. */
static const rs_sc__table_t* variant_of(const rs_sc__table_t* t, const void* base)
{
  const rs_sc__field_t* f = tag_field(t);
  int v                   = *(const int*)((const char*)base + f->off);
  int n                   = 0;
  while (f->choices[n])
    n++;
  return v >= 0 && v < n ? t->variants[v] : NULL;
}

/* The tag must be read before the other keys, whose table it picks. */
static int read_tag(rs_sc__walk_t* w, struct fy_node* n, const rs_sc__loc_t* at, const rs_sc__table_t* t, void* base,
                    const rs_sc__table_t** variant)
{
  const rs_sc__field_t* f = tag_field(t);
  struct fy_node* v       = fy_node_mapping_lookup_by_string(n, t->tag, FY_NT);
  if (v == NULL) {
    rs_sc__text_t choices = {0};
    join_choices(&choices, f->choices);
    rs_sc__err(w, at, "missing required key '%s' (one of %s)", t->tag, rs_sc__text(&choices));
    free(choices.s);
    return RS_ERR;
  }
  rs_sc__loc_t child;
  loc_child(w, &child, at, t->tag, v); /* at the value's line, which is the key's for a scalar */
  if (load_scalar(w, f, v, &child, base) != RS_OK)
    return RS_ERR;
  *variant = variant_of(t, base);
  xbt_assert(*variant != NULL, "table tag '%s': no variant for its value", t->tag);
  return RS_OK;
}

int rs_sc__load_map(rs_sc__walk_t* w, struct fy_node* n, const rs_sc__loc_t* at, const rs_sc__table_t* table,
                    void* base)
{
  if (expect_mapping(w, n, at) != RS_OK)
    return RS_ERR;
  part_t parts[2] = {{table, base}, {NULL, base}};
  if (table->tag && read_tag(w, n, at, table, base, &parts[1].t) != RS_OK)
    return RS_ERR;
  return load_parts(w, n, at, parts, table->tag ? 2 : 1);
}

/* ---- lists ---------------------------------------------------------------------------------------- */

/* A non-empty list of mappings into a new array of f->item_size items, counted as they are read. */
static int load_seq(rs_sc__walk_t* w, const rs_sc__field_t* f, struct fy_node* n, const rs_sc__loc_t* at, void* base)
{
  int count = n && fy_node_is_sequence(n) ? fy_node_sequence_item_count(n) : 0;
  if (count <= 0)
    return rs_sc__err(w, at, "expected %s, got %s", f->what,
                      n && fy_node_is_sequence(n) ? "an empty list" : node_kind_name(n));
  char* items                     = xbt_malloc0((size_t)count * f->item_size);
  *(void**)((char*)base + f->off) = items;
  int* n_items                    = (int*)((char*)base + f->count_off);
  for (int i = 0; i < count; i++) {
    struct fy_node* item = fy_node_sequence_get_by_index(n, i);
    rs_sc__loc_t child;
    item_loc(w, at, item, i, &child);
    *n_items = i + 1;
    if (rs_sc__load_map(w, item, &child, f->sub, items + (size_t)i * f->item_size) != RS_OK)
      return RS_ERR;
  }
  return RS_OK;
}

/* The value n of key f (NULL: the key is absent and takes its default). */
static int load_value(rs_sc__walk_t* w, const rs_sc__field_t* f, struct fy_node* n, const rs_sc__loc_t* at, void* base)
{
  void* dst = (char*)base + f->off;
  switch (f->type) {
  case RS_SC__MAP:
    if (n == NULL)
      return load_parts(w, NULL, at, &(part_t){f->sub, dst}, 1);
    return rs_sc__load_map(w, n, at, f->sub, dst);
  case RS_SC__SEQ:
    return load_seq(w, f, n, at, base);
  case RS_SC__CUSTOM:
    return f->load(w, n, at, dst);
  default:
    return load_scalar(w, f, n, at, base);
  }
}

void rs_sc__free(const rs_sc__table_t* t, void* base)
{
  for (int i = 0; i < t->n; i++) {
    const rs_sc__field_t* f = &t->fields[i];
    char* dst               = (char*)base + f->off;
    if (f->type == RS_SC__STR) {
      free(*(char**)dst);
      *(char**)dst = NULL;
    } else if (f->type == RS_SC__MAP) {
      rs_sc__free(f->sub, dst);
    } else if (f->type == RS_SC__SEQ) {
      char* items = *(char**)dst;
      int count   = *(int*)((char*)base + f->count_off);
      for (int k = 0; items && k < count; k++)
        rs_sc__free(f->sub, items + (size_t)k * f->item_size);
      free(items);
      *(char**)dst = NULL;
    }
  }
  const rs_sc__table_t* variant = t->tag ? variant_of(t, base) : NULL;
  if (variant)
    rs_sc__free(variant, base);
}

/* ---- the file ------------------------------------------------------------------------------------- */

/* A scenario is a page of keys (the largest shipped is a few kB); a bound keeps a hostile file from
 * costing seconds and hundreds of MB before the first key is checked. */
#define WALK_MAX_FILE_BYTES 16000000

/* Bytes that continue a UTF-8 sequence starting with byte c (0 for ASCII), or -1 when c cannot start one
 * (RFC 3629: no overlong two-byte leads, nothing above U+10FFFF). */
static int utf8_tail(int c)
{
  return c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : -1;
}

/* Empty, binary and non-UTF-8 files, and anything that is not a regular file (a FIFO would block the
 * reader, a device never end), get their own message before libfyaml sees them: its scanner can loop on
 * some invalid UTF-8. */
static int check_text_file(rs_sc__walk_t* w)
{
  int fd = open(w->file, O_RDONLY | O_NONBLOCK);
  struct stat st;
  if (fd < 0)
    return rs_err_set(w->err, "%s: cannot open the %s: %s", w->file, w->words->doc, strerror(errno));
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    if (S_ISDIR(st.st_mode))
      return rs_err_set(w->err, "%s: cannot read the %s (is it a directory?)", w->file, w->words->doc);
    return rs_err_set(w->err, "%s: cannot read the %s: not a regular file (a FIFO or a device)", w->file,
                      w->words->doc);
  }
  if (st.st_size > WALK_MAX_FILE_BYTES) {
    close(fd);
    return rs_err_set(w->err,
                      "%s: the %s is %.0f MB: expected at most %d MB of YAML (per-request data belongs in a "
                      "CSV trace)",
                      w->file, w->words->doc, st.st_size / 1e6, WALK_MAX_FILE_BYTES / 1000000);
  }
  FILE* fp = fdopen(fd, "rb");
  int ch, line = 1, blank = 1, bad = -1, tail = 0, lead = 0;
  while ((ch = fgetc(fp)) != EOF) {
    if (tail > 0) { /* inside a multi-byte sequence: only continuation bytes, no surrogates */
      int ok = (ch & 0xC0) == 0x80 && !(lead == 0xE0 && ch < 0xA0) && !(lead == 0xED && ch > 0x9F) &&
               !(lead == 0xF0 && ch < 0x90) && !(lead == 0xF4 && ch > 0x8F);
      lead = 0;
      if (!ok)
        break;
      tail--;
      continue;
    }
    if (ch == 0 || (ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t')) {
      bad = ch;
      break;
    }
    if ((tail = utf8_tail(ch)) < 0)
      break;
    lead = tail > 0 ? ch : 0;
    if (ch == '\n')
      line++;
    else if (ch != ' ' && ch != '\r' && ch != '\t')
      blank = 0;
  }
  int read_error = ferror(fp);
  fclose(fp);
  if (read_error)
    return rs_err_set(w->err, "%s: cannot read the %s", w->file, w->words->doc);
  if (bad >= 0)
    return rs_err_at(w->err, w->file, line, NULL,
                     "not a text file (control byte 0x%02x): expected a YAML %s with keys %s", bad, w->words->doc,
                     w->words->top_keys);
  if (ch != EOF || tail != 0)
    return rs_err_at(w->err, w->file, line, NULL, "not UTF-8 text: expected a YAML %s in UTF-8", w->words->doc);
  if (blank)
    return rs_err_at(w->err, w->file, 0, NULL, "the file is empty: expected a YAML %s with keys %s", w->words->doc,
                     w->words->top_keys);
  return RS_OK;
}

typedef struct diag_capture {
  char first[RS_ERR_LEN];
} diag_capture_t;

/* libfyaml prints "file:line:col: error: what"; keep the first such line for our message. */
static void on_diag(struct fy_diag* diag, void* user, const char* buf, size_t len)
{
  diag_capture_t* cap = user;
  if (cap->first[0] == '\0' && len > 0 && memmem(buf, len, "error:", 6) != NULL)
    snprintf(cap->first, sizeof cap->first, "%.*s", (int)len, buf);
}

/* "not valid YAML: WHAT" at the line of libfyaml's first error, from cap ("FILE:LINE:COL: error: WHAT"). */
static void yaml_err(rs_sc__walk_t* w, diag_capture_t* cap)
{
  int line = 0, col = 0;
  char* what = strstr(cap->first, ": error: ");
  char* pos  = what;
  for (int colons = 0; pos && pos > cap->first && colons < 2;)
    colons += *--pos == ':';
  if (what && pos && sscanf(pos, ":%d:%d", &line, &col) == 2) {
    what += strlen(": error: ");
    what[strcspn(what, "\n")] = '\0';
    rs_err_at(w->err, w->file, line, NULL, "not valid YAML: %s", what);
  } else {
    rs_err_at(w->err, w->file, 0, NULL, "not valid YAML");
  }
}

/* Nodes that alias expansion may add (each alias counts its target's whole subtree): a scenario is
 * written out, so far fewer; a nested "billion laughs" file of a few hundred bytes would add billions. */
#define ALIAS_NODES_MAX 100000
/* Aliases inside aliases inside ...: deeper than this is refused (also bounds the recursion). */
#define ALIAS_DEPTH_MAX 32

/* Counts into *added the nodes that resolving the aliases under n would add, stopping at the first
 * alias that would take it past ALIAS_NODES_MAX (or nest past ALIAS_DEPTH_MAX); that alias, or NULL. */
static struct fy_node* alias_overflow(struct fy_node* n, int aliased, long* added)
{
  if (n == NULL)
    return NULL;
  if (aliased > 0 && ++*added > ALIAS_NODES_MAX)
    return n;
  if (fy_node_is_alias(n)) {
    struct fy_node* target = fy_node_resolve_alias(n);
    if (target == NULL || aliased >= ALIAS_DEPTH_MAX || alias_overflow(target, aliased + 1, added) != NULL)
      return n;
    return NULL;
  }
  void* iter = NULL;
  if (fy_node_is_sequence(n)) {
    for (struct fy_node* item; (item = fy_node_sequence_iterate(n, &iter)) != NULL;)
      if (alias_overflow(item, aliased, added) != NULL)
        return aliased ? n : item;
  } else if (fy_node_is_mapping(n)) {
    for (struct fy_node_pair* pair; (pair = fy_node_mapping_iterate(n, &iter)) != NULL;) {
      struct fy_node* bad = alias_overflow(fy_node_pair_key(pair), aliased, added);
      if (bad == NULL)
        bad = alias_overflow(fy_node_pair_value(pair), aliased, added);
      if (bad != NULL)
        return aliased ? n : bad;
    }
  }
  return NULL;
}

/* The line of an alias node (its token), from 1; 0 when unknown. */
static int alias_line(struct fy_node* n)
{
  struct fy_token* t      = fy_node_get_scalar_token(n);
  const struct fy_mark* m = t ? fy_token_start_mark(t) : NULL;
  return m ? m->line + 1 : 0;
}

/* The first document of the file, its aliases resolved once their expansion is known to be small; NULL
 * and w->err when it is not valid YAML, is followed by a second document, or its aliases expand too far. */
static struct fy_document* parse_yaml(rs_sc__walk_t* w)
{
  diag_capture_t cap = {{0}};
  struct fy_diag_cfg dcfg;
  fy_diag_cfg_default(&dcfg);
  dcfg.fp                  = NULL;
  dcfg.output_fn           = on_diag;
  dcfg.user                = &cap;
  dcfg.colorize            = false;
  dcfg.show_source         = false;
  dcfg.show_position       = true;
  dcfg.show_type           = false;
  dcfg.show_module         = false;
  struct fy_diag* diag     = fy_diag_create(&dcfg);
  struct fy_parse_cfg pcfg = {.diag = diag}; /* aliases left unresolved until counted */
  struct fy_parser* fyp    = fy_parser_create(&pcfg);
  struct fy_document* doc  = NULL;
  int rc                   = RS_ERR;
  if (fyp != NULL && fy_parser_set_input_file(fyp, w->file) == 0 && (doc = fy_parse_load_document(fyp)) != NULL) {
    struct fy_event* next = fy_parser_parse(fyp);
    if (next && next->type == FYET_DOCUMENT_START) {
      /* An implicit start (after "...") has no mark: the document's first node has. */
      const struct fy_mark* m = fy_event_start_mark(next);
      struct fy_event* first  = m ? NULL : fy_parser_parse(fyp);
      if (first)
        m = fy_event_start_mark(first);
      rs_err_at(w->err, w->file, m ? m->line + 1 : 0, NULL,
                "a second YAML document starts here: expected one %s per file", w->words->doc);
      fy_parser_event_free(fyp, first);
    } else if (next == NULL && fy_parser_get_stream_error(fyp)) {
      yaml_err(w, &cap);
    } else {
      rc = RS_OK;
    }
    fy_parser_event_free(fyp, next);
  } else {
    yaml_err(w, &cap);
  }
  long added          = 0;
  struct fy_node* bad = rc == RS_OK ? alias_overflow(fy_document_root(doc), 0, &added) : NULL;
  if (bad != NULL && fy_node_is_alias(bad) && fy_node_resolve_alias(bad) == NULL) {
    rc = rs_err_at(w->err, w->file, alias_line(bad), NULL,
                   "a YAML alias with no anchor before it (or one inside itself): write the value out");
  } else if (bad != NULL) {
    rc = rs_err_at(w->err, w->file, alias_line(bad), NULL,
                   "YAML aliases expand past %d nodes (or %d aliases deep): write the values out", ALIAS_NODES_MAX,
                   ALIAS_DEPTH_MAX);
  } else if (rc == RS_OK && fy_document_resolve(doc) != 0) {
    rc = RS_ERR;
    yaml_err(w, &cap);
  }
  if (rc != RS_OK) {
    fy_document_destroy(doc);
    doc = NULL;
  }
  fy_parser_destroy(fyp);
  fy_diag_destroy(diag);
  return doc;
}

/* ---- --set overrides ------------------------------------------------------------------------------ */

static int set_err(rs_sc__walk_t* w, const char* arg, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
static int set_err(rs_sc__walk_t* w, const char* arg, const char* fmt, ...)
{
  char what[RS_ERR_LEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return rs_err_set(w->err, "--set %s: %s", arg, what);
}

static void free_overrides(rs_sc__walk_t* w)
{
  free(w->overrides);
  w->overrides     = NULL;
  w->n_overrides   = 0;
  w->cap_overrides = 0;
}

static void remember_override(rs_sc__walk_t* w, struct fy_node* n, const char* arg)
{
  if (w->n_overrides == w->cap_overrides) {
    w->cap_overrides = w->cap_overrides ? 2 * w->cap_overrides : 8;
    w->overrides     = xbt_realloc(w->overrides, w->cap_overrides * sizeof *w->overrides);
  }
  w->overrides[w->n_overrides++] = (rs_sc__override_t){n, arg};
}

/* The item of a list named by seg: its index, or the item whose name key (key) is seg. */
static struct fy_node* sequence_item(struct fy_node* seq, const char* seg, const char* key)
{
  long long idx;
  if (parse_integer(seg, &idx) == RS_OK)
    return idx >= 0 && idx < fy_node_sequence_item_count(seq) ? fy_node_sequence_get_by_index(seq, (int)idx) : NULL;
  for (int i = 0; i < fy_node_sequence_item_count(seq); i++) {
    struct fy_node* item = fy_node_sequence_get_by_index(seq, i);
    struct fy_node* name = fy_node_is_mapping(item) ? fy_node_mapping_lookup_by_string(item, key, FY_NT) : NULL;
    if (name && fy_node_is_scalar(name) && strcmp(fy_node_get_scalar0(name), seg) == 0)
      return item;
  }
  return NULL;
}

/* A node libfyaml made but did not take into the document. */
static void free_node(struct fy_node* n)
{
  if (n != NULL)
    fy_node_free(n);
}

/* The mapping child seg of map, made (and remembered as an override) when missing. */
static struct fy_node* mapping_child(rs_sc__walk_t* w, struct fy_document* doc, struct fy_node* map, const char* seg,
                                     const char* arg)
{
  struct fy_node* child = fy_node_mapping_lookup_by_string(map, seg, FY_NT);
  if (child != NULL)
    return child;
  struct fy_node* key = fy_node_create_scalar_copy(doc, seg, FY_NT);
  child               = fy_node_create_mapping(doc);
  if (key == NULL || child == NULL || fy_node_mapping_append(map, key, child) != 0) {
    free_node(key);
    free_node(child);
    return NULL;
  }
  remember_override(w, key, arg);
  return child;
}

/* The last segment of a --set path: its value replaces (or adds) the key seg of map. */
static int set_value(rs_sc__walk_t* w, struct fy_document* doc, struct fy_node* map, const char* seg, const char* value,
                     const char* arg)
{
  struct fy_node_pair* pair = fy_node_mapping_lookup_pair_by_string(map, seg, FY_NT);
  if (pair && fy_node_pair_value(pair) && !fy_node_is_scalar(fy_node_pair_value(pair)))
    return set_err(w, arg, "'%s' is a section or a list, not a value", seg);
  struct fy_node* v   = fy_node_create_scalar_copy(doc, value, FY_NT);
  struct fy_node* key = pair ? fy_node_pair_key(pair) : fy_node_create_scalar_copy(doc, seg, FY_NT);
  /* libfyaml may make no node, or refuse to take one (a key it cannot compare, such as a null one): the
   * nodes it did not take are freed here (the scenario fuzzer found them leaked) */
  int taken = v != NULL && key != NULL &&
              (pair ? fy_node_pair_set_value(pair, v) == 0 : fy_node_mapping_append(map, key, v) == 0);
  if (!taken) {
    free_node(v);
    if (!pair)
      free_node(key);
    return set_err(w, arg, "libfyaml cannot hold this key or value");
  }
  remember_override(w, v, arg);
  remember_override(w, key, arg);
  return RS_OK;
}

/* True when s is UTF-8 text without control bytes (a --set argument libfyaml can hold as a scalar). */
static int utf8_text(const char* s)
{
  for (const unsigned char* p = (const unsigned char*)s; *p;) {
    int tail = utf8_tail(*p);
    if (tail < 0 || *p < 0x20)
      return 0;
    for (p++; tail > 0; tail--, p++)
      if ((*p & 0xC0) != 0x80)
        return 0;
  }
  return 1;
}

static int apply_set(rs_sc__walk_t* w, struct fy_document* doc, const char* arg)
{
  if (!utf8_text(arg)) /* libfyaml would not make a scalar of it (the fuzzer found the leak that left) */
    return rs_err_set(w->err,
                      "--set: an argument is not UTF-8 text without control characters: expected "
                      "key=value, such as %s",
                      w->words->set_example);
  const char* eq = strchr(arg, '=');
  if (eq == NULL || eq == arg)
    return set_err(w, arg, "expected key=value, such as %s", w->words->set_example);
  /* "workloads[0].x" and "workloads.0.x" name the same key. */
  char* path = strndup(arg, (size_t)(eq - arg));
  for (char* p = path; *p; p++)
    if (*p == '[' || *p == ']')
      *p = '.';
  struct fy_node* node = fy_document_root(doc);
  char* save           = NULL;
  char* seg            = strtok_r(path, ".", &save);
  int rc               = seg ? RS_OK : set_err(w, arg, "expected key=value, such as %s", w->words->set_example);
  int set              = 0; /* the path ended at a key, which took the value */
  for (char* next; rc == RS_OK && seg != NULL; seg = next) {
    next = strtok_r(NULL, ".", &save);
    if (strpbrk(seg, " \t,[]{}:#&*!|>'\"%@`?") != NULL) { /* libfyaml would parse it as YAML to look it up */
      rc = set_err(w, arg, "'%s' is not a key or a list item (no blanks or YAML punctuation)", seg);
      break;
    }
    if (fy_node_is_sequence(node)) {
      if ((node = sequence_item(node, seg, w->words->item_key)) == NULL)
        rc = set_err(w, arg, "no list item '%s' (give an index from 0, or %s)", seg, w->words->item_name);
      else if (next == NULL)
        rc = set_err(w, arg, "'%s' is a list item, not a value (give one of its keys after it)", seg);
    } else if (!fy_node_is_mapping(node)) {
      rc = set_err(w, arg, "'%s' is inside a value, not a section", seg);
    } else if (next != NULL) {
      if ((node = mapping_child(w, doc, node, seg, arg)) == NULL)
        rc = set_err(w, arg, "libfyaml cannot hold the key '%s'", seg);
    } else {
      rc  = set_value(w, doc, node, seg, eq + 1, arg);
      set = rc == RS_OK;
    }
  }
  xbt_assert(rc != RS_OK || set, "--set %s: the path ended without a key", arg);
  free(path);
  return rc;
}

/* ---- the whole walk ------------------------------------------------------------------------------- */

int rs_sc__load(rs_sc__walk_t* w, const rs_sc__table_t* table, void* base, const char* const* sets, int n_sets)
{
  xbt_assert(w->file && w->where && w->words, "rs_sc__load: the walk needs file, where and words");
  struct fy_document* doc = NULL;
  int rc                  = check_text_file(w);
  if (rc == RS_OK && (doc = parse_yaml(w)) == NULL)
    rc = RS_ERR;
  struct fy_node* root = doc ? fy_document_root(doc) : NULL;
  if (rc == RS_OK && (root == NULL || !fy_node_is_mapping(root)))
    rc = rs_err_at(w->err, w->file, 1, NULL, "expected a mapping with keys %s at the top, got %s", w->words->top_keys,
                   node_kind_name(root));
  for (int i = 0; rc == RS_OK && i < n_sets; i++)
    rc = apply_set(w, doc, sets[i]);
  struct fy_node* base_dir = rc == RS_OK && w->words->base_dir_path
                                 ? fy_node_by_path(root, w->words->base_dir_path, FY_NT, FYNWF_DONT_FOLLOW)
                                 : NULL;
  if (base_dir && fy_node_is_scalar(base_dir))
    w->base_dir = xbt_strdup(fy_node_get_scalar0(base_dir));
  rs_sc__loc_t at = {.path = "", .line = 1, .index = -1};
  if (rc == RS_OK)
    rc = rs_sc__load_map(w, root, &at, table, base);
  free(w->base_dir);
  w->base_dir = NULL;
  if (rc == RS_OK && w->keep_doc)
    w->doc = doc;
  else
    fy_document_destroy(doc);
  free_overrides(w);
  return rc;
}

char* rs_sc__emit(rs_sc__walk_t* w, const char* const* sets, int n_sets, const char* drop)
{
  xbt_assert(w->doc != NULL, "rs_sc__emit: no document kept (keep_doc, and a successful rs_sc__load)");
  for (int i = 0; i < n_sets; i++)
    xbt_assert(apply_set(w, w->doc, sets[i]) == RS_OK, "rs_sc__emit: --set %s failed: %s", sets[i], w->err->msg);
  struct fy_node* root = fy_document_root(w->doc);
  if (drop != NULL) {
    struct fy_node_pair* pair = fy_node_mapping_lookup_pair_by_string(root, drop, FY_NT);
    /* fy_node_mapping_remove would leave the pair and its nodes allocated (LeakSanitizer saw them):
     * removing by key frees the pair and its key, and gives back the value, freed here */
    if (pair != NULL)
      free_node(fy_node_mapping_remove_by_key(root, fy_node_pair_key(pair)));
  }
  char* text = fy_emit_document_to_string(w->doc, FYECF_MODE_BLOCK | FYECF_WIDTH_INF | FYECF_STRIP_DOC);
  xbt_assert(text != NULL, "rs_sc__emit: libfyaml could not emit the document");
  fy_document_destroy(w->doc);
  w->doc = NULL;
  free_overrides(w);
  return text;
}
