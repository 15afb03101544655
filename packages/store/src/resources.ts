// Resources and scopes are stored once, keyed by a hash of their content, whichever signal brings
// them. Writers collect the distinct ones of a batch here and insert them in the same transaction.
import { sql, type SQL } from 'drizzle-orm';
import { serviceNameOf, type Resource, type Scope } from '@pivot/model';
import { cleanText, contentId, toJsonText } from './encode.ts';

/** Counts are uint32 on the wire; the int column holds them up to 2^31 - 1. */
export function clampCount(n: number): number {
  return n > 0x7fffffff ? 0x7fffffff : n < 0 ? 0 : n;
}

export class ResourceSet {
  readonly resources = new Map<string, { service: string; attributes: string; dropped: number }>();
  readonly scopes = new Map<string, { name: string; version: string; attributes: string }>();

  /** The resource's ID; its row is prepared only the first time it is seen in the batch. */
  resource(resource: Resource): { id: string; service: string } {
    const id = contentId(resource);
    let row = this.resources.get(id);
    if (!row) {
      row = {
        service: cleanText(serviceNameOf(resource)),
        attributes: toJsonText(resource.attributes),
        dropped: clampCount(resource.droppedAttributesCount),
      };
      this.resources.set(id, row);
    }
    return { id, service: row.service };
  }

  scope(scope: Scope): string {
    const id = contentId(scope);
    if (!this.scopes.has(id))
      this.scopes.set(id, {
        name: cleanText(scope.name),
        version: cleanText(scope.version),
        attributes: toJsonText(scope.attributes),
      });
    return id;
  }

  /** Inserts the rows not already stored, inside the caller's transaction. */
  async insert(query: (q: ReturnType<typeof sql>) => Promise<unknown[]>): Promise<void> {
    const [first, second] = this.inserts();
    // Both in one statement (one round trip): the first as a data-modifying CTE of the second.
    if (first && second) await query(sql`WITH r AS (${first}) ${second}`);
    else if (first) await query(first);
  }

  /**
   * The INSERT statements insert() runs (none when the batch has no resources or scopes), for a writer
   * that sends them as data-modifying CTEs of its own statement, saving a round trip each.
   */
  inserts(): SQL[] {
    const p = (v: unknown) => sql.param(v);
    const out: SQL[] = [];
    if (this.resources.size) {
      const ids = [...this.resources.keys()];
      const vals = [...this.resources.values()];
      out.push(sql`
        INSERT INTO resources (id, service_name, attributes, dropped_attributes_count)
        SELECT * FROM unnest(${p(ids)}::bigint[], ${p(vals.map((v) => v.service))}::text[],
                             ${p(vals.map((v) => v.attributes))}::jsonb[], ${p(vals.map((v) => v.dropped))}::int[])
        ON CONFLICT (id) DO NOTHING`);
    }
    if (this.scopes.size) {
      const ids = [...this.scopes.keys()];
      const vals = [...this.scopes.values()];
      out.push(sql`
        INSERT INTO scopes (id, name, version, attributes)
        SELECT * FROM unnest(${p(ids)}::bigint[], ${p(vals.map((v) => v.name))}::text[],
                             ${p(vals.map((v) => v.version))}::text[], ${p(vals.map((v) => v.attributes))}::jsonb[])
        ON CONFLICT (id) DO NOTHING`);
    }
    return out;
  }
}
