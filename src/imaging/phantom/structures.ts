// Tubular anatomy of the phantom: thoracic aorta, oesophagus, trachea and bronchi (wall + lumen) and a seeded
// pulmonary vessel tree branching from each hilum. Built once per phantom in patient mm.
import { LOBE, lungRegionAt } from './anatomy.js';
import type { Frame } from './geometry.js';
import { zOfW, wOfZ } from './geometry.js';
import type { Rng } from './prng.js';
import { T, TISSUES } from './tissues.js';
import type { Tube } from './tubes.js';

/** A polyline in canonical coordinates: [X, Y, W] points. */
type Path = readonly (readonly [number, number, number])[];

const AORTA: Path = [
  [6, -24, 0.4],
  [6, -24, 0.7],
  [9, -10, 0.755],
  [15, 10, 0.775],
  [20, 28, 0.755],
  [25, 32, 0.7],
  [26, 30, 0.3],
  [20, 28, 0.02],
];
const ESOPHAGUS: Path = [
  [3, 16, 1.0],
  [3, 18, 0.62],
  [10, 28, 0.45],
  [16, 32, 0.1],
];
/** Airways: path, radius (canonical mm). The wall is 2 mm on the trachea and main bronchi, 1.2 mm beyond. */
const AIRWAYS: readonly { path: Path; r: number }[] = [
  {
    path: [
      [0, -4, 1.0],
      [0, -2, 0.62],
    ],
    r: 9,
  },
  {
    path: [
      [0, -2, 0.62],
      [-36, 4, 0.555],
    ],
    r: 7,
  },
  {
    path: [
      [0, -2, 0.62],
      [44, 8, 0.52],
    ],
    r: 6,
  },
  {
    path: [
      [-36, 4, 0.555],
      [-62, 0, 0.7],
    ],
    r: 4.5,
  },
  {
    path: [
      [-36, 4, 0.555],
      [-46, 10, 0.47],
    ],
    r: 5,
  },
  {
    path: [
      [-46, 10, 0.47],
      [-66, -30, 0.4],
    ],
    r: 3.5,
  },
  {
    path: [
      [-46, 10, 0.47],
      [-68, 38, 0.28],
    ],
    r: 4.5,
  },
  {
    path: [
      [44, 8, 0.52],
      [64, -6, 0.68],
    ],
    r: 4.5,
  },
  {
    path: [
      [54, 2, 0.58],
      [66, -36, 0.44],
    ],
    r: 3.5,
  },
  {
    path: [
      [44, 8, 0.52],
      [66, 38, 0.28],
    ],
    r: 4.5,
  },
];
/** Roots of the pulmonary vessel tree: hilum point -> first branch end, radius (canonical mm). */
const VESSEL_ROOTS: readonly { path: Path; r: number }[] = [
  {
    path: [
      [-44, 0, 0.53],
      [-64, -8, 0.68],
    ],
    r: 5,
  },
  {
    path: [
      [-46, 2, 0.5],
      [-66, -34, 0.42],
    ],
    r: 4,
  },
  {
    path: [
      [-48, 16, 0.48],
      [-70, 34, 0.3],
    ],
    r: 5.5,
  },
  {
    path: [
      [46, 2, 0.52],
      [66, -12, 0.68],
    ],
    r: 5,
  },
  {
    path: [
      [50, -2, 0.5],
      [64, -40, 0.44],
    ],
    r: 4,
  },
  {
    path: [
      [48, 18, 0.48],
      [70, 36, 0.3],
    ],
    r: 5.5,
  },
];

function toPatient(f: Frame, p: readonly [number, number, number]): [number, number, number] {
  return [p[0] * f.sigma, p[1] * f.sigma, zOfW(f, p[2])];
}

function pathTubes(f: Frame, path: Path, r: number, tissue: number, over?: ReadonlySet<number>): Tube[] {
  const tubes: Tube[] = [];
  for (let n = 1; n < path.length; n++) {
    const [ax, ay, az] = toPatient(f, path[n - 1]!);
    const [bx, by, bz] = toPatient(f, path[n]!);
    tubes.push({ ax, ay, az, bx, by, bz, r: r * f.sigma, tissue, over });
  }
  return tubes;
}

/** Every tissue except bone and the spinal canal: mediastinal tubes never cut into the spine or sternum. */
const NOT_BONE: ReadonlySet<number> = new Set(
  TISSUES.map((_, i) => i).filter((i) => i !== T.cortex && i !== T.marrow && i !== T.disc && i !== T.canal),
);

/** Mediastinal tubes in paint order: aorta, oesophagus, airway walls, then airway lumens. */
export function mediastinalTubes(f: Frame): Tube[] {
  const walls = AIRWAYS.flatMap((a) => pathTubes(f, a.path, a.r + (a.r >= 6 ? 2 : 1.2), T.airwayWall, NOT_BONE));
  const lumens = AIRWAYS.flatMap((a) => pathTubes(f, a.path, a.r, T.airway, NOT_BONE));
  return [
    ...pathTubes(f, AORTA, 14, T.aorta, NOT_BONE),
    ...pathTubes(f, ESOPHAGUS, 8, T.esophagus, NOT_BONE),
    ...walls,
    ...lumens,
  ];
}

/** Aorta segments (patient mm), for placing aortic wall calcification. */
export function aortaTubes(f: Frame): Tube[] {
  return pathTubes(f, AORTA, 14, T.aorta);
}

const LUNG_LABELS: ReadonlySet<number> = new Set([T.lung, T.fissure]);

/** Seeded pulmonary vessel tree: each root branches in three, then two, with shorter and thinner children. */
export function vesselTree(f: Frame, rng: Rng, heartScale: number, heartMargin: number): Tube[] {
  const tubes: Tube[] = [];
  const inLung = (x: number, y: number, z: number): boolean =>
    lungRegionAt(x / f.sigma, y / f.sigma, wOfZ(f, z), heartScale, heartMargin) !== LOBE.none;
  const grow = (
    ax: number,
    ay: number,
    az: number,
    dir: [number, number, number],
    len: number,
    r: number,
    gen: number,
  ): void => {
    if (gen > 9 || r < 0.4) return;
    // A branch that would leave the lung turns (up to 4 tries) before it is given up.
    for (let attempt = 0; attempt < 4; attempt++) {
      const d = attempt === 0 ? dir : jitter(dir, 0.9);
      const bx = ax + d[0] * len;
      const by = ay + d[1] * len;
      const bz = az + d[2] * len;
      if (gen > 0 && !inLung(bx, by, bz)) continue;
      tubes.push({ ax, ay, az, bx, by, bz, r, tissue: T.vessel, over: LUNG_LABELS, lungOnly: true });
      const children = gen < 3 ? 3 : 2;
      for (let c = 0; c < children; c++) {
        grow(bx, by, bz, jitter(d, 0.75), len * rng.range(0.7, 0.85), r * rng.range(0.68, 0.8), gen + 1);
      }
      return;
    }
  };
  const jitter = (dir: readonly number[], amount: number): [number, number, number] => {
    const d = [0, 1, 2].map((i) => dir[i]! + rng.range(-amount, amount));
    const n = Math.hypot(d[0]!, d[1]!, d[2]!) || 1;
    return [d[0]! / n, d[1]! / n, d[2]! / n];
  };
  for (const root of VESSEL_ROOTS) {
    const [ax, ay, az] = toPatient(f, root.path[0]!);
    const [bx, by, bz] = toPatient(f, root.path[1]!);
    const len = Math.hypot(bx - ax, by - ay, bz - az);
    grow(ax, ay, az, [(bx - ax) / len, (by - ay) / len, (bz - az) / len], len * 0.45, root.r * f.sigma, 0);
  }
  return tubes;
}
