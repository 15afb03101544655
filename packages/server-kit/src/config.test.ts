import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, configSchema, loadConfig } from './config.ts';

describe('configuration', () => {
  it('has defaults for a first start with no environment at all', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ DATA_DIR: './data', INGEST_PORT: 4318, PORT: 8080, HOST: '127.0.0.1', MIGRATE: true });
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it('stops start-up with a message naming the variable', () => {
    expect(() => loadConfig({ INGEST_PORT: 'http' })).toThrow(ConfigError);
    expect(() => loadConfig({ INGEST_PORT: 'http' })).toThrow(/INGEST_PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('treats empty values as unset, as compose files pass them', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).PORT).toBe(8080);
  });

  it('is documented: README lists every variable', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const name of Object.keys(configSchema.shape)) expect(readme, name).toContain(`| \`${name}\` |`);
  });
});
