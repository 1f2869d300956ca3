#!/usr/bin/env python3
"""Per-language nDCG@10 from `plait eval --json` output over tests/eval/multilang.toml.

A query's language is the first path component of its first relevant file.
usage: scripts/eval-multilang --json > out.json; scripts/eval_by_language.py out.json
"""
import json
import sys
import tomllib
from pathlib import Path

SET = Path(__file__).resolve().parent.parent / "tests/eval/multilang.toml"


def main() -> None:
    result = json.load(open(sys.argv[1]))
    queries = tomllib.loads(SET.read_text())["query"]
    lang_of = {q["text"]: q["relevant"][0].split("/")[0] for q in queries}
    langs = sorted(set(lang_of.values()))
    print("mode      nDCG@10  R@10   MRR@10 | " + " ".join(f"{l[:10]:>10}" for l in langs))
    for mode, m in result["modes"].items():
        per: dict[str, list[float]] = {l: [] for l in langs}
        for q in m["queries"]:
            per[lang_of[q["query"]]].append(q["scores"]["ndcg"])
        cells = " ".join(f"{sum(v) / len(v):>10.3f}" for v in per.values())
        print(f"{mode:<9} {m['ndcg_at_10']:.3f}    {m['recall_at_10']:.3f}  "
              f"{m['mrr_at_10']:.3f}  | {cells}")


if __name__ == "__main__":
    main()
