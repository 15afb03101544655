// Error and empty states say what happened and what to do next, in a sentence; `retry` says whether
// trying again can help (a refused request, such as a malformed ID, fails the same way every time).
import { ApiError } from './api/client.ts';

export interface Explained {
  title: string;
  hint: string;
  retry: boolean;
}

const cap = (s: string) => `${s[0]!.toUpperCase()}${s.slice(1)}`;
/** The server's message without its own prefix, ending with a full stop. */
const sentence = (m: string) => {
  const s = m.replace(/^invalid parameter "[^"]+":\s*/, '').trim();
  return s ? `${cap(s)}${/[.!?]$/.test(s) ? '' : '.'}` : '';
};

export function explain(e: unknown, what: string): Explained {
  if (e instanceof ApiError) {
    if (e.status === 0)
      return {
        title: `Could not load ${what}`,
        hint: 'The pivot server did not answer. Check that it is running (npm start), then retry.',
        retry: true,
      };
    if (e.missing)
      return {
        title: `This server cannot show ${what} yet`,
        hint: `Its API has no ${e.path.split('?')[0]} endpoint. Update pivot and rebuild (npm run build).`,
        retry: false,
      };
    if (e.status === 401 || e.status === 403)
      return { title: 'Not signed in', hint: 'Sign in again, then reload this page.', retry: false };
    if (e.status === 400 || e.status === 422) {
      if (/traceId: .* is not a trace ID/.test(e.message))
        return {
          title: 'This is not a trace ID',
          hint: `${sentence(e.message.replace(/^traceId:\s*/, ''))} Check the link, or paste the ID from a log line or an exemplar; Traces search finds traces by service, duration and attributes.`,
          retry: false,
        };
      return {
        title: `Cannot show ${what}: the request is not valid`,
        hint: `${sentence(e.message)} Correct it, then run it again.`,
        retry: false,
      };
    }
    if (e.status === 404)
      return {
        title: `No ${what} found`,
        hint:
          what === 'trace'
            ? `${sentence(e.message)} Its spans may not have arrived yet (they show once their batch is committed), or it is past retention: retry in a few seconds, or search traces.`
            : `${sentence(e.message)} Check the name or ID, or widen the time range.`,
        retry: true,
      };
    if (e.status === 503)
      return {
        title: `${cap(what)} cannot be read right now`,
        hint: `${sentence(e.message)} The database may be busy or down: retry in a moment.`,
        retry: true,
      };
    return { title: `Could not load ${what} (HTTP ${e.status})`, hint: sentence(e.message), retry: true };
  }
  return {
    title: `Could not load ${what}`,
    hint: e instanceof Error ? sentence(e.message) : String(e),
    retry: true,
  };
}
