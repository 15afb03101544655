// The compare page's state: two traces, fetched together in the compact format, their span trees and
// the diff (model/trace-diff.ts), and what the user collapsed or filtered. Big arrays are $state.raw.
import { api } from '../api/client.ts';
import type { ApiSpan, TraceSummary } from '@pivot/api-types';
import { spansFromColumns, startsFromColumns } from '../model/trace-columns.ts';
import { buildSpanTree, type SpanTree } from '../model/span-tree.ts';
import { diffTraces, visibleDiffRows, type TraceDiff } from '../model/trace-diff.ts';
import { Resource } from './resource.svelte.ts';

export interface ComparedTraces {
  a: { summary: TraceSummary; tree: SpanTree<ApiSpan> };
  b: { summary: TraceSummary; tree: SpanTree<ApiSpan> };
  diff: TraceDiff;
}

export class TraceCompare {
  readonly data = new Resource<ComparedTraces>();
  collapsed = $state.raw(new Set<number>());
  changedOnly = $state(false);
  selected = $state(-1);
  /** Where the time went, ms: both fetches (in parallel), both trees, the diff. */
  timings = $state({ fetch: 0, trees: 0, diff: 0 });

  rows = $derived(
    this.data.data ? visibleDiffRows(this.data.data.diff, this.collapsed, this.changedOnly) : new Int32Array(0),
  );

  async load(a: string, b: string): Promise<void> {
    await this.data.load(async (signal) => {
      const t0 = performance.now();
      const [ca, cb] = await Promise.all([api.traceColumns(a, signal), api.traceColumns(b, signal)]);
      const t1 = performance.now();
      const ta = buildSpanTree(spansFromColumns(ca), startsFromColumns(ca));
      const tb = buildSpanTree(spansFromColumns(cb), startsFromColumns(cb));
      const t2 = performance.now();
      const diff = diffTraces(ta, tb);
      const t3 = performance.now();
      this.collapsed = new Set();
      this.selected = -1;
      this.timings = { fetch: t1 - t0, trees: t2 - t1, diff: t3 - t2 };
      return { a: { summary: ca.summary, tree: ta }, b: { summary: cb.summary, tree: tb }, diff };
    });
  }

  toggle(row: number): void {
    const r = this.data.data?.diff.rows[row];
    if (!r || r.descendants === 0) return;
    const next = new Set(this.collapsed);
    if (next.has(row)) next.delete(row);
    else next.add(row);
    this.collapsed = next;
  }

  expandAll(): void {
    this.collapsed = new Set();
  }
}
