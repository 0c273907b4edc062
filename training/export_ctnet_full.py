"""Exports the full-size CT-Net (training/ctnet.py ctnet_full) to ONNX for models/ctnet-full.

Without --weights it writes RANDOM weights (seeded): for timing and integration tests only, never for findings.
With --weights <state_dict.pt> (a torch state_dict of ctnet_full, e.g. from your own training on your data) it writes a
usable model; then set the manifest's weights to "trained", thresholds and metrics from your validation data.
The ONNX file (~50 MB) is git-ignored; the manifest models/ctnet-full/model.json is the label order it follows.

Usage: /usr/bin/python3 training/export_ctnet_full.py [--out models/ctnet-full/model.onnx] [--weights w.pt] [--seed 0]
Takes about a minute and ~3 GB of memory on CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctnet  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="models/ctnet-full/model.onnx")
    ap.add_argument("--manifest", default="models/ctnet-full/model.json")
    ap.add_argument("--weights", help="state_dict (.pt) of ctnet_full; random weights when absent")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    with open(args.manifest, encoding="utf8") as f:
        manifest = json.load(f)
    n_outputs = len(manifest["labels"])
    shape = manifest["input"]["shape"]
    if tuple(shape[1:]) != ctnet.FULL_INPUT:
        sys.exit(f"{args.manifest}: input shape {shape} is not [1, 402, 420, 420]")

    torch.manual_seed(args.seed)
    model = ctnet.ctnet_full(n_outputs)
    if args.weights:
        model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.eval()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    started = time.time()
    with torch.no_grad():
        torch.onnx.export(
            model,
            torch.zeros(*shape),
            args.out,
            input_names=[manifest["input"]["name"]],
            output_names=[manifest["output"]["name"]],
            opset_version=13,
            do_constant_folding=True,
        )
    print(
        json.dumps(
            {
                "out": args.out,
                "bytes": os.path.getsize(args.out),
                "parameters": ctnet.count_parameters(model),
                "weights": "trained" if args.weights else "random",
                "seconds": round(time.time() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
