export { createApiApp, type ApiDeps } from './app.ts';
export { parseDurationNs, parseTimeNs } from './params.ts';
export { startApi, type ApiService } from './server.ts';
