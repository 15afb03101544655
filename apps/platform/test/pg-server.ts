// A private PostgreSQL 15 server from Debian's binaries, configured to log as issue 21 needs it:
// jsonlog and csvlog through the logging collector, every statement's duration, lock waits,
// auto_explain plans. The shared server on 5432 is never touched. Tests run as root, which initdb and
// postgres refuse: both run as the postgres user, in a directory it owns.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './start-helpers.ts';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
/** Why the suites that need the server skip, or null when they can run. */
export const pgServerMissing = (): string | null =>
  existsSync(`${PG_BIN}/postgres`) ? null : `needs PostgreSQL 15's server binaries at ${PG_BIN}/postgres`;

export interface PrivatePgServer {
  port: number;
  dir: string;
  logDir: string;
  output(): string;
  stop(): Promise<void>;
}

const asPostgres = (cmd: string, args: string[]): [string, string[]] =>
  process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];

export async function startPrivatePg(settings: Record<string, string> = {}): Promise<PrivatePgServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pivot-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const [initCmd, initArgs] = asPostgres(`${PG_BIN}/initdb`, [
    '-D',
    join(dir, 'data'),
    '-U',
    'postgres',
    '--auth=trust',
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'ignore' });
  const port = await freePort();
  const logDir = join(dir, 'log');
  const conf: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    logging_collector: 'on',
    log_destination: 'jsonlog,csvlog',
    log_directory: logDir,
    log_filename: 'postgresql-%Y%m%d_%H%M%S.log',
    log_timezone: 'UTC',
    log_min_duration_statement: '0',
    log_lock_waits: 'on',
    deadlock_timeout: '100ms',
    shared_preload_libraries: 'auto_explain',
    'auto_explain.log_min_duration': '0',
    ...settings,
  };
  const args = ['-D', join(dir, 'data'), '-p', String(port), '-k', dir];
  for (const [k, v] of Object.entries(conf)) args.push('-c', `${k}=${v}`);
  const [cmd, cmdArgs] = asPostgres(`${PG_BIN}/postgres`, args);
  const proc: ChildProcess = spawn(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      execFileSync(`${PG_BIN}/pg_isready`, ['-q', '-h', '127.0.0.1', '-p', String(port)]);
      break;
    } catch {
      if (Date.now() > deadline || proc.exitCode !== null) {
        proc.kill('SIGKILL');
        throw new Error(`private PostgreSQL did not start:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    port,
    dir,
    logDir,
    output: () => out,
    async stop() {
      if (proc.exitCode === null) {
        const [stopCmd, stopArgs] = asPostgres(`${PG_BIN}/pg_ctl`, ['stop', '-D', join(dir, 'data'), '-m', 'fast']);
        try {
          execFileSync(stopCmd, stopArgs, { stdio: 'ignore' });
        } catch {
          // Already stopping; the kill below covers a server that will not.
        }
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
