#!/usr/bin/env node
// `npm run demo`: `npm start` with the demo workload (DEMO=1), in a form that works on every shell.
process.env.DEMO = '1';
await import('./start.mjs');
