// The trace page's state: the trace and its logs, the span tree and what is derived from it
// (critical path, time per service, logs per span), and what the user collapsed and selected.
// Big arrays are $state.raw: they are replaced, never mutated, so Svelte does not proxy 10,000 spans.
import { api, ApiError } from '../api/client.ts';
import type { ApiSpan, LogRecord, PropagationProblem, TraceResponse } from '@pivot/api-types';
import { spansFromColumns, startsFromColumns } from '../model/trace-columns.ts';
import { criticalPath, segmentsByNode, type CriticalSegment } from '../model/critical-path.ts';
import { logsBySpan } from '../model/logs.ts';
import { dbServerBySpan } from '../model/db-logs.ts';
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
  /** Spans the propagation check flags (a broken hop, an orphan…), by span ID, with why. */
  broken = $state.raw(new Map<string, { problem: PropagationProblem; why: string }>());

  tree = $state.raw<SpanTree<ApiSpan>>(buildSpanTree<ApiSpan>([]));
  critical = $state.raw<CriticalSegment[]>([]);
  criticalByNode = $state.raw(new Map<number, CriticalSegment[]>());
  serviceTimes = $state.raw<ServiceTime[]>([]);
  collapsed = $state.raw(new Set<number>());
  selected = $state(-1);
  showCritical = $state(true);
  /**
   * Where the time went, in ms (shown in the footer): fetch and parse, span tree; then, once the
   * rows are on screen, the critical path and the time per service.
   */
  timings = $state({ fetch: 0, tree: 0, critical: 0, breakdown: 0 });
  /** False until the critical path and the time per service are computed. */
  analysed = $state(false);
  #analysis: ReturnType<typeof setTimeout> | undefined;

  rows = $derived(visibleRows(this.tree, this.collapsed));
  spanLogs = $derived(this.logs.status === 'ok' ? logsBySpan(this.logs.logs) : new Map<string, LogRecord[]>());
  /** What the database server logged for each DB span's statements (duration, lock waits, plans). */
  dbServer = $derived(dbServerBySpan(this.spanLogs));
  selectedNode = $derived(this.selected >= 0 ? this.tree.nodes[this.selected] : undefined);

  /**
   * Loads the trace and resolves once its span tree is ready to draw; its logs load alongside, and
   * the critical path and the time per service follow after the first paint (`analysed`), so the
   * rows of a 10,000-span trace are not kept waiting for them.
   */
  async load(traceId: string): Promise<void> {
    this.logs = { status: 'loading' };
    clearTimeout(this.#analysis);
    void this.loadLogs(traceId);
    void this.loadPropagation(traceId);
    await this.trace.load(async (signal) => {
      const t0 = performance.now();
      const cols = await api.traceColumns(traceId, signal);
      const t: TraceResponse = {
        traceId: cols.traceId,
        services: cols.services,
        summary: cols.summary,
        spans: spansFromColumns(cols),
      };
      const t1 = performance.now();
      const tree = buildSpanTree(t.spans, startsFromColumns(cols));
      const t2 = performance.now();
      this.tree = tree;
      this.critical = [];
      this.criticalByNode = new Map();
      this.serviceTimes = [];
      this.analysed = false;
      this.collapsed = new Set();
      this.timings = { fetch: t1 - t0, tree: t2 - t1, critical: 0, breakdown: 0 };
      return t;
    });
    if (this.trace.data) this.scheduleAnalysis(this.tree);
  }

  private scheduleAnalysis(tree: SpanTree<ApiSpan>): void {
    const run = () => {
      if (this.tree !== tree) return;
      const t0 = performance.now();
      const critical = criticalPath(tree);
      const t1 = performance.now();
      const serviceTimes = selfTimeByService(tree);
      const t2 = performance.now();
      this.critical = critical;
      this.criticalByNode = segmentsByNode(critical);
      this.serviceTimes = serviceTimes;
      this.timings = { ...this.timings, critical: t1 - t0, breakdown: t2 - t1 };
      this.analysed = true;
    };
    // After the next paint: a frame, then a task.
    const later = () => (this.#analysis = setTimeout(run, 0));
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(later);
    else later();
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

  // Best effort: a server without the propagation check, or one that fails, leaves the trace unmarked.
  private async loadPropagation(traceId: string): Promise<void> {
    this.broken = new Map();
    try {
      const res = await api.tracePropagation(traceId);
      if (res.traceId !== traceId && res.traceId.toLowerCase() !== traceId.toLowerCase()) return;
      this.broken = new Map(res.flagged.map((f) => [f.spanId, { problem: f.problem, why: f.why }]));
    } catch {
      // Unmarked is still a correct trace view.
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
