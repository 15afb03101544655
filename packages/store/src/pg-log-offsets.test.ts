// The tailed files' offsets: saved with the records they cover, in one transaction, on both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unixNano, type ResourceLogs } from '@pivot/model';
import { PartitionManager, PgLogOffsets, type Database } from './index.ts';
import { rowCount, testDatabases } from './testing.ts';

const NS = 1_796_293_536_341_000_000n;

const batch = (...bodies: string[]): ResourceLogs[] => [
  {
    resource: { attributes: { 'service.name': 'postgresql', 'db.system': 'postgresql' }, droppedAttributesCount: 0 },
    scopeLogs: [
      {
        scope: { name: 'postgresql', version: '', attributes: {} },
        logRecords: bodies.map((body, i) => ({
          timeUnixNano: unixNano(NS + BigInt(i)),
          observedTimeUnixNano: unixNano(NS + 10n),
          severityNumber: 9,
          severityText: 'INFO',
          body,
          attributes: { 'pg.event': 'other' },
          droppedAttributesCount: 0,
          flags: 0,
          traceId: null,
          spanId: null,
          eventName: '',
        })),
      },
    ],
  },
];

for (const tdb of testDatabases()) {
  describe(`pg log offsets on ${tdb.name}`, () => {
    let db: Database;
    let offsets: PgLogOffsets;
    const file = { fileKey: '2049:131', path: '/var/log/postgresql/pg.json', headHex: '7b2274' };

    beforeAll(async () => {
      db = await tdb.open();
      await db.migrate();
      offsets = new PgLogOffsets(db, new PartitionManager(db));
    });
    afterAll(async () => {
      await db?.close();
      await tdb.drop();
    });

    it('stores records and the offset past them together, and moves the offset on', async () => {
      expect(await offsets.get(file.fileKey)).toBeNull();
      expect(await offsets.commit(batch('a', 'b'), { ...file, byteOffset: 120 })).toBe(2);
      expect(await offsets.get(file.fileKey)).toEqual({ ...file, byteOffset: 120 });
      // A chunk of refused lines only: the offset moves, nothing is stored.
      expect(await offsets.commit([], { ...file, path: '/var/log/postgresql/pg.json.1', byteOffset: 200 })).toBe(0);
      expect(await offsets.list()).toEqual([{ ...file, path: '/var/log/postgresql/pg.json.1', byteOffset: 200 }]);
      expect(await rowCount(db, 'logs')).toBe(2);
    });

    it('stores neither when the transaction fails', async () => {
      const broken = { ...file, path: null as unknown as string, byteOffset: 999 };
      await expect(offsets.commit(batch('c', 'd'), broken)).rejects.toThrow();
      expect(await rowCount(db, 'logs')).toBe(2);
      expect((await offsets.get(file.fileKey))?.byteOffset).toBe(200);
    });

    it('forgets files not read for a while', async () => {
      await offsets.commit([], { ...file, fileKey: '2049:7', byteOffset: 5 }, Date.now() - 10 * 86_400_000);
      expect(await offsets.forgetOlderThan(7 * 86_400_000)).toBe(1);
      expect((await offsets.list()).map((o) => o.fileKey)).toEqual([file.fileKey]);
    });
  });
}
