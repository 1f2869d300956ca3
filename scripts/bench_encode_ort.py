#!/usr/bin/env python3
"""The Python ceiling of the encoding benchmark (`crates/colbert/benches/encode.rs`).

Encodes the benchmark texts with Python `onnxruntime` the way `OnnxEncoder` does:
[CLS] prefix body [SEP] ids from `tokenizer.json` (no truncation or padding by the
tokenizer), truncated to `document_length`, sorted by length (stable) into batches padded
to their longest text, skiplist tokens dropped and rows L2-normalised. Times the whole
encode (tokenisation, inference, normalisation) after one warm-up batch and prints one
JSON line. Needs onnxruntime==1.31.1, tokenizers and numpy (`scripts/bench-encode`
prepares target/bench-venv).

    bench_encode_ort.py --model-dir DIR --texts FILE.jsonl [--threads N] [--batch B]
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

ORT_VERSION = "1.31.1"


def prefix_ids(tok, prefix):
    trimmed = prefix.strip()
    if not trimmed:
        return []
    tid = tok.token_to_id(trimmed)
    if tid is not None:
        return [tid]
    return tok.encode(trimmed, add_special_tokens=False).ids


class Encoder:
    def __init__(self, model_dir, threads, batch):
        with open(f"{model_dir}/onnx_config.json", encoding="utf-8") as f:
            self.cfg = json.load(f)
        self.tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
        self.tok.no_padding()
        self.tok.no_truncation()
        self.prefix = prefix_ids(self.tok, self.cfg.get("document_prefix", ""))
        self.max_len = self.cfg["document_length"]
        skip = [self.tok.token_to_id(w) for w in self.cfg.get("skiplist_words", [])]
        self.skiplist = np.array(sorted({t for t in skip if t is not None}), dtype=np.int64)
        self.pad = self.cfg.get("pad_token_id", 0)
        self.token_types = self.cfg.get("uses_token_type_ids", False)
        self.batch = batch
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # INT8 first, as OnnxEncoder prefers it.
        path = next(p for p in (f"{model_dir}/model_int8.onnx", f"{model_dir}/model.onnx") if os.path.isfile(p))
        self.sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        names = [o.name for o in self.sess.get_outputs()]
        self.output = self.cfg.get("output_name") or names[0]

    def ids(self, texts):
        room = max(self.max_len - 2 - len(self.prefix), 0)
        out = []
        for enc in self.tok.encode_batch(texts, add_special_tokens=True):
            raw = enc.ids
            out.append([raw[0], *self.prefix, *raw[1:-1][:room], raw[-1]])
        return out

    def encode(self, texts):
        ids = self.ids(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        result = [None] * len(ids)
        for start in range(0, len(order), self.batch):
            chunk = order[start : start + self.batch]
            seq = max(len(ids[i]) for i in chunk)
            input_ids = np.full((len(chunk), seq), self.pad, dtype=np.int64)
            mask = np.zeros((len(chunk), seq), dtype=np.int64)
            for r, i in enumerate(chunk):
                input_ids[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            feed = {"input_ids": input_ids, "attention_mask": mask}
            if self.token_types:
                feed["token_type_ids"] = np.zeros_like(input_ids)
            (hidden,) = self.sess.run([self.output], feed)
            norms = np.linalg.norm(hidden, axis=-1, keepdims=True)
            hidden = hidden / np.maximum(norms, 1e-12)
            keep = (mask == 1) & ~np.isin(input_ids, self.skiplist)
            for r, i in enumerate(chunk):
                result[i] = hidden[r][keep[r]]
        return result, sum(len(x) for x in ids)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--texts", required=True, help="one JSON string per line")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    if ort.__version__ != ORT_VERSION:
        print(f"bench_encode_ort: onnxruntime {ort.__version__}, expected {ORT_VERSION}", file=sys.stderr)
        sys.exit(1)
    with open(args.texts, encoding="utf-8") as f:
        texts = [json.loads(line) for line in f if line.strip()]
    enc = Encoder(args.model_dir, args.threads, args.batch)
    enc.encode(texts[: args.batch])  # warm-up: one batch
    t = time.perf_counter()
    vectors, tokens = enc.encode(texts)
    secs = time.perf_counter() - t
    total = sum(float(v.sum(dtype=np.float64)) for v in vectors)
    total_abs = sum(float(np.abs(v).sum(dtype=np.float64)) for v in vectors)
    print(
        json.dumps(
            {
                "docs": len(texts),
                "seconds": secs,
                "docs_per_s": len(texts) / secs,
                "tokens": tokens,
                "tokens_per_s": tokens / secs,
                "vectors": sum(len(v) for v in vectors),
                "sum": total,
                "abs_sum": total_abs,
                "threads": args.threads,
                "batch": args.batch,
                "onnxruntime": ort.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
