export { startDemo, type Demo, type DemoLogger, type DemoOptions } from './demo.ts';
export { DEFAULT_INCIDENTS, LEGACY_DROP_EVERY, SHOP_SERVICES, type IncidentSchedule } from './shop.ts';
export { collectBatch } from './remote-write.ts';
