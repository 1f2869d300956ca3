#!/usr/bin/env python3
"""Runs `plait summarize --json` over fixture documents with several role sets and prints
the faithfulness figures side by side (see scripts/bench-summary)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOCS = {
    "gs9": ("fixtures/ghostscript/GS9_Color_Management.pdf", "whitepaper, 42 pages"),
    "vicksburg": ("fixtures/pypdf/Seige_of_Vicksburg_Sample_OCR.pdf", "pypdf PDF, 6 pages"),
    "pdflatex": ("fixtures/pypdf/pdflatex-outline.pdf", "pypdf PDF, 4 pages"),
    "rg-guide": ("fixtures/ripgrep/GUIDE.md", "long Markdown, 40 KB"),
    "linn": ("fixtures/ocrmypdf/linn.pdf", "OCR'd scan, 1 page"),
}

Q05 = "models/gguf/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
Q15 = "models/gguf/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
SMOL = "models/gguf/SmolLM2-135M-Instruct.Q4_1.gguf"

LOOKUP = """
[roles.{name}.speculation]
kind = "lookup"
ngram_max = 4
ngram_min = 2
n_draft_max = 16
n_draft_min = 2
"""


def role(name: str, model: str, context: int, max_tokens: int, penalty: float) -> str:
    return (
        f'[roles.{name}]\nmodel = "{model}"\ncontext = {context}\nthreads = 2\n'
        f"max_tokens = {max_tokens}\ntemperature = 0.0\nrepeat_penalty = {penalty}\nno_repeat_ngram = 8\n"
        + LOOKUP.format(name=name)
    )


ROLES = "format_version = 1\n\n" + "\n".join(
    [
        role("bench_q05_final", Q05, 8192, 320, 1.05),
        role("bench_q05_worker", Q05, 3072, 120, 1.05),
        role("bench_q15_worker", Q15, 3072, 120, 1.05),
    ]
)

# name -> (summarizer role, worker role, what it is[, extra summarize flags])
SETS = {
    "smollm2": ("fast", "fast", "SmolLM2-135M both phases (the old default)"),
    "qwen0.5b": ("bench_q05_final", "bench_q05_worker", "Qwen2.5-Coder-0.5B both phases"),
    "qwen1.5b": ("ingest_long_context", "bench_q15_worker", "Qwen2.5-Coder-1.5B both phases"),
    "default": ("ingest_long_context", "worker_summarize", "1.5B final, 0.5B map notes (default)"),
    "full-read": ("ingest_long_context", "worker_summarize",
                  "the default roles, the map phase reading every sentence", ["--map-share", "1"]),
}


def run(plait: str, home: str, roles: Path, doc: Path, spec: tuple,
        threads: int | None) -> tuple[dict | None, float, str]:
    summarizer, worker = spec[0], spec[1]
    cmd = [plait, "summarize", str(doc), "--json", "--roles", str(roles),
           "--role", summarizer, "--worker-role", worker] + (list(spec[3]) if len(spec) > 3 else [])
    if threads:
        cmd += ["--threads", str(threads)]
    start = time.monotonic()
    res = subprocess.run(cmd, capture_output=True, text=True, env={"PLAIT_HOME": home, "PATH": "/usr/bin:/bin"})
    wall = time.monotonic() - start
    if res.returncode != 0:
        return None, wall, res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "failed"
    return json.loads(res.stdout), wall, ""


def phase_rates(s: dict) -> str:
    out = []
    for p in s["phases"]:
        prefill = (p["prompt_tokens"] - p["reused_prompt_tokens"]) / p["prompt_seconds"] if p["prompt_seconds"] else 0
        out.append(f"{p['phase']} {prefill:.0f}/{p['tokens_per_second']:.1f}")
    return ", ".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--home", required=True)
    ap.add_argument("--plait", required=True)
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--docs", default=",".join(DOCS))
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--show", action="store_true", help="print each summary")
    args = ap.parse_args()
    sets = [s for s in args.sets.split(",") if s]
    docs = [d for d in args.docs.split(",") if d]
    with tempfile.TemporaryDirectory() as tmp:
        roles = Path(tmp) / "roles.toml"
        roles.write_text(ROLES)
        print("role sets:")
        for s in sets:
            print(f"  {s:<9} {SETS[s][2]} (roles {SETS[s][0]} + {SETS[s][1]})")
        print()
        header = (f"{'doc':<10} {'set':<9} {'mode':<10} {'inv':>3} {'unsup':>6} {'cover':>6} "
                  f"{'rep':>3} {'sent':>4} {'drop':>4} {'words':>5} {'wall s':>7}  prefill/decode tok/s per phase; reused prompt share")
        print(header)
        print("-" * len(header))
        totals: dict[str, list] = {s: [] for s in sets}
        for d in docs:
            path = Path(args.home) / DOCS[d][0]
            for s in sets:
                summary, wall, err = run(args.plait, args.home, roles, path, SETS[s], args.threads)
                if summary is None:
                    print(f"{d:<10} {s:<9} FAILED: {err}")
                    continue
                f = summary["faithfulness"]
                reused = sum(p["reused_prompt_tokens"] for p in summary["phases"])
                prompt = sum(p["prompt_tokens"] for p in summary["phases"])
                print(f"{d:<10} {s:<9} {summary['mode']:<10} {len(f['invented_identifiers']):>3} "
                      f"{f['unsupported_share']:>6.2f} {f['coverage']:>6.2f} {f['repeated']:>3} "
                      f"{f['sentences']:>4} {len(summary['dropped']):>4} {f['words']:>5} {wall:>7.1f}  "
                      f"{phase_rates(summary)}; {reused / max(prompt, 1):.2f}", flush=True)
                if f["invented_identifiers"]:
                    print(f"{'':<21}invented: {', '.join(f['invented_identifiers'])}")
                if args.show:
                    print(f"{'':<21}{summary['text']}\n")
                    for dr in summary["dropped"]:
                        print(f"{'':<21}dropped: {dr['text']!r} {dr['check']}")
                totals[s].append((f, wall))
        print()
        print("per set, over the documents above: invented ids (total), mean unsupported share, "
              "mean coverage, repeated (total), wall s (total)")
        for s, rows in totals.items():
            if not rows:
                continue
            n = len(rows)
            print(f"  {s:<9} {sum(len(f['invented_identifiers']) for f, _ in rows):>3} "
                  f"{sum(f['unsupported_share'] for f, _ in rows) / n:>6.2f} "
                  f"{sum(f['coverage'] for f, _ in rows) / n:>6.2f} "
                  f"{sum(f['repeated'] for f, _ in rows):>3} {sum(w for _, w in rows):>8.1f}")
        print("\ngoal for the default set on every document: 0 invented, unsupported <= 0.10, "
              "coverage >= 0.60, 0 repeated")


if __name__ == "__main__":
    sys.exit(main())
