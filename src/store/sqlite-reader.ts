// A second, read-only SQLite connection for reads outside transactions (read, vread, search, history). typeorm's
// better-sqlite3 driver shares one connection, so reads on it had to wait for the mutex that every write transaction
// holds across its awaits, and a read there could see a transaction's uncommitted rows. In WAL mode this connection
// reads the last committed snapshot instead, without waiting for writers (a long transaction Bundle no longer holds
// reads back).
// Each statement runs in its own implicit read transaction, so a write acknowledged to its caller (after COMMIT) is
// visible to every read that starts afterwards.
import Database from 'better-sqlite3';
import type { Queryable } from './rows.js';

/** Prepared statements kept per SQL text; the search SQL varies little, so this bounds memory, not hit rates. */
const STATEMENT_CACHE = 200;

export class SqliteReader implements Queryable {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(file: string, busyTimeoutMs: number) {
    this.db = new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    // Like the writer's: the search indexes of a departmental store stay in this connection's page cache too.
    this.db.pragma('cache_size = -65536');
  }

  private statement(text: string): Database.Statement {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.statements.set(text, stmt);
      if (this.statements.size > STATEMENT_CACHE) this.statements.delete(this.statements.keys().next().value!);
    }
    return stmt;
  }

  /** Rows of a SELECT, as typeorm's better-sqlite3 driver returns them. */
  async query(text: string, params: unknown[] = []): Promise<unknown[]> {
    return this.statement(text).all(...params);
  }

  close(): void {
    this.db.close();
  }
}
