// Reading deploy/docker-compose.yml as Compose does: YAML with merge keys, then ${VAR} interpolation
// of every string value from the environment (.env). And a validator for the compose-spec schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2019Module from 'ajv/dist/2019.js';
import { parse } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | string;
  environment?: Record<string, string>;
  env_file?: string | string[];
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: {
    test: string[] | string;
    interval?: string;
    timeout?: string;
    retries?: number;
    start_period?: string;
  };
  restart?: string;
  profiles?: string[];
  deploy?: { replicas?: number };
  networks?: string[] | Record<string, { aliases?: string[] } | null>;
}
export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/**
 * Compose's interpolation: $$ is a dollar; ${VAR}, $VAR; ${VAR:-default} and ${VAR-default};
 * ${VAR:?error} and ${VAR?error} stop with the error; ${VAR:+alt} and ${VAR+alt}. With `:`, an empty
 * value counts as unset.
 */
export function interpolate(s: string, env: Record<string, string | undefined>): string {
  return s.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])((?:[^}])*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (m, name?: string, colon?: string, op?: string, arg?: string, bare?: string) => {
      if (m === '$$') return '$';
      if (bare) return env[bare] ?? '';
      const value = env[name!];
      const unset = value === undefined || (colon === ':' && value === '');
      if (op === '-') return unset ? arg! : value;
      if (op === '?') {
        if (unset) throw new Error(`required variable ${name} is missing a value: ${arg}`);
        return value;
      }
      if (op === '+') return unset ? '' : arg!;
      return value ?? '';
    },
  );
}

function interpolateTree(v: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof v === 'string') return interpolate(v, env);
  if (Array.isArray(v)) return v.map((x) => interpolateTree(x, env));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolateTree(x, env)]));
  return v;
}

/** The compose file as Compose sees it with this .env; throws as Compose does on a missing required variable. */
export function loadCompose(env: Record<string, string | undefined>): ComposeFile {
  const raw = parse(readFileSync(join(repoRoot, 'deploy', 'docker-compose.yml'), 'utf8'), { merge: true }) as unknown;
  const out = interpolateTree(raw, env) as ComposeFile & Record<string, unknown>;
  // Extension fields (x-…) are only anchors for the services.
  for (const k of Object.keys(out)) if (k.startsWith('x-')) delete out[k];
  return out;
}

/** A service's `environment:` (which Compose lays over its env_file). */
export function composeEnvironment(s: ComposeService): Record<string, string> {
  return { ...(s.environment ?? {}) };
}

/** Go durations, as compose writes them (healthcheck intervals, grace periods). */
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
/** Compose's short port syntax: [[ip:]host[-range]:]container[-range][/protocol]. */
const PORTS = /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/;

/**
 * A validator for the vendored compose-spec schema. The file is kept as published; its draft-04
 * `id` keywords and the `$schema` line (which Ajv does not resolve offline) are dropped before
 * compiling, and its custom formats are defined. The top-level `name` (the project name), which the
 * spec gained after this schema's version, is added as the current spec defines it.
 */
export function Ajv2019(schema: Record<string, unknown>) {
  const properties = schema.properties as Record<string, unknown>;
  schema = { ...schema, properties: { name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' }, ...properties } };
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => k !== 'id' && k !== '$schema')
          .map(([k, x]) => [k, strip(x)]),
      );
    return v;
  };
  const Ajv = (Ajv2019Module as unknown as { default: typeof Ajv2019Module }).default ?? Ajv2019Module;
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('duration', GO_DURATION);
  ajv.addFormat('ports', PORTS);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F:.]+\/\d+$/);
  return ajv.compile(strip(schema) as object);
}
