/**
 * Bytes in binary units, as disk tools show them: 1536 → "1.5 KiB". A value never reads 1000 or more
 * of a unit ("1000 KiB"): from 1000 on it is written in the next one ("0.98 MiB").
 */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${n} B`;
  return `${v < 1 ? v.toFixed(2) : v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** What a retention run dropped, in words, from POST /api/admin/retention/run. */
export function describeRetentionRun(r: {
  retention?: Record<string, string>;
  dropped?: Record<string, string[]>;
  tracesDeleted?: number;
}): string {
  const parts: string[] = [];
  for (const [signal, partitions] of Object.entries(r.dropped ?? {})) {
    if (partitions.length === 0) continue;
    const days = [
      ...new Set(
        partitions.map((p) => /_p(\d{4})(\d\d)(\d\d)$/.exec(p)).map((m) => (m ? `${m[1]}-${m[2]}-${m[3]}` : '')),
      ),
    ]
      .filter(Boolean)
      .sort();
    const when = days.length ? ` (${days.length === 1 ? days[0] : `${days[0]} to ${days[days.length - 1]}`})` : '';
    const n = days.length || partitions.length;
    parts.push(`${signal}: ${n} ${n === 1 ? 'day' : 'days'}${when}`);
  }
  const kept = Object.entries(r.retention ?? {})
    .map(([s, v]) => `${s} ${v === '0' ? 'forever' : v}`)
    .join(', ');
  const summaries = r.tracesDeleted
    ? `, and ${r.tracesDeleted} trace ${r.tracesDeleted === 1 ? 'summary' : 'summaries'}`
    : '';
  if (parts.length === 0 && !r.tracesDeleted)
    return `Nothing was older than the retention${kept ? ` (${kept})` : ''}: nothing was dropped.`;
  return `Dropped ${parts.join('; ') || 'no partitions'}${summaries}${kept ? `. Retention kept: ${kept}.` : '.'}`;
}
