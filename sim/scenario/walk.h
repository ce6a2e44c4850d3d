/* walk.h -- private to scenario/: the generic, checked walk of a YAML document (libfyaml) into C structs.
 * A field table names each key once: its type, where its value goes, its range or choices and its
 * default. The walk reads the document against the tables, remembers every key's line, applies --set
 * overrides to the tree first, and words every fault alike: "file:line: key: expected X, got 'Y'".
 * It knows no racksim key: the schema (schema.c, sc_*.c) declares the tables. See LICENSE. */
#ifndef RS_SC_WALK_H
#define RS_SC_WALK_H

#include "scenario/scenario.h"

#include <libfyaml.h>
#include <stdarg.h>
#include <stddef.h>

/* Key paths ("workloads[0].model.layers") are cut to this many bytes in messages. */
#define RS_SC__PATH_LEN 256

typedef enum {
  RS_SC__STR,    /* text, copied into a char* (rs_sc__free frees it) */
  RS_SC__INT,    /* integer from min to max, into an int */
  RS_SC__U64,    /* non-negative integer, into a uint64_t */
  RS_SC__NUM,    /* number from min to max, into a double */
  RS_SC__BYTES,  /* size ("8GiB", "1.5 MB", "4096") from min to max bytes, into a double */
  RS_SC__BOOL,   /* true/yes/on or false/no/off, into an int */
  RS_SC__ENUM,   /* one of choices, its index into an int */
  RS_SC__MAP,    /* a mapping read against sub into the struct at off */
  RS_SC__SEQ,    /* a non-empty list of mappings read against sub into a new array (see the field) */
  RS_SC__CUSTOM, /* read by load, which must allocate nothing that outlives it */
} rs_sc__type_t;

typedef struct rs_sc__walk rs_sc__walk_t;
typedef struct rs_sc__loc rs_sc__loc_t;
typedef struct rs_sc__table rs_sc__table_t;

/* One key. Fields a type does not use stay zero. */
typedef struct rs_sc__field {
  const char* key;
  rs_sc__type_t type;
  size_t off; /* where the value goes, from the start of the table's struct */
  int required;
  double min, max;            /* INT, NUM, BYTES */
  const char* const* choices; /* ENUM: NULL-terminated */
  /* The default, as a file would write it; NULL: none, the value is left zero. A MAP's is "{}" (its
   * keys take theirs); a CUSTOM's load is then called with no node. A SEQ takes none. */
  const char* def;
  const rs_sc__table_t* sub; /* MAP: its keys; SEQ: each item's keys */
  size_t count_off;          /* SEQ: the int that counts the items, from the start of the table's struct */
  size_t item_size;          /* SEQ: bytes of one item; the array's pointer is at off */
  const char* what;          /* SEQ: the list in words, for "expected WHAT, got ..." */
  int (*load)(rs_sc__walk_t* w, struct fy_node* n, const rs_sc__loc_t* at, void* dst); /* CUSTOM; dst: at off */
} rs_sc__field_t;

/* The keys of one mapping. A table with a tag is read in two parts: the tag (one of its ENUM keys)
 * first, then its own keys together with those of the variant the tag's value picks, into one struct. */
struct rs_sc__table {
  const rs_sc__field_t* fields;
  int n;
  /* Cross-field checks, once every key (and default) of the mapping is read; NULL: none. The check of
   * a list's item may look at the items before it: they start at base minus at->index items. With a
   * tag, the table's check runs before the variant's. */
  int (*check)(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base);
  const char* tag;
  const rs_sc__table_t* const* variants; /* tag: indexed by the tag's value */
};

#define RS_SC__FIELDS(f) .fields = (f), .n = (int)(sizeof(f) / sizeof((f)[0]))

/* Where a node is: for messages, and for the where map. */
struct rs_sc__loc {
  char path[RS_SC__PATH_LEN]; /* "workloads[0].op"; "" at the top */
  int line;                   /* of the key in the file, from 1; 0 when unknown */
  const char* set_arg;        /* the --set argument that made the node, or NULL */
  int index;                  /* an item of a list: its index there; -1 otherwise */
};

/* The document's words for the walker's own messages. */
typedef struct rs_sc__words {
  const char* doc;         /* "scenario": "cannot open the scenario" */
  const char* top_keys;    /* "name, platform and workloads": "a YAML scenario with keys ..." */
  const char* set_example; /* "seed=7 or ...": "--set X: expected key=value, such as ..." */
  const char* item_key;    /* the key by which --set may name a list's item instead of its index */
  const char* item_name;   /* "a workload's name": "(give an index from 0, or ...)" */
  /* The path ("/record/relative_to") of a key naming the absolute directory that relative paths are
   * resolved against instead of the file's own (a run.yaml, written elsewhere); NULL: none. */
  const char* base_dir_path;
} rs_sc__words_t;

typedef struct rs_sc__override rs_sc__override_t;

/* One walk of one document. Fill the first four members (and keep_doc); rs_sc__load uses and frees
 * the others. */
struct rs_sc__walk {
  const char* file;
  rs_err_t* err;
  rs_sc_where_t* where; /* the caller's (rs_sc__where_new): filled with every key read */
  const rs_sc__words_t* words;
  int keep_doc;                 /* 1: a successful rs_sc__load keeps the document for rs_sc__emit */
  struct fy_document* doc;      /* kept by rs_sc__load when keep_doc; NULL else */
  char* base_dir;               /* the words' base_dir_path key's value, during the walk; NULL else */
  rs_sc__override_t* overrides; /* nodes made by --set, with their argument */
  int n_overrides, cap_overrides;
};

/* Reads w->file, applies the n_sets "key=value" overrides of sets (later ones win), and walks the
 * document against table into base. RS_ERR and w->err on the first fault; base then holds what was
 * read so far, to free with rs_sc__free. */
int rs_sc__load(rs_sc__walk_t* w, const rs_sc__table_t* table, void* base, const char* const* sets, int n_sets);

/* After a successful rs_sc__load with keep_doc: applies the n_sets overrides of sets (already known
 * good, such as the seed the walk read) to the document the walk read, drops its top-level key `drop`
 * (NULL: none), and returns it as block-style YAML, which the caller frees. Frees the document. */
char* rs_sc__emit(rs_sc__walk_t* w, const char* const* sets, int n_sets, const char* drop);

/* Walks mapping n at `at` against table into base (for CUSTOM loaders); RS_ERR and w->err. */
int rs_sc__load_map(rs_sc__walk_t* w, struct fy_node* n, const rs_sc__loc_t* at, const rs_sc__table_t* table,
                    void* base);

/* Frees every STR and SEQ that table's keys (and their sub-tables and variants) put into base; base
 * itself stays the caller's. Safe on a zeroed or partly read struct. */
void rs_sc__free(const rs_sc__table_t* table, void* base);

/* Fills w->err located at `at` (its line, or its --set argument); returns RS_ERR. */
int rs_sc__err(rs_sc__walk_t* w, const rs_sc__loc_t* at, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same, for key (a key under `at`, read or not) located through the where map; returns RS_ERR. */
int rs_sc__err_key(rs_sc__walk_t* w, const rs_sc__loc_t* at, const char* key, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- the where map: key path -> line in the file, or the --set argument that gave the key ---------- */

rs_sc_where_t* rs_sc__where_new(const char* file);
void rs_sc__where_free(rs_sc_where_t* where); /* accepts NULL */
/* Fills err for key, located at its nearest recorded path ("a[0].b", else "a[0]", else "a", else
 * the file alone); returns RS_ERR. */
int rs_sc__where_verr(const rs_sc_where_t* where, rs_err_t* err, const char* key, const char* fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* ---- texts that grow, for lists of names in messages ---------------------------------------------- */

typedef struct rs_sc__text {
  char* s; /* NULL until appended to; the caller frees it */
  size_t len, cap;
} rs_sc__text_t;

/* Appends s, after sep unless t is still empty. */
void rs_sc__append(rs_sc__text_t* t, const char* sep, const char* s);
/* The text so far ("" before any append); borrowed from t. */
const char* rs_sc__text(const rs_sc__text_t* t);

#endif
