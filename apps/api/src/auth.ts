// Who may read the API and dashboard. Users come from AUTH_USERS with scrypt password hashes; a login
// opens a session behind an HttpOnly, SameSite cookie, kept in the database so that every API replica
// honours it (its logout and expiry too), and Grafana's Prometheus data source may send the same users
// as HTTP Basic auth instead. Viewers read; admin actions need an admin.
// Without users, the API is open, which start-up allows only on a loopback address.
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { getConnInfo } from '@hono/node-server/conninfo';
import {
  ConfigError,
  HttpError,
  badRequest,
  isLoopback,
  type AppEnv,
  type Config,
  type Logger,
} from '@pivot/server-kit';
import type { SessionStore, StoredSession } from '@pivot/store';

export { isLoopback };
import { DEFAULT_THROTTLE, LoginThrottle, type ThrottleOptions } from './login-throttle.ts';
import { ScryptPool } from './scrypt-pool.ts';

export type Role = 'admin' | 'viewer';

export interface AuthUser {
  name: string;
  role: Role;
  /** `scrypt.N.r.p.salt.hash` (base64url salt and hash); `$` is accepted as the separator too. */
  hash: string;
}

/** Who a request is from. With auth off, every request is the local admin. */
export interface Principal {
  user: string | null;
  role: Role;
}

export interface AuthOptions {
  /** False: no login, every request is an admin (loopback only, or AUTH_DISABLED). */
  enabled: boolean;
  users: readonly AuthUser[];
  sessionTtlMs: number;
  /** https://… makes the session cookie Secure even when TLS ends at a proxy that does not say so. */
  publicUrl?: string | undefined;
  /** Sessions kept at most; past it the ones closest to expiry go first. */
  maxSessions?: number;
  /**
   * Where sessions live: the database (DbSessionStore) when several API replicas share users, so a
   * login, logout or expiry on one holds on all; this process's memory when absent (one process only).
   */
  sessions?: SessionStore;
  throttle?: ThrottleOptions;
  logger?: Logger;
  now?: () => number;
}

export const SESSION_COOKIE = 'pivot_session';

/** Paths under /api that answer without a session: logging in, and asking whether one is needed. */
const OPEN_API_PATHS: ReadonlySet<string> = new Set(['/api/auth/login', '/api/auth/logout', '/api/auth/me']);

// ---- password hashes ----------------------------------------------------------------------------

/**
 * scrypt cost: N=2^15, r=8 takes 32 MiB and about 100 ms per check. OWASP suggests N=2^17 (128 MiB);
 * we stay lower so a few concurrent logins fit a small server. The cost is stored in each hash, so
 * `npm run hash-password -- --cost 17` makes a stronger one that works as well.
 */
export const SCRYPT_DEFAULTS = { N: 32_768, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}
const memoryFor = (N: number, r: number) => 128 * N * r * 2;

/** A new hash with a random salt, in the form AUTH_USERS takes. */
export async function hashPassword(
  password: string,
  params: { N: number; r: number; p: number } = SCRYPT_DEFAULTS,
): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_BYTES, { ...params, maxmem: memoryFor(params.N, params.r) });
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('.');
}

const HASH_FORMAT = /^scrypt[.$](\d+)[.$](\d+)[.$](\d+)[.$]([A-Za-z0-9_-]+)[.$]([A-Za-z0-9_-]+)$/;

/** Parses a hash, refusing costs that are not sane (a typo must not make every login take minutes). */
export function parseHash(hash: string): { N: number; r: number; p: number; salt: Buffer; key: Buffer } | null {
  const m = HASH_FORMAT.exec(hash);
  if (!m) return null;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return null;
  const key = Buffer.from(m[5]!, 'base64url');
  if (key.length < 16) return null;
  return { N, r, p, salt: Buffer.from(m[4]!, 'base64url'), key };
}

/** Checks a password against a hash; on `pool`'s threads when given, else on libuv's. */
export async function verifyPassword(password: string, hash: string, pool?: ScryptPool): Promise<boolean> {
  const h = parseHash(hash);
  if (!h) return false;
  const opts = { N: h.N, r: h.r, p: h.p, maxmem: memoryFor(h.N, h.r) };
  const key = pool
    ? await pool.derive(password, h.salt, h.key.length, opts)
    : await scrypt(password, h.salt, h.key.length, opts);
  return timingSafeEqual(key, h.key);
}

/** A user name as it may appear in a log line: bounded, whatever was sent. */
export const loggedName = (name: string) => (name.length > 64 ? `${name.slice(0, 64)}…(${name.length} chars)` : name);

// ---- configuration ------------------------------------------------------------------------------

/**
 * Auth settings from the configuration. Refuses to start an open API on an address others can reach
 * unless AUTH_DISABLED says so: a first start on a server must not expose everything silently.
 */
export function authOptionsFromConfig(config: Config, logger?: Logger): AuthOptions {
  const users = config.AUTH_USERS;
  for (const u of users)
    if (!parseHash(u.hash))
      throw new ConfigError(
        `invalid configuration:\n  AUTH_USERS: the hash of user "${u.name}" is not a scrypt hash from "npm run hash-password"`,
      );
  const names = new Set<string>();
  for (const u of users) {
    if (names.has(u.name))
      throw new ConfigError(`invalid configuration:\n  AUTH_USERS: user "${u.name}" is listed twice`);
    names.add(u.name);
  }
  if (config.AUTH_DISABLED) {
    if (users.length) logger?.warn('AUTH_DISABLED is true: AUTH_USERS is ignored and the API is open');
    return {
      enabled: false,
      users: [],
      sessionTtlMs: config.AUTH_SESSION_TTL,
      publicUrl: config.PUBLIC_URL,
      ...(logger ? { logger } : {}),
    };
  }
  if (!users.length && !isLoopback(config.HOST))
    throw new ConfigError(
      `invalid configuration:\n  AUTH_USERS: required when HOST (${config.HOST}) is not a loopback address, so the API and dashboard are not open to anyone who can reach them. ` +
        'Make a hash with "npm run hash-password" and set AUTH_USERS=name:admin:<hash>, or set AUTH_DISABLED=true behind an authenticating proxy.',
    );
  return {
    enabled: users.length > 0,
    users,
    sessionTtlMs: config.AUTH_SESSION_TTL,
    publicUrl: config.PUBLIC_URL,
    ...(logger ? { logger } : {}),
  };
}

// ---- sessions and requests ----------------------------------------------------------------------

/** Sessions in this process's memory: for one API process (tests, embedding), not for replicas. */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, StoredSession>();

  create(selector: string, session: StoredSession, nowMs: number, max: number): Promise<void> {
    for (const [id, s] of this.sessions) if (s.expiresAtMs <= nowMs) this.sessions.delete(id);
    if (this.sessions.size >= max) {
      const byExpiry = [...this.sessions].sort((a, b) => a[1].expiresAtMs - b[1].expiresAtMs);
      for (const [id] of byExpiry.slice(0, this.sessions.size - max + 1)) this.sessions.delete(id);
    }
    this.sessions.set(selector, session);
    return Promise.resolve();
  }

  find(selector: string, nowMs: number): Promise<StoredSession | null> {
    const s = this.sessions.get(selector);
    if (s && s.expiresAtMs <= nowMs) this.sessions.delete(selector);
    return Promise.resolve(s && s.expiresAtMs > nowMs ? s : null);
  }

  delete(selector: string): Promise<void> {
    this.sessions.delete(selector);
    return Promise.resolve();
  }

  count(nowMs: number): Promise<number> {
    let n = 0;
    for (const s of this.sessions.values()) if (s.expiresAtMs > nowMs) n++;
    return Promise.resolve(n);
  }
}

const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');
// The cookie is `selector.verifier`: the selector finds the row, the verifier proves the bearer holds
// the cookie and is stored only as a hash, compared in constant time.
const COOKIE_FORMAT = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** How long a successful HTTP Basic check is remembered, so Grafana's queries do not each cost a scrypt. */
const BASIC_CACHE_MS = 5 * 60_000;
const BASIC_CACHE_MAX = 1000;
const MAX_SESSIONS = 10_000;

// A hash to check unknown user names against, so that a login for a name that does not exist takes
// as long as one with a wrong password.
const DUMMY_HASH = `scrypt.${SCRYPT_DEFAULTS.N}.${SCRYPT_DEFAULTS.r}.${SCRYPT_DEFAULTS.p}.${randomBytes(16).toString('base64url')}.${randomBytes(KEY_BYTES).toString('base64url')}`;

export class Auth {
  readonly enabled: boolean;
  private readonly users: Map<string, AuthUser>;
  private readonly sessions: SessionStore;
  /** sha256(user, password) → principal and expiry; never the password itself. */
  private readonly basicCache = new Map<string, { principal: Principal; expiresAt: number }>();
  private readonly principals = new WeakMap<Request, Principal>();
  private readonly now: () => number;
  private readonly pool = new ScryptPool(2);
  private readonly throttle: LoginThrottle;
  private readonly secureByConfig: boolean;

  constructor(private readonly opts: AuthOptions) {
    this.enabled = opts.enabled;
    this.users = new Map(opts.users.map((u) => [u.name, u]));
    this.sessions = opts.sessions ?? new MemorySessionStore();
    this.now = opts.now ?? Date.now;
    this.throttle = new LoginThrottle({ ...(opts.throttle ?? DEFAULT_THROTTLE), now: this.now });
    this.secureByConfig = opts.publicUrl?.startsWith('https:') ?? false;
  }

  /** Stops the password-check threads (at shutdown). */
  close(): Promise<void> {
    return this.pool.close();
  }

  /** The most password checks that ran at the same time (the pool's bound is 2). */
  get passwordChecksPeak(): number {
    return this.pool.peakConcurrency;
  }

  /** How many unexpired sessions are held (bounded by maxSessions). */
  sessionCount(): Promise<number> {
    return this.sessions.count(this.now());
  }

  /** Who is asking: set by the middleware for every /api request. */
  principal(c: Context): Principal {
    return (
      this.principals.get(c.req.raw) ?? (this.enabled ? { user: null, role: 'viewer' } : { user: null, role: 'admin' })
    );
  }

  /** Checks a name and password; the same work whether or not the name exists. */
  async check(name: string, password: string): Promise<Principal | null> {
    const user = this.users.get(name);
    const ok = await verifyPassword(password, user?.hash ?? DUMMY_HASH, this.pool);
    return ok && user ? { user: user.name, role: user.role } : null;
  }

  /**
   * check() behind the throttle: 429 while this address or name is serving a backoff, and every
   * miss lengthens it. Basic auth and the login form share it, so neither is a way around it.
   */
  private async throttledCheck(c: Context, name: string, password: string): Promise<Principal | null> {
    const ip = clientAddress(c);
    const wait = this.throttle.waitMs(ip, name);
    if (wait > 0)
      throw new HttpError(429, 'too many failed logins: wait before trying again', {
        'Retry-After': String(Math.ceil(wait / 1000)),
      });
    const principal = await this.check(name, password);
    if (principal) this.throttle.succeeded(ip, name);
    else this.throttle.failed(ip, name);
    return principal;
  }

  /**
   * Whether the session a long-lived request (a live tail) started with is still valid: false once
   * it logged out or expired. Requests on Basic auth or with auth off stay valid.
   */
  async stillValid(c: Context): Promise<boolean> {
    if (!this.enabled || !getCookie(c, SESSION_COOKIE)) return true;
    return (await this.sessionOf(c)) !== undefined;
  }

  private isHttps(c: Context): boolean {
    return this.secureByConfig || isHttps(c);
  }

  private async sessionOf(c: Context): Promise<[string, StoredSession] | undefined> {
    const m = COOKIE_FORMAT.exec(getCookie(c, SESSION_COOKIE) ?? '');
    if (!m) return undefined;
    const s = await this.sessions.find(m[1]!, this.now());
    if (!s) return undefined;
    const expected = Buffer.from(s.verifierSha256, 'hex');
    const got = Buffer.from(sha256Hex(m[2]!), 'hex');
    if (expected.length !== got.length || !timingSafeEqual(expected, got)) return undefined;
    // Sessions outlive a restart now: a user since removed from AUTH_USERS is logged out, and a changed
    // role takes effect at once.
    const user = this.users.get(s.user);
    if (!user) return undefined;
    return [m[1]!, { ...s, role: user.role }];
  }

  private async basic(c: Context): Promise<Principal | null | undefined> {
    const header = c.req.header('authorization');
    const m = header ? /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(header) : null;
    if (!m) return undefined;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const name = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const key = createHash('sha256').update(name).update('\0').update(password).digest('base64url');
    const cached = this.basicCache.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.principal;
    const principal = await this.throttledCheck(c, name, password);
    if (principal) {
      if (this.basicCache.size >= BASIC_CACHE_MAX) this.basicCache.clear();
      this.basicCache.set(key, { principal, expiresAt: this.now() + BASIC_CACHE_MS });
    }
    return principal;
  }

  /** 401 for /api requests without a session or valid Basic credentials (except logging in). */
  middleware(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      if (!this.enabled || OPEN_API_PATHS.has(c.req.path)) return next();
      const session = await this.sessionOf(c);
      let principal: Principal | null | undefined = session
        ? { user: session[1].user, role: session[1].role as Role }
        : undefined;
      principal ??= await this.basic(c);
      if (!principal) {
        // Ask for Basic only where a Basic client is the caller (Grafana), not in the browser's API calls.
        const challenge: Record<string, string> = c.req.header('authorization')
          ? { 'WWW-Authenticate': 'Basic realm="pivot", charset="UTF-8"' }
          : {};
        throw new HttpError(
          401,
          'not logged in (POST /api/auth/login, or HTTP Basic auth with an AUTH_USERS user)',
          challenge,
        );
      }
      this.principals.set(c.req.raw, principal);
      return next();
    };
  }

  /** 403 unless the caller is an admin (always allowed when auth is off). */
  requireAdmin(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      const p = this.principal(c);
      if (p.role !== 'admin') throw new HttpError(403, `user "${p.user}" is a viewer: this action needs an admin`);
      return next();
    };
  }

  /** POST /api/auth/login, POST /api/auth/logout, GET /api/auth/me. */
  routes(): Hono<AppEnv> {
    const app = new Hono<AppEnv>();
    app.post('/api/auth/login', async (c) => {
      if (!this.enabled) return c.json({ user: null, role: 'admin', authEnabled: false });
      // JSON only: a form post is what a cross-site page can send without a preflight.
      if (!/^application\/json\b/i.test(c.req.header('content-type') ?? ''))
        throw new HttpError(415, 'login: Content-Type must be application/json');
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        // Never echo the body: it holds a password.
        throw badRequest('login: expected a JSON body {"user": "…", "password": "…"}');
      }
      const { user, password } = (body ?? {}) as { user?: unknown; password?: unknown };
      if (typeof user !== 'string' || typeof password !== 'string')
        throw badRequest('login: expected a JSON body {"user": "…", "password": "…"}');
      const principal = await this.throttledCheck(c, user, password);
      if (!principal) {
        this.opts.logger?.warn({ user: loggedName(user), reqId: c.get('requestId') }, 'login refused');
        throw new HttpError(401, 'wrong user name or password');
      }
      const selector = randomBytes(16).toString('base64url');
      const verifier = randomBytes(32).toString('base64url');
      const now = this.now();
      await this.sessions.create(
        selector,
        {
          user: principal.user!,
          role: principal.role,
          expiresAtMs: now + this.opts.sessionTtlMs,
          verifierSha256: sha256Hex(verifier),
        },
        now,
        this.opts.maxSessions ?? MAX_SESSIONS,
      );
      setCookie(c, SESSION_COOKIE, `${selector}.${verifier}`, {
        httpOnly: true,
        sameSite: 'Lax',
        secure: this.isHttps(c),
        path: '/',
        maxAge: Math.floor(this.opts.sessionTtlMs / 1000),
      });
      this.opts.logger?.info({ user: principal.user, role: principal.role, reqId: c.get('requestId') }, 'login');
      return c.json({ ...principal, authEnabled: true });
    });
    app.post('/api/auth/logout', async (c) => {
      const s = await this.sessionOf(c);
      if (s) await this.sessions.delete(s[0]);
      deleteCookie(c, SESSION_COOKIE, { path: '/', secure: this.isHttps(c) });
      return c.body(null, 204);
    });
    // Answers without a session, so the dashboard can tell "log in" from "open".
    app.get('/api/auth/me', async (c) => {
      if (!this.enabled) return c.json({ user: null, role: 'admin', authEnabled: false });
      const s = await this.sessionOf(c);
      const principal = s ? { user: s[1].user, role: s[1].role as Role } : await this.basic(c);
      if (!principal) throw new HttpError(401, 'not logged in');
      return c.json({ ...principal, authEnabled: true });
    });
    return app;
  }
}

/** Whether the browser reached us over HTTPS, directly or through a proxy that says so. */
/**
 * The client's address for throttling: the socket's peer. Forwarded headers are not trusted, since
 * any client could send them to dodge the throttle; behind a proxy every client shares its address,
 * which the per-name limit still covers.
 */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // app.request() in tests has no socket.
    return 'local';
  }
}

function isHttps(c: Context): boolean {
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return forwarded === 'https' || new URL(c.req.url).protocol === 'https:';
}
