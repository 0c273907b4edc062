// Quality gate on the CT-RATE gold labels (../shared/data, third-party evaluation data that is never copied into
// the project). Skips with a message where the data folder is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../../../src/reports/csv.js';
import { extractFindings } from '../../../src/reports/extract.js';
import { toMappedLabels } from '../../../src/reports/labels.js';
import { evaluate, formatEvaluation } from '../../../src/reports/metrics.js';
import { terminology, vocab } from './helpers.js';

const GOLD =
  process.env.CTRATE_GOLD ?? fileURLToPath(new URL('../../../../shared/data/ctrate-gold-train.csv', import.meta.url));

test(
  'CT-RATE gold: macro F1 >= 0.95 and every label F1 >= 0.85',
  { skip: existsSync(GOLD) ? false : `gold data not found at ${GOLD}` },
  () => {
    const [header, ...rows] = parseCsv(readFileSync(GOLD, 'utf8'));
    const labels = terminology.ctRate18.labels;
    const columns = labels.map((l) => header!.indexOf(l));
    assert.ok(
      columns.every((c) => c >= 0),
      'gold file has every CT-RATE label column',
    );
    const text = header!.indexOf('report_text');
    const gold = rows.map((r) => columns.map((c) => Number(r[c])));
    const pred = rows.map((r) => Array.from(toMappedLabels(extractFindings(r[text]!, vocab), terminology.ctRate18)));
    const result = evaluate(labels, gold, pred);
    const table = formatEvaluation(result);
    assert.ok(result.macroF1 >= 0.95, `macro F1 ${result.macroF1.toFixed(3)} < 0.95\n${table}`);
    for (const l of result.labels) assert.ok(l.f1 >= 0.85, `${l.label} F1 ${l.f1.toFixed(3)} < 0.85\n${table}`);
  },
);
