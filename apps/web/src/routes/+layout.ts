// A single-page app: the API serves the fallback page for every route, nothing is rendered ahead.
export const ssr = false;
export const prerender = false;
export const trailingSlash = 'never';
