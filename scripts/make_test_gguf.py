#!/usr/bin/env python3
"""Builds the small GGUF models the summarize tests and benchmarks need (run by scripts/setup).

No registry carries a draft/target pair or a mixture-of-experts GGUF small enough for a
2-core machine, so both are derived here with the pinned `gguf` package:

* a draft model for SmolLM2-135M-Instruct: the same model requantised from Q4_1 to the
  lower-bit Q4_0 (4.5 instead of 5 bits per weight; llama.cpp repacks Q4_0 for faster
  CPU kernels). It shares the target's vocabulary exactly and agrees with it on most but
  not all tokens, so speculative decoding with it runs on real weights and both the
  accept and the reject path happen. (Dropping transformer blocks instead was tried: with
  any 6 of the 30 blocks removed the model only emits noise, so no draft is accepted.);
* a tiny mixture-of-experts model in the llama architecture (Mixtral layout: a router
  and 4 experts per block, 2 used per token) with random weights from a fixed seed and
  SmolLM2's real tokenizer, so tests can override `llama.expert_used_count` and watch the
  computation change;
* a tiny Mamba (state-space, recurrent) model with random weights and the same tokenizer,
  so tests can check that speculation is turned off for models whose state cannot be
  rolled back.

The output is byte-for-byte deterministic for pinned gguf and numpy versions.

usage: make_test_gguf.py SMOLLM2_GGUF OUT_DIR
"""
import os
import shutil
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter
from gguf.quants import dequantize, quantize

DRAFT_NAME = "smollm2-135m-instruct-q4_0-draft.gguf"
MOE_NAME = "tiny-moe-4x.gguf"
MAMBA_NAME = "tiny-mamba.gguf"
SEED = 20261122

MOE = dict(n_embd=64, n_ff=96, n_layer=2, n_head=4, n_head_kv=2, n_expert=4, n_expert_used=2, n_ctx=1024)


def copy_field(writer: GGUFWriter, field, value=None):
    """Re-adds one metadata field of a reader to a writer, optionally with a new value."""
    vtype = field.types[0]
    sub = field.types[-1] if vtype == GGUFValueType.ARRAY else None
    if value is None:
        value = field.contents()
    writer.add_key_value(field.name, value, vtype, sub_type=sub)


def copy_tokenizer(src: GGUFReader, writer: GGUFWriter) -> int:
    """Copies every tokenizer key of `src`; returns the vocabulary size."""
    n_vocab = 0
    for name, field in src.fields.items():
        if name.startswith("tokenizer."):
            copy_field(writer, field)
        if name == "tokenizer.ggml.tokens":
            n_vocab = len(field.data)
    return n_vocab


def header_field(name: str) -> bool:
    return name.startswith("GGUF.") or name == "general.architecture"


def make_draft(src: GGUFReader, out: str) -> None:
    writer = GGUFWriter(out, arch="llama")
    for name, field in src.fields.items():
        if header_field(name):
            continue
        if name == "general.file_type":
            copy_field(writer, field, int(gguf.LlamaFileType.MOSTLY_Q4_0))
        elif name == "general.name":
            copy_field(writer, field, "SmolLM2 135M Instruct, requantised Q4_1 -> Q4_0 (draft)")
        else:
            copy_field(writer, field)
    tensors = []
    for t in src.tensors:
        if t.tensor_type == GGMLQuantizationType.Q4_1:
            data = quantize(dequantize(t.data, GGMLQuantizationType.Q4_1), GGMLQuantizationType.Q4_0)
            tensors.append((t.name, data, GGMLQuantizationType.Q4_0))
        else:
            tensors.append((t.name, t.data, t.tensor_type))
    for name, data, qtype in tensors:
        writer.add_tensor_info(name, data.shape, data.dtype, data.nbytes, qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for _, data, _ in tensors:
        writer.write_tensor_data(data)
    writer.close()


def make_moe(src: GGUFReader, out: str) -> None:
    p = MOE
    rng = np.random.default_rng(SEED)
    writer = GGUFWriter(out, arch="llama")
    writer.add_name("plait tiny MoE (random weights, test fixture)")
    writer.add_block_count(p["n_layer"])
    writer.add_context_length(p["n_ctx"])
    writer.add_embedding_length(p["n_embd"])
    writer.add_feed_forward_length(p["n_ff"])
    writer.add_head_count(p["n_head"])
    writer.add_head_count_kv(p["n_head_kv"])
    writer.add_rope_dimension_count(p["n_embd"] // p["n_head"])
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_expert_count(p["n_expert"])
    writer.add_expert_used_count(p["n_expert_used"])
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    n_vocab = copy_tokenizer(src, writer)
    writer.add_vocab_size(n_vocab)

    def w(*shape):
        # Rows scaled so activations stay O(1) through the blocks.
        return (rng.standard_normal(shape) / np.sqrt(shape[-1])).astype(np.float32)

    e, f, x = p["n_embd"], p["n_ff"], p["n_expert"]
    d_kv = e // p["n_head"] * p["n_head_kv"]
    writer.add_tensor("token_embd.weight", w(n_vocab, e))
    writer.add_tensor("output_norm.weight", np.ones(e, dtype=np.float32))
    for i in range(p["n_layer"]):
        b = f"blk.{i}."
        writer.add_tensor(b + "attn_norm.weight", np.ones(e, dtype=np.float32))
        writer.add_tensor(b + "attn_q.weight", w(e, e))
        writer.add_tensor(b + "attn_k.weight", w(d_kv, e))
        writer.add_tensor(b + "attn_v.weight", w(d_kv, e))
        writer.add_tensor(b + "attn_output.weight", w(e, e))
        writer.add_tensor(b + "ffn_norm.weight", np.ones(e, dtype=np.float32))
        # The router is scaled up so expert choice is decisive and sensitive to the count.
        writer.add_tensor(b + "ffn_gate_inp.weight", 4 * w(x, e))
        writer.add_tensor(b + "ffn_gate_exps.weight", w(x, f, e))
        writer.add_tensor(b + "ffn_up_exps.weight", w(x, f, e))
        writer.add_tensor(b + "ffn_down_exps.weight", w(x, e, f))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def make_mamba(src: GGUFReader, out: str) -> None:
    rng = np.random.default_rng(SEED + 1)
    e, d_inner, d_state, d_conv, dt_rank, n_layer = 64, 128, 16, 4, 4, 2
    writer = GGUFWriter(out, arch="mamba")
    writer.add_name("plait tiny Mamba (random weights, test fixture)")
    writer.add_context_length(1024)
    writer.add_embedding_length(e)
    writer.add_feed_forward_length(0)
    writer.add_head_count(0)
    writer.add_block_count(n_layer)
    writer.add_ssm_conv_kernel(d_conv)
    writer.add_ssm_inner_size(d_inner)
    writer.add_ssm_state_size(d_state)
    writer.add_ssm_time_step_rank(dt_rank)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    n_vocab = copy_tokenizer(src, writer)

    def w(*shape):
        return (rng.standard_normal(shape) / np.sqrt(shape[-1])).astype(np.float32)

    writer.add_tensor("token_embd.weight", w(n_vocab, e))
    writer.add_tensor("output_norm.weight", np.ones(e, dtype=np.float32))
    for i in range(n_layer):
        b = f"blk.{i}."
        writer.add_tensor(b + "attn_norm.weight", np.ones(e, dtype=np.float32))
        writer.add_tensor(b + "ssm_in.weight", w(2 * d_inner, e))
        writer.add_tensor(b + "ssm_conv1d.weight", w(d_inner, d_conv))
        writer.add_tensor(b + "ssm_conv1d.bias", np.zeros(d_inner, dtype=np.float32))
        writer.add_tensor(b + "ssm_x.weight", w(dt_rank + 2 * d_state, d_inner))
        writer.add_tensor(b + "ssm_dt.weight", w(d_inner, dt_rank))
        writer.add_tensor(b + "ssm_dt.bias", np.zeros(d_inner, dtype=np.float32))
        # A = -exp(A_log) with A_log = log(1..d_state), as Mamba initialises it.
        a = -np.tile(np.arange(1, d_state + 1, dtype=np.float32), (d_inner, 1))
        writer.add_tensor(b + "ssm_a", a)
        writer.add_tensor(b + "ssm_d", np.ones(d_inner, dtype=np.float32))
        writer.add_tensor(b + "ssm_out.weight", w(e, d_inner))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def main() -> None:
    src_path, out_dir = sys.argv[1], sys.argv[2]
    tmp = out_dir + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    src = GGUFReader(src_path)
    make_draft(src, os.path.join(tmp, DRAFT_NAME))
    make_moe(src, os.path.join(tmp, MOE_NAME))
    make_mamba(src, os.path.join(tmp, MAMBA_NAME))
    shutil.rmtree(out_dir, ignore_errors=True)
    os.rename(tmp, out_dir)


if __name__ == "__main__":
    main()
