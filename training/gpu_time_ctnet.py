"""Times the full-size CT-Net forward pass (random weights, batch 1, input 1 x 402 x 420 x 420) in PyTorch.

Needs only torch (and training/ctnet.py beside it). One command on a GPU machine:
    python3 training/gpu_time_ctnet.py --runs 20 --warmup 5
Prints one JSON line: device, torch/CUDA versions, median / p10 / p90 milliseconds for fp32 and for autocast fp16,
peak GPU memory per precision. Falls back to CPU (with "device": "cpu") when CUDA is absent, so it can be smoke-tested
anywhere (use --runs 1 --warmup 0 there: one CPU pass takes tens of seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctnet  # noqa: E402


def time_forward(model: torch.nn.Module, x: torch.Tensor, runs: int, warmup: int, fp16: bool) -> dict:
    cuda = x.is_cuda
    ctx = torch.autocast("cuda", dtype=torch.float16) if (fp16 and cuda) else torch.autocast("cpu", enabled=False)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    times: list[float] = []
    with torch.inference_mode(), ctx:
        for i in range(warmup + runs):
            if cuda:
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            out = model(x)
            if cuda:
                torch.cuda.synchronize()
            ms = (time.perf_counter() - t0) * 1000
            if i >= warmup:
                times.append(ms)
    if not torch.isfinite(out.float()).all():
        raise SystemExit("non-finite output")
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))]  # noqa: E731
    res = {"median_ms": round(statistics.median(times), 2), "p10_ms": round(q(0.1), 2), "p90_ms": round(q(0.9), 2)}
    res["runs"] = runs
    if cuda:
        res["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--no-fp16", action="store_true")
    args = ap.parse_args()

    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    if cuda:
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    model = ctnet.ctnet_full().eval().to(device)
    x = torch.rand(1, *ctnet.FULL_INPUT, device=device) - 0.449
    result = {
        "bench": "ctnet-full-forward",
        "device": torch.cuda.get_device_name(0) if cuda else "cpu",
        "torch": torch.__version__,
        "cuda": torch.version.cuda if cuda else None,
        "input": [1, *ctnet.FULL_INPUT],
        "outputs": ctnet.FULL_OUTPUTS,
        "parameters": ctnet.count_parameters(model),
        "weights": "random",
        "fp32": time_forward(model, x, args.runs, args.warmup, fp16=False),
    }
    if cuda and not args.no_fp16:
        result["fp16_autocast"] = time_forward(model, x, args.runs, args.warmup, fp16=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
