// A log line's fields as a mutable, ordered map: interpreters take the fields they understand out of
// it, and whatever is left becomes attributes.
export type Fields = Map<string, unknown>;

export function fieldsOf(obj: object): Fields {
  return new Map(Object.entries(obj));
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Takes `outer.inner` from a nested object field (`trace: { id }`) when `accept` takes its value:
 * the inner key is removed, and the outer field too once it is empty.
 */
export function takeNested(fields: Fields, outer: string, inner: string, accept: (v: unknown) => boolean): boolean {
  const obj = fields.get(outer);
  if (!isPlainObject(obj) || !Object.hasOwn(obj, inner) || !accept(obj[inner])) return false;
  const rest = { ...obj };
  delete rest[inner];
  if (Object.keys(rest).length === 0) fields.delete(outer);
  else fields.set(outer, rest);
  return true;
}

/** Takes the first of `names` whose value `accept` takes; values it refuses stay in place. */
export function takeFirst(fields: Fields, names: readonly string[], accept: (v: unknown) => boolean): boolean {
  for (const name of names) {
    if (fields.has(name) && accept(fields.get(name))) {
      fields.delete(name);
      return true;
    }
  }
  return false;
}
