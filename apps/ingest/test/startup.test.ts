// Start-up that fails half-way (the gRPC port is taken) must not leave the maintenance schedule running:
// in the one-process platform the API would go on, with jobs of an ingest that never listened. The
// schedule's timers are unref'd, so they never show as active resources: the test tracks every
// interval start-up creates and checks each is cleared.
import { createServer, type Server } from 'node:net';
import { createLogger, loadConfig } from '@pivot/server-kit';
import { openDatabase } from '@pivot/store';
import { afterEach, expect, it, vi } from 'vitest';
import { startIngest } from '../src/index.ts';

let taken: Server | undefined;
afterEach(() => {
  taken?.close();
  vi.restoreAllMocks();
});

it('stops its maintenance schedule when the gRPC port is taken', async () => {
  taken = createServer();
  await new Promise<void>((r) => taken!.listen(0, '127.0.0.1', r));
  const port = (taken.address() as { port: number }).port;
  const database = await openDatabase({ dataDir: 'memory://' });
  const live = new Set<unknown>();
  const set = globalThis.setInterval;
  const clear = globalThis.clearInterval;
  vi.spyOn(globalThis, 'setInterval').mockImplementation((...args: Parameters<typeof set>) => {
    const t = set(...args);
    live.add(t);
    return t;
  });
  vi.spyOn(globalThis, 'clearInterval').mockImplementation((t) => {
    live.delete(t);
    clear(t);
  });
  try {
    const config = loadConfig({ HOST: '127.0.0.1', INGEST_PORT: '0', GRPC_PORT: String(port) });
    await expect(startIngest(config, database, createLogger('silent', 'ingest'))).rejects.toThrow(/address|bind/i);
    expect(live.size).toBe(0);
  } finally {
    for (const t of live) clear(t as NodeJS.Timeout);
    await database.close();
  }
});
