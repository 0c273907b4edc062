// `ct-fhir phantom`: writes a synthetic chest CT series (one DICOM file per slice), report.txt and labels.json.
// Usage errors are UsageError (the CLI prints them and exits 1). Progress goes to stderr.
import { join } from 'node:path';
import type { FindingSpec, Phantom, PhantomGeometry } from '../imaging/phantom/index.js';
import {
  PhantomSpecError,
  createPhantom,
  createRng,
  formatFinding,
  parseFindings,
  phantomIdentity,
  randomFindings,
  writePhantom,
} from '../imaging/phantom/index.js';
import { intFlag, parseFlags, UsageError } from './usage.js';

export const HELP = `usage: ct-fhir phantom --out <dir> [--seed N] [--size 512x512x300] [--spacing 0.7x0.7x1.25]
                        [--findings nodule@right_upper:12mm,pleural_effusion@left_lung:large,...]
                        [--random-findings] [--count N] [--uid-salt TEXT] [--no-report]
  --count N with --random-findings writes N phantoms (seeds N..N+count-1) into <dir>/<seed>/.
`;

/** Parses "AxBxC" into three numbers, each checked by `ok`. */
export function parseTriple(flag: string, text: string, integer: boolean, max: number): [number, number, number] {
  const parts = text.split('x');
  const nums = parts.map(Number);
  // Plain decimals only: Number() would also take "1e2" and " 5".
  const form = integer ? /^\d+$/ : /^\d+(\.\d+)?$|^\.\d+$/;
  const valid = parts.length === 3 && nums.every((n, i) => form.test(parts[i]!) && n > 0 && n <= max);
  if (!valid) {
    throw new UsageError(
      `--${flag} must be three ${integer ? 'integers' : 'positive numbers'} up to ${max} joined by x (e.g. ${integer ? '512x512x300' : '0.7x0.7x1.25'}), got "${text}"`,
    );
  }
  return nums as [number, number, number];
}

function parseSeed(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 0xffffffff)
    throw new UsageError(`--seed must be an integer 0..4294967295, got "${text}"`);
  return n;
}

/** A phantom with random findings; a draw that does not fit this geometry (a large mass, a tiny volume) is redrawn. */
function randomPhantom(seed: number, geometry: PhantomGeometry): { phantom: Phantom; findings: FindingSpec[] } {
  for (let attempt = 0; ; attempt++) {
    const findings = randomFindings(
      createRng(seed).fork(attempt === 0 ? 'random-findings' : `random-findings/${attempt}`),
    );
    try {
      return { phantom: createPhantom({ seed, geometry, findings }), findings };
    } catch (err) {
      if (!(err instanceof PhantomSpecError) || attempt >= 20) throw err;
    }
  }
}

/** Entry point of `ct-fhir phantom`. */
export async function phantom(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
      size: { type: 'string', default: '512x512x300' },
      spacing: { type: 'string', default: '0.7x0.7x1.25' },
      findings: { type: 'string' },
      'random-findings': { type: 'boolean', default: false },
      count: { type: 'string', default: '1' },
      'uid-salt': { type: 'string', default: '' },
      'no-report': { type: 'boolean', default: false },
    },
    HELP,
  );
  if (!values.out) throw new UsageError(`--out <dir> is required\n${HELP}`);
  if (values.findings !== undefined && values['random-findings'])
    throw new UsageError('use either --findings or --random-findings, not both');
  const [nx, ny, nz] = parseTriple('size', values.size, true, 4096);
  if (nx > 65535 || ny > 65535 || nz < 2) throw new UsageError('--size needs at least 2 slices');
  const [dx, dy, dz] = parseTriple('spacing', values.spacing, false, 50);
  const seed = parseSeed(values.seed);
  const count = intFlag('count', values.count, 1, 100000);
  if (count > 1 && !values['random-findings'])
    throw new UsageError('--count needs --random-findings (each phantom draws its own findings)');
  const fixed: FindingSpec[] = parseFindings(values.findings ?? '');
  for (let n = 0; n < count; n++) {
    const s = seed + n;
    const geometry = { nx, ny, nz, dx, dy, dz };
    const { phantom, findings } = values['random-findings']
      ? randomPhantom(s, geometry)
      : { phantom: createPhantom({ seed: s, geometry, findings: fixed }), findings: fixed };
    const dir = count > 1 ? join(values.out, String(s)) : values.out;
    const id = phantomIdentity(s, values['uid-salt']);
    const started = Date.now();
    const written = await writePhantom(phantom, id, dir, {
      report: !values['no-report'],
      onSlice: (k) => {
        if ((k + 1) % 50 === 0 || k + 1 === nz) process.stderr.write(`\rphantom ${s}: slice ${k + 1}/${nz}`);
      },
    });
    process.stderr.write(
      `\rphantom ${s}: ${written.files.length} slices in ${dir} (${((Date.now() - started) / 1000).toFixed(1)} s); findings: ${findings.map(formatFinding).join(', ') || 'none'}\n`,
    );
  }
  return 0;
}
