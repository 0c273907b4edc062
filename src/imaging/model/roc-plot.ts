// Draws a ROC curve into an RGB raster (then PNG): unit square with a 0.2 grid, the chance diagonal, the curve, and
// the operating point as a square marker. No text: the table beside the image carries the numbers.
import type { RocPoint } from './metrics.js';
import type { Raster } from './png.js';

type Rgb = [number, number, number];
const WHITE: Rgb = [255, 255, 255];
const GRID: Rgb = [225, 225, 225];
const AXIS: Rgb = [60, 60, 60];
const CHANCE: Rgb = [170, 170, 170];
const CURVE: Rgb = [31, 97, 180];
const MARK: Rgb = [200, 40, 40];

function canvas(width: number, height: number): Raster {
  const rgb = new Uint8Array(width * height * 3);
  rgb.fill(255);
  return { width, height, rgb };
}

function dot(r: Raster, x: number, y: number, c: Rgb, size = 1): void {
  const h = Math.floor(size / 2);
  for (let dy = -h; dy < size - h; dy++) {
    for (let dx = -h; dx < size - h; dx++) {
      const px = Math.round(x) + dx;
      const py = Math.round(y) + dy;
      if (px < 0 || py < 0 || px >= r.width || py >= r.height) continue;
      r.rgb.set(c, (py * r.width + px) * 3);
    }
  }
}

function line(r: Raster, x0: number, y0: number, x1: number, y1: number, c: Rgb, size = 1, dash = 0): void {
  const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
  for (let i = 0; i <= steps; i++) {
    if (dash > 0 && Math.floor(i / dash) % 2 === 1) continue;
    dot(r, x0 + ((x1 - x0) * i) / steps, y0 + ((y1 - y0) * i) / steps, c, size);
  }
}

/** Renders ROC points (fpr, tpr) and the operating point into a size x size raster. */
export function plotRoc(points: readonly RocPoint[], operating?: { fpr: number; tpr: number }, size = 320): Raster {
  const r = canvas(size, size);
  const m = Math.round(size * 0.08);
  const w = size - 2 * m;
  const px = (fpr: number) => m + fpr * w;
  const py = (tpr: number) => size - m - tpr * w;
  for (let g = 0; g <= 5; g++) {
    line(r, px(g / 5), py(0), px(g / 5), py(1), GRID);
    line(r, px(0), py(g / 5), px(1), py(g / 5), GRID);
  }
  line(r, px(0), py(0), px(1), py(1), CHANCE, 1, 4);
  line(r, px(0), py(0), px(1), py(0), AXIS, 2);
  line(r, px(0), py(0), px(0), py(1), AXIS, 2);
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    line(r, px(a.fpr), py(a.tpr), px(b.fpr), py(b.tpr), CURVE, 3);
  }
  if (operating) dot(r, px(operating.fpr), py(operating.tpr), MARK, 9);
  return r;
}

export const COLOURS = { WHITE, CURVE, MARK } as const;
