/* clock.c -- keeps SimGrid's clock able to end every activity of a run that reaches far in simulated
 * time. SimGrid ends an activity when its remaining time falls under surf/precision (1e-9 s by default),
 * but past about 1e7 s a double cannot add a remainder that small to the clock: an activity left with
 * such a remainder never ends, and the engine reports a deadlock (an inference arrival 7e9 s in did so).
 * A workload that will act at time t calls rs_run_reach(t) first, which raises the precision to a few
 * units in the last place of t; runs that stay under about 2.5e5 s are untouched. See LICENSE. */
#include "run/run.h"

#include <math.h>
#include <xbt/config.h>

#define ULPS_OF_CLOCK 4e-15    /* about 16 units in the last place of a double (2.2e-16 each) */
#define DEFAULT_PRECISION 1e-9 /* SimGrid 3.32's surf/precision */

void rs_run_reach(double t)
{
  static double precision = DEFAULT_PRECISION; /* SimGrid's own setting is process-wide too */
  double need             = t * ULPS_OF_CLOCK;
  if (isfinite(t) && need > precision) {
    precision = need;
    sg_cfg_set_double("surf/precision", precision);
  }
}
