// Prints the gzipped size of the JavaScript each page needs before it can render: the entry
// scripts of build/index.html, the root layout and the page, with everything they import
// statically (lazy chunks such as the PromQL editor load on demand and are listed apart). Fails the
// build when a page is over the budget. Reads only build/, so it measures what is served.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

// BUNDLE_BUDGET_KB lowers it, for the test that the build fails beyond it (apps/platform/test/bundle-budget.test.ts).
const BUDGET_KB = Number(process.env.BUNDLE_BUDGET_KB ?? 70);
const here = dirname(fileURLToPath(import.meta.url));
const build = resolve(here, '../build');
const nodesDir = join(build, '_app/immutable/nodes');

const gz = new Map();
const size = (file) => {
  if (!gz.has(file)) gz.set(file, gzipSync(readFileSync(file), { level: 9 }).length);
  return gz.get(file);
};
// Static imports of minified ES modules: `import{a as b}from"../chunks/x.js"` and `import"./y.js"`.
const STATIC_IMPORT = /(?:^|[;}\n])\s*import\s*(?:[^"'`()]*?from\s*)?["'`]([^"'`]+\.js)["'`]/g;
const DYNAMIC_IMPORT = /import\(\s*["'`]([^"'`]+\.js)["'`]\s*\)/g;
function closure(files) {
  const seen = new Set();
  const stack = [...files];
  while (stack.length) {
    const f = stack.pop();
    if (seen.has(f) || !existsSync(f)) continue;
    seen.add(f);
    for (const m of readFileSync(f, 'utf8').matchAll(STATIC_IMPORT)) stack.push(resolve(dirname(f), m[1]));
  }
  return seen;
}
const kb = (files) => [...files].reduce((s, f) => s + size(f), 0) / 1024;

const html = readFileSync(join(build, 'index.html'), 'utf8');
const entries = [...html.matchAll(/import\("([^"]+\.js)"\)/g)].map((m) => join(build, m[1]));
const jsIn = (dir) => readdirSync(dir).filter((f) => f.endsWith('.js'));
const nodeFile = (i) => jsIn(nodesDir).find((f) => f.startsWith(`${i}.`));
const routeOf = (i) => {
  const gen = resolve(here, `../.svelte-kit/generated/client-optimized/nodes/${i}.js`);
  const src = existsSync(gen) ? readFileSync(gen, 'utf8') : '';
  return /src\/routes(.*?)\/?\+page\.svelte/.exec(src)?.[1] || (src ? '/' : `node ${i}`);
};
const base = closure([...entries, join(nodesDir, nodeFile(0))]);
const lines = [];
let worst = 0;
const pageNodes = jsIn(nodesDir)
  .map((f) => Number(f.split('.')[0]))
  .filter((i) => i >= 2)
  .sort((a, b) => a - b);
for (const i of pageNodes) {
  const files = new Set([...base, ...closure([join(nodesDir, nodeFile(i))])]);
  const total = kb(files);
  worst = Math.max(worst, total);
  lines.push(`  ${routeOf(i)}: ${total.toFixed(1)} KB`);
}
const lazy = new Set();
for (const f of [
  ...jsIn(join(build, '_app/immutable/chunks')).map((n) => join(build, '_app/immutable/chunks', n)),
  ...jsIn(nodesDir).map((n) => join(nodesDir, n)),
])
  for (const m of readFileSync(f, 'utf8').matchAll(DYNAMIC_IMPORT)) {
    const target = resolve(dirname(f), m[1]);
    if (!target.includes('/nodes/') && !target.includes('/entry/')) lazy.add(target);
  }
// What a lazy chunk adds beyond what every page already has.
const lazyLines = [...lazy].map(
  (f) => `${f.split('/').pop()} ${kb([...closure([f])].filter((x) => !base.has(x))).toFixed(1)} KB`,
);
console.log(
  `initial JS per page (gzipped; budget ${BUDGET_KB} KB):\n${lines.join('\n')}\n  largest: ${worst.toFixed(1)} KB`,
);
if (lazyLines.length) console.log(`loaded on demand: ${lazyLines.join(', ')}`);
if (worst > BUDGET_KB) {
  console.error(`initial JS ${worst.toFixed(1)} KB is over the ${BUDGET_KB} KB budget`);
  process.exit(1);
}
