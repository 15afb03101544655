import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Absolute path of the committed SQL migrations, for drizzle's migrator. Resolved through the package,
 * not import.meta.url, because the apps bundle this file into their own dist/.
 */
export const migrationsFolder = join(
  dirname(createRequire(import.meta.url).resolve('@pivot/db/package.json')),
  'migrations',
);
