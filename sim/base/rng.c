/* rng.c -- the one random number generator of racksim: xoshiro256** (Blackman and Vigna 2018) seeded
 * through splitmix64, so a seed gives the same streams on every machine and compiler. Each draw is one
 * statement, so no draw depends on the compiler's order of evaluation. See LICENSE. */
#include "base/base.h"

#include <math.h>

static uint64_t splitmix64(uint64_t* x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z          = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z          = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void rs_rng_seed(rs_rng_t* g, uint64_t seed)
{
  for (int i = 0; i < 4; i++)
    g->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

uint64_t rs_rng_next(rs_rng_t* g)
{
  uint64_t* s  = g->s;
  uint64_t out = rotl(s[1] * 5, 7) * 9;
  uint64_t t   = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

double rs_rng_unit(rs_rng_t* g)
{
  return ((rs_rng_next(g) >> 11) + 0.5) * 0x1.0p-53;
}

double rs_rng_exponential(rs_rng_t* g, double mean)
{
  return -mean * log(rs_rng_unit(g));
}

double rs_rng_normal(rs_rng_t* g)
{
  double u = rs_rng_unit(g);
  double v = rs_rng_unit(g);
  return sqrt(-2 * log(u)) * cos(2 * 3.14159265358979323846 * v);
}

double rs_rng_gamma(rs_rng_t* g, double k)
{
  if (k < 1) {
    double boosted = rs_rng_gamma(g, k + 1);
    return boosted * pow(rs_rng_unit(g), 1 / k);
  }
  double d = k - 1.0 / 3, c = 1 / sqrt(9 * d);
  for (;;) {
    double x = rs_rng_normal(g), v = 1 + c * x;
    if (v <= 0)
      continue;
    v        = v * v * v;
    double u = rs_rng_unit(g);
    if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
      return d * v;
  }
}
