/* train_faults.c -- how a training job reacts to the run's failures (failures.training): checkpoints
 * every interval of useful work (Daly's optimum from the job's MTBF unless given), and on a failure of
 * any of its GPUs it loses the work since the last checkpoint, waits for a spare server or the repair,
 * restarts and goes on from that checkpoint. Two ways through the same accounting: event by event
 * (every iteration simulated, rank 0 checkpoints and restarts between them), and the renewal fast path
 * (after a few simulated iterations, the measured step time advances the job between the failures the
 * fault process injects, checkpoint by checkpoint, without simulating the iterations). It does not
 * draw failures: the run's fault process does (run/faults.c). On a platform with a storage tier on the
 * job's site (rs.role storage hosts), an event-by-event checkpoint is real flows: every rank writes its
 * share of the state from its GPU's host to a storage host, through the send path, so the bytes load
 * the NICs, uplinks and storage NICs that other work shares (links.csv); the renewal fast path costs
 * each write from the same links' bandwidths instead. See LICENSE. */
#include "wl/train_int.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/semaphore.h>
#include <stdlib.h>
#include <xbt/str.h>
#include <xbt/sysdep.h>

/* Bytes of one parameter in a checkpoint: BF16 weights (2), FP32 master weights (4) and Adam's two FP32
 * moments (8), as mixed-precision training with Adam keeps them (Rajbhandari et al. 2020, ZeRO, 2 + 2 +
 * 12 bytes less the FP16 gradients, which a checkpoint does not keep). */
#define CKPT_BYTES_PER_PARAM 14.0

struct train_ft {
  const rs_sc_fail_training_t* cfg;
  char* mine; /* [platform GPUs]: 1 for the job's */
  double interval_s, write_s, restart_s, wall_end_s;
  int spares_free;
  long long* spare_ids; /* failures whose server a spare replaced, until their repair */
  int n_spare_ids;
  int running, pending; /* started and not done; interrupted and not yet restarted */
  double fail_s, resume_s;
  int waiting, woken; /* the renewal loop sleeps on wake */
  sg_sem_t wake;
  int ckpt_it;          /* the first iteration after the last checkpoint */
  double commit_s;      /* when the work not yet checkpointed began */
  double uncommitted_s; /* useful work since then */
  int in_a_row;         /* interruptions since the last iteration done */
  /* the energy of lost work: the meters' reading at commit_s and at the pending failure; past the
   * renewal switch the GPUs run nothing in the engine, so the lost seconds are priced at the power of the
   * last simulated iteration (iter_w, the step the renewal repeats) */
  double commit_j, fail_j;
  double iter_w;
  int renewing;
  /* the storage tier the checkpoints go to over the network; n_storage 0: a timed wait at write_s */
  const rs_storage_t* storage; /* the job's site's storage hosts, n_storage of them */
  int n_storage;
  double rank_bytes; /* each rank's share of a checkpoint */
  rs_flows_t* flows; /* issues the ranks' writes */
  sg_sem_t writing;  /* released by each write that lands, and by a failure meanwhile; NULL: none */
  sg_sem_t* spent;   /* semaphores of writes a failure cut short: their flows still release them */
  int n_spent;
  int trained_it; /* iterations reached by the end, less the work lost if it ended interrupted */
};

/* The storage hosts on the site of the job's first GPU: plat's are ordered by site. */
static void find_storage(train_ft_t* ft, const rs_platform_t* p, int site)
{
  for (int k = 0; k < p->n_storage; k++)
    if (p->storage[k].site == site) {
      if (ft->n_storage++ == 0)
        ft->storage = &p->storage[k];
    }
}

/* Seconds of one checkpoint's writes over the storage tier, from the bandwidths the flows meet: rank r
 * writes rank_bytes to storage host r mod n_storage, each storage host's NIC shared by its ranks, each
 * rank's NIC its own but its rail uplink oversubscribed. Max-min sharing gives the slowest of the two. */
static double storage_write_s(const train_wl_t* w, const train_ft_t* ft)
{
  double worst = 0;
  for (int k = 0; k < ft->n_storage; k++) {
    int ranks = w->n / ft->n_storage + (k < w->n % ft->n_storage);
    worst     = fmax(worst, ranks * ft->rank_bytes / ft->storage[k].bytes_per_s);
  }
  double nic = w->gpus[0]->model->nic_bytes_per_s / w->run->plat->oversubscription;
  return fmax(worst, ft->rank_bytes / nic);
}

/* Interruptions in a row, with no iteration done between them, after which the job is given up: its
 * failures come faster than it restarts, so it would never end. */
#define GIVE_UP_IN_A_ROW 1000

train_ft_t* rs_train__ft_new(train_wl_t* w)
{
  const rs_run_t* run = w->run;
  train_summary_t* s  = &w->sum;
  s->interruptions = s->goodput = s->useful_s = s->lost_work_s = s->downtime_s = s->checkpoint_s =
      s->checkpoint_interval_s = s->lost_work_energy_j = NAN;
  if (run->faults == NULL)
    return NULL;
  train_ft_t* ft = xbt_new0(train_ft_t, 1);
  ft->cfg        = &run->sc->failures.training;
  ft->mine       = xbt_new0(char, run->plat->n_gpus + 1);
  for (int r = 0; r < w->n; r++)
    ft->mine[w->gpus[r] - run->plat->gpus] = 1;
  double state = rs_model_params(&w->cfg->model) * CKPT_BYTES_PER_PARAM;
  if (ft->cfg->checkpoint_write_s == 0)
    find_storage(ft, run->plat, w->gpus[0]->site);
  ft->rank_bytes     = state / w->n;
  ft->write_s        = ft->cfg->checkpoint_write_s > 0 ? ft->cfg->checkpoint_write_s
                       : ft->n_storage > 0             ? storage_write_s(w, ft)
                                                       : state / (ft->cfg->storage_gbytes_per_s * 1e9);
  ft->flows          = ft->n_storage > 0 ? rs_flows_new(run->plat->oversubscription) : NULL;
  double rate        = rs_run_fault_rate_per_s(run, w->wl->first_gpu, w->n);
  ft->interval_s     = ft->cfg->checkpoint_interval_h > 0 ? ft->cfg->checkpoint_interval_h * 3600
                       : rate > 0                         ? rs_run_daly_interval_s(ft->write_s, 1 / rate)
                                                          : INFINITY;
  ft->restart_s      = ft->cfg->restart_s;
  ft->wall_end_s     = ft->cfg->wall_h > 0 ? w->wl->start_s + ft->cfg->wall_h * 3600 : INFINITY;
  ft->spares_free    = ft->cfg->spares;
  int i              = (int)(w->wl - run->sc->workloads);
  w->row->spare_gpus = rs_train__spare_servers(run, i) * rs_run_server_gpus(run, w->wl->first_gpu); /* paid, idle */
  ft->spare_ids      = xbt_new(long long, ft->cfg->spares + 1);
  ft->wake           = sg_sem_init(0);
  ft->commit_s       = w->wl->start_s;
  ft->running        = 1;
  s->interruptions = s->useful_s = s->lost_work_s = s->downtime_s = s->checkpoint_s = s->lost_work_energy_j = 0;
  w->sum.checkpoint_interval_s = ft->interval_s;
  return ft;
}

/* Marks where uncommitted work now begins (a commit, a restart, the start): its meters' reading. */
static void commit_here(train_wl_t* w, train_ft_t* ft)
{
  ft->commit_s = simgrid_get_clock();
  ft->commit_j = rs_train__energy_j(w);
}

void rs_train__ft_begin(train_wl_t* w)
{
  commit_here(w, w->ft);
}

/* The pending failure's lost work: its seconds and, from the meters or the measured power, its joules. */
static void count_lost(train_wl_t* w, train_ft_t* ft)
{
  double lost = ft->fail_s - ft->commit_s;
  w->sum.lost_work_s += lost;
  w->sum.lost_work_energy_j += ft->renewing ? lost * ft->iter_w : ft->fail_j - ft->commit_j;
}

int rs_train__spare_servers(const rs_run_t* run, int i)
{
  (void)i; /* failures.training holds for every training workload */
  return run->faults ? run->sc->failures.training.spares : 0;
}

void rs_train__ft_free(train_ft_t* ft)
{
  if (ft == NULL)
    return;
  sg_sem_destroy(ft->wake);
  for (int k = 0; k < ft->n_spent; k++)
    sg_sem_destroy(ft->spent[k]);
  free(ft->spent);
  rs_flows_free(ft->flows);
  free(ft->spare_ids);
  free(ft->mine);
  free(ft);
}

void rs_train__fault(rs_run_t* run, int i, void* state, const rs_fault_t* f)
{
  train_wl_t* w  = state;
  train_ft_t* ft = w->ft;
  if (ft == NULL)
    return;
  if (f->up) { /* a repaired server takes the place of the spare it lent */
    for (int k = 0; k < ft->n_spare_ids; k++)
      if (ft->spare_ids[k] == f->id) {
        ft->spare_ids[k] = ft->spare_ids[--ft->n_spare_ids];
        ft->spares_free++;
        break;
      }
    return;
  }
  double now = simgrid_get_clock();
  int hit    = 0;
  for (int k = 0; k < f->n_gpus && !hit; k++)
    hit = ft->mine[f->gpus[k]];
  if (!hit || !ft->running || now < w->wl->start_s)
    return;
  /* a software fault restarts the ranks in place; hardware needs a spare, or the repair first */
  double down        = ft->restart_s;
  const char* action = "restart";
  if (f->cls != RS_FAIL_SOFTWARE) {
    if (ft->spares_free > 0) {
      ft->spares_free--;
      ft->spare_ids[ft->n_spare_ids++] = f->id;
      action                           = "spare, restart";
    } else {
      down += f->repair_s - now;
      action = "wait for repair, restart";
    }
  }
  w->sum.interruptions++;
  ft->in_a_row++;
  char detail[160];
  snprintf(detail, sizeof detail, "%s: %s; %s", f->cause, f->component, action);
  rs_run_event(run, now, now + down, w->wl->name, "interruption", detail);
  if (!ft->pending) {
    ft->pending  = 1;
    ft->fail_s   = now;
    ft->fail_j   = ft->renewing ? NAN : rs_train__energy_j(w);
    ft->resume_s = now + down;
  } else if (now + down > ft->resume_s)
    ft->resume_s = now + down;
  if (ft->waiting && !ft->woken) {
    ft->woken = 1;
    sg_sem_release(ft->wake);
  }
  if (ft->writing)
    sg_sem_release(ft->writing); /* the checkpoint being written is void */
}

/* Sleeps until resume_s, which a failure meanwhile may push back (woken through wake), or to the wall
 * horizon, where the job ends still down (a job waiting for repairs must not run past its horizon). */
static void sleep_until_resume(train_ft_t* ft)
{
  double until;
  while (simgrid_get_clock() < (until = fmin(ft->resume_s, ft->wall_end_s)) && ft->in_a_row < GIVE_UP_IN_A_ROW) {
    ft->waiting = 1;
    sg_sem_acquire_timeout(ft->wake, until - simgrid_get_clock());
    ft->waiting = ft->woken = 0;
  }
}

/* The restart after the pending failure: the work since the last checkpoint is lost; returns the
 * iteration to go on from. */
static int restart(train_wl_t* w, train_ft_t* ft)
{
  sleep_until_resume(ft);
  if (ft->in_a_row >= GIVE_UP_IN_A_ROW && w->row->failed == NULL)
    w->row->failed = bprintf("%d interruptions in a row without one iteration done by simulated time %g s: failures "
                             "come faster than the job restarts (restart_s %g s, the job's MTBF %g s)",
                             ft->in_a_row, simgrid_get_clock(), ft->restart_s,
                             1 / rs_run_fault_rate_per_s(w->run, w->wl->first_gpu, w->n));
  count_lost(w, ft);
  w->sum.downtime_s += simgrid_get_clock() - ft->fail_s;
  ft->pending = 0;
  commit_here(w, ft);
  ft->uncommitted_s = 0;
  return ft->ckpt_it;
}

/* Sleeps dt unless a failure comes first; 1 when it slept the whole dt. */
static int sleep_unless_failure(train_ft_t* ft, double dt)
{
  if (ft->pending)
    return 0;
  ft->waiting  = 1;
  int timedout = sg_sem_acquire_timeout(ft->wake, dt > 0 ? dt : 0);
  ft->waiting = ft->woken = 0;
  return timedout && !ft->pending;
}

/* The ranks write their shares to the storage hosts, each its own flow; 1 when every write landed, 0
 * when a failure came first (the writes in flight run on unused: their semaphore is kept to the end). */
static int write_to_storage(train_wl_t* w, train_ft_t* ft)
{
  if (ft->pending)
    return 0;
  ft->writing = sg_sem_init(0);
  for (int r = 0; r < w->n; r++)
    rs_flows_start(ft->flows, w->gpus[r]->host, ft->storage[r % ft->n_storage].host, ft->rank_bytes, ft->writing);
  int left = w->n;
  while (left > 0 && !ft->pending) {
    sg_sem_acquire(ft->writing);
    left -= !ft->pending;
  }
  if (left == 0) {
    sg_sem_destroy(ft->writing);
  } else {
    ft->spent                = xbt_realloc(ft->spent, (ft->n_spent + 1) * sizeof *ft->spent);
    ft->spent[ft->n_spent++] = ft->writing;
  }
  ft->writing = NULL;
  return left == 0;
}

/* Writes a checkpoint after iteration it; 1 when it was committed, 0 when a failure came first. Over
 * the storage tier's network when the platform has one and the event-by-event path writes (`flows`),
 * else a wait of write_s. */
static int checkpoint(train_wl_t* w, train_ft_t* ft, int it, int flows)
{
  double t0 = simgrid_get_clock();
  int done  = flows && ft->flows ? write_to_storage(w, ft) : sleep_unless_failure(ft, ft->write_s);
  w->sum.checkpoint_s += simgrid_get_clock() - t0;
  if (!done)
    return 0;
  rs_run_event(w->run, t0, simgrid_get_clock(), w->wl->name, "checkpoint", "");
  w->sum.useful_s += ft->uncommitted_s;
  ft->uncommitted_s = 0;
  ft->ckpt_it       = it + 1;
  commit_here(w, ft);
  return 1;
}

/* The job ends with iteration `next` the next to run. */
static void finish(train_wl_t* w, train_ft_t* ft, int next)
{
  double end = simgrid_get_clock();
  if (ft->pending) /* ended interrupted (the wall horizon): the work since the checkpoint is lost */
    count_lost(w, ft), w->sum.downtime_s += end - ft->fail_s;
  else
    w->sum.useful_s += ft->uncommitted_s;
  ft->trained_it = ft->pending ? ft->ckpt_it : next;
  ft->running    = 0;
  w->sum.goodput = end > w->wl->start_s ? w->sum.useful_s / (end - w->wl->start_s) : NAN;
}

/* What the job's GPUs draw above idle while they compute, all together: the measured step's power
 * (watts), less their idle power (0 if the step drew less). */
static double above_idle_w(const train_wl_t* w, double watts)
{
  double idle = 0;
  for (int r = 0; r < w->n; r++)
    idle += w->gpus[r]->model->idle_watts;
  return watts > idle ? watts - idle : 0;
}

/* The renewal fast path from iteration next on, each iteration taking step_s and drawing step_j (the
 * last simulated one's): segments of useful work up to the next checkpoint (or the end), each cut short
 * by the failures the fault process injects. The GPUs compute through each segment, up to a failure
 * too (that work is lost, but was done), so the segment draws the step's power, stated to the power
 * module, as the GPUs sleep in the engine; checkpoints and restarts draw idle power. Returns the
 * iteration the job reached. */
static int renewal(train_wl_t* w, train_ft_t* ft, int next, double step_s, double step_j)
{
  int n_it     = w->cfg->iterations;
  ft->renewing = 1;
  ft->iter_w   = step_j / step_s; /* the lost work's power too (count_lost) */
  double busy  = above_idle_w(w, ft->iter_w);
  while (next < n_it && simgrid_get_clock() < ft->wall_end_s && w->row->failed == NULL) {
    if (ft->pending) {
      next = restart(w, ft);
      continue;
    }
    double now = simgrid_get_clock();
    int k      = (int)ceil((ft->interval_s - ft->uncommitted_s) / step_s - 1e-9);
    k          = k < 1 ? 1 : k > n_it - next ? n_it - next : k;
    double end = now + k * step_s;
    if (end > ft->wall_end_s)
      end = ft->wall_end_s;
    int whole = sleep_unless_failure(ft, end - now);
    rs_run_power_add_busy(w->run, w->wl->first_gpu, w->n, now, simgrid_get_clock(), busy);
    w->sum.energy_j += busy * (simgrid_get_clock() - now);
    int ran = whole && end == now + k * step_s ? k : (int)floor((simgrid_get_clock() - now) / step_s);
    w->row->operations += ran;
    ft->in_a_row = ran > 0 ? 0 : ft->in_a_row;
    next += ran;
    ft->uncommitted_s += whole ? simgrid_get_clock() - now : ran * step_s;
    if (!whole || next >= n_it || simgrid_get_clock() >= ft->wall_end_s)
      continue;
    if (ft->uncommitted_s >= ft->interval_s - 1e-9 * step_s)
      checkpoint(w, ft, next - 1, 0);
  }
  return next;
}

int rs_train__ft_renews(const train_wl_t* w)
{
  return w->ft != NULL && w->ft->cfg->renewal_after > 0;
}

int rs_train__trained_iterations(const train_wl_t* w)
{
  return w->ft ? w->ft->trained_it : w->cfg->iterations;
}

/* Event by event: the restart after the pending failure, or the job's end when its wait reached the wall
 * horizon; the iteration to go on from (the job's count when it ends). */
static int restart_or_end(train_wl_t* w, train_ft_t* ft)
{
  int next = restart(w, ft);
  if (w->row->failed)
    return w->cfg->iterations;
  if (simgrid_get_clock() >= ft->wall_end_s) {
    finish(w, ft, next);
    return w->cfg->iterations;
  }
  return next;
}

int rs_train__ft_after(train_wl_t* w, int it, double t0, double t1)
{
  train_ft_t* ft = w->ft;
  double step_j  = rs_train__energy_j(w) - w->it_j0; /* before a checkpoint adds its own */
  if (ft->pending)
    return restart_or_end(w, ft);
  ft->in_a_row = 0;
  ft->uncommitted_s += t1 - t0;
  int last = it + 1 >= w->cfg->iterations || t1 >= ft->wall_end_s;
  if (!last && ft->uncommitted_s >= ft->interval_s - 1e-9 * (t1 - t0) && !checkpoint(w, ft, it, 1))
    return restart_or_end(w, ft);
  int next = it + 1;
  if (!last && ft->cfg->renewal_after > 0 && w->row->operations >= ft->cfg->renewal_after) {
    next = renewal(w, ft, it + 1, t1 - t0, step_j);
    last = 1;
  }
  if (!last)
    return next;
  finish(w, ft, next);
  return w->cfg->iterations;
}
