"""Trains the CT-Net-style demo model (training/ctnet.py ctnet_small) on phantom volumes and exports it to ONNX with its
manifest into models/ctnet-phantom/. SYNTHETIC TRAINING DATA: the model is a demonstration, not for clinical use.

Inputs come from training/make_phantom_dataset.ts (volumes preprocessed by the product's own volume pipeline, labels
extracted from each phantom's report by the product's own extractor):
    node --import tsx training/make_phantom_dataset.ts --split train --out DATA
    node --import tsx training/make_phantom_dataset.ts --split validation --out DATA
Then:
    /usr/bin/python3 training/train_phantom.py --data DATA [--out models/ctnet-phantom] [--epochs 40] [--threads 2]
Method (after method.md "Training"): BCE on logits, Adam (or --optimizer sgd: lr 1e-3, momentum 0.99 as published),
augmentation by random left-right flips, 90-degree axial rotations and crop jitter, early stopping on validation loss
(or, with --select auroc, on mean validation AUROC, which every epoch logs per label). Options not in the published
CT-Net (--pool, --reducer volumetric, --schedule cosine, --pos-weight) are off by default; training/README.md lists
what they gave.
Per-label operating thresholds are chosen on the validation set (Youden's J). Test-set metrics are added afterwards by
`ct-fhir eval-model ... --update-manifest` on held-out phantom seeds, through the full DICOM path.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctnet  # noqa: E402

PAD = -0.449  # the model-input value of the pad (volume minimum, -1000 HU, after scale and centring)


def load(data: str, split: str) -> tuple[torch.Tensor, torch.Tensor, dict]:
    # Volumes stay float16 in memory (1000 x 96 x 128 x 128 is 3 GB as half, 6 GB as float); batches become float32.
    x = torch.from_numpy(np.load(os.path.join(data, f"{split}-volumes.npy")))
    y = torch.from_numpy(np.load(os.path.join(data, f"{split}-labels.npy")).astype(np.float32))
    with open(os.path.join(data, f"{split}-meta.json"), encoding="utf8") as f:
        meta = json.load(f)
    return x, y, meta


def augment(x: torch.Tensor, g: torch.Generator, jitter: int, rotate: float) -> torch.Tensor:
    """Random left-right flip, 90-degree axial rotation and crop jitter (pad with PAD, shift, crop) per volume."""
    out = torch.empty(x.shape, dtype=torch.float32)
    z, h, w = x.shape[1:]
    for i in range(x.shape[0]):
        v = x[i].float()
        if torch.rand(1, generator=g).item() < 0.5:
            v = torch.flip(v, dims=[2])
        if torch.rand(1, generator=g).item() < rotate:
            k = int(torch.randint(1, 4, (1,), generator=g).item())
            v = torch.rot90(v, k, dims=[1, 2])
        if jitter > 0:
            p = nn.functional.pad(v, (jitter, jitter, jitter, jitter, jitter, jitter), value=PAD)
            dz, dy, dx = (int(torch.randint(0, 2 * jitter + 1, (1,), generator=g).item()) for _ in range(3))
            v = p[dz : dz + z, dy : dy + h, dx : dx + w]
        out[i] = v
    return out


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int) -> tuple[float, np.ndarray]:
    model.eval()
    loss_fn = nn.BCEWithLogitsLoss(reduction="sum")
    total = 0.0
    probs = []
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            logits = model(x[i : i + batch].float())
            total += loss_fn(logits, y[i : i + batch]).item()
            probs.append(torch.sigmoid(logits).numpy())
    return total / (x.shape[0] * y.shape[1]), np.concatenate(probs)


def auroc(p: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve by the rank-sum (Mann-Whitney) statistic, ties counted half; nan if a class is missing."""
    pos, neg = p[y == 1], p[y == 0]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (pos.size * neg.size))


def youden_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """Threshold maximising sensitivity + specificity - 1 on validation data (0.5 when a class is missing)."""
    pos, neg = y == 1, y == 0
    if pos.sum() == 0 or neg.sum() == 0:
        return 0.5
    best, best_t = -1.0, 0.5
    for t in np.unique(p):
        j = (p[pos] >= t).mean() + (p[neg] < t).mean() - 1
        if j > best:
            best, best_t = j, float(t)
    # midway to the next lower score keeps the point but is less brittle than the exact score
    lower = p[p < best_t]
    return round(float((best_t + lower.max()) / 2) if lower.size else best_t, 4)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--recipe", default="training/phantom_recipe.json")
    ap.add_argument("--out", default="models/ctnet-phantom")
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--patience", type=int, default=6)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    ap.add_argument("--schedule", choices=["constant", "cosine"], default="constant",
                    help="cosine: one linear warm-up epoch, then cosine decay of the learning rate to 0 at --epochs")
    ap.add_argument("--pos-weight", choices=["none", "sqrt", "balanced"], default="none",
                    help="BCE weight of positives per label: none, sqrt(neg/pos) or neg/pos from the training labels")
    ap.add_argument("--select", choices=["loss", "auroc"], default="loss",
                    help="model selection and early stopping on validation loss or mean validation AUROC")
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--dropout", type=float, default=0.5, help="head dropout (published CT-Net: 0.5)")
    ap.add_argument("--pool", nargs="?", const="max", default="none", choices=["none", "max", "avg"],
                    help="spatial pooling before the head, not in CT-Net (--pool alone: max)")
    ap.add_argument("--reducer", choices=["ctnet", "volumetric"], default="ctnet",
                    help="ctnet: 3D convs with the chunk axis as channels (published); volumetric: 3D convs over "
                         "(chunk, h, w) with batch norm (not in CT-Net)")
    ap.add_argument("--jitter", type=int, default=3)
    ap.add_argument("--rotate", type=float, default=0.25, help="probability of a 90-degree axial rotation")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-minutes", type=float, default=0, help="wall-clock budget; 0 = none (shared CPUs)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    with open(args.recipe, encoding="utf8") as f:
        recipe = json.load(f)
    xt, yt, mt = load(args.data, "train")
    xv, yv, mv = load(args.data, "validation")
    labels = recipe["labels"]
    if mt["labels"] != labels or mv["labels"] != labels:
        sys.exit("data set labels differ from the recipe; rebuild the data set")
    shape = tuple(recipe["preprocessing"]["shape"])
    model = ctnet.ctnet_small(shape, len(labels), args.width, args.dropout, args.pool, args.reducer)
    if args.optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-5)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.99)
    pos = yt.sum(0).clamp(min=1)
    ratio = (yt.shape[0] - pos) / pos
    weight = {"none": None, "sqrt": ratio.sqrt(), "balanced": ratio}[args.pos_weight]
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=weight)
    steps_per_epoch = (xt.shape[0] + args.batch - 1) // args.batch
    total_steps = steps_per_epoch * args.epochs

    def lr_at(step: int) -> float:
        if args.schedule == "constant":
            return args.lr
        if step < steps_per_epoch:
            return args.lr * (step + 1) / steps_per_epoch
        t = (step - steps_per_epoch) / max(1, total_steps - steps_per_epoch)
        return args.lr * 0.5 * (1 + np.cos(np.pi * min(1.0, t)))

    # best = (score to minimise, weights, epoch): validation loss, or minus the mean validation AUROC
    best: tuple[float, dict | None, int] = (float("inf"), None, 0)
    step = 0
    history = []
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(xt.shape[0], generator=g)
        total = 0.0
        for i in range(0, len(order), args.batch):
            idx = order[i : i + args.batch]
            xb = augment(xt[idx], g, args.jitter, args.rotate)
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
            step += 1
            opt.zero_grad()
            loss = loss_fn(model(xb), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        val_loss, pv_epoch = evaluate(model, xv, yv, 16)
        per_label = [auroc(pv_epoch[:, i], yv.numpy()[:, i]) for i in range(len(labels))]
        val_auroc = float(np.nanmean(per_label))
        history.append({"epoch": epoch, "lr": round(lr_at(step - 1), 6), "train_loss": round(total / len(order), 5),
                        "val_loss": round(val_loss, 5), "val_auroc": round(val_auroc, 4),
                        "val_auroc_per_label": {c: round(a, 3) for c, a in zip(labels, per_label)},
                        "seconds": round(time.time() - started)})
        print(json.dumps(history[-1]), flush=True)
        score = val_loss if args.select == "loss" else -val_auroc
        if score < best[0]:
            best = (score, copy.deepcopy(model.state_dict()), epoch)
        elif epoch - best[2] >= args.patience:
            print(f"early stop: no validation improvement for {args.patience} epochs", flush=True)
            break
        per_epoch = (time.time() - started) / epoch
        if args.max_minutes and time.time() - started + per_epoch > args.max_minutes * 60:
            print(f"stop: the next epoch would pass the {args.max_minutes}-minute budget", flush=True)
            break
    model.load_state_dict(best[1])
    model.eval()
    _, pv = evaluate(model, xv, yv, 16)
    yv_np = yv.numpy()
    val_per_label = {c: round(auroc(pv[:, i], yv_np[:, i]), 4) for i, c in enumerate(labels)}
    thresholds = [youden_threshold(pv[:, i], yv_np[:, i]) for i in range(len(labels))]

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros(1, *shape), onnx_path, input_names=["volume"], output_names=["logits"],
                          opset_version=13, do_constant_folding=True)
    size = os.path.getsize(onnx_path)
    if size > 25 * 2**20:
        sys.exit(f"{onnx_path} is {size} bytes, over the 25 MB limit")
    seconds = round(time.time() - started)
    manifest = {
        "$comment": "Written by training/train_phantom.py; metrics by `ct-fhir eval-model --update-manifest`. SYNTHETIC DATA ONLY.",
        "schema": "ct-fhir.model/1",
        "name": recipe["name"],
        "version": args.version,
        "description": "Demonstration CT-Net-style classifier for the phantom findings, trained on synthetic phantoms only. NOT FOR CLINICAL USE.",
        "architecture": f"training/ctnet.py ctnet_small({list(shape)}, {len(labels)}, width={args.width}, dropout={args.dropout}, pool={args.pool}, reducer={args.reducer!r}): {len(labels)} outputs, {ctnet.count_parameters(model)} parameters",
        "synthetic": True,
        "weights": "trained",
        "file": "model.onnx",
        "input": {"name": "volume", "shape": [1, *shape], "dtype": "float32"},
        "output": {"name": "logits", "activation": "sigmoid"},
        "preprocessing": recipe["preprocessing"],
        "labels": [{"abnormality": c, "location": None, "threshold": t} for c, t in zip(labels, thresholds)],
        "training": {
            "data": "Synthetic chest CT phantoms (src/imaging/phantom, random findings per seed), written as DICOM and preprocessed by the product's volume pipeline; labels extracted from each phantom's generated report by the product's report extractor. No patient data.",
            "synthetic": True,
            "recipe": "training/make_phantom_dataset.ts + training/train_phantom.py (training/phantom_recipe.json)",
            "cases": {"train": int(xt.shape[0]), "validation": int(xv.shape[0])},
        },
        "intendedUse": "Demonstration and integration testing of the ct-fhir imaging path on synthetic phantoms. Trained on synthetic data; not for clinical use.",
        "limitations": [
            "Trained only on synthetic phantoms from this project; it has never seen a patient CT and its outputs on real scans are meaningless.",
            "Recognises only the phantom findings listed in labels, without location.",
            "Coarse input grid (7.8 x 5.6 x 5.6 mm): findings smaller than a few millimetres are not resolved.",
            "Operating thresholds were chosen on synthetic validation phantoms (Youden's J).",
        ],
    }
    with open(os.path.join(args.out, "model.json"), "w", encoding="utf8") as f:
        f.write(json.dumps(manifest, indent=2) + "\n")
    log = {"args": vars(args), "best_epoch": best[2], "selected_on": args.select, "best_score": round(best[0], 5),
           "validation_auroc": val_per_label, "seconds": seconds, "onnx_bytes": size, "history": history}
    with open(os.path.join(args.out, "training-log.json"), "w", encoding="utf8") as f:
        f.write(json.dumps(log, indent=2) + "\n")
    print(json.dumps({"out": args.out, "onnx_bytes": size, "best_epoch": best[2], "seconds": seconds}))


if __name__ == "__main__":
    main()
