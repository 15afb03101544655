export { createApiApp, type ApiDeps } from './app.ts';
export { parseDurationNs, parseTimeNs } from './params.ts';
export { startApi, type ApiService } from './server.ts';
export {
  Auth,
  authOptionsFromConfig,
  hashPassword,
  verifyPassword,
  isLoopback,
  type AuthOptions,
  type AuthUser,
  type Principal,
  type Role,
} from './auth.ts';
export { readStatus, statusRoutes, type Status, type StatusDeps } from './status.ts';
