// The store owns all SQL: no file outside packages/store and db/ writes a statement, builds one with
// drizzle's `sql`, or imports a driver. (The root eslint.config.js forbids the imports as well; this
// also catches SQL text, in any language the repository holds.) A few files carry SQL as data, never
// run: each is allowed below for the line it has, with the reason.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Where SQL may live: the store, and the schema and migrations. */
const OWNERS = ['packages/store/', 'db/'];

const SQL_PATTERNS: RegExp[] = [
  // Statements. Structural forms are matched in any case; bare keywords only in upper case, so that
  // prose ("select a service from the list") and truncate() do not count.
  /\b(INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+"?\w+"?\s+SET|CREATE\s+(UNIQUE\s+)?(TABLE|DATABASE|EXTENSION|INDEX)|DROP\s+(TABLE|DATABASE|INDEX)|ALTER\s+TABLE|LOCK\s+TABLE|TRUNCATE\s+TABLE)\s/i,
  /\bSELECT\s.+\sFROM\b|\b(TRUNCATE|VACUUM|ANALYZE)\s+["\w]/,
  // Lower-case queries: SELECT … FROM <name>, then a clause or the end of the string.
  /\bselect\s.+?\sfrom\s+["\w.]+(\s+(where|join|left|inner|group|order|limit|as|tablesample|union)\b|\s*[;`'")]|\s*$)/i,
  /\bpg_(class|inherits|namespace|index|stat_activity|terminate_backend|advisory_\w+|try_advisory_\w+)\b/i,
  // drizzle's SQL builder.
  /\bsql`|\bsql\.(raw|identifier|join|param|empty)\(/,
  // The drivers and drizzle, imported statically or dynamically.
  /\bfrom\s+['"](pg|drizzle-orm|@electric-sql\/pglite)(\/[^'"]*)?['"]/,
  /\b(import|require)\(\s*['"](pg|drizzle-orm|@electric-sql\/pglite)(\/[^'"]*)?['"]\s*\)/,
];

/** Data, never executed; each entry names the file, the text it allows, and why. */
const ALLOWED: { file: string; text: RegExp; reason: string }[] = [
  {
    file: 'apps/demo/src/shop.ts',
    text: /'(SELECT quantity FROM stock WHERE sku = \$1|INSERT INTO payments \(order_id, amount_cents, status\) VALUES \(\$1, \$2, \$3\) ON CONFLICT \(order_id\) DO NOTHING|UPDATE stock SET reserved = reserved \+ 1 WHERE sku = \$1|INSERT INTO shipments \(order_id, sku\) VALUES \(\$1, \$2\))'/,
    reason:
      "the demo shop's statements: run on its own database (schema demo) when the platform is on PostgreSQL, and carried in its DB spans (db.query.text) as telemetry",
  },
  {
    file: 'apps/demo/src/database.ts',
    text: /^import pg from 'pg';$|CREATE (SCHEMA|TABLE) IF NOT EXISTS|INSERT INTO \$\{DEMO_SCHEMA\}\.stock|pg_advisory_xact_lock\(hashtext\('pivot-demo-schema'\)\)/,
    reason:
      "the demo shop's own database client and schema (a monitored application's, in the schema demo): not pivot's store",
  },
  {
    file: 'apps/platform/test/db-server-logs.e2e.test.ts',
    text: /INSERT INTO payments \(order_id, amount_cents, status\) VALUES \(\$1, \$2, \$3\) ON CONFLICT \(order_id\) DO NOTHING( \/\*traceparent=|')/,
    reason: "the demo's payment statement, as its span (db.query.text) and the database's log line carry it: telemetry",
  },
  {
    file: 'apps/platform/test/pglog-demo.e2e.test.ts',
    text: /INSERT INTO payments \(order_id, amount_cents, status\) VALUES \(\$1, \$2, \$3\) ON CONFLICT \(order_id\) DO NOTHING( \/\*traceparent=|')/,
    reason:
      "the demo's payment statement, as its span (db.query.text) and the real server's log line carry it: telemetry",
  },
  {
    file: 'apps/platform/bench/payloads.ts',
    text: /'db\.query\.text': 'SELECT \* FROM orders WHERE id = \$1'/,
    reason: 'a span attribute in the benchmark payloads: telemetry data',
  },
  {
    file: 'apps/platform/test/dashboard-seed.ts',
    text: /'db\.query\.text': 'SELECT \* FROM cart_items WHERE user_id = \$1'/,
    reason: 'a span attribute in the dashboard test data: telemetry data',
  },
  {
    file: 'packages/otlp/src/traces.test.ts',
    text: /'db\.query\.text': 'SELECT \* FROM users WHERE id = \$1'/,
    reason: 'a span attribute in an OTLP decoding fixture: telemetry data',
  },
  {
    file: 'apps/platform/bench/logs.ts',
    text: /`slow query on orders took \$\{ms\}ms: SELECT \* FROM orders WHERE customer_id = \$1`/,
    reason: 'a log message body of the benchmark corpus: log data',
  },
  {
    file: 'apps/platform/test/reliability/injection.test.ts',
    text: /`'; DROP TABLE spans; --`|DROP TABLE IF EXISTS "\\\$\\\{p\\\.name\\\}"|CREATE (UNIQUE )?INDEX IF NOT EXISTS "\\\$\\\{partition\\\}/,
    reason: 'an injection payload sent as data, and the sql.raw audit quoting the store line it allows',
  },
  {
    file: 'apps/api/test/sql.test.ts',
    text: /'SELECT \* FROM public\.spans'|"SELECT g AS n, 'x' \|\| g AS s FROM generate_series\(1, 3\) g ORDER BY g;"/,
    reason: 'statements an admin types into the SQL console, sent to POST /api/sql as data',
  },
  {
    file: 'apps/platform/test/csp.e2e.test.ts',
    text: /'SELECT service, count\(\*\)::int AS spans FROM spans GROUP BY 1 ORDER BY 1'/,
    reason: 'a statement typed into the SQL page in the browser: data for POST /api/sql',
  },
  ...[
    'packages/pglog/src/sql-text.test.ts',
    'packages/pglog/src/interpret.test.ts',
    'packages/pglog/src/decoders.test.ts',
    'apps/ingest/test/pglog-http.test.ts',
  ].map((file) => ({
    file,
    text: /\b(acct|t|t2|"T")\b|^\S*\s*\[?['"]SELECT \$1|SELECT a\$b|LOCK TABLE t|FROM "T"/,
    reason:
      'statements inside PostgreSQL server log lines (or masked from them): log data the PostgreSQL log decoder reads',
  })),
  {
    file: 'apps/platform/test/pglog.e2e.test.ts',
    text: /require\('pg'\)|\bacct\b/,
    reason:
      "the monitored application's own database client and its statements, run on a private PostgreSQL server whose logs pivot ingests: not pivot's store",
  },
];

/** Lines of `text` that look like SQL, comments aside (a comment may explain what the store does). */
export function findSql(text: string): { line: number; text: string }[] {
  const hits: { line: number; text: string }[] = [];
  let inBlock = false;
  text.split('\n').forEach((raw, i) => {
    let s = raw;
    if (inBlock) {
      const end = s.indexOf('*/');
      if (end < 0) return;
      s = s.slice(end + 2);
      inBlock = false;
    }
    const trimmed = s.trim();
    if (trimmed.startsWith('//') || trimmed.startsWith('*') || trimmed.startsWith('<!--')) return;
    if (trimmed.startsWith('/*')) {
      if (!trimmed.includes('*/')) inBlock = true;
      return;
    }
    if (SQL_PATTERNS.some((re) => re.test(s))) hits.push({ line: i + 1, text: raw.trim() });
  });
  return hits;
}

function repositoryFiles(): string[] {
  // Tracked files and new ones not ignored: an SQL file added but not yet committed counts too.
  const out = execFileSync(
    'git',
    [
      'ls-files',
      '-z',
      '--cached',
      '--others',
      '--exclude-standard',
      '--',
      '*.ts',
      '*.mts',
      '*.cts',
      '*.js',
      '*.mjs',
      '*.cjs',
      '*.svelte',
    ],
    { cwd: root, maxBuffer: 64 * 1024 * 1024 },
  ).toString();
  return [...new Set(out.split('\0').filter(Boolean))].filter((f) => existsSync(join(root, f)));
}

describe('SQL lives in packages/store and db/ only', () => {
  it('finds no SQL, no sql`` and no driver import anywhere else, bar the data listed with a reason', () => {
    const files = repositoryFiles();
    expect(files.length).toBeGreaterThan(100);
    const found: string[] = [];
    const used = new Set<(typeof ALLOWED)[number]>();
    for (const file of files) {
      if (OWNERS.some((o) => file.startsWith(o))) continue;
      for (const hit of findSql(readFileSync(join(root, file), 'utf8'))) {
        const allowed = ALLOWED.find((a) => a.file === file && a.text.test(hit.text));
        if (allowed) used.add(allowed);
        else found.push(`${file}:${hit.line}: ${hit.text}`);
      }
    }
    expect(found, 'move these statements into packages/store (or @pivot/store/testing, @pivot/store/bench)').toEqual(
      [],
    );
    // An allowance that matches nothing any more is removed, so the list stays short and true.
    expect(ALLOWED.filter((a) => !used.has(a)).map((a) => a.file)).toEqual([]);
  });

  it('would catch SQL added to the API, however it is written', () => {
    const api = [
      "import { sql } from 'drizzle-orm';",
      "import type { SQL } from 'drizzle-orm';",
      "import pg from 'pg';",
      "const { PGlite } = await import('@electric-sql/pglite');",
      'const rows = await database.query(sql`SELECT name FROM span_operations`);',
      "await client.query('select count(*) from spans where trace_id = $1', [id]);",
      "await client.query('DELETE FROM logs WHERE time_ns < $1', [t]);",
      'const q = `update traces set span_count = 0`;',
      "const stats = 'SELECT relname, reltuples FROM pg_class';",
      'await database.query(sql.raw(text));',
    ];
    for (const line of api) expect(findSql(line), line).toHaveLength(1);
    for (const prose of [
      '// SELECT * FROM spans in a comment explains, it does not run',
      "const hint = 'Select a service from the list';",
      'return truncate(value, max);',
      "title: 'Tables',",
    ])
      expect(findSql(prose), prose).toEqual([]);
  });
});
