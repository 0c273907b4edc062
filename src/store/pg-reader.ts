// Reads outside transactions on PostgreSQL as named prepared statements. typeorm sends every query unnamed, so
// PostgreSQL parses and plans it afresh each time; for the search SQL, planning took about twice the CPU of running
// it (bench/fhir-rest, 100,000 Observations). A named statement is parsed once per pooled connection, and after
// five executions PostgreSQL keeps a generic plan unless custom plans are clearly cheaper (plan_cache_mode auto).
// Statement texts differ by search shape (parameters, value counts), so names are handed out for the first
// `maxNamed` texts only: each connection then holds at most that many prepared statements; later texts run unnamed.
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { Queryable } from './rows.js';

export class PgReader implements Queryable {
  private readonly names = new Map<string, string>();

  constructor(
    private readonly pool: Pool,
    /** Most statement texts given a name (per process, and so per connection). */
    private readonly maxNamed = 500,
  ) {}

  /** The statement name for a text: a hash, so every process and connection names one text the same way. */
  private nameOf(text: string): string | undefined {
    let name = this.names.get(text);
    if (name === undefined && this.names.size < this.maxNamed) {
      name = `ctf_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
      this.names.set(text, name);
    }
    return name;
  }

  /** Rows of a SELECT, as typeorm's postgres driver returns them. */
  async query(text: string, params: unknown[] = []): Promise<unknown[]> {
    return (await this.pool.query({ name: this.nameOf(text), text, values: params })).rows;
  }
}
