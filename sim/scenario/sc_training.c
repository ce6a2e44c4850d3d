/* sc_training.c -- the scenario keys of kind: training (iterations of a model's training step on a
 * parallel layout). Whether the layout divides the GPUs and fits in memory is the workload's check,
 * at run time, once the platform is known. See LICENSE. */
#include "scenario/schema.h"

#include <stddef.h>
#include <stdio.h>

static const char* const recompute_names[] = {"none", "selective", "full", "auto", NULL};
static const char* const attention_names[] = {"flash", "materialised", NULL};
static const char* const grad_names[]      = {"bf16", "fp32", NULL};
static const char* const mode_names[]      = {"auto", "faithful", "aggregated", NULL};
static const char* const offload_names[]   = {"none", "activations", NULL};
static const char* const schedule_names[]  = {"1f1b", "dualpipe", NULL};

const char* rs_recompute_name(rs_recompute_t rc)
{
  return recompute_names[rc];
}

const char* rs_attn_name(rs_attn_t a)
{
  return attention_names[a];
}

const char* rs_grad_prec_name(rs_grad_prec_t g)
{
  return grad_names[g];
}

const char* rs_train_mode_name(rs_train_mode_t mode)
{
  return mode_names[mode];
}

/* The rank order (rs_layout_parse_order), as Megatron-Core's RankGenerator writes it; absent: its
 * default, tp-cp-ep-dp-pp (left zero in the layout). */
static int load_order(rs_sc__walk_t* w, struct fy_node* n, const rs_sc__loc_t* at, void* dst)
{
  if (n == NULL)
    return RS_OK;
  size_t len;
  const char* text = fy_node_is_scalar(n) ? fy_node_get_scalar(n, &len) : NULL;
  if (text == NULL)
    return rs_sc__err(w, at, "expected a rank order such as tp-cp-ep-dp-pp");
  char buf[64];
  snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), text);
  rs_err_t why;
  if (rs_layout_parse_order(buf, (rs_rank_order_t*)dst, &why) != RS_OK)
    return rs_sc__err(w, at, "%s", why.msg);
  return RS_OK;
}

#define TRAIN(m) (offsetof(rs_sc_workload_t, u.train) + offsetof(rs_sc_training_t, m))
#define LAYOUT(m) (TRAIN(layout) + offsetof(rs_layout_t, m))
static const rs_sc__field_t training_fields[] = {
    {"model", RS_SC__CUSTOM, TRAIN(model), .required = 1, .load = rs_sc__load_model},
    {"gpus", RS_SC__INT, TRAIN(gpus), .min = 1, .max = 1e8},
    {"tp", RS_SC__INT, LAYOUT(tp), .min = 1, .max = 1024, .def = "1"},
    {"cp", RS_SC__INT, LAYOUT(cp), .min = 1, .max = 1024, .def = "1"},
    {"pp", RS_SC__INT, LAYOUT(pp), .min = 1, .max = 1024, .def = "1"},
    {"ep", RS_SC__INT, LAYOUT(ep), .min = 1, .max = 1024, .def = "1"},
    {"vp", RS_SC__INT, LAYOUT(vp), .min = 1, .max = 1024, .def = "1"},
    /* 1f1b (interleaved when vp > 1), or DeepSeek-V3's DualPipe (section 3.2.1) */
    {"schedule", RS_SC__ENUM, LAYOUT(dualpipe), .choices = schedule_names, .def = "1f1b"},
    /* Megatron-Core's pipeline split (TransformerConfig): account_for_embedding_in_pipeline_split,
     * account_for_loss_in_pipeline_split, num_layers_in_first_pipeline_stage and _last_ */
    {"embedding_in_split", RS_SC__BOOL, LAYOUT(embedding_slot), .def = "false"},
    {"loss_in_split", RS_SC__BOOL, LAYOUT(loss_slot), .def = "false"},
    {"first_stage_layers", RS_SC__INT, LAYOUT(first_stage_layers), .min = 0, .max = 1e6, .def = "0"},
    {"last_stage_layers", RS_SC__INT, LAYOUT(last_stage_layers), .min = 0, .max = 1e6, .def = "0"},
    {"rank_order", RS_SC__CUSTOM, LAYOUT(order), .load = load_order},
    {"zero", RS_SC__INT, LAYOUT(zero), .min = 0, .max = 3, .def = "1"},
    {"micro_batch", RS_SC__INT, LAYOUT(micro_batch), .min = 1, .max = 1e6, .def = "1"},
    {"global_batch", RS_SC__INT, LAYOUT(global_batch), .required = 1, .min = 1, .max = 1e9},
    {"recompute", RS_SC__ENUM, LAYOUT(recompute), .choices = recompute_names, .def = "auto"},
    /* Megatron-Core's recompute_num_layers with recompute_method block: with full recomputation, the first
     * recompute_layers layers of each virtual stage; 0: all (auto picks the fewest that fit) */
    {"recompute_layers", RS_SC__INT, LAYOUT(recompute_layers), .min = 0, .max = 1e6, .def = "0"},
    /* flash: what Megatron-Core and NeMo run (Transformer Engine's fused attention); materialised: the
     * unfused kernels of Megatron-LM 2021, which the SC'21 cases used */
    {"attention", RS_SC__ENUM, LAYOUT(attention), .choices = attention_names, .def = "flash"},
    /* bf16: Megatron-Core's default (DistributedDataParallelConfig.grad_reduce_in_fp32 = False) */
    {"grad_precision", RS_SC__ENUM, LAYOUT(grad_precision), .choices = grad_names, .def = "bf16"},
    {"precision", RS_SC__ENUM, TRAIN(precision), .choices = rs_sc__prec_names, .def = "bf16"},
    {"iterations", RS_SC__INT, TRAIN(iterations), .min = 1, .max = 1e6, .def = "1"},
    {"tp_across_domains", RS_SC__BOOL, TRAIN(tp_across_domains), .def = "false"},
    {"dp_overlap", RS_SC__BOOL, TRAIN(dp_overlap), .def = "true"},
    /* zero 3: FSDP's forward and backward prefetch (PyTorch's BackwardPrefetch.BACKWARD_PRE, forward_prefetch) */
    {"prefetch", RS_SC__BOOL, TRAIN(prefetch), .def = "true"},
    /* Megatron-Core's tp_comm_overlap (ModelParallelConfig, default False; NeMo's performance recipes turn it
     * on): Transformer Engine's userbuffers overlap of the TP collectives with the linear layers' GEMMs */
    {"tp_comm_overlap", RS_SC__BOOL, TRAIN(tp_comm_overlap), .def = "false"},
    {"mode", RS_SC__ENUM, TRAIN(mode), .choices = mode_names, .def = "auto"},
    /* Megatron-Core's cpu_offloading with cpu_offloading_activations (NeMo's and Megatron Bridge's
     * cpu_offloading_num_layers: the first offload_layers layers; 0 here: all but the last, the most it allows) */
    {"offload", RS_SC__ENUM, TRAIN(offload), .choices = offload_names, .def = "none"},
    {"offload_layers", RS_SC__INT, LAYOUT(offload_layers), .min = 0, .max = 1e6, .def = "0"},
};
const rs_sc__table_t rs_sc__training = {RS_SC__FIELDS(training_fields)};
