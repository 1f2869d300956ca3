#!/usr/bin/env python3
"""Deterministic docs corpus for scripts/bench-serve: 2,000 Markdown files of 5 sections
(about 10k chunks), built from a fixed vocabulary so every run indexes the same text.
An optional second argument writes only the first N files (a prefix of the same corpus)."""
import os, random, sys

out = sys.argv[1]
files = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
rng = random.Random(7)
topics = ["colour", "font", "page", "image", "compression", "encryption", "annotation",
          "form", "metadata", "layout", "transparency", "rendering", "printing", "text",
          "outline", "attachment", "signature", "stream", "filter", "resolution"]
words = ("the a of to in and for with by on is are be this that from which when each "
         "document file output device profile space value table entry object data "
         "process method model level default option setting result user system").split()
for i in range(files):
    d = os.path.join(out, f"d{i // 100:02d}")
    os.makedirs(d, exist_ok=True)
    parts = [f"# Note {i}: {rng.choice(topics)} and {rng.choice(topics)}\n"]
    for s in range(5):
        t = rng.sample(topics, 3)
        body = " ".join(rng.choice(words + t) for _ in range(60))
        parts.append(f"\n## {t[0].title()} {s}\n\n{body}.\n")
    with open(os.path.join(d, f"note{i:04d}.md"), "w") as f:
        f.write("".join(parts))
