/* fuzz_hosts.c -- libFuzzer target of racksim's checks of host properties (rs_platform_index), the part
 * of platform loading that is racksim's own: SimGrid loads one platform per process, so the hosts are
 * read here from the input's <host id=...> and <prop id=... value=.../> tags, as SimGrid would hand
 * them over, and indexed without an engine. Seeds: the XML files of platforms/. See LICENSE. */
#include "hw/hw.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xbt/sysdep.h>

#define MAX_HOSTS 256
#define MAX_PROPS 64

typedef struct fz_host {
  const char* keys[MAX_PROPS];
  const char* values[MAX_PROPS];
  int n;
} fz_host_t;

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static const char* fz_prop(const rs_host_view_t* h, const char* key)
{
  const fz_host_t* f = h->data;
  for (int i = f->n - 1; i >= 0; i--) /* the last one stated wins, as in SimGrid */
    if (strcmp(f->keys[i], key) == 0)
      return f->values[i];
  return NULL;
}

/* The value of attribute name="..." in the tag that starts at tag and ends at end, cut out of the
 * buffer (its closing quote becomes a NUL); NULL when the tag has none. The search steps over the NULs
 * of attributes cut before (memchr, not strchr), so that a tag's attributes are found in any order. */
static const char* attr(char* tag, const char* end, const char* name)
{
  size_t n = strlen(name);
  for (char* p = tag; p && p < end; p = memchr(p + 1, ' ', (size_t)(end - p - 1))) {
    char* a = p + 1;
    if (strncmp(a, name, n) != 0 || a[n] != '=' || a[n + 1] != '"')
      continue;
    char* v = a + n + 2;
    char* q = memchr(v, '"', (size_t)(end - v));
    if (q == NULL)
      return NULL;
    *q = '\0';
    return v;
  }
  return NULL;
}

/* Reads the hosts of text into views and props; returns how many. */
static size_t read_hosts(char* text, rs_host_view_t* views, fz_host_t* props)
{
  size_t n       = 0;
  fz_host_t* cur = NULL;
  for (char* p = strchr(text, '<'); p; p = strchr(p + 1, '<')) {
    char* end = strchr(p, '>');
    if (end == NULL)
      break;
    if (strncmp(p, "<host ", 6) == 0 && n < MAX_HOSTS) {
      cur               = &props[n];
      cur->n            = 0;
      const char* id    = attr(p, end, "id");
      const char* cores = attr(p, end, "core");
      views[n]          = (rs_host_view_t){
                   .name = id ? id : "", .speed = 1e9, .cores = cores ? atoi(cores) : 1, .prop = fz_prop, .data = cur};
      n++;
    } else if (strncmp(p, "</host", 6) == 0) {
      cur = NULL;
    } else if (strncmp(p, "<prop ", 6) == 0 && cur && cur->n < MAX_PROPS) {
      const char* key   = attr(p, end, "id");
      const char* value = attr(p, end, "value");
      if (key && value) {
        cur->keys[cur->n]   = key;
        cur->values[cur->n] = value;
        cur->n++;
      }
    }
    p = end;
  }
  return n;
}

/* What an indexed platform promises its readers; abort() tells libFuzzer it does not hold. */
static void check_platform(const rs_platform_t* p)
{
  for (int i = 0; i < p->n_gpus; i++) {
    const rs_gpu_t* g = &p->gpus[i];
    if (g->model == NULL || g->model->calib == NULL || !(g->model->peak_flops[RS_PREC_BF16] > 0) ||
        !(g->model->tdp_watts > 0) || g->cpu < -1 || g->cpu >= p->n_cpus || g->site < 0 || g->site >= p->n_sites ||
        g->domain < 0 || g->local < 0)
      abort();
    if (i > 0 && (g->site < g[-1].site || (g->site == g[-1].site && g->domain < g[-1].domain) ||
                  (g->site == g[-1].site && g->domain == g[-1].domain && g->local < g[-1].local)))
      abort(); /* ordered by (site, domain, local) */
  }
  if (p->n_domains > p->n_gpus || p->n_sites > 1024)
    abort();
  for (int i = 0; i < p->n_cpus; i++)
    if (p->cpus[i].model == NULL || !(p->cpus[i].mem_bytes >= 0) || p->cpus[i].site < 0)
      abort();
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  static rs_host_view_t views[MAX_HOSTS];
  static fz_host_t props[MAX_HOSTS];
  char* text = malloc(size + 1);
  memcpy(text, data, size);
  text[size]       = '\0';
  size_t n         = read_hosts(text, views, props);
  rs_platform_t* p = xbt_new0(rs_platform_t, 1);
  p->file          = xbt_strdup("fuzz.xml");
  rs_err_t err     = {{0}};
  int rc           = rs_platform_index(p, views, n, &err);
  if (rc != RS_OK && err.msg[0] == '\0')
    abort(); /* a refusal always says why */
  if (rc == RS_OK)
    check_platform(p);
  rs_platform_free(p);
  free(text);
  return 0;
}
