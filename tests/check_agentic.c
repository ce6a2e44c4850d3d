/* check_agentic.c -- tests of the agentic workload, run through the racksim command on small
 * scenarios: an uncontended tool call takes its work over the cores' speed; a session's parts add up
 * to its latency; a fan-out joins at its slowest sub-agent; queueing appears on few hosts and latency
 * falls as hosts are added; sandboxes start cold without a warm pool; replayed and day-table arrivals
 * follow their input; equal runs write equal tables; LLM calls are requests of the simulated inference
 * service; agent traffic on the training job's links slows its steps; unknown pools and services are
 * refused. */
#include "check_util.h"
#include "base/base.h"

#include <math.h>
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
  tcase_add_test(tc, parts_add_up_and_fanout_joins_at_the_slowest);
  tcase_add_test(tc, queues_form_and_latency_falls_with_more_hosts);
  tcase_add_test(tc, sandboxes_start_cold_without_a_warm_pool);
  tcase_add_test(tc, replayed_and_day_table_arrivals);
  tcase_add_test(tc, equal_runs_write_equal_tables);
  tcase_add_test(tc, llm_calls_are_served_by_the_inference_workload);
  tcase_add_test(tc, agent_traffic_slows_training_on_shared_links);
  tcase_add_test(tc, unknown_pools_and_services_are_refused);
  suite_add_tcase(s, tc);
  return s;
}

RS_CHECK_MAIN(agentic_suite)
