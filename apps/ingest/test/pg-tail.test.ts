// The PostgreSQL log tailer over real files and a real store (PGlite, and PostgreSQL when DATABASE_URL
// is set): rotation, truncation, a restart mid-file, a failed commit and a malformed line. Every
// batch handed to the store is recorded, so "nothing doubled" is checked on what the tailer read, not
// only on the rows (whose content-hash key would hide a repeat).
import { appendFileSync, mkdtempSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ResourceLogs } from '@pivot/model';
import { createLogger } from '@pivot/server-kit';
import { LogQueries, PartitionManager, PgLogOffsets, type Database, type PgLogFileOffset } from '@pivot/store';
import { testDatabases } from '@pivot/store/testing';
import { PgLogTailer, expandPaths, type PgLogOffsetStore } from '../src/pg-tail.ts';

const logger = createLogger('silent', 'test');
const nowTs = () => new Date().toISOString().replace('T', ' ').replace('Z', ' UTC');

let seq = 0;
/** A jsonlog line whose message (and session line) is unique to this test run. */
const jsonl = (msg: string) =>
  `${JSON.stringify({ timestamp: nowTs(), pid: 42, session_id: 'tail.1', line_num: ++seq, error_severity: 'LOG', message: msg })}\n`;
/** A csvlog record, its message spanning two lines. */
const csvl = (msg: string) =>
  `${nowTs()},"u","db",42,"127.0.0.1:1",tail.2,${++seq},"SELECT",${nowTs()},3/1,0,LOG,00000,"${msg}\nsecond line",,,,,,,,,"app","client backend",,0\n`;

/** The store, recording every batch committed (bodies), and failing the next commit on demand. */
class RecordingOffsets implements PgLogOffsetStore {
  committed: string[] = [];
  failNext = false;
  constructor(private readonly inner: PgLogOffsets) {}
  get(key: string) {
    return this.inner.get(key);
  }
  forgetOlderThan(ms: number) {
    return this.inner.forgetOlderThan(ms);
  }
  async commit(batch: ResourceLogs[], offset: PgLogFileOffset): Promise<number> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('connection lost before COMMIT');
    }
    const n = await this.inner.commit(batch, offset);
    for (const rl of batch)
      for (const sl of rl.scopeLogs)
        for (const r of sl.logRecords) this.committed.push((r.body as string).split('\n')[0]!);
    return n;
  }
}

for (const tdb of testDatabases()) {
  describe(`PostgreSQL log tailer on ${tdb.name}`, () => {
    let db: Database;
    let store: RecordingOffsets;
    let queries: LogQueries;
    let dir: string;
    const tailers: PgLogTailer[] = [];
    const tailer = (paths: string[]) => {
      const t = new PgLogTailer({ paths, service: 'pg-tail', offsets: store, logger, chunkBytes: 4096 });
      tailers.push(t);
      return t;
    };
    /** The stored first lines of the bodies starting with `prefix` (each case has its own). */
    const storedBodies = async (prefix: string) =>
      (await queries.search({ service: 'pg-tail' }, { limit: 10_000 })).logs
        .map((l) => (l.body as string).split('\n')[0]!)
        .filter((b) => b.startsWith(prefix))
        .sort();
    const range = (p: string, a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => `${p}${a + i}`);
    const write = (file: string, p: string, a: number, b: number, line = jsonl) =>
      appendFileSync(file, range(p, a, b).map(line).join(''));

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      queries = new LogQueries(db);
    });
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pg-tail-'));
      // Earlier cases' offsets stay: a new file may get the inode of a deleted one, which its head tells apart.
      store = new RecordingOffsets(new PgLogOffsets(db, new PartitionManager(db)));
    });
    afterEach(async () => {
      for (const t of tailers.splice(0)) await t.close();
      rmSync(dir, { recursive: true, force: true });
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it('expands globs in the file name, sorted', async () => {
      for (const n of ['b.json', 'a.json', 'c.csv']) writeFileSync(join(dir, n), '');
      expect(await expandPaths([join(dir, '*.json'), join(dir, 'c.csv'), join(dir, 'missing-?.json')])).toEqual([
        join(dir, 'a.json'),
        join(dir, 'b.json'),
        join(dir, 'c.csv'),
      ]);
    });

    it('forgets the offsets of files not read within the retention, never those of a file it reads', async () => {
      const day = 86_400_000;
      const inner = new PgLogOffsets(db, new PartitionManager(db));
      const f = join(dir, 'kept.json');
      write(f, 'k', 1, 2);
      const t = new PgLogTailer({ paths: [f], service: 'pg-tail', offsets: store, logger, forgetAfterMs: day });
      tailers.push(t);
      expect((await t.poll()).stored).toBe(2);
      const kept = (await inner.list()).find((o) => o.path === f)!;
      const gone = { fileKey: `0:gone-${seq}`, path: join(dir, 'gone.json'), byteOffset: 10, headHex: '' };
      // Both last read ten days ago: the one still tailed is kept, the one rotated away is forgotten.
      await inner.commit([], gone, Date.now() - 10 * day);
      await inner.commit([], kept, Date.now() - 10 * day);
      expect(await t.upkeep()).toBe(1);
      const keys = (await inner.list()).map((o) => o.fileKey);
      expect(keys).toContain(kept.fileKey);
      expect(keys).not.toContain(gone.fileKey);
      expect((await inner.get(kept.fileKey))!.byteOffset).toBe(kept.byteOffset);
      // Without a retention nothing is forgotten.
      await inner.commit([], gone, Date.now() - 10 * day);
      expect(await tailer([f]).upkeep()).toBe(0);
      expect(await inner.get(gone.fileKey)).not.toBeNull();
      await inner.forgetOlderThan(day);
    });

    it('reads complete lines only, and the rest once it is written', async () => {
      const f = join(dir, 'pg.json');
      write(f, 'a', 1, 3);
      const half = jsonl('a4');
      appendFileSync(f, half.slice(0, 30));
      const t = tailer([f]);
      expect((await t.poll()).stored).toBe(3);
      appendFileSync(f, half.slice(30));
      expect((await t.poll()).stored).toBe(1);
      expect(await t.poll()).toEqual({ stored: 0, refused: [] });
      expect(await storedBodies('a')).toEqual(range('a', 1, 4));
      expect(store.committed).toEqual(range('a', 1, 4));
    });

    it('resumes after a restart mid-file from the saved offset: nothing lost, nothing doubled', async () => {
      const f = join(dir, 'pg.csv');
      write(f, 'b', 1, 5, csvl);
      const partial = csvl('b6');
      appendFileSync(f, partial.slice(0, partial.indexOf('\n') + 3)); // inside the quoted message
      const first = tailer([f]);
      expect((await first.poll()).stored).toBe(5);
      await first.close();
      appendFileSync(f, partial.slice(partial.indexOf('\n') + 3));
      write(f, 'b', 7, 9, csvl);
      const second = tailer([f]);
      expect((await second.poll()).stored).toBe(4);
      expect(await storedBodies('b')).toEqual(range('b', 1, 9).sort());
      expect(store.committed).toEqual(range('b', 1, 9));
    });

    it('follows a rotation by rename: the old file is read to its end, the new one from its start', async () => {
      const f = join(dir, 'pg.json');
      write(f, 'c', 1, 3);
      const t = tailer([f]);
      await t.poll();
      write(f, 'c', 4, 5); // written before the rotation, not yet read
      renameSync(f, `${f}.1`);
      write(f, 'c', 6, 7);
      expect((await t.poll()).stored).toBe(4);
      // A restart after the rotation: the renamed file is not matched any more, the new one resumes.
      await t.close();
      write(f, 'c', 8, 8);
      await tailer([f]).poll();
      expect(store.committed).toEqual(range('c', 1, 8));
      expect(await storedBodies('c')).toEqual(range('c', 1, 8));
    });

    it('follows PostgreSQL creating a new file per rotation under a glob, and a rename within the glob', async () => {
      const glob = join(dir, 'postgresql-*.json');
      write(join(dir, 'postgresql-1.json'), 'd', 1, 2);
      const t = tailer([glob]);
      await t.poll();
      write(join(dir, 'postgresql-1.json'), 'd', 3, 3);
      write(join(dir, 'postgresql-2.json'), 'd', 4, 5);
      renameSync(join(dir, 'postgresql-1.json'), join(dir, 'postgresql-1-old.json'));
      await t.poll();
      await t.close();
      // After a restart the renamed file is known by its inode: nothing of it is read again.
      write(join(dir, 'postgresql-2.json'), 'd', 6, 6);
      await tailer([glob]).poll();
      expect(store.committed).toEqual(range('d', 1, 6));
    });

    it('reads a truncated file (copytruncate) from its start, shorter or rewritten longer', async () => {
      const f = join(dir, 'pg.json');
      write(f, 'e', 1, 4);
      const t = tailer([f]);
      await t.poll();
      truncateSync(f, 0);
      write(f, 'e', 5, 5);
      expect((await t.poll()).stored).toBe(1);
      // Truncated and rewritten past the old offset between two polls: the head tells.
      truncateSync(f, 0);
      write(f, 'e', 6, 12);
      expect((await t.poll()).stored).toBe(7);
      expect(store.committed).toEqual(range('e', 1, 12));
    });

    it('reports a malformed line with its file and byte offset, skips it once, and keeps the rest', async () => {
      const f = join(dir, 'pg.json');
      write(f, 'f', 1, 2);
      const bad = '{"timestamp": "2026-12-03 10:25:36.341 UTC", "message": oops}\n';
      const before = statSync(f).size;
      appendFileSync(f, bad);
      write(f, 'f', 3, 3);
      const t = tailer([f]);
      const out = await t.poll();
      expect(out.stored).toBe(3);
      expect(out.refused).toEqual([{ path: f, offset: before, message: expect.stringMatching(/^invalid JSON/) }]);
      write(f, 'f', 4, 4);
      expect(await t.poll()).toEqual({ stored: 1, refused: [] });
      expect(store.committed).toEqual(range('f', 1, 4));
    });

    it('reads again what a failed commit did not store, and only that', async () => {
      const f = join(dir, 'pg.json');
      write(f, 'g', 1, 2);
      const t = tailer([f]);
      await t.poll();
      write(f, 'g', 3, 5);
      store.failNext = true;
      await expect(t.poll()).rejects.toThrow('connection lost before COMMIT');
      // The same process retries, then a restarted one finds the offset where the last commit left it.
      expect((await t.poll()).stored).toBe(3);
      await t.close();
      write(f, 'g', 6, 6);
      await tailer([f]).poll();
      expect(store.committed).toEqual(range('g', 1, 6));
      expect(await storedBodies('g')).toEqual(range('g', 1, 6));
    });
  });
}
