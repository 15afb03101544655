// A running platform with the dashboard's demo data, for working on the dashboard by hand:
//   npx tsx apps/platform/test/dashboard-dev.ts   (PORT and INGEST_PORT default to 8090 and 4390)
// then open http://127.0.0.1:8090/. Ctrl+C stops it.
import { startTestPlatform } from './start.ts';
import { P99_QUERY, seedBigTrace, seedDemo } from './dashboard-seed.ts';

const platform = await startTestPlatform({
  PORT: process.env.PORT ?? '8090',
  INGEST_PORT: process.env.INGEST_PORT ?? '4390',
});
const demo = await seedDemo(platform.ingestUrl);
const big = process.env.BIG === '0' ? undefined : await seedBigTrace(platform.ingestUrl);
process.stdout.write(
  [
    `dashboard: ${platform.apiUrl}/`,
    `metrics:   ${platform.apiUrl}/metrics?q=${encodeURIComponent(P99_QUERY)}&from=now-30m&to=now`,
    `slow trace: ${platform.apiUrl}/traces/${demo.slowTraceIds[0]}`,
    big ? `10k-span trace: ${platform.apiUrl}/traces/${big}` : '',
    '',
  ].join('\n'),
);
process.on('SIGINT', () => void platform.stop().then(() => process.exit(0)));
process.on('SIGTERM', () => void platform.stop().then(() => process.exit(0)));
