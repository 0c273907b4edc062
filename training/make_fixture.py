"""Writes the tiny test model test/fixtures/model/tiny/model.onnx (a few KB) used by the runtime tests.

Its outputs are simple functions of m = mean(volume) so tests can predict them exactly:
  logits = [m, -m, 2m - 1, log(m)]
A constant volume of value v gives m = v; v <= 0 drives the last output to -Inf/NaN (the non-finite-output test).
Usage: /usr/bin/python3 training/make_fixture.py [out_dir]
"""

from __future__ import annotations

import os
import sys

import torch
from torch import nn


class Tiny(nn.Module):
    def forward(self, volume: torch.Tensor) -> torch.Tensor:
        m = volume.mean(dim=(1, 2, 3)).unsqueeze(1)
        return torch.cat([m, -m, 2 * m - 1, torch.log(m)], dim=1)


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/model/tiny"
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "model.onnx")
    torch.onnx.export(
        Tiny(),
        torch.zeros(1, 6, 8, 8),
        path,
        input_names=["volume"],
        output_names=["logits"],
        opset_version=13,
    )
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
