/* check_walk.c -- Check suite for the generic YAML walk behind the scenario loader (sim/scenario/walk.c),
 * on a small schema of its own: every field type (text, integer, uint64, number, bytes, choice, bool,
 * nested map, list, tagged variants, custom), defaults, missing and unknown keys, bad values, checks
 * across keys, --set, the where map, and mappings wider than any fixed array. Each fault's message is
 * asserted whole, with file, line and key. See LICENSE. */
#define _GNU_SOURCE /* mkstemps */
#include "scenario/walk.h"

#include <check.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a small schema: a document of every type ---- */

typedef struct inner {
  int x;
  double ratio;
} inner_t;

typedef struct item {
  char* label;
  int weight;
} item_t;

typedef struct shape {
  int kind;
  double r;    /* circle */
  double side; /* square */
} shape_t;

typedef struct doc {
  char* title;
  int count;
  uint64_t seed;
  double ratio;
  double size;
  int color;
  int on;
  inner_t inner;
  item_t* items;
  int n_items;
  shape_t* shapes;
  int n_shapes;
  int grid_w, grid_h;
} doc_t;

/* Labels of items must differ (a list item's check sees the items before it). */
static int check_item(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base)
{
  const item_t* it     = base;
  const item_t* before = it - at->index;
  for (int j = 0; j < at->index; j++)
    if (strcmp(before[j].label, it->label) == 0)
      return rs_sc__err(w, at, "expected a label no other item has, got '%s' twice", it->label);
  return RS_OK;
}

/* A check across keys, located at one key through the where map. */
static int check_doc(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base)
{
  const doc_t* d = base;
  if (d->size < 1024.0 * d->count)
    return rs_sc__err_key(w, at, "size", "expected at least count (%d) KiB, got %.0f bytes", d->count, d->size);
  return RS_OK;
}

/* CUSTOM: "WxH" into two ints; left out, 1x1. */
static int load_grid(rs_sc__walk_t* w, struct fy_node* n, const rs_sc__loc_t* at, void* dst)
{
  int* wh = dst;
  if (n == NULL) {
    wh[0] = wh[1] = 1;
    return RS_OK;
  }
  const char* txt = n && fy_node_is_scalar(n) ? fy_node_get_scalar0(n) : NULL;
  if (txt == NULL || sscanf(txt, "%dx%d", &wh[0], &wh[1]) != 2)
    return rs_sc__err(w, at, "expected WIDTHxHEIGHT, got '%s'", txt ? txt : "?");
  return RS_OK;
}

static const char* const colors[]      = {"red", "green", "blue", NULL};
static const char* const shape_kinds[] = {"circle", "square", NULL};

static const rs_sc__field_t inner_fields[] = {
    {"x", RS_SC__INT, offsetof(inner_t, x), .min = -5, .max = 5, .def = "1"},
    {"ratio", RS_SC__NUM, offsetof(inner_t, ratio), .min = 0, .max = 1, .def = "0.25"},
};
static const rs_sc__table_t inner_table = {RS_SC__FIELDS(inner_fields)};

static const rs_sc__field_t item_fields[] = {
    {"label", RS_SC__STR, offsetof(item_t, label), .required = 1},
    {"weight", RS_SC__INT, offsetof(item_t, weight), .min = 0, .max = 100, .def = "10"},
};
static const rs_sc__table_t item_table = {RS_SC__FIELDS(item_fields), .check = check_item};

static const rs_sc__field_t circle_fields[] = {{"r", RS_SC__NUM, offsetof(shape_t, r), .required = 1, .max = 10}};
static const rs_sc__field_t square_fields[] = {{"side", RS_SC__NUM, offsetof(shape_t, side), .max = 10, .def = "1"}};
static const rs_sc__table_t circle_table    = {RS_SC__FIELDS(circle_fields)};
static const rs_sc__table_t square_table    = {RS_SC__FIELDS(square_fields)};
static const rs_sc__table_t* const shape_variants[] = {&circle_table, &square_table};
static const rs_sc__field_t shape_fields[]          = {
             {"kind", RS_SC__ENUM, offsetof(shape_t, kind), .required = 1, .choices = shape_kinds}};
static const rs_sc__table_t shape_table = {RS_SC__FIELDS(shape_fields), .tag = "kind", .variants = shape_variants};

static const rs_sc__field_t doc_fields[] = {
    {"title", RS_SC__STR, offsetof(doc_t, title), .required = 1},
    {"count", RS_SC__INT, offsetof(doc_t, count), .min = 1, .max = 10, .def = "3"},
    {"seed", RS_SC__U64, offsetof(doc_t, seed), .def = "1"},
    {"ratio", RS_SC__NUM, offsetof(doc_t, ratio), .min = 0, .max = 1, .def = "0.5"},
    {"size", RS_SC__BYTES, offsetof(doc_t, size), .min = 1, .max = 1e12, .def = "1MiB"},
    {"color", RS_SC__ENUM, offsetof(doc_t, color), .choices = colors, .def = "green"},
    {"on", RS_SC__BOOL, offsetof(doc_t, on), .def = "false"},
    {"inner", RS_SC__MAP, offsetof(doc_t, inner), .def = "{}", .sub = &inner_table},
    {"items", RS_SC__SEQ, offsetof(doc_t, items), .required = 1, .sub = &item_table,
     .count_off = offsetof(doc_t, n_items), .item_size = sizeof(item_t), .what = "a list of items"},
    {"shapes", RS_SC__SEQ, offsetof(doc_t, shapes), .sub = &shape_table, .count_off = offsetof(doc_t, n_shapes),
     .item_size = sizeof(shape_t), .what = "a list of shapes"},
    {"grid", RS_SC__CUSTOM, offsetof(doc_t, grid_w), .def = "1x1", .load = load_grid},
};
static const rs_sc__table_t doc_table = {RS_SC__FIELDS(doc_fields), .check = check_doc};

static const rs_sc__words_t words = {"document", "title and items", "count=4", "label", "an item's label"};

/* ---- walking a text ---- */

typedef struct walked {
  char path[64];
  rs_err_t err;
  rs_sc_where_t* where;
  int rc;
} walked_t;

/* Writes yaml to a new temporary file and walks it against table into base, after the
 * NULL-terminated sets (or NULL). */
static void walk_table(walked_t* r, const char* yaml, const char* const* sets, const rs_sc__table_t* table, void* base)
{
  strcpy(r->path, "/tmp/rs-check-walk-XXXXXX.yaml");
  int fd = mkstemps(r->path, 5);
  ck_assert_int_ge(fd, 0);
  FILE* fp = fdopen(fd, "w");
  ck_assert_ptr_nonnull(fp);
  fputs(yaml, fp);
  ck_assert_int_eq(fclose(fp), 0);
  int n_sets = 0;
  while (sets && sets[n_sets])
    n_sets++;
  memset(&r->err, 0, sizeof r->err);
  r->where        = rs_sc__where_new(r->path);
  rs_sc__walk_t w = {.file = r->path, .err = &r->err, .where = r->where, .words = &words};
  r->rc           = rs_sc__load(&w, table, base, sets, n_sets);
}

static void walk(walked_t* r, doc_t* d, const char* yaml, const char* const* sets)
{
  memset(d, 0, sizeof *d);
  walk_table(r, yaml, sets, &doc_table, d);
}

static void walked_free(walked_t* r, const rs_sc__table_t* table, void* base)
{
  rs_sc__free(table, base);
  rs_sc__where_free(r->where);
  unlink(r->path);
}

/* The walk must have failed with exactly msg, "FILE" standing for the temporary file's path. */
static void assert_msg(const walked_t* r, const char* msg)
{
  char expected[2 * RS_ERR_LEN];
  size_t n = 0;
  for (const char* p = msg; *p && n < sizeof expected;) {
    const char* f = strstr(p, "FILE");
    int len       = f ? (int)(f - p) : (int)strlen(p);
    n += snprintf(expected + n, sizeof expected - n, "%.*s%s", len, p, f ? r->path : "");
    p += len + (f ? 4 : 0);
  }
  ck_assert_int_eq(r->rc, RS_ERR);
  ck_assert_str_eq(r->err.msg, expected);
}

/* Walking yaml (with sets) must fail with exactly msg. */
static void assert_refused(const char* yaml, const char* const* sets, const char* msg)
{
  walked_t r;
  doc_t d;
  walk(&r, &d, yaml, sets);
  assert_msg(&r, msg);
  walked_free(&r, &doc_table, &d);
}

#define ITEMS "items:\n  - label: a\n"

/* ---- types and defaults ---- */

START_TEST(test_every_type)
{
  walked_t r;
  doc_t d;
  walk(&r, &d,
       "title: demo\ncount: 4\nseed: 18446744073709551615\nratio: 0.75\nsize: 8GiB\ncolor: blue\non: yes\n"
       "inner:\n  x: -5\n  ratio: 1\n"
       "items:\n  - label: a\n    weight: 0\n  - label: b\n"
       "shapes:\n  - kind: circle\n    r: 2.5\n  - {kind: square}\n"
       "grid: 3x4\n",
       NULL);
  ck_assert_msg(r.rc == RS_OK, "%s", r.err.msg);
  ck_assert_str_eq(d.title, "demo");
  ck_assert_int_eq(d.count, 4);
  ck_assert_uint_eq(d.seed, UINT64_MAX);
  ck_assert_double_eq(d.ratio, 0.75);
  ck_assert_double_eq(d.size, 8.0 * 1073741824.0);
  ck_assert_int_eq(d.color, 2);
  ck_assert_int_eq(d.on, 1);
  ck_assert_int_eq(d.inner.x, -5);
  ck_assert_double_eq(d.inner.ratio, 1);
  ck_assert_int_eq(d.n_items, 2);
  ck_assert_str_eq(d.items[0].label, "a");
  ck_assert_int_eq(d.items[0].weight, 0);
  ck_assert_str_eq(d.items[1].label, "b");
  ck_assert_int_eq(d.items[1].weight, 10); /* an item's default */
  ck_assert_int_eq(d.n_shapes, 2);
  ck_assert_int_eq(d.shapes[0].kind, 0);
  ck_assert_double_eq(d.shapes[0].r, 2.5);
  ck_assert_int_eq(d.shapes[1].kind, 1);
  ck_assert_double_eq(d.shapes[1].side, 1); /* the variant's default */
  ck_assert_int_eq(d.grid_w, 3);
  ck_assert_int_eq(d.grid_h, 4);
  walked_free(&r, &doc_table, &d);
}
END_TEST

START_TEST(test_defaults)
{
  walked_t r;
  doc_t d;
  walk(&r, &d, "title: t\n" ITEMS, NULL);
  ck_assert_msg(r.rc == RS_OK, "%s", r.err.msg);
  ck_assert_int_eq(d.count, 3);
  ck_assert_uint_eq(d.seed, 1);
  ck_assert_double_eq(d.ratio, 0.5);
  ck_assert_double_eq(d.size, 1048576.0);
  ck_assert_int_eq(d.color, 1);
  ck_assert_int_eq(d.on, 0);
  ck_assert_int_eq(d.inner.x, 1); /* a map left out: its keys' defaults */
  ck_assert_double_eq(d.inner.ratio, 0.25);
  ck_assert_ptr_null(d.shapes); /* a list left out, with no default: nothing */
  ck_assert_int_eq(d.n_shapes, 0);
  ck_assert_int_eq(d.grid_w, 1); /* a custom key left out */
  ck_assert_int_eq(d.grid_h, 1);
  walked_free(&r, &doc_table, &d);
}
END_TEST

/* ---- faults, each with its exact message ---- */

START_TEST(test_missing_key)
{
  assert_refused("count: 2\n" ITEMS, NULL, "FILE:1: missing required key 'title'");
  assert_refused("title: t\ncount: 2\n", NULL, "FILE:1: missing required key 'items'");
  assert_refused("title: t\nitems:\n  - weight: 3\n", NULL, "FILE:3: items[0]: missing required key 'label'");
  assert_refused("title: t\n" ITEMS "shapes:\n  - kind: circle\n", NULL, "FILE:5: shapes[0]: missing required key 'r'");
  assert_refused("title: t\n" ITEMS "shapes:\n  - r: 1\n", NULL,
                 "FILE:5: shapes[0]: missing required key 'kind' (one of circle, square)");
}
END_TEST

START_TEST(test_unknown_key)
{
  assert_refused("title: t\ncolour: red\n" ITEMS, NULL,
                 "FILE:2: colour: unknown key; expected one of: title, count, seed, ratio, size, color, on, inner, "
                 "items, shapes, grid");
  assert_refused("title: t\ninner:\n  y: 1\n" ITEMS, NULL, "FILE:3: inner.y: unknown key; expected one of: x, ratio");
  /* a variant's keys are the tag's table's and its own */
  assert_refused("title: t\n" ITEMS "shapes:\n  - kind: square\n    r: 1\n", NULL,
                 "FILE:6: shapes[0].r: unknown key; expected one of: kind, side");
}
END_TEST

START_TEST(test_bad_values)
{
  assert_refused("title: t\ncount: 11\n" ITEMS, NULL, "FILE:2: count: expected an integer from 1 to 10, got '11'");
  assert_refused("title: t\ncount: 2.5\n" ITEMS, NULL, "FILE:2: count: expected an integer from 1 to 10, got '2.5'");
  assert_refused("title: t\nseed: -1\n" ITEMS, NULL, "FILE:2: seed: expected a non-negative integer, got '-1'");
  assert_refused("title: t\nratio: 1.5\n" ITEMS, NULL, "FILE:2: ratio: expected a number from 0 to 1, got '1.5'");
  assert_refused("title: t\nsize: 8 parsecs\n" ITEMS, NULL,
                 "FILE:2: size: expected a size in bytes from 1 to 1e+12 (a number, optionally with B, KB, MB, GB, "
                 "KiB, MiB, GiB...), got '8 parsecs'");
  assert_refused("title: t\ncolor: mauve\n" ITEMS, NULL,
                 "FILE:2: color: expected one of red, green, blue, got 'mauve'");
  assert_refused("title: t\non: maybe\n" ITEMS, NULL, "FILE:2: on: expected true or false, got 'maybe'");
  assert_refused("title: [a, b]\n" ITEMS, NULL, "FILE:1: title: expected a text value, got a list");
  assert_refused("title:\n" ITEMS, NULL, "FILE:1: title: expected a text value, got nothing");
  assert_refused("title: t\ninner: 3\n" ITEMS, NULL,
                 "FILE:2: inner: expected a mapping of keys and values, got a scalar");
  assert_refused("title: t\ninner:\n  x: 9\n" ITEMS, NULL,
                 "FILE:3: inner.x: expected an integer from -5 to 5, got '9'");
  assert_refused("title: t\nitems: 3\n", NULL, "FILE:2: items: expected a list of items, got a scalar");
  assert_refused("title: t\nitems: []\n", NULL, "FILE:2: items: expected a list of items, got an empty list");
  assert_refused("title: t\nitems:\n  - label: a\n  - label: b\n    weight: 101\n", NULL,
                 "FILE:5: items[1].weight: expected an integer from 0 to 100, got '101'");
  assert_refused("title: t\nitems:\n  - 7\n", NULL,
                 "FILE:3: items[0]: expected a mapping of keys and values, got a scalar");
  assert_refused("title: t\n" ITEMS "shapes:\n  - kind: hexagon\n", NULL,
                 "FILE:5: shapes[0].kind: expected one of circle, square, got 'hexagon'");
  assert_refused("title: t\n" ITEMS "grid: big\n", NULL, "FILE:4: grid: expected WIDTHxHEIGHT, got 'big'");
}
END_TEST

START_TEST(test_checks)
{
  /* a table's check, at a key's own line */
  assert_refused("title: t\ncount: 4\nsize: 1KiB\n" ITEMS, NULL,
                 "FILE:3: size: expected at least count (4) KiB, got 1024 bytes");
  /* a list item's check, at the item's line */
  assert_refused("title: t\nitems:\n  - label: a\n  - label: b\n  - label: a\n", NULL,
                 "FILE:5: items[2]: expected a label no other item has, got 'a' twice");
}
END_TEST

START_TEST(test_file_faults)
{
  assert_refused("", NULL, "FILE: the file is empty: expected a YAML document with keys title and items");
  assert_refused("title: t\n\001\n", NULL,
                 "FILE:2: not a text file (control byte 0x01): expected a YAML document with keys title and items");
  assert_refused("title: [t\n", NULL, "FILE:2: not valid YAML: flow sequence without a closing bracket");
  assert_refused("- title\n", NULL, "FILE:1: expected a mapping with keys title and items at the top, got a list");
  /* issue 17: what a YAML reader might take silently */
  walked_t r;
  doc_t d;
  memset(&d, 0, sizeof d);
  walk_table(&r, "", NULL, &doc_table, &d); /* just for a path: a NUL is written by hand */
  FILE* fp = fopen(r.path, "wb");
  ck_assert_ptr_nonnull(fp);
  fwrite("title: t\n" ITEMS "count: 2\0 3\n", 1, sizeof("title: t\n" ITEMS "count: 2\0 3\n") - 1, fp);
  ck_assert_int_eq(fclose(fp), 0);
  rs_sc__where_free(r.where);
  r.where         = rs_sc__where_new(r.path);
  rs_sc__walk_t w = {.file = r.path, .err = &r.err, .where = r.where, .words = &words};
  r.rc            = rs_sc__load(&w, &doc_table, &d, NULL, 0);
  assert_msg(&r, "FILE:4: not a text file (control byte 0x00): expected a YAML document with keys title and items");
  walked_free(&r, &doc_table, &d);
  assert_refused("title: t\n" ITEMS "---\ntitle: u\n", NULL,
                 "FILE:4: a second YAML document starts here: expected one document per file");
  assert_refused("title: t\n" ITEMS "...\n\ntitle: u\n", NULL,
                 "FILE:6: a second YAML document starts here: expected one document per file");
}
END_TEST

/* ---- aliases ---- */

START_TEST(test_aliases)
{
  walked_t r;
  doc_t d;
  /* a few are read as if written out */
  walk(&r, &d, "title: &t x\nitems:\n  - &a {label: *t, weight: 3}\n  - {label: b, weight: 3}\n", NULL);
  ck_assert_msg(r.rc == RS_OK, "%s", r.err.msg);
  ck_assert_str_eq(d.items[0].label, "x");
  walked_free(&r, &doc_table, &d);
  /* a "billion laughs" (10^8 nodes) is refused at once, at its outermost alias */
  rs_sc__text_t bomb = {0};
  rs_sc__append(&bomb, "", "title: t\n" ITEMS "a0: &a0 [l, l, l, l, l, l, l, l, l, l]\n");
  for (int i = 1; i <= 8; i++) {
    char line[128];
    snprintf(line, sizeof line, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i - 1,
             i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    rs_sc__append(&bomb, "", line);
  }
  assert_refused(rs_sc__text(&bomb), NULL,
                 "FILE:8: YAML aliases expand past 100000 nodes (or 32 aliases deep): write the values out");
  free(bomb.s);
  assert_refused("title: *nope\n" ITEMS, NULL,
                 "FILE:1: a YAML alias with no anchor before it (or one inside itself): write the value out");
}
END_TEST

/* ---- --set ---- */

START_TEST(test_set)
{
  walked_t r;
  doc_t d;
  const char* sets[] = {"count=5", "inner.x=-2", "items.0.weight=42", "items[1].label=z", "shapes.0.r=9", NULL};
  walk(&r, &d, "title: t\nitems:\n  - label: a\n  - label: b\nshapes:\n  - kind: circle\n    r: 1\n", sets);
  ck_assert_msg(r.rc == RS_OK, "%s", r.err.msg);
  ck_assert_int_eq(d.count, 5);
  ck_assert_int_eq(d.inner.x, -2); /* a map made on the way */
  ck_assert_int_eq(d.items[0].weight, 42);
  ck_assert_str_eq(d.items[1].label, "z");
  ck_assert_double_eq(d.shapes[0].r, 9);
  walked_free(&r, &doc_table, &d);

  const char* by_label[] = {"items.b.weight=7", NULL}; /* an item named by its label */
  walk(&r, &d, "title: t\nitems:\n  - {label: a}\n  - {label: b}\n", by_label);
  ck_assert_msg(r.rc == RS_OK, "%s", r.err.msg);
  ck_assert_int_eq(d.items[0].weight, 10);
  ck_assert_int_eq(d.items[1].weight, 7);
  walked_free(&r, &doc_table, &d);

  const char* bad[] = {"count=0", NULL};
  assert_refused("title: t\n" ITEMS, bad, "--set count=0: count: expected an integer from 1 to 10, got '0'");
  const char* no_eq[] = {"count", NULL};
  assert_refused("title: t\n" ITEMS, no_eq, "--set count: expected key=value, such as count=4");
  const char* no_item[] = {"items.3.weight=1", NULL};
  assert_refused("title: t\n" ITEMS, no_item,
                 "--set items.3.weight=1: no list item '3' (give an index from 0, or an item's label)");
  const char* section[] = {"inner=1", NULL};
  assert_refused("title: t\ninner: {x: 1}\n" ITEMS, section,
                 "--set inner=1: 'inner' is a section or a list, not a value");
  const char* unknown[] = {"inner.y=1", NULL};
  assert_refused("title: t\n" ITEMS, unknown, "--set inner.y=1: inner.y: unknown key; expected one of: x, ratio");
  const char* item_alone[] = {"items.0=1", NULL};
  assert_refused("title: t\n" ITEMS, item_alone,
                 "--set items.0=1: '0' is a list item, not a value (give one of its keys after it)");
  const char* no_label[] = {"items.z.weight=1", NULL};
  assert_refused("title: t\n" ITEMS, no_label,
                 "--set items.z.weight=1: no list item 'z' (give an index from 0, or an item's label)");
  const char* no_path[] = {"..=1", NULL};
  assert_refused("title: t\n" ITEMS, no_path, "--set ..=1: expected key=value, such as count=4");
}
END_TEST

/* ---- the where map ---- */

static int where_err(const rs_sc_where_t* where, rs_err_t* err, const char* key, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int where_err(const rs_sc_where_t* where, rs_err_t* err, const char* key, const char* fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int rc = rs_sc__where_verr(where, err, key, fmt, ap);
  va_end(ap);
  return rc;
}

START_TEST(test_where)
{
  walked_t r;
  doc_t d;
  const char* sets[] = {"ratio=0.1", NULL};
  walk(&r, &d, "title: t\n\ninner:\n  x: 2\nitems:\n  - label: a\n  - label: b\n    weight: 3\n", sets);
  ck_assert_msg(r.rc == RS_OK, "%s", r.err.msg);
  static const struct {
    const char* key;
    const char* msg;
  } cases[] = {
      {"inner.x", "FILE:4: inner.x: no"},         /* read: its line */
      {"inner.ratio", "FILE:3: inner.ratio: no"}, /* defaulted: its map's line */
      {"items[1].weight", "FILE:8: items[1].weight: no"},
      {"items[1].label", "FILE:7: items[1].label: no"},
      {"items[1]", "FILE:7: items[1]: no"}, /* an item: its first key's line */
      {"items[1].nosuch.deep", "FILE:7: items[1].nosuch.deep: no"},
      {"count", "FILE: count: no"},            /* never read: the file alone */
      {"ratio", "--set ratio=0.1: ratio: no"}, /* given by --set */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    r.rc = where_err(r.where, &r.err, cases[i].key, "no");
    assert_msg(&r, cases[i].msg);
  }
  walked_free(&r, &doc_table, &d);
}
END_TEST

/* ---- no fixed array to overflow ---- */

#define WIDE 100 /* more keys in one mapping than the old walker's 64 marks */

typedef struct wide {
  int v[WIDE];
} wide_t;

typedef struct wide_schema {
  char names[WIDE][12];
  rs_sc__field_t fields[WIDE];
  rs_sc__table_t table;
} wide_schema_t;

static void wide_schema(wide_schema_t* s)
{
  for (int i = 0; i < WIDE; i++) {
    snprintf(s->names[i], sizeof s->names[i], "key_%03d", i);
    s->fields[i] = (rs_sc__field_t){s->names[i], RS_SC__INT,  offsetof(wide_t, v) + i * sizeof(int),
                                    .min = 0,    .max = 1000, .def = "7"};
  }
  s->table = (rs_sc__table_t){.fields = s->fields, .n = WIDE};
}

START_TEST(test_wide_mapping)
{
  wide_schema_t s;
  wide_schema(&s);
  char yaml[4096] = "";
  for (int i = 0; i < WIDE - 10; i++) /* the last ten keys take their default */
    snprintf(yaml + strlen(yaml), sizeof yaml - strlen(yaml), "key_%03d: %d\n", i, i);
  walked_t r;
  wide_t v = {{0}};
  walk_table(&r, yaml, NULL, &s.table, &v);
  ck_assert_msg(r.rc == RS_OK, "%s", r.err.msg);
  for (int i = 0; i < WIDE; i++)
    ck_assert_int_eq(v.v[i], i < WIDE - 10 ? i : 7);
  walked_free(&r, &s.table, &v);

  /* a key missing from the very end of a wide table */
  s.fields[WIDE - 1].required = 1;
  walk_table(&r, "key_000: 1\n", NULL, &s.table, &v);
  assert_msg(&r, "FILE:1: missing required key 'key_099'");
  walked_free(&r, &s.table, &v);
}
END_TEST

START_TEST(test_long_key_list)
{
  wide_schema_t s;
  wide_schema(&s);
  walked_t r;
  wide_t v = {{0}};
  walk_table(&r, "key_005: 1\nkey_100: 1\n", NULL, &s.table, &v);
  /* the whole list of 100 keys, 898 characters: more than the old walker's 512-byte buffer */
  char msg[RS_ERR_LEN] = "FILE:2: key_100: unknown key; expected one of: ";
  for (int i = 0; i < WIDE; i++)
    snprintf(msg + strlen(msg), sizeof msg - strlen(msg), "%skey_%03d", i ? ", " : "", i);
  ck_assert_uint_gt(strlen(msg), 900);
  assert_msg(&r, msg);
  walked_free(&r, &s.table, &v);
}
END_TEST

START_TEST(test_many_items)
{
  /* 600 items of 2 keys each: a where map of more than 1200 keys */
  size_t len = 64 + 600 * 40;
  char* yaml = malloc(len);
  snprintf(yaml, len, "title: t\nitems:\n");
  for (int i = 0; i < 600; i++)
    snprintf(yaml + strlen(yaml), len - strlen(yaml), "  - label: item%d\n    weight: %d\n", i, i % 100);
  walked_t r;
  doc_t d;
  walk(&r, &d, yaml, NULL);
  free(yaml);
  ck_assert_msg(r.rc == RS_OK, "%s", r.err.msg);
  ck_assert_int_eq(d.n_items, 600);
  ck_assert_str_eq(d.items[599].label, "item599");
  ck_assert_int_eq(d.items[599].weight, 99);
  r.rc = where_err(r.where, &r.err, "items[599].weight", "no");
  assert_msg(&r, "FILE:1202: items[599].weight: no");
  walked_free(&r, &doc_table, &d);
}
END_TEST

START_TEST(test_long_key)
{
  /* a 300-character unknown key: its path is cut to RS_SC__PATH_LEN - 1 characters in the message */
  char yaml[512], msg[RS_ERR_LEN];
  snprintf(yaml, sizeof yaml, "title: t\n%0300d: 1\n" ITEMS, 0);
  snprintf(msg, sizeof msg,
           "FILE:2: %0*d: unknown key; expected one of: title, count, seed, ratio, size, color, on, inner, items, "
           "shapes, grid",
           RS_SC__PATH_LEN - 1, 0);
  assert_refused(yaml, NULL, msg);
}
END_TEST

/* ---- texts ---- */

START_TEST(test_text)
{
  rs_sc__text_t t = {0};
  ck_assert_str_eq(rs_sc__text(&t), "");
  for (int i = 0; i < 1000; i++)
    rs_sc__append(&t, ", ", "abc");
  ck_assert_uint_eq(strlen(rs_sc__text(&t)), 1000 * 3 + 999 * 2);
  ck_assert_int_eq(strncmp(rs_sc__text(&t), "abc, abc, ", 10), 0);
  free(t.s);
}
END_TEST

static Suite* walk_suite(void)
{
  Suite* s    = suite_create("walk");
  TCase* type = tcase_create("types");
  tcase_add_test(type, test_every_type);
  tcase_add_test(type, test_defaults);
  suite_add_tcase(s, type);

  TCase* fault = tcase_create("faults");
  tcase_add_test(fault, test_missing_key);
  tcase_add_test(fault, test_unknown_key);
  tcase_add_test(fault, test_bad_values);
  tcase_add_test(fault, test_checks);
  tcase_add_test(fault, test_file_faults);
  tcase_add_test(fault, test_aliases);
  suite_add_tcase(s, fault);

  TCase* set = tcase_create("set and where");
  tcase_add_test(set, test_set);
  tcase_add_test(set, test_where);
  suite_add_tcase(s, set);

  TCase* limits = tcase_create("limits");
  tcase_add_test(limits, test_wide_mapping);
  tcase_add_test(limits, test_long_key_list);
  tcase_add_test(limits, test_many_items);
  tcase_add_test(limits, test_long_key);
  tcase_add_test(limits, test_text);
  suite_add_tcase(s, limits);
  return s;
}

int main(void)
{
  SRunner* sr = srunner_create(walk_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
