// API login sessions in the database (migration 0011), so that any API replica serves a session another
// one opened, and a logout or an expiry on one holds on all. A table, not signed tokens: a signed token
// stays valid until it expires, so logout across replicas would need a shared revocation list anyway,
// which is this table with extra steps. Only a hash of each cookie's secret half is stored.
import { sql } from 'drizzle-orm';
import type { Database } from './database.ts';

/** One session as kept: who, with which role, until when, and the SHA-256 (hex) of its verifier. */
export interface StoredSession {
  user: string;
  role: string;
  expiresAtMs: number;
  verifierSha256: string;
}

/** Where the API keeps sessions: this process's memory (one process), or the database (N replicas). */
export interface SessionStore {
  /**
   * Saves a new session, first removing expired ones and then, past `max`, those closest to expiry:
   * the table stays bounded whatever the logins.
   */
  create(selector: string, session: StoredSession, nowMs: number, max: number): Promise<void>;
  /** The session under `selector`, if any and not expired at `nowMs`. */
  find(selector: string, nowMs: number): Promise<StoredSession | null>;
  delete(selector: string): Promise<void>;
  /** Unexpired sessions at `nowMs`. */
  count(nowMs: number): Promise<number>;
}

interface SessionRow {
  user_name: string;
  role: string;
  expires_at_ms: string | number;
  verifier_sha256: string;
  [k: string]: unknown;
}

export class DbSessionStore implements SessionStore {
  constructor(private readonly database: Database) {}

  async create(selector: string, s: StoredSession, nowMs: number, max: number): Promise<void> {
    await this.database.transaction(async (query) => {
      await query(sql`DELETE FROM api_sessions WHERE expires_at_ms <= ${nowMs}`);
      // Keep max - 1 so the new one fits; ties on expiry broken by selector, so every replica agrees.
      await query(sql`
        DELETE FROM api_sessions WHERE selector IN (
          SELECT selector FROM api_sessions ORDER BY expires_at_ms DESC, selector DESC OFFSET ${Math.max(0, max - 1)})`);
      await query(sql`
        INSERT INTO api_sessions (selector, verifier_sha256, user_name, role, created_at_ms, expires_at_ms)
        VALUES (${selector}, ${s.verifierSha256}, ${s.user}, ${s.role}, ${nowMs}, ${s.expiresAtMs})`);
    });
  }

  async find(selector: string, nowMs: number): Promise<StoredSession | null> {
    const [row] = await this.database.query<SessionRow>(sql`
      SELECT user_name, role, expires_at_ms, verifier_sha256 FROM api_sessions
      WHERE selector = ${selector} AND expires_at_ms > ${nowMs}`);
    if (!row) return null;
    return {
      user: row.user_name,
      role: row.role,
      expiresAtMs: Number(row.expires_at_ms),
      verifierSha256: row.verifier_sha256,
    };
  }

  async delete(selector: string): Promise<void> {
    await this.database.query(sql`DELETE FROM api_sessions WHERE selector = ${selector}`);
  }

  async count(nowMs: number): Promise<number> {
    const [row] = await this.database.query<{ n: string | number }>(
      sql`SELECT count(*) AS n FROM api_sessions WHERE expires_at_ms > ${nowMs}`,
    );
    return Number(row?.n ?? 0);
  }
}
