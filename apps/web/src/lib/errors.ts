// Error and empty states say what happened and what to do next.
import { ApiError } from './api/client.ts';

export interface Explained {
  title: string;
  hint: string;
}

export function explain(e: unknown, what: string): Explained {
  if (e instanceof ApiError) {
    if (e.status === 0)
      return {
        title: `Could not load ${what}`,
        hint: 'The pivot server did not answer. Check that it is running (npm start) and reload.',
      };
    if (e.missing)
      return {
        title: `This server cannot show ${what} yet`,
        hint: `Its API has no ${e.path.split('?')[0]} endpoint. Update pivot and rebuild (npm run build).`,
      };
    if (e.status === 401 || e.status === 403)
      return { title: 'Not signed in', hint: 'Sign in again, then reload this page.' };
    if (e.status === 400 || e.status === 422) return { title: `The request for ${what} was refused`, hint: e.message };
    if (e.status === 404) return { title: `No ${what} found`, hint: e.message };
    if (e.status === 503)
      return {
        title: `${what[0]!.toUpperCase()}${what.slice(1)} are unavailable right now`,
        hint: `${e.message}. The database may be busy or down: retry in a moment.`,
      };
    return { title: `Could not load ${what} (HTTP ${e.status})`, hint: e.message };
  }
  return { title: `Could not load ${what}`, hint: e instanceof Error ? e.message : String(e) };
}
