/* check_agentic.c -- tests of the agentic workload, run through the racksim command on small scenarios: an
 * uncontended tool call takes its work over the cores' speed, also when a speed profile of its host changes
 * that speed during the call, and its cores draw CPU power as that many busy cores; a session's parts add
 * up to its latency; a fan-out joins at its slowest sub-agent; queueing appears on few hosts and latency
 * falls as hosts are added; sandboxes start cold without a warm pool; replayed and day-table arrivals
 * follow their input; equal runs write equal tables; LLM calls are requests of the simulated inference
 * service; agent traffic on the training job's links slows its steps; links.csv counts, to the byte, a
 * tool's input on the fleet NIC it crosses and an LLM call's tokens each way; preparing training and
 * agents only reads; unknown pools and services are refused. */
#include "check_util.h"
#include "base/base.h"
#include "wl/wl_int.h"

#include <math.h>
#include <simgrid/actor.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void setup(void)
{
  rs_test_tmpdir(dir, sizeof dir, "agentic");
}

static void teardown(void)
{
  rs_test_rmdir(dir);
}

static int run_into(const char* yaml, const char* out, const char* extra)
{
  return rs_test_run_yaml(dir, yaml, out, extra);
}

static int run_scenario(const char* yaml, const char* extra)
{
  return run_into(yaml, "out", extra);
}

static rs_csv_t* table(const char* name)
{
  char file[64];
  snprintf(file, sizeof file, "%s.csv", name);
  return rs_test_table(dir, "out", file);
}

/* The number in row r (from 1) and column name of csv. */
static double cell(const rs_csv_t* csv, size_t r, const char* name)
{
  int col = rs_csv_column(csv, name);
  ck_assert_msg(col >= 0, "no column %s", name);
  return strtod(csv->rows[r].cells[col], NULL);
}

/* The parts of session row r (model, tools, queueing, start-ups, the wait for sub-agents) add up to its
 * latency; model_s is 0 for sessions without LLM calls. */
static void check_parts_add_up(const rs_csv_t* s, size_t r)
{
  double parts = cell(s, r, "model_s") + cell(s, r, "tool_s") + cell(s, r, "queue_s") + cell(s, r, "startup_s") +
                 cell(s, r, "join_s");
  ck_assert_double_eq_tol(parts, cell(s, r, "latency_s"), 1e-6);
}

static double summary_value(const char* column)
{
  rs_csv_t* csv = table("summary");
  double v      = cell(csv, 1, column);
  rs_csv_free(csv);
  return v;
}

/* One Graviton4 fleet (hardware.md: 192 cores; sim/hw/presets.c: 44.8 GFLOP/s per core). */
#define FLEET "platform:\n  generate: {server: u-p6e-gb200x72, servers: 1, cpu_hosts: 4}\n"
#define POOLS "    pools:\n      - {name: fleet, placement: fleet, cpu: graviton4}\n"

START_TEST(uncontended_tool_time_is_work_over_core_speed)
{
  const char* one = "name: one\n" FLEET "workloads:\n  - kind: agentic\n"
                    "    arrivals: {rate_per_s: 1, sessions: 1}\n    turns: 1\n"
                    "    tool: {pool: fleet, cores: 4, work_gflop: 1792}\n" POOLS;
  ck_assert_int_eq(run_scenario(one, ""), 0);
  rs_csv_t* s     = table("sessions");
  double expected = 1792e9 / 4 / 44.8e9; /* 10 s */
  ck_assert_double_eq_tol(cell(s, 1, "tool_s"), expected, expected * 1e-9);
  ck_assert_double_eq_tol(cell(s, 1, "latency_s"), expected, expected * 1e-9);
  ck_assert_double_eq_tol(cell(s, 1, "queue_s"), 0, 1e-12);
  rs_csv_free(s);
}
END_TEST

/* The tool time of the uncontended test's call, started at 0 s, on a platform file whose Graviton4 host has
 * dir/speed.txt (profile: lines of a time and the fraction of its speed from then on) as its SimGrid speed
 * profile. */
static double tool_s_with_speed_profile(const char* profile)
{
  char out[512], yaml[512];
  rs_test_write(dir, "speed.txt", profile);
  rs_test_write(dir, "starts.csv", "start_s\n0\n");
  ck_assert_int_eq(
      rs_test_run(out, sizeof out, dir, RS_RACKSIM_BIN, "platform u-p6e-gb200x72 --cpu-hosts 1 -o plain.xml"), 0);
  ck_assert_int_eq(rs_test_run(out, sizeof out, dir, "sed",
                               "-e 's#<host id=\"s0-fleet0\" speed=\"44.8Gf\" core=\"192\">#"
                               "<host id=\"s0-fleet0\" speed=\"44.8Gf\" core=\"192\" speed_file=\"speed.txt\">#' "
                               "plain.xml > p.xml && grep -c speed_file p.xml"),
                   0);
  ck_assert_int_eq(atoi(out), 1);
  snprintf(yaml, sizeof yaml,
           "name: slow\nplatform: {file: %s/p.xml}\nworkloads:\n  - kind: agentic\n"
           "    arrivals: {process: replay, replay: starts.csv}\n    turns: 1\n"
           "    tool: {pool: fleet, cores: 4, work_gflop: 1792}\n" POOLS,
           dir);
  ck_assert_int_eq(run_scenario(yaml, ""), 0);
  rs_csv_t* s = table("sessions");
  double t    = cell(s, 1, "tool_s");
  ck_assert_double_eq_tol(cell(s, 1, "latency_s"), t, t * 1e-9);
  rs_csv_free(s);
  return t;
}

/* A tool host's speed profile (a platform file's speed_file) slows the calls in progress when it
 * changes: the 10 s call at full speed does half its work by 5 s, then the other half at half speed in
 * 10 s (15 s); at a quarter speed from 2 s to 4 s, it does 2/10 + 0.5/10 of its work by 4 s and the
 * other 7.5/10 at full speed (11.5 s); stopped from 2 s to 4 s, it ends 2 s late (12 s); at half speed
 * from the start, 20 s. */
START_TEST(a_tool_host_speed_profile_retimes_calls_in_progress)
{
  ck_assert_double_eq_tol(tool_s_with_speed_profile("0 1\n5 0.5\n"), 15, 15e-9);
  ck_assert_double_eq_tol(tool_s_with_speed_profile("0 1\n2 0.25\n4 1\n"), 11.5, 11.5e-9);
  ck_assert_double_eq_tol(tool_s_with_speed_profile("0 1\n2 0\n4 1\n"), 12, 12e-9);
  ck_assert_double_eq_tol(tool_s_with_speed_profile("0 0.5\n"), 20, 20e-9);
}
END_TEST

/* The CPU energy of one tool call of `cores` cores that runs 10 s on the fleet (power_summary.csv). */
static double cpu_energy_of_call(int cores)
{
  char yaml[512];
  snprintf(yaml, sizeof yaml,
           "name: load\n" FLEET "workloads:\n  - kind: agentic\n"
           "    arrivals: {rate_per_s: 1, sessions: 1}\n    turns: 1\n"
           "    tool: {pool: fleet, cores: %d, work_core_s: %d}\n" POOLS,
           cores, 10 * cores);
  ck_assert_int_eq(run_scenario(yaml, ""), 0);
  rs_csv_t* p = table("power_summary");
  double e    = NAN;
  for (size_t r = 1; r < p->n_rows; r++)
    if (strcmp(p->rows[r].cells[rs_csv_column(p, "scope")], "cpu") == 0)
      e = cell(p, r, "energy_mwh");
  rs_csv_free(p);
  return e;
}

/* A call's cores load its host as that many busy cores (its host's load is one exec of one thread per
 * busy core): over the same 10 s, each 4 more cores add the same energy, and more than nothing. */
START_TEST(busy_cores_draw_cpu_power)
{
  double e4 = cpu_energy_of_call(4), e8 = cpu_energy_of_call(8), e12 = cpu_energy_of_call(12);
  ck_assert_double_gt(e8 - e4, 0);
  ck_assert_double_eq_tol(e12 - e8, e8 - e4, (e8 - e4) * 1e-6);
}
END_TEST

static const char* busy = "name: busy\n" FLEET "workloads:\n  - kind: agentic\n"
                          "    arrivals: {rate_per_s: 40, sessions: 300}\n    turns: 3\n"
                          "    tool: {pool: fleet, cores: 8, work_core_s: 40, distribution: lognormal, cv: 1.5}\n"
                          "    sandbox: {cold_start_s: 1.5, warm_start_s: 0.05, warm_pool: 30}\n"
                          "    fanout: {agents: 3, at_turn: 2, turns: 2}\n" POOLS;

/* Without LLM calls, a root session is its tool calls, queueing, start-ups and its wait for sub-agents. */
START_TEST(parts_add_up_and_fanout_joins_at_the_slowest)
{
  ck_assert_int_eq(run_scenario(busy, ""), 0);
  rs_csv_t* s = table("sessions");
  int roots = 0, joins = 0;
  for (size_t r = 1; r < s->n_rows; r++) {
    ck_assert_double_eq(cell(s, r, "model_s"), 0);
    check_parts_add_up(s, r);
    if (cell(s, r, "parent") >= 0)
      continue;
    roots++;
    ck_assert_int_eq((int)cell(s, r, "subagents"), 3);
    /* the children of this root: their last end is when the join ended */
    double last = 0;
    for (size_t k = 1; k < s->n_rows; k++)
      if (cell(s, k, "parent") == cell(s, r, "session") && cell(s, k, "end_s") > last)
        last = cell(s, k, "end_s");
    /* the fan-out is in the last turn: the root ends when its slowest sub-agent does */
    joins += last > 0;
    ck_assert_double_eq_tol(last, cell(s, r, "end_s"), 1e-9);
    ck_assert(cell(s, r, "join_s") > 0);
  }
  ck_assert_int_eq(roots, 300);
  ck_assert_int_eq(joins, 300);
  ck_assert_int_eq((int)s->n_rows - 1, 300 * 4);
  rs_csv_free(s);
}
END_TEST

START_TEST(queues_form_and_latency_falls_with_more_hosts)
{
  double p50[3], queue[3];
  const int hosts[] = {1, 2, 4};
  for (int i = 0; i < 3; i++) {
    char set[64];
    snprintf(set, sizeof set, "--set workloads.0.pools.0.hosts=%d", hosts[i]);
    ck_assert_int_eq(run_scenario(busy, set), 0);
    p50[i]      = summary_value("latency_p50_s");
    rs_csv_t* p = table("cpu_pools");
    queue[i]    = 0;
    for (size_t r = 1; r < p->n_rows; r++)
      queue[i] = fmax(queue[i], cell(p, r, "max_queue_length"));
    rs_csv_free(p);
    ck_assert_double_eq(summary_value("cpu_cores"), 192 * hosts[i]);
  }
  ck_assert_msg(queue[0] > 10 && queue[2] < queue[0], "queues %g %g %g", queue[0], queue[1], queue[2]);
  ck_assert_msg(p50[0] > p50[1] && p50[1] > p50[2], "p50 %g %g %g", p50[0], p50[1], p50[2]);
}
END_TEST

/* A tool call whose host (a rack's CPU) fails during its long input transfer, given up at once: its
 * session ends 1 s after the failure while the transfer runs on for minutes; the run still ends (the
 * transfer's worker and the host's runner see the lost call to its end), with the call counted failed. */
START_TEST(a_failed_call_whose_transfer_outlives_the_sessions_ends)
{
  const char* yaml = "name: outlive\nplatform:\n  generate: {server: u-p6e-gb200x72, servers: 1, cpu_hosts: 1}\n"
                     "workloads:\n  - kind: agentic\n    arrivals: {rate_per_s: 1, sessions: 1}\n    turns: 1\n"
                     "    tool: {pool: tools, cores: 4, work_core_s: 8, io_bytes: 2000GB, io_pool: fleet}\n"
                     "    pools:\n      - {name: fleet, placement: fleet, cpu: graviton4}\n"
                     "      - {name: tools, placement: racks, hosts: 1}\n"
                     "failures:\n  events: [{at_h: 0.0005, for_h: 0.001, server: 0}]\n"
                     "  agentic: {tool_retries: 0, tool_retry_s: 1}\n";
  ck_assert_int_eq(run_scenario(yaml, ""), 0);
  ck_assert_double_eq(summary_value("tool_failures"), 1);
  rs_csv_t* s = table("sessions");
  ck_assert_int_eq((int)s->n_rows - 1, 1);
  ck_assert_double_eq(cell(s, 1, "tool_calls"), 0);
  rs_csv_free(s);
}
END_TEST

START_TEST(sandboxes_start_cold_without_a_warm_pool)
{
  ck_assert_int_eq(run_scenario(busy, "--set workloads.0.sandbox.warm_pool=0"), 0);
  rs_csv_t* s = table("sessions");
  for (size_t r = 1; r < s->n_rows; r++) {
    ck_assert_int_eq((int)cell(s, r, "cold_starts"), 1);
    ck_assert_double_eq_tol(cell(s, r, "startup_s"), 1.5, 1e-9);
  }
  rs_csv_free(s);
}
END_TEST

START_TEST(replayed_and_day_table_arrivals)
{
  rs_test_write(dir, "starts.csv", "start_s,user\n5,a\n1.5,b\n3,c\n");
  const char* replay = "name: replay\n" FLEET "workloads:\n  - kind: agentic\n    start_s: 10\n"
                       "    arrivals: {process: replay, replay: starts.csv}\n    turns: 1\n"
                       "    tool: {pool: fleet}\n" POOLS;
  ck_assert_int_eq(run_scenario(replay, ""), 0);
  rs_csv_t* s = table("sessions");
  ck_assert_int_eq((int)s->n_rows, 4);
  double starts[] = {11.5, 13, 15};
  for (size_t r = 1; r < 4; r++) /* one-second calls on an idle pool end in arrival order */
    ck_assert_double_eq_tol(cell(s, r, "start_s"), starts[r - 1], 1e-9);
  rs_csv_free(s);
  const char* day = "name: day\n" FLEET "workloads:\n  - kind: agentic\n"
                    "    arrivals: {process: day, day_rates_per_s: '0, 20, 0', slot_s: 10, sessions: 100}\n"
                    "    turns: 1\n    tool: {pool: fleet}\n" POOLS;
  ck_assert_int_eq(run_scenario(day, ""), 0);
  s = table("sessions");
  for (size_t r = 1; r < s->n_rows; r++) { /* slot 1 of each 30 s day */
    double in_day = fmod(cell(s, r, "start_s"), 30);
    ck_assert_msg(in_day >= 10 && in_day < 20, "arrival at %g", cell(s, r, "start_s"));
  }
  rs_csv_free(s);
}
END_TEST

static const char* with_llm =
    "name: llm\nplatform:\n  generate: {server: u-p6e-gb200x72, servers: 1, cpu_hosts: 2}\nworkloads:\n"
    "  - {name: chat, kind: inference, model: {preset: llama3-8b}, gpus: 8, tp: 8, requests: 20, rate_per_s: 5}\n"
    "  - kind: agentic\n    arrivals: {rate_per_s: 5, sessions: 30}\n    turns: 3\n"
    "    llm: {service: chat, prompt_tokens: 2000, growth_tokens: 1000, output_tokens: 300}\n"
    "    tool: {pool: fleet, cores: 2, work_core_s: 4}\n    fanout: {agents: 2, at_turn: 1, turns: 1}\n" POOLS;

/* Every LLM call is a request of the simulated inference service, with the prompt growing turn by turn,
 * and the session waits for its reply. */
START_TEST(llm_calls_are_served_by_the_inference_workload)
{
  ck_assert_int_eq(run_scenario(with_llm, ""), 0);
  rs_csv_t* s  = table("sessions");
  double model = 0;
  for (size_t r = 1; r < s->n_rows; r++) {
    ck_assert_int_eq((int)cell(s, r, "llm_calls"), (int)cell(s, r, "turns"));
    check_parts_add_up(s, r);
    model += cell(s, r, "model_s");
  }
  ck_assert_int_eq((int)s->n_rows - 1, 30 * 3);
  ck_assert(model > 0);
  rs_csv_free(s);
  rs_csv_t* q = table("requests");
  ck_assert_int_eq((int)q->n_rows - 1, 20 + 30 * 3 + 60); /* its own, then 3 per session, 1 per sub-agent */
  int grown = 0;
  for (size_t r = 1; r < q->n_rows; r++)
    grown += cell(q, r, "prompt_tokens") == 4000; /* third turn: 2000 + 2 x 1000 */
  ck_assert_int_eq(grown, 30);
  rs_csv_free(q);
}
END_TEST

/* Llama 3 8B on two GB200 NVL36 domains (DP across them over the EFA NICs), alone or beside agents whose
 * tools run on the Grace CPUs of those racks and read their input from a storage fleet: that input
 * crosses the GPUs' NICs, the links the gradient reduction between the domains uses. */
#define TRAIN                                                                                                          \
  "name: interference\nplatform:\n  generate: {server: u-p6e-gb200x36, servers: 2, cpu_hosts: 600}\nworkloads:\n"      \
  "  - {name: train, kind: training, model: {preset: llama3-8b}, gpus: 72, tp: 4, global_batch: 18}\n"
#define AGENTS                                                                                                         \
  "  - kind: agentic\n    arrivals: {rate_per_s: 4000, sessions: 600}\n    turns: 1\n"                                 \
  "    tool: {pool: grace, cores: 4, io_bytes: 1GB, io_pool: storage}\n"                                               \
  "    pools:\n      - {name: grace, placement: racks}\n      - {name: storage, placement: fleet}\n"

START_TEST(agent_traffic_slows_training_on_shared_links)
{
  ck_assert_int_eq(run_scenario(TRAIN, ""), 0);
  double alone      = rs_test_iteration_value(dir, "out", "step_s");
  double comm_alone = rs_test_iteration_value(dir, "out", "comm_exposed_s");
  ck_assert_int_eq(run_scenario(TRAIN AGENTS, ""), 0);
  double shared      = rs_test_iteration_value(dir, "out", "step_s");
  double comm_shared = rs_test_iteration_value(dir, "out", "comm_exposed_s");
  ck_assert_msg(shared > 1.1 * alone, "step alone %g s, beside agents %g s", alone, shared);
  ck_assert(comm_shared > comm_alone); /* the time went to communication, not compute */
}
END_TEST

/* The text in row r (from 1) and column name of csv. */
static const char* text(const rs_csv_t* csv, size_t r, const char* name)
{
  int col = rs_csv_column(csv, name);
  ck_assert_msg(col >= 0, "no column %s", name);
  return csv->rows[r].cells[col];
}

/* Bytes links.csv counts on the links of class cls: its class row, and its per-link rows (outputs.links:
 * all) split into the links going up (names ending _UP) and down, which must add up to the class row. */
static double link_bytes(const char* cls, double* up, double* down)
{
  rs_csv_t* csv = table("links");
  double total  = -1;
  *up = *down = 0;
  for (size_t r = 1; r < csv->n_rows; r++) {
    const char* link = text(csv, r, "link");
    size_t n         = strlen(link);
    if (strcmp(text(csv, r, "class"), cls) != 0)
      continue;
    if (n == 0)
      total = cell(csv, r, "bytes");
    else if (n > 3 && strcmp(link + n - 3, "_UP") == 0)
      *up += cell(csv, r, "bytes");
    else
      *down += cell(csv, r, "bytes");
  }
  rs_csv_free(csv);
  ck_assert_double_eq_tol(total, *up + *down, 0.5);
  return total;
}

/* The sum of column name over the rows of sessions.csv. */
static double sessions_sum(const char* name)
{
  rs_csv_t* s = table("sessions");
  double sum  = 0;
  for (size_t r = 1; r < s->n_rows; r++)
    sum += cell(s, r, name);
  rs_csv_free(s);
  return sum;
}

/* One fleet host runs the tools and reads each call's input from a Grace host of the rack: every call's
 * io_bytes come down that fleet host's NIC once, and nothing else goes up or down a fleet NIC. 5 roots
 * of 2 turns and 2 sub-agents of 1 turn each: 5 x 2 + 10 x 1 = 20 calls of 100 MB. */
START_TEST(tool_input_crosses_the_fleet_nic_once_per_call)
{
  const char* io = "name: io\n" FLEET "outputs: {links: all}\nworkloads:\n  - kind: agentic\n"
                   "    arrivals: {rate_per_s: 1, sessions: 5}\n    turns: 2\n"
                   "    fanout: {agents: 2, at_turn: 0, turns: 1}\n"
                   "    tool: {pool: fleet, cores: 4, work_core_s: 1, io_bytes: 100MB, io_pool: storage}\n"
                   "    pools:\n      - {name: fleet, placement: fleet, cpu: graviton4, hosts: 1}\n"
                   "      - {name: storage, placement: racks, hosts: 1}\n";
  ck_assert_int_eq(run_scenario(io, ""), 0);
  double calls = sessions_sum("tool_calls");
  ck_assert_double_eq(calls, 20);
  double up, down;
  double fleet = link_bytes("fleet_nic", &up, &down);
  ck_assert_double_eq_tol(fleet, 100e6 * calls, 0.5);
  ck_assert_double_eq_tol(down, 100e6 * calls, 0.5);
  ck_assert_double_eq(up, 0);
  ck_assert_double_eq(link_bytes("nvlink", &up, &down), 0); /* no GPU traffic: the input only */
}
END_TEST

/* Each LLM call puts its prompt on the wire to the service, prompt_tokens x RS_SVC_BYTES_PER_TOKEN up
 * the one tool host's fleet NIC, and its output tokens x the same back down; the goodbye at the end is
 * one token's worth. The service is one TP1 replica, so its GPU moves nothing else. 5 sessions of 3
 * turns, the prompt growing by 500 tokens a turn: 5 x (1000 + 1500 + 2000) tokens up, 5 x 3 x 200 down. */
START_TEST(llm_calls_put_their_tokens_on_the_wire)
{
  const char* llm = "name: llm\n" FLEET "outputs: {links: all}\nworkloads:\n"
                    "  - {name: chat, kind: inference, model: {preset: llama3-8b}, gpus: 1, tp: 1, requests: 1}\n"
                    "  - kind: agentic\n    arrivals: {rate_per_s: 1, sessions: 5}\n    turns: 3\n"
                    "    llm: {service: chat, prompt_tokens: 1000, growth_tokens: 500, output_tokens: 200}\n"
                    "    tool: {pool: fleet, cores: 4, work_core_s: 1}\n"
                    "    pools:\n      - {name: fleet, placement: fleet, cpu: graviton4, hosts: 1}\n";
  ck_assert_int_eq(run_scenario(llm, ""), 0);
  ck_assert_double_eq(sessions_sum("llm_calls"), 15);
  double prompts = 5 * (1000 + 1500 + 2000) * RS_SVC_BYTES_PER_TOKEN, replies = 5 * 3 * 200 * RS_SVC_BYTES_PER_TOKEN;
  double up, down;
  link_bytes("fleet_nic", &up, &down);
  ck_assert_double_eq_tol(up, prompts + RS_SVC_BYTES_PER_TOKEN, 0.5);
  ck_assert_double_eq_tol(down, replies, 0.5);
  link_bytes("nic", &up, &down); /* the service's GPU: the same bytes, the other way */
  ck_assert_double_eq_tol(down, prompts + RS_SVC_BYTES_PER_TOKEN, 0.5);
  ck_assert_double_eq_tol(up, replies, 0.5);
  ck_assert_double_eq(link_bytes("nvlink", &up, &down), 0);
}
END_TEST

/* Preparing the workloads (what racksim validate does) only reads: the scenario comes out as it went in,
 * down to the training layout it resolves and the pools it selects from, and there is no actor, no table
 * and no output directory yet. Training next to agents replaying a file of start times. */
START_TEST(prepare_only_reads)
{
  rs_test_write(dir, "starts.csv", "start_s\n2\n1\n");
  char yaml[1024], path[128], out[128];
  snprintf(out, sizeof out, "%s/never", dir);
  snprintf(yaml, sizeof yaml,
           "name: pure\n" FLEET "outputs: {dir: %s, ops_max_rows: 10, collectives_max_rows: 10}\nworkloads:\n"
           "  - {name: train, kind: training, model: {preset: llama3-8b}, gpus: 8, tp: 4, global_batch: 8}\n"
           "  - kind: agentic\n    arrivals: {process: replay, replay: starts.csv}\n    turns: 1\n"
           "    tool: {pool: fleet}\n" POOLS,
           out);
  rs_test_write(dir, "s.yaml", yaml);
  snprintf(path, sizeof path, "%s/s.yaml", dir);
  rs_err_t err      = {{0}};
  rs_scenario_t* sc = rs_scenario_load(path, NULL, 0, &err);
  ck_assert_msg(sc != NULL, "%s", err.msg);
  ck_assert_int_eq(sc->n_workloads, 2);
  rs_platform_t* plat = rs_test_generate(sc->platform.gen);
  int n_kinds;
  const rs_wl_ops_t* const* kinds = rs_wl_kinds(&n_kinds);
  rs_run_t* run                   = rs_run_new(sc, plat, kinds, n_kinds, RS_QUIET);
  rs_sc_workload_t before[2];
  rs_sc_pool_t pool = sc->workloads[1].u.agent.pools[0];
  memcpy(before, sc->workloads, sizeof before);
  ck_assert_msg(rs_run_prepare(run, &err) == RS_OK, "%s", err.msg);
  ck_assert(memcmp(before, sc->workloads, sizeof before) == 0);
  ck_assert(memcmp(&pool, &sc->workloads[1].u.agent.pools[0], sizeof pool) == 0);
  ck_assert_int_eq(sc->workloads[0].u.train.layout.n_micro, 0); /* training resolved its own copy */
  ck_assert_int_eq((int)sg_actor_count(), 0);
  ck_assert_ptr_null(run->out);
  ck_assert_ptr_null(run->ops);
  ck_assert_ptr_null(run->collectives);
  ck_assert(access(out, F_OK) != 0);
  rs_run_free(run);
  rs_platform_free(plat);
  rs_scenario_free(sc);
}
END_TEST

static int same_file(const char* a, const char* b)
{
  char cmd[256];
  snprintf(cmd, sizeof cmd, "cmp -s %s/%s %s/%s", dir, a, dir, b);
  return system(cmd) == 0;
}

START_TEST(equal_runs_write_equal_tables)
{
  ck_assert_int_eq(run_into(busy, "a", ""), 0);
  ck_assert_int_eq(run_into(busy, "b", ""), 0);
  ck_assert(same_file("a/sessions.csv", "b/sessions.csv"));
  ck_assert(same_file("a/cpu_pools.csv", "b/cpu_pools.csv"));
  ck_assert(same_file("a/summary.csv", "b/summary.csv"));
  ck_assert_int_eq(run_into(busy, "c", "--seed 2"), 0);
  ck_assert(!same_file("a/sessions.csv", "c/sessions.csv"));
}
END_TEST

/* Unknown pool or service, a pool without hosts: exit 2, one line naming file, line and key. */
START_TEST(unknown_pools_and_services_are_refused)
{
  static const char* const cases[][2] = {
      {"agent-pool-unknown", "agent-pool-unknown.yaml:8: workloads[0].tool.pool: expected the name of a CPU pool "
                             "of this workload (fleet), got 'graviton'"},
      {"agent-service-unknown", "agent-service-unknown.yaml:8: workloads[0].llm.service: expected the name of an "
                                "inference workload of this scenario, got 'chat'"},
      {"agent-pool-no-hosts", "agent-pool-no-hosts.yaml:9: workloads[0].pools[0]: expected CPU hosts of the "
                              "platform"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[160];
    snprintf(out, sizeof out, "%s/out-%zu", dir, i);
    rs_test_refused(cases[i][0], cases[i][1], out);
  }
}
END_TEST

static Suite* agentic_suite(void)
{
  Suite* s  = suite_create("agentic");
  TCase* tc = tcase_create("agentic");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, uncontended_tool_time_is_work_over_core_speed);
  tcase_add_test(tc, busy_cores_draw_cpu_power);
  tcase_add_test(tc, a_tool_host_speed_profile_retimes_calls_in_progress);
  tcase_add_test(tc, parts_add_up_and_fanout_joins_at_the_slowest);
  tcase_add_test(tc, queues_form_and_latency_falls_with_more_hosts);
  tcase_add_test(tc, a_failed_call_whose_transfer_outlives_the_sessions_ends);
  tcase_add_test(tc, sandboxes_start_cold_without_a_warm_pool);
  tcase_add_test(tc, replayed_and_day_table_arrivals);
  tcase_add_test(tc, equal_runs_write_equal_tables);
  tcase_add_test(tc, llm_calls_are_served_by_the_inference_workload);
  tcase_add_test(tc, agent_traffic_slows_training_on_shared_links);
  tcase_add_test(tc, tool_input_crosses_the_fleet_nic_once_per_call);
  tcase_add_test(tc, llm_calls_put_their_tokens_on_the_wire);
  tcase_add_test(tc, unknown_pools_and_services_are_refused);
  tcase_add_test(tc, prepare_only_reads);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(agentic_suite)
