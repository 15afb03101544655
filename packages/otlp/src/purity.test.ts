// The package is pure: it may import only the model, the protobuf reader/writer and its own files.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('./', import.meta.url);
const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

describe('purity', () => {
  it.each(sources)('%s imports nothing but @pivot/model, @pivot/protobuf and ./ files, and touches no I/O', (file) => {
    const text = readFileSync(new URL(file, dir), 'utf8');
    const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
    for (const s of specifiers) expect(s).toMatch(/^(@pivot\/model|@pivot\/protobuf|\.\/[\w-]+\.ts)$/);
    expect(text).not.toMatch(/\brequire\(|\bimport\(|\bprocess\.|\bfetch\(|\bBuffer\b|node:/);
  });
});
