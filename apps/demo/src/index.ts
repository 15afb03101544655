export { startDemo, type Demo, type DemoLogger, type DemoOptions } from './demo.ts';
export { DEFAULT_INCIDENTS, type IncidentSchedule } from './shop.ts';
export { collectBatch } from './remote-write.ts';
