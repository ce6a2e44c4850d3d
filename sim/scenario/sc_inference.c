/* sc_inference.c -- the scenario keys of kind: inference (requests served by replicas of a model),
 * and the checks across them: each input file (trace, rate_table, length_table) is given exactly when
 * its mode needs it, and exists. The files' contents and the replica layout are the workload's
 * checks, at run time. See LICENSE. */
#include "scenario/schema.h"

#include <stddef.h>
#include <stdlib.h>

static const char* const inf_mode_names[] = {"server", "offline", NULL};
static const char* const arrival_names[]  = {"poisson", "gamma", "trace", "table", NULL};
static const char* const len_names[]      = {"fixed", "uniform", "exponential", "table", NULL};
static const char* const route_names[]    = {"round-robin", "least-outstanding", "kv-aware", NULL};
static const char* const preempt_names[]  = {"recompute", "swap", NULL};
/* attention kernels never run in FP4 in any engine (TensorRT-LLM: FP8 context FMHA and FP8 generation
 * attention at best), so FP4 is no choice */
static const char* const attn_prec_names[] = {"auto", "bf16", "fp8", NULL};
static const char* const proj_prec_names[] = {"auto", "bf16", "fp8", "fp4", NULL};

/* An input file key: given exactly when needed (`when`, in words), resolved against the scenario,
 * and existing. */
typedef struct input_file {
  const char* key;
  const char* when;
  const char* what; /* what the file holds, for the message when it is missing */
} input_file_t;

static int check_input_file(rs_sc__walk_t* w, const rs_sc__loc_t* at, char** file, const input_file_t* in, int needed)
{
  if (needed && *file == NULL)
    return rs_sc__err(w, at, "%s needs the key '%s' (%s)", in->when, in->key, in->what);
  if (!needed && *file != NULL)
    return rs_sc__err_key(w, at, in->key, "expected no %s unless %s, got '%s'", in->key, in->when, *file);
  if (*file == NULL)
    return RS_OK;
  char* path = rs_sc__relative(w, *file);
  free(*file);
  *file = path;
  if (!rs_sc__is_file(path))
    return rs_sc__err_key(w, at, in->key, "expected a CSV file, but '%s' does not exist", path);
  return RS_OK;
}

/* prefill_tp, prefill_ep and prefill_pp are a prefill replica's layout: given only with prefill
 * replicas, and otherwise (or when 0) those of tp, ep and pp. */
static int check_prefill_layout(rs_sc__walk_t* w, const rs_sc__loc_t* at, rs_sc_inference_t* inf)
{
  struct {
    const char* key;
    int *value, same;
  } keys[] = {{"prefill_tp", &inf->prefill_tp, inf->tp},
              {"prefill_ep", &inf->prefill_ep, inf->ep},
              {"prefill_pp", &inf->prefill_pp, inf->pp}};
  for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
    if (*keys[k].value > 0 && inf->prefill_replicas == 0)
      return rs_sc__err_key(w, at, keys[k].key,
                            "expected no %s unless prefill_replicas is above 0 (a prefill pool), got %d", keys[k].key,
                            *keys[k].value);
    if (*keys[k].value == 0)
      *keys[k].value = keys[k].same;
  }
  return RS_OK;
}

static int check_inference(rs_sc__walk_t* w, const rs_sc__loc_t* at, void* base)
{
  static const input_file_t trace  = {"trace", "arrival: trace",
                                      "a CSV file of arrival_s, prompt_tokens, output_tokens"};
  static const input_file_t length = {"length_table", "prompt_dist or output_dist: table",
                                      "a CSV file of prompt_tokens, output_tokens"};
  static const input_file_t rate   = {"rate_table", "arrival: table", "a CSV file of start_s, rate_per_s"};
  rs_sc_inference_t* inf           = &((rs_sc_workload_t*)base)->u.inf;
  if (check_prefill_layout(w, at, inf) != RS_OK)
    return RS_ERR;
  if (check_input_file(w, at, &inf->trace, &trace, inf->arrival == RS_ARRIVAL_TRACE) != RS_OK ||
      check_input_file(w, at, &inf->length_table, &length,
                       inf->prompt_dist == RS_LEN_TABLE || inf->output_dist == RS_LEN_TABLE) != RS_OK)
    return RS_ERR;
  return check_input_file(w, at, &inf->rate_table, &rate, inf->arrival == RS_ARRIVAL_TABLE);
}

#define INF(m) (offsetof(rs_sc_workload_t, u.inf) + offsetof(rs_sc_inference_t, m))
static const rs_sc__field_t inference_fields[] = {
    {"model", RS_SC__CUSTOM, INF(model), .required = 1, .load = rs_sc__load_model},
    {"gpus", RS_SC__INT, INF(gpus), .min = 1, .max = 1e8},
    {"tp", RS_SC__INT, INF(tp), .min = 1, .max = 1024, .def = "1"},
    {"ep", RS_SC__INT, INF(ep), .min = 1, .max = 1024, .def = "1"},
    {"pp", RS_SC__INT, INF(pp), .min = 1, .max = 1024, .def = "1"},
    {"precision", RS_SC__ENUM, INF(precision), .choices = rs_sc__prec_names, .def = "bf16"},
    {"kv_precision", RS_SC__ENUM, INF(kv_precision), .choices = rs_sc__prec_names, .def = "bf16"},
    {"mode", RS_SC__ENUM, INF(mode), .choices = inf_mode_names, .def = "server"},
    {"requests", RS_SC__INT, INF(requests), .min = 1, .max = 1e7, .def = "1000"},
    {"arrival", RS_SC__ENUM, INF(arrival), .choices = arrival_names, .def = "poisson"},
    {"rate_per_s", RS_SC__NUM, INF(rate_per_s), .min = 1e-9, .max = 1e9, .def = "10"},
    {"burstiness", RS_SC__NUM, INF(burstiness), .min = 1e-3, .max = 1e3, .def = "1"},
    {"trace", RS_SC__STR, INF(trace)},
    {"rate_table", RS_SC__STR, INF(rate_table)},
    {"length_table", RS_SC__STR, INF(length_table)},
    {"rate_period_s", RS_SC__NUM, INF(rate_period_s), .min = 1e-6, .max = 1e12, .def = "86400"},
    {"prompt_dist", RS_SC__ENUM, INF(prompt_dist), .choices = len_names, .def = "fixed"},
    {"prompt_tokens", RS_SC__INT, INF(prompt_tokens), .min = 1, .max = 1e7, .def = "512"},
    {"output_dist", RS_SC__ENUM, INF(output_dist), .choices = len_names, .def = "fixed"},
    {"output_tokens", RS_SC__INT, INF(output_tokens), .min = 1, .max = 1e7, .def = "128"},
    {"max_batch_tokens", RS_SC__INT, INF(max_batch_tokens), .min = 1, .max = 1e8, .def = "8192"},
    {"max_seqs", RS_SC__INT, INF(max_seqs), .min = 1, .max = 1e7, .def = "256"},
    {"chunked_prefill", RS_SC__BOOL, INF(chunked_prefill), .def = "true"},
    {"chunk_in_blocks", RS_SC__BOOL, INF(chunk_in_blocks), .def = "false"},
    {"kv_block_tokens", RS_SC__INT, INF(kv_block_tokens), .min = 1, .max = 65536, .def = "16"},
    {"hbm_utilization", RS_SC__NUM, INF(hbm_utilization), .min = 0.01, .max = 1, .def = "0.9"},
    {"preemption", RS_SC__ENUM, INF(preemption), .choices = preempt_names, .def = "recompute"},
    {"swap_gbytes_per_s", RS_SC__NUM, INF(swap_gbytes_per_s), .min = 1e-3, .max = 1e6, .def = "64"},
    {"routing", RS_SC__ENUM, INF(routing), .choices = route_names, .def = "least-outstanding"},
    {"slo_ttft_s", RS_SC__NUM, INF(slo_ttft_s), .min = 0, .max = 1e9, .def = "2"},
    {"slo_tpot_s", RS_SC__NUM, INF(slo_tpot_s), .min = 0, .max = 1e9, .def = "0.1"},
    {"sample_s", RS_SC__NUM, INF(sample_s), .min = 1e-6, .max = 1e9, .def = "1"},
    {"tp_across_domains", RS_SC__BOOL, INF(tp_across_domains), .def = "false"},
    {"collective_memo", RS_SC__BOOL, INF(collective_memo), .def = "true"},
    {"prefill_replicas", RS_SC__INT, INF(prefill_replicas), .min = 0, .max = 1e7, .def = "0"},
    {"prefill_tp", RS_SC__INT, INF(prefill_tp), .min = 0, .max = 1024, .def = "0"},
    {"prefill_ep", RS_SC__INT, INF(prefill_ep), .min = 0, .max = 1024, .def = "0"},
    {"prefill_pp", RS_SC__INT, INF(prefill_pp), .min = 0, .max = 1024, .def = "0"},
    {"shared_prefix_tokens", RS_SC__INT, INF(shared_prefix_tokens), .min = 0, .max = 1e7, .def = "0"},
    {"prefix_caching", RS_SC__BOOL, INF(prefix_caching), .def = "false"},
    {"redundant_experts", RS_SC__INT, INF(redundant_experts), .min = 0, .max = 1e6, .def = "0"},
    {"moe_imbalance", RS_SC__NUM, INF(moe_imbalance), .min = 0, .max = 1e3, .def = "0"},
    {"attention_precision", RS_SC__ENUM, INF(attention_precision), .choices = attn_prec_names, .def = "auto"},
    {"projection_precision", RS_SC__ENUM, INF(projection_precision), .choices = proj_prec_names, .def = "auto"},
    {"decode_first", RS_SC__BOOL, INF(decode_first), .def = "false"},
    {"kernel_floor_s", RS_SC__NUM, INF(kernel_floor_s), .min = 0, .max = 1e-3, .def = "0"},
};
const rs_sc__table_t rs_sc__inference = {RS_SC__FIELDS(inference_fields), .check = check_inference};
