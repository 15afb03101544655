// Service colours: stable for a service name across pages and reloads, distinct for the first few.
const PALETTE = [
  '#4e9af1',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#ff9da7',
  '#9c755f',
  '#86bcb6',
  '#d37295',
  '#a0cbe8',
];

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Colour by position in a trace's service list when given (no clashes), else by name hash. */
export function serviceColor(service: string, services?: readonly string[]): string {
  const i = services ? services.indexOf(service) : -1;
  return PALETTE[(i >= 0 ? i : hash(service)) % PALETTE.length]!;
}

export const SERIES_COLORS = PALETTE;
