// The dashboard imports this package, so it must erase to nothing: a value exported here would ship
// to the browser, and an import of a server package would drag that package into the bundle.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const source = readFileSync(new URL('./index.ts', import.meta.url), 'utf8');

describe('@pivot/api-types', () => {
  it('compiles to a module with no runtime exports and no imports', () => {
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    }).outputText;
    const code = js
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('//'));
    expect(code).toEqual(['export {};']);
  });

  it('imports only types, and only from @pivot/model', () => {
    const imports = [...source.matchAll(/^import\s+(type\s+)?.*?from\s+'([^']+)';/gm)];
    expect(imports.length).toBeGreaterThan(0);
    for (const m of imports) expect([m[1]?.trim(), m[2]]).toEqual(['type', '@pivot/model']);
  });
});
