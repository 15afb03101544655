import { fileURLToPath } from 'node:url';

/** Absolute path of the committed SQL migrations, for drizzle's migrator. */
export const migrationsFolder = fileURLToPath(new URL('../migrations', import.meta.url));
