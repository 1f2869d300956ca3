#!/usr/bin/env python3
"""Page-level scores for a PDF set from `plait eval --json` output.

`plait eval` judges files; a set of PDF manuals has few files, so its page labels live
beside it (tests/eval/NAME.pages.toml: per query, the pages that answer it as
FILE#PAGE, FILE relative to the corpus root). For each mode this reduces the query's
first ten hits (the hits `plait eval --json` records) to distinct pages in rank order
and scores them like files: recall@10, MRR@10, nDCG@10 with binary gains. Ten hits can
hold fewer than ten distinct pages, so recall@10 here is a lower bound. The BM25
baseline records no hits and is left out.

usage: scripts/eval_pages.py OUT.json PAGES.toml [--verbose]
"""
import json
import math
import sys
import tomllib
from pathlib import Path

CUTOFF = 10


def score(ranked: list[str], relevant: list[str]) -> tuple[float, float, float]:
    top = ranked[:CUTOFF]
    hits = [i for i, p in enumerate(top) if p in relevant]
    recall = len(hits) / max(len(relevant), 1)
    rr = 1.0 / (hits[0] + 1) if hits else 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i in hits)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), CUTOFF)))
    return recall, rr, dcg / ideal if ideal else 0.0


def page_of(hit: dict, files: list[str]) -> str | None:
    if hit.get("page") is None:
        return None
    path = hit["path"]
    for f in files:
        if path == f or path.endswith("/" + f):
            return f"{f}#{hit['page']}"
    return f"{path}#{hit['page']}"


def main() -> None:
    result = json.loads(Path(sys.argv[1]).read_text())
    labels = tomllib.loads(Path(sys.argv[2]).read_text())["query"]
    verbose = "--verbose" in sys.argv[3:]
    pages = {q["text"]: q["pages"] for q in labels}
    files = sorted({p.split("#")[0] for q in labels for p in q["pages"]})
    print(f"pages: {len(pages)} queries from {sys.argv[2]}")
    print("mode       recall@10  MRR@10  nDCG@10   (distinct pages of the first 10 hits)")
    modes = [m for m in ("semantic", "lexical", "hybrid") if m in result["modes"]]
    for mode in modes:
        m = result["modes"][mode]
        rows = []
        for q in m["queries"]:
            relevant = pages.get(q["query"])
            if relevant is None:
                continue
            ranked: list[str] = []
            for h in q["hits"]:
                p = page_of(h, files)
                if p is not None and p not in ranked:
                    ranked.append(p)
            s = score(ranked, relevant)
            rows.append(s)
            if verbose:
                print(f"  {mode:<8} {s[0]:>5.2f} {s[1]:>5.2f} {s[2]:>5.2f}  {q['query']}  -> "
                      f"{ranked[0] if ranked else '(nothing)'}")
        n = max(len(rows), 1)
        r, rr, nd = (sum(x[i] for x in rows) / n for i in range(3))
        print(f"{mode:<10} {r:>9.3f}  {rr:>6.3f}  {nd:>7.3f}")


if __name__ == "__main__":
    main()
