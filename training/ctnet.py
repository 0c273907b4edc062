"""CT-Net architectures (Draelos et al., Medical Image Analysis 67:101857, 2021), written from the published description.

Two networks share one shape of computation: the volume [z, y, x] is cut into chunks of 3 adjacent axial slices, a 2D
feature extractor turns every chunk (as a 3-channel image) into a feature map, the chunk axis becomes the channel axis of
three 3D convolutions that shrink it, and a fully connected head with dropout gives one logit per abnormality.

- CTNetFull: the published size. Input [B, 402, 420, 420] -> 134 chunks -> ResNet18 body (no pooling, no FC) ->
  512 x 14 x 14 per chunk -> 3D convs 134 -> 64 -> 32 -> 16 channels -> 16 x 18 x 5 x 5 = 7200 features ->
  FC 7200 -> 128 -> 96 -> n_outputs (83). The ResNet18 body is defined here (no torchvision needed); with no
  ImageNet weights available offline it starts from random weights.
- CTNetSmall: the same structure scaled to train on two CPU cores: a 4-stage residual body with few channels, chunks
  of 3 slices from a small volume (e.g. 48 x 64 x 64 -> 16 chunks), 3D convs over the chunk axis, a small FC head.

Both return logits (no sigmoid inside): the manifest says `output.activation: "sigmoid"` and the runtime applies it,
which keeps BCEWithLogits training numerically stable and the exported graph identical to the trained one.
"""

from __future__ import annotations

import torch
from torch import nn

FULL_INPUT = (402, 420, 420)
FULL_OUTPUTS = 83
CHUNK = 3


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 convs with batch norm and an identity (or 1x1 projected) shortcut."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.down is None else self.down(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


def resnet_body(widths: tuple[int, int, int, int], blocks: int = 2, stem: int = 64) -> nn.Sequential:
    """ResNet18-style body without average pooling and FC: stem (7x7/2 conv + 3x3/2 max pool) and 4 stages."""
    layers: list[nn.Module] = [
        nn.Conv2d(3, stem, 7, 2, 3, bias=False),
        nn.BatchNorm2d(stem),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2, 1),
    ]
    cin = stem
    for i, w in enumerate(widths):
        for b in range(blocks):
            layers.append(BasicBlock(cin, w, 2 if (b == 0 and i > 0) else 1))
            cin = w
    return nn.Sequential(*layers)


class GlobalAvgMaxPool(nn.Module):
    """Average and maximum over the whole reduced map (chunk, h, w), concatenated per channel: the average carries
    extent (effusions, heart size), the maximum carries a small lesion wherever it sits (nodules, calcium)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dims = (2, 3, 4)  # plain reductions: bfloat16-safe under autocast, ReduceMean/ReduceMax in ONNX
        return torch.cat([x.mean(dim=dims), x.amax(dim=dims)], dim=1)


def spatial_pool(kind: str) -> nn.Module:
    """Pooling before the head: none (CT-Net), max or avg over the in-plane map, or avgmax over the whole map (global
    average and max concatenated; volumetric reducer only). Not in the published CT-Net. With max only the argmax
    position gets a gradient; in a single-label check (consolidation, 223 training phantoms, 15 epochs) only avg fitted
    the training set (training/README.md)."""
    if kind == "avgmax":
        return GlobalAvgMaxPool()
    if kind == "max":
        return nn.AdaptiveMaxPool3d((None, 1, 1))
    if kind == "avg":
        return nn.AdaptiveAvgPool3d((None, 1, 1))
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"pool {kind!r}: expected none, max, avg or avgmax")


class VolumetricReducer(nn.Module):
    """3D convs over (chunk, h, w) with the 2D feature channels as channels, batch norm after each, then optional
    spatial pooling over h, w. An alternative to CT-Net's reducer (which uses the chunk axis as channels); not in the paper."""

    def __init__(self, channels: int, width: int, pool: str) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv3d(channels, width, 3, stride=(2, 1, 1), padding=1, bias=False),
            nn.BatchNorm3d(width),
            nn.ReLU(inplace=True),
            nn.Conv3d(width, width // 2, 3, stride=(2, 1, 1), padding=1, bias=False),
            nn.BatchNorm3d(width // 2),
            nn.ReLU(inplace=True),
        )
        self.pool = spatial_pool(pool)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        # feats: [B, chunks, C, h, w] -> [B, C, chunks, h, w]
        return self.pool(self.net(feats.permute(0, 2, 1, 3, 4)))


# Model input is HU clipped to [-1000, 1000], scaled to [0, 1] and centred by 0.449 (phantom_recipe.json), so
# HU = 2000 * (x + 0.449) - 1000. Each window unit starts as a ramp of 1 per 100 HU from a threshold (learnable).
WINDOW_THRESHOLDS_HU = (
    ("below", -950.0),  # air in the lung: emphysema, pneumothorax
    ("above", -750.0),  # anything denser than aerated lung: ground glass, consolidation, nodules
    ("above", -300.0),  # soft tissue in the lung
    ("above", 100.0),  # contrast-enhanced or dense soft tissue
    ("above", 350.0),  # calcium and bone
    ("above", -1000.0),  # the whole range (the plain input)
)


class WindowStem(nn.Module):
    """Learned HU windows in front of the 2D body (not in CT-Net, which feeds raw slices as RGB): every slice of a chunk
    goes through K per-pixel ramps with a ReLU, initialised at the thresholds above, and a 1x1 convolution mixes the
    3 x K maps back into 3 channels. A small dense spot (calcium) or a faint density (ground glass) then reaches the
    body as its own sparse signal instead of a small shift of one linear intensity. The mix starts as the plain
    input (the whole-range unit, rescaled) plus nothing from the other windows, so training starts from CT-Net."""

    def __init__(self) -> None:
        super().__init__()
        k = len(WINDOW_THRESHOLDS_HU)
        self.window = nn.Conv2d(CHUNK, CHUNK * k, 1, groups=CHUNK)
        self.mix = nn.Conv2d(CHUNK * k, CHUNK, 1)
        with torch.no_grad():
            for s in range(CHUNK):
                for u, (side, t) in enumerate(WINDOW_THRESHOLDS_HU):
                    sign = 1.0 if side == "above" else -1.0
                    # sign * (HU - t) / 100 with HU = 2000 x + 898 - 1000
                    self.window.weight[s * k + u].fill_(sign * 20.0)
                    self.window.bias[s * k + u] = sign * (-102.0 - t) / 100.0
            self.mix.weight.zero_()
            self.mix.bias.zero_()
            whole = len(WINDOW_THRESHOLDS_HU) - 1
            for s in range(CHUNK):
                self.mix.weight[s, s * k + whole] = 1.0 / 20.0

    def forward(self, chunks: torch.Tensor) -> torch.Tensor:
        return self.mix(torch.relu(self.window(chunks)))


class ChunkedCTNet(nn.Module):
    """Chunk the volume into 3-slice images, extract 2D features per chunk, reduce with 3D convs, classify."""

    def __init__(
        self, body: nn.Module, reducer: nn.Module, head: nn.Module, chunks: int, stem: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.stem = stem
        self.features = body
        self.reducer = reducer
        self.classifier = head
        self.chunks = chunks

    def forward(self, volume: torch.Tensor) -> torch.Tensor:
        # volume: [B, Z, Y, X] with Z = chunks * 3
        b, z, y, x = volume.shape
        chunks = volume.reshape(b * self.chunks, CHUNK, y, x)
        if self.stem is not None:
            chunks = self.stem(chunks)
        feats = self.features(chunks)  # [B*chunks, C, h, w]
        c, h, w = feats.shape[1], feats.shape[2], feats.shape[3]
        # The chunk axis becomes the channel axis of the 3D convs; the 2D feature channels become depth.
        feats = feats.reshape(b, self.chunks, c, h, w)
        reduced = self.reducer(feats)
        return self.classifier(reduced.flatten(1))


def ctnet_full(n_outputs: int = FULL_OUTPUTS) -> ChunkedCTNet:
    """The published CT-Net: 402 x 420 x 420 input, 134 chunks, ResNet18 body, 7200 features, 83 outputs."""
    chunks = FULL_INPUT[0] // CHUNK  # 134
    body = resnet_body((64, 128, 256, 512))
    reducer = nn.Sequential(
        nn.Conv3d(chunks, 64, (3, 3, 3), stride=(3, 1, 1)),
        nn.ReLU(inplace=True),
        nn.Conv3d(64, 32, (3, 3, 3), stride=(3, 1, 1)),
        nn.ReLU(inplace=True),
        nn.Conv3d(32, 16, (3, 2, 2), stride=(3, 2, 2)),
        nn.ReLU(inplace=True),
    )
    head = nn.Sequential(
        nn.Linear(16 * 18 * 5 * 5, 128),
        nn.ReLU(inplace=True),
        nn.Dropout(0.5),
        nn.Linear(128, 96),
        nn.ReLU(inplace=True),
        nn.Dropout(0.5),
        nn.Linear(96, n_outputs),
    )
    return ChunkedCTNet(body, reducer, head, chunks)


def ctnet_small(
    shape: tuple[int, int, int],
    n_outputs: int,
    width: int = 16,
    dropout: float = 0.5,
    pool: bool | str = False,
    reducer_kind: str = "ctnet",
    stem_kind: str = "plain",
) -> ChunkedCTNet:
    """A CT-Net-style network scaled for CPU training on small volumes (z divisible by 3, y and x by 16)."""
    if isinstance(pool, bool):  # the 1.0.0 signature: pool=True meant spatial max
        pool = "max" if pool else "none"
    z, y, x = shape
    if z % CHUNK or y % 16 or x % 16:
        raise ValueError(f"shape {shape}: z must be a multiple of 3 and y, x multiples of 16")
    chunks = z // CHUNK
    widths = (width, width * 2, width * 4, width * 4)
    if stem_kind not in ("plain", "window", "fine"):
        raise ValueError(f"stem {stem_kind!r}: expected 'plain', 'window' or 'fine'")
    stem = WindowStem() if stem_kind == "window" else None
    body = resnet_body(widths, blocks=1, stem=width)
    # 2D body downsamples by 16 (stem /4, three strided stages would be /32; we keep /16 by making the last stage
    # stride 1), so a 64 x 64 slice gives a 4 x 4 map.
    last = body[-1]
    assert isinstance(last, BasicBlock)
    body[-1] = BasicBlock(widths[2], widths[3], 1)
    if stem_kind == "fine":
        # Not in CT-Net: the first convolution runs at full resolution (3x3, stride 1) and a 2x2 max pool does the
        # first reduction, so a 1-2 voxel dense spot (calcium, a small nodule) reaches the body as a peak instead of
        # being strided past; the last stage strides instead, so the map (and everything after it) keeps its size.
        body[0] = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        body[3] = nn.MaxPool2d(2, 2)
        body[-1] = BasicBlock(widths[2], widths[3], 2)
    c = widths[3]
    h, w = y // 16, x // 16
    red = max(8, chunks // 2)
    reducer: nn.Module
    if reducer_kind == "volumetric":
        reducer = VolumetricReducer(c, c, pool)
    elif reducer_kind == "ctnet":
        reducer = nn.Sequential(
            nn.Conv3d(chunks, red, (3, 3, 3), stride=(2, 1, 1), padding=(0, 1, 1)),
            nn.ReLU(inplace=True),
            nn.Conv3d(red, 8, (3, 3, 3), stride=(2, 1, 1), padding=(0, 1, 1)),
            nn.ReLU(inplace=True),
        )
        if pool == "avgmax":
            raise ValueError("pool 'avgmax' pools over the feature axis with the ctnet reducer: use reducer 'volumetric'")
        if pool != "none":
            # Optional spatial pooling over the in-plane map: a finding counts wherever it sits, which a small data
            # set cannot teach a position-specific FC layer. Not in the published CT-Net.
            reducer.append(spatial_pool(pool))
    else:
        raise ValueError(f"reducer {reducer_kind!r}: expected 'ctnet' or 'volumetric'")
    with torch.no_grad():
        reducer.eval()
        probe = reducer(torch.zeros(1, chunks, c, h, w))
        reducer.train()
    features = int(probe.numel())
    head = nn.Sequential(
        nn.Linear(features, 64),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(64, 48),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(48, n_outputs),
    )
    return ChunkedCTNet(body, reducer, head, chunks, stem)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    full = ctnet_full()
    print("ctnet_full parameters", count_parameters(full))
    small = ctnet_small((48, 64, 64), 12)
    print("ctnet_small parameters", count_parameters(small), small(torch.zeros(2, 48, 64, 64)).shape)
