// The trace page's state: the trace and its logs, the span tree and what is derived from it
// (critical path, time per service, logs per span), and what the user collapsed and selected.
// Big arrays are $state.raw: they are replaced, never mutated, so Svelte does not proxy 10,000 spans.
import { api, ApiError } from '../api/client.ts';
import type { ApiSpan, LogRecord, TraceResponse } from '@pivot/api-types';
import { criticalPath, segmentsByNode, type CriticalSegment } from '../model/critical-path.ts';
import { logsBySpan } from '../model/logs.ts';
import { selfTimeByService, type ServiceTime } from '../model/self-time.ts';
import { ancestorsOf, buildSpanTree, visibleRows, type SpanTree } from '../model/span-tree.ts';
import { Resource } from './resource.svelte.ts';

export type LogsState =
  | { status: 'loading' }
  | { status: 'ok'; logs: LogRecord[] }
  | { status: 'unavailable'; reason: string }
  | { status: 'error'; error: unknown };

export class TraceView {
  readonly trace = new Resource<TraceResponse>();
  logs = $state.raw<LogsState>({ status: 'loading' });

  tree = $state.raw<SpanTree<ApiSpan>>(buildSpanTree<ApiSpan>([]));
  critical = $state.raw<CriticalSegment[]>([]);
  criticalByNode = $state.raw(new Map<number, CriticalSegment[]>());
  serviceTimes = $state.raw<ServiceTime[]>([]);
  collapsed = $state.raw(new Set<number>());
  selected = $state(-1);
  showCritical = $state(true);
  /** Where the time went, in ms (shown in the footer): fetch and parse, tree, critical path, breakdown. */
  timings = $state({ fetch: 0, tree: 0, critical: 0, breakdown: 0 });
  buildMs = $derived(this.timings.tree + this.timings.critical + this.timings.breakdown);

  rows = $derived(visibleRows(this.tree, this.collapsed));
  spanLogs = $derived(this.logs.status === 'ok' ? logsBySpan(this.logs.logs) : new Map<string, LogRecord[]>());
  selectedNode = $derived(this.selected >= 0 ? this.tree.nodes[this.selected] : undefined);

  async load(traceId: string): Promise<void> {
    this.logs = { status: 'loading' };
    const logsPromise = this.loadLogs(traceId);
    await this.trace.load(async (signal) => {
      const t0 = performance.now();
      const t = await api.trace(traceId, signal);
      const t1 = performance.now();
      const tree = buildSpanTree(t.spans);
      const t2 = performance.now();
      const critical = criticalPath(tree);
      const t3 = performance.now();
      const serviceTimes = selfTimeByService(tree);
      const t4 = performance.now();
      this.tree = tree;
      this.critical = critical;
      this.criticalByNode = segmentsByNode(critical);
      this.serviceTimes = serviceTimes;
      this.collapsed = new Set();
      this.timings = { fetch: t1 - t0, tree: t2 - t1, critical: t3 - t2, breakdown: t4 - t3 };
      return t;
    });
    await logsPromise;
  }

  private async loadLogs(traceId: string): Promise<void> {
    try {
      const res = await api.traceLogs(traceId);
      this.logs = { status: 'ok', logs: Array.isArray(res.logs) ? res.logs : [] };
    } catch (e) {
      if (e instanceof ApiError && e.missing)
        this.logs = { status: 'unavailable', reason: 'this server has no logs API yet' };
      else this.logs = { status: 'error', error: e };
    }
  }

  select(index: number): void {
    if (index < 0 || index >= this.tree.nodes.length) return;
    // A span hidden in a collapsed subtree is revealed.
    const hidden = ancestorsOf(this.tree, index).filter((a) => this.collapsed.has(a));
    if (hidden.length) {
      const next = new Set(this.collapsed);
      for (const a of hidden) next.delete(a);
      this.collapsed = next;
    }
    this.selected = index;
  }

  selectSpanId(spanId: string): boolean {
    const i = this.tree.byId.get(spanId);
    if (i === undefined) return false;
    this.select(i);
    return true;
  }

  toggle(index: number, collapse?: boolean): void {
    const node = this.tree.nodes[index];
    if (!node || node.descendants === 0) return;
    const isCollapsed = this.collapsed.has(index);
    const want = collapse ?? !isCollapsed;
    if (want === isCollapsed) return;
    const next = new Set(this.collapsed);
    if (want) next.add(index);
    else next.delete(index);
    this.collapsed = next;
  }

  expandAll(): void {
    this.collapsed = new Set();
  }

  /** Collapses every span at `depth` that has children: an overview of a big trace. */
  collapseToDepth(depth: number): void {
    const next = new Set<number>();
    for (const n of this.tree.nodes) if (n.depth === depth && n.descendants > 0) next.add(n.index);
    this.collapsed = next;
  }

  /** Moves the selection by `delta` visible rows. */
  move(delta: number): void {
    const rows = this.rows;
    if (rows.length === 0) return;
    const pos = rows.indexOf(this.selected);
    // Without a selection, moving down starts above the first row and moving up below the last.
    const from = pos >= 0 ? pos : delta > 0 ? -1 : rows.length;
    this.selected = rows[Math.min(rows.length - 1, Math.max(0, from + delta))]!;
  }
}
