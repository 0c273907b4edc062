// Incremental RFC 4180 CSV parser and writer: quoted fields may hold commas, "" escapes and line breaks; CRLF or
// LF line ends; a row may arrive split across any number of chunks. Pure: the caller feeds text, gets rows.

/** A CSV syntax error with its 1-based record number. */
export class CsvError extends Error {
  override name = 'CsvError';
}

/** Streaming CSV parser: `push` chunks, collect complete records; `end` flushes the last one. */
export class CsvParser {
  private field = '';
  private row: string[] = [];
  private quoted = false;
  /** Inside quotes; a quote seen and not yet known to be "" or the closing quote. */
  private inQuotes = false;
  private quotePending = false;
  private record = 1;
  private atFieldStart = true;

  /** Parses a chunk; returns the records completed by it. */
  push(chunk: string): string[][] {
    const out: string[][] = [];
    let field = this.field;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.inQuotes) {
        if (this.quotePending) {
          this.quotePending = false;
          if (c === '"') {
            field += '"';
            continue;
          }
          this.inQuotes = false; // the pending quote closed the field; fall through to handle c unquoted
        } else if (c === '"') {
          this.quotePending = true;
          continue;
        } else {
          // Copy a run of ordinary characters at once.
          let j = i;
          while (j < chunk.length && chunk[j] !== '"') j++;
          field += chunk.slice(i, j);
          i = j - 1;
          continue;
        }
      }
      if (c === ',') {
        this.row.push(field);
        field = '';
        this.quoted = false;
        this.atFieldStart = true;
      } else if (c === '\n') {
        if (field.endsWith('\r') && !this.quoted) field = field.slice(0, -1);
        this.row.push(field);
        field = '';
        this.quoted = false;
        this.atFieldStart = true;
        out.push(this.row);
        this.row = [];
        this.record++;
      } else if (c === '"') {
        if (!this.atFieldStart) throw new CsvError(`CSV record ${this.record}: quote inside an unquoted field`);
        this.inQuotes = true;
        this.quoted = true;
        this.atFieldStart = false;
      } else if (c === '\r' && this.quoted) {
        // CR after a closing quote: part of the CRLF line end.
      } else {
        if (this.quoted) throw new CsvError(`CSV record ${this.record}: text after a closing quote`);
        field += c;
        this.atFieldStart = false;
      }
    }
    this.field = field;
    return out;
  }

  /** Ends the input; returns the last record if the input did not end with a line break. */
  end(): string[][] {
    if (this.quotePending) {
      this.quotePending = false;
      this.inQuotes = false;
    }
    if (this.inQuotes) throw new CsvError(`CSV record ${this.record}: unterminated quoted field`);
    const field = this.field.endsWith('\r') ? this.field.slice(0, -1) : this.field;
    if (this.row.length === 0 && field === '' && !this.quoted) return [];
    this.row.push(field);
    const out = [this.row];
    this.row = [];
    this.field = '';
    return out;
  }
}

/** Parses a whole CSV text (tests, small files). */
export function parseCsv(text: string): string[][] {
  const p = new CsvParser();
  return [...p.push(text), ...p.end()];
}

/** Formats one CSV field, quoting when it holds a comma, quote or line break (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Formats one CSV record with CRLF-free LF line end. */
export function csvRow(values: readonly string[]): string {
  return `${values.map(csvField).join(',')}\n`;
}
