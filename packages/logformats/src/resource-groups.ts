// Groups decoded records by resource, in first-seen order, as ResourceLogs with one scope. Resources
// are compared by content, so that per-line resources of the same process end up in one group.
import type { Attributes, LogRecord, ResourceLogs } from '@pivot/model';

/** A content key, order-independent; cheaper than JSON.stringify of sorted entries, which showed in profiles. */
function key(a: Attributes): string {
  const names = Object.keys(a);
  if (names.length > 1) names.sort();
  let k = '';
  for (const name of names) {
    const v = a[name];
    k += `${name}\u0000${typeof v === 'string' ? `s${v}` : JSON.stringify(v)}\u0001`;
  }
  return k;
}

export class ResourceGroups {
  private readonly groups = new Map<string, ResourceLogs>();

  add(resource: Attributes, record: LogRecord): void {
    const k = key(resource);
    let group = this.groups.get(k);
    if (!group) {
      group = {
        resource: { attributes: resource, droppedAttributesCount: 0 },
        scopeLogs: [{ scope: { name: '', version: '', attributes: {} }, logRecords: [] }],
      };
      this.groups.set(k, group);
    }
    group.scopeLogs[0]!.logRecords.push(record);
  }

  toArray(): ResourceLogs[] {
    return [...this.groups.values()];
  }
}
