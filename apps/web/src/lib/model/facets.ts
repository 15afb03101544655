// Facets and their filters as URL parameters, shared by the log and trace searches. A facet value is
// included with its own parameter (service=, level=, status=, attr.<key>=) and excluded with the same
// name behind "not." (not.service=, not.attr.<key>=); the API reads the same names.
import type { Facet, FacetResult } from '@pivot/api-types';

export type { Facet, FacetResult };

/** What these functions read of a URLSearchParams (lib/model has no DOM types). */
export interface QueryParams extends Iterable<[string, string]> {
  getAll(name: string): string[];
}

/** A filter a facet click made: one URL parameter and value. */
export interface FacetChip {
  param: string;
  value: string;
  /** What the chip says: `service = checkout-api`, `http.route ≠ /healthz`. */
  label: string;
  exclude: boolean;
}

/** The URL parameter that includes (or excludes) a value of a facet. */
export function facetParam(f: Pick<Facet, 'key' | 'kind'>, fields: Record<string, string>, exclude: boolean): string {
  const base = f.kind === 'field' ? (fields[f.key] ?? f.key) : `attr.${f.key}`;
  return exclude ? `not.${base}` : base;
}

/** Field facets and the parameter each one sets, per page. */
export const LOG_FACET_FIELDS: Record<string, string> = { service: 'service', severity: 'level' };
export const TRACE_FACET_FIELDS: Record<string, string> = { service: 'service', status: 'status' };

/** The chips of the facet filters in a URL, in URL order; `params` are the field parameters shown as chips. */
export function facetChips(sp: QueryParams, fields: Record<string, string>): FacetChip[] {
  const names = new Map(Object.entries(fields).map(([k, p]) => [p, k]));
  const out: FacetChip[] = [];
  for (const [param, value] of sp) {
    const exclude = param.startsWith('not.');
    const base = exclude ? param.slice(4) : param;
    const key = base.startsWith('attr.') ? base.slice(5) : names.get(base);
    if (!key) continue;
    out.push({ param, value, label: `${key} ${exclude ? '≠' : '='} ${value}`, exclude });
  }
  return out;
}

/**
 * The URL updates of a click on a facet value: including replaces the value of a single-valued field
 * (service, status) and drops its exclusion of that value; excluding adds to the exclusions and drops
 * an inclusion of the same value. Clicking an active value again removes it.
 */
export function toggleFacet(
  sp: QueryParams,
  f: Pick<Facet, 'key' | 'kind'>,
  value: string,
  exclude: boolean,
  fields: Record<string, string>,
): Record<string, string[]> {
  const inc = facetParam(f, fields, false);
  const exc = facetParam(f, fields, true);
  const incs = sp.getAll(inc);
  const excs = sp.getAll(exc);
  const single = f.kind === 'field' && inc !== 'level';
  if (exclude) {
    const on = excs.includes(value);
    return {
      [exc]: on ? excs.filter((v) => v !== value) : [...excs, value],
      [inc]: incs.filter((v) => v !== value),
    };
  }
  const on = incs.includes(value);
  return {
    [inc]: on ? incs.filter((v) => v !== value) : single ? [value] : [...incs, value],
    [exc]: excs.filter((v) => v !== value),
  };
}

/** Whether a value is included (1), excluded (-1) or neither (0) by the URL. */
export function facetState(
  sp: QueryParams,
  f: Pick<Facet, 'key' | 'kind'>,
  value: string,
  fields: Record<string, string>,
): 1 | -1 | 0 {
  if (sp.getAll(facetParam(f, fields, false)).includes(value)) return 1;
  if (sp.getAll(facetParam(f, fields, true)).includes(value)) return -1;
  return 0;
}

/** The URL update that removes one chip. */
export function removeChip(sp: QueryParams, chip: FacetChip): Record<string, string[]> {
  return { [chip.param]: sp.getAll(chip.param).filter((v) => v !== chip.value) };
}

/** Every facet filter of a URL as API parameters (the same names), for the search and facet calls. */
export function facetFilterParams(sp: QueryParams, fields: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of facetChips(sp, fields)) (out[c.param] ??= []).push(c.value);
  return out;
}
