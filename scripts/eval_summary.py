#!/usr/bin/env python3
"""One table from several `plait eval --json` outputs (scripts/eval all).

usage: scripts/eval_summary.py OUT.json...
Per set and mode: nDCG@10, recall@10 and MRR@10; the mean over the sets (each set weighs
the same, whatever its number of queries) closes the table.
"""
import json
import sys
from pathlib import Path

MODES = ["bm25", "semantic", "lexical", "hybrid"]


def main() -> None:
    results = [json.loads(Path(p).read_text()) for p in sys.argv[1:]]
    print(f"{'set':<11} {'queries':>7}  {'mode':<9} {'nDCG@10':>7}  {'R@10':>6}  {'MRR@10':>6}  {'ms/query':>8}")
    sums: dict[str, list[float]] = {m: [0.0, 0.0, 0.0] for m in MODES}
    for r in results:
        name = Path(r["set"]).stem
        for mode in MODES:
            m = r["modes"].get(mode)
            if m is None:
                continue
            row = [m["ndcg_at_10"], m["recall_at_10"], m["mrr_at_10"]]
            sums[mode] = [a + b for a, b in zip(sums[mode], row)]
            print(f"{name:<11} {r['queries']:>7}  {mode:<9} {row[0]:>7.3f}  {row[1]:>6.3f}  {row[2]:>6.3f}  {m['mean_ms']:>8.1f}")
            name = ""
    n = len(results)
    if n < 2:
        return
    label = "mean"
    for mode in MODES:
        if any(mode in r["modes"] for r in results):
            row = [v / n for v in sums[mode]]
            print(f"{label:<11} {'':>7}  {mode:<9} {row[0]:>7.3f}  {row[1]:>6.3f}  {row[2]:>6.3f}")
            label = ""


if __name__ == "__main__":
    main()
