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

describe('ingest transport and auth settings', () => {
  it('serves OTLP/gRPC on 4317 by default, with no token', () => {
    const c = loadConfig({});
    expect(c.GRPC_PORT).toBe(4317);
    expect(c.GRPC_MAX_MESSAGE_BYTES).toBe(4 * 1024 * 1024);
    expect(c.INGEST_TOKEN).toBeUndefined();
  });

  it('reads INGEST_TOKEN as one or several comma-separated tokens', () => {
    expect(loadConfig({ INGEST_TOKEN: 'abc' }).INGEST_TOKEN).toEqual(['abc']);
    expect(loadConfig({ INGEST_TOKEN: ' abc , def,,' }).INGEST_TOKEN).toEqual(['abc', 'def']);
  });

  it('refuses an unusable INGEST_TOKEN without ever showing its value', () => {
    for (const bad of [',,', 'has space', 'tab\there,ok']) {
      let message = '';
      try {
        loadConfig({ INGEST_TOKEN: bad });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        message = (err as Error).message;
      }
      expect(message).toMatch(/INGEST_TOKEN/);
      expect(message).toContain('a value not shown');
      expect(message).not.toContain(bad);
    }
  });
});
