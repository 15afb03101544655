// deploy/: the compose file is valid against the compose-spec JSON schema (vendored in
// deploy/compose-spec.schema.json, as tests run offline) and has what the self-hosting promise needs;
// the Dockerfile, .env.example and the agent examples are checked for what they must say.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '@pivot/server-kit';
import { Ajv2019, composeEnvironment, interpolate, loadCompose, repoRoot, type ComposeFile } from './deploy-compose.ts';

const deploy = (f: string) => join(repoRoot, 'deploy', f);
const read = (f: string) => readFileSync(deploy(f), 'utf8');
// What a user's .env holds once filled in.
const ENV = {
  POSTGRES_PASSWORD: 'pw',
  INGEST_TOKEN: 'tok',
  AUTH_USERS: 'alice:admin:scrypt.16384.8.1.c2FsdHNhbHRzYWx0c2E.a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U',
};

describe('deploy/docker-compose.yml', () => {
  const compose: ComposeFile = loadCompose(ENV);

  it('is valid against the compose-spec JSON schema', () => {
    const schema = JSON.parse(read('compose-spec.schema.json')) as Record<string, unknown>;
    const validate = Ajv2019(schema);
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
    // The validator does catch mistakes: an unknown key, a bad duration, a bad depends_on condition.
    expect(validate({ services: { a: { image: 'x', restrat: 'always' } } })).toBe(false);
    expect(validate({ services: { a: { image: 'x', healthcheck: { interval: 'often' } } } })).toBe(false);
    expect(validate({ services: { a: { image: 'x', depends_on: { b: { condition: 'service_ready' } } } } })).toBe(
      false,
    );
  });

  it('asks for the passwords and the token in .env instead of starting without them', () => {
    for (const name of ['POSTGRES_PASSWORD', 'INGEST_TOKEN', 'AUTH_USERS']) {
      const env = { ...ENV, [name]: '' };
      expect(() => loadCompose(env), name).toThrow(new RegExp(`${name}.*set ${name} in deploy/\\.env`));
    }
    expect(interpolate('${A:-x} ${A-y} $$A ${B:+z}', { A: '', B: '1' })).toBe('x  $A z');
  });

  it('runs the official PostgreSQL image with citus_columnar, major pinned, on a named volume with a healthcheck and tuned settings', () => {
    const pg = compose.services.postgres!;
    // Built from the official image of the same major as before (a pgdata volume opens unchanged), plus
    // Citus' upstream package for citus_columnar; nothing of the context is sent to the build.
    expect(pg.build).toEqual({ context: '.', dockerfile: 'postgres.Dockerfile' });
    expect(pg.image).toMatch(/^pivot-postgres:17-citus\d+\.\d+$/);
    const pgDockerfile = read('postgres.Dockerfile');
    expect(pgDockerfile.match(/^FROM .+$/gm)).toEqual(['FROM postgres:17-bookworm']);
    expect(pgDockerfile).toMatch(/install\.citusdata\.com\/community\/deb\.sh/);
    expect(pgDockerfile).toMatch(/postgresql-\$\{PG_MAJOR\}-citus-\$\{CITUS_MINOR\}=\$\{CITUS_VERSION\}/);
    expect(pgDockerfile).not.toMatch(/shared_preload_libraries|CREATE EXTENSION/);
    expect(read('postgres.Dockerfile.dockerignore').split('\n')).toContain('*');
    const [volume, target] = String(pg.volumes![0]).split(':');
    expect(target).toBe('/var/lib/postgresql/data');
    expect(Object.keys(compose.volumes ?? {})).toContain(volume);
    expect(JSON.stringify(pg.healthcheck!.test)).toMatch(/pg_isready/);
    const settings = (pg.command as string[]).filter((a, i, all) => all[i - 1] === '-c').map((s) => s.split('=')[0]);
    expect(settings).toEqual(
      expect.arrayContaining([
        'shared_buffers',
        'max_wal_size',
        'wal_compression',
        'effective_cache_size',
        'work_mem',
        'max_locks_per_transaction',
      ]),
    );
  });

  it('runs migrate once, then ingest (4318, 4317) and api (8080) on a healthy, migrated database', () => {
    const { migrate, ingest, api } = compose.services;
    expect(migrate!.command).toEqual(['node', 'apps/platform/dist/migrate.js']);
    expect(migrate!.restart).toBe('no');
    expect(migrate!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    const targets = (s: ComposeFile['services'][string]) => (s.ports ?? []).map((p) => String(p).split(':').at(-1));
    expect(targets(ingest!)).toEqual(['4318', '4317']);
    expect(targets(api!)).toEqual(['8080']);
    for (const s of [ingest!, api!]) {
      expect(s.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
      expect(s.restart).toBe('unless-stopped');
      expect(JSON.stringify(s.healthcheck!.test)).toMatch(/\/readyz/);
      expect(s.environment!.MIGRATE).toBe('false');
      expect(s.environment!.HOST).toBe('0.0.0.0');
    }
    // Auth is on: the API gets users, ingest a token.
    expect(api!.environment!.AUTH_USERS).toBe(ENV.AUTH_USERS);
    expect(ingest!.environment!.INGEST_TOKEN).toBe('tok');
    expect(composeEnvironment(api!).DATABASE_URL).toBe('postgres://pivot:pw@postgres:5432/pivot');
  });

  it('has the demo workload in an optional profile', () => {
    const demo = compose.services.demo!;
    expect(demo.profiles).toEqual(['demo']);
    expect(demo.command).toEqual(['node', 'apps/demo/dist/main.js']);
    expect(demo.environment!.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://ingest:4318');
    expect(demo.depends_on).toEqual({ ingest: { condition: 'service_healthy' } });
  });

  it('has Grafana in an optional profile, pinned, provisioned from examples/grafana against the api', () => {
    const g = compose.services.grafana!;
    expect(g.profiles).toEqual(['grafana']);
    expect(g.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    expect(g.volumes).toContain('./examples/grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(existsSync(deploy('examples/grafana/provisioning/datasources/pivot.yaml'))).toBe(true);
    expect(g.environment!.PIVOT_URL).toBe('http://pivot:8080');
    expect(g.depends_on).toEqual({ api: { condition: 'service_healthy' } });
    // The name the provisioned URLs use resolves to the api service.
    expect(JSON.stringify(compose.services.api!.networks)).toContain('"pivot"');
  });

  it('has a citus profile: a coordinator and two workers registered once, ingest and api as 2 replicas behind nginx', () => {
    const s = compose.services;
    const citus = Object.entries(s).filter(([, x]) => x.profiles?.includes('citus'));
    expect(citus.map(([n]) => n).sort()).toEqual([
      'citus-api',
      'citus-coordinator',
      'citus-ingest',
      'citus-lb',
      'citus-migrate',
      'citus-register',
      'citus-worker-1',
      'citus-worker-2',
    ]);
    for (const [, x] of citus) expect(x.profiles).toEqual(['citus']);
    // Citus' official image, one version for every node, on the postgres service's major (17).
    const nodes = ['citus-coordinator', 'citus-worker-1', 'citus-worker-2'].map((n) => s[n]!);
    for (const n of nodes) {
      expect(n.image).toBe('citusdata/citus:13.0.3');
      expect(n.environment!.POSTGRES_DB).toBe('pivot');
      expect(JSON.stringify(n.healthcheck!.test)).toMatch(/pg_isready/);
    }
    expect(new Set(nodes.map((n) => n.volumes![0]!.split(':')[0])).size).toBe(3);
    // The one-shot registers the coordinator and both workers once every node is healthy.
    const register = s['citus-register']!;
    const sqls = (register.command as string[]).filter((_, i, all) => all[i - 1] === '-c');
    expect(sqls).toEqual([
      "SELECT citus_set_coordinator_host('citus-coordinator', 5432)",
      "SELECT citus_add_node('citus-worker-1', 5432)",
      "SELECT citus_add_node('citus-worker-2', 5432)",
    ]);
    expect(register.restart).toBe('no');
    expect(Object.keys(register.depends_on!).sort()).toEqual(['citus-coordinator', 'citus-worker-1', 'citus-worker-2']);
    expect(s['citus-migrate']!.depends_on).toEqual({
      'citus-register': { condition: 'service_completed_successfully' },
    });
    // The replicas run the single-node services' commands on the coordinator, two of each.
    for (const [name, like] of [
      ['citus-ingest', 'ingest'],
      ['citus-api', 'api'],
    ] as const) {
      const r = s[name]!;
      expect(r.command).toEqual(s[like]!.command);
      expect(r.deploy).toEqual({ replicas: 2 });
      expect(r.ports ?? []).toEqual([]);
      expect(composeEnvironment(r).DATABASE_URL).toBe('postgres://pivot:pw@citus-coordinator:5432/pivot');
      // The same settings, but no PG_LOG_PATHS: the single node's log volume is its postgres service's, and
      // the Citus nodes' logs are not mounted into the replicas.
      const { PG_LOG_PATHS: tailed, ...single } = { ...s[like]!.environment } as Record<string, string>;
      expect(tailed).toBe(like === 'ingest' ? '/var/log/postgresql/*.json' : undefined);
      expect({ ...r.environment, DATABASE_URL: '' }).toEqual({ ...single, DATABASE_URL: '' });
      expect(r.volumes ?? []).toEqual([]);
      expect(r.depends_on).toEqual({ 'citus-migrate': { condition: 'service_completed_successfully' } });
    }
    // nginx, pinned, publishes what the single-node services publish and balances over every replica.
    const lb = s['citus-lb']!;
    expect(lb.image).toMatch(/^nginx:\d+\.\d+\.\d+$/);
    expect((lb.ports ?? []).map((p) => String(p).split(':').at(-1))).toEqual(['8080', '4318', '4317']);
    expect(lb.volumes).toEqual(['./nginx-citus.conf:/etc/nginx/conf.d/default.conf:ro']);
    const conf = read('nginx-citus.conf');
    for (const upstream of ['citus-api:8080', 'citus-ingest:4318', 'citus-ingest:4317'])
      expect(conf).toMatch(new RegExp(`server ${upstream} resolve;`));
    expect(conf).toMatch(/grpc_pass grpc:\/\/pivot_ingest_grpc;/);
    expect(conf).toMatch(/resolver 127\.0\.0\.11/);
    for (const v of ['citus-coordinator', 'citus-worker-1', 'citus-worker-2'])
      expect(Object.keys(compose.volumes ?? {})).toContain(v);
  });

  it('builds every pivot service from deploy/Dockerfile, whose commands exist in the image', () => {
    for (const name of ['migrate', 'ingest', 'api', 'demo', 'citus-migrate', 'citus-ingest', 'citus-api']) {
      const s = compose.services[name]!;
      expect(s.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(s.image).toBe('pivot:local');
      const entry = (s.command as string[])[1]!;
      // The source each bundle is built from.
      expect(existsSync(join(repoRoot, entry.replace('/dist/', '/src/').replace(/\.js$/, '.ts'))), entry).toBe(true);
    }
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  it('is multi-stage, prunes with turbo, runs on a Node LTS base as a non-root user', () => {
    const froms = dockerfile.match(/^FROM .+$/gm)!;
    expect(froms.length).toBeGreaterThanOrEqual(4);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:(20|22|24)-slim$/m);
    expect(dockerfile).toMatch(/turbo@.*prune @pivot\/platform .*--docker/s);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    // The workspaces' tsconfig.json extend the root one and the apps' tsup configs import
    // tsup.app.ts; turbo prune leaves both out.
    expect(dockerfile).toContain('COPY --from=prune /app/tsconfig.json /app/tsup.app.ts ./');
    const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(lastStage).toMatch(/^USER node$/m);
    // Everything the compose commands and the API need is copied into the final stage.
    for (const path of [
      'apps/ingest/dist',
      'apps/api/dist',
      'apps/platform/dist',
      'apps/demo/dist',
      'apps/web/build',
      'db/migrations',
      'apps/api/bin',
    ])
      expect(lastStage).toContain(`COPY --from=build /app/${path} ${path}`);
  });

  it('keeps installed and built files, and the .env with its secrets, out of the build context', () => {
    const ignore = read('Dockerfile.dockerignore');
    for (const p of ['**/node_modules', '**/dist', '.git', 'deploy/.env']) expect(ignore).toContain(p);
  });
});

describe('deploy/.env.example', () => {
  const example = read('.env.example');
  const listed = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));

  it('lists every variable pivot reads', () => {
    for (const name of Object.keys(configSchema.shape)) expect(listed, name).toContain(name);
  });

  it('lists every variable the compose file uses, with the required ones uncommented and empty', () => {
    const used = new Set([...read('docker-compose.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
    for (const name of used) expect(listed, name).toContain(name);
    for (const name of ['POSTGRES_PASSWORD', 'INGEST_TOKEN', 'AUTH_USERS'])
      expect(example).toMatch(new RegExp(`^${name}=$`, 'm'));
  });
});

describe('deploy/examples', () => {
  it('has an OpenTelemetry Collector pipeline exporting every signal to ingest with the token', () => {
    const c = parse(read('examples/otel-collector.yaml')) as {
      exporters: Record<string, { endpoint: string; headers: Record<string, string> }>;
      service: { pipelines: Record<string, { exporters: string[] }> };
    };
    const exporter = c.exporters['otlphttp/pivot']!;
    expect(exporter.endpoint).toMatch(/:4318$/);
    expect(exporter.headers.Authorization).toMatch(/^Bearer /);
    expect(Object.keys(c.service.pipelines).sort()).toEqual(['logs', 'metrics', 'traces']);
    for (const p of Object.values(c.service.pipelines)) expect(p.exporters).toEqual(['otlphttp/pivot']);
  });

  it('has a Prometheus remote_write block sending exemplars to ingest', () => {
    const c = parse(read('examples/prometheus-remote-write.yaml')) as {
      remote_write: { url: string; send_exemplars: boolean; authorization: { type: string } }[];
    };
    expect(c.remote_write[0]).toMatchObject({ send_exemplars: true, authorization: { type: 'Bearer' } });
    expect(c.remote_write[0]!.url).toMatch(/:4318\/api\/v1\/write$/);
  });

  it('provisions Grafana with pivot as Prometheus, Tempo and Loki, linked both ways by trace ID', () => {
    type Ds = { uid: string; type: string; url: string; basicAuth: boolean; jsonData: Record<string, any> };
    const { datasources } = parse(read('examples/grafana/provisioning/datasources/pivot.yaml')) as {
      datasources: Ds[];
    };
    const by = Object.fromEntries(datasources.map((d) => [d.type, d]));
    expect(Object.keys(by).sort()).toEqual(['loki', 'prometheus', 'tempo']);
    expect(by.prometheus!.url).toBe('$PIVOT_URL');
    expect(by.tempo!.url).toBe('$PIVOT_URL/tempo');
    expect(by.loki!.url).toBe('$PIVOT_URL');
    for (const d of datasources) expect(d.basicAuth).toBe(true);
    const uids = new Set(datasources.map((d) => d.uid));
    // exemplar → trace, trace → logs (tags mapped), trace → metrics, logs → trace
    const links = [
      by.prometheus!.jsonData.exemplarTraceIdDestinations[0].datasourceUid,
      by.tempo!.jsonData.tracesToLogsV2.datasourceUid,
      by.tempo!.jsonData.tracesToMetrics.datasourceUid,
      by.loki!.jsonData.derivedFields[0].datasourceUid,
    ];
    expect(links).toEqual([by.tempo!.uid, by.loki!.uid, by.prometheus!.uid, by.tempo!.uid]);
    for (const l of links) expect(uids.has(l)).toBe(true);
    expect(by.tempo!.jsonData.tracesToLogsV2).toMatchObject({
      filterByTraceID: true,
      tags: [{ key: 'service.name', value: 'service_name' }],
    });
    expect(by.loki!.jsonData.derivedFields[0]).toMatchObject({ matcherType: 'label', matcherRegex: 'trace_id' });
    // Grafana expands $VAR in provisioning files: its own variables must be written $$.
    const text = read('examples/grafana/provisioning/datasources/pivot.yaml');
    expect(text).not.toMatch(/[^$]\$\{__value/);
    expect(text).not.toMatch(/[^$]\$__tags/);
  });

  it('has Loki clients (Alloy, Promtail) pushing to the Loki-compatible endpoint', () => {
    expect(read('examples/alloy-loki.alloy')).toMatch(/url\s*=\s*"http:\/\/[^"]+:4318\/loki\/api\/v1\/push"/);
    expect(read('examples/alloy-loki.alloy')).toMatch(/bearer_token\s*=/);
    const p = parse(read('examples/promtail.yaml')) as { clients: { url: string; bearer_token: string }[] };
    expect(p.clients[0]!.url).toMatch(/:4318\/loki\/api\/v1\/push$/);
    expect(p.clients[0]!.bearer_token).toBe('${PIVOT_INGEST_TOKEN}'); // expanded by promtail -config.expand-env
  });
});
