import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvError, CsvParser, csvRow, parseCsv } from '../../../src/reports/csv.js';

test('quoted fields keep commas, line breaks and "" escapes', () => {
  const text = 'id,text\n1,"a, b\nc ""quoted"""\n2,plain\n';
  assert.deepEqual(parseCsv(text), [
    ['id', 'text'],
    ['1', 'a, b\nc "quoted"'],
    ['2', 'plain'],
  ]);
});

test('CRLF line ends and a missing final line break', () => {
  assert.deepEqual(parseCsv('a,b\r\n1,"x"\r\n2,y'), [
    ['a', 'b'],
    ['1', 'x'],
    ['2', 'y'],
  ]);
});

test('records split across chunks at every position parse the same', () => {
  const text = 'id,text\n1,"He said ""no""\nthen left"\n2,"x,y"\n';
  const whole = parseCsv(text);
  for (let cut = 1; cut < text.length; cut++) {
    const p = new CsvParser();
    const rows = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut)), ...p.end()];
    assert.deepEqual(rows, whole, `cut at ${cut}`);
  }
});

test('empty fields and an empty input', () => {
  assert.deepEqual(parseCsv('a,,c\n'), [['a', '', 'c']]);
  assert.deepEqual(parseCsv(''), []);
});

test('an unterminated quote and a quote inside an unquoted field are errors with the record number', () => {
  assert.throws(
    () => parseCsv('a,b\n1,"open\n'),
    (e: unknown) => e instanceof CsvError && /record 2/.test(e.message),
  );
  assert.throws(
    () => parseCsv('a,b\n1,x"y\n'),
    (e: unknown) => e instanceof CsvError && /record 2/.test(e.message),
  );
  assert.throws(() => parseCsv('"a"b\n'), CsvError);
});

test('csvRow quotes only what needs quoting and round-trips', () => {
  const row = ['plain', 'a,b', 'say "hi"', 'two\nlines'];
  assert.equal(csvRow(row), 'plain,"a,b","say ""hi""","two\nlines"\n');
  assert.deepEqual(parseCsv(csvRow(row)), [row]);
});
