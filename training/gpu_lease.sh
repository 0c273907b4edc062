#!/usr/bin/env bash
# One time-boxed GPU lease for the demo model (issue 7), as one command:
#   1. times the full-size CT-Net forward pass in PyTorch (training/gpu_time_ctnet.py) -> $OUT/gpu-time.json;
#   2. builds the phantom data set on the lease's CPUs through the product's own pipeline (a bundle of
#      training/make_phantom_dataset.ts: phantom -> DICOM -> volume pipeline; labels from the report extractor), in
#      parallel shards, each stopping after GEN_SECONDS;
#   3. trains one configuration alone on the GPU for TRAIN_MINUTES (the 1.2.0 lease ran three side by side and every
#      schedule ended while validation AUROC was still rising; training/README.md), keeping its best checkpoint
#      (validation mean AUROC) in $OUT/run.pt; RUN_ARGS picks the configuration (default: 1.2.0's C2) and EPOCHS the
#      cosine length, cut to what fits the budget as timed on epoch 2. Export it on any machine:
#      /usr/bin/python3 training/train_phantom.py --export-from $OUT/run.pt --recipe <recipe> --out models/ctnet-phantom
#
# The lease has PyTorch but no node_modules and perhaps no node; prepare a folder two levels below the repository root
# (the bundle finds terminology/ at ../../terminology) on a machine with both:
#   mkdir -p .tmp/gpu && xz -T2 -6 -c "$(command -v node)" > .tmp/gpu/node.xz
#   npx esbuild training/make_phantom_dataset.ts --bundle --platform=node --format=esm --outfile=.tmp/gpu/ds.mjs \
#     --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
# and run from the repository root there:  training/gpu_lease.sh .tmp/gpu "$OUT" [recipe.json]
set -u -o pipefail
W=${1:?usage: gpu_lease.sh <prepared folder> <out folder> [recipe]}
OUT=${2:?usage: gpu_lease.sh <prepared folder> <out folder> [recipe]}
RECIPE=${3:-training/phantom_recipe.json}
GEN_SECONDS=${GEN_SECONDS:-140}
TRAIN_MINUTES=${TRAIN_MINUTES:-5.5}
EPOCHS=${EPOCHS:-300}
RUN_ARGS=${RUN_ARGS:---width 32 --pool avg --dropout 0.2 --lr 2e-3}
DEVICE=${DEVICE:-cuda} # DEVICE=cpu: a smoke test of this script on a machine without a GPU (no CT-Net timing)
D=/dev/shm/ctfhir-ds
[ -w /dev/shm ] || D=/tmp/ctfhir-ds
mkdir -p "$D" "$OUT"
T0=$(date +%s)
say() { echo "[lease +$(($(date +%s) - T0))s] $*"; }

main() {
  NODE=$(command -v node || true)
  if [ -z "$NODE" ] || ! "$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
      "$W/node.xz" /tmp/node && chmod +x /tmp/node && NODE=/tmp/node
  fi
  say "node $("$NODE" -v), $(nproc) CPUs, $(nvidia-smi -L 2>&1 | head -1), data in $D"
  read -r TF TN VF VN < <(python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["seeds"]
print(*s["train"], *s["validation"])' "$RECIPE")
  SHARDS=$(($(nproc) - 3))
  [ "$SHARDS" -ge 1 ] || SHARDS=1
  PER=$(((TN + SHARDS - 1) / SHARDS))
  for ((i = 0; i < SHARDS; i++)); do
    F=$((TF + i * PER)) N=$PER
    ((F + N > TF + TN)) && N=$((TF + TN - F))
    ((N > 0)) || continue
    "$NODE" "$W/ds.mjs" --recipe "$RECIPE" --split train --first "$F" --count "$N" --max-seconds "$GEN_SECONDS" \
      --out "$D/t$i" 2> "$D/gen-t$i.log" &
  done
  HALF=$((VN / 2))
  "$NODE" "$W/ds.mjs" --recipe "$RECIPE" --split validation --first "$VF" --count "$HALF" --out "$D/v0" 2> "$D/gen-v0.log" &
  "$NODE" "$W/ds.mjs" --recipe "$RECIPE" --split validation --first $((VF + HALF)) --count $((VN - HALF)) \
    --out "$D/v1" 2> "$D/gen-v1.log" &
  say "data set: $SHARDS training shards of up to $PER seeds (stop after ${GEN_SECONDS}s), 2 validation shards"
  if [ "$DEVICE" = cuda ]; then
    python3 training/gpu_time_ctnet.py --runs 20 --warmup 5 > "$OUT/gpu-time.json" && cat "$OUT/gpu-time.json"
    say "CT-Net timing done"
  fi
  wait
  for f in "$D"/*.log; do echo "$(basename "$f"): $(tr '\r' '\n' < "$f" | tail -1)"; done
  python3 - "$D" << 'EOF'
import glob, json, sys
for split in ("train", "validation"):
    metas = [json.load(open(f)) for f in sorted(glob.glob(f"{sys.argv[1]}/*/{split}-meta.json"))]
    agree = {}
    for m in metas:
        for code, a in m["extractorVsTruth"].items():
            t = agree.setdefault(code, {"tp": 0, "fp": 0, "fn": 0})
            for k in t:
                t[k] += a[k]
    pos = {c: sum(m["positives"][c] for m in metas) for c in metas[0]["labels"]}
    n = sum(len(m["seeds"]) for m in metas)
    print(json.dumps({"split": split, "phantoms": n, "skipped": sum(len(m["skipped"]) for m in metas),
                      "positives": pos, "extractorVsTruth": agree}))
EOF
  say "data set done"
  # shellcheck disable=SC2086 # RUN_ARGS is a list of options
  python3 training/train_phantom.py --data "$D"/t* "$D"/v0 "$D"/v1 --recipe "$RECIPE" --no-export --device "$DEVICE" \
    --threads 4 --reducer volumetric --rotate 0 --jitter 4 --schedule cosine --select auroc --patience 1000 \
    --epochs "$EPOCHS" --batch 16 --max-minutes "$TRAIN_MINUTES" $RUN_ARGS --checkpoint "$OUT/run.pt"
  say "training done"
  nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv
}

main 2>&1 | tee "$OUT/lease.log"
