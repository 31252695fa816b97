#!/usr/bin/python3
"""Markdown table of per-epoch metrics from otfuse trainer_state.json files (training curves for docs).
Usage: curves.py DIR [DIR ...]"""
import json
import sys

states = [(d, json.load(open(d + "/trainer_state.json"))) for d in sys.argv[1:]]
keys = [k for k in states[0][1]["history"][0] if k not in ("epoch", "step", "eval_seconds", "skipped_steps")]
print("| model | epoch | " + " | ".join(keys) + " |")
print("|---|---|" + "---|" * len(keys))
for d, st in states:
    for h in st["history"]:
        cells = []
        for k in keys:
            v = h.get(k)
            cells.append("%.2f %%" % (100 * v) if "accuracy" in k else ("%.0f" % v if k in ("throughput",) or "seconds" in k else "%.4g" % v))
        print("| %s | %d | %s |" % (d.rstrip("/").split("/")[-1], h["epoch"], " | ".join(cells)))
    print("| %s | total | train %.1f min |%s" % (d.rstrip("/").split("/")[-1], st["train_seconds"] / 60, " |" * (len(keys) - 1)))
