export * as schema from './schema.ts';
export { migrationsFolder } from './paths.ts';
