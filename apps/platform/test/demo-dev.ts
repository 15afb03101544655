// The platform with the real demo shop running, as `npm run demo` has it, for working on the dashboard
// by hand: npx tsx apps/platform/test/demo-dev.ts (PORT and INGEST_PORT default to 8090 and 4390).
// HISTORY=60 first sends an hour of the demo's metrics (test/demo-history.ts), as if it had run that long;
// BIG=1 adds a 10,000-span trace.
import { startDemo } from '@pivot/demo';
import { startTestPlatform } from './start.ts';
import { seedDemoMetricsHistory } from './demo-history.ts';
import { seedBigTrace } from './dashboard-seed.ts';

const platform = await startTestPlatform({
  PORT: process.env.PORT ?? '8090',
  INGEST_PORT: process.env.INGEST_PORT ?? '4390',
});
if (Number(process.env.HISTORY ?? 0) > 0)
  await seedDemoMetricsHistory(platform.ingestUrl, { minutes: Number(process.env.HISTORY) });
const big = process.env.BIG === '1' ? await seedBigTrace(platform.ingestUrl) : undefined;
const demo = await startDemo({ ingestUrl: platform.ingestUrl });
process.stdout.write(`dashboard: ${platform.apiUrl}/ (the demo shop is running)\n`);
if (big) process.stdout.write(`10k-span trace: ${platform.apiUrl}/traces/${big}\n`);
const stop = () => void demo.stop().then(() => platform.stop().then(() => process.exit(0)));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
