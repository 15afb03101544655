import { describe, expect, it } from 'vitest';
import {
  LOG_FACET_FIELDS,
  TRACE_FACET_FIELDS,
  facetChips,
  facetFilterParams,
  facetParam,
  facetState,
  removeChip,
  toggleFacet,
} from './facets.ts';

const svc = { key: 'service', kind: 'field' as const };
const sev = { key: 'severity', kind: 'field' as const };
const route = { key: 'http.route', kind: 'attribute' as const };

describe('facet filters in the URL', () => {
  it('names the parameter of an include and an exclude', () => {
    expect(facetParam(sev, LOG_FACET_FIELDS, false)).toBe('level');
    expect(facetParam(sev, LOG_FACET_FIELDS, true)).toBe('not.level');
    expect(facetParam(route, LOG_FACET_FIELDS, true)).toBe('not.attr.http.route');
    expect(facetParam({ key: 'status', kind: 'field' }, TRACE_FACET_FIELDS, false)).toBe('status');
  });

  it('includes on click, excludes on alt-click, and a second click removes it', () => {
    const sp = new URLSearchParams('service=a&not.attr.http.route=/healthz');
    // service is single-valued: including another replaces it.
    expect(toggleFacet(sp, svc, 'b', false, LOG_FACET_FIELDS)).toEqual({ service: ['b'], 'not.service': [] });
    expect(toggleFacet(sp, svc, 'a', false, LOG_FACET_FIELDS)).toEqual({ service: [], 'not.service': [] });
    // Excluding the included value swaps it.
    expect(toggleFacet(sp, svc, 'a', true, LOG_FACET_FIELDS)).toEqual({ 'not.service': ['a'], service: [] });
    expect(toggleFacet(sp, route, '/checkout', true, LOG_FACET_FIELDS)).toEqual({
      'not.attr.http.route': ['/healthz', '/checkout'],
      'attr.http.route': [],
    });
    expect(toggleFacet(sp, route, '/healthz', true, LOG_FACET_FIELDS)).toEqual({
      'not.attr.http.route': [],
      'attr.http.route': [],
    });
    // Levels add up (ERROR or WARN).
    expect(toggleFacet(new URLSearchParams('level=ERROR'), sev, 'WARN', false, LOG_FACET_FIELDS)).toEqual({
      level: ['ERROR', 'WARN'],
      'not.level': [],
    });
  });

  it('shows every facet filter as a removable chip and as API parameters', () => {
    const sp = new URLSearchParams('q=x&level=ERROR&not.service=b&attr.user.id=42&from=now-1h&not.attr.k=v');
    const chips = facetChips(sp, LOG_FACET_FIELDS);
    expect(chips.map((c) => c.label)).toEqual(['severity = ERROR', 'service ≠ b', 'user.id = 42', 'k ≠ v']);
    expect(chips.map((c) => c.exclude)).toEqual([false, true, false, true]);
    expect(removeChip(sp, chips[1]!)).toEqual({ 'not.service': [] });
    expect(facetFilterParams(sp, LOG_FACET_FIELDS)).toEqual({
      level: ['ERROR'],
      'not.service': ['b'],
      'attr.user.id': ['42'],
      'not.attr.k': ['v'],
    });
    expect(facetState(sp, sev, 'ERROR', LOG_FACET_FIELDS)).toBe(1);
    expect(facetState(sp, svc, 'b', LOG_FACET_FIELDS)).toBe(-1);
    expect(facetState(sp, svc, 'a', LOG_FACET_FIELDS)).toBe(0);
  });
});
