# Reference for bench/imaging/run.ts: the same trilinear resampling by scipy.ndimage.zoom(order=1) (Debian
# python3-scipy), timed in the same run. Prints one JSON line: best time, output shape, and the difference from
# ct-fhir's resampled volume (zoom maps corners to corners, ct-fhir keeps the exact spacing, so values differ
# slightly; the shapes are the same).
# Usage: /usr/bin/python3 bench/imaging/scipy_zoom.py <work-dir> <nz> <ny> <nx> <oz> <oy> <ox> <repeats> <sz> <sy> <sx> <tz> <ty> <tx>
import json
import sys
import time

import numpy as np
from scipy import ndimage

work = sys.argv[1]
nz, ny, nx, oz, oy, ox, repeats = (int(v) for v in sys.argv[2:9])
volume = np.fromfile(f"{work}/volume.raw", dtype=np.int16).reshape(nz, ny, nx)
factors = (oz / nz, oy / ny, ox / nx)
times = []
cpu_times = []
out = None
for _ in range(repeats):
    t0 = time.perf_counter()
    c0 = time.process_time()
    out = ndimage.zoom(volume, factors, order=1)
    cpu_times.append((time.process_time() - c0) * 1000)
    times.append((time.perf_counter() - t0) * 1000)
ours = np.fromfile(f"{work}/resampled.raw", dtype=np.int16).reshape(oz, oy, ox).astype(np.int32)
diff = np.abs(np.clip(out.astype(np.int32), -1000, 1000) - ours)
# Same grid as ct-fhir (output k at input k * target / source): values must agree to rounding.
spacing = [float(v) for v in sys.argv[9:12]]
target = [float(v) for v in sys.argv[12:15]]
t0 = time.perf_counter()
exact = ndimage.affine_transform(volume.astype(np.float32), [t / s for s, t in zip(spacing, target)], output_shape=(oz, oy, ox), order=1)
affine_ms = (time.perf_counter() - t0) * 1000
exact_diff = np.abs(np.clip(np.round(exact), -1000, 1000).astype(np.int32) - ours)
print(json.dumps({
    "msRuns": times,
    "msBest": min(times),
    "cpuMsBest": min(cpu_times),
    "shape": list(out.shape),
    "scipy": __import__("scipy").__version__,
    "numpy": np.__version__,
    "meanAbsDiffHU": float(diff.mean()),
    "p99AbsDiffHU": float(np.percentile(diff, 99)),
    "sameGrid": {"ms": affine_ms, "maxAbsDiffHU": int(exact_diff.max()), "meanAbsDiffHU": float(exact_diff.mean())},
}))
