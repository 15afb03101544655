export { createIngestApp, type IngestDeps, type Sink } from './app.ts';
export { createIngestMetrics, flushRecorder, type IngestMetrics } from './metrics.ts';
export { startIngest, type IngestService } from './server.ts';
