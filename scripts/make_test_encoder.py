#!/usr/bin/env python3
"""Builds the test encoder fixture from the embedded default model (run by scripts/setup).

The fixture is a model directory in the ColBERT ONNX export format that exercises what the
default does not: query and document prefix tokens ([unused0]/[unused1]), query expansion
with [MASK] to 32 tokens, and a linear projection to 96 dimensions added to the graph
(weights from a fixed seed, also written as projection.npy so tests can check the
arithmetic). Output is byte-for-byte deterministic for pinned onnx and numpy versions.

usage: make_test_encoder.py SRC_MODEL_DIR OUT_DIR
"""
import json, os, shutil, sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

DIM_OUT = 96
SEED = 20261122
MASK_ID = 103  # [MASK] in the MiniLM (BERT uncased) vocabulary

src, out = sys.argv[1], sys.argv[2]
tmp = out + ".partial"
shutil.rmtree(tmp, ignore_errors=True)
os.makedirs(tmp)

model = onnx.load(os.path.join(src, "model_int8.onnx"))
graph = model.graph
hidden = next(o for o in graph.output if o.name == "last_hidden_state")
dim_in = hidden.type.tensor_type.shape.dim[2].dim_value
assert dim_in == 384, f"expected 384-dim last_hidden_state, got {dim_in}"

w = (np.random.default_rng(SEED).standard_normal((dim_in, DIM_OUT)) / np.sqrt(dim_in)).astype(np.float32)
graph.initializer.append(numpy_helper.from_array(w, name="plait_projection"))
graph.node.append(helper.make_node("MatMul", ["last_hidden_state", "plait_projection"], ["projected"],
                                   name="plait_projection_matmul"))
dims = [d.dim_param or d.dim_value for d in hidden.type.tensor_type.shape.dim]
out_info = helper.make_tensor_value_info("projected", TensorProto.FLOAT, [dims[0], dims[1], DIM_OUT])
graph.output.remove(hidden)
graph.output.append(out_info)
onnx.checker.check_model(model)
onnx.save(model, os.path.join(tmp, "model_int8.onnx"))
np.save(os.path.join(tmp, "projection.npy"), w)

shutil.copyfile(os.path.join(src, "tokenizer.json"), os.path.join(tmp, "tokenizer.json"))
with open(os.path.join(src, "tokenizer.json")) as f:
    vocab = json.load(f)["model"]["vocab"]
# The config below names these tokens; a different vocabulary would silently change them.
for token, want in {"[unused0]": 1, "[unused1]": 2, "[MASK]": MASK_ID}.items():
    assert vocab.get(token) == want, f"tokenizer.json: {token} has id {vocab.get(token)}, expected {want}"
with open(os.path.join(src, "onnx_config.json")) as f:
    config = json.load(f)
config.update({
    "model_name": "plait test fixture: MiniLM INT8 + 96-dim projection, prefixes, query expansion",
    "output_name": "projected",
    "query_prefix": "[unused0]",
    "document_prefix": "[unused1]",
    "query_length": 32,
    "do_query_expansion": True,
    "attend_to_expansion_tokens": False,
    "mask_token_id": MASK_ID,
    "embedding_dim": DIM_OUT,
})
with open(os.path.join(tmp, "onnx_config.json"), "w") as f:
    json.dump(config, f, indent=2)
    f.write("\n")

shutil.rmtree(out, ignore_errors=True)
os.replace(tmp, out)
print(f"make_test_encoder: wrote {out}")
