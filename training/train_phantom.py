"""Trains the CT-Net-style demo model (training/ctnet.py ctnet_small) on phantom volumes and exports it to ONNX with its
manifest into models/ctnet-phantom/. SYNTHETIC TRAINING DATA: the model is a demonstration, not for clinical use.

Inputs come from training/make_phantom_dataset.ts (volumes preprocessed by the product's own volume pipeline, labels
extracted from each phantom's report by the product's own extractor):
    node --import tsx training/make_phantom_dataset.ts --split train --out DATA
    node --import tsx training/make_phantom_dataset.ts --split validation --out DATA
Then:
    /usr/bin/python3 training/train_phantom.py --data DATA [DATA2 ...] [--out models/ctnet-phantom] [--epochs 40]
Several --data folders (shards built in parallel) are concatenated per split. --device auto trains on CUDA when
present (bfloat16 autocast, data kept on the GPU as float16), else on CPU with --threads.
Method (after method.md "Training"): BCE on logits, Adam (or --optimizer sgd: lr 1e-3, momentum 0.99 as published),
augmentation by random left-right flips, 90-degree axial rotations and crop jitter, early stopping on validation loss
(or, with --select auroc, on mean validation AUROC, which every epoch logs per label). Options not in the published
CT-Net (--pool, --reducer volumetric, --schedule cosine, --pos-weight) are off by default; training/README.md lists
what they gave.
Per-label operating thresholds are chosen on the validation set (Youden's J). Test-set metrics are added afterwards by
`ct-fhir eval-model ... --update-manifest` on held-out phantom seeds, through the full DICOM path.

--checkpoint FILE keeps the best weights so far (and, at the end, the validation scores and thresholds) in one file, so
a run cut short by a time-boxed machine still leaves a usable model; `--export-from FILE` writes the model folder from
such a file on any machine (no data needed).
"""

from __future__ import annotations

import argparse
import copy
import inspect
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctnet  # noqa: E402

PAD = -0.449  # the model-input value of the pad (volume minimum, -1000 HU, after scale and centring)


def load(dirs: list[str], split: str, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """One split from the data set folders (shards) that hold it, concatenated in the order given, on `device`. Volumes stay
    float16 (1000 x 96 x 128 x 128 is 3 GB as half, 6 GB as float; batches become float32) and are copied shard by
    shard from memory-mapped files, so host memory never holds two copies (parallel runs share the page cache)."""
    shards, ys, seeds, skipped, labels = [], [], [], [], None
    for d in dirs:
        if not os.path.exists(os.path.join(d, f"{split}-meta.json")):
            continue  # a shard holds one split or several
        shards.append(np.load(os.path.join(d, f"{split}-volumes.npy"), mmap_mode="r"))
        ys.append(torch.from_numpy(np.load(os.path.join(d, f"{split}-labels.npy")).astype(np.float32)))
        with open(os.path.join(d, f"{split}-meta.json"), encoding="utf8") as f:
            meta = json.load(f)
        if labels is not None and meta["labels"] != labels:
            sys.exit(f"{d}: {split} labels differ from the other shards")
        labels = meta["labels"]
        seeds += meta["seeds"]
        skipped += meta["skipped"]
    if not shards:
        sys.exit(f"no {split} split in {', '.join(dirs)}")
    if len(set(seeds)) != len(seeds):
        sys.exit(f"{split}: the shards share seeds")
    x = torch.empty((sum(s.shape[0] for s in shards), *shards[0].shape[1:]), dtype=torch.float16, device=device)
    n = 0
    for s in shards:
        for i in range(0, s.shape[0], 64):
            part = torch.from_numpy(np.array(s[i : i + 64]))  # a writable copy of 64 volumes
            x[n : n + part.shape[0]] = part.to(device)
            n += part.shape[0]
    return x, torch.cat(ys).to(device), {"labels": labels, "seeds": seeds, "skipped": skipped}


def augment(x: torch.Tensor, g: torch.Generator, jitter: int, rotate: float) -> torch.Tensor:
    """Per volume of a batch [B, z, y, x], on the batch's device: random left-right flip, 90-degree axial rotation
    (square slices only) and crop jitter (pad with PAD, shift, crop). Random draws come from the CPU generator g."""
    x = x.float()
    b, z, h, w = x.shape
    flip = (torch.rand(b, generator=g) < 0.5).to(x.device)
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    if rotate > 0 and h == w:
        turns = torch.randint(1, 4, (b,), generator=g)
        rot = torch.rand(b, generator=g) < rotate
        x = torch.stack([torch.rot90(x[i], int(turns[i]), dims=[1, 2]) if rot[i] else x[i] for i in range(b)])
    if jitter > 0:
        p = nn.functional.pad(x, (jitter,) * 6, value=PAD)
        shift = torch.randint(0, 2 * jitter + 1, (b, 3), generator=g).tolist()
        x = torch.stack([p[i, dz : dz + z, dy : dy + h, dx : dx + w] for i, (dz, dy, dx) in enumerate(shift)])
    return x


def autocast(device: torch.device):
    """bfloat16 autocast on CUDA (the exported model stays float32); nothing on CPU."""
    return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int) -> tuple[float, np.ndarray]:
    model.eval()
    device = next(model.parameters()).device
    loss_fn = nn.BCEWithLogitsLoss(reduction="sum")
    total = 0.0
    probs = []
    with torch.no_grad(), autocast(device):
        for i in range(0, x.shape[0], batch):
            logits = model(x[i : i + batch].float()).float()
            total += loss_fn(logits, y[i : i + batch]).item()
            probs.append(torch.sigmoid(logits).cpu().numpy())
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


def build_model(args: argparse.Namespace | dict, shape: tuple[int, int, int], n_labels: int) -> nn.Module:
    a = args if isinstance(args, dict) else vars(args)
    return ctnet.ctnet_small(
        shape, n_labels, a["width"], a["dropout"], a["pool"], a["reducer"], a.get("stem", "plain")
    )


def save_checkpoint(ckpt: dict, path: str) -> None:
    """Weights as tensors, everything else as one JSON string (torch 1.13's weights-only loader takes no floats);
    written to a temporary file and renamed, so a run killed mid-write leaves the previous checkpoint."""
    meta = {k: v for k, v in ckpt.items() if k != "state_dict"}
    weights = {k: v.detach().cpu() for k, v in ckpt["state_dict"].items()}
    tmp = path + ".tmp"
    torch.save({"state_dict": weights, "meta": json.dumps(meta)}, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str) -> dict:
    raw = torch.load(path, map_location="cpu", weights_only=True)
    return {**json.loads(raw["meta"]), "state_dict": raw["state_dict"]}


def export(ckpt: dict, recipe: dict, out: str) -> dict:
    """The model folder from a finished checkpoint: model.onnx (float32, opset 13), model.json, training-log.json."""
    args, labels = ckpt["args"], ckpt["labels"]
    shape = tuple(recipe["preprocessing"]["shape"])
    if list(shape) != ckpt["shape"] or labels != recipe["labels"]:
        sys.exit("the checkpoint's input shape or labels differ from the recipe")
    model = build_model(args, shape, len(labels))
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    os.makedirs(out, exist_ok=True)
    onnx_path = os.path.join(out, "model.onnx")
    # torch >= 2.9 exports with dynamo by default (newer opsets); the TorchScript exporter keeps opset 13
    kwargs = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros(1, *shape), onnx_path, input_names=["volume"], output_names=["logits"],
                          opset_version=13, do_constant_folding=True, **kwargs)
    size = os.path.getsize(onnx_path)
    if size > 25 * 2**20:
        sys.exit(f"{onnx_path} is {size} bytes, over the 25 MB limit")
    spacing = " x ".join(f"{s:g}" for s in recipe["preprocessing"]["spacing"])
    manifest = {
        "$comment": "Written by training/train_phantom.py; metrics by `ct-fhir eval-model --update-manifest`. SYNTHETIC DATA ONLY.",
        "schema": "ct-fhir.model/1",
        "name": recipe["name"],
        "version": args["version"],
        "description": "Demonstration CT-Net-style classifier for the phantom findings, trained on synthetic phantoms only. NOT FOR CLINICAL USE.",
        "architecture": f"training/ctnet.py ctnet_small({list(shape)}, {len(labels)}, width={args['width']}, dropout={args['dropout']}, pool={args['pool']}, reducer={args['reducer']!r}, stem={args.get('stem', 'plain')!r}): {len(labels)} outputs, {ctnet.count_parameters(model)} parameters",
        "synthetic": True,
        "weights": "trained",
        "file": "model.onnx",
        "input": {"name": "volume", "shape": [1, *shape], "dtype": "float32"},
        "output": {"name": "logits", "activation": "sigmoid"},
        "preprocessing": recipe["preprocessing"],
        "labels": [{"abnormality": c, "location": None, "threshold": t} for c, t in zip(labels, ckpt["thresholds"])],
        "training": {
            "data": "Synthetic chest CT phantoms (src/imaging/phantom, random findings per seed), written as DICOM and preprocessed by the product's volume pipeline; labels extracted from each phantom's generated report by the product's report extractor. No patient data.",
            "synthetic": True,
            "recipe": "training/make_phantom_dataset.ts + training/train_phantom.py (training/phantom_recipe.json)",
            "cases": ckpt["cases"],
            "device": ckpt["device"],
        },
        "intendedUse": "Demonstration and integration testing of the ct-fhir imaging path on synthetic phantoms. Trained on synthetic data; not for clinical use.",
        "limitations": [
            "Trained only on synthetic phantoms from this project; it has never seen a patient CT and its outputs on real scans are meaningless.",
            "Recognises only the phantom findings listed in labels, without location.",
            f"Input grid {spacing} mm (z x y x x): findings smaller than a few millimetres are not resolved.",
            "Operating thresholds were chosen on synthetic validation phantoms (Youden's J).",
        ],
    }
    with open(os.path.join(out, "model.json"), "w", encoding="utf8") as f:
        f.write(json.dumps(manifest, indent=2) + "\n")
    log = {k: ckpt[k] for k in ("args", "best_epoch", "selected_on", "best_score", "validation_auroc", "seconds",
                                "device", "cases", "history")}
    log["onnx_bytes"] = size
    with open(os.path.join(out, "training-log.json"), "w", encoding="utf8") as f:
        f.write(json.dumps(log, indent=2) + "\n")
    return {"out": out, "onnx_bytes": size, "best_epoch": ckpt["best_epoch"]}


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", nargs="+", help="data set folder(s); shards are concatenated per split")
    ap.add_argument("--recipe", default="training/phantom_recipe.json")
    ap.add_argument("--out", default="models/ctnet-phantom")
    ap.add_argument("--no-export", action="store_true", help="train and write --checkpoint only")
    ap.add_argument("--export-from", metavar="CKPT", help="write --out from a finished --checkpoint file; no training")
    ap.add_argument("--checkpoint", help="file that holds the best weights so far and, at the end, the thresholds")
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--patience", type=int, default=6)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    ap.add_argument("--schedule", choices=["constant", "cosine"], default="constant",
                    help="cosine: one linear warm-up epoch, then cosine decay of the learning rate to 0 at --epochs "
                         "(with --max-minutes, at the last epoch that fits the budget as timed on epoch 2)")
    ap.add_argument("--pos-weight", choices=["none", "sqrt", "balanced"], default="none",
                    help="BCE weight of positives per label: none, sqrt(neg/pos) or neg/pos from the training labels")
    ap.add_argument("--select", choices=["loss", "auroc"], default="loss",
                    help="model selection and early stopping on validation loss or mean validation AUROC")
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--dropout", type=float, default=0.5, help="head dropout (published CT-Net: 0.5)")
    ap.add_argument("--pool", nargs="?", const="max", default="none", choices=["none", "max", "avg", "avgmax"],
                    help="pooling before the head, not in CT-Net (--pool alone: max; avgmax: global average and max, "
                         "volumetric reducer only)")
    ap.add_argument("--reducer", choices=["ctnet", "volumetric"], default="ctnet",
                    help="ctnet: 3D convs with the chunk axis as channels (published); volumetric: 3D convs over "
                         "(chunk, h, w) with batch norm (not in CT-Net)")
    ap.add_argument("--stem", choices=["plain", "window", "fine"], default="plain",
                    help="plain: slices straight into the 2D body (CT-Net); window: learned HU windows first "
                         "(ctnet.WindowStem, not in CT-Net); fine: first conv at full resolution, max pool /2, "
                         "last stage strided (not in CT-Net)")
    ap.add_argument("--jitter", type=int, default=3)
    ap.add_argument("--rotate", type=float, default=0.25, help="probability of a 90-degree axial rotation")
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-minutes", type=float, default=0, help="wall-clock budget for training; 0 = none")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


def main() -> None:
    args = parse_args()
    with open(args.recipe, encoding="utf8") as f:
        recipe = json.load(f)
    if args.export_from:
        ckpt = load_checkpoint(args.export_from)
        if "thresholds" not in ckpt:
            sys.exit(f"{args.export_from}: training did not finish (no thresholds); export needs a finished run")
        ckpt["args"]["version"] = args.version
        print(json.dumps(export(ckpt, recipe, args.out)))
        return
    if not args.data:
        sys.exit("--data is required (or --export-from)")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
                          else "cpu")
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    g = torch.Generator().manual_seed(args.seed)
    xt, yt, mt = load(args.data, "train", device)
    xv, yv, mv = load(args.data, "validation", device)
    labels = recipe["labels"]
    if mt["labels"] != labels or mv["labels"] != labels:
        sys.exit("data set labels differ from the recipe; rebuild the data set")
    shape = tuple(recipe["preprocessing"]["shape"])
    model = build_model(args, shape, len(labels)).to(device)
    if args.optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-5)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.99)
    pos = yt.sum(0).clamp(min=1)
    ratio = (yt.shape[0] - pos) / pos
    weight = {"none": None, "sqrt": ratio.sqrt(), "balanced": ratio}[args.pos_weight]
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=weight)
    steps_per_epoch = (xt.shape[0] + args.batch - 1) // args.batch
    epochs = args.epochs  # may shrink after epoch 1 to fit --max-minutes (cosine then ends at the last epoch)

    def lr_at(step: int) -> float:
        if args.schedule == "constant":
            return args.lr
        if step < steps_per_epoch:
            return args.lr * (step + 1) / steps_per_epoch
        total_steps = steps_per_epoch * epochs
        t = (step - steps_per_epoch) / max(1, total_steps - steps_per_epoch)
        return args.lr * 0.5 * (1 + np.cos(np.pi * min(1.0, t)))

    cases = {"train": int(xt.shape[0]), "validation": int(xv.shape[0])}
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({args.threads} threads)"
    state = {"args": vars(args), "labels": labels, "shape": list(shape), "cases": cases, "device": device_name,
             "selected_on": args.select}
    # best = (score to minimise, weights, epoch): validation loss, or minus the mean validation AUROC
    best: tuple[float, dict | None, int] = (float("inf"), None, 0)
    step = 0
    history = []
    started = time.time()
    yv_np = yv.cpu().numpy()
    epoch = 0
    while epoch < epochs:
        epoch += 1
        epoch_started = time.time()
        model.train()
        order = torch.randperm(xt.shape[0], generator=g)
        total = 0.0
        for i in range(0, len(order), args.batch):
            idx = order[i : i + args.batch].to(device)
            xb = augment(xt[idx], g, args.jitter, args.rotate)
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
            step += 1
            opt.zero_grad(set_to_none=True)
            with autocast(device):
                logits = model(xb)
            loss = loss_fn(logits.float(), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        val_loss, pv_epoch = evaluate(model, xv, yv, 32)
        per_label = [auroc(pv_epoch[:, i], yv_np[:, i]) for i in range(len(labels))]
        val_auroc = float(np.nanmean(per_label))
        history.append({"epoch": epoch, "lr": round(lr_at(step - 1), 6), "train_loss": round(total / len(order), 5),
                        "val_loss": round(val_loss, 5), "val_auroc": round(val_auroc, 4),
                        "val_auroc_per_label": {c: round(a, 3) for c, a in zip(labels, per_label)},
                        "seconds": round(time.time() - started)})
        print(json.dumps(history[-1]), flush=True)
        score = val_loss if args.select == "loss" else -val_auroc
        if score < best[0]:
            best = (score, copy.deepcopy(model.state_dict()), epoch)
            if args.checkpoint:
                save_checkpoint({**state, "state_dict": best[1], "best_epoch": epoch, "history": history}, args.checkpoint)
        elif epoch - best[2] >= args.patience:
            print(f"early stop: no validation improvement for {args.patience} epochs", flush=True)
            break
        # The latest epoch's own time: the first also holds cuDNN autotuning and warm-up, and timed alone it cut
        # the 1.2.0 lease's cosine schedules short (training/README.md), so the schedule is fitted after epoch 2.
        per_epoch = time.time() - epoch_started
        if args.max_minutes:
            fit = epoch + math.floor((args.max_minutes * 60 - (time.time() - started)) / per_epoch)
            if epoch == 2 and args.schedule == "cosine" and fit < epochs:
                epochs = max(2, fit)
                print(f"budget: {epochs} epochs fit in {args.max_minutes} minutes; cosine ends there", flush=True)
            if fit <= epoch:
                print(f"stop: the next epoch would pass the {args.max_minutes}-minute budget", flush=True)
                break
    model.load_state_dict(best[1])
    _, pv = evaluate(model, xv, yv, 32)
    val_per_label = {c: round(auroc(pv[:, i], yv_np[:, i]), 4) for i, c in enumerate(labels)}
    thresholds = [youden_threshold(pv[:, i], yv_np[:, i]) for i in range(len(labels))]
    ckpt = {**state, "state_dict": best[1], "best_epoch": best[2],
            "best_score": round(best[0], 5), "history": history, "validation_auroc": val_per_label,
            "thresholds": thresholds, "seconds": round(time.time() - started)}
    if args.checkpoint:
        save_checkpoint(ckpt, args.checkpoint)
    summary = {"best_epoch": best[2], "validation_mean_auroc": round(float(np.nanmean(list(val_per_label.values()))), 4),
               "seconds": ckpt["seconds"]}
    if not args.no_export:
        summary.update(export(ckpt, recipe, args.out))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
